"""Real capital from book values at historical cost, after Brandt, Van Biesebroeck and Zhang (2012)
(docs/contracts.md, "Real capital").

The survey reports fixed assets at historical cost: the original value (固定资产原价) is the sum of
nominal investments since founding, bought at past prices. Real capital is built in two steps.

1. First year of a firm (year t0, original value B, age a = t0 - founding year): its nominal book is
   taken to have grown at g, the growth rate of nominal capital in its province x 2-digit
   industry, so B_s = B exp(-g (t0 - s)) for s = t0 - a .. t0 and nothing before founding; each
   year's nominal investment B_s - B_{s-1} is deflated by that year's investment price and
   depreciated to t0:
       K_t0 = sum_{L=0..a} (1 - delta)^L (B_{t0-L} - B_{t0-L-1}) / P_{t0-L}.
   g is estimated from the data: the median over firms of the yearly change in log original value
   (firms seen in consecutive years with positive original values) in the province x industry
   cell; a cell with fewer than `min_pairs` changes uses its industry's median, an industry with
   too few the median over all firms; g is clipped to [growth_floor, growth_cap]. BVZ take the
   1993-1998 growth from an earlier survey; the in-sample median is the analogue when only the
   survey years are at hand.
2. Later years: K_t = (1 - delta)^gap K_prev + I_t / P_t with nominal investment I_t = the change in
   original value since the firm's previous report (negative changes, disposals or revaluations,
   floored at 0 unless `negative_investment: keep`). `gap` counts years since the previous row, so
   a firm absent a year depreciates for two; a year without an original value adds no investment
   and the next report's change spans the gap.

P_s is the industry's investment deflator (deflators.csv) in the survey years and, before them,
the national index of investment_prices.csv chained to the industry's deflator of the first
survey year. Investment years before the index's first year count as bought in that year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from upgrading.core.errors import InputError

CELL, INDUSTRY, ALL = "province_industry", "industry", "all"


@dataclass(frozen=True)
class Prices:
    """Investment price P[industry position, year - y0] from the national index's first year to the
    last deflator year."""
    table: np.ndarray
    industries: np.ndarray  # sorted industry2 codes
    y0: int

    def position(self, industry2: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.industries, industry2)
        pos = np.minimum(pos, len(self.industries) - 1)
        return np.where(self.industries[pos] == industry2, pos, -1)


def price_table(deflators: pd.DataFrame, national: pd.DataFrame,
                file: str = "investment_prices.csv") -> Prices:
    for col in ("year", "investment_price"):
        if col not in national.columns:
            raise InputError(f"column {col!r} missing", file=file, column=col)
    nat = national.sort_values("year")
    years = nat["year"].astype("int64").to_numpy()
    price = nat["investment_price"].astype(float).to_numpy()
    bad = ~(price > 0) | np.r_[False, np.diff(years) != 1]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("investment price must be positive and years consecutive",
                         file=file, column="investment_price", rows=[i + 2])
    d = deflators.pivot(index="industry2", columns="year", values="investment_deflator").sort_index()
    first = int(d.columns.min())
    if first not in set(years):
        raise InputError(f"the national investment price index must include the first deflator year "
                         f"{first} (it links the two series)", file=file, column="year")
    d = d.reindex(columns=range(first, int(d.columns.max()) + 1))
    y0 = int(years[0])
    pre_years = np.arange(y0, first)
    ratio = price[np.searchsorted(years, pre_years)] / price[np.searchsorted(years, first)]
    inv = d.to_numpy()
    table = np.concatenate([inv[:, :1] * ratio[None, :], inv], axis=1)
    return Prices(table, d.index.to_numpy().astype("int64"), y0)


def nominal_growth(rows: pd.DataFrame, min_pairs: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Growth of nominal capital for every row, before clipping: (g, level used, cell table).

    rows: firm_id, year, province, industry2, original_fixed_assets (any order).
    """
    order = np.lexsort((rows["year"].to_numpy(), rows["firm_id"].to_numpy()))
    r = rows.iloc[order]
    firm, year = r["firm_id"].to_numpy(), r["year"].to_numpy().astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.log(r["original_fixed_assets"].astype(float).where(r["original_fixed_assets"] > 0).to_numpy())
    pair = np.r_[False, (firm[1:] == firm[:-1]) & (np.diff(year) == 1)]
    dlog = np.r_[np.nan, np.diff(lo)]
    ok = pair & np.isfinite(dlog)
    prov = r["province"].astype("Float64").fillna(-1).astype("int64").to_numpy()
    ind = r["industry2"].astype("Float64").fillna(-1).astype("int64").to_numpy()
    ch = pd.DataFrame({"province": prov[ok], "industry2": ind[ok], "dlog": dlog[ok]})
    cell = ch.groupby(["province", "industry2"])["dlog"].agg(["median", "size"])
    indus = ch.groupby("industry2")["dlog"].agg(["median", "size"])
    overall = float(ch["dlog"].median()) if len(ch) else 0.0
    key = pd.MultiIndex.from_arrays([rows["province"].astype("Float64").fillna(-1).astype("int64"),
                                     rows["industry2"].astype("Float64").fillna(-1).astype("int64")])
    c = cell.reindex(key)
    i = indus.reindex(key.get_level_values(1))
    use_cell = (c["size"].fillna(0).to_numpy() >= min_pairs) & (key.get_level_values(0) >= 0)
    use_ind = ~use_cell & (i["size"].fillna(0).to_numpy() >= min_pairs)
    g = np.where(use_cell, c["median"].to_numpy(), np.where(use_ind, i["median"].to_numpy(), overall))
    level = np.where(use_cell, CELL, np.where(use_ind, INDUSTRY, ALL))
    table = cell.reset_index().rename(columns={"median": "growth", "size": "changes"})
    return g, level, table


def first_stock(book: np.ndarray, age: np.ndarray, year: np.ndarray, industry_pos: np.ndarray,
                g: np.ndarray, prices: Prices, delta: float) -> np.ndarray:
    """Real capital in a firm's first year from its original value, age and nominal growth g.

    One pass per lag (at most the index's span), vectorised over firms.
    """
    k = np.zeros(len(book))
    for lag in range(int(age.max(initial=0)) + 1):
        live = lag <= age
        b_s = book * np.exp(-g * lag)
        b_prev = np.where(lag + 1 <= age, book * np.exp(-g * (lag + 1)), 0.0)
        s = np.clip(year - lag - prices.y0, 0, prices.table.shape[1] - 1)
        p = prices.table[industry_pos, s]
        k += np.where(live, (1 - delta) ** lag * (b_s - b_prev) / p, 0.0)
    return k


def perpetual_inventory(firm: np.ndarray, year: np.ndarray, k_first: np.ndarray, real_inv: np.ndarray,
                        delta: float) -> np.ndarray:
    """K_t = (1 - delta)^gap K_prev + real_inv_t from k_first in each firm's first row (rows sorted by
    firm, year; real_inv of a first row is ignored). Solved in closed form per firm: with
    D_t = prod (1 - delta)^gap, K_t = D_t (K_first + sum_{s<=t} J_s / D_s), no loop over firms."""
    first = np.r_[True, firm[1:] != firm[:-1]]
    gap = np.where(first, 0, np.r_[0, np.diff(year)])
    start = np.flatnonzero(first)
    seg = np.cumsum(first) - 1
    cum = np.cumsum(gap * np.log1p(-delta))
    cum -= cum[start][seg]
    D = np.exp(cum)
    s = np.cumsum(np.where(first, 0.0, real_inv) / D)
    s -= s[start][seg]
    return D * (k_first[start][seg] + s)


@dataclass
class CapitalResult:
    capital: np.ndarray          # real capital, aligned with the input rows (NaN: none)
    investment: np.ndarray       # nominal investment (change in original value, after the floor)
    flags: dict[str, np.ndarray]  # edge cases per row, for the cleaning audit
    growth: pd.DataFrame         # province x industry growth cells


def real_capital(rows: pd.DataFrame, prices: Prices, delta: float, min_pairs: int = 30,
                 growth_floor: float = 0.0, growth_cap: float = 0.3,
                 negative_investment: str = "floor") -> CapitalResult:
    """BVZ real capital for rows with firm_id, year, founding_year, province, industry2,
    original_fixed_assets, investment_deflator (any order; aligned output)."""
    if negative_investment not in ("floor", "keep"):
        raise ValueError(f"negative_investment must be 'floor' or 'keep', not {negative_investment!r}")
    n = len(rows)
    g_raw, level_all, cells = nominal_growth(rows, min_pairs)
    order = np.lexsort((rows["year"].to_numpy(), rows["firm_id"].to_numpy()))
    r = rows.iloc[order]
    firm = r["firm_id"].to_numpy()
    year = r["year"].to_numpy().astype(np.int64)
    ofa = r["original_fixed_assets"].astype(float).to_numpy()
    defl = r["investment_deflator"].astype(float).to_numpy()
    pos = prices.position(r["industry2"].astype("Float64").fillna(-1).astype("int64").to_numpy())
    # A firm's capital starts at its first row with an original value and a price.
    usable = np.isfinite(ofa) & (ofa >= 0) & np.isfinite(defl) & (pos >= 0)
    seen = pd.Series(usable).groupby(firm).cummax().to_numpy()
    no_start = ~seen
    firm_s, year_s = firm[seen], year[seen]
    first = np.r_[True, firm_s[1:] != firm_s[:-1]]
    # investment: change in the last reported original value (a missing year adds nothing)
    held = pd.Series(np.where(usable, ofa, np.nan)[seen]).groupby(firm_s).ffill().to_numpy()
    change = np.where(first, np.nan, np.r_[np.nan, np.diff(held)])
    negative = np.nan_to_num(change) < 0
    inv = np.where(first, np.nan, np.nan_to_num(change))
    if negative_investment == "floor":
        inv = np.where(negative, 0.0, inv)
    defl_s = defl[seen]
    gap_year = ~first & ~usable[seen]
    with np.errstate(invalid="ignore", divide="ignore"):
        real_inv = np.where(first | gap_year, 0.0, inv / defl_s)
    # first year: age from the founding year (unknown or after the year: 0; before the index: capped)
    fy = r["founding_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[seen]
    age_raw = year_s - fy
    age_unknown = first & ~(age_raw >= 0)
    age = np.where(age_raw >= 0, age_raw, 0.0)
    age_capped = first & (year_s - age < prices.y0)
    age = np.minimum(age, year_s - prices.y0).astype(np.int64)
    g_est = g_raw[order][seen]
    g = np.clip(g_est, growth_floor, growth_cap)
    k_first = np.full(len(firm_s), np.nan)
    k_first[first] = first_stock(held[first], age[first], year_s[first], pos[seen][first], g[first],
                                 prices, delta)
    k = perpetual_inventory(firm_s, year_s, k_first, real_inv, delta)
    cap, inv_out = np.full(n, np.nan), np.full(n, np.nan)
    idx = order[seen]
    cap[idx], inv_out[idx] = k, inv
    level = level_all[order][seen]

    def aligned(mask_seen: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[idx] = mask_seen
        return out

    flags = {
        "no_original_value": np.zeros(n, dtype=bool),
        "original_value_gap": aligned(gap_year),
        "negative_investment": aligned(negative & ~first),
        "age_unknown": aligned(age_unknown),
        "age_capped": aligned(age_capped),
        "growth_fallback": aligned(first & (level != CELL)),
        "growth_clipped": aligned(first & (g != g_est)),
    }
    flags["no_original_value"][order[no_start]] = True
    return CapitalResult(cap, inv_out, flags, cells)
