"""Capital against the synthetic truth: how well the pipeline's real capital (book values at
historical cost turned into real capital, upgrading.asif.capital) recovers the DGP's real capital,
and what its error does to the capital elasticity.

Recovery: log error e = log K (pipeline) - log K (true) per panel row; level = e, growth = the
change of e between a firm's consecutive years (the error in capital growth). Reported for all
rows, the firm's first panel year (where the deflation of the historical-cost stock acts) and
later years (where the perpetual inventory carries that error forward and adds its own).

beta_k: per 2-digit industry, OLS with year effects and firm + year fixed effects of y on (l, k)
with the pipeline's capital and, on the same rows, with the true capital; the difference is the
effect of the capital error on beta_k for these estimators. The stage's own elasticities (LP, ACF with the
pipeline's capital) are set beside the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf

TRACE = ["source_file", "source_row"]
RECOVERY_COLUMNS = ["measure", "sample", "n", "mean_log_error", "sd_log_error", "p05", "p95",
                    "share_within_10pct"]
BETA_COLUMNS = ["industry", "method", "beta_k_pipeline", "beta_k_true_capital", "effect", "truth",
                "error", "abs_error", "nobs"]


def join_truth(panel: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Panel rows with their true capital (matched on the raw line) and the log errors."""
    t = truth[[*TRACE, "true_firm_id", "true_capital"]]
    j = panel[[*TRACE, "firm_id", "year", "industry2", "y", "l", "k"]].merge(
        t.astype({"source_file": "string"}), on=TRACE, how="inner", validate="one_to_one")
    j = j[np.isfinite(j["k"]) & (j["true_capital"] > 0)].copy()
    j["k_true"] = np.log(j["true_capital"])
    j["e_level"] = j["k"] - j["k_true"]
    j = j.sort_values(["firm_id", "year"], kind="mergesort").reset_index(drop=True)
    f, y = j["firm_id"].to_numpy(), j["year"].to_numpy()
    first = np.r_[True, f[1:] != f[:-1]]
    consecutive = ~first & (np.r_[0, np.diff(y)] == 1)
    j["first_year"] = first
    j["e_growth"] = np.where(consecutive, np.r_[np.nan, np.diff(j["e_level"].to_numpy())], np.nan)
    return j


def with_true_capital(panel: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The panel with its capital replaced by the true capital (same rows), for running the
    productivity stage on it: the difference in its elasticities is the effect of the capital
    error on LP and ACF."""
    t = truth[[*TRACE, "true_capital"]].astype({"source_file": "string"})
    out = panel.merge(t, on=TRACE, how="left", validate="one_to_one")
    missing = out["true_capital"].isna()
    if missing.any():
        raise ValueError(f"{int(missing.sum())} panel rows have no true capital")
    out["capital"] = out.pop("true_capital")
    out["k"] = np.log(out["capital"].where(out["capital"] > 0))
    return out


def _row(measure: str, sample: str, e: pd.Series) -> dict:
    e = e.dropna()
    return {"measure": measure, "sample": sample, "n": int(len(e)),
            "mean_log_error": float(e.mean()) if len(e) else np.nan,
            "sd_log_error": float(e.std()) if len(e) > 1 else np.nan,
            "p05": float(e.quantile(0.05)) if len(e) else np.nan,
            "p95": float(e.quantile(0.95)) if len(e) else np.nan,
            "share_within_10pct": float((e.abs() < np.log(1.1)).mean()) if len(e) else np.nan}


def recovery(joined: pd.DataFrame) -> pd.DataFrame:
    rows = [_row("level", "all", joined["e_level"]),
            _row("level", "first_year", joined.loc[joined["first_year"], "e_level"]),
            _row("level", "later_years", joined.loc[~joined["first_year"], "e_level"]),
            _row("growth", "all", joined["e_growth"])]
    return pd.DataFrame(rows, columns=RECOVERY_COLUMNS)


def _beta_k(df: pd.DataFrame, k: str, fe: bool) -> float:
    fml = f"y ~ l + {k} | " + ("firm_id + year" if fe else "year")
    fit = pf.feols(fml, data=df, vcov="iid", fixef_rm="none")
    return float(fit.coef()[k])


def beta_k_effect(joined: pd.DataFrame, production: dict, elasticities: pd.DataFrame | None = None,
                  min_obs: int = 50) -> pd.DataFrame:
    """One row per industry and method, then a row per method with the mean over industries."""
    rows = []
    use = joined[np.isfinite(joined["y"]) & np.isfinite(joined["l"])]
    for ind, df in use.groupby("industry2", sort=True):
        truth = production.get(str(int(ind)), {}).get("beta_k", np.nan)
        if len(df) < min_obs:
            continue
        for method, fe in (("ols", False), ("fe", True)):
            bp, bt = _beta_k(df, "k", fe), _beta_k(df, "k_true", fe)
            rows.append({"industry": int(ind), "method": method, "beta_k_pipeline": bp,
                         "beta_k_true_capital": bt, "effect": bp - bt, "truth": truth, "nobs": len(df)})
    if elasticities is not None and len(elasticities):
        for r in elasticities[elasticities["method"].isin(["lp", "acf"])].itertuples():
            rows.append({"industry": int(r.industry), "method": r.method, "beta_k_pipeline": r.beta_k,
                         "beta_k_true_capital": np.nan, "effect": np.nan,
                         "truth": production.get(str(int(r.industry)), {}).get("beta_k", np.nan),
                         "nobs": getattr(r, "nobs", np.nan)})
    out = pd.DataFrame(rows, columns=BETA_COLUMNS)
    out["error"] = out["beta_k_pipeline"] - out["truth"]
    out["abs_error"] = out["error"].abs()
    stats = ["beta_k_pipeline", "beta_k_true_capital", "effect", "truth", "error", "abs_error"]
    means = (out.groupby("method", sort=False)[stats]
             .mean().reset_index().assign(industry="mean", nobs=out.groupby("method", sort=False)["nobs"]
                                          .sum().to_numpy()))
    out = pd.concat([out.astype({"industry": "object"}), means[BETA_COLUMNS]], ignore_index=True)
    return out
