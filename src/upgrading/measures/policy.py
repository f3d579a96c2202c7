"""The 2002 FDI catalogue change as a treatment (Lu, Tao & Zhu 2017 design).

encouraged = 1 if the firm's 4-digit industry moved to "encouraged" in the 2002
Catalogue; post2002 = 1 from `post_from_year` on (the Catalogue was in force from
1 April 2002); encouraged_post = encouraged x post2002.
"""

from __future__ import annotations

import pandas as pd

from upgrading.core.errors import InputError

STATUSES = {"encouraged", "unchanged", "restricted"}


def read_catalogue(path: str) -> pd.DataFrame:
    cat = pd.read_csv(path, dtype={"industry4": "Int64", "status": "str"})
    for col in ("industry4", "status"):
        if col not in cat.columns:
            raise InputError("required column is missing", file=path, column=col)
    bad = cat.index[~cat["status"].isin(STATUSES) | cat["industry4"].isna()]
    if len(bad):
        raise InputError(f"status must be one of {sorted(STATUSES)} with an industry4 code",
                         file=path, column="status", rows=[int(i) + 2 for i in bad])  # file lines
    dup = cat.index[cat["industry4"].duplicated(keep=False)]
    if len(dup):
        raise InputError("industry4 listed twice", file=path, column="industry4",
                         rows=[int(i) + 2 for i in dup])
    return cat


def treatment(industry4: pd.Series, year: pd.Series, catalogue: pd.DataFrame,
              post_from_year: int) -> pd.DataFrame:
    """encouraged, post2002, encouraged_post (int8); industries not in the catalogue count as
    not encouraged (the CLI reports how many firm-years that concerns)."""
    status = industry4.astype("Int64").map(catalogue.set_index("industry4")["status"])
    enc = (status == "encouraged").fillna(False).astype("int8")
    post = (year >= post_from_year).astype("int8")
    return pd.DataFrame({"encouraged": enc, "post2002": post,
                         "encouraged_post": (enc * post).astype("int8")}, index=industry4.index)
