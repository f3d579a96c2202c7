"""workflow/scripts/bench_dag.py: per-job benchmarks -> summary.csv, critical path, docs section."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "bench_dag.py"
spec = importlib.util.spec_from_file_location("bench_dag", SCRIPT)
bench_dag = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_dag)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
T0 = 1_800_000_000.0


def _bench(jobs: Path, name: str, start: float, wall: float, rss: float, cpu: float) -> None:
    path = jobs / f"{name}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{wall}\t0:00:01\t{rss}\t0\t0\t0\t0\t0\t{100 * cpu / wall:.2f}\t{cpu}\n")
    os.utime(path, (T0 + start + wall, T0 + start + wall))  # a benchmark file is written as its job ends


def _fake_run(tmp_path: Path) -> tuple[Path, Path, dict]:
    run_dir = tmp_path / "results" / "benchmarks" / "full"
    jobs = run_dir / "jobs"
    # ingest -> estimate/a (long) and estimate/b (short) -> table/main; montecarlo draws beside
    _bench(jobs, "ingest", 0, 10, 800, 9)
    _bench(jobs, "estimate/a", 10, 40, 2500, 38)
    _bench(jobs, "estimate/b", 10, 5, 900, 5)
    _bench(jobs, "montecarlo/seed_7001", 0, 30, 500, 29)
    _bench(jobs, "montecarlo/aggregate", 30, 1, 100, 1)
    _bench(jobs, "table/main", 50, 2, 150, 2)
    trail = {"jobs": [
        {"rule": "ingest", "wildcards": {}, "inputs": ["raw.csv"], "outputs": ["ingested.parquet"]},
        {"rule": "estimate", "wildcards": {"family": "a"}, "inputs": ["ingested.parquet"], "outputs": ["a.parquet"]},
        {"rule": "estimate", "wildcards": {"family": "b"}, "inputs": ["ingested.parquet"], "outputs": ["b.parquet"]},
        {"rule": "montecarlo", "wildcards": {"seed": "7001"}, "inputs": [], "outputs": ["seed_7001.csv"]},
        {"rule": "montecarlo_aggregate", "wildcards": {}, "inputs": ["seed_7001.csv"], "outputs": ["cov.csv"]},
        {"rule": "table", "wildcards": {"table": "main"}, "inputs": ["a.parquet", "b.parquet", "cov.csv"],
         "outputs": ["main.tex"]},
    ]}
    trail_path = tmp_path / "results" / "trail.json"
    trail_path.write_text(json.dumps(trail))
    (run_dir / "load.tsv").write_text("time\tload1\tload5\tload15\n" + "".join(
        f"{T0 + t}\t{2.0 + t / 10}\t2\t2\n" for t in range(0, 55, 5)))
    info = {"scale": "full", "target": "", "command": "make bench SCALE=full", "snakemake": "snakemake --forceall",
            "machine": "x86_64, 2 cores, 24 GB, Linux", "start": T0, "end": T0 + 53, "exit_code": 0}
    return run_dir, trail_path, info


def test_summary_rules_critical_path_and_load(tmp_path):
    run_dir, trail_path, info = _fake_run(tmp_path)
    rows, totals = bench_dag.summarise(run_dir, trail_path, info)
    by_job = {r["job"]: r for r in rows}
    assert [r["job"] for r in rows][:2] == ["ingest", "montecarlo/seed_7001"]  # by start time
    assert by_job["montecarlo/aggregate"]["rule"] == "montecarlo_aggregate"
    assert by_job["montecarlo/seed_7001"]["rule"] == "montecarlo"
    assert by_job["estimate/a"]["wall_s"] == 40.0 and by_job["estimate/a"]["max_rss_mb"] == 2500.0
    assert totals["critical_path"] == ["ingest", "estimate/a", "table/main"]
    assert totals["critical_wall_s"] == 52.0
    assert totals["jobs"] == 6 and totals["wall_s"] == 53.0 and totals["cpu_s"] == 84.0
    assert totals["max_rss_mb"] == 2500.0 and totals["peak_job"] == "estimate/a"
    # ingest ran from T0 to T0+10: load samples at 0, 5, 10 -> 2.0, 2.5, 3.0
    assert abs(by_job["ingest"]["machine_load1"] - 2.5) < 1e-12
    assert totals["load_min"] == 2.0 and totals["load_max"] == 7.0

    out = tmp_path / "summary.csv"
    bench_dag.write_csv(rows, out)
    with out.open() as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 6 and table[0]["job"] == "ingest" and table[0]["critical_path"] == "True"
    assert float(table[0]["cpu_s"]) == 9.0

    text = bench_dag.markdown(rows, totals, info)
    assert "`make bench SCALE=full`" in text and "**53 s**" in text
    assert "ingest → estimate/a → table/main" in text

    assert "| estimate/a | 08:00:10 | 40.0 | 38.0 | 2500 | 95 | 5.0 | yes |" in text


def test_critical_path_is_the_longest_chain_not_the_last_to_finish():
    """A low-priority draw that waited and finished last is not the critical path: the chain
    with the largest sum of job wall times is."""
    rows = [{"job": "synthesize", "wall_s": 100.0, "end": 100.0}, {"job": "estimate", "wall_s": 200.0, "end": 300.0},
            {"job": "draw", "wall_s": 5.0, "end": 390.0}, {"job": "paper", "wall_s": 10.0, "end": 400.0}]
    deps = {"estimate": ["synthesize"], "paper": ["estimate", "draw"], "draw": []}
    assert bench_dag.critical_path(rows, deps) == ["synthesize", "estimate", "paper"]
    assert bench_dag.critical_path([], {}) == []


def test_monte_carlo_world_jobs_are_read_and_linked(tmp_path):
    run_dir, trail_path, info = _fake_run(tmp_path)
    world_jobs = tmp_path / "worlds" / "mc7001" / "results" / "benchmarks" / "full" / "jobs"
    _bench(world_jobs, "synthesize", 0, 4, 300, 4)
    _bench(world_jobs, "estimate/validation", 4, 6, 400, 6)
    trail = json.loads(trail_path.read_text())
    world = {"world": "worlds/mc7001/"}
    trail["jobs"] += [
        {"rule": "synthesize", "wildcards": world, "inputs": [], "outputs": ["w/raw.csv"]},
        {"rule": "estimate", "wildcards": {**world, "family": "validation"}, "inputs": ["w/raw.csv"],
         "outputs": ["w/validation.parquet"]},
    ]
    trail["jobs"][3]["inputs"] = ["w/validation.parquet"]  # the draw waits for its world's estimates
    trail_path.write_text(json.dumps(trail))
    rows, totals = bench_dag.summarise(run_dir, trail_path, info)
    by_job = {r["job"]: r for r in rows}
    assert by_job["worlds/mc7001/synthesize"]["rule"] == "synthesize"
    assert by_job["worlds/mc7001/estimate/validation"]["rule"] == "estimate"
    assert totals["jobs"] == 8 and totals["cpu_s"] == 94.0
    deps = bench_dag.attach_rules(rows, trail)
    assert deps["montecarlo/seed_7001"] == ["worlds/mc7001/estimate/validation"]
    assert deps["worlds/mc7001/estimate/validation"] == ["worlds/mc7001/synthesize"]


def test_the_target_is_never_read_as_a_config_item():
    for force in (True, False):
        cmd = bench_dag.snakemake_command("full", "results/x.csv", ["--cores", "2"], ["seed=7"], force)
        config = cmd.index("--config")
        assert cmd[config + 1:] == ["scale=full", "seed=7"]  # nothing but key=value after --config
        assert "results/x.csv" in cmd[:config] and "--cores" in cmd[:config]


def test_files_of_an_older_run_are_left_out(tmp_path):
    run_dir, trail_path, info = _fake_run(tmp_path)
    _bench(run_dir / "jobs", "old", -1000, 5, 100, 5)
    rows, _ = bench_dag.summarise(run_dir, trail_path, info)
    assert "old" not in {r["job"] for r in rows}


def test_sections_replace_only_their_own(tmp_path):
    doc = tmp_path / "benchmarks.md"
    bench_dag.write_section(doc, "estimate", "## Estimation\n\nfirst")
    bench_dag.write_section(doc, "dag-full", "## DAG\n\nsecond")
    bench_dag.write_section(doc, "estimate", "## Estimation\n\nthird")
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n")
    assert "third" in text and "first" not in text and "second" in text
    assert text.index("third") < text.index("second")  # a replaced section keeps its place
    assert text.count("<!-- begin generated: estimate -->") == 1


def test_no_benchmarks_is_an_error(tmp_path):
    import pytest

    run_dir = tmp_path / "results" / "benchmarks" / "small"
    (run_dir / "jobs").mkdir(parents=True)
    with pytest.raises(SystemExit, match="no benchmark files"):
        bench_dag.summarise(run_dir, tmp_path / "trail.json", {"scale": "small", "start": 0.0})


def test_chains_pass_through_jobs_without_benchmark():
    """A run: rule (no benchmark file) between two jobs keeps their edge: synthesize and
    estimand_feedback -> truth_parameters (no file) -> validate."""
    rows = [{"job": j} for j in ("synthesize", "estimand_feedback", "validate")]
    trail = {"jobs": [
        {"rule": "synthesize", "wildcards": {}, "inputs": [], "outputs": ["own.json"]},
        {"rule": "estimand_feedback", "wildcards": {}, "inputs": [], "outputs": ["feedback.json"]},
        {"rule": "truth_parameters", "wildcards": {}, "inputs": ["own.json", "feedback.json"],
         "outputs": ["parameters.json"]},
        {"rule": "validate", "wildcards": {}, "inputs": ["parameters.json"], "outputs": ["v.csv"]},
    ]}
    deps = bench_dag.attach_rules(rows, trail)
    assert deps["validate"] == ["estimand_feedback", "synthesize"]
    assert set(deps) == {"synthesize", "estimand_feedback", "validate"}


def test_jobs_are_sampled_every_half_second_for_their_whole_run(tmp_path):
    """bench_dag runs Snakemake through snakemake_sampled.py, whose benchmarks sample a job every
    0.5 s throughout: a job that burns CPU for 17 s (past Snakemake's 15 s of fine sampling) is
    written with nearly all of that CPU time, not with what it had used by 15 s."""
    import subprocess
    import sys

    sampled = SCRIPT.with_name("snakemake_sampled.py")
    cmd = bench_dag.snakemake_command("small", None, [], [])
    assert cmd[:2] == [sys.executable, str(sampled.relative_to(SCRIPT.parents[2]))]
    (tmp_path / "Snakefile").write_text(
        'rule spin:\n    output: "done"\n    benchmark: "bench.tsv"\n'
        f'    shell: "{sys.executable} -c \'import time\\nt = time.process_time()\\n'
        'while time.process_time() - t < 17: pass\' && touch {output}"\n')
    subprocess.run([sys.executable, str(sampled), "--cores", "1", "--quiet", "all"], cwd=tmp_path, check=True,
                   capture_output=True)
    with (tmp_path / "bench.tsv").open() as fh:
        rec = list(csv.DictReader(fh, delimiter="\t"))[-1]
    assert float(rec["s"]) >= 17.0
    assert float(rec["cpu_time"]) >= 16.0, rec  # Snakemake alone: about 15


def test_sampling_patch_refuses_a_snakemake_it_does_not_know(monkeypatch):
    import contextlib

    from snakemake import benchmark

    spec = importlib.util.spec_from_file_location("snakemake_sampled", SCRIPT.with_name("snakemake_sampled.py"))
    sampled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sampled)

    @contextlib.contextmanager
    def other(pid=None, interval=30):
        yield None

    monkeypatch.setattr(benchmark, "benchmarked", other)
    with pytest.raises(RuntimeError, match="samples jobs differently"):
        sampled.sample_every(0.5)
