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
