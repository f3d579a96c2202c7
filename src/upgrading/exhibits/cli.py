"""CLI of the exhibits stage: `upgrading table|figures|numbers|summary-stats|exhibit-map|specs-appendix|manifest`.

Each *_main(argv) parses its arguments, reads its inputs, writes its outputs
atomically (upgrading.core.io) and returns an exit code; bad input exits 1 with a
message naming the file, column and rows.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from upgrading.core import cli
from upgrading.core.errors import InputError
from upgrading.core.io import read_json_option, read_text_option


def _read_estimates(paths: list[str]):
    import pandas as pd

    from upgrading.exhibits.tables import check_tidy

    frames = []
    for p in paths:
        if not Path(p).is_file():
            raise InputError("estimates file not found", file=p)
        df = pd.read_parquet(p)
        check_tidy(df, p)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["family", "model", "term", "estimate", "std_error", "p_value"])
    return pd.concat(frames, ignore_index=True)


def _read_analysis(path: str, columns: list[str]):
    import pandas as pd
    import pyarrow.parquet as pq

    have = set(pq.read_schema(path).names)
    missing = [c for c in columns if c not in have]
    if missing:
        raise InputError(f"analysis table lacks column(s) {missing}", file=path, column=missing[0])
    return pd.read_parquet(path, columns=columns)


# --------------------------------------------------------------------------- table
def table_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading table", description="Render one regression table.")
    ap.add_argument("--table", required=True, help="table id (registry `table:` key)")
    ap.add_argument("--estimates", nargs="+", required=True, help="tidy estimates parquet files")
    ap.add_argument("--spec", required=True, help="table plan as JSON or @FILE (from exhibits.plan.tables)")
    ap.add_argument("--out-tex", required=True)
    ap.add_argument("--out-csv", required=True)
    args = ap.parse_args(argv)
    from upgrading.core import io
    from upgrading.exhibits import tables

    try:
        plan = read_json_option(args.spec, "--spec")
        if plan["id"] != args.table:
            raise InputError(f"--spec is for table {plan['id']!r}, not {args.table!r}")
        spec = tables.spec_from_plan(plan)
        est = _read_estimates(args.estimates)
        try:
            tex, csv = tables.render(est, spec)
        except InputError as exc:
            raise InputError(str(exc), file=",".join(args.estimates)) from exc
    except (InputError, KeyError, json.JSONDecodeError) as exc:
        return cli.fail("table", exc)
    io.write_text(tex, args.out_tex)
    io.write_csv(csv, args.out_csv)
    print(f"table {args.table}: {len(spec.columns)} columns -> {args.out_tex}")
    return 0


# --------------------------------------------------------------------------- figures
def figures_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading figures",
                                 description="Draw every figure (PDF + PNG) and write its plotted numbers (CSV).")
    ap.add_argument("--analysis", required=True)
    ap.add_argument("--estimates", nargs="*", default=[])
    ap.add_argument("--validation", help="results/estimates/validation.csv (synthetic only)")
    ap.add_argument("--industries", help="RAW/industries.csv (industry names)")
    ap.add_argument("--cities", help="RAW/cities.csv (city names, GB/T 2260)")
    ap.add_argument("--plan", required=True, help="figure plan as JSON or @FILE (from exhibits.plan.figures)")
    ap.add_argument("--outdir", required=True)
    args = ap.parse_args(argv)
    import pandas as pd
    import pyarrow.parquet as pq

    from upgrading.core import io
    from upgrading.exhibits import drawing, figures, style

    try:
        plan = read_json_option(args.plan, "--plan")
        have = set(pq.read_schema(args.analysis).names)
        analysis = _read_analysis(args.analysis, drawing.analysis_columns(have))
        est = _read_estimates(args.estimates)
        names = {}
        if args.industries:
            ind = pd.read_csv(args.industries)
            names = dict(zip(ind["industry2"].astype(int), ind["industry2_name"].astype(str)))
        cities = {}
        if args.cities:
            cty = pd.read_csv(args.cities)
            missing = [c for c in ("city", "city_name") if c not in cty.columns]
            if missing:
                raise InputError(f"cities file lacks column(s) {missing}", file=args.cities, column=missing[0])
            cities = figures.city_names_en(cty)
        if "recovery" in plan["names"] and not args.validation:
            raise InputError("the recovery figure needs --validation")
        validation = pd.read_csv(args.validation) if "recovery" in plan["names"] else None
        drawers = drawing.drawers(plan, analysis, est, ",".join(args.estimates), names, cities, validation)
        for name in plan["names"]:
            fig, data = drawers[name]()
            pdf, png = style.out_paths(args.outdir, name)
            style.savefig(fig, pdf, png)
            io.write_csv(data, Path(args.outdir) / f"{name}.csv")
            print(f"figure {name} -> {pdf} (+ .png, .csv)", flush=True)
    except (InputError, KeyError, json.JSONDecodeError) as exc:
        return cli.fail("figures", exc)
    return 0


# --------------------------------------------------------------------------- numbers
def numbers_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading numbers", description="Write results/numbers.tex.")
    ap.add_argument("--analysis", required=True)
    ap.add_argument("--estimates", nargs="*", default=[])
    ap.add_argument("--audit", help="results/audit/cleaning.csv")
    ap.add_argument("--validation", help="results/estimates/validation.csv")
    ap.add_argument("--coverage", help="results/montecarlo/coverage.csv")
    ap.add_argument("--coverage-reference", help="coverage CSV of a Monte Carlo run made by hand")
    ap.add_argument("--linking-truth", help="results/audit/linking_truth.csv (synthetic only)")
    ap.add_argument("--capital", nargs=2, metavar=("RECOVERY", "BETA_K"),
                    help="results/estimates/capital_recovery.csv and capital_beta_k.csv")
    ap.add_argument("--crosscheck", help="results/estimates/crosscheck.csv")
    ap.add_argument("--production", help="results/tables/production_elasticities.csv with the truth (synthetic only)")
    ap.add_argument("--oracle", nargs=2, metavar=("ORACLE", "TRUTH"),
                    help="RAW/truth/oracle.json and parameters.json: the truth's cluster indicator and the "
                         "structural interaction's estimand parts (synthetic only)")
    ap.add_argument("--settings", required=True, help="exhibits settings as JSON or @FILE")
    ap.add_argument("--data-source", required=True, choices=["synthetic", "asif"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import pandas as pd
    import pyarrow.parquet as pq

    from upgrading.core import io
    from upgrading.exhibits import numbers

    try:
        settings = read_json_option(args.settings, "--settings")
        have = set(pq.read_schema(args.analysis).names)
        analysis = _read_analysis(args.analysis, numbers.analysis_columns(have))
        files = {flag: (path, pd.read_csv(path)) for flag in
                 ("audit", "validation", "coverage", "coverage_reference", "linking_truth", "crosscheck",
                  "production")
                 if (path := getattr(args, flag))}
        if args.capital:
            files["capital"] = (args.capital, [pd.read_csv(p) for p in args.capital])
        if args.oracle:
            files["oracle"] = (args.oracle[0], read_json_option(f"@{args.oracle[0]}", "--oracle"))
            files["truth"] = (args.oracle[1], read_json_option(f"@{args.oracle[1]}", "--oracle"))
        out, sources = numbers.collect(analysis, args.analysis, _read_estimates(args.estimates),
                                       args.estimates, settings, args.data_source, files)
        text = numbers.render(out, header=f"data source: {args.data_source}",
                              sources={k: v for k, v in sources.items() if k in out})
    except (InputError, KeyError, ValueError, json.JSONDecodeError) as exc:
        return cli.fail("numbers", exc)
    io.write_text(text, args.out)
    print(f"numbers: {len(out)} macros -> {args.out}")
    return 0


def coverage_table_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading coverage-table",
                                 description="Write the Monte Carlo coverage table (CRV1, CRV3, WCR).")
    ap.add_argument("--coverage", required=True, help="results/montecarlo/coverage.csv")
    ap.add_argument("--labels", default="{}", help="term labels as JSON or @FILE")
    ap.add_argument("--label", default="tab:coverage", help="the table's LaTeX label")
    ap.add_argument("--run-note", default="", help="a sentence that ends the notes (LaTeX)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import pandas as pd

    from upgrading.core import io
    from upgrading.exhibits import coverage_table

    try:
        try:
            cov = pd.read_csv(args.coverage)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the coverage table: {exc}", file=args.coverage) from exc
        text = coverage_table.render(cov, read_json_option(args.labels, "--labels"), source=args.coverage,
                                     label=args.label, run_note=args.run_note)
    except (InputError, ValueError, json.JSONDecodeError) as exc:
        return cli.fail("coverage-table", exc)
    io.write_text(text, args.out)
    print(f"coverage-table: {len(cov)} rows -> {args.out}")
    return 0


def summary_stats_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading summary-stats",
                                 description="Summary statistics of the estimation sample, by ownership (LaTeX + CSV).")
    ap.add_argument("--analysis", required=True, help="analysis table (parquet)")
    ap.add_argument("--plan", required=True, help="summary plan as JSON or @FILE (from exhibits.plan.summary)")
    ap.add_argument("--out-tex", required=True)
    ap.add_argument("--out-csv", required=True)
    args = ap.parse_args(argv)
    from upgrading.core import io
    from upgrading.exhibits import summary_stats

    try:
        plan = read_json_option(args.plan, "--plan")
        if not Path(args.analysis).is_file():
            raise InputError("analysis table not found", file=args.analysis)
        analysis = _read_analysis(args.analysis, summary_stats.needed_columns(plan))
        tex, csv = summary_stats.render(analysis, plan, args.analysis)
    except (InputError, KeyError, json.JSONDecodeError) as exc:
        return cli.fail("summary-stats", exc)
    io.write_text(tex, args.out_tex)
    io.write_csv(csv, args.out_csv)
    print(f"summary-stats: {len(csv)} rows -> {args.out_tex}")
    return 0


# --------------------------------------------------------------------------- exhibit map
def exhibit_map_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading exhibit-map",
                                 description="Write results/exhibits.csv (AEA list of tables and programs).")
    ap.add_argument("--tables", required=True, help="JSON {table_id: {families, spec}}, or @FILE")
    ap.add_argument("--figures", required=True, help="figure plan JSON, or @FILE")
    ap.add_argument("--paper", required=True)
    ap.add_argument("--results", default="results")
    ap.add_argument("--analysis", default="data/processed/analysis.parquet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--out-md", help="the same list as a Markdown table (README)")
    ap.add_argument("--trail", help="RESULTS/trail.json (the DAG's jobs): chains back to the raw files")
    ap.add_argument("--settings", default="{}", help="the exhibits settings the numbers rule uses (JSON, or @FILE)")
    args = ap.parse_args(argv)
    from upgrading.core import io
    from upgrading.exhibits import exhibit_map
    from upgrading.exhibits.trail import Trail

    try:
        trail = Trail.read(args.trail) if args.trail else None
        df = exhibit_map.from_plans(read_json_option(args.tables, "--tables"), read_json_option(args.figures, "--figures"),
                                    Path(args.paper).read_text(encoding="utf-8"), args.results,
                                    args.analysis, read_json_option(args.settings, "--settings"), trail)
    except (InputError, KeyError, OSError, json.JSONDecodeError) as exc:
        return cli.fail("exhibit-map", exc)
    io.write_csv(df, args.out)
    if args.out_md:
        io.write_text(exhibit_map.to_markdown(df), args.out_md)
    print(f"exhibit map: {len(df)} rows -> {args.out}")
    return 0


# --------------------------------------------------------------------------- specs appendix
def specs_appendix_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading specs-appendix",
                                 description="Registry appendix table and the list of unplaced exhibits.")
    ap.add_argument("--specs", required=True)
    ap.add_argument("--paper", required=True)
    ap.add_argument("--tables", required=True, help="JSON list of registry table ids, or @FILE")
    ap.add_argument("--figures", required=True, help="figure plan JSON, or @FILE")
    ap.add_argument("--titles", default="{}", help="JSON {table id: title}, or @FILE: families are headed as their tables")
    ap.add_argument("--labels", default="{}", help="exhibits.labels as JSON or @FILE (reader names)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--out-additional", required=True)
    args = ap.parse_args(argv)
    from upgrading.core import io, registry
    from upgrading.exhibits import exhibit_map, specs_appendix

    try:
        spec = registry.load(args.specs)
        fams = [registry.resolve_family(spec, f, source=args.specs) for f in registry.family_ids(spec)]
        paper = Path(args.paper).read_text(encoding="utf-8")
        tex = specs_appendix.render(fams, spec.get("samples") or {}, read_json_option(args.labels, "--labels"),
                                    read_json_option(args.titles, "--titles"), paper)
        add = exhibit_map.additional_exhibits_tex(read_json_option(args.tables, "--tables"), read_json_option(args.figures, "--figures"),
                                                  paper)
    except (InputError, KeyError, OSError, json.JSONDecodeError) as exc:
        return cli.fail("specs-appendix", exc)
    io.write_text(tex, args.out)
    io.write_text(add, args.out_additional)
    print(f"specs appendix: {sum(len(f['models']) for f in fams)} models in {len(fams)} families")
    return 0


# --------------------------------------------------------------------------- manifest
def manifest_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading manifest", description="Write results/manifest.json.")
    ap.add_argument("--inputs", nargs="+", required=True, help="raw input files or directories")
    ap.add_argument("--outputs", nargs="*", default=[], help="output files or directories")
    ap.add_argument("--chain-of", nargs="*", default=[], metavar="FILE",
                    help="also every file the DAG makes on the way to these (read from --trail), "
                         "except the raw folders")
    ap.add_argument("--trail", help="RESULTS/trail.json (the DAG's jobs), for --chain-of")
    ap.add_argument("--config-yaml", default="{}",
                    help="the run's configuration as YAML text, or @FILE naming a YAML file")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    from upgrading.core import io
    from upgrading.exhibits import manifest
    from upgrading.exhibits.trail import Trail

    try:
        config_yaml, _ = read_text_option(args.config_yaml, "--config-yaml")
        outputs = list(args.outputs)
        if args.chain_of:
            if not args.trail:
                raise ValueError("--chain-of needs --trail")
            outputs += manifest.chain_outputs(Trail.read(args.trail), args.chain_of)
        m = manifest.build(args.inputs, sorted(set(outputs)), config_yaml, root=os.getcwd())
    except (FileNotFoundError, ValueError, InputError) as exc:
        return cli.fail("manifest", exc)
    io.write_json(m, args.out)
    print(f"manifest: {len(m['inputs'])} inputs, {len(m['outputs'])} outputs -> {args.out}")
    return 0


# --------------------------------------------------------------------------- audit
def audit_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="upgrading audit",
        description="Print the chain of one number, table cell, figure point, exhibit or file back to the "
                    "raw files (from RESULTS/trail.json, the DAG's jobs).")
    ap.add_argument("--trail", default="results/trail.json")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--number", help=r"a macro of numbers.tex, e.g. \FIEShareOutput")
    what.add_argument("--table", help="a table id (results/tables/ID.csv); with --row and --column")
    what.add_argument("--figure", help="a figure name; with --point FAMILY/MODEL/TERM for an estimate")
    what.add_argument("--exhibit", help='a row of results/exhibits.csv, e.g. "Table 2" or "In-text numbers"')
    what.add_argument("--file", help="any file of the DAG")
    ap.add_argument("--row", help="table row: the term (e.g. backward) or the row label")
    ap.add_argument("--column", help="table column: its number, e.g. 2 for (2)")
    ap.add_argument("--point", help="figure point: FAMILY/MODEL/TERM of the plotted estimate")
    args = ap.parse_args(argv)
    import pandas as pd

    from upgrading.exhibits import trail as tr

    try:
        trail = tr.Trail.read(args.trail)
        r = trail.results_dir
        out: list[str] = []
        if args.number:
            numbers_file = f"{r}/numbers.tex"
            value, source, detail = tr.number_source(Path(numbers_file).read_text(encoding="utf-8"), args.number)
            out += [f"\\{args.number.lstrip(chr(92))} = {value}", f"  in {numbers_file} (rule numbers)",
                    f"  from {source}: {detail}", ""]
            target = source if trail.producer(source) or Path(source).is_file() else numbers_file
        elif args.table:
            csv = f"{r}/tables/{args.table}.csv"
            if not Path(csv).is_file():
                raise InputError("no such table (build it first)", file=csv)
            target = csv
            if args.row or args.column:
                out += _table_cell(pd.read_csv(csv, dtype=str).fillna(""), csv, args.row, args.column, r)
        elif args.figure:
            job = next((j for j in trail.jobs if f"{r}/figures/{args.figure}.pdf" in j["outputs"]), None)
            if job is None:
                raise InputError(f"no figure {args.figure!r} in the DAG", file=args.trail)
            target = f"{r}/figures/{args.figure}.pdf"
            if args.point:
                out += _figure_point(job, args.point, args.figure)
        elif args.exhibit:
            df = pd.read_csv(f"{r}/exhibits.csv", dtype=str).fillna("")
            row = df[df["exhibit"].str.lower() == args.exhibit.lower()]
            if row.empty:
                raise InputError(f"no exhibit {args.exhibit!r}; exhibits: {', '.join(df['exhibit'])}",
                                 file=f"{r}/exhibits.csv")
            rec = row.iloc[0]
            out += [f"{k}: {rec[k]}" for k in ("exhibit", "title", "spec") if k in rec] + [""]
            target = rec["output"].split(";")[0]
        else:
            target = args.file
        out.append(tr.chain_text(trail, target))
    except (InputError, OSError, KeyError) as exc:
        return cli.fail("audit", exc)
    print("\n".join(out))
    return 0


def _estimate_row(path: str, family: str, model: str, term: str) -> list[str]:
    """The tidy-estimates row a cell or point shows, read from the file the DAG made."""
    import pandas as pd

    est = pd.read_parquet(path)
    rows = est[(est["family"].astype(str) == family) & (est["model"].astype(str) == model)
               & (est["term"].astype(str) == term)]
    if rows.empty:
        raise InputError(f"no estimate row family={family}, model={model}, term={term}", file=path)
    rec = rows.iloc[0]
    cols = [c for c in ("estimate", "std_error", "p_value", "nobs", "fixed_effects", "vcov", "sample", "engine")
            if c in rec.index]
    return [f"  estimate row: {path}: family={family}, model={model}, term={term}",
            "    " + ", ".join(f"{c}={rec[c]}" for c in cols)]


def _table_cell(df, csv: str, row: str | None, column: str | None, results: str) -> list[str]:
    if not (row and column):
        raise InputError("a table cell needs both --row (term or label) and --column (number)", file=csv)
    col = column if column.startswith("(") else f"({column})"
    if col not in df.columns:
        raise InputError(f"no column {col}; columns: {', '.join(c for c in df.columns if c.startswith('('))}",
                         file=csv)
    hits = df[((df["term"] == row) | (df["row"] == row)) & (df["kind"] != "se")]
    if hits.empty:
        raise InputError(f"no row {row!r} (terms: {', '.join(t for t in df['term'].unique() if t)})", file=csv)
    rec = hits.iloc[0]
    family, _, model = df.loc[df["row"] == "model", col].iloc[0].partition("/")
    lines = [f"table cell {csv}: row {rec['row']!r}, column {col} = {rec[col]}",
             f"  model: config/specs.yaml family {family}, model {model}"]
    if rec["term"]:
        lines += _estimate_row(f"{results}/estimates/{family}.parquet", family, model, rec["term"])
    return lines + [""]


def _figure_point(job: dict, point: str, figure: str) -> list[str]:
    parts = point.split("/")
    if len(parts) != 3:
        raise InputError(f"--point is FAMILY/MODEL/TERM, not {point!r}")
    family, model, term = parts
    path = next((f for f in job["inputs"] if Path(f).name == f"{family}.parquet"), None)
    if path is None:
        raise InputError(f"figure {figure}: family {family} is not among its inputs "
                         f"({', '.join(Path(f).name for f in job['inputs'])})")
    return [f"figure {figure}: point {point}"] + _estimate_row(path, family, model, term) + [""]
