"""Read one raw ASIF year file (csv, csv.gz, Stata .dta, parquet) as a table of raw columns.

CSV text is decoded here (UTF-8 with or without BOM, or GBK via its superset
GB18030) and handed to pyarrow's multithreaded parser with every column read as
text, so that types are decided once, by `coerce`, with row-level errors.
Stata files before release 118 (Stata 13 and older) do not record their code page and
pandas reads their names, labels and strings as latin-1; real ASIF files hold GB18030
bytes there, so that text is decoded again (`read_stata`). Variable labels are kept:
in some distributions the names are pinyin codes and the labels the Chinese headers.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from upgrading.core.errors import InputError
from upgrading.core.io import EXTENSIONS, file_format, year_file_name

DEFAULT_PATTERN = "asif_{year}"
SAMPLE_BYTES = 1 << 20  # what inspect reads of a text file


@dataclass
class RawTable:
    frame: pd.DataFrame  # raw headers as columns; csv columns are text
    file: str            # file name without directory
    fmt: str
    encoding: str
    labels: dict[str, str] = field(default_factory=dict)  # Stata variable labels


def source_name(file: str) -> str:
    """The file name without its format extension: the same raw data converted to another
    format keeps its trace (one file per year, so the stem names the file)."""
    fmt = file_format(file)
    return file[: -len(fmt) - 1] if fmt else file


def find_year_file(raw_dir: str | Path, year: int, pattern: str = DEFAULT_PATTERN) -> Path:
    """The one file for `year` named by the pattern (e.g. asif_{year}, gy{year}.dta): with an
    extension, that file; without, the one file of a supported format; error if none or several."""
    name = year_file_name(pattern, year)
    candidates = [name] if file_format(name) else [name + ext for ext in EXTENSIONS]
    found = [Path(raw_dir) / c for c in candidates if (Path(raw_dir) / c).exists()]
    if not found:
        raise InputError(f"no raw file for year {year}: expected "
                         + (" or ".join(candidates)) + f" (file pattern {pattern!r})", file=str(raw_dir))
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


def stata_release(path: Path) -> int:
    """The .dta format number (113-115 old binary, 117 Stata 13, 118/119 Stata 14+ UTF-8)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"<stata_dta>"):
        return int(head.split(b"<release>", 1)[1][:3])
    return head[0]


def detect_legacy_text(samples: list[str]) -> str:
    """Encoding of pre-Stata-14 text that pandas decoded as latin-1: the file does not record
    its code page; Chinese files are GB18030 (or UTF-8 when written by a converter)."""
    data = "".join(samples).encode("latin-1")
    if data.isascii():
        return "ascii"
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            pass
    return "latin-1"


def read_stata(path: Path, nrows: int | None = None) -> tuple[pd.DataFrame, dict[str, str], str]:
    """(frame, variable labels, text encoding). Stata 14+ is UTF-8; older files are decoded
    from GB18030 (or UTF-8) where pandas' latin-1 reading would leave mojibake."""
    release = stata_release(path)
    with pd.read_stata(path, convert_categoricals=False, preserve_dtypes=True, iterator=True) as reader:
        labels = reader.variable_labels()
        frame = reader.read(nrows=nrows) if nrows else reader.read()
    if release >= 118:
        return frame, labels, "utf-8"
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    sample = [str(c) for c in frame.columns] + list(labels.values())
    for c in text_cols:
        sample += [v for v in frame[c].head(2000) if isinstance(v, str)]
    enc = detect_legacy_text(sample)
    if enc in ("ascii", "latin-1"):
        return frame, labels, enc

    def fix(s):
        return s.encode("latin-1").decode(enc) if isinstance(s, str) else s

    frame = frame.rename(columns=fix)
    labels = {fix(k): fix(v) for k, v in labels.items()}
    for c in text_cols:
        frame[fix(c)] = _redecode_column(frame[fix(c)], enc)
    return frame, labels, enc


def _redecode_column(col: pd.Series, enc: str) -> pd.Series:
    """Latin-1-decoded strings decoded again as `enc`, the whole column in one call.

    Joined by NUL, which Stata strings cannot hold and which is no byte of a multi-byte
    GB18030 or UTF-8 character, so each string decodes exactly as on its own."""
    is_text = col.map(type).eq(str).to_numpy()
    if not is_text.any():
        return col
    texts = col.to_numpy()[is_text].tolist()
    fixed = "\x00".join(texts).encode("latin-1").decode(enc).split("\x00")
    if len(fixed) != len(texts):
        raise InputError(f"a text value of column {col.name!r} holds a NUL character")
    values = col.to_numpy().copy()
    values[is_text] = fixed
    return pd.Series(values, index=col.index, name=col.name, dtype=col.dtype)


def read_raw(path: str | Path, nrows: int | None = None) -> RawTable:
    """One raw year file as a RawTable; format from the extension. With `nrows`, only the
    header and about that many leading rows (text files: the first SAMPLE_BYTES)."""
    path = Path(path)
    file = path.name
    fmt = file_format(file)
    if fmt is None:
        raise InputError(f"unsupported file type; expected one of {', '.join(EXTENSIONS)}", file=file)
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", file=file)
    if fmt in ("csv", "csv.gz"):
        opener = gzip.open if fmt == "csv.gz" else open
        with opener(path, "rb") as fh:
            data = fh.read(SAMPLE_BYTES) if nrows else fh.read()
        if nrows and len(data) == SAMPLE_BYTES:
            data = data[: data.rfind(b"\n") + 1]  # whole lines only
        frame, enc = read_csv_bytes(data, file)
        return RawTable(frame.head(nrows) if nrows else frame, file, fmt, enc)
    labels: dict[str, str] = {}
    if fmt == "dta":
        frame, labels, enc = read_stata(path, nrows)
    else:
        pf = pq.ParquetFile(path)
        if nrows:
            batch = next(pf.iter_batches(batch_size=nrows), None)
            frame = (batch.to_pandas() if batch is not None else pf.schema_arrow.empty_table().to_pandas())
        else:
            frame = pf.read().to_pandas()
        enc = "binary"
    if len(frame) == 0:
        raise InputError("empty file (no data rows)", file=file)
    return RawTable(frame.reset_index(drop=True), file, fmt, enc, labels)
