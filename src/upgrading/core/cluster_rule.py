"""The cluster indicator's settings (no numerical imports: the workflow reads them when it
validates the config; the indicator itself is upgrading.core.clusters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal


@dataclass(frozen=True)
class ClusterRule:
    """The cluster indicator's settings, named as in the config's `measures:` section: the
    measures stage builds the indicator with them, and the synthetic truth applies the same rule
    to the true data."""
    lq_threshold: float = 1.25  # location quotient that marks an over-represented city-industry
    cluster_min_firms: int = 5  # a cluster needs at least this many firms in the cell
    eg_threshold: float | None = None  # if set, the 4-digit industry must be this localised too
    # Whose values mark a cluster: each year's own, or the cell's first sample year (fixed before
    # the later years, but chosen on that year's shocks; upgrading.core.clusters.first_year).
    cluster_year: Literal["current", "first"] = "current"

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> ClusterRule:
        """The rule's keys of a `measures:` section (its other keys ignored), checked."""
        from upgrading.core import stage_settings

        names = {f.name for f in fields(cls)}
        return stage_settings.build(cls, {k: v for k, v in (section or {}).items() if k in names}, "measures")
