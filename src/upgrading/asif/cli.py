"""`upgrading ingest | link | clean`: argument parsing and file I/O around the pure functions.

Outputs are written only after the whole step succeeded (atomic writers), so a
bad input leaves no partial file; an InputError becomes one message on stderr
and exit code 1.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from upgrading.core import cli, io
from upgrading.core.errors import InputError


def _log(msg: str) -> None:
    print(msg, flush=True)


def parse_years(text: str) -> list[int]:
    """'1998-2007' or '1998,1999' -> list of years."""
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            years.extend(range(int(a), int(b) + 1))
        elif part:
            years.append(int(part))
    return years


def _run(name: str, step) -> int:
    t0 = time.perf_counter()
    code = cli.run(name, step)
    if code == 0:
        _log(f"done in {time.perf_counter() - t0:.1f} s")
    return code


def ingest_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading ingest", description="raw ASIF year files -> ingested.parquet")
    ap.add_argument("--raw-dir", required=True)
    ap.add_argument("--headers", default="config/asif_headers.yaml")
    ap.add_argument("--years", required=True, help="e.g. 1998-2007")
    ap.add_argument("--file-pattern", default="asif_{year}",
                    help="yearly file name, {year} filled in; with or without extension (e.g. gy{year}.dta)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--audit", required=True, help="per-file audit (csv)")
    ap.add_argument("--columns-audit", help="per-column audit: used, alternative, unmapped (csv)")
    args = ap.parse_args(argv)

    def step():
        from upgrading.asif.headers import load_header_map
        from upgrading.asif.ingest import ingest_years

        fields = load_header_map(args.headers)
        data, audit, columns = ingest_years(args.raw_dir, parse_years(args.years), fields,
                                            args.file_pattern, log=_log)
        io.write_csv(audit, args.audit)
        if args.columns_audit:
            io.write_csv(columns, args.columns_audit)
        io.write_parquet(data, args.out)
        _log(f"ingest: {len(data)} rows -> {args.out}")

    return _run("ingest", step)


def inspect_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading inspect-raw",
                                 description="what ingest would make of each raw year file (header and a sample)")
    ap.add_argument("raw_dir")
    ap.add_argument("--headers", default="config/asif_headers.yaml")
    ap.add_argument("--file-pattern", default="asif_{year}", help="yearly file name, as for ingest")
    ap.add_argument("--rows", type=int, default=2000, help="rows sampled per file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        from upgrading.asif.headers import load_header_map
        from upgrading.asif.inspect import format_report, inspect_file, ok, several_per_year, year_files

        fields = load_header_map(args.headers)
        files = year_files(args.raw_dir, args.file_pattern)
        if not files:
            raise InputError(f"no yearly files named {args.file_pattern} (.csv, .csv.gz, .dta, .parquet)",
                             file=args.raw_dir)
        reports = [inspect_file(p, fields, args.rows) for p in files]
    except InputError as exc:
        return cli.fail("inspect-raw", exc)
    for rep in reports:
        print(format_report(rep, fields) + "\n")
    bad = [r.file for r in reports if not ok(r)]
    for year, names in several_per_year(files, args.file_pattern).items():
        print(f"year {year}: several files ({', '.join(names)}); ingest reads one file per year")
        bad += names
    print(f"{len(reports)} files inspected in {time.perf_counter() - t0:.1f} s; "
          + (f"{len(bad)} would stop ingest: {', '.join(bad)}" if bad else "all would ingest"))
    return 1 if bad else 0


def link_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading link", description="ingested.parquet -> linked.parquet (firm_id)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--audit", required=True)
    ap.add_argument("--raw-dir", help="folder with cic_concordance.csv: match 4-digit industries "
                                      "across the 2003 revision (optional)")
    args = ap.parse_args(argv)

    def step():
        from upgrading.asif import industry
        from upgrading.asif.link import link_firms

        data = pd.read_parquet(args.data)
        ind4 = None
        if args.raw_dir:
            conc = industry.read_concordance(Path(args.raw_dir) / "cic_concordance.csv")
            ind4 = industry.to_cic2002(data["industry_code"], data["year"], conc)
        firm, stage, audit = link_firms(data, ind4, log=_log)
        data["firm_id"] = firm.astype("int64")
        data["link_stage"] = pd.Series(stage, dtype="string")
        io.write_csv(audit, args.audit)
        io.write_parquet(data, args.out)
        _log(f"link: {data['firm_id'].nunique()} firms over {len(data)} rows -> {args.out}")

    return _run("link", step)


def link_truth_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading link-truth",
                                 description="linked.parquet + synthetic truth -> link precision and recall")
    ap.add_argument("--data", required=True, help="linked.parquet")
    ap.add_argument("--truth", required=True, help="truth/firms.parquet of the synthetic world")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    def step():
        from upgrading.asif.link import link_scores

        keys = ["source_file", "source_row"]
        linked = pd.read_parquet(args.data, columns=[*keys, "year", "firm_id", "link_stage"])
        truth = pd.read_parquet(args.truth, columns=[*keys, "true_firm_id"])
        truth["source_file"] = truth["source_file"].astype(str)
        linked["source_file"] = linked["source_file"].astype(str)
        t = linked.merge(truth, on=keys, how="left", validate="one_to_one")
        if t["true_firm_id"].isna().any():
            bad = t.loc[t["true_firm_id"].isna(), keys].iloc[0]
            raise InputError(f"{int(t['true_firm_id'].isna().sum())} linked row(s) absent from the truth",
                             file=args.truth, column="source_row", rows=[int(bad["source_row"])])
        scores = link_scores(t["firm_id"].to_numpy(), t["link_stage"].astype(str).to_numpy(),
                             t["true_firm_id"].to_numpy(), t["year"].to_numpy())
        io.write_csv(scores, args.out)
        s = scores.iloc[0]
        _log(f"link-truth: precision {s['precision']:.4f} recall {s['recall']:.4f} "
             f"over {s['true_pairs']} true pairs -> {args.out}")

    return _run("link-truth", step)


def read_side_files(raw_dir: str) -> dict[str, pd.DataFrame]:
    raw = Path(raw_dir)
    out = {}
    for name, dtype in [("cities", {"city": "int64", "region": "string"}),
                        ("deflators", None), ("investment_prices", None),
                        ("cic_concordance", {"code_old": "string", "code_new": "string"})]:
        path = raw / f"{name}.csv"
        if not path.exists():
            raise InputError("side file missing", file=str(path))
        out[name] = pd.read_csv(path, dtype=dtype)
    return out


def clean_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading clean", description="linked.parquet -> panel.parquet")
    ap.add_argument("--data", required=True)
    ap.add_argument("--raw-dir", required=True,
                    help="folder with cities.csv, deflators.csv, investment_prices.csv, cic_concordance.csv")
    ap.add_argument("--headers", default="config/asif_headers.yaml")
    ap.add_argument("--config-json", default="{}", help="the cleaning: section as JSON, or @FILE")
    ap.add_argument("--out", required=True)
    ap.add_argument("--audit", required=True)
    ap.add_argument("--codebook", required=True)
    ap.add_argument("--trace", help="parquet: every dropped or changed raw line with its rule (optional)")
    ap.add_argument("--presence", required=True,
                    help="parquet: the firm-years the presence measures count (upgrading.core.presence)")
    args = ap.parse_args(argv)

    def step():
        from upgrading.asif.clean import clean
        from upgrading.asif.headers import load_header_map
        from upgrading.asif.settings import from_mapping as cleaning_settings
        from upgrading.core.codebook import codebook

        cfg = cleaning_settings(io.read_json_option(args.config_json, "--config-json"))
        fields = load_header_map(args.headers)
        side = read_side_files(args.raw_dir)
        panel, audit, trace, population = clean(pd.read_parquet(args.data), side, cfg, log=_log)
        book = codebook(list(panel.columns), fields)
        io.write_csv(audit, args.audit)
        io.write_csv(book, args.codebook)
        if args.trace:
            io.write_parquet(trace, args.trace)
        io.write_parquet(population, args.presence)
        io.write_parquet(panel, args.out)
        _log(f"clean: {len(panel)} firm-years -> {args.out}")

    return _run("clean", step)
