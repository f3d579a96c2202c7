"""Identities of synthetic firms: legal-person IDs, Chinese names, representatives, phones,
main products. Names and phones are unique per firm so that the BVZ linking keys
(name; representative + phone) identify a firm when its legal-person ID changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def unique_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 9-digit organisation codes (as integers; written with leading zeros)."""
    return rng.choice(10**9, size=n, replace=False).astype(np.int64)


_NUM = "零一二三四五六七八九"


def _chinese_number(i: int) -> str:
    return "".join(_NUM[int(d)] for d in str(i))


def make_unique(names: pa.Array) -> pa.Array:
    """Append 第一分厂, 第二分厂, ... to repeated names (in order), so every name is unique."""
    s = pd.Series(names, dtype=pd.ArrowDtype(pa.string()))
    k = s.groupby(s, sort=False).cumcount().to_numpy()
    if not (k > 0).any():
        return names
    table = pa.array([""] + [f"第{_chinese_number(i)}分厂" for i in range(1, int(k.max()) + 1)], pa.string())
    return make_unique(_cat(names, table.take(pa.array(k))))


def identities(rng: np.random.Generator, firm_j: np.ndarray, firm_city_name: np.ndarray,
               firm_city_area: np.ndarray) -> dict:
    """Identity strings (pyarrow arrays) and legal-person IDs (int) per firm."""
    n = len(firm_j)
    words = pa.array([INDUSTRY_WORD[j] for j in sorted(INDUSTRY_WORD)], pa.string())
    word = words.take(pa.array(np.searchsorted(sorted(INDUSTRY_WORD), firm_j)))
    prefix = pc.utf8_slice_codeunits(pa.array(firm_city_name, pa.string()), 0, 2)
    name = make_unique(_cat(prefix, _pick(rng, BRAND, n), _pick(rng, BRAND, n), word, _pick(rng, SUFFIX, n)))
    two = rng.random(n) < 0.6
    given = pc.if_else(pa.array(two), _cat(_pick(rng, GIVEN, n), _pick(rng, GIVEN, n)), _pick(rng, GIVEN, n))
    rep = _cat(_pick(rng, SURNAME, n), given)
    # Local numbers: 8 digits, unique across firms, behind the city's area code.
    local = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    phone = _cat(pa.array(firm_city_area, pa.string()), pc.cast(pa.array(local), pa.string()))
    product = _cat(word, _pick(rng, PRODUCT, n))
    ids = unique_ids(rng, 2 * n)
    return {"legal_id": ids[:n], "legal_id_new": ids[n:], "name": name, "representative": rep,
            "phone": phone, "main_product": product}


def area_codes(rng: np.random.Generator, n_city: int) -> np.ndarray:
    """Distinct 3-4 digit telephone area codes (with the leading 0), one per city."""
    codes = rng.choice(np.arange(10, 1000), size=n_city, replace=False)
    return np.array([f"0{c}" for c in codes], dtype=object)


def renamed(names: pa.Array) -> pa.Array:
    """A restructured firm's new name: the legal-form suffix changes (厂 -> 股份有限公司, ...)."""
    out = _cat(names, pa.array(["集团"] * len(names), pa.string()))
    done = pa.array(np.zeros(len(names), dtype=bool))
    for old in sorted(SUFFIX, key=len, reverse=True):
        hit = pc.and_(pc.ends_with(names, old), pc.invert(done))
        new = "集团有限公司" if old == "股份有限公司" else "股份有限公司"
        stem = pc.utf8_slice_codeunits(names, 0, -len(old))
        out = pc.if_else(hit, _cat(stem, pa.array([new] * len(names), pa.string())), out)
        done = pc.or_(done, hit)
    return out


def new_representatives(rng: np.random.Generator, n: int) -> pa.Array:
    """Representatives after a restructuring that changed the contact person."""
    return _cat(_pick(rng, SURNAME, n), _pick(rng, GIVEN, n), _pick(rng, GIVEN, n))
