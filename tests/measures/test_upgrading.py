import numpy as np
import pandas as pd
import pytest

from upgrading.measures import policy, upgrading


def test_outcomes_hand_computed():
    p = pd.DataFrame({"new_product": [10.0, 0.0, 5.0], "output": [100.0, 50.0, 0.0],
                      "exports": [30.0, 0.0, 1.0], "sales": [60.0, 50.0, np.nan],
                      "value_added": [25.0, 20.0, 1.0]})
    o = upgrading.outcomes(p)
    assert o["new_product_share"].tolist()[:2] == [0.1, 0.0]
    assert o["export_intensity"].tolist()[:2] == [0.5, 0.0]
    assert o["va_ratio"].tolist()[:2] == [0.25, 0.4]
    # zero output / missing sales: undefined, not infinite
    assert np.isnan(o.loc[2, "new_product_share"]) and np.isnan(o.loc[2, "export_intensity"])


def test_growth_needs_consecutive_years():
    f = pd.DataFrame({"firm_id": [1, 1, 1, 2], "year": [2000, 2001, 2003, 2001],
                      "tfp": [1.0, 1.5, 2.0, 0.3]})
    g = upgrading.growth(f, "tfp")
    assert np.isnan(g[0]) and g[1] == pytest.approx(0.5) and np.isnan(g[2]) and np.isnan(g[3])


def test_frontier_gap_is_initial_distance():
    # industry 13, year 2000: tfp 0, 1, 2 -> 90th percentile 1.8; firm 3 enters in 2001
    f = pd.DataFrame({"firm_id": [1, 2, 3, 1, 3, 4], "year": [2000, 2000, 2000, 2001, 2001, 2001],
                      "industry2": 13, "tfp": [0.0, 1.0, 2.0, 5.0, 0.0, 1.0]})
    f.loc[2, "firm_id"], f.loc[4, "firm_id"] = 3, 3
    gap = upgrading.frontier_gap(f, "tfp", 0.9)
    assert gap[0] == pytest.approx(1.8) and gap[3] == pytest.approx(1.8)  # held fixed
    assert gap[1] == pytest.approx(0.8)
    # firm 4 first seen in 2001: tfp 5, 0, 1 -> q90 = 4.2
    assert gap[5] == pytest.approx(4.2 - 1.0)


def test_catalogue_treatment(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("industry4,status\n1310,encouraged\n1320,unchanged\n1410,restricted\n")
    cat = policy.read_catalogue(str(path))
    t = policy.treatment(pd.Series([1310, 1310, 1320, 9999]), pd.Series([2001, 2002, 2005, 2005]),
                         cat, 2002)
    assert t["encouraged"].tolist() == [1, 1, 0, 0]
    assert t["post2002"].tolist() == [0, 1, 1, 1]
    assert t["encouraged_post"].tolist() == [0, 1, 0, 0]


def test_catalogue_bad_status_names_line(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("industry4,status\n1310,encouraged\n1320,maybe\n")
    with pytest.raises(Exception, match=r"status.*row\(s\) 3"):
        policy.read_catalogue(str(path))
