"""Module-scoped fixtures built once from tests/exhibits/builders.py."""

from __future__ import annotations

import pandas as pd
import pytest

from .builders import make_analysis, read_estimates


@pytest.fixture(scope="module")
def baseline_est() -> pd.DataFrame:
    return read_estimates("estimates_baseline.csv")


@pytest.fixture(scope="module")
def event_est() -> pd.DataFrame:
    return read_estimates("estimates_event.csv")


@pytest.fixture(scope="module")
def analysis() -> pd.DataFrame:
    return make_analysis()
