"""The same synthetic world written in each raw layout (real traits, pinyin Stata
distribution, plain csv) gives the same bytes of panel.parquet after ingest, link and
clean; inspect-raw reports every file of each layout as ingestible."""

import hashlib
import json

import pandas as pd
import pytest

from upgrading.asif.cli import clean_main, ingest_main, inspect_main, link_main
from upgrading.synth.cli import load_synth_params
from upgrading.synth.generate import generate
from upgrading.synth.layouts import LAYOUTS

YEARS = list(range(1998, 2008))
SEED = 11


def _chain(raw, d):
    p = {k: d / k for k in ("ing.parquet", "ing.csv", "cols.csv", "link.parquet", "link.csv",
                            "panel.parquet", "clean.csv", "cb.csv")}
    assert ingest_main(["--raw-dir", str(raw), "--years", "1998-2007", "--out", str(p["ing.parquet"]),
                        "--audit", str(p["ing.csv"]), "--columns-audit", str(p["cols.csv"])]) == 0
    assert link_main(["--data", str(p["ing.parquet"]), "--raw-dir", str(raw), "--out", str(p["link.parquet"]),
                      "--audit", str(p["link.csv"])]) == 0
    assert clean_main(["--data", str(p["link.parquet"]), "--raw-dir", str(raw), "--out", str(p["panel.parquet"]),
                       "--audit", str(p["clean.csv"]), "--codebook", str(p["cb.csv"]),
                       "--presence", str(p["clean.csv"]) + ".presence.parquet"]) == 0
    return p


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    params = load_synth_params("config/config.yaml", None)
    params = json.loads(json.dumps(params))
    params["scales"]["small"] = 0.015  # ~2,500 firms a year: the layouts, not the economics
    out = {}
    for layout in LAYOUTS:
        d = tmp_path_factory.mktemp(layout)
        generate(d / "raw", {**params, "layout": layout}, "small", SEED, YEARS, "config/asif_headers.yaml")
        out[layout] = (d / "raw", _chain(d / "raw", d))
    return out


def test_same_panel_bytes_in_every_layout(built):
    digests = {layout: hashlib.sha256(p["panel.parquet"].read_bytes()).hexdigest()
               for layout, (_, p) in built.items()}
    assert len(set(digests.values())) == 1, digests
    panel = pd.read_parquet(built["plain"][1]["panel.parquet"])
    assert len(panel) > 5000
    assert set(panel["source_file"]) == {f"asif_{y}" for y in YEARS}


def test_layouts_differ_in_files(built):
    names = {layout: sorted(p.name for p in raw.glob("asif_*")) for layout, (raw, _) in built.items()}
    assert names["plain"] == [f"asif_{y}.csv" for y in YEARS]
    assert names["pinyin"] == [f"asif_{y}.dta" for y in YEARS]
    assert {"asif_2004.dta", "asif_2006.dta", "asif_2007.csv.gz", "asif_2003.csv"} <= set(names["real_traits"])


def test_real_traits_audit(built):
    p = built["real_traits"][1]
    files = pd.read_csv(p["ing.csv"])
    cols = pd.read_csv(p["cols.csv"], keep_default_na=False)
    assert (files["rows_read"] == files["rows_written"]).all()
    assert files.set_index("year").loc[2004, "encoding"] == "gb18030"  # old Stata, GB18030 text
    assert files.set_index("year").loc[2006, "encoding"] == "utf-8"    # Stata 14
    # every unmapped column listed, with its share of non-missing cells
    unmapped = cols[cols["role"] == "unmapped"]
    assert (files["columns_unmapped"].sum() == len(unmapped)) and len(unmapped) >= 30
    assert set(unmapped["column"]) >= {"邮政编码", "隶属关系", "控股情况"}
    assert (unmapped["share_nonmissing"].astype(float) == 1.0).all()
    assert files["columns"].sum() == len(cols)
    # dBase-era names, the 万元 column, names read as codes, 12-digit codes
    used = cols[cols["role"] == "used"].set_index(["year", "variable"])
    assert used.loc[(2000, "net_fixed_assets"), "column"] == "固资净年余"
    assert used.loc[(2001, "region_code"), "column"] == "省地代码"
    assert used.loc[(2007, "output"), "unit"] == "万元" and float(used.loc[(2007, "output"), "factor"]) == 10
    assert "names_read_as_codes" in used.loc[(2005, "reg_type"), "notes"]
    assert all("region_12_digit" in used.loc[(y, "region_code"), "notes"] for y in range(2004, 2008))
    # two employment columns in 2006: annual average used, year-end compared
    alt = cols[(cols["role"] == "alternative") & (cols["year"] == 2006)].iloc[0]
    assert alt["variable"] == "employment" and alt["column"] == "年末从业人员合计人"
    assert int(alt["rows_compared"]) > 0 and 0 < int(alt["rows_disagree"]) <= int(alt["rows_compared"])


def test_inspect_raw_reports_every_layout(built, capsys):
    for layout, (raw, _) in built.items():
        assert inspect_main([str(raw)]) == 0, layout
        out = capsys.readouterr().out
        assert out.count("missing required: none") == len(YEARS)
        assert "10 files inspected" in out and "all would ingest" in out
    assert inspect_main([str(built["pinyin"][0])]) == 0
    out = capsys.readouterr().out
    assert "frdm -> legal_id" in out and "[dta, gb18030" in out and "yzbm (邮政编码)" in out
