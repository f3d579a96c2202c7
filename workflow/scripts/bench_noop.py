"""Benchmark a Snakemake start with nothing to do: what every `make reproduce` on a complete build costs.

    python workflow/scripts/bench_noop.py --repeats 10 -- SNAKEMAKE_COMMAND...

Runs the command (the one `make reproduce` runs; `make bench-noop` passes it) once as a dry run
to make sure the build is complete, then `--repeats` times, and records each run's wall time,
CPU time (user + system, of the process and its children), peak memory and the 1-minute load
average before it. Writes
  RESULTS/benchmarks/noop/summary.csv   one row per run
  docs/benchmarks.md                    its generated section `noop` (median, range, load)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIELDS = ["run", "wall_s", "cpu_s", "peak_rss_mb", "load1_before", "exit_code"]
TARGET_S = 2.0


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def run_once(command: list[str]) -> dict:
    """Wall, CPU and peak memory of one run (os.wait4 gives the child's own resource use)."""
    load1 = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        fail(f"{' '.join(command)} exited with {code}:\n{stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "load1_before": load1, "exit_code": code}


def markdown(rows: list[dict], command: list[str], when: str, machine: str) -> str:
    """The docs section: median and range of wall and CPU time, with the load of each run."""
    wall = [r["wall_s"] for r in rows]
    cpu = [r["cpu_s"] for r in rows]
    loads = [r["load1_before"] for r in rows]
    under = sum(w < TARGET_S for w in wall)
    lines = [
        "## A start with nothing to do (`make bench-noop`)",
        "",
        f"Command: `{' '.join(command)}` on a complete build, {len(rows)} runs, {when}; {machine}.",
        "",
        "| | median | min | max |",
        "|---|---|---|---|",
        f"| wall (s) | {statistics.median(wall):.2f} | {min(wall):.2f} | {max(wall):.2f} |",
        f"| CPU, user + system (s) | {statistics.median(cpu):.2f} | {min(cpu):.2f} | {max(cpu):.2f} |",
        f"| peak memory (MB) | {statistics.median(r['peak_rss_mb'] for r in rows):.0f} | "
        f"{min(r['peak_rss_mb'] for r in rows):.0f} | {max(r['peak_rss_mb'] for r in rows):.0f} |",
        f"| load (1 min) before the run | {statistics.median(loads):.2f} | {min(loads):.2f} | {max(loads):.2f} |",
        "",
        f"{under} of {len(rows)} runs took under {TARGET_S:.0f} s of wall time. The wall time of a start "
        "grows with the load; its CPU time hardly does.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out-dir", default=str(REPO / "results" / "benchmarks" / "noop"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- then the Snakemake command")
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        fail("give the Snakemake command after --")
    dry = subprocess.run([*command, "--dry-run", "--quiet"], capture_output=True, text=True, cwd=REPO)
    if dry.returncode != 0 or "Nothing to be done" not in dry.stdout + dry.stderr:
        fail("the build is not complete (a dry run plans jobs): run `make reproduce` first, "
             "then measure a start with nothing to do")
    rows = []
    for run in range(1, args.repeats + 1):
        r = {"run": run, **run_once(command)}
        print(f"run {run}: wall {r['wall_s']:.2f}s cpu {r['cpu_s']:.2f}s load {r['load1_before']:.2f}",
              file=sys.stderr)
        rows.append(r)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_dag import write_section

    write_section(Path(args.doc), "noop", markdown(rows, command, when, machine))
    print(f"wrote {out_dir / 'summary.csv'} and {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
