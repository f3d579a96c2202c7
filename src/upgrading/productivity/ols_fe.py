"""OLS and within (firm fixed effects) production functions, by pyfixest.

Both keep year effects and cluster standard errors by firm (CRV1 with fixest's small-sample
correction, and singletons kept, as the compendium's estimation engine does). OLS ignores the
simultaneity of inputs and productivity, so its labour elasticity is biased up; the within
estimator removes only the firm-constant part.
"""

from __future__ import annotations

import pandas as pd

from upgrading.core.fixest import FIXEF_RM, FIXEF_TOL, ssc

EFFECTS = {"ols": "year", "fe": "firm_id + year"}


def estimate(df: pd.DataFrame, method: str, free: tuple[str, ...] = ("l",)) -> dict:
    """beta_<input>, se_<input> (free inputs and k), nobs for one industry's firm-years."""
    import pyfixest as pf  # imported here: only this stage pays for it

    inputs = [*free, "k"]
    fit = pf.feols(f"y ~ {' + '.join(inputs)} | {EFFECTS[method]}",
                   data=df[["firm_id", "year", "y", *inputs]], vcov={"CRV1": "firm_id"},
                   ssc=ssc(), fixef_rm=FIXEF_RM, fixef_tol=FIXEF_TOL)
    coef, se = fit.coef(), fit.se()
    out = {"nobs": int(fit._N)}
    for name in inputs:
        out[f"beta_{name}"] = float(coef.get(name, float("nan")))
        out[f"se_{name}"] = float(se.get(name, float("nan")))
    return out
