"""Small LaTeX helpers shared by tables, numbers and the registry appendix."""

from __future__ import annotations

import math
import re

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    # A times sign in a label ("City × year") is typeset in math, in text and math alike.
    "\u00d7": r"\ensuremath{\times}",
}
_ESCAPE_RE = re.compile("|".join(re.escape(k) for k in _ESCAPES))


def escape(text) -> str:
    """Escape every character LaTeX treats specially, so labels from data or YAML compile."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], str(text))


def is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def readable_digits(largest: float, digits: int = 3, most: int = 8) -> int:
    """Decimals that show a number, or the largest of a row of numbers, as more than zeros: `digits`,
    unless it is non-zero and below 10**-digits; then enough for two significant digits (0.00034)."""
    largest = abs(float(largest))
    if largest == 0.0 or largest >= 10.0 ** -digits or not math.isfinite(largest):
        return digits
    return min(most, 1 - math.floor(math.log10(largest)))


def fmt_float(x, digits: int = 3) -> str:
    """Fixed decimals; a real minus sign in text mode would need math, so keep ASCII '-'."""
    if is_missing(x):
        return ""
    s = f"{float(x):.{digits}f}"
    # "-0.000" reads as a sign error; show zero without sign.
    if float(s) == 0.0:
        s = s.lstrip("-")
    return s


def minus(value: str) -> str:
    """A typeset minus sign (not a hyphen) in front of a negative number of a cell."""
    return r"\ensuremath{-}" + value[1:] if value.startswith("-") else value


def fmt_int(n, latex: bool = True) -> str:
    """Thousands separated by a comma; `{,}` keeps math-mode spacing right if set in math."""
    if is_missing(n):
        return ""
    s = f"{int(round(float(n))):,}"
    return s.replace(",", "{,}") if latex else s


_AR_BOUNDED = re.compile(r"\[\s*(\S+?)\s*,\s*(\S+?)\s*\]")
_AR_RAYS = re.compile(r"\(\s*-inf\s*,\s*(\S+?)\s*\]\s*U\s*\[\s*(\S+?)\s*,\s*inf\s*\)")


def ar_set_text(text) -> str:
    """An Anderson-Rubin set as the estimates write it ('[a, b]', '(-inf, a] U [b, inf)',
    '(-inf, inf)') in words, without brackets: 'a to b', 'at most a or at least b', 'every value'.

    Brackets in the tables hold wild bootstrap p-values, so a set is written out instead.
    """
    raw = str(text).strip()
    if m := _AR_BOUNDED.fullmatch(raw):
        return f"{minus(m.group(1))} to {minus(m.group(2))}"
    if m := _AR_RAYS.fullmatch(raw):
        return f"at most {minus(m.group(1))} or at least {minus(m.group(2))}"
    if re.fullmatch(r"\(\s*-inf\s*,\s*inf\s*\)", raw):
        return "every value (unbounded)"
    raise ValueError(f"Anderson-Rubin set {raw!r} is not '[a, b]', '(-inf, a] U [b, inf)' or '(-inf, inf)'")


_DIGIT_WORDS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]


def macro_name(*parts: str) -> str:
    """CamelCase letters-only name from ids such as ('baseline', 'fe_firm_year', 'h2').

    TeX control words may hold letters only; digits become words ('2002' -> 'TwoZeroZeroTwo').
    """
    out = []
    for part in parts:
        for token in re.split(r"[^A-Za-z0-9]+", str(part)):
            if not token:
                continue
            for chunk in re.findall(r"[A-Za-z]+|[0-9]", token):
                out.append(_DIGIT_WORDS[int(chunk)] if chunk.isdigit() else chunk[0].upper() + chunk[1:])
    name = "".join(out)
    if not name:
        raise ValueError(f"no letters in macro parts {parts!r}")
    return name


MACRO_NAME_RE = re.compile(r"^[A-Za-z]+$")


def keep_with_next(row: str) -> str:
    """A body row whose end may not be a page break (longtable's \\\\*)."""
    return row[: -len("\\\\")] + "\\\\*" if row.endswith("\\\\") else row


def keep_last_rows(body: list[str], rows: int) -> list[str]:
    """The body with no page break among its last `rows` rows, so the table's last page (and its
    notes) never starts with a single row."""
    out, left = list(body), rows
    for i in range(len(out) - 1, -1, -1):
        if left == 0:
            break
        if out[i].rstrip().endswith(("\\\\", "\\\\*")):
            out[i] = keep_with_next(out[i].rstrip())
            left -= 1
    return out


# Rows of a long table that go to its last page together (with the notes).
LAST_PAGE_ROWS = 4


def longtable(colspec: str, ncol: int, caption: str, label: str, head: list[str], body: list[str],
              notes: str = "", preamble: str = r"\footnotesize") -> str:
    """A longtable that reads right when it breaks across pages.

    The header repeats on every page under "<caption> (continued)", a page that does not end
    the table says so at its foot, and the notes follow the last row: no page break falls among
    the last LAST_PAGE_ROWS rows and the notes, so no row is left alone on a page. The table
    spans the text width (longtable's own \\LTleft/\\LTright with \\extracolsep), so the notes'
    paragraph can too.
    """
    # The notes' paragraph is set in a box of zero width (\rlap): as wide as the text, it must not
    # widen the table's last column.
    # The closing rule is drawn in the last row (with the notes, if any), not by \bottomrule:
    # booktabs' rule ends in glue, where a page may break, leaving the notes alone on a page.
    closing = (r"\vspace{-0.5\baselineskip}\hrule height \heavyrulewidth\vspace{0.4ex}"
               + (rf"\emph{{Notes:}} {notes}" if notes else ""))
    last_row = (rf"\multicolumn{{{ncol}}}{{@{{}}l@{{}}}}{{\rlap{{\parbox[t]{{\linewidth}}{{\vspace{{0pt}}"
                rf"{closing}}}}}}} \\")
    return "\n".join([
        r"\begingroup" + preamble,
        # Zero side margins that may stretch at a lower order (fil) than the columns' \fill: the
        # table still spans the text width, and the caption package's caption box is not overfull.
        r"\setlength{\LTleft}{0pt plus 1fil}\setlength{\LTright}{0pt plus 1fil}",
        rf"\begin{{longtable}}{{@{{\extracolsep{{\fill}}}}{colspec}}}",
        rf"\caption{{{caption}}}\label{{{label}}} \\",
        r"\toprule", *head, r"\midrule", r"\endfirsthead",
        rf"\caption[]{{{caption} (continued)}} \\",
        r"\toprule", *head, r"\midrule", r"\endhead",
        r"\midrule", rf"\multicolumn{{{ncol}}}{{r}}{{\emph{{Continued on the next page}}}} \\", r"\endfoot",
        # The closing rule and the notes are the body's last row, not a last foot: longtable
        # breaks pages only between body rows, so a last foot that does not fit would go to a
        # page of its own without the table's head; as a row, they go with the last rows.
        r"\endlastfoot",
        *keep_last_rows([*body, last_row], LAST_PAGE_ROWS + 1),
        r"\end{longtable}", r"\endgroup", ""])
