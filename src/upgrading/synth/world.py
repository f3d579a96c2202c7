"""Assemble the synthetic world: side tables, lookup arrays, and the simulated firm-years."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from upgrading.synth import books, geography, industries
from upgrading.synth.population import Tables
from upgrading.synth.simulate import simulate

SCALES = ("small", "medium", "full")


@dataclass
class World:
    params: dict
    scale: str
    seed: int
    years: list[int]
    cities: pd.DataFrame          # with traits
    divisions: pd.DataFrame
    classes: pd.DataFrame         # with code_old, code_old_alt
    concordance: pd.DataFrame
    io: pd.DataFrame
    deflators: pd.DataFrame
    investment_prices: pd.DataFrame  # national investment price index before the sample (side file)
    catalogue: pd.DataFrame
    tab: Tables
    static: dict                  # traits of every firm ever drawn
    panel: pd.DataFrame           # observed true firm-years
    diagnostics: pd.DataFrame
    targets: dict
    unsurveyed: pd.DataFrame      # alive domestic firm-years below the survey threshold (truth only)
    shock_seed: int | None = None  # the seed of firms and shocks when not `seed`'s (build_world)


def year_targets(params: dict, scale: str, years: list[int]) -> dict[int, int]:
    f = float(params["scales"][scale])
    fpy = {int(k): v for k, v in params["firms_per_year"].items()}
    missing = [y for y in years if y not in fpy]
    if missing:
        raise ValueError(f"synth.firms_per_year has no target for years {missing}")
    return {y: int(round(fpy[y] * f)) for y in years}


def _tables(params, rng, cities, county_map, div, cls, cat) -> Tables:
    j_code = div["industry2"].to_numpy()
    n_c, n_j = len(cities), len(j_code)
    cluster = np.zeros((n_c, n_j), dtype=bool)
    for ci in range(n_c):  # each city's clusters: a few divisions, likelier the bigger ones
        picks = rng.choice(n_j, size=params["cluster_cells_per_city"], replace=False, p=div["weight"].to_numpy())
        cluster[ci, picks] = True
    dens = cities["firm_weight"].to_numpy()[:, None] * np.where(cluster, params["cluster_density"], 1.0)
    cdf = np.cumsum(dens, axis=0).T
    cdf /= cdf[:, -1:]
    bl, bk = div["beta_l"].to_numpy(), div["beta_k"].to_numpy()
    w0 = params["wage_mean"]
    # omega level that gives a median firm log VA = log_va_median at log_capital_mean (static labour).
    intercept = ((1 - bl) * params["log_va_median"] - bl * np.log(bl / w0) - bk * params["log_capital_mean"]
                 + rng.normal(0, params["sd_industry"], n_j))
    pos = {c: i for i, c in enumerate(j_code)}
    status = cat.set_index("industry4")["status"].reindex(cls["industry4"]).map(
        {"encouraged": 1, "restricted": -1, "unchanged": 0}).to_numpy().astype(np.int8)
    c4_j = np.array([pos[j] for j in cls["industry2"]])
    counties = [county_map[c] for c in cities["city"]]
    n_county = np.array([len(c) for c in counties])
    return Tables(
        city_code=cities["city"].to_numpy(), city_weight=cities["firm_weight"].to_numpy(),
        city_fdi=cities["fdi_pull"].to_numpy(),
        city_hmt_tilt=np.array([params["region_hmt_tilt"][r] for r in cities["region"]]),
        city_coastal=cities["region"].isin(["prd", "yrd", "bohai", "other_coastal"]).to_numpy(),
        city_traits=cities[["bargaining", "symmetry", "open_network"]].to_numpy(),
        city_effect=rng.normal(0, params["sd_city"], n_c),
        county_flat=np.concatenate(counties), county_off=np.concatenate([[0], np.cumsum(n_county)[:-1]]),
        county_n=n_county, cluster=cluster, j_code=j_code,
        j_weight=div["weight"].to_numpy(), j_fie=div["fie_pull"].to_numpy(),
        j_hmt=div["hmt_fraction"].to_numpy(), j_exp=div["export_pull"].to_numpy(),
        j_va=div["va_share"].to_numpy(), j_bl=bl, j_bk=bk, j_intercept=intercept,
        j_trend=rng.normal(0, params["fdi_trend_sd"], n_j),
        c4_code=cls["industry4"].to_numpy(), c4_j=c4_j,
        c4_p=div["weight"].to_numpy()[c4_j] * cls["class_weight"].to_numpy(),
        c4_status=status, city_cdf_by_j=cdf)


def build_world(params: dict, scale: str, seed: int, years: list[int], shock_seed: int | None = None) -> World:
    """The world of `seed`. With shock_seed, the design (cities, industries, input-output table,
    deflators, catalogue, cluster cells, city and industry effects) is still seed's, and the
    simulation (firms, shocks, book values) draws from shock_seed instead: another world of the
    same design. (shock_seed == seed is not seed's own world, whose simulation continues seed's
    stream after the design's draws.)"""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    rng = np.random.default_rng(seed)
    cities, county_map = geography.prefectures()
    cities = geography.city_traits(cities, rng, params)
    div = industries.divisions(params)
    cls = industries.classes(div, rng)
    cls, conc = industries.concordance(cls, rng, params["revised_class_share"])
    codes = div["industry2"].tolist()
    io = industries.io_table(codes, rng, params["io_table"])
    defl = industries.deflators(codes, years, rng, params["prices"])
    # The divisions' catalogue shares draw from their own stream ([seed, 3]).
    cat = industries.catalogue(cls, rng, params["catalogue_shares"], params.get("catalogue_concentration"),
                               np.random.default_rng([seed, 3]))
    tables = _tables(params, rng, cities, county_map, div, cls, cat)
    d = {name: defl.pivot(index="industry2", columns="year", values=f"{name}_deflator")
         .reindex(index=codes, columns=years).to_numpy() for name in ("output", "input", "investment")}
    targets = year_targets(params, scale, years)
    national = books.national_prices(params["book_values"], years[0])
    if shock_seed is not None:
        rng = np.random.default_rng(shock_seed)
    # Book values draw from their own stream ([seed, 2]; identities and mess use [seed, 1]).
    ledger = books.Ledger.build(np.random.default_rng([seed if shock_seed is None else shock_seed, 2]),
                                params["book_values"], params["delta"], tables, national, d["investment"])
    static, panel, diag, unsurveyed = simulate(tables, params, io, d, years, targets, rng, ledger)
    return World(params, scale, seed, years, cities, div, cls, conc, io, defl, national, cat, tables, static,
                 panel, diag, targets, unsurveyed, shock_seed)
