"""Every kind of injected mess: counted in mess.json, visible in the files, marked in the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.asif.names import check_digit_valid, normalise_legal_ids, normalise_names
from upgrading.synth.identity import NAME_NULL

from .conftest import money


def _merged(raw, truth):
    return raw.merge(truth, on=["source_file", "source_row", "year"], how="inner", validate="1:1")


def test_truth_keys_every_raw_line(raw, truth):
    assert len(raw) == len(truth)
    assert not truth.duplicated(["source_file", "source_row"]).any()
    assert set(zip(raw["source_file"], raw["source_row"])) == set(zip(truth["source_file"], truth["source_row"].astype(int)))


def test_row_defect_counts_match_truth(truth, mess_counts):
    counts = truth["defect"].astype(str).value_counts()
    for kind in ("unit_slip", "assets_below_fixed", "negative_output", "missing_key", "outlier",
                 "duplicate_row", "conflict_duplicate"):
        assert mess_counts[kind] > 0, kind
        assert counts.get(kind, 0) == mess_counts[kind], kind


def test_defects_visible_in_files(raw, truth, mess_counts, world):
    df = _merged(raw, truth)
    d = df["defect"].astype(str)
    out = money(df["output"])
    assert ((out < 0) == (d == "negative_output")).all()
    ta, fa = money(df["total_assets"]), money(df["fixed_assets"])
    assert ((ta < fa) == (d == "assets_below_fixed")).all()
    blanks = {f: int((df[f] == "").sum()) for f in ("total_assets", "net_fixed_assets", "sales", "output")}
    assert blanks == mess_counts["missing_key_by_field"]
    assert sum(blanks.values()) == mess_counts["missing_key"]
    assert (df.loc[df["missing_field"].astype(str) != "", "defect"].astype(str) == "missing_key").all()
    defl = pd.read_csv(world / "deflators.csv").set_index(["industry2", "year"])["output_deflator"]
    nominal = df["true_output"] * defl.reindex(pd.MultiIndex.from_arrays([df["true_industry2"], df["year"]])).to_numpy()
    ratio = out / nominal
    clean = d == ""
    assert np.allclose(ratio[clean], 1, atol=1e-3)
    assert np.allclose(ratio[d == "unit_slip"], 1000, rtol=1e-3)
    assert np.allclose(ratio[d == "outlier"], 20, rtol=1e-3)


def test_duplicates(raw, truth):
    df = _merged(raw, truth)
    d = df["defect"].astype(str)
    data_cols = [c for c in raw.columns if c not in ("source_file", "source_row")]
    exact = df.loc[d == "duplicate_row", data_cols]
    originals = df.loc[df["duplicated_by"].astype(str) == "duplicate_row", data_cols]
    key = lambda f: sorted(map(tuple, f.astype(str).to_numpy()))  # noqa: E731
    assert key(exact) == key(originals)
    con = df.loc[d == "conflict_duplicate"]
    orig = df.loc[df["duplicated_by"].astype(str) == "conflict_duplicate"]
    pair = con.merge(orig, on=["legal_id", "name", "year"], suffixes=("_c", "_o"))
    assert len(pair) == len(con)
    assert (pair["output_c"] != pair["output_o"]).mean() > 0.95


def test_id_changes(raw, truth, mess_counts):
    df = _merged(raw, truth)
    changed = df[df["id_changed"]]
    by_kind = changed.groupby(changed["id_change_kind"].astype(str))["true_firm_id"].nunique().to_dict()
    ids = mess_counts["id_change"]
    kinds = ("name", "representative_phone", "founding_county_industry", "nothing")
    assert {k: by_kind.get(k, 0) for k in kinds} == {k: ids[k] for k in kinds}
    assert sum(by_kind.values()) == ids["total"] > 0
    # Each changed firm reports exactly two legal IDs (in their normal form; a line may
    # write it as NULL); the carried-over keys match.
    df["legal_id"] = normalise_legal_ids(df["legal_id"])
    df["name"] = normalise_names(df["name"])
    per = df[df["true_firm_id"].isin(changed["true_firm_id"])]
    per_id = per[per["id_form"].astype(str).isin(["", "lower", "hyphen", "full_width"])]
    n_ids = per_id.groupby("true_firm_id")["legal_id"].nunique()
    assert (n_ids <= 2).all() and (n_ids == 2).mean() > 0.95
    per = per[(per["id_form"].astype(str) == "") & ((per["name_form"] & NAME_NULL) == 0)]
    both = per.groupby("true_firm_id")["id_changed"].transform("nunique") == 2  # lines before and after
    per = per[both]
    first = per.sort_values("year").groupby("true_firm_id").first()
    last = per.sort_values("year").groupby("true_firm_id").last()
    kind = last["id_change_kind"].astype(str)
    for k, same, differ in (("name", ["name"], []),
                            ("representative_phone", ["representative", "phone"], ["name"]),
                            ("founding_county_industry", ["founding_year", "region_code", "main_product"],
                             ["name", "phone"]),
                            ("nothing", ["founding_year", "region_code"], ["name", "phone", "main_product"])):
        m = kind == k
        for col in same:
            assert (first.loc[m, col] == last.loc[m, col]).all(), (k, col)
        for col in differ:
            assert (first.loc[m, col] != last.loc[m, col]).all(), (k, col)
    # Normalised names identify firms within a prefecture (the linking key: a brand that is
    # also a place name goes with the place); legal IDs too, but for the reassigned ones.
    firms_per_name = df.groupby(["name", df["region_code"].str[:4]])["true_firm_id"].nunique()
    assert (firms_per_name == 1).mean() > 0.999
    shared = df.groupby("legal_id")["true_firm_id"].nunique()
    reused = df.loc[df["id_reused"], "legal_id"].dropna().unique()
    assert (shared.drop(reused, errors="ignore") == 1).all()
    # two firms per reassigned ID (unless one of them always wrote it as a placeholder)
    assert (shared.reindex(reused) <= 2).all() and (shared.reindex(reused) == 2).mean() > 0.9
    assert 0 < len(reused) <= mess_counts["id_reuse"]


def test_layout_facts(raw, truth, mess_counts):
    df = _merged(raw, truth)
    assert mess_counts["value_added_missing_2004"] == int((df["year"] == 2004).sum())
    assert mess_counts["employment_year_end_2003"] == int((df["year"] == 2003).sum())
    y03 = df[(df["year"] == 2003) & (df["defect"].astype(str) == "")]
    emp = pd.to_numeric(y03["employment"])
    assert (emp != y03["true_employment"]).mean() > 0.3  # year-end count, not the average
    other = df[(df["year"] != 2003) & (df["defect"].astype(str) == "")]
    assert (pd.to_numeric(other["employment"]) == other["true_employment"]).all()
    old = (df["year"] <= 2002) & (df["industry_code"].astype(int) != df["true_industry4"])
    assert int(old.sum()) == mess_counts["old_industry_code_rows"] > 0
    assert not ((df["year"] >= 2003) & (df["industry_code"].astype(int) != df["true_industry4"])).any()


def test_name_and_id_forms_visible_and_counted(raw, truth, mess_counts):
    """Each drawn form shows in the files as drawn, and mess.json counts the firm-years."""
    from upgrading.synth import identity as ident

    df = _merged(raw, truth)
    orig = df[df["defect"].astype(str).isin(["duplicate_row", "conflict_duplicate"]) == False]  # noqa: E712
    form = orig["name_form"].to_numpy()
    names = orig["name"]
    counts = mess_counts["name_form"]
    assert int(((form & ident.NAME_PREFIX) != 0).sum()) == counts["prefix"] > 0
    assert int(((form & ident.NAME_NULL) != 0).sum()) == counts["null"] > 0
    assert (names[(form & ident.NAME_NULL) != 0] == "NULL").all()
    assert (names[(form & ident.NAME_NULL) == 0] != "NULL").all()
    shown = (form & ident.NAME_NULL) == 0
    group = shown & ((form & ident.NAME_GROUP) != 0)
    assert names[group].str.contains(r"[\(（]集团[\)）]").all() and not names[shown & ~group].str.contains("集团").any()
    wide = group & ((form & ident.NAME_GROUP_FULL_WIDTH) != 0)
    assert names[wide].str.contains("（集团）").all() and names[group & ~wide].str.contains(r"\(集团\)").all()
    space = shown & ((form & ident.NAME_SPACE) != 0)
    assert names[space].str.contains("[ \u3000]").all() and not names[shown & ~space].str.contains("[ \u3000]").any()
    # IDs: one form per firm-year, counted per form
    kind = orig["id_form"].astype(str)
    ids = orig["legal_id"]
    assert {k: int((kind == k).sum()) for k in ident.ID_FORMS[1:]} == mess_counts["id_form"]
    assert (ids[kind == "null"] == "NULL").all() and (ids[kind == "zeros"] == "000000000").all()
    assert ids[kind == "hyphen"].str.fullmatch(r"[0-9A-Z]{8}-[0-9X]").all()
    assert ids[kind == ""].str.fullmatch(r"[0-9A-Z]{8}[0-9X]").all()
    assert ids[kind == "full_width"].str.fullmatch(r"[０-９Ａ-Ｚ]{9}").all()
    # canonical IDs pass the GB 11714 check; every typo fails it
    norm = normalise_legal_ids(ids)
    valid = pd.Series(check_digit_valid(norm), index=ids.index)
    assert valid[kind.isin(["", "lower", "hyphen", "full_width"])].all()
    assert not valid[kind == "typo"].any() and (kind == "typo").sum() > 0
    assert ids[kind == ""].str.match("[A-Z]").mean() > 0.02  # some codes carry a letter
