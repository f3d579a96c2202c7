"""Regression tables rendered from tidy estimates (docs/contracts.md), as booktabs LaTeX and CSV.

We render ourselves rather than through pyfixest's etable: etable prints every
fixed-effect row as "-" when the stored names hold spaces and escapes nothing.
Here each column is one (family, model) of the tidy file; the rows are
coefficients with the standard error below, fixed-effect indicator rows read
from the `fixed_effects` string of each model, then N, clusters, R2 and the
mean of the dependent variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from upgrading.core.errors import InputError
from upgrading.exhibits.latex import ar_set_text, escape, fmt_float, fmt_int, is_missing, minus, readable_digits
from upgrading.exhibits.numbers import LIKELIHOOD_ESTIMATORS, few_cluster_test

# Conventional thresholds; the note under every table states them and the test behind them.
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STAR_THRESHOLDS = r"$^{*}\,p<0.10$, $^{**}\,p<0.05$, $^{***}\,p<0.01$"
# One rule for the stars of every table: the t test with the standard errors in parentheses,
# which every column has (the wild bootstrap is computed for some models only, so stars read
# from it would give one coefficient different stars in two tables).
STAR_NOTE_T = (r"Stars, as in every least-squares table: $t$ test with the standard errors in parentheses and $G-1$ degrees "
               r"of freedom ($G$ clusters), not the bootstrap; " + STAR_THRESHOLDS)
# Probit and logit coefficients are tested against the normal.
STAR_NOTE_Z = (r"Stars of this maximum-likelihood table: $z$ test with the standard errors in parentheses "
               r"(normal distribution), not the bootstrap; " + STAR_THRESHOLDS)
# Bracket cell of a column whose model has no bootstrap while other columns of the table do.
NO_WILD = "[n.a.]"
# Mark of a bracketed jackknife (CRV3) p-value, which stands where a term has no bootstrap
# (a letter: the production tables use the dagger for another qualification).
CRV3_MARK = r"$^{\mathrm{J}}$"
# Mark of a starred coefficient that the few-cluster test in brackets (bootstrap, or jackknife
# where marked J), the test of the text's statements, does not find significant at the widest
# star level: the reader sees the disagreement in the cell, not only in the note.
DISAGREE_MARK = r"$^{\diamond}$"

TIDY_COLUMNS = ["family", "model", "term", "estimate", "std_error", "p_value", "nobs",
                "fixed_effects", "vcov", "depvar"]
# A table wider than this many model columns is scaled to the text width.
MAX_NATURAL_COLUMNS = 6
# Printed characters per line of a column header (model label, dependent variable), and of a
# row label of a wide table, whose lines after the first are indented.
HEADER_WIDTH = 20
# Height a landscape table keeps free for its caption and the skips around caption and notes.
SIDEWAYS_CAPTION_ROOM = r"3\baselineskip"
CAPTION_ROOM = r"4\baselineskip"  # a two-line caption, its skip and the skip above the notes
WIDE_HEADER_WIDTH = 10
WIDE_LABEL_WIDTH = 48
# An upright table with this many model columns or more sets a coefficient's label longer than
# SPLIT_LABEL_WIDTH printed characters on two lines, the second beside the standard error below
# it: the label column narrows without adding a line, so the table fits the text width unscaled.
SPLIT_LABEL_MIN_COLUMNS = 4
SPLIT_LABEL_WIDTH = 18
# An upright table whose estimated width exceeds this many printed characters (columns, label
# and the space between columns; 4.3 to 5.2 pt each in the tables' type, against a 470 pt text
# width) has each column header stacked to the width of the column's widest cell, so headers
# never widen a column (at least NARROW_HEADER_WIDTH characters a line).
TEXT_WIDTH_CHARS = 100
NARROW_HEADER_WIDTH = 10
COLUMN_GAP_CHARS = 2.4


def stars(p) -> str:
    if is_missing(p):
        return ""
    for level, mark in STAR_LEVELS:
        if float(p) < level:
            return mark
    return ""


def bracket_p(row: dict, column_has_wild: bool) -> float | None:
    """The few-cluster p-value a table prints in brackets under a coefficient: the wild
    bootstrap's, else (in a column that has the bootstrap) the jackknife t test's; None where
    the table prints neither."""
    if not is_missing(row.get("p_value_wild")):
        return float(row["p_value_wild"])
    if column_has_wild:
        _, p, evidence = few_cluster_test(row)
        return p if evidence.startswith("jackknife") else None
    return None


def _p_text(p, digits: int) -> str:
    """A p-value to `digits` decimals, never 0.000: below the last digit it reads '<0.001'."""
    if float(p) < 10 ** -digits:
        return rf"\ensuremath{{<}}{10 ** -digits:.{digits}f}"
    return fmt_float(p, digits)


def _label(name: str, labels: dict[str, str]) -> str:
    """LaTeX label of a variable: the configured label, else the escaped column name."""
    name = str(name)
    if name in labels:
        return escape(labels[name])
    m = re.fullmatch(r"(.+)_lag(\d+)", name)
    if m and m.group(1) in labels:
        return escape(labels[m.group(1)]) + f" ($t-{m.group(2)}$)"
    return escape(name)


def term_label(term: str, labels: dict[str, str]) -> str:
    """Readable label for a pyfixest term: 'a:b' interactions, 'year::2003:enc' event-study dummies."""
    term = str(term)
    if term in labels:
        return escape(labels[term])
    m = re.fullmatch(r"l\(\s*(\w+)\s*,\s*(\d+)\s*\)", term)
    if m:
        return _label(m.group(1), labels) + f" ($t-{m.group(2)}$)"
    # pyfixest names i(var, x, ref=r) dummies 'var::level:x' (and 'var::level' without x).
    m = re.fullmatch(r"(\w+)::([^:]+)(?::(.+))?", term)
    if m:
        head = f"{_label(m.group(1), labels)} $=$ {escape(m.group(2))}"
        return head + (r" $\times$ " + term_label(m.group(3), labels) if m.group(3) else "")
    out = []
    for piece in (p for p in term.split(":") if p):
        m = re.fullmatch(r"C\((\w+)[^)]*\)\[T\.([^\]]+)\]", piece)
        out.append(f"{_label(m.group(1), labels)} $=$ {escape(m.group(2))}" if m else _label(piece, labels))
    return r" $\times$ ".join(out)


def fe_components(fixed_effects) -> list[str]:
    """'firm_id+city^year' -> ['firm_id', 'city^year']; none / '' / '0' -> []."""
    if is_missing(fixed_effects):
        return []
    text = str(fixed_effects).strip()
    if text in {"", "0", "none", "None"}:
        return []
    return [part.strip() for part in text.split("+") if part.strip()]


def fe_label(fe: str, labels: dict[str, str]) -> str:
    return r" $\times$ ".join(_label(p.strip(), labels) for p in fe.split("^"))


def vcov_note(vcov: str, labels: dict[str, str]) -> str:
    """Human description of a tidy `vcov` string such as 'CRV1:industry2' or 'hetero'."""
    text = str(vcov)
    kind, _, rest = text.partition(":")
    if kind.upper() in {"CRV1", "CRV3"}:
        vars_ = [v for v in re.split(r"[+,]", rest) if v]
        who = " and ".join(r" $\times$ ".join(_lower_first(_label(p, labels)) for p in v.split("^"))
                           for v in vars_)
        return f"clustered by {who} ({kind.upper()})"
    if kind.lower() in {"hetero", "hc1", "hc0", "hc2", "hc3"}:
        return "heteroskedasticity-robust"
    if kind.lower() == "iid":
        return "conventional (iid)"
    if kind.lower().startswith("wild"):
        return f"wild cluster bootstrap ({escape(rest or kind)})"
    return escape(text)


def _lower_first(text: str) -> str:
    """'Industry' -> 'industry' inside a sentence; acronyms ('HMT', 'TFP (ACF)') stay."""
    return text[:1].lower() + text[1:] if text[:2].istitle() or text[1:2].islower() else text


@dataclass
class Column:
    family: str
    model: str
    header: str = ""  # optional label printed above the column
    sample: str = ""  # registry sample name ("" = every row of the analysis table)
    terms: list[str] = field(default_factory=list)  # terms the model asks for (dropped ones get a note)


@dataclass
class TableSpec:
    id: str
    title: str
    columns: list[Column]
    labels: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    keep: list[str] | None = None  # terms to show (default: every term), in this order
    drop: list[str] = field(default_factory=lambda: ["Intercept"])
    digits: int = 3
    samples: dict[str, str] = field(default_factory=dict)  # sample name -> prose definition


def spec_from_plan(plan: dict) -> TableSpec:
    """The table of one entry of the table plan (upgrading.exhibits.plan.tables)."""
    return TableSpec(
        id=plan["id"], title=plan["title"],
        columns=[Column(**c) for c in plan["columns"]],
        labels=plan.get("labels") or {}, notes=plan.get("notes") or "",
        keep=plan.get("keep"), drop=plan.get("drop") or ["Intercept"],
        digits=int(plan.get("digits", 3)), samples=plan.get("samples") or {})


def check_tidy(est: pd.DataFrame, source: str) -> None:
    missing = [c for c in TIDY_COLUMNS if c not in est.columns]
    if missing:
        raise InputError(f"tidy estimates lack column(s) {missing}", file=source, column=missing[0])


def _column_rows(est: pd.DataFrame, col: Column) -> pd.DataFrame:
    rows = est[(est["family"].astype(str) == col.family) & (est["model"].astype(str) == col.model)]
    if rows.empty:
        raise InputError(f"no estimates for family {col.family!r} model {col.model!r}",
                         column="model")
    return rows


def _first(rows: pd.DataFrame, column: str):
    if column not in rows.columns:
        return None
    values = rows[column].dropna()
    values = values[values.astype(str) != ""]  # a model-level value (first-stage F, AR set) sits on one term's row only
    return values.iloc[0] if len(values) else None


def build(est: pd.DataFrame, spec: TableSpec) -> tuple[list[dict], list[str]]:
    """Assemble the table grid: a list of rows {kind, label, cells} and the notes lines.

    Kinds: 'coef', 'se', 'fe', 'stat', 'header'. Cells hold LaTeX strings; the CSV
    writer strips the markup.
    """
    per_col = [_column_rows(est, c) for c in spec.columns]
    labels = spec.labels

    # Terms: configured order, else order of first appearance (the tidy file is sorted by term order).
    if spec.keep:
        terms = list(spec.keep)
    else:
        terms = []
        for rows in per_col:
            for t in rows["term"].astype(str):
                if t not in terms and t not in spec.drop:
                    terms.append(t)

    # Columns whose model has a wild bootstrap. Where most columns have one, the others get
    # "n.a." in the brackets; where few do (a robustness column), the note names them instead.
    wild_cols = [i for i, rows in enumerate(per_col)
                 if "p_value_wild" in rows.columns and rows["p_value_wild"].notna().any()]
    mark_no_wild = 2 * len(wild_cols) >= len(per_col)
    marked_no_wild: set[int] = set()  # columns where an "n.a." is printed (the note explains only these)
    grid: list[dict] = []
    numbers = [f"({i})" for i in range(1, len(spec.columns) + 1)]
    grid.append({"kind": "header", "label": "", "cells": numbers})
    depvars = [str(_first(rows, "depvar")) for rows in per_col]
    grid.append({"kind": "header", "label": "Dependent variable",
                 "cells": [_label(d, labels) for d in depvars]})
    # Model labels, except where they only repeat the dependent variable's label.
    dep_cells = [_label(d, labels) for d in depvars]
    headers = ["" if escape(c.header) == dep else year_ranges(escape(c.header))
               for c, dep in zip(spec.columns, dep_cells)]
    if any(headers):
        grid.append({"kind": "header", "label": "", "cells": headers})

    disagreements = 0
    for term in terms:
        digits = term_digits([rows[rows["term"].astype(str) == term] for rows in per_col], spec.digits)
        coef, se = [], []
        for i, rows in enumerate(per_col):
            hit = rows[rows["term"].astype(str) == term]
            if hit.empty:
                coef.append("")
                se.append("")
                continue
            r = hit.iloc[0]
            mark = stars(r["p_value"])
            p_bracket = bracket_p(r.to_dict(), i in wild_cols)
            disagree = bool(mark) and p_bracket is not None and p_bracket >= STAR_LEVELS[-1][0]
            disagreements += disagree
            coef.append(minus(fmt_float(r["estimate"], digits)) + (f"$^{{{mark}}}$" if mark else "")
                        + (DISAGREE_MARK if disagree else ""))
            se.append(f"({fmt_float(r['std_error'], digits)})" if not is_missing(r["std_error"]) else "")
        grid.append({"kind": "coef", "label": term_label(term, labels), "cells": coef, "term": term})
        grid.append({"kind": "se", "label": "", "cells": se, "term": term})
        # Extra inference rows only where some model reports them (wild bootstrap, probit AMEs).
        for column, (left, right) in (("p_value_wild", ("[", "]")), ("marginal_effect", ("\\{", "\\}"))):
            cells = []
            for i, rows in enumerate(per_col):
                hit = rows[rows["term"].astype(str) == term]
                v = hit[column].iloc[0] if column in hit.columns and len(hit) else None
                if column == "p_value_wild" and wild_cols and mark_no_wild and i not in wild_cols and len(hit):
                    cells.append(NO_WILD)
                    marked_no_wild.add(i)
                    continue
                if not is_missing(v) and column == "p_value_wild":
                    text = _p_text(v, spec.digits)
                else:
                    text = minus(fmt_float(v, spec.digits))
                cells.append("" if is_missing(v) else f"{left}{text}{right}")
            if any(c and c != NO_WILD for c in cells):
                grid.append({"kind": "se", "label": "", "cells": cells, "term": term, "extra": column})
            elif column == "p_value_wild":
                marked_no_wild -= {i for i, c in enumerate(cells) if c == NO_WILD}
        # A term left without the bootstrap in a column that has it is judged by the jackknife
        # test (numbers.few_cluster_test): its p-value stands where the bootstrap's would.
        cells = []
        for i, rows in enumerate(per_col):
            hit = rows[rows["term"].astype(str) == term]
            p_crv3 = None
            if i in wild_cols and len(hit) and is_missing(hit["p_value_wild"].iloc[0]):
                p_crv3 = bracket_p(hit.iloc[0].to_dict(), True)
            cells.append("" if p_crv3 is None else f"[{_p_text(p_crv3, spec.digits)}]{CRV3_MARK}")
        if any(cells):
            grid.append({"kind": "se", "label": "", "cells": cells, "term": term, "extra": "p_value_crv3"})
        cells = []
        for rows in per_col:
            hit = rows[rows["term"].astype(str) == term]
            lo, hi = ((hit[c].iloc[0] if c in hit.columns and len(hit) else None)
                      for c in ("ci_low_wild", "ci_high_wild"))
            cells.append("" if is_missing(lo) or is_missing(hi) else
                         rf"$\langle${minus(fmt_float(lo, digits))}, {minus(fmt_float(hi, digits))}$\rangle$")
        if any(cells):
            grid.append({"kind": "se", "label": "", "cells": cells, "term": term, "extra": "ci_wild"})

    # Fixed-effect indicator rows: one per distinct component, Yes/No per column, read
    # from the model's own fixed_effects string (never guessed from the family name).
    fes_per_col = [fe_components(_first(rows, "fixed_effects")) for rows in per_col]
    all_fes: list[str] = []
    for fes in fes_per_col:
        for fe in fes:
            if fe not in all_fes:
                all_fes.append(fe)
    for fe in all_fes:
        grid.append({"kind": "fe", "label": fe_label(fe, labels) + " FE",
                     "cells": ["Yes" if fe in fes else "No" for fes in fes_per_col]})

    # Probit and logit report McFadden's pseudo R2 in the same tidy column as OLS's R2.
    estimators = [str(_first(rows, "estimator") or "ols").lower() for rows in per_col]
    r2_rows = [("$R^2$", lambda e: e not in LIKELIHOOD_ESTIMATORS),
               ("Pseudo $R^2$", lambda e: e in LIKELIHOOD_ESTIMATORS)]
    stats = [("Observations", "nobs", lambda v: fmt_int(v), None),
             ("Clusters", "n_clusters", lambda v: fmt_int(v), None)]
    stats += [(label, "r2", lambda v: fmt_float(v, 3), keep) for label, keep in r2_rows]
    stats += [("Within $R^2$", "r2_within", lambda v: fmt_float(v, 3), None),
              ("Mean of dep.\\ var.", "depvar_mean", lambda v: minus(fmt_float(v, 3)), None),
              # 2SLS with one instrument: weak-instrument diagnostics (upgrading.analysis.inference)
              ("First-stage $F$ (cluster-robust)", "first_stage_f", lambda v: fmt_float(v, 2), None),
              ("Anderson--Rubin 95\\,\\% set", "ar_set", ar_set_text, None)]
    for label, column, fmt, keep in stats:
        cells = [fmt(_first(rows, column)) if _first(rows, column) not in (None, "")
                 and (keep is None or keep(e)) else "" for rows, e in zip(per_col, estimators)]
        if any(cells):
            grid.append({"kind": "stat", "label": label, "cells": cells})

    notes = []
    vcov_text = vcov_notes(per_col, labels)
    if vcov_text:
        notes.append(vcov_text)
    if any(r["kind"] == "stat" and r["label"] == "Clusters" for r in grid):
        notes.append(clusters_note(per_col, labels, clusters_left_out(per_col, labels)))
    extras = {r.get("extra") for r in grid}
    if "p_value_wild" in extras or "ci_wild" in extras:
        notes.append(_wild_note(per_col, extras))
        no_wild = [i for i in range(len(per_col)) if i not in wild_cols]
        marked = sorted(marked_no_wild)
        if marked:
            notes.append(f"n.a.\\ in {_columns_phrase(marked)}: no bootstrap is computed for "
                         + ("this model" if len(marked) == 1 else "these models") + ".")
        elif no_wild:
            notes.append(f"The bootstrap is computed for {_columns_phrase(wild_cols)} only.")
    if "p_value_crv3" in extras:
        notes.append(f"[$p$]{CRV3_MARK}: a term the bootstrap is not computed for; $p$-value of the $t$ test "
                     "with the cluster-jackknife (CRV3) standard error and $G-1$ degrees of freedom, the test "
                     "the verdicts of the text use for it.")
    if any(_first(rows, "first_stage_f") is not None for rows in per_col):
        notes.append("First-stage $F$: squared cluster-robust $t$ of the instrument (with one instrument, "
                     "the Kleibergen--Paap and effective $F$). Anderson--Rubin 95\\,\\% set: every coefficient "
                     "the Anderson--Rubin test does not reject at 5\\,\\%, robust to a weak instrument, written "
                     "out (``$a$ to $b$''; ``at most $a$ or at least $b$'' when it is unbounded).")
    blank_r2 = [i for i, (rows, e) in enumerate(zip(per_col, estimators))
                if e == "2sls" and is_missing(_first(rows, "r2"))]
    r2_shown = [r["label"] for r in grid if r["kind"] == "stat" and r["label"] in ("$R^2$", "Within $R^2$")]
    if blank_r2 and r2_shown:
        notes.append(f"{' and '.join(r2_shown).replace('Within', 'within')} left blank in "
                     f"{_columns_phrase(blank_r2)} (2SLS): 2SLS does not minimise the sum of squared "
                     "residuals, so an $R^2$ can be negative and measures no fit.")
    if "marginal_effect" in extras:
        notes.append("Average marginal effects in braces.")
    likelihood = bool(per_col) and all(str(_first(rows, "estimator") or "").lower() in LIKELIHOOD_ESTIMATORS
                                       for rows in per_col)
    star_note = (STAR_NOTE_Z if likelihood else STAR_NOTE_T) + "."
    notes.append(star_note)
    if disagreements:
        notes.append(f"{DISAGREE_MARK}: starred, but the few-cluster test in brackets, which the text's statements "
                     r"of significance follow, does not reject zero at 10\,\%.")
    notes += sample_notes(per_col, spec)
    notes += dropped_notes(per_col, spec)
    if spec.notes:
        notes.append(escape(spec.notes))
    return grid, notes


def _columns_phrase(idx: list[int]) -> str:
    """[0, 1, 2, 4] -> 'columns (1)--(3) and (5)': runs of adjacent columns as ranges."""
    runs: list[list[int]] = []
    for i in sorted(idx):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    cols = []
    for r in runs:
        cols += [f"({r[0] + 1})--({r[-1] + 1})"] if len(r) > 2 else [f"({i + 1})" for i in r]
    many = len(idx) > 1
    return ("columns " if many else "column ") + (
        cols[0] if len(cols) == 1 else ", ".join(cols[:-1]) + " and " + cols[-1])


def vcov_notes(per_col: list[pd.DataFrame], labels: dict[str, str]) -> str:
    """The standard errors of every column: one phrase when all agree, else one per group of columns."""
    groups: dict[str, list[int]] = {}
    for i, rows in enumerate(per_col):
        v = _first(rows, "vcov")
        if v is not None:
            groups.setdefault(str(v), []).append(i)
    if not groups:
        return ""
    if len(groups) == 1 and len(next(iter(groups.values()))) == len(per_col):
        return f"Standard errors in parentheses, {vcov_note(next(iter(groups)), labels)}."
    return "Standard errors in parentheses: " + "; ".join(
        f"{vcov_note(v, labels)} in {_columns_phrase(idx)}" for v, idx in groups.items()) + "."


def clusters_note(per_col: list[pd.DataFrame], labels: dict[str, str], left_out: str = "") -> str:
    """What the Clusters row counts; for multiway clustering, which dimension's count it shows."""
    multi: dict[str, list[int]] = {}
    for i, rows in enumerate(per_col):
        kind, _, rest = str(_first(rows, "vcov") or "").partition(":")
        vars_ = [v for v in re.split(r"[+,]", rest) if v]
        if kind.upper().startswith("CRV") and len(vars_) > 1:
            multi.setdefault(" and ".join(_lower_first(fe_label(v, labels)) for v in vars_), []).append(i)
    note = "Clusters: groups of the clustering variable of the standard errors"
    for who, idx in multi.items():
        note += (f"; with two-way clustering by {who} in {_columns_phrase(idx)}, the count of the "
                 "smaller dimension, which sets the degrees of freedom of the $t$ test (as in fixest)")
    return note + (f"; {left_out}" if left_out else "") + "."


def term_digits(hits: list[pd.DataFrame], digits: int) -> int:
    """Decimals of one coefficient's row: the table's, unless its largest estimate and standard
    error would print as zeros at them (a slope per year, say); then enough for two significant
    digits of the largest, as the text prints it (latex.readable_digits)."""
    values = [abs(float(h[c].iloc[0])) for h in hits if len(h) for c in ("estimate", "std_error")
              if c in h.columns and not is_missing(h[c].iloc[0])]
    return readable_digits(max(values, default=0.0), digits)


def sample_notes(per_col: list[pd.DataFrame], spec: TableSpec) -> list[str]:
    """Which firm-years each column uses, and how many a missing model variable leaves out."""
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(spec.columns):
        groups.setdefault(c.sample, []).append(i)
    parts = []
    for name, idx in groups.items():
        if not name:
            what = "every firm-year of the analysis panel"
        elif name in spec.labels:
            what = spec.labels[name]  # the sample's reader name (exhibits.labels)
        else:
            what = f"firm-years with {spec.samples.get(name, name.replace('_', ' '))}"
        scope = "" if len(groups) == 1 else f" in {_columns_phrase(idx)}"
        parts.append(f"{escape(what)}{scope}")
    notes = [("Sample: " if len(groups) == 1 else "Samples: ") + "; ".join(parts) + "."]
    missing = [_first(rows, "n_missing_dropped") for rows in per_col]
    groups_by_col = [separated_groups(rows) for rows in per_col]
    separated = [sum(n for _, _, n in g) for g in groups_by_col]
    no_value = [0 if is_missing(m) else int(m) - sep for m, sep in zip(missing, separated)]
    if any(n > 0 for n in no_value):
        reasons = [missing_reason([str(_first(rows, "depvar") or ""), *c.terms], spec.labels) if n > 0 else ""
                   for rows, c, n in zip(per_col, spec.columns, no_value)]
        notes.append("Firm-years of the sample left out because a variable of the model is missing for them: "
                     + _counts_phrase(no_value, reasons) + ".")
    by_text: dict[str, list[int]] = {}
    for i, g in enumerate(groups_by_col):
        if g:
            by_text.setdefault("; ".join(f"{_lower_first(_label(fe, spec.labels))} {escape(level)} "
                                         f"({fmt_int(n)} firm-years)" for fe, level, n in g), []).append(i)
    for text, idx in by_text.items():
        notes.append(f"Firm-years left out in {_columns_phrase(idx)} because the outcome does not vary within "
                     "their fixed-effect group (its effect would have no finite maximum-likelihood estimate): "
                     f"{text}.")
    return notes


def _counts_phrase(counts: list[int], reasons: list[str] | None = None) -> str:
    """[154, 154, 0] -> '154 in (1) and (2)': equal counts (with the same reason) share their
    columns; a column's reason, where known, follows its count."""
    reasons = reasons or [""] * len(counts)
    by_count: dict[tuple[int, str], list[int]] = {}
    for i, (n, why) in enumerate(zip(counts, reasons)):
        if n > 0:
            by_count.setdefault((n, why), []).append(i)
    return "; ".join(f"{fmt_int(n)} in {_columns_phrase(idx).split(' ', 1)[1]}" + (f" ({why})" if why else "")
                     for (n, why), idx in by_count.items())


# Why a variable of the analysis table is undefined for some firm-years (docs/contracts.md,
# the measures' codebook), so a table's note says why its sample is smaller than another's.
MISSING_REASONS = {
    "tfp_growth": "undefined in a firm's first year and in a year that follows a gap in its years",
    "horizontal_local": "undefined for a firm with no other firm in its city and industry",
}
LAG_REASON = "undefined in a firm's first year and in a year that follows a gap in its years"


def missing_reason(variables: list[str], labels: dict[str, str]) -> str:
    """'TFP growth: undefined in ...' for the variable of a model (outcome or term, interactions
    split into their parts) known to be undefined for some firm-years; '' when there is none,
    or more than one, since the note cannot tell which of them left a firm-year out."""
    found: dict[str, str] = {}
    for v in variables:
        for part in str(v).split(":"):
            m = re.fullmatch(r"l\(\s*(\w+)\s*,\s*(\d+)\s*\)", part)
            if m:
                found.setdefault("lags", "the lagged presence measures: " + LAG_REASON)
            elif part in MISSING_REASONS:
                found.setdefault(part, f"{_lower_first(_label(part, labels))}: {MISSING_REASONS[part]}")
    return next(iter(found.values())) if len(found) == 1 else ""


def separated_groups(rows: pd.DataFrame) -> list[tuple[str, str, int]]:
    """The tidy `dropped_groups` of a model ('industry2=16:154; year=1999:3') as
    [(fixed effect, level, firm-years)]; [] when the column is absent or empty."""
    text = _first(rows, "dropped_groups") if "dropped_groups" in rows.columns else None
    out = []
    for part in str(text or "").split(";"):
        key, _, n = part.strip().rpartition(":")
        fe, _, level = key.partition("=")
        if fe and level and n.isdigit():
            out.append((fe, level, int(n)))
    return out


def clusters_left_out(per_col: list[pd.DataFrame], labels: dict[str, str]) -> str:
    """Where a model left out whole groups of the clustering variable, the Clusters row counts
    fewer than the sample holds: say how many and why (computed from the estimates)."""
    parts: dict[str, list[int]] = {}
    for i, rows in enumerate(per_col):
        kind, _, rest = str(_first(rows, "vcov") or "").partition(":")
        n = _first(rows, "n_clusters")
        gone = [level for fe, level, _ in separated_groups(rows) if fe == rest]
        if kind.upper().startswith("CRV") and gone and not is_missing(n):
            who = _lower_first(_label(rest, labels))
            parts.setdefault(f"{fmt_int(n)} of the sample's {fmt_int(int(n) + len(gone))}: "
                             f"{who} {', '.join(escape(g) for g in gone)} "
                             f"{'is' if len(gone) == 1 else 'are'} left out (see below)", []).append(i)
    return "; ".join(f"in {_columns_phrase(idx)}, {text}" for text, idx in parts.items())


def dropped_notes(per_col: list[pd.DataFrame], spec: TableSpec) -> list[str]:
    """A term the model asks for but the estimates lack was dropped by the estimator as collinear."""
    dropped: dict[str, list[int]] = {}
    for i, (rows, c) in enumerate(zip(per_col, spec.columns)):
        have = set(rows["term"].astype(str))
        for t in c.terms:
            if t not in have and t not in spec.drop:
                dropped.setdefault(t, []).append(i)
    return [f"{term_label(t, spec.labels)} in {_columns_phrase(idx)} is collinear with the fixed "
            "effects or the other regressors and is dropped by the estimator (no coefficient)."
            for t, idx in dropped.items()]


def _wild_note(per_col: list[pd.DataFrame], extras: set) -> str:
    """Which bootstrap the brackets hold: weights and replications from the tidy `inference` column."""
    kinds = []
    for rows in per_col:
        text = str(_first(rows, "inference") or "") if "inference" in rows.columns else ""
        m = re.search(r"WCR (\w+) (\d+)", text)
        if m and (m.group(1), m.group(2)) not in kinds:
            kinds.append((m.group(1), m.group(2)))
    how = "; ".join(f"{w.capitalize()} weights, {fmt_int(int(b))} replications" for w, b in kinds)
    note = "Wild cluster restricted bootstrap (null imposed" + (f"; {how}" if how else "") + "): $p$-values"
    note += " of a zero coefficient in brackets"
    if "ci_wild" in extras:
        note += r", 95\,\% confidence intervals by test inversion in angle brackets"
    return note + "."


def _visible(cell: str) -> int:
    """Approximate printed length of a LaTeX cell: commands count one character, braces none."""
    return len(re.sub(r"[{}$]", "", re.sub(r"\\[A-Za-z]+", "x", cell)))


def stack(cell: str, width: int, align: str = "c") -> str:
    """A cell broken at spaces into lines of about `width` printed characters (a nested
    tabular), so a long label widens its column no more than that; left-aligned lines after
    the first are indented."""
    if _visible(cell) <= width:
        return cell
    lines: list[str] = []
    for word in cell.split(" "):
        if lines and _visible(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    sep = r" \\ \quad " if align == "l" else r" \\ "
    lines = [("{}" + line) if line.startswith("[") else line for line in lines]  # not \\'s [length]
    return rf"\begin{{tabular}}[t]{{@{{}}{align}@{{}}}}" + sep.join(lines) + r"\end{tabular}"


def split_label(label: str, width: int = SPLIT_LABEL_WIDTH) -> tuple[str, str]:
    """A row label as (first line, rest): before its last interaction sign where there is one,
    else after the words that fit `width` printed characters; a parenthesis or a $...$ group is
    never broken. ('label', '') when it fits or cannot be broken."""
    if _visible(label) <= width:
        return label, ""
    for times in (r" $\times$ ", r" \ensuremath{\times} "):
        if times in label:
            head, _, tail = label.rpartition(times)
            return head, times.strip() + " " + tail
    tokens = re.findall(r"(?:\([^)]*\)|\$[^$]*\$|[^\s(]+)+", label)
    first = tokens[0]
    for i, tok in enumerate(tokens[1:], 1):
        if _visible(first + " " + tok) > width:
            return first, " ".join(tokens[i:])
        first += " " + tok
    return label, ""


def narrow_headers(grid: list[dict], ncol: int, split_labels: bool) -> list[int]:
    """Line width of each column's header in an upright table: HEADER_WIDTH, or, where the table
    would be wider than the text (estimated in printed characters), the width of the column's
    widest body cell, so that a header line never sets the width of its column."""
    body = [r for r in grid if r["kind"] != "header"]
    heads = [r for r in grid if r["kind"] == "header"]
    cell_w = [max([_visible(r["cells"][i]) for r in body] or [0]) for i in range(ncol)]
    head_w = [max([min(_visible(r["cells"][i]), HEADER_WIDTH) for r in heads] or [0]) for i in range(ncol)]
    # a split label's second line is indented by about two characters (\\quad)
    label_w = max([max(_visible(a), _visible(b) + 2 if b else 0)
                   for a, b in (split_label(r["label"]) if split_labels and r["kind"] == "coef" else (r["label"], "")
                                for r in body)] or [0])
    natural = label_w + sum(max(c, h) for c, h in zip(cell_w, head_w)) + COLUMN_GAP_CHARS * (ncol + 1)
    if natural <= TEXT_WIDTH_CHARS:
        return [HEADER_WIDTH] * ncol
    return [min(HEADER_WIDTH, max(NARROW_HEADER_WIDTH, c)) for c in cell_w]


def year_ranges(text: str) -> str:
    """'1998-2001' -> '1998--2001': an en dash between years in a LaTeX cell."""
    return re.sub(r"(?<![\d-])(\d{4})-(\d{4})(?![\d-])", r"\1--\2", text)


def render_latex(grid: list[dict], notes: list[str], spec: TableSpec) -> str:
    ncol = len(spec.columns)
    # Wide tables go on a landscape page (rotating's sidewaystable) in footnote size with their
    # headers stacked in narrow lines; a table still wider than the text is scaled down, never
    # up (adjustbox's max width).
    wide = ncol > MAX_NATURAL_COLUMNS
    env = "sidewaystable" if wide else "table"
    # A landscape table's lines run along the page's height (\textheight).
    notes_box = (r"\begin{minipage}{" + (r"\textheight" if wide else r"\linewidth") + r"}\footnotesize" + "\n"
                 + r"\emph{Notes:} " + " ".join(notes) + "\n" + r"\end{minipage}")
    lines = [
        f"% Generated by `upgrading table --table {spec.id}` from tidy estimates; do not edit.",
        "% Needs the packages booktabs, adjustbox and rotating.",
    ]
    # Caption, rows and notes must fit on one page, or the notes are lost past its foot. On a
    # landscape page the table's height runs across the page's text width. The notes are set
    # and measured first, before the float, where \textwidth is still the page's (inside,
    # rotating sets it to \textheight); the rows are then scaled down, never up, to the height
    # that remains.
    page_length, caption_room = (r"\textwidth", SIDEWAYS_CAPTION_ROOM) if wide else (r"\textheight",
                                                                                     CAPTION_ROOM)
    lines += [r"\ifdefined\UpgradingNotesBox\else\newsavebox{\UpgradingNotesBox}"
              r"\newlength{\UpgradingTableRoom}\fi",
              r"\sbox{\UpgradingNotesBox}{" + notes_box + "}",
              r"\setlength{\UpgradingTableRoom}{\dimexpr" + page_length + r"-\ht\UpgradingNotesBox"
              r"-\dp\UpgradingNotesBox-" + caption_room + r"\relax}"]
    lines += [
        rf"\begin{{{env}}}" + ("" if wide else "[tbp]"),
        r"\centering",
        r"\footnotesize\setlength{\tabcolsep}{3.5pt}" if wide else r"\small",
        rf"\caption{{{escape(spec.title)}}}",
        rf"\label{{tab:{spec.id}}}",
        r"\begin{adjustbox}{max width=\linewidth,max totalheight=\UpgradingTableRoom}",
    ]
    lines.append(r"\begin{tabular}{l" + "c" * ncol + "}")
    lines.append(r"\toprule")
    header_widths = [WIDE_HEADER_WIDTH if wide else HEADER_WIDTH] * ncol
    if not wide:
        header_widths = narrow_headers(grid, ncol, ncol >= SPLIT_LABEL_MIN_COLUMNS)
    previous = "header"
    split = not wide and ncol >= SPLIT_LABEL_MIN_COLUMNS
    carried = ""  # second line of the previous coefficient's label, set beside its standard error
    for row in grid:
        kind = row["kind"]
        if split and kind == "coef":
            first, carried = split_label(row["label"])
            row = {**row, "label": first}
        elif split and kind == "se" and carried and not row["label"]:
            row = {**row, "label": r"\quad " + carried}
            carried = ""
        if kind != previous and (previous == "header" or kind in {"fe", "stat"} and previous in {"coef", "se"}):
            lines.append(r"\midrule")
        elif kind == "stat" and previous == "fe":
            lines.append(r"\midrule")
        cells = [stack(c, w) for c, w in zip(row["cells"], header_widths)] \
            if kind == "header" else row["cells"]
        label = stack(row["label"], WIDE_LABEL_WIDTH, "l") if wide else row["label"]
        lines.append(" & ".join([label] + cells) + r" \\")
        previous = kind
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}")
    lines.append(r"\end{adjustbox}")
    lines.append(r"\par\smallskip")
    lines.append(r"\usebox{\UpgradingNotesBox}")
    lines.append(rf"\end{{{env}}}")
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    """LaTeX cell -> plain text for the CSV twin."""
    text = re.sub(r"\$\^\{(\*+)\}\$", r"\1", text).replace(CRV3_MARK, "").replace(DISAGREE_MARK, " (diamond)")
    text = text.replace(r"\ensuremath{-}", "-").replace("{,}", ",").replace("$=$", "=")
    text = text.replace(r"$\times$", "\u00d7").replace(r"\ensuremath{\times}", "\u00d7")
    text = text.replace(r"\textbackslash{}", "\\").replace(r"\textasciitilde{}", "~")
    text = text.replace(r"\textasciicircum{}", "^").replace(r"\textless{}", "<")
    text = text.replace(r"\textgreater{}", ">").replace("\\ ", " ").replace(r"\ensuremath{<}", "<")
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = text.replace(r"$\langle$", "[").replace(r"$\rangle$", "]").replace(r"$\infty$", "inf")
    text = text.replace(r"$\cup$", "U").replace("--", "\u2013")
    text = text.replace("$R^2$", "R2").replace("$", "")
    text = re.sub(r"\(\$?t-(\d+)\$?\)", r"(t-\1)", text)
    return text


def render_csv(grid: list[dict], spec: TableSpec) -> pd.DataFrame:
    names = [f"({i})" for i in range(1, len(spec.columns) + 1)]
    records = []
    for row in grid:
        if row["kind"] == "header" and row["cells"] == names:
            continue
        suffix = {"p_value_wild": "wild bootstrap p", "ci_wild": "wild bootstrap 95% CI",
                  "p_value_crv3": "jackknife (CRV3) p",
                  "marginal_effect": "marginal effect"}.get(
            row.get("extra"), "s.e.")
        label = row["label"] if row["kind"] != "se" else f"{_plain(grid_label(row, grid))} ({suffix})"
        rec = {"row": _plain(label), "kind": row["kind"], "term": row.get("term", "")}
        rec.update({n: _plain(c) for n, c in zip(names, row["cells"])})
        records.append(rec)
    out = pd.DataFrame.from_records(records, columns=["row", "kind", "term", *names])
    model_row = {"row": "model", "kind": "header", "term": ""}
    model_row.update({n: f"{c.family}/{c.model}" for n, c in zip(names, spec.columns)})
    return pd.concat([pd.DataFrame([model_row]), out], ignore_index=True)


def grid_label(row: dict, grid: list[dict]) -> str:
    for other in grid:
        if other["kind"] == "coef" and other.get("term") == row.get("term"):
            return other["label"]
    return ""


def render(est: pd.DataFrame, spec: TableSpec) -> tuple[str, pd.DataFrame]:
    grid, notes = build(est, spec)
    return render_latex(grid, notes, spec), render_csv(grid, spec)
