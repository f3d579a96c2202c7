"""Benchmark the DAG: wall, CPU and peak memory of every job, with the machine's load.

    python workflow/scripts/bench_dag.py --scale full [--target RULE_OR_FILE] [--set KEY=VALUE ...]
                                         [--no-force] [-- SNAKEMAKE_ARGS]
    python workflow/scripts/bench_dag.py --scale full --summarise   (the last run again, no rerun)

Runs Snakemake (profiles/default, `--config scale=... KEY=VALUE ...`) forcing every job of the
DAG (`--forceall`), or only the named target (`--force`), or with `--no-force` only the jobs
that are out of date, while a thread samples the load average every few seconds. Each rule's
`benchmark:` directive (every rule's but the `run:` rules', which run inside Snakemake's own
process and take no measurable time) has Snakemake write one file per job under
RESULTS/benchmarks/<scale>/jobs/ (wall seconds `s`, `cpu_time`, `max_rss` in MB, from samples
of the job's processes every 0.5 s: workflow/scripts/snakemake_sampled.py; a Monte Carlo world's
jobs under worlds/mc<seed>/RESULTS/..., listed as worlds/mc<seed>/<job>). This script reads the
files of this run, the load samples and RESULTS/trail.json (every job's inputs and outputs), and writes
  RESULTS/benchmarks/summary.csv   one row per job (wall, CPU, peak memory, load during it)
  docs/benchmarks.md               its own generated section per scale and target, beside the
                                   estimation benchmark's (workflow/scripts/bench_estimate.py)
with the command, the date, the machine and the load, and the critical path: the chain of jobs,
each an input of the next, with the largest sum of job wall times.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLED_SNAKEMAKE = REPO / "workflow" / "scripts" / "snakemake_sampled.py"
LOAD_EVERY_S = 5.0
FIELDS = ["scale", "job", "rule", "start_utc", "end_utc", "wall_s", "cpu_s", "max_rss_mb",
          "job_cpu_pct", "machine_load1", "critical_path"]
TITLE = "# Benchmarks"
INTRO = ("Generated sections: each is rewritten by the command it names; do not edit them by "
         "hand. Figures depend on what else the machine runs: each carries the load average "
         "measured while it ran.")


# --- docs/benchmarks.md: one generated section per key -------------------------------------

def _markers(key: str) -> tuple[str, str]:
    return f"<!-- begin generated: {key} -->", f"<!-- end generated: {key} -->"


def write_section(doc: Path, key: str, text: str) -> None:
    """Put `text` between the key's markers in `doc`, replacing what was there; other
    sections stay as they are. A new key is appended; a missing file is created."""
    begin, end = _markers(key)
    block = f"{begin}\n{text.strip()}\n{end}"
    old = doc.read_text(encoding="utf-8") if doc.exists() else f"{TITLE}\n\n{INTRO}\n"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(new, encoding="utf-8")


# --- the run -------------------------------------------------------------------------------

def _utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class LoadSampler(threading.Thread):
    """Appends (unix time, load1, load5, load15) to a TSV every `every` seconds."""

    def __init__(self, path: Path, every: float = LOAD_EVERY_S):
        super().__init__(daemon=True)
        self.path, self.every, self.stop = path, every, threading.Event()

    def run(self) -> None:
        with self.path.open("w") as fh:
            fh.write("time\tload1\tload5\tload15\n")
            while True:
                l1, l5, l15 = os.getloadavg()
                fh.write(f"{time.time():.1f}\t{l1:.2f}\t{l5:.2f}\t{l15:.2f}\n")
                fh.flush()
                if self.stop.wait(self.every):
                    return


def snakemake_command(scale: str, target: str | None, extra: list[str], settings: list[str] = (),
                      force: bool = True) -> list[str]:
    if force:
        chosen = ["--force", target] if target else ["--forceall"]
    else:
        chosen = [target] if target else []
    # --config takes every word after it up to the next option: it goes last, so a target
    # named without --force is not read as a config item.
    # Snakemake through snakemake_sampled.py: every job sampled every 0.5 s, not every 30 s
    # after its first 15 s, so CPU time and peak memory of the long jobs are theirs.
    return [sys.executable, str(SAMPLED_SNAKEMAKE.relative_to(REPO)), "--workflow-profile", "profiles/default",
            *chosen, *extra, "--config", f"scale={scale}", *settings]


def run(scale: str, target: str | None, extra: list[str], run_dir: Path, settings: list[str] = (),
        force: bool = True) -> dict:
    jobs = run_dir / "jobs"
    if not target and force and jobs.exists():
        # A whole-DAG run rewrites every job's file; none of an older run may remain.
        for f in sorted(jobs.rglob("*.tsv")):
            f.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = snakemake_command(scale, target, extra, settings, force)
    make = ["make", "bench", f"SCALE={scale}"] + ([f"TARGET={target}"] if target else [])
    make += ([f"BENCH_CONFIG={' '.join(settings)}"] if settings else []) + ([] if force else ["FORCE=no"])
    info = {"scale": scale, "target": target or "", "forced": force, "command": shlex.join(make),
        "snakemake": shlex.join([os.path.relpath(cmd[0], REPO), *cmd[1:]]), "machine": machine(),
        "start": time.time()}
    # Each run its own samples: a run of one target must not overwrite those of the whole DAG.
    info["load_file"] = f"load-{int(info['start'])}.tsv"
    sampler = LoadSampler(run_dir / info["load_file"])
    sampler.start()
    try:
        code = subprocess.call(cmd, cwd=REPO)
    finally:
        sampler.stop.set()
        sampler.join()
    info |= {"end": time.time(), "exit_code": code}
    (run_dir / "run.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    return info


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GB, {platform.system()}"


# --- reading the benchmarks back -----------------------------------------------------------

def read_loads(path: Path) -> list[tuple[float, float]]:
    if not path.exists():
        return []
    with path.open() as fh:
        return [(float(r["time"]), float(r["load1"])) for r in csv.DictReader(fh, delimiter="\t")]


def mean_load(loads: list[tuple[float, float]], start: float, end: float) -> float | None:
    """Mean 1-minute load over the samples in [start, end], or the sample nearest the middle."""
    inside = [v for t, v in loads if start <= t <= end]
    if inside:
        return sum(inside) / len(inside)
    if not loads:
        return None
    mid = (start + end) / 2
    return min(loads, key=lambda tv: abs(tv[0] - mid))[1]


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # Snakemake writes NA when a job ended before its first sample


def read_jobs(jobs_dir: Path, since: float = 0.0, prefix: str = "") -> list[dict]:
    """One dict per benchmark file written at or after `since` (the last line: the last repeat);
    `prefix` goes before each job's name (a Monte Carlo world's folder, e.g. worlds/mc7001/)."""
    rows = []
    for path in sorted(jobs_dir.rglob("*.tsv")):
        end = path.stat().st_mtime
        if end < since:
            continue
        with path.open() as fh:
            records = list(csv.DictReader(fh, delimiter="\t"))
        if not records:
            continue
        rec = records[-1]
        wall = _num(rec.get("s")) or 0.0
        name = prefix + path.relative_to(jobs_dir).with_suffix("").as_posix()
        rows.append({"job": name, "start": end - wall, "end": end, "wall_s": wall,
                     "cpu_s": _num(rec.get("cpu_time")), "max_rss_mb": _num(rec.get("max_rss")),
                     "job_cpu_pct": _num(rec.get("mean_load"))})
    return rows


def world_job_dirs(run_dir: Path, scale: str) -> list[tuple[str, Path]]:
    """(world prefix, jobs folder) of every Monte Carlo world beside the results folder: a
    world's rules write their benchmark files under worlds/mc<seed>/<results>/benchmarks/."""
    results = run_dir.parent.parent
    found = sorted(results.parent.glob(f"worlds/mc*/{results.name}/benchmarks/{scale}/jobs"))
    return [(f"worlds/{d.parents[3].name}/", d) for d in found]


def _world_and_job(job: str) -> tuple[str, str]:
    m = re.match(r"(worlds/mc\d+/)(.*)", job)
    return (m.group(1), m.group(2)) if m else ("", job)


def _candidates(rule: str, wildcards: dict) -> list[str]:
    world = str(wildcards.get("world", ""))
    wildcards = {k: v for k, v in wildcards.items() if k != "world"}
    if not wildcards:
        return [world + rule, world + rule.replace("_", "/", 1)]
    return [f"{world}{rule}/{'/'.join(str(v) for v in wildcards.values())}"]


def attach_rules(rows: list[dict], trail: dict | None) -> dict[str, list[str]]:
    """Each job's rule, and {job: the jobs it waits for}, from the trail's inputs and outputs.

    Benchmark files are named <rule>[/<wildcard values>] (a prefix such as seed_ allowed)."""
    by_name = {r["job"]: r for r in rows}
    deps: dict[str, list[str]] = {}
    for r in rows:
        r["rule"] = _world_and_job(r["job"])[1].split("/", 1)[0]
    if not trail:
        return deps
    producer, needs = {}, {}
    for i, j in enumerate(trail["jobs"]):
        cands = _candidates(j["rule"], j["wildcards"])
        world = str(j["wildcards"].get("world", ""))
        vals = [str(v) for k, v in j["wildcards"].items() if k != "world"]
        name = next((c for c in cands if c in by_name), None)
        if name is None and vals:  # e.g. montecarlo/seed_7001 for seed=7001
            name = next((n for n in by_name if _world_and_job(n)[0] == world
                         and _world_and_job(n)[1].split("/", 1)[0] == j["rule"]
                         and n.endswith(vals[-1]) and _world_and_job(n)[1].count("/") == 1), None)
        if name is None:
            # no benchmark file (a run: rule, in Snakemake's own process): a link of 0 s that the
            # chains pass through, e.g. synthesize -> truth_parameters -> validate
            name = f"<no benchmark {i}>"
        else:
            by_name[name]["rule"] = j["rule"]
        for f in j["outputs"]:
            producer[f] = name
        needs[name] = j["inputs"]

    def waits_for(name: str, seen: set[str]) -> set[str]:
        out: set[str] = set()
        for f in needs.get(name, []):
            p = producer.get(f)
            if p is None or p == name or p in seen:
                continue
            seen.add(p)
            out |= {p} if p in by_name else waits_for(p, seen)
        return out

    for name in needs:
        if name in by_name:
            deps[name] = sorted(waits_for(name, set()))
    return deps


def critical_path(rows: list[dict], deps: dict[str, list[str]]) -> list[str]:
    """The chain of jobs, each an input of the next, with the largest sum of job wall times: the
    run takes at least that long however many cores it has. (The chain of last-finishing inputs
    would follow jobs that merely waited, such as the Monte Carlo draws, which run at low priority.)"""
    if not rows:
        return []
    wall = {r["job"]: r["wall_s"] for r in rows}
    longest: dict[str, tuple[float, str | None]] = {}

    def chain(job: str) -> float:
        if job not in longest:  # the DAG is shallow (tens of jobs deep): recursion is fine
            before = [(chain(d), d) for d in deps.get(job, []) if d in wall]
            best = max(before, default=(0.0, None))
            longest[job] = (wall[job] + best[0], best[1])
        return longest[job][0]

    job: str | None = max(sorted(wall), key=chain)
    path = []
    while job is not None:
        path.append(job)
        job = longest[job][1]
    return path[::-1]


def summarise(run_dir: Path, trail_path: Path, info: dict) -> tuple[list[dict], dict]:
    since = info.get("start", 0.0) - 1.0
    rows = read_jobs(run_dir / "jobs", since=since)
    for prefix, jobs in world_job_dirs(run_dir, info["scale"]):
        rows += read_jobs(jobs, since=since, prefix=prefix)
    if not rows:
        raise SystemExit(f"no benchmark files of this run under {run_dir / 'jobs'}: did the DAG run?")
    trail = json.loads(trail_path.read_text()) if trail_path.exists() else None
    deps = attach_rules(rows, trail)
    path = critical_path(rows, deps) if not info.get("target") else []
    loads = read_loads(run_dir / info.get("load_file", "load.tsv"))
    for r in rows:
        r["scale"] = info["scale"]
        r["machine_load1"] = mean_load(loads, r["start"], r["end"])
        r["critical_path"] = r["job"] in path
        r["start_utc"], r["end_utc"] = _utc(r["start"]), _utc(r["end"])
    rows.sort(key=lambda r: (r["start"], r["job"]))
    start = info.get("start", min(r["start"] for r in rows))
    end = info.get("end", max(r["end"] for r in rows))
    run_loads = [v for t, v in loads if start <= t <= end] or [v for _, v in loads]
    totals = {
        "jobs": len(rows), "wall_s": end - start,
        "job_wall_s": sum(r["wall_s"] for r in rows),
        "cpu_s": sum(r["cpu_s"] or 0.0 for r in rows),
        "max_rss_mb": max((r["max_rss_mb"] or 0.0) for r in rows),
        "peak_job": max(rows, key=lambda r: r["max_rss_mb"] or 0.0)["job"],
        "load_min": min(run_loads) if run_loads else None,
        "load_mean": sum(run_loads) / len(run_loads) if run_loads else None,
        "load_max": max(run_loads) if run_loads else None,
        "critical_path": path,
        "critical_wall_s": sum(r["wall_s"] for r in rows if r["job"] in path),
    }
    return rows, totals


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})


def _f(v: float | None, digits: int = 0) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def markdown(rows: list[dict], totals: dict, info: dict) -> str:
    target = info.get("target") or ""
    what = f"target `{target}`" if target else "the whole DAG (raw files to paper/paper.pdf, Monte Carlo included)"
    if not info.get("forced", True):
        what += "; only the jobs that were out of date ran (the table lists them)"
    status = "" if info.get("exit_code", 0) == 0 else (
        f" **The run stopped early (Snakemake exit code {info['exit_code']}): jobs that did not run "
        "are missing.**")
    lines = [
        f"## DAG benchmark: scale {info['scale']}" + (f", {target}" if target else ""),
        "",
        f"Command: `{info.get('command', '')}` (runs `{info.get('snakemake', 'snakemake')}`), "
        f"{what}. Run {_utc(info['start']) if 'start' in info else '?'} to "
        f"{_utc(info['end']) if 'end' in info else '?'} UTC on {info.get('machine', machine())}.{status}",
        "",
        f"Load average (1 min) during the run: {_f(totals['load_min'], 1)} to {_f(totals['load_max'], 1)} "
        f"(mean {_f(totals['load_mean'], 1)}), sampled every {LOAD_EVERY_S:.0f} s; the machine has "
        f"{os.cpu_count()} cores, so a load above that slows every wall time below.",
        "",
        f"Wall time, start to end: **{totals['wall_s']:.0f} s** ({totals['wall_s'] / 60:.1f} min) for "
        f"{totals['jobs']} job{'s' if totals['jobs'] != 1 else ''}; sum of job wall times {totals['job_wall_s']:.0f} s; sum of job CPU "
        f"times {totals['cpu_s']:.0f} s; largest peak memory {totals['max_rss_mb']:.0f} MB "
        f"({totals['peak_job']}).",
        "",
    ]
    if totals["critical_path"]:
        lines += [f"Critical path ({totals['critical_wall_s']:.0f} s of job wall time: the chain of jobs, each an "
                  "input of the next, with the largest sum, which bounds the run however many cores it has): "
                  + " → ".join(totals["critical_path"]) + ".", ""]
    lines += ["| job | start (UTC) | wall (s) | CPU (s) | peak memory (MB) | job CPU (%) | load (1 min) | critical |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['job']} | {r['start_utc'][11:]} | {r['wall_s']:.1f} | {_f(r['cpu_s'], 1)} | "
                     f"{_f(r['max_rss_mb'])} | {_f(r['job_cpu_pct'])} | {_f(r['machine_load1'], 1)} | "
                     f"{'yes' if r['critical_path'] else ''} |")
    lines += ["", "Per-job figures are Snakemake's `benchmark:` files "
              f"(`results/benchmarks/{info['scale']}/jobs/`), with the job's process tree sampled every "
              "half second throughout (`workflow/scripts/snakemake_sampled.py`; Snakemake alone samples "
              "every 30 s after a job's first 15 s). CPU time and peak memory are what the samples saw: "
              "they miss the CPU time of a job's last half second and a peak shorter than half a second "
              "(`/usr/bin/time -v make bench` gives the run's largest process exactly); wall time is exact. "
              "`job CPU (%)` is the job's CPU time over its wall time (100 = one core busy).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="full", choices=["small", "medium", "full"])
    ap.add_argument("--target", default="", help="a rule without wildcards or an output file")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="more --config items (e.g. results_dir=...)")
    ap.add_argument("--no-force", action="store_true", help="run only the jobs that are out of date")
    ap.add_argument("--summarise", action="store_true", help="summarise the last run, do not run")
    ap.add_argument("--results", default=None, help="the results folder (default: results_dir of --set, "
                    "else results)")
    ap.add_argument("--doc", default="docs/benchmarks.md")
    args = ap.parse_args(argv)
    given = dict(item.split("=", 1) for item in args.set if "=" in item)
    results = REPO / (args.results or given.get("results_dir", "results"))
    run_dir = results / "benchmarks" / args.scale
    if args.summarise:
        run_json = run_dir / "run.json"
        if not run_json.exists():
            raise SystemExit(f"{run_json} not found: run `make bench SCALE={args.scale}` first")
        info = json.loads(run_json.read_text())
    else:
        info = run(args.scale, args.target or None, extra, run_dir, args.set, not args.no_force)
    rows, totals = summarise(run_dir, results / "trail.json", info)
    write_csv(rows, results / "benchmarks" / "summary.csv")
    key = f"dag-{info['scale']}" + (f"-{info['target']}" if info.get("target") else "")
    write_section(REPO / args.doc, key, markdown(rows, totals, info))
    print(f"{totals['jobs']} jobs, {totals['wall_s']:.0f} s wall, {totals['cpu_s']:.0f} s CPU, peak "
          f"{totals['max_rss_mb']:.0f} MB; wrote {results / 'benchmarks' / 'summary.csv'} and {args.doc}",
          file=sys.stderr)
    return int(info.get("exit_code", 0))


if __name__ == "__main__":
    sys.exit(main())
