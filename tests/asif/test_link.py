"""Linking on hand-made firms with known identities (builders.py documents each case)."""

import numpy as np
import pandas as pd
import pytest

from upgrading.asif.headers import load_header_map
from upgrading.asif.ingest import ingest_years
from upgrading.asif.link import link_firms

from . import builders


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    truth = builders.make_raw_files(d)
    data = ingest_years(str(d), builders.YEARS, load_header_map("config/asif_headers.yaml"), log=lambda m: None)[0]
    firm, stage, audit = link_firms(data, log=lambda m: None)
    data["firm_id"], data["link_stage"] = firm, stage
    data["true"] = [truth[(y, r)] for y, r in zip(data["year"], data["source_row"])]
    return data, audit


def test_links_match_truth_exactly(linked):
    data, _ = linked
    # one firm_id per true firm and one true firm per firm_id
    assert (data.groupby("true")["firm_id"].nunique() == 1).all()
    assert (data.groupby("firm_id")["true"].nunique() == 1).all()
    assert data["firm_id"].nunique() == 9


def test_stages(linked):
    data, audit = linked
    st = data.set_index(["true", "year"])["link_stage"]
    # A reports the placeholder ID 000000000: a missing ID, so its name links it
    assert st[("A", 1998)] == "new" and st[("A", 1999)] == "name"
    assert st[("E", 1998)] == "new" and st[("E", 1999)] == "legal_id"
    assert st[("B", 2000)] == "name"
    assert st[("C", 2000)] == "representative_phone"
    assert st[("D", 2000)] == "legal_id"  # across the 1999 gap
    gap = audit[(audit["year"] == 2000) & (audit["from_year"] == 1998) & (audit["stage"] == "legal_id")]
    assert gap["links"].item() == 1
    assert audit.loc[audit["stage"] == "same_firm_year_rows", "links"].item() == 1
    zeros = audit[audit["stage"] == "key_legal_id_zeros"].set_index("year")["links"]
    assert zeros.to_dict() == {1998: 1, 1999: 1, 2000: 1}


def test_ambiguous_keys_are_not_linked():
    # two firms share a name in both years and have no other key: no name link is made
    d = pd.DataFrame({
        "year": np.array([1998, 1998, 1999, 1999], dtype="int16"),
        "legal_id": pd.array([None, None, None, None], dtype="string"),
        "name": pd.array(["同名", "同名", "同名", "同名"], dtype="string"),
        "representative": pd.array([None] * 4, dtype="string"),
        "phone": pd.array([None] * 4, dtype="string"),
        "founding_year": pd.array([1990, 1991, 1990, 1991], dtype="Int32"),
        "region_code": pd.array(["440305"] * 4, dtype="string"),
        "industry_code": pd.array(["1711"] * 4, dtype="string"),
        "main_product": pd.array(["布"] * 4, dtype="string"),
    })
    firm, stage, _ = link_firms(d, log=lambda m: None)
    # name is ambiguous; founding year + county + industry + product is unique and links them
    assert list(stage) == ["new", "new", "founding_county_industry", "founding_county_industry"]
    assert firm[2] == firm[0] and firm[3] == firm[1]
    d["founding_year"] = pd.array([1990] * 4, dtype="Int32")
    firm, stage, _ = link_firms(d, log=lambda m: None)
    assert list(stage) == ["new"] * 4 and len(set(firm)) == 4


def test_firm_ids_deterministic(linked):
    data, _ = linked
    again, _, _ = link_firms(data.drop(columns=["firm_id", "link_stage"]), log=lambda m: None)
    assert np.array_equal(again, data["firm_id"].to_numpy())
