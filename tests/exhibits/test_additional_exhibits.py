"""A registry table the text does not place goes to an "Additional exhibits" appendix, never
among the references; with nothing to add the file holds no heading."""

from __future__ import annotations

import json

from upgrading.exhibits import cli

from .builders import REPO


def _run(tmp_path, paper_text: str, tables: list[str]) -> str:
    paper = tmp_path / "paper.tex"
    paper.write_text(paper_text, encoding="utf-8")
    out, add = tmp_path / "specs_appendix.tex", tmp_path / "additional.tex"
    figures = {"names": ["recovery"], "titles": {"recovery": "Recovery"}}
    assert cli.specs_appendix_main(["--specs", str(REPO / "config/specs.yaml"), "--paper", str(paper),
                                    "--tables", json.dumps(tables), "--figures", json.dumps(figures),
                                    "--out", str(out), "--out-additional", str(add)]) == 0
    return add.read_text(encoding="utf-8")


def test_unplaced_table_gets_its_own_appendix(tmp_path):
    text = _run(tmp_path, "\\input{tables/baseline.tex}\n\\includegraphics{figures/recovery.pdf}\n",
                ["baseline", "worked_example"])
    lines = text.splitlines()
    assert lines[0] == r"\FloatBarrier"
    assert r"\section{Additional exhibits}\label{app:additional}" in lines
    assert lines.index(r"\input{tables/worked_example.tex}") > lines.index(
        r"\section{Additional exhibits}\label{app:additional}")
    assert r"\input{tables/baseline.tex}" not in lines


def test_nothing_to_add_no_heading(tmp_path):
    text = _run(tmp_path, "\\input{tables/baseline.tex}\n\\includegraphics{figures/recovery.pdf}\n", ["baseline"])
    assert "Additional exhibits" not in text and "\\input" not in text


def test_paper_places_additional_exhibits_before_the_references():
    tex = (REPO / "paper/paper.tex").read_text(encoding="utf-8")
    assert tex.index(r"\input{tables/additional.tex}") < tex.index(r"\bibliography{references}")
