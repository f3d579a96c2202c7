"""Run every production-function estimator industry by industry; build TFP from the betas.

tfp_method = y - beta_l l - beta_k k for every firm-year of the industry with finite
y, l, k (NaN otherwise, and for industries without an estimate). Rows that cannot
enter an estimator (missing y, l, k or m) are counted and reported, never hidden.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from upgrading.productivity import acf, lp, ols_fe
from upgrading.productivity.bootstrap import firm_bootstrap_se, n_firms
from upgrading.productivity.design import ls_coef, year_dummies
from upgrading.productivity.settings import FIRST_STAGE_GROUP, FIXED_START, METHODS, Config

ELASTICITY_COLUMNS = ["industry", "method", "beta_l", "beta_k", "se_l", "se_k", "nobs",
                      "n_firms", "converged"]


def _arrays(df: pd.DataFrame, extra: tuple[str, ...]) -> dict[str, np.ndarray]:
    out = {"firm": df["firm_id"].to_numpy(np.int64), "year": df["year"].to_numpy(np.int64)}
    for c in ("y", "l", "k", "m", *extra):
        out[c] = df[c].to_numpy(dtype=float)
    return out


def start_values(data: dict, cfg: Config) -> np.ndarray:
    """GMM start. fixed (default): FIXED_START, the same for every industry and run.
    labour_share: beta_l0 = median wage bill / value added (the labour elasticity if labour
    were a static input), beta_k0 = OLS of y - beta_l0 l on k and years.
    ols: OLS of y on l, k and years (near the ACF moments' second root: not advised)."""
    if cfg.start == "fixed":
        return np.array(FIXED_START, dtype=float)
    share = data.get("labour_share")
    if cfg.start == "ols" or share is None or not np.isfinite(share).any():
        return acf.ols_start(data)
    bl0 = float(np.clip(np.nanmedian(share), 0.05, 0.95))
    X = np.column_stack([np.ones_like(data["k"]), data["k"], year_dummies(data["year"])])
    bk0 = float(ls_coef(X, data["y"] - bl0 * data["l"])[1])
    return np.array([bl0, bk0])


def _structural(data: dict, cfg: Config, method: str, rng: np.random.Generator) -> dict:
    module = {"lp": lp, "acf": acf}[method]
    est = module.estimate(data, cfg.estimator, start=start_values(data, cfg))
    start = np.array([est["beta_l"], est["beta_k"]])

    def again(sample: dict) -> dict:
        return module.estimate(sample, cfg.estimator, start=start)

    est["se_l"], est["se_k"] = firm_bootstrap_se(data, again, cfg.bootstrap_reps,
                                                 cfg.bootstrap_max_firms, rng)
    return est


def estimate_industry(df: pd.DataFrame, industry: int, cfg: Config,
                      log=sys.stdout) -> list[dict]:
    """One row per method for one industry's firm-years (sorted by firm_id, year)."""
    need = ["y", "l", "k", "m", *cfg.markov_controls]
    extra = list(cfg.markov_controls)
    if cfg.first_stage_effects != "none":
        need.append(FIRST_STAGE_GROUP)
        extra.append(FIRST_STAGE_GROUP)
    if "labour_share" in df.columns:
        extra.append("labour_share")  # may be NaN: only its median is used
    usable = df[np.isfinite(df[need].to_numpy(dtype=float)).all(axis=1)]
    dropped = len(df) - len(usable)
    data = _arrays(usable, tuple(extra))
    rows = []
    if len(usable) < cfg.min_obs:
        print(f"industry {industry}: {len(usable)} usable firm-years < min_obs {cfg.min_obs}; "
              f"no estimates, TFP missing for its {len(df)} rows", file=log)
        return [{"industry": industry, "method": m, "beta_l": np.nan, "beta_k": np.nan,
                 "se_l": np.nan, "se_k": np.nan, "nobs": 0, "n_firms": 0, "converged": False}
                for m in cfg.methods]
    for method in cfg.methods:
        t0 = time.perf_counter()
        if method in ("ols", "fe"):
            est = ols_fe.estimate(usable, method)
            est["converged"] = True
        else:
            rng = np.random.default_rng([cfg.seed, industry, METHODS.index(method)])
            est = _structural(data, cfg, method, rng)
        rows.append({"industry": industry, "method": method, "beta_l": est["beta_l"],
                     "beta_k": est["beta_k"], "se_l": est["se_l"], "se_k": est["se_k"],
                     "nobs": int(est["nobs"]), "n_firms": n_firms(data),
                     "converged": bool(est["converged"])})
        print(f"industry {industry} {method}: beta_l={est['beta_l']:.4f} beta_k={est['beta_k']:.4f} "
              f"nobs={est['nobs']} converged={est['converged']} "
              f"({time.perf_counter() - t0:.2f}s)", file=log)
    if dropped:
        print(f"industry {industry}: {dropped} firm-years with missing/non-finite "
              f"{'/'.join(need)} not used in estimation", file=log)
    return rows


def estimate_all(panel: pd.DataFrame, cfg: Config, log=sys.stdout) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tfp, elasticities) for a panel sorted by (industry2, firm_id, year)."""
    rows = []
    for industry, df in panel.groupby("industry2", sort=True):
        rows += estimate_industry(df, int(industry), cfg, log)
    elasticities = pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)
    tfp = panel[["firm_id", "year"]].copy()
    for method in METHODS:
        col = f"tfp_{method}"
        if method not in cfg.methods:
            tfp[col] = np.nan
            continue
        b = (elasticities[elasticities["method"] == method]
             .set_index("industry")[["beta_l", "beta_k"]])
        bl = panel["industry2"].map(b["beta_l"]).to_numpy(dtype=float)
        bk = panel["industry2"].map(b["beta_k"]).to_numpy(dtype=float)
        tfp[col] = panel["y"].to_numpy(dtype=float) - bl * panel["l"].to_numpy(dtype=float) \
            - bk * panel["k"].to_numpy(dtype=float)
    order = {m: i for i, m in enumerate(METHODS)}
    elasticities = (elasticities.assign(_o=elasticities["method"].map(order))
                    .sort_values(["industry", "_o"]).drop(columns="_o").reset_index(drop=True))
    tfp = tfp.sort_values(["firm_id", "year"]).reset_index(drop=True)
    return tfp, elasticities
