"""Cluster measures: location quotient, Ellison-Glaeser index, cluster indicator.

LQ_cjt = (E_cjt / E_ct) / (E_jt / E_t): city c's share of employment in 2-digit
industry j relative to that industry's share nationally (employment, year t).
The cluster indicator uses each city-industry cell's location quotient and firm count of the
current year (measures.cluster_year: current) or of its first sample year (first; `first_year`).
Ellison & Glaeser (1997) by 4-digit industry j and year:
    gamma_j = [G_j - (1 - sum_c x_c^2) H_j] / [(1 - sum_c x_c^2)(1 - H_j)]
with G_j = sum_c (s_cj - x_c)^2, s_cj = city c's share of j's employment, x_c = city
c's share of all manufacturing employment, H_j = Herfindahl of firm employment
shares in j. gamma is NaN where H_j = 1 (a single firm) or one city holds all
employment (sum_c x_c^2 = 1): undefined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.cluster_rule import ClusterRule


def location_quotient(firms: pd.DataFrame, weight: str = "employment") -> pd.DataFrame:
    """city, industry2, year, location_quotient, n_firms_cell (firms in the city-industry cell)."""
    cell = (firms.groupby(["city", "industry2", "year"], sort=True)[weight]
            .agg(["sum", "size"]).reset_index())
    e_ct = cell.groupby(["city", "year"])["sum"].transform("sum")
    e_jt = cell.groupby(["industry2", "year"])["sum"].transform("sum")
    e_t = cell.groupby("year")["sum"].transform("sum")
    lq = (cell["sum"] / e_ct.where(e_ct > 0)) / (e_jt / e_t.where(e_t > 0)).where(e_jt > 0)
    return pd.DataFrame({"city": cell["city"], "industry2": cell["industry2"], "year": cell["year"],
                         "location_quotient": lq, "n_firms_cell": cell["size"].astype("int64")})


def ellison_glaeser(firms: pd.DataFrame, weight: str = "employment") -> pd.DataFrame:
    """industry4, year, eg_index (Ellison-Glaeser gamma; see module docstring)."""
    e = firms[weight].astype(float)
    city_tot = e.groupby([firms["city"], firms["year"]]).sum()
    year_tot = city_tot.groupby(level="year").sum()
    x = city_tot / year_tot.reindex(city_tot.index.get_level_values("year")).to_numpy()
    x2 = (x ** 2).groupby(level="year").sum()  # sum_c x_c^2 over all cities

    ind_tot = e.groupby([firms["industry4"], firms["year"]]).sum()
    z = e / ind_tot.reindex(pd.MultiIndex.from_arrays([firms["industry4"], firms["year"]])).to_numpy()
    h = (z ** 2).groupby([firms["industry4"], firms["year"]]).sum()

    cj = e.groupby([firms["industry4"], firms["city"], firms["year"]]).sum().rename("e").reset_index()
    cj["s"] = cj["e"] / ind_tot.reindex(pd.MultiIndex.from_frame(cj[["industry4", "year"]])).to_numpy()
    cj["x"] = x.reindex(pd.MultiIndex.from_frame(cj[["city", "year"]])).to_numpy()
    # G = sum_{c in j} s^2 - 2 sum_{c in j} s x + sum_{all c} x^2 (cities without j add x^2 only)
    cj["s2"], cj["sx"] = cj["s"] ** 2, cj["s"] * cj["x"]
    g = cj.groupby(["industry4", "year"])[["s2", "sx"]].sum()
    years = g.index.get_level_values("year")
    x2j = x2.reindex(years).to_numpy()
    G = g["s2"].to_numpy() - 2 * g["sx"].to_numpy() + x2j
    H = h.reindex(g.index).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (G - (1 - x2j) * H) / ((1 - x2j) * (1 - H))
    # undefined with a single firm (H = 1) or a single city holding all employment (sum x^2 = 1)
    gamma = np.where((H < 1 - 1e-12) & (x2j < 1 - 1e-12), gamma, np.nan)
    return pd.DataFrame({"industry4": g.index.get_level_values("industry4"), "year": years,
                         "eg_index": gamma}).reset_index(drop=True)


def first_year(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each key's row of its first year (`table` has a `year` column), without the year: a value
    fixed before the later years. A cell's employment moves with its firms' productivity shocks,
    so an indicator recomputed every year switches when shocks push a cell across the threshold,
    and its interactions are identified by those switches; a first-year indicator does not
    switch, but that year's shocks chose it (README, validation)."""
    first = table.sort_values([*keys, "year"], kind="mergesort").drop_duplicates(keys, keep="first")
    return first.drop(columns="year").reset_index(drop=True)


def indicator(firms: pd.DataFrame, lq: pd.DataFrame, eg: pd.DataFrame, rule: ClusterRule) -> np.ndarray:
    """The cluster indicator (0/1 floats) of each row of `firms` (city, industry2, industry4, year)
    from location_quotient's cells and ellison_glaeser's industries, by `rule` (its year: this
    year's values or the cell's first year's). A cell without firms in `lq` is no cluster."""
    cell, industry = ["city", "industry2"], ["industry4"]
    if rule.cluster_year == "first":
        lq, eg = first_year(lq, cell), first_year(eg, industry)
    else:
        cell, industry = [*cell, "year"], [*industry, "year"]
    m = firms[["city", "industry2", "industry4", "year"]].merge(
        lq, on=cell, how="left", validate="many_to_one").merge(eg, on=industry, how="left", validate="many_to_one")
    return cluster_indicator(m["location_quotient"], m["n_firms_cell"].fillna(0), m["eg_index"], rule.lq_threshold,
                             rule.cluster_min_firms, rule.eg_threshold).to_numpy().astype(float)


def cluster_indicator(lq: pd.Series, n_firms_cell: pd.Series, eg: pd.Series,
                      lq_threshold: float, min_firms: int, eg_threshold: float | None) -> pd.Series:
    """1 where the firm's city x 2-digit cell is over-represented (LQ >= threshold) with at
    least `min_firms` firms and, if eg_threshold is set, its 4-digit industry is localised
    (EG >= eg_threshold); 0 otherwise (also where LQ or EG is undefined)."""
    flag = (lq >= lq_threshold) & (n_firms_cell >= min_firms)
    if eg_threshold is not None:
        flag &= eg >= eg_threshold
    return flag.fillna(False).astype("int8")
