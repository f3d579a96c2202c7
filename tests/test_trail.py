"""The audit trail comes from the DAG itself: `snakemake results/trail.json` resolves every job,
and the exhibit map and `upgrading audit` walk it back to the raw files."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dag_support import copy_repository, run_snakemake
from upgrading.exhibits import cli, exhibit_map
from upgrading.exhibits.trail import Trail, chain_text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dag_trail(tmp_path_factory) -> Trail:
    work = copy_repository(tmp_path_factory.mktemp("trail") / "repo")
    result = run_snakemake(work, "--cores", "1", "--", "results/trail.json", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    text = (work / "results" / "trail.json").read_text()
    # Deterministic: a second resolution of the same DAG gives the same bytes.
    (work / "results" / "trail.json").unlink()
    assert run_snakemake(work, "--cores", "1", "--", "results/trail.json", timeout=600).returncode == 0
    assert (work / "results" / "trail.json").read_text() == text
    return Trail.from_json(text)


def test_a_table_chain_reaches_the_raw_files(dag_trail):
    ups = [j["rule"] for j in dag_trail.upstream("results/tables/baseline.tex")]
    # Breadth first: the table reads its estimates and its plan file (exhibit_plan); measures reads
    # the panel, TFP and the side files the synthetic world writes; each stage's settings file is a
    # job of its own (stage_settings).
    assert ups == ["table", "estimate", "exhibit_plan", "measures", "clean", "productivity", "synthesize",
                   "stage_settings", "link", "stage_settings", "stage_settings", "stage_settings", "stage_settings",
                   "ingest"]
    sections = {j["wildcards"]["section"] for j in dag_trail.upstream("results/tables/baseline.tex")
                if j["rule"] == "stage_settings"}
    assert sections == {"synth", "cluster_rule", "cleaning", "productivity", "measures"}
    raw = dag_trail.raw_files("results/tables/baseline.tex")
    assert "data/raw/asif_1998.csv" in raw and "data/raw/cities.csv" in raw and "config/asif_headers.yaml" in raw
    job = dag_trail.producer("results/estimates/baseline.parquet")
    assert job["wildcards"] == {"family": "baseline"} and "spec" in job["settings"]
    assert job["program"].startswith("upgrading estimate (upgrading.analysis.cli:estimate_main)")


def test_the_numbers_job_lists_every_input_it_reads(dag_trail):
    job = dag_trail.producer("results/numbers.tex")
    for f in ("results/estimates/crosscheck.csv", "results/estimates/validation.csv",
              "results/montecarlo/coverage.csv", "results/audit/cleaning.csv", "data/processed/analysis.parquet",
              "results/tables/production_elasticities.csv"):
        assert f in job["inputs"], f
    ups = {j["rule"] for j in dag_trail.upstream("results/numbers.tex")}
    assert {"crosscheck", "validate", "montecarlo_aggregate", "montecarlo", "synthesize", "production_tables"} <= ups


def test_chain_text_prints_each_job_once_down_to_raw(dag_trail):
    text = chain_text(dag_trail, "results/figures/spec_curve.pdf")
    assert "<- rule figures: upgrading figures" in text
    assert "<- rule synthesize: upgrading synthesize" in text
    assert text.count("<- rule measures:") == 1  # shared subtrees are not repeated
    # the 2007 file's format depends on the synthetic layout (csv, csv.gz or dta)
    assert re.search(r"data/raw/asif_2007\.[a-z.]+  \[raw data, written by rule synthesize\]", text)
    assert text.splitlines()[-1].startswith("raw files (")


def test_chain_text_goes_on_through_the_truths_join(dag_trail):
    """parameters.json lies in the raw folder but is made by the synthetic world's rules: the
    chain goes on to the world and its further worlds (and their settings)."""
    text = chain_text(dag_trail, "results/estimates/validation.csv")
    assert "data/raw/truth/parameters.json  [raw data, written by rule truth_parameters]" in text
    assert "<- rule estimand_feedback: upgrading synthesize" in text
    assert "<- rule synthesize: upgrading synthesize" in text


def test_exhibit_map_rows_carry_the_full_chain(dag_trail, tmp_path):
    import yaml

    from dag_support import REPO
    from upgrading.core import registry
    from upgrading.exhibits import plan

    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    spec = registry.load(REPO / cfg["specs"])
    fams = [registry.resolve_family(spec, f) for f in registry.family_ids(spec)]
    from upgrading.exhibits.settings import from_mapping

    exhibits = from_mapping(cfg.get("exhibits"))
    tplan = plan.tables(fams, exhibits, spec.get("samples"))
    fplan = plan.figures(fams, exhibits, synthetic=True)
    trail_file = tmp_path / "trail.json"
    trail_file.write_text(json.dumps({"jobs": dag_trail.jobs, "sources": dag_trail.sources,
                                      "raw_dir": dag_trail.raw_dir, "results_dir": dag_trail.results_dir}))
    out = tmp_path / "exhibits.csv"
    assert cli.exhibit_map_main(["--tables", plan.as_json(tplan), "--figures", plan.as_json(fplan),
                                 "--paper", str(REPO / "paper/paper.tex"), "--results", "results",
                                 "--trail", str(trail_file), "--settings", '{"use_montecarlo": true}',
                                 "--out", str(out)]) == 0
    df = pd.read_csv(out).set_index("exhibit")
    assert list(df.reset_index().columns) == exhibit_map.COLUMNS
    assert not (df[["rule", "program", "inputs", "upstream", "raw_inputs"]] == "").any().any()
    base = df[df["output"].str.startswith("results/tables/baseline.tex")].iloc[0]
    assert base["rule"] == "table[table=baseline]" and "estimate[family=baseline]" in base["upstream"]
    assert "baseline/firm_year+firm_cityyear+city_ind_year" in base["spec"] and "data/raw/asif_1998.csv" in base["raw_inputs"]
    numbers = df.loc["In-text numbers"]
    for f in ("crosscheck.csv", "validation.csv", "montecarlo/coverage.csv"):
        assert f in numbers["inputs"]
    assert "montecarlo[seed=7001]" in numbers["upstream"]
