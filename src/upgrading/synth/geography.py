"""Cities of the synthetic world: real GB/T 2260 prefecture codes and names (2002 revision).

Each prefecture gets a region label (docs/contracts.md), its counties (the raw
files' 6-digit `region_code`), and the traits that shape FDI location and
upgrading: FDI pull, local-government bargaining strength over FIEs, symmetry of
government-business ties, and open vs captive networks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from gb2260.data import data as GB2260

REVISION = 2002  # 344 prefecture-level codes [V, docs/calibration.md]
EXCLUDED_PROVINCES = {71, 81, 82}  # Taiwan, Hong Kong, Macao: not in the ASIF

# Region of each province; PRD and YRD are the core cities of the two deltas.
PRD_CITIES = {4401, 4403, 4404, 4406, 4407, 4412, 4413, 4419, 4420}
YRD_CITIES = {3101, 3102, 3201, 3202, 3204, 3205, 3206, 3210, 3211, 3212,
              3301, 3302, 3304, 3305, 3306, 3309, 3310}
BOHAI = {11, 12, 13, 21, 37}
OTHER_COASTAL = {32, 33, 35, 44, 46}
CENTRAL = {14, 22, 23, 34, 36, 41, 42, 43}
WESTERN = {15, 45, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}


def region_of(prefecture4: int) -> str:
    province = prefecture4 // 100
    if prefecture4 in PRD_CITIES:
        return "prd"
    if prefecture4 in YRD_CITIES or province == 31:
        return "yrd"
    if province in BOHAI:
        return "bohai"
    if province in OTHER_COASTAL:
        return "other_coastal"
    if province in CENTRAL:
        return "central"
    if province in WESTERN:
        return "western"
    raise ValueError(f"no region for prefecture {prefecture4}")


def _prefecture_name(code: int, names: dict[int, str]) -> str:
    """Municipalities' units are called 市辖区/县: name them after the municipality."""
    name = names[code]
    if name in {"市辖区", "县", "市"}:
        return names[code // 10000 * 10000]
    return name


def prefectures() -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """(cities table, prefecture -> array of its 6-digit county codes), sorted by code.

    Kept: prefecture-level units with at least one county, plus the two prefecture
    cities without counties (Dongguan, Zhongshan), whose firms carry the city code
    itself. Dropped: 省直辖县级行政单位 (no prefecture), and HK/Macao/Taiwan.
    """
    names = GB2260[REVISION]
    counties: dict[int, list[int]] = {}
    for code in names:
        if code % 100 and code // 10000 not in EXCLUDED_PROVINCES:
            counties.setdefault(code // 100 * 100, []).append(code)
    rows, county_map = [], {}
    for code in sorted(c for c in names if c % 100 == 0 and c % 10000 != 0):
        if code // 10000 in EXCLUDED_PROVINCES or names[code].startswith("省直辖"):
            continue
        if names[code] in {"县", "市"}:  # municipal county lists fold into the municipality
            continue
        own = sorted(counties.get(code, []))
        # Counties of a municipality's 县 unit (e.g. 110200) would give another "city"
        # under the contract's first-four-digits rule; keep only the 01 unit's districts.
        if not own:
            own = [code]
        # A county code ending 01 is the 市辖区 placeholder: real files use real districts.
        real = [c for c in own if names[c] != "市辖区"] or own
        province = code // 10000
        rows.append({"city": code, "city_name": _prefecture_name(code, names),
                     "province": province, "province_name": names[province * 10000],
                     "region": region_of(code // 100)})
        county_map[code] = np.array(real, dtype=np.int64)
    return pd.DataFrame(rows), county_map


def city_traits(cities: pd.DataFrame, rng: np.random.Generator, params: dict) -> pd.DataFrame:
    """Add FDI pull, firm weight and the three local relations of the case studies (each in [0, 1])."""
    n = len(cities)
    out = cities.copy()
    region = out["region"].to_numpy()
    fdi = np.array([params["region_fdi_pull"][r] for r in region]) * np.exp(rng.normal(0, params["city_fdi_pull_sd"], n))
    weight = (np.array([params["region_firm_weight"][r] for r in region])
              * np.exp(rng.normal(0, params["city_firm_weight_sd"], n)))
    # Bargaining strength is higher where the local government has more to offer FIEs
    # (FDI pull); symmetry and openness are idiosyncratic local institutions.
    bargaining = 1 / (1 + np.exp(-(params["bargaining_fdi_pull"] * np.log(fdi) + rng.normal(0, params["bargaining_sd"], n))))
    relation = params["local_relation_beta"]
    out["bargaining"] = np.round(bargaining, 4)
    out["symmetry"] = np.round(rng.beta(relation, relation, n), 4)
    out["open_network"] = np.round(rng.beta(relation, relation, n), 4)
    out["fdi_pull"] = fdi
    out["firm_weight"] = weight / weight.sum()
    return out


CITY_COLUMNS = ["city", "city_name", "province", "province_name", "region",
                "bargaining", "symmetry", "open_network"]
