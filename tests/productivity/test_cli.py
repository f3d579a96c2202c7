import json

import numpy as np
import pandas as pd
import pytest

from upgrading.core import io
from upgrading.productivity.cli import main

from .builders import make_world


@pytest.fixture(scope="module")
def panel_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("prod")
    a = make_world(600, 6, seed=21, industry=17)
    b = make_world(600, 6, seed=22, industry=40, beta_l=0.35, beta_k=0.4)
    b["firm_id"] += 10_000
    tiny = make_world(5, 3, seed=23, industry=43)  # too few firm-years: no estimate, logged
    tiny["firm_id"] += 20_000
    df = pd.concat([a, b, tiny], ignore_index=True)
    df.loc[3, "y"] = np.nan  # a firm-year with missing value added: TFP missing, not dropped
    path = d / "panel.parquet"
    io.write_parquet(df, path)
    return path


def run(panel_path, tmp_path, cfg):
    out, el = tmp_path / "tfp.parquet", tmp_path / "el.csv"
    code = main(["--panel", str(panel_path), "--out", str(out), "--elasticities", str(el),
                 "--config-json", json.dumps(cfg)])
    return code, out, el


def test_outputs_follow_contract(panel_path, tmp_path):
    code, out, el = run(panel_path, tmp_path, {"bootstrap_reps": 3})
    assert code == 0
    tfp, els = pd.read_parquet(out), pd.read_csv(el)
    panel = pd.read_parquet(panel_path)
    assert list(tfp.columns) == ["firm_id", "year", "tfp_ols", "tfp_fe", "tfp_lp", "tfp_acf"]
    assert len(tfp) == len(panel)  # every firm-year kept
    assert list(els.columns[:7]) == ["industry", "method", "beta_l", "beta_k", "se_l", "se_k", "nobs"]
    assert els["method"].tolist()[:4] == ["ols", "fe", "lp", "acf"]
    # tfp = y - beta_l l - beta_k k with the industry's ACF betas
    row = els[(els.industry == 40) & (els.method == "acf")].iloc[0]
    merged = panel.merge(tfp, on=["firm_id", "year"])
    sub = merged[merged.industry2 == 40]
    np.testing.assert_allclose(sub.tfp_acf, sub.y - row.beta_l * sub.l - row.beta_k * sub.k, atol=1e-8)
    assert np.isnan(merged.loc[(merged.firm_id == panel.loc[3, "firm_id"])
                               & (merged.year == panel.loc[3, "year"]), "tfp_ols"]).all()
    assert els[els.industry == 43]["beta_l"].isna().all()
    assert merged[merged.industry2 == 43]["tfp_acf"].isna().all()


def test_same_input_same_bytes(panel_path, tmp_path):
    run(panel_path, tmp_path / "a", {"bootstrap_reps": 2, "methods": ["acf"]})
    run(panel_path, tmp_path / "b", {"bootstrap_reps": 2, "methods": ["acf"]})
    for name in ("tfp.parquet", "el.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_missing_column_fails_without_output(panel_path, tmp_path, capsys):
    df = pd.read_parquet(panel_path).drop(columns="m")
    bad = tmp_path / "bad.parquet"
    io.write_parquet(df, bad)
    code, out, el = run(bad, tmp_path, {})
    assert code == 1 and not out.exists() and not el.exists()
    assert "column 'm'" in capsys.readouterr().err


def test_unknown_setting_is_an_error(panel_path, tmp_path, capsys):
    code, out, _ = run(panel_path, tmp_path, {"bootstrap_repz": 3})
    assert code == 1 and not out.exists()
    assert "bootstrap_repz" in capsys.readouterr().err


def two_labour_inputs(seed=41) -> pd.DataFrame:
    """Skilled and unskilled labour (elasticities 0.25, 0.2), with the prodest column names."""
    df = make_world(1500, 7, seed=seed)
    rng = np.random.default_rng(seed)
    df["fX1"] = df["l"] + rng.normal(0, 0.3, len(df))
    df["fX2"] = 0.8 * df["l"] + rng.normal(0, 0.3, len(df))
    df["Y"] = (0.25 * df["fX1"] + 0.2 * df["fX2"] + 0.3 * df["k"] + df["true_omega"]
               + rng.normal(0, 0.1, len(df)))
    return df.rename(columns={"k": "sX", "m": "pX", "firm_id": "idvar", "year": "timevar"})[
        ["Y", "fX1", "fX2", "sX", "pX", "idvar", "timevar"]]


def test_column_map_and_two_free_inputs(tmp_path):
    path = tmp_path / "plants.csv"
    two_labour_inputs().to_csv(path, index=False)
    out, el, audit = tmp_path / "tfp.parquet", tmp_path / "el.csv", tmp_path / "audit.csv"
    code = main(["--panel", str(path), "--out", str(out), "--elasticities", str(el),
                 "--audit", str(audit), "--columns",
                 "y=Y, l=fX1+fX2, k=sX, m=pX, firm_id=idvar, year=timevar",
                 "--config-json", json.dumps({"first_stage_effects": "none", "bootstrap_reps": 0,
                                              "methods": ["ols", "acf"]})])
    assert code == 0
    els = pd.read_csv(el)
    assert {"beta_l1", "beta_l2", "beta_k", "se_l1"} <= set(els.columns)
    acf_row = els[els.method == "acf"].iloc[0]
    assert acf_row.status == "estimated" and acf_row.industry == 0  # no industry column: one
    assert abs(acf_row.beta_l1 - 0.25) < 0.04 and abs(acf_row.beta_l2 - 0.2) < 0.04
    assert abs(acf_row.beta_k - 0.3) < 0.04
    assert acf_row.starts == 10 and acf_row.roots >= 1  # 8 Sobol + OLS + within
    assert len(pd.read_csv(audit)) == 2


def test_column_map_grammar_is_not_evaluated():
    from upgrading.core.errors import InputError
    from upgrading.productivity.settings import from_mapping, parse_columns

    assert parse_columns("y=Y,l=fX1+fX2") == {"y": "Y", "l": ["fX1", "fX2"]}
    for bad in ("y=__import__('os').system('x')", "y=Y;k=K", "y", "q=Y", "k=a+b"):
        with pytest.raises(InputError):
            from_mapping({}, bad)
    cfg = from_mapping({"columns": {"l": ["a", "b"], "k": "K"}}, "y=V")
    assert cfg.columns.l == ("a", "b") and cfg.columns.y == "V" and cfg.free == ("l1", "l2")


def test_missing_column_names_the_setting(panel_path, tmp_path, capsys):
    df = pd.read_parquet(panel_path).drop(columns="city")
    bad = tmp_path / "nocity.parquet"
    io.write_parquet(df, bad)
    code, out, _ = run(bad, tmp_path, {"first_stage_effects": "city_period"})
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "column 'city'" in err and "productivity.first_stage_effects" in err


def test_no_root_stops_the_stage(panel_path, tmp_path, capsys):
    # no start can meet a tolerance below rounding: the search fails in every industry
    code, out, el = run(panel_path, tmp_path, {"methods": ["acf"], "root_tol": 1e-40})
    err = capsys.readouterr().err
    assert code == 1 and not out.exists() and not el.exists()
    assert "industry 17, ACF" in err and "criterion" in err and "productivity.fallback.acf" in err


def test_declared_fallback_is_marked(panel_path, tmp_path):
    audit = tmp_path / "audit.csv"
    out, el = tmp_path / "tfp.parquet", tmp_path / "el.csv"
    code = main(["--panel", str(panel_path), "--out", str(out), "--elasticities", str(el),
                 "--audit", str(audit), "--config-json",
                 json.dumps({"methods": ["fe", "acf"], "root_tol": 1e-40, "bootstrap_reps": 0,
                             "fallback": {"acf": "fe"}})])
    assert code == 0
    els = pd.read_csv(el).set_index(["industry", "method"])
    row, fe = els.loc[(17, "acf")], els.loc[(17, "fe")]
    assert row.status == "fallback_fe" and not row.converged and "no start" in row.reason
    assert (row.beta_l, row.beta_k) == (fe.beta_l, fe.beta_k)
    assert els.loc[(43, "acf")].status == "too_few_obs"
    a = pd.read_csv(audit).set_index(["industry", "method"])
    assert a.loc[(17, "acf")].status == "fallback_fe" and a.loc[(43, "acf")].rows_used < 50


def test_declared_exclusion_leaves_the_industry_out_marked(panel_path, tmp_path):
    audit, out, el = tmp_path / "audit.csv", tmp_path / "tfp.parquet", tmp_path / "el.csv"
    code = main(["--panel", str(panel_path), "--out", str(out), "--elasticities", str(el),
                 "--audit", str(audit), "--config-json",
                 json.dumps({"methods": ["fe", "acf"], "root_tol": 1e-40, "bootstrap_reps": 0,
                             "fallback": {"acf": ["exclude"]}})])
    assert code == 0
    els = pd.read_csv(el).set_index(["industry", "method"])
    row = els.loc[(17, "acf")]
    assert row.status == "excluded" and np.isnan(row.beta_l) and np.isnan(row.beta_k)
    assert "industry excluded, TFP missing" in row.reason and row.starts > 0
    panel, tfp = pd.read_parquet(panel_path), pd.read_parquet(out)
    in17 = (panel.industry2 == 17).to_numpy()
    assert tfp.loc[in17, "tfp_acf"].isna().all() and tfp.loc[in17, "tfp_fe"].notna().any()
    assert pd.read_csv(audit).set_index(["industry", "method"]).loc[(17, "acf")].status == "excluded"


def test_fe_keeps_singletons(panel_path):
    from upgrading.productivity import ols_fe

    df = pd.read_parquet(panel_path)
    df = df[(df.industry2 == 17) & df.y.notna()]
    one = df.groupby("firm_id").head(1).head(5)  # five firms seen once each: singletons
    sample = pd.concat([df[~df.firm_id.isin(one.firm_id)], one])
    assert ols_fe.estimate(sample, "fe")["nobs"] == len(sample)


def test_fallback_list_takes_the_first_with_positive_elasticities(panel_path, tmp_path):
    from upgrading.productivity.settings import from_mapping

    assert from_mapping({"fallback": {"acf": ["fe", "ols"], "lp": "none"}}).fallback == {
        "acf": ("fe", "ols"), "lp": ()}
    code, _, el = run(panel_path, tmp_path, {"methods": ["acf"], "root_tol": 1e-40,
                                             "bootstrap_reps": 0, "fallback": {"acf": ["ols"]}})
    assert code == 0
    assert set(pd.read_csv(el).query("industry != 43")["status"]) == {"fallback_ols"}


def test_year_effects_by_ownership_need_foreign_share(panel_path, tmp_path, capsys):
    code, out, _ = run(panel_path, tmp_path, {"markov_year_effects_by": "foreign"})
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "column 'foreign_share'" in err and "productivity.markov_year_effects_by" in err


def test_foreign_invested_marks_missing_shares():
    from upgrading.productivity.panel import add_estimation_columns
    from upgrading.productivity.settings import FOREIGN_INVESTED, from_mapping
    cfg = from_mapping({"markov_year_effects_by": "foreign", "first_stage_effects": "none"})
    panel = pd.DataFrame({"foreign_share": [0.0, 0.25, np.nan, 1.0]})
    out = add_estimation_columns(panel, cfg)[FOREIGN_INVESTED].to_numpy()
    np.testing.assert_array_equal(out, [0.0, 1.0, np.nan, 1.0])


def test_spillover_controls_need_a_presence_table_and_count_its_rows(panel_path, tmp_path, capsys):
    """markov_controls read the measures from --presence; without it the stage stops and writes
    nothing; a row there outside the panel moves its neighbours' controls and so their TFP."""
    cfg = {"methods": ["acf"], "bootstrap_reps": 0, "markov_controls": ["horizontal"],
           "first_stage_effects": "none"}
    code, out, _ = run(panel_path, tmp_path, cfg)
    assert code == 1 and not out.exists()
    assert "--presence" in capsys.readouterr().err
    panel = pd.read_parquet(panel_path)
    rng = np.random.default_rng(5)
    own = panel[["firm_id", "year", "industry2"]].assign(
        source_file="asif", source_row=range(len(panel)), city=110100,
        output=np.exp(rng.normal(5, 1, len(panel))), exports=0.0, hmt_share=0.0,
        other_foreign_share=np.where(rng.random(len(panel)) < 0.2, 1.0, 0.0), in_panel=True,
        cleaning_rule=pd.array([pd.NA] * len(panel), dtype="string"))
    own["foreign_share"] = own["other_foreign_share"]
    extra = own[own["industry2"] == 40].drop_duplicates("year").assign(
        firm_id=99_999, output=1e7, other_foreign_share=1.0, foreign_share=1.0, in_panel=False,
        cleaning_rule="min_employment")
    tfps = []
    for name, table in (("own", own), ("wider", pd.concat([own, extra], ignore_index=True))):
        io.write_parquet(table, tmp_path / f"{name}.parquet")
        d = tmp_path / name
        d.mkdir()
        assert main(["--panel", str(panel_path), "--presence", str(tmp_path / f"{name}.parquet"),
                     "--out", str(d / "tfp.parquet"), "--elasticities", str(d / "el.csv"),
                     "--config-json", json.dumps(cfg)]) == 0
        tfps.append(pd.read_parquet(d / "tfp.parquet").merge(panel[["firm_id", "year", "industry2"]]))
    a, b = tfps
    assert not np.allclose(a.loc[a.industry2 == 40, "tfp_acf"], b.loc[b.industry2 == 40, "tfp_acf"])
    np.testing.assert_array_equal(a.loc[a.industry2 == 17, "tfp_acf"], b.loc[b.industry2 == 17, "tfp_acf"])
