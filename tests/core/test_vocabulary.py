"""The shared column vocabularies agree with the files that also name them."""

from __future__ import annotations

from pathlib import Path

import yaml

from upgrading.core import columns, spillovers

REPO = Path(__file__).resolve().parents[2]


def test_money_columns_are_money_in_the_header_map():
    kinds = {name: entry["kind"] for name, entry in
             yaml.safe_load((REPO / "config" / "asif_headers.yaml").read_text(encoding="utf-8")).items()}
    assert [c for c in columns.MONEY if kinds.get(c) != "money"] == []


def test_markov_controls_of_the_schema_are_the_shared_measures():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
    allowed = schema["properties"]["productivity"]["properties"]["markov_controls"]["items"]["enum"]
    assert allowed == [*spillovers.NATIONAL, "horizontal_local"]


def test_industry_year_columns_are_what_the_formulas_return():
    import pandas as pd

    firms = pd.DataFrame({"industry2": [13, 14], "year": [2000, 2000], "output": [1.0, 2.0],
                          "exports": [0.0, 1.0], "foreign_share": [0.5, 0.0], "hmt_share": [0.5, 0.0],
                          "other_foreign_share": [0.0, 0.0]})
    io = pd.DataFrame({"industry2_supplier": [13, 14], "industry2_buyer": [14, 13],
                       "alpha": [0.5, 0.5], "sigma": [0.5, 0.5]})
    table = spillovers.industry_year_measures(firms, io)
    assert list(table.columns) == ["industry2", "year", *spillovers.INDUSTRY_YEAR]
