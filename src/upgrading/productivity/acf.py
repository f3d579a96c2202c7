"""Ackerberg, Caves & Frazer (2015) value-added production function.

Stage 1: y on a polynomial in (l, k, m) and year effects -> Phi (output net of noise).
Stage 2: for candidate (beta_l, beta_k), omega = Phi - beta_l l - beta_k k; xi is the
innovation of omega's law of motion (markov.py); GMM sets E[xi (1, k_t, l_{t-1})] = 0.
The constant moment holds by construction (g has a constant), leaving two moments
for two parameters. The start is fixed (OLS here if none is given; the CLI passes
settings.FIXED_START, see by_industry.start_values: the moments have a second root near OLS),
so the result is the same on every run (prodest #12).
Options (Settings): fixed effects in stage 1 (local input shares), lagged controls and
year effects in g, and the Olley-Pakes observation probability in g (markov.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upgrading.productivity.design import least_squares_fit, ls_coef, polynomial, year_dummies
from upgrading.productivity.markov import innovation, make_pairs, solve_moments


@dataclass(frozen=True)
class Settings:
    poly_degree: int = 3
    markov_degree: int = 3
    markov_controls: tuple[str, ...] = ()
    markov_year_effects: bool = True
    markov_group: str | None = None  # fixed effects in the law of motion (e.g. "city")
    first_stage_group: str | None = None  # fixed effects in the first stage (e.g. "city_period")
    selection: bool = False  # Olley-Pakes: observation probability in the law of motion


def ols_start(data: dict[str, np.ndarray]) -> np.ndarray:
    """OLS (beta_l, beta_k) of y on l, k and year effects: the fixed start of the GMM search."""
    X = np.column_stack([np.ones_like(data["y"]), data["l"], data["k"], year_dummies(data["year"])])
    return ls_coef(X, data["y"])[1:3]


def first_stage(data: dict[str, np.ndarray], degree: int, group: str | None = None) -> np.ndarray:
    """Phi: fitted y on a constant, the polynomial in (l, k, m) and year effects.

    With `group`, also that column's fixed effects (within transformation, O(n)): they
    absorb local differences in the intermediate-input share that would otherwise make
    m a function of omega *and* the location, breaking the scalar-unobservable proxy.
    """
    X = np.column_stack([np.ones_like(data["y"]),
                         polynomial([data["l"], data["k"], data["m"]], degree),
                         year_dummies(data["year"])])
    if group is None:
        return least_squares_fit(X, data["y"])
    return fitted_with_effects(X[:, 1:], data["y"], data[group])


def fitted_with_effects(X: np.ndarray, y: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Fitted values of y on X plus fixed effects of `group` (Frisch-Waugh within fit)."""
    _, codes = np.unique(group, return_inverse=True)
    n = np.bincount(codes).astype(float)

    def mean(v):
        return (np.bincount(codes, weights=v, minlength=len(n)) / n)[codes]

    Xw = X - np.column_stack([mean(X[:, i]) for i in range(X.shape[1])])
    b = ls_coef(Xw, y - mean(y))
    xb = X @ b
    return xb + mean(y - xb)


def estimate(data: dict[str, np.ndarray], settings: Settings = Settings(),
             start: np.ndarray | None = None) -> dict:
    """(beta_l, beta_k) by ACF on one industry's arrays; also the number of GMM pairs."""
    phi = first_stage(data, settings.poly_degree, settings.first_stage_group)
    pairs = make_pairs(data, settings.markov_controls, settings.markov_year_effects,
                       settings.markov_group, settings.selection)
    l, k = data["l"], data["k"]
    k_cur, l_lag = k[pairs.cur], l[pairs.lag]
    # Instruments are centred and scaled so that both moments weigh alike in the solver.
    z1 = (k_cur - k_cur.mean()) / (k_cur.std() or 1.0)
    z2 = (l_lag - l_lag.mean()) / (l_lag.std() or 1.0)

    def moments(beta: np.ndarray) -> np.ndarray:
        xi = innovation(phi - beta[0] * l - beta[1] * k, pairs, settings.markov_degree)
        return np.array([np.mean(xi * z1), np.mean(xi * z2)])

    x0 = ols_start(data) if start is None else np.asarray(start, dtype=float)
    beta, converged, worst = solve_moments(moments, x0)
    return {"beta_l": float(beta[0]), "beta_k": float(beta[1]), "nobs": pairs.n,
            "converged": converged, "max_moment": worst}
