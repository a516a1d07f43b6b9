"""The training data of an input (JSON Lines) against its model family and customization type.

Nothing here talks to AWS: ``check_training`` returns the problems of the file's bytes.
"""

from __future__ import annotations

import json
from typing import Any

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation.dataset_text import (
    MAX_LISTED,
    TRAINING_FIELD,
    by_location,
    decode,
    json_lines,
    string_field,
    where,
)
from workflow_lambdas.validation.problems import Problem, Problems


def _is_json_array(text: str) -> bool:
    if not text.lstrip().startswith("["):
        return False
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


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


def _messages(record: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The record's messages up to the first without a user or assistant ``role``, and the issue that stops
    the check there (also when ``messages`` is not a list)."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return [], 'missing "messages" list'
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return messages[:index], 'a message has no "role" of "user" or "assistant"'
    return messages, None


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
    messages, stop = _messages(record)
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list) or not content or not all(isinstance(b, dict) for b in content):
            issues.append('a message "content" is not a non-empty list of blocks')
            return issues
        texts = [b["text"] for b in content if "text" in b]
        if any(not isinstance(t, str) for t in texts):
            issues.append('a content "text" is not a string')
        elif texts and not any(t.strip() for t in texts):
            issues.append("a message has empty text")
    if stop:
        return [*issues, stop]
    turn_issue = _check_turns([m["role"] for m in messages], needs_answer=customization_type != mf.DISTILLATION)
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
    messages, stop = _messages(record)
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
        if not _nonempty_str(content):
            issues.append('a message has empty or missing "content"')
    if stop:
        return [*issues, stop]
    if len(messages) < 2:
        issues.append("fewer than two messages")
    turn_issue = _check_turns([m["role"] for m in messages], needs_answer=True)
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
        return [i for i in (string_field(record, "prompt"), string_field(record, "completion")) if i]
    if fmt == mf.CONTINUED_INPUT:
        issue = string_field(record, "input")
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
    rules = mf.data_rules(family, customization_type)
    formats = rules.formats if rules else _default_formats(customization_type)
    size = len(data) if total_size is None else max(total_size, len(data))
    truncated = size > len(data)
    file = _File(field, name)

    if rules and size > rules.max_bytes:
        file.problems.add(
            field,
            f"{name} is {size / mf.GIB:.2f} GiB, more than the {rules.max_bytes / mf.GIB:.0f} GiB Bedrock accepts",
            "use fewer or shorter records",
        )
    text = _jsonl_text(data, file, truncated)
    if text is None:
        return list(file.problems)
    values, bad_json, first_error = json_lines(text)
    if bad_json:
        file.add(
            f"{where(bad_json)}: not valid JSON ({first_error})", "write exactly one complete JSON object per line"
        )
    not_object = [n for n, v in values if not isinstance(v, dict)]
    if not_object:
        file.add(f"{where(not_object)}: not a JSON object", f"write each record as {mf.FORMAT_HINTS[formats[0]]}")
    records = [(n, v) for n, v in values if isinstance(v, dict)]
    fmt = _format_of(records, formats)
    _record_problems(file, records, fmt, customization_type)
    if family == mf.NOVA and fmt == mf.CONVERSATION:
        _reserved_problems(file, records)
    if rules:
        _count_problems(file, len(values) + len(bad_json), rules, truncated)
    return by_location(file.problems)


class _File:
    """The problems of one training file, each led by the file's name."""

    def __init__(self, field: str, name: str) -> None:
        self.field, self.name = field, name
        self.problems = Problems()

    def add(self, where_and_what: str, fix: str) -> None:
        self.problems.add(self.field, f"{self.name} {where_and_what}", fix)


def _jsonl_text(data: bytes, file: _File, truncated: bool) -> str | None:
    """The file's JSON Lines text, or None (and the problem) when it is not UTF-8, empty or a JSON array."""
    text, decode_problems = decode(data, file.field, file.name, allow_bom=False)
    file.problems.extend(decode_problems)
    if text is None:
        return None
    if truncated and "\n" in text:
        text = text[: text.rindex("\n")]
    if not text.strip():
        file.add("is empty", "upload a JSONL file with one training record per line")
        return None
    if _is_json_array(text):
        file.add(
            "is a JSON array, but Bedrock reads JSON Lines",
            "write one JSON object per line, e.g. jq -c '.[]' data.json > data.jsonl",
        )
        return None
    return text


def _format_of(records: list[tuple[int, dict[str, Any]]], formats: tuple[str, ...]) -> str:
    """The format the records are checked against: the first record's, when it is one the model reads."""
    if len(formats) > 1 and records:
        detected = detect_format(records[0][1])
        if detected in formats:
            return detected
    return formats[0]


def _record_problems(file: _File, records: list[tuple[int, dict[str, Any]]], fmt: str, customization_type: str) -> None:
    """One problem per kind of record issue, with the lines it is on (``every record`` when all are)."""
    grouped: dict[str, list[int]] = {}
    for number, record in records:
        for issue in dict.fromkeys(_check_record(record, fmt, customization_type)):  # a record's line once
            grouped.setdefault(issue, []).append(number)
    fix = f"write each record as {mf.FORMAT_HINTS[fmt]}"
    for issue, numbers in grouped.items():
        if len(numbers) == len(records) > MAX_LISTED:
            file.problems.add(file.field, f"{file.name}: every record {issue}", fix)
        else:
            file.add(f"{where(numbers)}: {issue}", fix)


def _reserved_problems(file: _File, records: list[tuple[int, dict[str, Any]]]) -> None:
    reserved: dict[str, list[int]] = {}
    for number, record in records:
        for word in _reserved_in(record):
            reserved.setdefault(word, []).append(number)
    for word, numbers in reserved.items():
        file.add(
            f"{where(numbers)}: uses {json.dumps(word)}, a keyword Amazon Nova reserves (the training job fails on it)",
            f"reword the prompt or system text without {json.dumps(word)}",
        )


def _count_problems(file: _File, count: int, rules: mf.DataRules, truncated: bool) -> None:
    if count < rules.min_records and not truncated:
        file.add(
            f"has {count} records, fewer than the {rules.min_records} Bedrock requires",
            f"provide at least {rules.min_records} records",
        )
    if count > rules.max_records:
        file.add(
            f"has {'at least ' if truncated else ''}{count} records, more than the "
            f"{rules.max_records} Bedrock accepts (default quota)",
            f"use at most {rules.max_records} records, or raise the account quota first",
        )
