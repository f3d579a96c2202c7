"""Verdicts, one-SD effects, event-study counts and production settings of results/numbers.tex,
pinned on small constructed inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from upgrading.core.errors import InputError
from upgrading.exhibits import numbers
from upgrading.exhibits.numbers import Prediction


def _row(family, model, term, estimate, p=0.5, **extra):
    return {"family": family, "model": model, "term": term, "estimate": estimate, "std_error": 0.1,
            "p_value": p, "nobs": 100, "n_clusters": 30, **extra}


def test_prediction_verdict_rule():
    assert numbers.prediction_verdict(0.3, True, "positive") == "supported"
    assert numbers.prediction_verdict(-0.3, True, "positive") == "contradicted"
    assert numbers.prediction_verdict(0.3, False, "positive") == "not supported"
    assert numbers.prediction_verdict(-0.3, True, "negative") == "supported"
    assert numbers.prediction_verdict(-0.3, True, "nonzero") == "supported"
    assert numbers.prediction_verdict(0.3, False, "nonzero") == "not supported"
    assert numbers.prediction_verdict(0.5, True, "not_positive") == "contradicted"
    assert numbers.prediction_verdict(-0.5, True, "not_positive") == "not contradicted"
    assert numbers.prediction_verdict(0.5, False, "not_positive") == "not contradicted"
    with pytest.raises(InputError, match="needs a test"):
        numbers.prediction_verdict(0.3, None, "positive")


def test_hypothesis_verdict_rule():
    assert numbers.hypothesis_verdict(["supported", "supported"]) == "supported"
    assert numbers.hypothesis_verdict(["supported", "not supported"]) == "partly supported"
    assert numbers.hypothesis_verdict(["supported", "not contradicted"]) == "supported"
    assert numbers.hypothesis_verdict(["supported", "not contradicted", "not supported"]) == "partly supported"
    assert numbers.hypothesis_verdict(["not supported", "not contradicted"]) == "not supported"
    assert numbers.hypothesis_verdict(["contradicted", "not supported"]) == "contradicted"
    assert numbers.hypothesis_verdict(["contradicted", "supported"]) == "supported in part and contradicted in part"
    with pytest.raises(ValueError):
        numbers.hypothesis_verdict([])


def test_few_cluster_test_prefers_bootstrap_then_ar_then_jackknife():
    wild = pd.Series(_row("f", "m", "x", 0.2, p=0.001, p_value_wild=0.08, std_error_crv3=0.05))
    assert numbers.few_cluster_test(wild) == (False, 0.08, "wild cluster bootstrap $p=0.080$")
    ar = pd.Series(_row("f", "m", "x", -0.6, p=0.2, ar_set="[-3.6, 0.5]"))
    assert numbers.few_cluster_test(ar) == (False, None, r"the 95\,\% Anderson--Rubin set includes zero")
    jack = pd.Series(_row("f", "m", "x", 0.5, p=0.001, std_error_crv3=0.25))
    rejects, p, words = numbers.few_cluster_test(jack)
    # t = 2 with 29 degrees of freedom
    assert p == pytest.approx(2 * stats.t.sf(2.0, 29)) and p == pytest.approx(0.0549, abs=1e-4)
    assert rejects is False and words == "jackknife (CRV3) $t$ test $p=0.055$"
    crv1 = pd.Series(_row("f", "m", "x", 0.5, p=0.0004))
    assert numbers.few_cluster_test(crv1) == (True, 0.0004, r"CRV1 $t$ test $p\ensuremath{<}0.001$")


def test_ar_excludes():
    assert numbers.ar_excludes("[0.1, 0.9]") and not numbers.ar_excludes("[-0.1, 0.9]")
    assert numbers.ar_excludes("(-inf, -0.2] U [0.3, inf)")
    assert not numbers.ar_excludes("(-inf, 0.2] U [0.3, inf)")
    assert not numbers.ar_excludes("(-inf, inf)")
    with pytest.raises(InputError, match="Anderson-Rubin set"):
        numbers.ar_excludes("somewhere")


def _verdict_estimates():
    return pd.DataFrame([
        _row("fam", "a", "x", 0.4, p_value_wild=0.01),          # supported
        _row("fam", "a", "z", 0.7, p_value_wild=0.30),          # not supported
        _row("fam", "b", "main", 0.5, p=0.2),
        _row("fam", "b", "main:g", -0.2, p=0.2, std_error_crv3=0.05),  # t = -4: rejects, opposite of main
        _row("fam", "b", "pre", 0.9, p=0.5, std_error_crv3=0.1),       # significantly positive
    ])


def test_verdict_numbers_pinned():
    hyp = {"One": [Prediction("X", "fam", "a", "x", "positive"), Prediction("Z", "fam", "a", "z", "positive")],
           "Two": [Prediction("Offset", "fam", "b", "main:g", "opposite", "main"),
                   Prediction("Pre", "fam", "b", "pre", "not_positive")],
           "Three": [Prediction("Gone", "fam", "missing_model", "x", "positive")]}
    sources = {}
    got = numbers.verdict_numbers(_verdict_estimates(), hyp, sources)
    assert got["VerdictHOneX"] == "supported" and got["VerdictHOneZ"] == "not supported"
    assert got["VerdictHOne"] == "partly supported"
    assert got["VerdictHOneXEvidence"] == "wild cluster bootstrap $p=0.010$"
    assert got["VerdictHOneZFinding"] == "not significantly different from zero"
    assert got["VerdictHTwoOffset"] == "supported" and got["VerdictHTwoOffsetFinding"] == "significantly negative"
    assert got["VerdictHTwoPre"] == "contradicted" and got["VerdictHTwoPreFinding"] == "significantly positive"
    assert got["VerdictHTwo"] == "supported in part and contradicted in part"
    assert got["VerdictLevel"] == r"5\,\%"
    assert got["VerdictHOneSupportedCount"] == "one" and got["VerdictHOnePredictionCount"] == "two"
    assert not any(k.startswith("VerdictHThree") for k in got)  # its model is not estimated
    assert set(got) <= set(sources)
    bad = {"One": [Prediction("X", "fam", "a", "nope", "positive")]}
    with pytest.raises(InputError, match="no estimate for fam/a term 'nope'"):
        numbers.verdict_numbers(_verdict_estimates(), bad)


def test_precondition_is_reported_but_not_judged():
    hyp = {"Four": [Prediction("Z", "fam", "a", "z", "positive")]}
    pre = {"Four": [Prediction("Entry", "fam", "a", "x", "positive")]}
    got = numbers.verdict_numbers(_verdict_estimates(), hyp, {}, pre)
    assert got["VerdictHFourEntry"] == "supported"          # reported with its test
    assert got["VerdictHFourEntryEvidence"] == "wild cluster bootstrap $p=0.010$"
    assert got["VerdictHFour"] == "not supported"           # the one prediction decides alone
    assert got["VerdictHFourBasis"] == "none of its predictions is supported"
    assert got["VerdictHFourPredictionCount"] == "one"
    # a precondition whose model is missing withholds the hypothesis, as a prediction's would
    gone = {"Four": [Prediction("Entry", "fam", "missing_model", "x", "positive")]}
    assert "VerdictHFour" not in numbers.verdict_numbers(_verdict_estimates(), hyp, {}, gone)


def test_one_sd_numbers_pinned():
    analysis = pd.DataFrame({
        "domestic": [True, True, True, True, False],
        "tfp_acf": [1.0, 2.0, 3.0, np.nan, 5.0],
        "backward": [0.1, 0.2, 0.3, 0.4, 0.9],
        "forward": [0.0, 0.0, 0.2, 0.1, 0.5],
    })
    est = pd.DataFrame([_row("baseline", "firm_year", "backward", 2.0), _row("baseline", "firm_year", "forward", -1.0)])
    est["nobs"] = 3  # the three domestic rows with the outcome
    sources = {}
    got = numbers.one_sd_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward", "forward"], sources)
    assert got["SdBaselineFirmYearBackward"] == "0.100"             # SD of 0.1, 0.2, 0.3
    assert got["OneSdBaselineFirmYearBackward"] == "0.200"          # 0.1 x 2
    assert got["OneSdBaselineFirmYearBackwardPct"] == numbers.percent(math.expm1(0.2))
    sd_forward = float(np.std([0.0, 0.0, 0.2], ddof=1))
    assert got["OneSdBaselineFirmYearForward"] == numbers.signed(-sd_forward)
    assert set(got) <= set(sources)
    assert not any(k.endswith("TruthPct") for k in got)
    truth = pd.DataFrame({"family": ["baseline"], "model": ["firm_year"], "term": ["backward"], "truth": [0.5]})
    with_truth = numbers.one_sd_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward", "forward"],
                                        truth=truth)
    assert with_truth["OneSdBaselineFirmYearBackwardTruthPct"] == "5.1\\,\\%"    # 100 (exp(0.1 x 0.5) - 1)
    assert "OneSdBaselineFirmYearForwardTruthPct" not in with_truth
    est["nobs"] = 4
    with pytest.raises(InputError, match="3 domestic firm-years with tfp_acf and its regressors, but the model has 4"):
        numbers.one_sd_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward", "forward"])
    with pytest.raises(InputError, match="lacks"):
        numbers.one_sd_numbers(analysis.drop(columns="forward"), est, "baseline", "firm_year", "tfp_acf",
                               ["backward", "forward"])


def test_one_sd_marginal_numbers_take_the_headline_sd_times_the_marginal_effect():
    analysis = pd.DataFrame({
        "domestic": [True, True, True, False],
        "tfp_acf": [1.0, 2.0, 3.0, 5.0],
        "horizontal_hmt": [0.0, 0.1, 0.2, 0.3], "horizontal_other": [0.0, 0.0, 0.1, 0.2],
        "backward": [0.1, 0.2, 0.3, 0.9], "forward": [0.0, 0.1, 0.0, 0.5],
    })
    est = pd.DataFrame([_row("baseline", "firm_year", t, 1.0) for t in numbers.ONE_SD_TERMS]
                       + [_row("export_probit", "probit", "backward", 0.7, marginal_effect=0.15),
                          _row("export_probit", "probit", "forward", 0.2)])
    est["nobs"] = 3
    sources = {}
    got = numbers.one_sd_marginal_numbers(analysis, est, "export_probit", numbers.ONE_SD_TERMS, sources)
    assert got == {"OneSdExportProbitProbitBackwardAme": "0.015",        # SD 0.1 of 0.1, 0.2, 0.3 x 0.15
                   "OneSdExportProbitProbitBackwardAmePp": "1.5"}        # no marginal effect: no forward macro
    assert set(got) <= set(sources) and "marginal_effect" in sources["OneSdExportProbitProbitBackwardAme"]


def test_verdict_summary_names_every_hypothesis_once():
    five = {"One": "not supported", "Two": "contradicted", "Three": "not supported", "Four": "not supported",
            "Five": "not supported"}
    assert numbers.verdict_summary(five) == ("none of the five hypotheses is supported: H2 is contradicted and "
                                             "H1, H3, H4 and H5 are not supported")
    assert numbers.verdict_summary({"One": "supported", "Two": "partly supported", "Three": "contradicted"}) == (
        "one of the three hypotheses is supported: H1 is supported, H2 is partly supported and H3 is contradicted")
    assert numbers.verdict_summary({"One": "supported", "Two": "supported"}) == "both hypotheses are supported"
    assert numbers.verdict_summary({"One": "not supported", "Two": "not supported"}) == "neither hypothesis is supported"
    assert numbers.verdict_summary({"One": "not supported", "Two": "supported in part and contradicted in part"}) == (
        "neither hypothesis is supported in full: H2 is supported in part and contradicted in part and H1 is "
        "not supported")
    hyp = {"One": [Prediction("X", "fam", "a", "x", "positive")], "Two": [Prediction("Z", "fam", "a", "z", "positive")]}
    got = numbers.verdict_numbers(_verdict_estimates(), hyp, {})
    assert got["VerdictSummary"] == "one of the two hypotheses is supported: H1 is supported and H2 is not supported"


def test_sample_mean_numbers_use_the_estimation_sample():
    analysis = pd.DataFrame({
        "domestic": [True, True, True, True, False],
        "tfp_acf": [1.0, 2.0, 3.0, np.nan, 5.0],
        "backward": [0.1, 0.2, 0.6, 0.4, 0.9],
        "forward": [0.0, 0.0, 0.3, 0.1, 0.5],
        "exporter": [1, 0, 0, 1, 1],
    })
    est = pd.DataFrame([_row("baseline", "firm_year", "backward", 2.0), _row("baseline", "firm_year", "forward", -1.0)])
    est["nobs"] = 3
    sources = {}
    got = numbers.sample_mean_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward", "forward"],
                                      sources)
    # the three domestic rows with TFP; not the foreign row, not the row without TFP
    assert got == {"MeanBaselineFirmYearBackward": "0.300", "MeanBaselineFirmYearForward": "0.100",
                   "MeanBaselineFirmYearExporter": "33.3\\,\\%"}
    assert set(got) == set(sources)
    est["nobs"] = 5
    with pytest.raises(InputError, match="but the model has 5"):
        numbers.sample_mean_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward", "forward"])


def test_production_miss_numbers_pinned():
    table = pd.DataFrame({
        "industry": [13, 14, 15, 16],
        "truth_l": [0.3, 0.3, 0.3, 0.3], "truth_k": [0.3, 0.3, 0.3, 0.3],
        "acf_l": [0.35, 0.3, 0.0, 0.3], "acf_se_l": [0.1, 0.1, 0.1, 0.1],
        "acf_k": [0.1, 0.5, 0.31, 0.9], "acf_se_k": [0.05, 0.1, 0.1, 0.1],
        "acf_status": ["estimated", "estimated", "estimated", "fallback"],
    })
    got = numbers.production_miss_numbers(table, "acf")
    # capital z: -4.0, +2.0 (not beyond 2), +0.1; industry 16 took another method's estimate
    assert got["ProdAcfCapitalIndustries"] == "3"
    assert got["ProdAcfCapitalMisses"] == "1"
    assert got["ProdAcfCapitalMissesExpected"] == "0.1"      # 3 x 0.0455
    assert (got["ProdAcfCapitalWorstIndustry"], got["ProdAcfCapitalWorstZ"]) == ("13", "\\ensuremath{-}4.0")
    assert (got["ProdAcfCapitalWorstEstimate"], got["ProdAcfCapitalWorstTruth"]) == ("0.100", "0.300")
    assert (got["ProdAcfLabourMisses"], got["ProdAcfLabourWorstIndustry"]) == ("1", "15")
    with pytest.raises(InputError, match="lacks a column"):
        numbers.production_miss_numbers(table.drop(columns="acf_se_k"), "acf")


def test_verdict_basis_names_the_supported_predictions():
    assert numbers.verdict_basis(["Entry", "Productivity"], ["supported", "not supported"]) == \
        "it rests on the entry prediction alone"
    assert numbers.verdict_basis(["BackwardBefore", "HorizontalHmtLater", "Level"],
                                 ["supported", "supported", "not supported"]) == \
        "it rests on the backward before and horizontal hmt later predictions alone"
    assert numbers.verdict_basis(["Entry", "Productivity"], ["supported", "supported"]) == \
        "every one of its predictions is supported"
    assert numbers.verdict_basis(["Entry"], ["contradicted"]) == "none of its predictions is supported"


def test_verdicts_named_together_read_as_one_phrase():
    assert numbers.verdict_group_phrase(["not supported", "not supported"]) == "both not supported"
    assert numbers.verdict_group_phrase(["not supported"] * 4) == "none of the four is supported"
    assert numbers.verdict_group_phrase(["contradicted"] * 3) == "all three are contradicted"
    assert numbers.verdict_group_phrase(["supported", "not supported"]) == "supported and not supported"
    assert numbers.verdict_group_phrase(["supported", "not supported", "contradicted"]) == \
        "supported, not supported and contradicted, in that order"


def test_one_sd_within_numbers_net_of_firm_and_year_effects():
    # two firms x two years: backward = firm part + year part + 0.1 x (+1, -1, -1, +1)
    analysis = pd.DataFrame({
        "firm_id": [1, 1, 2, 2], "year": [2000, 2001, 2000, 2001], "domestic": True,
        "tfp_acf": [1.0, 2.0, 3.0, 4.0],
        "backward": [0.1 + 0.1 + 0.1, 0.1 + 0.3 - 0.1, 0.5 + 0.1 - 0.1, 0.5 + 0.3 + 0.1],
    })
    est = pd.DataFrame([_row("baseline", "firm_year", "backward", 2.0)])
    est["nobs"] = 4
    sources = {}
    got = numbers.one_sd_numbers(analysis, est, "baseline", "firm_year", "tfp_acf", ["backward"], sources)
    sd_within = float(np.std([0.1, -0.1, -0.1, 0.1], ddof=1))        # 0.1155
    assert got["SdWithinBaselineFirmYearBackward"] == numbers.signed(sd_within)
    assert got["OneSdWithinBaselineFirmYearBackward"] == numbers.signed(2 * sd_within)
    assert got["OneSdWithinBaselineFirmYearBackwardPct"] == numbers.percent(math.expm1(2 * sd_within))
    assert got["SdWithinBaselineFirmYearBackward"] == "0.115"
    assert float(got["SdBaselineFirmYearBackward"]) > 2 * sd_within   # the total SD keeps the firm differences
    assert set(got) <= set(sources)


def test_pretrend_numbers_pinned():
    rows = [_row("event_study", "tfp", f"year::{y}:encouraged", 0.01, p=p)
            for y, p in ((1998, 0.04), (1999, 0.06), (2000, 0.01), (2002, 0.5), (2003, 0.02))]
    got = numbers.pretrend_numbers(pd.DataFrame(rows), 2002)
    assert got == {"EventStudyTfpPreCount": "3", "EventStudyTfpPreSignifCount": "2",
                   "EventStudyTfpPreFirstYear": "1998", "EventStudyTfpPreLastYear": "2000",
                   "EventStudyTfpPreTest": "CRV1 $t$ test",
                   "EventStudyTfpPostCount": "2", "EventStudyTfpPostSignifCount": "1",
                   "EventStudyTfpPostFirstYear": "2002", "EventStudyTfpPostLastYear": "2003",
                   "EventStudyTfpPostTest": "CRV1 $t$ test"}
    # With jackknife standard errors the count follows the jackknife t test (t = 0.01 / 0.004 = 2.5
    # with 29 degrees of freedom rejects; t = 0.01 / 0.01 = 1 does not), whatever the CRV1 p-value.
    jack = [_row("event_study", "tfp", f"year::{y}:encouraged", 0.01, p=0.001, std_error_crv3=se)
            for y, se in ((1998, 0.004), (1999, 0.01), (2002, 0.01))]
    got = numbers.pretrend_numbers(pd.DataFrame(jack), 2002)
    assert got["EventStudyTfpPreSignifCount"] == "1" and got["EventStudyTfpPostSignifCount"] == "0"
    assert got["EventStudyTfpPreTest"] == "jackknife (CRV3) $t$ test"
    with pytest.raises(InputError, match="names no year"):
        numbers.pretrend_numbers(pd.DataFrame([_row("event_study", "tfp", "encouraged", 0.1)]), 2002)
    # the model's joint test of its pre-period coefficients, one set of macros per model
    joint = pd.DataFrame(jack).assign(joint_test="pre_period: year::1998:encouraged, year::1999:encouraged",
                                      joint_f=1.4279, joint_df1=2, joint_df2=29, joint_p=0.0412)
    sources: dict[str, str] = {}
    got = numbers.pretrend_numbers(joint, 2002, sources=sources)
    assert {k: v for k, v in got.items() if "Joint" in k} == {
        "EventStudyTfpPrePeriodJointF": "1.43", "EventStudyTfpPrePeriodJointP": "0.041",
        "EventStudyTfpPrePeriodJointQ": "2", "EventStudyTfpPrePeriodJointDf": "29",
        "EventStudyTfpPrePeriodJointRejects": "rejects"}
    assert "column joint_f" in sources["EventStudyTfpPrePeriodJointF"]


def test_pretrend_slope_flag_follows_the_few_cluster_test():
    """PretrendRejects reads the bootstrap p-value where there is one, whatever the CRV1 test says."""
    slope = [_row("policy_reduced_form", "pretrend", "encouraged:year", -0.016, p=0.02, p_value_wild=0.044)]
    assert numbers.pretrend_slope_numbers(pd.DataFrame(slope)) == {"PretrendRejects": "1"}
    slope = [_row("policy_reduced_form", "pretrend", "encouraged:year", -0.016, p=0.02, p_value_wild=0.2)]
    assert numbers.pretrend_slope_numbers(pd.DataFrame(slope)) == {"PretrendRejects": "0"}
    assert numbers.pretrend_slope_numbers(pd.DataFrame([_row("baseline", "firm_year", "backward", 1.0)])) == {}


def test_measure_settings_numbers():
    assert numbers.measure_settings_numbers({"frontier_quantile": 0.9, "lq_threshold": 1.25,
                                             "cluster_min_firms": 5}) == {
        "FrontierQuantile": "90th percentile", "ClusterLqThreshold": "1.25", "ClusterMinFirms": "5"}
    assert numbers.measure_settings_numbers({"frontier_quantile": 0.925})["FrontierQuantile"] == "0.925 quantile"
    assert [numbers.ordinal(n) for n in (1, 2, 3, 11, 12, 21, 75)] == ["1st", "2nd", "3rd", "11th", "12th",
                                                                       "21st", "75th"]
    assert numbers.measure_settings_numbers({}) == {}


def test_production_settings_numbers():
    got = numbers.production_settings_numbers({"bootstrap_reps": 20, "bootstrap_max_firms": 1000,
                                               "max_elasticity": 1.5, "returns_to_scale": [0.3, 2.0],
                                               "labour_band": 0.3})
    assert got == {"ProdBootstrapReps": "20", "ProdBootstrapMaxFirms": "1{,}000", "ProdMaxElasticity": "1.5",
                   "ProdReturnsToScaleLow": "0.3", "ProdReturnsToScaleHigh": "2", "ProdLabourBand": "0.3",
                   "ProdBootstrapSeRelError": r"16\,\%"}  # 1 / sqrt(2 * 19) = 0.162
    assert "ProdLabourBand" not in numbers.production_settings_numbers({"labour_band": None})
    with pytest.raises(InputError, match="returns_to_scale"):
        numbers.production_settings_numbers({"returns_to_scale": [0.3]})


def test_capital_error_words():
    recovery = pd.DataFrame(columns=["measure", "sample", "mean_log_error", "sd_log_error", "share_within_10pct"])
    beta_k = pd.DataFrame({"industry": ["mean", "mean"], "method": ["acf", "lp"], "effect": [np.nan, np.nan],
                           "abs_error": [0.08, 0.06], "error": [-0.0397, 0.012]})
    got = numbers.capital_numbers(recovery, beta_k)
    assert got["CapitalBetaKAcfErrorWords"] == "falls short of the truth by 0.040"
    assert got["CapitalBetaKLpErrorWords"] == "exceeds the truth by 0.012"
