"""Javorcik (2004) spillover measures: Horizontal, Backward, Forward.

The one implementation of these formulas. The cleaned-data pipeline applies it
to the observed panel and the synthetic DGP to its true values, so that the
truth's spillover coefficients are estimands of the same regressors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHARE_COLUMNS = {
    "horizontal": "foreign_share",
    "horizontal_hmt": "hmt_share",
    "horizontal_other": "other_foreign_share",
}


def weighted_share(firms: pd.DataFrame, keys: list[str], share: str, weight: str) -> pd.Series:
    """sum(share * weight) / sum(weight) within each `keys` cell (NaN where the weight sums to 0)."""
    num = (firms[share] * firms[weight]).groupby([firms[k] for k in keys], sort=True).sum()
    den = firms[weight].groupby([firms[k] for k in keys], sort=True).sum()
    return (num / den.where(den > 0)).rename(share)


def horizontal(firms: pd.DataFrame, keys: list[str] | None = None,
               weight: str = "output") -> pd.DataFrame:
    """Output-weighted foreign, HMT and other-foreign shares by `keys` (default industry2-year)."""
    keys = keys or ["industry2", "year"]
    cols = {name: weighted_share(firms, keys, share, weight)
            for name, share in SHARE_COLUMNS.items()}
    return pd.DataFrame(cols)


def _off_diagonal(io: pd.DataFrame, row: str, col: str, value: str) -> pd.DataFrame:
    """Square matrix io[row, col] = value with a zero diagonal (own-sector flows excluded)."""
    mat = io.pivot(index=row, columns=col, values=value).fillna(0.0)
    codes = sorted(set(mat.index) | set(mat.columns))
    values = mat.reindex(index=codes, columns=codes, fill_value=0.0).to_numpy(copy=True)
    np.fill_diagonal(values, 0.0)
    return pd.DataFrame(values, index=codes, columns=codes)


def _through_io(shares: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """For each year t: out[j, t] = sum_k weights[j, k] * shares[k, t] (missing shares count as 0)."""
    wide = shares.unstack("year").reindex(weights.columns).fillna(0.0)
    linked = weights.to_numpy() @ wide.to_numpy()
    out = pd.DataFrame(linked, index=weights.index, columns=wide.columns)
    return out.stack("year", future_stack=True)


def backward(horizontal_jt: pd.DataFrame, io: pd.DataFrame) -> pd.DataFrame:
    """backward_jt = sum_{k != j} alpha_jk * horizontal_kt (alpha: share of j's output sold to k)."""
    alpha = _off_diagonal(io, "industry2_supplier", "industry2_buyer", "alpha")
    out = {}
    for name in SHARE_COLUMNS:
        s = horizontal_jt[name].rename_axis(["industry2", "year"])
        out[name.replace("horizontal", "backward")] = _through_io(s, alpha)
    res = pd.DataFrame(out)
    res.index.names = ["industry2", "year"]
    return res


def forward(firms: pd.DataFrame, io: pd.DataFrame, weight: str = "output",
            exports: str = "exports") -> pd.DataFrame:
    """forward_jt = sum_{m != j} sigma_mj * foreign share of m's output sold at home (Y - X)."""
    home = firms.assign(_home=(firms[weight] - firms[exports].fillna(0.0)).clip(lower=0.0))
    shares = horizontal(home, ["industry2", "year"], weight="_home")
    # sigma_mj: share of buyer j's inputs bought from supplier m -> matrix indexed [j, m].
    sigma = _off_diagonal(io, "industry2_buyer", "industry2_supplier", "sigma")
    out = {}
    for name in SHARE_COLUMNS:
        out[name.replace("horizontal", "forward")] = _through_io(shares[name], sigma)
    res = pd.DataFrame(out)
    res.index.names = ["industry2", "year"]
    return res


def industry_year_measures(firms: pd.DataFrame, io: pd.DataFrame,
                           weight: str = "output") -> pd.DataFrame:
    """Horizontal, Backward and Forward (each total, HMT, other foreign) by industry2-year."""
    hor = horizontal(firms, ["industry2", "year"], weight=weight)
    back = backward(hor, io)
    fwd = forward(firms, io, weight=weight)
    return hor.join(back, how="left").join(fwd, how="left").reset_index()


def local_horizontal(firms: pd.DataFrame, weight: str = "output") -> pd.DataFrame:
    """horizontal_local: the horizontal formula within city x 2-digit industry x year."""
    keys = ["city", "industry2", "year"]
    return (weighted_share(firms, keys, "foreign_share", weight).rename("horizontal_local")
            .reset_index())


def lagged(table: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """`{column}_lag1`: the value of the same cell (keys other than year) in year - 1.

    Cells absent in year - 1 get NaN (e.g. every cell in the first year).
    """
    prev = table[[*keys, *columns]].copy()
    prev["year"] = prev["year"] + 1
    prev = prev.rename(columns={c: f"{c}_lag1" for c in columns})
    return table[keys].merge(prev, on=keys, how="left", validate="one_to_one")
