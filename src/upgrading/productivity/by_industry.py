"""Run every production-function estimator industry by industry; build TFP from the betas.

tfp_method = y - sum_j beta_j x_j - beta_k k for every firm-year of the industry with finite
inputs (NaN otherwise, and for industries without an estimate). Rows that cannot enter an
estimator (missing y, inputs or m) are counted in the audit, never hidden.

No silent failure: an LP or ACF search that finds no admissible solution (a root or minimum
within the stated tolerance that passes search.inadmissible) stops the stage with a message naming
industry, method and criterion, unless `productivity.fallback.<method>` declares ols or fe (or a list, tried in order; the
first with positive elasticities is used); the row then carries that estimate with status `fallback_<ols|fe>` and the reason, which the
elasticities table, the audit and the paper's production-function table show. An OLS or
within estimate with a non-positive elasticity gets status `wrong_sign`, and a fallback
never lands on one.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from upgrading.productivity import acf, lp, ols_fe
from upgrading.productivity.bootstrap import firm_bootstrap_se, n_firms
from upgrading.productivity.settings import EXCLUDE, EXCLUDED, FIRST_STAGE_GROUP, FOREIGN_INVESTED, METHODS, Config

DIAGNOSTIC_COLUMNS = ["status", "reason", "starts", "starts_converged", "roots", "criterion",
                      "second_root_in_band", "solutions"]
AUDIT_COLUMNS = ["industry", "method", "rows", "rows_used", "rows_dropped", "status", "reason"]


class EstimationError(Exception):
    """A production function without an admissible solution and no declared fallback."""


def elasticity_columns(free: tuple[str, ...]) -> list[str]:
    inputs = [*free, "k"]
    return (["industry", "method"] + [f"beta_{x}" for x in inputs] + [f"se_{x}" for x in inputs]
            + ["nobs", "n_firms", "converged"] + DIAGNOSTIC_COLUMNS)


def _arrays(df: pd.DataFrame, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    out = {"firm": df["firm_id"].to_numpy(np.int64), "year": df["year"].to_numpy(np.int64)}
    for c in names:
        out[c] = df[c].to_numpy(dtype=float)
    return out


def _structural(data: dict, cfg: Config, method: str, rng: np.random.Generator) -> dict:
    module = {"lp": lp, "acf": acf}[method]
    est = module.estimate(data, cfg.estimator, search_settings=cfg.search)
    if not est["converged"]:
        return est
    start = np.array([[est[f"beta_{x}"] for x in (*cfg.free, "k")]])

    def again(sample: dict) -> dict:
        return module.estimate(sample, cfg.estimator, starts=start, search_settings=cfg.search)

    se = firm_bootstrap_se(data, again, cfg.bootstrap_reps, cfg.bootstrap_max_firms, rng,
                           (*cfg.free, "k"))
    est.update({f"se_{x}": s for x, s in zip((*cfg.free, "k"), se)})
    return est


def _positive(est: dict, inputs: tuple[str, ...]) -> bool:
    return all(np.isfinite(est[f"beta_{x}"]) and est[f"beta_{x}"] > 0 for x in inputs)


def estimate_industry(df: pd.DataFrame, industry: int, cfg: Config,
                      log=sys.stdout) -> tuple[list[dict], list[dict]]:
    """(elasticity rows, audit rows) for one industry's firm-years (sorted by firm_id, year)."""
    inputs = (*cfg.free, "k")
    need = list(dict.fromkeys([*cfg.free, "y", "k", "m", *cfg.markov_controls]))
    extra = list(cfg.markov_controls)
    if cfg.first_stage_effects != "none":
        need.append(FIRST_STAGE_GROUP)
        extra.append(FIRST_STAGE_GROUP)
    if cfg.markov_year_by is not None:
        need.append(FOREIGN_INVESTED)
        extra.append(FOREIGN_INVESTED)
    usable = df[np.isfinite(df[need].to_numpy(dtype=float)).all(axis=1)]
    dropped = len(df) - len(usable)
    data = _arrays(usable, tuple(dict.fromkeys(["y", *cfg.free, "k", "m", *extra])))
    nan_row = {f"{p}_{x}": np.nan for p in ("beta", "se") for x in inputs}
    rows, audit = [], []

    def record(method: str, est: dict, status: str, reason: str = "") -> None:
        row = {"industry": industry, "method": method, **nan_row,
               **{k: v for k, v in est.items() if k in nan_row},
               "nobs": int(est.get("nobs", 0)), "n_firms": n_firms(data),
               "converged": status == "estimated", "status": status, "reason": reason}
        for key in DIAGNOSTIC_COLUMNS[2:]:
            row[key] = est.get(key, np.nan if key == "criterion" else "")
        rows.append(row)
        audit.append({"industry": industry, "method": method, "rows": len(df),
                      "rows_used": len(usable), "rows_dropped": dropped, "status": status,
                      "reason": reason})

    if dropped:
        print(f"industry {industry}: {dropped} firm-years with missing/non-finite "
              f"{'/'.join(need)} not used in estimation", file=log)
    if len(usable) < cfg.min_obs:
        reason = f"{len(usable)} usable firm-years < productivity.min_obs {cfg.min_obs}"
        print(f"industry {industry}: {reason}; no estimates, TFP missing for its {len(df)} rows",
              file=log)
        for m in cfg.methods:
            record(m, {}, "too_few_obs", reason)
        return rows, audit
    closed_form: dict[str, dict] = {}

    def linear(method: str) -> dict:
        if method not in closed_form:
            closed_form[method] = ols_fe.estimate(usable, method, cfg.free)
        return closed_form[method]

    for method in cfg.methods:
        t0 = time.perf_counter()
        if method in ("ols", "fe"):
            est = linear(method)
            ok = _positive(est, inputs)
            record(method, est, "estimated" if ok else "wrong_sign",
                   "" if ok else "a non-positive elasticity")
        else:
            rng = np.random.default_rng([cfg.seed, industry, METHODS.index(method)])
            est = _structural(data, cfg, method, rng)
            if est["converged"]:
                record(method, est, "estimated")
            else:
                reason = (f"{est['message']}; {est['starts_converged']} of {est['starts']} "
                          f"starts converged, criterion {est['criterion']:.3g}")
                chain = cfg.fallback_for(method)
                if not chain:
                    raise EstimationError(
                        f"industry {industry}, {method.upper()}: {reason}. Try "
                        f"productivity.first_stage_effects: none or a lower poly_degree, more "
                        f"starts (productivity.starts); a solution that fails the admissibility "
                        f"rule (max_elasticity, returns_to_scale, labour_band) is not an "
                        f"estimate of this technology; or declare a fallback "
                        f"(productivity.fallback.{method}: fe or ols, or a list) to use that "
                        f"estimate, marked, for this industry")
                estimates = [f for f in chain if f != EXCLUDE]
                fallback = next((f for f in estimates if _positive(linear(f), inputs)), None)
                if fallback is not None:
                    sub = linear(fallback)
                    record(method, est | {k: v for k, v in sub.items() if k in nan_row},
                           f"fallback_{fallback}", reason)
                elif EXCLUDE in chain:
                    # Declared: the industry gets no elasticity and its rows no TFP of this method.
                    why = (f"{reason}; " + (f"fallback(s) {'/'.join(estimates)} non-positive too; "
                                            if estimates else "")
                           + f"industry excluded, TFP missing for its {len(df)} rows")
                    record(method, {k: v for k, v in est.items() if k not in nan_row}, EXCLUDED, why)
                else:
                    raise EstimationError(f"industry {industry}, {method.upper()}: {reason}; the "
                                          f"declared fallback(s) {'/'.join(chain)} have a "
                                          f"non-positive elasticity too; add exclude to "
                                          f"productivity.fallback.{method} to leave the industry "
                                          f"out, marked")
        shown = " ".join(f"{c}={est.get(c, np.nan):.4f}" for c in (f"beta_{x}" for x in inputs))
        print(f"industry {industry} {method}: {shown} nobs={est.get('nobs')} "
              f"status={rows[-1]['status']} starts={est.get('starts', '-')} "
              f"converged={est.get('starts_converged', '-')} roots={est.get('roots', '-')} "
              f"criterion={est.get('criterion', np.nan):.3g} ({time.perf_counter() - t0:.2f}s)",
              file=log)
    return rows, audit


def estimate_all(panel: pd.DataFrame, cfg: Config,
                 log=sys.stdout) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(tfp, elasticities, audit) for a panel sorted by (industry2, firm_id, year)."""
    rows, audit = [], []
    for industry, df in panel.groupby("industry2", sort=True):
        r, a = estimate_industry(df, int(industry), cfg, log)
        rows += r
        audit += a
    inputs = (*cfg.free, "k")
    elasticities = pd.DataFrame(rows, columns=elasticity_columns(cfg.free))
    tfp = panel[["firm_id", "year"]].copy()
    for method in METHODS:
        col = f"tfp_{method}"
        tfp[col] = np.nan
        if method not in cfg.methods:
            continue
        b = elasticities[elasticities["method"] == method].set_index("industry")
        value = panel["y"].to_numpy(dtype=float).copy()
        for x in inputs:
            value -= (panel["industry2"].map(b[f"beta_{x}"]).to_numpy(dtype=float)
                      * panel[x].to_numpy(dtype=float))
        tfp[col] = value
    order = {m: i for i, m in enumerate(METHODS)}
    elasticities = (elasticities.assign(_o=elasticities["method"].map(order))
                    .sort_values(["industry", "_o"]).drop(columns="_o").reset_index(drop=True))
    tfp = tfp.sort_values(["firm_id", "year"]).reset_index(drop=True)
    return tfp, elasticities, pd.DataFrame(audit, columns=AUDIT_COLUMNS)
