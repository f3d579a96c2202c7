"""The term grammar of the specification registry: a tokenizer and a recursive-descent parser.

A spec string is never evaluated: it is tokenized into names, integers, numbers and
punctuation, then parsed against this grammar, and anything else is rejected.

    term    := factor (":" factor)*                      interaction x:y
    factor  := NAME                                      a column
             | "l" "(" NAME "," INT ")"                  lag k of a column within the panel unit
             | "i" "(" NAME ["," NAME] ["," "ref" "=" VALUE] ")"   dummies of a categorical
                                                          (optionally times a second column)
    fixef   := NAME ("^" NAME)*                           fixed effect or interacted fixed effects
    VALUE   := INT | NUMBER | NAME | STRING

Parsed terms are small frozen dataclasses; `str()` gives the canonical spelling
(used as the term label in tidy output and for matching between engines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_RE = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN_RE = re.compile(
    rf"\s*(?:(?P<number>-?\d+(?:\.\d+)?)|(?P<name>{NAME_RE})|(?P<string>'[^'\\]*'|\"[^\"\\]*\")"
    r"|(?P<punct>[():,=^]))"
)
# Function names of the grammar: `l(` starts a lag, a bare `l` is a column (log labour).
RESERVED = {"l", "i"}


class GrammarError(ValueError):
    """A term that does not follow the registry's grammar."""


@dataclass(frozen=True)
class Var:
    name: str

    def columns(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Lag:
    name: str
    k: int

    def columns(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return f"l({self.name},{self.k})"


@dataclass(frozen=True)
class Indicator:
    """i(var, [with_,] ref=...): one dummy per level of `var` except `ref` (times `with_`)."""

    var: str
    with_: str | None = None
    ref: object = None

    def columns(self) -> set[str]:
        return {self.var} | ({self.with_} if self.with_ else set())

    def __str__(self) -> str:
        parts = [self.var] + ([self.with_] if self.with_ else [])
        if self.ref is not None:
            parts.append(f"ref={self.ref!r}" if isinstance(self.ref, str) else f"ref={self.ref}")
        return f"i({','.join(parts)})"


@dataclass(frozen=True)
class Term:
    """A product of factors (one factor for a plain term)."""

    factors: tuple

    def columns(self) -> set[str]:
        out: set[str] = set()
        for f in self.factors:
            out |= f.columns()
        return out

    def __str__(self) -> str:
        return ":".join(str(f) for f in self.factors)


@dataclass(frozen=True)
class FixedEffect:
    """a or a^b^...: one effect per (combined) level."""

    names: tuple

    def columns(self) -> set[str]:
        return set(self.names)

    def __str__(self) -> str:
        return "^".join(self.names)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; any character outside the grammar's alphabet is an error."""
    if not isinstance(text, str):
        raise GrammarError(f"term must be a string, got {type(text).__name__}: {text!r}")
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN_RE.match(stripped, pos)
        if not m or m.end() == pos:
            raise GrammarError(f"unexpected character {stripped[pos]!r} at position {pos} in {text!r}")
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN_RE is a named group
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    if not tokens:
        raise GrammarError("empty term")
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0):
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else (None, None)

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        tk, tv = self.peek()
        if tk is None or (kind and tk != kind) or (value and tv != value):
            want = value or kind
            got = "end of term" if tk is None else repr(tv)
            raise GrammarError(f"expected {want} but found {got} in {self.text!r}")
        self.pos += 1
        return tv

    def at(self, value: str) -> bool:
        return self.peek()[1] == value and self.peek()[0] == "punct"

    def done(self) -> None:
        if self.pos != len(self.tokens):
            raise GrammarError(f"unexpected {self.peek()[1]!r} in {self.text!r}")

    def name(self) -> str:
        n = self.take("name")
        if n in RESERVED and self.peek()[1] == "(":
            raise GrammarError(f"{n}() is not allowed here in {self.text!r}")
        return n

    def value(self):
        kind, v = self.peek()
        if kind == "number":
            self.pos += 1
            return float(v) if "." in v else int(v)
        if kind == "string":
            self.pos += 1
            return v[1:-1]
        if kind == "name":
            self.pos += 1
            return {"true": True, "false": False}.get(v, v)
        raise GrammarError(f"expected a value after ref= in {self.text!r}")

    def factor(self):
        kind, v = self.peek()
        if kind == "name" and v in RESERVED and self.peek(1)[1] == "(":
            self.pos += 2
            if v == "l":
                col = self.name()
                self.take("punct", ",")
                k = self.take("number")
                if not re.fullmatch(r"\d+", k) or int(k) < 1:
                    raise GrammarError(f"lag order must be a positive integer in {self.text!r}")
                self.take("punct", ")")
                return Lag(col, int(k))
            var, with_, ref = self.name(), None, None
            while self.at(","):
                self.take("punct", ",")
                if self.peek()[1] == "ref" and self.peek(1)[1] == "=":
                    self.pos += 2
                    ref = self.value()
                elif with_ is None and ref is None:
                    with_ = self.name()
                else:
                    raise GrammarError(f"i() takes a variable, an optional second variable and ref= in {self.text!r}")
            self.take("punct", ")")
            return Indicator(var, with_, ref)
        return Var(self.name())


def _separated(text: str, separator: str, item) -> tuple:
    """item (sep item)* over the whole text; `item` reads one element from the parser."""
    p = _Parser(text)
    items = [item(p)]
    while p.at(separator):
        p.take("punct", separator)
        items.append(item(p))
    p.done()
    return tuple(items)


def parse_term(text: str) -> Term:
    factors = _separated(text, ":", _Parser.factor)
    if sum(isinstance(f, Indicator) for f in factors) > 1:
        raise GrammarError(f"at most one i() per interaction in {text!r}")
    return Term(factors)


def parse_fixef(text: str) -> FixedEffect:
    return FixedEffect(_separated(text, "^", _Parser.name))


def parse_column(text: str) -> str:
    """A bare column name (outcomes, weights, cluster variables may be a^b)."""
    p = _Parser(text)
    n = p.name()
    p.done()
    return n
