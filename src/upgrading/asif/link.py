"""Link firms across years (Brandt, Van Biesebroeck & Zhang 2012 sequence) -> stable firm_id.

For each year t, records not yet linked are matched to records of t-1 that have
no successor yet, stage by stage: legal-person ID, then name, then legal
representative + phone, then founding year + county + 4-digit industry + main
product. A link is made only when its key value is unique among the
still-unmatched records on both sides (ambiguous keys are not linked). The same
sequence then runs against t-2 for firms absent in t-1. Keys are factorised to
integers once, so every step is a sorted intersection of integer arrays.

Within a year, records with the same legal-person ID and the same name (with either
missing: the same values on every key, representative and phone among them) are one
firm-year reported twice (duplicates): they share a firm_id and the clean stage
resolves them.

Names and IDs are compared in their normal forms (upgrading.asif.names: width, blanks,
(集团), 有限责任公司, province and city prefixes; ID case, hyphen, "NULL" and all-zero
placeholders). The audit adds per-year counts of missing, all-zero and malformed IDs,
IDs failing the GB 11714 check character, and missing names (stages `key_*`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from upgrading.asif.names import (
    arrow_strings,
    check_digit_valid,
    clean_legal_ids,
    legal_id_format_ok,
    normalise_legal_ids,
    normalise_names,
    pandas_strings,
    squeeze_text,
)

STAGES = ["legal_id", "name", "representative_phone", "founding_county_industry"]
MAX_GAP = 2  # years: a firm absent one year is still linked


def _norm_text(s: pd.Series) -> pd.Series:
    """NFKC, no blanks: the same text typed with full-width or spaced characters matches."""
    return pandas_strings(squeeze_text(arrow_strings(s)), s.index)


def _digits(s: pd.Series) -> pd.Series:
    return pandas_strings(pc.replace_substring_regex(arrow_strings(s), r"\D", ""), s.index)


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


def link_keys(data: pd.DataFrame, industry4: pd.Series | None = None,
              legal_id: pd.Series | None = None, name: pd.Series | None = None) -> pd.DataFrame:
    """Integer key per stage for every row (-1 = missing). `legal_id` and `name` are the
    normalised columns (upgrading.asif.names), computed here if not given."""
    industry = industry4 if industry4 is not None else data["industry_code"].astype("string")
    legal_id = normalise_legal_ids(data["legal_id"]) if legal_id is None else legal_id
    name = normalise_names(data["name"]) if name is None else name
    return pd.DataFrame({
        "legal_id": _codes(legal_id),
        # The place a name drops comes back from the region code: the name key is
        # per prefecture (first four digits), so equal names in two cities stay apart.
        "name": _codes(name, _digits(data["region_code"]).str.slice(0, 4).fillna("")),
        "representative_phone": _codes(_norm_text(data["representative"]), _digits(data["phone"])),
        "founding_county_industry": _codes(data["founding_year"].astype("string"),
                                           data["region_code"].astype("string"),
                                           industry, _norm_text(data["main_product"])),
    })


def _present_once(ent: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(entities, keys) of the present keys (>= 0) that occur once, sorted by key."""
    ent, key = ent[key >= 0], key[key >= 0]
    order = np.argsort(key, kind="stable")
    ent, key = ent[order], key[order]
    dup = np.zeros(len(key), dtype=bool)
    same = key[1:] == key[:-1]
    dup[1:] |= same
    dup[:-1] |= same
    return ent[~dup], key[~dup]


def _unique_pairs(prev_ent: np.ndarray, prev_key: np.ndarray, cur_ent: np.ndarray,
                  cur_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prev entities, cur entities) of the pairs whose key is present and unique on both sides."""
    ea, ka = _present_once(prev_ent, prev_key)
    eb, kb = _present_once(cur_ent, cur_key)
    _, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    return ea[ia], eb[ib]


def _same_firm_year(keys: pd.DataFrame) -> np.ndarray:
    """A code per row; rows of one year with one code are one firm-year reported twice.

    With an ID and a name, rows sharing both are one; with either missing, rows sharing
    every key (ID or name, representative + phone, founding year + county + industry +
    product) are one if representative + phone are present. Other rows stand alone
    (negative codes): without a contact, two nameless rows are never taken for one firm."""
    k = keys[STAGES].copy()
    full = (k["legal_id"] >= 0) & (k["name"] >= 0)
    k.loc[full, ["representative_phone", "founding_county_industry"]] = -2
    ok = (full | ((k["representative_phone"] >= 0) & ((k["legal_id"] >= 0) | (k["name"] >= 0)))).to_numpy()
    code = k.groupby(STAGES, sort=False).ngroup().to_numpy().astype(np.int64)
    return np.where(ok, code, -1 - np.arange(len(k), dtype=np.int64))


def key_quality(data: pd.DataFrame, legal_id: pd.Series, name: pd.Series) -> pd.DataFrame:
    """Rows per year whose legal-person ID is missing ("NULL", blank), all zeros, malformed
    (not nine characters of 0-9/A-Z once cleaned), or fails the GB 11714 check character
    (kept as a key), and rows without a name. Audit rows: stage `key_*`, count in `links`."""
    cleaned = clean_legal_ids(data["legal_id"])
    missing = cleaned.isna().to_numpy()
    zeros = cleaned.str.fullmatch("0+").fillna(False).to_numpy(dtype=bool)
    malformed = ~missing & ~zeros & ~legal_id_format_ok(cleaned)
    bad_check = legal_id.notna().to_numpy() & ~check_digit_valid(legal_id)
    flags = pd.DataFrame({"key_legal_id_missing": missing, "key_legal_id_zeros": zeros,
                          "key_legal_id_malformed": malformed, "key_legal_id_bad_check": bad_check,
                          "key_name_missing": name.isna().to_numpy()})
    per_year = flags.groupby(data["year"].to_numpy(), sort=True).sum()
    out = per_year.rename_axis("year").reset_index().melt(id_vars="year", var_name="stage", value_name="links")
    out["from_year"] = None
    return out[["year", "from_year", "stage", "links"]]


def link_firms(data: pd.DataFrame, industry4: pd.Series | None = None,
               log=print) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """firm_id (int64) and link_stage (str) per row of `data`, and the audit of links by stage
    and of the key quality per year."""
    legal_id, name = normalise_legal_ids(data["legal_id"]), normalise_names(data["name"])
    keys = link_keys(data, industry4, legal_id, name)
    keys["year"] = data["year"].to_numpy()
    keys["dup"] = _same_firm_year(keys)
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
    ent_year = ents["year"].to_numpy()
    key_of = {st: ents[st].to_numpy() for st in STAGES}
    row_of = ents["row"].to_numpy()
    ents_in = {y: np.flatnonzero(ent_year == y) for y in years}  # entity numbers = positions
    for i, year in enumerate(years):
        cur = ents_in[year]
        for gap in range(1, MAX_GAP + 1):
            if i - gap < 0:
                break
            prev_year = years[i - gap]
            for st in STAGES:
                prev = ents_in[prev_year]
                prev = prev[~has_succ[prev]]
                open_cur = cur[firm[cur] < 0]
                p, c = _unique_pairs(prev, key_of[st][prev], open_cur, key_of[st][open_cur])
                firm[c] = firm[p]
                stage[c] = st
                has_succ[p] = True
                audit.append({"year": int(year), "from_year": int(prev_year), "stage": st,
                              "links": len(p)})
        # New firms numbered in raw-row order, so ids depend only on the input bytes.
        new = cur[firm[cur] < 0]
        new = new[np.argsort(row_of[new], kind="stable")]
        firm[new] = np.arange(next_id, next_id + len(new))
        next_id += len(new)
        audit.append({"year": int(year), "from_year": None, "stage": "new", "links": len(new)})
        log(f"link: {year}: {len(cur)} firm-years, {len(new)} new firms")
    rows_firm = firm[ent_of_row]
    rows_stage = stage[ent_of_row]
    dup_rows = len(keys) - n_ent
    audit.append({"year": None, "from_year": None, "stage": "same_firm_year_rows", "links": dup_rows})
    audit = pd.concat([pd.DataFrame(audit), key_quality(data, legal_id, name)], ignore_index=True)
    audit = audit.astype({"year": "Int64", "from_year": "Int64", "links": "int64"})
    return rows_firm, rows_stage, audit


def _year_pairs(ids: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Rows (a, b) with the same id in years t and t+1, as one int64 a * n + b each."""
    n = len(ids)
    f = pd.DataFrame({"id": ids, "year": year.astype(np.int64), "row": np.arange(n, dtype=np.int64)})
    m = f.merge(f.assign(year=f["year"] - 1), on=["id", "year"], suffixes=("_a", "_b"))
    return np.sort(m["row_a"].to_numpy() * n + m["row_b"].to_numpy())


def link_scores(firm_id: np.ndarray, link_stage: np.ndarray, true_firm_id: np.ndarray,
                year: np.ndarray) -> pd.DataFrame:
    """Precision and recall of the links against a known firm identity, over row pairs of
    consecutive years: a pair is predicted when both rows have one firm_id, true when both
    have one true firm. Precision = correct / predicted, recall = correct / true. Per stage:
    the predicted pairs whose later row was linked by that stage (recall is overall only)."""
    n = len(firm_id)
    pred = _year_pairs(np.asarray(firm_id), np.asarray(year))
    true = _year_pairs(np.asarray(true_firm_id), np.asarray(year))
    hit = np.isin(pred, true, assume_unique=True)
    later_stage = np.asarray(link_stage, dtype=object)[pred % n]
    rows = [{"stage": "all", "predicted_pairs": len(pred), "correct_pairs": int(hit.sum()),
             "true_pairs": len(true)}]
    for st in STAGES:
        sel = later_stage == st
        rows.append({"stage": st, "predicted_pairs": int(sel.sum()), "correct_pairs": int(hit[sel].sum()),
                     "true_pairs": None})
    out = pd.DataFrame(rows).astype({"true_pairs": "Int64"})
    out["precision"] = (out["correct_pairs"] / out["predicted_pairs"].where(out["predicted_pairs"] > 0)).round(6)
    out["recall"] = (out["correct_pairs"] / out["true_pairs"].astype("float64")).round(6)
    return out
