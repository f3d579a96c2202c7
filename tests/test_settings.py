"""Each stage's settings class and workflow/schemas/config.schema.yaml agree, field by field:
same keys, the same default where the class has one, and `required` where it has none."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest
import yaml

from upgrading.analysis import settings as analysis_settings
from upgrading.asif import settings as asif_settings
from upgrading.core import stage_settings
from upgrading.core.errors import InputError
from upgrading.exhibits import settings as exhibit_settings
from upgrading.measures import settings as measure_settings
from upgrading.productivity import settings as productivity_settings
from upgrading.synth import settings as synth_settings

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
SECTIONS = {
    "synth": synth_settings.Settings,
    "cleaning": asif_settings.Settings,
    "productivity": productivity_settings.Config,
    "measures": measure_settings.Config,
    "estimation": analysis_settings.Settings,
    "exhibits": exhibit_settings.Settings,
}


def mismatches(cls: type, node: dict, where: str) -> list[str]:
    props = node.get("properties") or {}
    fields = [f.name for f in dataclasses.fields(cls)]
    out = [f"{where}.{k}: in the schema, not in {cls.__qualname__}" for k in props if k not in fields]
    out += [f"{where}.{k}: in {cls.__qualname__}, not in the schema" for k in fields if k not in props]
    hints = typing.get_type_hints(cls)
    defaults = stage_settings.defaults(cls)
    required = set(node.get("required") or [])
    for name in (k for k in fields if k in props):
        sub, key = props[name], f"{where}.{name}"
        if dataclasses.is_dataclass(hints[name]):
            out += mismatches(hints[name], sub, key)
            if name not in defaults and name not in required:
                out.append(f"{key}: no default in the class, not required in the schema")
        elif name in defaults:
            if "default" not in sub:
                out.append(f"{key}: class default {defaults[name]!r}, none in the schema")
            elif sub["default"] != defaults[name] or type(sub["default"]) is not type(defaults[name]):
                out.append(f"{key}: class default {defaults[name]!r}, schema default {sub['default']!r}")
        else:
            if "default" in sub:
                out.append(f"{key}: schema default {sub['default']!r}, none in the class")
            if name not in required:
                out.append(f"{key}: no default in the class, not required in the schema")
    return out


@pytest.mark.parametrize("section", list(SECTIONS))
def test_schema_defaults_equal_the_settings_class(section):
    assert mismatches(SECTIONS[section], SCHEMA["properties"][section], section) == []


BUILDERS = {"synth": synth_settings.from_mapping, "cleaning": asif_settings.from_mapping,
            "productivity": productivity_settings.from_mapping, "measures": measure_settings.from_mapping,
            "estimation": analysis_settings.from_mapping, "exhibits": exhibit_settings.from_mapping}


@pytest.mark.parametrize("section", list(SECTIONS))
def test_config_sections_build(section):
    assert isinstance(BUILDERS[section](CONFIG.get(section) or {}), SECTIONS[section])


def test_build_names_the_key_and_reads_json_keys():
    with pytest.raises(InputError, match=r"cleaning\.capital\.negative_investment: 'drop' is not one of"):
        asif_settings.from_mapping({"capital": {"negative_investment": "drop"}})
    with pytest.raises(InputError, match=r"cleaning: unknown setting\(s\) \['min_employmnt'\]"):
        asif_settings.from_mapping({"min_employmnt": {"threshold": 3}})
    with pytest.raises(InputError, match=r"estimation\.montecarlo\.seeds: an integer expected"):
        analysis_settings.from_mapping({"montecarlo": {"seeds": "8"}})
    p = synth_settings.params(yaml.safe_load(yaml.safe_dump(CONFIG["synth"])) | {
        "firms_per_year": {str(k): v for k, v in CONFIG["synth"]["firms_per_year"].items()}})
    assert list(p["firms_per_year"]) == list(CONFIG["synth"]["firms_per_year"])
    assert p["entrant_age_mean"] == {"default": 1.5, 2004: 6.0}
    settings = asif_settings.from_mapping({"min_employment": {"threshold": 4}})
    assert settings.min_employment.threshold == 4 and settings.unit_slips.factor == 1000.0
    assert analysis_settings.MonteCarlo(seeds=3, first_seed=10).seed_list == [10, 11, 12]
