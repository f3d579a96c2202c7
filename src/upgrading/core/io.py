"""Atomic, deterministic writers: a failed step leaves no partial output."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from upgrading.core.errors import InputError

# Free of a pandas import: the workflow names raw files with this module when Snakemake parses the rules.
if TYPE_CHECKING:
    import pandas as pd

# Formats of the raw yearly files, by file-name extension.
EXTENSIONS = (".csv", ".csv.gz", ".dta", ".parquet")


def current_umask() -> int:
    """The process umask (os.umask can only be read by setting it, so set it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(path: str | os.PathLike) -> None:
    """Give `path` the mode a plain open() would: mkstemp creates 0600 whatever the umask, which
    would make outputs unreadable to the group on shared cluster storage."""
    os.chmod(path, 0o666 & ~current_umask())


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        honour_umask(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Parquet without pandas' index and with fixed compression, so bytes repeat."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd", engine="pyarrow")


def write_csv(df: pd.DataFrame, path: str | os.PathLike, **kwargs) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", **kwargs)


def write_json(obj, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                       encoding="utf-8")


def write_text(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def file_format(name: str) -> str | None:
    """'csv', 'csv.gz', 'dta', 'parquet' from the file name, or None."""
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return ext[1:]
    return None


def read_yaml(path: str | os.PathLike) -> Any:
    """A YAML file, parsed by libyaml when PyYAML has it (ten times the pure-Python parser's speed:
    the workflow reads the config schema and the registry at every start). Same safe types."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)


def year_file_name(pattern: str, year: int) -> str:
    """The pattern with {year} filled in (plain text replacement, nothing evaluated)."""
    if pattern.count("{year}") != 1 or "/" in pattern:
        raise InputError(f"raw file pattern {pattern!r} must hold {{year}} exactly once and no '/'")
    return pattern.replace("{year}", str(year))


def read_text_option(value: str, option: str) -> tuple[str, str | None]:
    """(text, source file) of an option given inline or as @FILE (the rules pass their settings
    files this way, so a job's command line stays one readable line); source is None inline."""
    if not value.startswith("@"):
        return value, None
    source = value[1:]
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except OSError as exc:
        raise InputError(f"{option}: cannot read the settings file: {exc.strerror}", file=source) from None


def read_json_option(value: str, option: str):
    """The value of a JSON option: inline JSON, or @FILE naming a JSON file."""
    value, source = read_text_option(value, option)
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError(f"{option} is not valid JSON: {exc}", file=source) from None
