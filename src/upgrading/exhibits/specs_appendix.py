"""results/tables/specs_appendix.tex: every registry entry, one longtable row per model.

Generated from the resolved registry (upgrading.core.registry), so adding a
YAML entry adds its row; nothing here is typed by hand.
"""

from __future__ import annotations

import math
import re

from upgrading.exhibits.latex import escape, longtable

# Registry ids of grid-born models ('g0_1_1'): shown as numbered cells of their family's grid.
GRID_MODEL_ID = re.compile(r"g\d+(?:_\d+)*")


def _reader(name: str, labels: dict[str, str]) -> str:
    """A registry id as the tables name it (exhibits.labels), else with spaces for underscores."""
    return labels.get(str(name), str(name).replace("_", " "))


def _interacted(name: str, labels: dict[str, str]) -> str:
    """'industry2^year' -> 'Industry × year' (a sentence-case name, as the tables print it)."""
    parts = [_reader(p, labels) for p in name.split("^")]
    return " \u00d7 ".join([parts[0]] + [p[:1].lower() + p[1:] if p[1:2].islower() else p for p in parts[1:]])


def _vcov(v, labels: dict[str, str]) -> str:
    if isinstance(v, dict) and "cluster" in v:
        c = v["cluster"]
        who = [c] if isinstance(c, str) else list(c)
        names = [_interacted(w, labels) for w in who]
        names = [n[:1].lower() + n[1:] if n[1:2].islower() else n for n in names]
        return "CRV1 by " + " and ".join(names)
    return {"hetero": "Heteroskedasticity-robust", "iid": "Conventional (iid)"}.get(str(v), str(v))


def _standard_errors(m: dict, labels: dict[str, str]) -> str:
    """The model's standard errors and few-cluster inference, in the abbreviations the table's
    note defines: 'CRV1 by industry; CRV3; WCR (999, Rademacher)'; weights where it has them."""
    parts = [f"weights: {_reader(m['weights'], labels)}"] if m.get("weights") else []
    parts.append(_vcov(m.get("vcov"), labels))
    inf = m.get("inference") or {}
    if inf.get("crv3"):
        parts.append("CRV3")
    if wild := inf.get("wild"):
        parts.append(f"WCR ({wild['reps']}, {str(wild.get('weights', 'rademacher')).capitalize()})")
    return "; ".join(parts)


def _term(t: str, labels: dict[str, str]) -> str:
    """One registry term in words: 'a:b' -> 'A × B', 'l(x, 1)' -> 'X, lagged 1 year', i() -> dummies."""
    t = str(t).strip()
    if m := re.fullmatch(r"i\(\s*(\w+)\s*,\s*(\w+)\s*(?:,\s*ref\s*=\s*(\w+))?\s*\)", t):
        ref = f" (reference {m.group(3)})" if m.group(3) else ""
        return f"{_reader(m.group(1), labels)} dummies \u00d7 {_reader(m.group(2), labels)}{ref}"
    if m := re.fullmatch(r"l\(\s*(\w+)\s*,\s*(\d+)\s*\)", t):
        n = int(m.group(2))
        return f"{_reader(m.group(1), labels)}, lagged {n} year{'s' if n > 1 else ''}"
    return " \u00d7 ".join(_reader(p, labels) for p in t.split(":"))


def _outcome(m: dict, labels: dict[str, str]) -> str:
    """The outcome's name, with the estimator where it is not least squares ('Exporter (probit)')."""
    est = m.get("estimator")
    return _reader(m["outcome"], labels) + (f" ({est})" if est and est != "ols" else "")


def _terms(m: dict, labels: dict[str, str]) -> str:
    parts = [_term(t, labels) for t in m.get("regressors") or []]
    iv = m.get("iv") or {}
    if iv:
        parts += [f"{_term(e, labels)} (endogenous)" for e in iv.get("endog", [])]
        parts += [f"instrument: {_term(z, labels)}" for z in iv.get("instruments", [])]
    if m.get("controls"):
        parts += [f"control: {_term(c, labels)}" for c in m["controls"]]
    return "; ".join(parts)


def _grid_row(part: list[dict], samples: dict[str, list], labels: dict[str, str]) -> str:
    """One row for a group made only of grid cells that share their terms, standard errors and
    inference: "24 models" with the outcomes, fixed effects and samples it combines
    ('' when the group is not such a grid, which then gets a row per model)."""
    if len(part) < 2 or not all(not m.get("label") and GRID_MODEL_ID.fullmatch(str(m["id"])) for m in part):
        return ""
    shared = {(_terms(m, labels), str(m.get("vcov")), str(m.get("inference")), str(m.get("weights")))
              for m in part}
    if len(shared) > 1:
        return ""
    m0 = part[0]
    outcomes = list(dict.fromkeys(_outcome(m, labels) for m in part))
    fes = list(dict.fromkeys(" + ".join(_interacted(f, labels) for f in m.get("fixed_effects") or []) or "none"
                             for m in part))
    samples_used = list(dict.fromkeys(sample_name(m.get("sample"), samples, labels) for m in part))
    return " & ".join([
        _cell(f"{len(part)} models"), _cell("; ".join(outcomes)), _cell(_terms(m0, labels)),
        _cell("; ".join(fes)), _cell(_standard_errors(m0, labels)), _cell("; ".join(samples_used)),
    ]) + r" \\"


def _cell(text) -> str:
    # \allowbreak after commas and slashes lets long names wrap inside p{} cells.
    return escape(text).replace(", ", r", \allowbreak{}").replace("/", r"/\allowbreak{}")


def _parts(fam: dict) -> list[list[dict]]:
    """A family's models in groups with one heading each: the whole family, or, where its models
    feed different tables, the models of each table (a heading names one table), in the order of
    the specification file within a group."""
    groups: dict[object, list[dict]] = {}
    for m in fam["models"]:
        groups.setdefault(m.get("table"), []).append(m)
    return list(groups.values())


def _exhibit_position(models: list[dict], paper: str) -> float:
    """Where the paper first places an exhibit the models feed (the offset of its \\input or
    \\includegraphics file name), so the appendix follows the exhibits' numbering; exhibits the
    paper does not place come last."""
    names = [f"{{tables/{m['table']}.tex}}" for m in models if m.get("table")]
    names += [f"{{figures/{m['figure']}." for m in models if m.get("figure")]
    found = [paper.find(n) for n in names if n in paper]
    return min(found) if found else math.inf


def _heading(fam: dict, models: list[dict], table_titles: dict[str, str]) -> str:
    """A heading row for models of a family: the title of the table they feed (so it reads as
    that table's caption) and the exhibits they feed, in reader names (no registry keys)."""
    tables = list(dict.fromkeys(m["table"] for m in models if m.get("table")))
    figures = list(dict.fromkeys(m["figure"] for m in models if m.get("figure")))
    title = next((table_titles[t] for t in tables if t in table_titles), fam["title"])
    refs = [rf"Table~\ref{{tab:{t}}}" for t in tables] + [rf"Figure~\ref{{fig:{f}}}" for f in figures]
    where = ", ".join(refs) if refs else "no exhibit"
    return (rf"\multicolumn{{6}}{{@{{}}p{{\linewidth}}@{{}}}}{{\textbf{{{escape(title)}}}\quad {where}}} \\*")


def render(families: list[dict], samples: dict[str, list], labels: dict[str, str] | None = None,
           table_titles: dict[str, str] | None = None, paper: str = "") -> str:
    """families: resolved families (id, title, engine, models with outcome, regressors, ...);
    labels: exhibits.labels (reader names of variables, fixed effects and samples);
    table_titles: {table id: title as the table's caption prints it}; paper: the paper's LaTeX
    source, whose placement of the exhibits orders the groups (else the specification file's order)."""
    labels, table_titles = labels or {}, table_titles or {}
    head = r"Model & Outcome & Terms & Fixed effects & Standard errors & Sample \\"
    body = []
    grid_families = []
    groups = [(k, k_part, fam, part) for k, fam in enumerate(families) for k_part, part in enumerate(_parts(fam))]
    groups.sort(key=lambda g: (_exhibit_position(g[3], paper), g[0], g[1]))
    cell_numbers: dict[str, int] = {}
    for k_group, (_, _, fam, part) in enumerate(groups):
        if k_group:
            body.append(r"\midrule")
        body.append(_heading(fam, part, table_titles))
        grid = _grid_row(part, samples, labels)
        if grid:
            body.append(grid)
            continue
        for m in part:
            name = m.get("label")
            if not name and GRID_MODEL_ID.fullmatch(str(m["id"])):
                cell_numbers[fam["id"]] = cell_numbers.get(fam["id"], 0) + 1
                name = f"Grid cell {cell_numbers[fam['id']]}"
                if fam["id"] not in grid_families:
                    grid_families.append(fam["id"])
            fe = " + ".join(_interacted(f, labels) for f in m.get("fixed_effects") or []) or "none"
            sample = sample_name(m.get("sample"), samples, labels)
            body.append(" & ".join([
                _cell(name or _reader(m["id"], labels)), _cell(_outcome(m, labels)),
                _cell(_terms(m, labels)), _cell(fe), _cell(_standard_errors(m, labels)), _cell(sample),
            ]) + r" \\")
    notes = []
    notes.append("Standard errors: CRV1 by a variable, clustered by it; CRV3, the cluster jackknife; "
                 "WCR (draws, weights), the wild cluster restricted bootstrap.")
    notes.append("Sample: the firm-years a model uses, named as in the tables' notes.")
    if any(_grid_row(part, samples, labels) for *_, part in groups):
        notes.append("A grid (one row): one model for every combination of the outcomes, fixed effects and "
                     "samples its row lists, each with the terms and standard errors it gives.")
    if grid_families:
        notes.append("Grid cells: the models of a family's grid, every combination of its outcomes, fixed "
                     "effects and samples, numbered in the order of the specification file.")
    notes.append(r"Model, outcome, terms, effects and samples are named as in the tables; the exhibit map "
                 r"of the replication package gives each model's entry in the specification file.")
    colspec = (r">{\raggedright}p{0.11\linewidth}>{\raggedright}p{0.095\linewidth}"
               r">{\raggedright}p{0.225\linewidth}>{\raggedright}p{0.12\linewidth}"
               r">{\raggedright}p{0.17\linewidth}>{\raggedright\arraybackslash}p{0.16\linewidth}")
    return ("% Generated by `upgrading specs-appendix` from config/specs.yaml; do not edit.\n"
            + longtable(colspec, 6, "The specification registry: every model estimated", "tab:specs_appendix",
                        [head], body, " ".join(notes), preamble=r"\footnotesize\setlength{\tabcolsep}{3pt}"))


def sample_name(name, samples: dict[str, list], labels: dict[str, str]) -> str:
    """A model's sample as the tables' notes name it: its label, else its conditions in words."""
    if not name:
        return "every firm-year"
    return labels.get(str(name)) or describe_sample((samples or {}).get(str(name), []), labels)


def _value(v, labels: dict[str, str]) -> str:
    """One condition value as a reader sees it: booleans as yes/no, ids by their label."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return labels.get(str(v), str(v))


def _list(values, labels: dict[str, str]) -> str:
    """[a, b, c] -> 'a, b or c' (prose, never Python's list syntax)."""
    items = [_value(v, labels) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _condition(c, labels: dict[str, str]) -> str:
    """One registry sample condition (src/upgrading/core/specs.schema.yaml) as a phrase."""
    if c.get("balanced"):
        return "firms observed in every remaining year (balanced panel)"
    col = labels.get(c["column"], c["column"])
    if "equals" in c:
        return f"{col} = {_value(c['equals'], labels)}"
    if "not_equals" in c:
        return f"{col} is not {_value(c['not_equals'], labels)}"
    if "in" in c:
        return f"{col} is {_list(c['in'], labels)}"
    if "between" in c:
        lo, hi = c["between"]
        return f"{col} from {_value(lo, labels)} to {_value(hi, labels)}"
    if "at_least" in c:
        return f"{col} at least {_value(c['at_least'], labels)}"
    if "at_most" in c:
        return f"{col} at most {_value(c['at_most'], labels)}"
    raise ValueError(f"sample condition {c!r} has no known operator")


def describe_sample(conds, labels: dict[str, str] | None = None) -> str:
    """A registry sample's conditions in words; `labels` (exhibits.labels) names columns and values."""
    if not isinstance(conds, list):
        conds = [conds]
    parts = [_condition(c, labels or {}) for c in conds]
    return " and ".join(parts) if parts else "all rows"
