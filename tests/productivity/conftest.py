"""Fixtures of the productivity tests (the simulated world: builders.make_world)."""

import pandas as pd
import pytest

from .builders import make_world


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return make_world(2000, 8, seed=7)
