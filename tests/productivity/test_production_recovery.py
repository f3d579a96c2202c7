"""benchmarks/production_recovery.py --elasticities: the stage's own table scored against the truth."""

import json

from .builders import benchmark_module


def _recovery():
    return benchmark_module("production_recovery")


def test_stage_elasticities_are_scored_by_industry_without_estimating(tmp_path, capsys):
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth/parameters.json").write_text(json.dumps(
        {"production": {"13": {"beta_l": 0.4, "beta_k": 0.3}, "14": {"beta_l": 0.5, "beta_k": 0.2}}}))
    (tmp_path / "elasticities.csv").write_text(
        "industry,method,beta_l,beta_k,nobs,converged,reason\n"
        "13,acf,0.42,0.25,5000,True,\n14,acf,0.47,0.23,900,True,\n"
        "13,ols,0.9,0.05,5000,True,\n14,ols,0.9,0.05,900,True,\n")
    out = tmp_path / "scored.csv"
    assert _recovery().main(["--elasticities", str(tmp_path / "elasticities.csv"), "--truth",
                             str(tmp_path / "truth"), "--methods", "acf", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "stage" in printed and "ols" not in printed
    rows = out.read_text().splitlines()
    assert rows[0].startswith("industry,method") and len(rows) == 3
    scored = {r.split(",")[0]: r for r in rows[1:]}
    # errors: labour +0.02 and -0.03, capital -0.05 and +0.03 -> means -0.005 and -0.01
    assert "-0.05" in scored["13"] and "0.03" in scored["14"]
    assert "-0.0050" in printed and "+0.0250" in printed and "-0.0100" in printed and "+0.0400" in printed
