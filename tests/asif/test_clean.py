"""Cleaning on hand-made data: waterfall identity, unit slips, ownership, PIM by hand."""

import json

import numpy as np
import pandas as pd
import pytest

from upgrading.asif import ownership
from upgrading.asif.cli import clean_main, ingest_main, link_main
from upgrading.core import presence

from . import builders


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    builders.make_raw_files(d / "raw")
    p = {k: str(d / k) for k in ["ing.parquet", "ing.csv", "link.parquet", "link.csv", "panel.parquet",
                                 "clean.csv", "cb.csv", "presence.parquet"]}
    assert ingest_main(["--raw-dir", str(d / "raw"), "--years", "1998-2000", "--out", p["ing.parquet"],
                        "--audit", p["ing.csv"]]) == 0
    assert link_main(["--data", p["ing.parquet"], "--out", p["link.parquet"], "--audit", p["link.csv"],
                      "--raw-dir", str(d / "raw")]) == 0
    assert clean_main(["--data", p["link.parquet"], "--raw-dir", str(d / "raw"), "--out", p["panel.parquet"],
                       "--audit", p["clean.csv"], "--codebook", p["cb.csv"],
                       "--presence", p["presence.parquet"]]) == 0
    return d, p


def test_waterfall_accounts_for_every_row(built):
    _, p = built
    audit = pd.read_csv(p["clean.csv"]).set_index("rule")
    panel = pd.read_parquet(p["panel.parquet"])
    assert audit.loc["rows_read", "rows_left"] == 27
    assert audit.loc["exact_duplicates", "dropped"] == 1      # firm H, 1999
    assert audit.loc["min_employment", "dropped"] == 3        # firm G, 3 years
    assert audit.loc["unit_slips", "changed"] == 1            # firm I, 2000
    assert audit.loc["rows_kept", "rows_left"] == len(panel) == 23
    assert audit.drop(index="rows_kept")["dropped"].sum() + len(panel) == 27
    assert not panel.duplicated(["firm_id", "year"]).any()


def test_unit_slip_repaired_and_deflated(built):
    _, p = built
    panel = pd.read_parquet(p["panel.parquet"])
    i = panel[panel["name"] == "企业I有限公司"].set_index("year")
    # true nominal output 9000 * 1.1^2 = 10890, output deflator 1.10 in 2000
    assert i.loc[2000, "output"] == pytest.approx(9000 * 1.21 / 1.10)
    # double deflation: output / 1.10 - 0.6 * output / 1.10
    assert i.loc[2000, "value_added"] == pytest.approx(0.4 * 9000 * 1.21 / 1.10)


def test_hmt_and_foreign_not_swapped(built):
    _, p = built
    panel = pd.read_parquet(p["panel.parquet"]).drop_duplicates("name").set_index("name")
    assert panel.loc["企业E有限公司", "ownership"] == "foreign"   # reg 310
    assert panel.loc["企业F有限公司", "ownership"] == "hmt"       # reg 220
    assert panel.loc["企业F有限公司", "hmt_share"] == pytest.approx(0.7)
    assert panel.loc["企业F有限公司", "other_foreign_share"] == 0
    assert panel.loc["企业E有限公司", "other_foreign_share"] == pytest.approx(0.6)
    assert panel.loc["企业E有限公司", "foreign_share"] == pytest.approx(0.6)


def test_ownership_rules():
    reg = pd.Series([220, 310, 171, 171, 171, 110, 151, 151, 120, 173], dtype="Int64")
    cap = pd.DataFrame({"paid_in_capital": 100.0, "capital_state": [0, 0, 0, 0, 0, 100, 60, 40, 0, 0],
                        "capital_collective": 0.0, "capital_legal": 0.0, "capital_individual": 0.0,
                        "capital_hmt": [0, 0, 30, 10, 20, 0, 0, 0, 0, 0],
                        "capital_foreign": [0, 0, 0, 30, 25, 0, 0, 0, 0, 0]}, dtype=float)
    got = ownership.classify(reg, ownership.capital_shares(cap)).tolist()
    assert got == ["hmt", "foreign", "hmt", "foreign", "foreign", "soe", "soe", "private",
                   "collective", "private"]


def test_presence_counts_rows_dropped_for_sample_reasons(built):
    """Firm G (fewer than 8 employees, three years) leaves the panel but its output counts in
    its neighbours' presence measures; the exact duplicate of firm H counts once; the audit
    says how many dropped rows still count."""
    _, p = built
    panel = pd.read_parquet(p["panel.parquet"])
    population = pd.read_parquet(p["presence.parquet"])
    presence.check(population, p["presence.parquet"])
    audit = pd.read_csv(p["clean.csv"]).set_index("rule")
    outside = population[~population["in_panel"]]
    assert len(outside) == 3 and set(outside["cleaning_rule"]) == {"min_employment"}
    assert outside["firm_id"].nunique() == 1 and sorted(outside["year"]) == [1998, 1999, 2000]
    assert audit.loc["min_employment", "in_presence"] == 3
    assert audit.loc["exact_duplicates", "in_presence"] == 0
    assert audit.loc["rows_kept", "in_presence"] == len(panel) == int(population["in_panel"].sum())
    own = population[population["in_panel"]].drop(columns=["in_panel", "cleaning_rule"])
    cols = list(own.columns)
    assert own.reset_index(drop=True).equals(panel[cols].astype(own.dtypes.to_dict()))
    assert population[["firm_id", "year"]].equals(population[["firm_id", "year"]].sort_values(["firm_id", "year"]))


def test_config_changes_threshold_and_presence_rows_hold_the_panel_values(built, tmp_path):
    """A lower employment threshold keeps firm G; its counted rows under the default threshold
    (dropped by min_employment, before deflation) carry the deflated output and exports,
    ownership shares, city and industry of those panel rows."""
    d, p = built
    out = tmp_path / "panel.parquet"
    assert clean_main(["--data", p["link.parquet"], "--raw-dir", str(d / "raw"), "--out", str(out),
                       "--audit", str(tmp_path / "a.csv"), "--codebook", str(tmp_path / "c.csv"),
                       "--presence", str(tmp_path / "p.parquet"),
                       "--config-json", json.dumps({"min_employment": {"threshold": 4}})]) == 0
    kept = pd.read_parquet(out)
    assert len(kept) == 26
    population = pd.read_parquet(p["presence.parquet"])
    counted = population[~population["in_panel"]].set_index(["firm_id", "year"])
    cols = ["source_file", "source_row", "city", "industry2", "output", "exports", *presence.SHARES]
    same = kept.set_index(["firm_id", "year"]).loc[counted.index, cols]
    pd.testing.assert_frame_equal(counted[cols], same, check_dtype=False)


def test_presence_counts_nothing_when_asked(built, tmp_path):
    d, p = built
    assert clean_main(["--data", p["link.parquet"], "--raw-dir", str(d / "raw"), "--out", str(tmp_path / "x"),
                       "--audit", str(tmp_path / "a.csv"), "--codebook", str(tmp_path / "c.csv"),
                       "--presence", str(tmp_path / "p.parquet"),
                       "--config-json", json.dumps({"presence_counts": []})]) == 0
    population = pd.read_parquet(tmp_path / "p.parquet")
    assert population["in_panel"].all() and len(population) == len(pd.read_parquet(tmp_path / "x"))
    assert (pd.read_csv(tmp_path / "a.csv").set_index("rule")["in_presence"].drop("rows_kept") == 0).all()


def test_codebook_covers_panel(built):
    _, p = built
    book = pd.read_csv(p["cb.csv"])
    assert list(book["name"]) == list(pd.read_parquet(p["panel.parquet"]).columns)
    assert "法人代码" in book.set_index("name").loc["legal_id", "source_header"]


def test_bad_cleaning_setting(built, capsys, tmp_path):
    d, p = built
    code = clean_main(["--data", p["link.parquet"], "--raw-dir", str(d / "raw"), "--out", str(tmp_path / "x"),
                       "--audit", str(tmp_path / "a"), "--codebook", str(tmp_path / "c"),
                       "--presence", str(tmp_path / "p"),
                       "--config-json", json.dumps({"min_employmnt": {"threshold": 10}})])
    assert code == 1 and "min_employmnt" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_deterministic_bytes(built, tmp_path):
    d, p = built
    out = tmp_path / "panel.parquet"
    assert clean_main(["--data", p["link.parquet"], "--raw-dir", str(d / "raw"), "--out", str(out),
                       "--audit", str(tmp_path / "a.csv"), "--codebook", str(tmp_path / "c.csv"),
                       "--presence", str(tmp_path / "p.parquet")]) == 0
    assert out.read_bytes() == open(p["panel.parquet"], "rb").read()
    assert (tmp_path / "p.parquet").read_bytes() == open(p["presence.parquet"], "rb").read()


def test_duplicate_rules_by_hand():
    from upgrading.asif.audit import Waterfall
    from upgrading.asif.clean import resolve_duplicates
    from upgrading.asif.settings import Settings

    d = pd.DataFrame({"firm_id": [1, 1, 1, 1, 2, 2], "year": [1998, 1999, 1999, 2000, 1998, 1998],
                      "output": [100.0, 200.0, 105.0, 110.0, 50.0, 50.0],
                      "source_file": "f", "source_row": [1, 2, 3, 4, 5, 6], "link_stage": "new"})
    wf = Waterfall(d, log=lambda m: None)
    out = resolve_duplicates(d, wf, Settings())
    # firm 2: exact copy dropped; firm 1, 1999: 105 is closer to the other years (100, 110) than 200
    assert out["source_row"].tolist() == [1, 3, 4, 5]
    assert [r["dropped"] for r in wf.rows[1:]] == [1, 1]
    assert wf.row_trace()["source_row"].tolist() == [2, 6]


def test_nanmedian_columns_is_numpys_nanmedian():
    """The unit-slip score's median over the money signals: numpy's numbers, odd and even counts,
    NaN where a row has no value."""
    import warnings

    from upgrading.asif.clean import nanmedian_columns

    rng = np.random.default_rng(3)
    stack = rng.normal(size=(6, 5000))
    stack[rng.random(stack.shape) < 0.3] = np.nan
    stack[:, :7] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(stack, axis=0)
    got = nanmedian_columns(stack)
    assert np.isnan(got[:7]).all()
    assert np.array_equal(got, expected, equal_nan=True)
