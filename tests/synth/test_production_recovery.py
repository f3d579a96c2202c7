"""LP and ACF recover the DGP's production elasticities from the true firm-years (small scale).

Labour adjusts partly from last year's level to the optimum at a firm-specific wage, with an
optimisation error, and intermediates follow the plan (omega, k) (synth.population.produce):
LP's first stage and ACF's moments are then identified, and OLS's beta_l is biased up.
The whole chain at medium scale is checked by hand (README of the productivity stage).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from upgrading.productivity import acf, lp
from upgrading.productivity.acf import Settings

MIN_ROWS = 2000  # small scale: only industries with enough firm-years carry signal


@pytest.fixture(scope="module")
def recovery(truth, world) -> pd.DataFrame:
    prod = json.loads((world / "truth" / "parameters.json").read_text())["production"]
    t = truth[~truth["defect"].astype(str).isin(["duplicate_row", "conflict_duplicate"])]
    t = t.sort_values(["true_industry2", "true_firm_id", "year"])
    settings = Settings(first_stage_group="g", selection=True)
    rows = []
    for j, d in t.groupby("true_industry2"):
        if len(d) < MIN_ROWS:
            continue
        data = {"firm": d["true_firm_id"].to_numpy(np.int64), "year": d["year"].to_numpy(np.int64),
                "y": np.log(d["true_value_added"].to_numpy()),
                "l": np.log(d["true_employment"].to_numpy(float)),
                "k": np.log(d["true_capital"].to_numpy()), "m": np.log(d["true_intermediate"].to_numpy()),
                "g": d["true_city"].to_numpy() * 2 + (d["year"].to_numpy() >= 2003)}
        X = np.column_stack([np.ones(len(d)), data["l"], data["k"],
                             pd.get_dummies(data["year"], drop_first=True).to_numpy(float)])
        ols = np.linalg.lstsq(X, data["y"], rcond=None)[0]
        a = acf.estimate(data, settings)
        b = lp.estimate(data, settings)
        rows.append({"j": j, "bl": prod[str(j)]["beta_l"], "bk": prod[str(j)]["beta_k"],
                     "ols_l": ols[1], "acf_l": a["beta_l"], "acf_k": a["beta_k"],
                     "lp_l": b["beta_l"], "lp_k": b["beta_k"], "converged": a["converged"]})
    return pd.DataFrame(rows)


def test_acf_and_lp_recover_elasticities(recovery):
    r = recovery
    # The multi-start search finds a root with positive elasticities in every industry here;
    # the root's capital elasticity is biased down at small scale (mean -0.08 at seed 7, one
    # industry at 0.01 against 0.20: a genuine root of the moments, not a solver artefact).
    assert len(r) >= 8 and r["converged"].all()
    assert abs((r["acf_l"] - r["bl"]).mean()) < 0.03
    assert abs((r["acf_k"] - r["bk"]).mean()) < 0.1
    assert (r["lp_l"] - r["bl"]).abs().mean() < 0.03  # LP's first stage: labour is identified
    assert abs((r["lp_k"] - r["bk"]).mean()) < 0.1


def test_ols_labour_biased_up_acf_is_not(recovery):
    r = recovery
    assert ((r["ols_l"] - r["bl"]) > 0.2).all()
    assert (r["acf_l"] - r["bl"]).abs().mean() < (r["ols_l"] - r["bl"]).abs().mean() / 3
