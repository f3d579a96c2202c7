"""Coverage of confidence intervals over Monte Carlo draws: the Monte Carlo aggregate writes it,
the paper's numbers quote it."""

from __future__ import annotations


def mc_se(share, draws):
    """A coverage share of n draws is itself an estimate, known to about sqrt(p (1 - p) / n)."""
    return (share * (1 - share) / draws) ** 0.5
