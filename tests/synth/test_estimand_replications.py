"""tools/estimand_replications.py: its worlds are those whose mean gap is the estimand's feedback
part, it resumes where it stopped, and it places a world's gap in their spread."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import CONFIG, SEED

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import estimand_replications  # noqa: E402

from upgrading.synth.truth import replication_seeds  # noqa: E402


def test_mean_gap_is_the_truths_feedback_part_and_a_rerun_adds_only_new_worlds(world, params, tmp_path):
    out = tmp_path / "gaps.csv"
    reps = params["estimand_replications"]
    estimand_replications.run("small", replication_seeds(SEED, reps - 1), out, CONFIG)
    estimand_replications.run("small", replication_seeds(SEED, reps), out, CONFIG)  # resumes: one more world
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seeds = list(dict.fromkeys(int(r["seed"]) for r in rows))
    assert len(seeds) == reps and len(rows) == reps * 16
    parts = json.loads((world / "truth" / "parameters.json").read_text(encoding="utf-8"))["estimand_parts"]
    for model in ("baseline", "local", "structural"):
        for term, value in parts[model]["feedback"].items():
            label = {"backward_post2002": "backward:post2002",
                     "cluster_x_horizontal_hmt": "horizontal_hmt:cluster"}.get(term, term)
            gaps = [float(r["gap"]) for r in rows if r["model"] == model and r["term"] == label]
            # both rounded to 8 significant digits (the truth's _sig, the CSV's gap)
            assert abs(np.mean(gaps) - value) <= 1e-7 * max(abs(value), 1e-3), (model, term)
    table = estimand_replications.summarise(out, {("structural", "horizontal_local"): 0.0})
    line = next(x for x in table.splitlines() if "| structural | `horizontal_local` |" in x)
    gaps = np.array([float(r["gap"]) for r in rows if r["model"] == "structural" and r["term"] == "horizontal_local"])
    assert line.endswith(f"| {(0.0 - gaps.mean()) / gaps.std(ddof=1):+.1f} |")


def test_worlds_option_runs_the_seeds_own_worlds_as_synthesize_draws_them(world, tmp_path, capsys):
    """--worlds SEED-SEED: the oracle of the world of SEED itself, the one in its truth/oracle.json."""
    out = tmp_path / "gaps.csv"
    assert estimand_replications.main(["--scale", "small", "--worlds", f"{SEED}-{SEED}", "--out", str(out),
                                       "--config", str(CONFIG)]) == 0
    rows = pd.read_csv(out)
    assert set(rows["seed"]) == {SEED} and len(rows) == 16
    oracle = json.loads((world / "truth" / "oracle.json").read_text(encoding="utf-8"))
    for r in rows.itertuples(index=False):
        assert r.oracle == pytest.approx(oracle[r.model]["terms"][r.term]["estimate"], rel=1e-7), (r.model, r.term)
    for bad, message in ((["--worlds", "9-7"], "expected FIRST-LAST"),
                         (["--worlds", "7-9", "--seed", "7"], "--worlds replaces --seed"),
                         (["--worlds", "7-9", "--hold-design"], "--worlds replaces --seed"),
                         (["--seed", "7"], "give --seed and --replications, or --worlds")):
        with pytest.raises(SystemExit):
            estimand_replications.main(["--scale", "small", "--out", str(out), *bad])
        assert message in capsys.readouterr().err


def test_a_world_with_missing_rows_stops_the_run(tmp_path):
    out = tmp_path / "gaps.csv"
    out.write_text("seed,design_seed,model,term,oracle,std_error,gap\n1,,baseline,backward,0.1,0.2,0.01\n",
                   encoding="utf-8")
    with pytest.raises(SystemExit, match=r"worlds \[1\] have not 16 rows"):
        estimand_replications.run("small", replication_seeds(SEED, 1), out, CONFIG)


def test_held_design_keeps_the_design_and_draws_new_firms(params):
    """build_world's shock_seed: the design (cities, industries, input-output table, cluster
    cells, effects) is the design seed's; the firms and their shocks are another world's."""
    from upgrading.synth.generate import normalise_params
    from upgrading.synth.world import build_world

    p, years = normalise_params(params), list(range(1998, 2001))
    own, held, other = (build_world(p, "small", 3, years), build_world(p, "small", 3, years, shock_seed=11),
                        build_world(p, "small", 11, years))
    for a, b in ((own, held), (own, other)):
        assert not a.panel["omega"].head(1000).equals(b.panel["omega"].head(1000))
    same = (lambda w: w.io, lambda w: w.cities, lambda w: w.catalogue, lambda w: w.tab.cluster,
            lambda w: w.tab.j_intercept, lambda w: w.tab.city_effect)
    for get in same:
        assert np.array_equal(np.asarray(get(own)), np.asarray(get(held)))
    assert not np.array_equal(own.tab.cluster, other.tab.cluster)
    pd.testing.assert_frame_equal(build_world(p, "small", 3, years, shock_seed=11).panel, held.panel)
    assert (own.shock_seed, held.shock_seed) == (None, 11)


def test_worlds_of_another_design_stop_the_run(tmp_path):
    out = tmp_path / "gaps.csv"
    out.write_text("seed,design_seed,model,term,oracle,std_error,gap\n"
                   "1,,baseline,backward,0.1,0.2,0.01\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="simulated with design seed its own, this run's is 7"):
        estimand_replications.run("small", replication_seeds(SEED, 1), out, CONFIG, design_seed=SEED)


def test_a_file_of_other_columns_stops_the_run(tmp_path):
    out = tmp_path / "gaps.csv"
    out.write_text("seed,model,term,oracle,std_error,gap\n1,baseline,backward,0.1,0.2,0.01\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="columns .* not .*design_seed"):
        estimand_replications.run("small", replication_seeds(SEED, 1), out, CONFIG)
