"""OLS and within (firm fixed effects) value-added production functions, by pyfixest.

Both keep year effects and cluster standard errors by firm (CRV1, fixest's default
small-sample correction). OLS ignores the simultaneity of inputs and productivity,
so its beta_l is biased up; the within estimator removes only the firm-constant part.
"""

from __future__ import annotations

import pandas as pd

FORMULAS = {
    "ols": "y ~ l + k | year",
    "fe": "y ~ l + k | firm_id + year",
}


def estimate(df: pd.DataFrame, method: str) -> dict:
    """beta_l, beta_k, their firm-clustered SEs and nobs for one industry's firm-years."""
    import pyfixest as pf  # imported here: only this stage pays for it

    fit = pf.feols(FORMULAS[method], data=df[["firm_id", "year", "y", "l", "k"]],
                   vcov={"CRV1": "firm_id"})
    coef, se = fit.coef(), fit.se()
    return {"beta_l": float(coef["l"]), "beta_k": float(coef["k"]),
            "se_l": float(se["l"]), "se_k": float(se["k"]), "nobs": int(fit._N)}
