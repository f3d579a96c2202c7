"""The truth of the synthetic world: parameters.json (with the spillover estimands) and
oracle.json (the baseline regressions run with pyfixest on the true omega and measures).

Estimand. The DGP's spillover term is heterogeneous (backward stronger after 2002, the
HMT effect offset in clusters, a local term), so the coefficient that the baseline
regression (domestic firms' TFP on horizontal_hmt, horizontal_other, backward, forward
with firm and year effects) converges to is not one structural parameter. Because the
other parts of omega (industry, city, drift, u) are exogenous to the measures, that
coefficient is the projection of the spillover term itself on the same regressors with
the same fixed effects, on the same firm-years: we store it in `spillovers` and the
structural parameters beside it in `spillovers_structural`. The oracle runs the
regression on true omega: its distance from the estimand is sampling error (u, selection
by the threshold and by exit); the pipeline's distance from the oracle is pipeline error.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

BASELINE = ["horizontal_hmt", "horizontal_other", "backward", "forward"]
LOCAL = ["horizontal_hmt", "horizontal_other", "horizontal_local", "backward", "forward"]
VCOV = {"CRV1": "industry_year"}


def regression_sample(truth: pd.DataFrame) -> pd.DataFrame:
    """Domestic firms, one row per true firm-year (injected duplicate lines left out, if listed)."""
    keep = truth["domestic"].to_numpy()
    if "defect" in truth.columns:
        keep = keep & ~truth["defect"].isin(["duplicate_row", "conflict_duplicate"]).to_numpy()
    df = truth.loc[keep, ["true_firm_id", "year", "true_omega", "true_spill", "true_industry2", *LOCAL]].copy()
    df["industry_year"] = df["true_industry2"].astype(np.int64) * 10000 + df["year"].astype(np.int64)
    return df.sort_values(["true_firm_id", "year"]).reset_index(drop=True)


def _sig(x: float, digits: int = 8) -> float:
    """Round to `digits` significant digits: pyfixest's demeaner is multithreaded, so the
    last bits of its results vary between runs; rounding keeps truth files byte-identical."""
    return float(f"{x:.{digits}g}")


def _fit(df: pd.DataFrame, terms: list[str]) -> dict[str, dict]:
    """One pyfixest call for both depvars (true_omega: the oracle; true_spill: the estimand)."""
    import warnings

    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    with warnings.catch_warnings():  # singleton fixed effects are dropped, as fixest does
        warnings.simplefilter("ignore", UserWarning)
        multi = pf.feols(f"true_omega + true_spill ~ {' + '.join(terms)} | true_firm_id + year",
                         data=df, vcov=VCOV, demeaner=MapDemeaner(fixef_tol=1e-10))
    out = {}
    for fit in multi.all_fitted_models.values():
        tidy = fit.tidy()
        out[fit._depvar] = {
            "depvar": fit._depvar, "fixed_effects": "firm_id+year", "vcov": "CRV1:industry2-year",
            "engine": "pyfixest", "nobs": int(fit._N),
            "terms": {t: {"estimate": _sig(tidy.loc[t, "Estimate"]),
                          "std_error": _sig(tidy.loc[t, "Std. Error"])} for t in terms}}
    return out


def oracle_and_estimands(truth: pd.DataFrame) -> tuple[dict, dict]:
    """(oracle.json content, estimands {model: {term: value}})."""
    df = regression_sample(truth)
    oracle, estimands = {"sample": "domestic firms (hmt_share == 0 and other_foreign_share == 0), "
                                   "every true firm-year in the raw files once"}, {}
    for model, terms in (("baseline", BASELINE), ("local", LOCAL)):
        fits = _fit(df, terms)
        oracle[model] = fits["true_omega"]
        estimands[model] = {t: v["estimate"] for t, v in fits["true_spill"]["terms"].items()}
    return oracle, estimands


def parameters(world, estimands: dict, mess_counts: dict) -> dict:
    p, tab = world.params, world.tab
    div = world.divisions
    production = {str(r.industry2): {"beta_l": float(r.beta_l), "beta_k": float(r.beta_k)}
                  for r in div.itertuples(index=False)}
    diag = world.diagnostics
    return {
        "scale": world.scale, "seed": world.seed, "years": world.years,
        "firms_per_year_target": {str(k): v for k, v in world.targets.items()},
        "production": production,
        "production_note": "value-added Cobb-Douglas by 2-digit industry: VA = exp(omega + eps) L^beta_l K^beta_k; "
                           "capital chosen at t-1; intermediates ordered at t for the plan at the going wage "
                           "(planned VA (1/va_share - 1), a function of omega_t and k_t: the LP/ACF proxy); "
                           "log labour = labour_adjust l_{t-1} + (1 - labour_adjust) l*(omega_t, k_t, firm wage) "
                           "+ N(0, sd_labour_error) (ACF 2015 labour frictions); eps ~ N(0, sd_measurement)",
        "spillovers": estimands["baseline"],
        "spillovers_local": estimands["local"],
        "spillovers_structural": structural_coefficients(p["spillovers"]),
        "spillovers_dgp": p["spillovers"],
        "spillovers_local_note": "horizontal_local is leave-one-out (the other firms of the firm's city x "
                                 "industry x year cell; NaN, so out of the local regression, for a firm alone "
                                 "in its cell), so a firm's own productivity does not move its own regressor "
                                 "and the regression on true omega (oracle.json) estimates this projection.",
        "spillovers_note": "spillovers / spillovers_local: the estimands of the baseline and local regressions "
                           "(projection of the DGP's spillover term on the measures with firm and year effects, "
                           "domestic firms); spillovers_dgp: the DGP's parameters; spillovers_structural: the coefficients "
                           "the structural regression (every measure of the DGP's spillover term) estimates "
                           "(structural_coefficients in upgrading.synth.truth)",
        "omega": {"industry_intercept": {str(c): float(v) for c, v in zip(tab.j_code, tab.j_intercept)},
                  "rho_u": p["rho_u"], "sd_u_innovation": p["sd_u_innovation"],
                  "tfp_growth": p["tfp_growth"], "sd_measurement": p["sd_measurement"],
                  "sd_city": p["sd_city"]},
        "fixed_point": {"max_gap": float(diag["fixed_point_gap"].max()),
                        "iterations": {str(r.year): int(r.fixed_point_iterations) for r in diag.itertuples()}},
        "upgrading": {k: p[k] for k in ("exporter_index", "export_intensity_index", "new_product_index",
                                         "new_product_share", "va_ratio")},
        "catalogue_effect": p["catalogue_effect"],
        "delta": p["delta"], "threshold_sales": p["threshold_sales"],
        "mess": mess_counts,
        "config": json.loads(json.dumps(p)),  # string keys, as in JSON
    }


def structural_coefficients(dgp: dict) -> dict:
    """DGP parameters -> coefficients of a regression on H_hmt, H_other, H_local, B, F, ...

    The DGP writes the local term as b_local * (H_local - H) with H = H_hmt + H_other (local
    presence counts b_local more than national), so a regression with H_hmt, H_other and
    H_local as separate regressors estimates b_hmt - b_local and b_other - b_local on the
    national terms; every other coefficient is the DGP's own.
    """
    out = dict(dgp)
    out["horizontal_hmt"] = dgp["horizontal_hmt"] - dgp["horizontal_local"]
    out["horizontal_other"] = dgp["horizontal_other"] - dgp["horizontal_local"]
    return out
