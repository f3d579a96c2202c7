"""Law of motion of productivity: omega_t = g(omega_{t-1}, controls_{t-1}, year_t) + xi_t.

Shared by Levinsohn-Petrin and Ackerberg-Caves-Frazer. g is a polynomial in lagged
omega; the optional controls (lagged spillover measures) make it the "controlled
Markov process" of the spillover literature, and year effects absorb aggregate shocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement
from math import factorial

import numpy as np

from upgrading.core.demean import demean, group_codes
from upgrading.productivity.design import lag_index, ls_coef, polynomial, year_dummies

# Singular values below this fraction of the largest are collinearity, not signal.
RANK_RTOL = 1e-10


@dataclass(frozen=True)
class Pairs:
    """Rows that have the same firm's previous year: current values and lagged values."""

    cur: np.ndarray  # row indices at t
    lag: np.ndarray  # row indices at t - 1
    basis: np.ndarray  # orthonormal basis of the regressors of g that do not depend on beta
    groups: np.ndarray | None = None  # codes of the fixed effects in g (e.g. city), per pair
    group_n: np.ndarray | None = None  # pairs per code
    p_obs: np.ndarray | None = None  # Olley-Pakes: Pr(firm observed at t | t-1), per pair

    @property
    def n(self) -> int:
        return len(self.cur)


def observation_probability(data: dict[str, np.ndarray], lag: np.ndarray,
                            free: tuple[str, ...] = ("l",)) -> np.ndarray:
    """Olley-Pakes selection: Pr(the firm is in the sample next year | its year-t inputs).

    A linear probability model of "has a row in t+1" on a quadratic in (k, free, m) and year
    effects, fit on rows before the last sample year; clipped to [0.01, 0.99]. In the ASIF
    a firm leaves the sample by exit or by falling below the survey threshold, both of
    which select on productivity; P enters g so that xi is purged of that selection.
    """
    has_next = np.zeros(len(lag), dtype=float)
    has_next[lag[lag >= 0]] = 1.0
    names = dict.fromkeys(["k", *free, "m"])
    X = np.column_stack([np.ones_like(data["k"]), polynomial([data[c] for c in names], 2),
                         year_dummies(data["year"])])
    fit = data["year"] < data["year"].max()
    coef = ls_coef(X[fit], has_next[fit]) if fit.any() else np.zeros(X.shape[1])
    return np.clip(X @ coef, 0.01, 0.99)


def make_pairs(data: dict[str, np.ndarray], controls: tuple[str, ...],
               year_effects: bool, group: str | None = None, selection: bool = False,
               free: tuple[str, ...] = ("l",), year_by: str | None = None) -> Pairs:
    """Pairs (t, t-1) and the fixed part of g: a constant (or `group` fixed effects, e.g.
    city: a persistent local productivity level), lagged controls, year effects (with
    `year_by`, one set per class of that column at t-1), and with `selection` a cubic in
    the observation probability P (its interactions with lagged omega depend on beta and
    are built in `Innovations`)."""
    lag = lag_index(data["firm"], data["year"])
    cur = np.flatnonzero(lag >= 0)
    prev = lag[cur]
    parts = [np.ones((len(cur), 1))]
    parts += [data[c][prev][:, None] for c in controls]
    p_obs = None
    if selection:
        p_obs = observation_probability(data, lag, free)[prev]
        parts += [p_obs[:, None] ** q for q in (1, 2, 3)]
    if year_effects:
        parts.append(year_dummies(data["year"][cur]))
        if year_by is not None:
            parts.append(class_year_effects(data[year_by][prev], data["year"][cur]))
    fixed = np.column_stack(parts)
    if group is None:
        return Pairs(cur=cur, lag=prev, basis=orthonormal_basis(fixed), p_obs=p_obs)
    codes, n = group_codes(data[group][cur])
    within = demean(fixed[:, 1:], codes, n)  # the constant is one of the group effects
    basis = orthonormal_basis(within) if within.shape[1] else np.zeros((len(cur), 0))
    return Pairs(cur=cur, lag=prev, basis=basis, groups=codes, group_n=n, p_obs=p_obs)


def class_year_effects(classes: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Indicators of every class but the first and their products with the year dummies.

    Beside common year effects they give each class its own aggregate path of productivity.
    FDI spillovers shift the productivity of domestic firms only (foreign-invested firms are
    their source), and the industry-year spillover measures are absorbed by year effects
    only when every firm responds alike; by ownership class, both paths are absorbed.
    """
    levels, codes = np.unique(classes, return_inverse=True)
    years = year_dummies(year)
    parts = []
    for c in range(1, len(levels)):
        ind = (codes == c).astype(float)[:, None]
        parts += [ind, ind * years]
    return np.column_stack(parts) if parts else np.zeros((len(classes), 0))


def orthonormal_basis(X: np.ndarray) -> np.ndarray:
    """Orthonormal basis of X's column space (rank-safe: collinear controls, e.g. an
    industry-year control next to year effects, are absorbed, not double-counted)."""
    u, s, _ = np.linalg.svd(X, full_matrices=False)
    keep = s > s[0] * RANK_RTOL if len(s) and s[0] > 0 else np.zeros(len(s), bool)
    return u[:, keep]


def _partial_out(pairs: Pairs, v: np.ndarray) -> np.ndarray:
    if pairs.groups is not None:
        v = demean(v, pairs.groups, pairs.group_n)
    return v - pairs.basis @ (pairs.basis.T @ v)


def residual_df(pairs: Pairs, degree: int) -> int:
    """Pairs left once g's regressors are fitted. At zero xi vanishes whatever omega is, so
    every start of a search would be a root: the estimators stop before."""
    fixed = pairs.basis.shape[1] + (len(pairs.group_n) if pairs.group_n is not None else 0)
    return pairs.n - fixed - lagged_terms(pairs, degree)


def lagged_terms(pairs: Pairs, degree: int) -> int:
    """g's regressors in omega_{t-1}: its powers, and with selection omega_{t-1} P,
    omega_{t-1}^2 P and omega_{t-1} P^2."""
    return degree + (3 if pairs.p_obs is not None else 0)


class Innovations:
    """xi_t for every candidate omega = values @ u, after one pass over the pairs.

    xi is the residual of omega_t on g's regressors: the polynomial in omega_{t-1} (and, with
    selection, its interactions with P) and the fixed regressors. With omega linear in u, each
    power of omega_{t-1} is a fixed combination of the monomials of the lagged value columns,
    with coefficients polynomial in u. So the monomials and omega_t's columns are partialled
    out of the fixed regressors once and factorised, M F = Q R (F: n_pairs x m, m = 34 for
    value added with selection), and for each u the regression of M omega_t on M (powers of
    omega_{t-1}) runs on R's m rows: xi = Q r(u) exactly. A GMM or least-squares step then
    costs O(m^2), not a pass over the data (the search evaluates it some hundred times per
    industry). Span: g has a constant (or group effects), so centring and scaling the
    columns, and the powers of a centred omega_{t-1}, span the same residual space.
    """

    def __init__(self, values: np.ndarray, pairs: Pairs, degree: int):
        lag, cur = values[pairs.lag], values[pairs.cur]
        self.lag_sd = _sd(lag)
        self.cur_sd = _sd(cur)
        lag = (lag - lag.mean(axis=0)) / self.lag_sd
        self.lag_corr = lag.T @ lag / len(lag) if len(lag) else np.eye(values.shape[1])
        selection = pairs.p_obs is not None
        # One row per monomial of the lagged columns: (block column, exponents); block columns
        # are omega_{t-1}^1..degree, then with selection omega_{t-1} P, omega_{t-1}^2 P,
        # omega_{t-1} P^2 (g's interactions up to total degree 3), then omega_t.
        blocks = [(p, p, None) for p in range(1, degree + 1)]
        if selection:
            blocks += [(1, degree + 1, 1), (2, degree + 2, 1), (1, degree + 3, 2)]
        columns, block_of, exponents = [], [], []
        for power, block, p_power in blocks:
            for combo in combinations_with_replacement(range(lag.shape[1]), power):
                e = np.bincount(np.asarray(combo), minlength=lag.shape[1])
                t = np.prod(lag[:, list(combo)], axis=1)
                columns.append(t if p_power is None else t * pairs.p_obs ** p_power)
                block_of.append(block - 1)
                exponents.append(e)
        self.n_blocks = lagged_terms(pairs, degree) + 1  # and omega_t
        self.block_of = np.asarray(block_of, dtype=np.int64)
        self.exponents = np.asarray(exponents, dtype=np.int64)
        self.power = self.exponents.sum(axis=1)
        self.multiplicity = np.array([factorial(int(e.sum())) / np.prod([factorial(int(v)) for v in e])
                                      for e in self.exponents])
        F = np.column_stack(columns + [(cur - cur.mean(axis=0)) / self.cur_sd])
        self.q, self.r = np.linalg.qr(_partial_out(pairs, F))

    def coordinates(self, u: np.ndarray) -> np.ndarray:
        """r(u): xi = Q r(u), an m-vector."""
        u = np.asarray(u, dtype=float)
        a = u * self.lag_sd
        scale = float(np.sqrt(max(a @ self.lag_corr @ a, 0.0))) or 1.0
        weights = (self.multiplicity * np.prod(a[None, :] ** self.exponents, axis=1)
                   / scale ** self.power)
        m_lag = len(weights)
        C = np.zeros((self.r.shape[1], self.n_blocks))
        C[np.arange(m_lag), self.block_of] = weights
        C[m_lag:, -1] = u * self.cur_sd
        RC = self.r @ C
        # Collinear powers (e.g. P constant, so omega_{t-1} P is omega_{t-1}) leave singular
        # values at rounding level; cut them as orthonormal_basis does, or they amplify noise.
        coef = np.linalg.lstsq(RC[:, :-1], RC[:, -1], rcond=RANK_RTOL)[0]
        return RC[:, -1] - RC[:, :-1] @ coef

    def xi(self, u: np.ndarray) -> np.ndarray:
        """xi_t per pair for omega = values @ u."""
        return self.q @ self.coordinates(u)


def _sd(X: np.ndarray) -> np.ndarray:
    sd = X.std(axis=0) if len(X) else np.ones(X.shape[1])
    return np.where(sd > 0, sd, 1.0)
