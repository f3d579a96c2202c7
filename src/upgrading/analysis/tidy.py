"""The tidy estimates table (docs/contracts.md, results/estimates/{family}.parquet)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.registry import cluster_vars

COLUMNS = [
    "family", "model", "term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
    "nobs", "n_missing_dropped", "n_clusters", "r2", "r2_within", "depvar", "depvar_mean",
    "fixed_effects", "vcov", "engine", "estimator", "sample", "label", "table", "figure",
    "p_value_wild", "marginal_effect", "ci_low_wild", "ci_high_wild", "std_error_crv3", "ci_low_crv3",
    "ci_high_crv3", "inference", "first_stage_f", "ar_ci_low", "ar_ci_high", "ar_set", "dropped_groups",
    "top_cluster_share", "joint_test", "joint_f", "joint_df1", "joint_df2", "joint_p",
]
DTYPES = {
    "estimate": "float64", "std_error": "float64", "statistic": "float64", "p_value": "float64",
    "ci_low": "float64", "ci_high": "float64", "nobs": "int64", "n_missing_dropped": "int64",
    "n_clusters": "Int64", "r2": "float64", "r2_within": "float64", "depvar_mean": "float64",
    "p_value_wild": "float64", "marginal_effect": "float64", "ci_low_wild": "float64",
    "ci_high_wild": "float64", "std_error_crv3": "float64", "ci_low_crv3": "float64", "ci_high_crv3": "float64",
    "first_stage_f": "float64", "ar_ci_low": "float64", "ar_ci_high": "float64",
    "top_cluster_share": "float64", "joint_f": "float64", "joint_df1": "Int64", "joint_df2": "Int64",
    "joint_p": "float64",
}
# pyfixest's demeaner sums in an order that varies between runs (seen at 1e-15 relative with
# a 1e-12 tolerance), so floats are rounded to 9 significant digits: far below any reported
# digit and the cross-check tolerances, and enough for the same bytes from run to run.
SIGNIFICANT_DIGITS = 9


def round_significant(values: pd.Series, digits: int = SIGNIFICANT_DIGITS) -> pd.Series:
    """Round to `digits` significant digits (0, NaN and inf pass through)."""
    x = values.to_numpy(dtype="float64", copy=True)
    finite = np.isfinite(x) & (x != 0)
    scale = np.zeros_like(x)
    scale[finite] = digits - 1 - np.floor(np.log10(np.abs(x[finite])))
    x[finite] = np.round(x[finite] * 10.0 ** scale[finite]) / 10.0 ** scale[finite]
    return pd.Series(x, index=values.index, name=values.name)


def vcov_label(m: dict) -> str:
    """e.g. CRV1:industry2, CRV1:industry2+year (two-way), HC1, iid."""
    v = m["vcov"]
    if isinstance(v, dict):
        return "CRV1:" + "+".join(cluster_vars(m))
    return {"hetero": "HC1", "iid": "iid"}[v]


def model_meta(family: dict, m: dict) -> dict:
    return {
        "family": family["id"], "model": m["id"], "depvar": m["outcome"],
        "fixed_effects": "+".join(m["fixed_effects"]), "vcov": vcov_label(m),
        # An iv block turns the registry's default OLS into two-stage least squares.
        "estimator": "2sls" if m["iv"] else m["estimator"], "sample": m["sample"] or "all",
        "label": m["label"] or m["id"], "table": m["table"] or "", "figure": m["figure"] or "",
    }


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows -> the contract's columns and dtypes, in the order given (model order, then term order)."""
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df:
            df[c] = np.nan
    df = df[COLUMNS]
    for c, t in DTYPES.items():
        df[c] = df[c].astype(t)
        if t == "float64":
            df[c] = round_significant(df[c])
    str_cols = [c for c in COLUMNS if c not in DTYPES]
    for c in ("inference", "ar_set", "dropped_groups", "joint_test"):  # models without such diagnostics
        df[c] = df[c].fillna("")
    for c in str_cols:
        df[c] = df[c].astype("str")
    return df.reset_index(drop=True)
