"""Seeded firm-clustered bootstrap of an estimator's elasticities.

Whole firms are drawn with replacement, so serial correlation within a firm is kept.
To stay cheap at full ASIF scale it is an m-out-of-n bootstrap: at most `max_firms`
firms per replication, and the spread is rescaled by sqrt(m / n) to the full sample
(exact when m = n, i.e. for industries with no more than `max_firms` firms). Each
replication re-runs both stages of the estimator from the full-sample estimate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from upgrading.productivity.design import resample_firms


def n_firms(data: dict[str, np.ndarray]) -> int:
    firm = data["firm"]
    return int(np.count_nonzero(np.r_[True, firm[1:] != firm[:-1]])) if len(firm) else 0


def firm_bootstrap_se(data: dict[str, np.ndarray], estimator: Callable[[dict], dict],
                      reps: int, max_firms: int, rng: np.random.Generator,
                      inputs: tuple[str, ...] = ("l", "k")) -> tuple[float, ...]:
    """SE of beta_<input> for each input: sd over replications, rescaled to the full sample.

    A replication whose search finds no admissible solution is left out of the sd.
    """
    nan = tuple(float("nan") for _ in inputs)
    if reps < 2:
        return nan
    n = n_firms(data)
    m = min(n, max_firms)
    draws = np.empty((reps, len(inputs)))
    for r in range(reps):
        est = estimator(resample_firms(data, rng, m))
        draws[r] = [est[f"beta_{x}"] if est.get("converged", True) else np.nan for x in inputs]
    ok = np.isfinite(draws).all(axis=1)
    if ok.sum() < 2:
        return nan
    sd = draws[ok].std(axis=0, ddof=1) * np.sqrt(m / n)
    return tuple(float(v) for v in sd)
