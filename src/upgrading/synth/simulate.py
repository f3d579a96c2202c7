"""Run the synthetic world forward year by year and collect the firm-years that the
survey observes (the rows of the raw files, before any mess is injected)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.spillovers import NATIONAL
from upgrading.synth.books import Ledger
from upgrading.synth.dynamics import YearModel, _concat, _subset, accept_above_threshold, draw_noise, solve_year
from upgrading.synth.population import Tables, _sigmoid, draw_new_firms


def _zero_measures(n_city: int, n_j: int) -> dict:
    return {"national": {k: np.zeros(n_j) for k in NATIONAL}, "local_cells": np.full((n_city, n_j), np.nan)}


def simulate(tables: Tables, params: dict, io: pd.DataFrame, deflators: dict, years: list[int],
             targets: dict[int, int], rng: np.random.Generator, ledger: Ledger):
    """Returns (static traits of every firm, observed firm-years as a DataFrame, per-year
    diagnostics, unsurveyed firm-years: domestic firms alive but below the survey threshold)."""
    n_city, n_j = len(tables.city_code), len(tables.j_code)
    static: dict[str, list] = {}
    n_firms = 0
    traits: dict = {}
    state: dict = {}
    measures_prev = _zero_measures(n_city, n_j)
    records, diag, unsurveyed = [], [], []
    delta = params["delta"]

    for t, year in enumerate(years):
        def make_model(firm_traits, firm_state, _t=t, _y=year):
            return YearModel(tables, params, io, deflators, _y, _t, firm_state, firm_traits, n_city)

        target = int(targets[year])
        if t > 0:  # survivors move on: productivity, wage shock, capital from last year's decision
            keep = ~state.pop("exit")
            traits, state = _subset(traits, keep), _subset(state, keep)
            n = len(state["u"])
            state["u"] = params["rho_u"] * state["u"] + rng.normal(0, params["sd_u_innovation"], n)
            rho_wage = params["rho_wage"]
            state["w"] = (rho_wage * state["w"]
                          + rng.normal(0, params["sd_wage"] * np.sqrt(1 - rho_wage * rho_wage), n))
            state["capital"] = (1 - delta) * state["capital"] + state["investment_next"]
            ledger.roll(state, state.pop("investment_next") * deflators["investment"][traits["j"], t])
            state.update(draw_noise(rng, n, params))
            n_inc_obs = int(make_model(traits, state).evaluate(measures_prev)["observed"].sum())
            n_new = max(target - n_inc_obs, int(np.ceil(params["min_entry_rate"] * target)))
            shares = params["ownership_entry"]
        else:
            n_new, shares = target, params["ownership_initial"]
        new = draw_new_firms(rng, tables, n_new, year, shares, params, entrant=t > 0)
        new["firm"] = np.arange(n_firms, n_firms + n_new)
        n_firms += n_new
        for k, v in new.items():
            static.setdefault(k, []).append(v)
        state_new = {"u": new["u0"], "w": new["w0"], "capital": np.exp(new["kbar"]),
                     "l_prev": np.full(n_new, np.nan), **draw_noise(rng, n_new, params)}
        state_new = accept_above_threshold(make_model, new, state_new, measures_prev, params, tables, rng)
        state_new.update(ledger.open(state_new["capital"], new["founding_year"], year, new["j"], new["c"]))
        traits = new if t == 0 else _concat(traits, new)
        state = state_new if t == 0 else _concat({k: state[k] for k in state_new}, state_new)

        model = make_model(traits, state)
        out, measures, gap, iters = solve_year(model, measures_prev, params)
        observed = out["observed"]
        national, local = out["measures"]
        rec = {"firm": traits["firm"][observed], "year": np.full(int(observed.sum()), year, np.int16),
               "u": state["u"][observed], "w": state["w"][observed], "capital": state["capital"][observed],
               "ofa": state["original_fixed_assets"][observed],
               "acc": state["accumulated_depreciation"][observed], "dep": state["depreciation"][observed],
               "investment_nominal": state["investment_nominal"][observed], "va_share": model.va_share[observed],
               "wage": model.wage[observed], "eps": state["eps"][observed],
               "sales_noise": state["sales_noise"][observed],
               "cluster": model.cluster[observed], "horizontal_local": local[observed]}
        for k in ("omega", "spill", "employment", "va", "output", "intermediate", "sales",
                  "exports", "exporter", "new_product"):
            rec[k] = out[k][observed]
        for k in NATIONAL:
            rec[k] = national[k][observed]
        records.append(rec)
        # Alive domestic firms the survey misses (below the threshold): the truth needs them to
        # separate the threshold's selection from sampling error (upgrading.synth.truth).
        gone = ~observed & model.domestic
        unsurveyed.append({"firm": traits["firm"][gone], "year": np.full(int(gone.sum()), year, np.int16),
                           "city": tables.city_code[traits["c"][gone]].astype(np.int64),
                           "industry2": tables.j_code[traits["j"][gone]].astype(np.int64),
                           "industry4": tables.c4_code[traits["c4"][gone]].astype(np.int64),
                           "u": state["u"][gone], "cluster": model.cluster[gone], "horizontal_local": local[gone],
                           **{k: national[k][gone] for k in NATIONAL}})
        diag.append({"year": year, "alive": len(observed), "observed": int(observed.sum()), "entrants": n_new,
                     "fixed_point_iterations": iters, "fixed_point_gap": gap})

        state["l_prev"] = np.log(out["employment"])  # labour adjusts from this year's level
        # Decisions for next year, taken knowing omega_t: investment (capital of t+1), exit.
        dom_omega = state["u"] + out["spill"]
        k_target = np.exp(traits["kbar"] + params["capital_growth"] * (year + 1 - 1998)
                          + params["invest_omega"] * dom_omega)
        state["investment_next"] = np.maximum(
            0.0, params["invest_adjust"] * (k_target - (1 - delta) * state["capital"]))
        # Exit responds to the firm's own productivity u, not to spill: selection on the
        # spillover term itself would bias the oracle regression away from the estimand.
        base = np.log(params["exit_base"] / (1 - params["exit_base"]))
        p_exit = (_sigmoid(base - params["exit_omega"] * state["u"])
                  + params["exit_soe_extra"] * (traits["own"] == 0))
        state["exit"] = rng.random(len(p_exit)) < p_exit
        # Carried to next year (other firms): national measures and cell shares only.
        measures_prev = {"national": measures["national"], "local_cells": measures["local_cells"]}

    static_all = {k: np.concatenate(v) for k, v in static.items()}
    panel = pd.DataFrame({k: np.concatenate([r[k] for r in records]) for k in records[0]})
    missed = pd.DataFrame({k: np.concatenate([r[k] for r in unsurveyed]) for k in unsurveyed[0]})
    return static_all, panel, pd.DataFrame(diag), missed
