"""`upgrading productivity`: panel (+ presence table for spillover controls) -> tfp.parquet +
production_elasticities.csv (+ audit).

The panel is the pipeline's panel.parquet or any firm-year panel (parquet or CSV) whose
columns are mapped to roles with --columns or productivity.columns.
"""

from __future__ import annotations

import argparse
import os
import time

# Single-threaded BLAS unless the caller says otherwise: the matrices are narrow, and on a
# shared machine BLAS threads spin against each other (measured: 2-5x slower under load).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas as pd  # noqa: E402

from upgrading.core import cli, io, presence  # noqa: E402
from upgrading.core.errors import InputError  # noqa: E402
from upgrading.productivity import controls  # noqa: E402
from upgrading.productivity import panel as firm_panel  # noqa: E402
from upgrading.productivity.by_industry import EstimationError, estimate_all  # noqa: E402
from upgrading.productivity.settings import from_mapping  # noqa: E402


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="upgrading productivity", description=__doc__)
    p.add_argument("--panel", required=True, help="data/processed/panel.parquet")
    p.add_argument("--out", required=True, help="tfp.parquet (firm_id, year, tfp_<method>)")
    p.add_argument("--elasticities", required=True, help="production_elasticities.csv")
    p.add_argument("--config-json", default="{}", help="the productivity: section as JSON, or @FILE")
    p.add_argument("--io-table", help="io_table.csv; needed only for backward/forward controls")
    p.add_argument("--presence", help="presence.parquet of the clean stage (upgrading.core.presence), "
                                      "over which the spillover controls are computed, or any panel "
                                      "with its measure columns (e.g. the panel itself); needed "
                                      "only with productivity.markov_controls")
    p.add_argument("--audit", help="audit CSV: rows used and dropped, status and reason per "
                                   "industry and method")
    p.add_argument("--columns", help="column map, e.g. y=Y,l=fX1+fX2,k=sX,m=pX,firm_id=idvar,"
                                     "year=timevar (overrides productivity.columns)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    t0 = time.perf_counter()
    try:
        cfg = from_mapping(io.read_json_option(args.config_json, "--config-json"), args.columns)
        panel = firm_panel.read_panel(args.panel, cfg)
        io_table = None
        if any(c in controls.NEEDS_IO for c in cfg.markov_controls):
            if not args.io_table:
                raise InputError("backward/forward controls need --io-table")
            io_table = pd.read_csv(args.io_table)
        population = None
        if cfg.markov_controls:
            if not args.presence:
                raise InputError("productivity.markov_controls need --presence (the clean stage's "
                                 "presence.parquet)")
            population = pd.read_parquet(args.presence)
            presence.check(population, args.presence)
            presence.check_covers(panel, population, args.panel, args.presence, keys=("firm_id", "year"))
        panel = firm_panel.prepare(panel, cfg, io_table, population)
    except InputError as err:
        return cli.fail("productivity", err)
    print(f"read {len(panel)} firm-years, {panel['industry2'].nunique()} industries "
          f"({time.perf_counter() - t0:.1f}s); settings {cfg}", flush=True)
    try:
        tfp, elasticities, audit = estimate_all(panel, cfg)
    except EstimationError as err:
        return cli.fail("productivity", err)
    tfp["firm_id"] = tfp["firm_id"].astype("int64")
    tfp["year"] = tfp["year"].astype("int16")
    io.write_parquet(tfp, args.out)
    io.write_csv(elasticities, args.elasticities, float_format="%.12g")
    if args.audit:
        io.write_csv(audit, args.audit)
    print(f"wrote {args.out} ({len(tfp)} rows) and {args.elasticities} "
          f"({len(elasticities)} rows) in {time.perf_counter() - t0:.1f}s", flush=True)
    return 0
