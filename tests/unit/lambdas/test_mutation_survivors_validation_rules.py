"""The validation rules line by line (issue 15: mutants of ``validation/`` that no test caught).

Each bad input is reported by its exact line (the field, where in the file, what is wrong, how to fix it),
every problem of an input at once and in line order; values exactly at a limit are accepted, the next
refused; each record format is told apart by the key or shape that names it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json

import pytest
from validation_cases import (
    CLAUDE_INPUT,
    LLAMA_INPUT,
    NOVA_INPUT,
    TRAIN,
    VALID,
    ancestor_files,
    conversation_rows,
    nova_files,
    pc_rows,
)

from workflow_lambdas import model_families as mf
from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput
from workflow_lambdas.validation import check as ck
from workflow_lambdas.validation import dataset_inputs as di
from workflow_lambdas.validation import dataset_text as dt
from workflow_lambdas.validation import deployment as dp
from workflow_lambdas.validation import evaluation_checks as ec
from workflow_lambdas.validation import fetch as fe
from workflow_lambdas.validation import hyperparameters as hp
from workflow_lambdas.validation import model_checks as mc
from workflow_lambdas.validation import names as nm
from workflow_lambdas.validation import problems as pr
from workflow_lambdas.validation import schema_messages as sm
from workflow_lambdas.validation import sweep as sw
from workflow_lambdas.validation import training_data as td
from workflow_lambdas.validation import validation_data as vd
from workflow_lambdas.validation.fetch import MAX_SHARDS, VALIDATION_READ_CAP, Fetched
from workflow_lambdas.validation.problems import Problem
from workflow_lambdas.validation.run_context import InferenceSettings

T = "TrainingDataFileName"
CONV_FIX = f"write each record as {mf.FORMAT_HINTS[mf.CONVERSATION]}"
ANTH_FIX = f"write each record as {mf.FORMAT_HINTS[mf.ANTHROPIC_MESSAGES]}"
PC_FIX = f"write each record as {mf.FORMAT_HINTS[mf.PROMPT_COMPLETION]}"


def jsonl(rows: list) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def pc(n: int) -> list[dict]:
    return [{"prompt": f"question {i}", "completion": f"answer {i}"} for i in range(n)]


def turn(role: str, text: str = "hello") -> dict:
    return {"role": role, "content": [{"text": text}]}


def conv(n: int, **extra) -> list[dict]:
    return [{"messages": [turn("user", f"q{i}"), turn("assistant", f"a{i}")], **extra} for i in range(n)]


def anth(n: int) -> list[dict]:
    return [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(n)
    ]


def training(data: bytes, family: str | None, ctype: str = mf.FINE_TUNING, **kwargs) -> list[str]:
    return [str(p) for p in td.check_training(data, family, ctype, name="t", **kwargs)]


def one_bad_record(record: dict, family: str, *, good: list[dict], ctype: str = mf.FINE_TUNING) -> list[str]:
    """The lines of a file whose first record is ``record`` and whose others are ``good``."""
    return training(jsonl([record, *good]), family, ctype)


# --- the format of a record ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"messages": [], "schemaVersion": "x"}, mf.CONVERSATION),
        ({"messages": [{"role": "user", "content": "s"}], "schemaVersion": "x"}, mf.CONVERSATION),
        ({"messages": [{"role": "user", "content": "s"}], "system": []}, mf.CONVERSATION),
        ({"messages": [{"role": "user", "content": "s"}], "system": "s"}, mf.ANTHROPIC_MESSAGES),
        ({"messages": [{"role": "user", "content": "s"}]}, mf.ANTHROPIC_MESSAGES),
        ({"messages": ["not a dict", {"content": "s"}]}, mf.ANTHROPIC_MESSAGES),
        ({"messages": [{"content": []}, {"content": "s"}]}, mf.ANTHROPIC_MESSAGES),
        ({"messages": [{"content": ["x"]}, {"content": "s"}]}, mf.ANTHROPIC_MESSAGES),
        ({"messages": [{"content": 3}, {"content": [{"type": "text", "text": "s"}]}]}, mf.ANTHROPIC_MESSAGES),
        ({"messages": [{"content": [{"text": "s"}]}, {"content": "s"}]}, mf.CONVERSATION),
        ({"messages": [{"content": 3}]}, mf.CONVERSATION),
        ({"messages": "x"}, mf.CONVERSATION),
        ({"messages": None, "prompt": "p"}, mf.CONVERSATION),
        ({"prompt": "p"}, mf.PROMPT_COMPLETION),
        ({"completion": "c"}, mf.PROMPT_COMPLETION),
        ({"completion": "c", "input": "i"}, mf.PROMPT_COMPLETION),
        ({"input": "i"}, mf.CONTINUED_INPUT),
        ({"text": "i"}, None),
        ({}, None),
    ],
)
def test_the_format_of_a_record_is_named_by_its_keys_and_shape(record, expected):
    assert td.detect_format(record) == expected


@pytest.mark.parametrize(
    ("record", "found"),
    [
        ({"prompt": "p", "completion": "c"}, "prompt/completion"),
        ({"input": "i"}, "continued pre-training (input)"),
        ({"messages": [{"role": "user", "content": "q"}]}, "Anthropic messages"),
    ],
)
def test_a_record_in_another_format_names_both_formats(record, found):
    assert one_bad_record(record, mf.NOVA, good=conv(8)) == [
        f"{T}: t line 1: is in the {found} format, the Bedrock conversation (bedrock-conversation-2024) format is"
        f" expected; {CONV_FIX}"
    ]


def test_a_record_of_no_known_format_is_checked_against_the_expected_one():
    assert one_bad_record({"text": "x"}, mf.COHERE, good=pc(1)) == [
        f'{T}: t line 1: missing "prompt"; {PC_FIX}',
        f'{T}: t line 1: missing "completion"; {PC_FIX}',
    ]
    cpt_fix = f"write each record as {mf.FORMAT_HINTS[mf.CONTINUED_INPUT]}"
    assert one_bad_record({"text": "x"}, mf.TITAN, good=[{"input": "i"}], ctype=mf.CONTINUED_PRE_TRAINING) == [
        f'{T}: t line 1: missing "input"; {cpt_fix}'
    ]


# --- the file as a whole ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["[1, 2]", "  \n [1]", "[]"])
def test_a_json_array_is_refused_as_such(text):
    assert training(text.encode(), mf.COHERE) == [
        f"{T}: t is a JSON array, but Bedrock reads JSON Lines; write one JSON object per line, e.g. jq -c '.[]'"
        " data.json > data.jsonl"
    ]


def test_lines_of_arrays_and_a_broken_array_are_json_lines():
    """Two arrays on two lines are not one JSON array; a ``[`` that does not parse is a bad line."""
    assert training(b"[1]\n[2]\n", mf.COHERE) == [f"{T}: t lines 1, 2: not a JSON object; {PC_FIX}"]
    (line,) = training(b"[1, \n", mf.COHERE)
    assert line.startswith(f"{T}: t line 1: not valid JSON (") and line.endswith(
        "; write exactly one complete JSON object per line"
    )


def test_a_json_object_that_is_not_a_list_starting_with_a_bracket_is_not_an_array():
    assert td._is_json_array("[1]")
    assert td._is_json_array(" \n[1]")
    assert not td._is_json_array('{"a": [1]}')
    assert not td._is_json_array("[1")
    assert not td._is_json_array("")


def test_empty_and_blank_files_name_the_fix():
    expected = [f"{T}: t is empty; upload a JSONL file with one training record per line"]
    assert training(b"", mf.COHERE) == expected
    assert training(b" \n\t\n", mf.COHERE) == expected


def test_a_non_object_line_is_told_how_to_write_the_first_expected_format():
    lines = training(jsonl([*pc(2), "text", 3]), mf.LLAMA)
    assert lines == [f"{T}: t lines 3, 4: not a JSON object; {PC_FIX}"]
    assert training(jsonl([*conv(8), []]), mf.NOVA) == [f"{T}: t line 9: not a JSON object; {CONV_FIX}"]


def test_bad_json_lines_and_non_objects_count_towards_the_records():
    data = b"{oops\n" + jsonl([*conv(6), "x"])
    lines = training(data, mf.NOVA)
    assert len(lines) == 2
    assert lines[0].startswith(f"{T}: t line 1: not valid JSON (Expecting property name")
    assert lines[1] == f"{T}: t line 8: not a JSON object; {CONV_FIX}"
    (line,) = training(b"{oops\n" + jsonl(conv(6)), mf.NOVA)[1:]
    assert line == f"{T}: t has 7 records, fewer than the 8 Bedrock requires; provide at least 8 records"


# --- the record count and size --------------------------------------------------------------------------


def test_the_most_records_bedrock_accepts_are_fine_and_one_more_is_refused():
    rows = [{"prompt": "p", "completion": "c"}]
    assert training(jsonl(rows * 10_000), mf.COHERE) == []
    assert training(jsonl(rows * 10_001), mf.COHERE) == [
        f"{T}: t has 10001 records, more than the 10000 Bedrock accepts (default quota); use at most 10000"
        " records, or raise the account quota first"
    ]


def test_too_few_records_names_the_minimum():
    assert training(jsonl(conv(7)), mf.NOVA) == [
        f"{T}: t has 7 records, fewer than the 8 Bedrock requires; provide at least 8 records"
    ]


def test_a_prefix_with_more_records_than_the_maximum_says_at_least():
    data = jsonl([{"prompt": "p", "completion": "c"}] * 10_001)
    assert training(data, mf.COHERE, total_size=len(data) + 10) == [
        f"{T}: t has at least 10001 records, more than the 10000 Bedrock accepts (default quota); use at most"
        " 10000 records, or raise the account quota first"
    ]


def test_a_whole_file_read_at_once_is_not_a_prefix():
    """``total_size`` equal to (or below) the bytes read: the last line counts and the minimum applies."""
    data = jsonl(conv(8))[:-1]  # no newline at the end
    assert training(data, mf.NOVA, total_size=len(data)) == []
    assert training(data, mf.NOVA, total_size=len(data) - 1) == []
    short = jsonl(conv(7))
    assert training(short, mf.NOVA, total_size=len(short)) == [
        f"{T}: t has 7 records, fewer than the 8 Bedrock requires; provide at least 8 records"
    ]


def test_a_prefix_ignores_its_partial_last_line_and_the_minimum():
    data = jsonl(conv(3)) + b'{"messages": [{"role'
    assert training(data, mf.NOVA, total_size=len(data) + 1000) == []


def test_a_prefix_without_a_newline_keeps_its_text():
    data = json.dumps(conv(1)[0]).encode()
    assert training(data, mf.NOVA, total_size=len(data) * 10) == []
    assert training(b'{"prompt": "p"}', mf.COHERE, total_size=100) == [f'{T}: t line 1: missing "completion"; {PC_FIX}']


def test_a_file_at_the_size_limit_is_fine_and_one_byte_more_is_refused():
    data = jsonl(pc(1))
    assert training(data, mf.COHERE, total_size=mf.GIB) == []
    assert training(data, mf.COHERE, total_size=mf.GIB + 1) == [
        f"{T}: t is 1.00 GiB, more than the 1 GiB Bedrock accepts; use fewer or shorter records"
    ]
    assert training(data, mf.TITAN, mf.CONTINUED_PRE_TRAINING, total_size=mf.GIB * 11) != []
    (line,) = training(jsonl([{"input": "i"}]), mf.TITAN, mf.CONTINUED_PRE_TRAINING, total_size=mf.GIB * 11)
    assert line == f"{T}: t is 11.00 GiB, more than the 10 GiB Bedrock accepts; use fewer or shorter records"


def test_an_unknown_model_checks_only_the_records():
    """No rules: no size, count or reserved keyword check; every known format accepted."""
    assert training(jsonl(pc(1)), None, total_size=mf.GIB * 100) == []
    assert training(jsonl(pc(20_000)[:1] * 20_000), None) == []
    assert training(jsonl(conv(1)), None) == []
    assert training(jsonl(anth(1)), None) == []
    assert training(jsonl([{"input": "x"}]), None, mf.CONTINUED_PRE_TRAINING) == []
    assert training(jsonl([{"messages": [turn("user")]}]), None, mf.DISTILLATION) == []
    lines = training(jsonl([{"input": "x"}]), None)
    assert lines == [
        f"{T}: t line 1: is in the continued pre-training (input) format, the prompt/completion format is expected;"
        f" {PC_FIX}"
    ]


def test_the_first_record_picks_the_format_the_file_is_checked_against():
    rows = [*conv(1), *pc(1)]
    assert training(jsonl(rows), mf.LLAMA) == [
        f"{T}: t line 2: is in the prompt/completion format, the Bedrock conversation (bedrock-conversation-2024)"
        f" format is expected; {CONV_FIX}"
    ]
    rows = [*pc(1), *conv(1)]
    assert training(jsonl(rows), mf.LLAMA) == [
        f"{T}: t line 2: is in the Bedrock conversation (bedrock-conversation-2024) format, the prompt/completion"
        f" format is expected; {PC_FIX}"
    ]
    # a first record in a format the model does not read: the model's first format
    rows = [*anth(1), *conv(1)]
    assert training(jsonl(rows), mf.LLAMA) == [
        f"{T}: t line 1: is in the Anthropic messages format, the prompt/completion format is expected; {PC_FIX}",
        f"{T}: t line 2: is in the Bedrock conversation (bedrock-conversation-2024) format, the prompt/completion"
        f" format is expected; {PC_FIX}",
    ]


def test_every_record_with_an_issue_is_summarised_only_above_the_listed_count():
    rows = [{"prompt": "p"}] * 6
    assert training(jsonl(rows), mf.COHERE) == [f'{T}: t: every record missing "completion"; {PC_FIX}']
    assert training(jsonl(rows[:5]), mf.COHERE) == [f'{T}: t lines 1, 2, 3, 4, 5: missing "completion"; {PC_FIX}']
    assert training(jsonl([*rows, *pc(1)]), mf.COHERE) == [
        f'{T}: t lines 1, 2, 3, 4, 5 and 1 more: missing "completion"; {PC_FIX}'
    ]


# --- conversation records ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "issues"),
    [
        (
            {"schemaVersion": "bedrock-conversation-2023", "messages": conv(1)[0]["messages"]},
            ['"schemaVersion" is not "bedrock-conversation-2024"'],
        ),
        ({"schemaVersion": None, "messages": conv(1)[0]["messages"]}, []),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": conv(1)[0]["messages"]}, []),
        (
            {"system": [{"text": "s"}, {"text": 3}], "messages": conv(1)[0]["messages"]},
            ['"system" is not a list of {"text": ...} blocks'],
        ),
        (
            {"system": [{"text": "s"}, "s"], "messages": conv(1)[0]["messages"]},
            ['"system" is not a list of {"text": ...} blocks'],
        ),
        ({"system": [], "messages": conv(1)[0]["messages"]}, []),
        ({"system": None, "schemaVersion": "bedrock-conversation-2024", "messages": conv(1)[0]["messages"]}, []),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": "x"}, ['missing "messages" list']),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": []}, ['"messages" is empty']),
        ({"messages": [turn("assistant"), turn("user")]}, ["the first message is not from the user"]),
        (
            {"messages": [turn("user"), turn("user"), turn("assistant")]},
            ["user and assistant messages do not alternate"],
        ),
        (
            {"messages": [turn("user"), turn("assistant"), turn("assistant")]},
            ["user and assistant messages do not alternate"],
        ),
        ({"messages": [turn("user"), turn("assistant"), turn("user")]}, ["the last message is not from the assistant"]),
        (
            {"messages": [turn("user"), {"role": "system", "content": [{"text": "x"}]}]},
            ['a message has no "role" of "user" or "assistant"'],
        ),
        ({"messages": [turn("user"), turn("assistant"), "x"]}, ['a message has no "role" of "user" or "assistant"']),
        (
            {"messages": [{"role": "user", "content": []}, turn("assistant")]},
            ['a message "content" is not a non-empty list of blocks'],
        ),
        (
            {"messages": [{"role": "user", "content": [{"text": "q"}, "x"]}, turn("assistant")]},
            ['a message "content" is not a non-empty list of blocks'],
        ),
        (
            {"messages": [{"role": "user"}, turn("assistant")]},
            ['a message "content" is not a non-empty list of blocks'],
        ),
        (
            {"messages": [{"role": "user", "content": [{"text": 3}]}, turn("assistant")]},
            ['a content "text" is not a string'],
        ),
        (
            {"messages": [{"role": "user", "content": [{"text": " "}, {"text": ""}]}, turn("assistant")]},
            ["a message has empty text"],
        ),
        ({"messages": [{"role": "user", "content": [{"text": " "}, {"text": "q"}]}, turn("assistant")]}, []),
        ({"messages": [{"role": "user", "content": [{"image": {}}]}, turn("assistant")]}, []),
        ({"messages": [turn("user", " "), turn("assistant", "a")]}, ["a message has empty text"]),
    ],
)
def test_a_conversation_record_issue_is_reported_on_its_line(record, issues):
    lines = one_bad_record(record, mf.NOVA, good=conv(8))
    assert lines == [f"{T}: t line 1: {issue}; {CONV_FIX}" for issue in dict.fromkeys(issues)]


def test_every_issue_of_one_conversation_record_is_reported():
    record = {
        "schemaVersion": "v1",
        "system": "not a list",
        "messages": [
            {"role": "user", "content": [{"text": 1}]},
            {"role": "assistant", "content": [{"text": " "}]},
            {"role": "tool"},
        ],
    }
    assert one_bad_record(record, mf.NOVA, good=conv(8)) == [
        f'{T}: t line 1: "schemaVersion" is not "bedrock-conversation-2024"; {CONV_FIX}',
        f'{T}: t line 1: "system" is not a list of {{"text": ...}} blocks; {CONV_FIX}',
        f'{T}: t line 1: a content "text" is not a string; {CONV_FIX}',
        f"{T}: t line 1: a message has empty text; {CONV_FIX}",
        f'{T}: t line 1: a message has no "role" of "user" or "assistant"; {CONV_FIX}',
    ]


def test_a_bad_content_stops_the_checks_of_that_record():
    record = {
        "messages": [{"role": "user", "content": "plain"}, {"role": "user", "content": [{"text": 1}]}],
        "schemaVersion": "bedrock-conversation-2024",
    }
    assert one_bad_record(record, mf.NOVA, good=conv(8)) == [
        f'{T}: t line 1: a message "content" is not a non-empty list of blocks; {CONV_FIX}'
    ]


def test_a_distillation_prompt_needs_no_answer_but_a_fine_tuning_one_does():
    prompts = [{"messages": [turn("user", f"q{i}")]} for i in range(100)]
    assert training(jsonl(prompts), mf.NOVA, mf.DISTILLATION) == []
    assert training(jsonl(prompts[:99]), mf.NOVA, mf.DISTILLATION) == [
        f"{T}: t has 99 records, fewer than the 100 Bedrock requires; provide at least 100 records"
    ]
    lines = training(jsonl(prompts[:8]), mf.NOVA)
    assert lines == [f"{T}: t: every record the last message is not from the assistant; {CONV_FIX}"]
    # distillation still wants alternating turns that start with the user
    bad = [{"messages": [turn("assistant", "a")]}, *prompts[:99]]
    assert training(jsonl(bad), mf.NOVA, mf.DISTILLATION) == [
        f"{T}: t line 1: the first message is not from the user; {CONV_FIX}"
    ]


# --- Anthropic messages records --------------------------------------------------------------------------


def a_turn(role: str, content="hello") -> dict:
    return {"role": role, "content": content}


@pytest.mark.parametrize(
    ("record", "issues"),
    [
        ({"system": "s", "messages": [a_turn("user"), a_turn("assistant")]}, []),
        (
            {"system": "s", "messages": [a_turn("user"), a_turn("assistant")], "id": 1, "meta": 2},
            ["unexpected keys id, meta (only system and messages are allowed)"],
        ),
        ({"system": 3, "messages": [a_turn("user"), a_turn("assistant")]}, ['"system" is not a string']),
        ({"system": None, "messages": [a_turn("user"), a_turn("assistant")]}, ['"system" is not a string']),
        ({"messages": [a_turn("user", [{"type": "text", "text": "q"}]), a_turn("assistant")]}, []),
        (
            {"messages": [a_turn("user", [{"type": "text", "text": " "}, "x"]), a_turn("assistant")]},
            ['a message has empty or missing "content"'],
        ),
        (
            {"messages": [a_turn("user", [{"type": "text", "text": ""}, {"type": "text"}]), a_turn("assistant")]},
            ['a message has empty or missing "content"'],
        ),
        (
            {"messages": [a_turn("user", [{"type": "image"}]), a_turn("assistant")]},
            ['a message has empty or missing "content"'],
        ),
        ({"messages": [a_turn("user", [{"type": "text", "text": "q"}, {"text": "r"}]), a_turn("assistant")]}, []),
        ({"messages": [{"role": "user"}, a_turn("assistant")]}, ['a message has empty or missing "content"']),
        ({"messages": [a_turn("user", 3), a_turn("assistant")]}, ['a message has empty or missing "content"']),
        ({"messages": [a_turn("user", " "), a_turn("assistant")]}, ['a message has empty or missing "content"']),
        ({"messages": [a_turn("user")]}, ["fewer than two messages", "the last message is not from the assistant"]),
        ({"messages": [a_turn("user"), a_turn("user")]}, ["user and assistant messages do not alternate"]),
        ({"messages": [a_turn("assistant"), a_turn("user")]}, ["the first message is not from the user"]),
        (
            {"messages": [a_turn("user"), a_turn("assistant"), a_turn("user")]},
            ["the last message is not from the assistant"],
        ),
        ({"messages": [a_turn("user"), a_turn("bot")]}, ['a message has no "role" of "user" or "assistant"']),
        (
            {"messages": [a_turn("user", ""), "x"]},
            [
                'a message has empty or missing "content"',
                'a message has no "role" of "user" or "assistant"',
            ],
        ),
        ({"system": "s"}, ['missing "messages" list']),
    ],
)
def test_an_anthropic_record_issue_is_reported_on_its_line(record, issues):
    lines = one_bad_record(record, mf.CLAUDE, good=anth(1))
    assert lines == [f"{T}: t line 1: {issue}; {ANTH_FIX}" for issue in issues]


@pytest.mark.parametrize(
    ("family", "record", "issue", "fix", "good"),
    [
        (
            mf.NOVA,
            {"messages": [turn("user", " "), turn("assistant", "")]},
            "a message has empty text",
            CONV_FIX,
            conv(8),
        ),
        (
            mf.CLAUDE,
            {"messages": [a_turn("user", " "), a_turn("assistant", "")]},
            'a message has empty or missing "content"',
            ANTH_FIX,
            anth(1),
        ),
    ],
)
def test_a_record_with_the_same_issue_twice_is_listed_once_on_its_line(family, record, issue, fix, good):
    lines = one_bad_record(record, family, good=[*good, record])
    assert lines == [f"{T}: t lines 1, {len(good) + 2}: {issue}; {fix}"]


# --- Nova reserved keywords ------------------------------------------------------------------------------


def test_reserved_keywords_are_looked_for_in_system_and_user_text_blocks_only():
    rows = conv(8)
    rows[0]["system"] = [{"text": "fine"}, {"text": "Bot: hi"}]
    rows[1]["messages"][0]["content"] = [{"text": "fine"}, {"image": {}}, {"text": "<video>"}]
    rows[2]["messages"][1]["content"] = [{"text": "System: the answer"}]  # the assistant's text
    lines = training(jsonl(rows), mf.NOVA)
    assert lines == [
        f'{T}: t line 1: uses "Bot:", a keyword Amazon Nova reserves (the training job fails on it); reword the'
        ' prompt or system text without "Bot:"',
        f'{T}: t line 2: uses "<video>", a keyword Amazon Nova reserves (the training job fails on it); reword the'
        ' prompt or system text without "<video>"',
    ]


def test_reserved_keywords_in_table_order_and_not_for_other_formats_or_families():
    record = {"messages": [turn("user", "[EOS] User: x"), turn("assistant")]}
    assert td._reserved_in(record) == ["User:", "[EOS]"]
    assert td._reserved_in({"system": [{"text": "Assistant:"}, "x", {"text": 1}], "messages": "x"}) == ["Assistant:"]
    assert td._reserved_in({"system": "User:", "messages": [{"role": "user", "content": "User:"}, "x"]}) == []
    llama = [{"messages": [turn("user", "User: x"), turn("assistant")]}]
    assert training(jsonl(llama), mf.LLAMA) == []


def test_problems_of_a_file_come_in_line_order_whole_file_last():
    rows = conv(6)
    rows[4]["messages"] = [turn("assistant")]
    rows[1]["messages"][0]["content"] = [{"text": "User: x"}]
    lines = training(b"{bad\n" + jsonl(rows), mf.NOVA)
    assert [line.split(":")[1].strip() for line in lines] == [
        "t line 1",
        "t line 3",
        "t line 6",
        "t has 7 records, fewer than the 8 Bedrock requires; provide at least 8 records",
    ]
    assert 'uses "User:"' in lines[1] and "the first message is not from the user" in lines[2]


def test_problem_at_moves_a_problem_to_another_field():
    problem = Problem("A", "is bad", "fix it")
    assert str(problem.at("B")) == "B: is bad; fix it"
    assert problem.at("B").named is False


# --- hyperparameters -------------------------------------------------------------------------------------

CLAUDE_3 = mf.lookup("anthropic.claude-3-haiku-20240307-v1:0:200k")
TITAN_X = mf.lookup("amazon.titan-text-express-v1:0:8k")
NOVA_MICRO = mf.lookup("amazon.nova-micro-v1:0:128k")


def hp_lines(hps: dict, model=CLAUDE_3, skip=frozenset(), prefix: str = "") -> list[str]:
    assert model is not None
    return [str(p) for p in hp.hyperparameter_problems(hps, model, skip, prefix)]


@pytest.mark.parametrize("value", ["true", "false", "TRUE", " False ", True, False])
def test_a_boolean_hyperparameter_takes_true_or_false_in_any_case(value):
    assert hp_lines({"earlyStoppingEnabled": value}) == []


@pytest.mark.parametrize("value", ["yes", "1", "", "truee"])
def test_a_boolean_hyperparameter_refuses_anything_else(value):
    assert hp_lines({"earlyStoppingEnabled": value}) == [
        f'HyperParameters.earlyStoppingEnabled: is {json.dumps(value)}, not a boolean; use "true" or "false"'
    ]


def test_a_number_given_as_a_json_number_is_checked_as_its_text():
    assert hp_lines({"epochCount": 3, "learningRateMultiplier": 1.5}) == []
    assert hp_lines({"epochCount": 11}) == [
        "HyperParameters.epochCount: is 11, outside the range Anthropic Claude 3 Haiku accepts; use epochCount (a"
        " whole number from 1 to 10)"
    ]
    assert hp_lines({"epochCount": 2.5}) == [
        'HyperParameters.epochCount: is "2.5", not a whole number; use epochCount (a whole number from 1 to 10)'
    ]
    # a JSON boolean for a number is "true", not a number
    assert hp_lines({"epochCount": True}) == [
        'HyperParameters.epochCount: is "true", not a number; use epochCount (a whole number from 1 to 10)'
    ]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("inf", "not a finite number"),
        ("nan", "not a finite number"),
        ("-inf", "not a finite number"),
        ("1e1", "not a whole number"),
        ("2.0", "not a whole number"),
    ],
)
def test_a_whole_number_hyperparameter_refuses_other_text(value, what):
    assert hp_lines({"epochCount": value}) == [
        f"HyperParameters.epochCount: is {json.dumps(value)}, {what}; use epochCount (a whole number from 1 to 10)"
    ]


@pytest.mark.parametrize("value", [" 3 ", "3", "+3", "10", "1"])
def test_a_whole_number_with_spaces_or_a_sign_is_read(value):
    assert hp_lines({"epochCount": value}) == []


def test_a_number_just_outside_a_range_shows_the_value_as_given():
    assert hp_lines({"earlyStoppingThreshold": " 0.11"}) == [
        "HyperParameters.earlyStoppingThreshold: is  0.11, outside the range Anthropic Claude 3 Haiku accepts; use"
        " earlyStoppingThreshold (a number from 0 to 0.1)"
    ]
    assert hp_lines({"earlyStoppingThreshold": "-0.0001"}) != []
    assert hp_lines({"earlyStoppingThreshold": "0"}) == []
    assert hp_lines({"earlyStoppingThreshold": "0.1"}) == []


def test_an_exclusive_minimum_refuses_the_minimum_itself():
    assert hp_lines({"learningRate": "0"}, TITAN_X) == [
        "HyperParameters.learningRate: is 0, outside the range Amazon Titan Text G1 - Express accepts; use"
        " learningRate (a number above 0 to 1)"
    ]
    assert hp_lines({"learningRate": "-0.5"}, TITAN_X) != []
    assert hp_lines({"learningRate": "0.000001"}, TITAN_X) == []
    assert hp_lines({"learningRate": "1"}, TITAN_X) == []
    assert hp_lines({"learningRate": "1.0001"}, TITAN_X) != []


def test_an_inclusive_minimum_accepts_the_minimum():
    assert hp_lines({"learningRateWarmupSteps": "0"}, TITAN_X) == []
    assert hp_lines({"learningRateWarmupSteps": "-1"}, TITAN_X) == [
        "HyperParameters.learningRateWarmupSteps: is -1, outside the range Amazon Titan Text G1 - Express accepts;"
        " use learningRateWarmupSteps (a whole number from 0 to 250)"
    ]


def test_an_unknown_hyperparameter_gets_the_closest_name_and_the_accepted_ones():
    accepted = ", ".join(s.describe() for s in mf.hyperparameters_for(NOVA_MICRO))
    assert hp_lines({"epochs": "2"}, NOVA_MICRO) == [
        f"HyperParameters.epochs: is not a hyperparameter of Amazon Nova Micro; did you mean epochCount? Amazon Nova"
        f" Micro accepts {accepted}"
    ]
    assert hp_lines({"batchSize": 1}, NOVA_MICRO) == [
        f"HyperParameters.batchSize: is not a hyperparameter of Amazon Nova Micro; Amazon Nova Micro accepts {accepted}"
    ]
    # a name only somewhat like one (below the 0.6 cutoff) gets no suggestion
    (line,) = hp_lines({"rateX": "1"}, NOVA_MICRO)
    assert "did you mean" not in line
    (line,) = hp_lines({"learningRat": "1"}, NOVA_MICRO)
    assert "did you mean learningRate? " in line


def test_every_hyperparameter_problem_is_reported_with_its_prefix():
    hps = {"epochCount": "0", "learningRateMultiplier": "x", "earlyStoppingEnabled": "no", "batchSize": "64"}
    assert hp_lines(hps, prefix="Candidates[1].") == [
        "Candidates[1].HyperParameters.epochCount: is 0, outside the range Anthropic Claude 3 Haiku accepts; use"
        " epochCount (a whole number from 1 to 10)",
        'Candidates[1].HyperParameters.learningRateMultiplier: is "x", not a number; use learningRateMultiplier (a'
        " number from 0.1 to 2)",
        'Candidates[1].HyperParameters.earlyStoppingEnabled: is "no", not a boolean; use "true" or "false"',
    ]


def test_values_the_schema_refused_or_that_are_not_text_are_skipped():
    assert hp_lines({"epochCount": "0"}, skip={"HyperParameters.epochCount"}) == []
    assert (
        hp_lines({"epochCount": "0"}, skip={"Candidates[0].HyperParameters.epochCount"}, prefix="Candidates[0].") == []
    )
    assert hp_lines({"epochCount": "0"}, skip={"Candidates[0].HyperParameters.epochCount"}) != []
    assert hp_lines({"epochCount": ["1"], "batchSize": None}) == []
    # a number or a boolean is checked even when the schema refused its type
    assert hp_lines({"epochCount": 0}, skip={"HyperParameters.epochCount"}) != []
    assert hp_lines({"earlyStoppingEnabled": False}, skip={"HyperParameters.earlyStoppingEnabled"}) == []


# --- validation data and references ----------------------------------------------------------------------

V = "ValidationDataFileName"
R = "ReferenceDataFileName"
RECORD_FIX = 'write each record as {"id": "...", "prompt": "...", "reference": "..."}'


def v_lines(validation: bytes, references: bytes | None = None, **kwargs) -> list[str]:
    with pytest.raises(vd.DatasetProblems) as caught:
        vd.parse_validation(validation, references, validation_name="v", reference_name="r", **kwargs)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def records(validation: bytes, references: bytes | None = None, **kwargs) -> list[tuple[str, str, str]]:
    out = vd.parse_validation(validation, references, validation_name="v", reference_name="r", **kwargs)
    return [(r.id, r.prompt, r.reference) for r in out]


def test_an_empty_or_blank_validation_file_names_the_fix():
    expected = [f"{V}: v is empty; upload the validation prompts and references"]
    assert v_lines(b"") == expected
    assert v_lines(b" \n ") == expected
    assert v_lines(b"\xef\xbb\xbf") == expected  # a BOM alone


@pytest.mark.parametrize("data", [b"[]", b"  []", b"\n\n"[:0] + b"[ ]"])
def test_a_validation_file_without_records_asks_for_one(data):
    assert v_lines(data) == [f"{V}: v holds no records; add at least one prompt"]


def test_a_broken_json_array_names_its_line_and_column():
    assert v_lines(b'\n[{"prompt": "a"},\n') == [
        f"{V}: v is not valid JSON (Expecting value at line 3, column 1); fix the JSON array, or write JSON Lines"
        " with one record per line"
    ]


def test_a_bracket_that_opens_no_array_is_read_as_json_lines():
    """A file starting with ``[`` that loads as something else is not possible; JSON Lines of arrays are
    lines that are not objects."""
    assert v_lines(b"[1]\n[2]\n") == [
        f"{V}: v is not valid JSON (Extra data at line 2, column 1); fix the JSON array, or write JSON Lines with"
        " one record per line"
    ]


def test_bad_json_lines_are_reported_and_the_other_lines_still_checked():
    data = b'{"prompt": "p", "reference": "r"}\n{oops\n{"prompt": "", "reference": "r"}\n{x\n'
    assert v_lines(data) == [
        f"{V}: v lines 2, 4: not valid JSON (Expecting property name enclosed in double quotes at column 2); write"
        ' one {"id": ..., "prompt": ..., "reference": ...} object per line',
        f'{V}: v line 3: empty "prompt"; give every record a non-empty "prompt" string',
    ]


def test_only_bad_json_lines_report_no_other_problem():
    assert v_lines(b"{x\n") == [
        f"{V}: v line 1: not valid JSON (Expecting property name enclosed in double quotes at column 2); write one"
        ' {"id": ..., "prompt": ..., "reference": ...} object per line'
    ]


def test_an_item_that_is_not_an_object_is_reported_once():
    assert v_lines(b'[{"prompt": "a"}, "b", 3]', b'["ra", "rb", "rc"]') == [
        f"{V}: v items 2, 3: not a JSON object; {RECORD_FIX}"
    ]
    assert v_lines(b'{"prompt": "a", "reference": "r"}\n"b"\n') == [f"{V}: v line 2: not a JSON object; {RECORD_FIX}"]


def test_ids_are_all_or_none():
    data = jsonl(
        [
            {"id": "a", "prompt": "p", "reference": "r"},
            {"prompt": "p", "reference": "r"},
            {"prompt": "p", "reference": "r"},
        ]
    )
    assert v_lines(data) == [
        f'{V}: v lines 2, 3: missing "id" (other records have one); give every record a unique id, or remove all'
        " ids to have them generated"
    ]
    # a line that is not an object is reported as such, not as missing an id
    data = jsonl([{"id": "a", "prompt": "p", "reference": "r"}, "x"])
    assert v_lines(data) == [f"{V}: v line 2: not a JSON object; {RECORD_FIX}"]


@pytest.mark.parametrize("bad", ["", " ", True, None, 1.5, ["a"]])
def test_an_id_that_is_not_a_non_empty_string_or_a_number_is_refused(bad):
    data = jsonl([{"id": bad, "prompt": "p", "reference": "r"}, {"id": "b", "prompt": "p", "reference": "r"}])
    assert v_lines(data) == [f'{V}: v line 1: "id" is not a non-empty string; use string ids like "q-001"']


def test_ids_keep_their_text_and_numbers_become_text():
    data = jsonl([{"id": 0, "prompt": "p0", "reference": "r0"}, {"id": " x ", "prompt": "p1", "reference": "r1"}])
    assert records(data) == [("0", "p0", "r0"), (" x ", "p1", "r1")]


def test_duplicate_ids_name_the_first_one_repeated():
    data = jsonl(
        [
            {"id": "a", "prompt": "p", "reference": "r"},
            {"id": "b", "prompt": "p", "reference": "r"},
            {"id": 7, "prompt": "p", "reference": "r"},
            {"id": "b", "prompt": "p", "reference": "r"},
            {"id": "7", "prompt": "p", "reference": "r"},
            {"id": "a", "prompt": "p", "reference": "r"},
        ]
    )
    assert v_lines(data) == [f"{V}: v lines 4, 5, 6: duplicate id (first: 'b'); give every record a unique id"]


def test_generated_ids_count_from_one_with_five_digits():
    data = jsonl([{"prompt": f"p{i}", "reference": f"r{i}"} for i in range(3)])
    assert [r[0] for r in records(data)] == ["rec-00001", "rec-00002", "rec-00003"]


def test_a_prompt_at_the_length_limit_is_fine_and_one_more_character_is_refused():
    data = jsonl([{"prompt": "x" * 10, "reference": "r"}, {"prompt": "y" * 11, "reference": "r"}])
    assert v_lines(data, max_prompt_chars=10) == [
        f"{V}: v line 2: prompt longer than 10 characters; shorten the prompt or drop the record"
    ]
    assert len(records(data, max_prompt_chars=11)) == 2
    long = jsonl([{"prompt": "x" * 100_000, "reference": "r"}])
    assert records(long)[0][1] == "x" * 100_000
    assert v_lines(jsonl([{"prompt": "x" * 100_001, "reference": "r"}])) == [
        f"{V}: v line 1: prompt longer than 100000 characters; shorten the prompt or drop the record"
    ]


def test_every_prompt_issue_has_its_fix():
    data = jsonl(
        [
            {"reference": "r"},
            {"prompt": 3, "reference": "r"},
            {"prompt": " ", "reference": "r"},
            {"prompt": "xx", "reference": "r"},
        ]
    )
    assert v_lines(data, max_prompt_chars=1) == [
        f'{V}: v line 1: missing "prompt"; give every record a non-empty "prompt" string',
        f'{V}: v line 2: "prompt" is not a string; give every record a non-empty "prompt" string',
        f'{V}: v line 3: empty "prompt"; give every record a non-empty "prompt" string',
        f"{V}: v line 4: prompt longer than 1 characters; shorten the prompt or drop the record",
    ]


def test_own_references_must_all_be_non_empty_strings():
    data = jsonl(
        [
            {"prompt": "p", "reference": "r"},
            {"prompt": "p"},
            {"prompt": "p", "reference": 1},
            {"prompt": "p", "reference": ""},
        ]
    )
    assert v_lines(data, b'["ignored"]') == [
        f'{V}: v line 2: missing "reference"; give every record a non-empty "reference" string',
        f'{V}: v line 3: "reference" is not a string; give every record a non-empty "reference" string',
        f'{V}: v line 4: empty "reference"; give every record a non-empty "reference" string',
    ]


def test_without_references_and_without_a_reference_file():
    assert v_lines(jsonl([{"prompt": "p"}])) == [
        f'{R}: v has no "reference" values and no reference file was found; add "reference" to every record, or'
        " upload a JSON array of reference strings (ReferenceDataFileName)"
    ]


@pytest.mark.parametrize(
    ("references", "what"),
    [
        (b"", "r is empty"),
        (b" \n", "r is empty"),
        (b"\xef\xbb\xbf", "r is empty"),
        (b'{"a": 1}', "r is not a JSON array"),
        (b'"a"', "r is not a JSON array"),
        (b'["a",', "r is not valid JSON (Expecting value at line 1, column 6)"),
        (b'"a"\n"b', "r is not valid JSON (Extra data at line 2, column 1)"),
    ],
)
def test_a_reference_file_that_is_not_an_array_of_strings(references, what):
    assert v_lines(jsonl([{"prompt": "p"}]), references) == [
        f"{R}: {what}; write a JSON array of reference strings, one per prompt"
    ]


def test_a_reference_file_in_json_lines_is_told_to_wrap_its_values():
    assert v_lines(jsonl([{"prompt": "p"}, {"prompt": "q"}]), b'"a"\n\n"b"\n') == [
        f"{R}: r is JSON Lines, but a JSON array of reference strings is expected; wrap the values in [ ] separated"
        ' by commas, or put a "reference" on each validation record'
    ]


def test_a_reference_file_with_the_bom_and_its_references_by_position():
    assert records(jsonl([{"prompt": "p"}, {"prompt": "q"}]), b'\xef\xbb\xbf["a", "b"]') == [
        ("rec-00001", "p", "a"),
        ("rec-00002", "q", "b"),
    ]


def test_every_reference_file_problem_at_once():
    assert v_lines(jsonl([{"prompt": "p"}] * 3), b'["a", 1, " ", null]') == [
        f"{R}: r items 2, 4: not a string; write each reference as a JSON string",
        f"{R}: r item 3: empty reference; give every prompt a non-empty reference",
        f"{R}: r has 4 references but v has 3 prompts; give exactly one reference per prompt, in the same order",
    ]


def test_a_reference_file_without_a_name_is_the_reference_file():
    with pytest.raises(vd.DatasetProblems) as caught:
        vd.parse_validation(jsonl([{"prompt": "p"}]), b"[]", validation_name="v")
    assert [str(p) for p in caught.value.problems] == [
        f"{R}: the reference file has 0 references but v has 1 prompts; give exactly one reference per prompt, in"
        " the same order"
    ]


def test_references_are_needed_only_when_no_record_carries_one():
    assert vd.references_needed(jsonl([{"prompt": "p"}, {"prompt": "q", "reference": "r"}])) is False
    assert vd.references_needed(b'[{"prompt": "p"}, "x"]') is True
    assert vd.references_needed(b'["x"]') is True
    assert vd.references_needed(b"[]") is False
    assert vd.references_needed(b"[") is False


def test_eval_record_json_keeps_non_ascii_text():
    record = vd.EvalRecord("é-1", "¿qué?", "sí")
    assert record.to_json() == '{"id": "é-1", "prompt": "¿qué?", "reference": "sí"}'


# --- problems, the shared dataset text helpers, one input check -----------------------------------------


def test_problems_are_grouped_by_field_in_first_seen_order_and_duplicates_dropped():
    problems = [
        Problem("B", "b1", "f"),
        Problem("A", "a1", "f"),
        Problem("B", "b2", "f"),
        Problem("B", "b1", "f"),
        Problem("A", "named a2", "f", named=True),
    ]
    assert pr.format_problems(problems) == "B: b1; f\nB: b2; f\nA: a1; f\nnamed a2; f"


def test_at_most_sixty_problems_are_listed_then_how_many_more():
    problems = [Problem("F", f"p{i}", "fix") for i in range(62)]
    lines = pr.format_problems(problems).splitlines()
    assert len(lines) == 61
    assert lines[59] == "F: p59; fix"
    assert lines[60] == "Input: 2 more problems not shown; fix these first"
    assert pr.format_problems(problems[:60]).splitlines()[-1] == "F: p59; fix"
    assert len(pr.format_problems(problems[:61]).splitlines()) == 61
    assert pr.format_problems(problems[:61]).splitlines()[-1] == "Input: 1 more problems not shown; fix these first"


def test_problems_collect_relabel_and_raise():
    problems = pr.Problems([Problem("A", "a", "f")])
    problems.add("B", "b", "g")
    problems.append(Problem("C", "c", "h"))
    problems.extend([Problem("D", "d", "i"), Problem("A", "e", "j")])
    assert len(problems) == 5
    assert problems.fields() == {"A", "B", "C", "D"}
    problems.relabel(lambda p: p.at("X." + p.field))
    assert [str(p) for p in problems] == ["X.A: a; f", "X.B: b; g", "X.C: c; h", "X.D: d; i", "X.A: e; j"]
    with pytest.raises(InvalidInput) as caught:
        problems.raise_if_any()
    assert str(caught.value) == "X.A: a; f\nX.A: e; j\nX.B: b; g\nX.C: c; h\nX.D: d; i"
    pr.Problems().raise_if_any()  # nothing to raise


def test_dataset_problems_keep_their_list_and_read_one_per_line():
    error = pr.DatasetProblems(iter([Problem("A", "a", "f"), Problem("B", "b", "g")]))
    assert [p.field for p in error.problems] == ["A", "B"]
    assert str(error) == "A: a; f\nB: b; g"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("locations", "label", "text"),
    [
        ([4], "line", "line 4"),
        ([4, 9], "item", "items 4, 9"),
        ([1, 2, 3, 4, 5], "line", "lines 1, 2, 3, 4, 5"),
        ([1, 2, 3, 4, 5, 6], "line", "lines 1, 2, 3, 4, 5 and 1 more"),
    ],
)
def test_where_names_up_to_five_locations(locations, label, text):
    assert dt.where(locations, label) == text


def test_problems_are_ordered_by_the_first_line_or_item_they_name():
    messages = [
        "t: every record bad",
        "t lines 12, 13: x",
        "t line 3: y",
        "t item 7: z",
        "t items 2, 9: w",
        "t has 3 records",
        "t online 1: v",
    ]
    ordered = dt.by_location(Problem("F", m, "f") for m in messages)
    assert [p.message for p in ordered] == [
        "t items 2, 9: w",
        "t line 3: y",
        "t item 7: z",
        "t lines 12, 13: x",
        "t: every record bad",
        "t has 3 records",
        "t online 1: v",
    ]


def test_a_file_that_is_not_utf8_names_the_byte_its_offset_and_line():
    text, problems = dt.decode(b"ok\nstill ok\n\xe9t\xe9", "F", "n", allow_bom=True)
    assert text is None
    assert [str(p) for p in problems] == [
        "F: n is not UTF-8 text (invalid byte 0xe9 at offset 12, line 3); save the file with UTF-8 encoding"
    ]
    _, problems = dt.decode(b"\x80", "F", "n", allow_bom=False)
    assert "invalid byte 0x80 at offset 0, line 1)" in problems[0].message


def test_a_byte_order_mark_is_dropped_or_refused():
    assert dt.decode("\ufeffab".encode(), "F", "n", allow_bom=True) == ("ab", [])
    assert dt.decode(b"ab", "F", "n", allow_bom=False) == ("ab", [])
    text, problems = dt.decode("\ufeffab".encode(), "F", "n", allow_bom=False)
    assert text is None
    assert [str(p) for p in problems] == [
        "F: n starts with a UTF-8 byte order mark, which breaks the first JSON line; save the file as UTF-8 without BOM"
    ]


def test_json_lines_keep_their_numbers_and_the_first_error():
    values, bad, first = dt.json_lines('{"a": 1}\n\n  \n{x\n[2]\n{"b"\n')
    assert values == [(1, {"a": 1}), (5, [2])]
    assert bad == [4, 6]
    assert first == "Expecting property name enclosed in double quotes at column 2"
    assert dt.json_lines("1\n2") == ([(1, 1), (2, 2)], [], None)


def test_json_errors_name_the_place_once():
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads('\n\n  {"a" 1}')
    assert dt.json_error(caught.value) == "Expecting ':' delimiter at column 8"
    assert dt.json_error(caught.value, line=True) == "Expecting ':' delimiter at line 3, column 8"
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads('"abc')
    assert dt.json_error(caught.value, line=True) == "Unterminated string starting at line 1, column 1"


@pytest.mark.parametrize(
    ("record", "issue"),
    [
        ({}, 'missing "k"'),
        ({"k": None}, '"k" is not a string'),
        ({"k": 1}, '"k" is not a string'),
        ({"k": ""}, 'empty "k"'),
        ({"k": " \n\t"}, 'empty "k"'),
        ({"k": " x "}, None),
    ],
)
def test_string_field(record, issue):
    assert dt.string_field(record, "k") == issue


def test_an_input_check_starts_with_the_schema_problems_and_their_top_fields():
    raw = {"JobName": 3, "Candidates": [{"Name": 5}], "BaseModelIdentifier": "x"}
    check = ck.InputCheck.of(raw)
    assert check.raw is raw
    assert "JobName" in check.bad_paths and "Candidates[0].Name" in check.bad_paths
    assert {"JobName", "Candidates"} <= check.bad_top
    assert all("." not in top and "[" not in top for top in check.bad_top)
    assert check.problems.fields() == check.bad_paths
    assert len(check.warnings) == 0
    assert not check.given("JobName")  # refused by the schema
    assert not check.given("Candidates")
    assert check.given("BaseModelIdentifier")
    assert not check.given("Distillation")  # not in the input


def test_a_skipped_or_unknown_hyperparameter_does_not_stop_the_check_of_the_next_ones():
    assert hp_lines({"epochCount": ["1"], "batchSize": "0"}) == [
        "HyperParameters.batchSize: is 0, outside the range Anthropic Claude 3 Haiku accepts; use batchSize (a whole"
        " number from 4 to 256)"
    ]
    lines = hp_lines({"epochs": "1", "batchSize": "0"})
    assert [line.split(":")[0] for line in lines] == ["HyperParameters.epochs", "HyperParameters.batchSize"]


# --- the datasets an input names (dataset_inputs) ------------------------------------------------------------

NOVA_TRAIN, NOVA_VALID = (TRAIN, "nova/train.jsonl"), (VALID, "nova/validation.jsonl")


def nova_input(**changes) -> dict:
    raw = copy.deepcopy(NOVA_INPUT)
    raw.update(changes)
    return raw


def fetched(data: bytes, total_size: int | None = None, source: str | None = None) -> Fetched:
    out = Fetched(data)
    out.total_size = len(data) if total_size is None else total_size
    out.source = source
    return out


def test_a_dataset_named_by_an_s3_uri_or_a_leading_slash_is_refused_before_any_read(problem_lines):
    raw = nova_input(TrainingDataFileName="s3://bc-training/nova/train.jsonl", ValidationDataFileName="/v.jsonl")
    assert problem_lines(raw, {}) == [
        "TrainingDataFileName: s3://bc-training/nova/train.jsonl is an S3 URI, but a key in the bucket bc-training"
        " is expected; upload the file to bc-training and give its key, e.g. train.jsonl",
        "ValidationDataFileName: /v.jsonl starts with '/'; give the key without a leading '/'",
    ]


def test_missing_datasets_name_their_bucket_and_default_keys(problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT)
    assert problem_lines(raw, {}) == [
        "TrainingDataFileName: s3://bc-training/training-data.jsonl does not exist (or is not readable); upload the"
        " file to the bucket bc-training or correct the name",
        "ValidationDataFileName: s3://bc-validation/validation-data.json does not exist (or is not readable); upload"
        " the file to the bucket bc-validation or correct the name",
    ]
    files = ancestor_files()
    del files[(VALID, "reference-inference.json")]
    assert problem_lines(raw, files) == [
        "ReferenceDataFileName: s3://bc-validation/reference-inference.json does not exist (or is not readable);"
        " upload the file to the bucket bc-validation or correct the name"
    ]


def test_a_named_reference_file_is_read_from_the_validation_bucket(validate, problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["ReferenceDataFileName"] = "refs/r.json"
    files = ancestor_files()
    files[(VALID, "refs/r.json")] = files.pop((VALID, "reference-inference.json"))
    assert validate(raw, files).ValidationData.ReferenceKey == "refs/r.json"
    files[(VALID, "refs/r.json")] = b'["only one"]'
    assert problem_lines(raw, files) == [
        "ReferenceDataFileName: refs/r.json has 1 references but validation-data.json has 5 prompts; give exactly"
        " one reference per prompt, in the same order"
    ]


def test_a_reference_file_next_to_records_with_references_is_ignored_with_a_warning(validate):
    context = validate(nova_input(ReferenceDataFileName="r.json"), nova_files())
    assert context.ValidationData.ReferenceKey is None
    assert [str(w) for w in context._warnings] == [
        "ReferenceDataFileName: is ignored: the records of nova/validation.jsonl carry their own reference; leave"
        " ReferenceDataFileName out"
    ]
    assert validate(nova_input(), nova_files())._warnings == []


def test_a_reference_file_the_schema_refused_is_not_read(problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["ReferenceDataFileName"] = 3
    lines = problem_lines(raw, ancestor_files())
    assert [line.split(":")[0] for line in lines] == ["ReferenceDataFileName"]


def test_a_validation_file_the_schema_refused_is_not_read(problem_lines):
    lines = problem_lines(nova_input(ValidationDataFileName=3), {})
    assert [line.split(":")[0] for line in lines] == ["ValidationDataFileName", "TrainingDataFileName"]
    assert "does not exist" not in lines[0] and "does not exist" in lines[1]


def test_a_validation_file_larger_than_the_read_cap_is_refused_unparsed(validate, problem_lines):
    files = nova_files()
    data = files[NOVA_VALID]
    files[NOVA_VALID] = fetched(data + b"{broken", total_size=len(data) + 8)
    assert problem_lines(nova_input(), files) == [
        f"ValidationDataFileName: nova/validation.jsonl is larger than {VALIDATION_READ_CAP // (1024 * 1024)} MiB;"
        " evaluate on a smaller validation set (a few hundred to a few thousand records)"
    ]
    files[NOVA_VALID] = fetched(data, total_size=len(data))
    assert validate(nova_input(), files).ValidationData.Key == "nova/validation.jsonl"


def test_a_training_prefix_is_checked_as_a_prefix(validate, problem_lines):
    files = nova_files()
    data = jsonl(conversation_rows(3)) + b'{"schemaVersion": "bedr'
    files[NOVA_TRAIN] = fetched(data, total_size=len(data) * 100)
    validate(nova_input(), files)  # neither the partial line nor the minimum of 8 records counts
    files[NOVA_TRAIN] = fetched(data)
    lines = problem_lines(nova_input(), files)
    assert [line.split(":")[0] for line in lines] == ["TrainingDataFileName"] * 2
    assert "nova/train.jsonl line 4: not valid JSON" in lines[0]
    assert lines[1] == (
        "TrainingDataFileName: nova/train.jsonl has 4 records, fewer than the 8 Bedrock requires; provide at least 8"
        " records"
    )


def test_training_data_is_not_checked_when_the_customization_type_was_refused(problem_lines):
    files = nova_files()
    files[NOVA_TRAIN] = b"not json"
    lines = problem_lines(nova_input(CustomizationType=5), files)
    assert all(line.startswith("CustomizationType:") for line in lines), lines


def test_training_data_of_an_unknown_model_is_checked_for_any_format(validate, problem_lines):
    raw = nova_input(BaseModelIdentifier="example.text-model-v1:0:32k", AllowUnknownModel=True)
    raw.pop("HyperParameters")
    files = nova_files()
    files[NOVA_TRAIN] = jsonl(pc_rows(2))  # two records: no minimum without the family's rules
    validate(raw, files)
    files[NOVA_TRAIN] = jsonl([{"prompt": "p"}])
    lines = problem_lines(raw, files)
    assert lines == [
        'TrainingDataFileName: nova/train.jsonl line 1: missing "completion"; write each record as {"prompt":'
        ' "...", "completion": "..."}'
    ]


def test_local_files_are_labelled_by_path_only_in_their_own_problems():
    labels = di.LocalLabels()
    assert labels.label(V, "k.jsonl", b"x") == "k.jsonl"
    assert labels.label(V, "k.jsonl", fetched(b"x", source="local.jsonl")) == "local.jsonl (ValidationDataFileName)"
    own = Problem(V, "local.jsonl (ValidationDataFileName) line 1: bad", "fix")
    other = Problem(V, "k.jsonl line 1: bad", "fix")
    elsewhere = Problem(R, "local.jsonl (ValidationDataFileName) line 1: bad", "fix")
    assert labels.named(own).named is True
    assert labels.named(other).named is False
    assert labels.named(elsewhere).named is False
    assert str(labels.named(own)) == "local.jsonl (ValidationDataFileName) line 1: bad; fix"
    assert di.LocalLabels().named(own).named is False


def test_the_longest_prompt_fits_the_context_beside_the_output_tokens():
    nova, claude = mf.lookup(NOVA_INPUT["BaseModelIdentifier"]), mf.lookup(CLAUDE_INPUT["BaseModelIdentifier"])
    assert nova is not None and claude is not None
    assert di.max_prompt_chars(None, InferenceSettings()) == 100_000
    assert di.max_prompt_chars(nova, InferenceSettings()) == 100_000  # 128k tokens: the cap
    small = dataclasses.replace(nova, context_tokens=10_000)
    assert di.max_prompt_chars(small, InferenceSettings(MaxTokens=1_000)) == 36_000
    assert di.max_prompt_chars(small, InferenceSettings(MaxTokens=9_800)) == 1_000  # the floor
    assert di.max_prompt_chars(small, InferenceSettings(MaxTokens=9_700)) == 1_200
    assert di.max_prompt_chars(dataclasses.replace(nova, context_tokens=25_001), InferenceSettings(MaxTokens=0)) == (
        100_000
    )
    assert di.max_prompt_chars(dataclasses.replace(nova, context_tokens=24_999), InferenceSettings(MaxTokens=0)) == (
        99_996
    )


def test_the_shard_cap_names_the_smallest_shard_size_that_fits():
    check = ck.InputCheck.of({})
    check.problems = pr.Problems()
    di._shard_problems(check, MAX_SHARDS * 3, 3)
    assert len(check.problems) == 0
    di._shard_problems(check, MAX_SHARDS * 3 + 1, 3)
    assert [str(p) for p in check.problems] == [
        f"Evaluation.ShardSize: {MAX_SHARDS * 3 + 1} records in shards of 3 make {MAX_SHARDS + 1} shards, more than"
        f" the {MAX_SHARDS} one run can finish (PlanShards writes and Aggregate reads every shard within their"
        f" Lambda timeouts); use a ShardSize of at least 4"
    ]


# --- Evaluation.Judge and the policy's use of it (evaluation_checks) -------------------------------------------

J = "Evaluation.Judge.ModelId"
NOT_AN_ID_FIX = (
    "use a model id (amazon.nova-pro-v1:0), an inference profile id (us.anthropic.claude-3-5-haiku-20241022-v1:0)"
    " or an inference profile ARN"
)
NEEDS_JUDGE = (
    "Judge needs the LLM judge, but Evaluation.Judge is not set; add Evaluation.Judge, e.g."
    ' {"ModelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "Rubric": "summary_quality"}, or use another metric'
)
RUBRIC = "Evaluation.Judge.Rubric"


def judge_lines(evaluation: dict, bad_paths=frozenset()) -> list[str]:
    return [str(p) for p in ec.judge_problems(evaluation, bad_paths)]


@pytest.mark.parametrize(
    "model_id",
    [
        "us.amazon.nova-pro-v1:0",
        " amazon.nova-pro-v1:0 ",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "eu-west.anthropic.claude-3-5-haiku-20241022-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
        "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/abc123",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/p1",
    ],
)
def test_a_judge_model_id_or_arn_is_accepted(model_id):
    assert judge_lines({"Judge": {"ModelId": model_id}}) == []


@pytest.mark.parametrize(
    "model_id",
    [
        "arn:aws:bedrock:us-east-1:123:foundation-model/amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/m",
        "arn:aws:bedrock:us-east-1:123456789012:foundation-model/a/b",
        "arn:aws:bedrock:us-east-1:123456789012:foundation-model/a b",
        "my favourite model",
        "Amazon.nova-pro-v1:0",
        "amazon.nova-pro-v1:0:x",
        "nova",
    ],
)
def test_anything_else_is_not_a_judge_model_id(model_id):
    assert judge_lines({"Judge": {"ModelId": model_id}}) == [
        f"{J}: {json.dumps(model_id)} is not a Bedrock model id or inference profile; {NOT_AN_ID_FIX}"
    ]


def test_a_long_bad_judge_id_is_cut_in_its_problem():
    (line,) = judge_lines({"Judge": {"ModelId": "x" * 100}})
    assert line == f'{J}: "{"x" * 79} is not a Bedrock model id or inference profile; {NOT_AN_ID_FIX}'


@pytest.mark.parametrize(
    ("model_id", "plain"),
    [
        ("amazon.nova-pro-v1:0:300k", "amazon.nova-pro-v1:0"),
        ("anthropic.claude-3-haiku-20240307-v1:0:48k", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("us.amazon.nova-lite-v1:0:300k", "us.amazon.nova-lite-v1:0"),
        ("amazon.titan-text-express-v1:8k", "amazon.titan-text-express-v1"),
    ],
)
def test_a_judge_id_with_a_context_suffix_gets_the_id_without_it(model_id, plain):
    assert judge_lines({"Judge": {"ModelId": model_id}}) == [
        f"{J}: {model_id} has a context suffix, which only customization jobs take; give the model id Converse"
        f" takes: {plain}"
    ]


def test_a_cohere_judge_cannot_converse():
    assert judge_lines({"Judge": {"ModelId": "cohere.command-text-v14:7:4k"}}) == [
        f"{J}: cohere.command-text-v14:7:4k (legacy Cohere Command) does not support the Converse API the judge"
        " uses; use a model that does, e.g. us.anthropic.claude-3-5-haiku-20241022-v1:0 or amazon.nova-pro-v1:0"
    ]


def test_a_rubric_is_a_shipped_name_or_text_of_forty_characters():
    judge = {"ModelId": "amazon.nova-pro-v1:0"}
    assert judge_lines({"Judge": {**judge, "Rubric": "summary_quality"}}) == []
    assert judge_lines({"Judge": {**judge, "Rubric": " summary_quality "}}) == []
    assert judge_lines({"Judge": {**judge, "Rubric": "y " * 19 + "yy"}}) == []  # 40 characters
    assert judge_lines({"Judge": {**judge, "Rubric": "y " * 19 + "y"}}) == [
        f'{RUBRIC}: "{"y " * 19}y" is 39 characters, too short for a rubric; say what makes one output better (at'
        " least 40 characters)"
    ]
    assert judge_lines({"Judge": {**judge, "Rubric": "summary_qualty"}}) == [
        f'{RUBRIC}: "summary_qualty" is not a shipped rubric; use summary_quality, or write the rubric text itself'
        " (at least 40 characters)"
    ]
    assert judge_lines({"Judge": {**judge, "Rubric": "a-b.c_D9"}})[0].startswith(f'{RUBRIC}: "a-b.c_D9" is not a')
    assert judge_lines({"Judge": {**judge, "Rubric": "a b"}})[0].startswith(f'{RUBRIC}: "a b" is 3 characters')
    assert judge_lines({"Judge": {**judge, "Rubric": "a/b"}})[0].startswith(f'{RUBRIC}: "a/b" is 3 characters')


def test_a_rubric_or_model_id_the_schema_refused_is_not_checked_again():
    assert judge_lines({"Judge": {"ModelId": "amazon.nova-pro-v1:0", "Rubric": 3}}) == []
    assert judge_lines({"Judge": {"ModelId": "x y", "Rubric": "bad"}}, {J, RUBRIC}) == []
    assert judge_lines({"Judge": {"ModelId": "x y", "Rubric": "bad"}}, {J}) == [
        f'{RUBRIC}: "bad" is not a shipped rubric; use summary_quality, or write the rubric text itself (at least 40'
        " characters)"
    ]
    assert len(judge_lines({"Judge": {"ModelId": "x y", "Rubric": "bad"}}, {RUBRIC})) == 1
    assert judge_lines({"Judge": {"ModelId": 3}}) == []
    assert judge_lines({"Judge": {"ModelId": ""}}) == []


def test_every_use_of_the_judge_without_one_is_reported():
    policy = {"Primary": "Judge", "Guards": [{"Metric": "Judge"}, "x", {"Metric": "ROUGE-L"}, {"Metric": "Judge"}]}
    assert judge_lines({"Policy": policy}) == [
        f"Evaluation.Policy.Primary: {NEEDS_JUDGE}",
        f"Evaluation.Policy.Guards[0].Metric: {NEEDS_JUDGE}",
        f"Evaluation.Policy.Guards[3].Metric: {NEEDS_JUDGE}",
    ]
    assert judge_lines({"Policy": {"Primary": "ROUGE-L", "Guards": [{"Metric": "Judge"}]}}) == [
        f"Evaluation.Policy.Guards[0].Metric: {NEEDS_JUDGE}"
    ]
    assert judge_lines({"Policy": {"Primary": "Judge", "Guards": "x"}}) == [f"Evaluation.Policy.Primary: {NEEDS_JUDGE}"]
    assert judge_lines({"Policy": "x"}) == []
    assert judge_lines({"Judge": "x", "Policy": policy}) == []  # the schema refuses the judge itself
    assert judge_lines({"Judge": {"ModelId": "amazon.nova-pro-v1:0"}, "Policy": policy}) == []


def eval_settings(evaluation: dict | None, **settings) -> tuple[object, list[str]]:
    raw = {} if evaluation is None else {"Evaluation": evaluation}
    check = ck.InputCheck(raw, set(), set(), pr.Problems())
    env = vi.Settings(training_bucket="bct", validation_bucket="bcv", artifacts_bucket="bca", **settings)
    result = ec.evaluation_settings(check, env)
    return result, [str(p) for p in check.problems]


def test_evaluation_defaults_come_from_the_deployment():
    evaluation, lines = eval_settings(None, shard_size=7, inference_max_concurrency=9, score_max_concurrency=30)
    assert (evaluation.ShardSize, evaluation.MaxConcurrency, evaluation.ScoreConcurrency) == (7, 9, 30)
    assert lines == []
    evaluation, _ = eval_settings(None, score_max_concurrency=41)
    assert evaluation.ScoreConcurrency == 40
    evaluation, _ = eval_settings({"ShardSize": 3, "MaxConcurrency": 2, "ScoreConcurrency": 5})
    assert (evaluation.ShardSize, evaluation.MaxConcurrency, evaluation.ScoreConcurrency) == (3, 2, 5)


def test_a_score_concurrency_above_the_deployment_limit_is_refused_and_capped():
    evaluation, lines = eval_settings({"ScoreConcurrency": 30}, score_max_concurrency=30)
    assert lines == [] and evaluation.ScoreConcurrency == 30
    evaluation, lines = eval_settings({"ScoreConcurrency": 31}, score_max_concurrency=30)
    assert evaluation.ScoreConcurrency == 30
    assert lines == [
        "Evaluation.ScoreConcurrency: is 31, more than the 30 score functions this deployment allows at once"
        " (Terraform score_max_concurrency); use at most 30, or raise score_max_concurrency (up to 960)"
    ]


def test_a_guard_of_the_primary_metric_or_a_metric_guarded_twice_is_refused():
    guards = [{"Metric": m, "MaxLoss": 0.1} for m in ("ROUGE-L", "Recall", "ROUGE-L", "F1", "ROUGE-L")]
    _, lines = eval_settings({"Metric": "Recall", "Policy": {"Guards": guards}})
    fix = "guard each metric other than the primary one at most once"
    assert lines == [
        f"Evaluation.Policy.Guards[1].Metric: Recall is the primary metric; {fix}",
        f"Evaluation.Policy.Guards[2].Metric: ROUGE-L is guarded twice; {fix}",
        f"Evaluation.Policy.Guards[4].Metric: ROUGE-L is guarded twice; {fix}",
    ]
    _, lines = eval_settings({"Metric": "Recall", "Policy": {"Primary": "ROUGE-L", "Guards": guards[:2]}})
    assert lines == [f"Evaluation.Policy.Guards[0].Metric: ROUGE-L is the primary metric; {fix}"]
    _, lines = eval_settings({"Policy": {"Guards": [{"Metric": "F1", "MaxLoss": 0.1}]}})
    assert lines == [f"Evaluation.Policy.Guards[0].Metric: F1 is the primary metric; {fix}"]


# --- names of the run (names) --------------------------------------------------------------------------------


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_run_suffix_hashes_the_arn_or_else_the_name():
    assert nm.run_suffix("arn:x", "n") == sha("arn:x")[:8]
    assert nm.run_suffix("", "n") == sha("n")[:8]


def test_a_unique_name_fits_the_limit_and_drops_trailing_separators():
    assert nm.unique_name("job", "12345678") == "job-12345678"
    long = nm.unique_name("a" * 70, "12345678")
    assert long == "a" * 54 + "-12345678" and len(long) == 63
    assert nm.unique_name("a" * 54, "12345678") == "a" * 54 + "-12345678"
    assert nm.unique_name("a" * 53 + "-.+x", "12345678") == "a" * 53 + "-12345678"
    assert nm.unique_name("abc", "s", limit=4) == "ab-s"
    assert nm.unique_name("x...", "s") == "x-s"
    assert nm.unique_name("-.", "s") == "--s"


def test_served_names_keep_letters_and_digits_within_63_characters():
    assert nm.provisioned_model_name("my model!!", "s1") == "my-model-pt-s1"
    assert nm.deployment_name("--my__model--", "s1") == "my-model-od-s1"
    assert nm.provisioned_model_name("!!!", "s1") == "custom-model-pt-s1"
    long = nm.deployment_name("a" * 70, "12345678")
    assert long == "a" * 51 + "-od-12345678" and len(long) == 63
    assert nm.provisioned_model_name("a" * 50 + "-b", "12345678") == "a" * 50 + "-pt-12345678"


def test_request_tokens_derive_from_the_execution_and_the_candidate():
    digest = sha("arn:x")[:40]
    assert nm.client_request_tokens("arn:x", "n").model_dump() == {
        "Job": f"job-{digest}",
        "Throughput": f"pt-{digest}",
        "Deployment": f"deploy-{digest}",
        "WinnerThroughput": f"winner-pt-{digest}",
    }
    assert nm.client_request_tokens("", "n").Job == f"job-{sha('n')[:40]}"
    assert (
        nm.candidate_tokens("arn:x", "n", "c1").Job == f"job-{sha('arn:x' + chr(0) + 'candidate' + chr(0) + 'c1')[:40]}"
    )
    assert nm.candidate_tokens("", "n", "c1").Throughput == f"pt-{sha('n' + chr(0) + 'candidate' + chr(0) + 'c1')[:40]}"


@pytest.mark.parametrize(
    ("arn", "region"),
    [
        ("arn:aws:states:eu-west-1:123456789012:execution:m:n", "eu-west-1"),
        ("arn:aws:states::123456789012:execution:m:n", None),
        ("arn:aws:states", None),
        ("a:b:c:d", "d"),
        ("", None),
        (None, None),
    ],
)
def test_the_region_is_the_fourth_part_of_the_arn(arn, region):
    assert nm.region_of(arn) == region


@pytest.mark.parametrize(
    ("arn", "machine"),
    [
        ("arn:aws:states:us-east-1:123456789012:execution:bc-customize:run-1", "bc-customize"),
        ("arn:aws:states:us-east-1:123456789012:express:bc-customize:run-1:abc", "bc-customize"),
        ("arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:m:n", "m"),
        ("arn:aws:states:us-east-1:12345678901:execution:m:n", None),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:m", None),
        ("xarn:aws:states:us-east-1:123456789012:execution:m:n", None),
        ("", None),
    ],
)
def test_the_workflow_name_is_read_from_an_execution_arn(arn, machine):
    assert nm.workflow_name_of(arn) == machine


def test_a_bad_execution_arn_and_names_tags_cannot_carry_are_reported_at_once():
    problems = pr.Problems()
    assert nm.execution_workflow("bad", "n!", problems) == "unknown"
    assert [str(p) for p in problems] == [
        "ExecutionArn: 'bad' is not a Step Functions execution ARN; pass $$.Execution.Id as ExecutionArn in the"
        " ValidateInput payload",
        "ExecutionName: 'n!' has characters Bedrock tags do not accept; use letters, digits, spaces and . _ : / = + @"
        " - only",
    ]
    problems = pr.Problems()
    arn = "arn:aws:states:us-east-1:123456789012:execution:m#1:n"
    assert nm.execution_workflow(arn, "a b._:/=+@-Z9", problems) == "m#1"
    assert [str(p).split(":")[0] for p in problems] == ["WorkflowName"]
    assert "'m#1' has characters Bedrock tags do not accept" in str(next(iter(problems)))


def test_a_reference_file_that_is_not_utf8_is_named_in_its_problem():
    assert v_lines(jsonl([{"prompt": "p"}]), b'["a", "\xff"]') == [
        f"{R}: r is not UTF-8 text (invalid byte 0xff at offset 7, line 1); save the file with UTF-8 encoding"
    ]


# --- serving (deployment) ------------------------------------------------------------------------------------

MICRO = mf.lookup("amazon.nova-micro-v1:0:128k")
HAIKU = mf.lookup("anthropic.claude-3-haiku-20240307-v1:0:200k")


def deployment_of(raw: dict, model, region: str | None = "us-east-1", default: str = "auto", bad_top=()):
    check = ck.InputCheck(raw, set(), set(bad_top), pr.Problems())
    settings = vi.Settings(
        training_bucket="bct", validation_bucket="bcv", artifacts_bucket="bca", default_deployment=default
    )
    env = ck.Env(settings, lambda b, k: None, region, region)
    result = dp.resolve_deployment(check, env, model)
    return tuple(result), [str(p) for p in check.problems]


def test_auto_serves_on_demand_where_the_model_can_be_and_provisioned_elsewhere():
    assert deployment_of({}, MICRO) == (("auto", "on_demand", "deployment"), [])
    assert deployment_of({}, MICRO, region="us-west-2") == (("auto", "provisioned", "provisioned_throughput"), [])
    assert deployment_of({}, MICRO, region=None) == (("auto", "provisioned", "provisioned_throughput"), [])
    assert deployment_of({}, None) == (("auto", "provisioned", "provisioned_throughput"), [])
    assert deployment_of({}, MICRO, default="provisioned") == (
        ("provisioned", "provisioned", "provisioned_throughput"),
        [],
    )
    assert deployment_of({"Deployment": "provisioned"}, MICRO) == (
        ("provisioned", "provisioned", "provisioned_throughput"),
        [],
    )
    assert deployment_of({"Deployment": "x"}, MICRO, bad_top={"Deployment"}) == (
        ("auto", "on_demand", "deployment"),
        [],
    )


def test_on_demand_where_the_model_cannot_be_deployed_so_is_refused():
    assert deployment_of({"Deployment": "on_demand"}, MICRO) == (("on_demand", "on_demand", "deployment"), [])
    assert deployment_of({"Deployment": "on_demand"}, HAIKU, region="us-west-2")[1] == [
        "Deployment: on_demand: Anthropic Claude 3 Haiku cannot be deployed for on-demand inference in us-west-2; use"
        ' "provisioned" (a no-commitment provisioned throughput) or "auto"'
    ]
    assert deployment_of({"Deployment": "on_demand", "BaseModelIdentifier": "x.y"}, None, region=None)[1] == [
        'Deployment: on_demand: x.y cannot be deployed for on-demand inference in this region; use "provisioned" (a'
        ' no-commitment provisioned throughput) or "auto"'
    ]
    assert deployment_of({}, HAIKU, region="us-west-2", default="on_demand")[1] != []


def test_a_provisioned_run_cannot_keep_its_winner_as_a_deployment():
    assert deployment_of({"KeepWinnerAs": "provisioned_throughput"}, MICRO) == (
        ("auto", "on_demand", "provisioned_throughput"),
        [],
    )
    assert deployment_of({"Deployment": "provisioned", "KeepWinnerAs": "deployment"}, MICRO) == (
        ("provisioned", "provisioned", "deployment"),
        [
            "KeepWinnerAs: deployment: this run is served by a provisioned throughput (Deployment provisioned); leave"
            ' KeepWinnerAs out (the winner keeps its throughput) or use Deployment "on_demand"'
        ],
    )
    assert deployment_of({"KeepWinnerAs": "deployment"}, MICRO, region="us-west-2")[1] == [
        "KeepWinnerAs: deployment: this run is served by a provisioned throughput (Deployment auto); leave"
        ' KeepWinnerAs out (the winner keeps its throughput) or use Deployment "on_demand"'
    ]
    assert deployment_of({"KeepWinnerAs": 3}, MICRO, bad_top={"KeepWinnerAs"}) == (
        ("auto", "on_demand", "deployment"),
        [],
    )


def test_a_validation_file_that_is_not_utf8_is_named_in_its_problem():
    assert v_lines(b'{"prompt": "\xff"}') == [
        f"{V}: v is not UTF-8 text (invalid byte 0xff at offset 12, line 1); save the file with UTF-8 encoding"
    ]


def test_a_record_without_a_usable_id_does_not_stop_the_duplicate_check():
    data = jsonl(
        [
            {"id": "a", "prompt": "p", "reference": "r"},
            {"id": "", "prompt": "p", "reference": "r"},
            {"id": "a", "prompt": "p", "reference": "r"},
        ]
    )
    assert v_lines(data) == [
        f'{V}: v line 2: "id" is not a non-empty string; use string ids like "q-001"',
        f"{V}: v line 3: duplicate id (first: 'a'); give every record a unique id",
    ]


def test_a_training_file_not_utf8_or_without_objects_is_reported_for_a_model_of_several_formats():
    assert training(b'{"prompt": "\xff"}\n', mf.LLAMA) == [
        f"{T}: t is not UTF-8 text (invalid byte 0xff at offset 12, line 1); save the file with UTF-8 encoding"
    ]
    assert training(b"1\n", mf.LLAMA) == [f"{T}: t line 1: not a JSON object; {PC_FIX}"]


def test_the_line_of_an_invalid_byte_counts_only_the_newlines_before_it():
    _, problems = dt.decode(b"\nok\n\xe9\nmore\n\n", "F", "n", allow_bom=True)
    assert [p.message for p in problems] == ["n is not UTF-8 text (invalid byte 0xe9 at offset 4, line 3)"]
    _, problems = dt.decode(b"\n\xff", "F", "n", allow_bom=True)
    assert [p.message for p in problems] == ["n is not UTF-8 text (invalid byte 0xff at offset 1, line 2)"]


# --- the base model, its teacher and inference settings (model_checks) ----------------------------------------

B = "BaseModelIdentifier"
ALLOW = "or set AllowUnknownModel to true to skip the model-specific checks"


def input_check(raw: dict) -> ck.InputCheck:
    return ck.InputCheck(raw, set(), set(), pr.Problems())


def base_model_of(raw: dict, base: str, ctype: str | None = mf.FINE_TUNING, region: str | None = None):
    check = input_check(raw)
    model = mc.base_model(check, base, ctype, region)
    return (model.identifier if model else None), [str(p) for p in check.problems], [str(w) for w in check.warnings]


def test_an_unknown_model_gets_the_nearest_fix():
    assert str(mc.unknown_model_problem("amazon.nova-micro-v1:0")) == (
        f"{B}: amazon.nova-micro-v1:0 has no context suffix, which customization jobs need; add the context suffix:"
        " amazon.nova-micro-v1:0:128k"
    )
    assert str(mc.unknown_model_problem("cohere.command-light-text-v14")) == (
        f"{B}: cohere.command-light-text-v14 is not a model id this module knows; did you mean"
        " cohere.command-light-text-v14:7:4k?"
    )
    nova = ", ".join(mf.models_of(mf.NOVA))
    assert str(mc.unknown_model_problem("amazon.nova-premier-v1:0:1000k")) == (
        f"{B}: amazon.nova-premier-v1:0:1000k is an Amazon Nova model this module does not know; use one of {nova},"
        f" {ALLOW}"
    )
    assert str(mc.unknown_model_problem("meta.llama3-4-70b-instruct-v1:0")) == (
        f"{B}: meta.llama3-4-70b-instruct-v1:0 is a Meta Llama 3.x Instruct model this module does not know; use a"
        " known id such as meta.llama3-3-70b-instruct-v1:0:128k, meta.llama3-1-70b-instruct-v1:0:128k,"
        f" meta.llama3-2-90b-instruct-v1:0:128k, {ALLOW}"
    )
    families = ", ".join(f.display.removesuffix(" (legacy)") for f in mf.FAMILY_RULES.values())
    assert str(mc.unknown_model_problem("example.text-model-v1:0:32k")) == (
        f"{B}: example.text-model-v1:0:32k is not a model this module knows; use a model of a known family"
        f" ({families}), e.g. {next(iter(mf.BASE_MODELS))}, {ALLOW}"
    )


def test_a_model_not_customizable_in_the_region_names_where_it_is_and_what_is_here():
    assert base_model_of({}, "amazon.nova-micro-v1:0:128k", mf.CONTINUED_PRE_TRAINING, "us-west-2") == (
        "amazon.nova-micro-v1:0:128k",
        [
            f"{B}: amazon.nova-micro-v1:0:128k (Amazon Nova Micro) cannot be customized in us-west-2; deploy the"
            " module in us-east-1, where it can be, or pick a model customizable in us-west-2, e.g."
            " meta.llama3-1-8b-instruct-v1:0:128k",
            "CustomizationType: CONTINUED_PRE_TRAINING is not offered for Amazon Nova Micro; use FINE_TUNING or"
            " DISTILLATION",
        ],
        [],
    )
    assert base_model_of({}, "amazon.nova-micro-v1:0:128k", region="mars-1")[1] == [
        f"{B}: amazon.nova-micro-v1:0:128k (Amazon Nova Micro) cannot be customized in mars-1; deploy the module in"
        " us-east-1, where it can be"
    ]
    assert base_model_of({}, "amazon.nova-micro-v1:0:128k", region="us-east-1")[1] == []
    assert base_model_of({}, "amazon.nova-micro-v1:0:128k", ctype=None)[1] == []


def test_a_model_no_longer_customizable_is_refused_in_one_line_and_not_checked_further():
    assert base_model_of({}, "cohere.command-light-text-v14:7:4k", mf.DISTILLATION, "us-west-2") == (
        None,
        [
            f"{B}: cohere.command-light-text-v14:7:4k (Cohere Command Light) can no longer be customized: the"
            " Bedrock fine-tuning table no longer lists it; pick a current model instead, e.g."
            f" {mf.successors_of(mf.lookup('cohere.command-light-text-v14:7:4k'))}, with its hyperparameters and"
            " data format"
        ],
        [],
    )


def test_a_model_note_is_a_warning_unless_an_inference_id_is_given():
    note = mf.lookup("meta.llama3-2-1b-instruct-v1:0:128k").note
    assert base_model_of({}, "meta.llama3-2-1b-instruct-v1:0:128k")[2] == [
        f"InferenceModelId: {note}; set InferenceModelId if the default id is refused"
    ]
    assert base_model_of({"InferenceModelId": "x"}, "meta.llama3-2-1b-instruct-v1:0:128k")[2] == []


def test_an_unknown_model_is_a_warning_when_allowed_and_a_missing_suffix_checks_the_model_meant():
    assert base_model_of({"AllowUnknownModel": True}, "x.y") == (
        None,
        [],
        [
            f"{B}: x.y is not a model this module knows; hyperparameters and training data format are not checked"
            " (AllowUnknownModel)"
        ],
    )
    assert base_model_of({"AllowUnknownModel": "yes"}, "x.y")[1] != []
    assert base_model_of({}, "amazon.nova-micro-v1:0")[0] == "amazon.nova-micro-v1:0:128k"
    assert base_model_of({}, "cohere.command-light-text-v14")[0] is None


def distill(raw: dict, ctype: str | None, model, bad_top=()):
    check = ck.InputCheck(raw, set(), set(bad_top), pr.Problems())
    config = mc.distillation(check, ctype, model)
    return config, [str(p) for p in check.problems], [str(w) for w in check.warnings]


def test_distillation_settings_outside_a_distillation_run_are_ignored_with_a_warning():
    raw = {"Distillation": {"TeacherModelIdentifier": "amazon.nova-pro-v1:0"}}
    fix = 'set CustomizationType to "DISTILLATION" to distill, or leave Distillation out'
    assert distill(raw, mf.FINE_TUNING, MICRO) == (
        None,
        [],
        [f"Distillation: is ignored: CustomizationType is FINE_TUNING; {fix}"],
    )
    assert distill(raw, None, MICRO)[2] == [f"Distillation: is ignored: CustomizationType is not valid; {fix}"]
    assert distill({}, mf.FINE_TUNING, MICRO) == (None, [], [])
    assert distill({"Distillation": 3}, mf.FINE_TUNING, MICRO, bad_top={"Distillation"}) == (None, [], [])


def test_a_distillation_run_needs_a_teacher_paired_with_its_student():
    assert distill({}, mf.DISTILLATION, MICRO) == (
        None,
        [
            "Distillation: is missing: a DISTILLATION job needs a teacher model; add it, e.g."
            ' {"TeacherModelIdentifier": "us.amazon.nova-premier-v1:0", "MaxResponseLengthForInference": 1000}'
        ],
        [],
    )
    assert distill({"Distillation": 3}, mf.DISTILLATION, MICRO, bad_top={"Distillation"}) == (None, [], [])
    spec = {"TeacherModelIdentifier": "us.amazon.nova-pro-v1:0", "MaxResponseLengthForInference": 500}
    assert distill({"Distillation": spec}, mf.DISTILLATION, MICRO) == (
        {"DistillationConfig": {"TeacherModelConfig": spec}},
        [],
        [],
    )
    config, problems, _ = distill({"Distillation": {"TeacherModelIdentifier": "x.y"}}, mf.DISTILLATION, MICRO)
    assert config == {"DistillationConfig": {"TeacherModelConfig": {"TeacherModelIdentifier": "x.y"}}}
    assert problems == [
        "Distillation.TeacherModelIdentifier: x.y is not a distillation teacher this module knows; use a teacher"
        f" paired with Amazon Nova Micro: {', '.join(mf.teachers_for(MICRO))} (or its us. inference profile)"
    ]
    assert distill({"Distillation": {"TeacherModelIdentifier": "amazon.nova-pro-v1:0"}}, mf.DISTILLATION, HAIKU)[1] == [
        "Distillation.TeacherModelIdentifier: amazon.nova-pro-v1:0 (Amazon Nova Pro) is not paired with Anthropic"
        " Claude 3 Haiku as student; Anthropic Claude 3 Haiku is no distillation student; use FINE_TUNING"
    ]
    assert distill({"Distillation": {"TeacherModelIdentifier": "x.y"}}, mf.DISTILLATION, None)[1] == []


def test_max_tokens_up_to_what_the_model_generates():
    check = input_check({"InferenceConfig": {"MaxTokens": 10_001, "Temperature": 0.5}})
    config = mc.inference_config(check, MICRO)
    assert (config.MaxTokens, config.Temperature) == (10_001, 0.5)
    assert [str(p) for p in check.problems] == [
        "InferenceConfig.MaxTokens: is 10001, more than the 10000 tokens Amazon Nova Micro generates; use at most 10000"
    ]
    check = input_check({"InferenceConfig": {"MaxTokens": 99_999}})
    assert mc.inference_config(check, None).MaxTokens == 99_999 and len(check.problems) == 0
    refused = ck.InputCheck({"InferenceConfig": {"MaxTokens": "x"}}, set(), {"InferenceConfig"}, pr.Problems())
    assert mc.inference_config(refused, MICRO) == InferenceSettings()


def test_the_inference_model_is_of_the_base_model_family():
    def inference_id(raw, base, model):
        check = input_check(raw)
        return mc.inference_model_id(check, base, model), [str(p) for p in check.problems]

    assert inference_id({}, "amazon.nova-micro-v1:0:128k", MICRO) == ("amazon.nova-micro-v1:0", [])
    assert inference_id({}, None, None) == ("", [])
    fix = "compare against the same base model (leave InferenceModelId out for the default)"
    llama = "us.meta.llama3-2-1b-instruct-v1:0"
    assert inference_id({"InferenceModelId": llama}, "amazon.nova-micro-v1:0:128k", MICRO) == (
        llama,
        [f"InferenceModelId: {llama} is a llama model, the base model is nova; {fix}"],
    )
    assert inference_id({"InferenceModelId": llama}, "amazon.nova-x", None)[1] == [
        f"InferenceModelId: {llama} is a llama model, the base model is nova; {fix}"
    ]
    assert inference_id({"InferenceModelId": "us.amazon.nova-lite-v1:0"}, "amazon.nova-micro-v1:0:128k", MICRO)[1] == []
    assert inference_id({"InferenceModelId": "x.y"}, "amazon.nova-micro-v1:0:128k", MICRO) == ("x.y", [])
    assert inference_id({"InferenceModelId": llama}, None, None) == (llama, [])


# --- the schema's errors as problems (schema_messages) ------------------------------------------------------


def schema_lines(**changes) -> list[str]:
    raw = copy.deepcopy(NOVA_INPUT)
    for key, value in changes.items():
        if value is ...:
            raw.pop(key)
        else:
            raw[key] = value
    return list(dict.fromkeys(str(p) for p in sm.schema_problems(raw)))


def test_the_valid_input_has_no_schema_problem():
    assert schema_lines() == []


@pytest.mark.parametrize(
    ("changes", "lines"),
    [
        (
            {"JobName": ..., "CustomModelName": ...},
            [
                'CustomModelName: is missing; add it, e.g. "support-summarizer"',
                'JobName: is missing; add it, e.g. "support-summarizer-job"',
            ],
        ),
        (
            {"HyperParameters": {"epochCount": True, "learningRate": 0.5}},
            [
                "HyperParameters.epochCount: is a boolean, but Bedrock expects every hyperparameter as a string; write"
                ' it as a string: "true"',
                "HyperParameters.learningRate: is a number, but Bedrock expects every hyperparameter as a string;"
                ' write it as a string: "0.5"',
            ],
        ),
        (
            {"ProvisionedModelUnits": "2"},
            ['ProvisionedModelUnits: is a string ("2"), expected integer; use integer, e.g. 1'],
        ),
        (
            {"Deployment": "fast"},
            ['Deployment: is "fast", not one of auto, on_demand, provisioned; use one of auto, on_demand, provisioned'],
        ),
        (
            {"ProvisionedModelUnits": 0},
            ["ProvisionedModelUnits: is 0, outside the allowed range; use a value from 1 to 100"],
        ),
        (
            {"JobName": "bad job"},
            [
                "JobName: \"bad job\" has characters Bedrock does not accept; use 1-63 letters, digits, '-', '+' or"
                " '.', starting with a letter or digit"
            ],
        ),
        (
            {"JobName": "a" * 64},
            ["JobName: is 64 characters long, more than 63; shorten it (a run suffix is added within the limit)"],
        ),
        ({"TrainingDataFileName": ""}, ['TrainingDataFileName: is empty; give a value, e.g. "training-data.jsonl"']),
        (
            {"NotificationEmail": 3},
            [
                "NotificationEmail: 3 is not an email address or a list of addresses; use"
                ' "ml-team@example.com" or ["a@example.com", "b@example.com"]'
            ],
        ),
        (
            {
                "Candidates": [
                    {"Name": "bad name", "HyperParameters": {"epochCount": 2}},
                    {"Name": "b", "HyperParameters": {}},
                ]
            },
            [
                "Candidates[0].HyperParameters.epochCount: is a number, but Bedrock expects every hyperparameter as a"
                ' string; write it as a string: "2"',
                'Candidates[0].Name: "bad name" cannot be part of resource names; use 1-20 letters, digits and single'
                " '-', starting and ending with a letter or digit",
            ],
        ),
        (
            {"Candidates": []},
            [
                'Candidates: [] is too short; fix the list, e.g. [{"Name": "lr-low", "HyperParameters":'
                ' {"learningRate": "0.000005"}}, {"Name": "lr-high", "HyperParameters": {"learningRate":'
                ' "0.00005"}}]'
            ],
        ),
    ],
)
def test_a_schema_error_reads_as_the_field_what_is_wrong_and_the_fix(changes, lines):
    assert schema_lines(**changes) == lines


def test_an_unknown_field_gets_the_close_name_or_the_known_fields():
    known = ", ".join(sm.load_schema()["properties"])
    assert schema_lines(JobNam="x", Zzzqqq=1) == [
        "JobNam: is not a known field; did you mean JobName?",
        f"Zzzqqq: is not a known field; remove it (known fields: {known})",
    ]


def test_a_range_with_an_exclusive_maximum_says_so():
    evaluation = {**NOVA_INPUT["Evaluation"], "Margin": 5, "ConfidenceLevel": 1}
    assert schema_lines(Evaluation=evaluation) == [
        "Evaluation.ConfidenceLevel: is 1, outside the allowed range; use a value from 0.5 to 1 (exclusive)",
        "Evaluation.Margin: is 5, outside the allowed range; use a value from 0 to 1",
    ]


def test_an_input_that_is_not_an_object_is_one_problem():
    assert [str(p) for p in sm.schema_problems([])] == ["Input: is a list ([]), expected object; use object"]


def test_field_paths_and_json_types():
    assert sm.field_path(["Candidates", 0, "Name"]) == "Candidates[0].Name"
    assert sm.field_path(["A", "B"]) == "A.B"
    assert sm.field_path([]) == ""
    assert sm.field_path([0, "x"]) == "[0].x"
    types = [sm.json_type(v) for v in (True, 1, 1.5, "s", None, [], {})]
    assert types == ["a boolean", "a number", "a number", "a string", "null", "a list", "an object"]


# --- reading the datasets (fetch) ---------------------------------------------------------------------------


class _NoSuchKey(Exception):
    pass


class _ClientError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class FakeS3:
    """``get_object`` of an S3 client: the objects by key, or the error to raise."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        NoSuchKey = _NoSuchKey

    def __init__(self, objects: dict[str, bytes], error: Exception | None = None) -> None:
        self.objects, self.error, self.calls = objects, error, []

    def get_object(self, *, Bucket: str, Key: str, Range: str) -> dict:  # noqa: N803 - boto3's names
        self.calls.append((Bucket, Key, Range))
        if self.error is not None:
            raise self.error
        if Key not in self.objects:
            raise _NoSuchKey(Key)
        data = self.objects[Key]
        end = int(Range.removeprefix("bytes=0-"))
        return {"Body": _Body(data[: end + 1]), "ContentRange": f"bytes 0-{min(end, len(data) - 1)}/{len(data)}"}


def test_the_s3_reader_reads_a_capped_prefix_with_the_whole_size():
    s3 = FakeS3({"k": b"0123456789"})
    data = fe.s3_fetcher(s3, 4)("b", "k")
    assert s3.calls == [("b", "k", "bytes=0-3")]
    assert (bytes(data), data.total_size, data.source) == (b"0123", 10, None)
    whole = fe.s3_fetcher(s3, 100)("b", "k")
    assert (bytes(whole), whole.total_size) == (b"0123456789", 10)
    assert fe.s3_fetcher(s3, 4)("b", "missing") is None


def test_the_s3_reader_without_a_content_range_takes_the_body_size():
    class NoRange(FakeS3):
        def get_object(self, **kwargs) -> dict:
            return {"Body": _Body(b"abc")}

    data = fe.s3_fetcher(NoRange({}), 10)("b", "k")
    assert (bytes(data), data.total_size) == (b"abc", 3)

    class OddRange(FakeS3):
        def get_object(self, **kwargs) -> dict:
            return {"Body": _Body(b"abc"), "ContentRange": "bytes 0-2"}

    assert fe.s3_fetcher(OddRange({}), 10)("b", "k").total_size == 3


@pytest.mark.parametrize("code", ["404", "NoSuchKey", "NotFound", "403", "AccessDenied", "NoSuchBucket"])
def test_a_missing_or_unreadable_object_reads_as_none(code):
    assert fe.s3_fetcher(FakeS3({}, _ClientError(code)), 10)("b", "k") is None


def test_an_empty_object_is_read_as_empty_and_other_errors_are_raised():
    empty = fe.s3_fetcher(FakeS3({}, _ClientError("InvalidRange")), 10)("b", "k")
    assert (bytes(empty), empty.total_size) == (b"", 0)
    with pytest.raises(_ClientError):
        fe.s3_fetcher(FakeS3({}, _ClientError("SlowDown")), 10)("b", "k")
    with pytest.raises(RuntimeError):
        fe.s3_fetcher(FakeS3({}, RuntimeError("boom")), 10)("b", "k")


def test_not_checked_names_itself():
    assert repr(fe.NOT_CHECKED) == "NOT_CHECKED"
    assert fe.TRAINING_READ_CAP == 32 * 1024 * 1024


def test_long_values_are_cut_in_schema_problems_and_plain_fields_are_just_shortened():
    (line,) = schema_lines(Deployment="x" * 100)
    options = "auto, on_demand, provisioned"
    assert line == f'Deployment: is "{"x" * 59}, not one of {options}; use one of {options}'
    assert schema_lines(TrainingDataFileName="a" * 2000) == [
        "TrainingDataFileName: is 2000 characters long, more than 1024; shorten it"
    ]
    candidate = {"Name": "a" * 20, "HyperParameters": {"learningRate": "0.00001" * 10}}
    (line,) = [line for line in schema_lines(Candidates=[candidate]) if line.startswith("Candidates: ")]
    message = f"{[candidate]} is too short"
    assert len(message) > 120
    assert line.startswith(f"Candidates: {message[:120]}; fix the list, e.g. [")


def test_an_empty_value_without_an_example_is_asked_for():
    assert schema_lines(HyperParameters={"epochCount": ""}) == ["HyperParameters.epochCount: is empty; give a value"]
    assert schema_lines(InferenceConfig={"StopSequences": [""]}) == [
        "InferenceConfig.StopSequences[0]: is empty; give a value"
    ]


# --- a sweep (sweep) ------------------------------------------------------------------------------------------

ON_DEMAND = dp.Deployment("auto", "on_demand", "deployment")
PROVISIONED = dp.Deployment("provisioned", "provisioned", "provisioned_throughput")


def sweep_lines(raw: dict, count: int, max_candidates: int, ctype=mf.FINE_TUNING, deployment=PROVISIONED) -> list[str]:
    check = input_check(raw)
    sw._sweep_problems(check, count, max_candidates, sw.RunChoice(MICRO, ctype, deployment))
    return [str(p) for p in check.problems]


def test_a_sweep_of_at_most_max_candidates_is_fine_and_one_more_refused():
    assert sweep_lines({}, 6, 6) == []
    assert sweep_lines({}, 7, 6) == [
        "Candidates: has 7 candidates, more than the 6 this module allows; keep at most 6 (or raise the module's"
        " max_candidates)"
    ]


def test_what_a_sweep_cannot_be_combined_with_is_reported_at_once():
    raw = {"Evaluation": {"Judge": {"ModelId": "amazon.nova-pro-v1:0"}}}
    assert sweep_lines(
        raw, 2, 6, ctype=mf.DISTILLATION, deployment=dp.Deployment("auto", "on_demand", "provisioned_throughput")
    ) == [
        "Candidates: cannot be combined with CustomizationType DISTILLATION; sweep FINE_TUNING or"
        " CONTINUED_PRE_TRAINING candidates, or distill in a run without Candidates",
        "Evaluation.Judge: cannot be combined with Candidates yet (the judge compares one custom model with the"
        " base); leave Evaluation.Judge out of a sweep, or judge the winner in a run of its own",
        "KeepWinnerAs: provisioned_throughput is not available with Candidates on the on-demand path; leave"
        " KeepWinnerAs out (the winner keeps its deployment) or use Deployment provisioned",
    ]
    assert sweep_lines({"Evaluation": {"Judge": None}}, 2, 6, deployment=ON_DEMAND) == []
    assert sweep_lines({"Evaluation": "x"}, 2, 6, deployment=PROVISIONED) == []


def test_candidate_names_are_not_reserved_nor_repeated_ignoring_case():
    check = input_check({})
    seen: dict[str, int] = {}
    for index, name in enumerate(["a", "Base", "A", "custom", 3, "b", "B"]):
        sw._name_problems(check, name, index, seen)
    assert [str(p) for p in check.problems] == [
        "Candidates[1].Name: Base is reserved (the evaluation's model labels); pick another name",
        "Candidates[2].Name: A is also the name of Candidates[0] (names are compared ignoring case); give every"
        " candidate its own name",
        "Candidates[3].Name: custom is reserved (the evaluation's model labels); pick another name",
        "Candidates[6].Name: B is also the name of Candidates[5] (names are compared ignoring case); give every"
        " candidate its own name",
    ]
    assert seen == {"a": 0, "b": 5}
    refused = ck.InputCheck({}, {"Candidates[0].Name"}, set(), pr.Problems())
    sw._name_problems(refused, "base", 0, {})
    assert len(refused.problems) == 0


def candidate_model_of(raw: dict, base: str, region="us-east-1", ctype=mf.FINE_TUNING, deployment=ON_DEMAND):
    check = input_check(raw)
    settings = vi.Settings(training_bucket="bct", validation_bucket="bcv", artifacts_bucket="bca")
    env = ck.Env(settings, lambda b, k: None, region, region)
    field = "Candidates[0].BaseModelIdentifier"
    model = sw._candidate_model(check, env, base, field, sw.RunChoice(MICRO, ctype, deployment))
    return (model.identifier if model else None), [str(p) for p in check.problems]


def test_a_candidate_model_like_the_run_model_is_fine():
    assert candidate_model_of({}, "amazon.nova-lite-v1:0:300k") == ("amazon.nova-lite-v1:0:300k", [])
    raw = {"Deployment": "provisioned"}
    assert candidate_model_of(raw, "amazon.nova-lite-v1:0:300k", deployment=PROVISIONED) == (
        "amazon.nova-lite-v1:0:300k",
        [],
    )


def test_an_unknown_or_retired_candidate_model_is_reported_at_its_field():
    c = "Candidates[0].BaseModelIdentifier"
    assert candidate_model_of({}, "x.y") == (None, [str(mc.unknown_model_problem("x.y").at(c))])
    assert candidate_model_of({"AllowUnknownModel": True}, "x.y") == (None, [])
    retired = mf.lookup("cohere.command-light-text-v14:7:4k")
    assert candidate_model_of({}, "cohere.command-light-text-v14:7:4k") == (
        None,
        [
            f"{c}: cohere.command-light-text-v14:7:4k (Cohere Command Light) can no longer be customized; pick a"
            f" current model instead, e.g. {mf.successors_of(retired)}"
        ],
    )


def test_every_way_a_candidate_model_differs_from_the_run_is_reported():
    c = "Candidates[0].BaseModelIdentifier"
    llama = mf.lookup("meta.llama3-3-70b-instruct-v1:0:128k")
    assert candidate_model_of({}, llama.identifier) == (
        llama.identifier,
        [
            str(mc.region_problem(llama, "us-east-1").at(c)),
            f"{c}: Meta Llama 3.3 70B Instruct reads another training data format than the run's Amazon Nova Micro;"
            " use a nova model (the candidates share the run's training data)",
            f"{c}: Meta Llama 3.3 70B Instruct would be served provisioned, the run's base model on-demand; pick a"
            ' model served the same way, or set Deployment to "provisioned" for every candidate',
        ],
    )
    assert candidate_model_of({}, "amazon.nova-lite-v1:0:300k", ctype=mf.CONTINUED_PRE_TRAINING)[1] == [
        f"{c}: Amazon Nova Lite does not offer CONTINUED_PRE_TRAINING; use a model offering CONTINUED_PRE_TRAINING"
    ]
    lite = mf.lookup("amazon.nova-lite-v1:0:300k")
    assert candidate_model_of({}, lite.identifier, region="us-west-2", deployment=PROVISIONED)[1] == [
        str(mc.region_problem(lite, "us-west-2").at(c))
    ]
    assert candidate_model_of({}, lite.identifier, region=None, deployment=PROVISIONED)[1] == []
