"""Re-estimate linear models with linearmodels, under fixest's small-sample conventions.

linearmodels is asked for the raw sandwich (debiased=False: no small-sample factor), and the
factor of R fixest's defaults is computed here from first principles, independently of
pyfixest: ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="min"):

    df_k   = k + sum_f levels_f - (n_fe - 1) - sum_{f nested in a cluster} levels_f + n_nested
    CRV1   : V * (N - 1) / (N - df_k) * G / (G - 1),   G = min over cluster dimensions
    HC1    : V * N / (N - df_k)
    iid    : V * N / (N - df_k)            (linearmodels' s2 divides by N)

Entity and time effects of the panel (firm + year), no IV, no weights, at most one cluster
variable (PanelOLS's two-way clustering is not fixest's): PanelOLS, which
demeans by firm exactly and partials out the year dummies (no iteration). Other absorbed
effects: the columns of every model that shares rows (sample and complete cases),
fixed effects and weights are residualized on the effects once, with pyhdfe (the HDFE path of
linearmodels' AbsorbingLS: pyhdfe.create(..., drop_singletons=False).residualize), then each
model is linearmodels' IV2SLS on the residualized columns (Frisch-Waugh-Lovell; OLS when it has
no instruments). Fitting AbsorbingLS per model instead builds the sparse dummy matrix of every
effect and absorbs again for each model: at full scale that made the cross-check the longest job.
Weighted models with effects use AbsorbingLS's LSMR path (HDFE takes no weights there).
Models without effects: IV2SLS with a constant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import design as dsg

# Iterative absorption stops when a sweep changes no value by more than 1e-10 (absolute, on
# columns of order one here). At full scale a stop at 1e-14 moves the coefficients by at most
# 6e-15 and the standard errors by 2.5e-9 (relative), far inside the check's tolerances, and
# takes half as long again.
ABSORB_OPTIONS = {"compute_degrees": False, "residualize_method": "map",
                  "options": {"tol": 1e-10, "iteration_limit": 100_000}}
LSMR_OPTIONS = {"atol": 1e-14, "btol": 1e-14}


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


class Absorbed:
    """Residualized columns of one set of rows on its fixed effects, computed once and shared.

    `plan` registers the models of a family first, so the models that share rows and effects
    (outcomes of one sample) are residualized in one pass over the union of their columns."""

    def __init__(self):
        self._cache: dict = {}
        self._planned: dict = {}

    @staticmethod
    def _key(rows: np.ndarray, fe: list[str]) -> tuple:
        return (np.packbits(rows).tobytes(), tuple(fe))

    def plan(self, design: dsg.Design, m: dict, panel: dict | None = None) -> None:
        """Register the columns model m will ask for, if it takes the residualizing path."""
        if _path(design, m, panel) != "absorb":
            return
        rows, _ = dsg.model_rows(design, m)
        fe = dsg.model_columns(design, m)["fe"]
        self._planned.setdefault(self._key(rows, fe), {}).update(dict.fromkeys(_names(design, m)))

    def columns(self, design: dsg.Design, m: dict, rows: np.ndarray, names: list[str]) -> pd.DataFrame:
        cols = dsg.model_columns(design, m)
        key = self._key(rows, cols["fe"])
        have = self._cache.get(key)
        if have is None or not set(names) <= set(have.columns):
            import pyhdfe

            wanted = list(dict.fromkeys([*(have.columns if have is not None else []),
                                         *self._planned.get(key, {}), *names]))
            ids = design.frame.loc[rows, cols["fe"]].to_numpy(dtype="int64")
            algo = pyhdfe.create(ids, drop_singletons=False, **ABSORB_OPTIONS)
            values = algo.residualize(design.frame.loc[rows, wanted].to_numpy(dtype=float))
            have = pd.DataFrame(values, columns=wanted)
            self._cache[key] = have
        return have[names]


def _names(design: dsg.Design, m: dict) -> list[str]:
    cols = dsg.model_columns(design, m)
    return [cols["y"], *cols["exog"], *cols["endog"], *cols["instruments"]]


def _path(design: dsg.Design, m: dict, panel: dict | None) -> str:
    """How estimate_model fits m: "none" (no effects), "lsmr" (weights), "panel" (PanelOLS, when
    its index is unique; else "absorb" after all) or "absorb" (residualized columns, IV2SLS)."""
    cols = dsg.model_columns(design, m)
    if not cols["fe"]:
        return "none"
    if cols["weights"]:
        return "lsmr"
    if panel and not cols["endog"] and len(cols["cluster"]) < 2 \
            and sorted(m["fixed_effects"]) == sorted([panel["id"], panel["time"]]):
        return "panel"
    return "absorb"


def estimate_model(design: dsg.Design, m: dict, absorbed: Absorbed | None = None,
                   panel: dict | None = None) -> dict:
    """{coefficient column: (estimate, std_error)}, plus nobs and the applied factor.

    absorbed: residualized columns shared between the models of a family (one absorption per
    set of rows and effects); a fresh one is used if not given. panel: the family's
    {"id", "time"}; a model with exactly these two effects is fitted with PanelOLS.
    """
    from linearmodels.iv import IV2SLS
    from linearmodels.iv.absorbing import AbsorbingLS

    cols = dsg.model_columns(design, m)
    rows, _ = dsg.model_rows(design, m)
    names = _names(design, m)
    path = _path(design, m, panel)
    used = [*names, *cols["fe"], *cols["cluster"], *([cols["weights"]] if cols["weights"] else [])]
    data = design.frame.loc[rows, list(dict.fromkeys(used))].reset_index(drop=True)  # the model's columns only
    N = len(data)
    fe = data[cols["fe"]].astype("int64") if cols["fe"] else None
    cov_type, cov_kw, G = _cov_args(cols, data, m)
    clusters = data[cols["cluster"]].astype("int64") if cols["cluster"] else None

    if path == "none":
        values, weights = data[names], (data[cols["weights"]] if cols["weights"] else None)
        exog = values[cols["exog"]].assign(Intercept=1.0)
    elif path == "lsmr":
        assert fe is not None
        weights = data[cols["weights"]]
        mod = AbsorbingLS(data[cols["y"]], data[names[1:]], absorb=fe.astype("category"), weights=weights)
        mod.fit(cov_type="unadjusted", method="lsmr", absorb_options=LSMR_OPTIONS)
        values = pd.concat([mod.absorbed_dependent, mod.absorbed_exog], axis=1)
        values.columns = names
        values = values.div(np.sqrt(weights.to_numpy()), axis=0)  # IV2SLS applies the weights again
        exog = values[cols["exog"]]
    elif path == "panel":
        from linearmodels import PanelOLS

        assert panel is not None and fe is not None
        unit, period = design.fe_cols[panel["id"]], design.fe_cols[panel["time"]]
        index = pd.MultiIndex.from_arrays([fe[unit], fe[period]])
        if index.is_unique:
            kw = {"clusters": cov_kw["clusters"].set_axis(index)} if cov_kw else {}
            res = PanelOLS(data[cols["y"]].set_axis(index), data[cols["exog"]].set_axis(index),
                           entity_effects=True, time_effects=True).fit(
                cov_type=cov_type, debiased=False, auto_df=False, count_effects=False, **kw)  # raw sandwich
            return _result(res, N, fe, clusters if cov_type == "clustered" else None, cov_type, G)
        values, weights = (absorbed or Absorbed()).columns(design, m, rows, names), None
        exog = values[cols["exog"]]
    else:
        values, weights = (absorbed or Absorbed()).columns(design, m, rows, names), None
        exog = values[cols["exog"]]
    endog = values[cols["endog"]] if cols["endog"] else None
    instr = values[cols["instruments"]] if cols["instruments"] else None
    res = IV2SLS(values[cols["y"]], exog, endog, instr, weights=weights).fit(
        cov_type=cov_type, debiased=False, **cov_kw)
    return _result(res, N, fe, clusters if cov_type == "clustered" else None, cov_type, G)


def _result(res, N: int, fe, clusters, cov_type: str, G: int | None) -> dict:
    """linearmodels' raw sandwich times fixest's small-sample factor."""
    k = len(res.params)
    df_k = fixest_df_k(k, fe, clusters)
    factor = fixest_factor("cluster" if cov_type == "clustered" else "other", N, df_k, G)
    se = np.sqrt(np.diag(res.cov.to_numpy()) * factor)
    out = {name: (float(res.params[name]), float(s)) for name, s in zip(res.params.index, se)}
    return {"coef": out, "nobs": N, "factor": factor, "df_k": df_k}
