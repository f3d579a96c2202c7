"""The `measures:` section of config/config.yaml, with defaults and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings
from upgrading.core.errors import InputError


@dataclass(frozen=True)
class Config:
    lq_threshold: float = 1.25  # location quotient that marks an over-represented city-industry
    cluster_min_firms: int = 5  # a cluster needs at least this many firms in the cell
    eg_threshold: float | None = None  # if set, the 4-digit industry must be this localised too
    # Whose values mark a cluster: each year's own, or the cell's first sample year (predetermined,
    # but chosen on that year's shocks; upgrading.measures.clusters.first_year).
    cluster_year: Literal["current", "first"] = "current"
    tfp_method: Literal["ols", "fe", "lp", "acf"] = "acf"  # TFP behind tfp_growth and absorptive_capacity
    frontier_quantile: float = 0.9  # the industry-year TFP frontier
    post_from_year: int = 2003  # first year of post2002 (the synthetic DGP: year >= 2003)
    # Regions (the `region` column) whose firms count as coastal; the others are inland.
    coastal_regions: tuple[str, ...] = ("prd", "yrd", "bohai", "other_coastal")
    # 2-digit divisions of the labour-intensive clusters (textiles, apparel, footwear: CIC 17-19).
    labour_intensive_industries: tuple[int, ...] = (17, 18, 19)


def from_mapping(raw: Mapping[str, Any] | None) -> Config:
    cfg = stage_settings.build(Config, raw, "measures")
    if not 0 < cfg.frontier_quantile <= 1:
        raise InputError("measures.frontier_quantile must be in (0, 1]")
    return cfg
