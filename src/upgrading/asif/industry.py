"""The 2003 industry-code revision: pre-2003 4-digit codes (GB/T 4754-1994) -> CIC 2002."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.errors import InputError

MANUFACTURING_2DIGIT = frozenset(range(13, 44)) - {38}


def read_concordance(path) -> pd.DataFrame:
    conc = pd.read_csv(path, dtype={"code_old": "string", "code_new": "string"})
    need = {"year_from", "year_to", "code_old", "code_new"}
    if not need <= set(conc.columns):
        raise InputError(f"missing column(s) {sorted(need - set(conc.columns))}", file=str(path))
    return conc


def to_cic2002(codes: pd.Series, years: pd.Series, concordance: pd.DataFrame) -> pd.Series:
    """4-digit industry code in CIC 2002 for every row (string, missing stays missing).

    A code of a year covered by a concordance row [year_from, year_to] is replaced
    by that row's code_new; other codes (2003 on) are already CIC 2002.
    """
    out = codes.astype("string").str.strip().str.zfill(4)
    years = years.to_numpy()
    for (y0, y1), block in concordance.groupby(["year_from", "year_to"], sort=True):
        sel = (years >= y0) & (years <= y1)
        if not sel.any():
            continue
        mapping = dict(zip(block["code_old"].str.zfill(4), block["code_new"].str.zfill(4)))
        mapped = out[sel].map(mapping)
        out[sel] = mapped.where(mapped.notna(), out[sel])
    return out


def digits_to_int(codes: pd.Series) -> pd.Series:
    """Int64 of all-digit strings, missing otherwise (vectorised; no per-element Python)."""
    text = codes.astype("string")
    ok = text.str.fullmatch(r"\d+").fillna(False)
    out = pd.Series(pd.NA, index=codes.index, dtype="Int64")
    if ok.any():
        out[ok.to_numpy()] = text[ok.to_numpy()].astype("int64").to_numpy()
    return out


def industry2_of(industry4: pd.Series) -> pd.Series:
    """2-digit division of a 4-digit code (first two digits)."""
    return digits_to_int(industry4.str.slice(0, 2))


def is_manufacturing(industry2: pd.Series) -> np.ndarray:
    return industry2.isin(sorted(MANUFACTURING_2DIGIT)).fillna(False).to_numpy(dtype=bool)
