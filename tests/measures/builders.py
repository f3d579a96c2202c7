"""A small random panel with every column the measures stage reads."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_world(seed: int = 3, n_firms: int = 300, years=range(2000, 2005)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small random panel with every column measures reads, and its tfp table."""
    rng = np.random.default_rng(seed)
    firms = pd.DataFrame({
        "firm_id": np.arange(n_firms, dtype=np.int64),
        "city": rng.choice([110100, 120100, 310100, 440300], n_firms),
        "industry4": rng.choice([1310, 1320, 1410, 1711, 4011], n_firms),
        "hmt_share": np.where(rng.random(n_firms) < 0.15, rng.random(n_firms) * 0.5, 0.0),
        "other_foreign_share": np.where(rng.random(n_firms) < 0.15, rng.random(n_firms) * 0.5, 0.0),
    })
    firms["industry2"] = firms["industry4"] // 100
    firms["province"] = firms["city"] // 10000
    firms["region"] = firms["province"].map({11: "bohai", 12: "bohai", 31: "yrd", 44: "prd"})
    firms["foreign_share"] = firms["hmt_share"] + firms["other_foreign_share"]
    firms["ownership"] = np.where(firms["foreign_share"] > 0, "foreign",
                                  rng.choice(["soe", "collective", "private"], n_firms))
    panel = pd.concat([firms.assign(year=y) for y in years], ignore_index=True)
    panel = panel[rng.random(len(panel)) > 0.15].reset_index(drop=True)
    n = len(panel)
    panel["output"] = np.exp(rng.normal(8, 1, n))
    panel["sales"] = panel["output"] * rng.uniform(0.8, 1.0, n)
    panel["exports"] = np.where(rng.random(n) < 0.3, panel["sales"] * rng.random(n), 0.0)
    panel["new_product"] = np.where(rng.random(n) < 0.2, panel["output"] * rng.random(n) * 0.5, 0.0)
    panel["value_added"] = panel["output"] * rng.uniform(0.2, 0.35, n)
    panel["employment"] = np.round(np.exp(rng.normal(4.5, 1, n))) + 8
    panel["year"] = panel["year"].astype("int16")
    panel["source_file"] = "asif_" + panel["year"].astype(str)
    panel["source_row"] = panel.groupby("year").cumcount().astype("int64") + 1
    tfp = panel[["firm_id", "year"]].copy()
    for i, m in enumerate(["ols", "fe", "lp", "acf"]):
        tfp[f"tfp_{m}"] = rng.normal(i, 0.5, n)
    return panel, tfp
