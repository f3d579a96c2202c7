"""Materialized terms and sample filters, checked against hand-built values."""

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import design as dsg
from upgrading.core import registry
from upgrading.core.errors import InputError

PANEL = {"id": "firm_id", "time": "year"}


def _family(models, samples=None):
    base = {**registry.SETTINGS_DEFAULTS, "outcome": "y", "vcov": "hetero"}
    return {"id": "t", "panel": PANEL, "samples": samples or {}, "engine": "pyfixest",
            "models": [{**base, **m} for m in models]}


@pytest.fixture()
def tiny():
    # firm 1: 2000, 2001, 2003 (gap); firm 2: 2000-2003
    return pd.DataFrame({
        "firm_id": [1, 1, 1, 2, 2, 2, 2],
        "year": [2000, 2001, 2003, 2000, 2001, 2002, 2003],
        "x": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 40.0],
        "z": [True, False, True, True, True, False, False],
        "region": ["a", "a", "a", "b", "b", "b", "b"],
        "y": np.arange(7.0),
    })


def test_lag_respects_gaps_and_units(tiny):
    d = dsg.build(tiny, _family([{"id": "m", "regressors": ["l(x, 1)", "l(x,2)"]}]))
    np.testing.assert_array_equal(d.frame["l_x_1"].to_numpy(),
                                  [np.nan, 1.0, np.nan, np.nan, 10.0, 20.0, 30.0])
    np.testing.assert_array_equal(d.frame["l_x_2"].to_numpy(),
                                  [np.nan, np.nan, 2.0, np.nan, np.nan, 10.0, 20.0])


def test_interaction_and_indicator(tiny):
    fam = _family([{"id": "m", "regressors": ["x:z", "i(year, z, ref=2001)", "i(region)"]}])
    d = dsg.build(tiny, fam)
    np.testing.assert_array_equal(d.frame["x__x__z"], tiny["x"] * tiny["z"])
    labels = [lab for lab, _ in dsg.term_labels(d, fam["models"][0])]
    assert labels == ["x:z", "year::2000:z", "year::2002:z", "year::2003:z", "region::b"]
    col = dict(dsg.term_labels(d, fam["models"][0]))["year::2003:z"]
    np.testing.assert_array_equal(d.frame[col], [0, 0, 1, 0, 0, 0, 0])


def test_fixed_effect_interaction_codes(tiny):
    fam = _family([{"id": "m", "regressors": ["x"], "fixed_effects": ["firm_id^region", "year"]}])
    d = dsg.build(tiny, fam)
    assert d.frame[d.fe_cols["firm_id^region"]].nunique() == 2
    assert d.frame[d.fe_cols["year"]].tolist() == [0, 1, 3, 0, 1, 2, 3]


def test_group_codes_number_levels_as_groupby():
    """Sorted ranks of the levels present, NaN where a part is missing: groupby's ngroup()."""
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.choice([3.0, 1.0, np.nan, 7.0], 500), "b": rng.choice(["x", "w", None], 500),
                       "c": rng.integers(0, 40, 500)})
    for names in (["a"], ["b"], ["a", "b"], ["c", "a", "b"]):
        expected = df.groupby(names, sort=True, dropna=True).ngroup().where(df[names].notna().all(axis=1))
        pd.testing.assert_series_equal(dsg.group_codes(df, names), expected.astype("float64"))


def test_samples_equals_between_in_and_balanced(tiny):
    samples = {
        "z": [{"column": "z", "equals": True}],
        "early": [{"column": "year", "between": [2000, 2001]}, {"column": "region", "in": ["b"]}],
        "bal": [{"balanced": True}],
        "bal_early": [{"column": "year", "at_most": 2001}, {"balanced": True}],
    }
    d = dsg.build(tiny, _family([{"id": "m", "regressors": ["x"]}], samples))
    assert d.samples["z"].tolist() == tiny["z"].tolist()
    assert d.samples["early"].tolist() == [False] * 3 + [True, True, False, False]
    assert d.samples["bal"].tolist() == [False] * 3 + [True] * 4  # firm 1 misses 2002
    assert d.samples["bal_early"].tolist() == [True, True, False, True, True, False, False]


def test_model_rows_count_missing(tiny):
    fam = _family([{"id": "m", "regressors": ["l(x, 1)"]}])
    d = dsg.build(tiny, fam)
    rows, n_missing = dsg.model_rows(d, fam["models"][0])
    assert rows.sum() == 4 and n_missing == 3


def test_string_column_needs_i(tiny):
    with pytest.raises(InputError, match="column 'region'.*use i"):
        dsg.build(tiny, _family([{"id": "m", "regressors": ["region"]}]))


def test_duplicate_keys_rejected_for_lags(tiny):
    dup = pd.concat([tiny, tiny.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="duplicated keys"):
        dsg.build(dup, _family([{"id": "m", "regressors": ["l(x, 1)"]}]))
