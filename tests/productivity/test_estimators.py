"""LP and ACF recover the simulated elasticities; OLS is biased the way theory says."""

import numpy as np
import pytest

from upgrading.productivity import acf, lp, markov
from upgrading.productivity.bootstrap import firm_bootstrap_se

from .builders import TRUE_K, TRUE_L, make_world, to_arrays

TOL = 0.03  # 2000 firms x 8 years: sampling error of ACF/LP is about 0.01


@pytest.fixture(scope="module")
def data(world):
    return to_arrays(world)


def test_acf_recovers_elasticities(data):
    est = acf.estimate(data)
    assert est["converged"]
    assert abs(est["beta_l"] - TRUE_L) < TOL
    assert abs(est["beta_k"] - TRUE_K) < TOL


def test_lp_recovers_elasticities(data):
    est = lp.estimate(data)
    assert est["converged"]
    assert abs(est["beta_l"] - TRUE_L) < TOL
    assert abs(est["beta_k"] - TRUE_K) < TOL


def test_ols_beta_l_biased_up(data):
    # labour responds to omega_t, so OLS credits labour with productivity
    bl, _ = acf.ols_start(data)
    assert bl > TRUE_L + 0.2


def test_acf_recovers_with_markov_controls_and_no_year_effects():
    df = make_world(1500, 8, seed=11)
    # an industry-year control: its lag enters the law of motion
    df["horizontal"] = 0.1 + 0.02 * (df["year"] - 1998)
    d = to_arrays(df) | {"horizontal": df["horizontal"].to_numpy(float)}
    est = acf.estimate(d, acf.Settings(markov_controls=("horizontal",), markov_year_effects=False))
    assert abs(est["beta_l"] - TRUE_L) < 0.04 and abs(est["beta_k"] - TRUE_K) < 0.04


def test_acf_is_deterministic(data):
    assert acf.estimate(data) == acf.estimate(data)


def test_bootstrap_se_seeded_and_plausible(data):
    start = np.array([TRUE_L, TRUE_K])

    def est(sample):
        return acf.estimate(sample, starts=start[None, :])

    se1 = firm_bootstrap_se(data, est, 8, 500, np.random.default_rng(1))
    se2 = firm_bootstrap_se(data, est, 8, 500, np.random.default_rng(1))
    assert se1 == se2
    # m-out-of-n rescaled SE: same order as the spread of ACF across simulated samples (~0.01)
    assert 0.002 < se1[0] < 0.05 and 0.002 < se1[1] < 0.05


def test_first_stage_city_effects_absorb_local_input_shares():
    # a city-level shift in intermediates: m is no longer a function of (omega, k, l) alone
    # (same draws as without the shift: city effects must make the estimate invariant to it)
    def arrays(shift):
        df = make_world(2000, 8, seed=13, city_input_shift=shift)
        return to_arrays(df) | {"city": df["city"].to_numpy(float)}

    fe = acf.Settings(first_stage_group="city")
    shifted, clean = acf.estimate(arrays(0.5), fe), acf.estimate(arrays(0.0), fe)
    assert abs(shifted["beta_l"] - clean["beta_l"]) < 0.005
    assert abs(shifted["beta_k"] - clean["beta_k"]) < 0.005
    assert abs(shifted["beta_l"] - TRUE_L) < 0.05 and abs(shifted["beta_k"] - TRUE_K) < 0.05
    without = acf.estimate(arrays(0.5))
    assert without["beta_l"] - TRUE_L > 0.2  # the contaminated proxy: badly off


def test_within_fit_equals_dummy_regression():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    g = rng.integers(0, 7, 200)
    y = X @ [1.0, -2.0, 0.5] + g * 0.3 + rng.normal(size=200)
    D = (g[:, None] == np.arange(7)[None, :]).astype(float)
    full = np.column_stack([X, D])
    expect = full @ np.linalg.lstsq(full, y, rcond=None)[0]
    np.testing.assert_allclose(acf.fitted_with_effects(X, y, g), expect, atol=1e-9)


def test_selection_correction_reduces_threshold_bias():
    # a survey threshold on current value added selects on omega_t given k_t: plain ACF
    # understates beta_k; the Olley-Pakes observation probability in g removes most of it
    df = make_world(3000, 8, seed=5)
    df = df[df["y"] >= np.quantile(df["y"], 0.15)]
    d = to_arrays(df)
    start = np.array([TRUE_L, TRUE_K])
    plain = acf.estimate(d, starts=start[None, :])
    corrected = acf.estimate(d, acf.Settings(selection=True), starts=start[None, :])
    assert plain["beta_k"] - TRUE_K < -0.08  # the bias the correction targets
    assert abs(corrected["beta_k"] - TRUE_K) < 0.06
    assert abs(corrected["beta_l"] - TRUE_L) < 0.03
    assert abs(corrected["beta_k"] - TRUE_K) < abs(plain["beta_k"] - TRUE_K) / 2


def test_city_effects_in_law_of_motion_keep_recovery():
    # with no city-level productivity in the world, city effects in g must not move ACF much
    df = make_world(1500, 8, seed=17)
    d = to_arrays(df) | {"city": df["city"].to_numpy(float)}
    plain = acf.estimate(d)
    grouped = acf.estimate(d, acf.Settings(markov_group="city"))
    assert abs(grouped["beta_l"] - plain["beta_l"]) < 0.02
    assert abs(grouped["beta_k"] - plain["beta_k"]) < 0.02


def test_class_year_effects_pinned():
    classes = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    year = np.array([2000, 2000, 2001, 2002, 2002])
    expect = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 1]], dtype=float)
    np.testing.assert_array_equal(markov.class_year_effects(classes, year), expect)
    assert markov.class_year_effects(np.zeros(3), np.array([1, 2, 3])).shape == (3, 0)


def test_year_effects_by_class_remove_a_class_specific_path():
    # domestic firms (smaller capital) get a productivity path s_t the foreign-invested firms
    # do not share: common year effects leave s_t - rho s_{t-1} in xi, correlated with k_t
    # through ownership; year effects by class absorb it
    df = make_world(3000, 8, seed=23)
    rng = np.random.default_rng(23)
    foreign = (rng.random(3000) < 0.3)[df["firm_id"].to_numpy()]
    path = np.linspace(0.0, 0.8, 8)[df["year"].to_numpy() - 1998] * ~foreign
    df = df.assign(k=df["k"] + 1.0 * foreign, y=df["y"] + path + TRUE_K * 1.0 * foreign,
                   m=df["m"] + 1.2 * path + 0.5 * foreign)
    d = to_arrays(df) | {"foreign": foreign.astype(float)}
    start = np.array([[TRUE_L, TRUE_K]])
    plain = acf.estimate(d, starts=start)
    by_class = acf.estimate(d, acf.Settings(markov_year_by="foreign"), starts=start)
    assert abs(plain["beta_k"] - TRUE_K) > 0.03
    assert abs(by_class["beta_k"] - TRUE_K) < 0.015
    assert abs(by_class["beta_l"] - TRUE_L) < 0.015
