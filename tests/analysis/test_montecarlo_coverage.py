"""Coverage over Monte Carlo draws against the estimand with the feedback part pooled over the
draws: each draw keeps its own projection and selection parts, the feedback is the mean of the
draws' own feedback estimates, every interval is re-judged, and the own-estimand coverage stays."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from upgrading.analysis import montecarlo
from upgrading.analysis.settings import ValidationTarget
from upgrading.core.errors import InputError

T = 2.045  # t(29) 97.5 % quantile, the draws' critical value
LOCAL = (ValidationTarget("validation", "local", "spillovers_local", "local"),)


def _draw(seed: int, estimate: float, own_parts: float, feedback: float, se: float = 0.1) -> pd.DataFrame:
    truth = own_parts + feedback
    lo, hi = estimate - T * se, estimate + T * se
    se3 = 1.2 * se
    row = {"seed": seed, "outcome": "pipeline", "family": "validation", "model": "local", "term": "horizontal_local",
           "param": "horizontal_local", "source": "spillovers_local", "estimate": estimate, "std_error": se,
           "ci_low": lo, "ci_high": hi, "truth": truth, "covered95": float(lo <= truth <= hi),
           "z": (estimate - truth) / se, "nobs": 100, "std_error_crv3": se3,
           "covered95_crv3": float(estimate - T * se3 <= truth <= estimate + T * se3),
           "ci_low_wild": lo - 0.01, "ci_high_wild": hi + 0.01,
           "covered95_wild": float(lo - 0.01 <= truth <= hi + 0.01)}
    return pd.DataFrame([row])


def _truth(tmp_path, seed: int, own_parts: float, feedback: float) -> str:
    parts = {"local": {"projection": {"horizontal_local": own_parts - 0.01},
                       "selection": {"horizontal_local": 0.01},
                       "feedback": {"horizontal_local": feedback}, "feedback_replications": 4}}
    path = tmp_path / f"mc{seed}" / "parameters.json"  # each world's truth folder
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"seed": seed, "estimand_parts": parts}))
    return str(path)


def _world(tmp_path, draws):
    paths, truths = [], []
    for seed, estimate, own, fb in draws:
        p = tmp_path / f"seed_{seed}.csv"
        _draw(seed, estimate, own, fb).to_csv(p, index=False)
        paths.append(str(p))
        truths.append(_truth(tmp_path, seed, own, fb))
    return paths, truths


def test_pooled_feedback_replaces_each_draws_own_and_rejudges_every_interval(tmp_path):
    # Feedback estimates 0.0, 0.5, 0.1 (mean 0.2). Draw 2's own estimand 0.35 + 0.5 lies outside
    # its interval 0.5 +- 0.2045; against the pooled 0.35 + 0.2 it lies inside.
    paths, truths = _world(tmp_path, [(1, 0.55, 0.35, 0.0), (2, 0.5, 0.35, 0.5), (3, 0.6, 0.35, 0.1)])
    own = montecarlo.coverage(paths)
    got = montecarlo.coverage(paths, truths, LOCAL)
    assert own["coverage_crv1"].item() == pytest.approx(2 / 3)
    row = got.iloc[0]
    assert row["coverage_crv1"] == 1.0 and row["coverage_crv3"] == 1.0 and row["coverage_wcr"] == 1.0
    assert row["coverage_crv1_own"] == pytest.approx(2 / 3)
    assert row["feedback_pooled"] == pytest.approx(0.2) and row["feedback_worlds"] == 12
    assert row["truth"] == pytest.approx(0.55) and row["sd_truth"] == pytest.approx(0.0, abs=1e-12)
    assert row["bias"] == pytest.approx((0.55 + 0.5 + 0.6) / 3 - 0.55)
    errors = pd.Series([0.0, -0.05, 0.05])
    assert row["mcse_bias"] == pytest.approx(errors.std() / 3 ** 0.5)


def test_a_truth_that_is_not_the_sum_of_its_parts_or_a_missing_truth_is_an_error(tmp_path):
    paths, truths = _world(tmp_path, [(1, 0.55, 0.35, 0.0), (2, 0.5, 0.35, 0.5)])
    with pytest.raises(InputError, match="no estimand_parts for the oracle model 'structural'"):
        montecarlo.coverage(paths, truths, LOCAL + (ValidationTarget("validation", "structural",
                                                                      "spillovers_structural", "structural"),))
    with pytest.raises(InputError, match="have no truth file"):
        montecarlo.coverage(paths, truths[:1], LOCAL)
    bad = json.loads(open(truths[1]).read())
    bad["estimand_parts"]["local"]["feedback"]["horizontal_local"] = 0.3
    open(truths[1], "w").write(json.dumps(bad))
    with pytest.raises(InputError, match="not the sum of its truth's projection, selection and feedback"):
        montecarlo.coverage(paths, truths, LOCAL)


def _oracle(tmp_path, seed: int, estimate: float) -> str:
    path = tmp_path / f"mc{seed}" / "oracle.json"
    path.write_text(json.dumps({"local": {"terms": {"horizontal_local": {"estimate": estimate, "std_error": 0.1}}}}))
    return str(path)


def test_the_bias_splits_at_each_worlds_oracle_into_the_pipelines_error_and_the_worlds_draw(tmp_path):
    # Pooled estimand 0.35 + 0.2 = 0.55 in every world; oracles 0.50, 0.60, 0.58 (SE 0.1).
    paths, truths = _world(tmp_path, [(1, 0.55, 0.35, 0.0), (2, 0.5, 0.35, 0.5), (3, 0.6, 0.35, 0.1)])
    oracles = [_oracle(tmp_path, s, o) for s, o in ((1, 0.50), (2, 0.60), (3, 0.58))]
    # World 3 also estimated on true omega: 0.35, 2.3 SEs below its oracle; it shares that oracle.
    true_omega = pd.read_csv(paths[2]).assign(outcome="true_omega", estimate=0.35)
    pd.concat([pd.read_csv(paths[2]), true_omega]).to_csv(paths[2], index=False)
    draws = montecarlo.judged_draws(paths, truths, LOCAL, oracles)
    assert draws["oracle"].tolist() == [0.50, 0.60, 0.58, 0.58]
    assert draws["estimate_minus_oracle"].to_numpy() == pytest.approx([0.05, -0.10, 0.02, -0.23])
    assert draws["oracle_minus_truth"].to_numpy() == pytest.approx([-0.05, 0.05, 0.03, 0.03])
    assert (draws["estimate_minus_oracle"] + draws["oracle_minus_truth"]).to_numpy() == pytest.approx(
        draws["error"].to_numpy())
    assert draws["z_vs_oracle"].to_numpy() == pytest.approx([0.5, -1.0, 0.2, -2.3])
    cov = montecarlo.coverage(paths, truths, LOCAL, oracles).set_index("outcome")
    row = cov.loc["pipeline"]
    assert row["bias_vs_oracle"] == pytest.approx(-0.01) and row["oracle_bias"] == pytest.approx(0.01)
    assert row["bias_vs_oracle"] + row["oracle_bias"] == pytest.approx(row["bias"])
    assert row["mcse_bias_vs_oracle"] == pytest.approx(pd.Series([0.05, -0.10, 0.02]).std() / 3 ** 0.5)
    assert row["mcse_oracle_bias"] == pytest.approx(pd.Series([-0.05, 0.05, 0.03]).std() / 3 ** 0.5)
    assert row["within_2se_of_oracle"] == 1.0 and cov.loc["true_omega", "within_2se_of_oracle"] == 0.0
    # The oracle files follow the truth files one for one, from the same folders, and each names
    # every target's term.
    with pytest.raises(InputError, match="2 oracle files for 3 truth files"):
        montecarlo.coverage(paths, truths, LOCAL, oracles[:2])
    with pytest.raises(InputError, match="not in the folder of its truth file"):
        montecarlo.coverage(paths, truths, LOCAL, [oracles[1], oracles[0], oracles[2]])
    with pytest.raises(InputError, match="oracle files need the truth files"):
        montecarlo.judged_draws(paths, None, LOCAL, oracles)
    (tmp_path / "mc3" / "oracle.json").write_text(json.dumps({"local": {"terms": {"backward": {"estimate": 1.0}}}}))
    with pytest.raises(InputError, match="seed 3: no oracle estimate of spillovers_local/horizontal_local"):
        montecarlo.coverage(paths, truths, LOCAL, oracles)
    (tmp_path / "mc3" / "oracle.json").write_text(json.dumps({"structural": {}}))
    with pytest.raises(InputError, match="no oracle model 'local'"):
        montecarlo.coverage(paths, truths, LOCAL, oracles)


def test_aggregate_cli_asks_for_the_truths_beside_the_oracles(tmp_path, capsys):
    from upgrading.analysis import cli

    with pytest.raises(SystemExit):
        cli.montecarlo_aggregate_main(["--draws", "d.csv", "--oracles", "o.json", "--out", str(tmp_path / "c.csv")])
    assert "--oracles needs --truths" in capsys.readouterr().err
