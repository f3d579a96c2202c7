"""Hand-made tiny raw ASIF files (a few firms, three years) that follow docs/contracts.md.

Firms (true identity in the `true_firm` list returned by `make_raw_files`):
  A: same legal ID every year;               B: legal ID changes in 2000 (name links it)
  C: ID and name change in 2000 (rep+phone); D: absent in 1999 (gap link from 1998)
  E: foreign (reg 310), F: HMT (reg 220), G: employment 5 (dropped by min_employment)
  H: 2-row exact duplicate in 1999;           I: unit slip (yuan) in 2000
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

HEADERS = yaml.safe_load(Path("config/asif_headers.yaml").read_text(encoding="utf-8"))
YEARS = [1998, 1999, 2000]


def base_row(firm: str, year: int) -> dict:
    i = ord(firm) - ord("A")
    out = 1000.0 * (i + 1) * (1.1 ** (year - 1998))
    return {
        "legal_id": f"00{i:07d}", "name": f"企业{firm}有限公司", "representative": f"张{firm}",
        "phone": f"0755-88{i:04d}", "region_code": "440305", "industry_code": "1711" if year < 2000 else "1711",
        "main_product": f"产品{firm}", "reg_type": "171", "founding_year": str(1990 + i),
        "output": f"{out:.1f}", "value_added": f"{out * 0.3:.1f}", "exports": "100",
        "new_product": "0", "employment": str(50 + i), "intermediate": f"{out * 0.6:.1f}",
        "fixed_assets": "500", "net_fixed_assets": "400", "original_fixed_assets": f"{500 + 50 * (year - 1998)}",
        "depreciation_current": "10", "depreciation_accumulated": "100", "total_assets": "2000",
        "current_assets": "1000", "paid_in_capital": "1000", "capital_state": "0",
        "capital_collective": "0", "capital_legal": "0", "capital_individual": "1000",
        "capital_hmt": "0", "capital_foreign": "0", "wage_bill": "300", "sales": f"{out:.1f}",
        "profit": "50", "rd": "",
    }


def rows_for_year(year: int) -> list[tuple[str, dict]]:
    rows = []
    for firm in "ABCDEFGHI":
        if firm == "D" and year == 1999:
            continue
        r = base_row(firm, year)
        if firm == "B" and year >= 2000:
            r["legal_id"] = "991234567"
        if firm == "C" and year >= 2000:
            r["legal_id"], r["name"] = "881234567", "新企业C集团"
        if firm == "E":
            r["reg_type"], r["capital_foreign"], r["capital_individual"] = "310", "600", "400"
        if firm == "F":
            r["reg_type"], r["capital_hmt"], r["capital_individual"] = "220", "700", "300"
        if firm == "G":
            r["employment"] = "5"
        if firm == "I" and year == 2000:
            for k in ("output", "value_added", "intermediate", "sales", "exports", "fixed_assets",
                      "net_fixed_assets", "original_fixed_assets", "total_assets", "current_assets",
                      "paid_in_capital", "capital_individual", "wage_bill", "profit",
                      "depreciation_current", "depreciation_accumulated"):
                r[k] = f"{float(r[k]) * 1000:.1f}"
        rows.append((firm, r))
        if firm == "H" and year == 1999:
            rows.append((firm, dict(r)))
    return rows


def csv_text(year: int, rows: list[dict], spelling: int | None = None) -> str:
    spelling = year % 3 if spelling is None else spelling
    names = list(rows[0])
    header = [HEADERS[n]["spellings"][spelling] for n in names]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r[n] for n in names])
    return buf.getvalue()


def write_side_files(raw: Path) -> None:
    (raw / "cities.csv").write_text(
        "city,city_name,province,province_name,region\n440300,深圳市,44,广东省,prd\n", encoding="utf-8")
    (raw / "cic_concordance.csv").write_text(
        "year_from,year_to,code_old,code_new\n1998,2002,1711,1711\n", encoding="utf-8")
    lines = ["industry2,year,output_deflator,input_deflator,investment_deflator"]
    for y in range(1998, 2008):
        f = 1 + 0.05 * (y - 1998)
        lines.append(f"17,{y},{f:.2f},{f:.2f},{1 + 0.02 * (y - 1998):.2f}")
    (raw / "deflators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    prices = ["year,investment_price"] + [f"{y},{1.03 ** (y - 1998):.6f}" for y in range(1980, 1999)]
    (raw / "investment_prices.csv").write_text("\n".join(prices) + "\n", encoding="utf-8")


def make_raw_files(raw: Path) -> dict[tuple[int, int], str]:
    """Write asif_1998-2000.csv (UTF-8, UTF-8 BOM, GBK) and side files; (year, row) -> true firm."""
    raw.mkdir(parents=True, exist_ok=True)
    truth = {}
    encodings = {1998: "utf-8", 1999: "utf-8-sig", 2000: "gbk"}
    for year in YEARS:
        rows = rows_for_year(year)
        (raw / f"asif_{year}.csv").write_bytes(csv_text(year, [r for _, r in rows]).encode(encodings[year]))
        truth.update({(year, i + 1): firm for i, (firm, _) in enumerate(rows)})
    write_side_files(raw)
    return truth
