"""Re-estimate linear models with linearmodels, under fixest's small-sample conventions.

linearmodels is asked for the raw sandwich (debiased=False: no small-sample factor), and the
factor of R fixest's defaults is computed here from first principles, independently of
pyfixest: ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="min"):

    df_k   = k + sum_f levels_f - (n_fe - 1) - sum_{f nested in a cluster} levels_f + n_nested
    CRV1   : V * (N - 1) / (N - df_k) * G / (G - 1),   G = min over cluster dimensions
    HC1    : V * N / (N - df_k)
    iid    : V * N / (N - df_k)            (linearmodels' s2 divides by N)

OLS with absorbed effects: AbsorbingLS. IV with absorbed effects: the variables are first
residualized on the effects with AbsorbingLS (Frisch-Waugh-Lovell), then IV2SLS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import design as dsg

# Tight tolerance for iterative absorption, so engine differences are rounding, not convergence.
ABSORB_OPTIONS = {"compute_degrees": False, "residualize_method": "map",
                  "options": {"tol": 1e-14, "iteration_limit": 100_000}}


def fixest_df_k(k: int, fe: pd.DataFrame, clusters: pd.DataFrame | None) -> int:
    """Degrees of freedom the fixest small-sample correction counts (see module docstring)."""
    if fe is None or fe.shape[1] == 0:
        return k
    levels = [int(fe[c].nunique()) for c in fe.columns]
    df = k + sum(levels) - (len(levels) - 1)
    if clusters is not None:
        nested = [c for c in fe.columns
                  if any((fe[c].to_frame().assign(_g=clusters[g].to_numpy())
                          .groupby(c)["_g"].nunique() == 1).all() for g in clusters.columns)]
        df += -sum(int(fe[c].nunique()) for c in nested) + len(nested)
    return df


def fixest_factor(vcov_kind: str, N: int, df_k: int, G: int | None) -> float:
    if vcov_kind == "cluster":
        return (N - 1) / (N - df_k) * G / (G - 1)
    return N / (N - df_k)


def _cov_args(cols: dict, data: pd.DataFrame, m: dict) -> tuple[str, dict, int | None]:
    if cols["cluster"]:
        cl = data[cols["cluster"]].astype("int64")
        clusters = cl.iloc[:, 0] if cl.shape[1] == 1 else cl
        G = int(min(cl[c].nunique() for c in cl.columns))
        return "clustered", {"clusters": clusters}, G
    return ("robust" if m["vcov"] == "hetero" else "unadjusted"), {}, None


def estimate_model(design: dsg.Design, m: dict) -> dict:
    """{coefficient column: (estimate, std_error)}, plus nobs and the applied factor."""
    from linearmodels.iv import IV2SLS
    from linearmodels.iv.absorbing import AbsorbingLS

    cols = dsg.model_columns(design, m)
    rows, _ = dsg.model_rows(design, m)
    data = design.frame.loc[rows].reset_index(drop=True)
    N = len(data)
    y = data[cols["y"]]
    exog = data[cols["exog"]]
    weights = data[cols["weights"]] if cols["weights"] else None
    fe = data[cols["fe"]].astype("int64") if cols["fe"] else None
    cov_type, cov_kw, G = _cov_args(cols, data, m)
    clusters = data[cols["cluster"]].astype("int64") if cols["cluster"] else None

    if fe is None:
        exog = exog.assign(Intercept=1.0)
    absorb = fe.astype("category") if fe is not None else None
    if not cols["endog"]:
        if absorb is not None:
            mod = AbsorbingLS(y, exog, absorb=absorb, weights=weights)
            res = mod.fit(cov_type=cov_type, debiased=False, absorb_options=ABSORB_OPTIONS, **cov_kw)
        else:
            res = IV2SLS(y, exog, None, None, weights=weights).fit(cov_type=cov_type, debiased=False, **cov_kw)
    else:
        endog, instr = data[cols["endog"]], data[cols["instruments"]]
        if absorb is not None:
            allx = pd.concat([exog, endog, instr], axis=1)
            mod = AbsorbingLS(y, allx, absorb=absorb, weights=weights)
            mod.fit(cov_type="unadjusted", absorb_options=ABSORB_OPTIONS)
            y_t, x_t = mod.absorbed_dependent, mod.absorbed_exog
            y, exog = y_t.iloc[:, 0].rename(cols["y"]), x_t[list(exog.columns)]
            endog, instr = x_t[cols["endog"]], x_t[cols["instruments"]]
        res = IV2SLS(y, exog, endog, instr, weights=weights).fit(cov_type=cov_type, debiased=False, **cov_kw)
    k = len(res.params)
    df_k = fixest_df_k(k, fe, clusters if cov_type == "clustered" else None)
    factor = fixest_factor("cluster" if cov_type == "clustered" else "other", N, df_k, G)
    se = np.sqrt(np.diag(res.cov.to_numpy()) * factor)
    out = {name: (float(res.params[name]), float(s)) for name, s in zip(res.params.index, se)}
    return {"coef": out, "nobs": N, "factor": factor, "df_k": df_k}
