"""Recovery of the production function on the synthetic world, and where its error comes from.

Run by hand from the repository root on a built synthetic world (panel + truth):

    .venv/bin/python benchmarks/production_recovery.py \
        --panel data/processed/panel.parquet --truth data/raw/truth [--variants pipeline,true_k]

Every panel row carries the raw line it came from (source_file, source_row), so the truth of
the same firm-year is at hand. LP and ACF (the config's settings, no bootstrap) run by
industry on variants of the inputs that switch one source of error off at a time:

- pipeline: the panel as the stage sees it;
- true_k: capital replaced by the true real capital of the same firm-year (removes the error
  of capital built from book values, BVZ);
- true_inputs: value added, employment, capital and intermediates all true (removes every
  measurement error of cleaning and deflation; sample and links unchanged);
- true_firms: true_inputs with the true firm identifiers (removes linking errors too);
- no_noise: true_firms with value added net of its transitory shock (the first stage's
  target known; what is left is the second stage on the surveyed sample).

Per method and variant: mean error and mean absolute error against the truth's elasticities
across industries, and the industries whose chosen solution is not admissible.

With --elasticities the stage's own table (data/processed/production_elasticities.csv of
`upgrading productivity`, bootstrap standard errors included) is scored instead, as variant
"stage", and nothing is estimated: the way to score a full-scale world, whose LP/ACF run takes
minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from upgrading.productivity import acf, lp
from upgrading.productivity.by_industry import _arrays
from upgrading.productivity.panel import add_estimation_columns
from upgrading.productivity.settings import FIRST_STAGE_GROUP, FOREIGN_INVESTED, from_mapping

TRACE = ["source_file", "source_row"]
VARIANTS = ("pipeline", "true_k", "true_inputs", "true_firms", "no_noise")
TRUE = {"k": "true_capital", "y": "true_value_added", "l": "true_employment",
        "m": "true_intermediate"}


def variant_panel(panel: pd.DataFrame, truth: pd.DataFrame, variant: str) -> pd.DataFrame:
    out = panel.copy()
    swap = {"pipeline": (), "true_k": ("k",)}.get(variant, ("y", "l", "k", "m"))
    for col in swap:
        out[col] = np.log(truth[TRUE[col]].to_numpy(dtype=float))
    if variant == "no_noise":
        out["y"] -= truth["true_eps"].to_numpy(dtype=float)
    if variant in ("true_firms", "no_noise"):
        out["firm_id"] = truth["true_firm_id"].to_numpy()
        out = out.drop_duplicates(["firm_id", "year"])  # two pipeline firms on one true firm-year
    return out.sort_values(["industry2", "firm_id", "year"], kind="stable").reset_index(drop=True)


def run(panel: pd.DataFrame, cfg, methods: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    names = (("y", *cfg.free, "k", "m")
             + ((FIRST_STAGE_GROUP,) if cfg.first_stage_effects != "none" else ())
             + ((FOREIGN_INVESTED,) if cfg.markov_year_by is not None else ()))
    for industry, df in panel.groupby("industry2", sort=True):
        df = df[np.isfinite(df[list(names)].to_numpy(dtype=float)).all(axis=1)]
        if len(df) < cfg.min_obs:
            continue
        data = _arrays(df, names)
        for method in methods:
            est = {"acf": acf, "lp": lp}[method].estimate(data, cfg.estimator,
                                                           search_settings=cfg.search)
            rows.append({"industry": int(industry), "method": method, "nobs": len(df),
                         "beta_l": est["beta_l"], "beta_k": est["beta_k"],
                         "converged": est["converged"], "roots": est["roots"],
                         "solutions": est["solutions"], "message": est["message"]})
    return pd.DataFrame(rows)


def errors(est: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """The estimates with the truth's elasticities and their errors (err_l, err_k)."""
    t = pd.DataFrame(truth).T.rename_axis("industry").reset_index()
    t["industry"] = t["industry"].astype(int)
    m = est.merge(t, on="industry", suffixes=("", "_true"))
    for x in ("l", "k"):
        m[f"err_{x}"] = m[f"beta_{x}"] - m[f"beta_{x}_true"]
    return m


def summary(m: pd.DataFrame, thin_below: int) -> pd.DataFrame:
    """Mean error and mean absolute error across industries (each industry weighs one), over
    all industries and over those with at least `thin_below` firm-years."""
    parts = []
    for sample, rows in (("all", m), (f"nobs>={thin_below}", m[m["nobs"] >= thin_below])):
        g = rows.groupby(["variant", "method"], sort=False)
        parts.append(g.agg(industries=("industry", "size"), admissible=("converged", "sum"),
                           mean_err_l=("err_l", "mean"), mae_l=("err_l", lambda v: v.abs().mean()),
                           mean_err_k=("err_k", "mean"),
                           mae_k=("err_k", lambda v: v.abs().mean())).reset_index()
                     .assign(sample=sample))
    return pd.concat(parts, ignore_index=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--panel", help="the world's panel (data/processed/panel.parquet)")
    p.add_argument("--elasticities", help="score this production_elasticities.csv instead of estimating")
    p.add_argument("--truth", required=True, help="the world's truth/ directory")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--set", default="{}", help="JSON overrides of the productivity settings")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--methods", default="acf,lp")
    p.add_argument("--out", help="CSV of the per-industry estimates")
    p.add_argument("--thin-below", type=int, default=2000,
                   help="industries with fewer firm-years are reported apart (default 2000)")
    p.add_argument("--worst", type=int, default=3, help="industries listed by largest |error|")
    args = p.parse_args(argv)
    if args.elasticities:
        with open(Path(args.truth) / "parameters.json", encoding="utf-8") as fh:
            production = json.load(fh)["production"]
        stage = pd.read_csv(args.elasticities)
        stage = stage[stage["method"].isin(args.methods.split(","))].assign(variant="stage")
        return report(errors(stage.rename(columns={"reason": "message"}), production), args)
    if not args.panel:
        p.error("--panel is needed unless --elasticities is given")
    with open(args.config, encoding="utf-8") as fh:
        section = yaml.safe_load(fh)["productivity"]
    cfg = from_mapping(section | json.loads(args.set))
    cols = ["firm_id", "year", "industry2", "city", "y", "l", "k", "m", *TRACE]
    if cfg.markov_year_by is not None:
        cols.append("foreign_share")
    panel = pd.read_parquet(args.panel, columns=cols)
    truth_rows = pd.read_parquet(Path(args.truth) / "firms.parquet",
                                 columns=[*TRACE, "true_firm_id", "true_eps", *TRUE.values()])
    truth_rows["source_file"] = truth_rows["source_file"].astype(str)
    panel["source_file"] = panel["source_file"].astype(str)
    truth = panel[TRACE].merge(truth_rows.drop_duplicates(TRACE), on=TRACE, how="left",
                               validate="m:1")
    panel = add_estimation_columns(panel, cfg)
    with open(Path(args.truth) / "parameters.json", encoding="utf-8") as fh:
        production = json.load(fh)["production"]
    parts = []
    for variant in args.variants.split(","):
        t0 = time.perf_counter()
        est = run(variant_panel(panel, truth, variant), cfg, tuple(args.methods.split(",")))
        parts.append(est.assign(variant=variant))
        print(f"{variant}: {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    return report(errors(pd.concat(parts, ignore_index=True), production), args)


def report(est: pd.DataFrame, args) -> int:
    if args.out:
        est.to_csv(args.out, index=False, float_format="%.6g")
    with pd.option_context("display.width", 200, "display.float_format", "{:+.4f}".format):
        print(summary(est, args.thin_below).to_string(index=False))
        for x in ("l", "k"):
            worst = (est.assign(abs_err=est[f"err_{x}"].abs())
                     .sort_values("abs_err", ascending=False, kind="stable")
                     .groupby(["variant", "method"], sort=False).head(args.worst))
            print(f"\nlargest |error| of beta_{x}:")
            print(worst[["variant", "method", "industry", "nobs", f"beta_{x}", f"beta_{x}_true",
                         f"err_{x}"]].to_string(index=False))
        bad = est[~est["converged"]]
        if len(bad):
            print("\nnot admissible:")
            print(bad[["variant", "method", "industry", "beta_l", "beta_k", "message"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
