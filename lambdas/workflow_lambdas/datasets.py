"""Dataset checks shared by the Lambdas (S3 bytes) and the CLI (local file bytes).

Nothing here talks to AWS. ``check_training`` returns problems; ``parse_validation``
returns the normalised evaluation records or raises ``DatasetProblems``.
Every problem names the input field it belongs to and where in the file it is
(line numbers for JSON Lines, 1-based item positions for JSON arrays).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from workflow_lambdas import model_families as mf

TRAINING_FIELD = "TrainingDataFileName"
VALIDATION_FIELD = "ValidationDataFileName"
REFERENCE_FIELD = "ReferenceDataFileName"

DEFAULT_MAX_PROMPT_CHARS = 100_000
MAX_LISTED = 5  # locations listed in one problem before "and N more"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: ``field: what is wrong; how to fix``.

    ``named``: the message itself starts by naming the field, as ``train.jsonl (TrainingDataFileName)
    line 3: ...`` for a local file standing in for a dataset (the CLI); the line then has no ``field:`` prefix.
    """

    field: str
    message: str
    fix: str
    named: bool = False

    def __str__(self) -> str:
        head = "" if self.named else f"{self.field}: "
        return f"{head}{self.message}; {self.fix}"


def file_label(field: str, key: str, source: str | None = None) -> str:
    """How problems name a dataset: its S3 key, or ``path (Field)`` for the local file standing in for it."""
    return f"{source} ({field})" if source else key


@dataclass(frozen=True)
class EvalRecord:
    id: str
    prompt: str
    reference: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class DatasetProblems(ValueError):
    """A dataset could not be used; ``problems`` says why."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- helpers -------------------------------------------------------------------------

_LOCATION = re.compile(r"\b(?:lines?|items?) (\d+)\b")


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


def _decode(data: bytes, field: str, name: str, *, allow_bom: bool) -> tuple[str | None, list[Problem]]:
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


def _json_lines(text: str) -> tuple[list[tuple[int, Any]], list[int], str | None]:
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


def _is_json_array(text: str) -> bool:
    if not text.lstrip().startswith("["):
        return False
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


# --- training data ----------------------------------------------------------------------


def detect_format(record: dict[str, Any]) -> str | None:
    """The training data format one record is written in, or None."""
    if "messages" in record:
        messages = record.get("messages")
        if "schemaVersion" in record or isinstance(record.get("system"), list):
            return mf.CONVERSATION
        if isinstance(messages, list):
            for message in messages:
                content = message.get("content") if isinstance(message, dict) else None
                if isinstance(content, str):
                    return mf.ANTHROPIC_MESSAGES
                if isinstance(content, list) and content and isinstance(content[0], dict):
                    return mf.ANTHROPIC_MESSAGES if "type" in content[0] else mf.CONVERSATION
        return mf.CONVERSATION
    if "prompt" in record or "completion" in record:
        return mf.PROMPT_COMPLETION
    if "input" in record:
        return mf.CONTINUED_INPUT
    return None


_FORMAT_NAMES = {
    mf.PROMPT_COMPLETION: "prompt/completion",
    mf.CONTINUED_INPUT: "continued pre-training (input)",
    mf.CONVERSATION: "Bedrock conversation (bedrock-conversation-2024)",
    mf.ANTHROPIC_MESSAGES: "Anthropic messages",
}


def _string_field(record: dict[str, Any], key: str) -> str | None:
    if key not in record:
        return f'missing "{key}"'
    if not isinstance(record[key], str):
        return f'"{key}" is not a string'
    if not record[key].strip():
        return f'empty "{key}"'
    return None


def _check_turns(roles: list[str], *, needs_answer: bool) -> str | None:
    if not roles:
        return '"messages" is empty'
    if roles[0] != "user":
        return "the first message is not from the user"
    if any(a == b for a, b in zip(roles, roles[1:], strict=False)):
        return "user and assistant messages do not alternate"
    if needs_answer and roles[-1] != "assistant":
        return "the last message is not from the assistant"
    return None


def _check_conversation(record: dict[str, Any], customization_type: str) -> list[str]:
    issues = []
    version = record.get("schemaVersion")
    if version is not None and version != mf.CONVERSATION:
        issues.append(f'"schemaVersion" is not "{mf.CONVERSATION}"')
    system = record.get("system")
    if system is not None and not (
        isinstance(system, list) and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in system)
    ):
        issues.append('"system" is not a list of {"text": ...} blocks')
    messages = record.get("messages")
    if not isinstance(messages, list):
        return issues + ['missing "messages" list']
    roles = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            issues.append('a message has no "role" of "user" or "assistant"')
            return issues
        roles.append(message["role"])
        content = message.get("content")
        if not isinstance(content, list) or not content or not all(isinstance(b, dict) for b in content):
            issues.append('a message "content" is not a non-empty list of blocks')
            return issues
        texts = [b["text"] for b in content if "text" in b]
        if any(not isinstance(t, str) for t in texts):
            issues.append('a content "text" is not a string')
        elif texts and not any(t.strip() for t in texts):
            issues.append("a message has empty text")
    turn_issue = _check_turns(roles, needs_answer=customization_type != mf.DISTILLATION)
    if turn_issue:
        issues.append(turn_issue)
    return issues


def _check_anthropic(record: dict[str, Any]) -> list[str]:
    issues = []
    extra = sorted(set(record) - {"system", "messages"})
    if extra:
        issues.append(f"unexpected keys {', '.join(extra)} (only system and messages are allowed)")
    if "system" in record and not isinstance(record["system"], str):
        issues.append('"system" is not a string')
    messages = record.get("messages")
    if not isinstance(messages, list):
        return issues + ['missing "messages" list']
    roles = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return issues + ['a message has no "role" of "user" or "assistant"']
        roles.append(message["role"])
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
        if not _nonempty_str(content):
            issues.append('a message has empty or missing "content"')
    if len(roles) < 2:
        issues.append("fewer than two messages")
    turn_issue = _check_turns(roles, needs_answer=True)
    if turn_issue:
        issues.append(turn_issue)
    return issues


def _reserved_in(record: dict[str, Any]) -> list[str]:
    """The Nova reserved keywords a conversation record's system or user text uses, in table order."""
    texts: list[str] = []
    system = record.get("system")
    if isinstance(system, list):
        texts.extend(b["text"] for b in system if isinstance(b, dict) and isinstance(b.get("text"), str))
    messages = record.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict) and message.get("role") == "user" and isinstance(message.get("content"), list):
                texts.extend(
                    b["text"] for b in message["content"] if isinstance(b, dict) and isinstance(b.get("text"), str)
                )
    return [word for word in mf.NOVA_RESERVED_KEYWORDS if any(word in text for text in texts)]


def _check_record(record: dict[str, Any], fmt: str, customization_type: str) -> list[str]:
    found = detect_format(record)
    if found is not None and found != fmt:
        return [f"is in the {_FORMAT_NAMES[found]} format, the {_FORMAT_NAMES[fmt]} format is expected"]
    if fmt == mf.PROMPT_COMPLETION:
        return [i for i in (_string_field(record, "prompt"), _string_field(record, "completion")) if i]
    if fmt == mf.CONTINUED_INPUT:
        issue = _string_field(record, "input")
        return [issue] if issue else []
    if fmt == mf.CONVERSATION:
        return _check_conversation(record, customization_type)
    return _check_anthropic(record)


def _default_formats(customization_type: str) -> tuple[str, ...]:
    if customization_type == mf.CONTINUED_PRE_TRAINING:
        return (mf.CONTINUED_INPUT,)
    if customization_type == mf.DISTILLATION:
        return (mf.CONVERSATION,)
    return (mf.PROMPT_COMPLETION, mf.CONVERSATION, mf.ANTHROPIC_MESSAGES)


def check_training(
    data: bytes,
    family: str | None,
    customization_type: str,
    *,
    name: str = "training data",
    field: str = TRAINING_FIELD,
    total_size: int | None = None,
) -> list[Problem]:
    """Problems of a training JSONL file for a model family and customization type.

    ``family`` None (an unknown model) checks only what every format shares and
    accepts any known format. ``total_size``: the size of the whole file when
    ``data`` is only its beginning (the Lambda reads a capped prefix); the last,
    partial line is then ignored and the record maximum is checked on the
    prefix only.
    """
    problems: list[Problem] = []
    rules = mf.data_rules(family, customization_type)
    formats = rules.formats if rules else _default_formats(customization_type)
    size = len(data) if total_size is None else max(total_size, len(data))
    truncated = size > len(data)

    if rules and size > rules.max_bytes:
        problems.append(
            Problem(
                field,
                f"{name} is {size / mf.GIB:.2f} GiB, more than the {rules.max_bytes / mf.GIB:.0f} GiB Bedrock accepts",
                "use fewer or shorter records",
            )
        )
    text, decode_problems = _decode(data, field, name, allow_bom=False)
    if text is None:
        return problems + decode_problems
    if truncated and "\n" in text:
        text = text[: text.rindex("\n")]
    if not text.strip():
        return problems + [Problem(field, f"{name} is empty", "upload a JSONL file with one training record per line")]
    if _is_json_array(text):
        return problems + [
            Problem(
                field,
                f"{name} is a JSON array, but Bedrock reads JSON Lines",
                "write one JSON object per line, e.g. jq -c '.[]' data.json > data.jsonl",
            )
        ]

    values, bad_json, first_error = _json_lines(text)
    if bad_json:
        problems.append(
            Problem(
                field,
                f"{name} {where(bad_json)}: not valid JSON ({first_error})",
                "write exactly one complete JSON object per line",
            )
        )
    not_object = [n for n, v in values if not isinstance(v, dict)]
    if not_object:
        problems.append(
            Problem(
                field,
                f"{name} {where(not_object)}: not a JSON object",
                f"write each record as {mf.FORMAT_HINTS[formats[0]]}",
            )
        )
    records = [(n, v) for n, v in values if isinstance(v, dict)]

    fmt = formats[0]
    if len(formats) > 1 and records:
        detected = detect_format(records[0][1])
        if detected in formats:
            fmt = detected
    grouped: dict[str, list[int]] = {}
    for number, record in records:
        for issue in _check_record(record, fmt, customization_type):
            grouped.setdefault(issue, []).append(number)
    for issue, numbers in grouped.items():
        if len(numbers) == len(records) > MAX_LISTED:
            problems.append(
                Problem(field, f"{name}: every record {issue}", f"write each record as {mf.FORMAT_HINTS[fmt]}")
            )
            continue
        problems.append(
            Problem(field, f"{name} {where(numbers)}: {issue}", f"write each record as {mf.FORMAT_HINTS[fmt]}")
        )

    if family == mf.NOVA and fmt == mf.CONVERSATION:
        reserved: dict[str, list[int]] = {}
        for number, record in records:
            for word in _reserved_in(record):
                reserved.setdefault(word, []).append(number)
        for word, numbers in reserved.items():
            problems.append(
                Problem(
                    field,
                    f"{name} {where(numbers)}: uses {json.dumps(word)}, a keyword Amazon Nova reserves "
                    "(the training job fails on it)",
                    f"reword the prompt or system text without {json.dumps(word)}",
                )
            )

    count = len(values) + len(bad_json)
    if rules:
        if count < rules.min_records and not truncated:
            problems.append(
                Problem(
                    field,
                    f"{name} has {count} records, fewer than the {rules.min_records} Bedrock requires",
                    f"provide at least {rules.min_records} records",
                )
            )
        if count > rules.max_records:
            problems.append(
                Problem(
                    field,
                    f"{name} has {'at least ' if truncated else ''}{count} records, more than the "
                    f"{rules.max_records} Bedrock accepts (default quota)",
                    f"use at most {rules.max_records} records, or raise the account quota first",
                )
            )
    return by_location(problems)


# --- validation data ----------------------------------------------------------------------


def _load_validation(data: bytes, field: str, name: str) -> tuple[list[tuple[int, Any]], str, list[Problem]]:
    """(items with their location, location label, problems) of a JSON array or JSONL file."""
    text, problems = _decode(data, field, name, allow_bom=True)
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
    values, bad, first_error = _json_lines(text)
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
    text, problems = _decode(data, field, name, allow_bom=True)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(field, f"{name} is empty", "write a JSON array of reference strings, one per prompt")]
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        values, bad, _ = _json_lines(text)
        if values and not bad:
            return None, [
                Problem(
                    field,
                    f"{name} is JSON Lines, but a JSON array of reference strings is expected",
                    'wrap the values in [ ] separated by commas, or put a "reference" on each validation record',
                )
            ]
        return None, [
            Problem(
                field,
                f"{name} is not valid JSON ({json_error(exc, line=True)})",
                "write a JSON array of reference strings, one per prompt",
            )
        ]
    if not isinstance(loaded, list):
        return None, [
            Problem(field, f"{name} is not a JSON array", "write a JSON array of reference strings, one per prompt")
        ]
    return loaded, []


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
    vfield, rfield = VALIDATION_FIELD, REFERENCE_FIELD
    reference_name = reference_name or "the reference file"
    items, label, problems = _load_validation(validation, vfield, validation_name)
    if not items:
        if not problems:
            problems.append(Problem(vfield, f"{validation_name} holds no records", "add at least one prompt"))
        raise DatasetProblems(problems)
    # Lines that are not JSON are reported; the others are still checked.

    not_object = [n for n, obj in items if not isinstance(obj, dict)]
    if not_object:
        problems.append(
            Problem(
                vfield,
                f"{validation_name} {where(not_object, label)}: not a JSON object",
                'write each record as {"id": "...", "prompt": "...", "reference": "..."}',
            )
        )
    skip = set(not_object)
    objects = [(n, obj if isinstance(obj, dict) else {}) for n, obj in items]

    # ids: all or none
    with_id = [n for n, obj in objects if "id" in obj]
    ids: list[str | None] = []
    bad_ids: list[int] = []
    for n, obj in objects:
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
    if with_id and len(with_id) != len(objects):
        missing = [n for n, obj in objects if "id" not in obj and n not in skip]
        if missing:
            problems.append(
                Problem(
                    vfield,
                    f'{validation_name} {where(missing, label)}: missing "id" (other records have one)',
                    "give every record a unique id, or remove all ids to have them generated",
                )
            )
    if bad_ids:
        problems.append(
            Problem(
                vfield,
                f'{validation_name} {where(bad_ids, label)}: "id" is not a non-empty string',
                'use string ids like "q-001"',
            )
        )
    seen: dict[str, int] = {}
    duplicates: list[int] = []
    first_duplicate: str | None = None
    for (n, _), value in zip(objects, ids, strict=True):
        if value is None:
            continue
        if value in seen:
            duplicates.append(n)
            first_duplicate = first_duplicate or value
        else:
            seen[value] = n
    if duplicates:
        problems.append(
            Problem(
                vfield,
                f"{validation_name} {where(duplicates, label)}: duplicate id (first: {first_duplicate!r})",
                "give every record a unique id",
            )
        )

    # prompts
    prompt_issues: dict[str, list[int]] = {}
    for n, obj in objects:
        if n in skip:
            continue
        issue = _string_field(obj, "prompt")
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
        problems.append(Problem(vfield, f"{validation_name} {where(numbers, label)}: {issue}", fix))

    # references
    reference_values: list[Any]
    if any("reference" in obj for _, obj in objects):
        reference_values = [obj.get("reference") for _, obj in objects]
        ref_issues: dict[str, list[int]] = {}
        for n, obj in objects:
            if n in skip:
                continue
            issue = _string_field(obj, "reference")
            if issue:
                ref_issues.setdefault(issue, []).append(n)
        for issue, numbers in ref_issues.items():
            problems.append(
                Problem(
                    vfield,
                    f"{validation_name} {where(numbers, label)}: {issue}",
                    'give every record a non-empty "reference" string',
                )
            )
    elif references is None:
        problems.append(
            Problem(
                rfield,
                f'{validation_name} has no "reference" values and no reference file was found',
                'add "reference" to every record, or upload a JSON array of reference strings (ReferenceDataFileName)',
            )
        )
        reference_values = []
    else:
        loaded, ref_problems = _load_references(references, rfield, reference_name)
        problems.extend(ref_problems)
        reference_values = loaded or []
        if loaded is not None:
            if len(loaded) != len(objects):
                problems.append(
                    Problem(
                        rfield,
                        f"{reference_name} has {len(loaded)} references "
                        f"but {validation_name} has {len(objects)} prompts",
                        "give exactly one reference per prompt, in the same order",
                    )
                )
            not_string = [i for i, v in enumerate(loaded, start=1) if not isinstance(v, str)]
            empty = [i for i, v in enumerate(loaded, start=1) if isinstance(v, str) and not v.strip()]
            if not_string:
                problems.append(
                    Problem(
                        rfield,
                        f"{reference_name} {where(not_string, 'item')}: not a string",
                        "write each reference as a JSON string",
                    )
                )
            if empty:
                problems.append(
                    Problem(
                        rfield,
                        f"{reference_name} {where(empty, 'item')}: empty reference",
                        "give every prompt a non-empty reference",
                    )
                )

    if problems:
        raise DatasetProblems(by_location(problems))
    generate = not with_id
    return [
        EvalRecord(
            id=f"rec-{index:05d}" if generate else str(record_id),
            prompt=obj["prompt"],
            reference=reference,
        )
        for index, ((_, obj), record_id, reference) in enumerate(
            zip(objects, ids, reference_values, strict=True), start=1
        )
    ]
