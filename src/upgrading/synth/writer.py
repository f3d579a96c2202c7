"""Write the raw yearly files in the ASIF layout: per-year header spellings (from the header
map), per-year encodings (GBK, UTF-8, UTF-8 with BOM), plain csv, empty cell = missing."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from upgrading.synth import identity
from upgrading.synth.mess import CONFLICT_MONEY

YEAR_END_EMPLOYMENT = "年末"  # the 2003 employment header is the year-end count


def load_spellings(path: str | Path) -> dict[str, list[str]]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {name: [str(s) for s in spec["spellings"]] for name, spec in raw.items()}


def year_headers(spellings: dict[str, list[str]], year: int, era: int) -> dict[str, str]:
    """canonical -> raw header for one year. The spelling rotates with the era and the
    variable's position, so most variables show three spellings over the years; employment
    uses the year-end header in 2003 and only the annual-average ones otherwise."""
    out = {}
    for pos, (name, options) in enumerate(spellings.items()):
        if name == "employment":
            year_end = [s for s in options if YEAR_END_EMPLOYMENT in s]
            average = [s for s in options if YEAR_END_EMPLOYMENT not in s] or options
            out[name] = (year_end or average)[0] if year == 2003 else average[(era + pos) % len(average)]
        else:
            out[name] = options[(era + pos) % len(options)]
    return out


def year_columns(spellings: dict[str, list[str]], year: int, rd_years: list[int]) -> list[str]:
    """Canonical columns present in a year's file: no value added in 2004, R&D some years."""
    cols = list(spellings)
    if year == 2004:
        cols.remove("value_added")
    if year not in rd_years and "rd" in cols:
        cols.remove("rd")
    return cols


def _strings(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def year_table(raw: pd.DataFrame, ident, lines: np.ndarray, copy: np.ndarray,
               money_factor: np.ndarray, emp_factor: np.ndarray, cols: list[str]) -> pa.Table:
    """The lines of one year's file (raw row `lines[i]`, conflicting copies rescaled) as text
    and numbers in canonical column order."""
    conflict = copy == 2
    idents = identity.line_identities(ident, raw, lines)
    arrays = []
    for col in cols:
        if col in idents:
            arr = idents[col]
        elif col in ("region_code", "industry_code"):
            arr = _strings(raw[col].to_numpy()[lines])
        elif col == "employment":
            v = raw[col].to_numpy()[lines]
            v = np.where(conflict, np.maximum(1, np.rint(v * emp_factor)), v).astype(np.int64)
            arr = pa.array(v)
        elif col in ("reg_type", "founding_year"):
            arr = pa.array(raw[col].to_numpy()[lines])
        else:
            v = raw[col].to_numpy()[lines]
            if col in CONFLICT_MONEY:
                v = np.where(conflict, np.round(v * money_factor, 1) + 0.0, v)
            arr = pa.array(v, from_pandas=True)  # NaN -> empty cell
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=cols)


def csv_bytes(table: pa.Table, header: list[str], encoding: str) -> bytes:
    """Unquoted csv (no value holds a comma, quote or newline) in the given encoding."""
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none",
                                                   batch_size=65536))
    text = (",".join(header) + "\n").encode("utf-8") + buf.getvalue()
    if encoding == "gbk":
        return text.decode("utf-8").encode("gbk")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text
    if encoding == "utf-8":
        return text
    raise ValueError(f"unknown encoding {encoding!r} (gbk, utf-8, utf-8-sig)")


@contextmanager
def staging(out_dir: Path):
    """A scratch folder inside out_dir; `commit` moves its files into out_dir only on success."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".synth-", dir=out_dir))
    try:
        yield tmp
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            target = out_dir / path.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sha256sums(out_dir: Path, files: list[str]) -> str:
    lines = []
    for rel in sorted(files):
        h = hashlib.sha256((out_dir / rel).read_bytes()).hexdigest()
        lines.append(f"{h}  {rel}")
    return "\n".join(lines) + "\n"


def file_order(year: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Order of file lines: by year, then county code, random within county (so duplicates
    land anywhere in their county block). Returns (order, 1-based source_row per ordered line)."""
    key = rng.random(len(year))
    order = np.lexsort((key, region, year))
    y = year[order]
    start = np.r_[0, np.flatnonzero(y[1:] != y[:-1]) + 1]
    first_of = np.repeat(start, np.diff(np.r_[start, len(y)]))
    return order, np.arange(len(y)) - first_of + 1
