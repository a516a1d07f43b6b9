"""The execution input JSON Schema, and its errors as problems (``field: what is wrong; how to fix``)."""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from workflow_lambdas.validation.names import CANDIDATE_NAME_RULES
from workflow_lambdas.validation.problems import Problem

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "execution-input.schema.json"
NAME_RULES = "use 1-63 letters, digits, '-', '+' or '.', starting with a letter or digit"
RESOURCE_NAMES = ("JobName", "CustomModelName")


@functools.cache
def load_schema() -> dict[str, Any]:
    """The execution input JSON Schema (the single definition of the input)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


def schema_problems(raw: Any) -> list[Problem]:
    """Problems of the input against the JSON Schema, in input order."""
    problems: list[Problem] = []
    for error in sorted(_validator().iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.extend(_schema_problem(error))
    return problems


def field_path(parts: list[Any]) -> str:
    """``["Candidates", 0, "Name"]`` → ``Candidates[0].Name``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def json_type(value: Any) -> str:
    """``a string``, ``a number``, ... : how a problem names a JSON value's type."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "an object"


def _example(subschema: Mapping[str, Any]) -> str:
    examples = subschema.get("examples") or []
    return f", e.g. {json.dumps(examples[0])}" if examples else ""


def _property_schema(path: list[Any]) -> Mapping[str, Any]:
    schema: Mapping[str, Any] = load_schema()
    for part in path:
        if isinstance(part, int):
            return {}
        schema = schema.get("properties", {}).get(part, {})
    return schema


@dataclass(frozen=True)
class _Error:
    """One schema error, as the messages read it."""

    path: list[Any]
    field: str
    value: Any
    rule: Any
    sub: Mapping[str, Any]
    message: str

    @classmethod
    def of(cls, error: SchemaError) -> _Error:
        path = list(error.absolute_path)
        # jsonschema's stubs type both as "Any | Unset"; a reported error always carries them.
        value: Any = error.instance
        rule: Any = error.validator_value
        sub = error.schema if isinstance(error.schema, Mapping) else {}
        return cls(path, field_path(path) or "Input", value, rule, sub, error.message)

    def problem(self, message: str, fix: str) -> list[Problem]:
        return [Problem(self.field, message, fix)]

    def shown(self, limit: int = 80) -> str:
        return json.dumps(self.value)[:limit]


def _required(error: _Error) -> list[Problem]:
    missing = [k for k in error.rule if k not in error.value]
    return [
        Problem(field_path([*error.path, k]), "is missing", f"add it{_example(_property_schema([*error.path, k]))}")
        for k in missing
    ]


def _additional(error: _Error) -> list[Problem]:
    known = list(error.sub.get("properties", {}))
    problems = []
    for extra in sorted(set(error.value) - set(known)):
        close = difflib.get_close_matches(extra, known, n=1, cutoff=0.6)
        fix = f"did you mean {close[0]}?" if close else f"remove it (known fields: {', '.join(known)})"
        problems.append(Problem(field_path([*error.path, extra]), "is not a known field", fix))
    return problems


def _type(error: _Error) -> list[Problem]:
    path, value, expected = error.path, error.value, error.rule
    candidate_hp = len(path) == 4 and path[0] == "Candidates" and path[2] == "HyperParameters"
    if (path and path[0] == "HyperParameters" and len(path) == 2) or candidate_hp:
        shown = json.dumps(str(value).lower() if isinstance(value, bool) else str(value))
        return error.problem(
            f"is {json_type(value)}, but Bedrock expects every hyperparameter as a string",
            f"write it as a string: {shown}",
        )
    return error.problem(
        f"is {json_type(value)} ({error.shown(40)}), expected {expected}", f"use {expected}{_example(error.sub)}"
    )


def _enum(error: _Error) -> list[Problem]:
    options = ", ".join(str(o) for o in error.rule)
    return error.problem(f"is {error.shown(60)}, not one of {options}", f"use one of {options}")


def _range(error: _Error) -> list[Problem]:
    sub = error.sub
    low = sub.get("minimum", sub.get("exclusiveMinimum"))
    high = sub.get("maximum", sub.get("exclusiveMaximum"))
    return error.problem(
        f"is {error.value}, outside the allowed range",
        f"use a value from {low} to {high}{' (exclusive)' if 'exclusiveMaximum' in sub else ''}",
    )


def _pattern(error: _Error) -> list[Problem]:
    path = error.path
    if len(path) == 3 and path[0] == "Candidates" and path[2] == "Name":
        return error.problem(f"{error.shown()} cannot be part of resource names", CANDIDATE_NAME_RULES)
    if error.field in RESOURCE_NAMES:
        return error.problem(f"{error.shown()} has characters Bedrock does not accept", NAME_RULES)
    return error.problem(f"{error.shown()} is not an email address", 'use an address like "ml-team@example.com"')


def _max_length(error: _Error) -> list[Problem]:
    fix = "shorten it (a run suffix is added within the limit)" if error.field in RESOURCE_NAMES else "shorten it"
    return error.problem(f"is {len(error.value)} characters long, more than {error.rule}", fix)


def _min_length(error: _Error) -> list[Problem]:
    return error.problem("is empty", f"give a value{_example(_property_schema(error.path))}")


def _one_of(error: _Error) -> list[Problem]:
    if error.path and error.path[0] == "NotificationEmail":
        return error.problem(
            f"{error.shown()} is not an email address or a list of addresses",
            'use "ml-team@example.com" or ["a@example.com", "b@example.com"]',
        )
    return _other(error)


def _items(error: _Error) -> list[Problem]:
    return error.problem(error.message[:120], f"fix the list{_example(_property_schema(error.path))}")


def _other(error: _Error) -> list[Problem]:
    return error.problem(error.message[:160], f"see the execution input schema{_example(error.sub)}")


_BY_KIND: dict[str, Callable[[_Error], list[Problem]]] = {
    "required": _required,
    "additionalProperties": _additional,
    "type": _type,
    "enum": _enum,
    "minimum": _range,
    "maximum": _range,
    "exclusiveMinimum": _range,
    "exclusiveMaximum": _range,
    "pattern": _pattern,
    "maxLength": _max_length,
    "minLength": _min_length,
    "oneOf": _one_of,
    "minItems": _items,
    "maxItems": _items,
    "uniqueItems": _items,
}


def _schema_problem(error: SchemaError) -> list[Problem]:
    return _BY_KIND.get(str(error.validator), _other)(_Error.of(error))
