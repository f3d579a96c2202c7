"""Turn the observed true firm-years into raw ASIF rows (canonical column names, money in
thousand yuan at current prices) and their truth columns.

Fixed assets are book values at historical cost (upgrading.synth.books): original value =
sum of nominal investments since founding, accumulated depreciation at the accounting rate,
net value = original - accumulated depreciation; the truth keeps real capital. The raw
value-added column = nominal output - nominal intermediate inputs.

Rows stay numeric (IDs, codes as integers) to keep full scale light; identity strings
live once per firm (`Identities`) and are looked up when a year's file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upgrading.synth import identity
from upgrading.synth.population import OWNERSHIPS


@dataclass
class Identities:
    """Identity strings per firm (index = true firm id), as pyarrow string arrays; a name is
    a place prefix + its stem (upgrading.synth.identity.display_names)."""
    stem: pa.Array
    stem_new: pa.Array
    city_short: pa.Array
    city_full: pa.Array
    province_full: pa.Array
    representative: pa.Array
    representative_new: pa.Array
    phone: pa.Array
    phone_new: pa.Array
    main_product: pa.Array
    main_product_new: pa.Array


def _r(x) -> np.ndarray:
    """Round to 0.1 thousand yuan (100 yuan); + 0.0 turns -0.0 into 0.0."""
    return np.round(np.asarray(x, dtype=float), 1) + 0.0


def make_identities(world, rng: np.random.Generator,
                    letter_share: float) -> tuple[Identities, np.ndarray, np.ndarray]:
    """(identity strings, legal-person ID code per firm, new legal-person ID code per firm)."""
    static = world.static
    city_names = world.cities["city_name"].to_numpy()
    province_names = world.cities["province_name"].to_numpy()
    area = identity.area_codes(rng, len(city_names))
    ids = identity.identities(rng, world.tab.j_code[static["j"]], city_names[static["c"]], province_names[static["c"]],
                              area[static["c"]], letter_share)
    n = len(static["j"])
    local = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    phone_new = identity._cat(pa.array(area[static["c"]], pa.string()), pc.cast(pa.array(local), pa.string()))
    # A new phone number must not repeat any old one.
    clash = pc.is_in(phone_new, value_set=ids["phone"])
    phone_new = pc.if_else(clash, identity._cat(phone_new, pa.array(["9"] * n, pa.string())), phone_new)
    ident = Identities(stem=ids["stem"], stem_new=ids["stem_new"], city_short=ids["city_short"],
                       city_full=ids["city_full"], province_full=ids["province_full"],
                       representative=ids["representative"],
                       representative_new=identity.new_representatives(rng, n), phone=ids["phone"],
                       phone_new=phone_new, main_product=ids["main_product"],
                       main_product_new=ids["main_product_new"])
    return ident, ids["legal_id"], ids["legal_id_new"]


def build_rows(world, rng: np.random.Generator,
               id_letter_share: float) -> tuple[pd.DataFrame, pd.DataFrame, Identities]:
    """(raw rows, truth columns, identities): one row per observed true firm-year, aligned."""
    pn, static, tables = world.panel, world.static, world.tab
    f = pn["firm"].to_numpy()
    year = pn["year"].to_numpy()
    n = len(pn)
    j = static["j"][f]
    c = static["c"][f]
    defl = world.deflators.set_index(["industry2", "year"])
    key = pd.MultiIndex.from_arrays([tables.j_code[j], year])
    pout = defl["output_deflator"].reindex(key).to_numpy()
    pin = defl["input_deflator"].reindex(key).to_numpy()

    ident, legal_id, legal_id_new = make_identities(world, rng, id_letter_share)
    cls = world.classes.set_index("industry4")
    c4_code = tables.c4_code[static["c4"]]
    old = cls["code_old"].reindex(c4_code).to_numpy()
    alt = cls["code_old_alt"].reindex(c4_code).to_numpy()
    use_alt = (alt > 0) & (rng.random(len(alt)) < 0.5)  # merged classes: half the firms keep the 2nd old code
    firm_old_code = np.where(use_alt, alt, old)
    conc = world.concordance.set_index("code_old")["code_new"]
    firm_recoded = conc.reindex(firm_old_code).to_numpy()

    output = _r(pn["output"].to_numpy() * pout)
    intermediate = _r(pn["intermediate"].to_numpy() * pin)
    ofa = _r(pn["ofa"])
    acc = _r(pn["acc"])
    nfa = _r(ofa - acc)  # the identity holds exactly in the rounded values
    fixed = _r(nfa * rng.uniform(1.0, 1.12, n))
    ca_ratio = rng.uniform(0.35, 0.6, n)
    other_ratio = rng.uniform(0.0, 0.1, n)
    total = _r(fixed / (1 - ca_ratio - other_ratio))
    paid_in = _r(total * rng.uniform(0.2, 0.5, n))
    caps = {k: _r(static[f"share_{k}"][f] * paid_in)
            for k in ("state", "collective", "legal", "individual", "hmt", "foreign")}
    # Legal-person capital closes the sum (to rounding; never negative).
    caps["legal"] = np.maximum(_r(paid_in - caps["state"] - caps["collective"] - caps["individual"]
                                  - caps["hmt"] - caps["foreign"]), 0.0)
    wage_bill = _r(pn["wage"].to_numpy() * pn["employment"].to_numpy() * pout)
    dep = _r(pn["dep"])
    sales = pn["sales"].to_numpy()
    raw = pd.DataFrame({
        "year": year.astype(np.int16), "firm": f.astype(np.int64),
        "legal_id": legal_id[f], "ident_variant": np.zeros(n, np.int8),
        "region_code": static["county"][f].astype(np.int64),
        "industry_code": np.where(year <= 2002, firm_old_code[f], c4_code[f]).astype(np.int64),
        "reg_type": static["reg_type"][f].astype(np.int64),
        "founding_year": static["founding_year"][f].astype(np.int64),
        "output": output, "value_added": _r(output - intermediate),
        "exports": _r(pn["exports"].to_numpy() * pout),
        "new_product": _r(pn["new_product"].to_numpy() * pout),
        "employment": pn["employment"].to_numpy().astype(np.int64),
        "intermediate": intermediate, "fixed_assets": fixed, "net_fixed_assets": nfa,
        "original_fixed_assets": ofa, "depreciation_current": dep,
        "depreciation_accumulated": acc,
        "total_assets": total, "current_assets": _r(total * ca_ratio), "paid_in_capital": paid_in,
        **{f"capital_{k}": v for k, v in caps.items()},
        "wage_bill": wage_bill, "sales": sales,
        "profit": _r(output - intermediate - wage_bill - dep - 0.03 * total
                     + rng.normal(0, 0.03, n) * output),
        "rd": _r(np.where(pn["new_product"].to_numpy() > 0, sales * rng.uniform(0.002, 0.03, n), 0.0)),
    })
    raw.attrs["legal_id_new"] = legal_id_new
    own = static["own"][f]
    truth = pd.DataFrame({
        "year": year.astype(np.int16),
        "true_firm_id": f.astype(np.int64), "true_omega": pn["omega"].to_numpy(),
        "true_ownership": pd.Categorical.from_codes(own, categories=list(OWNERSHIPS)),
        "true_capital": pn["capital"].to_numpy(), "true_employment": pn["employment"].to_numpy().astype(np.int64),
        "true_output": pn["output"].to_numpy(), "true_value_added": pn["va"].to_numpy(),
        "true_intermediate": pn["intermediate"].to_numpy(), "true_exports": pn["exports"].to_numpy(),
        "true_industry4": c4_code[f].astype(np.int64), "true_industry2": tables.j_code[j].astype(np.int64),
        "industry4_recoded": firm_recoded[f].astype(np.int64),
        "true_city": tables.city_code[c].astype(np.int64), "true_county": static["county"][f].astype(np.int64),
        "true_hmt_share": static["share_hmt"][f], "true_other_foreign_share": static["share_foreign"][f],
        "true_state_share": static["share_state"][f],
        "domestic": (static["share_hmt"][f] == 0) & (static["share_foreign"][f] == 0),
        "true_spill": pn["spill"].to_numpy(), "true_u": pn["u"].to_numpy(),
        "true_eps": pn["eps"].to_numpy(), "cluster": pn["cluster"].to_numpy(),
        "horizontal": pn["horizontal"].to_numpy(), "horizontal_hmt": pn["horizontal_hmt"].to_numpy(),
        "horizontal_other": pn["horizontal_other"].to_numpy(), "backward": pn["backward"].to_numpy(),
        "forward": pn["forward"].to_numpy(), "horizontal_local": pn["horizontal_local"].to_numpy(),
        "true_exporter": pn["exporter"].to_numpy(), "true_new_product": pn["new_product"].to_numpy(),
        "true_va_share": pn["va_share"].to_numpy(), "entry_year": static["entry_year"][f].astype(np.int16),
    })
    return raw, truth, ident
