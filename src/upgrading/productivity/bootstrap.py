"""Seeded firm-clustered bootstrap of an estimator's (beta_l, beta_k).

Whole firms are drawn with replacement, so serial correlation within a firm is kept.
To stay cheap at full ASIF scale it is an m-out-of-n bootstrap: at most `max_firms`
firms per replication, and the spread is rescaled by sqrt(m / n) to the full sample
(exact when m = n, i.e. for industries with no more than `max_firms` firms). Each
replication re-runs both stages of the estimator from the full-sample estimate.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from upgrading.productivity.design import resample_firms


def n_firms(data: dict[str, np.ndarray]) -> int:
    firm = data["firm"]
    return int(np.count_nonzero(np.r_[True, firm[1:] != firm[:-1]])) if len(firm) else 0


def firm_bootstrap_se(data: dict[str, np.ndarray], estimator: Callable[[dict], dict],
                      reps: int, max_firms: int, rng: np.random.Generator) -> tuple[float, float]:
    """(se_l, se_k): sd over replications of the estimator, rescaled to the full sample."""
    if reps < 2:
        return float("nan"), float("nan")
    n = n_firms(data)
    m = min(n, max_firms)
    draws = np.empty((reps, 2))
    for r in range(reps):
        est = estimator(resample_firms(data, rng, m))
        draws[r] = est["beta_l"], est["beta_k"]
    ok = np.isfinite(draws).all(axis=1)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    sd = draws[ok].std(axis=0, ddof=1) * np.sqrt(m / n)
    return float(sd[0]), float(sd[1])
