"""The year loop of the synthetic world: survival, productivity, inputs, output, the
survey threshold, entry, and the spillover fixed point.

Productivity of firm i in industry j, city c, year t:
    omega_it = a_j + city_c + g (t - 1998) + spill_it + u_it,   u_it = rho u_i,t-1 + e_it,
where spill_it (domestic firms only) is a known function of the spillover measures
S_jt, computed with the shared formulas (upgrading.measures.spillovers) on the true
values of the firms that appear in the raw files (horizontal presence per firm, its own
output left out, as the measures stage computes it). Because S depends on output
weights and output on omega, each year solves the fixed point S = measures(outputs(S))
by iteration (the map is a contraction: spill moves domestic output only a little);
the gap left is reported in parameters.json.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.measures import spillovers as sp
from upgrading.synth.population import LABOUR_INTENSIVE, Tables, _sigmoid, produce

NATIONAL = ["horizontal", "horizontal_hmt", "horizontal_other", "backward", "forward"]
# Firm-year shocks drawn once per year (so every evaluation of the year sees the same ones).
NOISE = ("eps", "sales_noise", "exp_noise", "int_noise", "np_noise", "nps_noise", "nu")


def draw_noise(rng: np.random.Generator, n: int, p: dict) -> dict[str, np.ndarray]:
    sd = p["outcome_noise_sd"]
    return {"eps": rng.normal(0, p["sd_measurement"], n),
            "sales_noise": rng.normal(p["sales_noise_mean"], p["sales_noise_sd"], n),
            "exp_noise": rng.normal(0, sd["exporter"], n), "int_noise": rng.normal(0, sd["export_intensity"], n),
            "np_noise": rng.normal(0, sd["new_product"], n), "nps_noise": rng.normal(0, sd["new_product_share"], n),
            "nu": rng.normal(0, p["sd_labour_error"], n)}


def spill_component(b: dict, post: bool, nat: dict, loc: np.ndarray, cluster: np.ndarray) -> np.ndarray:
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
    hor = {k: np.nan_to_num(nat[k], nan=0.0) for k in ("horizontal", "horizontal_hmt", "horizontal_other")}
    return (b["horizontal_hmt"] * hor["horizontal_hmt"] + b["horizontal_other"] * hor["horizontal_other"]
            + b["horizontal_local"] * np.nan_to_num(loc, nan=0.0)
            + b["backward"] * nat["backward"]
            + post * b["backward_post2002"] * nat["backward"]
            + b["forward"] * nat["forward"]
            + b["cluster_x_horizontal_hmt"] * cluster * hor["horizontal_hmt"])


class YearModel:
    """Outcomes of the alive firms of one year given the spillover measures S."""

    def __init__(self, tab: Tables, p: dict, io: pd.DataFrame, defl: dict, year: int, t: int,
                 st: dict, fs: dict, n_city: int):
        self.tab, self.p, self.io, self.year, self.t = tab, p, io, year, t
        self.st, self.fs = st, fs  # state arrays of alive firms, static traits of alive firms
        j, c = fs["j"], fs["c"]
        self.post = year >= 2003
        self.domestic = (fs["share_hmt"] == 0) & (fs["share_foreign"] == 0)
        self.fie = fs["own"] >= 3
        self.cluster = tab.cluster[c, j]
        self.pout, self.pin, self.pinv = defl["output"][j, t], defl["input"][j, t], defl["investment"][j, t]
        for key in NOISE:
            setattr(self, key, st[key])
        traits = tab.city_traits[c]
        self.symmetry, self.open = traits[:, 1], traits[:, 2]
        li = np.isin(tab.j_code[j], list(LABOUR_INTENSIVE))
        self.labour_int = li
        v = p["va_ratio"]
        self.va_share = np.clip(tab.j_va[j] * np.exp(v["symmetry"] * (self.symmetry - 0.5)
                                                    + v["open_network_post"] * (self.open - 0.5) * self.post
                                                    + v["captive_labour_intensive"] * (1 - self.open) * li),
                                *p["va_share_range"])
        self.base = tab.j_intercept[j] + tab.city_effect[c] + p["tfp_growth"] * (year - 1998)
        self.wage_ref = p["wage_mean"] * np.exp(p["wage_growth"] * (year - 1998))
        self.wage = self.wage_ref * np.exp(st["w"])
        self.exempt = (fs["own"] == 0) & (year <= p["state_exempt_until"])
        self.n_city = n_city

    def firm_measures(self, S: dict) -> tuple[dict, np.ndarray]:
        """Per-firm measures. S from this year's firms carries the per-firm leave-one-out
        horizontal ("firm") and local ("local") measures; S carried over from the previous
        year (national and "local_cells" only, a different set of firms) gives each firm its
        industry's and cell's shares then (a starting guess)."""
        j, c = self.fs["j"], self.fs["c"]
        nat = {k: S["national"][k][j] for k in NATIONAL}
        if "local" in S:
            nat.update(S["firm"])
            return nat, S["local"]
        return nat, S["local_cells"][c, j]

    def evaluate(self, S: dict, frozen: np.ndarray | None = None,
                 employment: np.ndarray | None = None) -> dict:
        """Outcomes given S; `observed` = eligible (threshold), or the frozen set if given.

        `employment`, if given, is taken as chosen (frozen with the set, so that the map
        S -> outcomes is continuous); otherwise labour is the static optimum given omega.
        """
        p, fs, st, tab = self.p, self.fs, self.st, self.tab
        nat, loc = self.firm_measures(S)
        spill = np.where(self.domestic,
                         spill_component(p["spillovers"], self.post, nat, loc, self.cluster), 0.0)
        omega = self.base + spill + st["u"]
        j = fs["j"]
        emp, va, y, m = produce(omega, st["K"], self.wage, self.wage_ref, tab.j_bl[j], tab.j_bk[j],
                                self.va_share, self.eps, st["l_prev"], self.nu, p["labour_adjust"],
                                employment)
        sales = np.round(y * self.pout * np.exp(self.sales_noise), 1)
        eligible = (sales >= p["threshold_sales"]) | self.exempt
        # With a frozen set, membership stays fixed while S converges; solve_year then
        # drops frozen firms that are no longer eligible and iterates again.
        observed = eligible if frozen is None else frozen
        e = p["exporter_index"]
        # Export status responds to the firm's own productivity u, not to spill, so that the
        # forward measure (which nets out exports) stays continuous in S.
        exp_index = (e["const"] + e["fie"] * self.fie + e["omega"] * st["u"]
                     + e["coastal"] * tab.city_coastal[fs["c"]] + e["labour_intensive"] * self.labour_int
                     + e["open_network"] * self.open + tab.j_exp[j] + fs["export_effect"] + self.exp_noise)
        exporter = exp_index > 0
        x = p["export_intensity_index"]
        intensity = _sigmoid(x["const"] + x["fie"] * self.fie + x["labour_intensive"] * self.labour_int
                             + self.int_noise)
        exports = np.where(exporter, intensity * y, 0.0)
        q = p["new_product_index"]
        np_index = (q["const"] + q["omega"] * (st["u"] + spill) + q["backward"] * nat["backward"]
                    + q["open_network"] * self.open + q["symmetry"] * self.symmetry
                    + q["post2002"] * self.post + fs["np_effect"] + self.np_noise)
        r = p["new_product_share"]
        np_share = np.where(np_index > 0, _sigmoid(r["const"] + r["open_network"] * self.open + self.nps_noise), 0.0)
        return {"omega": omega, "spill": spill, "employment": emp, "va": va, "output": y,
                "intermediate": m, "sales": sales, "observed": observed, "eligible": eligible, "exports": exports,
                "exporter": exporter, "new_product": np_share * y, "measures": (nat, loc)}

    def measures(self, out: dict) -> dict:
        """Spillover measures with the shared formulas over the firms in the raw files."""
        m = out["observed"]
        fs = self.fs
        df = pd.DataFrame({
            "industry2": self.tab.j_code[fs["j"][m]], "year": np.full(int(m.sum()), self.year),
            "city": fs["c"][m], "hmt_share": fs["share_hmt"][m],
            "other_foreign_share": fs["share_foreign"][m],
            "foreign_share": fs["share_hmt"][m] + fs["share_foreign"][m],
            "output": out["output"][m], "exports": out["exports"][m]})
        iy = sp.industry_year_measures(df, self.io).set_index("industry2")
        nat = {k: iy[k].reindex(self.tab.j_code).fillna(0.0).to_numpy() for k in NATIONAL}
        cells = sp.horizontal(df, ["city", "industry2", "year"])["horizontal"]
        grid = np.full((self.n_city, len(self.tab.j_code)), np.nan)
        ci = cells.index.get_level_values("city").to_numpy()
        ji = np.searchsorted(self.tab.j_code, cells.index.get_level_values("industry2").to_numpy())
        grid[ci, ji] = cells.to_numpy()
        return {"national": nat, "firm": self._own_excluded(out), "local": self._local(out), "local_cells": grid}

    def _own_excluded(self, out: dict) -> dict[str, np.ndarray]:
        """Firm-level horizontal, HMT and other shares of every alive firm over the *other*
        observed firms of its industry (the shared rule, leave_one_out_share, as in
        spillovers.own_excluded_horizontal; a firm below the threshold sees its whole industry)."""
        fs, n_j = self.fs, len(self.tab.j_code)
        hmt, oth = fs["share_hmt"], fs["share_foreign"]
        return {k: sp.leave_one_out_share(fs["j"], s, out["output"], out["observed"], n_j)
                for k, s in (("horizontal", hmt + oth), ("horizontal_hmt", hmt), ("horizontal_other", oth))}

    def _local(self, out: dict) -> np.ndarray:
        """Leave-one-out horizontal_local of every alive firm over the observed firms of its
        cell (the shared rule, upgrading.measures.spillovers.leave_one_out_share)."""
        fs, n_j = self.fs, len(self.tab.j_code)
        return sp.leave_one_out_share(fs["c"] * n_j + fs["j"], fs["share_hmt"] + fs["share_foreign"],
                                      out["output"], out["observed"], self.n_city * n_j)

    def fast_measures(self, out: dict) -> dict:
        """The same formulas in numpy (bincount), for the fixed-point iterations only.

        The final S of each year comes from `measures` (the shared implementation) and
        is checked against this one, so the two can never drift apart unnoticed.
        """
        m = out["observed"]
        j, c = self.fs["j"][m], self.fs["c"][m]
        n_j = len(self.tab.j_code)
        hmt, oth = self.fs["share_hmt"][m], self.fs["share_foreign"][m]
        y = out["output"][m]
        home = np.maximum(y - out["exports"][m], 0.0)

        def share(w, s, keys, n):
            den = np.bincount(keys, w, minlength=n)
            num = np.bincount(keys, w * s, minlength=n)
            return np.divide(num, den, out=np.zeros(n), where=den > 0)

        hh, ho, hf = share(y, hmt, j, n_j), share(y, oth, j, n_j), share(y, hmt + oth, j, n_j)
        home_f = share(home, hmt + oth, j, n_j)
        nat = {"horizontal": hf, "horizontal_hmt": hh, "horizontal_other": ho,
               "backward": self.alpha_off @ hf, "forward": self.sigma_off @ home_f}
        cells = c * n_j + j
        grid = share(y, hmt + oth, cells, self.n_city * n_j).reshape(self.n_city, n_j)
        grid[np.bincount(cells, y, minlength=self.n_city * n_j).reshape(self.n_city, n_j) <= 0] = np.nan
        return {"national": nat, "firm": self._own_excluded(out), "local": self._local(out), "local_cells": grid}

    @property
    def alpha_off(self) -> np.ndarray:
        return self._io_matrices()[0]

    @property
    def sigma_off(self) -> np.ndarray:
        return self._io_matrices()[1]

    def _io_matrices(self):
        if not hasattr(self, "_io_cache"):
            codes = self.tab.j_code
            a = sp._off_diagonal(self.io, "industry2_supplier", "industry2_buyer", "alpha")
            s = sp._off_diagonal(self.io, "industry2_buyer", "industry2_supplier", "sigma")
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
    g = max(float(np.max(np.abs(a["national"][k] - b["national"][k]))) for k in NATIONAL)
    la = a["local"] if "local" in a else None
    if la is None or "local" not in b:
        return float("inf")
    g = max([g, *(_nan_gap(a["firm"][k], b["firm"][k]) for k in a["firm"])])
    return max(g, _nan_gap(la, b["local"]))


def solve_year(model: YearModel, S0: dict, p: dict) -> tuple[dict, dict, float, int]:
    """Solve S = measures(outcomes(S)) for one year; return (outcomes, S, gap left, iterations).

    The survey threshold makes the map discontinuous (a firm near the threshold can
    flip in and out), so: a few free iterations; then the observed set is frozen and the
    continuous map iterated to `fixed_point_tol`; frozen firms whose sales then fall
    below the threshold leave the set and the loop repeats (the set only shrinks, so it
    ends). A firm above the threshold may thus be absent (real surveys miss firms too),
    but no non-exempt firm below it is ever present.
    """
    S, iters = S0, 0
    for _ in range(3):
        out = model.evaluate(S)
        S = model.fast_measures(out)
        iters += 1
    frozen, emp = out["observed"].copy(), out["employment"]
    while True:
        for _ in range(p["fixed_point_max_iter"]):
            out = model.evaluate(S, frozen, emp)
            S_new = model.fast_measures(out)
            gap = _gap(S, S_new)
            S = S_new
            iters += 1
            if gap < p["fixed_point_tol"]:
                break
        out = model.evaluate(S, frozen, emp)
        leave = frozen & ~out["eligible"]
        if not leave.any():
            break
        frozen &= ~leave
    # The truth's measures are the shared implementation's, on the final true values.
    S_shared = model.measures(out)
    final_gap = _gap(S, S_shared)
    if final_gap > 1e-6:
        raise RuntimeError(f"year {model.year}: spillover fixed point left a gap of {final_gap:.3g}")
    out["measures"] = model.firm_measures(S_shared)
    return out, S_shared, final_gap, iters


def _subset(d: dict, m) -> dict:
    return {k: v[m] for k, v in d.items()}


def _concat(a: dict, b: dict) -> dict:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def accept_above_threshold(make_model, fs: dict, st: dict, S: dict, p: dict, tab: Tables,
                           rng: np.random.Generator) -> dict:
    """Redraw, then scale up, the capital of new non-exempt firms until they pass the threshold.

    New firms enter the survey by crossing the threshold, so their size distribution is
    the lognormal truncated at the threshold (redraws), not a pile-up at it.
    """
    st = dict(st)
    for round_ in range(60):
        out = make_model(fs, st).evaluate(S)
        bad = ~out["observed"]
        if not bad.any():
            return st
        if round_ < 20:
            k_draw = np.exp(fs["kbar"] + rng.normal(0, p["log_capital_sd"], len(bad)))
            st["K"] = np.where(bad, np.maximum(k_draw, st["K"]), st["K"])
        else:
            ratio = p["threshold_sales"] * 1.05 / np.maximum(out["sales"], 1e-9)
            expo = (1 - tab.j_bl[fs["j"]]) / tab.j_bk[fs["j"]]
            st["K"] = np.where(bad, st["K"] * ratio ** expo, st["K"])
    raise RuntimeError("could not place new firms above the survey threshold")
