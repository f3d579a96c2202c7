"""Spillover measures used as controls in productivity's law of motion.

Computed here from the presence table with the same function the measures stage uses
(upgrading.core.spillovers.firm_year_measures), so productivity depends on the clean
stage's outputs (and the IO table when a vertical measure is asked for) and the DAG has
no cycle.
"""

from __future__ import annotations

import pandas as pd

from upgrading.core import spillovers

INDUSTRY_YEAR = spillovers.NATIONAL
LOCAL = ("horizontal_local",)
ALLOWED = INDUSTRY_YEAR + LOCAL
NEEDS_IO = ("backward", "forward")


def attach(panel: pd.DataFrame, presence: pd.DataFrame, names: tuple[str, ...],
           io: pd.DataFrame | None) -> pd.DataFrame:
    """The panel with one column per requested measure (value of the firm's cell in year t),
    computed over the presence population (`presence`, which holds every panel firm-year)."""
    io = io if any(n in NEEDS_IO for n in names) else None
    values = spillovers.firm_year_measures(presence, io)[["firm_id", "year", *names]]
    keys = {"firm_id": "int64", "year": "int64"}
    out = panel.astype(keys).merge(values.astype(keys), on=["firm_id", "year"], how="left",
                                   validate="one_to_one")
    return out.astype({k: panel[k].dtype for k in keys})
