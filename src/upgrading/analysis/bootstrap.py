"""Wild cluster restricted (WCR) bootstrap: p-values and confidence intervals by test inversion.

The bootstrap of Cameron, Gelbach & Miller (2008) with the null imposed (the "WCR" of
Roodman et al. 2019, boottest's and fwildclusterboot's default): for H0: beta_j = r the
bootstrap outcome is the restricted fit plus the restricted residuals times one weight per
cluster (Rademacher or Webb's six-point weights), and the bootstrap t statistic of every
draw is compared with the original one. The 95 % interval is the set of r that the test
does not reject at 5 %, found by bisection on each side with the same weight draws for
every r (test inversion).

Computed on the fixed-effect-demeaned X and y (Frisch-Waugh-Lovell) with per-cluster
sufficient statistics, so a replication costs O(G^2 k) whatever the number of rows. When
fixed effects are not nested within the clusters (year effects with industry clusters),
the bootstrap residuals must be demeaned again in every draw; that term is linear in the
weights, so the scores of G demeaned columns per restricted residual give it exactly
(`cross_terms`, from the effects of each cluster's columns where the direct solve applies): the
result equals the bootstrap of the regression with every fixed effect as a dummy
(pyfixest's `Feols.wildboottest`, which builds those dummies). The t statistics use the
CRV1 variance; its small-sample factor is the same for original and bootstrap draws, so it
cancels.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from upgrading.core.within import Demeaner, NotDirect, cluster_rows

log = logging.getLogger(__name__)

WeightKind = Literal["rademacher", "webb"]
WEBB_POINTS = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
# Ties between a bootstrap and the original |t| (the draw of all ones reproduces the data)
# count as exceedances; a relative margin makes that independent of the last floating bit.
TIE_RTOL = 1e-9
# Bisection of the interval's end points: stop when the bracket is this many SEs wide.
CI_TOL_SE = 1e-6
CI_MAX_SE = 1e4  # an end point beyond this many SEs from the estimate is reported as infinite


@dataclass(frozen=True)
class WildSettings:
    """Registry `inference: {wild: ...}`: replications, seed, weight distribution, interval level."""

    reps: int
    seed: int
    weights: WeightKind = "rademacher"
    level: float = 0.95


@dataclass(frozen=True)
class WildResult:
    p_value: float  # H0: beta_j = 0
    t_stat: float  # original t of H0: beta_j = 0 (CRV1 variance without small-sample factor)
    ci_low: float
    ci_high: float
    reps: int  # replications used (2^G under full enumeration)


def draw_weights(kind: WeightKind, reps: int, n_clusters: int, seed: int) -> np.ndarray:
    """(B, G) cluster weights. Rademacher with 2^G <= reps: every sign vector (full enumeration,
    as boottest and wildboottest do), so the p-value is exact and seed-free."""
    if kind == "rademacher" and 2 ** n_clusters <= reps:
        return np.array(list(itertools.product([-1.0, 1.0], repeat=n_clusters)))
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(reps, n_clusters))
    if kind == "webb":
        return rng.choice(WEBB_POINTS, size=(reps, n_clusters))
    raise ValueError(f"unknown wild bootstrap weights {kind!r} (rademacher, webb)")


def _cluster_sums(a: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Row sums of `a` within each cluster: (G, *a.shape[1:]), one weighted count per column."""
    flat = np.asarray(a, dtype=float).reshape(len(a), -1)
    out = np.column_stack([np.bincount(codes, flat[:, c], n_groups) for c in range(flat.shape[1])])
    return out.reshape((n_groups,) + a.shape[1:])


class WCRModel:
    """What the WCR tests of one model's coefficients share: (X'X)^-1, the estimates, each
    cluster's X_g'X_g and X_g'y_g, and the cross terms of the re-demeaned residuals.

    X, y: demeaned regressors (n, k) and outcome (n,); codes: cluster codes 0..G-1 (n,);
    demean: M_D applied to the columns of an (n, m) array (None without fixed effects).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, codes: np.ndarray,
                 demean: Callable[[np.ndarray], np.ndarray] | None = None):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float).ravel()
        self.codes, self.G = codes, int(codes.max()) + 1
        X, y = self.X, self.y
        self.A_inv = np.linalg.inv(X.T @ X)
        self.beta_hat = self.A_inv @ (X.T @ y)
        self.H = np.stack([X[r].T @ X[r] for r in cluster_rows(codes, self.G)])  # (G, k, k)
        self.Xy = _cluster_sums(X * y[:, None], codes, self.G)  # (G, k)
        self.cross = cross_terms(X, y, codes, demean) if demean is not None else None


def partial_weights(A_inv: np.ndarray, j: int) -> np.ndarray:
    """w with X w = x_j less its least-squares fit on the other columns of X (w_j = 1, the
    others minus that fit's coefficients), from (X'X)^-1 alone: its column j over its entry j
    (the partitioned inverse). An O(n k) product per coefficient instead of a least-squares
    solve on the n rows."""
    a = A_inv[:, j]
    return a / a[j]


class WCRTest:
    """The WCR test of H0: beta_j = r for any r, for coefficient j of a model (WCRModel, whose
    statistics the tests of its other coefficients share)."""

    def __init__(self, model: WCRModel, j: int):
        X, y, codes = model.X, model.y, model.codes
        self.j, self.G = j, model.G
        k = X.shape[1]
        self.A_inv, self.beta_hat, self.H, self.Xy = model.A_inv, model.beta_hat, model.H, model.Xy
        # restricted residual under beta_j = r: u0 - r u1 (y and x_j residualised on the other columns)
        keep = [c for c in range(k) if c != j]
        w = partial_weights(self.A_inv, j)
        c = self.beta_hat - self.beta_hat[j] * w  # y on the others: beta_others + beta_j * (x_j on the others)
        coef = np.column_stack([c[keep], -w[keep]])
        U = np.column_stack([y - X @ c, X @ w])
        self.S0 = _cluster_sums(X * U[:, [0]], codes, self.G)
        self.S1 = _cluster_sums(X * U[:, [1]], codes, self.G)
        self.C0 = self.C1 = None
        self._cached: tuple[np.ndarray, tuple] | None = None
        cross = model.cross
        if cross is not None:
            # C[g, :, h] = X_g' (M_D (1{cluster h} u))_g, linear in u = w - sum_l coef_l x_l
            self.C0 = cross[0] - np.tensordot(coef[:, 0], cross[1:][keep], axes=1)
            self.C1 = cross[1 + j] - np.tensordot(coef[:, 1], cross[1:][keep], axes=1)

    def t_stats(self, r: float, V: np.ndarray) -> np.ndarray:
        """t of H0: beta_j = r for each row of cluster weights V (B, G); V = 1 gives the original t."""
        num0, num1, q0, q1 = self._linear_in_r(V)
        q = q0 + r * q1
        return (num0 + r * num1) / np.sqrt(np.einsum("bg,bg->b", q, q))

    def _linear_in_r(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The bootstrap t of beta_j = r is (num0 + r num1) / |q0 + r q1|: the restricted residual
        u0 - r u1 is linear in r, and so are every draw's coefficients and its scores projected
        on row j of (X'X)^-1 (q, one entry per cluster, whose sum of squares is the variance).
        Computed once per weight matrix, so each null value the interval's bisection tries costs
        O(B G), not O(B G^2 k)."""
        if self._cached is not None and self._cached[0] is V:
            return self._cached[1]
        c0, c1 = self.Xy - self.S0, self.S1  # X_g' (restricted fit) = c0 + r c1
        b0 = (c0.sum(axis=0)[None, :] + V @ self.S0) @ self.A_inv.T  # draws' coefficients: b0 + r b1
        b1 = (c1.sum(axis=0)[None, :] - V @ self.S1) @ self.A_inv.T
        if self.C0 is None:
            R0, R1 = V[:, :, None] * self.S0[None, :, :], V[:, :, None] * self.S1[None, :, :]
        else:
            R0, R1 = np.einsum("bh,gkh->bgk", V, self.C0), np.einsum("bh,gkh->bgk", V, self.C1)
        a = self.A_inv[self.j]
        q0 = (c0[None, :, :] + R0 - np.einsum("gkl,bl->bgk", self.H, b0)) @ a
        q1 = (c1[None, :, :] - R1 - np.einsum("gkl,bl->bgk", self.H, b1)) @ a
        parts = (b0[:, self.j], b1[:, self.j] - 1.0, q0, q1)
        if len(V) > 1:  # the weight matrix of the bisection (V = 1, the original t, is cheap)
            self._cached = (V, parts)
        return parts

    def p_value(self, r: float, V: np.ndarray) -> float:
        t0 = abs(float(self.t_stats(r, np.ones((1, self.G)))[0]))
        return float(np.mean(np.abs(self.t_stats(r, V)) >= t0 * (1.0 - TIE_RTOL)))

    def std_error(self) -> float:
        """CRV1 standard error without small-sample factor (the scale of the bisection)."""
        t = float(self.t_stats(0.0, np.ones((1, self.G)))[0])
        return abs(self.beta_hat[self.j] / t) if t != 0 else float("nan")

    def interval(self, V: np.ndarray, level: float) -> tuple[float, float]:
        """{r : p(r) > 1 - level}, its end points found by bisection from the estimate outwards."""
        alpha = 1.0 - level
        b, se = float(self.beta_hat[self.j]), self.std_error()
        ends = []
        for side in (-1.0, 1.0):
            inside, step = b, 2.0 * se
            outside = b + side * step
            while self.p_value(outside, V) > alpha:
                inside, step = outside, step * 2.0
                if step > CI_MAX_SE * se:
                    outside = None
                    break
                outside = b + side * step
            if outside is None:
                ends.append(side * math.inf)
                continue
            while abs(outside - inside) > CI_TOL_SE * se:
                mid = 0.5 * (inside + outside)
                if self.p_value(mid, V) > alpha:
                    inside = mid
                else:
                    outside = mid
            ends.append(0.5 * (inside + outside))
        return ends[0], ends[1]


def cross_terms(X: np.ndarray, y: np.ndarray, codes: np.ndarray,
                demean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Q[m, g, :, h] = X_g' (M_D (1{cluster h} w_m))_g for w = (y, x_1, ..., x_k): (k+1, G, k, G).

    The scores of re-demeaned bootstrap residuals, for every restricted residual at once (each is
    linear in y and the columns of X), so one set of them serves every coefficient and every null
    value of a model. With the direct solve of the fixed effects (a Demeaner that applies) they
    come from the effects of each cluster's columns (within.Projection.cluster_scores, a pass
    over the rows in all); otherwise from one demeaning of G (k+1) masked columns.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    G, k = int(codes.max()) + 1, X.shape[1]
    projection = demean.projection() if isinstance(demean, Demeaner) else None
    if projection is not None:
        try:
            return projection.cluster_scores(X, np.column_stack([y, X]), codes, G)
        except NotDirect as exc:
            log.warning("wild bootstrap: a demeaning of each cluster's columns (%s)", exc)
    rows = cluster_rows(codes, G)
    out = np.zeros((k + 1, G, k, G))
    # One cluster h at a time, its masked columns (y, X) in one reused N x (k+1) buffer: with
    # the demeaned result, two such arrays beside X, not all G (k+1) columns at once (gigabytes
    # on the full survey); each cluster's rows are gathered from X and the result as needed.
    masked = np.empty((len(X), k + 1))
    for h in range(G):
        in_h = codes == h
        np.multiply(y, in_h, out=masked[:, 0])
        np.multiply(X, in_h[:, None], out=masked[:, 1:])
        M = demean(masked)
        for g in range(G):
            out[:, g, :, h] = np.einsum("ik,im->mk", X[rows[g]], M[rows[g]])
        del M
    return out


def wcr(model: WCRModel, j: int, settings: WildSettings) -> WildResult:
    """WCR p-value of H0: beta_j = 0 and the interval by test inversion, for column j of the
    model's X."""
    test = WCRTest(model, j)
    V = draw_weights(settings.weights, settings.reps, test.G, settings.seed)
    lo, hi = test.interval(V, settings.level)
    t0 = float(test.t_stats(0.0, np.ones((1, test.G)))[0])
    return WildResult(p_value=test.p_value(0.0, V), t_stat=t0, ci_low=lo, ci_high=hi, reps=len(V))
