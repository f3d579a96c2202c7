"""The summary-statistics table: the headline model's estimation sample (sample definition and
missing values as the estimator), statistics pinned on a small constructed panel, every row of
the analysis table counted, and the plan read from the real registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upgrading.core.errors import InputError
from upgrading.exhibits import summary_stats

from .builders import compile_latex

PLAN = {
    "title": "Summary statistics of the estimation sample, by ownership",
    "model": "baseline/firm_year", "model_label": "Baseline: Firm, year", "table": "baseline",
    "outcome": "tfp_acf", "regressors": ["backward"], "fixed_effect_columns": ["firm_id", "year"],
    "cluster_columns": ["industry2"], "sample": [{"column": "domestic", "equals": True}],
    "sample_text": "domestic firm-years", "sample_label": "Estimation sample: domestic firm-years",
    "panel": {"id": "firm_id", "time": "year"}, "group_column": "ownership",
    "groups": ["soe", "collective", "private", "hmt", "foreign"],
    "variables": [["tfp_acf", "outcome"], ["backward", "presence"], ["absorptive_capacity", "control"]],
    "labels": {"tfp_acf": "TFP (ACF)", "backward": "Backward", "soe": "SOE", "private": "Private"},
    "digits": 3,
}


def _panel() -> pd.DataFrame:
    """Firm 1 (SOE) three years, firm 2 (private) three years with backward missing in the last,
    firm 3 foreign-invested (outside the domestic sample) two years."""
    return pd.DataFrame({
        "firm_id": [1, 1, 1, 2, 2, 2, 3, 3], "year": [1, 2, 3, 1, 2, 3, 1, 2],
        "industry2": [13, 13, 13, 14, 14, 14, 13, 13],
        "ownership": ["soe"] * 3 + ["private"] * 3 + ["foreign"] * 2,
        "domestic": [True] * 6 + [False] * 2,
        "tfp_acf": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0, 11.0],
        "backward": [0.1, 0.2, 0.3, 0.1, 0.2, np.nan, 0.5, 0.5],
        "absorptive_capacity": [0.5, np.nan, 1.5, 1.0, 2.0, 3.0, 0.0, 0.0],
    })


def test_statistics_are_pinned_on_a_small_panel():
    stats, counts = summary_stats.compute(_panel(), PLAN)
    assert counts == {"analysis": 8, "outside_sample": 2, "missing_variable": 1, "kept": 5,
                      "groups": {"all": 5, "soe": 3, "private": 2}}
    tfp = stats[stats["variable"] == "tfp_acf"].set_index("group")
    assert tfp.loc["all", "n"] == 5
    assert tfp.loc["all", ["mean", "sd", "p10", "p50", "p90"]].tolist() == pytest.approx(
        [3.0, np.sqrt(2.5), 1.4, 3.0, 4.6])
    assert tfp.loc["soe", ["mean", "sd", "p10", "p50", "p90"]].tolist() == pytest.approx([2.0, 1.0, 1.2, 2.0, 2.8])
    assert tfp.loc["private", ["mean", "sd", "p10", "p50", "p90"]].tolist() == pytest.approx(
        [4.5, np.sqrt(0.5), 4.1, 4.5, 4.9])
    # A control the model does not need is counted where observed (N 4 of the 5 firm-years).
    ac = stats[(stats["variable"] == "absorptive_capacity") & (stats["group"] == "all")].iloc[0]
    assert ac["n"] == 4 and ac["mean"] == pytest.approx(1.25)
    assert list(stats["group"].drop_duplicates()) == ["all", "soe", "private"]
    assert list(stats.loc[stats["group"] == "soe", "group_label"].unique()) == ["SOE"]


def test_table_renders_counts_every_row_and_compiles(tmp_path):
    tex, csv = summary_stats.render(_panel(), PLAN)
    assert r"\label{tab:summary_stats}" in tex and r"\begin{table}[tbp]" in tex
    # One row per variable: the whole sample's statistics, then each ownership group's mean.
    assert r"\quad TFP (ACF) & 5 & 3.000 & 1.581 & 1.400 & 3.000 & 4.600 & 2.000 & 4.500 \\" in tex
    assert r"\quad Backward & 5 & 0.180 & 0.084 & 0.100 & 0.200 & 0.260 & 0.200 & 0.150 \\" in tex
    assert r" & N & Mean & SD & p10 & p50 & p90 & SOE & Private \\" in tex
    assert r" &  &  &  &  &  &  & (3) & (2) \\" in tex
    assert r"\multicolumn{9}{l}{\textit{Controls}} \\" in tex
    assert tex.count(r"\quad ") == 3
    assert "Of the 8 firm-years of the analysis table, 2 are outside the sample definition and 1 lack" in tex
    assert r"Table~\ref{tab:baseline}" in tex
    assert list(csv.columns) == ["group", "group_label", "role", "variable", "label", "n", "mean", "sd",
                                 "p10", "p50", "p90"]
    assert len(csv) == 3 * 3
    compile_latex(tmp_path, r"\usepackage{booktabs}\usepackage{adjustbox}",
                  tex.replace(r"Table~\ref{tab:baseline}", "Table 3"))


def test_missing_column_and_unknown_group_are_errors():
    with pytest.raises(InputError, match="absorptive_capacity"):
        summary_stats.compute(_panel().drop(columns="absorptive_capacity"), PLAN)
    bad = _panel()
    bad.loc[0, "ownership"] = "mystery"
    with pytest.raises(InputError, match="mystery"):
        summary_stats.compute(bad, PLAN)


def test_plan_from_the_registry_describes_the_headline_model():
    """The real registry: the baseline firm-and-year model, its domestic sample, the outcomes and
    presence measures of the headline families and the controls of the models on that sample."""
    import yaml

    from upgrading.core import registry
    from upgrading.exhibits import plan, settings

    spec = registry.load("config/specs.yaml")
    cfg = yaml.safe_load(open("config/config.yaml", encoding="utf-8"))
    fams = [registry.resolve_family(spec, f) for f in registry.family_ids(spec)]
    p = plan.summary(fams, settings.from_mapping(cfg.get("exhibits")), spec.get("samples"))
    assert p["model"] == "baseline/firm_year" and p["table"] == "baseline"
    assert p["sample"] == [{"column": "domestic", "equals": True}]
    roles = dict((v, r) for v, r in p["variables"])
    assert roles["tfp_acf"] == "outcome" and roles["export_intensity"] == "outcome"
    assert roles["backward"] == "presence" and roles["cluster"] == "control"
    # absorptive capacity enters only through interactions (the firm effects absorb its own term)
    assert "absorptive_capacity" not in roles
    assert roles["horizontal"] == "presence"  # also the first stage's outcome
    assert roles["encouraged_post"] == "instrument"  # a regressor of the first stage, not a presence measure
    assert p["fixed_effect_columns"] == ["firm_id", "year"] and p["cluster_columns"] == ["industry2"]
