"""Spillover measures used as controls in productivity's law of motion.

Computed here from the panel with the same functions the measures stage uses
(upgrading.core.spillovers), so productivity depends on panel.parquet (and the
IO table when a vertical measure is asked for) and the DAG has no cycle.
"""

from __future__ import annotations

import pandas as pd

from upgrading.core import spillovers

INDUSTRY_YEAR = spillovers.NATIONAL
LOCAL = ("horizontal_local",)
ALLOWED = INDUSTRY_YEAR + LOCAL
NEEDS_IO = ("backward", "forward")


def attach(panel: pd.DataFrame, names: tuple[str, ...], io: pd.DataFrame | None) -> pd.DataFrame:
    """The panel with one column per requested measure (value of the firm's cell in year t)."""
    out = panel
    iy = [n for n in names if n in INDUSTRY_YEAR]
    if iy:
        if any(n in NEEDS_IO for n in iy):
            table = spillovers.industry_year_measures(panel, io)
        else:
            table = spillovers.horizontal(panel, ["industry2", "year"]).reset_index()
        out = out.merge(table[["industry2", "year", *iy]], on=["industry2", "year"], how="left",
                        validate="many_to_one")
        own = [n for n in iy if n in spillovers.SHARE_COLUMNS]
        if own:  # firm-level horizontal: the firm's own output left out, as in the measures stage
            out = spillovers.with_own_excluded_horizontal(out, own)
    if "horizontal_local" in names:
        out = out.copy()
        out["horizontal_local"] = spillovers.local_horizontal(out).to_numpy()  # leave-one-out
    return out
