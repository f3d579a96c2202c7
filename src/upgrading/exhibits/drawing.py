"""Which figure is drawn from which inputs: the figure plan (upgrading.exhibits.plan.figures)
applied to the analysis table, the estimates and the side files."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from upgrading.core.cluster_rule import ClusterRule
from upgrading.core.errors import InputError
from upgrading.exhibits import figures

ANALYSIS_COLUMNS = ["firm_id", "year", "city", "region", "industry2", "ownership", "domestic",
                    "foreign_share", "output", "va_ratio", "location_quotient", "n_firms_cell", "cluster"]
# Read when present; the smile curve's panel (b) says so in its title when it is absent or empty.
OPTIONAL_ANALYSIS_COLUMNS = ["open_network"]


def analysis_columns(available: set[str]) -> list[str]:
    """Columns of the analysis table the data figures read, given the ones it has."""
    return ANALYSIS_COLUMNS + [c for c in OPTIONAL_ANALYSIS_COLUMNS if c in available]


def drawers(plan: dict, analysis: pd.DataFrame, est: pd.DataFrame, estimates_file: str,
            industry_names: dict, city_names: dict,
            validation: pd.DataFrame | None) -> dict[str, Callable]:
    """{figure name: function returning (figure, plotted data)}; registry figures and the
    specification curve get the estimates of their plan's models (an error names
    `estimates_file` when there are none)."""
    labels = plan.get("labels") or {}
    draw: dict[str, Callable] = {}
    draw["foreign_presence"] = lambda: figures.foreign_presence(analysis, labels)
    draw["smile_curve"] = lambda: figures.smile_curve(analysis, industry_names, plan["shock_year"])
    # The cluster rule of the measures stage (the plan carries its settings), which the figure outlines.
    rule = ClusterRule.from_section(plan.get("cluster_rule"))
    draw["clusters"] = lambda: figures.clusters(analysis, plan["cluster_cities"], city_names, industry_names,
                                                 labels, rule)
    for key, entry in plan["registry"].items():
        pairs = {tuple(p) for p in entry["models"]}
        sub = est[[(f, m) in pairs for f, m in zip(est["family"], est["model"])]]
        if sub.empty:
            raise InputError(f"figure {key}: no estimates for models {sorted(pairs)}", file=estimates_file)
        if key == plan["event_figure"]:
            draw[key] = lambda sub=sub: figures.event_study(sub, plan["event_ref_year"], plan["shock_year"],
                                                            plan.get("model_labels"))
        else:
            draw[key] = lambda sub=sub, entry=entry: figures.coefficients(sub, entry["terms"], labels,
                                                                          plan.get("model_labels"))
    term = plan["headline_term"]
    pairs = {tuple(p) for p in plan["curve_models"]}
    curve = est[[(f, m) in pairs for f, m in zip(est["family"], est["model"])]]
    if (curve["term"] == term).sum() == 0:
        raise InputError(f"spec curve: no estimate of term {term!r}", file=estimates_file, column="term")
    draw["spec_curve"] = lambda: figures.spec_curve(curve, term, labels.get(term, term),
                                                    plan.get("family_titles"))
    if validation is not None:
        draw["recovery"] = lambda: figures.recovery(validation, labels, plan.get("model_labels"), est)
    return draw
