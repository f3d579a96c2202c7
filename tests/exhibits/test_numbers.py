"""results/numbers.tex: valid macro names, values formatted once, missing quotes are errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from upgrading.core.coverage import mc_se
from upgrading.core.errors import InputError
from upgrading.exhibits import numbers
from upgrading.exhibits.latex import macro_name

from .builders import FIXTURES


def test_macro_names_are_letters_only():
    assert macro_name("baseline", "firm_year", "horizontal_hmt") == "BaselineFirmYearHorizontalHmt"
    assert macro_name("event", "year::2002:encouraged") == "EventYearTwoZeroZeroTwoEncouraged"
    assert macro_name("l(backward, 1)") == "LBackwardOne"
    assert macro_name("x", "12") == "XOneTwo"
    with pytest.raises(ValueError):
        macro_name("__", "")


def test_render_sorted_and_rejects_bad_names():
    text = numbers.render({"Beta": "2", "Alpha": "1"})
    body = [l for l in text.splitlines() if not l.startswith("%")]
    assert body == [r"\newcommand{\Alpha}{1}", r"\newcommand{\Beta}{2}"]
    with pytest.raises(ValueError, match="letters-only"):
        numbers.render({"Beta2": "2"})


def test_signed_uses_math_minus():
    assert numbers.signed(-0.1234) == r"\ensuremath{-}0.123"
    assert numbers.signed(0.1236) == "0.124"
    assert numbers.percent(0.256) == r"25.6\,\%"
    assert numbers.signed(-0.00034) == r"\ensuremath{-}0.00034"  # never a signed zero in the text
    assert numbers.signed(0.0) == "0.000"
    assert numbers.power_bound(3.3e-9) == numbers.power_bound(2.4e-9) == r"\ensuremath{<10^{-8}}"
    assert numbers.pvalue(0.0004) == r"\ensuremath{<}0.001" and numbers.pvalue(0.0123) == "0.012"


def test_crosscheck_numbers_say_when_every_stored_digit_agrees():
    same = pd.DataFrame({"family": ["a", "b"], "coef_rel_diff": [0.0, 0.0], "se_abs_diff": [0.0, -0.0]})
    got = numbers.crosscheck_numbers(same)
    assert got["CrossAllDigitsAgree"] == "1" and got["CrossMaxCoefRelDiff"] == "0"
    apart = same.assign(se_abs_diff=[0.0, 3e-9])
    got = numbers.crosscheck_numbers(apart)
    assert got["CrossAllDigitsAgree"] == "0" and got["CrossMaxSeAbsDiff"] == r"\ensuremath{<10^{-8}}"
    assert set(got) == set(numbers.CROSSCHECK_SOURCES)


def test_estimate_numbers_and_missing_quote(baseline_est):
    got = numbers.estimate_numbers(baseline_est, {
        "HeadBackward": {"family": "baseline", "model": "firm_year", "term": "backward"},
        "HeadBackwardSe": {"family": "baseline", "model": "firm_year", "term": "backward", "stat": "std_error"},
        "HeadN": {"family": "baseline", "model": "firm_cityyear", "stat": "nobs"},
    })
    assert got == {"HeadBackward": "0.412", "HeadBackwardSe": "0.100", "HeadN": "12{,}001"}
    with pytest.raises(InputError, match="no estimate for family 'baseline', model 'firm_year', term 'nope'"):
        numbers.estimate_numbers(baseline_est, {"X": {"family": "baseline", "model": "firm_year", "term": "nope"}})


def test_auto_numbers_cover_every_coefficient(baseline_est):
    got = numbers.auto_estimate_numbers(baseline_est, "baseline", ["horizontal_hmt", "backward"])
    assert got["BaselineFirmYearHorizontalHmtCoef"] == r"\ensuremath{-}0.123"
    assert got["BaselineCityIndYearBackwardSe"] == "0.120"
    assert got["BaselineFirmCityyearNobs"] == "12{,}001"
    assert len([k for k in got if k.endswith("Coef")]) == 6
    assert all(re.fullmatch("[A-Za-z]+", k) for k in got)
    wild = baseline_est.assign(ci_low_wild=-0.5, ci_high_wild=0.25, first_stage_f=3.2, ar_ci_low=-np.inf,
                               ar_ci_high=np.inf, ar_set="(-inf, inf)")
    got = numbers.auto_estimate_numbers(wild, "baseline", ["backward"])
    assert got["BaselineCityIndYearBackwardArSet"] == "every value (unbounded)"  # as the tables write it
    assert got["BaselineCityIndYearBackwardInstrumentStrength"].startswith("weak")
    assert got["BaselineCityIndYearBackwardFirstStageF"] == "3.20"


def test_jackknife_standard_errors_quoted_where_the_model_has_them(baseline_est):
    est = baseline_est.assign(std_error_crv3=np.where(baseline_est["model"] == "firm_year", 0.25, np.nan))
    got = numbers.auto_estimate_numbers(est, "baseline", ["backward"])
    assert got["BaselineFirmYearBackwardSeCrvThree"] == "0.250"
    assert "BaselineCityIndYearBackwardSeCrvThree" not in got
    shares = est.assign(p_value_wild=0.2, top_cluster_share=0.618)
    assert numbers.auto_estimate_numbers(shares, "baseline", ["backward"])[
        "BaselineFirmYearBackwardTopClusterShare"] == r"62\,\%"


def test_average_marginal_effects_quoted_where_the_model_has_them(baseline_est):
    probit = baseline_est.assign(marginal_effect=-0.0412)
    sources: dict[str, str] = {}
    got = numbers.auto_estimate_numbers(probit, "baseline", ["backward"], sources)
    assert got["BaselineFirmYearBackwardAme"] == r"\ensuremath{-}0.041"
    assert "column marginal_effect" in sources["BaselineFirmYearBackwardAme"]
    assert not any(k.endswith("Ame") for k in numbers.auto_estimate_numbers(baseline_est, "baseline", ["backward"]))


def test_data_numbers_hand_computed():
    df = pd.DataFrame({"firm_id": [1, 1, 2, 3], "year": [1998, 1999, 1999, 2000],
                       "city": [1, 1, 2, 2], "industry2": [13, 13, 14, 13],
                       "domestic": [True, True, False, True], "output": [1.0, 1.0, 2.0, 0.0]})
    got = numbers.data_numbers(df)
    assert got["NumFirmYears"] == "4" and got["NumFirms"] == "3" and got["NumYears"] == "3"
    assert got["FirstYear"] == "1998" and got["LastYear"] == "2000"
    assert got["FIEShareOutput"] == r"50.0\,\%"  # 2 of 4 output units are foreign-invested
    assert got["DomesticShareFirmYears"] == r"75.0\,\%"
    assert "PostFromYear" not in got
    assert numbers.data_numbers(df.assign(post2002=[0, 0, 1, 1]))["PostFromYear"] == "1999"
    # cluster share over the three domestic rows only (the foreign row's 1 does not count)
    assert numbers.data_numbers(df.assign(cluster=[1, 0, 1, 0]))["ClusterShareDomestic"] == r"33.3\,\%"
    # firms with two or more domestic rows: only firm 1 (firm 3 has one row, firm 2 is foreign)
    never = numbers.data_numbers(df.assign(export_intensity=[0.0, 0.0, 0.5, 0.0],
                                           new_product_share=[0.0, 0.2, 0.0, 0.0]))
    assert never["DomesticFirmsNeverExportingShare"] == r"100.0\,\%"
    assert never["DomesticFirmsNeverNewProductShare"] == r"0.0\,\%"
    assert "DomesticFirmsNeverExportingShare" not in got


def test_audit_and_validation_numbers():
    audit = numbers.audit_numbers(pd.read_csv(FIXTURES / "cleaning.csv"))
    assert audit == {"RawRows": "10{,}000", "CleanRows": "9{,}500", "DroppedRows": "500",
                     "NumCleaningRules": "3"}
    # the audit's total rows (rows read, rows kept) are neither rules nor drops
    totals = pd.DataFrame({"rule": ["rows_read", "duplicates", "outliers", "rows_kept"],
                           "dropped": [0, 120, 80, 200], "rows_left": [10_000, 9_880, 9_800, 9_800]})
    assert numbers.audit_numbers(totals) == {"RawRows": "10{,}000", "CleanRows": "9{,}800",
                                             "DroppedRows": "200", "NumCleaningRules": "2"}
    # dropped rows that still count in the presence measures: the rules' in_presence, not the kept rows'
    totals["in_presence"] = [0, 0, 30, 9_800]
    assert numbers.audit_numbers(totals)["PresenceOutsideRows"] == "30"
    val = numbers.validation_numbers(pd.read_csv(FIXTURES / "validation.csv"))
    assert val["ValidBaselineFirmYearBackwardTruth"] == "0.400"
    assert val["ValidBaselineFirmYearBackwardZ"] == "0.12"  # (0.412 - 0.4) / 0.1
    assert val["ValidNumWithinTwoSe"] == "4" and val["ValidMaxAbsZ"] == "0.47"
    assert not any(k.endswith("Oracle") for k in val)  # no oracle column, no oracle macro
    with_oracle = pd.read_csv(FIXTURES / "validation.csv").assign(oracle_estimate=0.405)
    with_oracle.loc[1, "oracle_estimate"] = float("nan")
    sources: dict[str, str] = {}
    val = numbers.validation_numbers(with_oracle, sources)
    assert val["ValidBaselineFirmYearHorizontalHmtOracle"] == "0.405"
    assert "ValidBaselineFirmYearHorizontalOtherOracle" not in val  # missing oracle estimate
    assert "oracle_estimate" in sources["ValidBaselineFirmYearHorizontalHmtOracle"]


def test_source_notice_flags_synthetic():
    assert "synthetic" in numbers.source_notice("synthetic")["DataSourceNotice"]
    assert numbers.source_notice("asif")["IsSynthetic"] == "0"


def test_coverage_macros_name_outcome_model_and_term():
    cov = pd.DataFrame({"outcome": ["pipeline", "true_omega", "pipeline"],
                        "family": ["baseline", "baseline", "validation"],
                        "model": ["firm_year", "firm_year", "structural"],
                        "term": ["backward", "backward", "backward:post2002"],
                        "coverage": [0.95, 0.925, 0.9], "draws": [40, 40, 38], "bias": [0.01, -0.02, 0.0]})
    cov["mcse_crv1"] = mc_se(cov["coverage"], cov["draws"])
    out = numbers.coverage_numbers(cov)
    assert out["CoveragePipelineBaselineFirmYearBackward"] == r"95\,\%"
    assert out["CoverageTrueOmegaBaselineFirmYearBackward"] == r"92\,\%"  # no collision; whole percents
    assert out["CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwo"] == r"90\,\%"
    # Monte Carlo standard errors in points: sqrt(0.95 * 0.05 / 40) = 3.4, sqrt(0.9 * 0.1 / 38) = 4.9.
    assert out["CoverageMcSe"] == "3.4"
    assert out["CoveragePipelineBaselineFirmYearBackwardMcSe"] == "3.4"
    assert out["CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoMcSe"] == "4.9"
    assert out["CoveragePipelineBaselineFirmYearBackwardBias"] == numbers.signed(0.01)
    assert out["CoverageDraws"] == "40"
    # the covering draws themselves: 0.95 x 40 = 38, 0.925 x 40 = 37, 0.9 x 38 = 34.2 -> 34
    assert out["CoveragePipelineBaselineFirmYearBackwardCount"] == "38"
    assert out["CoverageTrueOmegaBaselineFirmYearBackwardCount"] == "37"
    assert out["CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoCount"] == "34"
    assert "CoveragePipelineBaselineFirmYearBackwardSdEst" not in out  # no such column here
    spread = numbers.coverage_numbers(cov.assign(sd_estimate=0.18, mean_std_error=0.139,
                                                 mean_std_error_crv3=np.nan), {})
    assert spread["CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoSdEst"] == "0.180"
    assert spread["CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoMeanSe"] == "0.139"
    assert "CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoMeanSeCrvThree" not in spread
    assert "CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwoVsOracle" not in spread
    sources: dict[str, str] = {}
    split = numbers.coverage_numbers(cov.assign(bias_vs_oracle=0.024, mcse_bias_vs_oracle=0.003,
                                                oracle_bias=-0.024, mcse_oracle_bias=0.011, mcse_bias=0.012), sources)
    base = "CoveragePipelineValidationStructuralBackwardPostTwoZeroZeroTwo"
    assert (split[base + "VsOracle"], split[base + "VsOracleMcSe"]) == ("0.024", "0.003")
    assert (split[base + "OracleBias"], split[base + "OracleBiasMcSe"]) == (numbers.signed(-0.024), "0.011")
    assert split[base + "BiasMcSe"] == "0.012" and sources[base + "VsOracle"].endswith("column bias_vs_oracle")
    with pytest.raises(InputError):
        numbers.coverage_numbers(cov.drop(columns="outcome"))


def test_capital_numbers_by_hand():
    rec = pd.DataFrame({"measure": ["level", "level", "growth"], "sample": ["all", "first_year", "all"],
                        "mean_log_error": [-0.03, -0.04, 0.005], "sd_log_error": [0.086, 0.1, 0.019],
                        "share_within_10pct": [0.9, 0.82, 0.99]})
    beta = pd.DataFrame({"industry": ["13", "mean", "mean", "mean"], "method": ["fe", "fe", "ols", "acf"],
                         "effect": [0.01, -0.003, 0.0007, None], "abs_error": [0.05, 0.06, 0.25, 0.04]})
    out = numbers.capital_numbers(rec, beta)
    assert out["CapitalLevelErrorSd"] == "0.086"
    assert out["CapitalFirstYearErrorMean"] == r"\ensuremath{-}0.040"
    assert out["CapitalGrowthWithinTenPct"] == r"99.0\,\%"
    assert out["CapitalBetaKFeEffect"] == r"\ensuremath{-}0.003"
    assert out["CapitalBetaKAcfAbsError"] == "0.040" and "CapitalBetaKAcfEffect" not in out
    with pytest.raises(InputError, match="capital_beta_k.csv"):
        numbers.capital_numbers(rec, beta.drop(columns="effect"))


def test_linking_numbers_read_the_overall_row():
    scores = pd.DataFrame({"stage": ["all", "legal_id"], "precision": [0.998765, 0.9995],
                           "recall": [0.991234, None], "true_pairs": [41234, None]})
    out = numbers.linking_numbers(scores)
    assert out == {"LinkPrecision": "0.9988", "LinkRecall": "0.9912", "LinkTruePairs": "41{,}234"}
    with pytest.raises(InputError, match="stage=all"):
        numbers.linking_numbers(scores[scores["stage"] != "all"])


def test_significance_words_name_the_test_and_quote_the_bootstrap():
    words = numbers.significance_words(0.004, "CRV1:industry2", 0.0004)
    assert words == r"significant at the 1\,\% level by the WCR bootstrap, $p\ensuremath{<}0.001$, CRV1 $p=0.004$"
    # the verdict follows the bootstrap, as the tables' stars do, when the two disagree
    assert numbers.significance_words(0.004, "CRV1:industry2", 0.21).startswith(
        r"not significant at the 10\,\% level by the WCR bootstrap, $p=0.210$")
    assert numbers.significance_words(0.2, "hetero", 0.3).endswith(r", $t$ test $p=0.200$")
    # a p-value just below a level reads below it: 0.0096 is not printed as 0.010
    assert numbers.significance_words(0.0096, "CRV1:industry2", 0.2).endswith("CRV1 $p=0.0096$")
    assert numbers.pvalue(0.0496) == "0.0496" and numbers.pvalue(0.0104) == "0.010"
    assert numbers.significance_words(0.2, "hetero", None) == \
        r"not significant at the 10\,\% level by the $t$ test"
    # maximum-likelihood models are tested against the normal, as their table's stars are
    assert numbers.significance_words(0.064, "CRV1:industry2", None, "probit") == \
        r"significant at the 10\,\% level by the CRV1 $z$ test"


def test_brief_pvalue_names_the_test_behind_the_verdict():
    """Two words for a list of estimates: the bootstrap's p where the model has it, else the
    model's own; 'p<0.001', never 'p=<0.001'."""
    assert numbers.brief_pvalue(0.004, "CRV1:industry2", 0.305) == "WCR $p=0.305$"
    assert numbers.brief_pvalue(0.004, "CRV1:industry2", 0.0) == r"WCR $p\ensuremath{<}0.001$"
    assert numbers.brief_pvalue(0.0096, "CRV1:industry2", None) == "CRV1 $p=0.0096$"
    assert numbers.brief_pvalue(0.2, "hetero", float("nan")) == "$p=0.200$"


def test_lock_in_industry_numbers_lists_the_analysis_set_and_the_synthetic_extras():
    analysis = pd.DataFrame({"industry2": [19, 17, 18, 24, 13, 17], "labour_intensive": [1, 1, 1, 0, 0, 1]})
    out = numbers.lock_in_industry_numbers(analysis, {42, 17, 18, 19, 24})
    assert out == {"LabourIntensiveIndustries": "17, 18 and 19", "SynthLockInIndustries": "17, 18, 19, 24 and 42",
                   "SynthLockInOutsideAnalysis": "24 and 42"}
    assert numbers.lock_in_industry_numbers(analysis) == {"LabourIntensiveIndustries": "17, 18 and 19"}
    assert numbers.lock_in_industry_numbers(analysis, {17, 18, 19})["SynthLockInOutsideAnalysis"] == "none"
    with pytest.raises(InputError, match="labour_intensive"):
        numbers.lock_in_industry_numbers(analysis.assign(labour_intensive=0))


def test_validation_misses_in_words():
    """The estimates more than two standard errors from their estimands, counted and listed by
    term and side with the models' appendix names, so the text states what the table shows."""
    val = pd.DataFrame({
        "family": ["baseline", "validation", "validation", "validation"],
        "model": ["firm_year", "local", "structural", "structural"],
        "term": ["backward", "backward", "horizontal_hmt", "forward"],
        "estimate": [1.2, 1.5, -0.2, 0.1], "truth": [0.6, 0.7, -0.5, 0.1], "std_error": [0.25, 0.3, 0.1, 0.2]})
    out = numbers.validation_numbers(val, labels={"backward": "Backward", "horizontal_hmt": "Horizontal (HMT)"})
    assert out["ValidNumMisses"] == "3" and out["ValidNumWithinTwoSe"] == "1"
    assert out["ValidMissList"] == ("the backward coefficient in the baseline and local models, above their "
                                    "estimands ($z=2.40$ and $2.67$); the horizontal (HMT) coefficient in the "
                                    "structural model, above its estimand ($z=3.00$)")
    below = numbers.validation_numbers(val.assign(estimate=[0.0, 0.7, -0.5, 0.1]))
    assert below["ValidMissList"] == r"the backward coefficient in the baseline model, below its estimand ($z=\ensuremath{-}2.40$)"
    # With the regressions on true productivity, each miss says whether they miss too.
    oracle = val.assign(oracle_estimate=[0.9, 0.8, -0.45, 0.1], oracle_std_error=[0.2, 0.25, 0.1, 0.2])
    # A standard error of zero gives no z, and a group with a model lacking one gives none.
    assert "true productivity" not in numbers.validation_numbers(
        oracle.assign(oracle_std_error=[0.0, 0.25, 0.1, 0.2]))["ValidMissList"].split(";")[0]
    assert numbers.validation_numbers(oracle)["ValidMissList"] == (
        "the backward coefficient in the baseline and local models, above their estimands ($z=2.40$ and "
        "$2.67$; on true productivity $z=1.50$ and $0.40$); the horizontal\\_hmt coefficient in the structural "
        "model, above its estimand ($z=3.00$; on true productivity $z=0.50$)")
    assert numbers.validation_numbers(val.assign(estimate=val["truth"]))["ValidMissList"] == "none"


def test_cleaning_settings_numbers_state_the_ownership_rule():
    assert numbers.cleaning_settings_numbers({"ownership_threshold": 0.25, "soe_state_share": 0.5}) == \
        {"OwnershipThreshold": r"25\,\%", "SoeStateShare": r"50\,\%"}
    assert numbers.cleaning_settings_numbers({}) == {}


@pytest.mark.parametrize(("f", "ar", "start"), [
    (3.2, (-1.0, 1.0), "weak, and"), (14.49, (-np.inf, np.inf), "weak, and"), (30.0, (-np.inf, 1.0), "weak, and"),
    (9.99, (-0.7, 1.2), "weak, and"), (10.0, (-0.7, 1.2), "weak by the robust test"),
    (14.49, (-0.7, 1.2), "weak by the robust test"), (23.09, (-0.7, 1.2), "weak by the robust test"),
    (23.1, (0.1, 0.9), "not weak by the robust test"), (30.0, (0.1, 0.9), "not weak by the robust test")])
def test_instrument_strength_by_the_robust_test(f, ar, start):
    """F below 10 or an unbounded Anderson-Rubin set: weak; between 10 and Montiel Olea and
    Pflueger's critical value of 23.1 (one instrument, 10 % bias, 5 % test): weak by that test."""
    assert numbers.instrument_strength(f, *ar).startswith(start)
    short = {"weak, and": "weak", "weak by the robust test": "weak by the robust test",
             "not weak by the robust test": "not weak by the robust test"}[start]
    if start == "weak, and" and f >= 10:  # the F beside the verdict passes the rule of thumb
        short = "weak (its Anderson--Rubin set is unbounded)"
    assert numbers.instrument_strength_short(f, *ar) == short


def test_firms_a_year_and_whether_the_world_is_at_reduced_scale():
    def panel(firms_per_year: int) -> pd.DataFrame:
        n = 2 * firms_per_year
        return pd.DataFrame({"firm_id": np.tile(np.arange(firms_per_year), 2), "year": np.repeat([2001, 2002], firms_per_year),
                             "city": 1, "industry2": 13, "domestic": True, "output": np.ones(n)})

    small = numbers.data_numbers(panel(6716))
    assert small["FirmsPerYear"] == "6{,}716" and small["IsReducedScale"] == "1"
    full = numbers.data_numbers(panel(numbers.REDUCED_SCALE_BELOW_FIRMS_PER_YEAR))
    assert full["IsReducedScale"] == "0"
