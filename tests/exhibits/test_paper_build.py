"""The whole paper compiles from contract-shaped stand-ins, with no undefined reference, twice identically.

Runs every exhibits CLI (table, figures, numbers, specs-appendix, exhibit-map) on fake upstream
files built from the real registry, then latexmk exactly as the `paper` rule does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess

import pytest
import yaml

from placeholders import find_internal_ids, find_placeholders
from upgrading.core import stage_settings
from upgrading.core.cluster_rule import ClusterRule
from upgrading.exhibits import cli, plan
from upgrading.exhibits import settings as exhibit_settings

from .builders import REPO, make_results

pytestmark = pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("paperbuild")
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    ctx = make_results(root, REPO / cfg["specs"])
    shutil.copytree(REPO / "paper", root / "paper",
                    ignore=shutil.ignore_patterns("build", "*.pdf", "*.aux", "*.log", "*.fls", "*.fdb_latexmk"))
    ex = exhibit_settings.from_mapping(cfg.get("exhibits"))
    tplan = plan.tables(ctx["families"], ex, ctx["spec"].get("samples"))
    # The cluster rule as the workflow passes it: the measures section's cluster keys.
    fplan = plan.figures(ctx["families"], ex, synthetic=True,
                         cluster_rule=dataclasses.asdict(ClusterRule.from_section(cfg.get("measures"))))
    r = root / "results"
    for t, p in tplan.items():
        assert cli.table_main(["--table", t, "--estimates",
                               *[str(r / "estimates" / f"{f}.parquet") for f in p["families"]],
                               "--spec", plan.as_json(p["spec"]), "--out-tex", str(r / "tables" / f"{t}.tex"),
                               "--out-csv", str(r / "tables" / f"{t}.csv")]) == 0
    _production_tables(root)
    os.environ["SOURCE_DATE_EPOCH"] = "1704067200"
    assert cli.figures_main(["--analysis", str(root / "data/processed/analysis.parquet"),
                             "--industries", str(root / "data/raw/industries.csv"),
                             "--cities", str(root / "data/raw/cities.csv"),
                             "--estimates", *[str(r / "estimates" / f"{f}.parquet")
                                              for f in plan.figure_families(fplan)],
                             "--validation", str(r / "estimates/validation.csv"),
                             "--plan", plan.as_json(fplan), "--outdir", str(r / "figures")]) == 0
    s = stage_settings.as_plain(ex)
    fams = sorted(set(s["auto_numbers"]) & {f["id"] for f in ctx["families"]})
    assert cli.numbers_main(["--analysis", str(root / "data/processed/analysis.parquet"),
                             "--estimates", *[str(r / "estimates" / f"{f}.parquet") for f in fams],
                             "--audit", str(r / "audit/cleaning.csv"),
                             "--crosscheck", str(r / "estimates/crosscheck.csv"),
                             "--validation", str(r / "estimates/validation.csv"),
                             # as rule numbers passes them (workflow/rules/exhibits.smk)
                             "--settings", plan.as_json({**{k: s[k] for k in ("auto_numbers", "quotes", "shock_year",
                                                                                "labels")},
                                                         "cleaning": cfg["cleaning"]}),
                             "--data-source", "synthetic", "--out", str(r / "numbers.tex")]) == 0
    assert cli.specs_appendix_main(["--specs", str(REPO / cfg["specs"]), "--paper", str(root / "paper/paper.tex"),
                                    "--tables", plan.as_json(list(tplan)), "--figures", plan.as_json(fplan),
                                    "--out", str(r / "tables/specs_appendix.tex"),
                                    "--out-additional", str(r / "tables/additional.tex")]) == 0
    assert cli.exhibit_map_main(["--tables", plan.as_json(tplan), "--figures", plan.as_json(fplan),
                                 "--paper", str(root / "paper/paper.tex"), "--results", "results",
                                 "--out", str(r / "exhibits.csv")]) == 0
    return root, tplan, fplan


def _production_tables(root):
    """The production-function tables from a small elasticities file (two industries, four methods)."""
    import pandas as pd

    from upgrading.exhibits import production

    base = {"nobs": 500, "n_firms": 100, "reason": "", "starts": 11, "starts_converged": 7, "roots": 1,
            "criterion": 1e-30, "second_root_in_band": False, "solutions": "0.4000/0.3000", "se_l": 0.01,
            "se_k": 0.02, "status": "estimated"}
    rows = [base | {"industry": ind, "method": m, "beta_l": bl, "beta_k": bk}
            for ind in (13, 14) for m, bl, bk in (("ols", 0.9, 0.1), ("fe", 0.7, 0.1),
                                                  ("lp", 0.4, 0.3), ("acf", 0.41, 0.29))]
    path = root / "data/processed/production_elasticities.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert production.main(["--elasticities", str(path), "--tfp-method", "acf",
                            "--outdir", str(root / "results/tables")]) == 0


def _latexmk(paper_dir):
    shutil.rmtree(paper_dir / "build", ignore_errors=True)
    env = {**os.environ, "TEXINPUTS": "../results:", "SOURCE_DATE_EPOCH": "1704067200", "FORCE_SOURCE_DATE": "1"}
    run = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-outdir=build",
                          "paper.tex"], cwd=paper_dir, env=env, capture_output=True, text=True, timeout=300)
    log = (paper_dir / "build" / "paper.log").read_text(errors="replace")
    assert run.returncode == 0, log[-4000:]
    return (paper_dir / "build" / "paper.pdf").read_bytes(), log


def test_paper_compiles_without_undefined_references_and_repeats(built):
    root, tplan, fplan = built
    pdf1, log = _latexmk(root / "paper")
    assert "undefined" not in " ".join(l for l in log.splitlines() if "Font" not in l).lower()
    pdf2, _ = _latexmk(root / "paper")
    assert hashlib.sha256(pdf1).hexdigest() == hashlib.sha256(pdf2).hexdigest()
    text = subprocess.run(["pdftotext", str(root / "paper/build/paper.pdf"), "-"], capture_output=True,
                          text=True).stdout if shutil.which("pdftotext") else ""
    if text:
        assert "Built on synthetic data" in text
        for t in tplan.values():  # every registry table appears, by its caption
            assert t["spec"]["title"].split(" (")[0][:30] in text.replace("\n", " ")
        # no "?", None, nan, Python syntax, working notes or registry ids outside the registry appendix
        hits = find_placeholders(text) + find_internal_ids(text)
        assert not hits, "\n".join(hits)


def test_exhibit_map_lists_every_output(built):
    import pandas as pd

    root, tplan, fplan = built
    df = pd.read_csv(root / "results/exhibits.csv")
    outputs = ";".join(df["output"])
    for t in tplan:
        assert f"results/tables/{t}.tex" in outputs and (root / "results/tables" / f"{t}.csv").exists()
    for n in fplan["names"]:
        assert f"results/figures/{n}.pdf" in outputs and (root / "results/figures" / f"{n}.png").exists()
    assert "paper/paper.pdf" in outputs and "results/numbers.tex" in outputs
