"""Same seed, same bytes; another seed, other bytes; the CLI's errors and --describe."""

from __future__ import annotations

import hashlib
import json

import pytest

from upgrading.synth.cli import load_synth_params, main

from .conftest import CONFIG, HEADERS, SEED, YEARS, make_world


def _digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(world, tmp_path):
    again = make_world(tmp_path / "again")
    first, second = _digests(world), _digests(again)
    assert first == second
    assert len(first) == 10 + 7 + 4 + 1  # years, side files, truth, SHA256SUMS


def test_feedback_from_its_own_process_gives_the_same_truth(world, tmp_path):
    """The DAG's way (world without the feedback part, the further worlds alone, the join) writes
    the same bytes as one run: every file of the world, parameters.json included."""
    from upgrading.synth.estimands import join_files
    from upgrading.synth.generate import OWN_TRUTH, feedback, generate

    params = {**load_synth_params(str(CONFIG), None), "layout": "plain"}
    split = tmp_path / "split"
    generate(split, params, "small", SEED, YEARS, HEADERS, feedback_later=True)
    assert not (split / "truth" / "parameters.json").exists()
    doc = feedback(split / "truth" / "feedback.json", params, "small", SEED, YEARS)
    assert doc["replications"] == params["estimand_replications"] > 0 and len(doc["seeds"]) == doc["replications"]
    join_files(split / "truth" / OWN_TRUTH, split / "truth" / "feedback.json", split / "truth" / "parameters.json")
    one, two = _digests(world), _digests(split)
    assert {k: v for k, v in two.items() if k not in ("SHA256SUMS", f"truth/{OWN_TRUTH}", "truth/feedback.json")} \
        == {k: v for k, v in one.items() if k != "SHA256SUMS"}
    listed = (split / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"truth/{OWN_TRUTH}" in listed and "truth/parameters.json" not in listed


def test_cli_feedback_options(tmp_path, capsys):
    out = tmp_path / "feedback.json"
    base = ["--scale", "small", "--seed", "3", "--config", str(CONFIG), "--first-year", "2001", "--last-year", "2002"]
    with pytest.raises(SystemExit):
        main([*base, "--feedback-out", str(out), "--out", str(tmp_path / "raw")])
    assert "no --out" in capsys.readouterr().err and not out.exists()
    params = {**load_synth_params(str(CONFIG), None), "estimand_replications": 0}
    assert main([*base, "--synth-json", json.dumps(params), "--feedback-out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == {"feedback": {}, "replications": 0, "seeds": []}


def test_other_seed_other_world(world, tmp_path):
    other = make_world(tmp_path / "other", seed=8)
    a, b = _digests(world), _digests(other)
    assert a["asif_1998.csv"] != b["asif_1998.csv"]


def test_cli_writes_and_describes(tmp_path, capsys):
    out = tmp_path / "raw"
    code = main(["--scale", "small", "--seed", "3", "--out", str(out), "--first-year", "2001",
                 "--last-year", "2004", "--config", str(CONFIG), "--headers", str(HEADERS)])
    assert code == 0
    # the default layout (real_traits) writes 2004 as a Stata file
    assert sorted(p.name for p in out.glob("asif_*")) == [f"asif_{y}.csv" for y in range(2001, 2004)] + ["asif_2004.dta"]
    assert not list(out.glob(".synth-*"))  # staging folder removed
    capsys.readouterr()
    assert main(["--describe", str(out)]) == 0
    text = capsys.readouterr().out
    for word in ("fie_share_firms", "export_participation", "sd_tfp_2001", "entry_rate", "horizontal_mean"):
        assert word in text


@pytest.mark.parametrize("argv, message", [
    (["--scale", "small", "--seed", "1", "--out", "X", "--config", "nope.yaml"], "config file not found"),
    (["--scale", "small", "--seed", "1", "--out", "X", "--synth-json", "{bad"], "not valid JSON"),
    (["--scale", "small", "--seed", "1", "--out", "X", "--first-year", "2005", "--last-year", "2001"],
     "after --last-year"),
])
def test_cli_errors_name_the_problem(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "asif_headers.yaml").write_text(HEADERS.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "X").exists()


def test_missing_parameter_is_reported(tmp_path, capsys, monkeypatch):
    params = load_synth_params(str(CONFIG), None)
    del params["rho_u"]
    assert main(["--scale", "small", "--seed", "1", "--out", str(tmp_path / "X"), "--headers", str(HEADERS),
                 "--synth-json", json.dumps(params)]) == 1
    assert "rho_u" in capsys.readouterr().err
    assert not (tmp_path / "X" / "asif_1998.csv").exists()
