"""The truth is consistent with the contract: survey threshold, value added, capital,
ownership rule, spillover measures (shared formulas), production, estimands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from upgrading.core import spillovers as sp

from .conftest import YEARS, money


@pytest.fixture(scope="module")
def clean(raw, truth):
    df = raw.merge(truth, on=["source_file", "source_row", "year"], validate="1:1")
    return df[df["defect"].astype(str) == ""].copy()


@pytest.fixture(scope="module")
def deflators(world):
    return pd.read_csv(world / "deflators.csv").set_index(["industry2", "year"])


def _defl(df, deflators, col):
    return deflators[col].reindex(pd.MultiIndex.from_arrays([df["true_industry2"], df["year"]])).to_numpy()


def test_threshold_respected(clean, params):
    sales = money(clean["sales"])
    state_exempt = (clean["true_ownership"].astype(str) == "soe") & (clean["year"] <= params["state_exempt_until"])
    assert (sales[~state_exempt] >= params["threshold_sales"]).all()
    assert (sales[state_exempt] < params["threshold_sales"]).any()  # small SOEs are surveyed


def test_double_deflation_gives_true_value_added(clean, deflators):
    real_va = money(clean["output"]) / _defl(clean, deflators, "output_deflator") \
        - money(clean["intermediate"]) / _defl(clean, deflators, "input_deflator")
    assert np.allclose(real_va, clean["true_value_added"], rtol=1e-3, atol=0.2)
    has_va = clean["value_added"].notna() & (clean["value_added"] != "")
    assert np.allclose(money(clean.loc[has_va, "value_added"]),
                       money(clean.loc[has_va, "output"]) - money(clean.loc[has_va, "intermediate"]), atol=0.11)


def test_book_values_follow_accounting_identities(clean, deflators, params):
    """Original value - accumulated depreciation = net value; accumulated depreciation grows by the
    year's depreciation = accounting rate x last year's net value; original value grows by nominal
    investment, which deflated is the change in true real capital (perpetual inventory)."""
    df = clean.sort_values(["true_firm_id", "year"]).copy()
    ofa, nfa = money(df["original_fixed_assets"]), money(df["net_fixed_assets"])
    acc, dep = money(df["depreciation_accumulated"]), money(df["depreciation_current"])
    assert np.allclose(ofa - acc, nfa, atol=0.051)
    assert (acc >= 0).all() and (nfa > 0).all() and (ofa >= nfa).all()
    prev = df.groupby("true_firm_id").shift(1)
    consecutive = (prev["year"] == df["year"] - 1).to_numpy()
    assert consecutive.sum() > 1000
    p_ofa, p_nfa, p_acc = (money(prev[c].fillna("")).to_numpy()[consecutive]
                           for c in ("original_fixed_assets", "net_fixed_assets", "depreciation_accumulated"))
    d = params["book_values"]["depreciation_rate"]
    assert np.allclose(acc.to_numpy()[consecutive], p_acc + dep.to_numpy()[consecutive], atol=0.16)
    assert np.allclose(dep.to_numpy()[consecutive], d * p_nfa, rtol=1e-6, atol=0.06)
    inv = ofa.to_numpy()[consecutive] - p_ofa
    assert (inv >= -0.1).all()  # no retirements: the original value never falls
    pinv = _defl(df, deflators, "investment_deflator")[consecutive]
    k, k_prev = df["true_capital"].to_numpy()[consecutive], prev["true_capital"].to_numpy()[consecutive]
    assert np.allclose((1 - params["delta"]) * k_prev + inv / pinv, k, rtol=1e-4, atol=0.2)


def test_book_values_are_at_historical_cost(clean, deflators):
    """The net value at today's price is not real capital: old vintages were bought cheaper."""
    pinv = _defl(clean, deflators, "investment_deflator")
    gap = np.log(money(clean["net_fixed_assets"]) / pinv / clean["true_capital"])
    age = clean["year"] - pd.to_numeric(clean["founding_year"])
    assert gap.std() > 0.03
    assert gap[age >= 20].mean() < gap[age <= 2].mean() - 0.05


def test_ownership_rule_recovers_true_ownership(clean):
    reg = clean["reg_type"].astype(int)
    paid = money(clean["paid_in_capital"])
    hmt, fgn, state = (money(clean[c]) / paid for c in ("capital_hmt", "capital_foreign", "capital_state"))
    own = np.select(
        [(reg // 100 == 2) | ((hmt >= 0.25) & (hmt > fgn)), (reg // 100 == 3) | (fgn >= 0.25),
         (reg.isin([110, 141, 151])) & (state >= 0.5), reg.isin([120, 130, 142])],
        ["hmt", "foreign", "soe", "collective"], "private")
    assert (own == clean["true_ownership"].astype(str).to_numpy()).all()
    assert np.allclose(hmt, clean["true_hmt_share"], atol=1e-3)
    assert ((hmt == 0) & (fgn == 0)).to_numpy().tolist() == clean["domestic"].tolist()


def test_truth_measures_are_the_shared_formulas(truth, world):
    once = truth[~truth["defect"].astype(str).isin(["duplicate_row", "conflict_duplicate"])]
    firms = pd.DataFrame({"industry2": once["true_industry2"], "year": once["year"], "city": once["true_city"],
                          "hmt_share": once["true_hmt_share"], "other_foreign_share": once["true_other_foreign_share"],
                          "foreign_share": once["true_hmt_share"] + once["true_other_foreign_share"],
                          "output": once["true_output"], "exports": once["true_exports"]})
    io = pd.read_csv(world / "io_table.csv")
    iy = sp.industry_year_measures(firms, io).set_index(["industry2", "year"])
    key = pd.MultiIndex.from_arrays([once["true_industry2"], once["year"]])
    for col in ("backward", "forward"):
        assert np.allclose(iy[col].reindex(key).to_numpy(), once[col].to_numpy(), atol=1e-9), col
    own_out = sp.own_excluded_horizontal(firms)  # the firm's own output left out of its horizontal
    for col in ("horizontal", "horizontal_hmt", "horizontal_other"):
        assert np.allclose(own_out[col].to_numpy(), once[col].to_numpy(), atol=1e-9, equal_nan=True), col
        # ... which differs from the industry share only by the firm's own weight (small for most firms)
        assert np.nanmedian(np.abs(own_out[col].to_numpy() - iy[col].reindex(key).to_numpy())) < 1e-3, col
    loc = sp.local_horizontal(firms).to_numpy()  # leave-one-out, NaN for a firm alone in its cell
    assert np.allclose(loc, once["horizontal_local"].to_numpy(), atol=1e-9, equal_nan=True)
    assert np.isnan(loc).any() and not np.isnan(loc).all()


def test_production_function_holds(clean, world):
    prod = json.loads((world / "truth" / "parameters.json").read_text())["production"]
    bl = clean["true_industry2"].astype(str).map(lambda j: prod[j]["beta_l"])
    bk = clean["true_industry2"].astype(str).map(lambda j: prod[j]["beta_k"])
    lhs = np.log(clean["true_value_added"])
    rhs = clean["true_omega"] + clean["true_eps"] + bl * np.log(clean["true_employment"]) \
        + bk * np.log(clean["true_capital"])
    assert np.allclose(lhs, rhs, atol=1e-9)
    for spec in prod.values():
        assert 0.3 <= spec["beta_l"] <= 0.5 and 0.2 <= spec["beta_k"] <= 0.4


def test_ols_labour_elasticity_biased_up(clean, world):
    """Labour responds to omega: OLS of y on l, k within an industry overstates beta_l."""
    prod = json.loads((world / "truth" / "parameters.json").read_text())["production"]
    j = clean["true_industry2"].value_counts().index[0]
    d = clean[clean["true_industry2"] == j]
    X = np.column_stack([np.ones(len(d)), np.log(d["true_employment"]), np.log(d["true_capital"]),
                         pd.get_dummies(d["year"], drop_first=True).to_numpy(float)])
    beta = np.linalg.lstsq(X, np.log(d["true_value_added"]), rcond=None)[0]
    assert beta[1] > prod[str(j)]["beta_l"] + 0.1


def test_estimands_signs_and_oracle(world, params):
    p = json.loads((world / "truth" / "parameters.json").read_text())
    s = p["spillovers"]
    assert set(s) == {"horizontal_hmt", "horizontal_other", "backward", "forward"}
    assert s["horizontal_hmt"] < 0 < s["horizontal_other"] and s["backward"] > 0
    # Estimands differ from the structural parameters only through the stated heterogeneity.
    assert p["spillovers_local"]["horizontal_local"] > 0
    st = p["spillovers_structural"]
    assert st["horizontal_local"] > 0 and st["backward_post2002"] > 0 and st["cluster_x_horizontal_hmt"] > 0
    assert p["fixed_point"]["max_gap"] < 1e-8
    oracle = json.loads((world / "truth" / "oracle.json").read_text())
    for model in ("baseline", "local", "structural"):
        terms = oracle[model]["terms"]
        assert "upgrading.synth.fwl" in oracle[model]["engine"] and oracle[model]["nobs"] > 1000
        assert all(np.isfinite(v["estimate"]) and v["std_error"] > 0 for v in terms.values())
        assert oracle[model]["vcov"] == "CRV1:industry2"
    # Every term: the oracle is within sampling error of the estimand (one small world; the
    # Monte Carlo over seeds measures coverage).
    for model, key in (("baseline", "spillovers"), ("local", "spillovers_local")):
        for t, o in oracle[model]["terms"].items():
            assert abs(o["estimate"] - p[key][t]) < 4 * o["std_error"], (model, t)


def test_structural_projection_is_the_dgp_with_its_cluster_cells(world, truth, params):
    """With the DGP's cluster cells as its cluster indicator the structural model is correctly
    specified: the projection of the spillover term is exactly the DGP's parameters. With the
    measures stage's indicator, which the truth's regressions use, the HMT terms move: the
    indicator misses some of the DGP's cluster cells and marks others (oracle.json says how many)."""
    from upgrading.synth import estimands as synth_estimands
    from upgrading.synth import truth as synth_truth
    from upgrading.synth.fwl import Within

    terms = synth_truth.MODELS["structural"]
    cols = [synth_truth._column(t) for t in terms]
    rows = synth_truth.surveyed_rows(truth)
    dgp_cells = synth_truth.regression_sample(rows, rows["cluster"].to_numpy(dtype=float)).dropna(subset=cols)
    proj = Within(dgp_cells, ["true_spill", *cols]).coef(["true_spill"], cols)["true_spill"]
    names = {t: synth_estimands.STRUCTURAL_PARAM.get(t, t) for t in terms}
    assert {names[t]: v for t, v in zip(terms, proj)} == pytest.approx(params["spillovers"], abs=1e-6)

    p = json.loads((world / "truth" / "parameters.json").read_text())
    assert p["spillovers_dgp"] == params["spillovers"]
    measured = p["estimand_parts"]["structural"]["projection"]
    assert abs(measured["horizontal_hmt"] - params["spillovers"]["horizontal_hmt"]) > 0.01
    agree = json.loads((world / "truth" / "oracle.json").read_text())["cluster_regressor"]
    assert 0.2 < agree["flagged_share_of_dgp_cluster"] < 1 and 0 < agree["flagged_share_of_other"] < 0.5
    assert agree["rule"] == {"lq_threshold": 1.25, "cluster_min_firms": 5, "eg_threshold": None,
                             "cluster_year": "current"}


def test_estimand_is_projection_plus_selection_plus_feedback(world, params):
    """The survey threshold adds a selection part to the projection and the within-cell feedback
    a third, and the estimand is their sum (upgrading.synth.truth)."""
    p = json.loads((world / "truth" / "parameters.json").read_text())
    parts = p["estimand_parts"]
    for model, key in (("baseline", "spillovers"), ("local", "spillovers_local"),
                       ("structural", "spillovers_structural")):
        proj, sel, fb = (parts[model][k] for k in ("projection", "selection", "feedback"))
        assert p[key] == pytest.approx({t: proj[t] + sel[t] + fb[t] for t in proj}, abs=1e-7)
        assert parts[model]["feedback_replications"] == params["estimand_replications"]
        # the threshold drops some alive domestic firm-years, so the selection part is not zero
        assert parts[model]["nobs_alive"] > parts[model]["nobs_surveyed"]
        assert max(abs(v) for v in sel.values()) > 1e-4


def test_unsurveyed_firms_are_below_the_threshold_and_domestic(world, params):
    """The alive firm-years the survey misses (the selection part's extra rows) are domestic
    non-state firms: no raw row, and each firm's ID is a true firm ID."""
    from upgrading.synth.generate import normalise_params
    from upgrading.synth.world import build_world

    w = build_world(normalise_params(params), "small", 3, YEARS[:4])
    miss = w.unsurveyed
    assert len(miss) > 0
    keys = set(zip(w.panel["firm"], w.panel["year"]))
    assert not any((f, y) in keys for f, y in zip(miss["firm"], miss["year"]))
    own = w.static["own"][miss["firm"].to_numpy()]
    assert (own != 0).all()  # state firms are surveyed whatever their sales through 2006
    assert (w.static["share_hmt"][miss["firm"].to_numpy()] == 0).all()


def test_opening_books_by_hand():
    """A firm founded two years before its first year: the depreciated real history sums to its
    capital, the nominal history to its original value, declining balance to its net value."""
    from upgrading.synth import books

    cfg = {"growth_mean": 0.1, "growth_firm_sd": 0.0, "lumpiness_sd": 0.0, "depreciation_rate": 0.08}
    prices = np.array([[0.8, 0.9, 1.0]])  # y0 = 1996
    got = books.opening_books(np.random.default_rng(0), np.array([1000.0]), np.array([1996]), 1998,
                              np.array([0]), np.array([0.0]), prices, 1996, cfg, 0.09)
    w = np.exp(0.1 * np.arange(3))          # real investment 1996, 1997, 1998 (relative)
    c = 1000 / (w @ 0.91 ** np.array([2, 1, 0]))
    nominal = c * w * prices[0]
    assert got["original_fixed_assets"][0] == pytest.approx(nominal.sum())
    nbv = nominal @ 0.92 ** np.array([2, 1, 0])
    assert got["net_book_value"][0] == pytest.approx(nbv)
    assert got["accumulated_depreciation"][0] == pytest.approx(nominal.sum() - nbv)
    assert got["depreciation"][0] == pytest.approx(0.08 * (nominal[:2] @ 0.92 ** np.array([1, 0])))
    assert got["investment_nominal"][0] == pytest.approx(nominal[2])


def test_feedback_part_adds_to_the_estimand():
    """with_feedback: estimand = projection + selection + the replications' mean gap; none = 0."""
    from upgrading.synth import estimands, truth

    def own(local, replications=4):
        return {"spillovers": {}, "spillovers_local": local, "spillovers_structural": {}, "seed": 11,
                "config": {"estimand_replications": replications},
                "estimand_parts": {m: {"projection": {}, "selection": {}} for m in estimands.ESTIMAND_KEYS}}

    before = own({"horizontal_local": 0.30, "backward": 0.60})
    seeds = estimands.replication_seeds(11, 4)
    fb = estimands.feedback_doc({"local": {"horizontal_local": 0.04, "backward": -0.01}}, 4, seeds)
    out = estimands.with_feedback(before, fb)
    assert out["spillovers_local"] == pytest.approx({"horizontal_local": 0.34, "backward": 0.59})
    parts = out["estimand_parts"]["local"]
    assert parts["feedback"] == {"horizontal_local": 0.04, "backward": -0.01}
    assert parts["feedback_replications"] == 4
    assert before["spillovers_local"]["horizontal_local"] == 0.30  # the input is left as it was
    out = estimands.with_feedback(own({"horizontal_local": 0.30}, 0), estimands.feedback_doc({}, 0, []))
    assert out["spillovers_local"] == {"horizontal_local": 0.30}
    assert out["estimand_parts"]["local"]["feedback"] == {"horizontal_local": 0.0}
    with pytest.raises(ValueError, match="feedback part already"):
        estimands.with_feedback({**out, "config": {"estimand_replications": 4}}, fb)
    # a feedback file of another world, of another number of worlds, or short of a term
    with pytest.raises(ValueError, match="asks for 4"):
        estimands.with_feedback(before, estimands.feedback_doc({}, 4, estimands.replication_seeds(12, 4)))
    with pytest.raises(ValueError, match="asks for 0"):
        estimands.with_feedback(own({"horizontal_local": 0.30}, 0), fb)
    with pytest.raises(ValueError, match=r"lacks local terms \['backward'\]"):
        estimands.with_feedback(before, estimands.feedback_doc({"local": {"horizontal_local": 0.04}}, 4, seeds))
    # structural interaction terms are named as parameters.json names them
    assert estimands.feedback_doc({"structural": {"backward:post2002": 0.1}}, 1, [5])["feedback"] == \
        {"structural": {"backward_post2002": 0.1}}
    seeds = truth.replication_seeds(11, 3)
    assert seeds == truth.replication_seeds(11, 3) and len(set(seeds)) == 3 and 11 not in seeds
