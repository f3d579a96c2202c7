"""Chinese national standards the firm data and the synthetic world both follow: the GB 11714
check character of organisation codes (legal-person IDs) and the short forms of GB/T 2260
place names."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)  # GB 11714-1997, 2.1.2
_ETHNIC = "蒙古|藏|羌|彝|白|哈尼|壮|苗|傣|景颇|傈僳|回|朝鲜|布依|侗|土家|柯尔克孜|哈萨克|维吾尔"
_PROVINCE_FORM = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")  # 内蒙古 keeps its 蒙古
_PREFECTURE_FORM = re.compile(rf"(?:(?:{_ETHNIC})族?)*(?:自治州|地区|盟|市)$")


def short_place_name(name: str, level: str) -> str:
    """广东省 -> 广东, 广西壮族自治区 -> 广西, 延边朝鲜族自治州 -> 延边, 锡林郭勒盟 -> 锡林郭勒."""
    form = _PROVINCE_FORM if level == "province" else _PREFECTURE_FORM
    short = form.sub("", name)
    return short if len(short) >= 2 else name


def _char_values(codes: pd.Series, width: int) -> np.ndarray:
    """(n, width) values of 0-9/A-Z characters (0-35) of ASCII strings of exactly `width`."""
    raw = np.asarray(codes.to_numpy(dtype=object), dtype=f"S{width}")
    b = raw.view(np.uint8).reshape(len(raw), width).astype(np.int64)
    return np.where(b >= ord("A"), b - ord("A") + 10, b - ord("0"))


def check_characters(bodies: pd.Series) -> pd.Series:
    """GB 11714 check character of eight-character bodies: C9 = 11 - (sum Ci Wi mod 11),
    10 -> X, 11 -> 0."""
    total = _char_values(bodies, 8) @ ORG_CODE_WEIGHTS
    c9 = 11 - total % 11
    chars = np.array(list("0123456789X"))
    return pd.Series(chars[np.where(c9 == 11, 0, c9)], index=bodies.index, dtype="string")
