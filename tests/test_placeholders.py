"""The placeholder check itself: it catches what a reader must not see and passes prose."""

from __future__ import annotations

import pytest

from placeholders import find_internal_ids, find_placeholders


@pytest.mark.parametrize("text", [
    "domestic equals True and ? balanced True",
    "region in ['prd', 'yrd', 'bohai']",
    "the coefficient is nan here",
    "cluster None",
    "TODO: fill in",
    "We translate the seed texts into statements",
    "see Table ?? for details",
    "venue not re-checked here",
    "Firm, city x year",
    "Industry x year clusters",
])
def test_catches(text):
    assert find_placeholders(text), text


def test_passes_prose():
    text = ("Why do domestic manufacturers upgrade? Nonetheless, financial firms in Nanjing "
            "[see Table 2] (region is prd, yrd or bohai) and firms observed in every year.")
    assert find_placeholders(text) == []


def test_internal_ids_in_the_text_but_not_in_the_registry_appendix():
    text = ("Samples: domestic_coastal in column (3). Model baseline/firm_year.\n"
            "D The specification registry\n firm_year domestic_balanced")
    hits = find_internal_ids(text)
    assert len(hits) == 2 and "domestic_coastal" in hits[0] and "firm_year" in hits[1]
    assert find_internal_ids("Samples: domestic firm-years of the coastal regions.") == []
