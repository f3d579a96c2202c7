"""Estimate how long the DAG takes on N cluster nodes, from a finished run's own timings.

    .venv/bin/python tools/cluster_estimate.py --workdir . [--configfile F] \
        [--nodes 1 2 4 8] [--cores-per-node 32] [--mem-per-node 128000] [--overhead 10] [TARGET ...]

Run it in (or point --workdir at) a repository copy that has built the targets, so
that `.snakemake/metadata` holds each job's start and end time. It
1. lists every job of the DAG with its rule, inputs, outputs, threads and mem_mb
   (a forced dry run: `snakemake -n -F`),
2. takes each job's wall time from Snakemake's metadata of its outputs,
3. simulates a greedy list scheduler (longest remaining path first) on N nodes of
   the given cores and memory, adding a fixed per-job SLURM overhead (sbatch, queue,
   the two nested Snakemake starts inside a job; about 10 s measured on a 2-core VM),
and prints the makespan per N, the critical path, and a per-rule table with the
benchmarks' max RSS (results/benchmarks/<scale>/jobs/<rule>[/...].tsv) next to the mem_mb asked for.
It is an estimate: real queues add waiting time, and timings scale with the data.
"""

from __future__ import annotations

import argparse
import base64
import csv
import heapq
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Job:
    jobid: int
    rule: str
    local: bool
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    threads: int = 1
    mem_mb: int = 0
    seconds: float | None = None
    deps: set[int] = field(default_factory=set)


def parse_dry_run(text: str) -> list[Job]:
    """Jobs from `snakemake -n` output: blocks that start with 'rule X:' or 'localrule X:'."""
    jobs: list[Job] = []
    current: Job | None = None
    for line in text.splitlines():
        if m := re.match(r"^(local)?rule (\S+):$", line.strip()):
            current = Job(jobid=-1, rule=m.group(2), local=bool(m.group(1)))
            jobs.append(current)
            continue
        if current is None or not line.startswith("    "):
            if not line.strip():
                current = None
            continue
        key, _, value = line.strip().partition(": ")
        if key == "input":
            current.inputs = [v.strip() for v in value.split(", ") if v.strip()]
        elif key == "output":
            current.outputs = [v.strip() for v in value.split(", ") if v.strip()]
        elif key == "jobid":
            current.jobid = int(value)
        elif key == "threads":
            current.threads = int(value)
        elif key == "resources":
            if m := re.search(r"(?:^|, )mem_mb=(\d+)", value):
                current.mem_mb = int(m.group(1))
    # A rule without outputs (`all`) is a pure target: Snakemake runs it locally.
    for j in jobs:
        j.local = j.local or not j.outputs
    return jobs


def job_seconds(workdir: Path, outputs: list[str]) -> float | None:
    """Wall time of the job that made `outputs`, from Snakemake's metadata records."""
    starts, ends = [], []
    for out in outputs:
        rec = workdir / ".snakemake" / "metadata" / base64.b64encode(out.encode()).decode()
        if rec.exists():
            meta = json.loads(rec.read_text())
            if meta.get("starttime") and meta.get("endtime"):
                starts.append(meta["starttime"])
                ends.append(meta["endtime"])
    return max(0.0, max(ends) - min(starts)) if starts else None


def link(jobs: list[Job]) -> None:
    made_by = {out: j.jobid for j in jobs for out in j.outputs}
    for j in jobs:
        j.deps = {made_by[i] for i in j.inputs if i in made_by and made_by[i] != j.jobid}


def simulate(jobs: list[Job], nodes: int, cores: int, mem: int, overhead: float) -> float:
    """Makespan of a greedy list schedule, longest remaining path first (each job on one node)."""
    by_id = {j.jobid: j for j in jobs}
    cost = {j.jobid: (j.seconds or 0.0) + (0.0 if j.local else overhead) for j in jobs}
    children = defaultdict(set)
    for j in jobs:
        for d in j.deps:
            children[d].add(j.jobid)
    rank: dict[int, float] = {}

    def tail(jid: int) -> float:  # longest path from the start of jid to the end of the DAG
        if jid not in rank:
            rank[jid] = cost[jid] + max((tail(c) for c in children[jid]), default=0.0)
        return rank[jid]

    waiting = {j.jobid: set(j.deps) for j in jobs}
    free = [[cores, mem] for _ in range(nodes)]
    running: list[tuple[float, int, int]] = []  # (end time, jobid, node)
    ready = sorted((jid for jid, d in waiting.items() if not d), key=lambda x: -tail(x))
    now, done = 0.0, 0
    while done < len(jobs):
        placed = []
        for jid in ready:
            need_c, need_m = min(by_id[jid].threads, cores), min(by_id[jid].mem_mb, mem)
            if by_id[jid].local:
                need_c, need_m = 0, 0
            for n, (fc, fm) in enumerate(free):
                if fc >= need_c and fm >= need_m:
                    free[n][0] -= need_c
                    free[n][1] -= need_m
                    heapq.heappush(running, (now + cost[jid], jid, n))
                    placed.append(jid)
                    break
        ready = [j for j in ready if j not in placed]
        end, jid, n = heapq.heappop(running)
        now = end
        if not by_id[jid].local:
            free[n][0] += min(by_id[jid].threads, cores)
            free[n][1] += min(by_id[jid].mem_mb, mem)
        done += 1
        for c in children[jid]:
            waiting[c].discard(jid)
            if not waiting[c]:
                ready.append(c)
        ready.sort(key=lambda x: -tail(x))
    return now


def critical_path(jobs: list[Job], overhead: float) -> list[str]:
    """Rules along the longest chain of dependent jobs (durations + per-job overhead)."""
    by_id = {j.jobid: j for j in jobs}
    children = defaultdict(set)
    for j in jobs:
        for d in j.deps:
            children[d].add(j.jobid)
    memo: dict[int, float] = {}

    def tail(jid: int) -> float:
        if jid not in memo:
            own = (by_id[jid].seconds or 0.0) + (0.0 if by_id[jid].local else overhead)
            memo[jid] = own + max((tail(c) for c in children[jid]), default=0.0)
        return memo[jid]

    node = max((j.jobid for j in jobs if not j.deps), key=tail)
    path = [by_id[node].rule]
    while children[node]:
        node = max(children[node], key=tail)
        path.append(by_id[node].rule)
    return path


def benchmark_rss(workdir: Path, rules: set[str], results_dir: str = "results") -> dict[str, float]:
    """Largest max_rss (MB) per rule over results/benchmarks/<scale>/jobs/<rule>.tsv, <rule>/*.tsv
    and <prefix>/<name>.tsv for a rule called <prefix>_<name> (e.g. montecarlo/aggregate.tsv)."""
    out: dict[str, float] = {}
    for root, tsv in ((root, tsv) for root in (workdir / results_dir / "benchmarks").glob("*/jobs")
                      for tsv in root.rglob("*.tsv")):
        rel = tsv.relative_to(root)
        if len(rel.parts) == 1:
            rule = tsv.stem
        elif f"{rel.parts[0]}_{tsv.stem}" in rules:
            rule = f"{rel.parts[0]}_{tsv.stem}"
        else:
            rule = rel.parts[0]
        with tsv.open() as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                try:
                    out[rule] = max(out.get(rule, 0.0), float(row["max_rss"]))
                except (KeyError, ValueError):
                    pass
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("."))
    ap.add_argument("--configfile", default=None)
    ap.add_argument("--snakemake", default=str(Path(sys.executable).parent / "snakemake"))
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--cores-per-node", type=int, default=32)
    ap.add_argument("--mem-per-node", type=int, default=128000, help="MB")
    ap.add_argument("--overhead", type=float, default=10.0, help="seconds added to every SLURM job")
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args(argv)

    # Many cores so that the dry run shows each rule's declared threads, not threads scaled down.
    cmd = [args.snakemake, *args.targets, "-n", "-F", "--cores", "4096"]
    profile = args.workdir / "profiles" / "slurm" / "config.yaml"
    if profile.exists():  # the slurm profile's fallback mem_mb/runtime for rules that declare none
        defaults = (yaml.safe_load(profile.read_text()) or {}).get("default-resources", {})
        numeric = [f"{k}={v}" for k, v in defaults.items() if isinstance(v, int)]
        if numeric:
            cmd += ["--default-resources", *numeric]
    if args.configfile:
        cmd += ["--configfile", args.configfile]
    dry = subprocess.run(cmd, cwd=args.workdir, capture_output=True, text=True)
    if dry.returncode != 0:
        print(dry.stderr[-3000:], file=sys.stderr)
        return 1
    jobs = parse_dry_run(dry.stdout + dry.stderr)
    link(jobs)
    missing = sorted({j.rule for j in jobs if not j.local and job_seconds(args.workdir, j.outputs) is None})
    for j in jobs:
        j.seconds = job_seconds(args.workdir, j.outputs) or 0.0
    if missing:
        print(f"no recorded time (counted as 0 s + overhead) for rules: {', '.join(missing)}")

    rss = benchmark_rss(args.workdir, {j.rule for j in jobs})
    per_rule: dict[str, list[Job]] = defaultdict(list)
    for j in jobs:
        per_rule[j.rule].append(j)
    print(f"{'rule':<24}{'jobs':>5}{'threads':>8}{'mem_mb':>8}{'max_rss':>9}{'s/job max':>11}{'s total':>9}")
    for rule, js in sorted(per_rule.items(), key=lambda kv: -sum(j.seconds for j in kv[1])):
        r = rss.get(rule)
        print(f"{rule:<24}{len(js):>5}{max(j.threads for j in js):>8}{max(j.mem_mb for j in js):>8}"
              f"{(f'{r:.0f}' if r is not None else '-'):>9}{max(j.seconds for j in js):>11.1f}"
              f"{sum(j.seconds for j in js):>9.1f}")
    total = sum(j.seconds for j in jobs)
    n_slurm = sum(not j.local for j in jobs)
    serial = simulate(jobs, 1, 1, args.mem_per_node, 0.0)
    print(f"\n{len(jobs)} jobs ({n_slurm} SLURM jobs); sum of job wall times {total:.0f} s "
          f"(one core, no overhead: {serial:.0f} s)")
    print(f"nodes x {args.cores_per_node} cores, {args.mem_per_node} MB, +{args.overhead:.0f} s per SLURM job:")
    for n in args.nodes:
        t = simulate(jobs, n, args.cores_per_node, args.mem_per_node, args.overhead)
        print(f"  {n:>3} node(s): {t:8.0f} s  ({t / 60:.1f} min)")
    crit = simulate(jobs, len(jobs), 10**6, 10**9, args.overhead)
    print(f"  unlimited nodes (critical path): {crit:.0f} s: {' -> '.join(critical_path(jobs, args.overhead))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
