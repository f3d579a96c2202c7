"""Group codes for clusters and effects: core.demean.sorted_codes gives np.unique's codes and
labels, and core.within.cluster_rows each group's rows in their order, on either sort path."""

from __future__ import annotations

import numpy as np
import pytest

from upgrading.core.demean import group_codes, sorted_codes
from upgrading.core.within import cluster_rows

RNG = np.random.default_rng(4)
INTS = RNG.choice(np.array([40, 13, 27, 31, 13]), 5000)


@pytest.mark.parametrize("labels", [
    INTS, INTS.astype(float), INTS.astype(str), np.where(INTS == 27, np.nan, INTS.astype(float)),
    INTS.reshape(-1, 1),
], ids=["int", "float", "str", "float with missing", "column"])
def test_sorted_codes_are_np_unique_codes(labels):
    codes, uniq = sorted_codes(labels)
    ref_uniq, ref_codes = np.unique(labels, return_inverse=True)
    np.testing.assert_array_equal(codes, ref_codes.ravel())
    np.testing.assert_array_equal(uniq, ref_uniq)
    assert codes.ndim == 1
    g, n = group_codes(labels.ravel())
    np.testing.assert_array_equal(g, ref_codes.ravel())
    np.testing.assert_array_equal(n, np.bincount(ref_codes.ravel()).astype(float))


@pytest.mark.parametrize("n_groups", [30, 40_000], ids=["16-bit radix", "64-bit"])
def test_cluster_rows_are_each_groups_rows_in_order(n_groups):
    codes = RNG.integers(0, n_groups, 100_000)
    rows = cluster_rows(codes, n_groups)
    assert len(rows) == n_groups
    for g in RNG.choice(n_groups, 20):
        np.testing.assert_array_equal(rows[g], np.flatnonzero(codes == g))
