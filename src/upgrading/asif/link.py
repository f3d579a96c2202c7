"""Link firms across years (Brandt, Van Biesebroeck & Zhang 2012 sequence) -> stable firm_id.

For each year t, records not yet linked are matched to records of t-1 that have
no successor yet, stage by stage: legal-person ID, then name, then legal
representative + phone, then founding year + county + 4-digit industry + main
product. A link is made only when its key value is unique among the
still-unmatched records on both sides (ambiguous keys are not linked). The same
sequence then runs against t-2 for firms absent in t-1. Keys are factorised to
integers once, so every step is a vectorised merge of integer columns.

Within a year, records with the same legal-person ID and the same name are one
firm-year reported twice (duplicates): they share a firm_id and the clean
stage resolves them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STAGES = ["legal_id", "name", "representative_phone", "founding_county_industry"]
MAX_GAP = 2  # years: a firm absent one year is still linked


def _arrow(s: pd.Series) -> pa.ChunkedArray:
    """The column as a pyarrow string array (zero-copy for pyarrow-backed strings)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        arr = s.array.__arrow_array__()
        return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    return pa.chunked_array([pa.array(s.astype("string").to_numpy(dtype=object, na_value=None),
                                      type=pa.string())])


def _from_arrow(arr: pa.ChunkedArray, index) -> pd.Series:
    out = pd.Series(arr.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")), dtype="string")
    out.index = index
    return out.mask(out == "")


def _norm_text(s: pd.Series) -> pd.Series:
    """NFKC, no blanks: the same name typed with full-width or spaced characters matches.
    (pyarrow's C++ string kernels: pandas' .str.normalize runs per element in Python.)"""
    arr = pc.replace_substring_regex(pc.utf8_normalize(_arrow(s), "NFKC"), r"\s+", "")
    return _from_arrow(arr, s.index)


def _digits(s: pd.Series) -> pd.Series:
    return _from_arrow(pc.replace_substring_regex(_arrow(s), r"\D", ""), s.index)


def _codes(*cols: pd.Series) -> np.ndarray:
    """One int64 code per distinct combination of the columns; -1 where any is missing."""
    missing = np.zeros(len(cols[0]), dtype=bool)
    for c in cols:
        missing |= c.isna().to_numpy()
    if len(cols) == 1:
        codes, _ = pd.factorize(cols[0], use_na_sentinel=True)
    else:
        frame = pd.DataFrame({f"c{i}": c.astype("string").fillna("") for i, c in enumerate(cols)})
        codes = frame.groupby(list(frame.columns), sort=False, observed=True).ngroup().to_numpy()
    codes = codes.astype(np.int64)
    codes[missing] = -1
    return codes


def link_keys(data: pd.DataFrame, industry4: pd.Series | None = None) -> pd.DataFrame:
    """Integer key per stage for every row (-1 = missing)."""
    industry = industry4 if industry4 is not None else data["industry_code"].astype("string")
    return pd.DataFrame({
        "legal_id": _codes(_norm_text(data["legal_id"])),
        "name": _codes(_norm_text(data["name"])),
        "representative_phone": _codes(_norm_text(data["representative"]), _digits(data["phone"])),
        "founding_county_industry": _codes(data["founding_year"].astype("string"),
                                           data["region_code"].astype("string"),
                                           industry, _norm_text(data["main_product"])),
    })


def _unique_pairs(prev: pd.DataFrame, cur: pd.DataFrame, key: str) -> pd.DataFrame:
    """(prev entity, cur entity) pairs whose key is present and unique on both sides."""
    a = prev.loc[prev[key] >= 0, ["ent", key]]
    b = cur.loc[cur[key] >= 0, ["ent", key]]
    a = a[~a[key].duplicated(keep=False)]
    b = b[~b[key].duplicated(keep=False)]
    return a.merge(b, on=key, suffixes=("_prev", "_cur"))[["ent_prev", "ent_cur"]]


def link_firms(data: pd.DataFrame, industry4: pd.Series | None = None,
               log=print) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """firm_id (int64) and link_stage (str) per row of `data`, and the audit of links by stage."""
    keys = link_keys(data, industry4)
    keys["year"] = data["year"].to_numpy()
    # One entity per firm-year: rows sharing year + legal_id + name collapse to the first row.
    dup_key = np.where((keys["legal_id"] >= 0) & (keys["name"] >= 0),
                       keys["legal_id"] * (keys["name"].max() + 2) + keys["name"], -1 - np.arange(len(keys)))
    keys["dup"] = dup_key
    order = np.lexsort((np.arange(len(keys)), keys["dup"].to_numpy(), keys["year"].to_numpy()))
    first = keys.iloc[order].groupby(["year", "dup"], sort=False).cumcount().to_numpy() == 0
    ent_of_row_sorted = np.cumsum(first) - 1
    ent_of_row = np.empty(len(keys), dtype=np.int64)
    ent_of_row[order] = ent_of_row_sorted
    ents = keys.iloc[order[first]].reset_index(drop=True)
    ents["ent"] = np.arange(len(ents), dtype=np.int64)
    ents["row"] = order[first]
    n_ent = len(ents)

    firm = np.full(n_ent, -1, dtype=np.int64)
    stage = np.full(n_ent, "new", dtype=object)
    has_succ = np.zeros(n_ent, dtype=bool)
    audit = []
    next_id = 1
    years = sorted(ents["year"].unique())
    by_year = {y: ents[ents["year"] == y] for y in years}
    for i, year in enumerate(years):
        cur = by_year[year]
        for gap in range(1, MAX_GAP + 1):
            if i - gap < 0:
                break
            prev_year = years[i - gap]
            for st in STAGES:
                prev = by_year[prev_year]
                prev = prev[~has_succ[prev["ent"].to_numpy()]]
                open_cur = cur[firm[cur["ent"].to_numpy()] < 0]
                pairs = _unique_pairs(prev, open_cur, st)
                p, c = pairs["ent_prev"].to_numpy(), pairs["ent_cur"].to_numpy()
                firm[c] = firm[p]
                stage[c] = st
                has_succ[p] = True
                audit.append({"year": int(year), "from_year": int(prev_year), "stage": st,
                              "links": len(pairs)})
        # New firms numbered in raw-row order, so ids depend only on the input bytes.
        new = cur.loc[firm[cur["ent"].to_numpy()] < 0].sort_values("row")["ent"].to_numpy()
        firm[new] = np.arange(next_id, next_id + len(new))
        next_id += len(new)
        audit.append({"year": int(year), "from_year": None, "stage": "new", "links": len(new)})
        log(f"link: {year}: {len(cur)} firm-years, {len(new)} new firms")
    rows_firm = firm[ent_of_row]
    rows_stage = stage[ent_of_row]
    dup_rows = len(keys) - n_ent
    audit.append({"year": None, "from_year": None, "stage": "same_firm_year_rows", "links": dup_rows})
    audit = pd.DataFrame(audit).astype({"year": "Int64", "from_year": "Int64"})
    return rows_firm, rows_stage, audit
