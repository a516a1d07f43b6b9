"""``infer``: moto S3 for storage, a fake bedrock-runtime client for the models."""

from __future__ import annotations

import json
import random
import threading

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from workflow_lambdas import call_scheduler
from workflow_lambdas.common.aws import reset_clients
from workflow_lambdas.contract.errors import DatasetError, InferenceFailed, InvalidInput
from workflow_lambdas.model_families import FAMILIES

BUCKET = "artifacts-bucket"
RUN_ID = "run-123"
ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
SHARD_KEY = f"runs/{RUN_ID}/evaluation/shards/00003.jsonl"
OUT_KEY = f"runs/{RUN_ID}/evaluation/inference/00003.jsonl"
N = 20


class SimulatedLambdaTimeout(BaseException):
    """What the Lambda runtime does to a function at its timeout: nothing gets written."""


def _client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Converse")


class FakeRuntime:
    """Converse/InvokeModel stand-in: answers ``<model>:<prompt>`` with configurable faults."""

    def __init__(
        self,
        *,
        throttle_rate=0.0,
        poison=(),
        fail_model=None,
        fail_code="AccessDeniedException",
        die_after=None,
        garbage_for=None,
        timeouts=0,
        seed=7,
    ):
        self.throttle_rate = throttle_rate
        self.poison = set(poison)
        self.fail_model = fail_model
        self.fail_code = fail_code
        self.die_after = die_after
        self.garbage_for = garbage_for or set()
        self.timeouts = timeouts
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.calls = 0
        self.throttled = 0

    def _fault(self, model_id: str, prompt: str):
        with self.lock:
            self.calls += 1
            if self.die_after is not None and self.calls > self.die_after:
                raise SimulatedLambdaTimeout()
            if self.timeouts:
                self.timeouts -= 1
                raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
            if self.rng.random() < self.throttle_rate:
                self.throttled += 1
                raise _client_error("ThrottlingException", "Too many requests")
        if model_id == self.fail_model:
            raise _client_error(self.fail_code, f"no access to {model_id}")
        if any(p in prompt for p in self.poison):
            raise _client_error("ValidationException", "Input is too long for requested model.")

    def converse(self, *, modelId, messages, inferenceConfig):
        prompt = messages[0]["content"][0]["text"]
        self._fault(modelId, prompt)
        who = "custom" if modelId == ARN else "base"
        if (who, prompt) in self.garbage_for:
            return {"output": {"message": {"content": []}}}
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": f"{who}:{prompt}"}]}},
            "usage": {"inputTokens": len(prompt.split()), "outputTokens": 2},
        }

    def invoke_model(self, *, modelId, body, contentType, accept):
        prompt = json.loads(body)["inputText"]
        self._fault(modelId, prompt)
        who = "custom" if modelId == ARN else "base"
        return {
            "body": json.dumps(
                {"inputTextTokenCount": 3, "results": [{"outputText": f"{who}:{prompt}", "tokenCount": 2}]}
            ).encode()
        }


@pytest.fixture
def aws(mocked_s3):
    mocked_s3.create_bucket(Bucket=BUCKET)
    return mocked_s3


def _records(n=N):
    return [{"id": f"r{i:03d}", "prompt": f"prompt number {i}", "reference": f"ref {i}"} for i in range(n)]


def _put_shard(s3, records):
    s3.put_object(Bucket=BUCKET, Key=SHARD_KEY, Body="".join(json.dumps(r) + "\n" for r in records).encode())


def _event(count=N, **run_extra):
    run = {
        "RunId": RUN_ID,
        "WorkflowName": "wf",
        "ArtifactsBucket": BUCKET,
        "RunPrefix": f"runs/{RUN_ID}/",
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "InferenceModelId": "amazon.nova-micro-v1:0",
        "InferenceConfig": {"MaxTokens": 64, "Temperature": 0.0, "TopP": 1.0, "StopSequences": []},
        "Evaluation": {"ShardSize": 50},
        **run_extra,
    }
    return {
        "run": run,
        "serving": {"Mode": "provisioned", "ModelId": ARN},
        "shard": {"Index": 3, "Key": SHARD_KEY, "Count": count},
    }


def _run(s3, runtime, event=None, family="nova", max_attempts=12, **kw):
    from workflow_lambdas import infer

    settings = infer.Settings(concurrency=8, max_attempts=max_attempts, backoff_base=0.0001, backoff_cap=0.001)
    return infer.infer_shard(
        infer.InferEvent.model_validate(event or _event()),
        s3=s3,
        runtime=runtime,
        family=family,
        settings=settings,
        **kw,
    )


def _lines(s3):
    body = s3.get_object(Bucket=BUCKET, Key=OUT_KEY)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def _assert_complete_and_ordered(lines, records):
    assert [(x["id"], x["model"]) for x in lines] == [(r["id"], m) for r in records for m in ("base", "custom")]
    for line in lines:
        assert ("output" in line) != ("error" in line)
        assert {"latency_ms", "input_tokens", "output_tokens"} <= set(line)


def test_throttling_at_30_percent_still_yields_every_record(aws):
    records = _records()
    _put_shard(aws, records)
    fake = FakeRuntime(throttle_rate=0.3)
    result = _run(aws, fake)
    assert result == {"Index": 3, "Key": OUT_KEY, "Records": N, "Errors": {"base": 0, "custom": 0}, "Skipped": False}
    assert fake.throttled > 0
    lines = _lines(aws)
    _assert_complete_and_ordered(lines, records)
    for line in lines:
        record = next(r for r in records if r["id"] == line["id"])
        assert line["output"] == f"{line['model']}:{record['prompt']}"
        assert line["output_tokens"] == 2


def test_poison_record_yields_an_error_line_and_the_rest_succeed(aws):
    records = _records()
    records[5]["prompt"] = "POISON " * 3
    _put_shard(aws, records)
    result = _run(aws, FakeRuntime(poison=["POISON"]))
    assert result["Errors"] == {"base": 1, "custom": 1}
    lines = _lines(aws)
    _assert_complete_and_ordered(lines, records)
    errors = [x for x in lines if "error" in x]
    assert {(x["id"], x["model"]) for x in errors} == {("r005", "base"), ("r005", "custom")}
    assert errors[0]["error"]["type"] == "ValidationException"
    assert "too long" in errors[0]["error"]["message"]
    assert errors[0]["output_tokens"] is None
    assert sum("output" in x for x in lines) == 2 * N - 2


def test_unreadable_answer_for_one_model_is_one_error_line(aws):
    records = _records(4)
    _put_shard(aws, records)
    result = _run(aws, FakeRuntime(garbage_for={("custom", records[2]["prompt"])}), event=_event(count=4))
    assert result["Errors"] == {"base": 0, "custom": 1}
    (error,) = [x for x in _lines(aws) if "error" in x]
    assert (error["id"], error["model"]) == ("r002", "custom")
    assert error["error"]["type"] == "ModelResponseError"
    assert "nova" in error["error"]["message"] and "output.message.content[0].text" in error["error"]["message"]


def test_retries_exhausted_yield_error_lines_not_missing_records(aws):
    records = _records(3)
    _put_shard(aws, records)
    result = _run(aws, FakeRuntime(throttle_rate=1.0), event=_event(count=3), max_attempts=3)
    assert result["Errors"] == {"base": 3, "custom": 3}
    lines = _lines(aws)
    _assert_complete_and_ordered(lines, records)
    assert {x["error"]["type"] for x in lines} == {"ThrottlingException"}
    assert "after 3 attempts" in lines[0]["error"]["message"]


def test_read_timeouts_are_retried(aws):
    records = _records(3)
    _put_shard(aws, records)
    fake = FakeRuntime(timeouts=4)
    assert _run(aws, fake, event=_event(count=3))["Errors"] == {"base": 0, "custom": 0}
    assert fake.calls == 6 + 4


def test_shard_retried_after_a_timeout_is_not_duplicated(aws):
    records = _records()
    _put_shard(aws, records)
    with pytest.raises(SimulatedLambdaTimeout):
        _run(aws, FakeRuntime(die_after=13))
    # nothing partial was written
    assert aws.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{RUN_ID}/evaluation/inference/")["KeyCount"] == 0
    result = _run(aws, FakeRuntime())
    assert result["Skipped"] is False
    lines = _lines(aws)
    assert len(lines) == 2 * N
    _assert_complete_and_ordered(lines, records)


def test_timeout_after_the_write_skips_on_retry(aws):
    records = _records()
    _put_shard(aws, records)
    first = _run(aws, FakeRuntime(poison=["number 7"]))
    before = aws.get_object(Bucket=BUCKET, Key=OUT_KEY)["Body"].read()
    fake = FakeRuntime()
    again = _run(aws, fake)
    assert fake.calls == 0
    assert again == {**first, "Skipped": True}
    assert again["Errors"] == {"base": 1, "custom": 1}
    assert aws.get_object(Bucket=BUCKET, Key=OUT_KEY)["Body"].read() == before


@pytest.mark.parametrize(
    "existing",
    [
        "half",  # a partial file (fewer lines than 2 x Count)
        "corrupt",  # not JSON
        "foreign",  # right number of lines, wrong records
    ],
)
def test_partial_or_corrupt_existing_shard_is_recomputed(aws, existing):
    records = _records()
    _put_shard(aws, records)
    if existing == "half":
        body = "".join(
            json.dumps({"id": r["id"], "model": m, "output": "old"}) + "\n"
            for r in records[: N // 2]
            for m in ("base", "custom")
        )
    elif existing == "corrupt":
        body = '{"id": "r000", "model": "base", "output": "x"}\n{not json\n' * N
    else:
        body = "".join(
            json.dumps({"id": f"z{i}", "model": m, "output": "old"}) + "\n"
            for i in range(N)
            for m in ("base", "custom")
        )
    aws.put_object(Bucket=BUCKET, Key=OUT_KEY, Body=body.encode())
    fake = FakeRuntime()
    result = _run(aws, fake)
    assert result["Skipped"] is False
    assert fake.calls == 2 * N
    lines = _lines(aws)
    _assert_complete_and_ordered(lines, records)
    assert all(x["output"] != "old" for x in lines)


def test_every_call_refused_raises_inference_failed(aws):
    _put_shard(aws, _records())
    with pytest.raises(InferenceFailed, match="custom.*AccessDeniedException"):
        _run(aws, FakeRuntime(fail_model=ARN))
    assert aws.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{RUN_ID}/evaluation/inference/")["KeyCount"] == 0


def test_every_call_invalid_raises_inference_failed(aws):
    _put_shard(aws, _records())
    with pytest.raises(InferenceFailed, match="base.*ValidationException"):
        _run(aws, FakeRuntime(fail_model="amazon.nova-micro-v1:0", fail_code="ValidationException"))


def test_single_poison_record_shard_is_not_a_misconfiguration(aws):
    records = [{"id": "only", "prompt": "POISON", "reference": "r"}]
    _put_shard(aws, records)
    result = _run(aws, FakeRuntime(poison=["POISON"]), event=_event(count=1))
    assert result["Errors"] == {"base": 1, "custom": 1}


def test_count_mismatch_is_a_dataset_error(aws):
    _put_shard(aws, _records(5))
    with pytest.raises(DatasetError, match="5 records"):
        _run(aws, FakeRuntime(), event=_event(count=6))


def test_missing_shard_is_a_dataset_error(aws):
    with pytest.raises(DatasetError, match="cannot read shard"):
        _run(aws, FakeRuntime())


def test_titan_goes_through_invoke_model(aws):
    records = _records(3)
    _put_shard(aws, records)
    event = _event(count=3, BaseModelIdentifier="amazon.titan-text-express-v1:0:8k")
    assert _run(aws, FakeRuntime(), event=event, family="titan")["Errors"] == {"base": 0, "custom": 0}
    assert _lines(aws)[1] == {
        "id": "r000",
        "model": "custom",
        "output": "custom:prompt number 0",
        "latency_ms": _lines(aws)[1]["latency_ms"],
        "input_tokens": 3,
        "output_tokens": 2,
        "attempts": 1,
    }


def test_backoff_is_full_jitter_and_capped():
    from workflow_lambdas.call_scheduler import backoff_delay

    rng = random.Random(1)
    delays = [backoff_delay(a, 0.5, 4.0, rng) for a in range(10) for _ in range(50)]
    assert min(delays) >= 0 and max(delays) <= 4.0
    assert max(backoff_delay(0, 0.5, 4.0, rng) for _ in range(200)) <= 0.5


def test_settings_from_env():
    from workflow_lambdas.infer import Settings

    assert Settings.from_env({}) == Settings(concurrency=8, max_attempts=6)
    got = Settings.from_env(
        {
            "INFERENCE_CONCURRENCY": "3",
            "INFERENCE_MAX_ATTEMPTS": "2",
            "INFERENCE_BACKOFF_BASE_SECONDS": "0.01",
            "INFERENCE_BACKOFF_CAP_SECONDS": "0.1",
        }
    )
    assert (got.concurrency, got.max_attempts, got.backoff_base, got.backoff_cap) == (3, 2, 0.01, 0.1)


def test_handler_end_to_end(aws, monkeypatch):
    from workflow_lambdas import infer
    from workflow_lambdas.common import aws as shared

    records = _records(5)
    _put_shard(aws, records)
    fake = FakeRuntime()
    assert shared.client("s3") is shared.client("s3")
    monkeypatch.setattr(infer, "runtime_client", lambda settings: fake)
    monkeypatch.setenv("INFERENCE_CONCURRENCY", "2")
    monkeypatch.setenv("INFERENCE_BACKOFF_BASE_SECONDS", "0.0001")
    result = infer.handler(_event(count=5), LambdaContext(remaining_ms=900_000))
    assert result == {"Index": 3, "Key": OUT_KEY, "Records": 5, "Errors": {"base": 0, "custom": 0}, "Skipped": False}
    assert json.loads(json.dumps(result)) == result
    assert infer.handler(_event(count=5))["Skipped"] is True


class LambdaContext:
    def __init__(self, remaining_ms):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def test_handler_near_the_deadline_starts_no_call(aws, monkeypatch):
    from workflow_lambdas import infer

    _put_shard(aws, _records(5))
    fake = FakeRuntime()
    monkeypatch.setattr(infer, "runtime_client", lambda settings: fake)
    monkeypatch.setenv("INFERENCE_DEADLINE_MARGIN_SECONDS", "30")
    with pytest.raises(infer.InferenceDeadline, match="10 of 10 calls not made"):
        infer.handler(_event(count=5), LambdaContext(remaining_ms=29_000))
    assert fake.calls == 0
    assert aws.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{RUN_ID}/evaluation/inference/")["KeyCount"] == 0


def test_handler_runtime_client_makes_one_request_per_attempt():
    from workflow_lambdas import infer

    reset_clients()
    runtime = infer.runtime_client(infer.Settings())
    assert runtime.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert runtime.meta.config.read_timeout == 60.0
    assert infer.runtime_client(infer.Settings()) is runtime
    adaptive = infer.runtime_client(infer.Settings(client_retry_mode="adaptive"))
    assert adaptive.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 1}
    reset_clients()


class FakeClock:
    """Time that moves one second per model call (deterministic deadlines and backoff)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class ClockedRuntime(FakeRuntime):
    def __init__(self, clock, **kw):
        super().__init__(**kw)
        self.clock = clock
        self.order = []

    def _fault(self, model_id, prompt):
        with self.lock:
            self.clock.now += 1.0
            self.order.append((model_id, prompt))
        super()._fault(model_id, prompt)


def test_deadline_saves_finished_lines_apart_and_the_retry_resumes(aws):
    from workflow_lambdas import infer

    records = _records()
    records[4]["prompt"] = "POISON here"  # a final error is kept across the resume, not retried
    _put_shard(aws, records)
    clock = FakeClock()
    first = ClockedRuntime(clock, poison=["POISON"])
    settings = infer.Settings(concurrency=1, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001, deadline_margin=5)
    with pytest.raises(infer.InferenceDeadline, match=r"29 of 40 calls not made") as info:
        infer.infer_shard(
            infer.InferEvent.model_validate(_event()),
            s3=aws,
            runtime=first,
            family="nova",
            settings=settings,
            remaining_ms=lambda: 15_500,  # deadline at t = 10.5: calls start at t = 0..10
            clock=clock,
        )
    assert "inference-partial/00003.jsonl" in str(info.value)
    assert first.calls == 11
    # nothing under the shard's output key: a partial result is never taken as complete
    assert aws.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{RUN_ID}/evaluation/inference/")["KeyCount"] == 0
    partial_key = f"runs/{RUN_ID}/evaluation/inference-partial/00003.jsonl"
    saved = [json.loads(x) for x in aws.get_object(Bucket=BUCKET, Key=partial_key)["Body"].read().splitlines()]
    assert len(saved) == 11

    second = FakeRuntime(poison=["POISON"])
    result = _run(aws, second)
    assert second.calls == 40 - 11  # only the missing calls
    assert result["Errors"] == {"base": 1, "custom": 1}
    lines = _lines(aws)
    assert len(lines) == 2 * N
    _assert_complete_and_ordered(lines, records)
    # a third attempt (the Map retrying after the write) skips: the saved lines are not read again
    third = FakeRuntime()
    assert _run(aws, third)["Skipped"] is True and third.calls == 0


def test_retryable_errors_in_the_partial_file_are_retried(aws):
    from workflow_lambdas import infer

    records = _records(2)
    _put_shard(aws, records)
    partial_key = f"runs/{RUN_ID}/evaluation/inference-partial/00003.jsonl"
    saved = [
        {"id": "r000", "model": "base", "output": "saved answer"},
        {"id": "r000", "model": "custom", "error": {"type": "ThrottlingException", "message": "gave up"}},
        {"id": "zzz", "model": "base", "output": "not in this shard"},
    ]
    aws.put_object(Bucket=BUCKET, Key=partial_key, Body="".join(json.dumps(x) + "\n" for x in saved) + "{torn")
    fake = FakeRuntime()
    _run(aws, fake, event=_event(count=2))
    assert fake.calls == 3
    lines = _lines(aws)
    _assert_complete_and_ordered(
        [{**x, "latency_ms": 0, "input_tokens": 0, "output_tokens": 0} for x in lines], records
    )
    assert lines[0]["output"] == "saved answer"
    assert lines[1]["output"] == "custom:prompt number 0"
    assert infer.partial_key(infer.InferEvent.model_validate(_event()).run, 3) == partial_key


def test_a_throttled_call_waits_in_the_queue_not_in_the_thread(aws):
    from workflow_lambdas import infer

    records = _records(6)
    _put_shard(aws, records)
    clock = FakeClock()

    class ThrottleFirst(ClockedRuntime):
        def _fault(self, model_id, prompt):
            super()._fault(model_id, prompt)
            if len(self.order) == 1:
                raise _client_error("ThrottlingException", "slow down")

    fake = ThrottleFirst(clock)
    settings = infer.Settings(concurrency=1, max_attempts=3, backoff_base=4.0, backoff_cap=4.0)
    result = infer.infer_shard(
        infer.InferEvent.model_validate(_event(count=6)),
        s3=aws,
        runtime=fake,
        family="nova",
        settings=settings,
        clock=clock,
        rng=random.Random(3),
    )
    assert result["Errors"] == {"base": 0, "custom": 0}
    assert fake.calls == 13
    # the single thread went on with other calls while the throttled one waited for its (fake) backoff
    first = fake.order[0]
    retry_position = fake.order.index(first, 1)
    assert retry_position > 1
    assert _lines(aws)[0]["attempts"] == 2


def test_attempts_are_bounded_by_max_attempts(aws):
    records = _records(4)
    _put_shard(aws, records)
    fake = FakeRuntime(throttle_rate=1.0)
    result = _run(aws, fake, event=_event(count=4), max_attempts=4)
    assert fake.calls == 8 * 4
    assert result["Errors"] == {"base": 4, "custom": 4}
    assert {x["attempts"] for x in _lines(aws)} == {4}


def test_a_crash_in_one_thread_stops_the_others(aws):
    records = _records()
    _put_shard(aws, records)
    fake = FakeRuntime(die_after=3)
    with pytest.raises(SimulatedLambdaTimeout):
        _run(aws, fake)
    assert fake.calls < 2 * N


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INFERENCE_CONCURRENCY", "0"),
        ("INFERENCE_MAX_ATTEMPTS", "many"),
        ("INFERENCE_CLIENT_RETRY_MODE", "legacy"),
        ("INFERENCE_DEADLINE_MARGIN_SECONDS", "-1"),
    ],
)
def test_bad_setting_names_the_variable(name, value):
    from workflow_lambdas.infer import Settings

    with pytest.raises(InvalidInput, match=f"^{name}: "):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    ("base", "family"),
    [
        ("amazon.nova-micro-v1:0:128k", "nova"),
        ("amazon.titan-text-express-v1:0:8k", "titan"),
        ("meta.llama3-1-8b-instruct-v1:0:128k", "llama"),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "claude"),
        ("cohere.command-light-text-v14:7:4k", "cohere"),
    ],
)
def test_family_for(base, family):
    from workflow_lambdas import adapters, infer

    run = infer.InferEvent.model_validate(_event(BaseModelIdentifier=base)).run
    assert infer.family_for(run) == family
    assert family in adapters.FAMILIES


def test_unknown_family_is_invalid_input():
    from workflow_lambdas import infer

    run = infer.InferEvent.model_validate(
        _event(BaseModelIdentifier="acme.mystery-v1:0:4k", InferenceModelId="acme.mystery-v1:0")
    ).run
    with pytest.raises(InvalidInput, match="acme.mystery"):
        infer.family_for(run)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_model_family_has_an_adapter_that_round_trips_with_bedrock(family):
    """Each family validation accepts can be invoked: Bedrock (emulated) reads the body, the answer parses."""
    from bedrock_customize.emulator import bedrock as emulated
    from workflow_lambdas import adapters

    body = adapters.build_request(family, "Summarize: the meeting moved to Friday.")
    assert "the meeting moved to Friday" in emulated.prompt_of_invoke_body(family, json.loads(json.dumps(body)))
    answer = emulated.invoke_response_body(family, "It moved to Friday.", 7, 4)
    assert adapters.parse_response(family, answer).text == "It moved to Friday."


def test_ids_are_kept_as_written(aws):
    records = [{"id": i, "prompt": f"p{i}", "reference": "r"} for i in range(3)]
    _put_shard(aws, records)
    _run(aws, FakeRuntime(), event=_event(count=3))
    assert [x["id"] for x in _lines(aws)] == [0, 0, 1, 1, 2, 2]
    fake = FakeRuntime()
    assert _run(aws, fake, event=_event(count=3))["Skipped"] is True
    assert fake.calls == 0


def test_malformed_shard_line_is_a_dataset_error(aws):
    aws.put_object(Bucket=BUCKET, Key=SHARD_KEY, Body=b'{"id": "a", "prompt": "x"}\n["not", "a", "record"]\n')
    with pytest.raises(DatasetError, match="line 2"):
        _run(aws, FakeRuntime(), event=_event(count=2))


def test_duplicate_ids_in_a_shard_are_a_dataset_error(aws):
    records = _records(3)
    records[2]["id"] = records[0]["id"]
    _put_shard(aws, records)
    fake = FakeRuntime()
    with pytest.raises(DatasetError, match="duplicate id 'r000'"):
        _run(aws, fake, event=_event(count=3))
    assert fake.calls == 0


def test_a_shard_without_ids_is_a_dataset_error(aws):
    aws.put_object(Bucket=BUCKET, Key=SHARD_KEY, Body=b'{"prompt": "x", "reference": "y"}\n')
    with pytest.raises(DatasetError, match="line 1"):
        _run(aws, FakeRuntime(), event=_event(count=1))


def _runner(concurrency=8, clock=None):
    from workflow_lambdas import infer

    settings = infer.Settings(concurrency=concurrency, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001)
    return call_scheduler._Runner([], settings, deadline=None, clock=clock or FakeClock(), rng=random.Random(1))


def test_load_independent_throttling_never_lowers_concurrency():
    runner = _runner()
    for i in range(500):  # every 5th request throttled: 20 %, below the 35 % target
        runner._observe(i % 5 == 4, None if i % 5 == 4 else 100)
    assert runner.limit == runner.lowest_limit == 8.0


def test_a_quota_lowers_concurrency_and_it_grows_back():
    clock = FakeClock()
    runner = _runner(clock=clock)
    for i in range(600):  # 60 % throttled: the shard is over a quota
        clock.now += 0.05
        runner._observe(i % 5 < 3, None if i % 5 < 3 else 100)
    assert runner.limit < 8 and runner.lowest_limit >= 1.0
    low = runner.limit
    for _ in range(400):
        clock.now += 0.05
        runner._observe(False, 100)
    assert runner.limit == 8.0 > low


def test_cuts_wait_for_fresh_evidence():
    clock = FakeClock()
    runner = _runner(clock=clock)

    def throttles(n):
        for _ in range(n):
            clock.now += 1.0
            runner._observe(True, None)

    throttles(25)  # half a window (50 requests) is the least evidence for a cut
    assert runner.limit == pytest.approx(8 * 0.7)
    throttles(24)  # the window started over at the cut: the old throttles do not count again
    assert runner.limit == pytest.approx(8 * 0.7)
    throttles(1)
    assert runner.limit == pytest.approx(8 * 0.7 * 0.7)
