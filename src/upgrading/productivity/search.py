"""Multi-start search for production-function parameters, with the diagnostics the tables show.

The ACF moment conditions (and LP's GMM moment) have more than one root and a flat valley
between them, so one start proves nothing. Every search here starts from a seeded Sobol set
over a box of plausible elasticities plus the starts the caller adds (OLS, within, a fixed
point), solves from each, keeps every distinct solution, and chooses by a stated rule:

- kind "root" (exactly identified moments): a start has converged when the largest absolute
  moment is at most `root_tol`. Roots all have criterion ~0, so among admissible roots (see
  below) the one with the lowest `rank` value wins; `rank` defaults to the estimating
  criterion, and ACF passes the distance to LP's first-stage labour elasticity (acf.py), so
  the choice rests on the data, never on which start found which root (nor on the rounding
  noise of criteria near zero); inadmissible roots are listed in the same order.
- kind "minimum" (least squares, LP's NLLS): Levenberg-Marquardt, polished by Newton steps on
  the criterion; a start has converged when the central-difference gradient of the mean
  squared residual is at most `grad_tol`; the admissible minimum with the lowest criterion
  wins.

A second distinct solution whose criterion lies within `band` of the chosen one is reported
(`second_in_band`): the data then do not separate the two by the criterion alone.

Admissible solution (`inadmissible`; SearchSettings fields and config keys of the same
names): every elasticity in (0, max_elasticity]; returns to scale (their sum) within
`returns_to_scale`; and, when the caller passes a reference for the free-input
elasticities (ACF: LP's first stage, identified without the second-stage moments), every
free elasticity within `labour_band` of it. The
last rule rejects the spurious ACF root where omega is output per worker (labour near 1,
capital near 0): that root solves the moments whenever log output per worker is itself a
Markov process, whatever the technology. A search whose solutions all fail the rule has not
converged: the stage stops or writes the declared fallback, with the reason of every failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize
from scipy.stats import qmc

Kind = Literal["root", "minimum"]


@dataclass(frozen=True)
class SearchSettings:
    n_sobol: int = 8  # quasi-random starts (a power of two keeps Sobol balanced)
    seed: int = 20240601
    free_box: tuple[float, float] = (0.0, 1.5)  # start box of each free-input elasticity
    state_box: tuple[float, float] = (0.0, 1.0)  # start box of capital's elasticity
    root_tol: float = 1e-7  # largest absolute (standardised) moment at a root
    grad_tol: float = 1e-7  # largest absolute gradient of the mean squared residual at a minimum
    distinct: float = 1e-4  # solutions closer than this (largest coordinate gap) are one
    band: float = 1e-6  # a second solution within this criterion of the chosen one is a near-tie
    max_nfev: int = 400  # per start
    max_elasticity: float = 1.5  # admissible: every elasticity in (0, max_elasticity]
    returns_to_scale: tuple[float, float] = (0.3, 2.0)  # admissible: sum of the elasticities
    labour_band: float | None = 0.3  # admissible: |free elasticity - reference| (None: off)


@dataclass(frozen=True)
class Result:
    beta: np.ndarray  # chosen solution (none admissible: the first inadmissible one by the same
    # order; none converged: the start with the lowest criterion)
    converged: bool  # a converged, admissible solution was found
    criterion: float  # at beta: sum of squared moments (root) or mean squared residual (minimum)
    starts: int
    starts_converged: int
    solutions: tuple[tuple[float, ...], ...]  # distinct converged solutions, best first
    second_in_band: bool
    admissible: bool  # beta passes the admissibility rule (module docstring)
    message: str  # why the search failed ("" on success)


def not_estimated(starts: np.ndarray, message: str) -> Result:
    """The result of a search that cannot run (e.g. too few observations), with its reason."""
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    return Result(starts[0], False, float("nan"), len(starts), 0, (), False, False, message)


def inadmissible(beta: np.ndarray, settings: SearchSettings,
                 reference: np.ndarray | None = None) -> str:
    """Why `beta` (free elasticities..., capital) is not admissible; "" when it is."""
    beta = np.asarray(beta, float)
    why = []
    if not np.all(beta > 0):
        why.append("a non-positive elasticity")
    if np.any(beta > settings.max_elasticity):
        why.append(f"an elasticity above max_elasticity {settings.max_elasticity:g}")
    lo, hi = settings.returns_to_scale
    if not lo <= beta.sum() <= hi:
        why.append(f"returns to scale {beta.sum():.3f} outside returns_to_scale [{lo:g}, {hi:g}]")
    if reference is not None and settings.labour_band is not None:
        gap = np.max(np.abs(beta[:len(reference)] - reference))
        if gap > settings.labour_band:
            why.append(f"free-input elasticity {gap:.3f} from LP's first stage "
                       f"({', '.join(f'{r:.3f}' for r in reference)}) > labour_band "
                       f"{settings.labour_band:g}")
    return "; ".join(why)


def sobol_starts(n_free: int, settings: SearchSettings) -> np.ndarray:
    """`n_sobol` seeded, scrambled Sobol points over the box (free elasticities, then capital)."""
    dim = n_free + 1
    points = qmc.Sobol(dim, scramble=True, seed=settings.seed).random(settings.n_sobol)
    lower = np.array([settings.free_box[0]] * n_free + [settings.state_box[0]])
    upper = np.array([settings.free_box[1]] * n_free + [settings.state_box[1]])
    return qmc.scale(points, lower, upper) if settings.n_sobol else np.empty((0, dim))


def run(fun: Callable[[np.ndarray], np.ndarray], starts: np.ndarray, kind: Kind,
        settings: SearchSettings = SearchSettings(),
        rank: Callable[[np.ndarray], float] | None = None,
        check: Callable[[np.ndarray], str] | None = None, nobs: int | None = None) -> Result:
    """Solve from every start (rows of `starts`); see the module docstring for the rule.

    `fun` returns the moment vector (kind root) or, kind minimum, the residual vector or any
    vector with its sum of squares (e.g. the residuals' coordinates in an orthonormal basis);
    the mean squared residual divides by `nobs` (default: the vector's length). `check` says
    why a solution is not admissible ("" when it is; default `inadmissible` without a
    reference).
    """
    if check is None:
        def check(b):
            return inadmissible(b, settings)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    found: list[tuple[np.ndarray, float]] = []
    best_any: tuple[np.ndarray, float] | None = None
    for x0 in starts:
        x, crit, ok = _solve(fun, x0, kind, settings, nobs)
        if np.isfinite(crit) and (best_any is None or crit < best_any[1]):
            best_any = (x, crit)
        if ok:
            found.append((x, crit))
    distinct: list[tuple[np.ndarray, float]] = []
    for x, crit in sorted(found, key=lambda s: s[1]):
        if all(np.max(np.abs(x - d[0])) > settings.distinct for d in distinct):
            distinct.append((x, crit))
    score = (lambda s: rank(s[0])) if rank is not None else (lambda s: s[1])
    why = [check(s[0]) for s in distinct]
    good = [s for s, w in zip(distinct, why) if not w]
    good = sorted(good, key=score) if len(good) > 1 else good
    others = sorted([(s, w) for s, w in zip(distinct, why) if w], key=lambda sw: score(sw[0]))
    reasons = [w for _, w in others]
    others = [s for s, _ in others]
    ordered = good + others
    solutions = tuple(tuple(float(v) for v in s[0]) for s in ordered)
    if good:
        beta, crit = good[0]
        second = any(abs(s[1] - crit) <= settings.band for s in distinct if s is not good[0])
        return Result(beta, True, float(crit), len(starts), len(found), solutions, second, True, "")
    if others:
        beta, crit = others[0]
        noun = "root" if kind == "root" else "minimum"
        message = (f"no admissible {noun}: " + "; ".join(
            f"{_fmt(s[0])}: {w}" for s, w in zip(others, reasons)))
        second = any(abs(s[1] - crit) <= settings.band for s in others[1:])
        return Result(beta, False, float(crit), len(starts), len(found), solutions, second,
                      False, message)
    beta, crit = best_any if best_any is not None else (starts[0], float("nan"))
    tol = (f"largest |moment| <= {settings.root_tol:g}" if kind == "root"
           else f"|gradient| <= {settings.grad_tol:g}")
    message = (f"no start of {len(starts)} reached a {'root' if kind == 'root' else 'minimum'} "
               f"({tol}); lowest criterion {crit:.3g} at {_fmt(beta)}")
    return Result(np.asarray(beta, float), False, float(crit), len(starts), 0, (), False,
                  not check(np.asarray(beta, float)), message)


def _fmt(beta: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in np.asarray(beta, float)) + ")"


def _solve(fun, x0: np.ndarray, kind: Kind, settings: SearchSettings,
           nobs: int | None = None) -> tuple[np.ndarray, float, bool]:
    """Levenberg-Marquardt from one start: (solution, criterion, converged)."""
    try:
        fit = optimize.least_squares(fun, x0, method="lm", xtol=1e-13, ftol=1e-13, gtol=1e-13,
                                     max_nfev=settings.max_nfev * len(x0))
    except (ValueError, np.linalg.LinAlgError):
        return x0, float("nan"), False
    f = fun(fit.x)
    if not np.all(np.isfinite(f)):
        return fit.x, float("nan"), False
    if kind == "root":
        crit = float(f @ f)
        return fit.x, crit, bool(np.max(np.abs(f)) <= settings.root_tol)
    def mean_square(b):
        r = fun(b)
        return float(r @ r) / (len(r) if nobs is None else nobs)

    # The forward-difference Jacobian leaves LM ~1e-5 from a flat minimum: a few Newton steps
    # on the criterion with central differences finish the job (cheap: 1 + 2d + 2d^2 calls).
    x, h = fit.x, 1e-4
    grad0 = _derivatives(mean_square, x, h, hessian=False)[0]
    for _ in range(4 if np.max(np.abs(grad0)) > settings.grad_tol else 0):
        grad, hess = _derivatives(mean_square, x, h)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or mean_square(x - step) > mean_square(x):
            break
        x = x - step
        if np.max(np.abs(step)) < 1e-12:
            break
    crit = mean_square(x)
    grad = np.max(np.abs(_derivatives(mean_square, x, h)[0]))
    return x, crit, bool(np.isfinite(crit) and grad <= settings.grad_tol)


def _derivatives(f, x: np.ndarray, h: float,
                 hessian: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Central-difference gradient and (optionally) Hessian of a scalar function."""
    d = len(x)
    eye = np.eye(d) * h
    plus = np.array([f(x + e) for e in eye])
    minus = np.array([f(x - e) for e in eye])
    grad = (plus - minus) / (2 * h)
    if not hessian:
        return grad, None
    f0 = f(x)
    hess = np.diag((plus - 2 * f0 + minus) / h ** 2)
    for i in range(d):
        for j in range(i + 1, d):
            hess[i, j] = hess[j, i] = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j])
                                       - f(x - eye[i] + eye[j]) + f(x - eye[i] - eye[j])) / (4 * h ** 2)
    return grad, hess
