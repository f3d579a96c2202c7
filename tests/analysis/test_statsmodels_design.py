"""engine_statsmodels.design_matrix: the matrix sm.add_constant(concat(regressors, get_dummies)) gives,
in one column-major array, so probit and logit fits are the same to the last digit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from upgrading.analysis.engine_statsmodels import design_matrix


def _reference(frame, exog, fe_cols):
    parts = [pd.get_dummies(frame[c].astype("int64"), prefix=c, drop_first=True, dtype="float64") for c in fe_cols]
    return sm.add_constant(pd.concat([frame[exog], *parts], axis=1), has_constant="add")


def _frame(n=400, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                         "year": rng.choice([2003, 1998, 2001, 2007], n),
                         "industry2": rng.choice([13, 40, 27], n)},
                        index=np.arange(100, 100 + n))  # not a 0..n-1 index


def test_same_matrix_names_and_layout_as_dummies_plus_constant():
    frame = _frame()
    X = design_matrix(frame, ["x1", "x2"], ["year", "industry2"])
    ref = _reference(frame, ["x1", "x2"], ["year", "industry2"])
    assert list(X.columns) == list(ref.columns)
    assert X.index.equals(ref.index)
    np.testing.assert_array_equal(X.to_numpy(), ref.to_numpy(dtype="float64"))
    assert np.asarray(X).flags.f_contiguous  # the layout statsmodels gets from the reference too
    assert np.asarray(ref, dtype="float64").flags.f_contiguous


def test_probit_fit_is_bit_identical():
    frame = _frame(n=2000)
    rng = np.random.default_rng(5)
    y = (frame["x1"] + 0.3 * (frame["year"] > 2000) + rng.normal(size=len(frame)) > 0).astype(float)
    a = sm.Probit(y, design_matrix(frame, ["x1", "x2"], ["year", "industry2"])).fit(disp=0)
    b = sm.Probit(y, _reference(frame, ["x1", "x2"], ["year", "industry2"])).fit(disp=0)
    assert a.params.to_numpy().tobytes() == b.params.to_numpy().tobytes()
    assert a.bse.to_numpy().tobytes() == b.bse.to_numpy().tobytes()


def test_no_fixed_effects():
    frame = _frame(n=10)
    X = design_matrix(frame, ["x1"], [])
    assert list(X.columns) == ["const", "x1"] and (X["const"] == 1.0).all()


def test_rank_check_agrees_with_statsmodels_qr_and_names_the_dependent_columns():
    import pytest
    from statsmodels.tools.tools import matrix_rank

    from upgrading.analysis.engine_statsmodels import check_full_rank

    frame = _frame(n=3000)
    base = design_matrix(frame, ["x1", "x2"], ["year", "industry2"])
    rng = np.random.default_rng(9)
    full_rank = {
        "plain": base,
        "a column a million times smaller": base.assign(x2=base["x2"] * 1e-6),
        "two columns correlated at 1 - 1e-9": base.assign(x3=base["x1"] + 1e-9 * rng.normal(size=len(base))),
    }
    for name, X in full_rank.items():
        assert matrix_rank(X.to_numpy(), method="qr") == X.shape[1], name  # statsmodels: full rank
        check_full_rank(X, "fam/m", block_rows=500)  # several blocks: no error
    dependent = {"x3": base.assign(x3=2.0 * base["x1"] - base["x2"]), "zeros": base.assign(zeros=0.0)}
    for X in dependent.values():
        assert matrix_rank(X.to_numpy(), method="qr") == X.shape[1] - 1
        with pytest.raises(ValueError, match=r"fam/m: the design has rank 8 of 9 columns; linearly "
                                             r"dependent on the others: .+"):
            check_full_rank(X, "fam/m", block_rows=500)
    with pytest.raises(ValueError, match="dependent on the others: zeros$"):
        check_full_rank(dependent["zeros"], "fam/m")
