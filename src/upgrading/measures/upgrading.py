"""Upgrading outcomes and firm traits built from the panel and TFP.

Ratios are NaN where the denominator is missing or not positive; values outside
[0, 1] (reporting slips that cleaning kept) are left as they are and counted by
the CLI, so nothing is changed silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return num.astype(float) / den.where(den > 0)


def outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """new_product_share = new_product / output; export_intensity = exports / sales;
    va_ratio = value_added / output (position on the smile curve)."""
    return pd.DataFrame({
        "new_product_share": ratio(panel["new_product"], panel["output"]),
        "export_intensity": ratio(panel["exports"], panel["sales"]),
        "va_ratio": ratio(panel["value_added"], panel["output"]),
    }, index=panel.index)


def growth(firms: pd.DataFrame, column: str) -> pd.Series:
    """column_t - column_{t-1} for the same firm in consecutive years (NaN otherwise)."""
    prev = firms[["firm_id", "year", column]].copy()
    prev["year"] = prev["year"] + 1
    merged = firms[["firm_id", "year"]].merge(prev, on=["firm_id", "year"], how="left",
                                              validate="one_to_one")
    return pd.Series(firms[column].to_numpy(dtype=float) - merged[column].to_numpy(dtype=float),
                     index=firms.index, name=f"{column}_growth")


def frontier_gap(firms: pd.DataFrame, tfp: str, quantile: float) -> pd.Series:
    """Absorptive capacity: the firm's initial distance to its industry's TFP frontier.

    Frontier = the `quantile` of tfp in the firm's 2-digit industry and year; the gap
    (frontier - tfp) is taken in the firm's first year with a TFP value and held fixed.
    Larger = further behind the frontier (more room to absorb, less capacity so far).
    """
    ok = firms.loc[np.isfinite(firms[tfp].to_numpy(dtype=float)), ["firm_id", "year", "industry2", tfp]]
    frontier = ok.groupby(["industry2", "year"])[tfp].quantile(quantile).rename("frontier")
    ok = ok.join(frontier, on=["industry2", "year"])
    first = (ok.assign(gap=ok["frontier"] - ok[tfp]).sort_values(["firm_id", "year"])
             .drop_duplicates("firm_id"))
    return firms["firm_id"].map(first.set_index("firm_id")["gap"]).rename("absorptive_capacity")
