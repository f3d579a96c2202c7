"""Estimate a family's linear models with pyfixest, following R fixest's inference defaults.

Conventions (stated in the README): vcov CRV1 (or HC1 / iid as the spec says) with fixest's
small-sample correction ssc(k_adj=TRUE, fixef.K="nested" [pyfixest: "nonnested"],
G_adj=TRUE, G_df="min"), written out explicitly so a change of pyfixest defaults cannot move
a standard error; singletons are kept (fixef_rm="none"), as fixest does.

Models with fixed effects that share their rows (sample and complete cases), fixed effects and
weights are fitted from one demeaning of the union of their columns (upgrading.core.within:
the exact projection solved directly, pyfixest's demeaner where that does not apply, then least
squares and fixest's iid / HC1 / CRV1 per model, with pyfixest's conventions); their tidy rows
say engine "pyfixest-within", and the timings file says how each group was demeaned. Their
few-cluster inference (registry key `inference:`): the wild cluster bootstrap reads the same
demeaned columns, as it reads pyfixest's fitted model; CRV3 comes from `inference.jackknife`,
shared by the models of a group (pyfixest's refits for the models pf.feols fits where the
jackknife does not apply, as the tidy `inference` column says). pf.feols fits the rest
(engine "pyfixest"): IV, models without
fixed effects, any other vcov, and regressors collinear with the others or
the fixed effects (pyfixest drops them); each such model is logged with its reason. A pf.feols
call fits one outcome, or, with sw(), the models of one outcome that differ in one term, among
models sharing sample, fixed effects, vcov, weights and IV setup (`plan_calls`).
tests/analysis/test_within.py fits every registry model both ways.
"""

from __future__ import annotations

import gc
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from upgrading.core.errors import InputError
from upgrading.core.fixest import FIXEF_MAXITER, FIXEF_RM, FIXEF_TOL, ssc

from . import design as dsg
from . import inference
from .tidy import model_meta

if TYPE_CHECKING:
    from upgrading.core.within import Within

log = logging.getLogger(__name__)

def pf_vcov(cols: dict, m: dict):
    if cols["cluster"]:
        return {"CRV1": "+".join(cols["cluster"])}
    return {"hetero": "hetero", "iid": "iid"}[m["vcov"]]


def _group_key(m: dict, cols: dict) -> tuple:
    return (m["sample"], tuple(cols["fe"]), str(pf_vcov(cols, m)), cols["weights"],
            tuple(cols["endog"]), tuple(cols["instruments"]))


def plan_calls(models: list[dict], design: dsg.Design) -> list[dict]:
    """Group models into pf.feols calls: [{"fml": str, "models": [model dicts], ...}].

    Within a group sharing sample/FE/vcov/weights/IV: right-hand sides that differ by exactly one
    term (shared by every outcome set) become one `sw()` call; otherwise each outcome of a
    right-hand side gets its own call. pyfixest 0.60 demeans each outcome of a multiple-outcome
    call on its own anyway, but keeps every outcome's fitted model, each with its own copy of the
    data, until the call returns: on the full survey four outcomes in one call hold four times the
    memory of one.
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
                by_outcome: OrderedDict = OrderedDict()
                for m, cols in ms:
                    by_outcome.setdefault(cols["y"], []).append((m, cols))
                calls += [{"fml": _formula([y], list(rhs), same[0][1]), "members": same}
                          for y, same in by_outcome.items()]
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


WITHIN_ENGINE = "pyfixest-within"


def _within_reason(m: dict, cols: dict) -> str | None:
    """Why model m cannot be fitted from a shared demeaning (None if it can)."""
    vcov = pf_vcov(cols, m)
    if not cols["fe"]:
        return "no fixed effects"
    if cols["endog"]:
        return "instrumental variables"
    if not (vcov in ("hetero", "iid") or (isinstance(vcov, dict) and list(vcov) == ["CRV1"])):
        return f"vcov {vcov}"
    return None


def _within_groups(models: list[dict], design: dsg.Design) -> tuple[list[dict], list[dict]]:
    """(groups sharing rows, fixed effects and weights: {"rows", "members"}, models left to pf.feols)."""
    groups: OrderedDict = OrderedDict()
    rest = []
    for m in models:
        cols = dsg.model_columns(design, m)
        reason = _within_reason(m, cols)
        if reason:
            log.info("%s: pf.feols (%s)", m["id"], reason)
            rest.append(m)
            continue
        rows, _ = dsg.model_rows(design, m)
        key = (np.packbits(rows).tobytes(), tuple(cols["fe"]), cols["weights"])
        groups.setdefault(key, {"rows": rows, "members": []})["members"].append((m, cols))
    return list(groups.values()), rest


def _fit_within(group: dict, design: dsg.Design) -> tuple[dict, list[dict], Within]:
    """Fits {model id: within.Fit} of one group from one demeaning, the models whose regressors
    are collinear (for pf.feols), and the demeaning (within.Within: its method says how the group
    was demeaned; the wild bootstrap reads its columns)."""
    from upgrading.core.within import Collinear, Within, codes

    rows, members = group["rows"], group["members"]
    cols0 = members[0][1]
    names = list(dict.fromkeys(n for _, c in members for n in [c["y"], *c["exog"]]))
    frame = design.frame
    every_row = bool(rows.all())

    def take(col: str) -> np.ndarray:  # numpy arrays of the needed columns only, copied once
        values = frame[col].to_numpy()
        return values if every_row else values[rows]

    def levels(col: str) -> np.ndarray:  # the design's group codes (float, NaN only outside the rows)
        return codes(take(col).astype(np.int64))

    weights = take(cols0["weights"]) if cols0["weights"] else None
    fe = np.column_stack([levels(f) for f in cols0["fe"]])
    within = Within(np.column_stack([take(n) for n in names]), names, fe, weights, overwrite=True)
    clusters: dict = {}
    fits, collinear = {}, []
    for m, cols in members:
        vcov = pf_vcov(cols, m)
        for c in cols["cluster"]:
            if c not in clusters:
                clusters[c] = levels(c)
        kind = "CRV1" if isinstance(vcov, dict) else vcov
        try:
            fits[m["id"]] = within.fit(cols["y"], cols["exog"], kind, [clusters[c] for c in cols["cluster"]])
        except Collinear as exc:
            log.info("%s: pf.feols (%s)", m["id"], exc)
            collinear.append(m)
    return fits, collinear, within


class _WithinView:
    """A within.Fit seen through the attributes _tidy_rows and the few-cluster inference
    (inference.model_rows: coefficients, demeaned columns, fixed-effect codes) read from a
    pyfixest model."""

    def __init__(self, fit, within=None, outcome: str | None = None):
        self.fit = fit
        self._N, self._G = fit.nobs, fit.n_clusters
        self._r2, self._r2_within = fit.r2, fit.r2_within
        self._coefnames = fit.coefnames
        self._beta_hat = fit.coef
        if within is not None:  # the shared demeaning's columns of this model
            self._X = within.columns(fit.coefnames)
            self._Y = within.columns([outcome])[:, 0]
            self._fe = within.fe_codes

    def tidy(self):
        return self.fit.tidy()


def _crv3_reason(m: dict, cols: dict) -> str | None:
    """Why model m's CRV3 comes from pyfixest's jackknife rather than `inference.jackknife`
    (None if it does not); without fixed effects pyfixest's jackknife needs no refit."""
    if not cols["fe"]:
        return "no fixed effects"
    if cols["endog"]:
        return "instrumental variables"
    if len(cols["cluster"]) != 1:
        return "not one cluster variable"
    return None


def _jackknives(models: list[dict], design: dsg.Design) -> tuple[dict, list[dict]]:
    """{model id: (regressor columns, (G, k) leave-one-cluster-out coefficients)} of the models
    asking for CRV3 that `inference.jackknife` covers, one jackknife per set of models sharing
    rows, fixed effects, weights and cluster; and a timing row per jackknife."""
    import time

    groups: OrderedDict = OrderedDict()
    for m in models:
        cols = dsg.model_columns(design, m)
        if not inference.settings(m).crv3:
            continue
        reason = _crv3_reason(m, cols)
        if reason:
            if cols["fe"]:
                log.warning("%s: CRV3 by pyfixest's refits (%s)", m["id"], reason)
            continue
        rows, _ = dsg.model_rows(design, m)
        key = (np.packbits(rows).tobytes(), tuple(cols["fe"]), cols["weights"], cols["cluster"][0])
        groups.setdefault(key, {"rows": rows, "members": []})["members"].append((m, cols))
    out, timings = {}, []
    frame = design.frame
    for (_, fe, weights, cluster), group in groups.items():
        t0, c0 = time.perf_counter(), time.process_time()
        rows, members = group["rows"], group["members"]
        names = list(dict.fromkeys(n for _, c in members for n in [c["y"], *c["exog"]]))

        def take(col, rows=rows):
            return frame[col].to_numpy()[rows]

        draws, method = inference.jackknife(
            np.column_stack([take(n) for n in names]), names, np.column_stack([take(f) for f in fe]),
            take(weights) if weights else None, take(cluster), [(c["y"], c["exog"]) for _, c in members],
            cluster_names=design.fe_levels.get(cluster))
        for (m, cols), jack in zip(members, draws):
            out[m["id"]] = (cols["exog"], jack)
        seconds = time.perf_counter() - t0
        ids = [m["id"] for m, _ in members]
        timings.append({"fml": f"CRV3 jackknife ({method}): " + " + ".join(fe), "models": ids,
                        "seconds": seconds, "cpu_seconds": time.process_time() - c0})
        log.info("%s: CRV3 jackknife (%s) of %d model(s) over %d clusters in %.2fs", "+".join(ids), method,
                 len(ids), len(next(iter(draws))), seconds)
    return out, timings


def estimate(family: dict, design: dsg.Design, within: bool = True) -> tuple[list[dict], list[dict]]:
    """Fit every model of the family; returns (tidy rows, timing rows per demeaning or pf.feols call).

    within=False fits every model with pf.feols (the reference the parity test compares with).
    """
    import time

    import pyfixest as pf

    rows_by_model: dict[str, list[dict]] = {}
    timings = []
    groups, rest = _within_groups(family["models"], design) if within else ([], list(family["models"]))
    jackknives, jack_timings = _jackknives(family["models"], design) if within else ({}, [])
    timings += jack_timings
    for group in groups:
        t0, c0 = time.perf_counter(), time.process_time()
        fits, collinear, shared = _fit_within(group, design)
        rest += collinear
        seconds = time.perf_counter() - t0
        ids = [m["id"] for m, _ in group["members"] if m["id"] in fits]
        fml = f"within ({shared.method}): " + " + ".join(group["members"][0][1]["fe"])
        timings.append({"fml": fml, "models": ids, "seconds": seconds, "cpu_seconds": time.process_time() - c0})
        log.info("%s: %d model(s) from one demeaning in %.2fs: %s", family["id"], len(ids), seconds, fml)
        bootstraps = []
        for m, cols in group["members"]:
            if m["id"] in fits:
                # the wild bootstrap reads the demeaned columns; CRV3 comes from the jackknife
                view = _WithinView(fits[m["id"]], shared, cols["y"]) \
                    if inference.settings(m).wild else _WithinView(fits[m["id"]])
                rows_by_model[m["id"]], bootstrap = _tidy_rows(
                    family, m, cols, view, design, engine=WITHIN_ENGINE, jack=jackknives.get(m["id"]))
                if bootstrap is not None:
                    bootstraps.append(bootstrap)
        del shared  # its demeaned columns: the bootstraps hold their own
        for bootstrap in bootstraps:
            bootstrap()
        del bootstraps
    rest = [m for m in family["models"] if m in rest]  # registry order
    for call in plan_calls(rest, design):
        m0, cols0 = call["members"][0]
        in_sample = design.samples[m0["sample"]] if m0["sample"] else np.ones(len(design.frame), bool)
        # Only the call's columns: pyfixest copies and reindexes the frame once per model.
        data = design.frame.loc[in_sample, _call_columns(call)].reset_index(drop=True)
        t0, c0 = time.perf_counter(), time.process_time()
        fit = pf.feols(call["fml"], data=data, vcov=pf_vcov(cols0, m0), ssc=ssc(),
                       fixef_rm=FIXEF_RM, fixef_tol=FIXEF_TOL, fixef_maxiter=FIXEF_MAXITER, weights=cols0["weights"], copy_data=False)
        fits = _fitted_models(fit)
        seconds = time.perf_counter() - t0
        timings.append({"fml": call["fml"], "models": [m["id"] for m, _ in call["members"]],
                        "seconds": seconds, "cpu_seconds": time.process_time() - c0})
        log.info("%s: %d model(s) in %.2fs: %s", family["id"], len(fits), seconds, call["fml"])
        bootstraps = []
        for m, cols in call["members"]:
            f = _match(fits, m, cols)
            rows_by_model[m["id"]], bootstrap = _tidy_rows(family, m, cols, f, design, jack=jackknives.get(m["id"]))
            if bootstrap is not None:
                bootstraps.append(bootstrap)
        # A fitted model holds copies of its data (a gigabyte on the full survey): release it
        # before the wild bootstrap re-demeans (which needs only its demeaned columns) and
        # before the next call fits, rather than hold two at once.
        del fit, fits, f, data
        gc.collect()
        for bootstrap in bootstraps:
            bootstrap()
        del bootstraps
    rows = [r for m in family["models"] for r in rows_by_model[m["id"]]]
    return rows, timings


def _tidy_rows(family, m, cols, f, design, engine: str = "pyfixest", jack=None
               ) -> tuple[list[dict], Callable[[], None] | None]:
    """The model's tidy rows, and the wild bootstrap that fills their wild columns in place when
    called (None without): it holds the fit's demeaned columns only, not `f`."""
    rows_used, n_missing = dsg.model_rows(design, m)
    if int(f._N) != int(rows_used.sum()):
        raise RuntimeError(f"{family['id']}/{m['id']}: pyfixest used {f._N} rows, the design "
                           f"{int(rows_used.sum())}: missing-value handling differs")
    tab = f.tidy()
    if engine == WITHIN_ENGINE and inference.settings(m).crv3 and jack is None:
        raise RuntimeError(f"{family['id']}/{m['id']}: CRV3 of a model fitted from the shared demeaning "
                           "needs its jackknife (pyfixest's refits need pyfixest's fit)")
    few, wild = _few_cluster(f, m, cols, design, jack)
    crv3_by_pyfixest = jack is None and bool(cols["fe"])
    y = design.frame[cols["y"]].to_numpy()[rows_used]
    g = getattr(f, "_G", None)
    n_clusters = int(np.min(g)) if cols["cluster"] and g is not None else None
    meta = model_meta(family, m)
    r2_within = getattr(f, "_r2_within", np.nan)
    out = []
    by_name = {}
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
            "depvar_mean": float(y.mean()), "engine": engine, "inference": inference.label(inference.settings(m), crv3_by_pyfixest),
            **few[name],
        })
        by_name[name] = out[-1]
    if wild is None:
        return out, None

    def bootstrap() -> None:
        for name, columns in wild().items():
            if name in by_name:
                by_name[name].update(columns)

    return out, bootstrap


def _few_cluster(f, m, cols, design, jack=None) -> tuple[dict, Callable[[], dict[str, dict]] | None]:
    """CRV3 and wild cluster bootstrap columns of the model's rows (upgrading.analysis.inference),
    the bootstrap's still NaN, and the bootstrap (inference.model_rows); jack: the model's
    leave-one-cluster-out coefficients, if computed (`_jackknives`)."""
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
    joint_names = _joint_names(m, s, design, names) if s.joint else None
    out, wild = inference.model_rows(f, m, cluster_col, clusters, wild_names, jack, joint_names)
    if cols["endog"] and cluster_col and len(cols["endog"]) == 1 and len(cols["instruments"]) == 1:
        rows_used, _ = dsg.model_rows(design, m)
        clusters = design.frame.loc[rows_used, cluster_col].to_numpy()
        for name, diag in inference.iv_diagnostics(f, clusters).items():
            out[name].update(diag)
    return out, wild


def _joint_names(m: dict, s: inference.InferenceSettings, design: dsg.Design, names: list[str]) -> list[str]:
    """The fitted coefficients of the joint test's term labels (as the tidy table names them)."""
    assert s.joint is not None
    by_label = dict(dsg.term_labels(design, m))
    missing = [t for t in s.joint.terms if t not in by_label or by_label[t] not in names]
    if missing:
        raise InputError(f"model {m['id']}: the joint test {s.joint.name!r} names {missing}, which the model does "
                         f"not estimate; its terms are {sorted(by_label)}")
    return [by_label[t] for t in s.joint.terms]
