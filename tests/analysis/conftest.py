"""Shared fixtures of the analysis tests: one seeded toy panel per session (built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import make_panel

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "config" / "specs.yaml"


@pytest.fixture(scope="session")
def toy():
    return make_panel(n_firms=500, seed=11)


@pytest.fixture(scope="session")
def toy_path(toy, tmp_path_factory):
    p = tmp_path_factory.mktemp("toy") / "analysis.parquet"
    toy.to_parquet(p)
    return p


@pytest.fixture(scope="session")
def registry_spec():
    from upgrading.core import registry

    return registry.load(SPECS)
