"""The `synth:` section of config/config.yaml: every parameter of the synthetic ASIF world.

No parameter has a default here: the config states each one (docs/calibration.md gives its
value, source and kind), except the raw-file `layout`. Years and industry codes are int keys
whether the section comes from YAML or from JSON (which turns keys into strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings

Encoding = Literal["gbk", "utf-8", "utf-8-sig"]


@dataclass(frozen=True)
class BookValues:
    first_year: int
    investment_inflation: dict[int, float]
    growth_mean: float
    growth_cell_sd: float
    growth_firm_sd: float
    lumpiness_sd: float
    depreciation_rate: float


@dataclass(frozen=True)
class Industry:
    name: str
    w: float  # share of ASIF firms, %
    n4: int  # 4-digit classes
    va: float  # value added / output
    bl: float  # labour elasticity
    bk: float  # capital elasticity
    fie: float  # odds of foreign ownership
    hmt: float  # HMT share of foreign-invested firms
    exp: float  # export pull


@dataclass(frozen=True)
class IOTable:
    background_shape: float
    background_scale: float
    own_division: tuple[float, ...]
    main_link: tuple[float, ...]
    final_demand: tuple[float, ...]


@dataclass(frozen=True)
class Prices:
    output_trend_mean: float
    output_trend_sd: float
    electronics_trend: float
    output_sd: float
    input_output_weight: float
    input_own_weight: float
    input_mean: float
    input_sd: float
    investment_mean: float
    investment_sd: float
    investment_industry_sd: float


@dataclass(frozen=True)
class Settings:
    scales: dict[str, float]
    firms_per_year: dict[int, int]
    threshold_sales: float
    state_exempt_until: int
    encodings: dict[int, Encoding]
    header_era: dict[int, int]
    rd_years: tuple[int, ...]
    ownership_initial: dict[str, float]
    ownership_entry: dict[str, float]
    minority_foreign_rate: float
    size_premium: dict[str, float]
    fie_pull_power: float
    region_fdi_pull: dict[str, float]
    region_hmt_tilt: dict[str, float]
    region_firm_weight: dict[str, float]
    cluster_cells_per_city: int
    cluster_density: float
    city_fdi_pull_sd: float
    city_firm_weight_sd: float
    bargaining_fdi_pull: float
    bargaining_sd: float
    local_relation_beta: float
    exit_base: float
    exit_omega: float
    exit_soe_extra: float
    fdi_trend_sd: float
    catalogue_effect: dict[str, float]
    catalogue_shares: dict[str, float]
    revised_class_share: float
    rho_u: float
    sd_u_initial: float
    sd_u_innovation: float
    sd_city: float
    sd_industry: float
    tfp_growth: float
    omega_ownership: dict[str, float]
    omega_entrant: float
    log_va_median: float
    sd_measurement: float
    sales_noise_mean: float
    sales_noise_sd: float
    outcome_noise_sd: dict[str, float]
    va_share_range: tuple[float, ...]
    spillovers: dict[str, float]
    fixed_point_tol: float
    fixed_point_max_iter: int
    labour_adjust: float
    sd_labour_error: float
    delta: float
    invest_omega: float
    invest_adjust: float
    log_capital_mean: float
    log_capital_sd: float
    wage_mean: float
    wage_growth: float
    capital_growth: float
    rho_wage: float
    sd_wage: float
    book_values: BookValues
    entrant_age_mean: dict[int | str, float]  # "default" and years that differ
    min_entry_rate: float
    exporter_index: dict[str, float]
    export_intensity_index: dict[str, float]
    new_product_index: dict[str, float]
    new_product_share: dict[str, float]
    va_ratio: dict[str, float]
    mess: dict[str, float]
    io_table: IOTable
    prices: Prices
    industries: dict[int, Industry]
    layout: Literal["real_traits", "pinyin", "plain"] = "real_traits"
    estimand_replications: int = 0  # further worlds averaging the estimands' within-cell feedback
    catalogue_concentration: float | None = None  # None: encouraged classes drawn independently


def from_mapping(raw: Mapping[str, Any] | None) -> Settings:
    return stage_settings.build(Settings, raw, "synth")


def params(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The section checked and as the plain mapping the DGP code reads (`p["rho_u"]`),
    with int keys for years and industry codes."""
    return stage_settings.as_plain(from_mapping(raw))
