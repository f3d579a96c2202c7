"""`make clean` removes generated files and keeps tracked ones (and the raw data)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dag_support import REPO

TRACKED = ["Makefile", "workflow/scripts/clean.sh", "data/raw/README.md",
           "data/processed/README.md", "results/README.md"]
GENERATED = ["data/processed/panel.parquet", "results/tables/baseline.tex", "results/numbers.tex",
             "results/montecarlo/draws/seed_1.csv", "worlds/mc1/data/raw/asif_1998.csv", "logs/ingest.log", ".snakemake/log/x.log",
             "paper/paper.pdf", "paper/build/paper.aux"]
KEPT = ["data/raw/asif_1998.csv"]  # licensed data may live here


def _tree(root: Path) -> None:
    for rel in TRACKED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, root / rel)
    for rel in GENERATED + KEPT:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("generated\n")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root,
                   check=True, capture_output=True)


@pytest.mark.parametrize("with_git", [True, False])
def test_make_clean_keeps_tracked_files(tmp_path, with_git):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    _tree(tmp_path)
    if with_git:
        _git(tmp_path, "init", "-q")
        _git(tmp_path, "add", "-f", *TRACKED)
        _git(tmp_path, "commit", "-qm", "tree")
    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)
    for rel in TRACKED + KEPT:
        assert (tmp_path / rel).is_file(), rel
    for rel in GENERATED:
        assert not (tmp_path / rel).exists(), rel
    assert not (tmp_path / "results" / "tables").exists()
