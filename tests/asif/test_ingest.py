"""Ingest on hand-made raw files: encodings, formats, header map, and every bad input."""

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
import tiny

from upgrading.asif import headers as hdr
from upgrading.asif.cli import ingest_main

FIELDS = hdr.load_header_map("config/asif_headers.yaml")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    tiny.write_tiny(d)
    return d


def run_ingest(raw_dir, tmp_path, years="1998-2000"):
    out, audit = tmp_path / "ing.parquet", tmp_path / "ing.csv"
    code = ingest_main(["--raw-dir", str(raw_dir), "--years", years, "--out", str(out),
                        "--audit", str(audit)])
    return code, out, audit


def copy_raw(raw, tmp_path):
    d = tmp_path / "raw"
    shutil.copytree(raw, d)
    return d


def test_ingest_reads_encodings_and_keeps_trace(raw, tmp_path):
    code, out, audit = run_ingest(raw, tmp_path)
    assert code == 0
    data = pd.read_parquet(out)
    assert len(data) == 27
    assert list(pd.read_csv(audit)["encoding"]) == ["utf-8", "utf-8-sig", "gbk/gb18030"]
    # leading zeros kept, Chinese text decoded from GBK, 1-based rows
    assert data["legal_id"].iloc[0] == "000000000"
    assert data.loc[data["year"] == 2000, "name"].iloc[0] == "企业A有限公司"
    assert data.groupby("year")["source_row"].agg(["min", "max"]).to_numpy().tolist() == [[1, 9]] * 3
    assert data["source_file"].iloc[-1] == "asif_2000"  # the file name without its format extension
    assert data["year"].dtype == "int16"
    assert data["output"].dtype == "float64" and data["output"].iloc[0] == 1000.0
    assert data["rd"].isna().all()  # empty cells are missing, not zero


def test_gzip_and_parquet_formats(raw, tmp_path):
    d = copy_raw(raw, tmp_path)
    (d / "asif_1998.csv.gz").write_bytes(gzip.compress((d / "asif_1998.csv").read_bytes(), mtime=0))
    (d / "asif_1998.csv").unlink()
    pd.read_csv(d / "asif_1999.csv", dtype=str, encoding="utf-8-sig").to_parquet(d / "asif_1999.parquet")
    (d / "asif_1999.csv").unlink()
    # Stata: numbers stored as numbers (so the legal ID loses its leading zeros there)
    dta = pd.read_csv(d / "asif_2000.csv", dtype=str, keep_default_na=False, encoding="gbk")
    for c in dta.columns:
        try:
            dta[c] = pd.to_numeric(dta[c])
        except ValueError:
            pass
    with pytest.warns(Warning):  # Stata renames "(千元)" headers to "_千元_"; ingest maps both
        dta.to_stata(d / "asif_2000.dta", version=118, write_index=False)
    (d / "asif_2000.csv").unlink()
    code, out, audit = run_ingest(d, tmp_path)
    assert code == 0
    assert list(pd.read_csv(audit)["format"]) == ["csv.gz", "parquet", "dta"]
    ref_code, ref_out, _ = run_ingest(raw, tmp_path / "ref")
    got, ref = pd.read_parquet(out), pd.read_parquet(ref_out)
    assert list(got.loc[got.year == 2000, "legal_id"])[:2] == ["0", "991234567"]
    pd.testing.assert_frame_equal(got.drop(columns=["source_file", "legal_id"]),
                                  ref.drop(columns=["source_file", "legal_id"]))


def test_header_map_spellings_and_suggestions():
    plan = hdr.map_headers(["法人代码"], {"legal_id": FIELDS["legal_id"]}, "f")
    assert [(c.header, c.variable) for c in plan.columns] == [("法人代码", "legal_id")]
    # full-width brackets and blanks are the same spelling
    idx = hdr.spelling_index(FIELDS)
    assert idx[hdr.normalise("工业总产值（当年价格）")][0] == "output"
    assert idx[hdr.normalise(" 资产总计 ")][0] == "total_assets"
    with pytest.raises(hdr.InputError, match="closest unmapped header.*工业总产值当年价"):
        hdr.map_headers(["工业总产值当年价", "邮政编码"], {"output": FIELDS["output"]}, "f.csv")


def test_every_canonical_key_has_a_kind_and_spellings():
    contract = ["legal_id", "name", "representative", "phone", "region_code", "industry_code",
                "main_product", "reg_type", "founding_year", "output", "output_constant_price",
                "value_added", "exports",
                "new_product", "employment", "intermediate", "fixed_assets", "net_fixed_assets",
                "original_fixed_assets", "depreciation_current", "depreciation_accumulated",
                "total_assets", "current_assets", "paid_in_capital", "capital_state",
                "capital_collective", "capital_legal", "capital_individual", "capital_hmt",
                "capital_foreign", "wage_bill", "sales", "operating_revenue", "profit", "rd"]
    assert list(FIELDS) == contract


def _rewrite_1999(d, fn):
    text = (d / "asif_1999.csv").read_bytes().decode("utf-8-sig")
    (d / "asif_1999.csv").write_bytes(fn(text))


BAD_INPUTS = {
    "missing_required": (lambda t: "\n".join(",".join(line.split(",")[1:]) for line in t.split("\n")).encode(),
                         ["asif_1999.csv", "missing required", "legal_id"]),
    "text_in_numeric": (lambda t: t.replace("\n", "\n", 2).replace(",50,", ",fifty,", 1).encode(),
                        ["asif_1999.csv", "row(s) 1", "not numbers", "'fifty'"]),
    "truncated": (lambda t: t.rstrip("\n")[:-40].encode(),
                  ["asif_1999.csv", "truncated", "row 9"]),
    "truncated_in_quote": (lambda t: (t.rstrip("\n") + ',"企业').encode(),
                           ["asif_1999.csv", "truncated", "row(s) 9"]),
    "empty": (lambda t: b"", ["asif_1999.csv", "empty file"]),
    "header_only": (lambda t: t.split("\n")[0].encode() + b"\n", ["asif_1999.csv", "no data rows"]),
    "utf16": (lambda t: t.encode("utf-16"), ["asif_1999.csv", "UTF-16"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_one_clear_error_no_output(case, raw, tmp_path, capsys):
    fn, expected = BAD_INPUTS[case]
    d = copy_raw(raw, tmp_path)
    _rewrite_1999(d, fn)
    code, out, audit = run_ingest(d, tmp_path)
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("error:") == 1
    for piece in expected:
        assert piece in err, (piece, err)
    assert not out.exists() and not audit.exists()


def test_missing_year_file(raw, tmp_path, capsys):
    code, out, _ = run_ingest(raw, tmp_path, years="1998-2001")
    err = capsys.readouterr().err
    assert code != 0 and "no raw file for year 2001" in err and "asif_2001.csv" in err
    assert not out.exists()
