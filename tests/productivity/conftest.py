"""Fixtures of the productivity tests (the simulated world lives in sim.py)."""

import pandas as pd
import pytest

from .sim import simulate


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return simulate(2000, 8, seed=7)
