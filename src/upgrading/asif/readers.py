"""Read one raw ASIF year file (csv, csv.gz, Stata .dta, parquet) as a table of raw columns.

CSV text is decoded here (UTF-8 with or without BOM, or GBK via its superset
GB18030) and handed to pyarrow's multithreaded parser with every column read as
text, so that types are decided once, by `coerce`, with row-level errors.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from upgrading.errors import InputError

EXTENSIONS = (".csv", ".csv.gz", ".dta", ".parquet")


@dataclass
class RawTable:
    frame: pd.DataFrame  # raw headers as columns; csv columns are text
    file: str            # file name without directory
    fmt: str
    encoding: str


def find_year_file(raw_dir: str | Path, year: int) -> Path:
    """The one file asif_{year}.{csv,csv.gz,dta,parquet} in raw_dir; error if none or several."""
    found = [Path(raw_dir) / f"asif_{year}{ext}" for ext in EXTENSIONS
             if (Path(raw_dir) / f"asif_{year}{ext}").exists()]
    if not found:
        raise InputError(f"no raw file for year {year}: expected one of "
                         + ", ".join(f"asif_{year}{e}" for e in EXTENSIONS), file=str(raw_dir))
    if len(found) > 1:
        raise InputError(f"several raw files for year {year}: "
                         + ", ".join(p.name for p in found), file=str(raw_dir))
    return found[0]


def detect_encoding(data: bytes, file: str) -> str:
    """utf-8-sig, utf-8 or gb18030; anything else (UTF-16, binary) is an InputError."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise InputError("unsupported encoding (looks like UTF-16 or binary); "
                         "save the file as UTF-8 or GBK", file=file)
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(f"neither UTF-8 nor GBK/GB18030 (bad byte at offset {exc.start})",
                         file=file) from None


def _ragged_rows(text: str, n_fields: int) -> list[tuple[int, int]]:
    """(1-based data row, field count) of rows whose field count differs from the header's."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    return [(i, len(row)) for i, row in enumerate(reader, start=1) if row and len(row) != n_fields]


def read_csv_bytes(data: bytes, file: str) -> tuple[pd.DataFrame, str]:
    """Decode and parse CSV bytes; every column as text, empty cell = missing."""
    if not data.strip():
        raise InputError("empty file (no header, no data rows)", file=file)
    encoding = detect_encoding(data, file)
    if encoding == "utf-8-sig":
        data = data[3:]
    elif encoding == "gb18030":
        data = data.decode("gb18030").encode("utf-8")
    first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([first_line]))
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"duplicate header(s): {', '.join(dup)}", file=file)
    last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    if last.count(b'"') % 2:
        n_rows = data.rstrip(b"\r\n").count(b"\n")
        raise InputError("truncated file: the last line ends inside a quoted value",
                         file=file, rows=[n_rows])
    bad: list[str] = []

    def on_invalid(row) -> str:
        bad.append(row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:  # e.g. a quote left open by a truncated last line
        raise InputError(f"not a readable CSV table ({exc})", file=file) from None
    if bad:
        rows = _ragged_rows(data.decode("utf-8"), len(header))
        last = rows[-1][0] if rows else None
        n_data = table.num_rows + len(bad)
        truncated = " (truncated file: the last line is incomplete)" if last == n_data else ""
        raise InputError(f"{len(bad)} row(s) with a field count different from the header's "
                         f"{len(header)}{truncated}: " + ", ".join(
                             f"row {r} has {n}" for r, n in rows[:10]),
                         file=file, rows=[r for r, _ in rows])
    if table.num_rows == 0:
        raise InputError("empty file (header only, no data rows)", file=file)
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow") if t == pa.string() else None)
    return frame, "gbk/gb18030" if encoding == "gb18030" else encoding


def read_raw(path: str | Path) -> RawTable:
    """One raw year file as a RawTable; format from the extension."""
    path = Path(path)
    file = path.name
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", file=file)
    if file.endswith(".csv.gz"):
        with gzip.open(path, "rb") as fh:
            frame, enc = read_csv_bytes(fh.read(), file)
        return RawTable(frame, file, "csv.gz", enc)
    if file.endswith(".csv"):
        frame, enc = read_csv_bytes(path.read_bytes(), file)
        return RawTable(frame, file, "csv", enc)
    if file.endswith(".dta"):
        frame = pd.read_stata(path, convert_categoricals=False, preserve_dtypes=True)
        fmt = "dta"
    elif file.endswith(".parquet"):
        frame = pd.read_parquet(path)
        fmt = "parquet"
    else:
        raise InputError(f"unsupported file type; expected one of {', '.join(EXTENSIONS)}", file=file)
    if len(frame) == 0:
        raise InputError("empty file (no data rows)", file=file)
    return RawTable(frame.reset_index(drop=True), file, fmt, "binary")
