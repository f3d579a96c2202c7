"""Within least squares (firm and year effects) for the truth's regressions, lean enough for
full scale: each sample's columns are demeaned once (upgrading.core.within, pyfixest's
demeaner, as the estimation engine uses), and every model and outcome is then a least-squares
solve on the demeaned columns (Frisch-Waugh-Lovell).

At full scale pf.feols, called once per model and outcome, needed about 8 GB and two minutes
for the truth; one demeaning per sample needs a few hundred MB. The oracle's CRV1 standard
errors follow the engine's conventions (fixest's small-sample factor G/(G-1) (N-1)/(N-K),
singletons kept, firm effects nested in the clusters not counted in K);
tests/synth/test_fwl.py checks estimates and standard errors against pf.feols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core import within

FIXED_EFFECTS = ("true_firm_id", "year")


class Within:
    """The demeaned columns of one sample (rows with a missing value must be dropped first)."""

    def __init__(self, df: pd.DataFrame, columns: list[str], cluster: str | None = None):
        if df[columns].isna().to_numpy().any():
            raise ValueError("Within: rows with missing values must be dropped first")
        fe = np.column_stack([within.codes(df[f]) for f in FIXED_EFFECTS])
        self._within = within.Within(df[columns].to_numpy(dtype=float), list(columns), fe)
        self.nobs = len(df)
        self.clusters = None
        if cluster is not None:
            self.clusters = within.codes(df[cluster])
            # the oracle is described as firm effects nested in the clusters (a firm keeps its industry)
            if not within.nested(fe[:, 0], self.clusters):
                raise ValueError(f"firms move between {cluster} clusters: firm effects not nested")

    def coef(self, outcomes: list[str], regressors: list[str]) -> dict[str, np.ndarray]:
        """{outcome: coefficients in regressor order}."""
        return self._within.coef(outcomes, regressors)

    def crv1(self, outcome: str, regressors: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(coefficients, CRV1 standard errors) clustered as given at construction."""
        if self.clusters is None:
            raise ValueError("Within: no cluster variable given")
        fit = self._within.fit(outcome, regressors, "CRV1", [self.clusters])
        return fit.coef, fit.se
