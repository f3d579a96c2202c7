"""A seeded toy panel with the columns of PROC/analysis.parquet (docs/contracts.md).

TFP is linear in the spillover measures with known coefficients (TRUTH) plus firm and
year effects and iid noise, so every estimator in the tests has a known target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUTH = {"horizontal_hmt": -0.30, "horizontal_other": 0.20, "backward": 0.50, "forward": 0.10}
INDUSTRIES = [c for c in range(13, 44) if c != 38]
REGIONS = ["prd", "yrd", "bohai", "other_coastal", "central", "western"]


def make_panel(n_firms: int = 600, seed: int = 7, years=range(1998, 2008), noise: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = list(years)
    n_cities = 24
    cities = pd.DataFrame({
        "city": 110100 + 10000 * np.arange(n_cities) // 100 * 100 + np.arange(n_cities) * 100,
        "province": 11 + np.arange(n_cities) // 2,
        "region": [REGIONS[i % len(REGIONS)] for i in range(n_cities)],
        "bargaining": rng.normal(size=n_cities),
        "symmetry": rng.normal(size=n_cities),
        "open_network": rng.normal(size=n_cities),
    })
    # industry-year spillover measures: persistent within industry, varying over years
    ind = pd.MultiIndex.from_product([INDUSTRIES, years], names=["industry2", "year"]).to_frame(index=False)
    n_ind = len(INDUSTRIES)
    base = rng.uniform(0.05, 0.3, size=(n_ind, 4))
    trend = rng.normal(0.0, 0.02, size=(n_ind, 4))
    t = np.array(years) - years[0]
    vals = base[:, None, :] + trend[:, None, :] * t[None, :, None] \
        + rng.normal(0, 0.03, size=(n_ind, len(years), 4))
    vals = np.clip(vals, 0.0, 1.0).reshape(-1, 4)
    for j, c in enumerate(["horizontal_hmt", "horizontal_other", "backward", "forward"]):
        ind[c] = vals[:, j]
    ind["horizontal"] = ind["horizontal_hmt"] + ind["horizontal_other"]
    year_effect = dict(zip(years, rng.normal(0, 0.1, len(years))))

    firms = pd.DataFrame({
        "firm_id": np.arange(1, n_firms + 1, dtype="int64"),
        "industry2": rng.choice(INDUSTRIES, n_firms),
        "city_ix": rng.integers(0, n_cities, n_firms),
        "alpha": rng.normal(0, 0.5, n_firms),
        "domestic": rng.random(n_firms) < 0.8,
        "first": rng.integers(0, len(years) - 2, n_firms),
        "span": rng.integers(3, len(years) + 1, n_firms),
        "absorptive_capacity": rng.normal(size=n_firms),
    })
    firms["industry4"] = firms["industry2"] * 100 + rng.integers(1, 10, n_firms)
    firms["ownership"] = np.where(firms["domestic"], rng.choice(["soe", "private", "collective"], n_firms),
                                 rng.choice(["hmt", "foreign"], n_firms))
    rows = []
    for f in firms.itertuples():
        for y in years[f.first: f.first + f.span]:
            rows.append((f.firm_id, y))
    df = pd.DataFrame(rows, columns=["firm_id", "year"]).merge(firms, on="firm_id")
    df = df.merge(cities.reset_index(names="city_ix"), on="city_ix").merge(ind, on=["industry2", "year"])
    n = len(df)
    df["year"] = df["year"].astype("int16")
    df["horizontal_local"] = np.clip(df["horizontal"] + rng.normal(0, 0.05, n), 0, 1)
    df["encouraged"] = (df["industry4"] % 3 == 0)
    df["post2002"] = df["year"] >= 2002
    df["encouraged_post"] = (df["encouraged"] & df["post2002"]).astype("int8")
    df["location_quotient"] = rng.lognormal(0, 0.5, n)
    df["cluster"] = df["location_quotient"] > 1
    spill = sum(b * df[c] for c, b in TRUTH.items())
    df["tfp_acf"] = df["alpha"] + df["year"].map(year_effect) + spill + rng.normal(0, noise, n)
    for c, s in [("tfp_ols", 0.1), ("tfp_fe", 0.05), ("tfp_lp", 0.05)]:
        df[c] = df["tfp_acf"] + rng.normal(0, s, n)
    df["l"] = rng.normal(4, 1, n)
    df["k"] = 0.5 * df["l"] + rng.normal(3, 1, n)
    df["y"] = 0.4 * df["l"] + 0.3 * df["k"] + df["tfp_acf"]
    df["new_product_share"] = np.clip(0.1 + 0.2 * df["backward"] + rng.normal(0, 0.05, n), 0, 1)
    df["export_intensity"] = np.clip(0.2 + 0.1 * df["horizontal_other"] + rng.normal(0, 0.1, n), 0, 1)
    df["va_ratio"] = np.clip(0.27 + rng.normal(0, 0.05, n), 0, 1)
    df = df.sort_values(["firm_id", "year"]).reset_index(drop=True)
    df["tfp_growth"] = df.groupby("firm_id")["tfp_acf"].diff()
    latent = -0.8 + 1.0 * df["horizontal_other"] + 0.5 * df["backward"] + rng.normal(size=n)
    df["exporter"] = latent > 0
    df["foreign_share"] = np.where(df["domestic"], 0.0, rng.uniform(0.25, 1, n))
    df["hmt_share"] = np.where(df["ownership"] == "hmt", df["foreign_share"], 0.0)
    # the group indicators of the measures stage (config defaults): split samples and H5
    df["coastal"] = df["region"].isin(["prd", "yrd", "bohai", "other_coastal"]).astype("int8")
    df["labour_intensive"] = df["industry2"].isin([17, 18, 19]).astype("int8")
    df["state_owned"] = (df["ownership"] == "soe").astype("int8")
    return df.drop(columns=["city_ix", "alpha", "first", "span"])
