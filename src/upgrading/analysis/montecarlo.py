"""Monte Carlo of the whole pipeline: coverage of 95% intervals of the structural spillovers.

A draw is the synthetic world of one seed (worlds/mc<seed>/), taken through the same rules as
the main world (workflow/rules: synthesize, ingest, link, clean, productivity, measures and the
`estimate` jobs of the validation families), so each stage of each draw is an ordinary job.
`draw` compares that world's estimates with its truth and estimates the same models on the true
omega of the same rows; `coverage` aggregates the draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


KEYS = ["outcome", "family", "model", "term", "param", "source"]


def read_truths(truth_paths: Sequence[str]) -> list[tuple[str, dict]]:
    """(path, parsed truth/parameters.json) of each draw's world, read once for every use."""
    return [(path, validation.read_json(path, "truth")) for path in truth_paths]


def read_feedback(truths: Sequence[tuple[str, dict]], targets: Sequence[ValidationTarget]) -> pd.DataFrame:
    """seed, source, param, projection + selection, feedback, replications: each draw's estimand
    parts from its world's truth/parameters.json (`read_truths`; the seed is the file's own), for
    each target's truth source from the parts of its oracle model."""
    rows = []
    for path, truth in truths:
        parts, seed = truth.get("estimand_parts"), truth.get("seed")
        if not parts or seed is None:
            raise InputError("no estimand_parts or seed in the truth", file=path)
        for source, model in {t.truth: t.oracle for t in targets if t.oracle}.items():
            mp = parts.get(model)
            if mp is None:
                raise InputError(f"no estimand_parts for the oracle model {model!r} of {source}", file=path)
            for param, fb in mp["feedback"].items():
                rows.append({"seed": int(seed), "source": source, "param": param,
                             "own_parts": mp["projection"][param] + mp["selection"][param], "feedback": fb,
                             "replications": int(mp.get("feedback_replications", 0))})
    return pd.DataFrame(rows)


def read_oracles(oracle_paths: Sequence[str], truths: Sequence[tuple[str, dict]],
                 targets: Sequence[ValidationTarget]) -> pd.DataFrame:
    """seed, source, term, oracle: each draw's oracle estimate (its world's regression on true omega
    and the true measures over every surveyed firm-year, truth/oracle.json) of every target term;
    `oracle_paths[i]` belongs to the world of `truths[i]` (`read_truths`, whose seed it takes): the
    two lie in the same truth folder, which oracle.json, holding no seed of its own, must share."""
    if len(oracle_paths) != len(truths):
        raise InputError(f"{len(oracle_paths)} oracle files for {len(truths)} truth files",
                         file=oracle_paths[0] if oracle_paths else None)
    rows: list[dict] = []
    for path, (truth_path, truth) in zip(oracle_paths, truths):
        if Path(path).parent != Path(truth_path).parent:
            raise InputError(f"the oracle file is not in the folder of its truth file {truth_path}", file=path)
        oracle, seed = validation.read_json(path, "oracle"), truth.get("seed")
        if seed is None:
            raise InputError("no seed in the truth", file=truth_path)
        for source, model in {t.truth: t.oracle for t in targets if t.oracle}.items():
            terms = validation.oracle_terms(oracle.get(model))
            if not terms:
                raise InputError(f"no oracle model {model!r} of {source}", file=path)
            rows.extend({"seed": int(seed), "source": source, "term": term, "oracle": est}
                        for term, (est, _) in terms.items())
    return pd.DataFrame(rows, columns=["seed", "source", "term", "oracle"])


def split_by_oracle(draws: pd.DataFrame, oracles: pd.DataFrame) -> pd.DataFrame:
    """The draws with their world's oracle (`oracle`) and the error split at it: estimate minus
    oracle (the pipeline's own error on that world: cleaning, TFP, measures and, on true omega,
    rows and measures alone) and oracle minus estimand (the world's draw of firms and shocks,
    which the oracle's own standard error measures). The two add up to `error`."""
    m = draws.merge(oracles, on=["seed", "source", "term"], how="left", validate="m:1")
    if m["oracle"].isna().any():
        r = m[m["oracle"].isna()].iloc[0]
        raise InputError(f"seed {r['seed']}: no oracle estimate of {r['source']}/{r['term']}", column="term")
    out = draws.copy()
    out["oracle"] = m["oracle"].to_numpy()
    out["estimate_minus_oracle"] = out["estimate"] - out["oracle"]
    out["oracle_minus_truth"] = out["oracle"] - out["truth"]
    out["z_vs_oracle"] = out["estimate_minus_oracle"] / out["std_error"]
    return out


def pool_feedback(draws: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """The draws against the estimand whose feedback part is pooled over the draws.

    A world's estimand is its projection and selection parts (its own firms) plus the feedback
    within city x industry cells, E[P_a(u)] (upgrading.synth.truth), which depends on the
    parameters and the scale only. Each world estimates that expectation from a few further worlds
    of its own (`synth.estimand_replications`), with the oracle's sampling error divided by their
    square root, so each draw's own estimand carries simulation noise of the order of the standard
    errors whose coverage is measured. The mean of the draws' feedback parts pools all their
    further worlds. Returns the draws with `truth` = own projection + selection + pooled feedback,
    the intervals' coverage and z recomputed against it, and the draw's own estimand in
    `truth_own` (coverage against it in `covered95*_own`).
    """
    m = draws.merge(parts, on=["seed", "source", "param"], how="left", validate="m:1")
    if m["feedback"].isna().any():
        r = m[m["feedback"].isna()].iloc[0]
        raise InputError(f"seed {r['seed']}: no feedback part for {r['source']}/{r['param']} in its truth",
                         column="param")
    # The draw's estimand is the sum of its parts (each rounded to 9 significant digits).
    off = (m["truth"] - m["own_parts"] - m["feedback"]).abs()
    if (off > 1e-6 * (1 + m["truth"].abs())).any():
        r = m[off > 1e-6 * (1 + m["truth"].abs())].iloc[0]
        raise InputError(f"seed {r['seed']}, {r['param']}: the draw's estimand {r['truth']} is not the sum of "
                         "its truth's projection, selection and feedback parts", column="truth")
    per_seed = m.drop_duplicates(["seed", "source", "param"])
    pooled = per_seed.groupby(["source", "param"])["feedback"].mean().rename("feedback_pooled")
    m = m.join(pooled, on=["source", "param"])
    out = draws.copy()
    out["truth_own"] = draws["truth"]
    out["truth"] = (m["own_parts"] + m["feedback_pooled"]).to_numpy()
    out["feedback_pooled"] = m["feedback_pooled"].to_numpy()
    out["feedback_replications"] = m["replications"].to_numpy()
    # The CRV3 interval uses the CRV1 interval's critical value (both t(G-1) with the same G).
    crit = (draws["ci_high"] - draws["ci_low"]) / (2 * draws["std_error"])
    bounds = {"covered95": (draws["ci_low"], draws["ci_high"]),
              "covered95_crv3": (draws["estimate"] - crit * draws["std_error_crv3"],
                                 draws["estimate"] + crit * draws["std_error_crv3"]),
              "covered95_wild": (draws["ci_low_wild"], draws["ci_high_wild"])}
    for col, (lo, hi) in bounds.items():
        missing = lo.isna() | hi.isna()
        own = ((lo <= draws["truth"]) & (draws["truth"] <= hi)).astype(float).where(~missing)
        # The recomputed interval must give the draw's own verdict (a truth on a rounded bound aside).
        edge = (pd.concat([(draws["truth"] - lo).abs(), (draws["truth"] - hi).abs()], axis=1).min(axis=1)
                < 1e-6 * (1 + draws["truth"].abs()))
        stored = draws[col].astype(float)
        if ((own != stored) & ~missing & ~edge).any():
            r = draws[(own != stored) & ~missing & ~edge].iloc[0]
            raise InputError(f"seed {r['seed']}, {r['term']}: the {col} interval rebuilt from the draw's columns "
                             "does not reproduce its own coverage", column=col)
        out[f"{col}_own"] = draws[col]
        out[col] = ((lo <= out["truth"]) & (out["truth"] <= hi)).astype(float).where(~missing)
    out["z"] = (out["estimate"] - out["truth"]) / out["std_error"]
    return out


def judged_draws(paths: list[str], truth_paths: Sequence[str] | None = None,
                 targets: Sequence[ValidationTarget] = (), oracle_paths: Sequence[str] | None = None) -> pd.DataFrame:
    """Every draw's rows, against the estimand `coverage` judges them by (pooled feedback part with
    `truth_paths`, else the draw's own), with `error` = estimate - truth and `z` recomputed; with
    `oracle_paths` (the draws' truth/oracle.json, in the order of `truth_paths`) the error split
    at each world's oracle (`split_by_oracle`)."""
    draws = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    if draws.empty:
        raise InputError("no Monte Carlo draws", file=paths[0] if paths else None)
    for col in DRAW_COLUMNS:
        if col not in draws:
            draws[col] = float("nan")
    truths = read_truths(truth_paths or [])
    if truth_paths is not None:
        parts = read_feedback(truths, targets)
        seeds, truth_seeds = set(draws["seed"].astype(int)), set(parts["seed"])
        if seeds != truth_seeds:
            raise InputError(f"draws of seeds {sorted(seeds - truth_seeds)} have no truth file and truth files "
                             f"of seeds {sorted(truth_seeds - seeds)} no draw", column="seed")
        draws = pool_feedback(draws, parts)
    draws["error"] = draws["estimate"] - draws["truth"]
    if oracle_paths is not None:
        if truth_paths is None:
            raise InputError("oracle files need the truth files of the same worlds", file=oracle_paths[0])
        draws = split_by_oracle(draws, read_oracles(oracle_paths, truths, targets))
    return draws


def coverage(paths: list[str], truth_paths: Sequence[str] | None = None,
             targets: Sequence[ValidationTarget] = (), oracle_paths: Sequence[str] | None = None) -> pd.DataFrame:
    """Per term: draws, coverage of the 95% CRV1, CRV3 and WCR intervals, each with its Monte Carlo
    standard error sqrt(p(1-p)/R), mean and SD of the draws' estimands, mean estimate, bias (mean of
    estimate minus its draw's estimand) with its Monte Carlo standard error (mcse_bias), SD of
    estimates, mean SEs.

    truth_paths (the draws' truth/parameters.json) with the validation `targets` (which oracle
    model's estimand parts belong to which truth source): judge every draw against the estimand with the
    feedback part pooled over the draws (`pool_feedback`); the coverage against each draw's own
    estimand stays beside it (coverage_<kind>_own), with the pooled feedback and the number of
    further worlds behind it (feedback_worlds).

    oracle_paths: the bias split at each world's oracle, mean estimate minus oracle
    (bias_vs_oracle) and mean oracle minus estimand (oracle_bias), each with its Monte Carlo
    standard error (mcse_bias_vs_oracle, mcse_oracle_bias), and the share of draws whose estimate
    lies within two of its standard errors of its world's oracle (within_2se_of_oracle). The MC
    SEs of the bias and of oracle minus estimand treat the draws as independent; the pooled
    feedback part they share adds its own noise, smaller by the square root of the further worlds
    behind it."""
    pooled = truth_paths is not None
    # Every world has its own estimand (its projection and selection parts depend on the firms it
    # draws): the table gives their mean, and the bias averages each draw's own error.
    draws = judged_draws(paths, truth_paths, targets, oracle_paths)
    extra: dict[str, tuple] = {}
    if pooled:
        extra = {"feedback_pooled": ("feedback_pooled", "first"),
                 "feedback_worlds": ("feedback_replications", "sum"),
                 **{f"coverage_{k}_own": (f"{c}_own", "mean") for c, k in INTERVALS.items()}}
    if oracle_paths is not None:
        extra |= {"bias_vs_oracle": ("estimate_minus_oracle", "mean"), "sd_vs_oracle": ("estimate_minus_oracle", "std"),
                  "oracle_bias": ("oracle_minus_truth", "mean"), "sd_oracle_error": ("oracle_minus_truth", "std"),
                  "within_2se_of_oracle": ("z_vs_oracle", lambda z: (z.abs() <= 2).mean())}
    g = draws.groupby(KEYS, sort=False)
    out = g.agg(draws=("seed", "nunique"), coverage=("covered95", "mean"), truth=("truth", "mean"),
                sd_truth=("truth", "std"), bias=("error", "mean"), sd_error=("error", "std"),
                mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                mean_std_error=("std_error", "mean"), mean_std_error_crv3=("std_error_crv3", "mean"),
                within_2se=("z", lambda z: (z.abs() <= 2).mean()),
                **{f"coverage_{k}": (c, "mean") for c, k in INTERVALS.items()},
                **{f"draws_{k}": (c, "count") for c, k in INTERVALS.items()}, **extra)
    out = out.reset_index()
    # The bias is a mean over R draws: its Monte Carlo standard error is the errors' SD / sqrt(R).
    out["mcse_bias"] = out["sd_error"] / out["draws"] ** 0.5
    if oracle_paths is not None:
        out["mcse_bias_vs_oracle"] = out.pop("sd_vs_oracle") / out["draws"] ** 0.5
        out["mcse_oracle_bias"] = out.pop("sd_oracle_error") / out["draws"] ** 0.5
    for k in INTERVALS.values():
        p, n = out[f"coverage_{k}"], out[f"draws_{k}"]
        out[f"mcse_{k}"] = mc_se(p, n.where(n > 0))
    return out

