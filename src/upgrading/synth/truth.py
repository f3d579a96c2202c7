"""The truth of the synthetic world: parameters.json (with the spillover estimands) and
oracle.json (the validation regressions on the true omega and measures, upgrading.synth.fwl).

Estimand. The DGP's spillover term is heterogeneous (backward stronger after 2002, the HMT
effect offset in clusters, a local term), and the survey keeps a non-state firm only while
its sales pass the threshold, so the coefficient a regression of domestic firms' omega on
the measures (firm and year effects) estimates is neither one structural parameter nor free
of selection. Omega = effects + spill + u: the effects are absorbed by the fixed effects, so

    estimand = P_s(spill) + [P_s(u) - P_a(u)],

with P_s the regression on the surveyed firm-years (the raw files) and P_a the same
regression on every alive domestic firm-year, surveyed or not. P_s(spill) is the projection
of the spillover term on the regressors (heterogeneity); the bracket is the selection term:
a firm whose spillovers fall stays in the survey only with a high own shock u. Without the
threshold u is independent of the measures (exit depends on u alone; but see the feedback
below), so P_a(u) is mean-zero sampling error, and the oracle P_s(omega) minus the estimand is P_a(u): sampling error with
the spread of the oracle's own SE (measured: oracle bias on the HMT term +0.066 over 60 seeds
against the selection-free estimand, ~0 with the threshold switched off).
`spillovers*` hold the estimands; `estimand_parts` their projection, selection and feedback parts;
`spillovers_dgp` the DGP's parameters.

The cluster regressor. The DGP offsets the HMT effect in fixed city x industry cells (its cluster
cells); the regressions' `cluster` is the measures stage's indicator (a location quotient over a
threshold with enough firms in the cell, upgrading.core.clusters), which marks other cells.
The truth's regressions use that indicator computed on the true employment of every surveyed
firm-year (ClusterRule, from the `measures:` settings), so the estimands are the coefficients of
the regressor the pipeline builds: the DGP's cluster offset projects onto HMT presence and its
interaction with the measured indicator. oracle.json's `cluster_regressor` says how far the two
indicators part.

Feedback within a city x industry cell. A firm's own shock raises its output, which lowers
its domestic neighbours' local foreign share, their spillover and output, and so raises its
own local share: u is then not independent of horizontal_local, P_a(u) has a non-zero mean
(about +0.02 on the local coefficient at small scale, +0.04 at full scale), and that mean is
part of what the regression converges to. The estimand is that probability limit:

    estimand = P_s(spill) + [P_s(u) - P_a(u)] + E[P_a(u)],

with E[P_a(u)] (`feedback`) the mean of the oracle minus the first two parts over
`synth.estimand_replications` further worlds of the same parameters and scale (seeds
`replication_seeds`); it vanishes when the local effect is set to 0. That mean is itself
simulated: with few further worlds it carries noise of the order of the oracle's standard error
over their square root, which the Monte Carlo removes by pooling the draws' feedback estimates
(upgrading.analysis.montecarlo.pool_feedback). Lagged presence in the
DGP would not remove it: with u persistent, last year's presence carries last year's shock.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from upgrading.core.cluster_rule import ClusterRule
from upgrading.synth.estimands import feedback_doc, replication_seeds
from upgrading.synth.estimands import param_names as _param_names
from upgrading.synth.estimands import sig as _sig

# Regressors of the validation models, named as in the registry (interactions built here).
MODELS = {
    "baseline": ["horizontal_hmt", "horizontal_other", "backward", "forward"],
    "local": ["horizontal_hmt", "horizontal_other", "horizontal_local", "backward", "forward"],
    "structural": ["horizontal_hmt", "horizontal_other", "horizontal_local", "backward", "backward:post2002",
                   "forward", "horizontal_hmt:cluster"],
}
MEASURES = ["horizontal_hmt", "horizontal_other", "horizontal_local", "backward", "forward", "cluster"]
POST_FROM = 2003  # the DGP's post-2002 learning (upgrading.synth.dynamics.YearModel.post)
# The oracle follows the baseline spec's inference (config/specs.yaml: cluster by industry2)
# with the engine's conventions (upgrading.synth.fwl), so its intervals are the pipeline's
# intervals on true omega.
ORACLE_CLUSTER = "true_industry2"


def _column(term: str) -> str:
    return term.replace(":", "_x_")


def _with_interactions(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(post2002=(df["year"] >= POST_FROM).astype(float), cluster=df["cluster"].astype(float))
    for term in {t for terms in MODELS.values() for t in terms if ":" in t}:
        a, b = term.split(":")
        df[_column(term)] = df[a] * df[b]
    return df


def surveyed_rows(truth: pd.DataFrame) -> pd.DataFrame:
    """Every surveyed firm-year once (injected duplicate lines left out, if listed), all ownerships."""
    if "defect" not in truth.columns:
        return truth
    return truth[~truth["defect"].isin(["duplicate_row", "conflict_duplicate"]).to_numpy()]


def regression_sample(rows: pd.DataFrame, cluster: np.ndarray) -> pd.DataFrame:
    """Domestic firms of `rows` (surveyed_rows), with `cluster` (one value per row of `rows`) as the
    regressions' cluster indicator and the DGP's cluster cell kept as cluster_dgp."""
    keep = rows["domestic"].to_numpy()
    df = rows.loc[keep, ["true_firm_id", "year", "true_omega", "true_spill", "true_u", "true_industry2",
                         *MEASURES]].copy()
    df["cluster_dgp"] = df["cluster"].astype(float)
    df["cluster"] = cluster[keep]
    return _with_interactions(df).sort_values(["true_firm_id", "year"]).reset_index(drop=True)


def alive_sample(surveyed: pd.DataFrame, unsurveyed: pd.DataFrame, cluster: np.ndarray) -> pd.DataFrame:
    """Every alive domestic firm-year: the surveyed ones and those below the threshold (`cluster`:
    the measured indicator of each unsurveyed row, from its cell among the surveyed firms)."""
    miss = unsurveyed.rename(columns={"firm": "true_firm_id", "u": "true_u"})
    miss = _with_interactions(miss[["true_firm_id", "year", "true_u", *MEASURES]].assign(cluster=cluster))
    miss["true_industry2"] = unsurveyed["industry2"].to_numpy()
    cols = ["true_firm_id", "year", "true_u", "true_industry2", *[_column(t) for t in MODELS["structural"]]]
    both = pd.concat([surveyed[cols], miss[cols]], ignore_index=True)
    return both.sort_values(["true_firm_id", "year"]).reset_index(drop=True)


def samples(truth: pd.DataFrame, unsurveyed: pd.DataFrame, rule: ClusterRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(surveyed domestic firm-years, alive domestic firm-years), the regressions' cluster
    indicator measured by `rule` on the surveyed firms (module docstring)."""
    from upgrading.core import clusters

    rows = surveyed_rows(truth)
    # the measures stage's formulas on the true employment of every surveyed firm-year (all ownerships)
    firms = pd.DataFrame({"city": rows["true_city"].to_numpy(), "industry2": rows["true_industry2"].to_numpy(),
                          "industry4": rows["true_industry4"].to_numpy(), "year": rows["year"].to_numpy(),
                          "employment": rows["true_employment"].to_numpy(dtype=float)})
    lq, eg = clusters.location_quotient(firms), clusters.ellison_glaeser(firms)
    surveyed = regression_sample(rows, clusters.indicator(firms, lq, eg, rule))
    return surveyed, alive_sample(surveyed, unsurveyed, clusters.indicator(unsurveyed, lq, eg, rule))


def cluster_agreement(surveyed: pd.DataFrame, rule: ClusterRule) -> dict:
    """How the measured cluster indicator of the surveyed domestic firm-years parts from the DGP's
    cluster cells (oracle.json `cluster_regressor`)."""
    dgp, measured = surveyed["cluster_dgp"].to_numpy() == 1, surveyed["cluster"].to_numpy() == 1
    return {"rule": asdict(rule),
            "firm_years": int(len(surveyed)), "in_dgp_cluster_cells": int(dgp.sum()),
            "flagged": int(measured.sum()),
            "flagged_share_of_dgp_cluster": _sig(float(measured[dgp].mean())) if dgp.any() else None,
            "flagged_share_of_other": _sig(float(measured[~dgp].mean())) if (~dgp).any() else None,
            "note": "domestic surveyed firm-years; cluster = the measures stage's indicator (location quotient "
                    "of true employment >= lq_threshold, >= cluster_min_firms firms in the city x industry2 cell, and "
                    "the 4-digit industry's Ellison-Glaeser index >= eg_threshold when set; in the current year or "
                    "the cell's first sample year, cluster_year) on the true data; "
                    "cluster_dgp = the DGP's cluster cells, where its HMT offset acts"}


def oracle_and_estimands(truth: pd.DataFrame, unsurveyed: pd.DataFrame,
                         rule: ClusterRule) -> tuple[dict, dict, dict]:
    """(oracle.json content, estimands {model: {term: value}}, their parts {model: {projection, selection}})."""
    from upgrading.synth.fwl import Within

    surveyed, alive = samples(truth, unsurveyed, rule)
    oracle = {"sample": "domestic firms (hmt_share == 0 and other_foreign_share == 0), every true firm-year "
                        "in the raw files once; vcov CRV1 by industry2, singletons kept (the engine's conventions)",
              "cluster_regressor": cluster_agreement(surveyed, rule)}
    estimands, parts = {}, {}
    # Two row sets: complete for the baseline regressors, and complete with horizontal_local too
    # (NaN for a firm alone in its cell); each sample is demeaned once per row set.
    within: dict = {}
    for model, terms in MODELS.items():
        cols = [_column(t) for t in terms]
        rows = "with_local" if "horizontal_local" in terms else "baseline"
        if rows not in within:
            need = [_column(t) for t in (MODELS["structural"] if rows == "with_local" else MODELS["baseline"])]
            s_rows, a_rows = surveyed.dropna(subset=need), alive.dropna(subset=need)
            within[rows] = (Within(s_rows, ["true_omega", "true_spill", "true_u", *need], cluster=ORACLE_CLUSTER),
                            Within(a_rows, ["true_u", *need]))
        on_surveyed, on_alive = within[rows]
        fit = on_surveyed.coef(["true_spill", "true_u"], cols)
        u_alive = on_alive.coef(["true_u"], cols)["true_u"]
        projection = {t: _sig(v) for t, v in zip(terms, fit["true_spill"])}
        selection = {t: _sig(a - b) for t, a, b in zip(terms, fit["true_u"], u_alive)}
        estimands[model] = {t: _sig(projection[t] + selection[t]) for t in terms}
        parts[model] = {"projection": projection, "selection": selection,
                        "nobs_surveyed": on_surveyed.nobs, "nobs_alive": on_alive.nobs}
        beta, se = on_surveyed.crv1("true_omega", cols)
        oracle[model] = {"depvar": "true_omega", "fixed_effects": "firm_id+year", "vcov": "CRV1:industry2",
                         "engine": "numpy within (pyfixest demeaner; upgrading.synth.fwl)",
                         "nobs": on_surveyed.nobs,
                         "terms": {t: {"estimate": _sig(b), "std_error": _sig(e)} for t, b, e in zip(terms, beta, se)}}
    return oracle, estimands, parts


def truth_frame(world) -> pd.DataFrame:
    """The columns of truth/firms.parquet the oracle needs, straight from a simulated world."""
    pn, st, tab = world.panel, world.static, world.tab
    f = pn["firm"].to_numpy()
    return pd.DataFrame({
        "year": pn["year"].to_numpy(), "true_firm_id": f.astype(np.int64),
        "true_omega": pn["omega"].to_numpy(), "true_spill": pn["spill"].to_numpy(), "true_u": pn["u"].to_numpy(),
        "true_industry2": tab.j_code[st["j"][f]].astype(np.int64),
        "true_industry4": tab.c4_code[st["c4"][f]].astype(np.int64),
        "true_city": tab.city_code[st["c"][f]].astype(np.int64),
        "true_employment": pn["employment"].to_numpy(),
        "domestic": (st["share_hmt"][f] == 0) & (st["share_foreign"][f] == 0),
        **{m: pn[m].to_numpy() for m in MEASURES}})


def replication_world(p: dict, scale: str, seed: int, years: list[int], rule: ClusterRule,
                      design_seed: int | None = None) -> tuple[dict, dict]:
    """(oracle, estimands without feedback) of the world of `seed`, simulated afresh; with
    design_seed, of the world with design_seed's design and seed's simulation draws."""
    from upgrading.synth.world import build_world

    world = (build_world(p, scale, seed, years) if design_seed is None
             else build_world(p, scale, design_seed, years, shock_seed=seed))
    frame, unsurveyed = truth_frame(world), world.unsurveyed
    del world  # the simulation's own tables are not needed by the regressions: keep the peak down
    oracle, estimands, _ = oracle_and_estimands(frame, unsurveyed, rule)
    return oracle, estimands


def oracle_gaps(oracle: dict, estimands: dict) -> dict:
    """{model: {term: oracle minus estimand}}: with estimands without feedback, the feedback part
    plus the oracle's sampling error."""
    return {model: {t: oracle[model]["terms"][t]["estimate"] - v for t, v in terms.items()}
            for model, terms in estimands.items()}


def feedback(p: dict, scale: str, seed: int, years: list[int], replications: int, rule: ClusterRule,
             log=None) -> dict:
    """{model: {term: E[P_a(u)]}}: the mean over `replications` worlds (same parameters and scale,
    other seeds) of the oracle minus the projection and selection parts of their estimands."""
    gaps: dict = {}
    for r_seed in replication_seeds(seed, replications):
        for model, terms in oracle_gaps(*replication_world(p, scale, r_seed, years, rule)).items():
            for t, v in terms.items():
                gaps.setdefault(model, {}).setdefault(t, []).append(v)
        if log is not None:
            log(f"feedback replication seed {r_seed} done")
    return {m: {t: _sig(float(np.mean(v))) for t, v in terms.items()} for m, terms in gaps.items()}


def feedback_file(p: dict, scale: str, seed: int, years: list[int], replications: int, rule: ClusterRule,
                  log=None) -> dict:
    """The feedback file of world `seed` (upgrading.synth.estimands.feedback_doc); no further
    worlds (replications 0) give a feedback part of 0."""
    gap = feedback(p, scale, seed, years, replications, rule, log) if replications else {}
    return feedback_doc(gap, replications, replication_seeds(seed, replications))


def parameters(world, estimands: dict, parts: dict, mess_counts: dict) -> dict:
    params, tables = world.params, world.tab
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
        "spillovers_structural": _param_names(estimands["structural"]),
        "spillovers_dgp": params["spillovers"],
        "estimand_parts": {m: {**v, **{k: _param_names(v[k]) for k in ("projection", "selection")}} for m, v in parts.items()},
        "measures_note": "horizontal* are per firm over the other firms of its industry-year (own output left "
                         "out); horizontal_local over the other firms of its city x industry x year cell (NaN, so "
                         "out of the local and structural regressions, for a firm alone in its cell): a firm's "
                         "own productivity never moves its own regressor.",
        "spillovers_note": "spillovers / spillovers_local / spillovers_structural: the estimands of the baseline, "
                           "local and structural regressions of domestic firms' omega on the measures with firm and "
                           "year effects = projection of the DGP's spillover term on the regressors + selection term "
                           "of the survey threshold + the mean feedback within city x industry cells over further worlds "
                           "(estimand_parts; module docstring of upgrading.synth.truth); spillovers_dgp: "
                           "the DGP's parameters, which the structural model's projection part would equal if its "
                           "cluster indicator were the DGP's cluster cells (each term of the DGP's spillover term is "
                           "then one of its regressors); the regressions' indicator is the measures stage's rule on "
                           "the true data instead (oracle.json cluster_regressor).",
        "omega": {"industry_intercept": {str(c): float(v) for c, v in zip(tables.j_code, tables.j_intercept)},
                  "rho_u": params["rho_u"], "sd_u_innovation": params["sd_u_innovation"],
                  "tfp_growth": params["tfp_growth"], "sd_measurement": params["sd_measurement"],
                  "sd_city": params["sd_city"]},
        "fixed_point": {"max_gap": float(diag["fixed_point_gap"].max()),
                        "iterations": {str(r.year): int(r.fixed_point_iterations) for r in diag.itertuples()}},
        "upgrading": {k: params[k] for k in ("exporter_index", "export_intensity_index", "new_product_index",
                                         "new_product_share", "va_ratio")},
        "catalogue_effect": params["catalogue_effect"],
        "delta": params["delta"], "threshold_sales": params["threshold_sales"],
        "mess": mess_counts,
        "config": json.loads(json.dumps(params)),  # string keys, as in JSON
    }
