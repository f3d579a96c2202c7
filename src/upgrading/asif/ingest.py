"""Ingest: raw yearly files -> one harmonised long table (PROC/ingested.parquet).

Each file: read (readers), map headers to canonical names (headers), coerce
each column by its kind. A value that does not parse is an error listing file,
column, rows and count: it is never turned into a silent missing value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upgrading.asif.headers import Field
from upgrading.asif.readers import RawTable, find_year_file, read_raw
from upgrading.errors import InputError

NUMERIC_KINDS = {"code", "int", "money", "count"}
# dtype per kind in ingested.parquet: integers stay nullable, money and counts are float64.
KIND_DTYPE = {"id": "string", "text": "string", "code": "Int32", "int": "Int32",
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


def coerce_column(col: pd.Series, field: Field, file: str, raw_header: str) -> pd.Series:
    """Coerce one raw column to its kind; InputError with rows for values that do not parse."""
    if field.kind in ("id", "text"):
        return _as_text(col).astype("string")
    fast = _arrow_float(col)
    if fast is not None:
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
    values = pd.Series(values.to_numpy(), index=col.index, dtype="float64")
    return values.astype("Int32") if field.kind in ("code", "int") else values


def harmonise(raw: RawTable, mapping: dict[str, str], fields: dict[str, Field],
              year: int) -> pd.DataFrame:
    """Canonical columns for one file; optional variables the file lacks are all missing."""
    out = {}
    by_name = {canon: header for header, canon in mapping.items()}
    n = len(raw.frame)
    for name, field in fields.items():
        if name in by_name:
            out[name] = pd.Series(coerce_column(raw.frame[by_name[name]], field, raw.file, by_name[name]),
                                  index=raw.frame.index).astype(KIND_DTYPE[field.kind])
        else:
            out[name] = pd.Series(pd.NA if field.kind in ("id", "text", "code", "int") else np.nan,
                                  index=raw.frame.index, dtype=KIND_DTYPE[field.kind])
    frame = pd.DataFrame(out)
    frame["year"] = np.int16(year)
    frame["year"] = frame["year"].astype("int16")
    frame["source_file"] = pd.Series([raw.file] * n, dtype="string")
    frame["source_row"] = np.arange(1, n + 1, dtype=np.int64)
    return frame


def ingest_years(raw_dir: str, years: list[int], fields: dict[str, Field],
                 log=print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All years -> (ingested table, per-file audit). Checks every file exists before reading any."""
    from upgrading.asif.headers import map_headers

    paths = {y: find_year_file(raw_dir, y) for y in years}
    frames, audit = [], []
    for year, path in paths.items():
        raw = read_raw(path)
        mapping = map_headers([str(c) for c in raw.frame.columns], fields, raw.file)
        frame = harmonise(raw, mapping, fields, year)
        absent = [f for f in fields if f not in mapping.values()]
        audit.append({"file": raw.file, "year": year, "format": raw.fmt, "encoding": raw.encoding,
                      "rows": len(frame), "columns_mapped": len(mapping),
                      "optional_absent": ";".join(absent)})
        log(f"ingest: {raw.file}: {len(frame)} rows, {raw.fmt}, {raw.encoding}")
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    return data, pd.DataFrame(audit)
