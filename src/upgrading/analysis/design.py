"""Turn parsed terms into numeric columns, and named samples into row masks.

Both engines estimate from the same materialized frame, so the cross-engine check
compares estimators, not two readings of a formula. Lags are taken on the full panel
before any sample filter (a firm's 1998 value is its 1999 lag even if the sample starts in 1999).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from upgrading.core import grammar
from upgrading.core.errors import InputError
from upgrading.core.registry import cluster_vars, model_terms
from upgrading.core.samples import sample_mask


def safe_name(label: str) -> str:
    """A formula-safe column name for a term label (pyfixest parses names, we keep labels apart)."""
    s = label.replace(":", "__x__").replace("^", "__X__").replace("-", "m").replace(".", "p")
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    s = re.sub(r"_+$", "", s)
    return s if re.match(r"[A-Za-z_]", s) else f"v_{s}"


def _numeric(df: pd.DataFrame, col: str, data_file: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    try:
        return pd.to_numeric(s.astype("object").where(s.notna(), None), errors="raise").astype("float64")
    except (TypeError, ValueError) as exc:
        raise InputError("column is not numeric; use i(column) for a categorical", file=data_file,
                         column=col) from exc


def _lag(df: pd.DataFrame, col: str, k: int, panel: dict, data_file: str) -> pd.Series:
    pid, t = panel["id"], panel["time"]
    keys = df[[pid, t]]
    dup = keys.duplicated(keep=False)
    if dup.any():
        rows = (np.flatnonzero(dup.to_numpy()) + 1).tolist()
        raise InputError(f"l({col},{k}) needs one row per {pid} and {t}; duplicated keys",
                         file=data_file, column=pid, rows=rows)
    src = pd.DataFrame({pid: df[pid].to_numpy(), t: df[t].to_numpy() + k,
                        "_v": _numeric(df, col, data_file).to_numpy()})
    out = keys.merge(src, on=[pid, t], how="left")["_v"]
    return pd.Series(out.to_numpy(), index=df.index, dtype="float64")


def _factor_columns(df, factor, panel, data_file) -> list[tuple[str, pd.Series]]:
    """(label, values) for one factor: one column, or one per level for i()."""
    if isinstance(factor, grammar.Var):
        return [(factor.name, _numeric(df, factor.name, data_file))]
    if isinstance(factor, grammar.Lag):
        return [(str(factor), _lag(df, factor.name, factor.k, panel, data_file))]
    var = df[factor.var]
    levels = sorted(var.dropna().unique().tolist())
    if factor.ref is not None:
        if factor.ref not in levels:
            raise InputError(f"i(): reference level {factor.ref!r} does not occur",
                             file=data_file, column=factor.var)
        levels = [v for v in levels if v != factor.ref]
    else:
        levels = levels[1:]  # drop the first level, as fixest does without ref=
    mult = _numeric(df, factor.with_, data_file) if factor.with_ else None
    cols = []
    for lev in levels:
        d = (var == lev).astype("float64").where(var.notna())
        label = f"{factor.var}::{lev}" + (f":{factor.with_}" if factor.with_ else "")
        cols.append((label, d * mult if mult is not None else d))
    return cols


def term_columns(df, term: grammar.Term, panel, data_file) -> list[tuple[str, pd.Series]]:
    cols = [("", pd.Series(1.0, index=df.index))]
    for factor in term.factors:
        new = []
        for lab, val in cols:
            for flab, fval in _factor_columns(df, factor, panel, data_file):
                new.append((f"{lab}:{flab}" if lab else flab, val * fval))
        cols = new
    return cols


def group_codes(df: pd.DataFrame, names) -> pd.Series:
    """Integer code of each (combined) level, NaN where any part is missing; sorted so codes repeat.

    The codes are the rank of the level (the tuple of parts) among the levels present, as
    groupby(names, sort=True).ngroup() numbers them, from one sorted factorization per part.
    """
    code = None
    for name in names:
        part, uniques = pd.factorize(df[name], sort=True)  # -1 where missing
        if code is None:
            code = part.astype(np.int64)
            continue
        valid = (code >= 0) & (part >= 0)
        code = np.where(valid, code * len(uniques) + part, -1)
        code[valid] = pd.factorize(code[valid], sort=True)[0]  # back to 0..L-1: no overflow
    out = code.astype("float64")
    out[code < 0] = np.nan
    return pd.Series(out, index=df.index)


@dataclass
class Design:
    """The materialized frame of a family: one column per term, fixed effect and cluster variable."""

    frame: pd.DataFrame
    labels: dict = field(default_factory=dict)  # term string -> list of (label, column name)
    fe_cols: dict = field(default_factory=dict)  # fixed effect string -> column name
    # column name of a one-part fixed effect -> its levels by code (to name a dropped group)
    fe_levels: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)  # sample name -> boolean mask (numpy)
    # model_rows' answers by (sample, columns): the models of a family share most of them
    rows_cache: dict = field(default_factory=dict, repr=False)


def build(df: pd.DataFrame, family: dict, data_file: str = "<data>") -> Design:
    """Materialize every term, fixed effect, cluster and sample the family's models use."""
    panel = family["panel"]
    frame = {}
    labels, fe_cols, fe_levels = {}, {}, {}
    for m in family["models"]:
        frame.setdefault(safe_name(m["outcome"]), _numeric(df, m["outcome"], data_file))
        if m["weights"]:
            frame.setdefault(safe_name(m["weights"]), _numeric(df, m["weights"], data_file))
        for t in model_terms(m):
            if t in labels:
                continue
            cols = term_columns(df, grammar.parse_term(t), panel, data_file)
            labels[t] = []
            for lab, val in cols:
                name = safe_name(lab)
                frame.setdefault(name, val)
                labels[t].append((lab, name))
        for fe in m["fixed_effects"] + cluster_vars(m):
            if fe not in fe_cols:
                names = grammar.parse_fixef(fe).names
                col = "fe__" + "__X__".join(names)
                frame[col] = group_codes(df, names)
                fe_cols[fe] = col
                if len(names) == 1:  # codes rank the sorted levels (group_codes)
                    fe_levels[col] = pd.factorize(df[names[0]], sort=True)[1].tolist()
    samples = {name: sample_mask(df, conds, panel, data_file)
               for name, conds in family["samples"].items()}
    return Design(pd.DataFrame(frame, index=df.index).reset_index(drop=True), labels=labels, fe_cols=fe_cols,
                  samples=samples, fe_levels=fe_levels)


def model_columns(design: Design, m: dict) -> dict:
    """Column names a model uses, by role."""
    iv = m["iv"] or {}
    x = lambda ts: [name for t in ts for _, name in design.labels[t]]  # noqa: E731
    return {
        "y": safe_name(m["outcome"]),
        "exog": x(m["regressors"]) + x(m["controls"]),
        "endog": x(iv.get("endog", [])),
        "instruments": x(iv.get("instruments", [])),
        "fe": [design.fe_cols[f] for f in m["fixed_effects"]],
        "cluster": [design.fe_cols[c] for c in cluster_vars(m)],
        "weights": safe_name(m["weights"]) if m["weights"] else None,
    }


def model_rows(design: Design, m: dict) -> tuple[np.ndarray, int]:
    """Rows a model is estimated on (sample and complete cases) and how many sample rows lacked a value."""
    cols = model_columns(design, m)
    used = [cols["y"], *cols["exog"], *cols["endog"], *cols["instruments"], *cols["fe"], *cols["cluster"]]
    if cols["weights"]:
        used.append(cols["weights"])
    key = (m["sample"], tuple(used), cols["weights"])
    if key not in design.rows_cache:
        in_sample = design.samples[m["sample"]] if m["sample"] else np.ones(len(design.frame), dtype=bool)
        rows = in_sample.copy()
        for c in dict.fromkeys(used):
            rows &= design.frame[c].notna().to_numpy()
        if cols["weights"]:
            rows &= (design.frame[cols["weights"]] > 0).to_numpy()
        rows.flags.writeable = False  # shared by every caller
        design.rows_cache[key] = (rows, int(in_sample.sum() - rows.sum()))
    return design.rows_cache[key]


def term_labels(design: Design, m: dict) -> list[tuple[str, str]]:
    """(label, column) of every estimated coefficient in table order."""
    iv = m["iv"] or {}
    out = []
    for t in list(m["regressors"]) + list(iv.get("endog", [])) + list(m["controls"]):
        out.extend(design.labels[t])
    return out
