"""`upgrading productivity`: panel.parquet -> tfp.parquet + production_elasticities.csv."""

from __future__ import annotations

import argparse
import json
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
from upgrading.productivity.by_industry import estimate_all
from upgrading.productivity.settings import FIRST_STAGE_GROUP, from_mapping  # noqa: E402

KEYS = ["firm_id", "year", "industry2"]
INPUTS = ["y", "l", "k", "m"]
# Panel columns the spillover controls are built from (only read when asked for).
CONTROL_INPUTS = ["output", "foreign_share", "hmt_share", "other_foreign_share"]


def read_panel(path: str, cfg_controls: tuple[str, ...], cfg=None) -> pd.DataFrame:
    wanted = KEYS + INPUTS
    if cfg is not None and cfg.first_stage_effects != "none":
        wanted.append("city")
    if cfg is not None and cfg.start == "labour_share":
        wanted += ["wage_bill", "value_added"]
    if cfg_controls:
        wanted += CONTROL_INPUTS
        if "forward" in cfg_controls:
            wanted.append("exports")
        if "horizontal_local" in cfg_controls:
            wanted.append("city")
    present = set(pq.read_schema(path).names)
    wanted = list(dict.fromkeys(wanted))
    for col in wanted:
        if col not in present:
            raise InputError("required column is missing", file=path, column=col)
    panel = pd.read_parquet(path, columns=wanted)
    for col in ("firm_id", "year", "industry2"):
        bad = np.flatnonzero(panel[col].isna().to_numpy())
        if len(bad):
            raise InputError("missing key values", file=path, column=col, rows=bad.tolist())
    dup = np.flatnonzero(panel.duplicated(["firm_id", "year"], keep=False).to_numpy())
    if len(dup):
        raise InputError("duplicate firm_id-year rows (0-based panel rows)", file=path,
                         column="firm_id", rows=dup.tolist())
    return panel


def add_estimation_columns(panel: pd.DataFrame, cfg) -> pd.DataFrame:
    """fs_group (first-stage fixed-effect codes) and labour_share (wage bill / value added)."""
    out = panel.copy()
    if cfg.first_stage_effects == "city":
        out[FIRST_STAGE_GROUP] = out["city"].astype(float)
    elif cfg.first_stage_effects == "city_period":
        out[FIRST_STAGE_GROUP] = (out["city"].astype(float) * 2
                                  + (out["year"] >= cfg.period_split_year).astype(float))
    if cfg.start == "labour_share":
        va = out["value_added"].astype(float)
        out["labour_share"] = out["wage_bill"].astype(float) / va.where(va > 0)
    return out


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="upgrading productivity", description=__doc__)
    p.add_argument("--panel", required=True, help="data/processed/panel.parquet")
    p.add_argument("--out", required=True, help="tfp.parquet (firm_id, year, tfp_<method>)")
    p.add_argument("--elasticities", required=True, help="production_elasticities.csv")
    p.add_argument("--config-json", default="{}", help="the productivity: section as JSON")
    p.add_argument("--io-table", help="io_table.csv; needed only for backward/forward controls")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    t0 = time.perf_counter()
    try:
        cfg = from_mapping(json.loads(args.config_json))
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
    tfp, elasticities = estimate_all(panel, cfg)
    tfp["firm_id"] = tfp["firm_id"].astype("int64")
    tfp["year"] = tfp["year"].astype("int16")
    io.write_parquet(tfp, args.out)
    io.write_csv(elasticities, args.elasticities, float_format="%.12g")
    print(f"wrote {args.out} ({len(tfp)} rows) and {args.elasticities} "
          f"({len(elasticities)} rows) in {time.perf_counter() - t0:.1f}s", flush=True)
    return 0
