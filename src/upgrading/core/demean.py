"""Within-group demeaning by integer group codes (one pass of bincount per column, O(n)).

For one set of group effects; several crossed effects need alternating projections
(upgrading.core.within.demean).
"""

from __future__ import annotations

import numpy as np


def group_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes 0..G-1 in sorted label order, number of rows of each group as floats)."""
    _, codes = np.unique(labels, return_inverse=True)
    return codes, np.bincount(codes).astype(float)


def group_mean(v: np.ndarray, codes: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Each row's group mean of the 1-D array v."""
    return (np.bincount(codes, weights=v, minlength=len(n)) / n)[codes]


def demean(v: np.ndarray, codes: np.ndarray, n: np.ndarray) -> np.ndarray:
    """v minus its mean within each group, column by column for a 2-D v."""
    if v.ndim == 1:
        return v - group_mean(v, codes, n)
    return np.column_stack([demean(v[:, i], codes, n) for i in range(v.shape[1])]) \
        if v.shape[1] else v
