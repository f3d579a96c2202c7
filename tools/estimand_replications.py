"""The spread of the oracle around its estimand over further synthetic worlds of one configuration.

    .venv/bin/python tools/estimand_replications.py --scale full --seed 20240601 \
        --replications 16 --out gaps.csv [--hold-design] [--config config/config.yaml]
    .venv/bin/python tools/estimand_replications.py --scale full --worlds 7001-7020 --out gaps.csv

For each of the first N replication seeds of SEED (upgrading.synth.truth.replication_seeds: the
worlds whose mean gives the estimand's feedback part, the first `synth.estimand_replications`
of them exactly those), it simulates the world, runs the validation regressions on its true
data (upgrading.synth.truth.oracle_and_estimands) and writes, per model and term, the oracle's
estimate, its CRV1 standard error and its gap: the oracle minus the projection and selection
parts of the world's estimand. The gap is the feedback part plus sampling error, so over the
worlds its mean estimates the feedback and its standard deviation the sampling spread of the
oracle, which the CRV1 standard error claims to measure. It then prints, per term, the mean
gap, its standard deviation over the mean standard error, and how far a given world's gap
(--world-gap MODEL:TERM=VALUE, e.g. from the build's truth) lies from the mean in standard
deviations. With --hold-design, every world keeps SEED's design (cities, industries, the
input-output table, the catalogue, cluster cells, city and industry effects) and draws only its
firms and shocks from its replication seed (upgrading.synth.world.build_world's shock_seed): the
spread of the gap given the design, and whether the design explains a world's gap. Each
world's rows are appended when it is done, so a stopped run keeps its worlds and a second run
adds only the missing ones. The years are the config's first_year-last_year. With --worlds
FIRST-LAST instead of --seed and --replications, the worlds are those of the seeds FIRST to LAST
themselves (e.g. a Monte Carlo run's draws, whose gaps can then be set beside their further
worlds' mean, the feedback part their estimands use). The summary pools every world of the
file: keep each set of worlds in a file of its own.

Cost: at full scale about 18 s and 2.8 GB per world on one core.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import yaml

FIELDS = ["seed", "design_seed", "model", "term", "oracle", "std_error", "gap"]


def run(scale: str, seeds: list[int], out: Path, config: Path, design_seed: int | None = None) -> None:
    from upgrading.core.memory import keep_freed_memory
    from upgrading.synth import truth
    from upgrading.synth.cli import load_cluster_rule, load_synth_params
    from upgrading.synth.generate import normalise_params

    keep_freed_memory()  # as the estimand_feedback step
    params = normalise_params(load_synth_params(str(config), None))
    rule = load_cluster_rule(str(config), None)
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    years = list(range(int(cfg["first_year"]), int(cfg["last_year"]) + 1))
    terms = sum(len(t) for t in truth.MODELS.values())
    rows_by_seed: dict[int, int] = {}
    if out.exists():
        with out.open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != FIELDS:
                raise SystemExit(f"{out}: columns {reader.fieldnames}, not {FIELDS}: use another file")
            wanted = "" if design_seed is None else str(design_seed)
            for r in reader:
                if r["design_seed"] != wanted:
                    raise SystemExit(f"{out}: world {r['seed']} was simulated with design seed "
                                     f"{r['design_seed'] or 'its own'}, this run's is {wanted or 'its own'}: "
                                     "use another file")
                rows_by_seed[int(r["seed"])] = rows_by_seed.get(int(r["seed"]), 0) + 1
    broken = sorted(s for s, n in rows_by_seed.items() if n != terms)
    if broken:
        raise SystemExit(f"{out}: worlds {broken} have not {terms} rows each (a stopped write): remove their rows")
    new = not out.exists()
    with out.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, lineterminator="\n")
        if new:
            writer.writeheader()
        for r_seed in seeds:
            if r_seed in rows_by_seed:
                continue
            t0 = time.time()
            oracle, estimands = truth.replication_world(params, scale, r_seed, years, rule, design_seed)
            gaps = truth.oracle_gaps(oracle, estimands)
            writer.writerows({"seed": r_seed, "design_seed": "" if design_seed is None else design_seed,
                              "model": model, "term": term,
                              "oracle": oracle[model]["terms"][term]["estimate"],
                              "std_error": oracle[model]["terms"][term]["std_error"], "gap": f"{gap:.8g}"}
                             for model, by_term in gaps.items() for term, gap in by_term.items())
            fh.flush()  # a world's rows together, as soon as it is done
            print(f"world {r_seed}: {time.time() - t0:.1f} s", file=sys.stderr, flush=True)


def summarise(out: Path, world_gaps: dict[tuple[str, str], float]) -> str:
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lines = ["| model | term | worlds | mean gap (MC SE) | SD of gap / mean CRV1 SE | world's gap, SDs from the mean |",
             "|---|---|---|---|---|---|"]
    keys = list(dict.fromkeys((r["model"], r["term"]) for r in rows))
    for key in keys:
        gap = np.array([float(r["gap"]) for r in rows if (r["model"], r["term"]) == key])
        se = np.array([float(r["std_error"]) for r in rows if (r["model"], r["term"]) == key])
        sd = gap.std(ddof=1) if len(gap) > 1 else float("nan")
        away = f"{(world_gaps[key] - gap.mean()) / sd:+.1f}" if key in world_gaps else ""
        lines.append(f"| {key[0]} | `{key[1]}` | {len(gap)} | {gap.mean():+.3f} ({sd / np.sqrt(len(gap)):.3f}) "
                     f"| {sd / se.mean():.2f} | {away} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["small", "medium", "full"], required=True)
    ap.add_argument("--seed", type=int, help="the world whose replication seeds to run")
    ap.add_argument("--replications", type=int)
    ap.add_argument("--worlds", metavar="FIRST-LAST", help="run the worlds of these seeds themselves instead")
    ap.add_argument("--out", type=Path, required=True, help="CSV, one row per world, model and term (appended)")
    ap.add_argument("--config", type=Path, default=Path("config/config.yaml"))
    ap.add_argument("--hold-design", action="store_true",
                    help="keep SEED's design in every world; draw only firms and shocks afresh")
    ap.add_argument("--world-gap", action="append", default=[], metavar="MODEL:TERM=VALUE",
                    help="a world's own gap to place in the spread (repeatable)")
    args = ap.parse_args(argv)
    world_gaps = {}
    for item in args.world_gap:
        key, _, value = item.partition("=")
        model, _, term = key.partition(":")
        if not (model and term and value):
            ap.error(f"--world-gap {item!r}: expected MODEL:TERM=VALUE")
        world_gaps[(model, term)] = float(value)
    if args.worlds:
        if args.seed is not None or args.replications is not None or args.hold_design:
            ap.error("--worlds replaces --seed, --replications and --hold-design")
        first, _, last = args.worlds.partition("-")
        if not (first.isdigit() and last.isdigit() and int(first) <= int(last)):
            ap.error(f"--worlds {args.worlds!r}: expected FIRST-LAST, e.g. 7001-7020")
        seeds = list(range(int(first), int(last) + 1))
    elif args.seed is None or args.replications is None:
        ap.error("give --seed and --replications, or --worlds")
    else:
        from upgrading.synth.truth import replication_seeds

        seeds = replication_seeds(args.seed, args.replications)
    run(args.scale, seeds, args.out, args.config, args.seed if args.hold_design else None)
    print(summarise(args.out, world_gaps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
