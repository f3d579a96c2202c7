"""Fixed assets at historical cost: each firm's investment history from its founding year and the
book values the survey reports.

A firm's true real capital follows the perpetual inventory with the economic depreciation rate
delta: K_t = (1 - delta) K_{t-1} + I_t (real investment I_t arrives in year t and is not
depreciated that year). The books record each year's investment at that year's investment price
P_t (nominal I_t P_t) and never revalue it:
- original value (固定资产原价) O_t = sum of nominal investments up to t (no retirements);
- book depreciation of year t: D_t = d N_{t-1} (declining balance at the accounting rate d, which
  differs from delta), accumulated depreciation (累计折旧) A_t = A_{t-1} + D_t;
- net value (固定资产净值) N_t = O_t - A_t = (1 - d) N_{t-1} + I_t P_t.
So the stock mixes vintages bought at past prices, and neither book value divided by today's
deflator is real capital.

The history before a firm's first simulated year (it may start decades before the survey) is
drawn when the firm appears: real investment in year s of its life is
c exp(g_i (s - founding) + eta_s), with g_i = growth_mean + province x industry deviation + firm
deviation and eta_s i.i.d. (lumpy investment); c is set so that the depreciated sum equals the
firm's capital of its first year. Years before the first sample year are priced with a national
investment price index (`investment_inflation`); later years with the industry's deflator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from upgrading.synth.population import Tables


def national_prices(cfg: dict, first_sample_year: int) -> pd.DataFrame:
    """National investment price index from cfg['first_year'] to the first sample year (= 1 there).

    cfg['investment_inflation'] maps a year to the log inflation that applies from that year until
    the next key (the change from year s-1 to s); years before the first key have no inflation.
    """
    start = int(cfg["first_year"])
    years = np.arange(start, first_sample_year + 1)
    keys = sorted(int(k) for k in cfg["investment_inflation"])
    rates = {int(k): float(v) for k, v in cfg["investment_inflation"].items()}
    infl = np.zeros(len(years))
    for i, y in enumerate(years[1:], start=1):  # change from y-1 to y; the sample's first year is 1
        past = [k for k in keys if k <= y]
        infl[i] = rates[past[-1]] if past else 0.0
    log_p = np.cumsum(infl)
    log_p -= log_p[-1]
    return pd.DataFrame({"year": years, "investment_price": np.round(np.exp(log_p), 6)})


def price_table(national: pd.DataFrame, inv_defl: np.ndarray) -> tuple[np.ndarray, int]:
    """(P[j, s - y0], y0): investment price of each industry in every year from the national index's
    first year to the last sample year; before the sample the national index chained to the
    industry's deflator of the first sample year."""
    nat = national["investment_price"].to_numpy()
    y0 = int(national["year"].iloc[0])
    pre = inv_defl[:, :1] * (nat[:-1] / nat[-1])[None, :]
    return np.concatenate([pre, inv_defl], axis=1), y0


def cell_growth(rng: np.random.Generator, tables: Tables, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(province position of every city, province x industry deviation of investment growth)."""
    prov = tables.city_code // 10000
    codes, pos = np.unique(prov, return_inverse=True)
    return pos, rng.normal(0.0, sd, (len(codes), len(tables.j_code)))


def opening_books(rng: np.random.Generator, k_real: np.ndarray, founding: np.ndarray, year: int,
                  j: np.ndarray, growth_dev: np.ndarray, prices: np.ndarray, y0: int, cfg: dict,
                  delta: float) -> dict[str, np.ndarray]:
    """Book values in `year` of firms whose real capital that year is `k_real`, from an investment
    history since max(founding, y0). Vectorised over firms and lags (n x max age)."""
    n = len(k_real)
    age = np.clip(year - founding.astype(np.int64), 0, year - y0)
    lag = np.arange(int(age.max(initial=0)) + 1)
    valid = lag[None, :] <= age[:, None]
    g = cfg["growth_mean"] + growth_dev + rng.normal(0.0, cfg["growth_firm_sd"], n)
    eta = rng.normal(0.0, cfg["lumpiness_sd"], (n, len(lag)))
    # log weight of year s = year - lag in the firm's path, relative to its founding year
    log_w = g[:, None] * (age[:, None] - lag[None, :]) + eta
    log_w = np.where(valid, log_w - log_w.max(axis=1, where=valid, initial=-np.inf, keepdims=True), -np.inf)
    w = np.exp(log_w)
    real = w * (k_real / (w * (1 - delta) ** lag[None, :]).sum(axis=1))[:, None]
    s_idx = np.clip(year - y0 - lag[None, :], 0, None)
    nominal = np.where(valid, real * prices[j[:, None], s_idx], 0.0)
    rate = cfg["depreciation_rate"]
    ofa = nominal.sum(axis=1)
    nbv = (nominal * (1 - rate) ** lag[None, :]).sum(axis=1)
    dep = rate * (nbv - nominal[:, 0]) / (1 - rate)  # d x last year's net value
    return {"original_fixed_assets": ofa, "net_book_value": nbv, "accumulated_depreciation": ofa - nbv,
            "depreciation": dep, "investment_nominal": nominal[:, 0]}


def roll_forward(state: dict, invest_nominal: np.ndarray, rate: float) -> None:
    """One year of bookkeeping in place: depreciate last year's net value, add this year's investment."""
    state["depreciation"] = rate * state["net_book_value"]
    state["net_book_value"] = state["net_book_value"] - state["depreciation"] + invest_nominal
    state["accumulated_depreciation"] = state["accumulated_depreciation"] + state["depreciation"]
    state["original_fixed_assets"] = state["original_fixed_assets"] + invest_nominal
    state["investment_nominal"] = invest_nominal


@dataclass
class Ledger:
    """What the bookkeeping of the simulation needs: its own random stream (so book values never
    move the rest of the world), the price table and the province x industry growth deviations."""
    rng: np.random.Generator
    cfg: dict
    delta: float
    prices: np.ndarray
    y0: int
    prov_pos: np.ndarray
    cell_dev: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator, cfg: dict, delta: float, tables: Tables,
              national: pd.DataFrame, inv_defl: np.ndarray) -> Ledger:
        prices, y0 = price_table(national, inv_defl)
        prov_pos, cell_dev = cell_growth(rng, tables, cfg["growth_cell_sd"])
        return cls(rng, cfg, delta, prices, y0, prov_pos, cell_dev)

    def open(self, k_real: np.ndarray, founding: np.ndarray, year: int, j: np.ndarray,
             c: np.ndarray) -> dict[str, np.ndarray]:
        dev = self.cell_dev[self.prov_pos[c], j]
        return opening_books(self.rng, k_real, founding, year, j, dev, self.prices, self.y0,
                             self.cfg, self.delta)

    def roll(self, state: dict, invest_nominal: np.ndarray) -> None:
        roll_forward(state, invest_nominal, self.cfg["depreciation_rate"])
