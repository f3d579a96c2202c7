"""The presence population: the firm-years whose output and ownership count in the spillover
measures (horizontal, backward, forward, local), whether or not they enter the estimation sample.

A firm's neighbours are every firm the survey shows in its industry and city, not only those
that pass the estimation sample's filters: a firm dropped for fewer than 8 employees or a
missing capital stock still produced, and its output still counts in its neighbours' foreign
shares. The clean stage writes this table (PROC/presence.parquet): the panel's firm-years plus
the rows dropped by the rules of `cleaning.presence_counts`, where their output, industry and
city are usable. The measures and productivity stages compute every presence measure over it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.errors import InputError

COLUMNS = ["firm_id", "year", "source_file", "source_row", "city", "industry2", "output", "exports",
           "foreign_share", "hmt_share", "other_foreign_share", "in_panel", "cleaning_rule"]
SHARES = ["foreign_share", "hmt_share", "other_foreign_share"]


def check(presence: pd.DataFrame, path: str) -> None:
    """The presence table's contract: its columns, one row per firm-year, output positive,
    shares in [0, 1]; row numbers are 0-based rows of the file."""
    for col in COLUMNS:
        if col not in presence.columns:
            raise InputError("required column is missing", file=path, column=col)
    for col in ("firm_id", "year", "city", "industry2"):
        bad = np.flatnonzero(presence[col].isna().to_numpy())
        if len(bad):
            raise InputError("missing values (0-based rows)", file=path, column=col, rows=bad.tolist())
    out = presence["output"].to_numpy(dtype=float)
    bad = np.flatnonzero(~(out > 0))
    if len(bad):
        raise InputError("output must be positive (0-based rows)", file=path, column="output",
                         rows=bad.tolist())
    for col in SHARES:
        v = presence[col].to_numpy(dtype=float)
        bad = np.flatnonzero(~((v >= 0) & (v <= 1)))
        if len(bad):
            raise InputError("share must be in [0, 1] (0-based rows)", file=path, column=col,
                             rows=bad.tolist())
    dup = np.flatnonzero(presence.duplicated(["firm_id", "year"], keep=False).to_numpy())
    if len(dup):
        raise InputError("duplicate firm_id-year rows", file=path, column="firm_id", rows=dup.tolist())


def check_covers(panel: pd.DataFrame, presence: pd.DataFrame, panel_path: str, presence_path: str) -> None:
    """Every firm-year of the panel is in the presence table (its own output counts in its
    neighbours' measures, and its measures are read from there)."""
    keys = pd.MultiIndex.from_frame(presence[["firm_id", "year"]].astype("int64"))
    have = pd.MultiIndex.from_frame(panel[["firm_id", "year"]].astype("int64")).isin(keys)
    lost = np.flatnonzero(~have)
    if len(lost):
        raise InputError(f"panel firm-years absent from the presence table {presence_path} "
                         "(0-based panel rows)", file=panel_path, column="firm_id", rows=lost.tolist())


def from_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The presence rows of the panel's own firm-years (in_panel true, no cleaning rule)."""
    out = panel[COLUMNS[:-2]].copy()
    out["in_panel"] = True
    out["cleaning_rule"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out
