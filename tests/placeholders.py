"""What must never reach a reader of the PDF: placeholders, missing values printed as text,
Python syntax and working notes. Used on the text of the paper (pdftotext)."""

from __future__ import annotations

import re

# Each pattern with what it catches. Word boundaries keep "None" out of "Nonetheless" and
# "nan" out of "financial"; a "?" counts only as a token of its own (not "Why do ...?").
PATTERNS = {
    "standalone ?": re.compile(r"(?:^|\s)\?(?=\s|$)", re.M),
    "None": re.compile(r"\bNone\b"),
    "nan": re.compile(r"\b(?:nan|NaN)\b"),
    "Python list": re.compile(r"\[\s*'|'\s*\]|\[\s*\"|\"\s*\]"),
    "Python bool": re.compile(r"\b(?:equals|is) (?:True|False)\b"),
    "TODO": re.compile(r"\b(?:TODO|FIXME|XXX)\b"),
    "seed text": re.compile(r"\bseed (?:text|stud)", re.I),
    "undefined reference": re.compile(r"\?\?"),
    "working note": re.compile(r"not re-checked|not part of the abstract consulted|Master's thesis, Master's thesis", re.I),
    # "City x year": the letter x standing for a times sign (typeset as ×).
    "x as times sign": re.compile(r"\b[A-Za-z]+ x [A-Za-z]+\b"),
}

# Registry ids (domestic_coastal, firm_year): allowed only where the paper lists the registry
# itself and the replication files, not in the text, tables and figures a reader reads.
INTERNAL_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
REGISTRY_HEADING = re.compile(r"^\s*[A-Z]?\s*The specification registry\s*$", re.M)


def find_placeholders(text: str) -> list[str]:
    """Every hit as 'kind: ...context...'; empty when the text is clean."""
    hits = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            start, end = max(0, m.start() - 40), min(len(text), m.end() + 40)
            hits.append(f"{kind}: ...{' '.join(text[start:end].split())}...")
    return hits


def reader_text(text: str) -> str:
    """The text before the appendix that lists the registry (whose ids are its subject)."""
    m = REGISTRY_HEADING.search(text)
    return text[: m.start()] if m else text


def find_internal_ids(text: str) -> list[str]:
    """Registry or column ids (with underscores) in the part of the paper written for readers."""
    body = reader_text(text)
    return [f"internal id: ...{' '.join(body[max(0, m.start() - 40): m.end() + 40].split())}..."
            for m in INTERNAL_ID.finditer(body)]
