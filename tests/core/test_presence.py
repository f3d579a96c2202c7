"""The presence table's contract (upgrading.core.presence) and the clean stage's outlier screen
of the dropped rows that count in it."""

import numpy as np
import pandas as pd
import pytest

from upgrading.asif import clean
from upgrading.asif.settings import Settings
from upgrading.core import presence
from upgrading.core.errors import InputError


def table() -> pd.DataFrame:
    return pd.DataFrame({"firm_id": [1, 2, 3], "year": [2000, 2000, 2000], "source_file": "asif_2000",
                         "source_row": [1, 2, 3], "city": 110100, "industry2": 13,
                         "output": [100.0, 0.0, 50.0], "exports": [0.0, np.nan, 5.0],
                         "foreign_share": [0.5, 0.0, 1.0], "hmt_share": [0.5, 0.0, 0.0],
                         "other_foreign_share": [0.0, 0.0, 1.0], "in_panel": True,
                         "cleaning_rule": pd.array([pd.NA] * 3, dtype="string")})


def test_check_accepts_a_valid_table_and_names_what_is_wrong():
    presence.check(table(), "p.parquet")  # zero output and missing exports are allowed
    for edit, column, rows in [
        (lambda t: t.drop(columns="exports"), "exports", None),
        (lambda t: t.assign(output=[100.0, -1.0, 50.0]), "output", "row(s) 1"),
        (lambda t: t.assign(output=[100.0, np.nan, 50.0]), "output", "row(s) 1"),
        (lambda t: t.assign(hmt_share=[0.5, 0.0, 1.5]), "hmt_share", "row(s) 2"),
        (lambda t: t.assign(firm_id=[1, 1, 3]), "firm_id", "row(s) 0, 1"),
        (lambda t: t.assign(city=pd.array([110100, pd.NA, 110100], dtype="Int64")), "city", "row(s) 1"),
    ]:
        with pytest.raises(InputError) as err:
            presence.check(edit(table()), "p.parquet")
        assert "p.parquet" in str(err.value) and f"column {column!r}" in str(err.value)
        if rows:
            assert rows in str(err.value)


def test_check_covers_needs_every_panel_firm_year_in_its_city_and_industry():
    t = table()
    presence.check_covers(t.iloc[:2], t, "panel", "p.parquet")
    with pytest.raises(InputError, match="row\\(s\\) 1"):
        presence.check_covers(t.assign(city=[110100, 120100, 110100]), t, "panel", "p.parquet")
    with pytest.raises(InputError, match="row\\(s\\) 0"):
        presence.check_covers(t.iloc[:1], t.iloc[1:], "panel", "p.parquet", keys=("firm_id", "year"))


def test_outlier_screen_drops_a_counted_row_with_misreported_output():
    """A dropped row counts only if the outlier rule would keep it: output twenty times too large
    for its inputs is no neighbour's weight; a row in a cell without a reference is kept."""
    rng = np.random.default_rng(0)
    n = 200
    panel = pd.DataFrame({"industry2": 13, "year": 2000, "employment": rng.integers(10, 100, n).astype(float)})
    panel["intermediate"] = panel["employment"] * np.exp(rng.normal(0, 0.2, n))
    panel["output"] = panel["intermediate"] * 1.6 * np.exp(rng.normal(0, 0.05, n))
    cfg = Settings()
    keys = [panel["industry2"], panel["year"]]
    reference = clean.outlier_reference(
        clean.production_ratios(panel["output"], panel["intermediate"], panel["employment"]), keys)
    counted = pd.DataFrame({"industry2": [13, 13, 14], "year": 2000, "employment": 20.0,
                            "intermediate": 20.0, "output": [32.0, 640.0, 640.0]})
    for col, ratio in zip(clean.RATIO_COLUMNS, clean.production_ratios(
            counted["output"], counted["intermediate"], counted["employment"])):
        counted[col] = ratio
    kept = clean.screen_outliers(counted, reference, cfg)
    assert kept["output"].tolist() == [32.0, 640.0]  # the second is an outlier in 13; 14 has no cells
    assert not set(clean.RATIO_COLUMNS) & set(kept.columns)
    assert clean.screen_outliers(counted, [], cfg)["output"].tolist() == [32.0, 640.0, 640.0]  # rule off


def test_rows_dropped_after_deflation_count_with_their_panel_values():
    """A row the non-positive-production rule drops (here: no capital) counts with its panel
    columns; one with negative exports, or dropped by a rule not counted, does not."""
    t = table().drop(columns=["in_panel", "cleaning_rule"]).assign(
        intermediate=[40.0, 10.0, 20.0], employment=[10.0, 10.0, 10.0], output=[100.0, 30.0, 50.0],
        exports=[0.0, -1.0, 5.0])
    rules = [("nonpositive_production", np.array([True, True, False]), "no capital"),
             ("outliers", np.array([False, False, True]), "far")]
    out = clean.presence_outside(t, rules, Settings(), pd.DataFrame({"city": [110100]}), raw=False)
    assert out["firm_id"].tolist() == [1] and out["cleaning_rule"].tolist() == ["nonpositive_production"]
    assert out["output"].tolist() == [100.0] and not out["in_panel"].any()
    assert set(clean.RATIO_COLUMNS) <= set(out.columns)  # for the outlier screen that follows


def test_presence_counts_accepts_only_rules_whose_rows_can_count():
    """Outliers fail the screen every counted row passes, and duplicates count once: neither is a
    rule whose dropped rows can count."""
    from upgrading.asif.settings import from_mapping
    assert from_mapping({"presence_counts": ["min_employment"]}).presence_counts == ("min_employment",)
    for rule in ("outliers", "exact_duplicates", "unknown_city"):
        with pytest.raises(InputError, match="presence_counts"):
            from_mapping({"presence_counts": [rule]})
