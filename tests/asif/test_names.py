"""Normal forms of firm names and legal-person IDs (upgrading.asif.names), one variation each."""

import numpy as np
import pandas as pd
import pytest

from upgrading.asif.link import link_firms, link_scores
from upgrading.asif.names import check_digit_valid, clean_legal_ids, normalise_legal_ids, normalise_names, place_names
from upgrading.core.standards import check_characters, short_place_name

BASE = "华兴化工有限公司"


def norm(*names):
    return normalise_names(pd.Series(list(names), dtype="string")).tolist()


@pytest.mark.parametrize("variant", [
    "华兴化工有限公司",
    "广州华兴化工有限公司",           # short city name
    "广州市华兴化工有限公司",         # full city name
    "广东省广州市华兴化工有限公司",   # province + city
    "广东广州华兴化工有限公司",       # short province + short city
    "广东省华兴化工有限公司",         # province only
    "华兴化工有限责任公司",           # the other spelling of the legal form
    "华兴化工(集团)有限公司",         # bracketed group, half width
    "华兴化工（集团）有限公司",       # full-width brackets
    "华兴化工[集团]有限公司",
    " 华兴化工有限公司",              # leading space
    "广州 华兴化工有限公司",          # space after the place
    "华兴化工有限公司\u3000",         # ideographic space
    "华兴化工 有限 公司",             # spaces inside
    "延边朝鲜族自治州华兴化工有限公司",  # autonomous prefecture, full
    "延边华兴化工有限公司",           # ... short
    "北京市北京市华兴化工有限公司",   # municipality: province and city share the name
    "内蒙古自治区呼和浩特市华兴化工有限责任公司",
])
def test_name_variants_share_one_key(variant):
    assert norm(variant) == [BASE]


def test_full_width_latin_and_digits_fold():
    assert norm("ＴＣＬ电子１厂", "TCL电子1厂") == ["TCL电子1厂", "TCL电子1厂"]


@pytest.mark.parametrize("placeholder", ["NULL", "null", "ＮＵＬＬ", " NULL ", "", "  ", "-", "无", None])
def test_name_placeholders_are_missing(placeholder):
    assert pd.isna(norm(placeholder)[0])


def test_distinct_names_stay_distinct():
    got = norm("华兴化工有限公司", "华兴化工股份有限公司", "华兴化工厂", "华兴化工集团有限公司",
               "鸿凯化工有限公司")
    assert len(set(got)) == 5  # 股份有限公司 and an unbracketed 集团 are other names


def test_name_that_is_only_a_place_keeps_it():
    assert norm("广州市") == ["广州市"]


def test_place_names_from_gb2260():
    provinces, prefectures = place_names()
    assert {"广东省", "广东", "广西壮族自治区", "广西", "内蒙古"} <= set(provinces)
    assert {"广州市", "广州", "延边朝鲜族自治州", "延边", "锡林郭勒", "大兴安岭"} <= set(prefectures)
    assert short_place_name("海西蒙古族藏族自治州", "prefecture") == "海西"
    assert short_place_name("新疆维吾尔自治区", "province") == "新疆"
    assert "市辖区" not in prefectures


def test_check_character_published_example():
    # GB 11714-1997 2.1.2: C9 = 11 - MOD(sum Ci Wi, 11); body 12345678 -> sum 289 -> 11 - 3 = 8
    assert check_characters(pd.Series(["12345678"])).tolist() == ["8"]
    # remainder 1 -> X, remainder 0 -> 0; letters count A = 10, ...
    bodies = pd.Series(["00000010", "00000000", "A0000000"])
    # 1*4 = 4 -> 7; 0 -> 11 -> "0"; A = 10, 10*3 = 30 -> 30 mod 11 = 8 -> 3
    assert check_characters(bodies).tolist() == ["7", "0", "3"]


@pytest.mark.parametrize("raw, key", [
    ("123456788", "123456788"),
    ("12345678-8", "123456788"),       # hyphen before the check character
    ("12345678－8", "123456788"),      # full-width hyphen
    ("12345678—8", "123456788"),       # em dash
    ("１２３４５６７８８", "123456788"),  # full-width digits
    (" 123456788 ", "123456788"),
    ("a1234567x", "A1234567X"),        # lower case
    ("A1234567-x", "A1234567X"),
    ("NULL", None), ("null", None), ("", None), (None, None),
    ("000000000", None), ("00000000-0", None),  # the all-zero placeholder
    ("12345", None), ("1234567890", None), ("12345678?", None),  # malformed
])
def test_legal_id_forms(raw, key):
    got = normalise_legal_ids(pd.Series([raw], dtype="string")).iloc[0]
    assert (pd.isna(got) and key is None) or got == key


def test_check_digit_validity_flags_typos_only():
    ids = normalise_legal_ids(pd.Series(["12345678-8", "12345679-8", "NULL", "A0000000-3", "a0000000-3"],
                                        dtype="string"))
    assert check_digit_valid(ids).tolist() == [True, False, False, True, True]
    # a wrong check character keeps the ID as a key
    assert ids.iloc[1] == "123456798"


def test_clean_keeps_malformed_for_the_audit():
    cleaned = clean_legal_ids(pd.Series(["12345", "NULL", "000000000"], dtype="string"))
    assert cleaned.tolist()[0] == "12345" and pd.isna(cleaned.iloc[1]) and cleaned.iloc[2] == "000000000"


def _firms(rows):
    d = pd.DataFrame(rows, columns=["year", "legal_id", "name"])
    n = len(d)
    return pd.DataFrame({
        "year": d["year"].astype("int16"), "legal_id": d["legal_id"].astype("string"),
        "name": d["name"].astype("string"),
        "representative": pd.array([None] * n, dtype="string"), "phone": pd.array([None] * n, dtype="string"),
        "founding_year": pd.array([None] * n, dtype="Int32"), "region_code": pd.array(["440103"] * n, dtype="string"),
        "industry_code": pd.array(["2611"] * n, dtype="string"), "main_product": pd.array([None] * n, dtype="string"),
    })


def test_linking_through_variation_and_shared_placeholders():
    d = _firms([
        (1998, "12345678-8", "广州华兴化工有限公司"), (1999, "123456788", "广东省广州市华兴化工（集团）有限责任公司"),
        # two firms that both write 000000000: not one firm; their names link them
        (1998, "000000000", "深圳鸿凯电子厂"), (1998, "000000000", "东莞宏昌塑料厂"),
        (1999, "00000000-0", "鸿凯电子厂"), (1999, "NULL", "东莞市宏昌塑料厂"),
        # a mistyped ID one year: the name follows it
        (1998, "a1234567-0", "佛山金安陶瓷厂"), (1999, "A1234576-0", "佛山 金安陶瓷厂"),
    ])
    true = np.array([0, 0, 1, 2, 1, 2, 3, 3])
    firm, stage, audit = link_firms(d, log=lambda m: None)
    assert list(stage) == ["new", "legal_id", "new", "new", "name", "name", "new", "name"]
    scores = link_scores(firm, stage, true, d["year"].to_numpy()).set_index("stage")
    assert scores.loc["all", ["precision", "recall"]].tolist() == [1.0, 1.0]
    assert scores.loc["all", "true_pairs"] == 4
    counts = audit[audit["stage"].str.startswith("key_")].groupby("stage")["links"].sum()
    assert counts["key_legal_id_zeros"] == 3 and counts["key_legal_id_missing"] == 1
    assert counts["key_legal_id_bad_check"] == 2  # a1234567-0 is wrong too (check character 4)
    assert counts["key_name_missing"] == 0


def test_link_scores_count_false_and_missed_links():
    year = np.array([1998, 1999, 1998, 1999])
    true = np.array([1, 1, 2, 2])
    swapped = np.array([1, 2, 2, 1])  # two wrong links
    s = link_scores(swapped, np.array(["new", "name", "new", "name"], dtype=object), true, year).set_index("stage")
    assert s.loc["all", ["predicted_pairs", "correct_pairs", "true_pairs"]].tolist() == [2, 0, 2]
    assert s.loc["name", "precision"] == 0.0
    split = np.array([1, 3, 2, 4])  # no links at all
    s = link_scores(split, np.array(["new"] * 4, dtype=object), true, year).set_index("stage")
    assert s.loc["all", "recall"] == 0.0 and pd.isna(s.loc["all", "precision"])
