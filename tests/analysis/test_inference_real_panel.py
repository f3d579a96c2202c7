"""Few-cluster inference on a real panel with effects that cross the clusters: fixest's `trade`
gravity data (../shared/data/trade.parquet; skipped without it). Origin, destination, product
and year effects, clustered by origin (15 clusters, no effect nested in them) or by product
(20, its own effect nested): the jackknife from sums by cluster against pyfixest's CRV3 refits
and the bootstrap's cross terms against a demeaning per cluster."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import bootstrap, inference
from upgrading.core.within import Demeaner, codes, demean_map

TRADE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "trade.parquet"
pytestmark = pytest.mark.skipif(not TRADE.is_file(), reason="../shared/data/trade.parquet absent")
EFFECTS = ["Origin", "Destination", "Product", "Year"]


@pytest.fixture(scope="module")
def trade() -> pd.DataFrame:
    df = pd.read_parquet(TRADE)
    df = df[np.isfinite(df["log_euros"])].reset_index(drop=True)
    for c in EFFECTS:
        df[c + "_code"] = codes(df[c].to_numpy())
    return df


@pytest.mark.parametrize("cluster", ["Origin", "Product"])
def test_jackknife_from_sums_by_cluster_equals_pyfixest_crv3_on_trade(trade, cluster):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("log_euros ~ log_dist | Origin + Destination + Product + Year", data=trade,
                       vcov={"CRV1": cluster}, fixef_rm="none", fixef_tol=1e-14, fixef_maxiter=100_000)
        reference = inference.crv3(fit, cluster)[0]["log_dist"]
    fe = trade[[c + "_code" for c in EFFECTS]].to_numpy()
    jack, method = inference.jackknife(trade[["log_euros", "log_dist"]].to_numpy(), ["log_euros", "log_dist"], fe,
                                       None, trade[cluster + "_code"].to_numpy(), [("log_euros", ["log_dist"])])
    assert method == "sums by cluster"
    got = inference.crv3_from_jackknife(["log_dist"], np.asarray(fit._beta_hat), jack[0])["log_dist"]
    np.testing.assert_allclose(got, reference, rtol=1e-8)


def test_bootstrap_cross_terms_equal_a_demeaning_per_cluster_on_trade(trade):
    fe = trade[[c + "_code" for c in EFFECTS]].to_numpy()
    demean = Demeaner(fe)
    assert demean.projection() is not None  # the direct path is the one compared
    X = demean(trade[["log_dist"]].to_numpy(dtype=float))
    y = demean(trade[["log_euros"]].to_numpy(dtype=float))[:, 0]
    clusters = trade["Product_code"].to_numpy()
    direct = bootstrap.cross_terms(X, y, clusters, demean)
    by_cluster = bootstrap.cross_terms(X, y, clusters, lambda a: demean_map(a, fe))
    np.testing.assert_allclose(direct, by_cluster, rtol=0, atol=1e-10 * np.abs(by_cluster).max())
