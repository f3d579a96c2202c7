"""Few-cluster inference: the WCR bootstrap against full-refit brute force and the wildboottest
package, its interval against the brute-force test it inverts, CRV3 against a direct
leave-one-cluster-out jackknife, and byte-stable seeded output."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import bootstrap, estimate, inference
from upgrading.core import registry

G = 8


@pytest.fixture(scope="module")
def panel():
    """Firms nested in G clusters, year effects crossing them, heteroskedastic cluster errors."""
    rng = np.random.default_rng(42)
    n_firms, years = 48, 6
    firm = np.repeat(np.arange(n_firms), years)
    year = np.tile(np.arange(years), n_firms)
    g = firm % G
    shock = rng.normal(size=(G, years))[g, year]
    x = rng.normal(size=len(firm)) + 0.4 * shock
    z = rng.normal(size=len(firm))
    y = 0.25 * x - 0.1 * z + 0.2 * year + 0.5 * rng.normal(size=n_firms)[firm] \
        + shock + rng.normal(size=len(firm)) * (0.5 + 0.2 * g)
    return pd.DataFrame({"y": y, "x": x, "z": z, "firm": firm, "year": year, "g": g})


@pytest.fixture(scope="module")
def fit(panel):
    import pyfixest as pf

    return pf.feols("y ~ x + z | firm + year", data=panel, vcov={"CRV1": "g"}, fixef_rm="none")


def _dummy_design(panel):
    D = pd.get_dummies(panel[["firm", "year"]].astype(str), drop_first=False, dtype=float).to_numpy()
    return np.column_stack([panel["x"], panel["z"], D])


def _brute_t(Xf, y, codes, j, r):
    """CRV1 t of beta_j = r (no small-sample factor) from a full least-squares fit with dummies."""
    b = np.linalg.lstsq(Xf, y, rcond=None)[0]
    u = y - Xf @ b
    A = np.linalg.pinv(Xf.T @ Xf)
    s = np.array([Xf[codes == h].T @ u[codes == h] for h in range(G)])
    return (b[j] - r) / np.sqrt((A @ s.T @ s @ A)[j, j])


def _brute_wcr(panel, j, r, V):
    """Wild cluster restricted bootstrap by full refits: (original t, bootstrap t's)."""
    Xf = _dummy_design(panel)
    y = panel["y"].to_numpy()
    codes = panel["g"].to_numpy()
    Xr = np.delete(Xf, j, axis=1)
    yr = y - r * Xf[:, j]
    ur = yr - Xr @ np.linalg.lstsq(Xr, yr, rcond=None)[0]
    t0 = _brute_t(Xf, y, codes, j, r)
    tb = np.array([_brute_t(Xf, y - ur + v[codes] * ur, codes, j, r) for v in V])
    return t0, tb


def _demean(fit):
    return inference._demeaner(fit)


def _model(panel, fit, demean: bool = True) -> bootstrap.WCRModel:
    """The WCR statistics of the fit; without `demean` the bootstrap residuals are not demeaned again."""
    return bootstrap.WCRModel(fit._X, fit._Y, panel["g"].to_numpy(), _demean(fit) if demean else None)


@pytest.mark.parametrize("weights,r", [("webb", 0.0), ("rademacher", 0.3)])
def test_wcr_t_statistics_equal_brute_force_refits(panel, fit, weights, r):
    V = bootstrap.draw_weights(weights, 99, G, seed=3)
    test = bootstrap.WCRTest(_model(panel, fit), 0)
    t0, tb = _brute_wcr(panel, 0, r, V)
    assert test.t_stats(r, np.ones((1, G)))[0] == pytest.approx(t0, rel=1e-7)
    np.testing.assert_allclose(test.t_stats(r, V), tb, rtol=1e-6)
    assert test.p_value(r, V) == np.mean(np.abs(tb) >= abs(t0) * (1 - 1e-9))
    # without re-demeaning the bootstrap residuals the year effects (crossing the clusters) leak
    flat = bootstrap.WCRTest(_model(panel, fit, demean=False), 0)
    assert np.max(np.abs(flat.t_stats(r, V) - tb)) > 1e-3


@pytest.mark.parametrize("demean", [True, False])
def test_wcr_one_pass_per_weight_matrix_serves_every_null_value(panel, fit, demean):
    # The interval's bisection asks one test for many r with the same weights: the t's from the
    # pass computed at the first r must be those of a fresh test at each later r, and of refits.
    V = bootstrap.draw_weights("webb", 99, G, seed=5)
    test = bootstrap.WCRTest(_model(panel, fit, demean), 0)
    for r in (0.0, 0.3, -1.7, 25.0):
        fresh = bootstrap.WCRTest(_model(panel, fit, demean), 0)
        np.testing.assert_allclose(test.t_stats(r, V), fresh.t_stats(r, V.copy()),
                                   rtol=1e-12, atol=1e-12)
    if demean:
        t0, tb = _brute_wcr(panel, 0, -1.7, V)
        np.testing.assert_allclose(test.t_stats(-1.7, V), tb, rtol=1e-6)


def test_wcr_p_value_equals_wildboottest_under_full_enumeration(panel, fit):
    """2^8 = 256 sign vectors < 999 reps: both enumerate them all, so no seed is involved.
    wildboottest counts |t*| > |t| strictly, we count the two ties (the draws v = 1 and v = -1
    reproduce |t| up to rounding, which decides whether wildboottest counts them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = {p: float(fit.wildboottest(reps=999, param=p, weights_type="rademacher", seed=1)["Pr(>|t|)"])
               for p in ("x", "z")}
    for j, p in enumerate(("x", "z")):
        res = bootstrap.wcr(_model(panel, fit), j, bootstrap.WildSettings(999, 1, "rademacher"))
        assert res.reps == 2 ** G
        assert round((res.p_value - ref[p]) * 2 ** G) in (0, 1, 2) and res.p_value >= ref[p]
    assert ref["z"] > 0.1  # a coefficient far from the corner of the distribution


def test_wcr_interval_inverts_the_brute_force_test(panel, fit):
    s = bootstrap.WildSettings(reps=99, seed=11, weights="webb")
    res = bootstrap.wcr(_model(panel, fit), 0, s)
    V = bootstrap.draw_weights("webb", 99, G, seed=11)
    se = float(fit.se()["x"])
    assert res.ci_low < fit.coef()["x"] < res.ci_high
    for end, inside in ((res.ci_low, +1), (res.ci_high, -1)):
        for step, accepted in ((inside * 1e-3 * se, True), (-inside * 1e-3 * se, False)):
            t0, tb = _brute_wcr(panel, 0, end + step, V)
            p = np.mean(np.abs(tb) >= abs(t0) * (1 - 1e-9))
            assert (p > 0.05) == accepted, (end, step, p)


def test_top_cluster_share_from_the_dummy_design(panel, fit):
    """The share of the largest cluster in x's variation net of z and the fixed effects, computed
    from the full dummy design, equals the one from pyfixest's demeaned design; a regressor that
    varies in one cluster only gives 1."""
    Xf = _dummy_design(panel)
    codes = panel["g"].to_numpy()
    x = Xf[:, 0] - np.delete(Xf, 0, axis=1) @ np.linalg.lstsq(np.delete(Xf, 0, axis=1), Xf[:, 0], rcond=None)[0]
    ss = np.bincount(codes, weights=x * x)
    got = inference.top_cluster_share(fit._X, codes, list(fit._coefnames).index("x"))
    assert got == pytest.approx(ss.max() / ss.sum(), rel=1e-8)
    assert 1 / G < got < 1
    one = np.column_stack([np.where(codes == 3, np.random.default_rng(1).normal(size=len(codes)), 0.0)])
    assert inference.top_cluster_share(one, codes, 0) == pytest.approx(1.0)


def _direct_jackknife(panel) -> tuple[np.ndarray, np.ndarray]:
    """(b, (G, 2) leave-one-cluster-out coefficients) of x and z by least squares on the dummy design."""
    Xf = _dummy_design(panel)
    y = panel["y"].to_numpy()
    codes = panel["g"].to_numpy()
    b = np.linalg.lstsq(Xf, y, rcond=None)[0][:2]
    return b, np.array([np.linalg.lstsq(Xf[codes != h], y[codes != h], rcond=None)[0][:2] for h in range(G)])


def test_crv3_equals_direct_leave_one_cluster_out_jackknife(panel, fit):
    b, jack = _direct_jackknife(panel)
    se = np.sqrt((G - 1) / G * ((jack - b) ** 2).sum(axis=0))
    got, outer, G_fit = inference.crv3(fit, "g")
    assert G_fit == G
    np.testing.assert_allclose(outer, (jack - b).T @ (jack - b), rtol=1e-6)
    assert got["x"][0] == pytest.approx(se[0], rel=1e-6)
    assert got["z"][0] == pytest.approx(se[1], rel=1e-6)
    from scipy import stats

    crit = stats.t.ppf(0.975, G - 1)
    assert got["x"][1] == pytest.approx(b[0] - crit * se[0], rel=1e-6)
    # the fit itself still reports CRV1
    assert fit._vcov_type_detail == "CRV1"


def test_joint_f_is_the_crv3_wald_test_of_a_direct_jackknife(panel, fit):
    from scipy import stats

    b, jack = _direct_jackknife(panel)
    V = (G - 1) / G * (jack - b).T @ (jack - b)
    wald = float(b @ np.linalg.solve(V, b)) / 2
    m = {"id": "toy", "inference": {"crv3": True, "joint": {"name": "both", "terms": ["x", "z"]}}}
    row = inference.model_rows(fit, m, "g", None, [], None, joint_names=["x", "z"])[0]["x"]
    assert row["joint_f"] == pytest.approx(wald, rel=1e-6)
    assert (row["joint_df1"], row["joint_df2"]) == (2, G - 1)
    assert row["joint_p"] == pytest.approx(stats.f.sf(wald, 2, G - 1), rel=1e-6)
    assert row["joint_test"] == "both: x, z"
    # one restriction: F is the square of the CRV3 t statistic, p its two-sided t(G-1) p-value
    m1 = {"id": "toy", "inference": {"crv3": True, "joint": {"name": "x", "terms": ["x"]}}}
    one = inference.model_rows(fit, m1, "g", None, [], None, joint_names=["x"])[0]["z"]
    t = b[0] / np.sqrt(V[0, 0])
    assert one["joint_f"] == pytest.approx(t * t, rel=1e-6)
    assert one["joint_p"] == pytest.approx(2 * stats.t.sf(abs(t), G - 1), rel=1e-6)


def test_joint_test_of_as_many_coefficients_as_clusters_is_an_error():
    rng = np.random.default_rng(3)
    b, dev = rng.normal(size=4), rng.normal(size=(3, 4))
    with pytest.raises(RuntimeError, match="needs q < G"):
        inference.joint_f_test(b, dev.T @ dev, 3, "model toy")


def test_weight_draws():
    enum = bootstrap.draw_weights("rademacher", 999, 4, seed=0)
    assert enum.shape == (16, 4) and len({tuple(v) for v in enum}) == 16
    webb = bootstrap.draw_weights("webb", 500, 30, seed=0)
    assert set(np.unique(webb)) == set(bootstrap.WEBB_POINTS)
    assert abs(webb.mean()) < 0.05 and abs((webb ** 2).mean() - 1) < 0.05
    assert np.array_equal(webb, bootstrap.draw_weights("webb", 500, 30, seed=0))


def _family(inference_spec):
    base = {**registry.SETTINGS_DEFAULTS, "outcome": "tfp_acf",
            "regressors": ["horizontal_hmt", "backward"], "fixed_effects": ["firm_id", "year"],
            "vcov": {"cluster": "industry2"}, "inference": inference_spec}
    return {"id": "t", "panel": {"id": "firm_id", "time": "year"}, "samples": {}, "engine": "pyfixest",
            "models": [{**base, "id": "m"}]}


def _bytes(df):
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def test_seeded_inference_is_byte_stable_and_in_the_tidy_table(toy):
    spec = {"crv3": True, "wild": {"reps": 199, "seed": 9, "weights": "webb"}}
    a = estimate.estimate_family(toy, _family(spec))[0]
    b = estimate.estimate_family(toy, _family(spec))[0]
    assert _bytes(a) == _bytes(b)
    assert (a["inference"] == "CRV3; WCR webb 199 seed 9").all()
    assert a[["p_value_wild", "ci_low_wild", "ci_high_wild", "std_error_crv3", "top_cluster_share"]].notna().all().all()
    assert ((a["ci_low_wild"] < a["estimate"]) & (a["estimate"] < a["ci_high_wild"])).all()
    other = estimate.estimate_family(toy, _family({**spec, "wild": {**spec["wild"], "seed": 10}}))[0]
    assert not np.array_equal(other["ci_low_wild"], a["ci_low_wild"])
    plain = estimate.estimate_family(toy, _family(None))[0]
    assert plain["p_value_wild"].isna().all() and (plain["inference"] == "").all()


def test_iv_first_stage_f_and_anderson_rubin_set_against_direct_regressions():
    import pyfixest as pf
    from scipy import stats

    rng = np.random.default_rng(5)
    n, groups = 600, 12
    g = rng.integers(0, groups, n)
    t = rng.integers(0, 5, n)
    z = rng.normal(size=n) + 0.3 * rng.normal(size=groups)[g]
    w = rng.normal(size=n)
    e = rng.normal(size=n) + 0.5 * rng.normal(size=groups)[g]
    x = 0.25 * z + 0.5 * e + rng.normal(size=n)
    df = pd.DataFrame({"y": 0.8 * x + 0.3 * w + e, "x": x, "z": z, "w": w, "t": t, "g": g})
    fit = pf.feols("y ~ w | t | x ~ z", data=df, vcov={"CRV1": "g"})
    d = inference.iv_diagnostics(fit, df["g"].to_numpy())["x"]
    first = pf.feols("x ~ z + w | t", data=df, vcov={"CRV1": "g"})
    assert d["first_stage_f"] == pytest.approx(float(first.tstat()["z"]) ** 2, rel=1e-8)
    crit = stats.t.ppf(0.975, groups - 1)
    assert d["ar_ci_low"] < float(fit.coef()["x"]) < d["ar_ci_high"]
    for b, inside in ((d["ar_ci_low"] - 1e-4, False), (d["ar_ci_low"] + 1e-4, True),
                      (d["ar_ci_high"] - 1e-4, True), (d["ar_ci_high"] + 1e-4, False)):
        ar = pf.feols("y_b ~ z + w | t", data=df.assign(y_b=df["y"] - b * df["x"]), vcov={"CRV1": "g"})
        assert (abs(float(ar.tstat()["z"])) <= crit) == inside, b
    # a useless instrument: the set is unbounded, never a spuriously tight interval
    weak = pf.feols("y ~ w | t | x ~ u", data=df.assign(u=rng.normal(size=n)), vcov={"CRV1": "g"})
    dw = inference.iv_diagnostics(weak, df["g"].to_numpy())["x"]
    assert dw["first_stage_f"] < 10 and dw["ar_ci_high"] == np.inf and "inf" in dw["ar_set"]


def _jackknife_panel(seed: int = 3) -> pd.DataFrame:
    """Unbalanced firms in 10 industries and 6 cities over 5 years, with analytic weights."""
    rng = np.random.default_rng(seed)
    n_firms = 90
    firm = np.repeat(np.arange(n_firms), 5)
    year = np.tile(np.arange(5), n_firms)
    keep = rng.uniform(size=len(firm)) < 0.85
    firm, year = firm[keep], year[keep]
    industry, city = firm % 10, rng.integers(0, 6, n_firms)[firm]
    shock = rng.normal(size=(10, 5))[industry, year]
    x = rng.normal(size=len(firm)) + 0.5 * shock
    z = rng.normal(size=len(firm)) + 0.3 * city
    y = 0.3 * x - 0.2 * z + 0.1 * year + rng.normal(size=n_firms)[firm] + shock + rng.normal(size=len(firm))
    return pd.DataFrame({"y": y, "x": x, "z": z, "firm": firm, "year": year, "industry": industry,
                         "city": city, "w": rng.uniform(0.5, 2.0, len(firm))})


def _brute_jackknife(df: pd.DataFrame, fe: list[str], cluster: str, weights: str | None) -> np.ndarray:
    """Leave-one-cluster-out (x, z) coefficients with every fixed effect as dummies."""
    out = []
    for g in sorted(df[cluster].unique()):
        d = df[df[cluster] != g]
        D = pd.get_dummies(d[fe].astype(str), dtype=float).to_numpy()
        X = np.column_stack([d["x"], d["z"], D])
        s = np.sqrt(d[weights].to_numpy()) if weights else np.ones(len(d))
        out.append(np.linalg.lstsq(X * s[:, None], d["y"].to_numpy() * s, rcond=None)[0][:2])
    return np.array(out)


@pytest.mark.parametrize("fe,cluster,weights", [
    (["firm", "year"], "industry", None),  # firms nested in the clusters, years across them
    (["firm", "year"], "industry", "w"),
    (["city", "industry", "year"], "industry", None),  # city and year effects across the clusters
    (["city", "industry", "year"], "industry", "w"),
    (["firm"], "industry", "w"),  # every effect nested: no re-demeaning
    (["industry", "city"], "city", None),
])
def test_jackknife_equals_pyfixest_crv3_and_dummy_refits(fe, cluster, weights):
    import pyfixest as pf

    df = _jackknife_panel()
    fml = "y ~ x + z | " + " + ".join(fe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(fml, data=df, vcov={"CRV1": cluster}, weights=weights, fixef_rm="none",
                       fixef_tol=1e-14, fixef_maxiter=100_000)
        reference = inference.crv3(fit, cluster)[0]
    codes = np.column_stack([df[f].to_numpy() for f in fe])
    w = df[weights].to_numpy() if weights else None
    jack, method = inference.jackknife(df[["y", "x", "z"]].to_numpy(), ["y", "x", "z"], codes, w,
                                       df[cluster].to_numpy(), [("y", ["x", "z"]), ("y", ["x"])])
    assert method == ("nested" if fe == ["firm"] else "per cluster" if weights else "sums by cluster")
    np.testing.assert_allclose(jack[0], _brute_jackknife(df, fe, cluster, weights), rtol=1e-10, atol=1e-12)
    got = inference.crv3_from_jackknife(["x", "z"], np.asarray(fit._beta_hat), jack[0])
    for name in ("x", "z"):
        np.testing.assert_allclose(got[name], reference[name], rtol=1e-8, atol=0)
    assert jack[1].shape == (df[cluster].nunique(), 1)


@pytest.mark.parametrize("fe,cluster,moved", [(["firm", "year"], "industry", False), (["firm", "year"], "industry", True),
                                              (["city", "industry", "year"], "industry", False),
                                              (["firm", "city", "year"], "industry", True),
                                              (["firm"], "industry", True),
                                              (["industry", "city"], "city", False)])
def test_complement_grams_equal_a_demeaning_of_the_rows_left(fe, cluster, moved):
    """Each leave-one-cluster-out Gram from sums by cluster equals the Gram of the columns
    demeaned afresh on the other clusters' rows: firms nested in their industry or not (moved:
    every 17th firm-year in another one), effects crossing the clusters."""
    from upgrading.core.within import Within, cluster_complement_grams, codes

    df = _jackknife_panel()
    values = df[["y", "x", "z"]].to_numpy()
    fe_codes = np.column_stack([codes(df[f].to_numpy()) for f in fe])
    cl = codes(df[cluster].to_numpy())
    if moved:  # some firms change industry: the largest effect is not nested in the clusters
        cl = cl.copy()
        cl[::17] = (cl[::17] + 1) % (int(cl.max()) + 1)
    grams = cluster_complement_grams(values, fe_codes, cl, int(cl.max()) + 1)
    for g in range(int(cl.max()) + 1):
        keep = cl != g
        rest = Within(values[keep], ["y", "x", "z"], fe_codes[keep])
        np.testing.assert_allclose(grams[g], rest.values.T @ rest.values, rtol=1e-10)


def test_jackknife_of_a_regressor_absent_without_one_cluster_is_an_error():
    df = _jackknife_panel()
    only = np.where(df["industry"] == 4, df["x"], 0.0)
    with pytest.raises(ValueError, match="collinear .*without cluster 4;"):
        inference.jackknife(np.column_stack([df["y"], only]), ["y", "only"], df[["firm", "year"]].to_numpy(),
                            None, df["industry"].to_numpy(), [("y", ["only"])])


def test_engine_names_the_industry_whose_removal_leaves_a_regressor_collinear(toy):
    level = int(toy["industry2"].min())
    df = toy.assign(only=np.where(toy["industry2"] == level, toy["horizontal_hmt"], 0.0))
    family = _family({"crv3": True})
    family["models"][0]["regressors"] = ["only", "backward"]
    with pytest.raises(ValueError, match=f"collinear .*without cluster {level};"):
        estimate.estimate_family(df, family)


def test_cluster_sums_equal_sums_over_each_clusters_rows():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5003, 4))
    codes = rng.integers(0, 9, size=5003)
    sums = bootstrap._cluster_sums(X[:, :, None] * X[:, None, :], codes, 9)
    for g in range(9):
        np.testing.assert_allclose(sums[g], X[codes == g].T @ X[codes == g], rtol=1e-12)


@pytest.mark.parametrize("switch,city_year", [(0.0, False), (0.05, False), (0.0, True), (0.1, True)])
def test_cross_terms_from_the_effects_equal_a_re_demeaning_per_cluster(switch, city_year):
    """The direct path (within.Projection.cluster_scores) against demeaning every masked column
    with pyfixest's demeaner: firms nested in their cluster or some rows in another one, and a
    third effect (city x year) crossing the clusters."""
    from upgrading.core.within import Demeaner, demean_map
    from upgrading.core.within import codes as level_codes

    rng = np.random.default_rng(3)
    firm, year = np.repeat(np.arange(300), 7), np.tile(np.arange(7), 300)
    kept = rng.random(len(firm)) < 0.8
    firm, year = firm[kept], year[kept]
    cluster = rng.integers(0, 11, 300)[firm]
    moved = rng.random(len(firm)) < switch
    cluster[moved] = rng.integers(0, 11, int(moved.sum()))
    effects = [firm, year] + ([rng.integers(0, 6, 300)[firm] * 7 + year] if city_year else [])
    fe = np.column_stack([level_codes(e) for e in effects])
    demean = Demeaner(fe)
    assert demean.projection() is not None  # the direct path is the one compared
    X = demean(rng.normal(size=(len(firm), 3)))
    y = demean(rng.normal(size=(len(firm), 1)))[:, 0]
    codes = level_codes(cluster)
    direct = bootstrap.cross_terms(X, y, codes, demean)
    by_cluster = bootstrap.cross_terms(X, y, codes, lambda a: demean_map(a, fe))
    assert direct.shape == (4, 11, 3, 11)
    np.testing.assert_allclose(direct, by_cluster, rtol=0, atol=1e-12 * np.abs(by_cluster).max())


def test_cross_terms_of_columns_not_demeaned_are_refused_by_the_direct_path():
    """cluster_scores assumes X demeaned on the effects (the sums it drops vanish): a column that
    is not is a NotDirect, which cross_terms answers with a demeaning per cluster."""
    from upgrading.core.within import Demeaner, NotDirect
    from upgrading.core.within import codes as level_codes

    rng = np.random.default_rng(5)
    firm, year = np.repeat(np.arange(60), 5), np.tile(np.arange(5), 60)
    fe = np.column_stack([firm, year])
    cluster = level_codes(firm % 7)
    projection = Demeaner(fe).projection()
    assert projection is not None
    raw = rng.normal(size=(len(firm), 2)) + 3.0
    with pytest.raises(NotDirect, match="not demeaned"):
        projection.cluster_scores(raw, raw, cluster, 7)


def test_distribution_functions_from_scipy_special_are_scipy_stats_numbers():
    """The steps take t, F and normal tail values from scipy.special (scipy.stats costs half a
    second of import per job): the same numbers, bit for bit, as scipy.stats computes them."""
    from scipy import special, stats

    for df in (1, 2, 29, 30, 120):
        for x in (0.0, 0.37, 1.96, 2.5, 7.0):
            assert special.stdtr(df, -x) == stats.t.sf(x, df)
            assert special.fdtrc(3, df, x) == stats.f.sf(x, 3, df)
        for q in (0.5, 0.9, 0.95, 0.975, 0.995):
            assert special.stdtrit(df, q) == stats.t.ppf(q, df)
    for x in (0.0, 1.0, 2.0, 3.5):
        assert special.ndtr(-x) == stats.norm.sf(x)
