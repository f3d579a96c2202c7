"""The multi-start search: several roots found and reported, failures stop or fall back,
LP's NLLS second stage equals a direct least-squares solve, Chilean parity (needs ../shared)."""

from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from upgrading.productivity import lp, search
from upgrading.productivity.acf import Settings
from upgrading.productivity.design import lag_index, polynomial

from .builders import TRUE_K, TRUE_L, benchmark_module, make_world, to_arrays

CHILEAN = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "chilean.csv"


def two_roots(beta):
    # roots at (0.3, 0.2) and (0.9, 0.2), and a wrong-signed one at (-0.5, 0.2)
    return np.array([(beta[0] - 0.3) * (beta[0] - 0.9) * (beta[0] + 0.5), beta[1] - 0.2])


def test_multiple_roots_found_and_reported():
    starts = search.sobol_starts(1, search.SearchSettings())
    res = search.run(two_roots, np.vstack([starts, [[-1.0, 0.5]]]), "root")
    found = sorted(round(s[0], 6) for s in res.solutions)
    assert found == [-0.5, 0.3, 0.9]
    assert res.converged and res.second_in_band  # exact roots tie on the criterion
    assert res.starts == len(starts) + 1 and res.starts_converged == res.starts
    # the rank decides among admissible roots; the wrong-signed root is never chosen
    near = search.run(two_roots, starts, "root", rank=lambda b: abs(b[0] - 0.8))
    assert near.beta == pytest.approx([0.9, 0.2])
    far = search.run(two_roots, starts, "root", rank=lambda b: abs(b[0] - 0.0))
    assert far.beta == pytest.approx([0.3, 0.2])


def test_only_wrong_signed_roots_is_a_failure():
    res = search.run(lambda b: np.array([b[0] + 0.5, b[1] - 0.2]), [[0.4, 0.3], [1.0, 0.1]], "root")
    assert not res.converged and not res.admissible
    assert "non-positive" in res.message


def test_no_root_is_a_failure_with_the_best_criterion():
    res = search.run(lambda b: np.array([b[0] ** 2 + 1.0, b[1]]), [[0.4, 0.3]], "root")
    assert not res.converged and res.starts_converged == 0
    assert res.criterion == pytest.approx(1.0, abs=1e-6) and "no start" in res.message


def test_lp_nlls_equals_direct_least_squares():
    df = make_world(400, 6, seed=31)
    d = to_arrays(df)
    settings = Settings(poly_degree=2, markov_year_effects=False, selection=False,
                        first_stage_year_effects=False)
    est = lp.estimate(d, settings)
    # direct: first stage by lstsq, then scipy's least_squares on the LP (2003) residual
    X = np.column_stack([np.ones(len(d["y"])), d["l"], polynomial([d["k"], d["m"]], 2)])
    c = np.linalg.lstsq(X, d["y"], rcond=None)[0]
    phi, res = X @ c - c[1] * d["l"], d["y"] - c[1] * d["l"]
    lag = lag_index(d["firm"], d["year"])
    cur = np.flatnonzero(lag >= 0)
    prev = lag[cur]

    def resid(b):
        om = phi - b[0] * d["k"]
        P = np.column_stack([np.ones(len(cur)), om[prev], om[prev] ** 2, om[prev] ** 3])
        g = P @ np.linalg.lstsq(P, om[cur], rcond=None)[0]
        return res[cur] - b[0] * d["k"][cur] - g

    direct = optimize.least_squares(resid, [0.5], xtol=1e-14, ftol=1e-14, gtol=1e-14)
    assert est["converged"]
    assert est["beta_l"] == pytest.approx(c[1], abs=1e-10)
    assert est["beta_k"] == pytest.approx(direct.x[0], abs=1e-5)
    assert est["criterion"] == pytest.approx(np.mean(direct.fun ** 2), rel=1e-8)
    assert abs(est["beta_k"] - TRUE_K) < 0.05 and abs(est["beta_l"] - TRUE_L) < 0.05


@pytest.mark.skipif(not CHILEAN.is_file(), reason="needs ../shared/data/chilean.csv")
def test_chilean_parity_with_prodest():
    bench = benchmark_module("chilean_prodest")
    for method, settings, ref in bench.CASES:
        est, _ = bench.run(CHILEAN, method, settings)
        assert est["converged"]
        assert est["beta_l"] == pytest.approx(ref[0], abs=1e-3)
        assert est["beta_k"] == pytest.approx(ref[1], abs=1e-3)


def test_settings_reject_what_cannot_be_estimated():
    from upgrading.core.errors import InputError
    from upgrading.productivity.settings import from_mapping

    with pytest.raises(InputError, match="gross_output"):
        from_mapping({"output": "gross_output"})  # LP is among the default methods
    cfg = from_mapping({"output": "gross_output", "methods": ["ols", "acf"]})
    assert cfg.free == ("l", "m")
    with pytest.raises(InputError, match="fallback.acf"):
        from_mapping({"fallback": {"acf": "lp"}})
