"""Exhibit plans from the registry: table columns in registry order, overrides, reserved names, figures."""

from __future__ import annotations

import pytest

from upgrading.exhibits import plan
from upgrading.exhibits.settings import Settings, from_mapping


def _fam(fid, models, engine="pyfixest", title=None):
    return {"id": fid, "title": title or fid.title(), "engine": engine, "models": models}


def _m(mid, **kw):
    base = {"id": mid, "outcome": "tfp_acf", "regressors": ["backward"], "table": None, "figure": None,
            "label": None}
    return {**base, **kw}


FAMS = [
    _fam("a", [_m("m1", table="t1", figure="coefs"), _m("m2", table="t1", label="Two")]),
    _fam("b", [_m("m1", table="t1"), _m("x", table="t2", outcome="va_ratio", figure="event_study",
                                        regressors=["i(year, encouraged, ref=2001)"])]),
    _fam("c", [_m("g", figure="spec_curve")], engine="pyfixest"),
    _fam("d", [_m("p", table="t3")], engine="statsmodels"),
]


def test_table_plans_group_models_across_families_in_order():
    plans = plan.tables(FAMS, from_mapping({"tables": {"t2": {"title": "Custom", "notes": "n"}}}))
    assert list(plans) == ["t1", "t2", "t3"]
    assert plans["t1"]["families"] == ["a", "b"]
    assert [(c["family"], c["model"], c["header"]) for c in plans["t1"]["spec"]["columns"]] == [
        ("a", "m1", ""), ("a", "m2", "Two"), ("b", "m1", "")]
    assert plans["t1"]["spec"]["title"] == "A"  # first family's title by default
    assert plans["t2"]["spec"]["title"] == "Custom" and plans["t2"]["spec"]["notes"] == "n"


def test_reserved_table_name_rejected():
    with pytest.raises(ValueError, match="reserved"):
        plan.tables([_fam("a", [_m("m", table="specs_appendix")])], Settings())


def test_figure_plan():
    fp = plan.figures(FAMS, Settings(), synthetic=False)
    assert fp["names"] == ["foreign_presence", "smile_curve", "clusters", "coefs", "event_study", "spec_curve"]
    assert fp["registry"]["coefs"]["models"] == [["a", "m1"]]
    # the curve: pyfixest models with the headline term and a TFP outcome (not b/x, not the probit)
    assert fp["curve_models"] == [["a", "m1"], ["a", "m2"], ["b", "m1"], ["c", "g"]]
    assert "recovery" in plan.figures(FAMS, Settings(), synthetic=True)["names"]
    assert plan.figure_families(fp) == ["a", "b", "c"]
    # The measures stage's cluster rule travels with the plan (the cluster view outlines its cells).
    rule = {"lq_threshold": 1.5, "cluster_min_firms": 3, "eg_threshold": None, "cluster_year": "current"}
    assert plan.figures(FAMS, Settings(), synthetic=False, cluster_rule=rule)["cluster_rule"] == rule


def test_table_columns_carry_sample_and_canonical_terms():
    fam = {"id": "r", "title": "R", "models": [
        {"id": "lags", "table": "t", "sample": "domestic", "label": "",
         "regressors": ["l(backward, 1)", "i(year, encouraged, ref=2001)"], "controls": ["absorptive_capacity"]}]}
    plans = plan.tables([fam], Settings(), {"domestic": [{"column": "domestic", "equals": True}]})
    col = plans["t"]["spec"]["columns"][0]
    assert col["sample"] == "domestic"
    assert col["terms"] == ["l(backward,1)", "absorptive_capacity"]  # as the tidy file names them
    assert plans["t"]["spec"]["samples"] == {"domestic": "domestic = yes"}
