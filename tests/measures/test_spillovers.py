import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upgrading.core import spillovers


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
    # leave-one-out: firm 3 sees only firm 4 (0.25), firm 4 only firm 3 (1.0); firms 1, 2, 5
    # are alone in their city x industry cells (NaN)
    loc = spillovers.local_horizontal(toy_firms)
    assert loc.index.equals(toy_firms.index)
    assert loc.tolist()[2:4] == pytest.approx([0.25, 1.0])
    assert loc.isna().tolist() == [True, True, False, False, True]


def test_local_horizontal_leaves_the_firm_out_by_hand():
    firms = pd.DataFrame({"firm_id": [1, 2, 3, 4], "year": 2000, "city": [110100] * 3 + [120100],
                          "industry2": 13, "output": [100.0, 300.0, 100.0, 80.0],
                          "foreign_share": [1.0, 0.0, 0.5, 0.3]})
    loc = spillovers.local_horizontal(firms).tolist()
    # A: (0 x 300 + 0.5 x 100) / 400; B: (1 x 100 + 0.5 x 100) / 200; C: (1 x 100 + 0) / 400
    assert loc[:3] == pytest.approx([0.125, 0.75, 0.25])
    assert np.isnan(loc[3])
    # the firm's own output and share do not move its own value
    bigger = firms.assign(output=[1e6, 300.0, 100.0, 80.0], foreign_share=[0.0, 0.0, 0.5, 0.3])
    assert spillovers.local_horizontal(bigger).tolist()[0] == pytest.approx(0.125)


def test_leave_one_out_share_members_and_zero_weights():
    cell = np.array([0, 0, 0, 1, 1])
    share = np.array([1.0, 0.0, 0.5, 0.2, 0.9])
    weight = np.array([100.0, 300.0, 100.0, 50.0, 0.0])
    member = np.array([True, True, False, True, True])
    out = spillovers.leave_one_out_share(cell, share, weight, member)
    # firm 2 is not a member: it sees its whole cell (firms 0, 1); firm 4 has zero weight,
    # so firm 3 has no other firm with positive weight (NaN); firm 4 sees firm 3
    assert out[:3] == pytest.approx([0.0, 1.0, 0.25])
    assert np.isnan(out[3]) and out[4] == pytest.approx(0.2)


def test_local_horizontal_lag_excludes_own_previous_row():
    firms = pd.DataFrame({"firm_id": [1, 2, 3, 1, 4, 5], "year": [2000, 2000, 2000, 2001, 2001, 2001],
                          "city": [110100, 110100, 120100, 110100, 110100, 120100], "industry2": 13,
                          "output": [100.0, 300.0, 50.0, 100.0, 100.0, 70.0],
                          "foreign_share": [1.0, 0.0, 0.4, 1.0, 0.5, 0.0]})
    lag = spillovers.local_horizontal_lag1(firms).tolist()
    assert np.isnan(lag[:3]).all()  # no 2000 - 1
    # firm 1 in 2001: its 2000 cell without itself = firm 2 (0.0); entrant 4: firms 1 and 2
    # in 2000 (100 / 400); entrant 5 in 120100: firm 3 (0.4)
    assert lag[3:] == pytest.approx([0.0, 0.25, 0.4])


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


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0.0, 1.0), st.floats(1e-3, 1e6)),
                min_size=1, max_size=30), st.floats(0.0, 1.0), st.floats(1e-3, 1e6))
@settings(max_examples=40, deadline=None)
def test_leave_one_out_in_unit_interval_and_blind_to_own_values(rows, new_share, new_weight):
    cell = np.array([r[0] for r in rows])
    share = np.array([r[1] for r in rows])
    weight = np.array([r[2] for r in rows])
    out = spillovers.leave_one_out_share(cell, share, weight)
    ok = ~np.isnan(out)
    assert ((out[ok] >= 0) & (out[ok] <= 1)).all()
    # NaN exactly for firms alone in their cell
    alone = np.bincount(cell)[cell] == 1
    assert (np.isnan(out) == alone).all()
    # changing firm 0's own share and weight leaves its own value unchanged
    share2, weight2 = share.copy(), weight.copy()
    share2[0], weight2[0] = new_share, new_weight
    again = spillovers.leave_one_out_share(cell, share2, weight2)
    assert np.isclose(again[0], out[0], rtol=1e-6, atol=1e-6) or (np.isnan(again[0]) and np.isnan(out[0]))


def test_own_excluded_horizontal_leaves_the_firm_out_by_hand():
    """Industry 13 in 2000: outputs 100 (domestic), 300 (domestic), 100 (HMT 0.5). The domestic
    firm of output 100 sees the others: (0.5 x 100) / (300 + 100); the HMT firm sees none."""
    firms = pd.DataFrame({"industry2": [13, 13, 13, 14], "year": [2000] * 4,
                          "output": [100.0, 300.0, 100.0, 50.0],
                          "hmt_share": [0.0, 0.0, 0.5, 0.0], "other_foreign_share": [0.0, 0.0, 0.0, 0.2],
                          "foreign_share": [0.0, 0.0, 0.5, 0.2]})
    h = spillovers.own_excluded_horizontal(firms)
    assert h.loc[0, "horizontal"] == pytest.approx(50 / 400)
    assert h.loc[1, "horizontal_hmt"] == pytest.approx(50 / 200)
    assert h.loc[2, "horizontal"] == pytest.approx(0.0)
    assert h.loc[0, "horizontal_other"] == pytest.approx(0.0)
    assert np.isnan(h.loc[3, "horizontal"])  # alone in its industry-year: no other firm
    # the industry share (firm included) is what a firm of zero weight would see
    assert spillovers.horizontal(firms).loc[(13, 2000), "horizontal"] == pytest.approx(50 / 500)
