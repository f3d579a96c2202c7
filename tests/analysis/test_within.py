"""The shared-demeaning engine against pf.feols: every model of config/specs.yaml on the toy
panel, plus weights, HC1 and iid, fitted both ways; coefficients to 1e-10 and standard errors
to 1e-8 (relative), and the same nobs, cluster counts, R2, p-values and intervals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import design as dsg
from upgrading.analysis import engine_pyfixest
from upgrading.core import registry, within

from .builders import make_panel
from .test_engine import _family

COMPARED = ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "r2", "r2_within"]


def _both_ways(df: pd.DataFrame, family: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    design = dsg.build(df, family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shared, _ = engine_pyfixest.estimate(family, design)
        reference, _ = engine_pyfixest.estimate(family, design, within=False)
    return pd.DataFrame(shared), pd.DataFrame(reference)


def _assert_same(shared: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert shared[["model", "term"]].equals(reference[["model", "term"]])
    assert (shared["nobs"] == reference["nobs"]).all()
    assert shared["n_clusters"].fillna(-1).equals(reference["n_clusters"].fillna(-1))
    np.testing.assert_allclose(shared["estimate"], reference["estimate"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(shared["std_error"], reference["std_error"], rtol=1e-8, atol=0)
    for c in COMPARED[2:]:
        np.testing.assert_allclose(shared[c], reference[c], rtol=1e-7, atol=1e-12, err_msg=c)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Six years and enough firms that the balanced sample identifies firm + city x year models."""
    return make_panel(n_firms=1500, seed=11, years=range(1998, 2004))


FAMILIES = registry.family_ids(registry.load(Path(__file__).resolve().parents[2] / "config" / "specs.yaml"))


@pytest.mark.parametrize("family_id", FAMILIES)
def test_every_registry_model_both_ways(panel, registry_spec, family_id):
    family = registry.resolve_family(registry_spec, family_id)
    if family["engine"] != "pyfixest":
        pytest.skip("statsmodels family")
    shared, reference = _both_ways(panel, family)
    _assert_same(shared, reference)
    assert set(reference["engine"]) == {"pyfixest"}
    # CRV3 from the shared jackknife against pyfixest's refits (which demean to pyfixest's default tolerance)
    np.testing.assert_allclose(shared["std_error_crv3"], reference["std_error_crv3"], rtol=1e-6, atol=0)
    with_fe = {m["id"] for m in family["models"] if m["fixed_effects"] and (m["inference"] or {}).get("crv3")}
    assert not shared.loc[shared["model"].isin(with_fe), "inference"].str.contains("pyfixest").any()
    # the wild cluster bootstrap on the shared demeaning's columns against pf.feols's
    wild = {m["id"] for m in family["models"] if (m["inference"] or {}).get("wild")}
    assert shared.loc[shared["model"].isin(wild), "p_value_wild"].notna().any() == bool(wild)
    for c in ["p_value_wild", "ci_low_wild", "ci_high_wild", "top_cluster_share"]:
        np.testing.assert_allclose(shared[c], reference[c], rtol=1e-6, atol=1e-12, err_msg=c)
    # the shared path fits every model it can: all but IV and models where pyfixest drops a
    # collinear term (heterogeneity/absorptive: a firm-constant control)
    design = dsg.build(panel, family)
    n_terms = reference.groupby("model").size()
    fallback = {m["id"] for m in family["models"] if m["iv"]
                or n_terms[m["id"]] < len(dsg.term_labels(design, m))}
    by_engine = shared.groupby("model")["engine"].first()
    assert set(by_engine[by_engine == "pyfixest"].index) == fallback
    assert (by_engine.drop(list(fallback)) == engine_pyfixest.WITHIN_ENGINE).all()


@pytest.mark.parametrize("cluster_gram_max", [within.CLUSTER_GRAM_MAX, 0])
def test_weights_hetero_iid_and_twoway_both_ways(toy, monkeypatch, cluster_gram_max):
    """Cluster scores from per-cluster cross-products and, with cluster_gram_max 0, from a pass
    over the rows."""
    monkeypatch.setattr(within, "CLUSTER_GRAM_MAX", cluster_gram_max)
    df = toy.assign(w=np.random.default_rng(5).uniform(0.5, 2.0, len(toy)))
    family = _family([
        {"id": "weighted", "weights": "w"},
        {"id": "weighted_hc1", "weights": "w", "vcov": "hetero"},
        {"id": "hc1", "vcov": "hetero"},
        {"id": "iid", "vcov": "iid", "fixed_effects": ["city", "industry2", "year"]},
        {"id": "twoway", "vcov": {"cluster": ["industry2", "year"]}, "fixed_effects": ["firm_id", "city^year"]},
    ])
    shared, reference = _both_ways(df, family)
    _assert_same(shared, reference)
    assert set(shared["engine"]) == {engine_pyfixest.WITHIN_ENGINE}


def test_collinear_regressor_falls_back_to_pyfixest(toy, caplog):
    df = toy.assign(firm_constant=toy["firm_id"] % 7)  # absorbed by the firm effects
    family = _family([{"id": "ok"}, {"id": "absorbed", "controls": ["firm_constant"]}])
    with caplog.at_level("INFO"):
        shared, reference = _both_ways(df, family)
    _assert_same(shared, reference)
    assert shared.groupby("model")["engine"].first().to_dict() == {
        "absorbed": "pyfixest", "ok": engine_pyfixest.WITHIN_ENGINE}
    assert "absorbed: pf.feols (collinear" in caplog.text


@pytest.mark.parametrize("method", ["direct", "map"])
def test_one_demeaning_equals_one_per_column(toy, method):
    """Each column is demeaned on its own: demeaning a union gives each column's own demeaning."""
    demean = within.demean_direct if method == "direct" else within.demean_map
    cols = ["tfp_acf", "backward", "forward"]
    fe = np.column_stack([within.codes(toy[c]) for c in ["firm_id", "year"]])
    union = demean(toy[cols].to_numpy(), fe)
    for j, c in enumerate(cols):
        alone = demean(toy[[c]].to_numpy(), fe)[:, 0]
        np.testing.assert_allclose(union[:, j], alone, rtol=0, atol=1e-13)


def _effects(df: pd.DataFrame, names: list[str]) -> np.ndarray:
    return np.column_stack([within.codes(df[n].astype(str) if n == "city_year" else df[n]) for n in names])


@pytest.mark.parametrize("effects", [
    ["firm_id"], ["firm_id", "year"], ["firm_id", "city_year"], ["city", "industry2", "year"],
    ["firm_id", "city_year", "industry_year"], ["year", "firm_id"],
    ["firm_id", "city"],  # firms never move: the city effects are nested in the firm effects
])
@pytest.mark.parametrize("weighted", [False, True])
def test_direct_demeaning_equals_pyfixest(toy, effects, weighted):
    """The exact projection equals pyfixest's alternating projections run to 1e-13."""
    df = toy.assign(city_year=toy["city"] * 10000 + toy["year"], industry_year=toy["industry2"] * 10000 + toy["year"])
    values = df[["tfp_acf", "backward", "horizontal_local", "l"]].to_numpy()
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(df)) if weighted else None
    fe = _effects(df, effects)
    direct = within.demean_direct(values, fe, w)
    reference = within.demean_map(values, fe, w, tol=1e-13)
    np.testing.assert_allclose(direct, reference, rtol=0, atol=1e-10)


@pytest.mark.parametrize("effects", [["firm_id"], ["firm_id", "year"], ["city", "industry2", "year"]])
def test_demeaning_in_place_equals_a_copy(toy, effects):
    """overwrite: the result is written into the caller's array, bit for bit what a fresh array
    holds; without it the caller's array is left as it was. Within's cluster cross-products
    (one cluster at a time) give the same fit either way."""
    values = np.ascontiguousarray(toy[["tfp_acf", "backward", "horizontal_local", "l"]].to_numpy())
    raw = values.copy()
    fe = _effects(toy, effects)
    projection = within.Projection(fe)
    fresh = projection.apply(values)
    np.testing.assert_array_equal(values, raw)
    in_place = projection.apply(values, overwrite=True)
    assert in_place is values
    np.testing.assert_array_equal(in_place, fresh)
    names = ["y", "x1", "x2", "x3"]
    clusters = [within.codes(toy["industry2"].to_numpy())]
    a = within.Within(raw.copy(), names, fe).fit("y", names[1:], "CRV1", clusters)
    given = raw.copy()
    b = within.Within(given, names, fe, overwrite=True).fit("y", names[1:], "CRV1", clusters)
    np.testing.assert_array_equal(given, fresh)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.vcov, b.vcov)


def test_direct_demeaning_with_sparse_cross_tabulations(toy, monkeypatch):
    """Effects whose cross-tabulation is too large to count densely (firm x city-year on the
    survey) go through the sparse path: the same projection, in place or not."""
    df = toy.assign(city_year=toy["city"] * 10000 + toy["year"])
    values = np.ascontiguousarray(df[["tfp_acf", "backward", "l"]].to_numpy())
    fe = _effects(df, ["firm_id", "city_year", "year"])
    dense = within.Projection(fe).apply(values)
    monkeypatch.setattr(within, "_DENSE_MAX", 1)
    sparse = within.Projection(fe)
    assert not isinstance(sparse.C, np.ndarray)
    np.testing.assert_allclose(sparse.apply(values), dense, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(sparse.apply(values.copy(), overwrite=True), sparse.apply(values))
    np.testing.assert_allclose(dense, within.demean_map(values, fe, tol=1e-13), rtol=0, atol=1e-10)


def test_direct_demeaning_disconnected_and_singletons():
    """Two sets of firms observed in disjoint years (two components, two redundancies) and
    firms seen once: still the exact projection."""
    rng = np.random.default_rng(9)
    firm = np.concatenate([np.repeat(np.arange(40), 3), np.repeat(np.arange(40, 70), 2), [70, 71]])
    year = np.concatenate([rng.integers(0, 4, 120), rng.integers(4, 7, 60), [1, 5]])
    fe = np.column_stack([within.codes(firm), within.codes(year)])
    values = rng.normal(size=(len(firm), 3)) + year[:, None] * 0.5
    np.testing.assert_allclose(within.demean_direct(values, fe),
                               within.demean_map(values, fe, tol=1e-14), rtol=0, atol=1e-10)


def test_direct_demeaning_falls_back_to_pyfixest(toy, monkeypatch, caplog):
    """A block over the size limit, or a failed check (here: real directions taken for
    redundancies), demeans with pyfixest instead, and the log says so."""
    values = toy[["tfp_acf", "backward"]].to_numpy()
    fe = _effects(toy, ["firm_id", "year"])
    reference = within.Within(values, ["y", "x"], fe, method="map")
    for name, value in [("DIRECT_MAX_BLOCK", 2), ("RANK_RTOL", 0.5)]:
        with monkeypatch.context() as mp, caplog.at_level("WARNING"):
            mp.setattr(within, name, value)
            with pytest.raises(within.NotDirect):
                within.demean_direct(values, fe)
            w = within.Within(values, ["y", "x"], fe)
        assert w.method == "map" and "pyfixest's demeaner instead" in caplog.text
        # the failed direct solve wrote its result into Within's copy: pyfixest demeans that,
        # whose projection is the same, to its tolerance
        np.testing.assert_allclose(w.values, reference.values, rtol=0, atol=1e-11)


def test_nesting_and_missing_values():
    assert within.nested(np.array([0, 0, 1, 1]), np.array([3, 3, 4, 4]))
    assert not within.nested(np.array([0, 0, 1, 1]), np.array([3, 4, 4, 4]))
    with pytest.raises(ValueError, match="missing"):
        within.Within(np.array([[1.0], [np.nan]]), ["y"], np.array([0, 1]))
