"""Short messages for a configuration that breaks workflow/schemas/config.schema.yaml.

Snakemake's own `validate` reports a violation with the whole schema and the whole
configuration (a thousand lines for this project); the Snakefile calls `checked` instead,
which stops with one line per offending key (`problems`: where it is, what it holds, what is
allowed), then sets the schema's defaults (`fill_defaults`), as `validate` would. The schema is
parsed once, by libyaml. Kept free of pandas: the Snakefile imports it at parse time.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from upgrading.core import parse_checks
from upgrading.core.io import read_yaml

MAX_PROBLEMS = 10
_MAX_VALUE = 60


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _schema_at(schema: dict, path) -> dict:
    """The sub-schema describing `path` (properties / additionalProperties / items), best effort."""
    node = schema
    for part in path:
        props = node.get("properties") or {}
        if isinstance(part, str) and part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            return {}
    return node


def _describe(error, schema: dict) -> str:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(_schema_at(schema, path).get("properties") or {})
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        lines = []
        for key in extra:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            lines.append(f"config key {_key(path + [key])}: unknown key{hint}; allowed keys here: "
                         f"{', '.join(allowed)}")
        return "\n".join(lines) or f"config key {_key(path)}: {error.message}"
    where = f"config key {_key(path)} = {_short(error.instance)}"
    if error.validator == "enum":
        return f"{where}: not an allowed value; allowed: {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"{where}: must be of type {error.validator_value}"
    if error.validator in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return f"{where}: {error.validator} is {error.validator_value}"
    if error.validator == "required":
        return f"config key {_key(path)}: {error.message}"
    # Any other rule: jsonschema's one-line message, never the schema dump.
    return f"{where}: {error.message.splitlines()[0][:200]}"


@functools.cache
def _schema(schema_path: str | Path) -> dict:
    return read_yaml(schema_path)


def problems(config: dict, schema_path: str | Path) -> list[str]:
    """One line per schema violation of `config` (empty when it is valid), in key order."""
    import jsonschema

    schema = _schema(schema_path)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    lines = [_describe(e, schema) for e in errors]
    if len(lines) > MAX_PROBLEMS:
        lines = lines[:MAX_PROBLEMS] + [f"... and {len(lines) - MAX_PROBLEMS} more"]
    return lines


def fill_defaults(config: dict, schema_path: str | Path) -> None:
    """Set the schema's `default` of every key `config` leaves out, at every level the schema
    describes (what snakemake.utils.validate does with set_default=True). `config` must be valid."""
    import jsonschema

    schema = _schema(schema_path)
    base = jsonschema.validators.validator_for(schema)
    check_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):
        for name, sub in properties.items():
            if "default" in sub:
                instance.setdefault(name, sub["default"])
        yield from check_properties(validator, properties, instance, subschema)

    jsonschema.validators.extend(base, {"properties": set_defaults})(schema).validate(config)


def checked(config: dict, schema_path: str | Path, context: list[bytes]) -> list[str]:
    """Validate `config` and, when it is valid, fill in the schema's defaults in place; return
    the problems (empty when valid). The filled configuration is remembered under the content of
    `config`, the schema, this module and `context` (the lock file pinning jsonschema), so a start
    with all of them unchanged reads it back instead of validating again."""
    content = parse_checks.key([repr(config), *parse_checks.source_bytes(schema_path, __file__), *context])
    filled = parse_checks.recall("config", content)
    if isinstance(filled, dict):
        config.clear()
        config.update(filled)
        return []
    found = problems(config, schema_path)
    if found:
        return found
    fill_defaults(config, schema_path)
    parse_checks.remember("config", content, config)
    return []
