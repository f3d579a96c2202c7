import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from upgrading.productivity.design import lag_index, polynomial, resample_firms, year_dummies


def test_lag_index_hand_computed():
    firm = np.array([1, 1, 1, 2, 2, 3])
    year = np.array([2000, 2001, 2003, 2001, 2002, 2005])
    # firm 1: 2001 follows 2000; 2003 has a gap; firm 2: 2002 follows 2001; firm 3 alone.
    assert lag_index(firm, year).tolist() == [-1, 0, -1, -1, 3, -1]


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1998, 2007)), min_size=1, max_size=60,
                unique=True))
@settings(max_examples=60, deadline=None)
def test_lag_index_points_to_same_firm_previous_year(cells):
    cells = sorted(cells)
    firm = np.array([c[0] for c in cells])
    year = np.array([c[1] for c in cells])
    lag = lag_index(firm, year)
    have = set(cells)
    for i, j in enumerate(lag):
        if j >= 0:
            assert firm[j] == firm[i] and year[j] == year[i] - 1
        else:
            assert (firm[i], year[i] - 1) not in have


def test_polynomial_has_every_monomial():
    rng = np.random.default_rng(0)
    cols = [rng.normal(size=50) for _ in range(3)]
    # degree 3 in 3 variables: 3 + 6 + 10 = 19 monomials
    assert polynomial(cols, 3).shape == (50, 19)
    assert polynomial(cols[:2], 3).shape == (50, 9)


def test_year_dummies_drop_first_year():
    d = year_dummies(np.array([2000, 2001, 2001, 2003]))
    assert d.tolist() == [[0, 0], [1, 0], [1, 0], [0, 1]]


def test_resample_firms_keeps_whole_firms_as_new_ids():
    data = {"firm": np.array([5, 5, 5, 9, 9]), "year": np.array([1, 2, 3, 1, 2]),
            "y": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}
    out = resample_firms(data, np.random.default_rng(3), 4)
    # each new firm is a full copy of an original firm, years in order
    for f in np.unique(out["firm"]):
        ys = out["y"][out["firm"] == f].tolist()
        assert ys in ([1.0, 2.0, 3.0], [4.0, 5.0])
    assert sorted(np.unique(out["firm"]).tolist()) == [0, 1, 2, 3]
    assert np.all(np.diff(out["firm"]) >= 0)
