"""The validation appendix's coverage table: CRV1, CRV3 and WCR coverage with Monte Carlo SEs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from upgrading.core.coverage import clopper_pearson
from upgrading.core.errors import InputError
from upgrading.exhibits import coverage_table

from .builders import compile_latex


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
    """Many draws: shares with their Monte Carlo standard errors, and the exact interval beside."""
    tex = coverage_table.render(_cov(), {"backward": "Backward"})
    assert r"\label{tab:coverage}" in tex and r"\multicolumn{2}{c}{CRV1}" in tex
    lo, hi = clopper_pearson(164, 200)  # 0.82 of 200 draws
    assert (r"\quad Backward $\times$ post2002 & 0.400 & \ensuremath{-}0.012 & 0.820 (0.027) & "
            rf"{lo:.2f}--{hi:.2f} & 0.900 (0.021) & ") in tex
    assert r"\multicolumn{9}{l}{validation/structural} \\" in tex  # the model heads its terms
    assert tex.count("validation/structural") == 2 and "True productivity" in tex
    assert "Share: of the 200 Monte Carlo draws" in tex and "Clopper--Pearson" in tex
    assert "[" not in tex.split(r"\toprule")[1]  # brackets mean bootstrap p-values elsewhere


def test_the_note_says_against_which_estimand_the_draws_are_judged():
    assert "each world's own estimand" in coverage_table.render(_cov())
    pooled = coverage_table.render(_cov().assign(feedback_worlds=800))
    assert "feedback part averaged over the draws' 800 further worlds" in pooled
    assert "own estimand" not in pooled
    with_se = coverage_table.render(_cov().assign(mcse_bias=0.004))
    assert r"\ensuremath{-}0.012 (0.004)" in with_se and "Monte Carlo standard error (SD of those errors" in with_se


def test_clopper_pearson_matches_the_beta_quantiles():
    """Pinned: 7 of 8 -> 0.473-0.997; all of 8 -> 0.025^(1/8)-1; none of 8 -> 0-(1 - 0.025^(1/8))."""
    assert clopper_pearson(7, 8) == pytest.approx((0.4735, 0.9968), abs=1e-4)
    assert clopper_pearson(8, 8) == pytest.approx((0.025 ** (1 / 8), 1.0))
    assert clopper_pearson(0, 8) == pytest.approx((0.0, 1 - 0.025 ** (1 / 8)))


def test_coverage_table_rejects_old_coverage_file():
    with pytest.raises(InputError, match="coverage_wcr"):
        coverage_table.render(_cov().drop(columns=["coverage_wcr"]))


def test_few_draws_are_counted_with_exact_intervals():
    """Below COUNT_BELOW draws: '7 of 8' and its exact interval, never a share or a zero standard error."""
    cov = _cov().assign(draws=8, coverage_crv1=1.0, mcse_crv1=0.0, coverage_crv3=0.0, mcse_crv3=0.0,
                        coverage_wcr=0.875, mcse_wcr=(0.875 * 0.125 / 8) ** 0.5)
    assert 8 < coverage_table.COUNT_BELOW
    tex = coverage_table.render(cov, {"validation/structural": "Validation: Structural", "backward": "Backward"})
    lo = 0.025 ** (1 / 8)
    assert f"8 of 8 & {lo:.2f}--1.00 & 0 of 8 & 0.00--{1 - lo:.2f} & 7 of 8 & 0.47--1.00" in tex
    assert "(0." not in tex and "0.88" not in tex
    assert "over 8 draws" in tex and "counts draws rather than giving shares" in tex
    assert "{Validation: Structural}" in tex and "validation/structural" not in tex


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed (TeX Live absent)")
def test_coverage_table_with_exact_intervals_compiles(tmp_path):
    """An interval in brackets after a line break must not be read as the break's length."""
    cov = _cov().assign(draws=8, coverage_crv1=1.0, mcse_crv1=0.0)
    compile_latex(tmp_path, "\\usepackage{booktabs,array,adjustbox}", "\\input{cov}",
                  {"cov.tex": coverage_table.render(cov, {})})
