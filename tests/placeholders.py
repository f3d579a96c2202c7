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
}


def find_placeholders(text: str) -> list[str]:
    """Every hit as 'kind: ...context...'; empty when the text is clean."""
    hits = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            start, end = max(0, m.start() - 40), min(len(text), m.end() + 40)
            hits.append(f"{kind}: ...{' '.join(text[start:end].split())}...")
    return hits
