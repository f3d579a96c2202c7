"""Estimates against independent computations: numpy OLS on explicit dummies, the truth of the
toy panel, linearmodels; tidy output; multiple estimation."""

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import crosscheck, design, engine_pyfixest, estimate, tidy
from upgrading.analysis.engine_linearmodels import fixest_df_k
from upgrading.core import registry

from .builders import TRUTH, make_panel

REGS = ["horizontal_hmt", "horizontal_other", "backward", "forward"]


def _family(models, samples=None, engine="pyfixest", fid="t"):
    base = {**registry.SETTINGS_DEFAULTS, "outcome": "tfp_acf", "regressors": REGS,
            "fixed_effects": ["firm_id", "year"], "vcov": {"cluster": "industry2"}}
    return {"id": fid, "panel": {"id": "firm_id", "time": "year"}, "samples": samples or {},
            "engine": engine, "models": [{**base, **m} for m in models]}


@pytest.fixture(scope="module")
def small():
    return make_panel(n_firms=150, seed=3)


def _numpy_reference(df, cluster):
    """OLS of tfp_acf on REGS + firm and year dummies; CRV1 with fixest's df (firms nested in clusters)."""
    firm = pd.get_dummies(df["firm_id"], dtype=float).to_numpy()
    year = pd.get_dummies(df["year"], dtype=float).to_numpy()[:, 1:]
    X = np.column_stack([df[REGS].to_numpy(), firm, year])
    y = df["tfp_acf"].to_numpy()
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    u = y - X @ beta
    k = len(REGS)
    N = len(y)
    if cluster:
        codes = pd.factorize(df["industry2"])[0]
        G = codes.max() + 1
        scores = np.zeros((G, X.shape[1]))
        np.add.at(scores, codes, X * u[:, None])
        V = XtX_inv @ (scores.T @ scores) @ XtX_inv
        # firm effects nested in industry clusters: fixest counts k + year dummies + 1
        df_k = k + df["year"].nunique()
        V *= (N - 1) / (N - df_k) * G / (G - 1)
    else:  # HC1 with every dummy counted
        V = XtX_inv @ ((X * u[:, None] ** 2).T @ X) @ XtX_inv
        df_k = k + df["firm_id"].nunique() + df["year"].nunique() - 1
        V *= N / (N - df_k)
    return beta[:k], np.sqrt(np.diag(V)[:k])


@pytest.mark.parametrize("vcov, cluster", [({"cluster": "industry2"}, True), ("hetero", False)])
def test_pyfixest_matches_numpy_dummies(small, vcov, cluster):
    fam = _family([{"id": "m", "vcov": vcov}])
    est, _ = estimate.estimate_family(small, fam)
    b, se = _numpy_reference(small, cluster)
    np.testing.assert_allclose(est["estimate"], b, rtol=1e-8)
    np.testing.assert_allclose(est["std_error"], se, rtol=1e-8)
    assert (est["nobs"] == len(small)).all()


def test_tidy_columns_order_and_types(toy):
    fam = _family([{"id": "b"}, {"id": "a", "regressors": ["backward", "forward"], "controls": ["horizontal"]}])
    est, _ = estimate.estimate_family(toy, fam)
    assert list(est.columns) == tidy.COLUMNS
    assert est["model"].tolist() == ["b"] * 4 + ["a"] * 3
    assert est["term"].tolist() == REGS + ["backward", "forward", "horizontal"]
    assert est["nobs"].dtype == "int64" and est["estimate"].dtype == "float64"
    assert set(est["fixed_effects"]) == {"firm_id+year"} and set(est["vcov"]) == {"CRV1:industry2"}
    assert set(est["engine"]) == {engine_pyfixest.WITHIN_ENGINE} and (est["n_clusters"] == 30).all()
    assert ((est["ci_low"] < est["estimate"]) & (est["estimate"] < est["ci_high"])).all()


def test_toy_truth_recovered(toy):
    est, _ = estimate.estimate_family(toy, _family([{"id": "m"}]))
    z = (est["estimate"] - est["term"].map(TRUTH)) / est["std_error"]
    assert (z.abs() < 3).all(), est[["term", "estimate", "std_error"]]


def test_models_sharing_effects_are_fitted_one_outcome_per_call_and_demeaned_once(toy):
    outcomes = ["tfp_acf", "tfp_lp", "tfp_fe", "tfp_ols"]
    fam = _family([{"id": o, "outcome": o} for o in outcomes]
                  + [{"id": "sw1", "regressors": REGS + ["horizontal_local"]},
                     {"id": "sw2", "regressors": REGS + ["l(backward, 1)"]},
                     {"id": "other_fe", "fixed_effects": ["city", "year"]}])
    d = design.build(toy, fam)
    calls = engine_pyfixest.plan_calls(fam["models"], d)
    fmls = [c["fml"] for c in calls]
    # one call per outcome (pf.feols would hold every outcome's fit at once), two other
    # right-hand sides, other effects
    assert [f.split(" ~ ")[0] for f in fmls[:4]] == outcomes
    assert len(calls) == 7
    assert sum(len(c["members"]) for c in calls) == len(fam["models"])
    _, timings = engine_pyfixest.estimate(fam, d, within=False)
    assert len(timings) == len(calls)
    # one demeaning per set of rows and effects: the four outcomes and sw1 share theirs
    _, timings = engine_pyfixest.estimate(fam, d)
    assert [len(t["models"]) for t in timings] == [5, 1, 1]
    est, _ = estimate.estimate_family(toy, fam)
    # each model estimated jointly equals the model estimated alone
    alone, _ = estimate.estimate_family(toy, _family([{"id": "tfp_lp", "outcome": "tfp_lp"}]))
    np.testing.assert_allclose(est.loc[est["model"] == "tfp_lp", "estimate"], alone["estimate"], rtol=1e-10)
    np.testing.assert_allclose(est.loc[est["model"] == "tfp_lp", "std_error"], alone["std_error"], rtol=1e-10)


def test_sw_for_one_varying_term(toy):
    fam = _family([{"id": "a", "regressors": ["backward", "forward"]},
                   {"id": "b", "regressors": ["backward", "horizontal_hmt"]}])
    calls = engine_pyfixest.plan_calls(fam["models"], design.build(toy, fam))
    assert len(calls) == 1 and "sw(forward,horizontal_hmt)" in calls[0]["fml"]
    est, _ = estimate.estimate_family(toy, fam)
    alone, _ = estimate.estimate_family(toy, _family([{"id": "b", "regressors": ["backward", "horizontal_hmt"]}]))
    np.testing.assert_allclose(est.loc[est["model"] == "b", "estimate"], alone["estimate"], rtol=1e-10)


@pytest.mark.parametrize("models", [
    [{"id": "fe2", "fixed_effects": ["firm_id", "city^year"]}],
    [{"id": "twoway", "vcov": {"cluster": ["industry2", "year"]}}],
    [{"id": "iy", "vcov": {"cluster": "industry2^year"}}],
    [{"id": "hc1", "vcov": "hetero", "fixed_effects": ["city", "industry2", "year"]}],
    [{"id": "iid", "vcov": "iid"}],
    [{"id": "iv", "regressors": ["backward"], "iv": {"endog": ["horizontal"], "instruments": ["encouraged_post"]}}],
    [{"id": "nofe", "fixed_effects": []}],
])
def test_cross_engine_agreement(toy, models):
    fam = _family(models)
    est, _ = estimate.estimate_family(toy, fam)
    out = crosscheck.compare_family(toy, fam, est, coef_rtol=1e-6, se_tol=1e-4)
    assert len(out) == len(est) - (est["term"] == "(Intercept)").sum()
    assert out["ok"].all(), out
    assert out["se_rel_diff"].max() < 1e-6  # far below a one-degree-of-freedom slip (~1/N)


def test_cross_check_absorbs_outcomes_of_one_sample_once(toy, monkeypatch):
    """Models sharing rows and effects (here three outcomes, three-way effects) are residualized
    in one pass over the union of their columns; the PanelOLS model takes no part; the numbers
    are those of one absorption per model."""
    import pyhdfe

    from upgrading.analysis import engine_linearmodels

    cie = ["city", "industry2", "year"]
    fam = _family([{"id": "a", "fixed_effects": cie}, {"id": "b", "outcome": "tfp_lp", "fixed_effects": cie},
                   {"id": "c", "outcome": "tfp_ols", "fixed_effects": cie}, {"id": "panel"}])
    est, _ = estimate.estimate_family(toy, fam)
    created = []
    create = pyhdfe.create
    monkeypatch.setattr(pyhdfe, "create", lambda *a, **k: created.append(1) or create(*a, **k))
    out = crosscheck.compare_family(toy, fam, est, coef_rtol=1e-6, se_tol=1e-4)
    assert len(created) == 1 and out["ok"].all(), out
    d = design.build(toy, fam)
    for m in fam["models"]:
        alone = engine_linearmodels.estimate_model(d, m, engine_linearmodels.Absorbed(), panel=fam["panel"])
        shared = out[out["model"] == m["id"]].set_index("term")["estimate_linearmodels"]
        for name, (b, _) in alone["coef"].items():
            assert shared[name] == pytest.approx(b, rel=1e-8), (m["id"], name)


def test_fixest_df_k_counts():
    fe = pd.DataFrame({"firm": [1, 1, 2, 2, 3, 3], "year": [1, 2, 1, 2, 1, 2]})
    cl_nested = pd.DataFrame({"g": [1, 1, 1, 1, 2, 2]})
    cl_cross = pd.DataFrame({"g": [1, 2, 1, 2, 1, 2]})
    assert fixest_df_k(2, fe, None) == 2 + 3 + 2 - 1
    assert fixest_df_k(2, fe, cl_nested) == 2 + 3 + 2 - 1 - 3 + 1  # firm nested: counts as one
    assert fixest_df_k(2, fe, cl_cross) == 2 + 3 + 2 - 1 - 2 + 1  # year nested in the year-clusters


def test_probit_family_recovers_latent_model(toy):
    fam = _family([{"id": "probit", "outcome": "exporter", "estimator": "probit",
                    "fixed_effects": ["year"], "regressors": ["horizontal_other", "backward"]}],
                  engine="statsmodels")
    est, _ = estimate.estimate_family(toy, fam)
    assert set(est["engine"]) == {"statsmodels"} and est["marginal_effect"].notna().all()
    truth = {"horizontal_other": 1.0, "backward": 0.5}  # latent index of the toy panel
    z = (est["estimate"] - est["term"].map(truth)) / est["std_error"]
    assert (z.abs() < 3).all(), est[["term", "estimate", "std_error"]]


def test_groups_with_constant_binary_outcome_are_dropped_before_probit():
    """Hand-made toy: industry 4 never exports (separation), so its row goes; then no group is constant."""
    from upgrading.analysis.engine_statsmodels import _drop_separated

    frame = pd.DataFrame({"y": [0, 0, 1, 0, 1, 1, 0, 0], "g": [1, 1, 1, 2, 2, 3, 3, 4],
                          "h": [1, 2, 1, 2, 1, 2, 1, 2]})
    kept, dropped, groups = _drop_separated(frame, "y", ["g", "h"])
    assert dropped == 1
    assert groups == "g=4:1"  # which group went, and its rows, for the table notes
    # Design columns hold codes: the group is named by its fixed effect and level.
    coded = frame.assign(g=frame["g"].astype(float) - 1)
    assert _drop_separated(coded, "y", ["g", "h"], {"g": ("industry2", [13, 14, 15, 16])})[2] == "industry2=16:1"
    assert kept["g"].tolist() == [1, 1, 1, 2, 2, 3, 3]
    # a second pass can be needed: dropping group 4 must not leave another constant group
    assert (kept.groupby("h")["y"].nunique() == 2).all()


@pytest.mark.parametrize("estimator", ["probit", "logit"])
def test_average_marginal_effects_match_statsmodels(toy, estimator):
    import statsmodels.api as sm

    from upgrading.analysis.engine_statsmodels import average_marginal_effects

    d = toy.dropna(subset=["exporter", "horizontal_other", "backward"])
    X = sm.add_constant(d[["horizontal_other", "backward"]].astype(float), has_constant="add")
    model = sm.Probit if estimator == "probit" else sm.Logit
    fit = model(d["exporter"].astype(float), X).fit(disp=0)
    ours = average_marginal_effects(fit.params, X, estimator)
    theirs = dict(zip(X.columns[1:], fit.get_margeff(at="overall", method="dydx").margeff))
    assert ours == pytest.approx(theirs, rel=1e-10)
