"""Build analysis.parquet: the panel + TFP + spillover, cluster, upgrading and policy measures."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from upgrading.core import clusters, presence, spillovers
from upgrading.core.errors import InputError
from upgrading.measures import policy, upgrading
from upgrading.measures.settings import Config

PANEL_COLUMNS = ["firm_id", "year", "city", "province", "region", "industry2", "industry4", "ownership",
                 "foreign_share", "hmt_share", "other_foreign_share", "output", "exports",
                 "new_product", "sales", "value_added", "employment"]
TFP_COLUMNS = ["tfp_ols", "tfp_fe", "tfp_lp", "tfp_acf"]
IO_COLUMNS = ["industry2_supplier", "industry2_buyer", "alpha", "sigma"]
CITY_TRAITS = ["bargaining", "symmetry", "open_network"]


def check_panel(panel: pd.DataFrame, path: str) -> None:
    for col in PANEL_COLUMNS:
        if col not in panel.columns:
            raise InputError("required column is missing", file=path, column=col)
    for col in ("firm_id", "year", "city", "industry2", "industry4", "output", "employment"):
        bad = np.flatnonzero(panel[col].isna().to_numpy())
        if len(bad):
            raise InputError("missing values (0-based panel rows)", file=path, column=col,
                             rows=bad.tolist())
    presence.check_shares_and_firm_years(panel, path, "0-based panel rows")


def check_io(io: pd.DataFrame, path: str) -> None:
    for col in IO_COLUMNS:
        if col not in io.columns:
            raise InputError("required column is missing", file=path, column=col)
    for col in ("alpha", "sigma"):
        v = io[col].to_numpy(dtype=float)
        bad = np.flatnonzero(~((v >= 0) & (v <= 1)))
        if len(bad):
            raise InputError("coefficient must be in [0, 1] (file lines)", file=path, column=col,
                             rows=(bad + 2).tolist())


def merge_tfp(panel: pd.DataFrame, tfp: pd.DataFrame, path: str) -> pd.DataFrame:
    for col in ["firm_id", "year", *TFP_COLUMNS]:
        if col not in tfp.columns:
            raise InputError("required column is missing", file=path, column=col)
    out = panel.merge(tfp[["firm_id", "year", *TFP_COLUMNS]], on=["firm_id", "year"], how="left",
                      validate="one_to_one", indicator=True)
    lost = np.flatnonzero((out["_merge"] != "both").to_numpy())
    if len(lost):
        raise InputError("panel firm-years without a TFP row (0-based panel rows)", file=path,
                         column="firm_id", rows=lost.tolist())
    return out.drop(columns="_merge")


def city_traits(df: pd.DataFrame, cities: pd.DataFrame, log) -> pd.DataFrame:
    """bargaining, symmetry, open_network from cities.csv; NaN (and said so) where absent."""
    have = [c for c in CITY_TRAITS if c in cities.columns]
    missing = [c for c in CITY_TRAITS if c not in cities.columns]
    if missing:
        print(f"cities.csv has no {missing}: set to NaN (licensed data lacks these traits)", file=log)
    traits = cities[["city", *have]].drop_duplicates("city")
    out = df.merge(traits, on="city", how="left", validate="many_to_one")
    for c in missing:
        out[c] = np.nan
    if have:
        n = int(out[have[0]].isna().sum())
        if n:
            print(f"{n} firm-years in cities missing from cities.csv: city traits NaN", file=log)
    return out


def group_indicators(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """coastal, labour_intensive, state_owned (int8): the groups the split-sample comparisons and
    the lock-in models interact with the presence measures."""
    return pd.DataFrame({
        "coastal": df["region"].isin(cfg.coastal_regions).astype("int8"),
        "labour_intensive": df["industry2"].astype("int64").isin(cfg.labour_intensive_industries).astype("int8"),
        "state_owned": (df["ownership"] == "soe").astype("int8"),
    }, index=df.index)


def build(panel: pd.DataFrame, population: pd.DataFrame, io: pd.DataFrame, catalogue: pd.DataFrame,
          cities: pd.DataFrame, cfg: Config, log=sys.stdout) -> pd.DataFrame:
    """The analysis table (panel already merged with TFP), sorted by firm_id, year. The presence
    measures come from `population`, the presence table (upgrading.core.presence), which holds
    every panel firm-year."""
    df = panel.copy(deep=False)  # shallow: the build adds columns and writes none of the panel's
    df["domestic"] = (df["hmt_share"] == 0) & (df["other_foreign_share"] == 0)

    # Horizontal (the firm's own output left out), backward, forward, their lags and the
    # leave-one-out local share, over every firm-year that counts in its neighbours' presence.
    measures = spillovers.firm_year_measures(population, io)
    df = df.merge(measures, on=["firm_id", "year"], how="left", validate="one_to_one")
    outside = int(len(population) - len(panel))
    print(f"presence measures over {len(population)} firm-years: the panel's {len(panel)} and "
          f"{outside} the cleaning dropped for reasons other than their output", file=log)
    lq = clusters.location_quotient(panel)
    eg = clusters.ellison_glaeser(panel)
    df = df.merge(lq, on=["city", "industry2", "year"], how="left", validate="many_to_one")
    df = df.merge(eg, on=["industry4", "year"], how="left", validate="many_to_one")
    df["cluster"] = clusters.indicator(df, lq, eg, cfg.cluster_rule).astype("int8")

    out = upgrading.outcomes(df)
    for col in out.columns:
        df[col] = out[col]
        v = out[col].to_numpy(dtype=float)
        n_out = int(np.count_nonzero(np.isfinite(v) & ((v < 0) | (v > 1))))
        print(f"{col}: {int(np.isnan(v).sum())} missing, {n_out} outside [0, 1] (kept)", file=log)
    tfp = f"tfp_{cfg.tfp_method}"
    df["tfp_growth"] = upgrading.growth(df, tfp).to_numpy()
    df["absorptive_capacity"] = upgrading.frontier_gap(df, tfp, cfg.frontier_quantile).to_numpy()

    treat = policy.treatment(df["industry4"], df["year"], catalogue, cfg.post_from_year)
    not_listed = int((~df["industry4"].isin(catalogue["industry4"])).sum())
    if not_listed:
        print(f"{not_listed} firm-years in industries absent from the catalogue: encouraged = 0",
              file=log)
    df = pd.concat([df, treat], axis=1)
    df = pd.concat([df, group_indicators(df, cfg)], axis=1)
    df = city_traits(df, cities, log)
    return df.sort_values(["firm_id", "year"]).reset_index(drop=True)
