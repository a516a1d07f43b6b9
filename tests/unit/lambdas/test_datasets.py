"""Dataset checks: training JSONL per family/type and the evaluation set formats."""

from __future__ import annotations

import json

import pytest

from workflow_lambdas import datasets as ds
from workflow_lambdas import model_families as mf

# --- builders (the project's own synthetic data) ---------------------------------------------

TOPICS = ["a late parcel", "a double charge", "a locked account", "a broken charger", "a missing invoice"]


def prompt_completion(n: int) -> list[dict]:
    return [
        {
            "prompt": f"Summarize the support chat.\nCustomer {i}: I have {TOPICS[i % 5]}.\nAgent: Let me check that.",
            "completion": f"Customer {i} reports {TOPICS[i % 5]}; the agent investigates.",
        }
        for i in range(n)
    ]


def conversation(n: int, *, answer: bool = True) -> list[dict]:
    rows = []
    for i in range(n):
        messages = [{"role": "user", "content": [{"text": f"Summarize: customer {i} has {TOPICS[i % 5]}."}]}]
        if answer:
            messages.append({"role": "assistant", "content": [{"text": f"{TOPICS[i % 5].capitalize()}."}]})
        rows.append(
            {
                "schemaVersion": "bedrock-conversation-2024",
                "system": [{"text": "You summarize chats."}],
                "messages": messages,
            }
        )
    return rows


def anthropic(n: int) -> list[dict]:
    return [
        {
            "system": "You summarize chats.",
            "messages": [
                {"role": "user", "content": f"Summarize: customer {i} has {TOPICS[i % 5]}."},
                {"role": "assistant", "content": f"{TOPICS[i % 5].capitalize()}."},
            ],
        }
        for i in range(n)
    ]


def jsonl(rows: list) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def fields(problems: list[ds.Problem]) -> list[str]:
    return [p.field for p in problems]


# --- Problem -------------------------------------------------------------------------------------


def test_problem_renders_as_one_line():
    problem = ds.Problem("HyperParameters.epochCount", 'is "0", outside the range', "use 1 to 5")
    assert str(problem) == 'HyperParameters.epochCount: is "0", outside the range; use 1 to 5'


def test_where_lists_the_first_few():
    assert ds.where([3]) == "line 3"
    assert ds.where([1, 2, 3, 4, 5, 6, 7], "item") == "items 1, 2, 3, 4, 5 and 2 more"


# --- training ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "ctype", "rows"),
    [
        (mf.COHERE, mf.FINE_TUNING, prompt_completion(40)),
        (mf.TITAN, mf.FINE_TUNING, prompt_completion(3)),
        (mf.TITAN, mf.CONTINUED_PRE_TRAINING, [{"input": f"Policy text number {i}."} for i in range(5)]),
        (mf.NOVA, mf.FINE_TUNING, conversation(10)),
        (mf.NOVA, mf.DISTILLATION, conversation(120, answer=False)),
        (mf.LLAMA, mf.FINE_TUNING, prompt_completion(3)),
        (mf.LLAMA, mf.FINE_TUNING, conversation(3)),
        (mf.CLAUDE, mf.FINE_TUNING, anthropic(3)),
        (None, mf.FINE_TUNING, anthropic(2)),
        (None, mf.FINE_TUNING, prompt_completion(2)),
    ],
)
def test_good_training_data(family, ctype, rows):
    assert ds.check_training(jsonl(rows), family, ctype) == []


def test_conversation_without_schema_version_is_accepted():
    rows = conversation(10)
    for row in rows:
        del row["schemaVersion"]
        del row["system"]
    assert ds.check_training(jsonl(rows), mf.NOVA, mf.FINE_TUNING) == []


def test_crlf_and_trailing_blank_lines_are_fine():
    data = jsonl(prompt_completion(3)).replace(b"\n", b"\r\n") + b"\r\n\r\n"
    assert ds.check_training(data, mf.COHERE, mf.FINE_TUNING) == []


def test_problem_lists_line_numbers():
    rows = prompt_completion(12)
    data = jsonl(rows).split(b"\n")
    data[6] = b'{"prompt": "cut off'
    data[9] = b'{"prompt": "no answer"}'
    problems = ds.check_training(b"\n".join(data), mf.COHERE, mf.FINE_TUNING, name="train.jsonl")
    text = "\n".join(map(str, problems))
    assert fields(problems) == ["TrainingDataFileName", "TrainingDataFileName"]
    assert "train.jsonl line 7: not valid JSON" in text
    assert 'train.jsonl line 10: missing "completion"' in text


@pytest.mark.parametrize(
    ("family", "ctype", "data", "expected"),
    [
        (mf.COHERE, mf.FINE_TUNING, b"", "is empty"),
        (mf.COHERE, mf.FINE_TUNING, b"\n  \n", "is empty"),
        (mf.COHERE, mf.FINE_TUNING, json.dumps(prompt_completion(3)).encode(), "is a JSON array"),
        (mf.COHERE, mf.FINE_TUNING, "é".encode("latin-1") + jsonl(prompt_completion(2)), "is not UTF-8"),
        (mf.COHERE, mf.FINE_TUNING, b"\xef\xbb\xbf" + jsonl(prompt_completion(2)), "byte order mark"),
        (mf.COHERE, mf.FINE_TUNING, jsonl([{"prompt": "", "completion": "x"}]), 'empty "prompt"'),
        (mf.COHERE, mf.FINE_TUNING, jsonl([{"prompt": "x", "completion": 3}]), '"completion" is not a string'),
        (mf.COHERE, mf.FINE_TUNING, jsonl(prompt_completion(2) + ["just text"]), "line 3: not a JSON object"),
        (mf.NOVA, mf.FINE_TUNING, jsonl(prompt_completion(10)), "prompt/completion format"),
        (mf.NOVA, mf.FINE_TUNING, jsonl(conversation(3)), "fewer than the 8"),
        (mf.NOVA, mf.FINE_TUNING, jsonl(conversation(10, answer=False)), "last message is not from the assistant"),
        (mf.CLAUDE, mf.FINE_TUNING, jsonl(prompt_completion(2)), "Anthropic messages format is expected"),
        (mf.CLAUDE, mf.FINE_TUNING, jsonl([{**anthropic(1)[0], "id": "x"}]), "unexpected keys id"),
        (mf.TITAN, mf.CONTINUED_PRE_TRAINING, jsonl(prompt_completion(2)), "continued pre-training (input)"),
        (mf.TITAN, mf.CONTINUED_PRE_TRAINING, jsonl([{"input": " "}]), 'empty "input"'),
    ],
)
def test_bad_training_data(family, ctype, data, expected):
    problems = ds.check_training(data, family, ctype)
    assert problems, expected
    assert set(fields(problems)) == {"TrainingDataFileName"}
    assert expected in "\n".join(map(str, problems))


def test_messages_must_alternate():
    row = conversation(1)[0]
    row["messages"].insert(1, {"role": "user", "content": [{"text": "again"}]})
    problems = ds.check_training(jsonl([row] * 8), mf.NOVA, mf.FINE_TUNING)
    assert "do not alternate" in str(problems[0])


def test_record_count_limits():
    small = [{"prompt": "p", "completion": "c"}] * 10_001
    problems = ds.check_training(jsonl(small), mf.COHERE, mf.FINE_TUNING)
    assert len(problems) == 1 and "more than the 10000" in problems[0].message


def test_truncated_prefix_ignores_partial_line_and_minimum():
    data = jsonl(prompt_completion(20))
    prefix = data[: len(data) // 2]  # ends inside a line
    assert ds.check_training(prefix, mf.NOVA, mf.FINE_TUNING, total_size=len(data))[0].message.startswith(
        "training data: every record is in the prompt/completion"
    )
    assert ds.check_training(prefix, mf.COHERE, mf.FINE_TUNING, total_size=len(data)) == []
    too_big = ds.check_training(prefix, mf.COHERE, mf.FINE_TUNING, total_size=2 * mf.GIB)
    assert "GiB" in too_big[0].message


# --- validation --------------------------------------------------------------------------------------


def eval_rows(n: int) -> list[dict]:
    return [
        {"id": f"q-{i:03d}", "prompt": f"Summarize: order {i} is late.", "reference": f"Order {i} is late."}
        for i in range(n)
    ]


def test_jsonl_with_ids_and_references():
    records = ds.parse_validation(jsonl(eval_rows(3)), None, validation_name="v.jsonl")
    assert [r.id for r in records] == ["q-000", "q-001", "q-002"]
    assert records[1] == ds.EvalRecord("q-001", "Summarize: order 1 is late.", "Order 1 is late.")
    assert json.loads(records[0].to_json()) == {
        "id": "q-000",
        "prompt": "Summarize: order 0 is late.",
        "reference": "Order 0 is late.",
    }


def test_reference_file_is_ignored_when_records_carry_references():
    records = ds.parse_validation(jsonl(eval_rows(2)), b"not even json", validation_name="v.jsonl")
    assert len(records) == 2


def test_ancestor_array_and_reference_array():
    prompts = json.dumps([{"prompt": "Summarize: A.\\n B."}, {"prompt": "Summarize: C."}], indent=4).encode()
    references = json.dumps(["A and B.", "C."], indent=4).encode()
    records = ds.parse_validation(prompts, references, validation_name="validation-data.json")
    assert [(r.id, r.reference) for r in records] == [("rec-00001", "A and B."), ("rec-00002", "C.")]
    assert records[0].prompt == "Summarize: A.\\n B."


def test_jsonl_without_ids_plus_reference_array():
    rows = [{"prompt": f"p{i}"} for i in range(3)]
    records = ds.parse_validation(jsonl(rows), b'["r0", "r1", "r2"]', validation_name="v.jsonl")
    assert [(r.id, r.prompt, r.reference) for r in records] == [
        ("rec-00001", "p0", "r0"),
        ("rec-00002", "p1", "r1"),
        ("rec-00003", "p2", "r2"),
    ]


def test_integer_ids_become_strings_and_bom_is_tolerated():
    rows = [{"id": 7, "prompt": "p", "reference": "r"}]
    assert ds.parse_validation(b"\xef\xbb\xbf" + jsonl(rows), None, validation_name="v")[0].id == "7"


def test_references_needed():
    assert not ds.references_needed(jsonl(eval_rows(2)))
    assert ds.references_needed(b'[{"prompt": "x"}]')
    assert ds.references_needed(b'{"prompt": "x"}\n{"prompt": "y"}\n')
    assert not ds.references_needed(b"\xff\xfe")
    assert not ds.references_needed(b"")


def test_corrupt_lines_do_not_hide_other_problems():
    rows = eval_rows(4)
    rows[3]["prompt"] = ""
    data = jsonl(rows).replace(b'{"id": "q-001"', b'{"id": "q-001",,', 1)
    text = "\n".join(map(str, _problems(data)))
    assert "v line 2: not valid JSON" in text and 'v line 4: empty "prompt"' in text


def _problems(validation: bytes, references: bytes | None = None, **kwargs) -> list[ds.Problem]:
    with pytest.raises(ds.DatasetProblems) as caught:
        ds.parse_validation(validation, references, validation_name="v", reference_name="r", **kwargs)
    assert str(caught.value) == "\n".join(map(str, caught.value.problems))
    return caught.value.problems


def test_every_problem_is_reported():
    rows = eval_rows(8)
    rows[1]["id"] = rows[0]["id"]
    rows[2]["prompt"] = ""
    rows[3]["reference"] = "  "
    del rows[4]["id"]
    problems = _problems(jsonl(rows))
    text = "\n".join(map(str, problems))
    assert "v line 2: duplicate id (first: 'q-000')" in text
    assert 'v line 3: empty "prompt"' in text
    assert 'v line 4: empty "reference"' in text
    assert 'v line 5: missing "id"' in text
    assert set(fields(problems)) == {"ValidationDataFileName"}


def test_many_bad_lines_are_summarised():
    rows = eval_rows(20)
    for row in rows[3:]:
        row["prompt"] = ""
    (problem,) = _problems(jsonl(rows))
    assert "lines 4, 5, 6, 7, 8 and 12 more" in problem.message


@pytest.mark.parametrize(
    ("validation", "references", "field", "expected"),
    [
        (b"", None, "ValidationDataFileName", "is empty"),
        (b"[]", None, "ValidationDataFileName", "holds no records"),
        (
            b'[{"prompt": "a"}, {"prompt": "b"}]',
            b'["only one"]',
            "ReferenceDataFileName",
            "has 1 references but v has 2",
        ),
        (b'[{"prompt": "a"}]', None, "ReferenceDataFileName", "no reference file"),
        (b'[{"prompt": "a"}, {"prompt": "b"}]', b'"a"\n"b"\n', "ReferenceDataFileName", "is JSON Lines"),
        (b'[{"prompt": "a"}]', b'{"a": 1}', "ReferenceDataFileName", "is not a JSON array"),
        (b'[{"prompt": "a"}]', b'[""]', "ReferenceDataFileName", "item 1: empty reference"),
        (b'[{"prompt": "a"}]', b"[3]", "ReferenceDataFileName", "item 1: not a string"),
        (b'[{"prompt": "a"}]', b"[\xff]", "ReferenceDataFileName", "not UTF-8"),
        (b'[{"prompt": "a"},', None, "ValidationDataFileName", "is not valid JSON"),
        (b'["just a string"]', b'["r"]', "ValidationDataFileName", "item 1: not a JSON object"),
        (b'[{"text": "a"}]', b'["r"]', "ValidationDataFileName", 'item 1: missing "prompt"'),
        (jsonl(eval_rows(3)) + b"{oops\n", None, "ValidationDataFileName", "line 4: not valid JSON"),
        (b"\x80abc", None, "ValidationDataFileName", "not UTF-8"),
        (
            jsonl([{"id": "", "prompt": "p", "reference": "r"}]),
            None,
            "ValidationDataFileName",
            "is not a non-empty string",
        ),
    ],
)
def test_bad_validation_data(validation, references, field, expected):
    problems = _problems(validation, references)
    assert field in fields(problems)
    assert expected in "\n".join(map(str, problems))


def test_oversized_prompt():
    rows = eval_rows(3)
    rows[2]["prompt"] = "x" * 501
    (problem,) = _problems(jsonl(rows), max_prompt_chars=500)
    assert problem.field == "ValidationDataFileName"
    assert problem.message == "v line 3: prompt longer than 500 characters"


# --- wording and order ------------------------------------------------------------------------------


def test_problems_come_in_line_order():
    """Grouped by kind internally, reported by line: what a user fixes top to bottom."""
    rows = eval_rows(6)
    rows[4]["id"] = rows[0]["id"]  # line 5: duplicate id
    rows[1]["prompt"] = ""  # line 2: empty prompt
    lines = jsonl(rows).split(b"\n")
    lines[2] = b'{"id": "cut'  # line 3: not JSON
    messages = [p.message for p in _problems(b"\n".join(lines))]
    assert [m.split(":")[0] for m in messages] == ["v line 2", "v line 3", "v line 5"], messages


def test_whole_file_problems_come_after_the_lines():
    data = jsonl(prompt_completion(2) + [{"prompt": "no answer"}])
    messages = [p.message for p in ds.check_training(data, mf.NOVA, mf.FINE_TUNING, name="t")]
    assert "line" in messages[0] and "fewer than the 8" in messages[-1], messages


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"prompt": "cut\n', "(Unterminated string starting at column 12)"),
        (b'{"prompt" "x"}\n', "(Expecting ':' delimiter at column 11)"),
    ],
)
def test_json_errors_read_once(data, expected):
    (problem,) = [p for p in ds.check_training(data, mf.COHERE, mf.FINE_TUNING, name="t") if "JSON" in p.message]
    assert expected in problem.message and "at at" not in problem.message


def test_json_array_error_names_line_and_column_once():
    (problem,) = _problems(b'[{"prompt": "a', None)
    assert "(Unterminated string starting at line 1, column 13)" in problem.message


def test_local_file_problem_names_the_file_and_its_field():
    label = ds.file_label(ds.VALIDATION_FIELD, "validation-data.json", "badval.jsonl")
    assert label == "badval.jsonl (ValidationDataFileName)"
    assert ds.file_label(ds.VALIDATION_FIELD, "validation-data.json") == "validation-data.json"
    problem = ds.Problem(ds.VALIDATION_FIELD, f"{label} line 5: not valid JSON", "fix it", named=True)
    assert str(problem) == "badval.jsonl (ValidationDataFileName) line 5: not valid JSON; fix it"


# --- Nova reserved keywords ----------------------------------------------------------------------


def test_nova_reserved_keywords_are_reported_with_their_lines_all_at_once():
    rows = conversation(12)
    rows[2]["messages"][0]["content"][0]["text"] = "User: where is my parcel?"
    rows[4]["system"] = [{"text": "Answer as Bot: a helpful agent."}]
    rows[6]["messages"][0]["content"][0]["text"] = "Describe <image> and stop at [EOS]"
    rows[8]["messages"][0]["content"][0]["text"] = "User: again"
    problems = ds.check_training(jsonl(rows), mf.NOVA, mf.FINE_TUNING, name="train.jsonl")
    lines = [str(p) for p in problems]
    assert lines == [
        'TrainingDataFileName: train.jsonl lines 3, 9: uses "User:", a keyword Amazon Nova reserves '
        '(the training job fails on it); reword the prompt or system text without "User:"',
        'TrainingDataFileName: train.jsonl line 5: uses "Bot:", a keyword Amazon Nova reserves '
        '(the training job fails on it); reword the prompt or system text without "Bot:"',
        'TrainingDataFileName: train.jsonl line 7: uses "<image>", a keyword Amazon Nova reserves '
        '(the training job fails on it); reword the prompt or system text without "<image>"',
        'TrainingDataFileName: train.jsonl line 7: uses "[EOS]", a keyword Amazon Nova reserves '
        '(the training job fails on it); reword the prompt or system text without "[EOS]"',
    ]


@pytest.mark.parametrize("word", mf.NOVA_RESERVED_KEYWORDS)
def test_every_nova_reserved_keyword_is_refused(word):
    rows = conversation(10)
    rows[0]["messages"][0]["content"][0]["text"] = f"Please {word} summarize."
    (problem,) = ds.check_training(jsonl(rows), mf.NOVA, mf.FINE_TUNING, name="t.jsonl")
    assert f"line 1: uses {json.dumps(word)}" in problem.message


def test_reserved_keywords_only_matter_for_nova_and_only_in_prompts():
    rows = conversation(10)
    rows[0]["messages"][0]["content"][0]["text"] = "User: hello"
    assert ds.check_training(jsonl(rows), mf.LLAMA, mf.FINE_TUNING, name="t.jsonl") == []
    rows = conversation(10)
    rows[0]["messages"][1]["content"][0]["text"] = "Assistant: the answer"  # the assistant's own text
    assert ds.check_training(jsonl(rows), mf.NOVA, mf.FINE_TUNING, name="t.jsonl") == []
