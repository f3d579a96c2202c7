"""The raw layouts the synthetic world can write and the file name of each year in them.

Free of pandas and numpy: the workflow reads these names when Snakemake parses the rules.
"""

from __future__ import annotations

LAYOUTS = ("real_traits", "pinyin", "plain")
# Years whose real_traits file is not a plain csv: an old-Stata and a Stata 14 file, and a gzipped csv.
REAL_TRAITS_FORMAT = {2004: ".dta", 2006: ".dta", 2007: ".csv.gz"}


def year_file(layout: str, year: int) -> str:
    """The raw file name of a year in a layout (one file per year, asif_{year}.<format>)."""
    if layout == "plain":
        return f"asif_{year}.csv"
    if layout == "pinyin":
        return f"asif_{year}.dta"
    if layout == "real_traits":
        return f"asif_{year}" + REAL_TRAITS_FORMAT.get(year, ".csv")
    raise ValueError(f"unknown synth layout {layout!r} (one of {', '.join(LAYOUTS)})")
