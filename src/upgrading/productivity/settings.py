"""The `productivity:` section of config/config.yaml, with its defaults and checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from upgrading.core.errors import InputError
from upgrading.productivity import controls
from upgrading.productivity.acf import Settings as EstimatorSettings
from upgrading.productivity.search import SearchSettings

METHODS = ("ols", "fe", "lp", "acf")
STRUCTURAL = ("lp", "acf")
EXCLUDE = "exclude"  # declared last resort: the industry is left out, marked (status EXCLUDED)
EXCLUDED = "excluded"
FALLBACKS = ("none", "ols", "fe", EXCLUDE)
FIRST_STAGE_GROUP = "fs_group"  # array holding the first-stage fixed-effect codes
FOREIGN_INVESTED = "foreign_invested"  # array: 1 foreign-invested (foreign_share > 0), 0 domestic
ROLES = ("y", "l", "k", "m", "firm_id", "year", "industry2", "city")
OPTIONAL_ROLES = ("industry2", "city")  # industry2 absent: one industry; city: see first_stage_effects
_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_ITEM = re.compile(rf"\s*({_NAME})\s*=\s*({_NAME}(?:\s*\+\s*{_NAME})*)\s*")


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold each role; `l` may name several free (labour) inputs."""

    y: str = "y"
    l: tuple[str, ...] = ("l",)  # noqa: E741 (the role's name in the production function)
    k: str = "k"
    m: str = "m"
    firm_id: str = "firm_id"
    year: str = "year"
    industry2: str = "industry2"
    city: str = "city"

    @property
    def free(self) -> tuple[str, ...]:
        """Internal names of the free inputs: l, or l1, l2, ... when there are several."""
        return ("l",) if len(self.l) == 1 else tuple(f"l{i + 1}" for i in range(len(self.l)))

    def source(self, role: str) -> tuple[str, ...]:
        value = getattr(self, role)
        return value if isinstance(value, tuple) else (value,)


def parse_columns(text: str) -> dict[str, str | list[str]]:
    """`y=Y,l=fX1+fX2,k=sX,m=pX`: role=column, several free inputs joined by +.

    A small grammar (role names, column names of letters, digits, _ and .), never evaluated.
    """
    out: dict[str, str | list[str]] = {}
    for i, item in enumerate(text.split(",")):
        match = _ITEM.fullmatch(item)
        if not match:
            raise InputError(f"--columns item {i + 1} {item!r}: expected role=column or "
                             f"l=col1+col2 (roles {list(ROLES)})")
        role, cols = match.group(1), [c.strip() for c in match.group(2).split("+")]
        if role in out:
            raise InputError(f"--columns: role {role!r} given twice")
        out[role] = cols if role == "l" else _single(role, cols)
    return out


def _single(role: str, cols: list[str]) -> str:
    if len(cols) != 1:
        raise InputError(f"columns: role {role!r} takes one column, got {cols}")
    return cols[0]


def column_map(raw: dict) -> ColumnMap:
    bad = sorted(set(raw) - set(ROLES))
    if bad:
        raise InputError(f"productivity.columns: unknown role(s) {bad}; known: {list(ROLES)}")
    values: dict[str, Any] = {}
    for role, value in raw.items():
        cols = [value] if isinstance(value, str) else list(value)
        if not cols or not all(isinstance(c, str) and re.fullmatch(_NAME, c) for c in cols):
            raise InputError(f"productivity.columns.{role}: column names expected, got {value!r}")
        values[role] = tuple(cols) if role == "l" else _single(role, cols)
    return ColumnMap(**values)


@dataclass(frozen=True)
class Config:
    methods: tuple[str, ...] = METHODS
    poly_degree: int = 3  # first-stage polynomial in (l, k, m)
    markov_degree: int = 3  # law of motion: polynomial in lagged omega
    markov_controls: tuple[str, ...] = ()  # lagged spillover measures in the law of motion
    markov_year_effects: bool = True
    # Year effects in the law of motion by class: "foreign" gives domestic and foreign-invested
    # firms each their own (spillovers move domestic productivity only; markov.class_year_effects).
    markov_year_effects_by: Literal["none", "foreign"] = "none"
    first_stage_year_effects: bool = True
    bootstrap_reps: int = 20
    bootstrap_max_firms: int = 1000  # m-out-of-n bootstrap above this many firms
    seed: int = 20240601
    min_obs: int = 50  # fewer usable firm-years: the industry gets no estimate (marked)
    first_stage_effects: Literal["none", "city", "city_period"] = "city"  # fixed effects in LP/ACF stage 1
    period_split_year: int = 2003  # city_period: periods before / from this year
    selection: bool = True  # Olley-Pakes: Pr(observed at t | t-1) in the law of motion
    lp_second_stage: Literal["nlls", "gmm"] = "nlls"
    output: Literal["value_added", "gross_output"] = "value_added"
    starts: int = 8  # Sobol starts of the LP/ACF search (plus OLS, within and fixed starts)
    root_tol: float = 1e-7
    criterion_band: float = 1e-6
    max_elasticity: float = 1.5  # admissible solution: every elasticity in (0, max_elasticity]
    returns_to_scale: tuple[float, float] = (0.3, 2.0)  # admissible: sum of the elasticities
    labour_band: float | None = 0.3  # ACF admissible: labour within this of LP's first stage
    fallback: dict = field(default_factory=dict)  # lp/acf -> tuple of ols/fe, tried in order
    columns: ColumnMap = ColumnMap()

    @property
    def free(self) -> tuple[str, ...]:
        """Inputs with an elasticity besides capital (gross output: intermediates too)."""
        return self.columns.free + (("m",) if self.output == "gross_output" else ())

    @property
    def estimator(self) -> EstimatorSettings:
        group = None if self.first_stage_effects == "none" else FIRST_STAGE_GROUP
        return EstimatorSettings(self.poly_degree, self.markov_degree, self.markov_controls,
                                 self.markov_year_effects, None, group, self.selection,
                                 self.first_stage_year_effects, self.free, self.lp_second_stage,
                                 markov_year_by=self.markov_year_by)

    @property
    def markov_year_by(self) -> str | None:
        """The array whose classes get their own year effects in the law of motion."""
        return FOREIGN_INVESTED if self.markov_year_effects_by == "foreign" else None

    @property
    def search(self) -> SearchSettings:
        return SearchSettings(n_sobol=self.starts, seed=self.seed, root_tol=self.root_tol,
                              band=self.criterion_band, max_elasticity=self.max_elasticity,
                              returns_to_scale=self.returns_to_scale,
                              labour_band=self.labour_band)

    def fallback_for(self, method: str) -> tuple[str, ...]:
        """The declared fallbacks of a method, in the order they are tried (empty: none)."""
        return self.fallback.get(method, ())


def from_mapping(raw: dict, columns: str | None = None) -> Config:
    """The config section as a Config; `columns` (the CLI's --columns) overrides its map."""
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"unknown productivity setting(s) {unknown}; known: {sorted(known)}")
    values = dict(raw)
    for key in ("methods", "markov_controls", "returns_to_scale"):
        if key in values:
            values[key] = tuple(values[key])
    mapping = dict(values.get("columns") or {})
    if columns:
        mapping.update(parse_columns(columns))
    values["columns"] = column_map(mapping)
    fallback = {}
    for method, value in (values.get("fallback") or {}).items():
        chain = (value,) if isinstance(value, str) else tuple(value)
        if method not in STRUCTURAL or not chain or any(v not in FALLBACKS for v in chain):
            raise InputError(f"productivity.fallback.{method}: {value!r}; methods "
                             f"{list(STRUCTURAL)}, values {list(FALLBACKS)} or a list of ols/fe/exclude")
        fallback[method] = tuple(v for v in chain if v != "none")
    values["fallback"] = fallback
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
    if cfg.markov_year_effects_by not in ("none", "foreign"):
        raise InputError("productivity.markov_year_effects_by must be none or foreign")
    if cfg.markov_year_effects_by != "none" and not cfg.markov_year_effects:
        raise InputError("productivity.markov_year_effects_by needs markov_year_effects: true")
    if cfg.lp_second_stage not in ("nlls", "gmm"):
        raise InputError("productivity.lp_second_stage must be nlls or gmm")
    if cfg.output not in ("value_added", "gross_output"):
        raise InputError("productivity.output must be value_added or gross_output")
    if cfg.output == "gross_output" and "lp" in cfg.methods:
        raise InputError("productivity.output gross_output: LP's first stage cannot separate the "
                         "intermediates' elasticity from the proxy; drop lp from "
                         "productivity.methods")
    if cfg.poly_degree < 1 or cfg.markov_degree < 1 or cfg.bootstrap_max_firms < 2:
        raise InputError("productivity: poly_degree, markov_degree >= 1 and "
                         "bootstrap_max_firms >= 2 are required")
    if cfg.starts < 0 or cfg.root_tol <= 0 or cfg.criterion_band < 0:
        raise InputError("productivity: starts >= 0, root_tol > 0 and criterion_band >= 0")
    lo_hi = cfg.returns_to_scale
    if (not cfg.max_elasticity > 0 or len(lo_hi) != 2 or not 0 <= lo_hi[0] < lo_hi[1]
            or (cfg.labour_band is not None and not cfg.labour_band > 0)):
        raise InputError("productivity: max_elasticity > 0, returns_to_scale [low, high] with "
                         "0 <= low < high, labour_band > 0 or null")
    return cfg
