"""Folders with spaces and non-ASCII characters: every path a rule passes to its command is
quoted, so the data chain runs with raw, processed and results folders such as `my raw`."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from dag_support import copy_repository, run_snakemake

pytestmark = pytest.mark.integration


def test_data_chain_runs_in_folders_with_spaces_and_non_ascii(tmp_path):
    work = copy_repository(tmp_path / "repo")
    base = tmp_path / "licensed data (ASIF)"
    raw, proc, res = base / "my raw", base / "处理 后", base / "résultats finaux"
    old_mask = os.umask(0o002)  # a group-shared cluster folder: every output must be group-writable
    try:
        result = run_snakemake(
            work, "--cores", "2", "--config", f"raw_dir={raw}", f"processed_dir={proc}",
            f"results_dir={res}", "scale=small", "seed=5", "--",
            str(proc / "panel.parquet"), str(res / "audit" / "cleaning.csv"), timeout=1200)
    finally:
        os.umask(old_mask)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in (work / "logs").glob("*.log"))
    assert result.returncode == 0, result.stderr[-4000:] + logs
    assert (raw / "asif_1998.csv").is_file() and (raw / "SHA256SUMS").is_file()
    panel = pd.read_parquet(proc / "panel.parquet")
    assert len(panel) > 1000 and panel["firm_id"].notna().all()
    audit = pd.read_csv(res / "audit" / "cleaning.csv")
    assert int(audit["rows_left"].iloc[-1]) == len(panel)
    # Nothing landed in the default folders: the configured paths reached every command intact.
    assert not (work / "data" / "processed" / "panel.parquet").exists()
    assert not list((work / "results").glob("audit/*"))
    modes = {p.relative_to(base).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in base.rglob("*") if p.is_file()}
    assert len(modes) > 20 and all(m == 0o664 for m in modes.values()), \
        {k: oct(m) for k, m in modes.items() if m != 0o664}
