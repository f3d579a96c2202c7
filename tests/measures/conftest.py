"""Hand-sized toys for the measure formulas."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest


@pytest.fixture
def toy_firms() -> pd.DataFrame:
    """Five firms, three industries, two cities, one year (numbers chosen to hand-compute)."""
    return pd.DataFrame({
        "firm_id": [1, 2, 3, 4, 5],
        "year": [2000] * 5,
        "city": [110100, 120100, 110100, 110100, 120100],
        "industry2": [13, 13, 14, 14, 15],
        "industry4": [1310, 1310, 1410, 1410, 1510],
        "output": [100.0, 300.0, 200.0, 200.0, 50.0],
        "exports": [20.0, 0.0, 100.0, 0.0, 0.0],
        "employment": [10.0, 30.0, 20.0, 20.0, 20.0],
        "foreign_share": [0.5, 0.0, 1.0, 0.25, 0.0],
        "hmt_share": [0.5, 0.0, 0.0, 0.0, 0.0],
        "other_foreign_share": [0.0, 0.0, 1.0, 0.25, 0.0],
    })


@pytest.fixture
def toy_io() -> pd.DataFrame:
    """All 3x3 pairs; own-industry flows present so the tests show they are excluded."""
    alpha = {(13, 14): 0.4, (13, 15): 0.2, (13, 13): 0.3, (14, 13): 0.5}
    sigma = {(14, 13): 0.6, (13, 13): 0.2, (13, 15): 0.5, (14, 15): 0.1}
    rows = [{"industry2_supplier": s, "industry2_buyer": b, "alpha": alpha.get((s, b), 0.0),
             "sigma": sigma.get((s, b), 0.0)} for s, b in itertools.product([13, 14, 15], repeat=2)]
    return pd.DataFrame(rows)
