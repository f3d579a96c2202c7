"""workflow/scripts/run_times.py sums Snakemake's per-job benchmarks by rule."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "run_times.py"
spec = importlib.util.spec_from_file_location("run_times", SCRIPT)
run_times = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_times)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(path: Path, wall: float, rss: float, cpu: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{wall}\t0:00:01\t{rss}\t0\t0\t0\t0\t0\t0\t{cpu}\n")


def test_sums_jobs_by_rule(tmp_path):
    _bench(tmp_path / "ingest.tsv", 8.0, 256.0, 3.0)
    _bench(tmp_path / "estimate" / "baseline.tsv", 20.0, 500.0, 5.0)
    _bench(tmp_path / "estimate" / "upgrading.tsv", 30.0, 400.0, 6.0)
    df = run_times.summary(tmp_path)
    assert df.loc["estimate", "jobs"] == 2 and df.loc["estimate", "wall_s"] == 50.0
    assert df.loc["estimate", "max_job_wall_s"] == 30.0 and df.loc["estimate", "max_rss_mb"] == 500.0
    assert df.loc["all jobs (sum)", "wall_s"] == 58.0 and df.loc["all jobs (sum)", "jobs"] == 3
    assert "| estimate | 2 | 50 | 30 | 11 | 500 |" in run_times.to_markdown(df)


def test_no_benchmarks_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match="no benchmark files"):
        run_times.summary(tmp_path)
