"""Industry sets of the synthetic world that the paper's text names as well (pandas-free)."""

from __future__ import annotations

# Two-digit CIC industries where the synthetic world's captive lock-in acts: clusters prone to it
# (docs/calibration.md: the apparel and textile case study).
SYNTH_LOCK_IN = frozenset({17, 18, 19, 24, 42})
