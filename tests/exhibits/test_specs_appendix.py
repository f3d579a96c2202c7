"""The registry appendix names models, variables, effects and samples as the tables do, and heads
each family with the title of the table it feeds."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from upgrading.exhibits import cli

from .builders import REPO, compile_latex


@pytest.fixture(scope="module")
def appendix(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("appendix")
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    titles = {"export_probit": "Probit and logit of exporting on spillovers"}
    assert cli.specs_appendix_main([
        "--specs", str(REPO / "config/specs.yaml"), "--paper", str(REPO / "paper/paper.tex"),
        "--tables", json.dumps(["baseline"]), "--figures", json.dumps({"names": [], "titles": {}}),
        "--titles", json.dumps(titles), "--labels", json.dumps(cfg["exhibits"]["labels"]),
        "--out", str(tmp / "a.tex"), "--out-additional", str(tmp / "b.tex")]) == 0
    return (tmp / "a.tex").read_text(encoding="utf-8")


def test_no_internal_ids_in_the_rows(appendix):
    body = appendix.split(r"\endlastfoot")[1]
    rows = [line for line in body.splitlines() if not line.startswith((r"\multicolumn", r"\midrule", r"\end"))]
    text = "\n".join(rows).replace(r"\allowbreak{}", "")
    for internal in ("industry2", "firm\\_id", "tfp\\_acf", "g0\\_0\\_0", "textasciicircum", "horizontal\\_hmt"):
        assert internal not in text, internal
    # the grid family is one row that lists what it combines, not 24 numbered cells
    assert "Grid cell" not in text
    grid = next(line for line in rows if line.startswith("24 models &"))
    assert "TFP (ACF); TFP (LP); TFP (FE); TFP (OLS)" in grid.replace(r"\allowbreak{}", "")
    # Samples by their reader names, as the tables' notes give them (no 'domestic pre2002' keys).
    assert "domestic firm-years" in text and "pre2002" not in text and "domestic balanced" not in text
    assert r"Firm + Industry \ensuremath{\times} year" in text
    # standard errors in the abbreviations the table's note defines
    assert "CRV1 by industry; CRV3; WCR (999, Rademacher)" in text
    assert "CRV3, the cluster jackknife; WCR (draws, weights), the wild cluster restricted bootstrap" in appendix


def test_family_heading_is_its_tables_title_without_doubled_parentheses(appendix):
    heads = [line for line in appendix.splitlines() if line.startswith(r"\multicolumn{6}{@{}p")]
    probit = next(h for h in heads if "export" in h)
    assert r"\textbf{Probit and logit of exporting on spillovers}" in probit
    assert probit.endswith(r"\quad Table~\ref{tab:export_probit}} \\*")
    assert not any(r"\texttt" in h or "engine" in h or "family" in h for h in heads)  # no registry keys
    assert not any(re.search(r"\)\s*\(", h) for h in heads)
    assert "Exporter (logit)" in appendix


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed (TeX Live absent)")
def test_appendix_compiles(tmp_path, appendix):
    preamble = "\\usepackage[T1]{fontenc}\\usepackage[utf8]{inputenc}\\usepackage{booktabs,array,longtable}"
    compile_latex(tmp_path, preamble, "\\input{a}", {"a.tex": appendix})


def test_a_family_feeding_two_tables_gets_a_heading_per_table(appendix):
    """The split-sample family feeds the region/ownership table and the period table: its models
    sit under the heading of the table they feed, in the order the paper places the tables."""
    heads = [line for line in appendix.splitlines() if line.startswith(r"\multicolumn{6}{@{}p")]
    split = [h for h in heads if "tab:split_" in h]
    assert len(split) == 2
    assert split[0].endswith(r"\quad Table~\ref{tab:split_groups}} \\*")
    assert split[1].endswith(r"\quad Table~\ref{tab:split_period}} \\*")
    lines = appendix.splitlines()
    i, j = lines.index(split[0]), lines.index(split[1])
    assert [line.split(" & ")[0] for line in lines[i + 1:j] if " & " in line] == ["Coastal", "SOE"]


def test_groups_follow_the_papers_exhibit_order_and_a_table_gets_one_block(appendix):
    """Blocks in the order the paper places their exhibits; the models of the table of absorptive
    capacity and city relations form one block although the split-sample models stand between
    them in the specification file."""
    heads = [line for line in appendix.splitlines() if line.startswith(r"\multicolumn{6}{@{}p")]
    paper = (REPO / "paper/paper.tex").read_text(encoding="utf-8")
    tables = [re.search(r"Table~\\ref\{tab:(\w+)\}", h) for h in heads]
    placed = [m.group(1) for m in tables if m and "{tables/" + m.group(1) + ".tex}" in paper]
    assert placed == sorted(placed, key=lambda t: paper.index("{tables/" + t + ".tex}"))
    assert sum("tab:heterogeneity_absorptive_city}" in h for h in heads) == 1
    lines = appendix.splitlines()
    start = lines.index(next(h for h in heads if "tab:heterogeneity_absorptive_city}" in h))
    block = []
    for line in lines[start + 1:]:
        if line.startswith(r"\midrule"):
            break
        block.append(line.split(" & ")[0].replace(r"\allowbreak{}", ""))
    assert block == ["Absorptive capacity", "City relations"]
