"""The paper's production-function tables mark fallbacks, wrong signs and missing estimates."""

import pandas as pd
import pytest

from upgrading.core.errors import InputError
from upgrading.exhibits.production import elasticity_table, search_table


def frame():
    base = {"nobs": 500, "n_firms": 100, "reason": "", "starts": 19, "starts_converged": 12,
            "roots": 2, "criterion": 1e-30, "second_root_in_band": True,
            "solutions": "0.4000/0.3000; 0.9500/0.0200", "se_l": 0.01, "se_k": 0.02}
    rows = [
        {"industry": 13, "method": "ols", "beta_l": 0.9, "beta_k": 0.05, "status": "estimated"},
        {"industry": 13, "method": "fe", "beta_l": 0.8, "beta_k": -0.01, "status": "wrong_sign"},
        {"industry": 13, "method": "acf", "beta_l": 0.4, "beta_k": 0.3, "status": "estimated"},
        {"industry": 14, "method": "ols", "beta_l": 0.9, "beta_k": 0.1, "status": "estimated"},
        {"industry": 14, "method": "fe", "beta_l": 0.7, "beta_k": 0.1, "status": "estimated"},
        {"industry": 14, "method": "acf", "beta_l": 0.7, "beta_k": 0.1, "status": "fallback_fe"},
    ]
    return pd.DataFrame([base | r for r in rows])


def test_marks_and_truth():
    tex, csv = elasticity_table(frame(), {"13": {"beta_l": 0.35, "beta_k": 0.3},
                                          "14": {"beta_l": 0.4, "beta_k": 0.3}}, "acf")
    # the wrong sign marks the non-positive elasticity only, not its positive neighbour
    assert r"\ensuremath{-}0.010$^{\ddagger}$" in tex and "0.800$^{" not in tex
    assert r"0.700$^{\dagger}$" in tex
    assert "TFP used downstream: ACF" in tex and "2 of 6" in tex
    # N is per industry; the note gives their sum, the sample of the pooled production function
    assert "domestic and foreign-invested, 1{,}000 over all industries" in tex
    assert csv.loc[csv.industry == 13, "truth_l"].item() == 0.35
    assert csv.loc[csv.industry == 14, "acf_status"].item() == "fallback_fe"
    assert "Truth" not in elasticity_table(frame(), None, "lp")[0]


def test_the_note_names_the_industries_of_the_rows():
    tex, _ = elasticity_table(frame(), None, "acf", {13: "Agricultural and sideline food processing",
                                                     14: "Food manufacturing", 15: "Beverages"})
    assert ("Industries (divisions of the Chinese Industrial Classification, CIC 2002): "
            "13 Agricultural and sideline food processing; 14 Food manufacturing.") in tex
    assert "Industries (" not in elasticity_table(frame(), None, "acf")[0]
    with pytest.raises(InputError, match="names no industry 14"):
        elasticity_table(frame(), None, "acf", {13: "Agricultural and sideline food processing"})


def test_search_table_lists_every_structural_row():
    tex, csv = search_table(frame())
    assert len(csv) == 2 and "0.4000/0.3000; 0.9500/0.0200" in tex and r"$^{\dagger}$" in tex
    # the criterion in math notation, never "1.0e-30"; a constant Band column is a sentence of the note
    assert r"$1.0 \times 10^{-30}$" in tex and "e-30" not in tex
    assert "Band" not in tex and "ACF: in every industry another solution lies within" in tex


def test_search_table_keeps_band_when_it_varies():
    f = frame()
    f.loc[(f.industry == 14) & (f.method == "acf"), "second_root_in_band"] = False
    tex, _ = search_table(f)
    assert "& Band &" in tex and "Band: whether" in tex


def test_search_table_states_a_band_constant_within_each_method():
    f = frame()
    f.loc[f.industry == 14, "method"] = "lp"
    f.loc[f.method == "lp", "second_root_in_band"] = False
    tex, _ = search_table(f, 1e-6)
    assert "& Band &" not in tex
    assert (r"ACF: in every industry another solution lies within the criterion band ($1.0 \times 10^{-6}$) "
            r"of the chosen one. LP: in no industry does another solution lie within the criterion band of "
            r"the chosen one.") in tex


def test_excluded_industry_is_marked_not_printed():
    f = frame()
    f.loc[(f.industry == 14) & (f.method == "acf"), ["status", "beta_l", "beta_k"]] = ["excluded", None, None]
    tex, csv = elasticity_table(f, None, "acf")
    assert r"--$^{\S}$" in tex and "excluded (declared)" in tex
    assert csv.loc[csv.industry == 14, "acf_status"].item() == "excluded"


def test_notes_define_only_the_marks_the_rows_use():
    marked, _ = elasticity_table(frame(), None, "acf")
    assert r"$^{\dagger}$: no admissible" in marked and r"$^{\ddagger}$: a non-positive" in marked
    assert r"$^{\S}$:" not in marked and "too few firm-years" not in marked
    clean = frame().assign(status="estimated", beta_k=0.2)
    tex, _ = elasticity_table(clean, None, "acf")
    assert r"$^{\ddagger}$" not in tex
    # no fallback and no exclusion: the note says so rather than leaving the marks of the text undefined
    assert r"No industry uses a fallback ($^{\dagger}$) or is excluded ($^{\S}$)" in tex
    assert "No industry uses a fallback" not in marked
    search, _ = search_table(clean)
    assert r"$^{\dagger}$" not in search


def test_notes_say_where_the_starts_come_from_counted_from_the_searches():
    """LP 10 = 8 Sobol + OLS and within; ACF 11 = the same + the fixed start: counted, not typed."""
    f = frame()
    lp = f[f["method"] == "acf"].assign(method="lp", starts=10)
    f = pd.concat([f.assign(starts=f["starts"].where(f["method"] != "acf", 11)), lp], ignore_index=True)
    search, _ = search_table(f, 1e-6, n_sobol=8)
    assert ("ACF 11: the 8 seeded Sobol points of the search box and 3, "
            "the OLS and within estimates and a fixed start") in search
    assert "LP 10: the same 8 Sobol points and 2, the OLS and within estimates." in search
    elasticities, _ = elasticity_table(f, None, "acf")
    assert "Starts per industry: LP from 10, ACF from 11" in elasticities


def test_an_industry_and_the_last_rows_stay_on_one_page():
    """No page break between an industry's LP and ACF rows, nor among the table's last rows."""
    f = frame()
    lp = f[f["method"] == "acf"].assign(method="lp")
    tex, _ = search_table(pd.concat([f, lp], ignore_index=True).sort_values(["industry", "method"]))
    body = [line for line in tex.splitlines() if line[:2] in ("13", "14")]
    assert len(body) == 4 and body[0].endswith(r"\\*") and body[2].endswith(r"\\*")
    assert body[-1].endswith(r"\\*") and body[-2].endswith(r"\\*")  # the last rows go with the notes
