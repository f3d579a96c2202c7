"""The law of motion's innovation from one factorisation (markov.Innovations) against the
regression it stands for, run afresh for each candidate omega."""

import numpy as np
import pytest

from upgrading.productivity import acf, lp, markov

from .builders import make_world, simulate_static_labour, to_arrays


@pytest.fixture(scope="module")
def data():
    df = make_world(400, 7, seed=3)
    out = to_arrays(df)
    out["city"] = df["city"].to_numpy(float)
    out["class"] = (np.arange(len(df)) % 3 == 0).astype(float)
    out["control"] = np.sin(out["year"]) + 0.1 * out["k"]
    return out


def regression_xi(omega: np.ndarray, data: dict, degree: int, controls=(), group=None,
                  selection=False, year_by=None, free=("l",)) -> np.ndarray:
    """omega_t on [powers of omega_{t-1} (and with selection P, P^2, P^3 and the interactions
    up to total degree 3), lagged controls, year (by class) dummies, a constant or group
    dummies], least squares on all columns at once."""
    pairs = markov.make_pairs(data, controls, True, group, selection, free, year_by)
    cur, lag = pairs.cur, pairs.lag
    w = omega[lag]
    cols = [w ** p for p in range(1, degree + 1)]
    if selection:
        P = markov.observation_probability(data, markov.lag_index(data["firm"], data["year"]), free)[lag]
        cols += [P, P ** 2, P ** 3, w * P, w * w * P, w * P * P]
    cols += [data[c][lag] for c in controls]
    years = np.unique(data["year"][cur])
    cols += [(data["year"][cur] == y).astype(float) for y in years[1:]]
    if year_by is not None:
        cols.append(markov.class_year_effects(data[year_by][lag], data["year"][cur]))
    if group is None:
        cols.append(np.ones(len(cur)))
    else:
        cols += [(data[group][cur] == g).astype(float) for g in np.unique(data[group][cur])]
    X = np.column_stack(cols)
    y = omega[cur]
    return y - X @ np.linalg.lstsq(X, y, rcond=None)[0]


CASES = {
    "plain": {},
    "selection and class-year effects": {"selection": True, "year_by": "class"},
    "group effects and a control": {"group": "city", "controls": ("control",)},
    "everything": {"group": "city", "controls": ("control",), "selection": True,
                   "year_by": "class"},
}


@pytest.mark.parametrize("free", [("l",), ("l", "m")])
@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("case", CASES)
def test_innovations_match_the_regression(data, case, degree, free):
    """Value added (phi, l, k) and, with two free inputs, gross output (phi, l, m, k)."""
    opts = CASES[case]
    pairs = markov.make_pairs(data, opts.get("controls", ()), True, opts.get("group"),
                              opts.get("selection", False), free, opts.get("year_by"))
    phi = acf.first_stage(data, 3, free=free)
    values = np.column_stack([phi, *(data[f] for f in free), data["k"]])
    law = markov.Innovations(values, pairs, degree)
    for beta in [(0.4, 0.3), (0.95, 0.02), (0.1, 1.3), (0.0, 0.0)]:
        beta = (*beta[:1], *[0.2] * (len(free) - 1), beta[1])
        u = np.r_[1.0, -np.asarray(beta)]
        expect = regression_xi(values @ u, data, degree, free=free, **opts)
        np.testing.assert_allclose(law.xi(u), expect, rtol=0,
                                   atol=1e-10 * np.max(np.abs(expect)))
        # xi lies in Q's span: its coordinates carry the whole vector
        np.testing.assert_allclose(np.linalg.norm(law.coordinates(u)), np.linalg.norm(expect),
                                   rtol=1e-10)


def test_collinear_powers_are_cut_not_amplified():
    """A balanced panel: P is 0.99 everywhere, so omega_{t-1} P is 0.99 omega_{t-1}. Near the
    spurious root (labour 1, capital 0.05) the singular values those copies leave are at
    rounding level; kept, they would move xi by about 0.1."""
    data = simulate_static_labour(1000, 6, seed=1)
    pairs = markov.make_pairs(data, (), True, None, True, ("l",))
    assert np.ptp(pairs.p_obs) == 0
    values = np.column_stack([acf.first_stage(data, 3), data["l"], data["k"]])
    law = markov.Innovations(values, pairs, 3)
    for beta in [(1.0, 0.05), (1.0 + 1e-8, 0.05), (0.45, 0.3)]:
        u = np.r_[1.0, -np.asarray(beta)]
        expect = regression_xi(values @ u, data, 3, selection=True)
        np.testing.assert_allclose(law.xi(u), expect, rtol=0, atol=1e-10 * np.max(np.abs(expect)))


def test_lp_criterion_is_the_mean_squared_residual(data):
    """LP's least squares runs on Q's coordinates plus one norm: its criterion is still the
    mean of eps_t + xi_t squared over the pairs."""
    est = lp.estimate(data)
    b_free, phi, eps = lp.first_stage(data, 3)
    pairs = markov.make_pairs(data, (), True, None, False, ("l",))
    omega = phi - est["beta_k"] * data["k"]
    expect = regression_xi(omega, data, 3) + eps[pairs.cur]
    assert est["criterion"] == pytest.approx(float(np.mean(expect ** 2)), rel=1e-10)


def test_too_few_pairs_is_no_estimate():
    """One year per firm: no (t, t-1) pairs, so xi vanishes for every candidate and every
    start would be a root; LP and ACF say why instead of reporting one."""
    df = make_world(300, 4, seed=5)
    one_year = df.groupby("firm_id").head(1).reset_index(drop=True)
    data = to_arrays(one_year)
    for module in (acf, lp):
        est = module.estimate(data)
        assert not est["converged"] and est["nobs"] == 0
        assert "firm-year pairs (t, t-1)" in est["message"]
