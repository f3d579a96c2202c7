"""make bench-estimate's script: refuses clearly without the bench folder, and reads R fixest's
figures from the bench README (skipped when ../shared is absent)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "workflow" / "scripts" / "bench_estimate.py"
BENCH = REPO.parent / "shared" / "bench"


def test_fails_clearly_without_the_bench_folder(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--bench-dir", str(tmp_path / "absent")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "gen_panel.py not found" in r.stderr and "--bench-dir" in r.stderr


@pytest.mark.skipif(not (BENCH / "README.md").is_file(), reason="../shared/bench absent")
def test_reads_fixest_figures_from_the_bench_readme():
    spec = importlib.util.spec_from_file_location("bench_estimate", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref = mod.fixest_reference(BENCH / "README.md")
    for label, _ in mod.FIXEST_ROWS.values():
        assert sum(k.startswith(label) for k in ref) == 1, label
    assert mod.PEAK_ROW in ref and ref[mod.PEAK_ROW] > 0


def test_in_memory_table_and_four_outcome_ratio():
    """The in-memory section: medians over calls after the first, the first call apart, the
    four-outcome ratio from those medians and R fixest's in-memory figures beside them."""
    spec = importlib.util.spec_from_file_location("bench_estimate", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    job = {"wall_s": 2.0, "user_s": 1.0, "sys_s": 0.5, "cpu_s": 1.5, "peak_rss_mb": 1024.0, "fit_s": 1.0,
           "fit_cpu_s": 1.0, "models": 1, "load1_before": 0.5, "load1_after": 0.7, "load5_after": 0.6, "engines": "x"}
    rows = [{**job, "family": f, "repeat": 1} for f in ("s1", "s4")]

    def call(family, n, wall):
        return {"family": family, "call": n, "wall_s": wall, "cpu_s": wall, "fit_s": wall / 2, "fit_cpu_s": wall / 2,
                "models": 1 if family == "s1" else 4, "load1_before": 0.5, "load1_after": 0.6}

    calls = [call("s1", 1, 9.0), call("s1", 2, 0.5), call("s1", 3, 0.7), call("s1", 4, 0.6),
             call("s4", 1, 9.0), call("s4", 2, 0.72), call("s4", 3, 0.9), call("s4", 4, 0.6)]
    ref = {"firm + year, in memory": 0.73, "4 outcomes, firm + year, in memory": 2.65}
    text = mod.markdown(rows, calls, ref, 3, Path("bench"))
    table = text.split("### In memory", 1)[1]
    assert "| s1 | 1 | 0.60 | 0.60 | 0.30 | 0.30 | 9.00 | 0.73 | 0.82 |" in table
    assert "| s4 | 4 | 0.72 | 0.72 | 0.36 | 0.36 | 9.00 | 2.65 | 0.27 |" in table
    assert "in memory: 1.20x the wall time of the call" in table
