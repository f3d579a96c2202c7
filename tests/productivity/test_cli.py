import json

import numpy as np
import pandas as pd
import pytest

from .sim import simulate
from upgrading import io
from upgrading.productivity.cli import main


@pytest.fixture(scope="module")
def panel_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("prod")
    a = simulate(600, 6, seed=21, industry=17)
    b = simulate(600, 6, seed=22, industry=40, beta_l=0.35, beta_k=0.4)
    b["firm_id"] += 10_000
    tiny = simulate(5, 3, seed=23, industry=43)  # too few firm-years: no estimate, logged
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
