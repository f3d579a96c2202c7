"""Parse-time checks remembered by content.

Every Snakemake start (one with nothing to do included) validates the configuration against its
schema and the specification registry against its schema and the analysis-table contract. The
outcome depends only on the bytes checked and on the checking code, so it is kept under a key
made of exactly those: a start whose inputs and code are unchanged reads the outcome back
instead of checking again; any change of config, schema, registry or checking code misses the
key and checks in full. Only successful checks are remembered; a failing one raises every time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from upgrading.core.io import write_text

# Beside Snakemake's own state (git-ignored, removed by `make clean`).
CACHE_DIR = Path(".snakemake") / "upgrading-parse-checks"


def key(parts: Iterable[str | bytes]) -> str:
    """SHA-256 of the parts, each length-prefixed so that no two different sequences collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def source_bytes(*paths: str | os.PathLike) -> list[bytes]:
    """The bytes of files that take part in a check (schemas, the checking modules)."""
    return [Path(p).read_bytes() for p in paths]


def _file(name: str, content_key: str, cache_dir: Path) -> Path:
    return cache_dir / f"{name}-{content_key}.yaml"


def recall(name: str, content_key: str, cache_dir: Path = CACHE_DIR) -> Any | None:
    """The remembered result of check `name` for these contents, or None if there is none."""
    path = _file(name, content_key, cache_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        return None


def remember(name: str, content_key: str, result: Any, cache_dir: Path = CACHE_DIR) -> None:
    """Keep `result` of a passed check, if YAML gives it back unchanged (otherwise keep nothing,
    and the next start checks again). An unwritable cache folder only costs the next start time."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    try:
        text = yaml.dump(result, Dumper=dumper, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if yaml.load(text, Loader=loader) != result:
        return
    try:
        write_text(text, _file(name, content_key, cache_dir))
    except OSError:
        pass
