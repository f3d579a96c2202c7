"""Few-cluster inference beside CRV1: CRV3 (cluster jackknife) standard errors and wild cluster
restricted bootstrap p-values and intervals, as the registry's `inference:` key asks per model.

CRV3 is pyfixest's leave-one-cluster-out jackknife (every fixed effect re-estimated without the
cluster), scaled as in MacKinnon, Nielsen & Webb (2023): (G-1)/G times the sum of squared
deviations of the jackknife coefficients from the estimate; its interval uses t(G-1). The
bootstrap is upgrading.analysis.bootstrap on pyfixest's demeaned design, with pyfixest's
demeaner re-demeaning the bootstrap residuals when the fixed effects cross the clusters.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .bootstrap import WildSettings, wcr

# Columns each inference adds to the tidy table (docs/contracts.md).
CRV3_COLUMNS = ["std_error_crv3", "ci_low_crv3", "ci_high_crv3"]
WILD_COLUMNS = ["p_value_wild", "ci_low_wild", "ci_high_wild"]
DEMEAN_TOL = 1e-10
DEMEAN_MAXITER = 100_000


@dataclass(frozen=True)
class InferenceSettings:
    crv3: bool = False
    wild: WildSettings | None = None
    wild_terms: tuple[str, ...] | None = None  # registry terms to bootstrap (None: every regressor)


def settings(m: dict) -> InferenceSettings:
    """The model's `inference:` entry as typed settings (validated by the registry schema)."""
    spec = m.get("inference") or {}
    w = spec.get("wild")
    wild = None
    if w:
        wild = WildSettings(reps=int(w["reps"]), seed=int(w["seed"]), weights=w.get("weights", "rademacher"),
                            level=float(w.get("level", 0.95)))
    terms = tuple(w["terms"]) if w and w.get("terms") else None
    return InferenceSettings(crv3=bool(spec.get("crv3", False)), wild=wild, wild_terms=terms)


def label(s: InferenceSettings) -> str:
    """Tidy `inference` column, e.g. 'CRV3; WCR webb 999 seed 20240601' ('' when none)."""
    parts = ["CRV3"] if s.crv3 else []
    if s.wild:
        parts.append(f"WCR {s.wild.weights} {s.wild.reps} seed {s.wild.seed}")
    return "; ".join(parts)


def crv3(f, cluster: str) -> dict[str, tuple[float, float, float]]:
    """coefficient name -> (CRV3 SE, interval low, high) from pyfixest's jackknife of fit f."""
    import pyfixest as pf
    from scipy import stats

    jack = copy.copy(f)
    # pyfixest scales the jackknife sum by its CRV small-sample factor; take the bare sum here.
    jack._ssc_dict = pf.ssc(k_adj=False, G_adj=False, k_fixef="nonnested", G_df="min")
    with warnings.catch_warnings():
        # the refits drop singleton fixed effects, which leaves every coefficient unchanged
        warnings.filterwarnings("ignore", message=r".*singleton fixed effect", category=UserWarning)
        jack.vcov({"CRV3": cluster})
    G = int(np.min(jack._G))
    se = np.sqrt(np.diag(jack._vcov) * (G - 1) / G)
    crit = float(stats.t.ppf(0.975, G - 1))
    b = np.asarray(f._beta_hat, dtype=float)
    return {name: (float(s), float(bi - crit * s), float(bi + crit * s))
            for name, bi, s in zip(f._coefnames, b, se)}


def _demeaner(f):
    """M_D on the fit's rows (pyfixest's demeaner), or None without fixed effects."""
    if getattr(f, "_fe", None) is None:
        return None
    from pyfixest.core.demean import demean

    flist = np.ascontiguousarray(f._fe.to_numpy().astype(np.uint64))
    weights = np.ones(flist.shape[0])

    def apply(a: np.ndarray) -> np.ndarray:
        out, converged = demean(np.ascontiguousarray(a, dtype=float), flist, weights,
                                tol=DEMEAN_TOL, maxiter=DEMEAN_MAXITER)
        if not converged:
            raise RuntimeError("the demeaner did not converge on the bootstrap residuals")
        return out

    return apply


def wild(f, clusters: np.ndarray, names: list[str], s: WildSettings) -> dict[str, dict]:
    """coefficient name -> {p_value_wild, ci_low_wild, ci_high_wild} for each of `names`."""
    demean = _demeaner(f)
    coefnames = list(f._coefnames)
    out = {}
    for name in names:
        r = wcr(f._X, f._Y, clusters, coefnames.index(name), s, demean=demean)
        out[name] = {"p_value_wild": r.p_value, "ci_low_wild": r.ci_low, "ci_high_wild": r.ci_high}
    return out


def model_rows(f, m: dict, cluster_col: str | None, cluster_values, wild_names: list[str]) -> dict[str, dict]:
    """coefficient name -> the few-cluster columns of its tidy row (NaN where not asked for).

    cluster_col: the cluster column in the fit's data (CRV3 refits); cluster_values: its
    values on the fit's rows (bootstrap); wild_names: coefficients to bootstrap.
    """
    s = settings(m)
    out = {name: {c: math.nan for c in CRV3_COLUMNS + WILD_COLUMNS} for name in f._coefnames}
    if (s.crv3 or s.wild) and cluster_col is None:
        raise ValueError(f"model {m['id']}: CRV3 and the wild bootstrap need a one-way cluster vcov")
    if s.crv3:
        for name, (se, lo, hi) in crv3(f, cluster_col).items():
            out[name].update(std_error_crv3=se, ci_low_crv3=lo, ci_high_crv3=hi)
    if s.wild:
        for name, cols in wild(f, np.asarray(cluster_values), wild_names, s.wild).items():
            out[name].update(cols)
    return out
