import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from upgrading.measures import spillovers


def test_horizontal_hand_computed(toy_firms):
    h = spillovers.horizontal(toy_firms)
    assert h.loc[(13, 2000), "horizontal"] == pytest.approx(50 / 400)
    assert h.loc[(13, 2000), "horizontal_hmt"] == pytest.approx(50 / 400)
    assert h.loc[(13, 2000), "horizontal_other"] == pytest.approx(0.0)
    assert h.loc[(14, 2000), "horizontal"] == pytest.approx(250 / 400)
    assert h.loc[(14, 2000), "horizontal_other"] == pytest.approx(250 / 400)
    assert h.loc[(15, 2000), "horizontal"] == 0.0


def test_backward_and_forward_hand_computed(toy_firms, toy_io):
    m = spillovers.industry_year_measures(toy_firms, toy_io).set_index("industry2")
    # backward_j = sum_{k != j} alpha_jk horizontal_k (own alpha_13,13 = 0.3 excluded)
    assert m.loc[13, "backward"] == pytest.approx(0.4 * 0.625 + 0.2 * 0.0)
    assert m.loc[14, "backward"] == pytest.approx(0.5 * 0.125)
    assert m.loc[15, "backward"] == pytest.approx(0.0)
    assert m.loc[13, "backward_hmt"] == pytest.approx(0.0)
    # forward_j = sum_{m != j} sigma_mj x foreign share of m's home sales (Y - X)
    home13, home14 = 40 / 380, 150 / 300
    assert m.loc[13, "forward"] == pytest.approx(0.6 * home14)
    assert m.loc[14, "forward"] == pytest.approx(0.0)
    assert m.loc[15, "forward"] == pytest.approx(0.5 * home13 + 0.1 * home14)
    assert m.loc[15, "forward_hmt"] == pytest.approx(0.5 * home13)


def test_local_horizontal_hand_computed(toy_firms):
    loc = spillovers.local_horizontal(toy_firms).set_index(["city", "industry2"])["horizontal_local"]
    assert loc[(110100, 13)] == pytest.approx(0.5)
    assert loc[(120100, 13)] == pytest.approx(0.0)
    assert loc[(110100, 14)] == pytest.approx(0.625)


def test_lagged_takes_previous_year_of_same_cell():
    t = pd.DataFrame({"industry2": [13, 13, 14, 14], "year": [2000, 2001, 2000, 2002],
                      "horizontal": [0.1, 0.2, 0.3, 0.4]})
    lag = spillovers.lagged(t, ["industry2", "year"], ["horizontal"])
    assert lag["horizontal_lag1"].tolist()[1] == pytest.approx(0.1)
    assert np.isnan(lag["horizontal_lag1"].to_numpy()[[0, 2, 3]]).all()  # 2002 follows a gap


firm_rows = st.lists(st.tuples(st.sampled_from([13, 14, 15, 17]), st.sampled_from([2000, 2001]),
                               st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.one_of(st.just(0.0), st.floats(1e-3, 1e6)),
                               st.floats(0.0, 1.0)), min_size=1, max_size=40)


def _frame(rows):
    df = pd.DataFrame(rows, columns=["industry2", "year", "hmt", "other", "output", "xshare"])
    # a valid capital split: hmt + other <= 1
    hmt = df["hmt"] * 0.5
    other = df["other"] * 0.5
    return pd.DataFrame({"industry2": df["industry2"], "year": df["year"], "hmt_share": hmt,
                         "other_foreign_share": other, "foreign_share": hmt + other,
                         "output": df["output"], "exports": df["output"] * df["xshare"]})


def _io(codes, diag_only=False, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in codes:
        for b in codes:
            v = rng.random() * 0.3 if (s == b or not diag_only) else 0.0
            rows.append({"industry2_supplier": s, "industry2_buyer": b, "alpha": v, "sigma": v})
    return pd.DataFrame(rows)


@given(firm_rows)
@settings(max_examples=30, deadline=None)
def test_shares_in_unit_interval(rows):
    m = spillovers.industry_year_measures(_frame(rows), _io([13, 14, 15, 17]))
    for c in ("horizontal", "horizontal_hmt", "horizontal_other"):
        v = m[c].dropna().to_numpy()
        assert ((v >= -1e-12) & (v <= 1 + 1e-12)).all()
    v = (m["horizontal_hmt"] + m["horizontal_other"] - m["horizontal"]).dropna()
    assert (np.abs(v.to_numpy()) < 1e-9).all()  # hmt + other = total


@given(firm_rows)
@settings(max_examples=30, deadline=None)
def test_no_off_diagonal_flows_means_no_vertical_spillovers(rows):
    m = spillovers.industry_year_measures(_frame(rows), _io([13, 14, 15, 17], diag_only=True))
    assert (m["backward"] == 0).all() and (m["forward"] == 0).all()


@given(st.floats(0.0, 1.0), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_weights_sum_as_they_should(share, seed):
    # every firm has the same foreign share: backward_j = share * sum_{k != j} alpha_jk and
    # forward_j = share * sum_{m != j} sigma_mj (the off-diagonal row / column sums)
    codes = [13, 14, 15]
    firms = pd.DataFrame({"industry2": codes, "year": 2000, "output": [10.0, 20.0, 30.0],
                          "exports": [1.0, 0.0, 5.0], "foreign_share": share,
                          "hmt_share": share / 2, "other_foreign_share": share / 2})
    io = _io(codes, seed=seed)
    m = spillovers.industry_year_measures(firms, io).set_index("industry2")
    off = io[io.industry2_supplier != io.industry2_buyer]
    for j in codes:
        a = off.loc[off.industry2_supplier == j, "alpha"].sum()
        s = off.loc[off.industry2_buyer == j, "sigma"].sum()
        assert m.loc[j, "backward"] == pytest.approx(share * a, abs=1e-12)
        assert m.loc[j, "forward"] == pytest.approx(share * s, abs=1e-12)
