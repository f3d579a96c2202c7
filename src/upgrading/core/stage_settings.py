"""Typed, frozen settings of each stage, built from one section of the validated config.

Each stage declares its settings as a frozen dataclass in its own `settings` module
(synth, asif, productivity, measures, analysis, exhibits); the field defaults there are
the only defaults in the code, and tests/config/test_settings_defaults.py checks that
workflow/schemas/config.schema.yaml states the same ones. `build` turns a config mapping
into such a class: unknown keys, wrong types and values outside a Literal are errors that
name the key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

from upgrading.core.errors import InputError

T = TypeVar("T")


def build(cls: type[T], raw: Mapping[str, Any] | None, section: str) -> T:
    """`raw` (one config section, or part of one) as an instance of the dataclass `cls`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{section}: a mapping of settings expected, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise InputError(f"{section}: unknown setting(s) {unknown}; known: {sorted(fields)}")
    missing = [name for name, f in fields.items() if name not in raw
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise InputError(f"{section}: missing setting(s) {missing}")
    hints = typing.get_type_hints(cls)
    values = {name: convert(hints[name], value, f"{section}.{name}") for name, value in raw.items()}
    return cls(**values)


def convert(tp: Any, value: Any, where: str) -> Any:
    """`value` checked against the annotation `tp` (lists become tuples, int keys ints)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where)  # type: ignore[arg-type]
    if tp is Any:
        return value
    if origin is Literal:
        if value not in args:
            raise InputError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        problems = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(arg, value, where)
            except InputError as exc:
                problems.append(str(exc))
        raise InputError(" / ".join(problems) or f"{where}: {value!r} not allowed")
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise InputError(f"{where}: a list expected, got {value!r}")
        item = args[0] if args else Any
        return tuple(convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise InputError(f"{where}: a mapping expected, got {value!r}")
        key_tp, val_tp = args if args else (Any, Any)
        return {_key(key_tp, k, where): convert(val_tp, v, f"{where}.{k}") for k, v in value.items()}
    if tp is float:  # an int is a number too, and is kept as written
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: a number expected, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}: an integer expected, got {value!r}")
        return value
    if tp in (bool, str):
        if not isinstance(value, tp):
            raise InputError(f"{where}: {tp.__name__} expected, got {value!r}")
        return value
    raise TypeError(f"{where}: unsupported settings annotation {tp!r}")


def _key(tp: Any, key: Any, where: str) -> Any:
    """Mapping keys: YAML years and industry codes are ints, JSON makes them strings."""
    kinds = typing.get_args(tp) or (tp,)
    if int in kinds:
        try:
            return int(key)
        except (TypeError, ValueError):
            if str not in kinds:
                raise InputError(f"{where}: integer keys expected, got {key!r}") from None
    if str in kinds:
        return str(key)
    return key


def as_plain(obj: Any) -> Any:
    """Settings as plain data (dicts, lists): for JSON and for comparison with the schema."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: as_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_plain(v) for v in obj]
    return obj


def defaults(cls: type) -> dict[str, Any]:
    """{field: default} of the fields that have one (nested settings classes included)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = as_plain(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = as_plain(f.default_factory())
    return out
