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
