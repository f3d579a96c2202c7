"""Law of motion of productivity: omega_t = g(omega_{t-1}, controls_{t-1}, year_t) + xi_t.

Shared by Levinsohn-Petrin and Ackerberg-Caves-Frazer. g is a polynomial in lagged
omega; the optional controls (lagged spillover measures) make it the "controlled
Markov process" of the spillover literature, and year effects absorb aggregate shocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upgrading.core.demean import demean, group_codes
from upgrading.productivity.design import lag_index, ls_coef, polynomial, residual_maker, year_dummies


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
    are built in `innovation`)."""
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
    keep = s > s[0] * 1e-10 if len(s) and s[0] > 0 else np.zeros(len(s), bool)
    return u[:, keep]


def _partial_out(pairs: Pairs, v: np.ndarray) -> np.ndarray:
    if pairs.groups is not None:
        v = demean(v, pairs.groups, pairs.group_n)
    return v - pairs.basis @ (pairs.basis.T @ v)


def innovation(omega: np.ndarray, pairs: Pairs, degree: int) -> np.ndarray:
    """xi_t: residual of omega_t on the polynomial in omega_{t-1} and the fixed regressors.

    Frisch-Waugh: the fixed regressors are partialled out through their precomputed
    orthonormal basis, leaving a regression on `degree` columns (cheap per GMM step).
    """
    w_lag = omega[pairs.lag]
    scale = w_lag.std() or 1.0
    z = (w_lag - w_lag.mean()) / scale
    extra = 3 if pairs.p_obs is not None else 0
    # One n x (degree + extra + 1) block: the powers of z, the selection interactions and
    # omega_t, partialled out together (one pass over the fixed basis per GMM step).
    block = np.empty((len(z), degree + extra + 1))
    block[:, 0] = z
    for p in range(1, degree):
        np.multiply(block[:, p - 1], z, out=block[:, p])
    if extra:  # g(omega_{t-1}, P): interactions up to total degree 3
        P = pairs.p_obs
        np.multiply(z, P, out=block[:, degree])
        np.multiply(block[:, degree], z, out=block[:, degree + 1])
        np.multiply(block[:, degree], P, out=block[:, degree + 2])
    block[:, -1] = omega[pairs.cur]
    block = _partial_out(pairs, block)
    return residual_maker(block[:, :-1], block[:, -1])
