"""docs/calibration.md names every parameter of the synthetic world (config `synth:`)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_every_synth_parameter_is_documented_with_its_value():
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))["synth"]
    doc = (REPO / "docs/calibration.md").read_text(encoding="utf-8")
    missing = [k for k in cfg if f"`{k}" not in doc]  # `key`, `block.key` or `industries:`
    for block in ("spillovers", "mess"):
        missing += [f"{block}.{k}" for k in cfg[block] if f"`{block}.{k}`" not in doc]
    assert not missing, f"docs/calibration.md lacks {missing}"
    for k, v in cfg["spillovers"].items():  # the structural effects are quoted with their values
        row = next(line for line in doc.splitlines() if f"`spillovers.{k}`" in line)
        assert f"{abs(v):.2f}" in row, (k, v, row)
    for k, v in cfg["mess"].items():
        row = next(line for line in doc.splitlines() if f"`mess.{k}`" in line)
        assert f"| {v} |" in row, (k, v, row)
