"""`upgrading productivity`: panel -> tfp.parquet + production_elasticities.csv (+ audit).

The panel is the pipeline's panel.parquet or any firm-year panel (parquet or CSV) whose
columns are mapped to roles with --columns or productivity.columns.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# Single-threaded BLAS unless the caller says otherwise: the matrices are narrow, and on a
# shared machine BLAS threads spin against each other (measured: 2-5x slower under load).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from upgrading import io  # noqa: E402
from upgrading.errors import InputError
from upgrading.productivity import controls
from upgrading.productivity.by_industry import EstimationError, estimate_all
from upgrading.productivity.settings import FIRST_STAGE_GROUP, from_mapping  # noqa: E402

# Panel columns the spillover controls are built from (only read when asked for).
CONTROL_INPUTS = ["output", "foreign_share", "hmt_share", "other_foreign_share"]


def _schema(path: str) -> list[str]:
    if str(path).endswith(".csv"):
        return list(pd.read_csv(path, nrows=0).columns)
    return pq.read_schema(path).names


def read_panel(path: str, cfg_controls: tuple[str, ...], cfg) -> pd.DataFrame:
    """The panel with the roles of `cfg.columns` under their internal names (y, l or l1.., k,
    m, firm_id, year, industry2, city). No industry column: one industry (code 0)."""
    present = set(_schema(path))
    cmap = cfg.columns
    wanted: dict[str, str] = {}  # input column -> internal name

    def need(role: str, why: str) -> None:
        for src, internal in zip(cmap.source(role), cmap.free if role == "l" else (role,)):
            if src not in present:
                raise InputError(f"required column is missing (role {role}, needed by {why}; "
                                 f"map it with --columns {role}=NAME or productivity.columns)",
                                 file=path, column=src)
            wanted[src] = internal

    for role in ("firm_id", "year", "y", "l", "k", "m"):
        need(role, "every production function")
    if cfg.first_stage_effects != "none":
        need("city", f"productivity.first_stage_effects: {cfg.first_stage_effects}; set it to "
                     "none for data without a city")
    one_industry = cmap.industry2 not in present and cmap.industry2 == "industry2"
    if not one_industry:
        need("industry2", "estimation by industry")
    if cfg_controls:
        for col in CONTROL_INPUTS + (["exports"] if "forward" in cfg_controls else []):
            if col not in present:
                raise InputError("required column is missing (needed by "
                                 "productivity.markov_controls)", file=path, column=col)
            wanted.setdefault(col, col)
        if "horizontal_local" in cfg_controls:
            need("city", "productivity.markov_controls: horizontal_local")
    if len(set(wanted.values())) != len(wanted):
        raise InputError(f"productivity.columns: two roles share an internal name ({wanted})")
    cols = list(wanted)
    raw = pd.read_csv(path, usecols=cols) if str(path).endswith(".csv") \
        else pd.read_parquet(path, columns=cols)
    panel = raw.rename(columns=wanted)[list(wanted.values())]
    if one_industry:
        panel["industry2"] = 0
    for col in ("firm_id", "year", "industry2"):
        bad = np.flatnonzero(panel[col].isna().to_numpy())
        if len(bad):
            src = next((s for s, i in wanted.items() if i == col), col)
            raise InputError("missing key values", file=path, column=src, rows=bad.tolist())
    dup = np.flatnonzero(panel.duplicated(["firm_id", "year"], keep=False).to_numpy())
    if len(dup):
        raise InputError("duplicate firm-year rows (0-based rows)", file=path,
                         column=cmap.firm_id, rows=dup.tolist())
    return panel


def add_estimation_columns(panel: pd.DataFrame, cfg) -> pd.DataFrame:
    """fs_group: the first-stage fixed-effect codes (city, or city x period)."""
    out = panel.copy()
    if cfg.first_stage_effects == "city":
        out[FIRST_STAGE_GROUP] = pd.factorize(out["city"])[0].astype(float)
    elif cfg.first_stage_effects == "city_period":
        out[FIRST_STAGE_GROUP] = (pd.factorize(out["city"])[0].astype(float) * 2
                                  + (out["year"] >= cfg.period_split_year).astype(float))
    return out


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="upgrading productivity", description=__doc__)
    p.add_argument("--panel", required=True, help="data/processed/panel.parquet")
    p.add_argument("--out", required=True, help="tfp.parquet (firm_id, year, tfp_<method>)")
    p.add_argument("--elasticities", required=True, help="production_elasticities.csv")
    p.add_argument("--config-json", default="{}", help="the productivity: section as JSON, or @FILE")
    p.add_argument("--io-table", help="io_table.csv; needed only for backward/forward controls")
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
        panel = read_panel(args.panel, cfg.markov_controls, cfg)
        panel = add_estimation_columns(panel, cfg)
        io_table = None
        if any(c in controls.NEEDS_IO for c in cfg.markov_controls):
            if not args.io_table:
                raise InputError("backward/forward controls need --io-table")
            io_table = pd.read_csv(args.io_table)
        if cfg.markov_controls:
            panel = controls.attach(panel, cfg.markov_controls, io_table)
    except InputError as err:
        print(f"upgrading productivity: {err}", file=sys.stderr)
        return 1
    panel = panel.sort_values(["industry2", "firm_id", "year"], kind="stable").reset_index(drop=True)
    print(f"read {len(panel)} firm-years, {panel['industry2'].nunique()} industries "
          f"({time.perf_counter() - t0:.1f}s); settings {cfg}", flush=True)
    try:
        tfp, elasticities, audit = estimate_all(panel, cfg)
    except EstimationError as err:
        print(f"upgrading productivity: {err}", file=sys.stderr, flush=True)
        return 1
    tfp["firm_id"] = tfp["firm_id"].astype("int64")
    tfp["year"] = tfp["year"].astype("int16")
    io.write_parquet(tfp, args.out)
    io.write_csv(elasticities, args.elasticities, float_format="%.12g")
    if args.audit:
        io.write_csv(audit, args.audit)
    print(f"wrote {args.out} ({len(tfp)} rows) and {args.elasticities} "
          f"({len(elasticities)} rows) in {time.perf_counter() - t0:.1f}s", flush=True)
    return 0
