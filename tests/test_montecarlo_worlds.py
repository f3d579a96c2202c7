"""A Monte Carlo draw is a world of the same DAG: its jobs are the main world's rules with the
same commands, except the world's paths (worlds/mc<seed>/...) and its seed, what the draw leaves
out (its productivity settings file, the models its estimate jobs fit: estimation.montecarlo),
and they rank below the main world's jobs. Checked on Snakemake's own dry run of both chains."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dag_support import copy_repository, run_snakemake

pytestmark = pytest.mark.integration

TEST_CONFIG = Path(__file__).parent / "config" / "integration.yaml"
STAGES = ["synthesize", "estimand_feedback", "ingest", "link", "clean", "productivity", "measures", "estimate"]


def _jobs(dry_run: str) -> list[dict]:
    """rule, shell command and priority of every job a dry run (with --printshellcmds) plans."""
    jobs = []
    for line in dry_run.splitlines():
        if m := re.match(r"(?:local)?rule (\w+):$", line):
            jobs.append({"rule": m.group(1), "command": "", "priority": 0})
        elif jobs and (m := re.match(r"\s+priority: (\d+)$", line)):
            jobs[-1]["priority"] = int(m.group(1))
        elif jobs and line.startswith("Shell command: "):
            jobs[-1]["command"] = line.removeprefix("Shell command: ")
    return jobs


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    work = copy_repository(tmp_path_factory.mktemp("worlds") / "repo")
    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    seed = cfg["estimation"]["montecarlo"]["first_seed"]
    result = run_snakemake(work, "--workflow-profile", "profiles/default", "--configfile", str(TEST_CONFIG),
                           "--dry-run", "--", f"results/montecarlo/draws/seed_{seed}.csv",
                           "results/estimates/baseline.parquet", "results/estimates/validation.parquet",
                           "data/raw/truth/parameters.json",
                           timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return _jobs(result.stdout), seed, cfg["seed"]


def _normalised(job: dict, world: str, seed: int) -> str:
    command = job["command"].replace(world, "").replace(f"--seed {seed} ", "--seed SEED ")
    if world:  # what a draw leaves out (config estimation.montecarlo)
        command = re.sub(r" --models \S+", "", command.replace("productivity_draw.json", "productivity.json"))
    return command


def test_a_draw_runs_the_main_world_rules_with_the_same_commands(planned):
    jobs, seed, main_seed = planned
    world = f"worlds/mc{seed}/"
    in_world = [j for j in jobs if world in j["command"] and j["rule"] != "montecarlo"]
    in_main = [j for j in jobs if j["command"].startswith("upgrading ") and "worlds/" not in j["command"]]
    # target_models_only: a draw's estimate jobs are estimate_draw's, the same command with --models
    assert sorted({j["rule"].removesuffix("_draw") for j in in_world}) == sorted(STAGES)
    assert {j["rule"] for j in in_main} >= set(STAGES)
    main = {_normalised(j, "", main_seed) for j in in_main}
    for job in in_world:
        assert _normalised(job, world, seed) in main, job["command"]
    # The stages read their settings from the same files, not as JSON on the command line.
    settings = [re.search(r"--(?:synth|config)-json (\S+)", j["command"]) for j in in_world]
    assert sorted(m.group(1) for m in settings if m) == [
        f"@results/settings/{s}.json" for s in ("cleaning", "measures", "productivity_draw", "synth", "synth")]
    # ... and fit only the validation target models of each family
    models = {re.search(r"--family (\w+)", j["command"]).group(1): re.search(r"--models (\S+)", j["command"])
              for j in in_world if j["rule"] == "estimate_draw"}
    assert {f: m.group(1) for f, m in models.items()} == {"baseline": "firm_year", "validation": "local,structural"}
    assert all("--models" not in j["command"] for j in in_main)


def test_the_draw_compares_its_own_world_and_ranks_below_the_main_chain(planned):
    jobs, seed, _ = planned
    world = f"worlds/mc{seed}/"
    draw = next(j for j in jobs if j["rule"] == "montecarlo")
    assert f"--seed {seed} " in draw["command"] and f"{world}results/estimates/baseline.parquet" in draw["command"]
    assert f"--truth {world}data/raw/truth/parameters.json" in draw["command"]
    world_jobs = [j for j in jobs if world in j["command"]]
    main_jobs = [j for j in jobs if j["command"].startswith("upgrading ") and "worlds/" not in j["command"]]
    assert max(j["priority"] for j in world_jobs) < min(j["priority"] for j in main_jobs)
