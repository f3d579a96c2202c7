"""Few-cluster inference beside CRV1: CRV3 (cluster jackknife) standard errors and wild cluster
restricted bootstrap p-values and intervals, as the registry's `inference:` key asks per model.

CRV3 is the leave-one-cluster-out jackknife (every fixed effect re-estimated without the
cluster), scaled as in MacKinnon, Nielsen & Webb (2023): (G-1)/G times the sum of squared
deviations of the jackknife coefficients from the estimate; its interval uses t(G-1). With fixed
effects, `jackknife` computes it from the engine's demeaning (upgrading.core.within) of only the
models' columns on the remaining rows, for every model sharing rows, fixed effects, weights and
cluster: from sums by cluster (within.cluster_complement_grams), or, for weighted models and
smaller effects of many levels, by a demeaning per left-out cluster.
pyfixest's Feols.vcov("CRV3") refits pf.feols on a copy of the whole frame per cluster, which
costs gigabytes on the full survey. IV fits and multi-way
clusters use pyfixest's jackknife (`crv3`), and their tidy `inference` column says so. The
bootstrap is upgrading.analysis.bootstrap on pyfixest's demeaned design, with the engine's
projection re-demeaning the bootstrap residuals when the fixed effects cross the clusters.

A joint test (`inference: {joint: ...}`) asks whether a set of coefficients is zero at once, e.g.
an event study's pre-period coefficients: the Wald statistic with the CRV3 covariance
(G-1)/G sum_g (b_g - b)(b_g - b)', divided by the number of restrictions q and referred to
F(q, G-1), the few-cluster reference distribution of a cluster-robust Wald test (Cameron and
Miller 2015, section VI); it needs q < G.
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from upgrading.core.demean import sorted_codes

from .bootstrap import WCRModel, WildSettings, partial_weights, wcr

log = logging.getLogger(__name__)

# Columns each inference adds to the tidy table (docs/contracts.md).
CRV3_COLUMNS = ["std_error_crv3", "ci_low_crv3", "ci_high_crv3"]
WILD_COLUMNS = ["p_value_wild", "ci_low_wild", "ci_high_wild", "top_cluster_share"]


@dataclass(frozen=True)
class JointTest:
    name: str
    terms: tuple[str, ...]  # tidy term labels, e.g. year::1998:encouraged


@dataclass(frozen=True)
class InferenceSettings:
    crv3: bool = False
    wild: WildSettings | None = None
    wild_terms: tuple[str, ...] | None = None  # registry terms to bootstrap (None: every regressor)
    joint: JointTest | None = None


def settings(m: dict) -> InferenceSettings:
    """The model's `inference:` entry as typed settings (validated by the registry schema)."""
    spec = m.get("inference") or {}
    w = spec.get("wild")
    wild = None
    if w:
        wild = WildSettings(reps=int(w["reps"]), seed=int(w["seed"]), weights=w.get("weights", "rademacher"),
                            level=float(w.get("level", 0.95)))
    terms = tuple(w["terms"]) if w and w.get("terms") else None
    j = spec.get("joint")
    joint = JointTest(name=str(j["name"]), terms=tuple(j["terms"])) if j else None
    return InferenceSettings(crv3=bool(spec.get("crv3", False)), wild=wild, wild_terms=terms, joint=joint)


CRV3_PYFIXEST = "CRV3 by pyfixest refits"


def label(s: InferenceSettings, crv3_by_pyfixest: bool = False) -> str:
    """Tidy `inference` column, e.g. 'CRV3; WCR webb 999 seed 20240601' ('' when none);
    crv3_by_pyfixest: the jackknife refitted pf.feols per cluster (no shared demeaning)."""
    parts = [CRV3_PYFIXEST if crv3_by_pyfixest else "CRV3"] if s.crv3 else []
    if s.wild:
        parts.append(f"WCR {s.wild.weights} {s.wild.reps} seed {s.wild.seed}")
    if s.joint:
        parts.append(f"joint F(CRV3) {s.joint.name}")
    return "; ".join(parts)


def _crv3_columns(names: list[str], b: np.ndarray, deviations_sq: np.ndarray, G: int) -> dict:
    """name -> (SE, low, high) from the sum over clusters of squared jackknife deviations."""
    from scipy import special

    se = np.sqrt(np.asarray(deviations_sq, dtype=float) * (G - 1) / G)
    crit = float(special.stdtrit(G - 1, 0.975))
    return {name: (float(s), float(bi - crit * s), float(bi + crit * s)) for name, bi, s in zip(names, b, se)}


def crv3(f, cluster: str) -> tuple[dict[str, tuple[float, float, float]], np.ndarray, int]:
    """coefficient name -> (CRV3 SE, interval low, high) from pyfixest's jackknife of fit f, with
    the unscaled sum of outer products of the jackknife deviations (k x k) and G."""
    import pyfixest as pf

    jack = copy.copy(f)
    # pyfixest scales the jackknife sum by its CRV small-sample factor; take the bare sum here.
    jack._ssc_dict = pf.ssc(k_adj=False, G_adj=False, k_fixef="nonnested", G_df="min")
    with warnings.catch_warnings():
        # the refits drop singleton fixed effects, which leaves every coefficient unchanged
        warnings.filterwarnings("ignore", message=r".*singleton fixed effect", category=UserWarning)
        jack.vcov({"CRV3": cluster})
    G = int(np.min(jack._G))
    outer = np.asarray(jack._vcov, dtype=float)
    return _crv3_columns(list(f._coefnames), np.asarray(f._beta_hat, dtype=float), np.diag(outer), G), outer, G


def crv3_from_jackknife(names: list[str], b: np.ndarray, jack: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """name -> (CRV3 SE, interval low, high) from the (G, k) leave-one-cluster-out coefficients
    `jack` (rows in cluster order) around the estimate b; the sum runs in that fixed order."""
    dev = np.asarray(jack, dtype=float) - np.asarray(b, dtype=float)[None, :]
    return _crv3_columns(names, b, (dev * dev).sum(axis=0), len(dev))


def jackknife_outer(b: np.ndarray, jack: np.ndarray) -> np.ndarray:
    """sum_g (b_g - b)(b_g - b)' over the (G, k) leave-one-cluster-out coefficients."""
    dev = np.asarray(jack, dtype=float) - np.asarray(b, dtype=float)[None, :]
    return dev.T @ dev


def joint_f_test(b: np.ndarray, outer: np.ndarray, G: int, where: str) -> tuple[float, int, int, float]:
    """(F, q, G-1, p) of the Wald test that the q coefficients b are all zero, with the CRV3
    covariance (G-1)/G * outer of those coefficients; F = W / q referred to F(q, G-1)."""
    from scipy import special

    b = np.asarray(b, dtype=float)
    q = len(b)
    V = np.asarray(outer, dtype=float) * (G - 1) / G
    if q >= G or np.linalg.matrix_rank(V) < q:
        raise RuntimeError(f"{where}: the CRV3 covariance of the {q} jointly tested coefficients has rank "
                           f"{np.linalg.matrix_rank(V)} with {G} clusters: the joint test needs q < G and full rank")
    F = float(b @ np.linalg.solve(V, b)) / q
    return F, q, G - 1, float(special.fdtrc(q, G - 1, F))


def _solve(gram: np.ndarray, ix: list[int], i: int, where: str) -> np.ndarray:
    """Least-squares coefficients of column i on columns ix from their cross-products; a
    regressor collinear with the others (pyfixest's criterion) is an error naming `where`."""
    from pyfixest.core.collinear import find_collinear_variables

    from upgrading.core.within import COLLIN_TOL

    xtx = np.ascontiguousarray(gram[np.ix_(ix, ix)])
    _, n_dropped, _ = find_collinear_variables(xtx, COLLIN_TOL)
    if n_dropped:
        raise ValueError(f"CRV3: a regressor is collinear {where}; the jackknife is undefined")
    return np.linalg.solve(xtx, gram[ix, i])


# How `jackknife` re-estimated the effects without each cluster: every effect nested in the
# clusters (the demeaned rows kept), from sums by cluster (within.cluster_complement_grams), or a
# demeaning of the rows left per cluster (weighted models, smaller effects of many levels).
JackknifeMethod = Literal["nested", "sums by cluster", "per cluster"]


def jackknife(values: np.ndarray, names: list[str], fe_codes: np.ndarray, weights: np.ndarray | None,
              clusters: np.ndarray, models: list[tuple[str, list[str]]],
              cluster_names: list | None = None) -> tuple[list[np.ndarray], JackknifeMethod]:
    """Leave-one-cluster-out coefficients (G, k) of each model (outcome, regressors), in the
    sorted order of the cluster labels, from the raw columns `values` (n, p) named `names`, the fixed
    effects' codes (n, n_fe), analytic weights and the cluster labels of the same rows; and how
    the effects were re-estimated (the caller's timings say it).
    cluster_names: the level named by each integer label (for messages), if the labels are codes."""
    from upgrading.core.within import NotDirect, Within, cluster_complement_grams, nested
    from upgrading.core.within import codes as within_codes

    fe_codes = np.asarray(fe_codes)
    fe_codes = fe_codes if fe_codes.ndim == 2 else fe_codes[:, None]
    cl, labels = sorted_codes(clusters)
    G = len(labels)
    if cluster_names is not None:
        labels = [cluster_names[int(c)] for c in labels]
    pos = {n: j for j, n in enumerate(names)}
    index = [([pos[x] for x in regs], pos[y]) for y, regs in models]
    out = [np.empty((G, len(ix))) for ix, _ in index]
    if all(nested(fe_codes[:, q], cl) for q in range(fe_codes.shape[1])):
        # Every fixed effect nested in the clusters: the projection splits by cluster, so the
        # remaining rows keep their demeaned values and each jackknife fit is the full
        # cross-products less the left-out cluster's.
        full = Within(values, names, fe_codes, weights)
        total = full.values.T @ full.values
        for g in range(G):
            part = full.values[cl == g]
            gram = total - part.T @ part
            for (ix, i), draws in zip(index, out):
                draws[g] = _solve(gram, ix, i, f"without cluster {labels[g]}")
        return out, "nested"
    if weights is None:
        # Effects crossing the clusters (the year): each leave-one-out Gram from sums by cluster
        # (within.cluster_complement_grams), where the smaller effects have few enough levels.
        codes_fe = np.column_stack([within_codes(fe_codes[:, q]) for q in range(fe_codes.shape[1])])
        try:
            grams = cluster_complement_grams(values, codes_fe, cl, G)
        except NotDirect as exc:
            log.warning("CRV3: a demeaning of the rows left per cluster (%s)", exc)
        else:
            for g in range(G):
                for (ix, i), draws in zip(index, out):
                    draws[g] = _solve(grams[g], ix, i, f"with the fixed effects without cluster {labels[g]}")
            return out, "sums by cluster"
    for g in range(G):
        keep = cl != g
        sub = Within(values[keep], names, fe_codes[keep], None if weights is None else weights[keep], overwrite=True)
        gram = sub.values.T @ sub.values
        for (ix, i), draws in zip(index, out):
            draws[g] = _solve(gram, ix, i, f"with the fixed effects without cluster {labels[g]}")
    return out, "per cluster"


def _demeaner(f):
    """M_D on the fit's rows (upgrading.core.within.Demeaner), or None without fixed effects."""
    return _demeaner_of(_fe_codes(f))


def _fe_codes(f) -> np.ndarray | None:
    """The fit's fixed effects as integer codes (n, n_fe), or None without fixed effects."""
    if getattr(f, "_fe", None) is None:
        return None
    from upgrading.core.within import codes

    fe = np.asarray(f._fe)  # pyfixest's data frame, or the shared demeaning's code array
    return np.column_stack([codes(fe[:, j]) for j in range(fe.shape[1])])


def _demeaner_of(fe: np.ndarray | None):
    """M_D of the fixed-effect codes `fe`, set up once for every array it demeans (the
    bootstrap's, one per cluster); None without fixed effects."""
    if fe is None:
        return None
    from upgrading.core.within import Demeaner

    return Demeaner(fe)


def top_cluster_share(X: np.ndarray, codes: np.ndarray, j: int, A_inv: np.ndarray | None = None) -> float:
    """The largest share one cluster holds of the variation of column j of the (demeaned) design
    once the other columns are partialled out: about 1/G when every cluster contributes alike,
    near 1 when one cluster identifies the coefficient. With such leverage CRV1 tests over-reject
    and the wild cluster bootstrap under-rejects (MacKinnon and Webb 2017), so the two can part.
    A_inv: (X'X)^-1, if the caller has it."""
    X = np.asarray(X, dtype=float)
    x = X @ partial_weights(np.linalg.inv(X.T @ X) if A_inv is None else A_inv, j)
    by_cluster = np.bincount(codes, weights=x * x)
    return float(by_cluster.max() / by_cluster.sum())


@dataclass(frozen=True)
class WildData:
    """What the wild bootstrap reads from a fitted model: its demeaned regressors X (n, k) and
    outcome Y, its fixed effects' codes (None without) and coefficient names. The arrays are the
    fit's own, not copies: holding them lets the rest of the fitted model (data frame copies,
    scores, untransformed columns) be freed before the bootstrap's demeaning."""

    X: np.ndarray
    Y: np.ndarray
    fe: np.ndarray | None
    coefnames: list[str]

    @classmethod
    def of(cls, f) -> WildData:
        return cls(f._X, f._Y, _fe_codes(f), list(f._coefnames))


def wild(data: WildData, clusters: np.ndarray, names: list[str], s: WildSettings) -> dict[str, dict]:
    """coefficient name -> {p_value_wild, ci_low_wild, ci_high_wild, top_cluster_share} for each
    of `names`; the statistics of the model (cross terms, cluster cross-products) computed once."""
    if not names:
        return {}
    codes = sorted_codes(clusters)[0]
    X, Y, coefnames = data.X, data.Y, data.coefnames
    model = WCRModel(X, Y, codes, _demeaner_of(data.fe))
    out = {}
    for name in names:
        j = coefnames.index(name)
        r = wcr(model, j, s)
        out[name] = {"p_value_wild": r.p_value, "ci_low_wild": r.ci_low, "ci_high_wild": r.ci_high,
                     "top_cluster_share": top_cluster_share(X, codes, j, model.A_inv)}
    return out


def model_rows(f, m: dict, cluster_col: str | None, cluster_values, wild_names: list[str],
               jack: tuple[list[str], np.ndarray] | None = None, joint_names: list[str] | None = None
               ) -> tuple[dict[str, dict], Callable[[], dict[str, dict]] | None]:
    """coefficient name -> the few-cluster columns of its tidy row (NaN where not asked for, and
    the wild bootstrap's until it runs); and the bootstrap, if asked for: a call returning its
    columns by coefficient name, which holds only the fit's WildData, so the caller can free the
    fitted model first.

    cluster_col: the cluster column in the fit's data (CRV3 refits); cluster_values: its
    values on the fit's rows (bootstrap); wild_names: coefficients to bootstrap; jack: the
    model's (regressor names, leave-one-cluster-out coefficients) from `jackknife`, if computed
    (else pyfixest's jackknife); joint_names: the coefficients of the registry's joint test, in
    its order.
    """
    s = settings(m)
    out = {name: {c: math.nan for c in CRV3_COLUMNS + WILD_COLUMNS} | {"joint_test": ""} for name in f._coefnames}
    if (s.crv3 or s.wild) and cluster_col is None:
        raise ValueError(f"model {m['id']}: CRV3 and the wild bootstrap need a one-way cluster vcov")
    if s.crv3:
        if jack is not None:
            coefnames = list(f._coefnames)
            if sorted(jack[0]) != sorted(coefnames):
                raise RuntimeError(f"model {m['id']}: jackknife terms {jack[0]} differ from the fit's {coefnames}")
            b = np.asarray(f._beta_hat, dtype=float)[[coefnames.index(n) for n in jack[0]]]
            columns = crv3_from_jackknife(jack[0], b, jack[1])
            outer_names, outer, G = list(jack[0]), jackknife_outer(b, jack[1]), len(jack[1])
        else:
            columns, outer, G = crv3(f, cluster_col)
            outer_names = list(f._coefnames)
        for name, (se, lo, hi) in columns.items():
            out[name].update(std_error_crv3=se, ci_low_crv3=lo, ci_high_crv3=hi)
        if s.joint:
            if not joint_names:
                raise RuntimeError(f"model {m['id']}: the joint test {s.joint.name} names no coefficient")
            ix = [outer_names.index(n) for n in joint_names]
            b = np.asarray(f._beta_hat, dtype=float)[[list(f._coefnames).index(n) for n in joint_names]]
            F, q, df2, p = joint_f_test(b, outer[np.ix_(ix, ix)], G, f"model {m['id']}, joint test {s.joint.name}")
            for cols in out.values():
                cols.update(joint_test=f"{s.joint.name}: {', '.join(s.joint.terms)}", joint_f=F,
                            joint_df1=q, joint_df2=df2, joint_p=p)
    if not s.wild:
        return out, None
    data, clusters, wild_settings = WildData.of(f), np.asarray(cluster_values), s.wild
    return out, lambda: wild(data, clusters, wild_names, wild_settings)


# Columns of the weak-instrument diagnostics (one endogenous regressor, one instrument).
IV_COLUMNS = ["first_stage_f", "ar_ci_low", "ar_ci_high", "ar_set"]


def _fmt_end(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:.3f}"


def iv_diagnostics(f, clusters, level: float = 0.95) -> dict:
    """First-stage F and the Anderson-Rubin set of a just-identified IV fit with one endogenous term.

    F is the squared cluster-robust t of the instrument in the first stage: with one instrument it
    is the Kleibergen-Paap and the effective (Montiel Olea-Pflueger) F. The Anderson-Rubin test of
    beta = b regresses y - b x on the instruments and exogenous terms and tests the instrument's
    coefficient, gamma - b pi, with the joint CRV1 covariance of the reduced form and the first
    stage, so its acceptance region {b : (gamma - b pi)^2 <= c^2 V(b)} solves a quadratic: an
    interval, two rays or the whole line (a weak instrument), whatever the strength of the
    instrument. Same small-sample factor and t(G-1) critical value as the fit's CRV1.
    """
    from scipy import special

    xnames, znames = list(f._coefnames), list(f._coefnames_z)
    endog = [n for n in xnames if n not in znames]
    instr = [n for n in znames if n not in xnames]
    if len(endog) != 1 or len(instr) != 1:
        raise ValueError(f"weak-IV diagnostics need one endogenous term and one instrument, got {endog}, {instr}")
    Z = np.asarray(f._Z, dtype=float)
    x = np.asarray(f._X, dtype=float)[:, xnames.index(endog[0])]
    y = np.asarray(f._Y, dtype=float).ravel()
    codes, _ = sorted_codes(clusters)
    G = int(codes.max()) + 1
    ZZinv = np.linalg.inv(Z.T @ Z)
    coef = ZZinv @ Z.T @ np.column_stack([y, x])  # reduced form, first stage
    resid = np.column_stack([y, x]) - Z @ coef
    a = ZZinv[znames.index(instr[0])]
    # per-cluster influence of the instrument's coefficient in both equations: (G, 2)
    infl = np.zeros((G, 2))
    np.add.at(infl, codes, (Z @ a)[:, None] * resid)
    ssc = float(np.ravel(f._ssc)[0])
    V = ssc * infl.T @ infl  # [[V_gg, V_gp], [V_gp, V_pp]]
    gamma, pi = coef[znames.index(instr[0])]
    F = pi ** 2 / V[1, 1]
    c2 = float(special.stdtrit(G - 1, 0.5 + level / 2)) ** 2
    A = pi ** 2 - c2 * V[1, 1]
    B = -2.0 * (gamma * pi - c2 * V[0, 1])
    C = gamma ** 2 - c2 * V[0, 0]
    disc = B * B - 4 * A * C
    if A > 0:  # bounded interval (contains the 2SLS estimate, so disc >= 0)
        r = np.sqrt(max(disc, 0.0))
        lo, hi = sorted(((-B - r) / (2 * A), (-B + r) / (2 * A)))
        text = f"[{_fmt_end(lo)}, {_fmt_end(hi)}]"
    elif disc > 0:  # two rays: the complement of the rejected interval between the roots
        r = np.sqrt(disc)
        r1, r2 = sorted(((-B - r) / (2 * A), (-B + r) / (2 * A)))
        lo, hi = -math.inf, math.inf
        text = f"(-inf, {_fmt_end(r1)}] U [{_fmt_end(r2)}, inf)"
    else:
        lo, hi = -math.inf, math.inf
        text = "(-inf, inf)"
    return {endog[0]: {"first_stage_f": float(F), "ar_ci_low": float(lo), "ar_ci_high": float(hi), "ar_set": text}}
