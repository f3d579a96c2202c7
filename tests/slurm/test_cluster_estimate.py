"""The cluster-time estimator (tools/cluster_estimate.py) on hand-computed DAGs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from cluster_estimate import Job, link, parse_dry_run, simulate  # noqa: E402

DRY_RUN = """
Building DAG of jobs...
[Tue Nov 24 21:14:09 2026]
rule draw:
    output: mc/2.txt
    jobid: 3
    reason: Forced execution
    wildcards: seed=2
    resources: tmpdir=/tmp, runtime=5, mem_mb=500, mem=500 MB, mem_mib=477

[Tue Nov 24 21:14:09 2026]
rule aggregate:
    input: mc/1.txt, mc/2.txt
    output: mc/summary.txt, mc/summary.csv
    jobid: 1
    threads: 4
    resources: tmpdir=/tmp, mem_mb=2000, mem=2 GB

[Tue Nov 24 21:14:09 2026]
localrule all:
    input: mc/summary.txt
    jobid: 0
    resources: tmpdir=/tmp
"""


def test_parse_dry_run_reads_rules_files_threads_and_memory():
    jobs = {j.jobid: j for j in parse_dry_run(DRY_RUN)}
    assert sorted(jobs) == [0, 1, 3]
    assert (jobs[3].rule, jobs[3].outputs, jobs[3].threads, jobs[3].mem_mb) == ("draw", ["mc/2.txt"], 1, 500)
    assert jobs[1].inputs == ["mc/1.txt", "mc/2.txt"] and jobs[1].threads == 4 and jobs[1].mem_mb == 2000
    assert jobs[0].local and jobs[0].rule == "all"
    link(list(jobs.values()))
    assert jobs[1].deps == {3} and jobs[0].deps == {1}


def _fan_in(n_seeds: int, seconds: float, threads: int = 1) -> list[Job]:
    jobs = [Job(jobid=i, rule="mc", local=False, outputs=[f"s{i}"], threads=threads, mem_mb=100, seconds=seconds)
            for i in range(1, n_seeds + 1)]
    jobs.append(Job(jobid=100, rule="agg", local=False, inputs=[f"s{i}" for i in range(1, n_seeds + 1)],
                    outputs=["agg"], mem_mb=100, seconds=5.0))
    link(jobs)
    return jobs


def test_simulate_matches_hand_computed_makespans():
    jobs = _fan_in(8, 60.0)
    # 8 x (60 + 10) on one node of 2 cores = 4 rounds of 70 s, then aggregation 5 + 10.
    assert simulate(jobs, nodes=1, cores=2, mem=10_000, overhead=10.0) == 4 * 70 + 15
    # 4 nodes x 2 cores run all 8 seeds at once.
    assert simulate(jobs, nodes=4, cores=2, mem=10_000, overhead=10.0) == 70 + 15
    # Memory binds before cores: 250 MB per node fits 2 of the 100 MB jobs.
    assert simulate(jobs, nodes=1, cores=32, mem=250, overhead=0.0) == 4 * 60 + 5
    # A job asking for more threads than a node has is capped at the node (it would be rejected).
    assert simulate(_fan_in(2, 10.0, threads=64), nodes=1, cores=4, mem=10_000, overhead=0.0) == 2 * 10 + 5


def test_simulate_runs_the_longest_path_first():
    # One long chain (a -> b) and short independent jobs on one core: the chain starts first.
    jobs = [
        Job(jobid=1, rule="a", local=False, outputs=["a"], seconds=10.0),
        Job(jobid=2, rule="b", local=False, inputs=["a"], outputs=["b"], seconds=10.0),
        Job(jobid=3, rule="c", local=False, outputs=["c"], seconds=1.0),
        Job(jobid=4, rule="d", local=False, outputs=["d"], seconds=1.0),
    ]
    link(jobs)
    assert simulate(jobs, nodes=2, cores=1, mem=1000, overhead=0.0) == 20.0
