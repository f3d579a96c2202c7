"""Table rendering: escaping, stars, SE below the coefficient, fixed-effect rows, statistics, CSV twin."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from upgrading.core.errors import InputError
from upgrading.exhibits import tables
from upgrading.exhibits.latex import escape

from .builders import LABELS, compile_latex


def _spec(models, **kw):
    return tables.TableSpec(id="baseline", title=kw.pop("title", "Baseline"),
                            columns=[tables.Column("baseline", m) for m in models], labels=LABELS, **kw)


def _lines(tex):
    return [line.strip() for line in tex.splitlines()]


def test_escape_every_special_character():
    assert escape("a_b & c% $5 #1 {x} ~ ^ \\") == (
        r"a\_b \& c\% \$5 \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}")


@pytest.mark.parametrize("p, mark", [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"),
                                     (0.0999, "*"), (0.10, ""), (0.5, ""), (float("nan"), "")])
def test_stars_thresholds(p, mark):
    assert tables.stars(p) == mark


def test_coefficient_then_se_below(baseline_est):
    tex, _ = tables.render(baseline_est, _spec(["firm_year", "firm_cityyear"]))
    lines = _lines(tex)
    i = lines.index(r"Backward & 0.412$^{***}$ & 0.390$^{***}$ \\")
    assert lines[i + 1] == r"& (0.100) & (0.110) \\"
    # negative estimate: typographic minus, p = 0.02 -> two stars
    assert r"Horizontal (HMT) & \ensuremath{-}0.123$^{**}$ & \ensuremath{-}0.110$^{**}$ \\" in lines
    # -0.0005 rounds to zero: shown without a sign
    tex3, _ = tables.render(baseline_est, _spec(["city_ind_year"]))
    assert r"Forward & 0.000 \\" in _lines(tex3)


def test_fixed_effect_rows_follow_each_model(baseline_est):
    tex, _ = tables.render(baseline_est, _spec(["firm_year", "firm_cityyear", "city_ind_year"]))
    lines = _lines(tex)
    assert r"Firm FE & Yes & Yes & No \\" in lines
    assert r"Year FE & Yes & No & Yes \\" in lines
    assert r"City $\times$ Year FE & No & Yes & No \\" in lines
    assert r"City FE & No & No & Yes \\" in lines
    assert r"Industry FE & No & No & Yes \\" in lines


def test_statistics_rows(baseline_est):
    tex, _ = tables.render(baseline_est, _spec(["firm_year", "city_ind_year"]))
    lines = _lines(tex)
    assert r"Observations & 12{,}345 & 12{,}345 \\" in lines
    assert r"Clusters & 30 & 30 \\" in lines
    assert r"$R^2$ & 0.812 & 0.401 \\" in lines
    assert r"Within $R^2$ & 0.104 &  \\" in lines  # no within R2 without firm FE: blank, not 0
    assert r"Mean of dep.\ var. & 1.532 & 1.532 \\" in lines
    # wild bootstrap p in brackets for the model that has it, "n.a." for the other, both explained
    assert r"& [n.a.] & [0.004] \\" in lines
    assert "Wild cluster restricted bootstrap (null imposed): $p$-values of a zero coefficient in brackets." in tex
    assert r"n.a.\ in column (1): no bootstrap is computed for this model" in tex
    assert "Standard errors in parentheses, clustered by industry (CRV1)." in tex
    assert tables.STAR_NOTE_T in tex


def test_labels_and_title_escaped(baseline_est):
    spec = _spec(["firm_year"], title="Spillovers & TFP: 100% of firms_x")
    spec.labels = {**LABELS, "backward": "Backward_linkage & more"}
    tex, _ = tables.render(baseline_est, spec)
    assert r"\caption{Spillovers \& TFP: 100\% of firms\_x}" in tex
    assert r"Backward\_linkage \& more & 0.412$^{***}$ \\" in _lines(tex)
    # unlabelled variable names are escaped too
    spec.labels = {}
    tex, _ = tables.render(baseline_est, spec)
    assert r"horizontal\_hmt &" in tex


def test_event_study_terms_and_order(event_est):
    spec = tables.TableSpec(id="ev", title="Event", columns=[tables.Column("event_study", "tfp")],
                            labels=LABELS)
    tex, _ = tables.render(event_est, spec)
    labels = [l.split("&")[0].strip() for l in _lines(tex) if l.startswith("Year $=$")]
    assert labels[0] == r"Year $=$ 1998 $\times$ Encouraged"
    assert [l.split()[2] for l in labels] == ["1998", "1999", "2000", "2002", "2003", "2004"]


def test_keep_selects_and_orders_terms(baseline_est):
    tex, csv = tables.render(baseline_est, _spec(["firm_year"], keep=["forward", "backward"]))
    coef_rows = csv[csv["kind"] == "coef"]["term"].tolist()
    assert coef_rows == ["forward", "backward"]


def test_csv_twin_matches_latex(baseline_est):
    _, csv = tables.render(baseline_est, _spec(["firm_year", "firm_cityyear"]))
    assert list(csv.columns) == ["row", "kind", "term", "(1)", "(2)"]
    assert csv.iloc[0].tolist() == ["model", "header", "", "baseline/firm_year", "baseline/firm_cityyear"]
    hmt = csv[(csv["term"] == "horizontal_hmt") & (csv["kind"] == "coef")].iloc[0]
    assert (hmt["row"], hmt["(1)"]) == ("Horizontal (HMT)", "-0.123**")
    se = csv[(csv["term"] == "horizontal_hmt") & (csv["kind"] == "se")].iloc[0]
    assert (se["row"], se["(2)"]) == ("Horizontal (HMT) (s.e.)", "(0.052)")
    assert csv[csv["row"] == "Observations"]["(1)"].iloc[0] == "12,345"
    assert csv[csv["row"] == "City \u00d7 Year FE"][["(1)", "(2)"]].iloc[0].tolist() == ["No", "Yes"]


def test_missing_model_is_an_error(baseline_est):
    with pytest.raises(InputError, match="no estimates for family 'baseline' model 'nope'"):
        tables.render(baseline_est, _spec(["firm_year", "nope"]))


def test_wide_tables_go_landscape(baseline_est):
    tex, _ = tables.render(baseline_est, _spec(["firm_year"] * 7))
    assert tex.count(r"\begin{sidewaystable}") == 1 and tex.count(r"\end{sidewaystable}") == 1
    narrow = tables.render(baseline_est, _spec(["firm_year"] * 2))[0]
    assert r"\begin{table}[tbp]" in narrow and "sidewaystable" not in narrow
    # Scaled down only if too wide or taller than the page leaves under caption and notes.
    assert r"\begin{adjustbox}{max width=\linewidth,max totalheight=\UpgradingTableRoom}" in narrow
    assert r"\setlength{\UpgradingTableRoom}{\dimexpr\textheight-\ht\UpgradingNotesBox" in narrow
    # The landscape page's height is the text width: the notes are measured before the float
    # (where \textwidth is still the page's) and the rows scaled to what caption and notes leave.
    before, _, inside = tex.partition(r"\begin{sidewaystable}")
    assert r"\sbox{\UpgradingNotesBox}{\begin{minipage}{\textheight}" in before
    assert r"\setlength{\UpgradingTableRoom}{\dimexpr\textwidth-\ht\UpgradingNotesBox" in before
    assert r"max totalheight=\UpgradingTableRoom" in inside and r"\usebox{\UpgradingNotesBox}" in inside


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed (TeX Live absent)")
def test_generated_table_compiles(tmp_path, baseline_est, event_est):
    import pandas as pd

    est = pd.concat([baseline_est, event_est], ignore_index=True)
    tex1, _ = tables.render(est, _spec(["firm_year", "firm_cityyear", "city_ind_year"],
                                       title="Spillovers & 100% _escaped_ #1"))
    spec2 = tables.TableSpec(id="ev", title="Event", columns=[tables.Column("event_study", "tfp")] * 7,
                             labels=LABELS)
    tex2, _ = tables.render(est, spec2)
    tex3, _ = tables.render(est, tables.TableSpec(id="ev3", title="Event again", labels=LABELS,
                                                  columns=[tables.Column("event_study", "tfp")] * 8))
    # t3: a second landscape table reuses the measuring box
    log = compile_latex(tmp_path, "\\usepackage{booktabs,graphicx,adjustbox,rotating}",
                        "Table~\\ref{tab:baseline}.\\input{t1}\\input{t2}\\input{t3}",
                        {"t1.tex": tex1, "t2.tex": tex2, "t3.tex": tex3})
    assert "undefined" not in log.lower().replace("font shape", "")
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def _probit_rows(baseline_est):
    est = baseline_est[baseline_est["model"] == "firm_year"].copy()
    est["family"], est["model"], est["estimator"] = "export_probit", "probit", "probit"
    est["marginal_effect"] = -est["estimate"] / 4
    return est


def test_probit_reports_pseudo_r2_and_minus_signs_in_marginal_effects(baseline_est):
    est = _probit_rows(baseline_est)
    spec = tables.TableSpec(id="p", title="Probit", columns=[tables.Column("export_probit", "probit")],
                            labels=LABELS)
    tex, csv = tables.render(est, spec)
    lines = _lines(tex)
    assert any(line.startswith("Pseudo $R^2$ &") for line in lines)
    assert not any(line.startswith("$R^2$ &") for line in lines)
    # Backward 0.412 -> marginal effect -0.103, typeset with a minus sign inside the braces.
    assert r"& \{\ensuremath{-}0.103\} \\" in lines
    assert not any("{-" in line and "ensuremath" not in line for line in lines)
    assert "Pseudo R2" in set(csv["row"])
    # stars of a probit come from a z test
    assert "$z$ test" in tex and "$t$ test" not in tex


def test_notes_state_samples_missing_rows_and_dropped_regressors(baseline_est):
    est = baseline_est[baseline_est["model"].isin(["firm_year", "firm_cityyear"])].copy()
    est["n_missing_dropped"] = est["model"].map({"firm_year": 1234, "firm_cityyear": 0})
    cols = [tables.Column("baseline", "firm_year", sample="domestic",
                          terms=["backward", "absorptive_capacity"]),
            tables.Column("baseline", "firm_cityyear", sample="domestic_balanced", terms=["backward"])]
    spec = tables.TableSpec(id="t", title="T", columns=cols, labels={**LABELS, "absorptive_capacity": "Absorptive capacity"},
                            samples={"domestic": "domestic = yes",
                                     "domestic_balanced": "domestic = yes and firms observed in every year"})
    grid, notes = tables.build(est, spec)
    text = " ".join(notes)
    # A sample with a label is named by it; one without is described by its conditions (no ids).
    assert ("Samples: firm-years with domestic = yes in column (1); firm-years with domestic = yes "
            "and firms observed in every year in column (2).") in text
    spec.labels = {**spec.labels, "domestic": "domestic firm-years"}
    text = " ".join(tables.build(est, spec)[1])
    assert "Samples: domestic firm-years in column (1);" in text and "domestic\\_" not in text
    assert "1{,}234 in (1)" in text and "in (2)" not in text.split("left out")[1]
    assert "Absorptive capacity in column (1) is collinear" in text


def test_long_labels_of_a_four_column_table_take_two_lines_without_a_new_row(baseline_est):
    """From four columns, a long coefficient label continues beside its standard error (the
    table narrows, its height stays); with three it stays on one line."""
    four = _lines(tables.render(baseline_est, _spec(["firm_year", "firm_cityyear", "city_ind_year",
                                                     "firm_year"]))[0])
    i = next(k for k, line in enumerate(four) if line.startswith("Horizontal &"))
    assert four[i + 1].startswith(r"\quad (other foreign) & (")
    three = _lines(tables.render(baseline_est, _spec(["firm_year", "firm_cityyear", "city_ind_year"]))[0])
    assert any(line.startswith("Horizontal (other foreign) &") for line in three)
    assert tables.split_label(r"Horizontal (HMT) $\times$ Cluster") == ("Horizontal (HMT)", r"$\times$ Cluster")
    assert tables.split_label("Backward") == ("Backward", "")


def test_headers_of_a_table_wider_than_the_text_take_the_width_of_their_column():
    """A header is stacked to its column's widest cell only where the table would not fit."""
    def grid(header, cell, ncol):
        return [{"kind": "header", "label": "", "cells": [header] * ncol},
                {"kind": "coef", "label": "Backward", "cells": [cell] * ncol}]
    assert tables.narrow_headers(grid("Two-way clusters", "0.468", 2), 2, False) == [tables.HEADER_WIDTH] * 2
    starred = r"\ensuremath{-}0.518$^{***}$"  # 11 printed characters: the header gets 11 a line
    assert tables.narrow_headers(grid("Two-way clusters", starred, 6), 6, True) == [11] * 6
    assert tables.narrow_headers(grid("Two-way clusters", "0.1", 9), 9, True) == [tables.NARROW_HEADER_WIDTH] * 9


def test_notes_say_why_a_column_lost_firm_years(baseline_est):
    """A column whose model holds a variable undefined for some firm-years (TFP growth, same-city
    presence, lags) names it and why beside its count; one without such a variable keeps the count."""
    est = baseline_est[baseline_est["model"].isin(["firm_year", "firm_cityyear", "city_ind_year"])].copy()
    est["n_missing_dropped"] = est["model"].map({"firm_year": 500, "firm_cityyear": 700, "city_ind_year": 900})
    est.loc[est["model"] == "firm_year", "depvar"] = "tfp_growth"
    cols = [tables.Column("baseline", "firm_year", terms=["backward"]),
            tables.Column("baseline", "firm_cityyear", terms=["l(backward,1)"]),
            tables.Column("baseline", "city_ind_year", terms=["backward", "horizontal_local:cluster"])]
    labels = {**LABELS, "tfp_growth": "TFP growth", "horizontal_local": "Horizontal (same city)"}
    text = " ".join(tables.build(est, tables.TableSpec(id="t", title="T", columns=cols, labels=labels))[1])
    assert ("500 in (1) (TFP growth: undefined in a firm's first year and in a year that follows a gap "
            "in its years)") in text
    assert "700 in (2) (the lagged presence measures: undefined in a firm's first year" in text
    assert "900 in (3) (horizontal (same city): undefined for a firm with no other firm in its city" in text
    # two candidate variables: the note cannot tell which one, so it gives the count alone
    assert tables.missing_reason(["tfp_growth", "horizontal_local"], labels) == ""
    assert tables.missing_reason(["tfp_acf", "backward"], labels) == ""


def test_wild_interval_row_and_note(baseline_est):
    import numpy as np

    est = baseline_est.copy()
    wild = est["p_value_wild"].notna()
    est["ci_low_wild"] = est["estimate"].where(wild) - 0.1
    est["ci_high_wild"] = est["estimate"].where(wild) + 0.2
    est["inference"] = np.where(wild, "CRV3; WCR rademacher 999 seed 1", "")
    tex, csv = tables.render(est, _spec(["firm_year", "city_ind_year"]))
    assert r"$\langle$" in tex and "angle brackets" in tex
    assert "Rademacher weights, 999 replications" in tex
    ci_rows = csv[csv["row"].str.endswith("(wild bootstrap 95% CI)")]
    assert len(ci_rows) and ci_rows["(2)"].str.match(r"^\[-?[0-9.]+, -?[0-9.]+\]$").all()


def test_iv_table_shows_first_stage_f_and_anderson_rubin_set(baseline_est):
    """The diagnostics sit on the endogenous term's row; the exogenous terms' rows hold NaN and ""."""
    import numpy as np

    est = baseline_est[baseline_est["model"] == "firm_year"].copy()
    endog = est["term"] == "backward"
    est["first_stage_f"] = np.where(endog, 6.58, np.nan)
    est["ar_set"] = np.where(endog, "(-inf, -0.2] U [0.5, inf)", "")
    est = est.sort_values("term", key=lambda s: s != "forward")  # an exogenous term's row first
    tex, csv = tables.render(est, _spec(["firm_year"]))
    assert r"First-stage $F$ (cluster-robust) & 6.58 \\" in _lines(tex)
    # Written out, not in brackets: brackets hold wild bootstrap p-values in every table.
    assert (r"Anderson--Rubin 95\,\% set & at most \ensuremath{-}0.2 or at least 0.5 \\") in _lines(tex)
    assert "Anderson--Rubin 95\\,\\% set: every coefficient" in tex


def test_anderson_rubin_sets_are_written_out_without_brackets():
    from upgrading.exhibits.latex import ar_set_text

    assert ar_set_text("[-0.123, 0.5]") == r"\ensuremath{-}0.123 to 0.5"
    assert ar_set_text("(-inf, inf)") == "every value (unbounded)"
    with pytest.raises(ValueError, match="Anderson-Rubin set"):
        ar_set_text("{0, 1}")


def test_clusters_left_out_by_separation_are_counted_and_named(baseline_est):
    """A probit drops an industry whose outcome never varies: the note says which, and why the
    Clusters row counts one fewer than the sample's industries (computed from the estimates)."""
    est = baseline_est[baseline_est["model"].isin(["firm_year", "city_ind_year"])].copy()
    est["estimator"] = "probit"
    est["vcov"] = "CRV1:industry2"
    est["n_clusters"] = 29
    est["n_missing_dropped"] = 160
    est["dropped_groups"] = "industry2=16:154"
    text = " ".join(tables.build(est, _spec(["firm_year", "city_ind_year"]))[1])
    assert "in columns (1) and (2), 29 of the sample's 30: industry 16 is left out" in text
    assert "missing for them: 6 in (1) and (2)." in text  # 160 left out, 154 of them by separation
    assert "outcome does not vary within their fixed-effect group" in text and "industry 16 (154 firm-years)" in text


def test_notes_state_the_standard_errors_of_every_column(baseline_est):
    """Columns with different clustering: each group of columns is named with its own vcov."""
    est = baseline_est.copy()
    est.loc[est["model"] == "city_ind_year", "vcov"] = "CRV1:industry2^year"
    text = " ".join(tables.build(est, _spec(["firm_year", "firm_cityyear", "city_ind_year"]))[1])
    assert ("Standard errors in parentheses: clustered by industry (CRV1) in columns (1) and (2); "
            r"clustered by industry $\times$ year (CRV1) in column (3).") in text
    assert tables.STAR_NOTE_T in text  # one rule, whether a column has a bootstrap p-value or not


def test_columns_phrase_uses_ranges():
    assert tables._columns_phrase([0, 1, 2, 4]) == "columns (1)--(3) and (5)"
    assert tables._columns_phrase([3]) == "column (4)"
    assert tables._columns_phrase([0, 1, 8]) == "columns (1), (2) and (9)"


def test_times_sign_in_labels_is_typeset():
    from upgrading.exhibits.latex import escape

    assert escape("Firm, city \u00d7 year") == r"Firm, city \ensuremath{\times} year"
    assert tables._plain(r"City \ensuremath{\times} year") == "City \u00d7 year"


def test_a_tiny_bootstrap_p_value_is_not_printed_as_zero(baseline_est):
    est = baseline_est.copy()
    est.loc[est["p_value_wild"].notna(), "p_value_wild"] = 0.0
    tex, csv = tables.render(est, _spec(["firm_year", "city_ind_year"]))
    assert "[0.000]" not in tex and r"[\ensuremath{<}0.001]" in tex
    assert "[<0.001]" in set(csv["(2)"])


def test_anderson_rubin_set_shown_when_other_terms_hold_empty_strings(baseline_est):
    est = baseline_est[baseline_est["model"] == "firm_year"].copy()
    est["ar_set"] = ["(-inf, -16.3] U [-0.7, inf)" if t == "backward" else "" for t in est["term"]]
    tex, _ = tables.render(est, _spec(["firm_year"]))
    assert r"Anderson--Rubin 95\,\% set & at most \ensuremath{-}16.3 or at least \ensuremath{-}0.7" in tex


def test_stars_follow_the_t_test_even_where_the_table_shows_a_bootstrap_p_value(baseline_est):
    """One rule: a coefficient significant by the t test keeps its stars whatever the bootstrap says;
    the bootstrap p-value stays in brackets beside it."""
    est = baseline_est[baseline_est["model"] == "city_ind_year"].copy()
    backward = est["term"] == "backward"
    est.loc[backward, "p_value"] = 0.001
    est.loc[backward, "p_value_wild"] = 0.30
    est.loc[~backward, "p_value"] = 0.5
    est.loc[~backward, "p_value_wild"] = 0.001
    tex, csv = tables.render(est, _spec(["city_ind_year"]))
    row = next(line for line in _lines(tex) if line.startswith("Backward &"))
    assert "$^{***}$" in row
    assert r"[0.300] \\" in _lines(tex)[_lines(tex).index(row) + 2]
    assert tables.STAR_NOTE_T in tex and "not the bootstrap" in tex
    assert not csv.loc[csv["term"].eq("horizontal_hmt") & csv["kind"].eq("coef"), "(1)"].iloc[0].endswith("*")


def test_stars_the_bracketed_test_does_not_share_are_marked_in_the_cell(baseline_est):
    """A starred coefficient whose bracketed few-cluster p-value (bootstrap, or jackknife where
    marked J) is 0.10 or more carries the diamond, explained in the note; one the bracketed test
    also finds significant, or one without a bracket, does not."""
    est = baseline_est[baseline_est["model"] == "city_ind_year"].copy()
    est["p_value"] = 0.001
    est["p_value_wild"] = [0.30 if t == "backward" else 0.02 if t == "forward" else float("nan")
                           for t in est["term"]]
    est["std_error_crv3"] = 100 * est["std_error"]   # jackknife t far below any critical value
    tex, csv = tables.render(est, _spec(["city_ind_year"]))
    coef = csv[csv["kind"].eq("coef")].set_index("term")["(1)"]
    assert coef["backward"].endswith("*** (diamond)")            # bootstrap p = 0.30
    assert coef["forward"].endswith("***") and "diamond" not in coef["forward"]  # bootstrap p = 0.02
    assert coef["horizontal_hmt"].endswith("*** (diamond)")      # jackknife p, marked J
    assert tables.DISAGREE_MARK + ": starred, but the few-cluster test in brackets" in tex
    calm = est.assign(p_value_wild=0.01)
    assert tables.DISAGREE_MARK not in tables.render(calm, _spec(["city_ind_year"]))[0]


def test_same_coefficient_has_the_same_stars_in_every_table(baseline_est):
    """The baseline model repeated in a robustness family without the bootstrap: its coefficients carry
    the same stars in both tables, and both notes state the same rule."""
    main = baseline_est[baseline_est["model"] == "firm_year"].copy()
    main["p_value_wild"] = 0.08  # the bootstrap disagrees with the t test
    repeat = main.assign(family="robustness", model="acf", p_value_wild=float("nan"))
    est = pd.concat([main, repeat], ignore_index=True)
    spec_main = _spec(["firm_year"])
    spec_rob = tables.TableSpec(id="robustness", title="Robustness", labels=LABELS,
                                columns=[tables.Column(family="robustness", model="acf")])
    tex_main, csv_main = tables.render(est, spec_main)
    tex_rob, csv_rob = tables.render(est, spec_rob)
    coef_main = csv_main[csv_main["kind"].eq("coef")].set_index("term")["(1)"]
    coef_rob = csv_rob[csv_rob["kind"].eq("coef")].set_index("term")["(1)"]
    assert coef_main.to_dict() == coef_rob.to_dict()
    assert any(v.endswith("*") for v in coef_main)
    assert tables.STAR_NOTE_T in tex_main and tables.STAR_NOTE_T in tex_rob


def test_clusters_row_explained_for_two_way_clustering(baseline_est):
    est = baseline_est.copy()
    two_way = est["model"] == "city_ind_year"
    est.loc[two_way, "vcov"] = "CRV1:industry2+year"
    est.loc[two_way, "n_clusters"] = 10
    text = " ".join(tables.build(est, _spec(["firm_year", "city_ind_year"]))[1])
    assert "Clusters: groups of the clustering variable of the standard errors; with two-way clustering " \
           "by industry and year in column (2), the count of the smaller dimension" in text


def test_long_headers_are_stacked_in_the_latex_only():
    assert tables.stack("TFP (ACF)", 14) == "TFP (ACF)"
    assert tables.stack(r"Industry \ensuremath{\times} year clusters", 14) == (
        r"\begin{tabular}[t]{@{}c@{}}Industry \ensuremath{\times} \\ year clusters\end{tabular}")


def test_wide_table_in_footnote_size_with_stacked_labels_and_year_dashes(baseline_est):
    cols = [tables.Column("baseline", "firm_year", header="1998-2001")] + \
        [tables.Column("baseline", "firm_year", header="Industry \u00d7 year clusters")] * 6
    spec = tables.TableSpec(id="wide", title="Wide", columns=cols, labels=LABELS)
    tex, csv = tables.render(baseline_est, spec)
    assert r"\footnotesize" in tex.split(r"\caption")[0]
    assert "1998--2001" in tex and "1998\u20132001" in set(csv["(1)"])
    assert r"\begin{tabular}[t]{@{}c@{}}Industry" in tex  # long header stacked
    assert r"\begin{tabular}" not in "".join(csv.astype(str).to_numpy().ravel())


def test_a_single_bootstrap_column_is_named_not_marked_elsewhere(baseline_est):
    tex, _ = tables.render(baseline_est, _spec(["firm_year", "firm_cityyear", "city_ind_year"]))
    assert "[n.a.]" not in tex
    assert "The bootstrap is computed for column (3) only" in tex


def test_notes_describe_only_marks_the_table_shows(baseline_est):
    """A 2SLS column next to a first stage whose bootstrapped term it lacks: no "n.a." is printed,
    so the note names the bootstrapped column instead, and the blank R2 of 2SLS is explained."""
    est = baseline_est[baseline_est["model"].isin(["firm_year", "city_ind_year"])].copy()
    iv = est["model"] == "firm_year"
    est["estimator"] = ["2sls" if x else "ols" for x in iv]
    est.loc[iv, ["r2", "r2_within", "p_value_wild"]] = float("nan")
    est.loc[~iv, "p_value_wild"] = float("nan")
    est.loc[~iv & (est["term"] == "forward"), "p_value_wild"] = 0.004
    est = est[~(iv & (est["term"] == "forward"))]
    tex, _ = tables.render(est, _spec(["firm_year", "city_ind_year"]))
    lines = _lines(tex)
    assert r"&  & [0.004] \\" in lines and "n.a." not in tex
    assert "The bootstrap is computed for column (2) only." in tex
    assert r"$R^2$ &  & 0.401 \\" in lines
    assert "$R^2$ left blank in column (1) (2SLS): 2SLS does not minimise" in tex


def test_a_term_without_the_bootstrap_shows_its_jackknife_p_value(baseline_est):
    """In a column with the bootstrap for some terms only, the others show the p-value of the
    CRV3 t test (G-1 degrees of freedom), the test the verdicts use for them, marked and noted."""
    from scipy import stats

    est = baseline_est[baseline_est["model"] == "firm_year"].copy()
    backward = est["term"] == "backward"
    est["p_value_wild"] = est["p_value_wild"].where(backward, float("nan")).fillna(0.2).where(backward)
    est["std_error_crv3"] = 2 * est["std_error"]
    tex, csv = tables.render(est, _spec(["firm_year"]))
    fwd = est[est["term"] == "forward"].iloc[0]
    t = fwd["estimate"] / fwd["std_error_crv3"]
    p = 2 * stats.t.sf(abs(t), int(fwd["n_clusters"]) - 1)
    row = csv[csv["row"].str.endswith("(jackknife (CRV3) p)") & (csv["term"] == "forward")]
    assert list(row["(1)"]) == [f"[{p:.3f}]"]
    assert f"[{p:.3f}]" + tables.CRV3_MARK in tex and "cluster-jackknife (CRV3)" in tex
    assert not (csv["term"].eq("backward") & csv["row"].str.contains("CRV3")).any()


def test_a_coefficient_that_would_print_as_zero_gets_the_decimals_to_be_read():
    """A slope per year of -0.000098 (SE 0.000050) prints with two significant digits, not as
    0.000 (0.000); a row that reads at three decimals keeps them."""
    tiny = [pd.DataFrame({"estimate": [-0.000098], "std_error": [0.00005]})]
    assert tables.term_digits(tiny, 3) == 6
    assert tables.term_digits([pd.DataFrame({"estimate": [0.00002], "std_error": [0.0012]})], 3) == 3
    assert tables.term_digits([pd.DataFrame({"estimate": [0.0], "std_error": [0.0]}), pd.DataFrame()], 3) == 3
