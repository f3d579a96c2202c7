"""The year loop of the synthetic world: survival, productivity, inputs, output, the
survey threshold, entry, and the spillover fixed point.

Productivity of firm i in industry j, city c, year t:
    omega_it = a_j + city_c + g (t - 1998) + spill_it + u_it,   u_it = rho u_i,t-1 + e_it,
where spill_it (domestic firms only) is a known function of the spillover measures
S_jt, computed with the shared formulas (upgrading.core.spillovers) on the true
values of the firms that appear in the raw files (horizontal presence per firm, its own
output left out, as the measures stage computes it). Because S depends on output
weights and output on omega, each year solves the fixed point S = measures(outputs(S))
by iteration (the map is a contraction: spill moves domestic output only a little);
the gap left is reported in parameters.json.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core import spillovers as sp
from upgrading.core.industries import SYNTH_LOCK_IN
from upgrading.synth.population import Tables, _sigmoid, produce

# Firm-year shocks drawn once per year (so every evaluation of the year sees the same ones).
NOISE = ("eps", "sales_noise", "exp_noise", "int_noise", "np_noise", "nps_noise", "nu")


def draw_noise(rng: np.random.Generator, n: int, params: dict) -> dict[str, np.ndarray]:
    sd = params["outcome_noise_sd"]
    return {"eps": rng.normal(0, params["sd_measurement"], n),
            "sales_noise": rng.normal(params["sales_noise_mean"], params["sales_noise_sd"], n),
            "exp_noise": rng.normal(0, sd["exporter"], n), "int_noise": rng.normal(0, sd["export_intensity"], n),
            "np_noise": rng.normal(0, sd["new_product"], n), "nps_noise": rng.normal(0, sd["new_product_share"], n),
            "nu": rng.normal(0, params["sd_labour_error"], n)}


def spill_component(b: dict, post: bool, national: dict, local: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Structural spillover term of a domestic firm given its measures (arrays per firm).

    Every term is one regressor of the structural model (config/specs.yaml, family
    validation), so that model is correctly specified and its projection part of the
    estimand is the DGP's parameters (upgrading.synth.truth). The local term adds foreign
    presence in the firm's own city x industry cell, H_local, the leave-one-out measure
    (the firm's own output never moves its own regressor), on top of national presence: a
    foreign firm next door counts far more than one elsewhere in the country (local
    stronger than national). A firm alone in its cell (H_local NaN) has no local term; a
    firm alone in its industry-year (horizontal NaN) sees no foreign presence.
    Learning after 2002: from 2003 the response to backward presence is stronger by
    backward_post2002 (B_jt x post, the regressor `backward:post2002`).
    """
    hor = {k: np.nan_to_num(national[k], nan=0.0) for k in ("horizontal", "horizontal_hmt", "horizontal_other")}
    return (b["horizontal_hmt"] * hor["horizontal_hmt"] + b["horizontal_other"] * hor["horizontal_other"]
            + b["horizontal_local"] * np.nan_to_num(local, nan=0.0)
            + b["backward"] * national["backward"]
            + post * b["backward_post2002"] * national["backward"]
            + b["forward"] * national["forward"]
            + b["cluster_x_horizontal_hmt"] * cluster * hor["horizontal_hmt"])


class YearModel:
    """Outcomes of the alive firms of one year given the spillover measures S."""

    def __init__(self, tables: Tables, params: dict, io: pd.DataFrame, deflators: dict, year: int, t: int,
                 state: dict, traits: dict, n_city: int):
        self.tables, self.params, self.io, self.year, self.t = tables, params, io, year, t
        self.state, self.traits = state, traits  # state arrays of alive firms, static traits of alive firms
        j, c = traits["j"], traits["c"]
        self.post = year >= 2003
        self.domestic = (traits["share_hmt"] == 0) & (traits["share_foreign"] == 0)
        self.fie = traits["own"] >= 3
        self.cluster = tables.cluster[c, j]
        self.pout, self.pin, self.pinv = (deflators["output"][j, t], deflators["input"][j, t],
                                          deflators["investment"][j, t])
        for key in NOISE:
            setattr(self, key, state[key])
        city = tables.city_traits[c]
        self.symmetry, self.open = city[:, 1], city[:, 2]
        li = np.isin(tables.j_code[j], sorted(SYNTH_LOCK_IN))
        self.labour_int = li
        v = params["va_ratio"]
        self.va_share = np.clip(tables.j_va[j] * np.exp(v["symmetry"] * (self.symmetry - 0.5)
                                                    + v["open_network_post"] * (self.open - 0.5) * self.post
                                                    + v["captive_labour_intensive"] * (1 - self.open) * li),
                                *params["va_share_range"])
        self.base = tables.j_intercept[j] + tables.city_effect[c] + params["tfp_growth"] * (year - 1998)
        self.wage_ref = params["wage_mean"] * np.exp(params["wage_growth"] * (year - 1998))
        self.wage = self.wage_ref * np.exp(state["w"])
        self.exempt = (traits["own"] == 0) & (year <= params["state_exempt_until"])
        self.n_city = n_city

    def firm_measures(self, measures: dict) -> tuple[dict, np.ndarray]:
        """Per-firm measures. S from this year's firms carries the per-firm leave-one-out
        horizontal ("firm") and local ("local") measures; S carried over from the previous
        year (national and "local_cells" only, a different set of firms) gives each firm its
        industry's and cell's shares then (a starting guess)."""
        j, c = self.traits["j"], self.traits["c"]
        national = {k: measures["national"][k][j] for k in sp.NATIONAL}
        if "local" in measures:
            national.update(measures["firm"])
            return national, measures["local"]
        return national, measures["local_cells"][c, j]

    def evaluate(self, measures: dict, frozen: np.ndarray | None = None,
                 employment: np.ndarray | None = None) -> dict:
        """Outcomes given S; `observed` = eligible (threshold), or the frozen set if given.

        `employment`, if given, is taken as chosen (frozen with the set, so that the map
        S -> outcomes is continuous); otherwise labour is the static optimum given omega.
        """
        params, traits, state, tables = self.params, self.traits, self.state, self.tables
        national, local = self.firm_measures(measures)
        spill = np.where(self.domestic,
                         spill_component(params["spillovers"], self.post, national, local, self.cluster), 0.0)
        omega = self.base + spill + state["u"]
        j = traits["j"]
        emp, va, y, m = produce(omega, state["capital"], self.wage, self.wage_ref, tables.j_bl[j], tables.j_bk[j],
                                self.va_share, self.eps, state["l_prev"], self.nu, params["labour_adjust"],
                                employment)
        sales = np.round(y * self.pout * np.exp(self.sales_noise), 1)
        eligible = (sales >= params["threshold_sales"]) | self.exempt
        # With a frozen set, membership stays fixed while S converges; solve_year then
        # drops frozen firms that are no longer eligible and iterates again.
        observed = eligible if frozen is None else frozen
        e = params["exporter_index"]
        # Export status responds to the firm's own productivity u, not to spill, so that the
        # forward measure (which nets out exports) stays continuous in S.
        exp_index = (e["const"] + e["fie"] * self.fie + e["omega"] * state["u"]
                     + e["coastal"] * tables.city_coastal[traits["c"]] + e["labour_intensive"] * self.labour_int
                     + e["open_network"] * self.open + tables.j_exp[j] + traits["export_effect"] + self.exp_noise)
        exporter = exp_index > 0
        x = params["export_intensity_index"]
        intensity = _sigmoid(x["const"] + x["fie"] * self.fie + x["labour_intensive"] * self.labour_int
                             + self.int_noise)
        exports = np.where(exporter, intensity * y, 0.0)
        q = params["new_product_index"]
        np_index = (q["const"] + q["omega"] * (state["u"] + spill) + q["backward"] * national["backward"]
                    + q["open_network"] * self.open + q["symmetry"] * self.symmetry
                    + q["post2002"] * self.post + traits["np_effect"] + self.np_noise)
        r = params["new_product_share"]
        np_share = np.where(np_index > 0, _sigmoid(r["const"] + r["open_network"] * self.open + self.nps_noise), 0.0)
        return {"omega": omega, "spill": spill, "employment": emp, "va": va, "output": y,
                "intermediate": m, "sales": sales, "observed": observed, "eligible": eligible, "exports": exports,
                "exporter": exporter, "new_product": np_share * y, "measures": (national, local)}

    def measures(self, out: dict) -> dict:
        """Spillover measures with the shared formulas over the firms in the raw files."""
        m = out["observed"]
        traits = self.traits
        df = pd.DataFrame({
            "industry2": self.tables.j_code[traits["j"][m]], "year": np.full(int(m.sum()), self.year),
            "city": traits["c"][m], "hmt_share": traits["share_hmt"][m],
            "other_foreign_share": traits["share_foreign"][m],
            "foreign_share": traits["share_hmt"][m] + traits["share_foreign"][m],
            "output": out["output"][m], "exports": out["exports"][m]})
        iy = sp.industry_year_measures(df, self.io).set_index("industry2")
        national = {k: iy[k].reindex(self.tables.j_code).fillna(0.0).to_numpy() for k in sp.NATIONAL}
        cells = sp.horizontal(df, ["city", "industry2", "year"])["horizontal"]
        grid = np.full((self.n_city, len(self.tables.j_code)), np.nan)
        ci = cells.index.get_level_values("city").to_numpy()
        ji = np.searchsorted(self.tables.j_code, cells.index.get_level_values("industry2").to_numpy())
        grid[ci, ji] = cells.to_numpy()
        return {"national": national, "firm": self._own_excluded(out), "local": self._local(out), "local_cells": grid}

    def _own_excluded(self, out: dict) -> dict[str, np.ndarray]:
        """Firm-level horizontal, HMT and other shares of every alive firm over the *other*
        observed firms of its industry (the shared rule, leave_one_out_share, as in
        spillovers.own_excluded_horizontal; a firm below the threshold sees its whole industry)."""
        traits, n_j = self.traits, len(self.tables.j_code)
        hmt, oth = traits["share_hmt"], traits["share_foreign"]
        return {k: sp.leave_one_out_share(traits["j"], s, out["output"], out["observed"], n_j)
                for k, s in (("horizontal", hmt + oth), ("horizontal_hmt", hmt), ("horizontal_other", oth))}

    def _local(self, out: dict) -> np.ndarray:
        """Leave-one-out horizontal_local of every alive firm over the observed firms of its
        cell (the shared rule, upgrading.core.spillovers.leave_one_out_share)."""
        traits, n_j = self.traits, len(self.tables.j_code)
        return sp.leave_one_out_share(traits["c"] * n_j + traits["j"], traits["share_hmt"] + traits["share_foreign"],
                                      out["output"], out["observed"], self.n_city * n_j)

    def fast_measures(self, out: dict) -> dict:
        """The same formulas in numpy (bincount), for the fixed-point iterations only.

        The final S of each year comes from `measures` (the shared implementation) and
        is checked against this one, so the two can never drift apart unnoticed.
        """
        m = out["observed"]
        j, c = self.traits["j"][m], self.traits["c"][m]
        n_j = len(self.tables.j_code)
        hmt, oth = self.traits["share_hmt"][m], self.traits["share_foreign"][m]
        y = out["output"][m]
        home = np.maximum(y - out["exports"][m], 0.0)

        def share(w, s, keys, n):
            den = np.bincount(keys, w, minlength=n)
            num = np.bincount(keys, w * s, minlength=n)
            return np.divide(num, den, out=np.zeros(n), where=den > 0)

        hh, ho, hf = share(y, hmt, j, n_j), share(y, oth, j, n_j), share(y, hmt + oth, j, n_j)
        home_f = share(home, hmt + oth, j, n_j)
        national = {"horizontal": hf, "horizontal_hmt": hh, "horizontal_other": ho,
               "backward": self.alpha_off @ hf, "forward": self.sigma_off @ home_f}
        cells = c * n_j + j
        grid = share(y, hmt + oth, cells, self.n_city * n_j).reshape(self.n_city, n_j)
        grid[np.bincount(cells, y, minlength=self.n_city * n_j).reshape(self.n_city, n_j) <= 0] = np.nan
        return {"national": national, "firm": self._own_excluded(out), "local": self._local(out), "local_cells": grid}

    @property
    def alpha_off(self) -> np.ndarray:
        return self._io_matrices()[0]

    @property
    def sigma_off(self) -> np.ndarray:
        return self._io_matrices()[1]

    def _io_matrices(self):
        if not hasattr(self, "_io_cache"):
            codes = self.tables.j_code
            a = sp.off_diagonal(self.io, "industry2_supplier", "industry2_buyer", "alpha")
            s = sp.off_diagonal(self.io, "industry2_buyer", "industry2_supplier", "sigma")
            self._io_cache = (a.reindex(index=codes, columns=codes).to_numpy(),
                              s.reindex(index=codes, columns=codes).to_numpy())
        return self._io_cache


def _nan_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b|; NaN in both = equal, NaN in one only = infinite gap."""
    if a.shape != b.shape:
        return float("inf")
    na, nb = np.isnan(a), np.isnan(b)
    if (na != nb).any():
        return float("inf")
    d = np.abs(a[~na] - b[~na])
    return float(d.max()) if d.size else 0.0


def _gap(a: dict, b: dict) -> float:
    g = max(float(np.max(np.abs(a["national"][k] - b["national"][k]))) for k in sp.NATIONAL)
    la = a["local"] if "local" in a else None
    if la is None or "local" not in b:
        return float("inf")
    g = max([g, *(_nan_gap(a["firm"][k], b["firm"][k]) for k in a["firm"])])
    return max(g, _nan_gap(la, b["local"]))


def solve_year(model: YearModel, measures_start: dict, params: dict) -> tuple[dict, dict, float, int]:
    """Solve S = measures(outcomes(S)) for one year; return (outcomes, S, gap left, iterations).

    The survey threshold makes the map discontinuous (a firm near the threshold can
    flip in and out), so: a few free iterations; then the observed set is frozen and the
    continuous map iterated to `fixed_point_tol`; frozen firms whose sales then fall
    below the threshold leave the set and the loop repeats (the set only shrinks, so it
    ends). A firm above the threshold may thus be absent (real surveys miss firms too),
    but no non-exempt firm below it is ever present.
    """
    measures, iters = measures_start, 0
    for _ in range(3):
        out = model.evaluate(measures)
        measures = model.fast_measures(out)
        iters += 1
    frozen, emp = out["observed"].copy(), out["employment"]
    while True:
        for _ in range(params["fixed_point_max_iter"]):
            out = model.evaluate(measures, frozen, emp)
            measures_next = model.fast_measures(out)
            gap = _gap(measures, measures_next)
            measures = measures_next
            iters += 1
            if gap < params["fixed_point_tol"]:
                break
        out = model.evaluate(measures, frozen, emp)
        leave = frozen & ~out["eligible"]
        if not leave.any():
            break
        frozen &= ~leave
    # The truth's measures are the shared implementation's, on the final true values.
    measures_shared = model.measures(out)
    final_gap = _gap(measures, measures_shared)
    if final_gap > 1e-6:
        raise RuntimeError(f"year {model.year}: spillover fixed point left a gap of {final_gap:.3g}")
    out["measures"] = model.firm_measures(measures_shared)
    return out, measures_shared, final_gap, iters


def _subset(d: dict, m) -> dict:
    return {k: v[m] for k, v in d.items()}


def _concat(a: dict, b: dict) -> dict:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def accept_above_threshold(make_model, traits: dict, state: dict, measures: dict, params: dict, tables: Tables,
                           rng: np.random.Generator) -> dict:
    """Redraw, then scale up, the capital of new non-exempt firms until they pass the threshold.

    New firms enter the survey by crossing the threshold, so their size distribution is
    the lognormal truncated at the threshold (redraws), not a pile-up at it.
    """
    state = dict(state)
    for round_ in range(60):
        out = make_model(traits, state).evaluate(measures)
        bad = ~out["observed"]
        if not bad.any():
            return state
        if round_ < 20:
            k_draw = np.exp(traits["kbar"] + rng.normal(0, params["log_capital_sd"], len(bad)))
            state["capital"] = np.where(bad, np.maximum(k_draw, state["capital"]), state["capital"])
        else:
            ratio = params["threshold_sales"] * 1.05 / np.maximum(out["sales"], 1e-9)
            expo = (1 - tables.j_bl[traits["j"]]) / tables.j_bk[traits["j"]]
            state["capital"] = np.where(bad, state["capital"] * ratio ** expo, state["capital"])
    raise RuntimeError("could not place new firms above the survey threshold")
