"""The header map: every known raw spelling of each canonical ASIF variable, and the plan
that maps one file's columns onto it.

The map is data (config/asif_headers.yaml), not code, because real files spell
their headers differently from year to year and distribution to distribution;
adding a spelling never needs a code change. Headers are compared in a normal
form (`normalise`): Unicode NFKC (full-width characters count as their ASCII
forms), no blanks, no punctuation (brackets, colons, '_' and '-': Stata renames
"工业增加值(千元)" to "工业增加值_千元_"), ASCII lower case. A trailing money unit
(千元, 万元, 元) is read off the header, so "工业总产值现价万元" is output in 10,000
yuan, converted by ingest.

A file's columns fall into three groups: used (the preferred column of a variable),
alternatives (further columns of the same variable, which fill the used column's
missing cells and are compared with it) and unmapped (left out, listed in the audit).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from upgrading.core.errors import InputError

Kind = Literal["id", "text", "code", "int", "money", "count", "region"]
KINDS = {"id", "text", "code", "int", "money", "count", "region"}
# Trailing unit of a money header -> factor to thousand yuan.
UNITS = {"千元": 1.0, "万元": 10.0, "元": 0.001}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool
    spellings: tuple[str, ...]          # in order of preference
    labels: tuple[tuple[str, int], ...] = ()  # (normalised name, code) for kind `code`


@dataclass(frozen=True)
class Column:
    """One raw column of a file and what it maps to."""
    header: str
    label: str                # Stata variable label ('' if none)
    variable: str | None      # canonical name, None if unmapped
    rank: int                 # position of the matched spelling (preference; lower first)
    unit: str                 # '千元', '万元', '元' or '' (as read off the header)
    factor: float             # multiply money by this to get thousand yuan
    matched_by: str           # 'header', 'label' or ''


@dataclass(frozen=True)
class HeaderPlan:
    """How one file's columns map: every column in file order, and per variable the
    columns in order of preference (the first is used)."""
    file: str
    columns: tuple[Column, ...]
    by_variable: dict[str, tuple[Column, ...]] = field(default_factory=dict)
    missing_required: tuple[str, ...] = ()

    @property
    def unmapped(self) -> list[Column]:
        return [c for c in self.columns if c.variable is None]


def normalise(header: str) -> str:
    """The form headers are compared in: NFKC, no BOM, blanks or punctuation, ASCII lower case."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    kept = (ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))
    return "".join(ch.lower() if ch.isascii() else ch for ch in kept)


def split_unit(key: str) -> tuple[str, str]:
    """(normalised header without a trailing money unit, the unit or '')."""
    for unit in UNITS:  # 千元 and 万元 before 元
        if key.endswith(unit) and len(key) > len(unit):
            return key[: -len(unit)], unit
    return key, ""


def load_header_map(path: str | Path) -> dict[str, Field]:
    """Read and check the YAML header map; fail on a spelling claimed by two variables."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not raw:
        raise InputError("header map must be a non-empty mapping", file=str(path))
    fields: dict[str, Field] = {}
    owner: dict[str, str] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise InputError(f"variable {name}: expected a mapping with kind and spellings", file=str(path))
        kind = spec.get("kind")
        if kind not in KINDS:
            raise InputError(f"variable {name}: kind {kind!r} not in {sorted(KINDS)}", file=str(path))
        spellings = tuple(str(s) for s in spec.get("spellings", []))
        if not spellings:
            raise InputError(f"variable {name} lists no spellings", file=str(path))
        for s in spellings:
            key = split_unit(normalise(s))[0]
            if key in owner and owner[key] != name:
                raise InputError(f"spelling {s!r} is listed for both {owner[key]} and {name}",
                                 file=str(path))
            owner[key] = name
        labels = []
        for code, names in (spec.get("labels") or {}).items():
            if kind != "code" or not str(code).isdigit():
                raise InputError(f"variable {name}: labels need kind code and integer codes "
                                 f"(got {code!r})", file=str(path))
            labels += [(normalise(n), int(code)) for n in names]
        fields[name] = Field(name, kind, bool(spec.get("required", False)), spellings, tuple(labels))
    return fields


def spelling_index(fields: dict[str, Field]) -> dict[str, tuple[str, int]]:
    """normalised spelling (unit removed) -> (canonical name, rank); the first rank wins."""
    out: dict[str, tuple[str, int]] = {}
    for f in fields.values():
        for rank, s in enumerate(f.spellings):
            out.setdefault(split_unit(normalise(s))[0], (f.name, rank))
    return out


def _match(text: str, index: dict[str, tuple[str, int]]) -> tuple[str, int, str] | None:
    key = normalise(text)
    if not key:
        return None
    if key in index:
        return (*index[key], "")
    base, unit = split_unit(key)
    if unit and base in index:
        return (*index[base], unit)
    return None


def plan_headers(headers: list[str], fields: dict[str, Field], file: str,
                 labels: dict[str, str] | None = None) -> HeaderPlan:
    """Map every column of one file (never raises): used, alternatives, unmapped, missing."""
    index = spelling_index(fields)
    labels = labels or {}
    columns = []
    for h in headers:
        label = str(labels.get(h, "") or "")
        hit, how = _match(h, index), "header"
        if hit is None and label:
            hit, how = _match(label, index), "label"
        if hit is None:
            columns.append(Column(h, label, None, -1, split_unit(normalise(h))[1], 1.0, ""))
            continue
        name, rank, unit = hit
        factor = UNITS.get(unit, 1.0) if fields[name].kind == "money" else 1.0
        columns.append(Column(h, label, name, rank, unit, factor, how))
    by_variable: dict[str, list[Column]] = {}
    for c in columns:
        if c.variable is not None:
            by_variable.setdefault(c.variable, []).append(c)
    ordered = {name: tuple(sorted(cols, key=lambda c: c.rank)) for name, cols in by_variable.items()}
    missing = tuple(f.name for f in fields.values() if f.required and f.name not in ordered)
    return HeaderPlan(file, tuple(columns), ordered, missing)


def closest_unmapped(plan: HeaderPlan, fld: Field, n: int = 3) -> list[str]:
    """The file's unmapped headers that look most like any spelling of `fld`."""
    keys = {split_unit(normalise(s))[0] for s in fld.spellings}
    scored = []
    for c in plan.unmapped:
        key = split_unit(normalise(c.header))[0]
        score = max(difflib.SequenceMatcher(None, key, k).ratio() for k in keys)
        if c.label:
            score = max(score, *(difflib.SequenceMatcher(None, split_unit(normalise(c.label))[0], k).ratio()
                                 for k in keys))
        scored.append((-score, c.header))
    return [h for s, h in sorted(scored)[:n] if -s >= 0.3]


def map_headers(headers: list[str], fields: dict[str, Field], file: str,
                labels: dict[str, str] | None = None) -> HeaderPlan:
    """The plan for one file, or an InputError naming each missing required variable with
    the file's closest unmapped headers."""
    plan = plan_headers(headers, fields, file, labels)
    if plan.missing_required:
        parts = []
        for m in plan.missing_required:
            close = closest_unmapped(plan, fields[m])
            parts.append(f"{m} (known spellings: {', '.join(fields[m].spellings[:4])}, ...; closest "
                         f"unmapped header(s) in this file: {', '.join(close) if close else 'none'})")
        raise InputError("missing required column(s); if the file holds one under another name, add "
                         "that spelling to config/asif_headers.yaml: " + "; ".join(parts),
                         file=file, column=plan.missing_required[0])
    return plan
