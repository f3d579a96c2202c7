"""The CLI steps end to end on the toy panel: outputs, exit codes, no partial output."""

import json

import numpy as np
import pandas as pd
import pytest

from upgrading.analysis import cli, montecarlo, tidy, validation
from upgrading.analysis.settings import ValidationTarget
from upgrading.core import registry

from .builders import TRUTH
from .conftest import SPECS


@pytest.fixture(scope="module")
def baseline_out(toy_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("est") / "baseline.parquet"
    digest = registry.resolved_sha256(registry.resolve_family(registry.load(SPECS), "baseline"))
    rc = cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", "baseline",
                            "--spec-sha256", digest, "--out", str(out)])
    assert rc == 0
    return out


def test_estimate_writes_tidy_parquet(baseline_out):
    est = pd.read_parquet(baseline_out)
    assert list(est.columns) == tidy.COLUMNS
    assert est["model"].unique().tolist() == ["firm_year", "firm_cityyear", "city_ind_year"]
    assert set(est["sample"]) == {"domestic"} and set(est["family"]) == {"baseline"}


def test_estimate_is_deterministic(toy_path, baseline_out, tmp_path):
    again = tmp_path / "b.parquet"
    assert cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", "baseline",
                              "--out", str(again)]) == 0
    assert again.read_bytes() == baseline_out.read_bytes()


def test_stale_spec_refused(toy_path, tmp_path, capsys):
    spec = registry.resolve_family(registry.load(SPECS), "baseline")
    spec["models"][0]["vcov"] = "hetero"
    out = tmp_path / "x.parquet"
    rc = cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", "baseline",
                            "--spec-sha256", registry.resolved_sha256(spec), "--out", str(out)])
    assert rc == 1 and not out.exists()
    assert "registry file differs from the spec the rule was built from" in capsys.readouterr().err


def test_unknown_column_exits_nonzero_without_output(toy, tmp_path, capsys):
    data = tmp_path / "a.parquet"
    toy.drop(columns=["backward"]).to_parquet(data)
    out = tmp_path / "x.parquet"
    rc = cli.estimate_main(["--data", str(data), "--specs", str(SPECS), "--family", "baseline", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists()
    assert "a.parquet" in err and "'backward'" in err


def test_injection_in_registry_exits_nonzero(toy_path, tmp_path, capsys):
    bad = tmp_path / "specs.yaml"
    bad.write_text(SPECS.read_text().replace("regressors: [l, k]",
                                             "regressors: ['I(__import__(\"os\").system(\"touch pwned\"))']"))
    rc = cli.estimate_main(["--data", str(toy_path), "--specs", str(bad), "--family", "baseline",
                            "--out", str(tmp_path / "x.parquet")])
    assert rc == 1 and "unexpected character" in capsys.readouterr().err
    assert not (tmp_path / "pwned").exists()


def test_crosscheck_cli(toy_path, tmp_path):
    spec = registry.load(SPECS)
    paths = []
    for fam in registry.family_ids(spec):
        if registry.resolve_family(spec, fam)["headline"]:
            p = tmp_path / f"{fam}.parquet"
            assert cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", fam,
                                      "--out", str(p)]) == 0
            paths.append(str(p))
    out = tmp_path / "crosscheck.csv"
    assert cli.crosscheck_main(["--data", str(toy_path), "--specs", str(SPECS), "--estimates", *paths,
                                "--out", str(out)]) == 0
    cc = pd.read_csv(out)
    assert cc["ok"].all() and cc["family"].nunique() == len(paths)
    # a missing headline family is an error, not a silent pass
    assert cli.crosscheck_main(["--data", str(toy_path), "--specs", str(SPECS), "--estimates", paths[0],
                                "--out", str(tmp_path / "c2.csv")]) == 1

    # The DAG's way: one job per family, then the parts joined (in any order) into the same bytes.
    parts = []
    for path in reversed(paths):
        fam = pd.read_parquet(path)["family"].iloc[0]
        part = tmp_path / f"cc_{fam}.csv"
        assert cli.crosscheck_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", fam,
                                    "--spec-sha256", registry.resolved_sha256(registry.resolve_family(spec, fam)),
                                    "--estimates", path,
                                    "--out", str(part)]) == 0
        assert set(pd.read_csv(part)["family"]) == {fam}
        parts.append(str(part))
    joined = tmp_path / "joined.csv"
    assert cli.crosscheck_main(["--specs", str(SPECS), "--parts", *parts, "--out", str(joined)]) == 0
    assert joined.read_bytes() == out.read_bytes()
    # a part missing, or given twice, is an error and writes nothing
    for bad in (parts[1:], [*parts, parts[0]]):
        assert cli.crosscheck_main(["--specs", str(SPECS), "--parts", *bad, "--out", str(tmp_path / "c3.csv")]) == 1
        assert not (tmp_path / "c3.csv").exists()
    # a non-headline family is refused
    other = next(f for f in registry.family_ids(spec) if not registry.resolve_family(spec, f)["headline"])
    assert cli.crosscheck_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", other,
                                "--estimates", paths[0], "--out", str(tmp_path / "c4.csv")]) == 1


def test_validate_against_truth(baseline_out, tmp_path):
    truth = tmp_path / "parameters.json"
    truth.write_text(json.dumps({"spillovers": TRUTH, "spillovers_structural": {**TRUTH, "backward_post2002": 0.4},
                                 "seed": 1}))
    oracle = tmp_path / "oracle.json"
    oracle.write_text(json.dumps({"baseline": {"terms": {"backward": {"estimate": 0.49, "std_error": 0.01}}}}))
    out = tmp_path / "validation.csv"
    targets = [{"family": "baseline", "model": "firm_year", "truth": "spillovers", "oracle": "baseline"},
               {"family": "baseline", "model": "city_ind_year", "truth": "spillovers_structural"}]
    assert cli.validate_main(["--estimates", str(baseline_out), "--truth", str(truth), "--oracle", str(oracle),
                              "--targets-json", json.dumps(targets), "--out", str(out)]) == 0
    v = pd.read_csv(out)
    assert list(v.columns) == validation.COLUMNS
    assert len(v) == 8 and set(v["param"]) == set(TRUTH)
    assert v["source"].tolist() == ["spillovers"] * 4 + ["spillovers_structural"] * 4
    r = v[(v["model"] == "firm_year") & (v["term"] == "backward")].iloc[0]
    assert r["truth"] == 0.5 and r["oracle_estimate"] == 0.49
    assert r["z"] == pytest.approx((r["estimate"] - 0.5) / r["std_error"])
    assert v["covered95"].tolist() == ((v["ci_low"] <= v["truth"]) & (v["truth"] <= v["ci_high"])).tolist()


def test_structural_terms_map_to_dgp_parameters():
    est = pd.DataFrame({"family": "validation", "model": "structural",
                        "term": ["backward:post2002", "horizontal_hmt:cluster", "forward"],
                        "estimate": [0.3, 0.5, 0.1], "std_error": 0.1, "ci_low": 0.0, "ci_high": 1.0, "nobs": 10})
    truth = {"spillovers_structural": {"backward_post2002": 0.4, "cluster_x_horizontal_hmt": 0.4, "forward": 0.05}}
    v = validation.compare(est, truth, None, [ValidationTarget("validation", "structural",
                                                               "spillovers_structural")])
    assert v["param"].tolist() == ["backward_post2002", "cluster_x_horizontal_hmt", "forward"]
    np.testing.assert_allclose(v["z"], [-1.0, 1.0, 0.5])


def test_montecarlo_draw_compares_the_world_estimates_and_the_true_omega(toy, tmp_path):
    """A draw reads its world's estimates (the `estimate` rule's output) and re-estimates the same
    models on the true omega; with the true omega equal to the pipeline's TFP both agree."""
    data = tmp_path / "analysis.parquet"
    world = toy.assign(source_file="asif_1998.csv", source_row=np.arange(len(toy)) + 1)
    world.to_parquet(data)
    firms = tmp_path / "firms.parquet"
    world[["source_file", "source_row"]].assign(true_omega=world["tfp_acf"]).to_parquet(firms)
    truth = tmp_path / "parameters.json"
    truth.write_text(json.dumps({"spillovers": TRUTH, "seed": 1}))
    estimates = tmp_path / "baseline.parquet"
    assert cli.estimate_main(["--data", str(data), "--specs", str(SPECS), "--family", "baseline",
                              "--out", str(estimates)]) == 0
    targets = [{"family": "baseline", "model": "firm_year", "truth": "spillovers"}]
    out = tmp_path / "seed_5.csv"
    assert cli.montecarlo_main(["--seed", "5", "--estimates", str(estimates), "--data", str(data),
                                "--truth", str(truth), "--truth-firms", str(firms), "--specs", str(SPECS),
                                "--targets-json", json.dumps(targets), "--out", str(out)]) == 0
    draw = pd.read_csv(out)
    assert list(draw.columns) == montecarlo.DRAW_COLUMNS
    assert set(draw["seed"]) == {5} and set(draw["model"]) == {"firm_year"}
    pipeline, true = (draw[draw["outcome"] == o].reset_index(drop=True) for o in ("pipeline", "true_omega"))
    assert len(pipeline) == len(true) == len(TRUTH)
    est = pd.read_parquet(estimates).query("model == 'firm_year'").set_index("term")
    np.testing.assert_allclose(pipeline["estimate"], est.loc[pipeline["term"], "estimate"], rtol=1e-9)
    np.testing.assert_allclose(true["estimate"], pipeline["estimate"], rtol=1e-9)
    np.testing.assert_allclose(true["std_error"], pipeline["std_error"], rtol=1e-9)
    # A family missing from the draw's estimates is an error, and nothing is written.
    bad = tmp_path / "seed_6.csv"
    wrong = [*targets, {"family": "validation", "model": "local", "truth": "spillovers"}]
    assert cli.montecarlo_main(["--seed", "6", "--estimates", str(estimates), "--data", str(data),
                                "--truth", str(truth), "--truth-firms", str(firms), "--specs", str(SPECS),
                                "--targets-json", json.dumps(wrong), "--out", str(bad)]) == 1
    assert not bad.exists()


def test_coverage_aggregate(tmp_path):
    rows = []
    for seed in range(10):
        for term, truth in [("backward", 0.5), ("forward", 0.1)]:
            covered = not (term == "forward" and seed < 3)
            rows.append({"seed": seed, "outcome": "pipeline", "family": "validation", "model": "structural", "term": term,
                         "param": term, "source": "spillovers", "estimate": truth + 0.01 * (seed - 4.5), "std_error": 0.05,
                         "ci_low": 0, "ci_high": 1, "truth": truth, "covered95": covered,
                         "z": 0.2 * (seed - 4.5), "nobs": 100, "std_error_crv3": 0.06,
                         "covered95_crv3": float(covered or seed == 0), "covered95_wild": float(seed > 0)})
    paths = []
    for seed, part in pd.DataFrame(rows).groupby("seed"):
        p = tmp_path / f"seed_{seed}.csv"
        part.to_csv(p, index=False)
        paths.append(str(p))
    out = tmp_path / "coverage.csv"
    assert cli.montecarlo_aggregate_main(["--draws", *paths, "--out", str(out)]) == 0
    cov = pd.read_csv(out).set_index("term")
    assert cov.loc["backward", "coverage"] == 1.0 and cov.loc["forward", "coverage"] == pytest.approx(0.7)
    assert cov.loc["backward", "draws"] == 10 and abs(cov.loc["backward", "bias"]) < 1e-12
    # CRV1, CRV3 and WCR side by side, each with its Monte Carlo SE sqrt(p(1-p)/R)
    assert cov.loc["forward", "coverage_crv1"] == pytest.approx(0.7)
    assert cov.loc["forward", "mcse_crv1"] == pytest.approx((0.7 * 0.3 / 10) ** 0.5)
    assert cov.loc["forward", "coverage_crv3"] == pytest.approx(0.8)
    assert cov.loc["forward", "coverage_wcr"] == pytest.approx(0.9)
    assert cov.loc["forward", "mcse_wcr"] == pytest.approx((0.9 * 0.1 / 10) ** 0.5)
    assert cov.loc["backward", "mcse_crv1"] == 0.0


def test_coverage_averages_each_worlds_own_estimand(tmp_path):
    """Each draw's world has its own estimand: the table reports their mean, and the bias is the
    mean of each draw's estimate minus its own estimand (not minus the first draw's)."""
    rows = [{"seed": seed, "outcome": "pipeline", "family": "validation", "model": "structural",
             "term": "backward", "param": "backward", "source": "spillovers", "estimate": truth + 0.1,
             "std_error": 0.05, "truth": truth, "covered95": True, "z": 2.0}
            for seed, truth in ((1, 0.4), (2, 0.6), (3, 0.8))]
    paths = []
    for r in rows:
        p = tmp_path / f"seed_{r['seed']}.csv"
        pd.DataFrame([r]).to_csv(p, index=False)
        paths.append(str(p))
    out = tmp_path / "coverage.csv"
    judged = tmp_path / "judged.csv"
    assert cli.montecarlo_aggregate_main(["--draws", *paths, "--out", str(out), "--draws-out", str(judged)]) == 0
    cov = pd.read_csv(out).iloc[0]
    assert cov["truth"] == pytest.approx(0.6) and cov["sd_truth"] == pytest.approx(0.2)
    assert cov["bias"] == pytest.approx(0.1)
    # Every draw's row with the error the bias averages
    rows_out = pd.read_csv(judged)
    assert rows_out["seed"].tolist() == [1, 2, 3] and rows_out["error"].tolist() == pytest.approx([0.1] * 3)


def test_crosscheck_bytes_do_not_depend_on_the_blas_threads(tmp_path):
    """The same cross-check twice, its linear algebra on one and on two BLAS threads (as a
    Snakemake job's `threads` sets them): the same bytes. Larger than the toy panel, so that the
    threaded BLAS splits its sums."""
    import os
    import subprocess
    import sys

    from .builders import make_panel

    data = tmp_path / "analysis.parquet"
    make_panel(n_firms=6000, seed=5).to_parquet(data)
    est = tmp_path / "local_national.parquet"
    assert cli.estimate_main(["--data", str(data), "--specs", str(SPECS), "--family", "local_national",
                              "--out", str(est)]) == 0
    outputs = []
    for threads in ("1", "2"):
        out = tmp_path / f"crosscheck_{threads}.csv"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        subprocess.run([sys.executable, "-m", "upgrading", "crosscheck", "--data", str(data), "--specs", str(SPECS),
                        "--family", "local_national", "--estimates", str(est), "--out", str(out)],
                       env=env, check=True, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 2


def test_estimate_models_fits_only_those_models_with_the_same_numbers(toy_path, baseline_out, tmp_path):
    # A Monte Carlo draw fits only its validation target models: their rows must be the ones the
    # whole family's job gives.
    out = tmp_path / "firm_year.parquet"
    digest = registry.resolved_sha256(registry.resolve_family(registry.load(SPECS), "baseline"))
    assert cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", "baseline",
                              "--spec-sha256", digest, "--models", "city_ind_year,firm_year",
                              "--out", str(out)]) == 0
    only = pd.read_parquet(out)
    whole = pd.read_parquet(baseline_out)
    assert only["model"].unique().tolist() == ["firm_year", "city_ind_year"]  # registry order
    pd.testing.assert_frame_equal(only, whole[whole["model"] != "firm_cityyear"].reset_index(drop=True))


def test_estimate_unknown_model_exits_nonzero_without_output(toy_path, tmp_path, capsys):
    out = tmp_path / "x.parquet"
    rc = cli.estimate_main(["--data", str(toy_path), "--specs", str(SPECS), "--family", "baseline",
                            "--models", "firm_year,nonesuch", "--out", str(out)])
    assert rc != 0 and not out.exists()
    assert "nonesuch" in capsys.readouterr().err
