import numpy as np
import pandas as pd
import pytest

from upgrading.core import presence
from upgrading.productivity import controls


def test_attach_industry_year_and_local_measures():
    panel = pd.DataFrame({"firm_id": [1, 2, 3, 4], "year": [2000, 2000, 2000, 2001],
                          "industry2": [13, 13, 13, 13], "city": [110100, 110100, 120100, 110100],
                          "output": [100.0, 300.0, 100.0, 50.0],
                          "foreign_share": [1.0, 0.0, 0.5, 0.2], "hmt_share": [1.0, 0.0, 0.0, 0.0],
                          "other_foreign_share": [0.0, 0.0, 0.5, 0.2]})
    out = controls.attach(panel, presence.from_panel(panel.assign(exports=0.0, source_file="asif_2000", source_row=range(4))),
                          ("horizontal", "horizontal_local"), None)
    assert len(out) == 4
    # 2000, the firm's own output left out: firm 1 sees (0 x 300 + 0.5 x 100) / 400, firm 2
    # (100 + 50) / 200, firm 3 100 / 400; firm 4 is alone in its industry-year (NaN).
    # Local (leave-one-out): firm 1 sees firm 2 (0.0), firm 2 sees firm 1 (1.0); firms 3 and 4
    # are alone in their cells (NaN)
    assert out["horizontal"].tolist()[:3] == pytest.approx([0.125, 0.75, 0.25])
    assert np.isnan(out["horizontal"].iloc[3])
    assert out["horizontal_local"].tolist()[:2] == pytest.approx([0.0, 1.0])
    assert out["horizontal_local"].isna().tolist() == [False, False, True, True]
