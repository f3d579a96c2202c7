"""The presence population: the firm-years whose output and ownership count in the spillover
measures (horizontal, backward, forward, same-city), whether or not they are in the cleaned panel.

A firm's neighbours are every firm the survey shows in its industry and city, not only those
that pass the panel's filters: a firm dropped for fewer than 8 employees or a missing capital
stock still produced, and its output still counts in its neighbours' foreign shares. The clean
stage writes this table (PROC/presence.parquet): the panel's firm-years plus the rows dropped by
the rules of `cleaning.presence_counts` whose output is usable (positive, not an outlier by the
panel's own rule) and whose industry and city are known. The measures stage, and productivity's
law-of-motion controls, compute every presence measure over it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.errors import InputError

COLUMNS = ["firm_id", "year", "source_file", "source_row", "city", "industry2", "output", "exports",
           "foreign_share", "hmt_share", "other_foreign_share", "in_panel", "cleaning_rule"]
SHARES = ["foreign_share", "hmt_share", "other_foreign_share"]
# A row's own values: every column but the two that say whether and why it left the panel.
VALUE_COLUMNS = COLUMNS[:-2]
# The columns the measures read: any firm-year panel that has them can serve as its own presence table.
MEASURE_INPUTS = ["firm_id", "year", "city", "industry2", "output", "exports", *SHARES]


def check(presence: pd.DataFrame, path: str) -> None:
    """The presence table's contract: the columns the measures read, one row per firm-year, output
    not negative (a firm without output weighs nothing), shares in [0, 1]; row numbers are 0-based
    rows of the file."""
    for col in MEASURE_INPUTS:
        if col not in presence.columns:
            raise InputError("required column is missing", file=path, column=col)
    for col in ("firm_id", "year", "city", "industry2"):
        bad = np.flatnonzero(presence[col].isna().to_numpy())
        if len(bad):
            raise InputError("missing values (0-based rows)", file=path, column=col, rows=bad.tolist())
    out = presence["output"].to_numpy(dtype=float)
    bad = np.flatnonzero(~(out >= 0))
    if len(bad):
        raise InputError("output must be present and not negative (0-based rows)", file=path,
                         column="output", rows=bad.tolist())
    check_shares_and_firm_years(presence, path, "0-based rows")


def check_shares_and_firm_years(frame: pd.DataFrame, path: str, rows_label: str) -> None:
    """The ownership shares in [0, 1] and one row per firm-year: the checks the presence table and
    the measures stage's panel share (`rows_label` says how the rows are numbered)."""
    for col in SHARES:
        v = frame[col].to_numpy(dtype=float)
        bad = np.flatnonzero(~((v >= 0) & (v <= 1)))
        if len(bad):
            raise InputError(f"share must be in [0, 1] ({rows_label})", file=path, column=col,
                             rows=bad.tolist())
    dup = np.flatnonzero(frame.duplicated(["firm_id", "year"], keep=False).to_numpy())
    if len(dup):
        raise InputError("duplicate firm_id-year rows", file=path, column="firm_id", rows=dup.tolist())


def check_covers(panel: pd.DataFrame, presence: pd.DataFrame, panel_path: str, presence_path: str,
                 keys: tuple[str, ...] = ("firm_id", "year", "city", "industry2")) -> None:
    """Every firm-year of the panel is in the presence table, with the same `keys` (by default in
    the same city and industry: its own output counts in its neighbours' measures, and its
    measures are read from there)."""
    cols = list(keys)
    try:
        mine = panel[cols].astype("int64")
        theirs = presence[cols].astype("int64")
    except (TypeError, ValueError) as err:
        raise InputError(f"{', '.join(cols)} must be integers ({err})",
                         file=presence_path) from err
    found = pd.MultiIndex.from_frame(mine).isin(pd.MultiIndex.from_frame(theirs))
    lost = np.flatnonzero(~found)
    if len(lost):
        raise InputError(f"panel firm-years absent from the presence table {presence_path}, or there "
                         f"with another {' or '.join(cols[2:]) or 'key'} (0-based panel rows)", file=panel_path,
                         column="firm_id", rows=lost.tolist())


def from_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The presence rows of the panel's own firm-years (in_panel true, no cleaning rule)."""
    out = panel[VALUE_COLUMNS].copy()
    out["in_panel"] = True
    out["cleaning_rule"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out
