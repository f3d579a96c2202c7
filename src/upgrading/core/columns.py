"""Column vocabularies shared by the stages."""

from __future__ import annotations

# Money variables of the raw files (kind `money` in config/asif_headers.yaml, thousand yuan)
# that the synthetic world writes and the unit-slip repair of the cleaning divides together.
MONEY = ("output", "value_added", "exports", "new_product", "intermediate", "fixed_assets",
         "net_fixed_assets", "original_fixed_assets", "depreciation_current",
         "depreciation_accumulated", "total_assets", "current_assets", "paid_in_capital",
         "capital_state", "capital_collective", "capital_legal", "capital_individual",
         "capital_hmt", "capital_foreign", "wage_bill", "sales", "profit", "rd")
