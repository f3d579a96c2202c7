"""paper/paper.tex holds no literal estimate, cites only known keys, and uses generated inputs only."""

from __future__ import annotations

import re

from .builders import REPO

PAPER = REPO / "paper" / "paper.tex"
BIB = REPO / "paper" / "references.bib"


def _body_without_comments_and_options(text: str) -> str:
    text = "\n".join(re.sub(r"(?<!\\)%.*", "", line) for line in text.splitlines())
    return re.sub(r"\[[^\]]*\]", "", text)  # [width=...] options may hold decimals


def test_no_literal_estimate_in_paper():
    body = _body_without_comments_and_options(PAPER.read_text(encoding="utf-8"))
    decimals = re.findall(r"(?<![\w.])-?\d+\.\d+", body)
    assert decimals == [], f"paper.tex types numbers that must come from numbers.tex: {decimals}"
    # Nor a decimal written with a LaTeX minus or comma grouping of a large count (e.g. 12{,}345).
    assert not re.search(r"\d\{,\}\d", body)


def test_scan_catches_a_typed_estimate():
    bad = "The coefficient is 0.412 (s.e. 0.100).% 0.3 in a comment is fine\n[width=0.8\\linewidth]"
    assert re.findall(r"(?<![\w.])-?\d+\.\d+", _body_without_comments_and_options(bad)) == ["0.412", "0.100"]


def test_every_citation_is_in_the_bibliography():
    text = PAPER.read_text(encoding="utf-8")
    cited = set()
    for group in re.findall(r"\\cite[tp]?\*?(?:\[[^\]]*\])*\{([^}]*)\}", text):
        cited |= {k.strip() for k in group.split(",")}
    keys = set(re.findall(r"@\w+\{([^,]+),", BIB.read_text(encoding="utf-8")))
    assert cited and cited <= keys, f"unknown keys: {sorted(cited - keys)}"


def test_paper_reads_generated_files_only():
    text = PAPER.read_text(encoding="utf-8")
    inputs = re.findall(r"\\input\{([^}]*)\}", text)
    assert "numbers.tex" in inputs
    assert all(i == "numbers.tex" or i.startswith("tables/") for i in inputs)
    assert "tables/specs_appendix.tex" in inputs and "tables/additional.tex" in inputs
    # the title page says when the build is synthetic
    assert r"\DataSourceNotice" in text.split(r"\begin{abstract}")[0]
