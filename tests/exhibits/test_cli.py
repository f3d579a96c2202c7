"""CLI behaviour: outputs written atomically; bad input exits 1 naming file and column, writing nothing."""

from __future__ import annotations

import json

import pandas as pd

from upgrading.exhibits import cli

from .builders import FIXTURES, LABELS

SPEC = {"id": "baseline", "title": "Baseline", "labels": LABELS,
        "columns": [{"family": "baseline", "model": "firm_year", "header": ""}]}


def _parquet(tmp_path, df, name="baseline.parquet"):
    path = tmp_path / name
    df.to_parquet(path, index=False)
    return str(path)


def test_table_cli_writes_tex_and_csv(tmp_path):
    est = _parquet(tmp_path, pd.read_csv(FIXTURES / "estimates_baseline.csv"))
    tex, csv = tmp_path / "t/baseline.tex", tmp_path / "t/baseline.csv"
    assert cli.table_main(["--table", "baseline", "--estimates", est, "--spec", json.dumps(SPEC),
                           "--out-tex", str(tex), "--out-csv", str(csv)]) == 0
    assert r"\label{tab:baseline}" in tex.read_text() and csv.read_text().startswith("row,kind,term,(1)")


def test_table_cli_bad_input_names_file_and_column(tmp_path, capsys):
    est = _parquet(tmp_path, pd.read_csv(FIXTURES / "estimates_baseline.csv").drop(columns="std_error"))
    tex = tmp_path / "t/baseline.tex"
    rc = cli.table_main(["--table", "baseline", "--estimates", est, "--spec", json.dumps(SPEC),
                         "--out-tex", str(tex), "--out-csv", str(tmp_path / "t/baseline.csv")])
    err = capsys.readouterr().err
    assert rc == 1 and "baseline.parquet" in err and "'std_error'" in err
    assert not tex.exists() and not (tmp_path / "t").exists()


def test_table_cli_unknown_model(tmp_path, capsys):
    est = _parquet(tmp_path, pd.read_csv(FIXTURES / "estimates_baseline.csv"))
    spec = {**SPEC, "columns": [{"family": "baseline", "model": "missing", "header": ""}]}
    rc = cli.table_main(["--table", "baseline", "--estimates", est, "--spec", json.dumps(spec),
                         "--out-tex", str(tmp_path / "x.tex"), "--out-csv", str(tmp_path / "x.csv")])
    assert rc == 1 and "model 'missing'" in capsys.readouterr().err


def test_numbers_cli_missing_analysis_column(tmp_path, capsys, analysis):
    path = _parquet(tmp_path, analysis.drop(columns="domestic"), "analysis.parquet")
    out = tmp_path / "numbers.tex"
    rc = cli.numbers_main(["--analysis", path, "--settings", "{}", "--data-source", "synthetic",
                           "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "analysis.parquet" in err and "'domestic'" in err and not out.exists()


def test_numbers_tex_names_the_source_of_every_macro(tmp_path, analysis):
    """Each macro line carries `% source: FILE: column or estimate row`."""
    import re

    from upgrading.exhibits.trail import number_source

    est = _parquet(tmp_path, pd.read_csv(FIXTURES / "estimates_baseline.csv"))
    ana = _parquet(tmp_path, analysis, "analysis.parquet")
    audit = tmp_path / "cleaning.csv"
    pd.DataFrame({"rule": ["a", "b"], "dropped": [5, 3], "rows_left": [95, 92]}).to_csv(audit, index=False)
    cross = tmp_path / "crosscheck.csv"
    pd.DataFrame({"family": ["baseline"], "coef_rel_diff": [1e-9], "se_abs_diff": [1e-7]}).to_csv(cross, index=False)
    cov = tmp_path / "coverage.csv"
    pd.DataFrame({"outcome": ["pipeline"], "family": ["baseline"], "model": ["firm_year"], "term": ["backward"],
                  "coverage": [0.95], "draws": [8], "bias": [0.01],
                  "mcse_crv1": [(0.95 * 0.05 / 8) ** 0.5]}).to_csv(cov, index=False)
    settings = {"auto_numbers": ["baseline"], "shock_year": 2002,
                "quotes": {"HeadlineBackward": {"family": "baseline", "model": "firm_year", "term": "backward"}}}
    out = tmp_path / "numbers.tex"
    assert cli.numbers_main(["--analysis", ana, "--estimates", est, "--audit", str(audit),
                             "--crosscheck", str(cross), "--coverage", str(cov),
                             "--settings", json.dumps(settings), "--data-source", "synthetic",
                             "--out", str(out)]) == 0
    text = out.read_text()
    macros = [line for line in text.splitlines() if line.startswith(r"\newcommand")]
    assert len(macros) > 30
    assert all(re.search(r"\}% source: \S", line) for line in macros), [m for m in macros if "source" not in m]
    assert number_source(text, r"\FIEShareOutput")[1:] == (
        ana, "output-weighted share of rows with domestic false (columns domestic, output)")
    value, file, what = number_source(text, "HeadlineBackward")
    assert file == est and what == "row family=baseline, model=firm_year, term=backward; column estimate"
    assert number_source(text, "CleanRows")[1:] == (str(audit), "rows_left of the last rule")
    assert number_source(text, "CoveragePipelineBaselineFirmYearBackward")[1].endswith("coverage.csv")
