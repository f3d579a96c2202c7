"""Hand-made inputs following docs/contracts.md: tidy estimates (fixtures/*.csv), a tiny analysis panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
LABELS = {"horizontal_hmt": "Horizontal (HMT)", "horizontal_other": "Horizontal (other foreign)",
          "backward": "Backward", "forward": "Forward", "tfp_acf": "TFP (ACF)", "firm_id": "Firm",
          "year": "Year", "city": "City", "industry2": "Industry", "encouraged": "Encouraged"}


def read_estimates(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name)


def make_analysis(n_firms: int = 120, seed: int = 7) -> pd.DataFrame:
    """A small firm-year panel with the analysis.parquet columns the exhibits read."""
    rng = np.random.default_rng(seed)
    years = np.arange(1998, 2008)
    regions = ["prd", "yrd", "bohai", "other_coastal", "central", "western"]
    owners = ["soe", "collective", "private", "hmt", "foreign"]
    firm_city = rng.choice([440100, 440300, 310100, 320500, 110100, 420100, 510100], n_firms)
    city_region = {440100: "prd", 440300: "prd", 310100: "yrd", 320500: "yrd", 110100: "bohai",
                   420100: "central", 510100: "western"}
    firm_ind = rng.choice([17, 18, 19, 26, 35, 39, 40], n_firms)
    firm_own = rng.choice(owners, n_firms, p=[0.15, 0.1, 0.5, 0.12, 0.13])
    rows = []
    for f in range(n_firms):
        for y in years:
            own = firm_own[f]
            fs = 0.0 if own in {"soe", "collective", "private"} else rng.uniform(0.3, 1.0)
            rows.append({
                "firm_id": f + 1, "year": int(y), "city": int(firm_city[f]),
                "region": city_region[int(firm_city[f])], "industry2": int(firm_ind[f]),
                "ownership": own, "domestic": fs == 0.0, "foreign_share": fs,
                "output": float(rng.lognormal(8, 1)), "va_ratio": float(rng.uniform(0.15, 0.4)),
                "horizontal": float(rng.uniform(0, 0.5)), "backward": float(rng.uniform(0, 0.4)),
                "forward": float(rng.uniform(0, 0.4)), "exporter": bool(rng.random() < 0.3),
                "encouraged": bool(firm_ind[f] in (39, 40)),
            })
    df = pd.DataFrame(rows)
    assert set(df["region"]) <= set(regions)
    # Location quotient of city x industry x year from output shares (as the measures stage defines it).
    ci = df.groupby(["city", "industry2", "year"])["output"].transform("sum")
    c = df.groupby(["city", "year"])["output"].transform("sum")
    i = df.groupby(["industry2", "year"])["output"].transform("sum")
    t = df.groupby("year")["output"].transform("sum")
    df["location_quotient"] = (ci / c) / (i / t)
    return df
