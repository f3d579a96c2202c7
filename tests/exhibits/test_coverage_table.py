"""The validation appendix's coverage table: CRV1, CRV3 and WCR coverage with Monte Carlo SEs."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from upgrading.core.errors import InputError
from upgrading.exhibits import coverage_table


def _cov():
    rows = []
    for outcome in ("pipeline", "true_omega"):
        rows.append({"outcome": outcome, "family": "validation", "model": "structural", "term": "backward:post2002",
                     "truth": 0.4, "bias": -0.012, "draws": 200,
                     "coverage_crv1": 0.82, "mcse_crv1": (0.82 * 0.18 / 200) ** 0.5,
                     "coverage_crv3": 0.9, "mcse_crv3": (0.9 * 0.1 / 200) ** 0.5,
                     "coverage_wcr": 0.95, "mcse_wcr": (0.95 * 0.05 / 200) ** 0.5})
    return pd.DataFrame(rows)


def test_coverage_table_rows_and_note():
    tex = coverage_table.render(_cov(), {"backward": "Backward"})
    assert r"\label{tab:coverage}" in tex and "CRV1 & CRV3 & WCR" in tex
    assert (r"\quad Backward $\times$ post2002 & 0.400 & \ensuremath{-}0.012 & 0.82 (0.03) & 0.90 (0.02) & "
            r"0.95 (0.02) \\") in tex
    assert r"\multicolumn{6}{l}{validation/structural} \\" in tex  # the model heads its terms
    assert tex.count("validation/structural") == 2 and "True productivity" in tex
    assert "Share of 200 Monte Carlo draws" in tex


def test_coverage_table_rejects_old_coverage_file():
    with pytest.raises(InputError, match="coverage_wcr"):
        coverage_table.render(_cov().drop(columns=["coverage_wcr"]))


def test_few_draws_get_exact_intervals_not_a_zero_standard_error():
    """All or none of 2 draws covering: the exact 95% interval, never '(0.00)'; the draws in the caption."""
    cov = _cov().assign(draws=2, coverage_crv1=1.0, mcse_crv1=0.0, coverage_crv3=0.0, mcse_crv3=0.0,
                        coverage_wcr=0.5, mcse_wcr=(0.25 / 2) ** 0.5)
    tex = coverage_table.render(cov, {"validation/structural": "Validation: Structural", "backward": "Backward"})
    assert "(0.00)" not in tex
    lo = 0.025 ** 0.5  # Clopper-Pearson lower bound of 2 successes in 2 draws
    assert f"1.00 [{lo:.2f}, 1.00]" in tex and f"0.00 [0.00, {1 - lo:.2f}]" in tex and "0.50 (0.35)" in tex
    assert "over 2 draws" in tex and "With only 2 draws" in tex
    assert "{Validation: Structural}" in tex and "validation/structural" not in tex


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed (TeX Live absent)")
def test_coverage_table_with_exact_intervals_compiles(tmp_path):
    """An interval in brackets after a line break must not be read as the break's length."""
    cov = _cov().assign(draws=8, coverage_crv1=1.0, mcse_crv1=0.0)
    (tmp_path / "cov.tex").write_text(coverage_table.render(cov, {}))
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage{booktabs,array,adjustbox}\\begin{document}"
        "\\input{cov}\\end{document}\n")
    run = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (tmp_path / "doc.log").read_text(errors="replace")[-2000:]
