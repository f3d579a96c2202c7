"""Least squares after one demeaning of many columns (Frisch-Waugh-Lovell), with R fixest's inference.

A sample with its fixed effects and weights is demeaned once, with pyfixest's own demeaner
(alternating projections), for the union of the columns its models use; each model is then a
least-squares solve on the demeaned columns. This is what fixest does for several outcomes in
one call, and what pyfixest 0.60 does not: it demeans again per outcome and builds a formula
model matrix per model. The engine (upgrading.analysis.engine_pyfixest) and the synthetic
truth's oracle (upgrading.synth.fwl) both fit through this module.

Inference follows fixest with ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="min")
(pyfixest: k_fixef="nonnested") and singletons kept, the formulas of pyfixest 0.60's Feols.vcov:

    df_k  = k + sum_f levels_f - (n_fe - 1) [- sum of levels of effects nested in a cluster + their number]
    iid   : SSR / (N - df_k) (X'X)^-1                                   df_t = N - df_k
    hetero: N / (N - df_k) (X'X)^-1 (sum u_i^2 x_i x_i') (X'X)^-1         df_t = N - df_k
    CRV1  : (N - 1) / (N - df_k) G / (G - 1) (X'X)^-1 (sum_g s_g s_g') (X'X)^-1,  df_t = G - 1

Nesting only counts under clustering. Two-way clustering (Cameron, Gelbach & Miller) adds the
two one-way sandwiches and subtracts the one on their intersection, each with the same factor
(G = the smallest of the three counts). Weights are analytic: demeaned with the weights, then
rows scaled by sqrt(w). tests/analysis/test_within.py checks every registry model against pf.feols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

VcovKind = Literal["iid", "hetero", "CRV1"]

TOL = 1e-12  # tighter than pyfixest's 1e-6 default, so engines differ by rounding, not convergence
MAX_ITER = 100_000
COLLIN_TOL = 1e-10  # pyfixest's default collin_tol


class Collinear(ValueError):
    """Regressors linearly dependent (given the fixed effects): the caller decides what to drop."""


def codes(values) -> np.ndarray:
    """Contiguous integer codes 0..L-1 of any labels (one fixed effect or cluster variable)."""
    return pd.factorize(np.asarray(values), sort=False)[0].astype(np.int64)


def demean(values: np.ndarray, fe_codes: np.ndarray, weights: np.ndarray | None = None,
           tol: float = TOL, max_iter: int = MAX_ITER) -> np.ndarray:
    """Columns of `values` (n, p) net of the fixed effects `fe_codes` (n, n_fe), pyfixest's demeaner."""
    from pyfixest.core.demean import demean as demean_map

    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    out, converged = demean_map(np.ascontiguousarray(values, dtype=float),
                                np.ascontiguousarray(fe_codes, dtype=np.uint64), w, tol, max_iter)
    if not converged:
        raise RuntimeError(f"demeaning did not converge to {tol} in {max_iter} iterations")
    return out


def nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """Whether every level of `fe` lies within one cluster (both integer codes)."""
    n_fe = int(fe.max()) + 1
    pairs = fe.astype(np.int64) * (int(cluster.max()) + 1) + cluster
    return len(pd.unique(pairs)) == n_fe


@dataclass(frozen=True)
class Fit:
    """One model's least squares on demeaned columns and its fixest inference."""

    coefnames: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    df_k: int
    df_t: int
    nobs: int
    n_clusters: int | None
    r2: float
    r2_within: float

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimate, SE, t, p and confidence interval per coefficient, as pyfixest's Feols.tidy()."""
        # Student t from scipy.special (what scipy.stats.t calls), without scipy.stats' import cost
        from scipy.special import stdtr, stdtrit

        se = self.se
        tstat = self.coef / se
        z = abs(stdtrit(self.df_t, alpha / 2))
        return pd.DataFrame({
            "Estimate": self.coef, "Std. Error": se, "t value": tstat,
            "Pr(>|t|)": 2 * (1 - stdtr(self.df_t, np.abs(tstat))),
            f"{100 * alpha / 2:g}%": self.coef - z * se, f"{100 * (1 - alpha / 2):g}%": self.coef + z * se,
        }, index=pd.Index(self.coefnames, name="Coefficient"))


class Within:
    """One sample's columns demeaned once for its fixed effects (and weights)."""

    def __init__(self, values: np.ndarray, names: list[str], fe_codes: np.ndarray,
                 weights: np.ndarray | None = None):
        values = np.asarray(values, dtype=float)
        if np.isnan(values).any():
            raise ValueError("Within: rows with missing values must be dropped first")
        fe_codes = np.asarray(fe_codes)
        self.fe_codes = fe_codes if fe_codes.ndim == 2 else fe_codes[:, None]
        self.nobs = len(values)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        w = np.ones(self.nobs) if self.weights is None else self.weights
        # total sum of squares of each raw column around its (weighted) mean: the R2 denominator
        centred = values - (w @ values) / w.sum()
        self._tss = w @ centred**2
        demeaned = demean(values, self.fe_codes, self.weights)
        self.values = demeaned if self.weights is None else demeaned * np.sqrt(w)[:, None]
        self.position = {n: i for i, n in enumerate(names)}
        self.fe_levels = [int(self.fe_codes[:, j].max()) + 1 for j in range(self.fe_codes.shape[1])]
        self._nested: dict = {}

    def columns(self, names: list[str]) -> np.ndarray:
        return self.values[:, [self.position[n] for n in names]]

    def coef(self, outcomes: list[str], regressors: list[str]) -> dict[str, np.ndarray]:
        """{outcome: coefficients in regressor order}, every outcome from one solve."""
        beta = np.linalg.lstsq(self.columns(regressors), self.columns(outcomes), rcond=None)[0]
        return {y: beta[:, i] for i, y in enumerate(outcomes)}

    def _df_k(self, k: int, clusters: list[np.ndarray]) -> int:
        n_fe = len(self.fe_levels)
        df_k = k + sum(self.fe_levels) - (n_fe - 1)
        nested_levels = [self.fe_levels[j] for j in range(n_fe)
                         if any(self._is_nested(j, i, c) for i, c in enumerate(clusters))]
        return df_k - sum(nested_levels) + len(nested_levels)

    def _is_nested(self, j: int, i: int, cluster: np.ndarray) -> bool:
        key = (j, i, id(cluster))
        if key not in self._nested:
            self._nested[key] = nested(self.fe_codes[:, j], cluster)
        return self._nested[key]

    def fit(self, outcome: str, regressors: list[str], vcov: VcovKind,
            clusters: list[np.ndarray] | None = None) -> Fit:
        """Least squares of `outcome` on `regressors` with iid, HC1 or CRV1 (one- or two-way) errors.

        clusters: integer codes per cluster variable (CRV1 only). Raises Collinear when a
        regressor is collinear with the others or the fixed effects (pyfixest's criterion).
        """
        from pyfixest.core.collinear import find_collinear_variables

        X, y = self.columns(regressors), self.columns([outcome])[:, 0]
        N, k = self.nobs, X.shape[1]
        xtx = X.T @ X
        dropped, n_dropped, _ = find_collinear_variables(np.ascontiguousarray(xtx), COLLIN_TOL)
        if n_dropped:
            raise Collinear(f"collinear: {[r for r, d in zip(regressors, dropped) if d]}")
        beta = np.linalg.solve(xtx, X.T @ y)
        u = y - X @ beta
        bread = np.linalg.inv(xtx)
        n_clusters = None
        if vcov == "CRV1":
            if not clusters or len(clusters) > 2:
                raise ValueError("CRV1 needs one or two cluster variables")
            cols = list(clusters)
            if len(cols) == 2:
                cols.append(codes(cols[0] * (int(cols[1].max()) + 1) + cols[1]))
            G = min(int(c.max()) + 1 for c in cols)
            df_k = self._df_k(k, cols)
            factor = (N - 1) / (N - df_k) * G / (G - 1)
            scores = X * u[:, None]
            meat = np.zeros((k, k))
            for c, sign in zip(cols, (1, 1, -1)):
                summed = np.column_stack([np.bincount(c, scores[:, j], minlength=int(c.max()) + 1)
                                          for j in range(k)])
                meat += sign * (summed.T @ summed)
            V = factor * bread @ meat @ bread
            df_t, n_clusters = G - 1, G
        else:
            df_k = self._df_k(k, [])
            if vcov == "hetero":
                scores = X * u[:, None]
                V = N / (N - df_k) * bread @ (scores.T @ scores) @ bread
            else:
                V = (u @ u) / (N - df_k) * bread
            df_t = N - df_k
        ssr = u @ u
        i = self.position[outcome]
        return Fit(list(regressors), beta, V, df_k, df_t, N, n_clusters,
                   r2=float(1 - ssr / self._tss[i]), r2_within=float(1 - ssr / (y @ y)))
