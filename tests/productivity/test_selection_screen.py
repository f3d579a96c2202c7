"""benchmarks/selection_screen.py: its Newton root is the search's root, its logit is a logit."""


import numpy as np
import pytest
import statsmodels.api as sm

from upgrading.productivity import acf, markov
from upgrading.productivity.design import lag_index

from .builders import benchmark_module, make_world, to_arrays


def _screen():
    return benchmark_module("selection_screen")


def test_newton_root_is_the_search_root():
    data = to_arrays(make_world(600, 6, seed=11))
    settings = acf.Settings(selection=True)
    est = acf.estimate(data, settings)
    assert est["converged"]
    beta, se = _screen().newton_root(data, settings, np.array([0.40, 0.35]), None)
    assert beta == pytest.approx([est["beta_l"], est["beta_k"]], abs=1e-6)
    assert (se > 0).all() and (se < 0.2).all()


def test_logit_probability_matches_statsmodels():
    data = to_arrays(make_world(400, 5, seed=3))
    lag = lag_index(data["firm"], data["year"])
    p = _screen().probability(link="logit", degree=1)(data, lag)
    has_next = np.zeros(len(lag))
    has_next[lag[lag >= 0]] = 1.0
    rows = data["year"] < data["year"].max()
    X = np.column_stack([np.ones(len(lag)), data["k"], data["l"], data["m"],
                         markov.year_dummies(data["year"])])
    X = X[:, X[rows].any(axis=0)]  # the last year's dummy is zero on the rows fitted
    ref = sm.Logit(has_next[rows], X[rows]).fit(disp=0).predict(X)
    assert p == pytest.approx(np.clip(ref, 0.01, 0.99), abs=1e-6)
