"""Run the synthetic world forward year by year and collect the firm-years that the
survey observes (the rows of the raw files, before any mess is injected)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.spillovers import NATIONAL
from upgrading.synth.books import Ledger
from upgrading.synth.dynamics import (YearModel, _concat, _subset,
                                      accept_above_threshold, draw_noise, solve_year)
from upgrading.synth.population import Tables, _sigmoid, draw_new_firms


def _zero_measures(n_city: int, n_j: int) -> dict:
    return {"national": {k: np.zeros(n_j) for k in NATIONAL}, "local_cells": np.full((n_city, n_j), np.nan)}


def simulate(tab: Tables, p: dict, io: pd.DataFrame, defl: dict, years: list[int],
             targets: dict[int, int], rng: np.random.Generator, ledger: Ledger):
    """Returns (static traits of every firm, observed firm-years as a DataFrame, per-year
    diagnostics, unsurveyed firm-years: domestic firms alive but below the survey threshold)."""
    n_city, n_j = len(tab.city_code), len(tab.j_code)
    static: dict[str, list] = {}
    n_firms = 0
    fs: dict = {}
    st: dict = {}
    S_prev = _zero_measures(n_city, n_j)
    records, diag, unsurveyed = [], [], []
    delta = p["delta"]

    for t, year in enumerate(years):
        def make_model(f, s, _t=t, _y=year):
            return YearModel(tab, p, io, defl, _y, _t, s, f, n_city)

        target = int(targets[year])
        if t > 0:  # survivors move on: productivity, wage shock, capital from last year's decision
            keep = ~st.pop("exit")
            fs, st = _subset(fs, keep), _subset(st, keep)
            n = len(st["u"])
            st["u"] = p["rho_u"] * st["u"] + rng.normal(0, p["sd_u_innovation"], n)
            rw = p["rho_wage"]
            st["w"] = rw * st["w"] + rng.normal(0, p["sd_wage"] * np.sqrt(1 - rw * rw), n)
            st["K"] = (1 - delta) * st["K"] + st["I_next"]
            ledger.roll(st, st.pop("I_next") * defl["investment"][fs["j"], t])
            st.update(draw_noise(rng, n, p))
            n_inc_obs = int(make_model(fs, st).evaluate(S_prev)["observed"].sum())
            n_new = max(target - n_inc_obs, int(np.ceil(p["min_entry_rate"] * target)))
            shares = p["ownership_entry"]
        else:
            n_new, shares = target, p["ownership_initial"]
        new = draw_new_firms(rng, tab, n_new, year, shares, p, entrant=t > 0)
        new["firm"] = np.arange(n_firms, n_firms + n_new)
        n_firms += n_new
        for k, v in new.items():
            static.setdefault(k, []).append(v)
        st_new = {"u": new["u0"], "w": new["w0"], "K": np.exp(new["kbar"]), "l_prev": np.full(n_new, np.nan),
                  **draw_noise(rng, n_new, p)}
        st_new = accept_above_threshold(make_model, new, st_new, S_prev, p, tab, rng)
        st_new.update(ledger.open(st_new["K"], new["founding_year"], year, new["j"], new["c"]))
        fs = new if t == 0 else _concat(fs, new)
        st = st_new if t == 0 else _concat({k: st[k] for k in st_new}, st_new)

        model = make_model(fs, st)
        out, S, gap, iters = solve_year(model, S_prev, p)
        m = out["observed"]
        nat, loc = out["measures"]
        rec = {"firm": fs["firm"][m], "year": np.full(int(m.sum()), year, np.int16),
               "u": st["u"][m], "w": st["w"][m], "capital": st["K"][m], "ofa": st["OFA"][m],
               "acc": st["ACC"][m], "dep": st["dep"][m], "investment_nominal": st["I_nom"][m], "va_share": model.va_share[m],
               "wage": model.wage[m], "eps": st["eps"][m], "sales_noise": st["sales_noise"][m],
               "cluster": model.cluster[m], "horizontal_local": loc[m]}
        for k in ("omega", "spill", "employment", "va", "output", "intermediate", "sales",
                  "exports", "exporter", "new_product"):
            rec[k] = out[k][m]
        for k in NATIONAL:
            rec[k] = nat[k][m]
        records.append(rec)
        # Alive domestic firms the survey misses (below the threshold): the truth needs them to
        # separate the threshold's selection from sampling error (upgrading.synth.truth).
        gone = ~m & model.domestic
        unsurveyed.append({"firm": fs["firm"][gone], "year": np.full(int(gone.sum()), year, np.int16),
                           "u": st["u"][gone], "cluster": model.cluster[gone], "horizontal_local": loc[gone],
                           **{k: nat[k][gone] for k in NATIONAL}})
        diag.append({"year": year, "alive": len(m), "observed": int(m.sum()), "entrants": n_new,
                     "fixed_point_iterations": iters, "fixed_point_gap": gap})

        st["l_prev"] = np.log(out["employment"])  # labour adjusts from this year's level
        # Decisions for next year, taken knowing omega_t: investment (capital of t+1), exit.
        dom_omega = st["u"] + out["spill"]
        k_target = np.exp(fs["kbar"] + p["capital_growth"] * (year + 1 - 1998) + p["invest_omega"] * dom_omega)
        st["I_next"] = np.maximum(0.0, p["invest_adjust"] * (k_target - (1 - delta) * st["K"]))
        # Exit responds to the firm's own productivity u, not to spill: selection on the
        # spillover term itself would bias the oracle regression away from the estimand.
        base = np.log(p["exit_base"] / (1 - p["exit_base"]))
        p_exit = _sigmoid(base - p["exit_omega"] * st["u"]) + p["exit_soe_extra"] * (fs["own"] == 0)
        st["exit"] = rng.random(len(p_exit)) < p_exit
        # Carried to next year (other firms): national measures and cell shares only.
        S_prev = {"national": S["national"], "local_cells": S["local_cells"]}

    static_all = {k: np.concatenate(v) for k, v in static.items()}
    panel = pd.DataFrame({k: np.concatenate([r[k] for r in records]) for k in records[0]})
    missed = pd.DataFrame({k: np.concatenate([r[k] for r in unsurveyed]) for k in unsurveyed[0]})
    return static_all, panel, pd.DataFrame(diag), missed
