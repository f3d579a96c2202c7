"""Ownership from registration type and paid-in capital shares (docs/contracts.md).

Registration types 200-299 are Hong Kong, Macao and Taiwan (HMT), 300-399
foreign: a circulating script has them swapped; tests pin the right way round.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAPITAL = ["capital_state", "capital_collective", "capital_legal", "capital_individual",
           "capital_hmt", "capital_foreign"]


def capital_shares(data: pd.DataFrame) -> pd.DataFrame:
    """Shares of paid-in capital in [0, 1]: state, hmt, other foreign, foreign (= hmt + other).

    The denominator is paid-in capital, or the sum of its components where paid-in
    capital is missing or not positive; shares are 0 where both are 0.
    """
    parts = data[CAPITAL].astype(float).fillna(0.0).clip(lower=0.0)
    total = data["paid_in_capital"].astype(float)
    total = total.where(total > 0, parts.sum(axis=1))
    denom = total.where(total > 0)

    def share(col: str) -> pd.Series:
        return (parts[col] / denom).fillna(0.0).clip(0.0, 1.0)

    hmt, other = share("capital_hmt"), share("capital_foreign")
    return pd.DataFrame({"hmt_share": hmt, "other_foreign_share": other,
                         "foreign_share": (hmt + other).clip(0.0, 1.0),
                         "state_share": share("capital_state")}, index=data.index)


def classify(reg_type: pd.Series, shares: pd.DataFrame, threshold: float = 0.25,
             soe_state_share: float = 0.5) -> pd.Series:
    """soe / collective / private / hmt / foreign, first matching rule wins (HMT, foreign, SOE, collective)."""
    rt = reg_type.astype("Int64").fillna(-1).to_numpy()
    hmt_s, oth_s = shares["hmt_share"].to_numpy(), shares["other_foreign_share"].to_numpy()
    fs, st = shares["foreign_share"].to_numpy(), shares["state_share"].to_numpy()
    is_hmt = ((rt >= 200) & (rt <= 299)) | ((hmt_s >= threshold) & (hmt_s > oth_s))
    is_foreign = ~is_hmt & (((rt >= 300) & (rt <= 399)) | (fs >= threshold))
    rest = ~is_hmt & ~is_foreign
    is_soe = rest & ((rt == 110) | (np.isin(rt, [141, 151]) & (st >= soe_state_share)))
    is_coll = rest & ~is_soe & np.isin(rt, [120, 130, 142])
    out = np.select([is_hmt, is_foreign, is_soe, is_coll], ["hmt", "foreign", "soe", "collective"],
                    default="private")
    return pd.Series(out, index=reg_type.index, dtype="string")
