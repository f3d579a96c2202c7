"""A small production-function world simulated inside the tests (known elasticities).

omega is AR(1); capital is chosen at t-1 (responds to omega_{t-1}); labour responds
to omega_t plus an optimisation error; intermediates are a function of (omega, k),
so both LP and ACF are identified, and OLS's beta_l is biased up (l co-moves with omega).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

TRUE_L, TRUE_K = 0.45, 0.30


def make_world(n_firms: int, n_years: int, seed: int, beta_l: float = TRUE_L,
             beta_k: float = TRUE_K, industry: int = 13, city_input_shift: float = 0.0) -> pd.DataFrame:
    """`city_input_shift`: sd of a city-level shift in log intermediates (a local input share),
    which breaks the proxy unless the first stage has city effects."""
    rng = np.random.default_rng(seed)
    city = rng.integers(0, 12, n_firms)
    shift = rng.normal(0.0, 1.0, 12)[city] * city_input_shift
    rho, s_xi = 0.7, 0.25
    omega = rng.normal(0.0, s_xi / np.sqrt(1 - rho ** 2), n_firms)
    k = rng.normal(4.0, 1.0, n_firms)
    rows = []
    for t in range(n_years):
        if t > 0:
            k = 0.75 * k + 0.6 * omega + 1.0 + rng.normal(0.0, 0.25, n_firms)  # chosen at t-1
            omega = rho * omega + rng.normal(0.0, s_xi, n_firms)
        l = 1.0 + 0.6 * omega + 0.35 * k + rng.normal(0.0, 0.3, n_firms)
        m = 0.5 + 1.2 * omega + 0.5 * k + shift
        y = beta_l * l + beta_k * k + omega + rng.normal(0.0, 0.1, n_firms)
        rows.append(pd.DataFrame({"firm_id": np.arange(n_firms, dtype=np.int64), "year": 1998 + t,
                                  "industry2": industry, "y": y, "l": l, "k": k, "m": m,
                                  "city": 110000 + 100 * city, "value_added": np.exp(y),
                                  "wage_bill": beta_l * np.exp(y), "true_omega": omega}))
    df = pd.concat(rows, ignore_index=True)
    keep = rng.random(len(df)) > 0.1  # an unbalanced panel: some firm-years missing
    return df[keep].sort_values(["firm_id", "year"]).reset_index(drop=True)


def to_arrays(df: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"firm": df["firm_id"].to_numpy(), "year": df["year"].to_numpy(),
            **{c: df[c].to_numpy(dtype=float) for c in ("y", "l", "k", "m")}}


def simulate_static_labour(n_firms: int, n_years: int, seed: int, wage_capital: float = 0.05,
                           beta_l: float = TRUE_L, beta_k: float = TRUE_K) -> dict[str, np.ndarray]:
    """A world with a spurious ACF root near labour 1, capital `wage_capital` (as arrays).

    Labour is the static optimum at the firm's wage, log w = AR(1) + wage_capital k, so log
    output per worker is log w up to a constant and noise: omega = y - l - wage_capital k is
    then a Markov process whose innovation is orthogonal to l_{t-1} and k_t, and (1,
    wage_capital) solves the ACF moments beside the truth. Intermediates depend on (omega, k)
    only, so LP's first stage identifies beta_l.
    """
    rng = np.random.default_rng(seed)
    omega = rng.normal(0.0, 0.35, n_firms)
    k = rng.normal(4.0, 1.0, n_firms)
    wage = rng.normal(0.0, 0.3, n_firms)
    firms, years, cols = [], [], {c: [] for c in ("y", "l", "k", "m")}
    for t in range(n_years):
        if t > 0:
            k = 0.75 * k + 0.6 * omega + 1.0 + rng.normal(0.0, 0.25, n_firms)
            omega = 0.7 * omega + rng.normal(0.0, 0.25, n_firms)
            wage = 0.8 * wage + rng.normal(0.0, 0.15, n_firms)
        l = (np.log(beta_l) + omega + beta_k * k - wage - wage_capital * k) / (1 - beta_l)
        cols["l"].append(l)
        cols["k"].append(k)
        cols["m"].append(0.5 + 1.2 * omega + 0.5 * k)
        cols["y"].append(beta_l * l + beta_k * k + omega + rng.normal(0.0, 0.1, n_firms))
        firms.append(np.arange(n_firms))
        years.append(np.full(n_firms, 1998 + t))
    firm, year = np.concatenate(firms), np.concatenate(years)
    order = np.lexsort((year, firm))
    return {"firm": firm[order], "year": year[order],
            **{c: np.concatenate(v)[order] for c, v in cols.items()}}


def benchmark_module(name: str) -> ModuleType:
    """A by-hand script of benchmarks/ (not a package), loaded as a module for its tests."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
