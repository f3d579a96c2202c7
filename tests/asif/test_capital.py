"""Real capital from book values at historical cost (upgrading.asif.capital), by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upgrading.asif import capital
from upgrading.core.errors import InputError

DEFLATORS = pd.DataFrame({"industry2": 17, "year": [1998, 1999, 2000],
                          "investment_deflator": [1.0, 1.02, 1.04]})
NATIONAL = pd.DataFrame({"year": [1996, 1997, 1998], "investment_price": [0.9, 0.95, 1.0]})


def rows(**over) -> pd.DataFrame:
    base = {"firm_id": [1, 1, 1, 2, 2], "year": [1998, 1999, 2000, 1998, 2000],
            "founding_year": [1996, 1996, 1996, 1998, 1998], "province": 44, "industry2": 17,
            "original_fixed_assets": [500.0, 550, 540, 500, 600],
            "investment_deflator": [1.0, 1.02, 1.04, 1.0, 1.04]}
    base.update(over)
    return pd.DataFrame(base)


def test_price_table_chains_national_index_to_deflators():
    p = capital.price_table(DEFLATORS, NATIONAL)
    assert p.y0 == 1996
    assert p.table[0].tolist() == pytest.approx([0.9, 0.95, 1.0, 1.02, 1.04])


def test_bvz_first_stock_and_pim_by_hand():
    prices = capital.price_table(DEFLATORS, NATIONAL)
    df = rows()
    res = capital.real_capital(df.iloc[::-1].reset_index(drop=True), prices, 0.09, min_pairs=5)
    k, inv = res.capital[::-1], res.investment[::-1]
    # too few changes anywhere: the median over all firms' yearly changes (firm 1's two)
    g = float(np.median([np.log(550 / 500), np.log(540 / 550)]))
    b = 500 * np.exp(-g * np.arange(3))          # book in 1998, 1997, 1996
    bought = b - np.r_[b[1:], 0.0]                # nominal investment of each year
    k1998 = bought[0] / 1.0 + 0.91 * bought[1] / 0.95 + 0.91 ** 2 * bought[2] / 0.9
    k1999 = 0.91 * k1998 + 50 / 1.02
    assert k == pytest.approx([k1998, k1999, 0.91 * k1999, 500, 0.91 ** 2 * 500 + 100 / 1.04])
    assert np.isnan(inv[0]) and inv[1] == pytest.approx(50) and inv[2] == 0 and inv[4] == pytest.approx(100)
    flags = {k: v[::-1] for k, v in res.flags.items()}
    assert flags["negative_investment"].tolist() == [False, False, True, False, False]
    assert flags["growth_fallback"].tolist() == [True, False, False, True, False]


def test_negative_investment_kept_when_asked():
    prices = capital.price_table(DEFLATORS, NATIONAL)
    res = capital.real_capital(rows(), prices, 0.09, min_pairs=5, negative_investment="keep")
    assert res.investment[2] == pytest.approx(-10)
    assert res.capital[2] == pytest.approx(0.91 * res.capital[1] - 10 / 1.04)


def test_edge_cases_counted():
    prices = capital.price_table(DEFLATORS, NATIONAL)
    df = rows(original_fixed_assets=[np.nan, 550, np.nan, 500, 600],
              founding_year=[1990, 1990, 1990, 2005, 2005])
    res = capital.real_capital(df, prices, 0.09, min_pairs=1)
    f = res.flags
    assert f["no_original_value"].tolist() == [True, False, False, False, False]
    assert f["original_value_gap"].tolist() == [False, False, True, False, False]
    assert f["age_capped"].tolist() == [False, True, False, False, False]      # founded before 1996
    assert f["age_unknown"].tolist() == [False, False, False, True, False]     # founded after the year
    assert np.isnan(res.capital[0]) and res.capital[2] == pytest.approx(0.91 * res.capital[1])
    assert res.capital[3] == pytest.approx(500)  # age 0: the book at this year's price


def test_constant_growth_history_is_recovered():
    """A firm whose nominal book grew at exactly the cell's rate gets its true real capital."""
    years = np.arange(1996, 1999)
    prices = capital.price_table(DEFLATORS, NATIONAL)
    g = 0.12
    book = 800 * np.exp(-g * (1998 - years))
    nominal = book - np.r_[0.0, book[:-1]]
    truth = float(np.sum(0.91 ** (1998 - years) * nominal / np.array([0.9, 0.95, 1.0])))
    got = capital.first_stock(np.array([800.0]), np.array([2]), np.array([1998]), np.array([0]),
                              np.array([g]), prices, 0.09)
    assert got[0] == pytest.approx(truth)


def test_price_file_errors_name_the_file():
    with pytest.raises(InputError, match="investment_prices.csv.*first deflator year 1998"):
        capital.price_table(DEFLATORS, NATIONAL[NATIONAL["year"] < 1998])
    bad = NATIONAL.assign(investment_price=[0.9, -1.0, 1.0])
    with pytest.raises(InputError, match="row\\(s\\) 3"):
        capital.price_table(DEFLATORS, bad)
