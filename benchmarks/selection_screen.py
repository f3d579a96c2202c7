"""Where ACF's capital shortfall on the synthetic world comes from: a screen of the law of
motion's selection correction.

Run by hand from the repository root on a built synthetic world:

    .venv/bin/python benchmarks/selection_screen.py --panel PANEL --truth RAW/truth \
        [--specs default,no_selection,trim3,trim6] [--out FILE.csv]

For each industry the ACF moments of the config's settings (no search) are solved by Newton
steps from the true elasticities, so the result is the root nearest the truth, which is the
root the search chooses wherever it is admissible (production_recovery.py gives the search's
own choice). Per specification: mean error and mean absolute error of beta_l and beta_k
across industries, and per industry a sandwich standard error of the root (moments
clustered by firm; it leaves out the first stage and the probability model, so it is a
lower bound of the bootstrap's).

Specifications (each changes one thing against the config's settings):

- default: the config's law of motion;
- no_selection: without the Olley-Pakes observation probability;
- index_sales, index_investment: the probability's linear model with log sales or real
  investment (asinh of thousand yuan / 100) beside (k, l, m): in the survey a firm leaves when
  its sales fall below the threshold, and the threshold for omega_t depends on capital at t,
  chosen at t - 1 with investment;
- index_cubic: a cubic instead of a quadratic; logit: a logit instead of a linear probability;
- index_state_year: state-owned indicator and its interactions with the year dummies beside
  (k, l, m) (state-owned firms are surveyed whatever their sales until the exemption ends);
- trimN (no selection term): moments on the pairs whose sales at t - 1 are at least N times
  the survey threshold, where falling below it at t is rare: selection on t - 1 information
  leaves E[xi_t | t - 1] = 0 intact, so what is left without the threshold is visible.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from upgrading.productivity import acf, markov
from upgrading.productivity.by_industry import _arrays
from upgrading.productivity.design import ls_coef, polynomial, year_dummies
from upgrading.productivity.panel import add_estimation_columns
from upgrading.productivity.settings import FIRST_STAGE_GROUP, FOREIGN_INVESTED, from_mapping

EXTRA = ("log_sales", "investment_asinh", "state_owned")
SPECS = ("default", "no_selection", "index_sales", "index_investment", "index_cubic", "logit",
         "index_state_year", "trim3", "trim6")


def probability(extra: tuple[str, ...] = (), degree: int = 2, link: str = "linear",
                state_year: bool = False):
    """An observation probability model in the signature of markov.observation_probability."""
    def fit(data: dict[str, np.ndarray], lag: np.ndarray, free: tuple[str, ...] = ("l",)) -> np.ndarray:
        has_next = np.zeros(len(lag))
        has_next[lag[lag >= 0]] = 1.0
        parts = [np.ones_like(data["k"]), polynomial([data[c] for c in ("k", *free, "m", *extra)], degree),
                 year_dummies(data["year"])]
        if state_year:
            state = data["state_owned"][:, None]
            parts += [state, state * year_dummies(data["year"])]
        X = np.column_stack(parts)
        rows = data["year"] < data["year"].max()
        if link == "linear":
            return np.clip(X @ ls_coef(X[rows], has_next[rows]), 0.01, 0.99)
        b = np.zeros(X.shape[1])  # logit by Newton-Raphson
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-X[rows] @ b))
            w = p * (1.0 - p)
            step = np.linalg.lstsq((X[rows] * w[:, None]).T @ X[rows], X[rows].T @ (has_next[rows] - p),
                                   rcond=None)[0]
            b += step
            if np.abs(step).max() < 1e-10:
                break
        return np.clip(1.0 / (1.0 + np.exp(-X @ b)), 0.01, 0.99)
    return fit


def spec_parts(name: str) -> tuple[object, dict, float | None]:
    """(probability model, settings changed, sales multiple of the threshold or None)."""
    if name.startswith("trim"):
        return markov.observation_probability, {"selection": False}, float(name[4:])
    models = {"default": markov.observation_probability,
              "no_selection": markov.observation_probability,
              "index_sales": probability(("log_sales",)),
              "index_investment": probability(("investment_asinh",)),
              "index_cubic": probability(degree=3),
              "logit": probability(link="logit"),
              "index_state_year": probability(state_year=True)}
    if name not in models:
        raise SystemExit(f"unknown spec {name!r}; known: {', '.join(SPECS)} (trimN for any N)")
    return models[name], ({"selection": False} if name == "no_selection" else {}), None


def newton_root(data: dict, settings: acf.Settings, beta: np.ndarray, min_lag_sales: float | None,
                steps: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The ACF root nearest `beta` and its firm-clustered sandwich standard errors."""
    phi = acf.first_stage(data, settings.poly_degree, settings.first_stage_group, settings.free,
                          settings.first_stage_year_effects)
    pairs = markov.make_pairs(data, settings.markov_controls, settings.markov_year_effects,
                              settings.markov_group, settings.selection, settings.free,
                              settings.markov_year_by)
    if min_lag_sales is not None:  # keep the pairs far above the threshold at t - 1
        if pairs.groups is not None or pairs.p_obs is not None:
            raise SystemExit("trimN: without markov_group and without the selection term")
        keep = data["log_sales"][pairs.lag] >= np.log(min_lag_sales)
        # The kept rows of an orthonormal basis span the kept rows of the fixed regressors.
        pairs = markov.Pairs(cur=pairs.cur[keep], lag=pairs.lag[keep],
                             basis=markov.orthonormal_basis(pairs.basis[keep]))
    X = acf.inputs(data, settings.free)
    Z = np.column_stack([data[f][pairs.lag] for f in settings.free] + [data["k"][pairs.cur]])
    Z = (Z - Z.mean(0)) / Z.std(0)

    law = markov.Innovations(np.column_stack([phi, X]), pairs, settings.markov_degree)

    def contributions(b: np.ndarray) -> np.ndarray:
        return Z * law.xi(np.r_[1.0, -b])[:, None]

    def jacobian(b: np.ndarray, m: np.ndarray, h: float = 1e-5) -> np.ndarray:
        return np.column_stack([(contributions(b + h * e).mean(0) - m) / h for e in np.eye(len(b))])

    for _ in range(steps):
        m = contributions(beta).mean(0)
        beta = beta - np.linalg.solve(jacobian(beta, m), m)
    g = contributions(beta)
    firms = pd.factorize(data["firm"][pairs.cur])[0]
    by_firm = np.zeros((firms.max() + 1, g.shape[1]))
    np.add.at(by_firm, firms, g - g.mean(0))
    J_inv = np.linalg.inv(jacobian(beta, g.mean(0)))
    cov = J_inv @ (by_firm.T @ by_firm) @ J_inv.T / len(g) ** 2
    return beta, np.sqrt(np.diag(cov))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--panel", required=True)
    p.add_argument("--truth", required=True, help="the world's truth/ directory")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--specs", default=",".join(SPECS))
    p.add_argument("--out", help="CSV of the per-industry roots")
    p.add_argument("--thin-below", type=int, default=2000)
    args = p.parse_args(argv)
    with open(args.config, encoding="utf-8") as fh:
        cfg = from_mapping(yaml.safe_load(fh)["productivity"])
    if cfg.free != ("l",):
        raise SystemExit("selection_screen.py: one free input (value added, one labour column) only")
    cols = ["firm_id", "year", "industry2", "city", "y", "l", "k", "m", "sales", "investment",
            "state_share", "foreign_share"]
    panel = pd.read_parquet(args.panel, columns=cols)
    panel["log_sales"] = np.log(panel["sales"].where(panel["sales"] > 0))
    panel["investment_asinh"] = np.arcsinh(panel["investment"].fillna(0.0) / 100.0)
    panel["state_owned"] = (panel["state_share"].fillna(0.0) >= 0.5).astype(float)
    panel = (add_estimation_columns(panel, cfg)
             .sort_values(["industry2", "firm_id", "year"], kind="stable").reset_index(drop=True))
    with open(Path(args.truth) / "parameters.json", encoding="utf-8") as fh:
        parameters = json.load(fh)
    truth, threshold = parameters["production"], float(parameters["threshold_sales"])
    names = (("y", "l", "k", "m", *EXTRA)
             + ((FIRST_STAGE_GROUP,) if cfg.first_stage_effects != "none" else ())
             + ((FOREIGN_INVESTED,) if cfg.markov_year_by is not None else ()))
    default_model = markov.observation_probability
    rows = []
    for industry, df in panel.groupby("industry2", sort=True):
        df = df[np.isfinite(df[list(names)].to_numpy(dtype=float)).all(axis=1)]
        data = _arrays(df, names)
        true = np.array([truth[str(industry)]["beta_l"], truth[str(industry)]["beta_k"]])
        for name in args.specs.split(","):
            model, changed, multiple = spec_parts(name)
            markov.observation_probability = model  # make_pairs looks it up at call time
            try:
                beta, se = newton_root(data, dataclasses.replace(cfg.estimator, **changed), true.copy(),
                                       None if multiple is None else multiple * threshold)
            finally:
                markov.observation_probability = default_model
            rows.append({"spec": name, "industry": int(industry), "nobs": len(df),
                         "beta_l": beta[0], "beta_k": beta[1], "se_l": se[0], "se_k": se[1],
                         "err_l": beta[0] - true[0], "err_k": beta[1] - true[1]})
    est = pd.DataFrame(rows)
    if args.out:
        est.to_csv(args.out, index=False, float_format="%.6g")
    parts = []
    for sample, part in (("all", est), (f"nobs>={args.thin_below}", est[est["nobs"] >= args.thin_below])):
        g = part.groupby("spec", sort=False)
        parts.append(pd.DataFrame({
            "sample": sample, "mean_err_l": g["err_l"].mean(), "mae_l": g["err_l"].apply(lambda v: v.abs().mean()),
            "mean_err_k": g["err_k"].mean(), "mae_k": g["err_k"].apply(lambda v: v.abs().mean()),
            "median_se_k": g["se_k"].median(),
            "share_k_within_2se": g.apply(lambda d: (d["err_k"].abs() <= 2 * d["se_k"]).mean(),
                                          include_groups=False)}))
    with pd.option_context("display.width", 200, "display.float_format", "{:+.4f}".format):
        print(pd.concat(parts).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
