"""Within least squares (firm and year effects) for the truth's regressions, lean enough for
full scale: each sample's columns are demeaned once with pyfixest's demeaner, and every model
and outcome is then a least-squares solve on the demeaned columns (Frisch-Waugh-Lovell).

At full scale pf.feols, called once per model and outcome, needed about 8 GB and two minutes
for the truth; one demeaning per sample needs a few hundred MB. The oracle's CRV1 standard
errors follow the engine's conventions (upgrading.analysis.engine_pyfixest: fixest's small-
sample factor G/(G-1) (N-1)/(N-K), singletons kept, firm effects nested in the clusters not
counted in K); tests/synth/test_fwl.py checks estimates and standard errors against pf.feols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIXED_EFFECTS = ("true_firm_id", "year")
TOL = 1e-12  # as the engine's FIXEF_TOL
MAX_ITER = 100_000


class Within:
    """The demeaned columns of one sample (rows with a missing value must be dropped first)."""

    def __init__(self, df: pd.DataFrame, columns: list[str], cluster: str | None = None):
        from pyfixest.core.demean import demean

        if df[columns].isna().to_numpy().any():
            raise ValueError("Within: rows with missing values must be dropped first")
        flist = np.column_stack([pd.factorize(df[f])[0] for f in FIXED_EFFECTS]).astype(np.uint64)
        values, converged = demean(df[columns].to_numpy(dtype=float), flist, np.ones(len(df)), TOL, MAX_ITER)
        if not converged:
            raise RuntimeError(f"demeaning did not converge to {TOL} in {MAX_ITER} iterations")
        self.values, self.position = values, {c: i for i, c in enumerate(columns)}
        self.nobs = len(df)
        self.n_years = int(df["year"].nunique())
        self.clusters = None
        if cluster is not None:
            self.clusters = pd.factorize(df[cluster])[0]
            per_firm = pd.Series(self.clusters).groupby(df["true_firm_id"].to_numpy()).nunique()
            if (per_firm > 1).any():  # K below assumes firm effects nested in the clusters
                raise ValueError(f"firms move between {cluster} clusters: firm effects not nested")

    def _cols(self, names: list[str]) -> np.ndarray:
        return self.values[:, [self.position[n] for n in names]]

    def coef(self, outcomes: list[str], regressors: list[str]) -> dict[str, np.ndarray]:
        """{outcome: coefficients in regressor order}."""
        beta = np.linalg.lstsq(self._cols(regressors), self._cols(outcomes), rcond=None)[0]
        return {y: beta[:, i] for i, y in enumerate(outcomes)}

    def crv1(self, outcome: str, regressors: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(coefficients, CRV1 standard errors) clustered as given at construction."""
        if self.clusters is None:
            raise ValueError("Within: no cluster variable given")
        X, y = self._cols(regressors), self._cols([outcome])[:, 0]
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        scores = X * (y - X @ beta)[:, None]
        n_groups = int(self.clusters.max()) + 1
        summed = np.column_stack([np.bincount(self.clusters, scores[:, j], minlength=n_groups)
                                  for j in range(X.shape[1])])
        bread = np.linalg.inv(X.T @ X)
        k = X.shape[1] + self.n_years  # year effects are not nested in the clusters; firm effects are
        factor = n_groups / (n_groups - 1) * (self.nobs - 1) / (self.nobs - k)
        vcov = factor * bread @ (summed.T @ summed) @ bread
        return beta, np.sqrt(np.diag(vcov))
