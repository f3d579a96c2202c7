"""Helpers for tests that run Snakemake on the repository or on a copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# The Snakemake that `make reproduce` runs (its own environment, built by `make env`).
SNAKEMAKE = REPO / ".venv-snakemake" / "bin" / "snakemake"

# Folders that a copy of the repository for a DAG run must not carry over.
_NOT_COPIED = {".venv", ".venv-snakemake", ".tools", ".git", ".snakemake", "logs", ".pytest_cache", ".hypothesis",
               "__pycache__"}


def copy_repository(dest: Path) -> Path:
    """Copy the source tree (no environment, no generated data) to `dest` for a clean DAG run."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).resolve().relative_to(REPO)
        skip = {n for n in names if n in _NOT_COPIED}
        if rel.parts[:1] in {("data",), ("results",)} and len(rel.parts) >= 1:
            skip |= {n for n in names if n != "README.md" and not (Path(folder) / n).is_dir()}
        if rel == Path("paper"):
            skip |= {n for n in names if not n.endswith((".tex", ".bib", ".cls", ".sty", ".bst"))
                     and not (Path(folder) / n).is_dir() and n != "latexmkrc"}
        return skip

    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


def run_snakemake(workdir: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    return subprocess.run([str(SNAKEMAKE), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=timeout)
