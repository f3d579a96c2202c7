"""Start and stop a real single-node SLURM cluster (Debian slurm-wlm + munge) for tests.

Used by tests/slurm/test_slurm_executor.py and by hand (README.md, "Running on a cluster (SLURM)"):

    python tools/slurm_cluster.py start    # as root: install if needed, write config, start, wait idle
    python tools/slurm_cluster.py status
    python tools/slurm_cluster.py stop     # scancel everything, scontrol shutdown, stop daemons by pid

Facts this follows (measured on a Debian 12 VM without systemd):
- slurm.conf must be at /etc/slurm/slurm.conf: `srun` inside a job does not see a
  config passed only through SLURM_CONF ("DNS SRV lookup failed").
- There is no accounting database, so jobs are tracked with squeue and MinJobAge is
  long (600 s) so that finished jobs stay visible to squeue.
- Daemons are started and stopped by their pid files, never by process name.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CONF_PATH = Path("/etc/slurm/slurm.conf")
# First line of every slurm.conf this module writes: only such a file is overwritten or removed.
MARKER = "# Written by tools/slurm_cluster.py (upgrading compendium): single-node test cluster."
DEFAULT_STATE_DIR = Path("/tmp/upgrading-slurm")
MUNGE_RUN_DIR = Path("/run/munge")
MUNGE_PID = MUNGE_RUN_DIR / "munged.pid"
MUNGE_KEY = Path("/etc/munge/munge.key")
PACKAGES = ("slurm-wlm", "munge")
BINARIES = ("slurmctld", "slurmd", "munged", "mungekey", "sinfo", "squeue", "sbatch", "srun", "scancel", "scontrol")


class ClusterUnavailable(RuntimeError):
    """This machine cannot run the test cluster (not root, packages missing, foreign config)."""


def _run(cmd: list[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def missing_binaries() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]


def ensure_installed(log=print) -> bool:
    """Install slurm-wlm and munge with apt-get when missing (True: this call installed them);
    raise ClusterUnavailable if impossible."""
    if os.geteuid() != 0:
        raise ClusterUnavailable("needs root to install slurm-wlm/munge and start slurmctld/slurmd/munged")
    if not missing_binaries():
        return False
    if shutil.which("apt-get") is None:
        raise ClusterUnavailable(f"missing {missing_binaries()} and no apt-get to install {PACKAGES}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", "update"],
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", *PACKAGES],
    ):
        log("running: " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ClusterUnavailable(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {' | '.join(tail)}")
    if missing_binaries():
        raise ClusterUnavailable(f"installed {PACKAGES} but still missing {missing_binaries()}")
    return True


def uninstall(log=print) -> None:
    """Remove what ensure_installed installed. With the SLURM client on PATH, the executor plugin
    of every later Snakemake start runs `scontrol show config`, which waits about 10 s whenever a
    slurm.conf names a controller that is not running."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "-o", "DPkg::Lock::Timeout=300", "purge", "-y", *PACKAGES],
                ["apt-get", "-o", "DPkg::Lock::Timeout=300", "autoremove", "--purge", "-y"]):
        log("running: " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if proc.returncode != 0:
            log(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-300:]}")


def scontrol_seconds(timeout: float = 30.0) -> float | None:
    """Seconds `scontrol show config` takes, as the executor plugin runs it at every Snakemake
    start (None: no scontrol on this machine)."""
    if shutil.which("scontrol") is None:
        return None
    t0 = time.monotonic()
    try:
        _run(["scontrol", "show", "config"], timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        pass
    return time.monotonic() - t0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); treat it as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _stop_pid(path: Path, name: str, grace: float = 10.0, log=print) -> None:
    """SIGTERM the process whose pid is in `path`, wait, then SIGKILL; no-op if it is gone."""
    pid = _read_pid(path)
    if pid is None or not _pid_alive(pid):
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.1)
        log(f"{name} (pid {pid}) still alive after {sig.name}")


def node_hardware() -> tuple[int, int]:
    """(CPUs, RealMemory in MB) as slurmd itself detects them (`slurmd -C`)."""
    out = _run(["slurmd", "-C"]).stdout
    fields = dict(tok.split("=", 1) for tok in out.split() if "=" in tok)
    return int(fields["CPUs"]), int(fields["RealMemory"])


def slurm_conf(host: str, cpus: int, real_memory: int, state_dir: Path) -> str:
    return "\n".join(
        [
            MARKER,
            "ClusterName=upgrading",
            f"SlurmctldHost={host}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            f"StateSaveLocation={state_dir}/slurmctld",
            f"SlurmdSpoolDir={state_dir}/slurmd",
            f"SlurmctldPidFile={state_dir}/slurmctld.pid",
            f"SlurmdPidFile={state_dir}/slurmd.pid",
            f"SlurmctldLogFile={state_dir}/slurmctld.log",
            f"SlurmdLogFile={state_dir}/slurmd.log",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SlurmdParameters=config_overrides",
            "SchedulerType=sched/backfill",
            "MpiDefault=none",
            "ReturnToService=2",
            # Finished jobs must stay visible to squeue: the executor's status check uses squeue
            # here (no accounting), and falls back to sacct unless MinJobAge >= 3 x init seconds.
            "MinJobAge=600",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={real_memory} State=UNKNOWN",
            "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


def node_state(host: str) -> str:
    proc = _run(["sinfo", "-h", "-N", "-n", host, "-o", "%t"], timeout=15, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else f"sinfo failed: {proc.stderr.strip()}"


@dataclass
class SlurmCluster:
    """A single-node cluster on this machine; use as a context manager (stop runs whatever happens)."""

    state_dir: Path = DEFAULT_STATE_DIR
    host: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    log: object = print
    started_munge: bool = False
    start_seconds: float | None = None
    stop_seconds: float | None = None

    # -- start -----------------------------------------------------------------------------
    def start(self, wait: float = 60.0) -> None:
        t0 = time.monotonic()
        ensure_installed(self.log)
        if CONF_PATH.exists() and not CONF_PATH.read_text(errors="replace").startswith(MARKER):
            raise ClusterUnavailable(f"{CONF_PATH} exists and was not written by this helper; not overwriting it")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("slurmctld", "slurmd"):
            (self.state_dir / sub).mkdir(exist_ok=True)
        self._start_munge()
        cpus, mem = node_hardware()
        CONF_PATH.parent.mkdir(parents=True, exist_ok=True)
        CONF_PATH.write_text(slurm_conf(self.host, cpus, mem, self.state_dir))
        for daemon, args, pidfile in (
            ("slurmctld", ["slurmctld", "-c"], self.state_dir / "slurmctld.pid"),
            ("slurmd", ["slurmd"], self.state_dir / "slurmd.pid"),
        ):
            pid = _read_pid(pidfile)
            if pid is not None and _pid_alive(pid):
                raise ClusterUnavailable(f"{daemon} already running (pid {pid} in {pidfile}); stop it first")
            proc = _run(args, timeout=30, check=False)  # both daemonize and write their pid file
            if proc.returncode != 0:
                raise RuntimeError(f"{daemon} failed to start: {proc.stderr.strip()} (see {self.state_dir})")
        deadline = time.monotonic() + wait
        state = ""
        while time.monotonic() < deadline:
            state = node_state(self.host)
            if state == "idle":
                self.start_seconds = time.monotonic() - t0
                self.log(f"slurm node {self.host} idle after {self.start_seconds:.1f} s")
                return
            time.sleep(0.5)
        raise RuntimeError(f"node {self.host} not idle after {wait:.0f} s (last state: {state!r}); logs in {self.state_dir}")

    def _start_munge(self) -> None:
        pid = _read_pid(MUNGE_PID)
        if pid is not None and _pid_alive(pid):
            self.log(f"munged already running (pid {pid}); using it and leaving it running")
            return
        if not MUNGE_KEY.exists():
            _run(["mungekey", "--create"])
        shutil.chown(MUNGE_KEY, "munge", "munge")
        MUNGE_KEY.chmod(0o400)
        MUNGE_RUN_DIR.mkdir(parents=True, exist_ok=True)
        shutil.chown(MUNGE_RUN_DIR, "munge", "munge")
        MUNGE_RUN_DIR.chmod(0o755)
        proc = _run(["runuser", "-u", "munge", "--", "munged"], timeout=30, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"munged failed to start: {proc.stderr.strip()}")
        self.started_munge = True
        (self.state_dir / "munged.ours").write_text(str(_read_pid(MUNGE_PID)))

    # -- stop ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job, shut the cluster down, stop each daemon by pid; never raises."""
        t0 = time.monotonic()
        steps = [
            ("cancel jobs", self._cancel_all_jobs),
            ("scontrol shutdown", lambda: _run(["scontrol", "shutdown"], timeout=15, check=False)),
            ("slurmctld", lambda: _stop_pid(self.state_dir / "slurmctld.pid", "slurmctld", log=self.log)),
            ("slurmd", lambda: _stop_pid(self.state_dir / "slurmd.pid", "slurmd", log=self.log)),
        ]
        if self.started_munge or (self.state_dir / "munged.ours").exists():
            steps.append(("munged", lambda: _stop_pid(MUNGE_PID, "munged", log=self.log)))
        steps.append(("slurm.conf", self._remove_conf))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # keep stopping the rest whatever fails
                self.log(f"stop step {name!r} failed: {exc!r}")
        self.stop_seconds = time.monotonic() - t0
        self.log(f"slurm cluster stopped in {self.stop_seconds:.1f} s")

    def _cancel_all_jobs(self, wait: float = 20.0) -> None:
        # The cluster is private to this helper, so every job on it is ours.
        pid = _read_pid(self.state_dir / "slurmctld.pid")
        if pid is None or not _pid_alive(pid):
            return
        jobs = _run(["squeue", "-h", "-o", "%A"], timeout=15, check=False).stdout.split()
        if not jobs:
            return
        self.log(f"cancelling leftover slurm jobs: {' '.join(jobs)}")
        _run(["scancel", *jobs], timeout=15, check=False)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            active = _run(["squeue", "-h", "-t", "PD,R,CG,CF,S", "-o", "%A"], timeout=15, check=False).stdout.split()
            if not active:
                return
            time.sleep(0.5)

    def _remove_conf(self) -> None:
        if CONF_PATH.exists() and CONF_PATH.read_text(errors="replace").startswith(MARKER):
            CONF_PATH.unlink()
            self.log(f"removed {CONF_PATH}")
        (self.state_dir / "munged.ours").unlink(missing_ok=True)

    def running_daemons(self) -> dict[str, int]:
        out = {}
        for name, path in (
            ("slurmctld", self.state_dir / "slurmctld.pid"),
            ("slurmd", self.state_dir / "slurmd.pid"),
            ("munged", MUNGE_PID),
        ):
            pid = _read_pid(path)
            if pid is not None and _pid_alive(pid):
                out[name] = pid
        return out

    def stop_on_signals(self) -> None:
        """Stop the cluster (and remove slurm.conf) also when the test run is interrupted or killed
        by a signal Python can catch: a slurm.conf left behind slows every later Snakemake start."""
        def handler(signum, frame):
            self.stop()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)
        atexit.register(self.stop)

    def __enter__(self) -> SlurmCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"start", "stop", "status"}:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    cluster = SlurmCluster()
    if argv[0] == "start":
        try:
            cluster.start()
        except ClusterUnavailable as exc:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv[0] == "stop":
        cluster.stop()  # stops munged only if `start` started it (state_dir/munged.ours)
        return 0
    print(f"daemons: {cluster.running_daemons()}  node {cluster.host}: {node_state(cluster.host)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
