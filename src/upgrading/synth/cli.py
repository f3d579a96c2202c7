"""`upgrading synthesize`: write the synthetic ASIF world, or describe one already written.

    upgrading synthesize --scale {small,medium,full} --seed N --out DIR
                         [--first-year 1998 --last-year 2007] [--config config/config.yaml]
                         [--synth-json JSON] [--measures-json JSON] [--headers config/asif_headers.yaml]
    upgrading synthesize --describe DIR

The estimands' feedback part (the mean over `estimand_replications` further worlds, upgrading.synth.truth)
can come from a process of its own, as the DAG runs it beside the world's:
    upgrading synthesize ... --out DIR --feedback-later     truth/parameters_before_feedback.json
    upgrading synthesize ... --feedback-out FILE            the feedback part alone, no world
joined into truth/parameters.json by upgrading.synth.estimands.join_files (rule truth_parameters);
the same bytes as one `upgrading synthesize --out DIR`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from upgrading.core import cli
from upgrading.core.errors import InputError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="upgrading synthesize", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--describe", metavar="DIR", help="print the calibration table of a written world")
    ap.add_argument("--scale", choices=["small", "medium", "full"])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out", metavar="DIR")
    ap.add_argument("--first-year", type=int, default=1998)
    ap.add_argument("--last-year", type=int, default=2007)
    ap.add_argument("--config", default="config/config.yaml",
                    help="config file whose `synth:` section holds the DGP parameters")
    ap.add_argument("--synth-json", help="the synth section as JSON, or @FILE (overrides --config; used by the rule)")
    ap.add_argument("--measures-json", help="the measures section as JSON, or @FILE (overrides --config): the "
                    "cluster indicator the truth's regressions use, as the measures stage builds it")
    ap.add_argument("--headers", default="config/asif_headers.yaml", help="header map (spellings per variable)")
    ap.add_argument("--feedback-later", action="store_true",
                    help="write truth/parameters_before_feedback.json, without the estimands' feedback part")
    ap.add_argument("--feedback-out", metavar="FILE",
                    help="write only the estimands' feedback part of world --seed to FILE (no world, no --out)")
    return ap


def load_synth_params(config: str, synth_json: str | None) -> dict:
    if synth_json:
        from upgrading.core.io import read_json_option

        return read_json_option(synth_json, "--synth-json")
    path = Path(config)
    if not path.exists():
        raise InputError("config file not found", file=str(path))
    section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("synth")
    if not section:
        raise InputError("no `synth:` section with the DGP parameters", file=str(path))
    return section


def load_cluster_rule(config: str, measures_json: str | None):
    """The measures stage's cluster indicator settings (`measures:` of the config, or --measures-json)."""
    from upgrading.core.cluster_rule import ClusterRule

    if measures_json:
        from upgrading.core.io import read_json_option

        section = read_json_option(measures_json, "--measures-json")
    else:
        path = Path(config)
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("measures") if path.exists() else None
    return ClusterRule.from_section(section)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.describe:
            from upgrading.synth.describe import describe
            print(describe(args.describe))
            return 0
        needed = ("scale", "seed") if args.feedback_out else ("scale", "seed", "out")
        missing = [f"--{k.replace('_', '-')}" for k in needed if getattr(args, k) is None]
        if missing:
            _parser().error(f"missing {', '.join(missing)} (or use --describe DIR)")
        if args.feedback_out and (args.out or args.feedback_later):
            _parser().error("--feedback-out writes the feedback part alone: no --out, no --feedback-later")
        if args.first_year > args.last_year:
            raise InputError(f"--first-year {args.first_year} is after --last-year {args.last_year}")
        years = list(range(args.first_year, args.last_year + 1))
        params = load_synth_params(args.config, args.synth_json)
        rule = load_cluster_rule(args.config, args.measures_json)
        if args.feedback_out:
            from upgrading.core.memory import keep_freed_memory
            from upgrading.synth.generate import feedback

            keep_freed_memory()  # the replication worlds only: the world's own synthesis would peak at 3 GB
            feedback(args.feedback_out, params, args.scale, args.seed, years, rule)
            return 0
        if not Path(args.headers).exists():
            raise InputError("header map not found", file=args.headers)
        from upgrading.synth.generate import generate

        generate(args.out, params, args.scale, args.seed, years, args.headers, rule,
                 feedback_later=args.feedback_later)
        return 0
    except (InputError, ValueError, KeyError) as exc:
        return cli.fail("synthesize", exc)
