"""pyfixest's call options that reproduce R fixest (the estimation engine, the production
functions' OLS and within fits, and the tests that compare with pf.feols all use these)."""

from __future__ import annotations

from upgrading.core.within import MAX_ITER, TOL

SSC = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}
FIXEF_RM = "none"
# Demeaning tolerance tighter than the 1e-6 default, so the cross-engine check compares
# estimators (agreement ~1e-10) rather than convergence noise (~1e-6 relative in SEs).
FIXEF_TOL = TOL
# The same iteration cap as the shared demeaning: firm + city^year needs more than pyfixest's 10,000
# sweeps at this tolerance.
FIXEF_MAXITER = MAX_ITER


def ssc():
    import pyfixest as pf

    return pf.ssc(**SSC)
