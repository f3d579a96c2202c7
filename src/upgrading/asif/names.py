"""Normal forms of firm names and legal-person IDs, the keys of the firm linking.

The same firm's name varies across ASIF years: with or without its province or city
(广东省广州市华兴化工厂, 广州华兴化工厂, 华兴化工厂), 有限公司 or 有限责任公司, a
bracketed (集团) or （集团）, full- or half-width characters, stray spaces, "NULL".
`normalise_names` maps all of these to one key:

1. NFKC (full-width letters, digits, brackets and the ideographic space to half width);
2. no whitespace;
3. "NULL", "NONE", "NAN", "N/A", "-" and empty -> missing;
4. a bracketed 集团 removed ((集团), [集团]);
5. 有限责任公司 -> 有限公司 (the same legal form; 股份有限公司 stays apart);
6. a leading province name, then leading prefecture names, removed, in full or short
   form (广东省 / 广东, 广州市 / 广州, 延边朝鲜族自治州 / 延边), from the GB/T 2260
   names of every revision the `gb2260` package ships. County names are left alone:
   too many of them are also common words in firm names.

Legal-person IDs (法人代码, GB 11714 organisation codes: eight digits or upper-case
letters and a check character) come upper- or lower-case, with or without a hyphen
before the check character, full-width, as "NULL" or all zeros. `normalise_legal_ids`
applies NFKC, drops blanks and hyphens, upper-cases, and sets to missing every value
that is not nine characters of 0-9/A-Z or is all zeros (a placeholder several firms
share). A wrong check character does not make an ID missing: it may be a typo of one
year or a code written that way every year, and in the second case the ID still
follows the firm; `check_digit_valid` flags them for the audit.

All functions work on whole columns (pyarrow string kernels), never row by row.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upgrading.core.standards import check_characters, short_place_name

NULL_TOKENS = ("NULL", "NONE", "NAN", "N/A", "NA", "-", "--", "无")
ORG_CODE_LENGTH = 9
_NOT_PLACES = {"市辖区", "县", "市"}


def arrow_strings(s: pd.Series) -> pa.ChunkedArray:
    """The column as a pyarrow string array (zero-copy for pyarrow-backed strings)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        arr = s.array.__arrow_array__()
        return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    return pa.chunked_array([pa.array(s.astype("string").to_numpy(dtype=object, na_value=None),
                                      type=pa.string())])


def pandas_strings(arr: pa.ChunkedArray, index) -> pd.Series:
    """Back to a pandas string column; empty strings become missing."""
    out = pd.Series(arr.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")), dtype="string")
    out.index = index
    return out.mask(out == "")


def squeeze_text(arr) -> pa.ChunkedArray:
    """NFKC and no whitespace (NFKC turns the ideographic space into a plain one first)."""
    return pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKC"), r"\s+", "")


def _null_tokens(arr) -> pa.ChunkedArray:
    """Placeholder values ("NULL", "-", ...) -> missing."""
    is_token = pc.is_in(pc.utf8_upper(arr), value_set=pa.array(NULL_TOKENS, pa.string()))
    return pc.if_else(pc.fill_null(is_token, False), pa.scalar(None, pa.string()), arr)


@lru_cache(maxsize=1)
def place_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(province names, prefecture names), full and short forms, every GB/T 2260 revision."""
    from gb2260.data import data as gb2260

    provinces, prefectures = set(), set()
    for names in gb2260.values():
        for code, name in names.items():
            if name in _NOT_PLACES or name.startswith("省直辖"):
                continue
            if code % 10000 == 0:
                provinces |= {name, short_place_name(name, "province")}
            elif code % 100 == 0:
                prefectures |= {name, short_place_name(name, "prefecture")}
    return tuple(sorted(provinces)), tuple(sorted(prefectures))


@lru_cache(maxsize=1)
def _places_by_length() -> tuple[dict[int, pa.Array], dict[int, pa.Array]]:
    """Province and prefecture names grouped by length (in characters). Municipalities are
    provinces and cities at once (北京市北京市...): the prefecture set takes province
    names too."""
    provinces, prefectures = place_names()

    def by_length(names):
        out: dict[int, list[str]] = {}
        for n in names:
            out.setdefault(len(n), []).append(n)
        return {k: pa.array(sorted(v), pa.string()) for k, v in out.items()}
    return by_length(provinces), by_length(set(prefectures) | set(provinces))


def _strip_leading(arr, names: dict[int, pa.Array]):
    """Remove one leading name of `names` (the longest that matches, so 广州市 wins over 广州)."""
    out, done = arr, pa.array(np.zeros(len(arr), dtype=bool))
    for length in sorted(names, reverse=True):
        head = pc.utf8_slice_codeunits(arr, 0, length)
        hit = pc.and_(pc.fill_null(pc.is_in(head, value_set=names[length]), False), pc.invert(done))
        out = pc.if_else(hit, pc.utf8_slice_codeunits(arr, length, 1 << 30), out)
        done = pc.or_(done, hit)
    return out, done


def strip_places(arr) -> pa.Array:
    """A leading province name, then leading prefecture names, removed. The prefecture step
    repeats so that a brand that is also a place name goes whether or not the file wrote the
    firm's own city before it (济南泰安化工厂 and 泰安化工厂 both give 化工厂); the linking key
    adds the prefecture of the firm's region code, so such short keys stay apart across
    cities. A name that is nothing but a place keeps its place."""
    provinces, prefectures = _places_by_length()
    arr = pa.chunked_array([arr]) if isinstance(arr, pa.Array) else arr
    arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    out, _ = _strip_leading(arr, provinces)
    rows = np.arange(len(out))
    for _ in range(4):  # each pass only over the names the last pass shortened
        part, hit = _strip_leading(out.take(pa.array(rows)), prefectures)
        hit = hit.to_numpy(zero_copy_only=False)
        if not hit.any():
            break
        pos = np.full(len(out), -1, np.int64)
        pos[rows[hit]] = np.arange(int(hit.sum()))
        out = pc.if_else(pa.array(pos >= 0), part.filter(pa.array(hit)).take(pa.array(np.maximum(pos, 0))), out)
        rows = rows[hit]
    return pc.if_else(pc.equal(out, ""), arr, out)


def normalise_names(s: pd.Series) -> pd.Series:
    """The linking key of a firm name (see the module docstring); missing stays missing.
    Computed once per distinct name."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    arr = _null_tokens(squeeze_text(arrow_strings(pd.Series(uniques, dtype="string"))))
    arr = pc.replace_substring_regex(arr, r"[\(\[]集团[\)\]]", "")
    arr = pc.replace_substring(arr, "有限责任公司", "有限公司")
    out = strip_places(arr).take(pa.array(codes, mask=codes < 0))
    return pandas_strings(pa.chunked_array([out]), s.index)


def clean_legal_ids(s: pd.Series) -> pd.Series:
    """Upper-case, NFKC, no blanks or hyphens; placeholders -> missing (format not checked)."""
    arr = pc.utf8_upper(squeeze_text(arrow_strings(s)))
    arr = pc.replace_substring_regex(arr, r"[-‐‑‒–—_]", "")
    return pandas_strings(_null_tokens(arr), s.index)


def legal_id_format_ok(cleaned: pd.Series) -> np.ndarray:
    """Nine characters of 0-9/A-Z, not all zeros."""
    arr = arrow_strings(cleaned.fillna(""))
    ok = pc.match_substring_regex(arr, r"^[0-9A-Z]{9}$")
    zeros = pc.match_substring_regex(arr, r"^0+$")
    return pc.and_(ok, pc.invert(zeros)).to_numpy(zero_copy_only=False)


def normalise_legal_ids(s: pd.Series) -> pd.Series:
    """The linking key of a legal-person ID; malformed, placeholder and all-zero IDs are missing."""
    cleaned = clean_legal_ids(s)
    return cleaned.where(legal_id_format_ok(cleaned))


def check_digit_valid(ids: pd.Series) -> np.ndarray:
    """True where a normalised ID's ninth character is its GB 11714 check character;
    False where it is not, and where the ID is missing."""
    present = ids.notna().to_numpy()
    out = np.zeros(len(ids), dtype=bool)
    if present.any():
        kept = ids[present]
        want = check_characters(kept.str.slice(0, 8)).to_numpy()
        out[present] = kept.str.slice(8, 9).to_numpy() == want
    return out
