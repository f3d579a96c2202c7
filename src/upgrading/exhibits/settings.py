"""The `exhibits:` section of config/config.yaml: tables, figures, in-text numbers, the paper."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from upgrading.core import stage_settings


@dataclass(frozen=True)
class Settings:
    headline_term: str = "backward"  # the coefficient the specification curve plots
    event_figure: str = "event_study"  # registry `figure:` key drawn as an event study
    curve_figure: str = "spec_curve"  # registry `figure:` key of the specification curve
    curve_outcomes: tuple[str, ...] = ("tfp_acf", "tfp_lp", "tfp_fe", "tfp_ols")
    event_ref_year: int = 2001
    shock_year: int = 2002
    cluster_cities: int = 20  # cities (largest by output) in the city x industry cluster view
    source_date_epoch: int = 1704067200  # 2024-01-01 UTC: fixed date for PDF and figure metadata
    auto_numbers: tuple[str, ...] = ()  # families whose every coefficient gets a macro
    use_montecarlo: bool = False  # quote the Monte Carlo coverage (adds it to the build)
    # coverage CSV of a Monte Carlo run made by hand (montecarlo-aggregate's output), shown beside
    # the build's own draws; its commands and times are in the document its run generated
    montecarlo_reference: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # Per-table overrides (title, notes, keep, drop, digits) and extra quoted numbers; their
    # entries are checked by the config schema and passed on as the mappings they are.
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    quotes: dict[str, dict[str, Any]] = field(default_factory=dict)


def from_mapping(raw: Mapping[str, Any] | None) -> Settings:
    return stage_settings.build(Settings, raw, "exhibits")
