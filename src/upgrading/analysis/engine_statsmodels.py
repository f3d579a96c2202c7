"""Binary-outcome families (probit, logit) with statsmodels.

Fixed effects enter as dummies (first level dropped, plus a constant): with 10 years and 30
industries the incidental-parameter bias of nonlinear FE models is negligible, unlike firm
effects, which the registry schema cannot request here without a warning in the paper.
Standard errors: clustered (statsmodels' default small-sample correction for clusters,
G/(G-1) * (N-1)/(N-K)), HC1, or the inverse Hessian for iid. Average marginal effects are
reported beside the index coefficients (computed in closed form: average_marginal_effects).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from . import design as dsg
from .tidy import model_meta

log = logging.getLogger(__name__)


def _drop_separated(frame: pd.DataFrame, y: str, fe_cols: list[str],
                    names: dict[str, tuple[str, list | None]] | None = None) -> tuple[pd.DataFrame, int, str]:
    """Drop rows of fixed-effect groups whose 0/1 outcome is constant, until none is left.

    Such a group's dummy has no finite maximum-likelihood estimate, so the fit cannot converge.
    Returns the kept rows, how many were dropped and which groups ('industry2=16:154; ...',
    the rows of each dropped group), so the tables can say why a cluster is missing; `names`
    maps a design column to its fixed effect and levels by code (else the column and code).
    """
    names = names or {}
    n0 = len(frame)
    dropped: dict[tuple[str, str], int] = {}
    while True:
        keep = np.ones(len(frame), dtype=bool)
        for fe in fe_cols:
            by_group = frame.groupby(fe, sort=False)[y]
            spread = by_group.transform("max") - by_group.transform("min")
            constant = (spread <= 0).to_numpy()
            name, levels = names.get(fe, (fe, None))
            for level, n in frame.loc[constant, fe].value_counts(sort=False).items():
                if levels is not None:
                    level = levels[int(level)]
                key = (name, str(int(level)) if isinstance(level, float) and level.is_integer() else str(level))
                dropped[key] = dropped.get(key, 0) + int(n)
            keep &= ~constant
        if keep.all():
            groups = "; ".join(f"{fe}={level}:{n}" for (fe, level), n in sorted(dropped.items()))
            return frame.reset_index(drop=True), n0 - len(frame), groups
        frame = frame.loc[keep]


def design_matrix(frame: pd.DataFrame, exog: list[str], fe_cols: list[str]) -> pd.DataFrame:
    """A constant, the regressors, then a dummy per fixed-effect level but the lowest (named
    <column>_<level>): sm.add_constant of the regressors beside pd.get_dummies(drop_first=True).

    Filled into one column-major float64 array and wrapped without a copy: the layout
    statsmodels gets from such a DataFrame anyway (so the fit is the same to the last digit),
    but one N x K array where the concatenations made several (3.4 GB at full scale)."""
    fe = []
    for c in fe_cols:
        codes = frame[c].astype("int64").to_numpy()
        fe.append((c, codes, np.unique(codes)[1:]))
    names = ["const", *exog] + [f"{c}_{v}" for c, _, levels in fe for v in levels]
    X = np.zeros((len(frame), len(names)), dtype="float64", order="F")
    X[:, 0] = 1.0
    for i, c in enumerate(exog):
        X[:, 1 + i] = frame[c].to_numpy(dtype="float64")
    j = 1 + len(exog)
    for _, codes, levels in fe:
        pos = np.searchsorted(levels, codes)
        rows = np.flatnonzero(pos < len(levels))
        rows = rows[levels[pos[rows]] == codes[rows]]  # the lowest level has no column
        X[rows, j + pos[rows]] = 1.0
        j += len(levels)
    return pd.DataFrame(X, columns=names, index=frame.index, copy=False)


def check_full_rank(X: pd.DataFrame, what: str, block_rows: int = 65_536) -> None:
    """Raise if the design's columns are linearly dependent, naming the dependent columns.

    statsmodels' own check (Probit/Logit with check_rank=True): a column-pivoted QR of X, whose
    rank is the number of diagonal entries of R above |r_11| K eps. Run on X, it copies the
    N x K design (0.6 GB at full scale). Here R comes from the QR of one block of rows at a time
    (R of [R; next block]), so only a block is copied, and the pivoted QR of that K x K R has the
    diagonal of the pivoted QR of X (same column norms, same pivots). A dependent column is an
    error: statsmodels would fit on and report a coefficient the data do not identify."""
    import scipy.linalg

    A = X.to_numpy()
    k = A.shape[1]
    R = np.zeros((0, k))
    for start in range(0, len(A), block_rows):
        R = scipy.linalg.qr(np.vstack([R, A[start:start + block_rows]]), mode="r")[0][:k]
    r, pivots = scipy.linalg.qr(R, mode="r", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > diag[0] * k * np.finfo(float).eps).sum())
    if rank < k:
        dependent = [str(X.columns[i]) for i in sorted(pivots[rank:])]
        raise ValueError(f"{what}: the design has rank {rank} of {k} columns; linearly dependent on "
                         f"the others: {', '.join(dependent)}")


def average_marginal_effects(params: pd.Series, X: pd.DataFrame, estimator: str) -> dict[str, float]:
    """dy/dx averaged over the sample: mean density of the index times each coefficient.

    The same numbers as statsmodels' get_margeff(at="overall", method="dydx") (a test checks),
    without its delta-method Jacobian, an N x K x K array (13 GB at medium scale, 430k rows
    and 43 columns); only the point values are reported.
    """
    index = X.to_numpy(dtype=float) @ params[X.columns].to_numpy()
    if estimator == "probit":
        density = stats.norm.pdf(index)
    else:
        p = 1.0 / (1.0 + np.exp(-index))
        density = p * (1.0 - p)
    mean_density = float(density.mean())
    return {name: mean_density * float(params[name]) for name in X.columns if name != "const"}


def estimate(family: dict, design: dsg.Design) -> tuple[list[dict], list[dict]]:
    import time

    import statsmodels.api as sm

    rows, timings = [], []
    for m in family["models"]:
        t0 = time.perf_counter()
        cols = dsg.model_columns(design, m)
        used, n_missing = dsg.model_rows(design, m)
        data = design.frame.loc[used].reset_index(drop=True)
        fe_names = {col: (fe, design.fe_levels.get(col)) for fe, col in design.fe_cols.items()}
        data, n_separated, separated_groups = _drop_separated(data, cols["y"], cols["fe"], fe_names)
        if n_separated:
            log.warning("%s/%s: %d rows dropped in fixed-effect groups whose outcome never varies "
                        "(perfect separation; fixest's feglm drops them too)", family["id"], m["id"],
                        n_separated)
        y = data[cols["y"]]
        bad = ~y.isin([0.0, 1.0])
        if bad.any():
            from upgrading.core.errors import InputError

            raise InputError(f"{m['estimator']} needs a 0/1 outcome", column=m["outcome"],
                             rows=(np.flatnonzero(bad.to_numpy()) + 1).tolist())
        X = design_matrix(data, cols["exog"], cols["fe"])
        groups = None
        if cols["cluster"]:
            if len(cols["cluster"]) > 1:
                raise ValueError(f"{m['id']}: two-way clustering is not offered for {m['estimator']}")
            groups = data[cols["cluster"][0]].astype("int64").to_numpy()
        # The fit needs only y, X and the clusters: free the model's frame (its copy of every column
        # of the family) before the Newton steps make their N x K temporaries.
        y = pd.Series(y.to_numpy(dtype="float64", copy=True), name=cols["y"])
        del data
        check_full_rank(X, f"{family['id']}/{m['id']}")
        model = (sm.Probit if m["estimator"] == "probit" else sm.Logit)(y, X, check_rank=False)
        if groups is not None:
            fit = model.fit(disp=0, maxiter=200, cov_type="cluster", cov_kwds={"groups": groups})
            G = int(len(np.unique(groups)))
        else:
            cov = "HC1" if m["vcov"] == "hetero" else "nonrobust"
            fit = model.fit(disp=0, maxiter=200, cov_type=cov)
            G = None
        if not fit.mle_retvals.get("converged", True):
            raise RuntimeError(f"{family['id']}/{m['id']}: {m['estimator']} did not converge")
        ame_by_name = average_marginal_effects(fit.params, X, m["estimator"])
        z = stats.norm.ppf(0.975)
        meta = model_meta(family, m)
        for label, name in dsg.term_labels(design, m):
            b, se = float(fit.params[name]), float(fit.bse[name])
            rows.append({
                **meta, "term": label, "estimate": b, "std_error": se, "statistic": b / se,
                "p_value": float(fit.pvalues[name]), "ci_low": b - z * se, "ci_high": b + z * se,
                "nobs": int(fit.nobs), "n_missing_dropped": n_missing + n_separated, "n_clusters": G,
                "r2": float(fit.prsquared), "r2_within": np.nan, "depvar_mean": float(y.mean()),
                "engine": "statsmodels", "marginal_effect": float(ame_by_name[name]),
                "dropped_groups": separated_groups,
            })
        timings.append({"fml": f"{m['estimator']}:{cols['y']}", "models": [m["id"]],
                        "seconds": time.perf_counter() - t0})
        # The fit keeps its design matrix: let it go before the next model builds its own.
        del fit, model, X, y
    return rows, timings
