"""``infer`` at its edges (issue 15: infer mutants that no test caught).

A shard that runs out of time twice keeps, after the second deadline, every line finished by the first
invocation too; the third invocation makes only the calls still missing and writes the whole shard.
A saved partial file is read past a torn or foreign line; a candidate sweep's shard is inferred for the
base model and each candidate and skipped once complete; a model that refused every call is reported
with its first refusal; reused base answers carry the cached token counts and no latency.
"""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from test_infer import (  # the shard fixtures of the infer suite
    ARN,
    BUCKET,
    OUT_KEY,
    RUN_ID,
    SHARD_KEY,
    ClockedRuntime,
    FakeClock,
    FakeRuntime,
    _assert_complete_and_ordered,
    _client_error,
    _event,
    _lines,
    _put_shard,
    _records,
    _run,
    aws,  # noqa: F401 - the fixture
)

from workflow_lambdas import infer
from workflow_lambdas.contract.errors import InferenceFailed, InvalidInput

PARTIAL = f"runs/{RUN_ID}/evaluation/inference-partial/00003.jsonl"


def _deadline_run(
    s3, clock: FakeClock, remaining_ms: int, *, deadline_margin: float = 5, match: str | None = None
) -> ClockedRuntime:
    runtime = ClockedRuntime(clock)
    settings = infer.Settings(
        concurrency=1, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001, deadline_margin=deadline_margin
    )
    with pytest.raises(infer.InferenceDeadline, match=match):
        infer.infer_shard(
            infer.InferEvent.model_validate(_event()),
            s3=s3,
            runtime=runtime,
            family="nova",
            settings=settings,
            remaining_ms=lambda: remaining_ms,
            clock=clock,
        )
    return runtime


def test_the_deadline_is_the_remaining_milliseconds_in_seconds_less_the_margin(aws):  # noqa: F811
    """1000 s remain and the margin is 995.5 s: calls start at t = 0..4 (one fake second each), none at 4.5."""
    _put_shard(aws, _records())
    runtime = _deadline_run(aws, FakeClock(), 1_000_000, deadline_margin=995.5, match="35 of 40 calls not made")
    assert runtime.calls == 5


def _saved(s3) -> list[tuple[str, str]]:
    body = s3.get_object(Bucket=BUCKET, Key=PARTIAL)["Body"].read().decode()
    return [(item["id"], item["model"]) for item in map(json.loads, body.splitlines())]


def test_a_second_deadline_keeps_the_first_invocations_progress(aws):  # noqa: F811
    records = _records()
    _put_shard(aws, records)
    first = _deadline_run(aws, FakeClock(), remaining_ms=15_500)  # calls start at t = 0..10: 11 calls
    after_first = _saved(aws)
    assert first.calls == len(after_first) == 11

    second = _deadline_run(aws, FakeClock(), remaining_ms=12_500)  # 8 more calls, then the deadline again
    after_second = _saved(aws)
    assert second.calls == 8
    assert set(after_first) <= set(after_second), "the second deadline forgot lines of the first"
    assert len(after_second) == len(set(after_second)) == 11 + 8
    # the lines of both attempts are the real answers, not placeholders
    body = aws.get_object(Bucket=BUCKET, Key=PARTIAL)["Body"].read().decode()
    assert all(isinstance(json.loads(line).get("output"), str) for line in body.splitlines())

    third = FakeRuntime()
    result = _run(aws, third)
    assert third.calls == 2 * len(records) - 19  # only the calls still missing
    assert result["Records"] == len(records) and result["Skipped"] is False
    _assert_complete_and_ordered(_lines(aws), records)


# --- the partial file of an earlier deadline -----------------------------------------------------------------


@pytest.mark.parametrize("foreign", ["{torn", '["not", "a", "line"]', '"a string"', "17"])
def test_a_bad_line_early_in_the_partial_file_does_not_hide_the_lines_after_it(aws, foreign):  # noqa: F811
    records = _records(2)
    _put_shard(aws, records)
    saved = [
        {"id": "r000", "model": "base", "output": "saved base answer"},
        {"id": "r001", "model": "custom", "output": "saved custom answer"},
    ]
    aws.put_object(Bucket=BUCKET, Key=PARTIAL, Body=(foreign + "\n" + "".join(json.dumps(x) + "\n" for x in saved)))
    fake = FakeRuntime()
    _run(aws, fake, event=_event(count=2))
    assert fake.calls == 2  # only the two calls the partial file does not hold
    lines = {(x["id"], x["model"]): x["output"] for x in _lines(aws)}
    assert lines[("r000", "base")] == "saved base answer"
    assert lines[("r001", "custom")] == "saved custom answer"
    assert lines[("r000", "custom")] == "custom:prompt number 0"


@pytest.mark.parametrize(
    "unfinished",
    [
        {"id": "r000", "model": "base"},  # neither an answer nor an error
        {"id": "r000", "model": "base", "output": None},
        {"id": "r000", "model": "base", "output": "half", "error": {"type": "ModelResponseError", "message": "x"}},
    ],
    ids=["empty", "null-output", "output-and-error"],
)
def test_a_saved_line_that_is_neither_an_answer_nor_a_final_error_is_called_again(aws, unfinished):  # noqa: F811
    records = _records(1)
    _put_shard(aws, records)
    aws.put_object(Bucket=BUCKET, Key=PARTIAL, Body=json.dumps(unfinished) + "\n")
    fake = FakeRuntime()
    _run(aws, fake, event=_event(count=1))
    assert fake.calls == 2
    lines = _lines(aws)
    _assert_complete_and_ordered(lines, records)
    assert lines[0]["output"] == "base:prompt number 0"


# --- a candidate sweep ------------------------------------------------------------------------------------

CANDIDATES = [
    {"Name": "lr-low", "ModelId": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/low"},
    {"Name": "lr-high", "ModelId": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/high"},
]


class SweepRuntime(FakeRuntime):
    """Answers ``<label>:<prompt>``, the label being the model's (base or candidate) in the sweep."""

    LABELS = {"amazon.nova-micro-v1:0": "base", **{c["ModelId"]: c["Name"] for c in CANDIDATES}}

    def converse(self, *, modelId, messages, inferenceConfig):
        prompt = messages[0]["content"][0]["text"]
        self._fault(modelId, prompt)
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": f"{self.LABELS[modelId]}:{prompt}"}]}},
            "usage": {"inputTokens": 1, "outputTokens": 2},
        }


def _sweep_event(count: int, **evaluation) -> dict:
    event = _event(count=count, Evaluation={"ShardSize": 50, **evaluation})
    event["serving"] = {"Mode": "provisioned", "Candidates": CANDIDATES}
    return event


def test_serving_model_ids_put_the_base_model_first_under_its_label():
    sweep = infer.Serving.model_validate({"Mode": "provisioned", "Candidates": CANDIDATES})
    assert sweep.model_ids("base-id") == {
        "base": "base-id",
        "lr-low": CANDIDATES[0]["ModelId"],
        "lr-high": CANDIDATES[1]["ModelId"],
    }
    single = infer.Serving.model_validate({"Mode": "provisioned", "ModelId": ARN})
    assert single.model_ids("base-id") == {"base": "base-id", "custom": ARN}


@pytest.mark.parametrize("cache", [True, False])
def test_a_sweep_shard_is_inferred_per_candidate_and_skipped_once_complete(aws, cache):  # noqa: F811
    records = _records(3)
    _put_shard(aws, records)
    fake = SweepRuntime()
    result = _run(aws, fake, event=_sweep_event(3, Cache=cache))
    assert fake.calls == 3 * 3
    assert result["Errors"] == {"base": 0, "lr-low": 0, "lr-high": 0} and result["Skipped"] is False
    lines = _lines(aws)
    assert [(x["id"], x["model"]) for x in lines] == [
        (r["id"], m) for r in records for m in ("base", "lr-low", "lr-high")
    ]
    assert all(
        x["output"] == f"{x['model']}:{r['prompt']}"
        for x, r in zip(lines, [r for r in records for _ in range(3)], strict=True)
    )

    again = SweepRuntime()
    second = _run(aws, again, event=_sweep_event(3, Cache=cache))
    assert again.calls == 0, "a complete sweep shard was inferred again"
    assert second == {**result, "Skipped": True}


def test_a_sweep_resumes_from_the_candidates_saved_lines(aws):  # noqa: F811
    records = _records(1)
    _put_shard(aws, records)
    saved = {"id": "r000", "model": "lr-low", "output": "saved candidate answer"}
    aws.put_object(Bucket=BUCKET, Key=PARTIAL, Body=json.dumps(saved) + "\n")
    fake = SweepRuntime()
    _run(aws, fake, event=_sweep_event(1))
    assert fake.calls == 2  # the base model and lr-high; lr-low's answer was saved
    assert [x["output"] for x in _lines(aws)] == [
        "base:prompt number 0",
        "saved candidate answer",
        "lr-high:prompt number 0",
    ]


# --- a model that refused every call ---------------------------------------------------------------------


class CodedRuntime(FakeRuntime):
    """Fails the custom model's call on record ``i`` with ``codes[i]`` (the base model answers)."""

    def __init__(self, codes: list[str], **kw):
        super().__init__(**kw)
        self.codes = codes

    def _fault(self, model_id, prompt):
        super()._fault(model_id, prompt)
        if model_id == ARN:
            index = int(prompt.rsplit(" ", 1)[1])
            raise _client_error(self.codes[index], f"refused record {index}")


def _refused(aws, codes: list[str]) -> dict:  # noqa: F811
    _put_shard(aws, _records(len(codes)))
    return _run(aws, CodedRuntime(codes), event=_event(count=len(codes)), max_attempts=1)


@pytest.mark.parametrize("count", [2, 3])
def test_every_call_of_a_shard_failing_validation_is_a_misconfiguration(aws, count):  # noqa: F811
    with pytest.raises(InferenceFailed, match=f"every custom call \\({count}\\)"):
        _refused(aws, ["ValidationException"] * count)


def test_access_and_validation_refusals_together_are_a_misconfiguration(aws):  # noqa: F811
    codes = sorted(infer.ACCESS_CODES) + ["ValidationException"]  # every code of both kinds, once each
    with pytest.raises(InferenceFailed, match=f"every custom call \\({len(codes)}\\) to {ARN} failed"):
        _refused(aws, codes)


def test_every_access_code_at_once_is_a_misconfiguration(aws):  # noqa: F811
    codes = sorted(infer.ACCESS_CODES)
    with pytest.raises(InferenceFailed, match=f"every custom call \\({len(codes)}\\)"):
        _refused(aws, codes)


@pytest.mark.parametrize("count", [1, 2])
def test_the_misconfiguration_error_quotes_the_first_refusal(aws, count):  # noqa: F811
    codes = ["ResourceNotFoundException", "AccessDeniedException"][:count]
    with pytest.raises(InferenceFailed) as caught:
        _refused(aws, codes)
    message = str(caught.value)
    assert "failed: ResourceNotFoundException: " in message  # the first record's refusal, not the second's
    assert message.endswith("refused record 0")


# --- line contents ------------------------------------------------------------------------------------------


class RecordingRuntime(FakeRuntime):
    """Records which API each call took and the inference settings it sent."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sent: list[tuple[str, dict]] = []

    def converse(self, *, modelId, messages, inferenceConfig):
        self.sent.append(("converse", inferenceConfig))
        return super().converse(modelId=modelId, messages=messages, inferenceConfig=inferenceConfig)

    def invoke_model(self, *, modelId, body, contentType, accept):
        self.sent.append(("invoke_model", json.loads(body)["textGenerationConfig"]))
        return super().invoke_model(modelId=modelId, body=body, contentType=contentType, accept=accept)


def test_every_call_sends_the_runs_inference_settings_through_the_chosen_api(aws):  # noqa: F811
    _put_shard(aws, _records(2))
    config = {"MaxTokens": 77, "Temperature": 0.0, "TopP": 0.9, "StopSequences": ["###"]}
    fake = RecordingRuntime()
    _run(aws, fake, event=_event(count=2, InferenceConfig=config), family="titan", use_converse=True)
    assert fake.sent == [("converse", {"maxTokens": 77, "temperature": 0.0, "topP": 0.9, "stopSequences": ["###"]})] * 4

    aws.delete_object(Bucket=BUCKET, Key=OUT_KEY)
    default = RecordingRuntime()
    _run(aws, default, event=_event(count=2, InferenceConfig=config), family="titan")
    # titan's default API; the base answers cached from Converse are another request: not reused
    assert [api for api, _ in default.sent] == ["invoke_model"] * 4
    assert default.sent[0][1]["maxTokenCount"] == 77


class RecordingRandom(random.Random):
    """A seeded random source that records the backoff ceilings it drew delays under."""

    def __init__(self):
        super().__init__(5)
        self.ceilings: list[float] = []

    def uniform(self, a, b):
        self.ceilings.append(b)
        return super().uniform(a, b)


def test_the_backoff_jitter_comes_from_the_given_random_source(aws):  # noqa: F811
    _put_shard(aws, _records(2))
    rng = RecordingRandom()
    fake = FakeRuntime(throttle_rate=1.0)  # every request throttled: each call backs off between its attempts
    settings = infer.Settings(concurrency=2, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001)
    infer.infer_shard(
        infer.InferEvent.model_validate(_event(count=2)),
        s3=aws,
        runtime=fake,
        family="nova",
        settings=settings,
        rng=rng,
    )
    assert fake.calls == 4 * 3
    assert sorted(rng.ceilings) == [0.0001] * 4 + [0.0002] * 4  # two backoffs per call, drawn from ``rng``


def test_a_fresh_line_carries_the_calls_latency(aws):  # noqa: F811
    records = _records(2)
    _put_shard(aws, records)
    clock = FakeClock()  # each call takes one (fake) second
    settings = infer.Settings(concurrency=1, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001)
    infer.infer_shard(
        infer.InferEvent.model_validate(_event(count=2)),
        s3=aws,
        runtime=ClockedRuntime(clock),
        family="nova",
        settings=settings,
        clock=clock,
    )
    assert [x["latency_ms"] for x in _lines(aws)] == [1000] * 4


def test_a_reused_base_answer_has_the_cached_token_counts_and_no_latency(aws, monkeypatch):  # noqa: F811
    from workflow_lambdas.common import cache

    monkeypatch.delenv(cache.PREFIX_ENV, raising=False)
    records = _records(2)
    _put_shard(aws, records)
    _run(aws, FakeRuntime(), event=_event(count=2))
    first = {x["id"]: x for x in _lines(aws) if x["model"] == "base"}
    aws.delete_object(Bucket=BUCKET, Key=OUT_KEY)  # the next run infers the shard again, from the cache

    fake = FakeRuntime()
    _run(aws, fake, event=_event(count=2))
    assert fake.calls == 2  # the custom model only
    for line in (x for x in _lines(aws) if x["model"] == "base"):
        assert line["cached"] is True
        assert line["latency_ms"] is None
        assert (line["input_tokens"], line["output_tokens"]) == (
            first[line["id"]]["input_tokens"],
            first[line["id"]]["output_tokens"],
        )
        assert line["output_tokens"] == 2


def test_the_shards_summary_log_counts_the_reused_and_the_newly_cached_base_answers(aws, monkeypatch, caplog):  # noqa: F811
    """Operators read the cache's effect on a shard from this line (the report counts reuse on its own)."""
    import logging

    from workflow_lambdas.common import cache

    monkeypatch.delenv(cache.PREFIX_ENV, raising=False)
    _put_shard(aws, _records(3))

    def summary() -> dict:
        (record,) = [r for r in caplog.records if r.name == infer.logger.name and "records, errors" in r.msg]
        caplog.clear()
        return next(arg for arg in record.args if isinstance(arg, dict) and "BaseOutputsReused" in arg)

    with caplog.at_level(logging.INFO, logger=infer.logger.name):
        _run(aws, FakeRuntime(), event=_event(count=3))
        assert summary() == {"BaseOutputsReused": 0, "BaseOutputsCached": 3}
        aws.delete_object(Bucket=BUCKET, Key=OUT_KEY)
        _run(aws, FakeRuntime(), event=_event(count=3))
        assert summary() == {"BaseOutputsReused": 3, "BaseOutputsCached": 0}


def test_the_family_comes_from_the_inference_model_when_the_base_identifier_names_none():
    run = infer.InferEvent.model_validate(
        _event(BaseModelIdentifier="arn:aws:bedrock:us-east-1:123456789012:custom-model/abc")
    ).run
    assert infer.family_for(run) == "nova"
    unknown = run.model_copy(update={"InferenceModelId": "acme.mystery-v1:0"})
    with pytest.raises(InvalidInput):
        infer.family_for(unknown)


# --- the cache's thread pool ----------------------------------------------------------------------------------


def test_the_cache_pool_runs_up_to_cache_threads_requests_at_once_in_threads_named_cache():
    lock = threading.Lock()
    inside = {"now": 0, "most": 0}
    full = threading.Event()

    def request(item: int) -> str:
        with lock:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
            if inside["now"] >= infer.CACHE_THREADS:
                full.set()
        full.wait(timeout=10.0)  # a pool narrower than CACHE_THREADS never fills up: the wait times out
        time.sleep(0.2)  # a wider pool lets more requests in meanwhile
        with lock:
            inside["now"] -= 1
        return threading.current_thread().name

    names = infer._pool_map(request, list(range(3 * infer.CACHE_THREADS)))
    assert inside["most"] == infer.CACHE_THREADS
    assert full.is_set()
    assert len(names) == 3 * infer.CACHE_THREADS
    assert all(name.startswith("cache") for name in names)  # told apart from the scheduler's threads in dumps
    assert infer._pool_map(request, []) == []


# --- the shard and the cache key --------------------------------------------------------------------------------


def test_a_blank_line_inside_the_shard_is_skipped_not_the_end(aws):  # noqa: F811
    records = _records(3)
    lines = [json.dumps(r) for r in records]
    body = lines[0] + "\n\n   \n" + lines[1] + "\n\n" + lines[2] + "\n"
    aws.put_object(Bucket=BUCKET, Key=SHARD_KEY, Body=body.encode())
    assert [r.id for r in infer.read_records(aws, BUCKET, SHARD_KEY)] == ["r000", "r001", "r002"]
    result = _run(aws, FakeRuntime(), event=_event(count=3))
    assert result["Records"] == 3
    _assert_complete_and_ordered(_lines(aws), records)


@pytest.mark.parametrize(("family", "use_converse"), [("nova", None), ("nova", False), ("titan", None)])
def test_the_base_cache_key_is_the_hash_of_the_api_and_the_exact_request(family, use_converse):
    """Another deployment (or tool) that sends the same request finds the same entry: the key is the
    ``common.cache`` identity of the API and request ``adapters.request_for`` gives."""
    from workflow_lambdas import adapters
    from workflow_lambdas.common import cache

    settings = adapters.InferenceSettings(MaxTokens=64, Temperature=0.0, TopP=1.0, StopSequences=[])
    api, request = adapters.request_for(family, "model-id", "hello", settings, use_converse=use_converse)
    expected = cache.base_output_key(cache.base_output_identity(family, api, request))
    assert infer.base_cache_key(family, "model-id", "hello", settings, use_converse) == expected
