"""Same seed, same bytes; another seed, other bytes; the CLI's errors and --describe."""

from __future__ import annotations

import hashlib
import json

import pytest

from upgrading.synth.cli import main

from .conftest import CONFIG, HEADERS, make_world


def _digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(world, tmp_path):
    again = make_world(tmp_path / "again")
    first, second = _digests(world), _digests(again)
    assert first == second
    assert len(first) == 10 + 7 + 4 + 1  # years, side files, truth, SHA256SUMS


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
    from upgrading.synth.cli import load_synth_params

    params = load_synth_params(str(CONFIG), None)
    del params["rho_u"]
    assert main(["--scale", "small", "--seed", "1", "--out", str(tmp_path / "X"), "--headers", str(HEADERS),
                 "--synth-json", json.dumps(params)]) == 1
    assert "rho_u" in capsys.readouterr().err
    assert not (tmp_path / "X" / "asif_1998.csv").exists()
