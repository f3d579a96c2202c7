"""Estimate one family of the registry on one data file: read once, build the design, fit, tidy."""

from __future__ import annotations

import logging

import pandas as pd

from upgrading.core import registry
from upgrading.core.errors import InputError

from . import design as dsg
from . import tidy

log = logging.getLogger(__name__)


def read_data(path: str, family: dict, extra=()) -> pd.DataFrame:
    """Only the columns the family needs (and `extra`), after checking they exist (clear error otherwise)."""
    import pyarrow.parquet as pq

    try:
        available = pq.read_schema(path).names
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the analysis table: {exc}", file=path) from exc
    registry.check_columns(family, available, data_file=path)
    missing = [c for c in extra if c not in available]
    if missing:
        raise InputError(f"column(s) {', '.join(missing)} missing", file=path, column=missing[0])
    cols = sorted(registry.columns_needed(family) | set(extra))
    return pd.read_parquet(path, columns=cols)


def resolve(specs_path: str, family_id: str, spec_sha256: str | None = None) -> dict:
    """The family from the registry file; if the rule passed the SHA-256 of the family it was
    built from (its params), the file's family must have the same."""
    spec = registry.load(specs_path)
    family = registry.resolve_family(spec, family_id, source=specs_path)
    if spec_sha256 is not None and registry.resolved_sha256(family) != spec_sha256:
        raise InputError(f"family {family_id}: the registry file differs from the spec the rule was "
                         "built from (the file changed after Snakemake read it: run again)", file=specs_path)
    return family


def restrict_models(family: dict, models: list[str], source: str = "<specs>") -> dict:
    """The family with only `models` (ids, kept in registry order); an id it lacks is an error."""
    missing = [m for m in models if m not in {x["id"] for x in family["models"]}]
    if missing:
        raise InputError(f"family {family['id']} has no model(s) {missing}", file=source)
    return {**family, "models": [m for m in family["models"] if m["id"] in models]}


def estimate_family(df: pd.DataFrame, family: dict, data_file: str = "<data>") -> tuple[pd.DataFrame, list]:
    """Tidy estimates of every model of the family, in model order then term order."""
    return estimate_design(build_design(df, family, data_file), family)


def build_design(df: pd.DataFrame, family: dict, data_file: str = "<data>") -> dsg.Design:
    """The family's design (every column its models use) from the analysis table `df`."""
    registry.check_columns(family, df.columns, data_file=data_file)
    return dsg.build(df, family, data_file=data_file)


def estimate_design(design: dsg.Design, family: dict) -> tuple[pd.DataFrame, list]:
    """Tidy estimates of every model of the family from its design (build_design)."""
    if family["engine"] == "statsmodels":
        from . import engine_statsmodels

        rows, timings = engine_statsmodels.estimate(family, design)
    else:
        from . import engine_pyfixest

        rows, timings = engine_pyfixest.estimate(family, design)
    return tidy.frame(rows), timings
