"""Every figure draws from contract-shaped inputs, saving twice gives identical bytes, and the
plotted numbers come back as a table with readable names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upgrading.core.errors import InputError
from upgrading.exhibits import figures, style

from .builders import FIXTURES, LABELS


def _save_twice(fig_fn, tmp_path, name):
    paths = []
    for k in (1, 2):
        fig, data = fig_fn()
        assert isinstance(data, pd.DataFrame) and len(data), f"{name}: no plotted data"
        pdf, png = tmp_path / f"{name}{k}.pdf", tmp_path / f"{name}{k}.png"
        style.savefig(fig, pdf, png)
        paths.append((pdf.read_bytes(), png.read_bytes(), data.to_csv(index=False)))
    assert paths[0] == paths[1], f"{name}: output bytes differ between two saves"
    assert paths[0][0].startswith(b"%PDF") and paths[0][1].startswith(b"\x89PNG")
    assert b"CreationDate" not in paths[0][0]


def test_data_figures_deterministic(tmp_path, analysis):
    _save_twice(lambda: figures.foreign_presence(analysis), tmp_path, "fp")
    _save_twice(lambda: figures.smile_curve(analysis, {17: "Textiles"}), tmp_path, "smile")
    _save_twice(lambda: figures.clusters(analysis, 5), tmp_path, "clusters")


def test_estimate_figures(tmp_path, baseline_est, event_est):
    terms = ["horizontal_hmt", "horizontal_other", "backward", "forward"]
    _save_twice(lambda: figures.coefficients(baseline_est, terms, LABELS), tmp_path, "coef")
    _save_twice(lambda: figures.event_study(event_est, 2001), tmp_path, "event")
    _save_twice(lambda: figures.spec_curve(baseline_est, "backward", "Backward"), tmp_path, "curve")
    val = pd.read_csv(FIXTURES / "validation.csv")
    _save_twice(lambda: figures.recovery(val, LABELS), tmp_path, "recovery")


def test_event_study_includes_reference_year(event_est):
    fig, data = figures.event_study(event_est, ref_year=2001)
    xs = sorted(round(x) for x in fig.axes[0].lines[0].get_xdata())
    assert xs == [1998, 1999, 2000, 2001, 2002, 2003, 2004]
    ref = data[data["reference_year"]]
    assert list(ref["year"].unique()) == [2001] and (ref["estimate"] == 0).all()


def test_event_study_draws_each_model_on_its_own_axis(event_est):
    """Two outcomes in different units (TFP, foreign presence) never share one y axis."""
    two = pd.concat([event_est.assign(model="tfp"),
                     event_est.assign(model="foreign_presence", estimate=event_est["estimate"] * 100,
                                      ci_low=event_est["ci_low"] * 100, ci_high=event_est["ci_high"] * 100)])
    fig, data = figures.event_study(two, ref_year=2001)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylim() != fig.axes[1].get_ylim()
    assert [a.get_title()[:3] for a in fig.axes] == ["(a)", "(b)"]
    assert set(data["model"]) == {"tfp", "foreign_presence"}


def test_city_names_are_pinyin_without_admin_suffix():
    assert figures.city_name_en("广州市") == "Guangzhou"
    assert figures.city_name_en("西安市") == "Xi'an"  # apostrophe before a syllable starting with a vowel
    assert figures.city_name_en("延边朝鲜族自治州") == "Yanbian"
    assert figures.city_name_en("长治市") == "Changzhi"  # polyphone read as in the place name
    cities = pd.DataFrame({"city": [440300, 320500], "city_name": ["深圳市", "苏州市"]})
    assert figures.city_names_en(cities) == {440300: "Shenzhen", 320500: "Suzhou"}


def test_clusters_label_cities_by_name_and_write_them(analysis):
    names = {440100: "Guangzhou", 440300: "Shenzhen", 310100: "Shanghai", 320500: "Suzhou",
             110100: "Beijing", 420100: "Wuhan", 510100: "Chengdu"}
    fig, data = figures.clusters(analysis, 5, names, {17: "Textiles"})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks and set(ticks) <= set(names.values())
    assert set(data["city_name"]) <= set(names.values())
    assert {"city", "industry2", "location_quotient"} <= set(data.columns)


def test_smile_curve_names_industries_whole_and_panel_b_varies(analysis):
    long_name = "Communication equipment computers and other electronic equipment"
    df = analysis.copy()
    # Labour-intensive industries in captive-network cities have a lower ratio (as in the DGP).
    df["open_network"] = np.where(df["city"].isin([440100, 310100, 110100]), 0.8, 0.2)
    li = df["industry2"].isin(figures.LABOUR_INTENSIVE_CIC)
    df.loc[li & (df["open_network"] < 0.5), "va_ratio"] -= 0.08
    fig, data = figures.smile_curve(df, {40: long_name, 17: "Textiles"})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    joined = [lab.replace("\n", " ") for lab in labels]
    assert f"40 {long_name}" in joined  # wrapped at spaces, nothing cut
    assert all(len(line) <= figures.SMILE_LABEL_CHARS for lab in labels for line in lab.split("\n"))
    b = data[data["panel"].str.startswith("(b)")]
    groups = b.groupby("group")["value"].mean()
    assert len(groups) == 4
    captive_li = groups[[g for g in groups.index if g.startswith("Textiles") and "captive" in g]].iloc[0]
    assert captive_li < groups.drop(groups.index[groups.index.str.contains("captive") &
                                                  groups.index.str.startswith("Textiles")]).min()


def test_smile_curve_says_where_a_group_has_no_firms(analysis):
    """An industry without foreign-invested firms has no diamond: its label and the CSV say why."""
    df = analysis[~((analysis["industry2"] == 17) & ~analysis["domestic"].astype(bool))]
    fig, data = figures.smile_curve(df, {17: "Textiles"})
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert "17 Textiles (no foreign-invested firms)" in labels
    assert sum("(no " in lab for lab in labels) == 1
    gap = data[(data["industry2"] == 17) & (data["group"] == "Foreign-invested")]
    assert gap["value"].isna().all() and gap["note"].str.startswith("no firms").all()
    assert "Domestic firms by year" in fig.subfigs[1].get_suptitle()


def test_recovery_rows_are_grouped_by_model_and_the_axis_names_the_standard_errors():
    val = pd.DataFrame({"family": ["validation"] * 3, "model": ["structural", "structural", "local"],
                        "term": ["backward", "backward:post2002", "backward"], "estimate": [0.5, 0.3, 0.4],
                        "std_error": [0.1, 0.1, 0.1], "ci_low": [0.29, 0.09, 0.2], "ci_high": [0.71, 0.51, 0.6],
                        "truth": [0.6, 0.4, 0.5]})
    labels = {"backward": "Backward", "post2002": "post-2002", "industry2": "Industry"}
    est = pd.DataFrame({"family": ["validation"] * 2, "model": ["structural", "local"],
                        "vcov": ["CRV1:industry2"] * 2})
    fig, data = figures.recovery(val, labels, {"validation/structural": "Validation: Structural",
                                               "validation/local": "Validation: Local"}, est)
    ticks = fig.axes[0].get_yticklabels()
    # One heading per model, its terms below it: no term label repeats within a group.
    assert [t.get_text() for t in ticks] == ["Structural", "Backward", "Backward \u00d7 post-2002", "Local", "Backward"]
    assert [t.get_fontweight() for t in ticks][::3] == ["bold", "bold"]
    assert "CRV1 standard errors clustered by industry" in fig.axes[0].get_xlabel()
    assert "t(G\u22121)" in fig.axes[0].get_xlabel()
    assert list(data["truth"]) == [0.6, 0.4, 0.5] and list(data["ci_low"]) == [0.29, 0.09, 0.2]
    assert set(data["standard_errors"]) == {"CRV1 standard errors clustered by industry"}


def test_recovery_draws_the_bootstrap_interval_where_there_is_one_and_keeps_the_estimand_visible():
    val = pd.DataFrame({"family": ["validation"] * 2, "model": ["structural"] * 2, "term": ["backward", "forward"],
                        "estimate": [0.5, 0.3], "std_error": [0.1, 0.1], "ci_low": [0.29, 0.09],
                        "ci_high": [0.71, 0.51], "truth": [0.5, 0.4], "ci_low_wild": [0.2, np.nan],
                        "ci_high_wild": [0.8, np.nan]})
    fig, data = figures.recovery(val, {})
    ax = fig.axes[0]
    wide = [c for c in ax.collections if max(c.get_linewidths(), default=0) >= 3.0]
    assert sum(len(c.get_segments()) for c in wide) == 1  # only the row with a bootstrap interval
    assert data["ci_low_wild"].tolist()[0] == 0.2
    # The estimand's marker is hollow and drawn under the estimate's dot.
    diamonds = [c for c in ax.collections if c.get_label() == "Estimand (truth)"]
    assert diamonds and len(diamonds[0].get_facecolors()) == 0 and diamonds[0].get_zorder() < 3
    import matplotlib.pyplot as plt

    plt.close("all")


def test_legend_names_keep_the_family_only_when_models_span_families():
    labels = {"baseline/firm_year": "Baseline: Firm, year", "validation/local": "Validation: Local"}
    assert figures.legend_names([("baseline", "firm_year")], labels) == {("baseline", "firm_year"): "Firm, year"}
    both = figures.legend_names([("baseline", "firm_year"), ("validation", "local")], labels)
    assert both[("validation", "local")] == "Validation: Local"
    assert figures.legend_names([("a_b", "c_d")], {}) == {("a_b", "c_d"): "a b c d"}


def test_spec_curve_clips_a_wide_interval_and_says_so():
    est = pd.DataFrame({"family": ["f"] * 5, "model": list("abcde"), "term": ["backward"] * 5,
                        "estimate": [0.1, 0.2, 0.3, 0.25, 0.15], "std_error": [0.05, 0.05, 0.05, 0.05, 2.0]})
    est = _with_t_intervals(est)
    fig, data = figures.spec_curve(est, "backward", "Backward")
    lo, hi = fig.axes[0].get_ylim()
    assert hi < 0.3 + 1.96 * 2.0 and lo > 0.15 - 1.96 * 2.0  # the wide interval does not set the axis
    assert lo < 0.0 < hi
    assert dict(zip(data["model"], data["clipped"])) == {"a": False, "b": False, "c": False, "d": False, "e": True}
    assert any("cut at the axis" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_spec_curve_marks_the_main_term_of_an_interacted_model_as_conditional():
    est = pd.DataFrame({"family": ["f", "f", "g", "g"], "model": ["a", "b", "c", "c"],
                        "term": ["backward", "backward", "backward", "backward:post2002"],
                        "estimate": [0.3, 0.2, 0.8, -0.4], "std_error": [0.05, 0.05, 0.05, 0.05]})
    fig, data = figures.spec_curve(_with_t_intervals(est), "backward", "Backward")
    assert dict(zip(data["model"], data["conditional"])) == {"a": False, "b": False, "c": True}
    assert any("Hollow" in t.get_text() and "1 model with an interaction" in t.get_text()
               for t in fig.axes[0].get_legend().get_texts())


def test_spec_curve_axis_follows_the_average_effects_not_a_far_conditional_one():
    """A main term at -16 of an interacted model (an effect where the other variable is zero) does
    not set the axis: it is drawn at the edge, and the legend and the CSV say so."""
    est = pd.DataFrame({"family": ["f", "f", "g", "g"], "model": ["a", "b", "c", "c"],
                        "term": ["backward", "backward", "backward", "backward:frontier"],
                        "estimate": [0.8, 1.2, -16.3, 20.0], "std_error": [0.2, 0.3, 3.0, 4.0]})
    fig, data = figures.spec_curve(_with_t_intervals(est), "backward", "Backward")
    lo, hi = fig.axes[0].get_ylim()
    assert -3 < lo < 0 < 1.2 < hi < 4
    assert dict(zip(data["model"], data["point_beyond_axis"])) == {"a": False, "b": False, "c": True}
    assert any("beyond the axis, drawn at its edge (1 model)" in t.get_text()
               for t in fig.axes[0].get_legend().get_texts())
    import matplotlib.pyplot as plt

    plt.close("all")


def test_coefficients_draw_the_bootstrap_interval_the_text_follows(baseline_est):
    """Where a model has a wild cluster bootstrap interval, it is drawn (thick) over the t(G-1)
    interval, the axis says so, and the CSV keeps both."""
    est = _with_t_intervals(baseline_est) if "ci_low" not in baseline_est else baseline_est
    est = est.assign(ci_low_wild=est["estimate"] - 0.5, ci_high_wild=est["estimate"] + 0.7)
    fig, data = figures.coefficients(est, ["backward"], {})
    assert "wild cluster bootstrap" in fig.axes[0].get_xlabel()
    assert {"ci_low", "ci_high", "ci_low_wild", "ci_high_wild"} <= set(data.columns)
    wide = [c for c in fig.axes[0].collections if max(c.get_linewidths()) >= 3.0]
    assert sum(len(c.get_segments()) for c in wide) == len(data)  # one bar per model and term
    fig, data = figures.coefficients(baseline_est.drop(columns=["ci_low_wild", "ci_high_wild"], errors="ignore"),
                                     ["backward"], {})
    assert "wild" not in fig.axes[0].get_xlabel()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_spec_curve_draws_identical_specifications_once():
    """A model two families repeat (same outcome, terms, effects, vcov, sample) is one point, marked in both."""
    base = {"depvar": "tfp_acf", "vcov": "CRV1:industry2", "sample": "domestic", "nobs": 100}
    rows = []
    for fam, mod, fe, b in [("baseline", "firm_year", "firm_id+year", 0.30), ("robustness", "tfp_acf", "firm_id+year", 0.30),
                            ("robustness", "city", "firm_id+city^year", 0.20), ("grid", "g1", "firm_id+year", 0.30)]:
        for term, est in (("backward", b), ("forward", 0.1)):
            rows.append(base | {"family": fam, "model": mod, "term": term, "estimate": est, "std_error": 0.05,
                                "fixed_effects": fe})
    est = _with_t_intervals(pd.DataFrame(rows))
    fig, data = figures.spec_curve(est, "backward", "Backward")
    assert len(data) == 2
    assert data.loc[data["model"] == "firm_year", "same_as"].item() == "robustness/tfp_acf; grid/g1"
    assert "(2 distinct of the 4 models below that estimate it)" in fig.axes[1].get_xlabel()
    marks = fig.axes[1].collections[0].get_offsets()
    assert len(marks) == 4  # firm_year in baseline, robustness and grid; city in robustness


def test_clusters_order_cities_by_region_then_output_in_legible_type(analysis):
    """Coastal to inland regions, the largest city first within each; names at 7 pt or more at
    print size (the figure is set at the text width, so its own sizes are about the printed ones)."""
    names = {440100: "Guangzhou", 440300: "Shenzhen", 310100: "Shanghai", 320500: "Suzhou",
             110100: "Beijing", 420100: "Wuhan", 510100: "Chengdu"}
    fig, data = figures.clusters(analysis, 7, names, labels={"prd": "Pearl River Delta"})
    rows = data.drop_duplicates("city").sort_values("row")
    rank = rows["region"].map(figures.REGION_ORDER.index).tolist()
    assert rank == sorted(rank)
    last = analysis[analysis["year"] == analysis["year"].max()]
    output = last.groupby("city")["output"].sum()
    for _, cities in rows.groupby("region"):
        assert output[cities["city"]].is_monotonic_decreasing
    ax = fig.axes[0]
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == [names.get(c, str(c)) for c in rows["city"]]
    assert min(t.get_fontsize() for t in ticks + ax.get_xticklabels()) >= 7
    assert "Pearl River Delta" in [t.get_text().replace("\n", " ") for t in ax.texts]
    assert fig.get_size_inches()[0] <= 6.5  # set at (about) its own width in the paper


def test_clusters_grey_where_no_firms_and_scale_centred_on_one(analysis):
    fig, data = figures.clusters(analysis, 5)
    im = fig.axes[0].images[0]
    lo, hi = im.get_clim()
    assert lo == -hi == -np.log2(figures.LQ_CLIP)  # LQ = 1 sits in the middle of the scale
    assert tuple(im.cmap.get_bad()[:3]) != (1.0, 1.0, 1.0)  # no firms is not the white of LQ = 1
    assert "grey: no firms" in fig.axes[0].get_title()


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def test_smile_curve_labels_do_not_collide_and_panel_b_has_room(analysis):
    """Every industry name of panel (a) clear of its neighbours (two-line names included, 29
    industries as in the data); panel (b) at least half the figure's width, a tick for every year,
    and its legend beside the axes, not on them."""
    df = analysis.copy()
    codes = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
             39, 40, 41, 42]
    df["industry2"] = np.array(codes)[df["firm_id"].to_numpy() % len(codes)]
    df["open_network"] = np.where(df["city"].isin([440100, 310100, 110100]), 0.8, 0.2)
    names = {c: f"Industry {c}" for c in codes}
    names.update({20: "Timber, wood, bamboo, rattan, palm and straw products",
                  40: "Communication equipment, computers and other electronic equipment",
                  41: "Instruments, meters, cultural and office machinery"})
    fig, _ = figures.smile_curve(df, names)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax1, ax2, key = fig.axes
    ticks = ax1.get_yticklabels()
    assert len(ticks) == len(codes) and sum("\n" in t.get_text() for t in ticks) >= 2
    assert not _overlaps([t.get_window_extent(renderer) for t in ticks])
    assert ax2.get_position().width >= 0.5
    years = sorted(df["year"].unique())
    assert [int(t) for t in ax2.get_xticks()] == years
    assert not _overlaps([t.get_window_extent(renderer) for t in ax2.get_xticklabels()])
    legend = key.get_legend()
    assert legend is not None and len(legend.get_texts()) == 4
    assert not legend.get_window_extent(renderer).overlaps(ax2.get_window_extent(renderer))
    assert fig.get_size_inches()[1] <= 7.4


def _with_cluster_rule(analysis, rule):
    from upgrading.core.clusters import cluster_indicator

    return analysis.assign(cluster=cluster_indicator(analysis["location_quotient"], analysis["n_firms_cell"],
                                                     analysis["location_quotient"] * np.nan, rule.lq_threshold,
                                                     rule.cluster_min_firms, None))


def test_clusters_outline_the_cells_of_the_cluster_rule_and_name_it(analysis):
    """The outlined cells are the cells the regressions' indicator marks, the legend states the
    rule with the thresholds of the settings given, and the axis says which cities are shown."""
    from upgrading.core.cluster_rule import ClusterRule

    rule = ClusterRule(lq_threshold=1.1, cluster_min_firms=3)
    df = _with_cluster_rule(analysis, rule)
    fig, data = figures.clusters(df, 5, rule=rule)
    ax = fig.axes[0]
    last = df[df["year"] == df["year"].max()]
    expected = data[(data["location_quotient"] >= 1.1) & (data["n_firms_cell"] >= 3)]
    assert len(expected) and (data["cluster"] == ((data["location_quotient"] >= 1.1)
                                                   & (data["n_firms_cell"] >= 3)).astype(int)).all()
    cols = {c: i for i, c in enumerate(sorted(data["industry2"].unique()))}
    drawn = sorted((round(p.get_x() + p.get_width() / 2), round(p.get_y() + p.get_height() / 2))
                   for p in ax.patches)
    assert drawn == sorted((cols[i], r - 1) for i, r in zip(expected["industry2"], expected["row"]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Outlined: cluster cells of the regressions' indicator (LQ \u2265 1.1 with \u2265 3 firms)"]
    assert f"The 5 largest of the {last['city'].nunique()} cities by output in 2007" in ax.get_ylabel()


def test_clusters_refuse_an_indicator_that_does_not_follow_the_rule(analysis):
    from upgrading.core.cluster_rule import ClusterRule

    with pytest.raises(InputError, match="does not follow the cluster rule"):
        figures.clusters(analysis, 5, rule=ClusterRule(lq_threshold=0.5, cluster_min_firms=1))


def test_smile_curve_fits_the_page_and_uses_an_en_dash(analysis):
    fig, data = figures.smile_curve(analysis)
    assert fig.get_size_inches()[1] <= 7.4
    assert any("17\u201319" in str(g) for g in data["group"].dropna())


def test_spec_curve_keeps_models_that_only_share_the_formula():
    """2SLS and OLS with the same terms (the tidy file has no IV flag) stay two specifications."""
    rows = [{"family": fam, "model": "m", "term": "backward", "estimate": b, "std_error": 0.1, "depvar": "tfp_acf",
             "fixed_effects": "firm_id+year", "vcov": "CRV1:industry2", "sample": "domestic", "nobs": 100}
            for fam, b in (("hmt_vs_other", 1.27), ("policy_iv", 0.95))]
    _, data = figures.spec_curve(_with_t_intervals(pd.DataFrame(rows)), "backward", "Backward")
    assert len(data) == 2 and (data["same_as"] == "").all()


T29 = 2.045229642132703  # t(0.975) with 29 degrees of freedom: 30 clusters


def _with_t_intervals(est: pd.DataFrame) -> pd.DataFrame:
    return est.assign(ci_low=est["estimate"] - T29 * est["std_error"],
                      ci_high=est["estimate"] + T29 * est["std_error"])


def test_estimate_figures_draw_the_tables_t_intervals(event_est, baseline_est):
    """Event study, coefficient plot and specification curve use the estimates' own ci_low/ci_high
    (t with G-1 degrees of freedom, as the tables' t test), not estimate +- 1.96 s.e., and say so."""
    ev = _with_t_intervals(event_est)
    fig, data = figures.event_study(ev, ref_year=2001)
    est_rows = data[~data["reference_year"]]
    assert np.allclose(est_rows["ci_high"] - est_rows["estimate"], T29 * est_rows["std_error"])
    assert "t(G\u22121)" in fig._suptitle.get_text()
    base = _with_t_intervals(baseline_est)
    fig, data = figures.coefficients(base, ["backward"], {})
    assert np.allclose(data["ci_high"] - data["estimate"], T29 * data["std_error"])
    assert "t(G\u22121) as in the tables" in fig.axes[0].get_xlabel()
    with pytest.raises(InputError, match="ci_low"):
        figures.event_study(event_est.drop(columns=["ci_low", "ci_high"]), ref_year=2001)


def test_ownership_shares_are_stacked_bands_named_at_their_ends(analysis):
    """Figure 1(b): no crossing lines and no legend: one band per ownership type, its name beside it."""
    fig, data = figures.foreign_presence(analysis, {"soe": "SOE", "hmt": "HMT"})
    ax = fig.axes[1]
    assert ax.get_legend() is None and not ax.get_lines()
    names = [t.get_text() for t in ax.texts]
    assert "SOE" in names and "HMT" in names and len(names) == len(set(names))
    heights = sorted(t.get_position()[1] for t in ax.texts)
    assert min(np.diff(heights)) >= 0.075 - 1e-9  # the names do not overlap
    b = data[data["panel"].str.startswith("(b)")]
    assert np.allclose(b.groupby("year")["value"].sum(), 1.0)


def test_spread_positions_keeps_labels_apart_and_in_order():
    out = figures.spread_positions([0.02, 0.05, 0.5, 0.97, 0.99], 0.1)
    assert all(b - a >= 0.1 - 1e-12 for a, b in zip(out, out[1:]))
    assert out[2] == 0.5


def test_axis_limits_keep_zero_when_every_interval_is_on_one_side():
    lo, hi = figures.clip_limits(np.array([1.0, 1.2]), np.array([0.9, 1.1]), np.array([1.1, 1.3]))
    assert lo < 0.0 < 1.3 <= hi


def test_coefficients_draw_bootstrap_bars_only_for_the_models_that_have_them(baseline_est):
    est = baseline_est.assign(ci_low_wild=baseline_est["estimate"] - 0.5, ci_high_wild=baseline_est["estimate"] + 0.7)
    est.loc[est["model"] == est["model"].iloc[0], ["ci_low_wild", "ci_high_wild"]] = np.nan
    fig, data = figures.coefficients(est, ["backward"], {})
    wide = [c for c in fig.axes[0].collections if max(c.get_linewidths()) >= 3.0]
    assert sum(len(c.get_segments()) for c in wide) == len(data) - 1
    import matplotlib.pyplot as plt

    plt.close("all")


def test_smile_curve_draws_the_two_groups_apart_so_neither_hides_the_other(analysis):
    fig, _ = figures.smile_curve(analysis)
    dom, fie = (c for c in fig.axes[0].collections if c.get_label() in ("Domestic", "Foreign-invested"))
    ys_dom, ys_fie = dom.get_offsets()[:, 1], fie.get_offsets()[:, 1]
    assert len(ys_dom) and len(ys_fie)
    assert set(np.round(ys_fie - 2 * figures.SMILE_GROUP_OFFSET, 6)) <= set(np.round(ys_dom, 6))
    import matplotlib.pyplot as plt

    plt.close("all")
