import pandas as pd
import pytest

from upgrading.productivity import controls


def test_attach_industry_year_and_local_measures():
    panel = pd.DataFrame({"firm_id": [1, 2, 3, 4], "year": [2000, 2000, 2000, 2001],
                          "industry2": [13, 13, 13, 13], "city": [110100, 110100, 120100, 110100],
                          "output": [100.0, 300.0, 100.0, 50.0],
                          "foreign_share": [1.0, 0.0, 0.5, 0.2], "hmt_share": [1.0, 0.0, 0.0, 0.0],
                          "other_foreign_share": [0.0, 0.0, 0.5, 0.2]})
    out = controls.attach(panel, ("horizontal", "horizontal_local"), None)
    assert len(out) == 4
    # 2000: (100 + 50) / 500; local 110100: 100 / 400; local 120100: 0.5
    assert out["horizontal"].tolist()[:3] == pytest.approx([0.3, 0.3, 0.3])
    assert out["horizontal_local"].tolist() == pytest.approx([0.25, 0.25, 0.5, 0.2])
