"""config/README.md documents every key of workflow/schemas/config.schema.yaml, and no other."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def schema_keys(node: dict, prefix: str = "") -> list[str]:
    out = []
    for name, sub in (node.get("properties") or {}).items():
        out.append(prefix + name)
        out += schema_keys(sub, f"{prefix}{name}.")
    return out


def test_every_schema_key_is_documented_and_every_documented_key_exists():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text(encoding="utf-8"))
    readme = (REPO / "config/README.md").read_text(encoding="utf-8")
    readme = readme[readme.index("## Top level"):]  # the key tables (the seeds table before them repeats some)
    documented = re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", readme, flags=re.MULTILINE)
    keys = schema_keys(schema)
    assert [k for k in keys if k not in documented] == [], "keys missing from config/README.md"
    assert [k for k in documented if k not in keys] == [], "config/README.md documents unknown keys"
    assert len(documented) == len(set(documented)), "a key documented twice"
