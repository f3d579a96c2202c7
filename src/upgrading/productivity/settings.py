"""The `productivity:` section of config/config.yaml, with its defaults and checks."""

from __future__ import annotations

from dataclasses import dataclass, fields

from upgrading.errors import InputError
from upgrading.productivity import controls
from upgrading.productivity.acf import Settings as EstimatorSettings

METHODS = ("ols", "fe", "lp", "acf")
FIRST_STAGE_GROUP = "fs_group"  # array holding the first-stage fixed-effect codes
# The fixed start of the LP/ACF GMM search (beta_l, beta_k): the midpoint of typical value-added
# elasticities (labour 0.3-0.5, capital 0.2-0.4; docs/calibration.md, industries), the same for every
# industry, seed and run (prodest issue #12). The ACF moments have a second root near the OLS
# estimate (labour's elasticity near 1), so the search does not start from OLS by default.
FIXED_START = (0.4, 0.3)
STARTS = ("fixed", "labour_share", "ols")


@dataclass(frozen=True)
class Config:
    methods: tuple[str, ...] = METHODS
    poly_degree: int = 3  # first-stage polynomial in (l, k, m)
    markov_degree: int = 3  # law of motion: polynomial in lagged omega
    markov_controls: tuple[str, ...] = ()  # lagged spillover measures in the law of motion
    markov_year_effects: bool = True
    bootstrap_reps: int = 20
    bootstrap_max_firms: int = 1000  # m-out-of-n bootstrap above this many firms
    seed: int = 20240601
    min_obs: int = 50  # fewer usable firm-years: the industry gets no estimate (logged)
    first_stage_effects: str = "city"  # none | city | city_period: fixed effects in LP/ACF stage 1
    period_split_year: int = 2003  # city_period: periods before / from this year
    start: str = "fixed"  # GMM start: fixed (FIXED_START), labour_share (median wL/VA) or ols
    selection: bool = True  # Olley-Pakes: Pr(observed at t | t-1) in the law of motion

    @property
    def estimator(self) -> EstimatorSettings:
        group = None if self.first_stage_effects == "none" else FIRST_STAGE_GROUP
        return EstimatorSettings(self.poly_degree, self.markov_degree, self.markov_controls,
                                 self.markov_year_effects, None, group, self.selection)


def from_mapping(raw: dict) -> Config:
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"unknown productivity setting(s) {unknown}; known: {sorted(known)}")
    values = dict(raw)
    for key in ("methods", "markov_controls"):
        if key in values:
            values[key] = tuple(values[key])
    cfg = Config(**values)
    bad = [m for m in cfg.methods if m not in METHODS]
    if bad:
        raise InputError(f"productivity.methods: unknown method(s) {bad}; known: {list(METHODS)}")
    bad = [c for c in cfg.markov_controls if c not in controls.ALLOWED]
    if bad:
        raise InputError(f"productivity.markov_controls: unknown measure(s) {bad}; "
                         f"known: {list(controls.ALLOWED)}")
    if cfg.first_stage_effects not in ("none", "city", "city_period"):
        raise InputError("productivity.first_stage_effects must be none, city or city_period")
    if cfg.start not in STARTS:
        raise InputError(f"productivity.start must be one of {list(STARTS)}")
    if cfg.poly_degree < 1 or cfg.markov_degree < 1 or cfg.bootstrap_max_firms < 2:
        raise InputError("productivity: poly_degree, markov_degree >= 1 and "
                         "bootstrap_max_firms >= 2 are required")
    return cfg
