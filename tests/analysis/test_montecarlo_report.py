"""The Monte Carlo document: every number from the run's files (coverage CSV, run log, benchmark
files), the exact interval and the target band per term, and a clear error on a run that is not
whole."""

from __future__ import annotations

import pandas as pd
import pytest

from upgrading.analysis import cli
from upgrading.analysis import montecarlo_report as mr
from upgrading.core.errors import InputError

LOG = ("2026-11-29T09:11:30Z batch 7001..7002 load 7.58 5.92 3.84\n"
       "2026-11-29T09:20:00Z batch 7003..7003 load 2.50 3.00 3.10 nice 0 configfile full.yaml\n"
       "2026-11-29T09:30:00Z stop time 09:30 reached before seed 7004\n")
BENCH = "results/benchmarks/small/jobs"


def _coverage(draws: int, covered: dict[str, int]) -> pd.DataFrame:
    row = {"outcome": "pipeline", "family": "validation", "model": "structural", "term": "backward:post2002",
           "param": "backward_post2002", "source": "spillovers_structural", "draws": draws, "truth": 0.41}
    for k, c in covered.items():
        p = c / draws
        row |= {f"coverage_{k}": p, f"draws_{k}": draws, f"mcse_{k}": (p * (1 - p) / draws) ** 0.5}
    return pd.DataFrame([row])


def _bench(root, seeds):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for seed in seeds:
        for job, cpu in (("synthesize", 10.0), ("estimate/validation", 3.5)):
            f = root / f"worlds/mc{seed}" / BENCH / f"{job}.tsv"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(header + f"20.0\t0:00:20\t1\t1\t1\t1\t0\t0\t50\t{cpu + seed - 7001}\n")
        f = root / BENCH / "montecarlo" / f"seed_{seed}.tsv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(header + "10.0\t0:00:10\t1\t1\t1\t1\t0\t0\t50\t8.0\n")


def test_run_log_gives_start_end_and_loads(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG)
    run = mr.read_run_log(str(log))
    assert (run.started, run.finished) == ("2026-11-29T09:11:30Z", "2026-11-29T09:30:00Z")
    assert run.loads == (7.58, 2.5) and run.last_seed_started == 7003
    assert run.nices == (19, 0)  # a line without its niceness was written at the script's old fixed 19


def test_run_log_of_several_sittings(tmp_path):
    """The script run again to go on (an end line, then batches again; an end line with no
    batch before it began nothing): each sitting with its times and seeds, in the document."""
    log = tmp_path / "run.log"
    log.write_text(LOG + "2026-11-29T09:30:05Z done up to seed 7003 load 1 1 1\n"
                   "2026-11-29T22:00:00Z batch 7004..7005 load 1.00 1.00 1.00 nice 10\n"
                   "2026-11-29T22:10:00Z done up to seed 7005 load 1 1 1\n")
    run = mr.read_run_log(str(log))
    assert [(s.started, s.finished, s.first_seed, s.last_seed) for s in run.sittings] == [
        ("2026-11-29T09:11:30Z", "2026-11-29T09:30:00Z", 7001, 7003),
        ("2026-11-29T22:00:00Z", "2026-11-29T22:10:00Z", 7004, 7005)]
    assert (run.started, run.finished, run.last_seed_started) == ("2026-11-29T09:11:30Z", "2026-11-29T22:10:00Z", 7005)
    assert run.nices == (19, 0, 10)
    text = mr.report(_coverage(5, {"crv1": 5, "crv3": 5, "wcr": 5}), run,
                     pd.DataFrame({"seed": range(7001, 7006), "cpu_s": 20.0, "wall_s": 30.0, "jobs": 9}),
                     "cmd", 5, "small", 2, "abc")
    assert ("Run in 2 sittings (UTC): 2026-11-29T09:11:30Z to 2026-11-29T09:30:00Z (seeds 7001-7003); "
            "2026-11-29T22:00:00Z to 2026-11-29T22:10:00Z (seeds 7004-7005).") in text


def test_unfinished_or_empty_run_log_is_an_error(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG.splitlines()[0] + "\n")
    with pytest.raises(InputError, match="has not ended"):
        mr.read_run_log(str(log))
    log.write_text("")
    with pytest.raises(InputError, match="no batch lines"):
        mr.read_run_log(str(log))


def test_cpu_per_draw_sums_the_worlds_jobs_and_the_draw(tmp_path):
    _bench(tmp_path, [7001, 7002])
    cpu = mr.draw_cpu(BENCH, [7001, 7002], str(tmp_path))
    assert cpu["cpu_s"].tolist() == [21.5, 23.5] and cpu["jobs"].tolist() == [3, 3]
    assert cpu["wall_s"].tolist() == [50.0, 50.0]
    with pytest.raises(InputError, match="draw 7003: benchmark file"):
        mr.draw_cpu(BENCH, [7003], str(tmp_path))


@pytest.mark.parametrize("covered,target,exact,band", [
    (95, "met", "[0.887, 0.984]", "yes"),      # 0.95
    (88, "not met (below)", "[0.800, 0.936]", "yes"),
    (80, "not met (below)", "[0.708, 0.873]", "no"),
    (100, "not met (above)", "[0.964, 1.000]", "yes"),
])
def test_table_marks_the_wcr_target_and_its_exact_interval(covered, target, exact, band):
    row = mr.coverage_table(_coverage(100, {"crv1": 90, "crv3": 93, "wcr": covered})).iloc[0]
    assert row["Target"] == target and row["WCR exact 95 %"] == exact and row["Band in exact 95 %"] == band
    assert row["CRV1"] == "0.900 (0.030)" and row["Model"] == "structural" and row["Term"] == "`backward:post2002`"


def test_pooled_estimand_adds_the_own_estimand_column_and_says_so():
    cov = _coverage(100, {"crv1": 90, "crv3": 93, "wcr": 95}).assign(coverage_wcr_own=0.8, feedback_worlds=400)
    row = mr.coverage_table(cov).iloc[0]
    assert row["WCR, own-draw estimand"] == "0.800 (0.040)"
    assert "pooled over the draws (400 further worlds" in mr._estimand_note(cov)[0]
    assert "own world's estimand" in mr._estimand_note(_coverage(100, {"crv1": 90, "crv3": 93, "wcr": 95}))[0]


def test_the_bias_split_at_the_oracle_gets_two_columns_and_a_note():
    cov = _coverage(10, {"crv1": 9, "crv3": 9, "wcr": 9}).assign(
        bias=-0.011, mcse_bias=0.003, bias_vs_oracle=-0.002, mcse_bias_vs_oracle=0.0004,
        oracle_bias=-0.009, mcse_oracle_bias=0.0029, within_2se_of_oracle=0.9)
    row = mr.coverage_table(cov).iloc[0]
    assert row["Bias (MC SE)"] == "-0.011 (0.003)"
    assert row["Estimate - oracle (MC SE)"] == "-0.0020 (0.0004)"
    assert row["Oracle - estimand (MC SE)"] == "-0.0090 (0.0029)" and row["Within 2 SE of oracle"] == "0.900"
    assert "the two add up to the bias" in mr._oracle_note(cov)[0]
    assert mr._oracle_note(cov.drop(columns=["mcse_bias_vs_oracle"])) == []


def test_document_from_the_cli_names_the_run_and_says_when_draws_are_short(tmp_path, monkeypatch):
    _bench(tmp_path, [7001, 7002, 7003])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.log").write_text(LOG)
    _coverage(3, {"crv1": 2, "crv3": 3, "wcr": 3}).to_csv("coverage.csv", index=False)
    draws = []
    for seed in (7001, 7002, 7003):
        pd.DataFrame({"seed": [seed]}).to_csv(f"seed_{seed}.csv", index=False)
        draws.append(f"seed_{seed}.csv")
    args = ["--coverage", "coverage.csv", "--draws", *draws, "--run-log", "run.log", "--benchmarks", BENCH,
            "--command", "FIRST=7001 LAST=7200 tools/montecarlo_draws.sh", "--planned", "200", "--scale", "small",
            "--cores", "2", "--commit", "abc1234", "--out", "coverage.md"]
    assert cli.montecarlo_report_main(args) == 0
    text = (tmp_path / "coverage.md").read_text()
    assert "**3 of the 200 planned draws**" in text and "seeds 7001-7003" in text
    assert "commit `abc1234`" in text and "`FIRST=7001 LAST=7200 tools/montecarlo_draws.sh`" in text
    assert "median 5.0, range 2.5-7.6" in text and "median 23.5 s" in text
    assert ("| pipeline TFP | structural | `backward:post2002` | 0.410 | 3 | 0.667 (0.272) | 1.000 (0.000) "
            "| 1.000 (0.000) | [0.292, 1.000] | not met (above) | yes |") in text
    first = text
    assert cli.montecarlo_report_main(args) == 0
    assert (tmp_path / "coverage.md").read_text() == first  # same inputs, same bytes
    # a draw missing from the list the coverage table counts: no document
    (tmp_path / "coverage.md").unlink()
    assert cli.montecarlo_report_main([*args[:3], *draws[:2], *args[5 + 1:]]) != 0
    assert not (tmp_path / "coverage.md").exists()
