"""Ingest on hand-made raw files: encodings, formats, header map, and every bad input."""

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from upgrading.asif import headers as hdr
from upgrading.asif.cli import ingest_main

from . import builders

FIELDS = hdr.load_header_map("config/asif_headers.yaml")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    builders.make_raw_files(d)
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
    "unknown_reg_type_name": (lambda t: t.replace(",171,", ",外星企业,", 1).encode(),
                              ["asif_1999.csv", "登记注册类型", "row(s) 1", "外星企业", "labels"]),
    "letter_o_in_number": (lambda t: t.replace(",50,", ",5O,", 1).encode(),
                           ["asif_1999.csv", "row(s) 1", "not numbers", "'5O'"]),
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


# --- real-file traits -------------------------------------------------------------------

SHARED_CHECK = Path(__file__).resolve().parents[2].parent / "shared" / "asif-real-layout-check.tsv"
# Spellings of the shared notes that are other quantities than the variable they were filed
# under: they stay unmapped or map to their own variable.
OTHER_QUANTITY = {"企业匹配唯一标识码": None, "工业企业标识码": None, "长途区号": None, "dq": None,
                  "开业时间（月）": None, "资产总计318": None, "主营业务应付工资总额": None,
                  "营业利润": None, "工业总产值（不变价）": "output_constant_price",
                  "营业收入合计(千元)": "operating_revenue", "营业收入合计千元": "operating_revenue",
                  "全年营业收入合计": "operating_revenue", "营业收入": "operating_revenue"}


@pytest.mark.skipif(not SHARED_CHECK.exists(), reason="../shared notes absent")
def test_every_spelling_of_the_shared_notes_maps():
    rows = [line.split("\t") for line in SHARED_CHECK.read_text(encoding="utf-8").splitlines()[1:]]
    rows = [r for r in rows if len(r) >= 4 and r[0] in FIELDS | {"original_fixed_assets": 0}]
    assert len(rows) > 150
    for var, spelling, *_ in rows:
        got = hdr.plan_headers([spelling], FIELDS, "f").columns[0].variable
        assert got == OTHER_QUANTITY.get(spelling, var), (spelling, var, got)


@pytest.mark.parametrize("header, variable, unit", [
    ("工业产值现", "output", ""), ("全部职工", "employment", ""), ("固资净年余", "net_fixed_assets", ""),
    ("省地代码", "region_code", ""), ("行政区码", "region_code", ""), ("其中：出口交货值(千元)", "exports", "千元"),
    ("工业总产值_当年价格千元", "output", "千元"), ("工业总产值现价万元", "output", "万元"),
    ("frdm", "legal_id", ""), ("GYZCZXJXGD", "output", ""), ("cyrs", "employment", ""),
    ("　资产总计 （千元）", "total_assets", "千元"), ("_固定资产原价", "original_fixed_assets", ""),
    ("工业总产值_不变价(千元)", "output_constant_price", "千元"), ("营业收入合计(千元)", "operating_revenue", "千元"),
])
def test_real_spellings_and_units(header, variable, unit):
    col = hdr.plan_headers([header], FIELDS, "f").columns[0]
    assert (col.variable, col.unit) == (variable, unit)
    assert col.factor == {"": 1.0, "千元": 1.0, "万元": 10.0}[unit]


def _frame_file(d, year, frame, fmt="csv", encoding="utf-8"):
    if fmt == "csv":
        (d / f"asif_{year}.csv").write_bytes(frame.to_csv(index=False).encode(encoding))
    elif fmt == "parquet":
        frame.to_parquet(d / f"asif_{year}.parquet")
    return d


def _tiny_frame(year=1998):
    rows = [r for _, r in builders.rows_for_year(year)]
    return pd.DataFrame(rows).rename(columns={n: FIELDS[n].spellings[0] for n in rows[0]})


def test_unmapped_columns_are_listed_not_errors(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    frame = _tiny_frame()
    frame["邮政编码"] = ["518000"] * 5 + [""] * (len(frame) - 5)
    frame["隶属关系"] = "10"
    _frame_file(d, 1998, frame)
    cols = tmp_path / "cols.csv"
    assert ingest_main(["--raw-dir", str(d), "--years", "1998", "--out", str(tmp_path / "o.parquet"),
                        "--audit", str(tmp_path / "a.csv"), "--columns-audit", str(cols)]) == 0
    audit = pd.read_csv(cols, keep_default_na=False)
    un = audit[audit["role"] == "unmapped"].set_index("column")
    assert list(un.index) == ["邮政编码", "隶属关系"]
    assert un.loc["邮政编码", "share_nonmissing"] == pytest.approx(5 / len(frame))
    assert len(audit) == frame.shape[1]  # every raw column has one audit row
    files = pd.read_csv(tmp_path / "a.csv")
    assert files.loc[0, "rows_read"] == files.loc[0, "rows_written"] == len(frame)
    assert files.loc[0, "columns_unmapped"] == 2
    assert len(pd.read_parquet(tmp_path / "o.parquet")) == len(frame)


def test_preferred_column_fills_and_disagreement_counted(tmp_path):
    from upgrading.asif.ingest import harmonise
    from upgrading.asif.readers import RawTable

    frame = _tiny_frame().drop(columns=["全部从业人员年平均人数人"])
    n = len(frame)
    frame["年末从业人员合计人"] = [str(60 + i) for i in range(n)]
    frame["全部从业人员年平均人数"] = [str(60 + i) if i % 3 else "" for i in range(n)]
    frame.loc[1, "全部从业人员年平均人数"] = "999"
    raw = RawTable(frame, "f.csv", "csv", "utf-8")
    plan = hdr.map_headers(list(frame.columns), FIELDS, "f.csv")
    assert [c.header for c in plan.by_variable["employment"]] == ["全部从业人员年平均人数", "年末从业人员合计人"]
    data, audit = harmonise(raw, plan, FIELDS, 1998)
    emp = data["employment"].tolist()
    assert emp[0] == 60 and emp[1] == 999 and emp[2] == 62  # missing annual average filled
    alt = next(r for r in audit if r["role"] == "alternative")
    assert alt["rows_filled"] == len([i for i in range(n) if i % 3 == 0])
    assert alt["rows_compared"] == n - alt["rows_filled"] and alt["rows_disagree"] == 1


def test_values_as_they_come(tmp_path):
    from upgrading.asif.ingest import coerce_column

    reg = FIELDS["reg_type"]
    names = pd.Series(["国有企业", "合资经营企业（港或澳、台资）", "合资经营企业(港或澳台资)", "港澳台独资企业",
                       "外资（独资）企业", "310", None], dtype="string")
    codes, notes = coerce_column(names, reg, "f", "登记注册类型")
    assert codes.tolist()[:6] == [110, 210, 210, 230, 330, 310] and pd.isna(codes.iloc[6])
    assert notes == {"names_read_as_codes": 5}
    with pytest.raises(hdr.InputError, match=r"row\(s\) 2.*外星企业"):
        coerce_column(pd.Series(["110", "外星企业"], dtype="string"), reg, "f", "登记注册类型")
    region = FIELDS["region_code"]
    for col in (pd.Series(["440305", "440305123456", None], dtype="string"),
                pd.Series([440305.0, 440305123456.0, float("nan")])):
        got, _ = coerce_column(col, region, "f", "行政区代码")
        assert got.tolist()[:2] == ["440305", "440305"] and pd.isna(got.iloc[2])
    money = FIELDS["output"]
    got, notes = coerce_column(pd.Series(["123.45", "0.01", "", "1e3"], dtype="string"), money, "f", "x万元", 10.0)
    assert got.tolist()[:2] == [1234.5, 0.1] and pd.isna(got.iloc[2]) and got.iloc[3] == 10000.0
    assert notes == {"money_rescaled": 3}


def test_old_stata_gb18030_decoded(tmp_path):
    from upgrading.asif.readers import read_raw
    from upgrading.synth.writer import stata_bytes

    frame = pd.DataFrame({"法人代码": ["000000001", "000000002"], "企业名称": ["深圳企业A", "企业B有限公司"],
                          "工业产值现": [1.5, 2.0]})
    path = tmp_path / "gy2000.dta"
    path.write_bytes(stata_bytes(frame, {"工业产值现": "工业总产值(现价)"}, old=True))
    raw_pandas = pd.read_stata(path)
    assert "法人代码" not in raw_pandas.columns  # pandas alone leaves mojibake
    raw = read_raw(path)
    assert raw.encoding == "gb18030" and list(raw.frame.columns) == list(frame.columns)
    assert raw.frame["企业名称"].tolist() == ["深圳企业A", "企业B有限公司"]
    assert raw.labels["工业产值现"] == "工业总产值(现价)"


def test_stata_label_maps_unknown_name_and_file_pattern(tmp_path):
    from upgrading.synth.writer import stata_bytes

    d = tmp_path / "raw"
    d.mkdir()
    frame = _tiny_frame(1998)
    pinyin = {c: f"col{i}x" for i, c in enumerate(frame.columns)}  # names nobody knows ...
    labels = {pinyin[c]: c for c in frame.columns}               # ... Chinese headers as labels
    (d / "gy1998.dta").write_bytes(stata_bytes(frame.rename(columns=pinyin), labels, old=False))
    out = tmp_path / "o.parquet"
    code = ingest_main(["--raw-dir", str(d), "--years", "1998", "--file-pattern", "gy{year}.dta",
                        "--out", str(out), "--audit", str(tmp_path / "a.csv"),
                        "--columns-audit", str(tmp_path / "c.csv")])
    assert code == 0
    data = pd.read_parquet(out)
    assert data["source_file"].iloc[0] == "gy1998" and data["name"].iloc[0] == "企业A有限公司"
    cols = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert set(cols["matched_by"]) == {"label"}
    assert ingest_main(["--raw-dir", str(d), "--years", "1998", "--out", str(out), "--audit",
                        str(tmp_path / "a.csv")]) == 1  # default pattern asif_{year}: no file


def test_missing_required_lists_closest_unmapped(raw, tmp_path, capsys):
    d = copy_raw(raw, tmp_path)
    text = (d / "asif_1999.csv").read_bytes().decode("utf-8-sig")
    first, rest = text.split("\n", 1)
    out_header = [h for h in first.split(",") if hdr.plan_headers([h], FIELDS, "f").columns[0].variable == "output"][0]
    (d / "asif_1999.csv").write_bytes((first.replace(out_header, "工业总产出现行价") + "\n" + rest).encode())
    code, out, audit = run_ingest(d, tmp_path)
    err = capsys.readouterr().err
    assert code == 1 and "asif_1999.csv" in err and "output" in err and "工业总产出现行价" in err
    assert not out.exists() and not audit.exists()


def test_inspect_raw_names_what_would_stop_ingest(raw, tmp_path, capsys):
    from upgrading.asif.cli import inspect_main

    d = copy_raw(raw, tmp_path)
    _rewrite_1999(d, BAD_INPUTS["missing_required"][0])
    _rewrite_1999(d, lambda t: t.replace(",171,", ",外星企业,", 1).encode())
    assert inspect_main([str(d)]) == 1
    out = capsys.readouterr().out
    assert "3 files inspected" in out and "1 would stop ingest: asif_1999.csv" in out
    block = out.split("asif_1999.csv  [")[1].split("\n\n")[0]
    assert "MISSING REQUIRED: legal_id" in block and "外星企业" in block
    assert "[csv, gbk/gb18030" in out  # the 2000 file's encoding
