"""The whole DAG at small scale, in a temporary copy of the repository.

One run serves several checks, so the suite pays for the DAG once: the paper is
built, its text quotes the headline coefficient the estimates file holds, a
second run has nothing to do, and the stages left their logs and benchmarks.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dag_support import copy_repository, run_snakemake
from placeholders import find_internal_ids, find_placeholders

pytestmark = pytest.mark.integration

TEST_CONFIG = Path(__file__).parent / "config" / "integration.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk and pdftotext are required: run `make tex` (make test does it)")
    work = copy_repository(tmp_path_factory.mktemp("dag") / "repo")
    result = run_snakemake(work, "--workflow-profile", "profiles/default", "--configfile", str(TEST_CONFIG))
    if result.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text()[-3000:]}" for p in sorted((work / "logs").rglob("*.log"))
                         if "rror" in p.read_text())
        pytest.fail(f"snakemake failed\n{result.stderr[-6000:]}\n{logs[-6000:]}")
    return work


def _headline(work: Path) -> pd.Series:
    est = pd.read_parquet(work / "results" / "estimates" / "baseline.parquet")
    return est.iloc[0]


def test_paper_is_built_and_quotes_the_estimate(built):
    pdf = built / "paper" / "paper.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    row = _headline(built)
    quoted = f"{row['estimate']:.3f}".replace("-", "")
    assert quoted in text.replace("−", "").replace("-", ""), (row["term"], quoted)


def test_paper_text_has_no_placeholders(built):
    text = subprocess.run(["pdftotext", str(built / "paper" / "paper.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    hits = find_placeholders(text) + find_internal_ids(text)
    assert not hits, "\n".join(hits)


def test_second_run_has_nothing_to_do(built):
    result = run_snakemake(built, "--workflow-profile", "profiles/default", "--configfile", str(TEST_CONFIG),
                           "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def test_the_stages_leave_logs_and_benchmarks(built):
    logs = list((built / "logs").rglob("*.log"))
    bench = list((built / "results" / "benchmarks").rglob("*.tsv"))
    assert len(logs) >= 8 and len(bench) >= 8
    rules = {p.stem.split("_")[0] for p in bench}
    for rule in ("ingest", "link", "clean", "productivity", "measures", "paper"):
        assert any(r.startswith(rule) for r in rules), rule


def test_panel_traces_to_raw_lines(built):
    panel = pd.read_parquet(built / "data" / "processed" / "panel.parquet",
                            columns=["firm_id", "year", "source_file", "source_row"])
    assert not panel.duplicated(["firm_id", "year"]).any()
    assert panel["source_row"].min() >= 1
    assert set(panel["source_file"].str.extract(r"asif_(\d{4})")[0].astype(int)) == set(
        panel["year"].astype(int))


def _worked_example_yaml(readme: Path) -> str:
    """The YAML block between the README's worked-example markers: the test follows the README."""
    text = readme.read_text(encoding="utf-8")
    block = text.split("<!-- worked-example:start -->")[1].split("<!-- worked-example:end -->")[0]
    return block.split("```yaml")[1].split("```")[0]


def _planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Job counts per rule from the 'Job stats' table of a dry run."""
    stats = dry_run_output.split("Job stats:")[1].split("Reasons:")[0]
    counts = {}
    for line in stats.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in {"job", "total"}:
            counts[parts[0]] = int(parts[1])
    return counts


def test_readme_worked_example_reruns_only_its_family_exhibits_and_paper(built, repo):
    specs = built / "config" / "specs.yaml"
    original = specs.read_text(encoding="utf-8")
    try:
        snippet = _worked_example_yaml(repo / "README.md")
        family_id = snippet.split("id:")[1].split()[0]
        specs.write_text(original.rstrip("\n") + "\n" + snippet, encoding="utf-8")
        result = run_snakemake(built, "--workflow-profile", "profiles/default", "--configfile",
                               str(TEST_CONFIG), "--dry-run")
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-4000:]
        jobs = _planned_jobs(out)
        assert jobs.get("estimate") == 1, jobs
        assert f"family={family_id}" in out or f"estimates/{family_id}.parquet" in out
        assert jobs.get("paper") == 1, jobs
        # Its own table only: the other tables' plan files (exhibit_plan) are unchanged, so none of
        # them reruns.
        assert jobs.get("table") == 1 and jobs.get("exhibit_plan", 0) >= 1, jobs
        upstream = {"synthesize", "ingest", "link", "clean", "productivity", "measures", "validate",
                    "crosscheck", "crosscheck_family"}
        assert not upstream & set(jobs), jobs
    finally:
        specs.write_text(original, encoding="utf-8")


def _audit(work: Path, *args: str) -> str:
    from dag_support import VENV_BIN

    run = subprocess.run([str(VENV_BIN / "upgrading"), "audit", *args], cwd=work, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_audit_traces_a_number_a_table_cell_and_a_figure_point_to_the_raw_files(built):
    """What `make audit NUMBER=... / TABLE=... / FIGURE=...` prints, on the built DAG."""
    number = _audit(built, "--number", r"\FIEShareOutput")
    assert "from data/processed/analysis.parquet: output-weighted share" in number
    assert "<- rule measures:" in number and "<- rule synthesize:" in number
    assert "data/raw/asif_1998.csv" in number.splitlines()[-1]

    est = pd.read_parquet(built / "results" / "estimates" / "baseline.parquet")
    row = est[(est["model"] == "firm_year") & (est["term"] == "backward")].iloc[0]
    table = pd.read_csv(built / "results" / "tables" / "baseline.csv", dtype=str)
    col = next(c for c in table.columns if table.loc[0, c] == "baseline/firm_year")
    cell = _audit(built, "--table", "baseline", "--row", "backward", "--column", col.strip("()"))
    assert "model: config/specs.yaml family baseline, model firm_year" in cell
    assert f"estimate={row['estimate']}" in cell
    assert "<- rule estimate[family=baseline]:" in cell and "data/raw/asif_2007.csv" in cell

    point = _audit(built, "--figure", "spec_curve", "--point", "baseline/firm_year/backward")
    assert f"estimate={row['estimate']}" in point and "<- rule figures:" in point
    assert "data/raw/cities.csv" in point.splitlines()[-1]

    exhibit = _audit(built, "--exhibit", "In-text numbers")
    assert "results/numbers.tex" in exhibit and "results/montecarlo/coverage.csv" in exhibit


def test_manifest_hashes_the_monte_carlo_and_the_trail(built):
    import json

    manifest = json.loads((built / "results" / "manifest.json").read_text())
    outputs = manifest["outputs"]
    assert "results/montecarlo/coverage.csv" in outputs and "results/trail.json" in outputs
    assert any(k.startswith("results/montecarlo/draws/seed_") for k in outputs)


def test_analysis_table_matches_its_contract(built):
    """The parse-time spec check uses the contract; the built table has exactly those columns."""
    import pyarrow.parquet as pq

    from upgrading.measures.codebook import analysis_columns

    have = set(pq.read_schema(built / "data" / "processed" / "analysis.parquet").names)
    assert have == set(analysis_columns())


def test_monte_carlo_draws_are_worlds_of_the_same_rules(built):
    """Each draw's stages ran as the main world's jobs in worlds/mc<seed>/, and the draw file
    carries that world's own estimates."""
    import json

    import yaml

    mc = yaml.safe_load(TEST_CONFIG.read_text())["estimation"]["montecarlo"]
    seeds = [mc["first_seed"] + i for i in range(mc["seeds"])]
    manifest = json.loads((built / "results" / "manifest.json").read_text())["outputs"]
    for seed in seeds:
        world = built / "worlds" / f"mc{seed}"
        for rule in ("synthesize", "ingest", "link", "clean", "productivity", "measures"):
            assert (world / "logs" / f"{rule}.log").exists(), (seed, rule)
            assert (world / "results" / "benchmarks" / mc["scale"] / "jobs" / f"{rule}.tsv").exists(), (seed, rule)
        draw = pd.read_csv(built / "results" / "montecarlo" / "draws" / f"seed_{seed}.csv")
        assert set(draw["seed"]) == {seed} and set(draw["outcome"]) == {"pipeline", "true_omega"}
        pipeline = draw[(draw["outcome"] == "pipeline") & (draw["model"] == "firm_year")].set_index("term")
        est = pd.read_parquet(world / "results" / "estimates" / "baseline.parquet")
        est = est[est["model"] == "firm_year"].set_index("term").loc[pipeline.index]
        pd.testing.assert_series_equal(pipeline["estimate"], est["estimate"], check_exact=False, rtol=1e-9,
                                       check_names=False)
        assert f"worlds/mc{seed}/results/estimates/baseline.parquet" in manifest
        assert not any(k.startswith(f"worlds/mc{seed}/data/raw/") for k in manifest)
    # A different world: a draw's seed gives another synthetic world than the main one.
    main = pd.read_parquet(built / "results" / "estimates" / "baseline.parquet")
    other = pd.read_parquet(built / "worlds" / f"mc{seeds[0]}" / "results" / "estimates" / "baseline.parquet")
    assert not main["estimate"].equals(other["estimate"])


def test_split_sample_gaps_are_the_pooled_interactions_and_quoted(built):
    """Each pooled model of split_differences reproduces its two split samples of heterogeneity:
    main terms = the first group's coefficients, interactions = second minus first; the paper's
    numbers quote the differences, the lock-in test of H5 and the start of the later period."""
    est = pd.concat([pd.read_parquet(built / "results" / "estimates" / f"{f}.parquet")
                     for f in ("heterogeneity", "split_differences")]).set_index(["family", "model", "term"])["estimate"]
    for model, group, first, second in (("period", "post2002", "pre2002", "post2002"),
                                        ("region", "coastal", "inland", "coastal"),
                                        ("ownership", "state_owned", "private", "soe")):
        for term in ("horizontal_hmt", "horizontal_other", "backward", "forward"):
            base = est["heterogeneity", first, term]
            assert est["split_differences", model, term] == pytest.approx(base, rel=1e-6, abs=1e-9)
            gap = est["heterogeneity", second, term] - base
            assert est["split_differences", model, f"{term}:{group}"] == pytest.approx(gap, rel=1e-6, abs=1e-9)
    numbers = (built / "results" / "numbers.tex").read_text(encoding="utf-8")
    for macro in ("SplitDifferencesPeriodBackwardPostTwoZeroZeroTwoSignif", "SplitDifferencesRegionBackwardCoastalCoef",
                  "SplitDifferencesOwnershipBackwardStateOwnedSignif", "LockInLevelLabourIntensiveCoef",
                  "LockInResponseHorizontalHmtLabourIntensiveSignif", "PostFromYear",
                  "ValidationStructuralBackwardPostTwoZeroZeroTwoTopClusterShare"):
        assert f"\\newcommand{{\\{macro}}}" in numbers, macro


def test_presence_error_tool_sets_the_same_city_share_beside_the_truths(built, capsys):
    """tools/presence_error.py on the built world: the truth's share reproduced from its rows (else
    it stops), each variant's gap, and the local coefficient on true omega with each share."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import presence_error

    table = presence_error.compare(built).set_index("share")
    assert list(table.index) == ["truth", "rows", "values", "pipeline"]
    assert table.loc["truth", "sd_gap"] == 0.0 and table["firm_years"].nunique() == 1
    # the rows the presence table lacks move the share; reported values add at most rounding to them
    assert table.loc["rows", "sd_gap"] > 0 and table.loc["pipeline", "moved"] >= table.loc["rows", "moved"]
    assert (table["coef"] - table.loc["truth", "coef"]).abs().max() < 2 * table["se"].max()
    assert presence_error.main(["--root", str(built)]) == 0
    assert "| pipeline | " in capsys.readouterr().out
