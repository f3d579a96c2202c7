"""The config is validated against its JSON schema before any job runs."""

from __future__ import annotations

import pytest

from dag_support import REPO, run_snakemake


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("not_a_key=1", "not_a_key"),  # unknown key
        ("seed=abc", "seed"),  # wrong type
        ("scale=huge", "scale"),  # not an allowed value
        ("data_source=excel", "data_source"),
    ],
)
def test_bad_config_stops_before_any_job_naming_the_key(override, key, tmp_path):
    result = run_snakemake(REPO, "--dry-run", "--cores", "1", "--directory", str(REPO),
                           "--config", override, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert key in out
    assert "validat" in out.lower() or "schema" in out.lower()
    # No job was planned or run.
    assert "Job stats" not in out and "rule " not in out.split("Error")[0]


def test_good_config_plans_the_whole_dag():
    result = run_snakemake(REPO, "--dry-run", "--cores", "1", "--quiet", "rules",
                           "--config", "scale=small", "seed=7", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for rule in ("ingest", "link", "clean", "productivity", "measures", "estimate", "paper"):
        assert rule in result.stdout


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("scale=huge", ["scale = 'huge'", "allowed: small, medium, full"]),
        ("seed=abc", ["seed = 'abc'", "integer"]),
        ("raw_dirr=x", ["raw_dirr", "did you mean 'raw_dir'?", "allowed keys here:"]),
        ("first_year=1990", ["first_year = 1990", "minimum is 1998"]),
    ],
)
def test_bad_config_message_is_short_and_names_key_value_and_allowed(override, expected):
    result = run_snakemake(REPO, "--dry-run", "--cores", "1", "--config", override, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    for text in expected:
        assert text in out, out
    # A few lines, not the schema and the configuration dumped.
    assert len(out.splitlines()) < 12, out
    assert "Failed validating" not in out and "'$schema'" not in out
