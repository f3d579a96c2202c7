"""Estimate a family's linear models with pyfixest, following R fixest's inference defaults.

Conventions (stated in the README): vcov CRV1 (or HC1 / iid as the spec says) with fixest's
small-sample correction ssc(k_adj=TRUE, fixef.K="nested" [pyfixest: "nonnested"],
G_adj=TRUE, G_df="min"), written out explicitly so a change of pyfixest defaults cannot move
a standard error; singletons are kept (fixef_rm="none") as the issue's convention asks.

Models that share sample, fixed effects, vcov, weights and IV setup are estimated in one
pf.feols call (several outcomes and/or sw() over one varying term), so pyfixest demeans the
shared variables once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np

from . import design as dsg
from . import inference
from .tidy import model_meta

log = logging.getLogger(__name__)

SSC = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}
FIXEF_RM = "none"
# Demeaning tolerance tighter than the 1e-6 default, so the cross-engine check compares
# estimators (agreement ~1e-10) rather than convergence noise (~1e-6 relative in SEs).
FIXEF_TOL = 1e-12


def ssc():
    import pyfixest as pf

    return pf.ssc(**SSC)


def pf_vcov(cols: dict, m: dict):
    if cols["cluster"]:
        return {"CRV1": "+".join(cols["cluster"])}
    return {"hetero": "hetero", "iid": "iid"}[m["vcov"]]


def _group_key(m: dict, cols: dict) -> tuple:
    return (m["sample"], tuple(cols["fe"]), str(pf_vcov(cols, m)), cols["weights"],
            tuple(cols["endog"]), tuple(cols["instruments"]))


def plan_calls(models: list[dict], design: dsg.Design) -> list[dict]:
    """Group models into pf.feols calls: [{"fml": str, "models": [model dicts], ...}].

    Within a group sharing sample/FE/vcov/weights/IV: models with the same right-hand side
    become one multiple-outcome call; right-hand sides that differ by exactly one term
    (shared by every outcome set) become one `sw()` call; anything else gets its own call.
    """
    groups: OrderedDict = OrderedDict()
    for m in models:
        cols = dsg.model_columns(design, m)
        groups.setdefault(_group_key(m, cols), []).append((m, cols))
    calls = []
    for members in groups.values():
        by_rhs: OrderedDict = OrderedDict()
        for m, cols in members:
            by_rhs.setdefault(tuple(cols["exog"]), []).append((m, cols))
        first_cols = members[0][1]
        outcome_sets = {tuple(dict.fromkeys(c["y"] for _, c in ms)) for ms in by_rhs.values()}
        rhs_list = list(by_rhs)
        common = [v for v in rhs_list[0] if all(v in r for r in rhs_list)]
        extras = [[v for v in r if v not in common] for r in rhs_list]
        if len(by_rhs) > 1 and len(outcome_sets) == 1 and all(len(e) == 1 for e in extras) \
                and len({e[0] for e in extras}) == len(extras):
            ys = list(next(iter(outcome_sets)))
            calls.append({"fml": _formula(ys, common + ["sw(" + ",".join(e[0] for e in extras) + ")"],
                                          first_cols),
                          "members": [mc for ms in by_rhs.values() for mc in ms]})
        else:
            for rhs, ms in by_rhs.items():
                # the same outcome under two model ids (e.g. a bootstrap variant) is fitted once
                ys = list(dict.fromkeys(c["y"] for _, c in ms))
                calls.append({"fml": _formula(ys, list(rhs), ms[0][1]), "members": ms})
    return calls


def _formula(ys: list[str], rhs: list[str], cols: dict) -> str:
    lhs = " + ".join(ys)
    right = " + ".join(rhs) if rhs else "1"
    fml = f"{lhs} ~ {right}"
    fe = " + ".join(cols["fe"])
    if cols["endog"]:
        fml += f" | {fe or '0'}" if fe else ""
        fml += f" | {' + '.join(cols['endog'])} ~ {' + '.join(cols['instruments'])}"
    elif fe:
        fml += f" | {fe}"
    return fml


def _call_columns(call: dict) -> list[str]:
    cols = []
    for _, c in call["members"]:
        cols += [c["y"], *c["exog"], *c["endog"], *c["instruments"], *c["fe"], *c["cluster"]]
        cols += [c["weights"]] if c["weights"] else []
    return list(dict.fromkeys(cols))


def _fitted_models(fit) -> list:
    from pyfixest.estimation.FixestMulti_ import FixestMulti

    return fit.to_list() if isinstance(fit, FixestMulti) else [fit]


def _match(fits: list, m: dict, cols: dict):
    """The pyfixest model of spec model m: same outcome and same set of coefficients."""
    want = set(cols["exog"]) | set(cols["endog"])
    for f in fits:
        names = set(f._coefnames) - {"Intercept"}
        if f._depvar == cols["y"] and names == want:
            return f
    # collinear terms are dropped by pyfixest: fall back to outcome + formula text
    for f in fits:
        rhs = f._fml.split("~", 1)[1].split("|")[0]
        terms = {t.strip() for t in rhs.split("+")} - {"1", "0"}
        if f._depvar == cols["y"] and terms == set(cols["exog"]):
            return f
    raise RuntimeError(f"pyfixest returned no model for {m['id']} ({cols['y']} ~ {sorted(want)})")


def estimate(family: dict, design: dsg.Design) -> tuple[list[dict], list[dict]]:
    """Fit every model of the family; returns (tidy rows, timing rows per call)."""
    import time

    import pyfixest as pf

    rows_by_model: dict[str, list[dict]] = {}
    timings = []
    for call in plan_calls(family["models"], design):
        m0, cols0 = call["members"][0]
        in_sample = design.samples[m0["sample"]] if m0["sample"] else np.ones(len(design.frame), bool)
        # Only the call's columns: pyfixest copies and reindexes the frame once per model, so a
        # narrow frame roughly halves the cost of each extra model in a multiple estimation.
        data = design.frame.loc[in_sample, _call_columns(call)].reset_index(drop=True)
        t0 = time.perf_counter()
        fit = pf.feols(call["fml"], data=data, vcov=pf_vcov(cols0, m0), ssc=ssc(),
                       fixef_rm=FIXEF_RM, fixef_tol=FIXEF_TOL, weights=cols0["weights"], copy_data=False)
        fits = _fitted_models(fit)
        seconds = time.perf_counter() - t0
        timings.append({"fml": call["fml"], "models": [m["id"] for m, _ in call["members"]],
                        "seconds": seconds})
        log.info("%s: %d model(s) in %.2fs: %s", family["id"], len(fits), seconds, call["fml"])
        for m, cols in call["members"]:
            f = _match(fits, m, cols)
            rows_by_model[m["id"]] = _tidy_rows(family, m, cols, f, design)
    rows = [r for m in family["models"] for r in rows_by_model[m["id"]]]
    return rows, timings


def _tidy_rows(family, m, cols, f, design) -> list[dict]:
    rows_used, n_missing = dsg.model_rows(design, m)
    if int(f._N) != int(rows_used.sum()):
        raise RuntimeError(f"{family['id']}/{m['id']}: pyfixest used {f._N} rows, the design "
                           f"{int(rows_used.sum())}: missing-value handling differs")
    tab = f.tidy()
    few = _few_cluster(f, m, cols, design)
    y = design.frame.loc[rows_used, cols["y"]]
    g = getattr(f, "_G", None)
    n_clusters = int(np.min(g)) if cols["cluster"] and g is not None else None
    meta = model_meta(family, m)
    r2_within = getattr(f, "_r2_within", np.nan)
    out = []
    labels = dsg.term_labels(design, m) + ([("(Intercept)", "Intercept")] if "Intercept" in tab.index else [])
    for label, name in labels:
        if name not in tab.index:
            log.warning("%s/%s: %s dropped (collinear)", family["id"], m["id"], label)
            continue
        r = tab.loc[name]
        out.append({
            **meta, "term": label, "estimate": r["Estimate"], "std_error": r["Std. Error"],
            "statistic": r["t value"], "p_value": r["Pr(>|t|)"], "ci_low": r["2.5%"],
            "ci_high": r["97.5%"], "nobs": int(f._N), "n_missing_dropped": n_missing,
            "n_clusters": n_clusters, "r2": float(f._r2) if f._r2 is not None else np.nan,
            "r2_within": float(r2_within) if r2_within is not None else np.nan,
            "depvar_mean": float(y.mean()), "engine": "pyfixest", "inference": inference.label(inference.settings(m)),
            **few[name],
        })
    return out


def _few_cluster(f, m, cols, design) -> dict:
    """CRV3 and wild cluster bootstrap columns of the model's rows (upgrading.analysis.inference)."""
    s = inference.settings(m)
    names = list(f._coefnames)
    wild_names = []
    if s.wild:
        terms = s.wild_terms or m["regressors"]
        wild_names = [name for t in terms for _, name in design.labels[t] if name in names]
    clusters = None
    if s.wild and cols["cluster"]:
        rows_used, _ = dsg.model_rows(design, m)
        clusters = design.frame.loc[rows_used, cols["cluster"][0]].to_numpy()
    cluster_col = cols["cluster"][0] if len(cols["cluster"]) == 1 else None
    out = inference.model_rows(f, m, cluster_col, clusters, wild_names)
    if cols["endog"] and cluster_col and len(cols["endog"]) == 1 and len(cols["instruments"]) == 1:
        rows_used, _ = dsg.model_rows(design, m)
        clusters = design.frame.loc[rows_used, cluster_col].to_numpy()
        for name, diag in inference.iv_diagnostics(f, clusters).items():
            out[name].update(diag)
    return out
