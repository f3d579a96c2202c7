"""The raw files look like ASIF files: headers, encodings, missing VA in 2004, side files."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from upgrading.synth.writer import load_spellings

from .conftest import HEADERS, YEARS


def _header(world, year, encoding):
    data = (world / f"asif_{year}.csv").read_bytes()
    return data.decode(encoding).splitlines()[0].lstrip("\ufeff").split(",")


def test_encodings_per_year(world, params):
    for y in YEARS:
        data = (world / f"asif_{y}.csv").read_bytes()
        enc = params["encodings"][y]
        if enc == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
        else:
            assert not data.startswith(b"\xef\xbb\xbf")
        if enc == "gbk":
            data.decode("gbk")
            try:
                data.decode("utf-8")
                raise AssertionError(f"{y}: GBK file also decodes as UTF-8 (no Chinese text?)")
            except UnicodeDecodeError:
                pass
        else:
            data.decode("utf-8")
    assert {"gbk", "utf-8", "utf-8-sig"} <= set(params["encodings"].values())


def test_headers_come_from_the_map_and_vary(world, params):
    spellings = load_spellings(HEADERS)
    known = {s: name for name, ss in spellings.items() for s in ss}
    seen = defaultdict(set)
    for y in YEARS:
        header = _header(world, y, {"gbk": "gbk"}.get(params["encodings"][y], "utf-8"))
        assert len(header) == len(set(header))
        for h in header:
            assert h in known, f"{y}: header {h!r} not in the header map"
            seen[known[h]].add(h)
        names = {known[h] for h in header}
        assert ("value_added" in names) == (y != 2004), y
        if y == 2003:
            assert "年末从业人员合计人" in header
    three = [name for name, s in seen.items() if len(s) >= 3]
    assert len(three) >= 5, three


def test_side_files(world):
    cities = pd.read_csv(world / "cities.csv", dtype={"city": int})
    assert list(cities.columns[:5]) == ["city", "city_name", "province", "province_name", "region"]
    assert set(cities["region"]) == {"prd", "yrd", "bohai", "other_coastal", "central", "western"}
    assert (cities["city"] % 100 == 0).all() and cities["city"].is_unique
    assert 300 <= len(cities) <= 345
    assert cities.loc[cities["city"] == 440300, "city_name"].item() == "深圳市"
    ind = pd.read_csv(world / "industries.csv")
    assert sorted(ind["industry2"].unique()) == [j for j in range(13, 44) if j != 38]
    assert 450 <= len(ind) <= 520 and ind["industry4"].is_unique
    assert (ind["industry4"] // 100 == ind["industry2"]).all()
    conc = pd.read_csv(world / "cic_concordance.csv")
    assert list(conc.columns) == ["year_from", "year_to", "code_old", "code_new"]
    assert conc["code_old"].is_unique and conc["code_new"].isin(ind["industry4"]).all()
    assert (conc["code_old"] != conc["code_new"]).sum() > 20  # the 2003 revision changed codes
    io = pd.read_csv(world / "io_table.csv")
    assert len(io) == 900 and (io["alpha"] >= 0).all()
    assert (io.groupby("industry2_buyer")["sigma"].sum().round(4) == 1).all()
    assert (io.groupby("industry2_supplier")["alpha"].sum() < 1).all()
    defl = pd.read_csv(world / "deflators.csv")
    assert len(defl) == 300 and (defl.loc[defl["year"] == 1998, "output_deflator"] == 1).all()
    cat = pd.read_csv(world / "fdi_catalogue_2002.csv")
    assert set(cat["status"]) == {"encouraged", "unchanged", "restricted"}
    assert set(cat["industry4"]) == set(ind["industry4"])


def test_sha256sums_cover_every_file(world):
    import hashlib

    listed = dict(line.split("  ")[::-1] for line in (world / "SHA256SUMS").read_text().splitlines())
    files = {str(p.relative_to(world)) for p in world.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(listed) == files
    for rel, digest in listed.items():
        assert hashlib.sha256((world / rel).read_bytes()).hexdigest() == digest


def test_region_codes_map_to_listed_cities(raw, world, truth):
    cities = set(pd.read_csv(world / "cities.csv")["city"])
    city = raw["region_code"].str.slice(0, 4).astype(int) * 100
    assert city.isin(cities).all()
    merged = raw.merge(truth, on=["source_file", "source_row", "year"])
    assert (merged["region_code"].str.slice(0, 4).astype(int) * 100 == merged["true_city"]).all()
    assert raw["region_code"].str.fullmatch(r"\d{6}").all()
    assert raw["industry_code"].str.fullmatch(r"\d{4}").all()
