"""A misspelt column or fixed effect in the registry stops Snakemake at parse time: the message
names family, model and term with the closest column names, and no output is rewritten."""

from __future__ import annotations

import pytest
import yaml

from dag_support import copy_repository, run_snakemake

OUTPUTS = ["results/tables/specs_appendix.tex", "results/tables/baseline.tex",
           "results/estimates/baseline.parquet"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    work = copy_repository(tmp_path_factory.mktemp("specerr") / "repo")
    for rel in OUTPUTS:
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text("built with the good registry\n")
    return work


def _baseline(spec: dict) -> dict:
    return next(f for f in spec["families"] if f["id"] == "baseline")


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda s: _baseline(s)["defaults"]["regressors"].__setitem__(2, "backwards"),
     ["family baseline, model firm_year, term 'backwards': no column 'backwards'",
      "did you mean 'backward'"]),
    (lambda s: _baseline(s)["models"][0].__setitem__("fixed_effects", ["firm_id", "yeer"]),
     ["family baseline, model firm_year, fixed effect 'yeer': no column 'yeer'", "did you mean 'year'"]),
])
def test_bad_spec_stops_before_any_job_and_rewrites_nothing(repo, mutate, expected):
    spec = yaml.safe_load((repo / "config" / "specs.yaml").read_text(encoding="utf-8"))
    mutate(spec)
    bad = repo / "config" / "specs_bad.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    before = {rel: ((repo / rel).read_bytes(), (repo / rel).stat().st_mtime_ns) for rel in OUTPUTS}
    result = run_snakemake(repo, "--cores", "1", "--config", "specs=config/specs_bad.yaml",
                           "--forcerun", "specs_appendix", "--", *OUTPUTS[:2], timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    for text in expected:
        assert text in out, out
    assert "specs_bad.yaml" in out
    assert "Job stats" not in out and "rule specs_appendix" not in out
    assert {rel: ((repo / rel).read_bytes(), (repo / rel).stat().st_mtime_ns) for rel in OUTPUTS} == before
