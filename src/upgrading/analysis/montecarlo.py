"""Monte Carlo of the whole pipeline: coverage of 95% intervals of the structural spillovers.

One draw = one seed of the synthetic world at a small scale, run in-process through every
stage's CLI entry point (synthesize -> ingest -> link -> clean -> productivity -> measures),
in a temporary directory, then the validation family estimated and compared with the truth.
Stages are called only through `upgrading.cli.main(argv)`, the CLI contract of the rules.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd

from upgrading.core.coverage import mc_se
from upgrading.core.errors import InputError

from . import estimate, validation
from . import settings as analysis_settings

log = logging.getLogger(__name__)

TRACE = ["source_file", "source_row"]  # links an analysis row to its row of truth/firms.parquet
DRAW_COLUMNS = ["seed", "outcome", "family", "model", "term", "param", "source", "estimate", "std_error", "ci_low",
                "ci_high", "truth", "covered95", "z", "nobs", "std_error_crv3", "covered95_crv3", "ci_low_wild",
                "ci_high_wild", "covered95_wild"]
# Interval kinds compared in the coverage table: draws' column -> coverage column prefix.
INTERVALS = {"covered95": "crv1", "covered95_crv3": "crv3", "covered95_wild": "wcr"}


def chain_argv(cfg: dict, seed: int, scale: str, work: Path) -> list[tuple[str, list[str]]]:
    """(step, argv) of every stage, mirroring the shell commands of workflow/rules/*.smk."""
    raw, proc = work / "raw", work / "processed"
    years = f"{cfg['first_year']}-{cfg['last_year']}"
    js = lambda key: json.dumps(cfg.get(key) or {}, sort_keys=True)  # noqa: E731
    return [
        ("synthesize", ["--scale", scale, "--seed", str(seed), "--out", str(raw),
                        "--first-year", str(cfg["first_year"]), "--last-year", str(cfg["last_year"]),
                        "--headers", cfg["headers"], "--synth-json", js("synth")]),
        ("ingest", ["--raw-dir", str(raw), "--headers", cfg["headers"], "--years", years,
                    "--out", str(proc / "ingested.parquet"), "--audit", str(work / "audit_ingest.csv")]),
        ("link", ["--data", str(proc / "ingested.parquet"), "--raw-dir", str(raw),
                  "--out", str(proc / "linked.parquet"), "--audit", str(work / "audit_link.csv")]),
        ("clean", ["--data", str(proc / "linked.parquet"), "--raw-dir", str(raw), "--headers", cfg["headers"],
                   "--config-json", js("cleaning"), "--out", str(proc / "panel.parquet"),
                   "--audit", str(work / "audit_clean.csv"), "--codebook", str(work / "codebook_panel.csv")]),
        ("productivity", ["--panel", str(proc / "panel.parquet"), "--out", str(proc / "tfp.parquet"),
                          "--elasticities", str(work / "elasticities.csv"), "--config-json", js("productivity"),
                          "--io-table", str(raw / "io_table.csv")]),
        ("measures", ["--panel", str(proc / "panel.parquet"), "--tfp", str(proc / "tfp.parquet"),
                      "--raw-dir", str(raw), "--out", str(proc / "analysis.parquet"),
                      "--codebook", str(work / "codebook_analysis.csv"), "--config-json", js("measures")]),
    ]


def run_chain(cfg: dict, seed: int, scale: str, work: Path) -> Path:
    """Run every stage in-process; returns the analysis table's path. A failing stage stops the draw."""
    from upgrading import cli

    for step, argv in chain_argv(cfg, seed, scale, work):
        t0 = time.perf_counter()
        rc = cli.main([step, *argv])
        if rc != 0:
            raise RuntimeError(f"Monte Carlo seed {seed}: stage {step} exited with {rc}")
        log.info("seed %d: %s done in %.1fs", seed, step, time.perf_counter() - t0)
    return work / "processed" / "analysis.parquet"


def run_draw(cfg: dict, specs_path: str, seed: int, keep: str | None = None) -> pd.DataFrame:
    """One seed: the whole chain, then every validation target model against that world's truth."""
    est_settings = analysis_settings.from_mapping(cfg.get("estimation"))
    scale = est_settings.montecarlo.scale
    targets = est_settings.validation
    families = []
    for fid in dict.fromkeys(t.family for t in targets):
        fam = estimate.resolve(specs_path, fid)
        wanted = {t.model for t in targets if t.family == fid}
        fam["models"] = [m for m in fam["models"] if m["id"] in wanted]
        if len(fam["models"]) != len(wanted):
            raise InputError(f"family {fid} lacks a validation model of {sorted(wanted)}", file=specs_path)
        families.append(fam)
    t0 = time.perf_counter()
    ctx = _kept_dir(keep, seed) if keep else tempfile.TemporaryDirectory(prefix=f"mc_{seed}_")
    with ctx as tmp:
        work = Path(tmp)
        analysis = run_chain(cfg, seed, scale, work)
        truth_dir = work / "raw" / "truth"
        truth = validation.read_json(str(truth_dir / "parameters.json"), "truth")
        true_omega = _true_omega(truth_dir / "firms.parquet")
        parts = []
        for fam in families:
            df = estimate.read_data(str(analysis), fam, extra=TRACE)
            est = estimate.estimate_family(df, fam, data_file=str(analysis))[0]
            parts.append(validation.compare(est, truth, None, targets).assign(outcome="pipeline"))
            # the same models on the true omega of the same rows: the estimator's own coverage,
            # apart from the errors of cleaning, TFP estimation and measures
            df = df.merge(true_omega, on=TRACE, how="left", validate="m:1")
            fam_true = {**fam, "models": [{**m, "outcome": "true_omega"} for m in fam["models"]]}
            est = estimate.estimate_family(df, fam_true, data_file=str(analysis))[0]
            parts.append(validation.compare(est, truth, None, targets).assign(outcome="true_omega"))
    # Wall time goes to the log (and the rule's benchmark), not the draws, which must repeat byte for byte.
    log.info("seed %d: %.1fs", seed, time.perf_counter() - t0)
    out = pd.concat(parts, ignore_index=True).assign(seed=seed)
    return out[DRAW_COLUMNS]


def _true_omega(path: Path) -> pd.DataFrame:
    t = pd.read_parquet(path, columns=[*TRACE, "true_omega"])
    return t.drop_duplicates(TRACE)


@contextlib.contextmanager
def _kept_dir(parent: str, seed: int):
    """A work directory left in place for inspection (--keep)."""
    path = Path(parent) / f"mc_{seed}"
    path.mkdir(parents=True, exist_ok=True)
    yield str(path)


def coverage(paths: list[str]) -> pd.DataFrame:
    """Per term: draws, coverage of the 95% CRV1, CRV3 and WCR intervals, each with its Monte Carlo
    standard error sqrt(p(1-p)/R), mean estimate, bias, SD of estimates, mean SEs."""
    draws = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    if draws.empty:
        raise InputError("no Monte Carlo draws", file=paths[0] if paths else None)
    for col in DRAW_COLUMNS:
        if col not in draws:
            draws[col] = float("nan")
    g = draws.groupby(["outcome", "family", "model", "term", "param", "source"], sort=False)
    out = g.agg(draws=("seed", "nunique"), coverage=("covered95", "mean"), truth=("truth", "first"),
                mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                mean_std_error=("std_error", "mean"), mean_std_error_crv3=("std_error_crv3", "mean"),
                within_2se=("z", lambda z: (z.abs() <= 2).mean()),
                **{f"coverage_{k}": (c, "mean") for c, k in INTERVALS.items()},
                **{f"draws_{k}": (c, "count") for c, k in INTERVALS.items()})
    out = out.reset_index()
    for k in INTERVALS.values():
        p, n = out[f"coverage_{k}"], out[f"draws_{k}"]
        out[f"mcse_{k}"] = mc_se(p, n.where(n > 0))
    out["bias"] = out["mean_estimate"] - out["truth"]
    return out

