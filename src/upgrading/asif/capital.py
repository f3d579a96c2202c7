"""Real capital by perpetual inventory (docs/contracts.md, "Real capital").

K_first = net_fixed_assets / investment_deflator in a firm's first year (clean runs this over
every row that reports fixed assets, before the filters, so a dropped year still passes on
its investment);
K_t = (1 - delta)^gap K_prev + I_t / investment_deflator_t, with
I_t = max(original_fixed_assets_t - original_fixed_assets_prev, 0) nominal.
`gap` is the number of years since the firm's previous panel year (1 without
holes), so a firm absent one year depreciates for two. The linear recursion is
solved in closed form per firm: with D_t = prod (1 - delta)^gap,
K_t = D_t (K_first + sum_{s<=t} J_s / D_s), so no Python loop over firms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def perpetual_inventory(panel: pd.DataFrame, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """(real capital, nominal investment) aligned with `panel` rows.

    Needs columns firm_id, year, net_fixed_assets, original_fixed_assets, investment_deflator.
    """
    order = np.lexsort((panel["year"].to_numpy(), panel["firm_id"].to_numpy()))
    p = panel.iloc[order]
    firm = p["firm_id"].to_numpy()
    year = p["year"].to_numpy().astype(np.int64)
    ofa = p["original_fixed_assets"].to_numpy(dtype=float)
    nfa = p["net_fixed_assets"].to_numpy(dtype=float)
    defl = p["investment_deflator"].to_numpy(dtype=float)
    first = np.r_[True, firm[1:] != firm[:-1]]
    gap = np.where(first, 0, np.r_[0, np.diff(year)])
    inv = np.where(first, np.nan, np.r_[np.nan, np.diff(ofa)])
    inv = np.where(first, np.nan, np.maximum(np.nan_to_num(inv, nan=0.0), 0.0))
    real_inv = np.where(first, 0.0, inv / defl)
    log_decay = gap * np.log1p(-delta)
    # cumulative log-decay within firm
    start = np.flatnonzero(first)
    seg = np.cumsum(first) - 1
    cum = np.cumsum(log_decay)
    cum -= cum[start][seg]
    D = np.exp(cum)
    k0 = (nfa / defl)[start][seg]
    s = np.cumsum(real_inv / D)
    s -= s[start][seg]
    capital = D * (k0 + s)
    out_k = np.empty_like(capital)
    out_i = np.empty_like(inv)
    out_k[order] = capital
    out_i[order] = inv
    return out_k, out_i
