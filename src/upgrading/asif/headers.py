"""The header map: every known raw (Chinese) spelling of each canonical ASIF variable.

The map is data (config/asif_headers.yaml), not code, because real files spell
their headers differently from year to year; adding a spelling never needs a
code change. Matching is exact after Unicode NFKC normalisation (full-width
brackets and spaces count as their ASCII forms) and after dropping blanks,
brackets and underscores (Stata renames "工业增加值(千元)" to "工业增加值_千元_").
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from upgrading.errors import InputError

_DROP = str.maketrans("", "", "()[]_")
KINDS = {"id", "text", "code", "int", "money", "count"}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    spellings: tuple[str, ...]


def normalise(header: str) -> str:
    """The form headers are compared in: NFKC, no BOM, no blanks, brackets or underscores."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return "".join(text.split()).translate(_DROP)


def load_header_map(path: str | Path) -> dict[str, Field]:
    """Read and check the YAML header map; fail on a spelling claimed by two variables."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not raw:
        raise InputError("header map must be a non-empty mapping", file=str(path))
    fields: dict[str, Field] = {}
    owner: dict[str, str] = {}
    for name, spec in raw.items():
        kind = spec.get("kind")
        if kind not in KINDS:
            raise InputError(f"variable {name}: kind {kind!r} not in {sorted(KINDS)}", file=str(path))
        spellings = tuple(str(s) for s in spec.get("spellings", []))
        if not spellings:
            raise InputError(f"variable {name} lists no spellings", file=str(path))
        for s in spellings:
            key = normalise(s)
            if key in owner and owner[key] != name:
                raise InputError(f"spelling {s!r} is listed for both {owner[key]} and {name}",
                                 file=str(path))
            owner[key] = name
        fields[name] = Field(name, kind, bool(spec.get("required", False)), spellings)
    return fields


def spelling_index(fields: dict[str, Field]) -> dict[str, str]:
    """normalised spelling -> canonical name."""
    return {normalise(s): f.name for f in fields.values() for s in f.spellings}


def map_headers(headers: list[str], fields: dict[str, Field], file: str) -> dict[str, str]:
    """raw header -> canonical name for one file, or one InputError naming what is wrong.

    Stops on headers not in the map (with the closest known spellings), on two
    headers that map to the same variable, and on missing required variables.
    """
    index = spelling_index(fields)
    mapping: dict[str, str] = {}
    unknown = [h for h in headers if normalise(h) not in index]
    if unknown:
        known = sorted(index)
        hints = []
        for h in unknown:
            close = difflib.get_close_matches(normalise(h), known, n=3, cutoff=0.3)
            hints.append(f"{h!r} (closest known: {', '.join(close) if close else 'none'})")
        raise InputError("unknown header(s), add the spelling to config/asif_headers.yaml if it is "
                         "a known variable: " + "; ".join(hints), file=file)
    seen: dict[str, str] = {}
    for h in headers:
        name = index[normalise(h)]
        if name in seen:
            raise InputError(f"headers {seen[name]!r} and {h!r} both map to {name}", file=file)
        seen[name] = h
        mapping[h] = name
    missing = [f.name for f in fields.values() if f.required and f.name not in seen]
    if missing:
        raise InputError("missing required column(s): " + ", ".join(
            f"{m} (any of {', '.join(fields[m].spellings)})" for m in missing), file=file,
            column=missing[0])
    return mapping
