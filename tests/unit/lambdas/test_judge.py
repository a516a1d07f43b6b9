"""``judge``: answer parsing, both orders and the tie rule, a shard through moto S3 and a fake judge."""

from __future__ import annotations

import json
import re
import threading

import pytest
from botocore.exceptions import ClientError

from workflow_lambdas import infer, judge
from workflow_lambdas.contract.errors import DatasetError, InferenceFailed, InvalidInput

BUCKET = "artifacts-bucket"
RUN_ID = "run-judge"
SCORES_KEY = f"runs/{RUN_ID}/evaluation/scores/00001.jsonl"
OUT_KEY = f"runs/{RUN_ID}/evaluation/judge/00001.jsonl"
MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
N = 6


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ('{"preference": "A", "reason": "A is faithful."}', "A"),
        ('```json\n{"preference": "B", "reason": "B covers more."}\n```', "B"),
        ('Here is my verdict: {"Preference": "tie", "Reason": "Same content."} Thanks.', "tie"),
        ('{"winner": "Response B", "explanation": "B is shorter."}', "B"),
        ('{"preference": "a", "reason": "x"}', "A"),
        ("After comparing both, Response A is clearer. [[A]]", "A"),
        ("Both are equally good. [[C]]", "tie"),
        ("Preference: B\nReason: B keeps the key facts.", "B"),
        ("preferred response: a - it is accurate", "A"),
    ],
)
def test_answers_in_many_shapes_are_parsed(text, choice):
    assert judge.parse_answer(text)[0] == choice


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", 42, "I like both of them.", '{"preference": "maybe", "reason": "x"}', '{"broken": ', "[1, 2]"],
)
def test_anything_else_is_unparsable_and_never_raises(text):
    assert judge.parse_answer(text) == (None, "")


def test_the_reason_is_one_sentence():
    choice, reason = judge.parse_answer(
        '{"preference": "B", "reason": "B keeps every fact. It is also shorter.\\nAnd more."}'
    )
    assert (choice, reason) == ("B", "B keeps every fact.")


# --------------------------------------------------------------------------- both orders, the tie rule


def _answer(first, choice, reason="", error=None):
    out = {"first": first, "answer": choice, "reason": reason}
    if error:
        out["error"] = error
    return out


def test_letters_map_to_models_in_each_order():
    assert judge.model_of("A", "base") == "base" and judge.model_of("B", "base") == "custom"
    assert judge.model_of("A", "custom") == "custom" and judge.model_of("B", "custom") == "base"
    assert judge.model_of("tie", "custom") == "tie" and judge.model_of(None, "base") is None


def test_both_orders_preferring_the_custom_output_is_a_custom_preference_with_models_named():
    pref, reason = judge.combine(
        [_answer("base", "B", "Response B keeps the facts."), _answer("custom", "A", "Response A is better.")]
    )
    assert pref == "custom"
    assert reason == "The custom output keeps the facts."


def test_a_position_biased_judge_gives_ties():
    # "A" in both orders: base first, then custom first: the orders disagree about the model
    pref, reason = judge.combine([_answer("base", "A", "A."), _answer("custom", "A", "A.")])
    assert pref == "tie"
    assert "disagree" in reason and "base first: base" in reason and "custom first: custom" in reason


@pytest.mark.parametrize(
    "second",
    [_answer("custom", "tie"), _answer("custom", None), _answer("custom", None, error={"type": "X", "message": "y"})],
)
def test_a_tie_an_unparsable_answer_or_a_failed_call_in_one_order_makes_a_tie(second):
    assert judge.combine([_answer("base", "B", "B."), second])[0] == "tie"


def test_two_ties_are_a_tie():
    assert judge.combine([_answer("base", "tie"), _answer("custom", "tie")])[0] == "tie"


# --------------------------------------------------------------------------- a shard


@pytest.fixture
def aws(mocked_s3):
    mocked_s3.create_bucket(Bucket=BUCKET)
    return mocked_s3


def _rows(n=N, errored=()):
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"r{i}",
                "prompt": f"Summarize ticket {i}.",
                "reference": f"good summary {i}",
                "base": {"output": f"bad {i}", "error": None},
                "custom": {"output": None, "error": "boom"} if i in errored else {"output": f"good {i}", "error": None},
            }
        )
    return rows


def _put(s3, rows):
    s3.put_object(Bucket=BUCKET, Key=SCORES_KEY, Body="".join(json.dumps(r) + "\n" for r in rows).encode())


def _event(count=N, judge_spec=None):
    return {
        "Task": "judge",
        "run": {
            "RunId": RUN_ID,
            "ArtifactsBucket": BUCKET,
            "RunPrefix": f"runs/{RUN_ID}/",
            "Evaluation": {"Judge": judge_spec or {"ModelId": MODEL, "Rubric": "summary_quality"}},
        },
        "shard": {"Index": 1, "Key": "ignored", "Count": count},
    }


def _client_error(code):
    return ClientError({"Error": {"Code": code, "Message": f"{code} (fake)"}}, "Converse")


class FakeJudge:
    """Converse stand-in: prefers the response containing "good"; ``bias`` answers A always."""

    def __init__(self, *, bias=False, throttle_first=0, fail_code=None, garbage=False):
        self.bias, self.throttle_first, self.fail_code, self.garbage = bias, throttle_first, fail_code, garbage
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def converse(self, **request):
        with self.lock:
            self.requests.append(request)
            if self.throttle_first:
                self.throttle_first -= 1
                raise _client_error("ThrottlingException")
        if self.fail_code:
            raise _client_error(self.fail_code)
        text = request["messages"][0]["content"][0]["text"]
        a = re.search(r"<response_a>\n(.*?)\n</response_a>", text, re.S).group(1)
        choice = "A" if self.bias or "good" in a else "B"
        answer = "no idea" if self.garbage else json.dumps({"preference": choice, "reason": f"Response {choice} wins."})
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 100, "outputTokens": 10, "totalTokens": 110},
            "metrics": {"latencyMs": 5},
        }


def _run(s3, runtime, event=None, **kw):
    settings = infer.Settings(concurrency=4, max_attempts=6, backoff_base=0.0001, backoff_cap=0.001)
    return judge.judge_shard(
        judge.JudgeEvent.model_validate(event or _event()), s3=s3, runtime=runtime, settings=settings, **kw
    )


def _lines(s3):
    body = s3.get_object(Bucket=BUCKET, Key=OUT_KEY)["Body"].read().decode()
    return [json.loads(x) for x in body.splitlines()]


def test_every_record_is_judged_in_both_orders_with_the_rubric_and_usage(aws):
    _put(aws, _rows())
    runtime = FakeJudge()
    result = _run(aws, runtime)

    assert result["Records"] == N and result["Preferences"] == {"custom": N, "base": 0, "tie": 0}
    assert len(runtime.requests) == 2 * N
    firsts = {}
    for request in runtime.requests:
        assert request["modelId"] == MODEL
        assert judge.RUBRICS["summary_quality"] in request["system"][0]["text"]
        assert '"preference"' in request["system"][0]["text"]
        text = request["messages"][0]["content"][0]["text"]
        record = re.search(r"ticket (\d+)", text).group(1)
        a = re.search(r"<response_a>\n(.*?)\n</response_a>", text, re.S).group(1)
        firsts.setdefault(record, set()).add(a.split()[0])
        assert f"<reference>\ngood summary {record}\n</reference>" in text
    assert all(v == {"bad", "good"} for v in firsts.values())  # each record once in each order
    lines = _lines(aws)
    assert [x["id"] for x in lines] == [f"r{i}" for i in range(N)]
    assert all(x["preference"] == "custom" and x["input_tokens"] == 200 and x["output_tokens"] == 20 for x in lines)
    assert lines[0]["reason"] == "The custom output wins."


def test_position_bias_is_removed_every_record_a_tie(aws):
    _put(aws, _rows())
    result = _run(aws, FakeJudge(bias=True))
    assert result["Preferences"] == {"custom": 0, "base": 0, "tie": N}


def test_unparsable_answers_are_counted_ties_and_do_not_fail(aws):
    _put(aws, _rows())
    result = _run(aws, FakeJudge(garbage=True))
    assert result["Unparsable"] == 2 * N and result["Preferences"]["tie"] == N
    assert all(x["unparsable"] == 2 and x["answers"][0]["raw"] == "no idea" for x in _lines(aws))


def test_throttled_judge_calls_are_retried_and_nothing_is_lost(aws):
    _put(aws, _rows())
    runtime = FakeJudge(throttle_first=5)
    result = _run(aws, runtime)
    assert result["Preferences"]["custom"] == N and len(runtime.requests) == 2 * N + 5


def test_a_record_without_an_output_is_not_judged(aws):
    _put(aws, _rows(errored={2}))
    runtime = FakeJudge()
    result = _run(aws, runtime)
    assert len(runtime.requests) == 2 * (N - 1)
    line = _lines(aws)[2]
    assert line["preference"] is None and "custom model had no output" in line["skipped"]
    assert result["Preferences"]["custom"] == N - 1


def test_a_judge_refusing_every_call_is_a_misconfiguration(aws):
    _put(aws, _rows())
    with pytest.raises(InferenceFailed, match="every judge call .* AccessDeniedException.*Evaluation.Judge.ModelId"):
        _run(aws, FakeJudge(fail_code="AccessDeniedException"))


def test_a_judged_shard_is_not_judged_again(aws):
    _put(aws, _rows())
    _run(aws, FakeJudge())
    again = FakeJudge()
    assert _run(aws, again)["Skipped"] is True and again.requests == []


def test_the_deadline_saves_the_answers_and_the_retry_resumes(aws):
    _put(aws, _rows())
    now = [0.0]

    class Slow(FakeJudge):
        def converse(self, **request):
            answer = super().converse(**request)
            with self.lock:
                now[0] += 1.0  # each answer takes a second of the invocation's time
            return answer

    first = Slow()
    settings = infer.Settings(concurrency=1, max_attempts=6, backoff_base=0.0001, backoff_cap=0.001)
    event = judge.JudgeEvent.model_validate(_event())
    with pytest.raises(infer.InferenceDeadline, match="saved to"):
        judge.judge_shard(
            event, s3=aws, runtime=first, settings=settings, remaining_ms=lambda: 78_500, clock=lambda: now[0]
        )
    made = len(first.requests)
    assert 0 < made < 2 * N
    second = FakeJudge()
    _run(aws, second)
    assert len(second.requests) == 2 * N - made  # only the calls not saved
    lines = _lines(aws)
    assert len(lines) == N and all(x["preference"] == "custom" for x in lines)


def test_count_mismatch_and_missing_scores_are_dataset_errors(aws):
    with pytest.raises(DatasetError, match="ScoreShard must run before JudgeShard"):
        _run(aws, FakeJudge())
    _put(aws, _rows())
    with pytest.raises(DatasetError, match="the plan says 9"):
        _run(aws, FakeJudge(), event=_event(count=9))


def test_a_run_without_a_judge_refuses_the_task(aws):
    event = _event()
    event["run"]["Evaluation"] = {}
    with pytest.raises(InvalidInput, match="Evaluation.Judge"):
        _run(aws, FakeJudge(), event=event)


def test_a_custom_rubric_text_is_sent_as_written(aws):
    _put(aws, _rows(n=1))
    runtime = FakeJudge()
    rubric = "Prefer the summary that a support engineer could act on without reading the ticket."
    _run(aws, runtime, event=_event(count=1, judge_spec={"ModelId": MODEL, "Rubric": rubric}))
    assert runtime.requests[0]["system"][0]["text"].startswith(rubric)


def test_the_infer_handler_runs_the_judge_task(aws, monkeypatch):
    seen = {}
    monkeypatch.setattr(judge, "handler", lambda event, context=None: seen.setdefault("event", event))
    event = _event()
    assert infer.handler(event) is event and seen["event"] is event


@pytest.mark.parametrize(
    ("evaluation", "shard_count", "expected"),
    [
        ({"MaxConcurrency": 4, "MapConcurrency": 44}, 2500, 1),  # a 32-call budget over 44 iterations
        ({"MaxConcurrency": 4, "MapConcurrency": 44}, 3, 8),  # few shards: the whole share
        ({}, 2500, 8),  # an older run context without the derived Map concurrency
    ],
)
def test_the_judge_takes_the_same_share_of_the_call_budget_as_an_infer_invocation(
    aws, monkeypatch, evaluation, shard_count, expected
):
    monkeypatch.setenv("INFERENCE_CONCURRENCY", "8")
    seen = {}
    monkeypatch.setattr(judge, "judge_shard", lambda parsed, **kw: seen.setdefault("settings", kw["settings"]))
    event = _event()
    event["run"]["Evaluation"] = {**event["run"].get("Evaluation", {}), **evaluation}
    event["shardCount"] = shard_count
    judge.handler(event)
    assert seen["settings"].concurrency == expected
