"""The JSON Schemas of content files, and their errors in words a teacher understands.

The schemas (`schemas/*.schema.json`) say what each file may hold; `schema_problems`
turns each violation into the field it concerns and a short message, so the loader can
print `path:line: steps[2]: expected a relative path inside the course folder`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from portal.catalogue.located_yaml import Where

SCHEMAS = ("course", "step", "glossary", "achievements")

TYPE_WORDS = {
    "number": "a number",
    "integer": "a whole number",
    "string": "a string",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "boolean": "true or false",
}
PATTERN_WORDS = {
    "\\S": "expected a non-empty string",
    "^[a-z0-9]+(-[a-z0-9]+)*$": "expected an id: lower-case letters and digits, single dashes",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "expected a date as YYYY-MM-DD",
}


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator of schema `name` (one of SCHEMAS)."""
    text = resources.files("portal.catalogue").joinpath(f"schemas/{name}.schema.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(name: str, data: Any) -> list[tuple[Where, str]]:
    """Every violation of schema `name` by `data`, as (where, message), in file order."""
    found = []
    for error in validator(name).iter_errors(data):
        found.extend(_describe(error))
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda item: [str(part) for part in item[0]])


def _describe(error: ValidationError) -> list[tuple[Where, str]]:
    where: Where = tuple(error.absolute_path)
    kind = error.validator
    if kind == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [
            ((*where, key), "missing (required)")
            for key in error.validator_value
            if key not in present
        ]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(key) for key in error.instance if key not in allowed)
        return [((*where, key), "unknown field") for key in extra]
    if kind == "oneOf" and isinstance(error.instance, dict):
        return [(where, "give either `markdown` or `file`, exactly one of them")]
    return [(where, _message(error))]


def _message(error: ValidationError) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "type":
        kinds = [value] if isinstance(value, str) else value
        return "expected " + " or ".join(TYPE_WORDS.get(k, k) for k in kinds)
    if kind == "pattern":
        if value in PATTERN_WORDS:
            return PATTERN_WORDS[value]
        if "A-Za-z0-9_./-" in value:
            return "expected a relative path inside the course folder"
        return f"must match {value}"
    if kind == "minLength":
        return "expected a non-empty string"
    if kind == "maxLength":
        return f"too long: at most {value} characters"
    if kind in ("enum", "const"):
        choices = value if kind == "enum" else [value]
        return "expected one of: " + ", ".join(str(choice) for choice in choices)
    if kind == "exclusiveMinimum":
        return f"must be more than {value}"
    if kind == "minimum":
        return f"must be at least {value}"
    if kind == "minItems":
        return f"needs at least {value} item{'s' if value != 1 else ''}"
    if kind in ("minProperties", "maxProperties"):
        return "give exactly one rule"
    if kind == "oneOf":
        return "expected `all` or a list of step ids"
    return error.message
