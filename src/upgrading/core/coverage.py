"""Coverage of confidence intervals over Monte Carlo draws: the Monte Carlo aggregate writes it,
the paper's numbers quote it."""

from __future__ import annotations

# The coverage every validation term's 95 % interval should reach over the Monte Carlo draws.
COVERAGE_TARGET = (0.92, 0.98)


def in_target(share):
    """Whether a coverage share (or each of an array of them) lies in COVERAGE_TARGET."""
    low, high = COVERAGE_TARGET
    return (share >= low) & (share <= high)


def mc_se(share, draws):
    """A coverage share of n draws is itself an estimate, known to about sqrt(p (1 - p) / n)."""
    return (share * (1 - share) / draws) ** 0.5


def clopper_pearson(covered: int, draws: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a coverage rate from `covered` of `draws`: valid for
    any number of draws, and never of zero width where all or none of them cover."""
    from scipy.stats import beta

    tail = (1 - level) / 2
    lo = 0.0 if covered == 0 else float(beta.ppf(tail, covered, draws - covered + 1))
    hi = 1.0 if covered == draws else float(beta.ppf(1 - tail, covered + 1, draws - covered))
    return lo, hi
