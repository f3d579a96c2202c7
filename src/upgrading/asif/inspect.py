"""`upgrading inspect-raw DIR`: what ingest would make of each raw year file, from its
header and a sample of rows, in seconds: what maps to what, what is left out, which
variable has several columns, which required variable is missing, and the file's
encoding, units and value forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from upgrading.asif.headers import Field, HeaderPlan, closest_unmapped, plan_headers
from upgrading.asif.ingest import coerce_column
from upgrading.asif.readers import DEFAULT_PATTERN, read_raw
from upgrading.core.errors import InputError
from upgrading.core.io import EXTENSIONS, file_format, year_file_name

SAMPLE_ROWS = 2000


@dataclass(frozen=True)
class FileReport:
    file: str
    fmt: str
    encoding: str
    rows_sampled: int
    plan: HeaderPlan | None
    value_notes: tuple[str, ...]
    problems: tuple[str, ...]


def year_files(raw_dir: str | Path, pattern: str = DEFAULT_PATTERN) -> list[Path]:
    """Every file of a supported format whose name fits the yearly file pattern."""
    year_file_name(pattern, 2000)  # checks the pattern
    stem = re.escape(pattern).replace(re.escape("{year}"), r"((?:19|20)\d\d)")
    regex = re.compile(stem if file_format(pattern) else stem + r"\.(csv|csv\.gz|dta|parquet)")
    return [p for p in sorted(Path(raw_dir).iterdir()) if p.is_file() and regex.fullmatch(p.name)]


def several_per_year(files: list[Path], pattern: str = DEFAULT_PATTERN) -> dict[str, list[str]]:
    """year -> file names, for years with more than one file (ingest would stop there)."""
    stem = re.escape(pattern).replace(re.escape("{year}"), r"((?:19|20)\d\d)")
    by_year: dict[str, list[str]] = {}
    for p in files:
        m = re.match(stem, p.name)
        by_year.setdefault(m.group(1) if m else p.name, []).append(p.name)
    return {y: names for y, names in by_year.items() if len(names) > 1}


def inspect_file(path: Path, fields: dict[str, Field], nrows: int = SAMPLE_ROWS) -> FileReport:
    try:
        raw = read_raw(path, nrows=nrows)
    except InputError as exc:
        return FileReport(path.name, file_format(path.name) or "?", "?", 0, None, (), (str(exc),))
    plan = plan_headers([str(c) for c in raw.frame.columns], fields, raw.file, raw.labels)
    notes, problems = [], []
    for name, cols in plan.by_variable.items():
        for c in cols:
            try:
                _, counts = coerce_column(raw.frame[c.header], fields[name], raw.file, c.header, c.factor)
            except InputError as exc:
                problems.append(str(exc))
                continue
            for k, v in sorted(counts.items()):
                if k != "money_rescaled":
                    notes.append(f"{c.header} ({name}): {k.replace('_', ' ')} in {v} of {len(raw.frame)} rows")
    return FileReport(raw.file, raw.fmt, raw.encoding, len(raw.frame), plan, tuple(notes), tuple(problems))


def _wrap(title: str, items: list[str], sep: str = "; ", width: int = 100) -> str:
    """'  title: a; b; ...' broken between items, never inside one."""
    lines, line = [], f"  {title}: "
    for i, item in enumerate(items or ["none"]):
        piece = item + (sep if i < len(items) - 1 else "")
        if len(line) + len(piece.rstrip()) > width and line.strip():
            lines.append(line.rstrip())
            line = "      "
        line += piece
    return "\n".join(lines + [line.rstrip()])


def format_report(rep: FileReport, fields: dict[str, Field]) -> str:
    head = f"{rep.file}  [{rep.fmt}, {rep.encoding}, {rep.rows_sampled} rows sampled"
    if rep.plan is None:
        return head + "]\n  ERROR " + "\n  ERROR ".join(rep.problems)
    plan = rep.plan
    lines = [head + f", {len(plan.columns)} columns]"]
    used = []
    for name in fields:
        cols = plan.by_variable.get(name)
        if not cols:
            continue
        c = cols[0]
        tag = f" [{c.unit} x{c.factor:g}]" if c.factor != 1.0 else ""
        via = f" (label {c.label})" if c.matched_by == "label" else ""
        used.append(f"{c.header}{via} -> {name}{tag}")
    lines.append(_wrap(f"mapped ({len(used)})", used))
    alts = [f"{name}: {' > '.join(c.header for c in cols)}" for name, cols in plan.by_variable.items()
            if len(cols) > 1]
    lines.append(_wrap(f"several columns, first used ({len(alts)})", alts))
    un = plan.unmapped
    lines.append(_wrap(f"unmapped, left out ({len(un)})", [
        c.header + (f" ({c.label})" if c.label and c.label != c.header else "") for c in un], ", "))
    if plan.missing_required:
        miss = [f"{m} (closest unmapped: {', '.join(closest_unmapped(plan, fields[m])) or 'none'})"
                for m in plan.missing_required]
        lines.append(_wrap("MISSING REQUIRED", miss))
    else:
        lines.append("  missing required: none")
    optional = [f for f, fld in fields.items() if not fld.required and f not in plan.by_variable]
    lines.append(_wrap("optional absent", optional, ", "))
    units = sorted({c.unit for c in plan.columns if c.variable and fields[c.variable].kind == "money"} - {""})
    lines.append("  money units in headers: " + (", ".join(units) if units else "none stated (thousand yuan assumed)"))
    for n in rep.value_notes:
        lines.append("  values: " + n)
    for p in rep.problems:
        lines.append("  ERROR " + p)
    return "\n".join(lines)


def ok(rep: FileReport) -> bool:
    return rep.plan is not None and not rep.plan.missing_required and not rep.problems


__all__ = ["EXTENSIONS", "FileReport", "format_report", "inspect_file", "ok", "year_files"]
