"""Manifest hashes: SHA256 of each file, directory scans, exclusions, and the comparison verify uses."""

from __future__ import annotations

import hashlib
import json

from upgrading.exhibits import cli, manifest


def _tree(root):
    (root / "data/raw").mkdir(parents=True)
    (root / "results/tables").mkdir(parents=True)
    (root / "results/benchmarks").mkdir(parents=True)
    (root / "data/raw/asif_1998.csv").write_bytes("法人代码,x\n1,2\n".encode("gbk"))
    (root / "results/tables/t.tex").write_text("\\toprule\n")
    (root / "results/benchmarks/t.tsv").write_text("s\n1.23\n")  # timings: never hashed


def test_collect_hashes_and_excludes(tmp_path):
    _tree(tmp_path)
    got = manifest.collect([tmp_path / "data/raw", tmp_path / "results"], root=tmp_path)
    assert list(got) == ["data/raw/asif_1998.csv", "results/tables/t.tex"]
    assert got["results/tables/t.tex"] == hashlib.sha256(b"\\toprule\n").hexdigest()


def test_compare_finds_changed_and_missing(tmp_path):
    _tree(tmp_path)
    m = manifest.build([tmp_path / "data/raw"], [tmp_path / "results"], root=tmp_path)
    assert manifest.compare(m, tmp_path) == []
    (tmp_path / "results/tables/t.tex").write_text("changed\n")
    (tmp_path / "data/raw/asif_1998.csv").unlink()
    assert manifest.compare(m, tmp_path) == ["missing: data/raw/asif_1998.csv", "differs: results/tables/t.tex"]


def test_manifest_cli_is_deterministic(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out in ("m1.json", "m2.json"):
        assert cli.manifest_main(["--inputs", "data/raw", "--outputs", "results", "--out", out]) == 0
    a, b = (tmp_path / "m1.json").read_bytes(), (tmp_path / "m2.json").read_bytes()
    assert a == b
    m = json.loads(a)
    assert m["packages"]["pandas"] and m["packages"]["python"]
    assert "commit" in m["git"] and set(m["outputs"]) == {"results/tables/t.tex"}


def _trail(root):
    """A three-job DAG: synthesize (raw files) -> estimate -> table, and a Monte Carlo world's
    synthesize -> estimate feeding the same table."""
    jobs = [
        {"rule": "synthesize", "wildcards": {}, "inputs": [], "outputs": ["data/raw/asif_1998.csv"]},
        {"rule": "synthesize", "wildcards": {"world": "worlds/mc1/"}, "inputs": [],
         "outputs": ["worlds/mc1/data/raw/asif_1998.csv"]},
        {"rule": "estimate", "wildcards": {}, "inputs": ["data/raw/asif_1998.csv"],
         "outputs": ["results/estimates/e.parquet"]},
        {"rule": "estimate", "wildcards": {"world": "worlds/mc1/"}, "inputs": ["worlds/mc1/data/raw/asif_1998.csv"],
         "outputs": ["worlds/mc1/results/estimates/e.parquet"]},
        {"rule": "table", "wildcards": {}, "inputs": ["results/estimates/e.parquet", "config/specs.yaml",
                                                     "worlds/mc1/results/estimates/e.parquet"],
         "outputs": ["results/tables/t.csv", "results/tables/t.tex"]},
        {"rule": "unrelated", "wildcards": {}, "inputs": [], "outputs": ["results/other.csv"]},
    ]
    text = json.dumps({"schema": "upgrading-trail/1", "raw_dir": "data/raw", "results_dir": "results",
                       "jobs": jobs, "sources": ["config/specs.yaml"]})
    (root / "trail.json").write_text(text)
    return text


def test_chain_outputs_are_every_upstream_output_but_the_raw_folders(tmp_path):
    from upgrading.exhibits.trail import Trail

    trail = Trail.from_json(_trail(tmp_path))
    assert manifest.chain_outputs(trail, ["results/tables/t.tex"]) == [
        "results/estimates/e.parquet", "results/tables/t.csv", "results/tables/t.tex",
        "worlds/mc1/results/estimates/e.parquet"]


def test_manifest_cli_reads_the_chain_from_the_trail_and_the_configuration_from_a_file(tmp_path, monkeypatch):
    _tree(tmp_path)
    _trail(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/estimates").mkdir()
    (tmp_path / "results/estimates/e.parquet").write_bytes(b"PAR1")
    (tmp_path / "results/tables/t.csv").write_text("a\n")
    (tmp_path / "worlds/mc1/results/estimates").mkdir(parents=True)
    (tmp_path / "worlds/mc1/results/estimates/e.parquet").write_bytes(b"PAR1")
    (tmp_path / "config.yaml").write_text("first_year: 1998\nsynth: {firms_per_year: {1998: 10}}\n")
    assert cli.manifest_main(["--inputs", "data/raw", "--trail", "trail.json", "--chain-of", "results/tables/t.tex",
                              "--config-yaml", "@config.yaml", "--out", "m.json"]) == 0
    m = json.loads((tmp_path / "m.json").read_text())
    assert list(m["outputs"]) == ["results/estimates/e.parquet", "results/tables/t.csv", "results/tables/t.tex",
                                  "worlds/mc1/results/estimates/e.parquet"]
    assert m["config_yaml"].startswith("first_year: 1998") and m["config"]["synth"]["firms_per_year"] == {"1998": 10}
    assert cli.manifest_main(["--inputs", "data/raw", "--chain-of", "results/tables/t.tex", "--out", "m2.json"]) == 1
    assert not (tmp_path / "m2.json").exists()
