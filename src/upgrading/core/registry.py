"""The specification registry: load config/specs.yaml, validate it, resolve each model's settings.

Kept free of pandas/pyfixest imports: the Snakemake rule file imports it to list the
families and to pass each family's resolved spec as a rerun-triggering param.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import yaml

from upgrading.core import parse_checks
from upgrading.core.errors import InputError
from upgrading.core.io import read_yaml

from . import grammar

SCHEMA_PATH = Path(__file__).with_name("specs.schema.yaml")
DEFAULT_PANEL = {"id": "firm_id", "time": "year"}
# Settings a model inherits from its family's defaults; missing ones take these values.
SETTINGS_DEFAULTS: dict[str, Any] = {
    "outcome": None,
    "regressors": [],
    "controls": [],
    "fixed_effects": [],
    "vcov": "hetero",
    "sample": None,
    "weights": None,
    "iv": None,
    "inference": None,
    "estimator": "ols",
    "table": None,
    "figure": None,
    "label": None,
}


def load(path: str | Path) -> dict:
    """Read and schema-validate the registry; errors name the file and the offending entry."""
    path = Path(path)
    try:
        spec = read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the specification registry: {exc}", file=str(path)) from exc
    validate(spec, source=str(path))
    return spec


def validate(spec: dict, source: str = "<specs>") -> None:
    """JSON-schema validation, then the checks a schema cannot express (grammar, references)."""
    import jsonschema

    schema = read_yaml(SCHEMA_PATH)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise InputError(f"schema violation at {where}: {e.message}", file=source)
    ids = [f["id"] for f in spec["families"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f"duplicate family id(s): {', '.join(dup)}", file=source)
    for fam in spec["families"]:
        resolved = resolve_family(spec, fam["id"], source=source)
        mids = [m["id"] for m in resolved["models"]]
        dup = sorted({i for i in mids if mids.count(i) > 1})
        if dup:
            raise InputError(f"family {fam['id']}: duplicate model id(s): {', '.join(dup)}", file=source)


def family_ids(spec: dict) -> list[str]:
    return [f["id"] for f in spec["families"]]


def _grid_models(fam: dict) -> list[dict]:
    """Models of a `grid:` block: the product of its alternatives, with ids built from their index."""
    grid = fam.get("grid") or {}
    if not grid:
        return []
    keys = [k for k in ("outcome", "fixed_effects", "sample", "vcov", "controls") if k in grid]
    models = []
    for combo in itertools.product(*(range(len(grid[k])) for k in keys)):
        m = {"id": "g" + "_".join(str(i) for i in combo) if combo else "g"}
        for k, i in zip(keys, combo):
            m[k] = copy.deepcopy(grid[k][i])
        models.append(m)
    return models


def resolve_family(spec: dict, family_id: str, source: str = "<specs>") -> dict:
    """The family with every model's settings filled (model > family defaults > built-in defaults)."""
    fams = {f["id"]: f for f in spec["families"]}
    if family_id not in fams:
        raise InputError(f"no family {family_id!r}; families: {', '.join(fams)}", file=source)
    fam = fams[family_id]
    engine = fam.get("engine", "pyfixest")
    base = {**SETTINGS_DEFAULTS, **copy.deepcopy(fam.get("defaults") or {})}
    models = []
    for raw in list(fam.get("models") or []) + _grid_models(fam):
        m = {**base, **copy.deepcopy(raw)}
        where = f"family {family_id}, model {m['id']}"
        if not m["outcome"]:
            raise InputError(f"{where}: no outcome", file=source)
        if not m["regressors"] and not m["iv"]:
            raise InputError(f"{where}: no regressors", file=source)
        if m["estimator"] != "ols" and engine != "statsmodels":
            raise InputError(f"{where}: estimator {m['estimator']} needs engine: statsmodels", file=source)
        if engine == "statsmodels" and (m["iv"] or m["inference"] or m["weights"]):
            raise InputError(f"{where}: the statsmodels engine takes no iv, inference or weights", file=source)
        if m["inference"] and (m["iv"] or m["weights"] or len(cluster_vars(m)) != 1):
            raise InputError(f"{where}: CRV3 and the wild cluster bootstrap (inference:) need a one-way "
                             "cluster vcov, no iv, no weights", file=source)
        if (m["inference"] or {}).get("joint") and not m["inference"].get("crv3"):
            raise InputError(f"{where}: the joint test (inference: joint:) uses the CRV3 covariance: "
                             "set inference: crv3: true", file=source)
        if m["sample"] is not None and m["sample"] not in (spec.get("samples") or {}):
            raise InputError(f"{where}: sample {m['sample']!r} is not defined under samples:", file=source)
        _check_grammar(m, where, source)
        models.append(m)
    samples_used = sorted({m["sample"] for m in models if m["sample"]})
    return {
        "id": family_id,
        "title": fam["title"],
        "description": fam.get("description", ""),
        "headline": bool(fam.get("headline", False)),
        "engine": engine,
        "panel": {**DEFAULT_PANEL, **(spec.get("panel") or {})},
        "samples": {s: copy.deepcopy(spec["samples"][s]) for s in samples_used},
        "models": models,
    }


def family_json(spec: dict, family_id: str) -> str:
    """Canonical JSON of a resolved family: the Snakemake param that reruns only changed families."""
    return resolved_json(resolve_family(spec, family_id))


def resolved_json(resolved: dict) -> str:
    """Canonical JSON of a family `resolve_family` returned."""
    return json.dumps(resolved, sort_keys=True, separators=(",", ":"))


def resolved_sha256(resolved: dict) -> str:
    """SHA-256 of the canonical JSON: what a rule passes so its job can check that the registry
    it reads is the one the DAG was built from, without the spec on the command line."""
    return hashlib.sha256(resolved_json(resolved).encode("utf-8")).hexdigest()


def _check_grammar(m: dict, where: str, source: str) -> None:
    try:
        grammar.parse_column(m["outcome"])
        for t in model_terms(m):
            grammar.parse_term(t)
        for fe in m["fixed_effects"]:
            grammar.parse_fixef(fe)
        for c in cluster_vars(m):
            grammar.parse_fixef(c)
        if m["weights"]:
            grammar.parse_column(m["weights"])
    except grammar.GrammarError as exc:
        raise InputError(f"{where}: {exc}", file=source) from exc


def model_terms(m: dict) -> list[str]:
    """Every right-hand-side term of a model, in table order: regressors, endogenous, controls."""
    iv = m.get("iv") or {}
    return list(m["regressors"]) + list(iv.get("endog", [])) + list(m["controls"]) + list(iv.get("instruments", []))


def cluster_vars(m: dict) -> list[str]:
    v = m["vcov"]
    if isinstance(v, dict):
        c = v["cluster"]
        return [c] if isinstance(c, str) else list(c)
    return []


def columns_needed(family: dict) -> set[str]:
    """Every column the resolved family reads (terms, fixed effects, clusters, weights, samples)."""
    cols = set(family["panel"].values())
    for m in family["models"]:
        cols.add(m["outcome"])
        for t in model_terms(m):
            cols |= grammar.parse_term(t).columns()
        for fe in m["fixed_effects"] + cluster_vars(m):
            cols |= grammar.parse_fixef(fe).columns()
        if m["weights"]:
            cols.add(m["weights"])
    for conds in family["samples"].values():
        cols |= {c["column"] for c in conds if "column" in c}
    return cols


def named_columns(family: dict) -> list[tuple[str, str, str]]:
    """(model, where, column) for every column a resolved family names, in registry order;
    `where` is the setting that names it: "outcome", "term 'x:y'", "fixed effect 'a^b'", ..."""
    out = [("(panel)", f"panel {key}", col) for key, col in family["panel"].items()]
    for m in family["models"]:
        named = [("outcome", m["outcome"])]
        for t in model_terms(m):
            named += [(f"term {t!r}", c) for c in sorted(grammar.parse_term(t).columns())]
        for fe in m["fixed_effects"]:
            named += [(f"fixed effect {fe!r}", c) for c in sorted(grammar.parse_fixef(fe).columns())]
        for cl in cluster_vars(m):
            named += [(f"cluster {cl!r}", c) for c in sorted(grammar.parse_fixef(cl).columns())]
        if m["weights"]:
            named.append(("weights", m["weights"]))
        if m["sample"]:
            for cond in family["samples"][m["sample"]]:
                if "column" in cond:
                    named.append((f"sample {m['sample']!r}", cond["column"]))
        out += [(m["id"], where, col) for where, col in named]
    return out


def unknown_columns(family: dict, columns, table: str = "the analysis table") -> list[str]:
    """One line per column the family names that `columns` lacks: family, model, the setting
    naming it and the closest column names (difflib), e.g. "family baseline, model firm_year,
    term 'backwrd': no column 'backwrd' in the analysis table (did you mean 'backward'?)"."""
    known = sorted(set(columns))
    lines = []
    for model, where, col in named_columns(family):
        if col in known:
            continue
        near = difflib.get_close_matches(col, known, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
        model_part = "" if model == "(panel)" else f", model {model}"
        line = f"family {family['id']}{model_part}, {where}: no column {col!r} in {table}{hint}"
        if line not in lines:
            lines.append(line)
    return lines


def check_contract(spec: dict, columns, source: str = "<specs>") -> None:
    """Reject a registry naming a column the analysis-table contract lacks, before any job runs
    (the Snakefile calls this at parse time, so an invalid spec rewrites no output)."""
    lines = [line for fid in family_ids(spec)
             for line in unknown_columns(resolve_family(spec, fid, source=source), columns)]
    if len(lines) > 12:  # a misspelt family default repeats in every model: show the first few
        lines = lines[:12] + [f"... and {len(lines) - 12} more"]
    if lines:
        raise InputError("the specification registry names unknown column(s):\n  " + "\n  ".join(lines)
                         + "\n(the analysis table's columns: docs/contracts.md, results/codebook/analysis.csv)",
                         file=source)


def load_checked(path: str | Path, columns, context: list[bytes]) -> dict:
    """`load` then `check_contract`, remembered under the content of the registry, its schema,
    the contract's columns, the checking modules and `context` (the lock file pinning jsonschema):
    a start with all of them unchanged reads the registry without checking it again."""
    path = Path(path)
    try:
        registry_bytes = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the specification registry: {exc}", file=str(path)) from exc
    content = parse_checks.key([registry_bytes, "\n".join(columns),
                                *parse_checks.source_bytes(SCHEMA_PATH, __file__, grammar.__file__), *context])
    if parse_checks.recall("specs", content) == "checked":
        return read_yaml(path)
    spec = load(path)
    check_contract(spec, columns, source=str(path))
    parse_checks.remember("specs", content, "checked")
    return spec


def check_columns(family: dict, columns, data_file: str = "<data>") -> None:
    """Reject a family naming columns the data does not have, naming model, setting and column."""
    lines = unknown_columns(family, columns, table=data_file)
    if lines:
        missing = sorted(columns_needed(family) - set(columns))
        raise InputError("\n  ".join(["unknown column(s):"] + lines), file=data_file, column=missing[0])
