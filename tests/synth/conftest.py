"""A small synthetic world, generated once per test session (about 3-10 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from upgrading.synth.cli import load_synth_params
from upgrading.synth.generate import generate

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "config.yaml"
HEADERS = REPO / "config" / "asif_headers.yaml"
SEED = 7
YEARS = list(range(1998, 2008))


def make_world(out: Path, seed: int = SEED) -> Path:
    """The plain csv layout: these tests read the raw values directly (the other layouts
    are tested through ingest in tests/asif/test_layouts.py)."""
    generate(out, {**load_synth_params(str(CONFIG), None), "layout": "plain"}, "small", seed, YEARS, HEADERS)
    return out


@pytest.fixture(scope="session")
def params() -> dict:
    return load_synth_params(str(CONFIG), None)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    return make_world(tmp_path_factory.mktemp("synth") / "raw")


@pytest.fixture(scope="session")
def truth(world) -> pd.DataFrame:
    return pd.read_parquet(world / "truth" / "firms.parquet")


@pytest.fixture(scope="session")
def mess_counts(world) -> dict:
    return json.loads((world / "truth" / "mess.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def raw(world, params) -> pd.DataFrame:
    """All raw lines with canonical column names (decoded per the file's encoding)."""
    from upgrading.synth.writer import load_spellings

    index = {s: name for name, spellings in load_spellings(HEADERS).items() for s in spellings}
    frames = []
    for y in YEARS:
        enc = {"gbk": "gbk", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[params["encodings"][y]]
        df = pd.read_csv(world / f"asif_{y}.csv", encoding=enc, dtype=str, keep_default_na=False)
        df = df.rename(columns=index)
        df.insert(0, "source_file", f"asif_{y}")
        df.insert(1, "source_row", range(1, len(df) + 1))
        df.insert(2, "year", y)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def money(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", None), errors="raise").astype(float)
