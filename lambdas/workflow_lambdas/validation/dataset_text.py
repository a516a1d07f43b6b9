"""What the training and the validation data checks share: the input fields, decoding, JSON Lines,
how locations are listed. Nothing here talks to AWS.

Every problem names the input field it belongs to and where in the file it is
(line numbers for JSON Lines, 1-based item positions for JSON arrays).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from workflow_lambdas.validation.problems import Problem

TRAINING_FIELD = "TrainingDataFileName"
VALIDATION_FIELD = "ValidationDataFileName"
REFERENCE_FIELD = "ReferenceDataFileName"

MAX_LISTED = 5  # locations listed in one problem before "and N more"

_LOCATION = re.compile(r"\b(?:lines?|items?) (\d+)\b")


def file_label(field: str, key: str, source: str | None = None) -> str:
    """How problems name a dataset: its S3 key, or ``path (Field)`` for the local file standing in for it."""
    return f"{source} ({field})" if source else key


def by_location(problems: Iterable[Problem]) -> list[Problem]:
    """Problems ordered by the first line (or item) they name; problems about the whole file go last.

    The sort is stable: problems at the same line, and whole-file problems, keep their order.
    """

    def key(problem: Problem) -> float:
        match = _LOCATION.search(problem.message)
        return int(match.group(1)) if match else float("inf")

    return sorted(problems, key=key)


def json_error(exc: json.JSONDecodeError, *, line: bool = False) -> str:
    """``Expecting ',' delimiter at column 7`` (``at line 3, column 7`` with ``line``).

    Some messages already end in "at" (``Unterminated string starting at``): no second "at".
    """
    place = f"line {exc.lineno}, column {exc.colno}" if line else f"column {exc.colno}"
    joiner = " " if exc.msg.endswith(" at") else " at "
    return f"{exc.msg}{joiner}{place}"


def where(locations: list[int], label: str = "line") -> str:
    """``line 3`` / ``lines 3, 7, 9, 12, 15 and 4 more``."""
    shown = ", ".join(str(n) for n in locations[:MAX_LISTED])
    more = f" and {len(locations) - MAX_LISTED} more" if len(locations) > MAX_LISTED else ""
    return f"{label}{'s' if len(locations) > 1 else ''} {shown}{more}"


def decode(data: bytes, field: str, name: str, *, allow_bom: bool) -> tuple[str | None, list[Problem]]:
    """The file's text (None when it cannot be read as UTF-8) and why not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            Problem(
                field,
                f"{name} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line})",
                "save the file with UTF-8 encoding",
            )
        ]
    if text.startswith("\ufeff"):
        if not allow_bom:
            return None, [
                Problem(
                    field,
                    f"{name} starts with a UTF-8 byte order mark, which breaks the first JSON line",
                    "save the file as UTF-8 without BOM",
                )
            ]
        text = text[1:]
    return text, []


def json_lines(text: str) -> tuple[list[tuple[int, Any]], list[int], str | None]:
    """Parse JSON Lines: ([(line number, value)], bad line numbers, first error)."""
    values: list[tuple[int, Any]] = []
    bad: list[int] = []
    first_error: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            values.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            bad.append(number)
            if first_error is None:
                first_error = json_error(exc)
    return values, bad, first_error


def string_field(record: dict[str, Any], key: str) -> str | None:
    """What is wrong with ``record[key]`` as a non-empty string, or None."""
    if key not in record:
        return f'missing "{key}"'
    if not isinstance(record[key], str):
        return f'"{key}" is not a string'
    if not record[key].strip():
        return f'empty "{key}"'
    return None
