"""CLI behaviour: outputs written atomically; bad input exits 1 naming file and column, writing nothing."""

from __future__ import annotations

import json

import pandas as pd

from upgrading.exhibits import cli

from .fixture_data import FIXTURES, LABELS

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
