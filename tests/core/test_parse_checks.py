"""Parse-time checks remembered by content: a hit gives exactly what a full check gives, any
change of content or checking code misses, and a failing check is never remembered."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from upgrading import config_check
from upgrading.core import parse_checks, registry
from upgrading.core.errors import InputError
from upgrading.core.io import read_yaml
from upgrading.measures.codebook import analysis_columns

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
CONTEXT = [b"lock file bytes"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_key_separates_parts():
    assert parse_checks.key(["ab", "c"]) != parse_checks.key(["a", "bc"])
    assert parse_checks.key(["ab", b"c"]) == parse_checks.key([b"ab", "c"])


def test_remember_and_recall_round_trip_int_keys(in_tmp):
    result = {"synth": {1998: {"x": 0.5}, "default": [1, 2.25, None, True]}, "name": "北京"}
    parse_checks.remember("config", "k1", result)
    assert parse_checks.recall("config", "k1") == result
    assert parse_checks.recall("config", "other") is None


def test_recall_of_a_damaged_file_is_a_miss(in_tmp):
    parse_checks.remember("config", "k2", {"a": 1})
    next(parse_checks.CACHE_DIR.glob("config-k2.yaml")).write_text("a: [unclosed", encoding="utf-8")
    assert parse_checks.recall("config", "k2") is None


def test_checked_config_equals_full_check_on_miss_and_on_hit(in_tmp):
    given = read_yaml(REPO / "config" / "config.yaml")
    expected = copy.deepcopy(given)
    assert config_check.problems(expected, SCHEMA) == []
    config_check.fill_defaults(expected, SCHEMA)

    first = copy.deepcopy(given)
    assert config_check.checked(first, SCHEMA, CONTEXT) == []
    assert first == expected
    assert len(list(parse_checks.CACHE_DIR.glob("config-*.yaml"))) == 1

    second = copy.deepcopy(given)
    assert config_check.checked(second, SCHEMA, CONTEXT) == []
    assert second == expected
    # A different context (another lock file) is another key: checked again and kept beside.
    assert config_check.checked(copy.deepcopy(given), SCHEMA, [b"other lock"]) == []
    assert len(list(parse_checks.CACHE_DIR.glob("config-*.yaml"))) == 2


def test_invalid_config_is_reported_every_time_and_never_remembered(in_tmp):
    bad = read_yaml(REPO / "config" / "config.yaml")
    bad["scale"] = "huge"
    for _ in range(2):
        lines = config_check.checked(copy.deepcopy(bad), SCHEMA, CONTEXT)
        assert any("scale" in line for line in lines)
    assert not parse_checks.CACHE_DIR.exists() or not list(parse_checks.CACHE_DIR.iterdir())


def test_registry_checked_once_then_read_and_a_changed_registry_checked_again(in_tmp):
    source = (REPO / "config" / "specs.yaml").read_text(encoding="utf-8")
    specs = in_tmp / "specs.yaml"
    specs.write_text(source, encoding="utf-8")
    columns = analysis_columns()
    full = registry.load(specs)
    assert registry.load_checked(specs, columns, CONTEXT) == full
    assert registry.load_checked(specs, columns, CONTEXT) == full

    # A misspelt column after a remembered success: a new key, so the contract check runs.
    specs.write_text(source.replace("[horizontal_hmt,", "[horizontl_hmt,", 1), encoding="utf-8")
    with pytest.raises(InputError, match="horizontl_hmt"):
        registry.load_checked(specs, columns, CONTEXT)
