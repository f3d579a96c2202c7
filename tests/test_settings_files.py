"""Stage settings reach a job as a file (`--config-json @results/settings/cleaning.json`), the
same JSON the option takes inline; a missing or broken file is an error naming it."""

from __future__ import annotations

import json

import pytest

from upgrading.core.errors import InputError
from upgrading.core.io import read_json_option
from upgrading.synth.cli import load_synth_params


def test_inline_json_and_a_settings_file_give_the_same_settings(tmp_path):
    section = {"min_employment": {"enabled": True, "threshold": 8}, "depreciation_rate": 0.09}
    path = tmp_path / "cleaning.json"
    path.write_text(json.dumps(section, sort_keys=True) + "\n", encoding="utf-8")
    assert read_json_option(f"@{path}", "--config-json") == section
    assert read_json_option(json.dumps(section), "--config-json") == section
    assert load_synth_params(None, f"@{path}") == section


def test_a_missing_or_broken_settings_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="cannot read the settings file") as missing:
        read_json_option(f"@{tmp_path / 'nope.json'}", "--config-json")
    assert "nope.json" in str(missing.value)
    broken = tmp_path / "synth.json"
    broken.write_text("{bad", encoding="utf-8")
    with pytest.raises(InputError, match="--synth-json is not valid JSON") as bad:
        read_json_option(f"@{broken}", "--synth-json")
    assert "synth.json" in str(bad.value)
