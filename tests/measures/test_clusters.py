import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upgrading.core import clusters


def test_location_quotient_hand_computed(toy_firms):
    lq = clusters.location_quotient(toy_firms).set_index(["city", "industry2"])
    # city 110100: 50 of 100 workers; industry 13: 40 of 100
    assert lq.loc[(110100, 13), "location_quotient"] == pytest.approx((10 / 50) / (40 / 100))
    assert lq.loc[(120100, 13), "location_quotient"] == pytest.approx((30 / 50) / (40 / 100))
    assert lq.loc[(110100, 14), "location_quotient"] == pytest.approx((40 / 50) / (40 / 100))
    assert lq.loc[(120100, 15), "location_quotient"] == pytest.approx((20 / 50) / (20 / 100))
    assert lq.loc[(110100, 14), "n_firms_cell"] == 2


def test_ellison_glaeser_hand_computed(toy_firms):
    eg = clusters.ellison_glaeser(toy_firms).set_index("industry4")["eg_index"]
    # x = (0.5, 0.5), sum x^2 = 0.5. 1310: s = (.25, .75), G = .125, H = .625
    assert eg[1310] == pytest.approx((0.125 - 0.5 * 0.625) / (0.5 * 0.375))
    # 1410: both firms in one city, s = (1, 0), G = .5, H = .5 -> 1
    assert eg[1410] == pytest.approx(1.0)
    assert np.isnan(eg[1510])  # a single firm: undefined


def test_cluster_indicator():
    lq = pd.Series([2.0, 2.0, 0.5, np.nan])
    n = pd.Series([10, 2, 10, 10])
    eg = pd.Series([0.1, 0.1, 0.1, 0.1])
    assert clusters.cluster_indicator(lq, n, eg, 1.25, 5, None).tolist() == [1, 0, 0, 0]
    assert clusters.cluster_indicator(lq, n, eg - 0.2, 1.25, 5, 0.0).tolist() == [0, 0, 0, 0]


@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from([13, 14]),
                          st.floats(1.0, 1000.0)), min_size=1, max_size=30))
@settings(max_examples=30, deadline=None)
def test_lq_weighted_by_city_employment_averages_to_one(rows):
    firms = pd.DataFrame(rows, columns=["city", "industry2", "employment"]).assign(year=2000)
    lq = clusters.location_quotient(firms)
    e_c = firms.groupby("city")["employment"].sum() / firms["employment"].sum()
    for _, cell in lq.groupby("industry2"):
        # sum_c (E_c / E) LQ_cj = sum_c E_cj / E_j = 1 (cities without j have LQ 0)
        assert (cell["location_quotient"] * cell["city"].map(e_c)).sum() == pytest.approx(1.0)


@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from([1310, 1320]),
                          st.floats(1.0, 1000.0)), min_size=2, max_size=30))
@settings(max_examples=30, deadline=None)
def test_eg_matches_direct_formula(rows):
    firms = pd.DataFrame(rows, columns=["city", "industry4", "employment"]).assign(year=2000)
    eg = clusters.ellison_glaeser(firms).set_index("industry4")["eg_index"]
    x = firms.groupby("city")["employment"].sum() / firms["employment"].sum()
    for j, g in firms.groupby("industry4"):
        s = (g.groupby("city")["employment"].sum() / g["employment"].sum()).reindex(x.index, fill_value=0)
        G = ((s - x) ** 2).sum()
        H = ((g["employment"] / g["employment"].sum()) ** 2).sum()
        if H > 1 - 1e-9 or (x ** 2).sum() > 1 - 1e-9:
            assert np.isnan(eg[j])  # one firm or one city: undefined
            continue
        expect = (G - (1 - (x ** 2).sum()) * H) / ((1 - (x ** 2).sum()) * (1 - H))
        assert eg[j] == pytest.approx(expect, rel=1e-6, abs=1e-9)


def test_first_year_keeps_each_cells_earliest_row():
    """A cell's values of its first year with firms, whatever the row order; a cell that
    appears later keeps its own first year."""
    lq = pd.DataFrame({"city": [1, 1, 1, 2], "industry2": [13, 13, 13, 13], "year": [2001, 1999, 2000, 2000],
                       "location_quotient": [0.5, 2.0, 1.0, 3.0], "n_firms_cell": [9, 6, 7, 5]})
    first = clusters.first_year(lq, ["city", "industry2"]).set_index("city")
    assert first.loc[1, "location_quotient"] == 2.0 and first.loc[1, "n_firms_cell"] == 6
    assert first.loc[2, "location_quotient"] == 3.0
    assert "year" not in first.columns and len(first) == 2


def test_indicator_of_firm_years_by_the_rule():
    """clusters.indicator (the measures stage's and the synthetic truth's rule) on hand-computed
    cells: city 1 holds 60 % of industry 13's employment and 40 % of all, so LQ 1.5 there; a cell
    with too few firms, and a cell without firms in the LQ table (an unsurveyed firm's), is no
    cluster; an Ellison-Glaeser threshold must be passed too; `first` keeps a cell's first year."""
    from upgrading.core.cluster_rule import ClusterRule

    rows = pd.DataFrame({"city": [1] * 6 + [2] * 9, "industry2": [13] * 6 + [13] * 4 + [14] * 5,
                         "industry4": [1310] * 10 + [1410] * 5, "year": 2000, "employment": [100.0] * 15})
    lq_cells, eg = clusters.location_quotient(rows), clusters.ellison_glaeser(rows)
    rule = ClusterRule(lq_threshold=1.25, cluster_min_firms=5)
    got = clusters.indicator(rows, lq_cells, eg, rule)
    lq = rows.merge(lq_cells, on=["city", "industry2", "year"])
    want = clusters.cluster_indicator(lq["location_quotient"], lq["n_firms_cell"], pd.Series(np.nan, index=lq.index),
                                      1.25, 5, None).to_numpy()
    np.testing.assert_array_equal(got, want)
    assert got.tolist() == [1.0] * 6 + [0.0] * 4 + [1.0] * 5  # city 2: LQ 0.67 in 13, (5/9) / (1/3) = 1.67 in 14
    alone = pd.DataFrame({"city": [3], "industry2": [13], "industry4": [1310], "year": [2000]})
    assert clusters.indicator(alone, lq_cells, eg, rule).tolist() == [0.0]
    strict = ClusterRule(lq_threshold=1.25, cluster_min_firms=7)
    assert clusters.indicator(rows, lq_cells, eg, strict).sum() == 0
    # with an Ellison-Glaeser threshold, the firm's 4-digit industry must pass it too
    assert eg["eg_index"].notna().all()
    low, high = eg["eg_index"].min() - 1, eg["eg_index"].max() + 1
    assert clusters.indicator(rows, lq_cells, eg, ClusterRule(1.25, 5, low)).tolist() == got.tolist()
    assert clusters.indicator(rows, lq_cells, eg, ClusterRule(1.25, 5, high)).sum() == 0
    # a second year in which city 2's industry 13 grows, so city 1's cell falls below the threshold:
    # `current` drops it that year, `first` keeps its first year's indicator
    later = rows.assign(year=2001, employment=[100.0] * 6 + [400.0] * 4 + [100.0] * 5)  # LQ 2700 / 2200 < 1.25
    both = pd.concat([rows, later], ignore_index=True)
    lq_cells, eg = clusters.location_quotient(both), clusters.ellison_glaeser(both)
    current = clusters.indicator(both, lq_cells, eg, rule)
    first = clusters.indicator(both, lq_cells, eg, ClusterRule(1.25, 5, None, "first"))
    assert current[15:21].tolist() == [0.0] * 6 and first[15:21].tolist() == [1.0] * 6
    assert first[:15].tolist() == current[:15].tolist() == got.tolist()
