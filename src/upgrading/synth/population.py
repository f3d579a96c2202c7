"""Static traits of new firms (location, industry, ownership, capital shares) and the
production technology that turns productivity and inputs into output.

Everything is vectorised over firms; one numpy Generator feeds every draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OWNERSHIPS = ("soe", "collective", "private", "hmt", "foreign")
# Registration types (docs/contracts.md) and their frequency within each ownership.
REG_TYPES = {
    "soe": ([110, 151, 141], [0.7, 0.2, 0.1]),
    "collective": ([120, 130, 142], [0.75, 0.15, 0.10]),
    "private": ([171, 172, 173, 159, 160, 151, 190], [0.30, 0.15, 0.15, 0.20, 0.10, 0.08, 0.02]),
    "hmt": ([210, 220, 230, 240], [0.35, 0.10, 0.45, 0.10]),
    "foreign": ([310, 320, 330, 340], [0.35, 0.08, 0.50, 0.07]),
}
SOLE_OWNED = {230, 330}


@dataclass
class Tables:
    """Lookup arrays the draws need, indexed by city position and industry position."""
    city_code: np.ndarray          # (C,)
    city_weight: np.ndarray        # (C,) share of firms
    city_fdi: np.ndarray           # (C,) FDI pull
    city_hmt_tilt: np.ndarray      # (C,)
    city_coastal: np.ndarray       # (C,) bool
    city_traits: np.ndarray        # (C, 3) bargaining, symmetry, open_network
    city_effect: np.ndarray        # (C,) omega shift
    county_flat: np.ndarray        # county codes of all cities, city after city
    county_off: np.ndarray         # (C,) offset of each city's counties in county_flat
    county_n: np.ndarray           # (C,) number of counties of each city
    cluster: np.ndarray            # (C, J) bool: cluster cell
    j_code: np.ndarray             # (J,)
    j_weight: np.ndarray
    j_fie: np.ndarray
    j_hmt: np.ndarray
    j_exp: np.ndarray
    j_va: np.ndarray
    j_bl: np.ndarray
    j_bk: np.ndarray
    j_intercept: np.ndarray        # omega level of each industry
    j_trend: np.ndarray            # trend in FIE entry odds
    c4_code: np.ndarray            # (N4,) CIC 2002 classes
    c4_j: np.ndarray               # industry position of each class
    c4_p: np.ndarray               # probability of a new firm's class
    c4_status: np.ndarray          # 0 unchanged, 1 encouraged, -1 restricted
    city_cdf_by_j: np.ndarray      # (J, C) cdf of a firm's city given its industry


def _categorical(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(probs) / probs.sum(), rng.random(n)), len(probs) - 1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def draw_ownership(rng, tables: Tables, j: np.ndarray, c: np.ndarray, c4: np.ndarray, year: int,
                   shares: dict, params: dict) -> np.ndarray:
    """Ownership index (into OWNERSHIPS) given industry, city, class and year.

    The FIE odds rise with the industry's and city's FDI pull, an industry trend and,
    after 2002, the catalogue status of the class; the intercept is solved so that the
    expected FIE share equals the target share of this cohort.
    """
    n = len(j)
    post = year >= 2003
    eff = params["catalogue_effect"]
    index = (params["fie_pull_power"] * np.log(tables.j_fie[j]) + np.log(tables.city_fdi[c]) + tables.j_trend[j] * (year - 1998)
             + post * np.where(tables.c4_status[c4] == 1, eff["encouraged"],
                               np.where(tables.c4_status[c4] == -1, eff["restricted"], 0.0)))
    target = shares["hmt"] + shares["foreign"]
    lo, hi = -20.0, 20.0
    for _ in range(60):  # bisection: mean FIE probability = target
        mid = (lo + hi) / 2
        if _sigmoid(mid + index).mean() > target:
            hi = mid
        else:
            lo = mid
    fie = rng.random(n) < _sigmoid(lo + index)
    hmt_odds = np.log(tables.j_hmt[j] / (1 - tables.j_hmt[j])) + np.log(tables.city_hmt_tilt[c])
    is_hmt = rng.random(n) < _sigmoid(hmt_odds)
    dom = np.array([shares["soe"], shares["collective"], shares["private"]], dtype=float)
    own = _categorical(rng, dom, n)
    own = np.where(fie, np.where(is_hmt, 3, 4), own)
    return own.astype(np.int8)


def draw_reg_and_shares(rng, own: np.ndarray, minority_rate: float) -> dict[str, np.ndarray]:
    """Registration type and paid-in capital shares consistent with the contract's ownership rule."""
    n = len(own)
    reg = np.zeros(n, dtype=np.int16)
    for k, name in enumerate(OWNERSHIPS):
        m = own == k
        codes, probs = REG_TYPES[name]
        reg[m] = np.array(codes)[_categorical(rng, np.array(probs), int(m.sum()))]
    s = {key: np.zeros(n) for key in ("state", "collective", "legal", "individual", "hmt", "foreign")}
    u = rng.uniform(size=n)
    # SOEs: majority state (the contract's soe rule needs state share >= 0.5 for 141/151).
    m = own == 0
    s["state"][m] = np.where(reg[m] == 110, 1.0, 0.5 + 0.5 * u[m])
    s["legal"][m] = 1 - s["state"][m]
    m = own == 1
    s["collective"][m] = 0.6 + 0.4 * u[m]
    s["individual"][m] = 1 - s["collective"][m]
    m = own == 2
    s["state"][m] = np.where(reg[m] == 151, 0.3 * u[m], 0.0)
    s["individual"][m] = (1 - s["state"][m]) * 0.7
    s["legal"][m] = 1 - s["state"][m] - s["individual"][m]
    # A few domestic-registered private firms carry a minority (5-20 %) foreign stake:
    # not domestic (contract), but private by the ownership rule.
    minority = m & (rng.random(n) < minority_rate)
    stake = rng.uniform(0.05, 0.20, n)
    to_hmt = rng.random(n) < 0.5
    s["hmt"][minority & to_hmt] = stake[minority & to_hmt]
    s["foreign"][minority & ~to_hmt] = stake[minority & ~to_hmt]
    s["individual"][minority] -= stake[minority]
    for k, key in ((3, "hmt"), (4, "foreign")):
        m = own == k
        sole = np.isin(reg, list(SOLE_OWNED)) & m
        s[key][m] = 0.25 + 0.70 * u[m]
        s[key][sole] = 1.0
        s["legal"][m] = 1 - s[key][m]
    return {"reg_type": reg, **{f"share_{k}": v for k, v in s.items()}}


def draw_new_firms(rng, tables: Tables, n: int, year: int, shares: dict, params: dict,
                   entrant: bool) -> dict[str, np.ndarray]:
    """Static traits of `n` firms that enter the survey in `year`."""
    c4 = _categorical(rng, tables.c4_p, n)
    j = tables.c4_j[c4]
    u = rng.random(n)
    c = np.empty(n, dtype=np.int64)
    for jj in np.unique(j):  # city given industry: cluster cells are denser
        m = j == jj
        c[m] = np.minimum(np.searchsorted(tables.city_cdf_by_j[jj], u[m]), len(tables.city_code) - 1)
    own = draw_ownership(rng, tables, j, c, c4, year, shares, params)
    traits = draw_reg_and_shares(rng, own, params["minority_foreign_rate"])
    county = tables.county_flat[tables.county_off[c] + rng.integers(0, 1 << 30, n) % tables.county_n[c]]
    if entrant:
        mean_age = params["entrant_age_mean"].get(year, params["entrant_age_mean"]["default"])
        founding = year - np.floor(rng.exponential(mean_age, n)).astype(np.int64)
    else:
        mean_age = np.where(own <= 1, 22.0, 7.0)
        founding = np.maximum(year - np.floor(rng.exponential(mean_age)).astype(np.int64), 1949)
    premium = np.array([params["size_premium"][o] for o in OWNERSHIPS])[own]
    shift = np.array([params["omega_ownership"][o] for o in OWNERSHIPS])[own]
    if entrant:
        shift = shift + params["omega_entrant"]
    return {
        "c4": c4, "j": j, "c": c, "own": own, "county": county,
        "founding_year": founding.astype(np.int16), "entry_year": np.full(n, year, np.int16),
        "kbar": params["log_capital_mean"] + premium + rng.normal(0, params["log_capital_sd"], n),
        "u0": shift + rng.normal(0, params["sd_u_initial"], n),
        "w0": rng.normal(0, params["sd_wage"], n),
        "export_effect": rng.normal(0, 1.2, n),
        "np_effect": rng.normal(0, 1.0, n),
        **traits,
    }


def produce(omega, k_real, wage_real, wage_ref, beta_l, beta_k, va_share, eps, l_prev, nu,
            adjust, employment=None):
    """Value-added Cobb-Douglas VA = e^(omega + eps) L^beta_l K^beta_k with a labour friction.

    Timing (as in Ackerberg, Caves & Frazer 2015, so that both LP and ACF are identified):
    - the production plan: at t, knowing omega_t and K_t, the firm plans the static optimum
      at the going (reference) wage, l_plan = (log beta_l + omega + beta_k k - log w_ref)/(1 - beta_l),
      and orders intermediates for that plan, M = VA_plan (1/va_share - 1). So m is a
      function of (omega, k) only and strictly increasing in omega (the LP and ACF proxy);
    - hiring: employment moves only part of the way from last year's level to the static
      optimum at the firm's own (Markov) wage, l* = (log beta_l + omega + beta_k k - log w)/(1 - beta_l),
      l = adjust l_{t-1} + (1 - adjust) l* + nu (nu: i.i.d. optimisation error); entrants
      (l_prev NaN) hire l* + nu. Labour thus varies beyond (omega, k) (LP's first stage) and
      its share of VA is not tied to the wage (no spurious ACF root at beta_l = 1, beta_k = 0),
      while it still rises with omega (OLS beta_l biased up).
    L = round(e^l) >= 1; VA uses the rounded L so the production function holds exactly with
    the reported employment; eps is a transitory shock to realised VA (not in M).
    `employment`, if given, is taken as chosen. Returns employment, real VA (realised),
    real gross output, real intermediates.
    """
    base = np.log(beta_l) + omega + beta_k * np.log(k_real)
    if employment is None:
        l_star = (base - np.log(wage_real)) / (1 - beta_l)
        l = np.where(np.isnan(l_prev), l_star, adjust * l_prev + (1 - adjust) * l_star) + nu
        emp = np.maximum(np.rint(np.exp(np.minimum(l, 13.0))), 1.0)
    else:
        emp = employment
    l_plan = np.minimum((base - np.log(wage_ref)) / (1 - beta_l), 13.0)
    va_plan = np.exp(omega + beta_l * l_plan + beta_k * np.log(k_real))
    va = np.exp(omega + beta_l * np.log(emp) + beta_k * np.log(k_real) + eps)
    inter = va_plan * (1.0 / va_share - 1.0)
    return emp, va, va + inter, inter
