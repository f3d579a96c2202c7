"""Ingest: raw yearly files -> one harmonised long table (PROC/ingested.parquet).

Each file: read (readers), map headers to canonical names (headers), coerce
each column by its kind. A value that does not parse is an error listing file,
column, rows and count: it is never turned into a silent missing value. Columns
that map to no variable are left out and listed, with their share of non-missing
cells, in the per-column audit, beside the columns used and their alternatives.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upgrading.asif.headers import Field, HeaderPlan, map_headers, normalise
from upgrading.asif.readers import DEFAULT_PATTERN, RawTable, find_year_file, read_raw, source_name
from upgrading.core.errors import InputError

NUMERIC_KINDS = {"code", "int", "money", "count"}
# dtype per kind in ingested.parquet: integers stay nullable, money and counts are float64.
KIND_DTYPE = {"id": "string", "text": "string", "region": "string", "code": "Int32", "int": "Int32",
              "money": "float64", "count": "float64"}


def _as_text(col: pd.Series) -> pd.Series:
    """Text with blanks trimmed; numbers from binary formats written without a spurious '.0'."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = pd.to_numeric(col, errors="coerce")
        whole = vals.notna() & (vals == np.floor(vals))
        out = vals.astype("string")
        out = out.where(~whole, vals.where(whole).astype("Int64").astype("string"))
        return out
    out = col.astype("string").str.strip()
    return out.mask(out == "")


def _arrow_float(col: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """(float64 values, non-empty mask) by pyarrow's C++ cast when every value parses (the
    common case), else None. A literal "nan" parses to NaN but counts as present, so it is
    reported below as a value that is not a number.

    pandas' to_numeric on text is ~10x slower; it runs only on a column that has a bad
    value, to find the rows to report.
    """
    if pd.api.types.is_numeric_dtype(col.dtype) or not isinstance(col.dtype, pd.StringDtype):
        return None
    try:
        arr = pa.chunked_array(col.array.__arrow_array__())
        arr = pc.utf8_trim_whitespace(arr)
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        out = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, AttributeError, TypeError):
        return None
    present = pd.Series(pc.is_valid(arr).to_numpy(zero_copy_only=False), index=col.index)
    return pd.Series(out.to_numpy(zero_copy_only=False), index=col.index, dtype="float64"), present


def _labelled_codes(col: pd.Series, field: Field, file: str, raw_header: str) -> tuple[pd.Series, int]:
    """Codes written as numbers or as their names (field.labels): (float values, rows named)."""
    text = _as_text(col)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    named = text.notna() & values.isna()
    if not named.any():
        return values, 0
    table = dict(field.labels)
    # A few distinct names over many rows: normalise each distinct text once.
    names = text[named]
    codes = names.map({t: table.get(normalise(t)) for t in names.unique()})
    unknown = codes.isna()
    if unknown.any():
        rows = (np.flatnonzero(named.to_numpy())[unknown.to_numpy()] + 1).tolist()
        example = text[named][unknown].iloc[0]
        raise InputError(f"{len(rows)} value(s) that are neither codes nor known names (variable "
                         f"{field.name}, e.g. {example!r}); add the name under `labels` in "
                         "config/asif_headers.yaml", file=file, column=raw_header, rows=rows)
    values[named] = codes.astype("float64")
    return values, int(named.sum())


def _scale_text(text: pd.Series, present: pd.Series, factor: float) -> pd.Series:
    """Decimal text times a power of ten, exactly (123.45 万元 -> 1234.5 thousand yuan), so a
    column gives the same float64 whichever unit it was written in."""
    exp = int(round(np.log10(factor)))
    out = np.full(len(text), np.nan)
    idx = np.flatnonzero(present.to_numpy())
    vals = text.to_numpy()
    out[idx] = [float(Decimal(str(vals[i]).strip()).scaleb(exp)) for i in idx]
    return pd.Series(out, index=text.index, dtype="float64")


def _region(col: pd.Series) -> tuple[pd.Series, int]:
    """County codes as text: 12-digit codes (2004-2007 files) keep their first 6 digits."""
    text = _as_text(col).astype("string")
    long = text.str.fullmatch(r"\d{12}").fillna(False)
    return text.where(~long, text.str.slice(0, 6)), int(long.sum())


def coerce_column(col: pd.Series, field: Field, file: str, raw_header: str,
                  factor: float = 1.0) -> tuple[pd.Series, dict[str, int]]:
    """Coerce one raw column to its kind: (values, counts of values rewritten: names read as
    codes, 12-digit region codes shortened). InputError with rows for values that do not parse."""
    if field.kind in ("id", "text"):
        return _as_text(col).astype("string"), {}
    if field.kind == "region":
        values, n12 = _region(col)
        return values, {"region_12_digit": n12} if n12 else {}
    notes: dict[str, int] = {}
    if field.kind == "code" and field.labels and not pd.api.types.is_numeric_dtype(col.dtype):
        values, named = _labelled_codes(col, field, file, raw_header)
        present = values.notna()
        if named:
            notes["names_read_as_codes"] = named
    elif (fast := _arrow_float(col)) is not None:
        values, present = fast
    elif pd.api.types.is_numeric_dtype(col.dtype):
        values = pd.to_numeric(col, errors="coerce").astype("float64")
        present = col.notna()
    else:
        text = _as_text(col)
        present = text.notna()
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = present & values.isna()
    if field.kind in ("code", "int"):
        bad |= values.notna() & (values != np.round(values))
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        example = col[bad].iloc[0]
        raise InputError(f"{len(rows)} value(s) that are not {'integers' if field.kind in ('code', 'int') else 'numbers'} "
                         f"(variable {field.name}, e.g. {example!r})",
                         file=file, column=raw_header, rows=rows)
    if factor != 1.0:
        if pd.api.types.is_numeric_dtype(col.dtype):
            values = values * factor
        else:
            values = _scale_text(_as_text(col), present, factor)
        notes["money_rescaled"] = int(present.sum())
    values = pd.Series(values.to_numpy(), index=col.index, dtype="float64")
    return (values.astype("Int32") if field.kind in ("code", "int") else values), notes


def _share_present(col: pd.Series) -> float:
    if len(col) == 0:
        return 0.0
    return float(_as_text(col).notna().mean()) if not pd.api.types.is_numeric_dtype(col.dtype) \
        else float(col.notna().mean())


def harmonise(raw: RawTable, plan: HeaderPlan, fields: dict[str, Field],
              year: int) -> tuple[pd.DataFrame, list[dict]]:
    """(canonical columns for one file, one audit row per raw column). A variable's first
    column by preference is used; further columns fill its missing cells and are compared
    with it. Optional variables the file lacks are all missing."""
    out = {}
    col_rows: list[dict] = []
    n = len(raw.frame)
    for name, field in fields.items():
        cols = plan.by_variable.get(name, ())
        if not cols:
            out[name] = pd.Series(pd.NA if field.kind in ("id", "text", "code", "int", "region") else np.nan,
                                  index=raw.frame.index, dtype=KIND_DTYPE[field.kind])
            continue
        values = None
        for i, c in enumerate(cols):
            v, notes = coerce_column(raw.frame[c.header], field, raw.file, c.header, c.factor)
            row = {"file": raw.file, "year": year, "column": c.header, "label": c.label,
                   "variable": name, "role": "used" if i == 0 else "alternative",
                   "matched_by": c.matched_by, "unit": c.unit, "factor": c.factor,
                   "share_nonmissing": round(float(v.notna().mean()), 6) if n else 0.0,
                   "rows_filled": 0, "rows_compared": 0, "rows_disagree": 0,
                   "notes": ";".join(f"{k}={notes[k]}" for k in sorted(notes))}
            if values is None:
                values = v
            else:
                both = values.notna() & v.notna()
                fill = values.isna() & v.notna()
                differ = both & (values.astype("string") != v.astype("string")).fillna(False)
                row.update(rows_filled=int(fill.sum()), rows_compared=int(both.sum()),
                           rows_disagree=int(differ.sum()))
                values = values.where(~fill, v)
            col_rows.append(row)
        out[name] = pd.Series(values, index=raw.frame.index).astype(KIND_DTYPE[field.kind])
    for c in plan.unmapped:
        col_rows.append({"file": raw.file, "year": year, "column": c.header, "label": c.label,
                         "variable": "", "role": "unmapped", "matched_by": "", "unit": c.unit,
                         "factor": np.nan, "share_nonmissing": round(_share_present(raw.frame[c.header]), 6),
                         "rows_filled": 0, "rows_compared": 0, "rows_disagree": 0, "notes": ""})
    frame = pd.DataFrame(out)
    frame["year"] = np.int16(year)
    frame["year"] = frame["year"].astype("int16")
    frame["source_file"] = pd.Series([source_name(raw.file)] * n, dtype="string")
    frame["source_row"] = np.arange(1, n + 1, dtype=np.int64)
    order = {c.header: i for i, c in enumerate(plan.columns)}
    col_rows.sort(key=lambda r: order[r["column"]])
    return frame, col_rows


COLUMN_AUDIT = ["file", "year", "column", "label", "variable", "role", "matched_by", "unit", "factor",
                "share_nonmissing", "rows_filled", "rows_compared", "rows_disagree", "notes"]


def ingest_years(raw_dir: str, years: list[int], fields: dict[str, Field], pattern: str = DEFAULT_PATTERN,
                 log=print) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """All years -> (ingested table, per-file audit, per-column audit). Checks every file
    exists before reading any. Every raw row becomes one ingested row (asserted)."""
    paths = {y: find_year_file(raw_dir, y, pattern) for y in years}
    frames, audit, columns = [], [], []
    for year, path in paths.items():
        raw = read_raw(path)
        plan = map_headers([str(c) for c in raw.frame.columns], fields, raw.file, raw.labels)
        frame, col_rows = harmonise(raw, plan, fields, year)
        if len(frame) != len(raw.frame):
            raise AssertionError(f"{raw.file}: read {len(raw.frame)} rows, wrote {len(frame)}")
        absent = [f for f in fields if f not in plan.by_variable]
        rescaled = [f"{r['variable']}:{r['unit']}x{r['factor']:g}" for r in col_rows
                    if r["role"] != "unmapped" and r["factor"] != 1.0]
        notes = [f"{r['variable']}:{r['notes']}" for r in col_rows if r["notes"] and "money" not in r["notes"]]
        roles = pd.Series([r["role"] for r in col_rows])
        audit.append({"file": raw.file, "year": year, "format": raw.fmt, "encoding": raw.encoding,
                      "rows_read": len(raw.frame), "rows_written": len(frame),
                      "columns": len(plan.columns), "columns_used": int((roles == "used").sum()),
                      "columns_alternative": int((roles == "alternative").sum()),
                      "columns_unmapped": int((roles == "unmapped").sum()),
                      "optional_absent": ";".join(absent), "money_rescaled": ";".join(rescaled),
                      "values_rewritten": ";".join(notes)})
        log(f"ingest: {raw.file}: {len(frame)} rows, {raw.fmt}, {raw.encoding}, "
            f"{len(plan.columns)} columns ({int((roles == 'unmapped').sum())} unmapped)")
        frames.append(frame)
        columns += col_rows
    data = pd.concat(frames, ignore_index=True)
    return data, pd.DataFrame(audit), pd.DataFrame(columns, columns=COLUMN_AUDIT)
