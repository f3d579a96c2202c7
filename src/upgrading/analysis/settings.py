"""The `estimation:` section of config/config.yaml: cross-engine check, validation targets and
the Monte Carlo. Model specifications live in config/specs.yaml (upgrading.core.registry)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from upgrading.core import stage_settings
from upgrading.core.errors import InputError


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
class DrawProductivity:
    """Keys of the `productivity:` section a draw's world replaces (None: the section's own).

    Only keys that leave the TFP the measures use unchanged: the methods estimated (the
    measures' tfp_method among them) and the bootstrap replications of the elasticities' SEs,
    which no coverage row reads."""

    methods: tuple[Literal["ols", "fe", "lp", "acf"], ...] | None = None
    bootstrap_reps: int | None = None

    def overrides(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in (("methods", self.methods), ("bootstrap_reps", self.bootstrap_reps))
                if v is not None}


@dataclass(frozen=True)
class MonteCarlo:
    """Draws of the whole chain: world seeds first_seed, first_seed + 1, ... (these seeds replace
    the top-level `seed`, which drives only the main world). A draw's world may leave out what
    its coverage rows do not read: productivity estimates other than the measures' TFP and their
    bootstrap SEs (`productivity`), the non-target models of the validation families
    (`target_models_only`)."""

    seeds: int = 8
    first_seed: int = 7001
    scale: Literal["small", "medium", "full"] = "small"
    productivity: DrawProductivity = DrawProductivity()
    target_models_only: bool = False

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


def target_models(targets: tuple[ValidationTarget, ...], family: str) -> list[str]:
    """The models of `family` that the validation targets name, in target order."""
    return list(dict.fromkeys(t.model for t in targets if t.family == family))


def draw_productivity(section: Mapping[str, Any] | None, draw: DrawProductivity,
                      tfp_method: str) -> dict[str, Any]:
    """The `productivity:` section as a draw's world reads it: `draw`'s keys replace the section's.
    The measures' TFP method must stay among the methods (else the draw has no TFP to use)."""
    merged = {**(section or {}), **draw.overrides()}
    methods = merged.get("methods")
    if methods is not None and tfp_method not in methods:
        raise InputError(f"estimation.montecarlo.productivity.methods {list(methods)} lacks "
                         f"measures.tfp_method {tfp_method!r}, the TFP every draw's measures use")
    if merged.get("bootstrap_reps", 0) < 0:
        raise InputError("estimation.montecarlo.productivity.bootstrap_reps must be >= 0")
    return merged


def targets_from_json(raw: Any) -> tuple[ValidationTarget, ...]:
    """The `validate` job's --targets-json (the section's `validation` list)."""
    return stage_settings.convert(tuple[ValidationTarget, ...], raw, "estimation.validation")
