"""Registry samples as row masks: the one reading of a sample's conditions, shared by the
estimation (analysis.design) and the exhibits that describe an estimation sample."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample_mask(df: pd.DataFrame, conditions: list[dict], panel: dict, data_file: str) -> np.ndarray:
    """Rows meeting every condition; `balanced` keeps units seen in every year the others leave."""
    mask = np.ones(len(df), dtype=bool)
    for c in conditions:
        if "balanced" in c:
            continue
        col = df[c["column"]]
        if "equals" in c:
            ok = col == c["equals"]
        elif "not_equals" in c:
            ok = col != c["not_equals"]
        elif "in" in c:
            ok = col.isin(c["in"])
        elif "between" in c:
            lo, hi = c["between"]
            ok = (col >= lo) & (col <= hi)
        elif "at_least" in c:
            ok = col >= c["at_least"]
        else:
            ok = col <= c["at_most"]
        mask &= ok.fillna(False).to_numpy(dtype=bool)
    if any("balanced" in c for c in conditions):
        pid, t = panel["id"], panel["time"]
        kept = df.loc[mask, [pid, t]]
        n_years = kept[t].nunique()
        per_unit = kept.groupby(pid)[t].nunique()
        full = per_unit.index[per_unit == n_years]
        mask &= df[pid].isin(full).to_numpy()
    return mask
