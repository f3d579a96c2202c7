"""Javorcik (2004) spillover measures: Horizontal, Backward, Forward.

The one implementation of these formulas. The cleaned-data pipeline applies it
to the presence population (upgrading.core.presence: every firm-year the survey
shows with usable output, not only the estimation sample) and the synthetic DGP
to its true values over the firms in its raw files, so that the truth's
spillover coefficients are estimands of the same regressors.

The firm-level regressors `horizontal*` leave the firm's own output out of its
industry-year share (`own_excluded_horizontal`): with the firm in the denominator, a
domestic firm's own productivity shock lowers its own regressor. In the real ASIF a
firm is a tiny part of its 2-digit industry and the two definitions coincide; in the
small synthetic world (~170 firms per industry-year) the own-output term biased the
horizontal coefficients on true omega by -0.10 (HMT) and -0.15 (other) over 11 seeds,
and by ~0 with the leave-one-out measure. Backward and Forward weight other
industries only (zero IO diagonal), so they never contain the firm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHARE_COLUMNS = {
    "horizontal": "foreign_share",
    "horizontal_hmt": "hmt_share",
    "horizontal_other": "other_foreign_share",
}
# Columns of `industry_year_measures`: each measure for all foreign, HMT and other foreign capital.
INDUSTRY_YEAR = tuple(f"{measure}{capital}" for measure in ("horizontal", "backward", "forward")
                      for capital in ("", "_hmt", "_other"))
# The industry-year measures of the synthetic world's spillover term and of the controls the
# productivity stage may put in the law of motion.
NATIONAL = ("horizontal", "horizontal_hmt", "horizontal_other", "backward", "forward")


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


HORIZONTAL_KEYS = ["industry2", "year"]


def own_excluded_horizontal(firms: pd.DataFrame, weight: str = "output") -> pd.DataFrame:
    """horizontal, horizontal_hmt, horizontal_other per firm-year (aligned to `firms`' index):
    the foreign, HMT and other-foreign output shares of the *other* firms of the firm's
    2-digit industry-year (`leave_one_out_share`; NaN for a firm alone in its industry-year)."""
    cell = firms.groupby(HORIZONTAL_KEYS, sort=True).ngroup().to_numpy()
    w = firms[weight].to_numpy(dtype=float)
    return pd.DataFrame({name: leave_one_out_share(cell, firms[share].to_numpy(dtype=float), w)
                         for name, share in SHARE_COLUMNS.items()}, index=firms.index)


def off_diagonal(io: pd.DataFrame, row: str, col: str, value: str) -> pd.DataFrame:
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
    alpha = off_diagonal(io, "industry2_supplier", "industry2_buyer", "alpha")
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
    sigma = off_diagonal(io, "industry2_buyer", "industry2_supplier", "sigma")
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


def leave_one_out_share(cell: np.ndarray, share: np.ndarray, weight: np.ndarray,
                        member: np.ndarray | None = None, n_cells: int | None = None) -> np.ndarray:
    """Per firm: sum(share * weight) / sum(weight) over the *other* member firms of its cell.

    The one implementation of the leave-one-out rule behind `horizontal_local` and the
    firm-level `horizontal*` (the measures stage and the synthetic DGP both call it).
    `cell`: integer cell codes 0..n_cells-1;
    `member`: firms that count in the cell sums (default all; a non-member, e.g. a firm
    below the survey threshold in the DGP, sees its whole cell). The firm's own share and
    weight are left out of its own value, so its own productivity cannot move its own
    regressor. NaN where no other member of the cell has a positive weight (a firm alone
    in its cell has no local neighbours). Values are clipped to [0, 1] against rounding.
    """
    cell = np.asarray(cell, dtype=np.int64)
    share = np.asarray(share, dtype=float)
    weight = np.asarray(weight, dtype=float)
    n_cells = int(cell.max()) + 1 if n_cells is None and len(cell) else (n_cells or 0)
    mem = np.ones(len(cell), bool) if member is None else np.asarray(member, bool)
    w = np.where(mem, weight, 0.0)
    sw = w * share
    pos = (mem & (weight > 0)).astype(float)
    num = np.bincount(cell, sw, minlength=n_cells)[cell] - sw
    den = np.bincount(cell, w, minlength=n_cells)[cell] - w
    others = np.bincount(cell, pos, minlength=n_cells)[cell] - pos
    ok = (others > 0.5) & (den > 0)
    out = np.full(len(cell), np.nan)
    out[ok] = np.clip(num[ok] / den[ok], 0.0, 1.0)
    return out


LOCAL_KEYS = ["city", "industry2", "year"]


def local_horizontal(firms: pd.DataFrame, weight: str = "output") -> pd.Series:
    """horizontal_local per firm-year (aligned to `firms`' index): the output-weighted
    foreign share of the *other* firms in the firm's city x 2-digit industry x year cell
    (leave-one-out, `leave_one_out_share`); NaN for a firm alone in its cell."""
    cell = firms.groupby(LOCAL_KEYS, sort=True).ngroup().to_numpy()
    values = leave_one_out_share(cell, firms["foreign_share"].to_numpy(dtype=float),
                                 firms[weight].to_numpy(dtype=float))
    return pd.Series(values, index=firms.index, name="horizontal_local")


def local_horizontal_lag1(firms: pd.DataFrame, weight: str = "output") -> pd.Series:
    """horizontal_local_lag1 per firm-year: the leave-one-out local share of the firm's
    current city x industry cell in year - 1, the firm's own year - 1 row left out if it
    was in that cell (so entrants get a lag too); NaN if no other firm was there.
    Needs `firm_id` (one row per firm-year)."""
    f = firms[[*LOCAL_KEYS, "firm_id", "foreign_share", weight]].copy()
    f["_w"] = f[weight].astype(float)
    f["_sw"] = f["_w"] * f["foreign_share"].astype(float)
    f["_pos"] = (f["_w"] > 0).astype(float)
    cells = f.groupby(LOCAL_KEYS, sort=True)[["_sw", "_w", "_pos"]].sum().reset_index()
    cells["year"] = cells["year"] + 1
    cur = f[[*LOCAL_KEYS, "firm_id"]].merge(cells, on=LOCAL_KEYS, how="left", validate="many_to_one")
    own = f[[*LOCAL_KEYS, "firm_id", "_sw", "_w", "_pos"]].copy()
    own["year"] = own["year"] + 1
    own = own.rename(columns={"city": "_city", "industry2": "_ind", "_sw": "_osw", "_w": "_ow",
                              "_pos": "_opos"})
    cur = cur.merge(own, on=["firm_id", "year"], how="left", validate="one_to_one")
    same = ((cur["_city"] == cur["city"]) & (cur["_ind"] == cur["industry2"])).to_numpy()
    num = cur["_sw"].to_numpy(float) - np.where(same, cur["_osw"].to_numpy(float), 0.0)
    den = cur["_w"].to_numpy(float) - np.where(same, cur["_ow"].to_numpy(float), 0.0)
    others = cur["_pos"].to_numpy(float) - np.where(same, cur["_opos"].to_numpy(float), 0.0)
    ok = np.nan_to_num(others) > 0.5
    ok &= np.nan_to_num(den) > 0
    out = np.full(len(cur), np.nan)
    out[ok] = np.clip(num[ok] / den[ok], 0.0, 1.0)
    return pd.Series(out, index=firms.index, name="horizontal_local_lag1")


def firm_year_measures(firms: pd.DataFrame, io: pd.DataFrame | None,
                       weight: str = "output") -> pd.DataFrame:
    """Every presence measure of each firm-year of `firms` (the presence population; aligned to
    its index): firm_id, year, the industry-year measures of INDUSTRY_YEAR with the three
    horizontal ones leaving the firm's own output out, their `_lag1` (industry-year values of
    t - 1), horizontal_local and horizontal_local_lag1. Without `io`, no backward or forward."""
    if io is None:
        iy = horizontal(firms, HORIZONTAL_KEYS, weight=weight).reset_index()
    else:
        iy = industry_year_measures(firms, io, weight=weight)
    names = [c for c in INDUSTRY_YEAR if c in iy.columns]
    iy = iy.join(lagged(iy, HORIZONTAL_KEYS, names).drop(columns=HORIZONTAL_KEYS))
    out = firms[["firm_id", "year", "industry2"]].merge(iy, on=HORIZONTAL_KEYS, how="left",
                                                        validate="many_to_one")
    out.index = firms.index
    own = own_excluded_horizontal(firms, weight=weight)
    for name in SHARE_COLUMNS:
        out[name] = own[name].to_numpy()
    out["horizontal_local"] = local_horizontal(firms, weight=weight).to_numpy()
    out["horizontal_local_lag1"] = local_horizontal_lag1(firms, weight=weight).to_numpy()
    return out.drop(columns="industry2")


def lagged(table: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """`{column}_lag1`: the value of the same cell (keys other than year) in year - 1.

    Cells absent in year - 1 get NaN (e.g. every cell in the first year).
    """
    prev = table[[*keys, *columns]].copy()
    prev["year"] = prev["year"] + 1
    prev = prev.rename(columns={c: f"{c}_lag1" for c in columns})
    return table[keys].merge(prev, on=keys, how="left", validate="one_to_one")
