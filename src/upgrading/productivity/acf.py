"""Ackerberg, Caves & Frazer (2015) value-added production function.

Stage 1: y on a polynomial in (free inputs, k, m) and year effects -> Phi (output net of
noise). Stage 2: for candidate elasticities b, omega = Phi - b_free . free - b_k k; xi is the
innovation of omega's law of motion (markov.py); GMM sets E[xi (1, free_{t-1}, k_t)] = 0.
The constant moment holds by construction (g has a constant), leaving one moment per
parameter. The moments have several roots and a flat valley, so the solution comes from a
multi-start search (search.py): a seeded Sobol set plus the OLS and within estimates and the
fixed start. Exact roots all have criterion zero, so the criterion cannot choose among them:
among the admissible roots (search.inadmissible: elasticities in (0, max_elasticity], returns
to scale in bounds, labour elasticities within labour_band of LP's first-stage estimate,
which is identified without the second-stage moments and unique) the one whose labour
elasticities lie nearest LP's first stage is chosen, and the presence of a second root is
reported. The spurious root this guards against sits near labour 1, capital 0 (omega = value
added per worker); when it is the only root found the search has not converged.
Options (Settings): fixed effects in stage 1 (local input shares), lagged controls and
year effects in g (one set per ownership class with `markov_year_by`), and the Olley-Pakes
observation probability in g (markov.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from upgrading.core.demean import demean, group_codes, group_mean
from upgrading.productivity import search
from upgrading.productivity.design import least_squares_fit, ls_coef, polynomial, year_dummies
from upgrading.productivity.markov import Innovations, make_pairs, residual_df

# The fixed start (beta_l, beta_k): the midpoint of typical value-added elasticities (labour
# 0.3-0.5, capital 0.2-0.4; docs/calibration.md, industries), one of the starts of every search.
FIXED_START = (0.4, 0.3)


@dataclass(frozen=True)
class Settings:
    poly_degree: int = 3
    markov_degree: int = 3
    markov_controls: tuple[str, ...] = ()
    markov_year_effects: bool = True
    markov_group: str | None = None  # fixed effects in the law of motion (e.g. "city")
    first_stage_group: str | None = None  # fixed effects in the first stage (e.g. "city_period")
    selection: bool = False  # Olley-Pakes: observation probability in the law of motion
    first_stage_year_effects: bool = True
    free: tuple[str, ...] = ("l",)  # free (labour) inputs, each with its own elasticity
    lp_second_stage: Literal["nlls", "gmm"] = "nlls"  # LP only (lp.py)
    markov_year_by: str | None = None  # year effects in g by class of this column (markov.py)


def inputs(data: dict[str, np.ndarray], free: tuple[str, ...]) -> np.ndarray:
    """n x (free..., k): the inputs whose elasticities are estimated."""
    return np.column_stack([data[f] for f in free] + [data["k"]])


def ols_start(data: dict[str, np.ndarray], free: tuple[str, ...] = ("l",)) -> np.ndarray:
    """OLS elasticities (free..., k) of y on the inputs and year effects."""
    X = np.column_stack([np.ones_like(data["y"]), inputs(data, free), year_dummies(data["year"])])
    return ls_coef(X, data["y"])[1:2 + len(free)]


def within_start(data: dict[str, np.ndarray], free: tuple[str, ...] = ("l",)) -> np.ndarray:
    """Within-firm elasticities (free..., k) with year effects (Frisch-Waugh, O(n))."""
    X = np.column_stack([inputs(data, free), year_dummies(data["year"])])
    codes, n = group_codes(data["firm"])
    return ls_coef(demean(X, codes, n), demean(data["y"], codes, n))[:1 + len(free)]


def default_starts(data: dict[str, np.ndarray], free: tuple[str, ...],
                   settings: search.SearchSettings) -> np.ndarray:
    """Sobol starts, then OLS, within and (one free input) the fixed start."""
    rows = [search.sobol_starts(len(free), settings), ols_start(data, free)[None, :],
            within_start(data, free)[None, :]]
    if len(free) == 1:
        rows.append(np.array([FIXED_START]))
    return np.vstack(rows)


def first_stage(data: dict[str, np.ndarray], degree: int, group: str | None = None,
                free: tuple[str, ...] = ("l",), year_effects: bool = True) -> np.ndarray:
    """Phi: fitted y on a constant, the polynomial in (free, k, m) and year effects.

    With `group`, also that column's fixed effects (within transformation, O(n)): they
    absorb local differences in the intermediate-input share that would otherwise make
    m a function of omega *and* the location, breaking the scalar-unobservable proxy.
    """
    names = dict.fromkeys([*free, "k", "m"])  # gross output: m is both an input and the proxy
    parts = [np.ones_like(data["y"]), polynomial([data[c] for c in names], degree)]
    if year_effects:
        parts.append(year_dummies(data["year"]))
    X = np.column_stack(parts)
    if group is None:
        return least_squares_fit(X, data["y"])
    return fitted_with_effects(X[:, 1:], data["y"], data[group])


def fitted_with_effects(X: np.ndarray, y: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Fitted values of y on X plus fixed effects of `group` (Frisch-Waugh within fit)."""
    codes, n = group_codes(group)
    b = ls_coef(demean(X, codes, n), demean(y, codes, n))
    xb = X @ b
    return xb + group_mean(y - xb, codes, n)


def _standardised(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() or 1.0)


def estimate(data: dict[str, np.ndarray], settings: Settings = Settings(),
             starts: np.ndarray | None = None,
             search_settings: search.SearchSettings = search.SearchSettings()) -> dict:
    """Elasticities by ACF on one industry's arrays, with the search diagnostics.

    `starts` (rows of (free..., k)) replaces the default multi-start set (the bootstrap
    passes the full-sample estimate).
    """
    free = settings.free
    phi = first_stage(data, settings.poly_degree, settings.first_stage_group, free,
                      settings.first_stage_year_effects)
    pairs = make_pairs(data, settings.markov_controls, settings.markov_year_effects,
                       settings.markov_group, settings.selection, free, settings.markov_year_by)
    if starts is None:
        starts = default_starts(data, free, search_settings)
    df = residual_df(pairs, settings.markov_degree)
    if df <= len(free) + 1:
        return result_dict(search.not_estimated(starts, too_few_pairs(pairs.n, df, len(free) + 1)),
                           free, pairs.n)
    # omega = phi - X beta = [phi, X] @ (1, -beta)
    law = Innovations(np.column_stack([phi, inputs(data, free)]), pairs, settings.markov_degree)
    # Instruments centred and scaled so that every moment weighs alike: free_{t-1}, k_t.
    Z = np.column_stack([_standardised(data[f][pairs.lag]) for f in free]
                        + [_standardised(data["k"][pairs.cur])])
    ZQ = Z.T @ law.q / pairs.n

    def moments(beta: np.ndarray) -> np.ndarray:
        return ZQ @ law.coordinates(np.r_[1.0, -beta])

    from upgrading.productivity import lp  # lp builds on this module's settings and starts

    labour = tuple(f for f in free if f != "m")  # gross output: m is the proxy in LP's stage 1
    reference = lp.first_stage(data, settings.poly_degree, settings.first_stage_group, labour,
                               settings.first_stage_year_effects)[0]

    def nearest_lp(beta: np.ndarray) -> float:
        return float(np.sum((beta[:len(labour)] - reference) ** 2))

    def check(beta: np.ndarray) -> str:
        return search.inadmissible(beta, search_settings, reference)

    res = search.run(moments, starts, "root", search_settings, rank=nearest_lp, check=check)
    return result_dict(res, free, pairs.n)


def too_few_pairs(n_pairs: int, df: int, n_params: int) -> str:
    return (f"{n_pairs} firm-year pairs (t, t-1) leave {df} once the law of motion's "
            f"regressors are fitted, too few for {n_params} elasticities")


def result_dict(res: search.Result, free: tuple[str, ...], nobs: int) -> dict:
    """The estimate as the by-industry table wants it: one beta per input plus diagnostics."""
    out = {f"beta_{f}": float(b) for f, b in zip(free, res.beta[:-1])}
    out.update({"beta_k": float(res.beta[-1]), "nobs": nobs, "converged": res.converged,
                "criterion": res.criterion, "starts": res.starts,
                "starts_converged": res.starts_converged, "roots": len(res.solutions),
                "second_root_in_band": res.second_in_band,
                "solutions": "; ".join("/".join(f"{v:.4f}" for v in s) for s in res.solutions),
                "message": res.message})
    return out
