"""The whole DAG at small scale, in a temporary copy of the repository.

One run serves several checks, so the suite pays for the DAG once: the paper is
built, its text quotes the headline coefficient the estimates file holds, a
second run has nothing to do, and every rule left a log and a benchmark.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dag_support import copy_repository, run_snakemake

pytestmark = pytest.mark.integration

TEST_CONFIG = Path(__file__).parent / "config" / "integration.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk and pdftotext are required: run `make tex` (make test does it)")
    work = copy_repository(tmp_path_factory.mktemp("dag") / "repo")
    result = run_snakemake(work, "--profile", "profiles/default", "--configfile", str(TEST_CONFIG))
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


def test_second_run_has_nothing_to_do(built):
    result = run_snakemake(built, "--profile", "profiles/default", "--configfile", str(TEST_CONFIG),
                           "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def test_every_rule_has_log_and_benchmark(built):
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
