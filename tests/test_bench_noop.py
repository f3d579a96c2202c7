"""workflow/scripts/bench_noop.py: a start with nothing to do, timed; its docs section."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
sys.path.insert(0, str(SCRIPTS))
spec = importlib.util.spec_from_file_location("bench_noop", SCRIPTS / "bench_noop.py")
bench_noop = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_noop)


def test_run_once_measures_a_child_process():
    r = bench_noop.run_once([sys.executable, "-c", "sum(range(3_000_000))"])
    assert r["exit_code"] == 0
    assert r["wall_s"] > 0 and r["cpu_s"] > 0
    assert r["wall_s"] >= 0.5 * r["cpu_s"]  # one process: wall time is at least most of its CPU time
    assert 5 < r["peak_rss_mb"] < 2000


def test_markdown_reports_median_range_load_and_runs_under_target():
    rows = [{"run": i + 1, "wall_s": w, "cpu_s": c, "peak_rss_mb": 90.0, "load1_before": ld, "exit_code": 0}
            for i, (w, c, ld) in enumerate([(1.5, 1.4, 0.5), (2.5, 1.6, 3.0), (1.7, 1.5, 0.7)])]
    text = bench_noop.markdown(rows, ["snakemake", "--workflow-profile", "profiles/default"],
                               "2026-01-01 00:00 UTC", "x86_64, 2 cores, Linux")
    assert "| wall (s) | 1.70 | 1.50 | 2.50 |" in text
    assert "| CPU, user + system (s) | 1.50 | 1.40 | 1.60 |" in text
    assert "| load (1 min) before the run | 0.70 | 0.50 | 3.00 |" in text
    assert "2 of 3 runs took under 2 s" in text
    assert "`snakemake --workflow-profile profiles/default`" in text
