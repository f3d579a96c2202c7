"""The `cleaning:` section of config/config.yaml: the clean stage's filters and thresholds.

Each filter is one row of results/audit/cleaning.csv; `enabled: false` skips it (the row
stays, with zero rows dropped). The rules themselves are in upgrading.asif.clean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings


@dataclass(frozen=True)
class Switch:
    """A filter with no parameter."""

    enabled: bool = True


@dataclass(frozen=True)
class UnitSlips:
    """A row whose money values are `factor` times too large (reported in yuan, not thousand
    yuan). Score = median over clean.SLIP_SIGNALS of log10(value per worker) minus its
    industry-year median. A slip: score exceeds the firm's lowest other year by more than
    firm_log10 and is above industry_log10_min; or, whatever the firm's history, score above
    industry_log10. Repaired by dividing every money column of the row by `factor`."""

    enabled: bool = True
    factor: float = 1000.0
    firm_log10: float = 2.0
    industry_log10_min: float = 1.5
    industry_log10: float = 2.5


@dataclass(frozen=True)
class MissingKey:
    enabled: bool = True
    variables: tuple[str, ...] = ("output", "sales", "total_assets", "net_fixed_assets",
                                  "fixed_assets", "employment", "intermediate",
                                  "original_fixed_assets")


@dataclass(frozen=True)
class MinEmployment:
    enabled: bool = True
    threshold: int = 8


@dataclass(frozen=True)
class NegativeValues:
    enabled: bool = True
    variables: tuple[str, ...] = ("output", "sales", "intermediate", "exports", "total_assets")


@dataclass(frozen=True)
class InvalidFoundingYear:
    enabled: bool = True
    earliest: int = 1800


@dataclass(frozen=True)
class Outliers:
    """log(real VA per worker) more than `mad_multiple` robust SDs (1.4826 MAD) and more than
    `min_log_deviation` (natural log) from its industry2-year median."""

    enabled: bool = True
    mad_multiple: float = 6.0
    min_log_deviation: float = 1.5


@dataclass(frozen=True)
class Capital:
    """Real capital from book values at historical cost (upgrading.asif.capital): the first
    year's original value is deflated with the firm's age and the growth of nominal capital in
    its province x industry (the median yearly change in log original value there; a cell with
    fewer than min_pairs changes uses its industry, then all firms; clipped to [growth_floor,
    growth_cap]); later years add the change in original value, negative changes floored at 0
    (negative_investment: floor) or kept (keep)."""

    min_pairs: int = 30
    growth_floor: float = 0.0
    growth_cap: float = 0.3
    negative_investment: Literal["floor", "keep"] = "floor"


# Rules whose dropped rows can still count in the presence measures (upgrading.core.presence):
# the row filters but the duplicate rules (one record per firm-year counts), those that leave a
# row without a manufacturing industry or a known city, and the outlier rule (its rows fail the
# outlier screen every counted row passes).
PresenceRule = Literal["missing_key", "accounting_identities", "negative_values", "invalid_founding_year",
                       "min_employment", "nonpositive_production"]


@dataclass(frozen=True)
class Settings:
    exact_duplicates: Switch = Switch()
    # Same firm-year reported twice with different values: keep the record whose log output is
    # closest to the median of the firm's other (undisputed) years; without other years, the
    # record with the most non-missing values; ties go to the earlier raw line (file order).
    duplicate_firm_year: Switch = Switch()
    unit_slips: UnitSlips = UnitSlips()
    missing_key: MissingKey = MissingKey()
    non_manufacturing: Switch = Switch()  # CIC 2002 divisions 13-43 without 38
    unknown_city: Switch = Switch()
    accounting_identities: Switch = Switch()  # total assets >= current, fixed, net fixed assets
    min_employment: MinEmployment = MinEmployment()
    negative_values: NegativeValues = NegativeValues()
    invalid_founding_year: InvalidFoundingYear = InvalidFoundingYear()
    outliers: Outliers = Outliers()
    nonpositive_production: Switch = Switch()
    depreciation_rate: float = 0.09  # economic depreciation of real capital (BVZ 2012 use 9 %)
    capital: Capital = Capital()
    ownership_threshold: float = 0.25  # foreign (HMT) share of paid-in capital that makes a firm foreign (HMT)
    soe_state_share: float = 0.5  # state share of paid-in capital that makes a firm state-owned
    # Rows these rules drop still count in their neighbours' presence measures where their output
    # is positive and not an outlier by the panel's own rule, their exports not negative and their
    # industry and city known.
    presence_counts: tuple[PresenceRule, ...] = ("missing_key", "accounting_identities", "negative_values",
                                                 "invalid_founding_year", "min_employment",
                                                 "nonpositive_production")


def from_mapping(raw: Mapping[str, Any] | None) -> Settings:
    return stage_settings.build(Settings, raw, "cleaning")
