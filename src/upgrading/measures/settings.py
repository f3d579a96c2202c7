"""The `measures:` section of config/config.yaml, with defaults and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings
from upgrading.core.cluster_rule import ClusterRule
from upgrading.core.errors import InputError


@dataclass(frozen=True)
class Config:
    # The cluster indicator: upgrading.core.cluster_rule.ClusterRule (its defaults and meaning).
    lq_threshold: float = ClusterRule.lq_threshold
    cluster_min_firms: int = ClusterRule.cluster_min_firms
    eg_threshold: float | None = ClusterRule.eg_threshold
    cluster_year: Literal["current", "first"] = ClusterRule.cluster_year
    tfp_method: Literal["ols", "fe", "lp", "acf"] = "acf"  # TFP behind tfp_growth and absorptive_capacity
    frontier_quantile: float = 0.9  # the industry-year TFP frontier
    post_from_year: int = 2003  # first year of post2002 (the synthetic DGP: year >= 2003)
    # Regions (the `region` column) whose firms count as coastal; the others are inland.
    coastal_regions: tuple[str, ...] = ("prd", "yrd", "bohai", "other_coastal")
    # 2-digit divisions of the labour-intensive clusters (textiles, apparel, footwear: CIC 17-19).
    labour_intensive_industries: tuple[int, ...] = (17, 18, 19)

    @property
    def cluster_rule(self) -> ClusterRule:
        return ClusterRule(self.lq_threshold, self.cluster_min_firms, self.eg_threshold, self.cluster_year)


def from_mapping(raw: Mapping[str, Any] | None) -> Config:
    cfg = stage_settings.build(Config, raw, "measures")
    if not 0 < cfg.frontier_quantile <= 1:
        raise InputError("measures.frontier_quantile must be in (0, 1]")
    return cfg
