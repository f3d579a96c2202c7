"""Write the raw yearly files in one of three layouts (config `synth.layout`):

- `real_traits` (default): what public cleaning code shows of the real files: dBase-era
  headers of at most five characters (2000-2003), unused extra columns, registration types
  as Chinese names (2005, 2006), 12-digit region codes (2004-2007), an old-Stata file whose
  names, labels and strings are GB18030 bytes (2004), a Stata 14 file with Stata-name
  headers (2006), full-width label headers and output in 万元 in a gzipped csv (2007).
- `pinyin`: the distribution with pinyin variable names and Chinese variable labels, Stata
  files throughout (GB18030 old Stata to 2003, Stata 14 from 2004), 12-digit codes from 2004.
- `plain`: csv with rotating Chinese spellings of the header map and per-year encodings.

Every layout shows the same lines with the same values, so ingest gives the same table.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from upgrading.core.io import file_format
from upgrading.synth import identity
from upgrading.synth.layouts import year_file
from upgrading.synth.mess import CONFLICT_MONEY

IDENTITY_COLUMNS = ("name", "representative", "phone", "main_product")  # looked up per firm
YEAR_END_EMPLOYMENT = "年末"  # the 2003 employment header is the year-end count
PLAIN_SPELLINGS = 3  # the plain layout rotates over each variable's first spellings


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
            average = [s for s in options[:PLAIN_SPELLINGS] if YEAR_END_EMPLOYMENT not in s]
            out[name] = (year_end or average)[0] if year == 2003 else average[(era + pos) % len(average)]
        else:
            out[name] = options[(era + pos) % min(len(options), PLAIN_SPELLINGS)]
    return out


def year_columns(spellings: dict[str, list[str]], year: int, rd_years: list[int],
                 drawn: list[str]) -> list[str]:
    """Canonical columns present in a year's file: those the world draws (`drawn` rows and
    the identity strings), without value added in 2004, with R&D some years."""
    cols = [c for c in spellings if c in drawn or c in IDENTITY_COLUMNS]
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


# --- real and pinyin layouts ------------------------------------------------------------

OLD_STATA_YEARS = {"real_traits": (2004,), "pinyin": (1998, 1999, 2000, 2001, 2002, 2003)}
TEXT_REG_TYPE_YEARS = (2005, 2006)
LONG_REGION_FROM = 2004            # 12-digit region codes from this year
YUAN_10K_YEAR, YUAN_10K_HEADER = 2007, "工业总产值现价万元"
BOTH_EMPLOYMENT_YEAR = 2006        # annual average and year-end headcount in one file
STATA_TIME = datetime(2008, 1, 1)  # fixed, so the same world gives the same bytes

# Headers of the real files by period, as public ASIF cleaning code reads them: full names in
# 1998-1999, dBase-truncated names (at most five characters) later, Stata-name forms of merged
# panels (2006), full-width label forms (2007). A variable not listed keeps the first spelling
# of the header map.
REAL_HEADERS: dict[tuple[int, int], dict[str, str]] = {
    (1998, 1999): {"name": "企业名称", "output": "工业总产值(现价)(新规定)", "employment": "从业人数",
                   "net_fixed_assets": "固定资产净值年平均余额", "region_code": "省地县码"},
    (2000, 2000): {"name": "法人单位", "output": "工业产值现", "employment": "全部职工",
                   "net_fixed_assets": "固资净年余", "region_code": "省地县码"},
    (2001, 2001): {"name": "法人单位", "output": "工业产值现", "employment": "从业人员",
                   "net_fixed_assets": "固定资产净", "region_code": "省地代码"},
    (2002, 2002): {"name": "法人单位", "output": "产值现价", "employment": "全部职工数",
                   "net_fixed_assets": "固定资产净", "region_code": "省地县码"},
    (2003, 2003): {"name": "法人单位", "output": "总产值现新", "employment": "年末从业人员合计人",
                   "net_fixed_assets": "固定资产年", "region_code": "省地县码"},
    (2004, 2004): {"name": "法人单位", "output": "工业产值当", "employment": "全部从业人",
                   "net_fixed_assets": "固定资产净", "region_code": "行政区代码", "intermediate": "中间投入"},
    (2005, 2005): {"name": "法人单位", "output": "工业产值当", "employment": "从业人员总",
                   "net_fixed_assets": "固定资产净", "region_code": "行政区代码", "reg_type": "注册类型"},
    (2006, 2006): {"name": "法人单位名称", "output": "工业总产值_当年价格千元",
                   "employment": "全部从业人员年平均人数人", "exports": "其中出口交货值千元",
                   "intermediate": "工业中间投入合计千元", "fixed_assets": "固定资产合计千元",
                   "net_fixed_assets": "固定资产平", "region_code": "行政区码", "total_assets": "资产总计千元",
                   "wage_bill": "应付工资薪酬总额千元", "sales": "主营业务收入千元",
                   "founding_year": "开业成立时间年"},
    (2007, 2007): {"name": "法人单位", "output": YUAN_10K_HEADER, "employment": "全部从业人员年平均人数(人)",
                   "exports": "其中：出口交货值(千元)", "new_product": "其中：新产品产值(千元)",
                   "net_fixed_assets": "固定资产净", "region_code": "行政区代码",
                   "original_fixed_assets": "固定资产原价合计(千元)", "depreciation_accumulated": "累计折旧(千元)",
                   "paid_in_capital": "其中：实收资本(千元)", "sales": "主营业务(产品销售)收入(千元)",
                   "rd": "其中：研究开发费(千元)", "founding_year": "开业(成立)时间--年"},
}
# Columns the pipeline does not use, as real files carry them (values drawn per line).
EXTRA_COLUMNS = ("邮政编码", "隶属关系", "控股情况", "企业规模", "工业销售产值_当年价格千元", "应交增值税",
                 "管理费用", "营业收入合计")
PINYIN = {"legal_id": "frdm", "name": "qymc", "representative": "frdbxm", "phone": "dhhm",
          "region_code": "sdxm", "industry_code": "hylb", "main_product": "zycp1", "reg_type": "djzclx",
          "founding_year": "kysjn", "output": "gyzczxjxgd", "value_added": "gyzjz", "exports": "ckjhz",
          "new_product": "xcpcz", "employment": "cyrs", "intermediate": "zjtrhj", "fixed_assets": "gdzchj",
          "net_fixed_assets": "gdzcjznpjye", "original_fixed_assets": "gdzcyjhj",
          "depreciation_current": "bnzj", "depreciation_accumulated": "ljzj", "total_assets": "zczj",
          "current_assets": "ldzchj", "paid_in_capital": "sszb", "capital_state": "gjzbj",
          "capital_collective": "jtzbj", "capital_legal": "frzbj", "capital_individual": "grzbj",
          "capital_hmt": "gatzbj", "capital_foreign": "wszbj", "wage_bill": "bnyfgzze", "sales": "zyywsr",
          "profit": "lrze", "rd": "yjkff"}
PINYIN_EXTRA = {"yzbm": "邮政编码", "gyxsczxjxgd": "工业销售产值_当年价格(千元)", "yysr": "营业收入合计(千元)"}


def real_headers(spellings: dict[str, list[str]], year: int, cols: list[str]) -> dict[str, str]:
    period = next(v for (a, b), v in REAL_HEADERS.items() if a <= year <= b)
    return {c: period.get(c, spellings[c][0]) for c in cols}


def reg_type_names(path: str | Path) -> dict[int, str]:
    """code -> the first name the header map lists for it."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {int(k): str(v[0]) for k, v in raw["reg_type"]["labels"].items()}


def _to_10k_yuan(values: np.ndarray) -> pa.Array:
    """Thousand yuan -> 万元 as exact decimal text (one place left), empty for missing."""
    from decimal import Decimal

    out = [None if np.isnan(v) else format(Decimal(repr(float(v))).scaleb(-1), "f") for v in values]
    return pa.array(out, pa.string())


def _extras(n: int, rng: np.random.Generator, output: np.ndarray) -> dict[str, np.ndarray]:
    """Values of the unused columns: plausible forms, not part of the world."""
    size = np.array(["大型", "中型", "小型"])[np.minimum(2, rng.integers(0, 6, n) // 2)]
    return {"邮政编码": np.char.zfill(rng.integers(100000, 860000, n).astype(str), 6),
            "隶属关系": rng.choice(np.array(["10", "20", "40", "50", "61", "62", "63", "71", "72", "90"]), n),
            "控股情况": rng.integers(1, 6, n).astype(str),
            "企业规模": size,
            "工业销售产值_当年价格千元": np.round(np.nan_to_num(output) * rng.uniform(0.85, 1.0, n), 1),
            "应交增值税": np.round(np.nan_to_num(output) * rng.uniform(0.01, 0.05, n), 1),
            "管理费用": np.round(np.nan_to_num(output) * rng.uniform(0.02, 0.08, n), 1),
            "营业收入合计": np.round(np.nan_to_num(output) * rng.uniform(0.95, 1.1, n), 1)}


def layout_frame(table: pa.Table, layout: str, year: int, spellings: dict[str, list[str]],
                 reg_names: dict[int, str], rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, str]]:
    """(the year's columns under the layout's headers, with its value forms; Stata labels)."""
    cols = table.column_names
    frame = table.to_pandas()
    n = len(frame)
    labels: dict[str, str] = {}
    if year >= LONG_REGION_FROM and layout != "plain":  # county code + 6-digit township code
        town = rng.integers(1, 400, n) * 1000
        frame["region_code"] = frame["region_code"].astype("int64") * 1_000_000 + town
        if file_format(year_file(layout, year)) == "csv":
            frame["region_code"] = frame["region_code"].astype(str)
    if layout == "pinyin":
        names = {c: PINYIN.get(c, spellings[c][0]) for c in cols}
        labels = {names[c]: spellings[c][0] for c in cols}
        out = frame.rename(columns=names)
        extra = _extras(n, rng, frame["output"].to_numpy())
        out["yzbm"] = extra["邮政编码"]
        out["gyxsczxjxgd"] = extra["工业销售产值_当年价格千元"]
        out["yysr"] = extra["营业收入合计"]
        labels.update(PINYIN_EXTRA)
        return out, labels
    names = real_headers(spellings, year, cols)
    extra = _extras(n, rng, frame["output"].to_numpy())
    if year in TEXT_REG_TYPE_YEARS:
        frame["reg_type"] = frame["reg_type"].map(reg_names)
    if year == YUAN_10K_YEAR:
        frame["output"] = _to_10k_yuan(frame["output"].to_numpy()).to_pandas()
    out = frame.rename(columns=names)
    if year == BOTH_EMPLOYMENT_YEAR:  # year-end headcount beside the annual average, as in merged panels
        emp = frame["employment"].to_numpy()
        out["年末从业人员合计人"] = np.maximum(1, np.rint(emp * np.exp(rng.normal(0, 0.05, n)))).astype(np.int64)
    for k in EXTRA_COLUMNS[: 3 + (year - 1998) % 5]:
        out[k] = extra[k]
    return out, labels


def stata_bytes(frame: pd.DataFrame, labels: dict[str, str], old: bool) -> bytes:
    """A .dta file: Stata 14 (release 118, UTF-8), or release 117 whose names, labels and
    strings are GB18030 bytes, as Chinese Stata 13 files are (pandas writes only latin-1
    there, so the text goes in as GB18030 bytes read as latin-1 and the names are set in the
    fixed-width <varnames> block afterwards)."""
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype):
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "")
        elif frame[c].dtype == np.int64:
            frame[c] = frame[c].astype(np.float64) if frame[c].abs().max() > 2**31 - 2 else frame[c].astype(np.int32)
    buf = io.BytesIO()
    if not old:
        frame.to_stata(buf, write_index=False, version=118, time_stamp=STATA_TIME,
                       variable_labels=labels or None)
        return buf.getvalue()

    def gb(s: str) -> str:
        return s.encode("gb18030").decode("latin-1")

    def gb_column(values: pd.Series) -> list[str]:
        # One encode for the whole column: GB18030 never puts a NUL byte inside a character,
        # so the joined text splits back at NUL into each value's own bytes.
        joined = "\0".join(values)
        if len(values) == 0 or joined.count("\0") != len(values) - 1:  # a value holds NUL itself
            return [gb(v) for v in values]
        return gb(joined).split("\0")

    names = list(frame.columns)
    frame.columns = [f"v{i}" for i in range(len(names))]
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = pd.Series(gb_column(frame[c]), index=frame.index, dtype=object)
    frame.to_stata(buf, write_index=False, version=117, time_stamp=STATA_TIME,
                   variable_labels={f"v{i}": gb(labels.get(n, n)) for i, n in enumerate(names)})
    data = bytearray(buf.getvalue())
    start = data.index(b"<varnames>") + len(b"<varnames>")
    for i, name in enumerate(names):
        raw = name.encode("gb18030")
        if len(raw) > 32:
            raise ValueError(f"Stata 13 variable name longer than 32 bytes: {name!r}")
        data[start + 33 * i: start + 33 * (i + 1)] = raw.ljust(33, b"\0")
    return bytes(data)


def write_year(out_dir: Path, layout: str, year: int, table: pa.Table, header: list[str],
               spellings: dict[str, list[str]], reg_names: dict[int, str], encoding: str,
               seed: int) -> str:
    """Write one year's file in the layout; returns its name."""
    name = year_file(layout, year)
    if layout == "plain":
        (out_dir / name).write_bytes(csv_bytes(table, header, encoding))
        return name
    rng = np.random.default_rng([seed, 2, year])  # layout-only draws: the world is the same in every layout
    frame, labels = layout_frame(table, layout, year, spellings, reg_names, rng)
    fmt = file_format(name)
    if fmt == "dta":
        data = stata_bytes(frame, labels, old=year in OLD_STATA_YEARS[layout])
    else:
        t = pa.Table.from_pandas(frame, preserve_index=False)
        data = csv_bytes(t, list(frame.columns), "gbk" if year < 2004 else "utf-8")
        if fmt == "csv.gz":
            data = gzip.compress(data, mtime=0)
    (out_dir / name).write_bytes(data)
    return name
