"""Identities of synthetic firms: legal-person IDs, Chinese names, representatives, phones,
main products, and the forms in which a year's file writes them.

A name is a place prefix (the city's short name) + a stem (two brand characters, the
industry word, a legal-form suffix). Stems are unique over all firms, old and new names,
and phones are unique, so the BVZ keys (normalised name; representative + phone)
identify a firm when its legal-person ID changes. A renamed firm gets a genuinely
different stem (new brand, new legal form).

Legal-person IDs are GB 11714 organisation codes: an eight-character body (digits; for a
share of firms a leading letter) and its check character. The body is held as an integer
code (`legal_id_text` writes it): below 10^8 the eight digits; from 10^8 on, letter
A + (code // 10^8 - 1) and seven digits.

Per firm-year the files show the name and the ID in varying forms (`NAME_*` bits and
`ID_FORMS`, drawn in upgrading.synth.mess): another place prefix, 有限公司 <->
有限责任公司, a bracketed (集团) in half- or full-width brackets, a stray space, "NULL";
a lower-case, hyphenated or full-width ID, "NULL", 000000000, or a one-digit typo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upgrading.core.standards import check_characters, short_place_name

BRAND = list("华兴盛达宏昌隆鑫泰丰源新光明金安永通天宇恒利嘉佳美东方正大信德瑞祥福海龙凤"
             "锦成威胜豪富康晨星亚宝万江山立建中国民众和平远博雅峰联合创伟骏鸿凯俊雄")
INDUSTRY_WORD = {13: "农副食品", 14: "食品", 15: "饮料", 16: "烟草", 17: "纺织", 18: "服装",
                 19: "皮革", 20: "木业", 21: "家具", 22: "纸业", 23: "印刷", 24: "文体用品",
                 25: "石化", 26: "化工", 27: "制药", 28: "化纤", 29: "橡胶", 30: "塑料",
                 31: "建材", 32: "钢铁", 33: "有色金属", 34: "金属制品", 35: "机械", 36: "专用设备",
                 37: "汽车配件", 39: "电器", 40: "电子", 41: "仪器仪表", 42: "工艺品", 43: "再生资源"}
SUFFIX = ["厂", "有限公司", "有限责任公司", "股份有限公司", "总厂", "实业有限公司"]
SURNAME = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文志红宁德福春林海波辉鹏飞斌宇浩凯")
PRODUCT = ["制品", "配件", "设备", "材料", "成品", "半成品", "器件", "组件"]


def _pick(rng, words: list[str], n: int) -> pa.Array:
    return pa.array(words, pa.string()).take(pa.array(rng.integers(0, len(words), n)))


def _cat(*parts) -> pa.Array:
    """Element-wise string concatenation (pyarrow kernels: fast at 10^6 firms)."""
    arrays = [p if isinstance(p, pa.Array) else pa.array(p, pa.string()) for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


DIGIT_BODIES = 10**8
LETTER_BLOCK = 10**7  # letter bodies: one letter + seven digits


def unique_ids(rng: np.random.Generator, n: int, letter_share: float = 0.0) -> np.ndarray:
    """n distinct organisation-code bodies (integer codes, see the module docstring)."""
    digits = rng.choice(DIGIT_BODIES, size=n, replace=False).astype(np.int64)
    letters = rng.choice(26 * LETTER_BLOCK, size=n, replace=False).astype(np.int64)
    letter = rng.random(n) < letter_share
    return np.where(letter, DIGIT_BODIES * (1 + letters // LETTER_BLOCK) + letters % LETTER_BLOCK, digits)


def id_bodies(code: np.ndarray) -> pa.Array:
    """Eight-character bodies of integer codes."""
    code = np.asarray(code, dtype=np.int64)
    letter = code >= DIGIT_BODIES
    lead = pa.array(np.where(letter, code // DIGIT_BODIES - 1, 0)).cast(pa.int64())
    letters = pa.array([chr(ord("A") + i) for i in range(26)], pa.string()).take(lead)
    digits7 = pc.utf8_lpad(pc.cast(pa.array(code % LETTER_BLOCK), pa.string()), 7, "0")
    digits8 = pc.utf8_lpad(pc.cast(pa.array(code % DIGIT_BODIES), pa.string()), 8, "0")
    return pc.if_else(pa.array(letter), _cat(letters, digits7), digits8)


def canonical_ids(code: np.ndarray) -> pa.Array:
    """The nine-character organisation codes (body + GB 11714 check character)."""
    body = id_bodies(code)
    check = check_characters(pd.Series(body.to_numpy(zero_copy_only=False), dtype="string"))
    return _cat(body, pa.array(check.to_numpy(dtype=object), pa.string()))


_NUM = "零一二三四五六七八九"


def _chinese_number(i: int) -> str:
    return "".join(_NUM[int(d)] for d in str(i))


def make_unique(names: pa.Array) -> pa.Array:
    """Append 第一分厂, 第二分厂, ... to repeated names (in order), so every name is unique,
    also once 有限责任公司 and 有限公司 are taken for one legal form."""
    key = pc.replace_substring(names, "有限责任公司", "有限公司")
    s = pd.Series(key, dtype=pd.ArrowDtype(pa.string()))
    k = s.groupby(s, sort=False).cumcount().to_numpy()
    if not (k > 0).any():
        return names
    table = pa.array([""] + [f"第{_chinese_number(i)}分厂" for i in range(1, int(k.max()) + 1)], pa.string())
    return make_unique(_cat(names, table.take(pa.array(k))))


def identities(rng: np.random.Generator, firm_j: np.ndarray, firm_city_name: np.ndarray,
               firm_province_name: np.ndarray, firm_city_area: np.ndarray, letter_share: float) -> dict:
    """Identity strings (pyarrow arrays) and legal-person ID codes per firm: the current and
    the post-restructuring ID, name stem and stem after a rename, and the place names."""
    n = len(firm_j)
    extra = rng.spawn(1)[0]  # renames and IDs: a child stream, the other draws stay as they were
    words = pa.array([INDUSTRY_WORD[j] for j in sorted(INDUSTRY_WORD)], pa.string())
    word = words.take(pa.array(np.searchsorted(sorted(INDUSTRY_WORD), firm_j)))
    stem = _cat(_pick(rng, BRAND, n), _pick(rng, BRAND, n), word, _pick(rng, SUFFIX, n))
    two = rng.random(n) < 0.6
    given = pc.if_else(pa.array(two), _cat(_pick(rng, GIVEN, n), _pick(rng, GIVEN, n)), _pick(rng, GIVEN, n))
    rep = _cat(_pick(rng, SURNAME, n), given)
    # Local numbers: 8 digits, unique across firms, behind the city's area code.
    local = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    phone = _cat(pa.array(firm_city_area, pa.string()), pc.cast(pa.array(local), pa.string()))
    product_idx = rng.integers(0, len(PRODUCT), n)
    products = pa.array(PRODUCT, pa.string())
    product = _cat(word, products.take(pa.array(product_idx)))
    # A rename: new brand and legal form drawn afresh; stems unique over old and new names.
    stem_new = _cat(_pick(extra, BRAND, n), _pick(extra, BRAND, n), word, _pick(extra, SUFFIX, n))
    stems = make_unique(pa.concat_arrays([stem, stem_new]))
    ids = unique_ids(extra, 2 * n, letter_share)
    # After a restructuring that keeps nothing: another product of the industry.
    product_new = _cat(word, products.take(pa.array((product_idx + extra.integers(1, len(PRODUCT), n))
                                                    % len(PRODUCT))))
    city = pd.Series(firm_city_name, dtype=object)
    short = city.map({c: short_place_name(c, "prefecture") for c in city.unique()})
    return {"legal_id": ids[:n], "legal_id_new": ids[n:], "stem": stems.slice(0, n),
            "stem_new": stems.slice(n), "city_short": pa.array(short.to_numpy(), pa.string()),
            "city_full": pa.array(city.to_numpy(), pa.string()),
            "province_full": pa.array(np.asarray(firm_province_name, dtype=object), pa.string()),
            "representative": rep, "phone": phone, "main_product": product, "main_product_new": product_new}


def area_codes(rng: np.random.Generator, n_city: int) -> np.ndarray:
    """Distinct 3-4 digit telephone area codes (with the leading 0), one per city."""
    codes = rng.choice(np.arange(10, 1000), size=n_city, replace=False)
    return np.array([f"0{c}" for c in codes], dtype=object)


def new_representatives(rng: np.random.Generator, n: int) -> pa.Array:
    """Representatives after a restructuring that changed the contact person."""
    return _cat(_pick(rng, SURNAME, n), _pick(rng, GIVEN, n), _pick(rng, GIVEN, n))


# Identity variants per firm-year (which of a firm's identities a line shows):
VARIANT_RENAMED = 1       # new name; representative and phone kept
VARIANT_NEW_CONTACT = 2   # new name, representative and phone (founding year, county, industry kept)
VARIANT_CONTACT = 3       # new representative and phone only
VARIANT_NOTHING_KEPT = 4  # new name, representative, phone and main product


def line_identities(ident, raw: pd.DataFrame, lines: np.ndarray) -> dict[str, pa.Array]:
    """Identity columns of file lines showing raw rows `lines`, in each row's variant and forms."""
    firm = raw["firm"].to_numpy()[lines]
    f = pa.array(firm)
    variant = raw["ident_variant"].to_numpy()[lines]
    renamed = np.isin(variant, (VARIANT_RENAMED, VARIANT_NEW_CONTACT, VARIANT_NOTHING_KEPT))
    contact = pa.array(np.isin(variant, (VARIANT_NEW_CONTACT, VARIANT_CONTACT, VARIANT_NOTHING_KEPT)))
    row_salt = salt(firm, raw["year"].to_numpy()[lines])
    return {
        "legal_id": legal_id_text(raw["legal_id"].to_numpy()[lines], raw["id_form"].to_numpy()[lines], row_salt),
        "name": display_names(ident, firm, renamed, raw["name_form"].to_numpy()[lines], row_salt),
        "representative": pc.if_else(contact, ident.representative_new.take(f), ident.representative.take(f)),
        "phone": pc.if_else(contact, ident.phone_new.take(f), ident.phone.take(f)),
        "main_product": pc.if_else(pa.array(variant == VARIANT_NOTHING_KEPT), ident.main_product_new.take(f),
                                   ident.main_product.take(f)),
    }


# Name forms in a year's file: a bit mask per firm-year (drawn in upgrading.synth.mess).
NAME_PREFIX = 3            # 0 the city's short name, 1 none, 2 the city's full name, 3 province + city
NAME_LEGAL_FORM = 4        # 有限公司 <-> 有限责任公司
NAME_GROUP = 8             # (集团) before the legal form
NAME_GROUP_FULL_WIDTH = 16  # ... in full-width brackets （集团）
NAME_SPACE = 32            # a stray space (leading, trailing or after the place)
NAME_SPACE_IDEOGRAPHIC = 64  # ... the ideographic space U+3000
NAME_NULL = 128            # "NULL"
ID_FORMS = ("", "lower", "hyphen", "full_width", "null", "zeros", "typo")
_LEGAL_FORMS = "(股份有限公司|有限责任公司|实业有限公司|有限公司|总厂|厂)"
_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def salt(firm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random integer per firm-year: where a space or a typo goes."""
    h = (np.asarray(firm, np.uint64) * np.uint64(2654435761) + np.asarray(year, np.uint64) * np.uint64(40503))
    return (h % np.uint64(2**31)).astype(np.int64)


def _bits(form: np.ndarray, bit: int) -> pa.Array:
    return pa.array((np.asarray(form) & bit) != 0)


def _swap_legal_form(stem) -> pa.Array:
    """有限责任公司 -> 有限公司, 有限公司 -> 有限责任公司 (股份有限公司 left alone)."""
    longer = pc.replace_substring(stem, "有限公司", "有限责任公司")
    shorter = pc.replace_substring(stem, "有限责任公司", "有限公司")
    plain = pc.and_(pc.match_substring(stem, "有限公司"), pc.invert(pc.match_substring(stem, "股份有限公司")))
    return pc.if_else(pc.match_substring(stem, "有限责任公司"), shorter, pc.if_else(plain, longer, stem))


def display_names(ident, firm: np.ndarray, renamed: np.ndarray, form: np.ndarray,
                  row_salt: np.ndarray) -> pa.Array:
    """The name each line shows: `ident` holds stems and place names per firm (records.Identities)."""
    f = pa.array(np.asarray(firm))
    n = len(firm)
    stem = pc.if_else(pa.array(np.asarray(renamed, bool)), ident.stem_new.take(f), ident.stem.take(f))
    stem = pc.if_else(_bits(form, NAME_LEGAL_FORM), _swap_legal_form(stem), stem)
    group = pc.replace_substring_regex(stem, _LEGAL_FORMS, r"(集团)\1", max_replacements=1)
    group = pc.if_else(_bits(form, NAME_GROUP_FULL_WIDTH),
                       pc.replace_substring(pc.replace_substring(group, "(", "（"), ")", "）"), group)
    stem = pc.if_else(_bits(form, NAME_GROUP), group, stem)
    city, province = ident.city_full.take(f), ident.province_full.take(f)
    both = pc.if_else(pc.equal(city, province), city, _cat(province, city))  # municipalities
    kind = np.asarray(form) & NAME_PREFIX
    empty = pa.array([""] * n, pa.string())
    prefix = pc.if_else(pa.array(kind == 0), ident.city_short.take(f),
                        pc.if_else(pa.array(kind == 1), empty, pc.if_else(pa.array(kind == 2), city, both)))
    # A stray space: leading, after the place, or trailing (by the row's salt).
    space = pc.if_else(_bits(form, NAME_SPACE_IDEOGRAPHIC), pa.array(["\u3000"] * n, pa.string()),
                       pa.array([" "] * n, pa.string()))
    where = np.where((np.asarray(form) & NAME_SPACE) != 0, np.asarray(row_salt) % 3, -1)
    gap = [pc.if_else(pa.array(where == i), space, empty) for i in range(3)]
    name = _cat(gap[0], prefix, gap[1], stem, gap[2])
    return pc.if_else(_bits(form, NAME_NULL), pa.array(["NULL"] * n, pa.string()), name)


def legal_id_text(code: np.ndarray, form: np.ndarray, row_salt: np.ndarray) -> pa.Array:
    """The legal-person ID each line shows, in its form (`ID_FORMS` index per line)."""
    form = np.asarray(form)
    ids = canonical_ids(code)
    out = ids
    lower = pc.utf8_lower(ids)
    hyphen = _cat(pc.utf8_slice_codeunits(ids, 0, 8), pa.array(["-"] * len(form), pa.string()),
                  pc.utf8_slice_codeunits(ids, 8, 9))
    wide = ids
    if (form == ID_FORMS.index("full_width")).any():
        for c, w in _FULL_WIDTH.items():
            wide = pc.replace_substring(wide, c, w)
    const = {"null": "NULL", "zeros": "0" * 9}
    for i, name in enumerate(ID_FORMS):
        if name in ("", "typo") or not (form == i).any():
            continue
        alt = {"lower": lower, "hyphen": hyphen, "full_width": wide}.get(name)
        if alt is None:
            alt = pa.array([const[name]] * len(form), pa.string())
        out = pc.if_else(pa.array(form == i), alt, out)
    typo = np.flatnonzero(form == ID_FORMS.index("typo"))
    if len(typo):
        # One digit of the body (positions 2-8: always digits) mistyped: the check fails.
        chars = np.asarray(ids.take(pa.array(typo)).to_numpy(zero_copy_only=False), dtype="S9")
        b = chars.view(np.uint8).reshape(len(typo), 9).copy()
        s = np.asarray(row_salt)[typo]
        pos = 1 + s % 7
        old = b[np.arange(len(typo)), pos] - ord("0")
        b[np.arange(len(typo)), pos] = ord("0") + (old + 1 + (s // 7) % 9) % 10
        wrong = pa.array(b.view("S9").ravel().astype(str), pa.string())
        mask = np.zeros(len(form), bool)
        mask[typo] = True
        out = pc.if_else(pa.array(mask), _scatter(wrong, typo, len(form)), out)
    return out


def _scatter(values: pa.Array, idx: np.ndarray, n: int) -> pa.Array:
    """An n-long array with `values` at positions `idx` (others null)."""
    pos = np.full(n, -1, np.int64)
    pos[idx] = np.arange(len(idx))
    return values.take(pa.array(np.where(pos >= 0, pos, 0)))
