"""CLI of the exhibits stage: `upgrading table|figures|numbers|exhibit-map|specs-appendix|manifest`.

Each *_main(argv) parses its arguments, reads its inputs, writes its outputs
atomically (upgrading.io) and returns an exit code; bad input exits 1 with a
message naming the file, column and rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from upgrading.errors import InputError


def _fail(step: str, exc: Exception) -> int:
    print(f"upgrading {step}: error: {exc}", file=sys.stderr)
    return 1


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
    ap.add_argument("--spec", required=True, help="table plan as JSON (from exhibits.plan.tables)")
    ap.add_argument("--out-tex", required=True)
    ap.add_argument("--out-csv", required=True)
    args = ap.parse_args(argv)
    from upgrading import io
    from upgrading.exhibits import tables

    try:
        plan = json.loads(args.spec)
        if plan["id"] != args.table:
            raise InputError(f"--spec is for table {plan['id']!r}, not {args.table!r}")
        spec = tables.TableSpec(
            id=plan["id"], title=plan["title"],
            columns=[tables.Column(**c) for c in plan["columns"]],
            labels=plan.get("labels") or {}, notes=plan.get("notes") or "",
            keep=plan.get("keep"), drop=plan.get("drop") or ["Intercept"],
            digits=int(plan.get("digits", 3)))
        est = _read_estimates(args.estimates)
        try:
            tex, csv = tables.render(est, spec)
        except InputError as exc:
            raise InputError(str(exc), file=",".join(args.estimates)) from exc
    except (InputError, KeyError, json.JSONDecodeError) as exc:
        return _fail("table", exc)
    io.write_text(tex, args.out_tex)
    io.write_csv(csv, args.out_csv)
    print(f"table {args.table}: {len(spec.columns)} columns -> {args.out_tex}")
    return 0


# --------------------------------------------------------------------------- figures
ANALYSIS_COLUMNS = ["firm_id", "year", "city", "region", "industry2", "ownership", "domestic",
                    "foreign_share", "output", "va_ratio", "location_quotient"]


def figures_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading figures", description="Draw every figure (PDF + PNG).")
    ap.add_argument("--analysis", required=True)
    ap.add_argument("--estimates", nargs="*", default=[])
    ap.add_argument("--validation", help="results/estimates/validation.csv (synthetic only)")
    ap.add_argument("--industries", help="RAW/industries.csv (industry names)")
    ap.add_argument("--plan", required=True, help="figure plan as JSON (from exhibits.plan.figures)")
    ap.add_argument("--outdir", required=True)
    args = ap.parse_args(argv)
    import pandas as pd

    from upgrading.exhibits import figures, style

    try:
        plan = json.loads(args.plan)
        labels = plan.get("labels") or {}
        analysis = _read_analysis(args.analysis, ANALYSIS_COLUMNS)
        est = _read_estimates(args.estimates)
        names = {}
        if args.industries:
            ind = pd.read_csv(args.industries)
            names = dict(zip(ind["industry2"].astype(int), ind["industry2_name"].astype(str)))
        made = {}
        made["foreign_presence"] = lambda: figures.foreign_presence(analysis)
        made["smile_curve"] = lambda: figures.smile_curve(analysis, names, plan["shock_year"])
        made["clusters"] = lambda: figures.clusters(analysis, plan["cluster_cities"])
        for key, entry in plan["registry"].items():
            pairs = {tuple(p) for p in entry["models"]}
            sub = est[[(f, m) in pairs for f, m in zip(est["family"], est["model"])]]
            if sub.empty:
                raise InputError(f"figure {key}: no estimates for models {sorted(pairs)}",
                                 file=",".join(args.estimates))
            if key == plan["event_figure"]:
                made[key] = lambda sub=sub: figures.event_study(sub, plan["event_ref_year"], plan["shock_year"])
            else:
                made[key] = lambda sub=sub, entry=entry: figures.coefficients(sub, entry["terms"], labels)
        term = plan["headline_term"]
        pairs = {tuple(p) for p in plan["curve_models"]}
        curve = est[[(f, m) in pairs for f, m in zip(est["family"], est["model"])]]
        if (curve["term"] == term).sum() == 0:
            raise InputError(f"spec curve: no estimate of term {term!r}", file=",".join(args.estimates),
                             column="term")
        made["spec_curve"] = lambda: figures.spec_curve(curve, term, labels.get(term, term))
        if "recovery" in plan["names"]:
            if not args.validation:
                raise InputError("the recovery figure needs --validation")
            val = pd.read_csv(args.validation)
            made["recovery"] = lambda: figures.recovery(val, labels)
        for name in plan["names"]:
            fig = made[name]()
            pdf, png = style.out_paths(args.outdir, name)
            style.savefig(fig, pdf, png)
            print(f"figure {name} -> {pdf}", flush=True)
    except (InputError, KeyError, json.JSONDecodeError) as exc:
        return _fail("figures", exc)
    return 0


# --------------------------------------------------------------------------- numbers
def numbers_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading numbers", description="Write results/numbers.tex.")
    ap.add_argument("--analysis", required=True)
    ap.add_argument("--estimates", nargs="*", default=[])
    ap.add_argument("--audit", help="results/audit/cleaning.csv")
    ap.add_argument("--validation", help="results/estimates/validation.csv")
    ap.add_argument("--coverage", help="results/montecarlo/coverage.csv")
    ap.add_argument("--crosscheck", help="results/estimates/crosscheck.csv")
    ap.add_argument("--settings", required=True, help="exhibits settings as JSON")
    ap.add_argument("--data-source", required=True, choices=["synthetic", "asif"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import pandas as pd

    from upgrading import io
    from upgrading.exhibits import numbers

    try:
        s = json.loads(args.settings)
        cols = ["firm_id", "year", "city", "industry2", "domestic", "output"]
        import pyarrow.parquet as pq
        have = set(pq.read_schema(args.analysis).names)
        cols += [c for c in ("horizontal", "backward", "forward", "va_ratio", "exporter", "encouraged")
                 if c in have]
        analysis = _read_analysis(args.analysis, cols)
        out = numbers.data_numbers(analysis, int(s.get("shock_year", 2002)))
        out.update(numbers.source_notice(args.data_source))
        if args.audit:
            out.update(numbers.audit_numbers(pd.read_csv(args.audit)))
        est = _read_estimates(args.estimates)
        src = ",".join(args.estimates)
        for fam in s.get("auto_numbers") or []:
            out.update(numbers.auto_estimate_numbers(est, fam, list(est["term"].astype(str).unique())))
        out.update(numbers.estimate_numbers(est, s.get("quotes") or {}, src))
        if args.validation:
            out.update(numbers.validation_numbers(pd.read_csv(args.validation)))
        if args.coverage:
            out.update(numbers.coverage_numbers(pd.read_csv(args.coverage)))
        if args.crosscheck:
            out.update(numbers.crosscheck_numbers(pd.read_csv(args.crosscheck)))
        text = numbers.render(out, header=f"data source: {args.data_source}")
    except (InputError, KeyError, ValueError, json.JSONDecodeError) as exc:
        return _fail("numbers", exc)
    io.write_text(text, args.out)
    print(f"numbers: {len(out)} macros -> {args.out}")
    return 0


def coverage_table_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading coverage-table",
                                 description="Write the Monte Carlo coverage table (CRV1, CRV3, WCR).")
    ap.add_argument("--coverage", required=True, help="results/montecarlo/coverage.csv")
    ap.add_argument("--labels", default="{}", help="term labels as JSON")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import pandas as pd

    from upgrading import io
    from upgrading.exhibits import coverage_table

    try:
        try:
            cov = pd.read_csv(args.coverage)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the coverage table: {exc}", file=args.coverage) from exc
        text = coverage_table.render(cov, json.loads(args.labels))
    except (InputError, ValueError, json.JSONDecodeError) as exc:
        return _fail("coverage-table", exc)
    io.write_text(text, args.out)
    print(f"coverage-table: {len(cov)} rows -> {args.out}")
    return 0


# --------------------------------------------------------------------------- exhibit map
def exhibit_map_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading exhibit-map",
                                 description="Write results/exhibits.csv (AEA list of tables and programs).")
    ap.add_argument("--tables", required=True, help="JSON {table_id: {families, spec}}")
    ap.add_argument("--figures", required=True, help="figure plan JSON")
    ap.add_argument("--paper", required=True)
    ap.add_argument("--results", default="results")
    ap.add_argument("--analysis", default="data/processed/analysis.parquet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--out-md", help="the same list as a Markdown table (README)")
    args = ap.parse_args(argv)
    from upgrading import io
    from upgrading.exhibits import exhibit_map

    try:
        tplan = json.loads(args.tables)
        fplan = json.loads(args.figures)
        paper_tex = Path(args.paper).read_text(encoding="utf-8")
        r = args.results
        tables = {t: {"title": p["spec"]["title"],
                      "inputs": [f"{r}/estimates/{f}.parquet" for f in p["families"]]}
                  for t, p in tplan.items()}
        tables["specs_appendix"] = {"title": "The specification registry (appendix)",
                                    "rule": "specs_appendix",
                                    "program": "upgrading specs-appendix (src/upgrading/exhibits/specs_appendix.py)",
                                    "inputs": ["config/specs.yaml"]}
        if "coverage" in exhibit_map.placed(paper_tex)[0]:
            tables["coverage"] = {"title": "Monte Carlo coverage of CRV1, CRV3 and WCR intervals (appendix)",
                                  "rule": "coverage_table",
                                  "program": "upgrading coverage-table (src/upgrading/exhibits/coverage_table.py)",
                                  "inputs": [f"{r}/montecarlo/coverage.csv"]}
        figs = {}
        for name in fplan["names"]:
            if name in fplan["registry"]:
                inputs = [f"{r}/estimates/{f}.parquet" for f in fplan["registry"][name]["families"]]
            elif name == "spec_curve":
                inputs = [f"{r}/estimates/{f}.parquet" for f in fplan["curve_families"]]
            elif name == "recovery":
                inputs = [f"{r}/estimates/validation.csv"]
            else:
                inputs = [args.analysis]
            figs[name] = {"title": fplan["titles"][name], "inputs": inputs}
        extras = [
            {"exhibit": "In-text numbers", "title": "Every number quoted in the text (LaTeX macros)",
             "rule": "numbers", "program": "upgrading numbers (src/upgrading/exhibits/numbers.py)",
             "inputs": f"{args.analysis};{r}/estimates/*.parquet;{r}/audit/cleaning.csv",
             "output": f"{r}/numbers.tex"},
            {"exhibit": "Paper", "title": "The article", "rule": "paper", "program": "latexmk (pdflatex, bibtex)",
             "inputs": f"paper/paper.tex;paper/references.bib;{r}/tables/*.tex;{r}/figures/*.pdf;{r}/numbers.tex",
             "output": "paper/paper.pdf"},
        ]
        df = exhibit_map.build(tables, figs, paper_tex, r, extras)
    except (InputError, KeyError, OSError, json.JSONDecodeError) as exc:
        return _fail("exhibit-map", exc)
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
    ap.add_argument("--tables", required=True, help="JSON list of registry table ids")
    ap.add_argument("--figures", required=True, help="figure plan JSON")
    ap.add_argument("--out", required=True)
    ap.add_argument("--out-additional", required=True)
    args = ap.parse_args(argv)
    from upgrading import io
    from upgrading.analysis import registry
    from upgrading.exhibits import exhibit_map, specs_appendix
    from upgrading.exhibits.latex import escape

    try:
        spec = registry.load(args.specs)
        fams = [registry.resolve_family(spec, f, source=args.specs) for f in registry.family_ids(spec)]
        tex = specs_appendix.render(fams, spec.get("samples") or {})
        paper_tables, paper_figures = exhibit_map.placed(Path(args.paper).read_text(encoding="utf-8"))
        add, _ = exhibit_map.additional_tables_tex(json.loads(args.tables), paper_tables)
        fplan = json.loads(args.figures)
        for name in fplan["names"]:
            if name not in paper_figures:
                add += (r"\begin{figure}[htbp]\centering"
                        rf"\includegraphics[width=\linewidth]{{figures/{name}.pdf}}"
                        rf"\caption{{{escape(fplan['titles'][name])}}}\label{{fig:{name}}}\end{{figure}}" "\n")
    except (InputError, KeyError, OSError, json.JSONDecodeError) as exc:
        return _fail("specs-appendix", exc)
    io.write_text(tex, args.out)
    io.write_text(add, args.out_additional)
    print(f"specs appendix: {sum(len(f['models']) for f in fams)} models in {len(fams)} families")
    return 0


# --------------------------------------------------------------------------- manifest
def manifest_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="upgrading manifest", description="Write results/manifest.json.")
    ap.add_argument("--inputs", nargs="+", required=True, help="raw input files or directories")
    ap.add_argument("--outputs", nargs="+", required=True, help="output files or directories")
    ap.add_argument("--config-yaml", default="{}", help="the run's configuration as YAML text")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    from upgrading import io
    from upgrading.exhibits import manifest

    try:
        m = manifest.build(args.inputs, args.outputs, args.config_yaml, root=os.getcwd())
    except (FileNotFoundError, ValueError) as exc:
        return _fail("manifest", exc)
    io.write_json(m, args.out)
    print(f"manifest: {len(m['inputs'])} inputs, {len(m['outputs'])} outputs -> {args.out}")
    return 0
