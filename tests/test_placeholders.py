"""The placeholder check itself: it catches what a reader must not see and passes prose."""

from __future__ import annotations

import pytest

from placeholders import find_placeholders


@pytest.mark.parametrize("text", [
    "domestic equals True and ? balanced True",
    "region in ['prd', 'yrd', 'bohai']",
    "the coefficient is nan here",
    "cluster None",
    "TODO: fill in",
    "We translate the seed texts into statements",
    "see Table ?? for details",
    "venue not re-checked here",
])
def test_catches(text):
    assert find_placeholders(text), text


def test_passes_prose():
    text = ("Why do domestic manufacturers upgrade? Nonetheless, financial firms in Nanjing "
            "[see Table 2] (region is prd, yrd or bohai) and firms observed in every year.")
    assert find_placeholders(text) == []
