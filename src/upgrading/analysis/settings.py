"""The `estimation:` section of config/config.yaml: cross-engine check, validation targets and
the Monte Carlo. Model specifications live in config/specs.yaml (upgrading.core.registry)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings


@dataclass(frozen=True)
class Crosscheck:
    """pyfixest vs linearmodels on the headline families: the stage fails beyond these."""

    coef_rtol: float = 1.0e-6  # largest relative coefficient difference
    se_atol: float = 1.0e-4  # largest absolute standard-error difference


@dataclass(frozen=True)
class ValidationTarget:
    """A registry model compared with a key of truth/parameters.json (and of oracle.json)."""

    family: str
    model: str
    truth: str
    oracle: str | None = None


@dataclass(frozen=True)
class MonteCarlo:
    """Draws of the whole chain: world seeds first_seed, first_seed + 1, ... (these seeds replace
    the top-level `seed`, which drives only the main world)."""

    seeds: int = 8
    first_seed: int = 7001
    scale: Literal["small", "medium", "full"] = "small"

    @property
    def seed_list(self) -> list[int]:
        return [self.first_seed + i for i in range(self.seeds)]


VALIDATION_TARGETS = (
    ValidationTarget("baseline", "firm_year", "spillovers", "baseline"),
    ValidationTarget("validation", "local", "spillovers_local", "local"),
    ValidationTarget("validation", "structural", "spillovers_structural", "structural"),
)


@dataclass(frozen=True)
class Settings:
    crosscheck: Crosscheck = Crosscheck()
    validation: tuple[ValidationTarget, ...] = VALIDATION_TARGETS
    montecarlo: MonteCarlo = MonteCarlo()


def from_mapping(raw: Mapping[str, Any] | None) -> Settings:
    return stage_settings.build(Settings, raw, "estimation")


def targets_from_json(raw: Any) -> tuple[ValidationTarget, ...]:
    """The `validate` job's --targets-json (the section's `validation` list)."""
    return stage_settings.convert(tuple[ValidationTarget, ...], raw, "estimation.validation")
