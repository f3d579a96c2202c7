"""`upgrading measures`: panel + presence + tfp + raw side files -> analysis.parquet and its codebook."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from upgrading.core import cli, io, presence
from upgrading.core.errors import InputError
from upgrading.measures import assemble, codebook, policy
from upgrading.measures.settings import from_mapping


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="upgrading measures", description=__doc__)
    p.add_argument("--panel", required=True)
    p.add_argument("--tfp", required=True)
    p.add_argument("--presence", required=True,
                   help="presence.parquet of the clean stage: the firm-years the presence measures "
                        "count (upgrading.core.presence)")
    p.add_argument("--raw-dir", required=True,
                   help="folder with io_table.csv, fdi_catalogue_2002.csv, cities.csv")
    p.add_argument("--out", required=True, help="analysis.parquet")
    p.add_argument("--codebook", required=True, help="codebook csv (name, meaning, unit, source)")
    p.add_argument("--config-json", default="{}", help="the measures: section as JSON, or @FILE")
    return p.parse_args(argv)


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise InputError("file not found", file=str(path))
    df = pd.read_csv(path)
    for col in required:
        if col not in df.columns:
            raise InputError("required column is missing", file=str(path), column=col)
    return df


def main(argv: list[str]) -> int:
    args = parse(argv)
    t0 = time.perf_counter()
    raw = Path(args.raw_dir)
    try:
        cfg = from_mapping(io.read_json_option(args.config_json, "--config-json"))
        panel = pd.read_parquet(args.panel)
        assemble.check_panel(panel, args.panel)
        population = pd.read_parquet(args.presence)
        presence.check(population, args.presence)
        presence.check_covers(panel, population, args.panel, args.presence)
        io_table = _read_csv(raw / "io_table.csv", assemble.IO_COLUMNS)
        assemble.check_io(io_table, str(raw / "io_table.csv"))
        if not (raw / "fdi_catalogue_2002.csv").exists():
            raise InputError("file not found", file=str(raw / "fdi_catalogue_2002.csv"))
        catalogue = policy.read_catalogue(str(raw / "fdi_catalogue_2002.csv"))
        cities = _read_csv(raw / "cities.csv", ["city"])
        merged = assemble.merge_tfp(panel, pd.read_parquet(args.tfp), args.tfp)
    except InputError as err:
        return cli.fail("measures", err)
    print(f"read {len(panel)} firm-years ({time.perf_counter() - t0:.1f}s); settings {cfg}", flush=True)
    analysis = assemble.build(merged, population, io_table, catalogue, cities, cfg)
    book = codebook.codebook(list(analysis.columns))
    io.write_parquet(analysis, args.out)
    io.write_csv(book, args.codebook)
    print(f"wrote {args.out} ({len(analysis)} rows, {analysis.shape[1]} columns) and {args.codebook} "
          f"in {time.perf_counter() - t0:.1f}s", flush=True)
    return 0
