import json

import pandas as pd
import pytest

from upgrading.core import io, presence, spillovers
from upgrading.measures.cli import main

from .builders import make_world

CONTRACT = ["firm_id", "year", "city", "province", "region", "industry2", "industry4", "domestic",
            "foreign_share", "hmt_share", "tfp_ols", "tfp_fe", "tfp_lp", "tfp_acf", "horizontal",
            "horizontal_hmt", "horizontal_other", "backward", "forward", "horizontal_local",
            "location_quotient", "cluster", "new_product_share", "export_intensity", "va_ratio",
            "encouraged", "post2002", "encouraged_post", "bargaining", "symmetry", "open_network",
            "absorptive_capacity", "tfp_growth", "horizontal_lag1", "backward_lag1", "forward_lag1",
            "horizontal_local_lag1", "coastal", "labour_intensive", "state_owned"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("measures")
    panel, tfp = make_world()
    io.write_parquet(panel, d / "panel.parquet")
    io.write_parquet(tfp, d / "tfp.parquet")
    io.write_parquet(presence.from_panel(panel), d / "presence.parquet")
    raw = d / "raw"
    raw.mkdir()
    codes = sorted(panel["industry2"].unique())
    rows = [{"industry2_supplier": s, "industry2_buyer": b, "alpha": 0.1, "sigma": 0.05}
            for s in codes for b in codes]
    pd.DataFrame(rows).to_csv(raw / "io_table.csv", index=False)
    pd.DataFrame({"industry4": [1310, 1320, 1410, 1711],
                  "status": ["encouraged", "unchanged", "encouraged", "restricted"]}).to_csv(
        raw / "fdi_catalogue_2002.csv", index=False)
    cities = pd.DataFrame({"city": [110100, 120100, 310100, 440300], "city_name": list("abcd"),
                           "province": [11, 12, 31, 44], "bargaining": [0.1, 0.2, 0.3, 0.4],
                           "symmetry": 0.5, "open_network": 0.6})
    cities.to_csv(raw / "cities.csv", index=False)
    return d


def run(d, out_dir, cfg=None, raw=None, population=None):
    """measures on d's panel and tfp; d's presence table, or that beside `raw` (the `inputs`
    folder), unless `population` names another."""
    out, book = out_dir / "analysis.parquet", out_dir / "codebook.csv"
    if population is None:
        population = d / "presence.parquet"
        if not population.exists() and raw is not None:
            population = raw.parent / "presence.parquet"
    code = main(["--panel", str(d / "panel.parquet"), "--tfp", str(d / "tfp.parquet"),
                 "--presence", str(population),
                 "--raw-dir", str(raw or d / "raw"), "--out", str(out), "--codebook", str(book),
                 "--config-json", json.dumps(cfg or {})])
    return code, out, book


def test_contract_columns_and_codebook(inputs, tmp_path):
    code, out, book = run(inputs, tmp_path)
    assert code == 0
    a, cb = pd.read_parquet(out), pd.read_csv(book)
    missing = [c for c in CONTRACT if c not in a.columns]
    assert not missing
    assert cb["name"].tolist() == list(a.columns)  # a codebook row for every column
    assert cb["meaning"].notna().all()
    panel = pd.read_parquet(inputs / "panel.parquet")
    assert len(a) == len(panel)  # nothing dropped
    assert a[["firm_id", "year"]].equals(a[["firm_id", "year"]].sort_values(["firm_id", "year"]))
    # the encouraged industries 1310/1410 after 2002
    row = a[(a.industry4 == 1410) & (a.year == 2003)].iloc[0]
    assert row.encouraged == 1 and row.post2002 == 1 and row.encouraged_post == 1
    assert (a.loc[a.industry4 == 4011, "encouraged"] == 0).all()  # not in catalogue
    assert a.loc[a.city == 310100, "bargaining"].eq(0.3).all()
    # the lag of an industry-year measure is last year's value of the same cell (the
    # industry share; the firm-level horizontal leaves the firm's own output out)
    h = a.groupby(["industry2", "year"])[["backward", "backward_lag1", "horizontal_lag1"]].first()
    assert h.loc[(13, 2002), "backward_lag1"] == pytest.approx(h.loc[(13, 2001), "backward"])
    share = spillovers.horizontal(panel).loc[(13, 2001), "horizontal"]
    assert h.loc[(13, 2002), "horizontal_lag1"] == pytest.approx(share)
    assert a.loc[a.year == 2000, "horizontal_lag1"].isna().all()
    assert a["domestic"].tolist() == ((a.hmt_share == 0) & (a.other_foreign_share == 0)).tolist()
    # group indicators: every region of the test world is coastal; CIC 17 is labour-intensive
    assert (a["coastal"] == 1).all()
    assert a["labour_intensive"].tolist() == (a.industry2 == 17).astype(int).tolist()
    assert a["state_owned"].tolist() == (a.ownership == "soe").astype(int).tolist()


def test_group_indicators_follow_the_config(inputs, tmp_path):
    code, out, _ = run(inputs, tmp_path, {"coastal_regions": ["prd"], "labour_intensive_industries": [13, 14]})
    assert code == 0
    a = pd.read_parquet(out)
    assert a["coastal"].tolist() == (a.region == "prd").astype(int).tolist()
    assert a["labour_intensive"].tolist() == a.industry2.isin([13, 14]).astype(int).tolist()


def test_city_traits_nan_when_absent(inputs, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in ("io_table.csv", "fdi_catalogue_2002.csv"):
        (raw / f).write_bytes((inputs / "raw" / f).read_bytes())
    pd.read_csv(inputs / "raw" / "cities.csv")[["city", "city_name", "province"]].to_csv(
        raw / "cities.csv", index=False)
    code, out, _ = run(inputs, tmp_path, raw=raw)
    assert code == 0
    assert pd.read_parquet(out)[["bargaining", "symmetry", "open_network"]].isna().all().all()


def test_deterministic_bytes(inputs, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    run(inputs, tmp_path / "a")
    run(inputs, tmp_path / "b")
    for f in ("analysis.parquet", "codebook.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_missing_tfp_row_is_an_error(inputs, tmp_path, capsys):
    tfp = pd.read_parquet(inputs / "tfp.parquet").iloc[1:]
    d = tmp_path / "in"
    d.mkdir()
    (d / "panel.parquet").write_bytes((inputs / "panel.parquet").read_bytes())
    io.write_parquet(tfp, d / "tfp.parquet")
    code, out, book = run(d, tmp_path, raw=inputs / "raw")
    assert code == 1 and not out.exists() and not book.exists()
    assert "without a TFP row" in capsys.readouterr().err


def test_share_out_of_range_is_an_error(inputs, tmp_path, capsys):
    panel = pd.read_parquet(inputs / "panel.parquet")
    panel.loc[7, "hmt_share"] = 1.5
    d = tmp_path / "in"
    d.mkdir()
    io.write_parquet(panel, d / "panel.parquet")
    (d / "tfp.parquet").write_bytes((inputs / "tfp.parquet").read_bytes())
    code, out, _ = run(d, tmp_path, raw=inputs / "raw")
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "column 'hmt_share'" in err and "row(s) 7" in err


def test_presence_rows_outside_the_panel_count_in_the_neighbours_measures(inputs, tmp_path):
    """A firm-year the cleaning dropped but the presence table keeps is a neighbour: its output
    and foreign share enter the others' horizontal and local shares, and it gets no row."""
    panel = pd.read_parquet(inputs / "panel.parquet")
    base = presence.from_panel(panel)
    cell = panel.iloc[0]
    extra = pd.DataFrame({"firm_id": [10_000], "year": [cell.year], "source_file": ["asif_x"],
                          "source_row": [1], "city": [cell.city],
                          "industry2": [cell.industry2], "output": [5_000.0], "exports": [0.0],
                          "foreign_share": [1.0], "hmt_share": [0.0], "other_foreign_share": [1.0],
                          "in_panel": [False], "cleaning_rule": ["min_employment"]})
    wider = pd.concat([base, extra.astype({"cleaning_rule": "string"})], ignore_index=True)
    io.write_parquet(wider, tmp_path / "presence.parquet")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    run(inputs, tmp_path / "a")
    assert run(inputs, tmp_path / "b", population=tmp_path / "presence.parquet")[0] == 0
    keys = ["firm_id", "year"]
    order = panel[keys]  # the analysis is sorted by firm_id, year; compare in the panel's order
    a = order.merge(pd.read_parquet(tmp_path / "a" / "analysis.parquet"), on=keys, how="left")
    b = pd.read_parquet(tmp_path / "b" / "analysis.parquet")
    assert len(b) == len(panel) and 10_000 not in set(b["firm_id"])
    b = order.merge(b, on=keys, how="left")
    same = ((panel["city"] == cell.city) & (panel["industry2"] == cell.industry2)
            & (panel["year"] == cell.year)).to_numpy()
    # by hand: the leave-one-out local share with the extra firm among the neighbours
    cellp = panel[same]
    for i in cellp.index:
        others = cellp.drop(index=i)
        num = (others["output"] * others["foreign_share"]).sum() + 5_000.0
        den = others["output"].sum() + 5_000.0
        assert b.loc[i, "horizontal_local"] == pytest.approx(num / den)
    assert (b.loc[same, "horizontal"] > a.loc[same, "horizontal"]).all()
    elsewhere = ~(panel["industry2"] == cell.industry2).to_numpy() | (panel["year"] != cell.year).to_numpy()
    cols = ["horizontal", "horizontal_local"]
    assert a.loc[elsewhere & (panel["year"] == cell.year).to_numpy(), cols].equals(
        b.loc[elsewhere & (panel["year"] == cell.year).to_numpy(), cols])


def test_panel_firm_year_missing_from_presence_is_an_error(inputs, tmp_path, capsys):
    panel = pd.read_parquet(inputs / "panel.parquet")
    io.write_parquet(presence.from_panel(panel).iloc[1:], tmp_path / "presence.parquet")
    code, out, _ = run(inputs, tmp_path, population=tmp_path / "presence.parquet")
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "absent from the presence table" in err and "row(s) 0" in err


def test_cluster_year_first_holds_the_first_years_indicator(inputs, tmp_path):
    """measures.cluster_year: `current` flags a cell in the years its location quotient passes the
    threshold; `first` gives every year of the cell its first year's indicator."""
    (tmp_path / "c").mkdir()
    (tmp_path / "f").mkdir()
    cfg = {"lq_threshold": 1.0, "cluster_min_firms": 1}
    assert run(inputs, tmp_path / "c", cfg)[0] == 0 and run(inputs, tmp_path / "f", {**cfg, "cluster_year": "first"})[0] == 0
    current = pd.read_parquet(tmp_path / "c" / "analysis.parquet")
    first = pd.read_parquet(tmp_path / "f" / "analysis.parquet")
    cells = ["city", "industry2"]
    assert (current.groupby(cells)["cluster"].nunique() > 1).any()  # some cell switches from year to year
    assert (first.groupby(cells)["cluster"].nunique() == 1).all()
    start = (current.groupby(cells)["year"].transform("min") == current["year"]).to_numpy()
    assert first["cluster"].to_numpy()[start].tolist() == current["cluster"].to_numpy()[start].tolist()
