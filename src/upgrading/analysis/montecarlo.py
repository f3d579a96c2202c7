"""Monte Carlo of the whole pipeline: coverage of 95% intervals of the structural spillovers.

A draw is the synthetic world of one seed (worlds/mc<seed>/), taken through the same rules as
the main world (workflow/rules: synthesize, ingest, link, clean, productivity, measures and the
`estimate` jobs of the validation families), so each stage of each draw is an ordinary job.
`draw` compares that world's estimates with its truth and estimates the same models on the true
omega of the same rows; `coverage` aggregates the draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from upgrading.core.coverage import mc_se
from upgrading.core.errors import InputError

from . import estimate, validation
from .settings import ValidationTarget, target_models

TRACE = ["source_file", "source_row"]  # links an analysis row to its row of truth/firms.parquet
DRAW_COLUMNS = ["seed", "outcome", "family", "model", "term", "param", "source", "estimate", "std_error", "ci_low",
                "ci_high", "truth", "covered95", "z", "nobs", "std_error_crv3", "covered95_crv3", "ci_low_wild",
                "ci_high_wild", "covered95_wild"]
# Interval kinds compared in the coverage table: draws' column -> coverage column prefix.
INTERVALS = {"covered95": "crv1", "covered95_crv3": "crv3", "covered95_wild": "wcr"}


def draw(seed: int, estimates: list[str], data: str, truth_path: str, firms_path: str, specs_path: str,
         targets: Sequence[ValidationTarget]) -> pd.DataFrame:
    """One draw's rows: every validation target model against its world's truth, as the pipeline
    estimated it (`estimates`, one file per family) and re-estimated on the true omega."""
    truth = validation.read_json(truth_path, "truth")
    pipeline = pd.concat([pd.read_parquet(p) for p in estimates], ignore_index=True)
    true_omega = _true_omega(firms_path)
    parts = []
    for fid in dict.fromkeys(t.family for t in targets):
        est = pipeline[pipeline["family"] == fid]
        if est.empty:
            raise InputError(f"no estimates of family {fid} among the draw's estimates", file=estimates[0])
        parts.append(validation.compare(est, truth, None, targets).assign(outcome="pipeline"))
        # The same models on the true omega of the same rows: the estimator's own coverage,
        # apart from the errors of cleaning, TFP estimation and measures.
        fam = _target_models(specs_path, fid, targets)
        df = estimate.read_data(data, fam, extra=TRACE).merge(true_omega, on=TRACE, how="left", validate="m:1")
        fam_true = {**fam, "models": [{**m, "outcome": "true_omega"} for m in fam["models"]]}
        est = estimate.estimate_family(df, fam_true, data_file=data)[0]
        parts.append(validation.compare(est, truth, None, targets).assign(outcome="true_omega"))
    out = pd.concat(parts, ignore_index=True).assign(seed=seed)
    return out[DRAW_COLUMNS]


def _target_models(specs_path: str, fid: str, targets: Sequence[ValidationTarget]) -> dict:
    """Family `fid` of the registry restricted to its validation target models."""
    return estimate.restrict_models(estimate.resolve(specs_path, fid), target_models(tuple(targets), fid),
                                    specs_path)


def _true_omega(path: str) -> pd.DataFrame:
    t = pd.read_parquet(path, columns=[*TRACE, "true_omega"])
    return t.drop_duplicates(TRACE)


def coverage(paths: list[str]) -> pd.DataFrame:
    """Per term: draws, coverage of the 95% CRV1, CRV3 and WCR intervals, each with its Monte Carlo
    standard error sqrt(p(1-p)/R), mean and SD of the draws' estimands, mean estimate, bias (mean of
    estimate minus its draw's estimand), SD of estimates, mean SEs."""
    draws = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    if draws.empty:
        raise InputError("no Monte Carlo draws", file=paths[0] if paths else None)
    for col in DRAW_COLUMNS:
        if col not in draws:
            draws[col] = float("nan")
    # Every world has its own estimand (its projection, selection and feedback parts depend on the
    # firms it draws): the table gives their mean, and the bias averages each draw's own error.
    draws["error"] = draws["estimate"] - draws["truth"]
    g = draws.groupby(["outcome", "family", "model", "term", "param", "source"], sort=False)
    out = g.agg(draws=("seed", "nunique"), coverage=("covered95", "mean"), truth=("truth", "mean"),
                sd_truth=("truth", "std"), bias=("error", "mean"),
                mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                mean_std_error=("std_error", "mean"), mean_std_error_crv3=("std_error_crv3", "mean"),
                within_2se=("z", lambda z: (z.abs() <= 2).mean()),
                **{f"coverage_{k}": (c, "mean") for c, k in INTERVALS.items()},
                **{f"draws_{k}": (c, "count") for c, k in INTERVALS.items()})
    out = out.reset_index()
    for k in INTERVALS.values():
        p, n = out[f"coverage_{k}"], out[f"draws_{k}"]
        out[f"mcse_{k}"] = mc_se(p, n.where(n > 0))
    return out

