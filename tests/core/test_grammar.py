"""The term grammar: what parses, to what, and what is rejected."""

import pytest

from upgrading.core import grammar as g


@pytest.mark.parametrize("text, canonical", [
    ("backward", "backward"),
    ("  horizontal_hmt ", "horizontal_hmt"),
    ("l(backward, 1)", "l(backward,1)"),
    ("l(backward,2)", "l(backward,2)"),
    ("horizontal_hmt:cluster", "horizontal_hmt:cluster"),
    ("l(backward,1):absorptive_capacity", "l(backward,1):absorptive_capacity"),
    ("i(year, ref=2001)", "i(year,ref=2001)"),
    ("i(year, encouraged, ref=2001)", "i(year,encouraged,ref=2001)"),
    ("i(region, ref='western')", "i(region,ref='western')"),
    ("i(region, ref=\"western\"):backward", "i(region,ref='western'):backward"),
    ("i(year)", "i(year)"),
    ("l", "l"),  # log labour is a column, not the lag function
])
def test_valid_terms_parse_to_canonical_form(text, canonical):
    assert str(g.parse_term(text)) == canonical


def test_parsed_structure_and_columns():
    t = g.parse_term("i(year, encouraged, ref=2001):backward")
    ind, var = t.factors
    assert isinstance(ind, g.Indicator) and ind.var == "year" and ind.with_ == "encouraged"
    assert ind.ref == 2001 and isinstance(ind.ref, int)
    assert var == g.Var("backward")
    assert t.columns() == {"year", "encouraged", "backward"}
    lag = g.parse_term("l(forward, 3)").factors[0]
    assert lag == g.Lag("forward", 3)


@pytest.mark.parametrize("text, names", [
    ("firm_id", ("firm_id",)),
    ("city^year", ("city", "year")),
    ("industry2 ^ year", ("industry2", "year")),
    ("a^b^c", ("a", "b", "c")),
])
def test_fixed_effects(text, names):
    fe = g.parse_fixef(text)
    assert fe.names == names and str(fe) == "^".join(names)


@pytest.mark.parametrize("text", [
    'I(__import__("os").system("echo hacked"))',
    "__import__('os')",
    "x + y",
    "x * y",
    "np.log(x)",
    "log(x)",
    "x[0]",
    "l(x)",
    "l(x, 0)",
    "l(x, 1.5)",
    "l(x, -1)",
    "i(year, ref=2001, other)",
    "i(i(year))",
    "i(year):i(region)",
    "x:",
    ":x",
    "",
    "   ",
    "1x",
    "x; import os",
    "`x`",
])
def test_rejected_terms(text):
    with pytest.raises(g.GrammarError):
        g.parse_term(text)


@pytest.mark.parametrize("text", ["a^", "^a", "a:b", "a+b", "l(a,1)", "a b"])
def test_rejected_fixed_effects(text):
    with pytest.raises(g.GrammarError):
        g.parse_fixef(text)


def test_error_message_points_at_the_character():
    with pytest.raises(g.GrammarError, match=r"unexpected character '\.' at position 18"):
        g.parse_term('I(__import__("os").system("x"))'.replace('"', "'"))


def test_non_string_rejected():
    with pytest.raises(g.GrammarError, match="must be a string"):
        g.parse_term(3)
