"""Array building blocks shared by the production-function estimators.

An industry's data travel as a dict of equal-length numpy arrays sorted by
(firm, year): `firm` (int codes), `year`, `y`, `l`, `k`, `m` and optional
controls. Keeping plain arrays (not DataFrames) makes the GMM criterion and
the bootstrap cheap enough to run for every industry at full ASIF scale.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np


def lag_index(firm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Row of the same firm in year - 1 (rows sorted by firm, year), -1 where there is none."""
    n = len(firm)
    out = np.full(n, -1, dtype=np.int64)
    if n > 1:
        same = (firm[1:] == firm[:-1]) & (year[1:] == year[:-1] + 1)
        out[1:][same] = np.arange(n - 1)[same]
    return out


def polynomial(columns: list[np.ndarray], degree: int) -> np.ndarray:
    """Every monomial of total degree 1..degree in the standardised columns (no constant).

    Standardising first only changes the basis, not the fitted values; it keeps the
    cubic terms well conditioned for the least-squares solve.
    """
    z = [(c - c.mean()) / (c.std() or 1.0) for c in columns]
    terms = []
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(len(z)), d):
            t = np.ones_like(z[0])
            for j in combo:
                t = t * z[j]
            terms.append(t)
    return np.column_stack(terms)


def year_dummies(year: np.ndarray) -> np.ndarray:
    """Indicators of each year but the first (an n x 0 array when there is one year)."""
    levels, codes = np.unique(year, return_inverse=True)
    return (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)


def ls_coef(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients through the normal equations (X is tall and narrow, so this is far
    cheaper than an SVD); falls back to a rank-safe lstsq when X'X is singular."""
    try:
        coef = np.linalg.solve(X.T @ X, X.T @ y)
        if np.all(np.isfinite(coef)):
            return coef
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(X, y, rcond=None)[0]


def least_squares_fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fitted values of y on X (X holds its own constant)."""
    return X @ ls_coef(X, y)


def resample_firms(data: dict[str, np.ndarray], rng: np.random.Generator,
                   n_draw: int) -> dict[str, np.ndarray]:
    """Draw `n_draw` firms with replacement; each draw becomes a new firm (code = draw number).

    Rows stay sorted by (new firm, year), so lags are taken within a draw and a firm
    drawn twice never links to its own copy.
    """
    firm = data["firm"]
    starts = np.flatnonzero(np.r_[True, firm[1:] != firm[:-1]])
    counts = np.diff(np.r_[starts, len(firm)])
    pick = rng.integers(0, len(starts), size=n_draw)
    lengths = counts[pick]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = np.repeat(starts[pick], lengths) + offsets
    out = {name: values[rows] for name, values in data.items()}
    out["firm"] = np.repeat(np.arange(n_draw), lengths)
    return out
