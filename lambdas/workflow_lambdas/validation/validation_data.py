"""The evaluation set of an input: validation records (JSON Lines or a JSON array) and their references.

Nothing here talks to AWS. ``parse_validation`` returns the normalised evaluation records or raises
``DatasetProblems`` listing every problem.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from workflow_lambdas.validation.dataset_text import (
    REFERENCE_FIELD,
    VALIDATION_FIELD,
    by_location,
    decode,
    json_error,
    json_lines,
    string_field,
    where,
)
from workflow_lambdas.validation.problems import DatasetProblems, Problem, Problems

DEFAULT_MAX_PROMPT_CHARS = 100_000
REFERENCE_ARRAY_FIX = "write a JSON array of reference strings, one per prompt"


@dataclass(frozen=True)
class EvalRecord:
    id: str
    prompt: str
    reference: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def _load_validation(data: bytes, field: str, name: str) -> tuple[list[tuple[int, Any]], str, list[Problem]]:
    """(items with their location, location label, problems) of a JSON array or JSONL file."""
    text, problems = decode(data, field, name, allow_bom=True)
    if text is None:
        return [], "line", problems
    if not text.strip():
        return [], "line", [Problem(field, f"{name} is empty", "upload the validation prompts and references")]
    if text.lstrip().startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            return (
                [],
                "item",
                [
                    Problem(
                        field,
                        f"{name} is not valid JSON ({json_error(exc, line=True)})",
                        "fix the JSON array, or write JSON Lines with one record per line",
                    )
                ],
            )
        if isinstance(loaded, list):
            return list(enumerate(loaded, start=1)), "item", []
    values, bad, first_error = json_lines(text)
    if bad:
        problems.append(
            Problem(
                field,
                f"{name} {where(bad)}: not valid JSON ({first_error})",
                'write one {"id": ..., "prompt": ..., "reference": ...} object per line',
            )
        )
    return values, "line", problems


def references_needed(data: bytes) -> bool:
    """True if the validation records load and none carries a ``reference`` (a reference file is needed).

    False when they carry their own references, or when the file cannot be read
    at all (``parse_validation`` then reports why, and no reference file is looked up).
    """
    items, _, _ = _load_validation(data, VALIDATION_FIELD, "validation data")
    return bool(items) and not any(isinstance(obj, dict) and "reference" in obj for _, obj in items)


def _load_references(data: bytes, field: str, name: str) -> tuple[list[Any] | None, list[Problem]]:
    text, problems = decode(data, field, name, allow_bom=True)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(field, f"{name} is empty", REFERENCE_ARRAY_FIX)]
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        values, bad, _ = json_lines(text)
        if values and not bad:
            return None, [
                Problem(
                    field,
                    f"{name} is JSON Lines, but a JSON array of reference strings is expected",
                    'wrap the values in [ ] separated by commas, or put a "reference" on each validation record',
                )
            ]
        return None, [Problem(field, f"{name} is not valid JSON ({json_error(exc, line=True)})", REFERENCE_ARRAY_FIX)]
    if not isinstance(loaded, list):
        return None, [Problem(field, f"{name} is not a JSON array", REFERENCE_ARRAY_FIX)]
    return loaded, []


class _Records:
    """The loaded validation records (objects; an item that is not one stands as ``{}``) and their problems."""

    def __init__(self, items: list[tuple[int, Any]], label: str, name: str, problems: list[Problem]) -> None:
        self.label, self.name = label, name
        self.problems = Problems(problems)
        self.not_object = [n for n, obj in items if not isinstance(obj, dict)]
        self._skip = set(self.not_object)
        self.objects = [(n, obj if isinstance(obj, dict) else {}) for n, obj in items]

    def add(self, numbers: list[int], issue: str, fix: str) -> None:
        self.problems.add(VALIDATION_FIELD, f"{self.name} {where(numbers, self.label)}: {issue}", fix)

    def checked(self) -> list[tuple[int, dict[str, Any]]]:
        """The records that are objects (the others are reported once, as not a JSON object)."""
        return [(n, obj) for n, obj in self.objects if n not in self._skip]


def parse_validation(
    validation: bytes,
    references: bytes | None,
    *,
    validation_name: str,
    reference_name: str | None = None,
    max_prompt_chars: int = DEFAULT_MAX_PROMPT_CHARS,
) -> list[EvalRecord]:
    """Normalised evaluation records from the validation data (and reference file).

    Accepted: JSONL with ``id``, ``prompt``, ``reference`` per line (ids optional:
    all or none); a JSON array of ``{"prompt": ...}`` objects plus a JSON array of
    reference strings matched by position (the ancestor's two files); JSONL
    without references plus such a reference array. Generated ids are
    ``rec-00001``, ``rec-00002``, ... Raises ``DatasetProblems`` listing every problem.
    """
    items, label, loading_problems = _load_validation(validation, VALIDATION_FIELD, validation_name)
    if not items:
        if not loading_problems:
            loading_problems.append(
                Problem(VALIDATION_FIELD, f"{validation_name} holds no records", "add at least one prompt")
            )
        raise DatasetProblems(loading_problems)
    # Lines that are not JSON are reported; the others are still checked.
    records = _Records(items, label, validation_name, loading_problems)
    if records.not_object:
        records.add(
            records.not_object,
            "not a JSON object",
            'write each record as {"id": "...", "prompt": "...", "reference": "..."}',
        )
    ids = _ids(records)
    _prompt_problems(records, max_prompt_chars)
    if any("reference" in obj for _, obj in records.objects):
        reference_values = _own_references(records)
    elif references is None:
        records.problems.add(
            REFERENCE_FIELD,
            f'{validation_name} has no "reference" values and no reference file was found',
            'add "reference" to every record, or upload a JSON array of reference strings (ReferenceDataFileName)',
        )
        reference_values = []
    else:
        reference_values = _file_references(records, references, reference_name or "the reference file")
    if records.problems:
        raise DatasetProblems(by_location(records.problems))
    generate = not any("id" in obj for _, obj in records.objects)
    return [
        EvalRecord(
            id=f"rec-{index:05d}" if generate else str(record_id),
            prompt=obj["prompt"],
            reference=reference,
        )
        for index, ((_, obj), record_id, reference) in enumerate(
            zip(records.objects, ids, reference_values, strict=True), start=1
        )
    ]


def _ids(records: _Records) -> list[str | None]:
    """Each record's id (None where it has none, or a bad one); ids are all or none, and unique."""
    ids: list[str | None] = []
    bad_ids: list[int] = []
    for n, obj in records.objects:
        value = obj.get("id")
        if (
            isinstance(value, bool)
            or not isinstance(value, str | int)
            or (isinstance(value, str) and not value.strip())
        ):
            ids.append(None)
            if "id" in obj:
                bad_ids.append(n)
        else:
            ids.append(str(value))
    with_id = [n for n, obj in records.objects if "id" in obj]
    if with_id and len(with_id) != len(records.objects):
        missing = [n for n, obj in records.checked() if "id" not in obj]
        if missing:
            records.add(
                missing,
                'missing "id" (other records have one)',
                "give every record a unique id, or remove all ids to have them generated",
            )
    if bad_ids:
        records.add(bad_ids, '"id" is not a non-empty string', 'use string ids like "q-001"')
    _duplicate_id_problems(records, ids)
    return ids


def _duplicate_id_problems(records: _Records, ids: list[str | None]) -> None:
    seen: dict[str, int] = {}
    duplicates: list[int] = []
    first_duplicate: str | None = None
    for (n, _), value in zip(records.objects, ids, strict=True):
        if value is None:
            continue
        if value in seen:
            duplicates.append(n)
            first_duplicate = first_duplicate or value
        else:
            seen[value] = n
    if duplicates:
        records.add(duplicates, f"duplicate id (first: {first_duplicate!r})", "give every record a unique id")


def _prompt_problems(records: _Records, max_prompt_chars: int) -> None:
    prompt_issues: dict[str, list[int]] = {}
    for n, obj in records.checked():
        issue = string_field(obj, "prompt")
        if issue is None and len(obj["prompt"]) > max_prompt_chars:
            issue = f"prompt longer than {max_prompt_chars} characters"
        if issue:
            prompt_issues.setdefault(issue, []).append(n)
    for issue, numbers in prompt_issues.items():
        fix = (
            "shorten the prompt or drop the record"
            if issue.startswith("prompt longer")
            else 'give every record a non-empty "prompt" string'
        )
        records.add(numbers, issue, fix)


def _own_references(records: _Records) -> list[Any]:
    """The records' own ``reference`` values (records carry them)."""
    ref_issues: dict[str, list[int]] = {}
    for n, obj in records.checked():
        issue = string_field(obj, "reference")
        if issue:
            ref_issues.setdefault(issue, []).append(n)
    for issue, numbers in ref_issues.items():
        records.add(numbers, issue, 'give every record a non-empty "reference" string')
    return [obj.get("reference") for _, obj in records.objects]


def _file_references(records: _Records, references: bytes, reference_name: str) -> list[Any]:
    """The references of the reference file, matched to the records by position."""
    loaded, ref_problems = _load_references(references, REFERENCE_FIELD, reference_name)
    records.problems.extend(ref_problems)
    if loaded is None:
        return []
    if len(loaded) != len(records.objects):
        records.problems.add(
            REFERENCE_FIELD,
            f"{reference_name} has {len(loaded)} references but {records.name} has {len(records.objects)} prompts",
            "give exactly one reference per prompt, in the same order",
        )
    not_string = [i for i, v in enumerate(loaded, start=1) if not isinstance(v, str)]
    empty = [i for i, v in enumerate(loaded, start=1) if isinstance(v, str) and not v.strip()]
    if not_string:
        records.problems.add(
            REFERENCE_FIELD,
            f"{reference_name} {where(not_string, 'item')}: not a string",
            "write each reference as a JSON string",
        )
    if empty:
        records.problems.add(
            REFERENCE_FIELD,
            f"{reference_name} {where(empty, 'item')}: empty reference",
            "give every prompt a non-empty reference",
        )
    return loaded
