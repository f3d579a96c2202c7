"""The truth's lean within regressions (upgrading.synth.fwl) against pf.feols with the engine's
conventions, on the small synthetic world: estimates to 1e-9 and CRV1 standard errors to 1e-7
(relative); missing values and firms moving between clusters are refused."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from upgrading.core.fixest import FIXEF_RM, FIXEF_TOL, ssc
from upgrading.synth.fwl import Within
from upgrading.synth.truth import MODELS, _column, regression_sample, surveyed_rows


@pytest.fixture(scope="module")
def sample(truth) -> pd.DataFrame:
    cols = [_column(t) for t in MODELS["structural"]]
    rows = surveyed_rows(truth)
    return regression_sample(rows, rows["cluster"].to_numpy(dtype=float)).dropna(subset=cols).reset_index(drop=True)


@pytest.mark.parametrize("model", ["baseline", "structural"])
def test_within_matches_pyfixest(sample, model):
    import pyfixest as pf

    cols = [_column(t) for t in MODELS[model]]
    w = Within(sample, ["true_omega", "true_spill", *cols], cluster="true_industry2")
    beta, se = w.crv1("true_omega", cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(f"true_omega ~ {' + '.join(cols)} | true_firm_id + year", data=sample,
                       vcov={"CRV1": "true_industry2"}, ssc=ssc(), fixef_rm=FIXEF_RM, fixef_tol=FIXEF_TOL)
    assert w.nobs == fit._N
    np.testing.assert_allclose(beta, fit.coef().to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(se, fit.se().to_numpy(), rtol=1e-7)
    # several outcomes from one demeaning: the same as one at a time
    both = w.coef(["true_omega", "true_spill"], cols)
    np.testing.assert_allclose(both["true_omega"], beta, rtol=1e-12)


def test_within_refuses_missing_values_and_moving_firms(sample):
    holes = sample.copy()
    holes.loc[0, "backward"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        Within(holes, ["true_omega", "backward"])
    moved = sample.copy()
    first = moved["true_firm_id"] == moved["true_firm_id"].iloc[0]
    if first.sum() < 2:
        pytest.skip("first firm has one year")
    moved.loc[first.idxmax(), "true_industry2"] = -5
    with pytest.raises(ValueError, match="not nested"):
        Within(moved, ["true_omega", "backward"], cluster="true_industry2")
