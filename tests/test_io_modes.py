"""Outputs get the mode the umask allows (mkstemp alone would leave them 0600)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest

from upgrading.core import io


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)

    def set_(mask: int) -> None:
        os.umask(mask)

    yield set_
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writers_honour_the_umask(umask, mask, expected, tmp_path):
    umask(mask)
    df = pd.DataFrame({"a": [1, 2]})
    io.write_csv(df, tmp_path / "t.csv")
    io.write_parquet(df, tmp_path / "t.parquet")
    io.write_json({"a": 1}, tmp_path / "t.json")
    io.write_text("x\n", tmp_path / "sub" / "t.tex")
    for name in ("t.csv", "t.parquet", "t.json", "sub/t.tex"):
        assert _mode(tmp_path / name) == expected, name
    assert not [p for p in tmp_path.rglob(".*.tmp")]  # no temporary file left behind


@pytest.mark.parametrize(("mask", "expected"), [("022", 0o644), ("002", 0o664)])
def test_a_cli_output_is_group_readable_under_the_shell_umask(mask, expected, tmp_path):
    """A whole step run as a job would be: `umask NNN; upgrading manifest ...`."""
    (tmp_path / "in.txt").write_text("raw\n")
    out = tmp_path / "results" / "manifest.json"
    cmd = (f"umask {mask} && {sys.executable} -m upgrading manifest --inputs in.txt --outputs in.txt"
           f" --out {out}")
    subprocess.run(["bash", "-c", cmd], cwd=tmp_path, check=True, capture_output=True)
    assert _mode(out) == expected
