"""CLI steps of the analysis stage: estimate, crosscheck, validate, validate-capital, montecarlo,
montecarlo-aggregate, montecarlo-report.

Each function takes argv, returns an exit code; bad input -> message naming file/column/row,
exit 1, no output written (every writer is atomic).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from upgrading.core import cli
from upgrading.core.errors import InputError


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr, force=True)


def _run(name: str, func, args) -> int:
    _setup_logging()
    return cli.run(name, lambda: func(args))


def estimate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading estimate",
                                description="Estimate one family of the specification registry.")
    p.add_argument("--data", required=True, help="analysis table (parquet)")
    p.add_argument("--specs", required=True, help="specification registry (YAML)")
    p.add_argument("--family", required=True, help="family id")
    p.add_argument("--spec-sha256", default=None,
                   help="SHA-256 of the family's resolved spec the rule was built from; must match the file's")
    p.add_argument("--models", default=None,
                   help="comma-separated model ids: estimate only these models of the family")
    p.add_argument("--out", required=True, help="tidy estimates (parquet)")
    p.add_argument("--timings", default=None, help="optional CSV of wall and CPU seconds per demeaning or pyfixest call")
    args = p.parse_args(argv)

    def step(a):
        import pandas as pd

        from upgrading.core import io

        from . import estimate

        t0 = time.perf_counter()
        family = estimate.resolve(a.specs, a.family, a.spec_sha256)
        if a.models is not None:
            family = estimate.restrict_models(family, a.models.split(","), a.specs)
        df = estimate.read_data(a.data, family)
        logging.info("%s: read %d rows x %d columns in %.1fs", a.family, len(df), df.shape[1],
                     time.perf_counter() - t0)
        design = estimate.build_design(df, family, data_file=a.data)
        # the design holds every column the fits use: the table read need not stay beside it
        del df
        est, timings = estimate.estimate_design(design, family)
        io.write_parquet(est, a.out)
        if a.timings:
            io.write_csv(pd.DataFrame([{**t, "models": "+".join(t["models"])} for t in timings]), a.timings)
        logging.info("%s: %d models, %d rows -> %s in %.1fs", a.family, len(family["models"]),
                     len(est), a.out, time.perf_counter() - t0)

    return _run("estimate", step, args)


def crosscheck_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading crosscheck",
                                description="Re-estimate headline families with linearmodels and compare; "
                                            "or, with --parts, join one-family results into one table.")
    p.add_argument("--data", help="analysis table (parquet); not with --parts")
    p.add_argument("--specs", required=True)
    p.add_argument("--estimates", nargs="+", help="results/estimates/{family}.parquet files")
    p.add_argument("--family", default=None, help="check only this family (its estimates among --estimates)")
    p.add_argument("--spec-sha256", default=None,
                   help="with --family: SHA-256 of the family's resolved spec the rule was built from")
    p.add_argument("--parts", nargs="+", default=None,
                   help="one-family cross-check CSVs to join (every headline family once)")
    p.add_argument("--out", required=True, help="crosscheck CSV")
    p.add_argument("--coef-rtol", type=float, default=1e-6)
    p.add_argument("--se-tol", type=float, default=1e-4)
    args = p.parse_args(argv)
    if (args.parts is None) == (args.estimates is None) or (args.estimates is not None and not args.data):
        p.error("give either --data and --estimates, or --parts")

    def step(a):
        from . import crosscheck

        if a.parts is not None:
            ok = crosscheck.combine(a.specs, a.parts, a.out)
        else:
            ok = crosscheck.run(a.data, a.specs, a.estimates, a.out, coef_rtol=a.coef_rtol, se_tol=a.se_tol,
                                family=a.family, spec_sha256=a.spec_sha256)
        if not ok:
            raise InputError(f"pyfixest and linearmodels disagree beyond tolerance; see {a.out}")

    return _run("crosscheck", step, args)


def validate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading validate",
                                description="Compare baseline estimates with the synthetic truth.")
    p.add_argument("--estimates", nargs="+", required=True,
                   help="tidy estimates, e.g. results/estimates/{validation,baseline}.parquet")
    p.add_argument("--truth", required=True, help="truth/parameters.json")
    p.add_argument("--oracle", default=None, help="truth/oracle.json")
    p.add_argument("--targets-json", required=True,
                   help="[{family, model, truth, oracle}] as JSON (config estimation.validation)")
    p.add_argument("--out", required=True, help="validation CSV")
    args = p.parse_args(argv)

    def step(a):
        import json

        from upgrading.core import io

        from . import validation
        from .settings import targets_from_json

        targets = targets_from_json(json.loads(a.targets_json))
        io.write_csv(validation.compare_files(a.estimates, a.truth, a.oracle, targets), a.out,
                     float_format="%.10g")

    return _run("validate", step, args)


def validate_capital_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading validate-capital",
                                description="Real capital of the panel against the synthetic truth.")
    p.add_argument("--panel", required=True, help="data/processed/panel.parquet")
    p.add_argument("--truth-firms", required=True, help="truth/firms.parquet")
    p.add_argument("--truth", required=True, help="truth/parameters.json (true elasticities)")
    p.add_argument("--elasticities", default=None, help="production_elasticities.csv (LP, ACF beside the truth)")
    p.add_argument("--recovery", required=True, help="CSV: log error of capital, level and growth")
    p.add_argument("--beta-k", required=True, help="CSV: beta_k with the pipeline's and the true capital")
    p.add_argument("--panel-true-capital", default=None,
                   help="also write the panel with true capital (run `upgrading productivity` on it by hand)")
    args = p.parse_args(argv)

    def step(a):
        import pandas as pd

        from upgrading.core import io

        from . import capital_validation as cv
        from .validation import read_json

        truth = read_json(a.truth, "truth")
        if "production" not in truth:
            raise InputError("no 'production' (true elasticities) in the truth", file=a.truth)
        panel = pd.read_parquet(a.panel, columns=[*cv.TRACE, "firm_id", "year", "industry2", "y", "l", "k"])
        firms = pd.read_parquet(a.truth_firms, columns=[*cv.TRACE, "true_firm_id", "true_capital"])
        joined = cv.join_truth(panel, firms)
        if joined.empty:
            raise InputError("no panel row matches a truth row on (source_file, source_row)", file=a.truth_firms)
        elast = pd.read_csv(a.elasticities) if a.elasticities else None
        recovery = cv.recovery(joined)
        beta_k = cv.beta_k_effect(joined, truth["production"], elast)
        swapped = None
        if a.panel_true_capital:
            try:
                swapped = cv.with_true_capital(pd.read_parquet(a.panel), firms)
            except ValueError as exc:
                raise InputError(str(exc), file=a.truth_firms) from None
        io.write_csv(recovery, a.recovery, float_format="%.6g")
        io.write_csv(beta_k, a.beta_k, float_format="%.6g")
        if swapped is not None:
            io.write_parquet(swapped, a.panel_true_capital)

    return _run("validate-capital", step, args)


def montecarlo_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading montecarlo",
                                description="One Monte Carlo draw: its world's validation estimates vs its truth.")
    p.add_argument("--seed", type=int, required=True, help="the draw's seed (a column of the output)")
    p.add_argument("--estimates", nargs="+", required=True,
                   help="the world's estimates of the validation families (worlds/mc<seed>/results/estimates/*.parquet)")
    p.add_argument("--data", required=True, help="the world's analysis table (for the true-omega estimates)")
    p.add_argument("--truth", required=True, help="the world's truth/parameters.json")
    p.add_argument("--truth-firms", required=True, help="the world's truth/firms.parquet (true omega per raw row)")
    p.add_argument("--specs", required=True, help="specification registry (YAML)")
    p.add_argument("--targets-json", required=True,
                   help="[{family, model, truth, oracle}] as JSON (config estimation.validation)")
    p.add_argument("--out", required=True, help="per-seed CSV")
    args = p.parse_args(argv)

    def step(a):
        import json

        from upgrading.core import io

        from . import montecarlo
        from .settings import targets_from_json

        targets = targets_from_json(json.loads(a.targets_json))
        io.write_csv(montecarlo.draw(a.seed, a.estimates, a.data, a.truth, a.truth_firms, a.specs, targets), a.out,
                     float_format="%.10g")

    return _run("montecarlo", step, args)


def montecarlo_aggregate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading montecarlo-aggregate",
                                description="Coverage of 95% intervals over Monte Carlo draws.")
    p.add_argument("--draws", nargs="+", required=True)
    p.add_argument("--truths", nargs="+",
                   help="the draws' truth/parameters.json: judge each draw against the estimand with the feedback "
                        "part pooled over the draws (coverage against each draw's own estimand kept beside it)")
    p.add_argument("--targets-json",
                   help="[{family, model, truth, oracle}] as JSON (config estimation.validation): with --truths, "
                        "whose estimand parts belong to which truth source")
    p.add_argument("--oracles", nargs="+",
                   help="the draws' truth/oracle.json, in the order of --truths: split each draw's error at its "
                        "world's oracle (estimate minus oracle, oracle minus estimand)")
    p.add_argument("--out", required=True, help="coverage CSV")
    p.add_argument("--draws-out", help="also every draw's rows against the estimand they are judged by "
                                       "(truth, error, z, covered95*; with --oracles also oracle, "
                                       "estimate_minus_oracle, oracle_minus_truth, z_vs_oracle), one CSV")
    args = p.parse_args(argv)
    if args.truths and not args.targets_json:
        p.error("--truths needs --targets-json")
    if args.oracles and not args.truths:
        p.error("--oracles needs --truths")

    def step(a):
        import json

        from upgrading.core import io

        from . import montecarlo
        from .settings import targets_from_json

        targets = targets_from_json(json.loads(a.targets_json)) if a.targets_json else ()
        io.write_csv(montecarlo.coverage(a.draws, a.truths, targets, a.oracles), a.out)
        if a.draws_out:
            io.write_csv(montecarlo.judged_draws(a.draws, a.truths, targets, a.oracles), a.draws_out)

    return _run("montecarlo-aggregate", step, args)


def montecarlo_report_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading montecarlo-report",
                                description="The Monte Carlo run as a dated markdown document (docs/coverage.md).")
    p.add_argument("--coverage", required=True, help="montecarlo-aggregate's coverage CSV")
    p.add_argument("--draws", nargs="+", required=True, help="the draw CSVs that coverage aggregates")
    p.add_argument("--run-log", required=True, help="log of tools/montecarlo_draws.sh")
    p.add_argument("--benchmarks", required=True, help="benchmark folder of the run, e.g. results/benchmarks/small/jobs")
    p.add_argument("--root", default=".", help="repository the draws ran in (its worlds/ and benchmark folder)")
    p.add_argument("--command", required=True, help="the command that ran the draws, as the document quotes it")
    p.add_argument("--planned", type=int, required=True, help="draws the run was to make")
    p.add_argument("--scale", required=True, help="scale of the draws' worlds")
    p.add_argument("--cores", type=int, required=True, help="cores of the machine")
    p.add_argument("--commit", required=True, help="git commit of the code that ran the draws")
    p.add_argument("--out", required=True, help="markdown document")
    args = p.parse_args(argv)

    def step(a):
        import pandas as pd

        from upgrading.core import io

        from . import montecarlo_report as mr

        cov = pd.read_csv(a.coverage)
        draws = int(cov["draws"].max())
        run = mr.read_run_log(a.run_log)
        seeds = sorted(pd.concat([pd.read_csv(p, usecols=["seed"]) for p in a.draws])["seed"].unique())
        if len(seeds) != draws:
            raise InputError(f"{len(seeds)} draws given, the coverage table counts {draws}", file=a.coverage)
        cpu = mr.draw_cpu(a.benchmarks, [int(s) for s in seeds], a.root)
        io.write_text(mr.report(cov, run, cpu, a.command, a.planned, a.scale, a.cores, a.commit,
                                coverage_file=a.coverage), a.out)

    return _run("montecarlo-report", step, args)

