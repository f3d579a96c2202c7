"""readers._redecode_column: a latin-1-read column decoded again as GB18030 in one call, value by
value the same as decoding each string alone; missing values stay missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upgrading.asif.readers import _redecode_column
from upgrading.core.errors import InputError


def test_same_as_each_string_alone():
    texts = ["广州华兴化工厂", "", "ABC 有限公司", "（集团）", "x"]
    as_read = [t.encode("gb18030").decode("latin-1") for t in texts]
    col = pd.Series(as_read[:2] + [None] + as_read[2:] + [np.nan], dtype=object, name="名称")
    out = _redecode_column(col, "gb18030")
    assert out.iloc[:2].tolist() == texts[:2] and out.iloc[3:6].tolist() == texts[2:]
    assert out.iloc[2] is None and np.isnan(out.iloc[6])
    assert out.dtype == object and out.name == "名称"


def test_nul_inside_a_value_is_an_error():
    with pytest.raises(InputError, match="NUL"):
        _redecode_column(pd.Series(["a\x00b", "c"], dtype=object, name="v"), "gb18030")
