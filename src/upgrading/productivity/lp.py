"""Levinsohn & Petrin (2003) value-added production function.

Stage 1 (partially linear): y on l, a polynomial in (k, m) and year effects gives
beta_l and phi = fitted - beta_l l (intermediates proxy for omega given k).
Stage 2: omega = phi - beta_k k; GMM sets E[xi k_t] = 0 with xi the innovation of
omega's law of motion (markov.py). One moment, one parameter; the CLI's fixed start.
With first-stage fixed effects (Settings.first_stage_group) the first stage is the same
partially linear fit within groups (as ACF's: local input shares).
"""

from __future__ import annotations

import numpy as np

from upgrading.productivity.acf import Settings, ols_start
from upgrading.productivity.design import ls_coef, polynomial, year_dummies
from upgrading.productivity.markov import innovation, make_pairs, solve_moments


def first_stage(data: dict[str, np.ndarray], degree: int,
                group: str | None = None) -> tuple[float, np.ndarray]:
    """beta_l and phi(k, m, year) from the partially linear first stage; with `group`, also
    that column's fixed effects (as in ACF's first stage: local input shares)."""
    X = np.column_stack([np.ones_like(data["y"]), data["l"],
                         polynomial([data["k"], data["m"]], degree),
                         year_dummies(data["year"])])
    if group is None:
        coef = ls_coef(X, data["y"])
        beta_l = float(coef[1])
        return beta_l, X @ coef - beta_l * data["l"]
    _, codes = np.unique(data[group], return_inverse=True)
    n = np.bincount(codes).astype(float)

    def mean(v):
        return (np.bincount(codes, weights=v, minlength=len(n)) / n)[codes]

    Xw = X[:, 1:] - np.column_stack([mean(X[:, i]) for i in range(1, X.shape[1])])
    coef = ls_coef(Xw, data["y"] - mean(data["y"]))
    beta_l = float(coef[0])
    fitted = X[:, 1:] @ coef
    fitted = fitted + mean(data["y"] - fitted)
    return beta_l, fitted - beta_l * data["l"]


def estimate(data: dict[str, np.ndarray], settings: Settings = Settings(),
             start: np.ndarray | None = None) -> dict:
    beta_l, phi = first_stage(data, settings.poly_degree, settings.first_stage_group)
    pairs = make_pairs(data, settings.markov_controls, settings.markov_year_effects,
                       settings.markov_group, settings.selection)
    k = data["k"]
    k_cur = k[pairs.cur]
    z = (k_cur - k_cur.mean()) / (k_cur.std() or 1.0)

    def moments(beta: np.ndarray) -> np.ndarray:
        xi = innovation(phi - beta[0] * k, pairs, settings.markov_degree)
        return np.array([np.mean(xi * z)])

    x0 = ols_start(data)[1:] if start is None else np.asarray(start, dtype=float)[1:]
    beta, converged, worst = solve_moments(moments, x0)
    return {"beta_l": beta_l, "beta_k": float(beta[0]), "nobs": pairs.n,
            "converged": converged, "max_moment": worst}
