"""Levinsohn & Petrin (2003) value-added production function.

Stage 1 (partially linear): y on the free inputs, a polynomial in (k, m) and (optionally)
year effects gives the free elasticities and phi = fitted - b_free . free (intermediates
proxy for omega given k); eps = y - fitted is the first-stage residual.
Stage 2, as published (`lp_second_stage: nlls`, the default): b_k minimises the sum of
squared residuals of y - b_free . free - b_k k - g(phi_{t-1} - b_k k_{t-1}), with g the
least-squares fit of omega_t = phi_t - b_k k_t on its law of motion (markov.py), which is
the residual eps_t + xi_t. This is the estimator of Levinsohn and Petrin (2003) and of
prodest's prodestLP. `lp_second_stage: gmm` instead sets E[xi k_t] = 0 (the ACF-style
moment). Both search from a seeded Sobol set of starts plus the OLS and within estimates
(search.py). With first-stage fixed effects (Settings.first_stage_group) the first stage is
the same partially linear fit within groups (as ACF's: local input shares).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from upgrading.core.demean import demean, group_codes, group_mean
from upgrading.productivity import search
from upgrading.productivity.acf import Settings, ols_start, result_dict, too_few_pairs, within_start
from upgrading.productivity.design import ls_coef, polynomial, year_dummies
from upgrading.productivity.markov import Innovations, make_pairs, residual_df


def first_stage(data: dict[str, np.ndarray], degree: int, group: str | None = None,
                free: tuple[str, ...] = ("l",),
                year_effects: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(free elasticities, phi(k, m, year), first-stage residual); with `group`, also that
    column's fixed effects (as in ACF's first stage: local input shares)."""
    F = np.column_stack([data[f] for f in free])
    parts = [np.ones_like(data["y"]), F, polynomial([data["k"], data["m"]], degree)]
    if year_effects:
        parts.append(year_dummies(data["year"]))
    X = np.column_stack(parts)
    nf = len(free)
    if group is None:
        coef = ls_coef(X, data["y"])
        fitted = X @ coef
        b_free = coef[1:1 + nf]
    else:
        codes, n = group_codes(data[group])
        coef = ls_coef(demean(X[:, 1:], codes, n), demean(data["y"], codes, n))
        fitted = X[:, 1:] @ coef
        fitted = fitted + group_mean(data["y"] - fitted, codes, n)
        b_free = coef[:nf]
    return b_free, fitted - F @ b_free, data["y"] - fitted


def estimate(data: dict[str, np.ndarray], settings: Settings = Settings(),
             starts: np.ndarray | None = None,
             search_settings: search.SearchSettings = search.SearchSettings()) -> dict:
    """Elasticities by LP on one industry's arrays, with the second stage's search diagnostics.

    `starts`: rows of (free..., k) (only k is searched; the bootstrap passes the estimate).
    """
    free = settings.free
    b_free, phi, eps = first_stage(data, settings.poly_degree, settings.first_stage_group, free,
                                   settings.first_stage_year_effects)
    pairs = make_pairs(data, settings.markov_controls, settings.markov_year_effects,
                       settings.markov_group, settings.selection, free, settings.markov_year_by)
    if starts is None:
        starts = np.vstack([search.sobol_starts(len(free), search_settings),
                            ols_start(data, free)[None, :], within_start(data, free)[None, :]])
    df = residual_df(pairs, settings.markov_degree)
    if df <= 1:
        res = search.not_estimated(np.atleast_2d(starts)[:, -1:], too_few_pairs(pairs.n, df, 1))
        return result_dict(_with_free(res, b_free), free, pairs.n)
    k = data["k"]
    # omega = phi - b_k k = [phi, k] @ (1, -b_k); xi = Q r (markov.Innovations)
    law = Innovations(np.column_stack([phi, k]), pairs, settings.markov_degree)

    if settings.lp_second_stage == "nlls":
        # eps_t + xi_t in Q's coordinates plus the norm of eps's part outside Q: the same sum
        # of squares as the n residuals, so the same criterion and Gauss-Newton steps.
        eps_cur = eps[pairs.cur]
        eps_q = law.q.T @ eps_cur
        eps_rest = float(np.linalg.norm(eps_cur - law.q @ eps_q))

        def fun(beta):
            return np.r_[eps_q + law.coordinates(np.r_[1.0, -beta[0]]), eps_rest]
        kind = "minimum"
    else:
        z = (k[pairs.cur] - k[pairs.cur].mean()) / (k[pairs.cur].std() or 1.0)
        zq = z @ law.q / pairs.n

        def fun(beta):
            return np.array([zq @ law.coordinates(np.r_[1.0, -beta[0]])])
        kind = "root"

    def check(b: np.ndarray) -> str:
        return search.inadmissible(np.r_[b_free, b], search_settings)

    res = search.run(fun, np.atleast_2d(starts)[:, -1:], kind, search_settings, check=check,
                     nobs=pairs.n)
    return result_dict(_with_free(res, b_free), free, pairs.n)


def _with_free(res: search.Result, b_free: np.ndarray) -> search.Result:
    """The search over b_k with the first stage's free elasticities put in front."""
    return dataclasses.replace(res, beta=np.r_[b_free, res.beta],
                               solutions=tuple((*b_free, *s) for s in res.solutions))
