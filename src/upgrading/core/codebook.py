"""Codebook of panel.parquet: name, meaning, unit, source (raw Chinese headers or derivation)."""

from __future__ import annotations

# name -> (meaning, unit, raw variable it comes from or None, derivation if not a raw column)
ENTRIES: dict[str, tuple[str, str, str | None, str]] = {
    "firm_id": ("stable firm identifier across years", "id", None, "link stage (BVZ sequence)"),
    "year": ("survey year", "year", None, "from the raw file name"),
    "source_file": ("raw file the row comes from", "file name", None, "ingest"),
    "source_row": ("1-based data line in the raw file (header excluded)", "line", None, "ingest"),
    "legal_id": ("legal-person ID", "id", "legal_id", ""),
    "name": ("firm name", "text", "name", ""),
    "city": ("prefecture-level city, GB/T 2260", "6-digit code", "region_code", "first 4 digits + 00"),
    "county": ("county, GB/T 2260", "6-digit code", "region_code", "first 6 digits"),
    "province": ("province, GB/T 2260", "2-digit code", "region_code", "first 2 digits"),
    "region": ("economic region (prd, yrd, bohai, other_coastal, central, western)", "category",
               "region_code", "city looked up in cities.csv"),
    "industry4": ("4-digit industry, CIC 2002", "code", "industry_code",
                  "pre-2003 codes mapped by cic_concordance.csv"),
    "industry2": ("2-digit manufacturing division", "code", "industry_code", "first 2 digits of industry4"),
    "reg_type": ("registration type", "code", "reg_type", ""),
    "ownership": ("ownership class: soe, collective, private, hmt, foreign", "category", "reg_type",
                  "registration type and capital shares (docs/contracts.md)"),
    "founding_year": ("year the firm was founded", "year", "founding_year", ""),
    "age": ("firm age: year - founding_year", "years", "founding_year", "derived"),
    "foreign_share": ("HMT + other foreign capital / paid-in capital", "share [0,1]",
                      "capital_foreign", "(capital_hmt + capital_foreign) / paid_in_capital"),
    "hmt_share": ("Hong Kong, Macao, Taiwan capital / paid-in capital", "share [0,1]", "capital_hmt",
                  "capital_hmt / paid_in_capital"),
    "other_foreign_share": ("other foreign capital / paid-in capital", "share [0,1]", "capital_foreign",
                            "capital_foreign / paid_in_capital"),
    "state_share": ("state capital / paid-in capital", "share [0,1]", "capital_state",
                    "capital_state / paid_in_capital"),
    "output": ("gross industrial output, real", "thousand 1998 yuan", "output", "/ output_deflator"),
    "value_added": ("value added, real, double deflation", "thousand 1998 yuan", "output",
                    "output / output_deflator - intermediate / input_deflator"),
    "va_imputed": ("raw value added missing (2004): value added computed, not reported", "bool",
                   "value_added", "raw value added missing"),
    "intermediate": ("intermediate inputs, real", "thousand 1998 yuan", "intermediate", "/ input_deflator"),
    "exports": ("export delivery value, real", "thousand 1998 yuan", "exports", "/ output_deflator"),
    "new_product": ("new product output, real", "thousand 1998 yuan", "new_product", "/ output_deflator"),
    "sales": ("sales revenue, real", "thousand 1998 yuan", "sales", "/ output_deflator"),
    "wage_bill": ("wage bill, real", "thousand 1998 yuan", "wage_bill", "/ output_deflator"),
    "capital": ("real capital stock from book values at historical cost (Brandt, Van Biesebroeck & "
                "Zhang 2012)", "thousand 1998 yuan", "original_fixed_assets, founding_year",
                "first year: original value deflated with the firm's age and its province x industry "
                "nominal capital growth; then K = (1-delta)^gap K_prev + I / investment_deflator"),
    "investment": ("real investment: change in fixed assets at original price (floored at 0 by default)",
                   "thousand 1998 yuan", "original_fixed_assets", "/ investment_deflator"),
    "employment": ("average employment", "persons", "employment", ""),
    "exporter": ("exports > 0", "bool", "exports", "derived"),
    "y": ("log real value added", "log", "output", "log(value_added)"),
    "l": ("log employment", "log", "employment", "log(employment)"),
    "k": ("log real capital", "log", "original_fixed_assets", "log(capital)"),
    "m": ("log real intermediate inputs", "log", "intermediate", "log(intermediate)"),
}


def codebook(columns: list[str], fields: dict):
    """One row per panel column, in panel order; every column must have an entry. `fields`: the
    header map (name -> a field with its raw `spellings`), which gives the source headers."""
    import pandas as pd  # here, so the entries load at parse time without pandas

    missing = [c for c in columns if c not in ENTRIES]
    if missing:
        raise KeyError(f"codebook has no entry for {missing}")
    rows = []
    for c in columns:
        meaning, unit, raw, how = ENTRIES[c]
        source = " / ".join(fields[raw].spellings) if raw in fields else ""
        rows.append({"name": c, "meaning": meaning, "unit": unit, "source_header": source,
                     "derivation": how})
    return pd.DataFrame(rows)
