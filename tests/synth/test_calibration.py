"""Calibration moments inside the tolerances stated beside each FACTS.md target.

Tested at small scale (the moments are shares and dispersions, so they do not depend on
scale beyond sampling noise); medium scale is run by hand as a benchmark
(`upgrading synthesize --scale medium ...` then `--describe`)."""

from __future__ import annotations

from upgrading.synth.describe import moments

# Moments whose FACTS.md source uses another normalisation or a different population:
# reported in the table, not required here (see describe.TARGETS).
REPORTED_ONLY = {"horizontal_sd", "backward_mean", "backward_sd", "forward_mean", "forward_sd"}


def test_moments_within_tolerance(world):
    per_year, table = moments(world)
    checked = table[~table["moment"].isin(REPORTED_ONLY)]
    bad = checked[~checked["ok"]]
    assert bad.empty, bad.to_string()
    assert len(checked) >= 9


def test_firm_counts_grow_with_the_2004_census_jump(world):
    per_year, _ = moments(world)
    firms = per_year["firms"]
    assert firms[2007] > 1.8 * firms[1998]
    assert firms[2004] > 1.3 * firms[2003]
    assert ((per_year["firms"] / per_year["target"] - 1).abs() < 0.05).all()
    assert per_year["fie_share_firms"].iloc[-1] > per_year["fie_share_firms"].iloc[0]  # FIEs rise
