"""``infer`` with the evaluation cache: base-model answers at temperature 0 reused across runs (moto S3)."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from workflow_lambdas import adapters
from workflow_lambdas.common import cache

BUCKET = "artifacts-bucket"
ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
BASE_ID = "amazon.nova-micro-v1:0"
N = 6


class CountingRuntime:
    """Converse stand-in that counts calls per model and answers deterministically."""

    def __init__(self, *, fail_base_for=(), salt=""):
        self.lock = threading.Lock()
        self.calls = {"base": 0, "custom": 0}
        self.fail_base_for = set(fail_base_for)
        self.salt = salt
        self.requests: list[dict] = []

    def converse(self, **request):
        who = "custom" if request["modelId"] == ARN else "base"
        prompt = request["messages"][0]["content"][0]["text"]
        with self.lock:
            self.calls[who] += 1
            self.requests.append(request)
        if who == "base" and prompt in self.fail_base_for:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "too long"}}, "Converse")
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": f"{who}{self.salt}:{prompt}"}]}},
            "usage": {"inputTokens": len(prompt.split()), "outputTokens": 2},
        }


@pytest.fixture
def aws(mocked_s3, monkeypatch):
    monkeypatch.delenv(cache.PREFIX_ENV, raising=False)
    mocked_s3.create_bucket(Bucket=BUCKET)
    return mocked_s3


def _records(n=N, word="prompt"):
    return [{"id": f"{word}{i:03d}", "prompt": f"{word} number {i}", "reference": f"ref {i}"} for i in range(n)]


def _run(s3, runtime, run_id, records=None, *, evaluation=None, config=None, model_id=BASE_ID):
    from workflow_lambdas import infer

    records = records if records is not None else _records()
    shard_key = f"runs/{run_id}/evaluation/shards/00000.jsonl"
    s3.put_object(Bucket=BUCKET, Key=shard_key, Body="".join(json.dumps(r) + "\n" for r in records).encode())
    event = {
        "run": {
            "RunId": run_id,
            "ArtifactsBucket": BUCKET,
            "RunPrefix": f"runs/{run_id}/",
            "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
            "InferenceModelId": model_id,
            "InferenceConfig": config or {"MaxTokens": 64, "Temperature": 0.0, "TopP": 1.0, "StopSequences": []},
            "Evaluation": evaluation if evaluation is not None else {"ShardSize": 50},
        },
        "serving": {"Mode": "provisioned", "ModelId": ARN},
        "shard": {"Index": 0, "Key": shard_key, "Count": len(records)},
    }
    settings = infer.Settings(concurrency=4, max_attempts=2, backoff_base=0.0001, backoff_cap=0.001)
    infer.infer_shard(infer.InferEvent.model_validate(event), s3=s3, runtime=runtime, family="nova", settings=settings)
    body = s3.get_object(Bucket=BUCKET, Key=f"runs/{run_id}/evaluation/inference/00000.jsonl")["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def _cache_keys(s3):
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="cache/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_second_run_reuses_every_base_answer_and_still_calls_the_custom_model(aws):
    first_runtime = CountingRuntime()
    first = _run(aws, first_runtime, "run-1")
    assert first_runtime.calls == {"base": N, "custom": N}
    assert len(_cache_keys(aws)) == N and all(k.startswith("cache/base-outputs/") for k in _cache_keys(aws))

    second_runtime = CountingRuntime(salt="-v2")  # a new custom model answers differently
    second = _run(aws, second_runtime, "run-2")
    assert second_runtime.calls == {"base": 0, "custom": N}
    base_first = {x["id"]: x for x in first if x["model"] == "base"}
    for line in second:
        if line["model"] == "base":
            assert line["cached"] is True and line["attempts"] == 0
            assert line["output"] == base_first[line["id"]]["output"]
            assert line["input_tokens"] == base_first[line["id"]]["input_tokens"]
        else:
            assert "cached" not in line and line["output"].startswith("custom-v2:")
    assert all("cached" not in x for x in first)


def test_only_prompts_not_seen_before_call_the_base_model(aws):
    _run(aws, CountingRuntime(), "run-1", _records(4))
    runtime = CountingRuntime()
    lines = _run(aws, runtime, "run-2", _records(4) + _records(3, word="other"))
    assert runtime.calls == {"base": 3, "custom": 7}
    cached = {x["id"]: x.get("cached", False) for x in lines if x["model"] == "base"}
    assert sum(cached.values()) == 4


@pytest.mark.parametrize(
    "change",
    [
        {"config": {"MaxTokens": 65, "Temperature": 0.0, "TopP": 1.0, "StopSequences": []}},
        {"config": {"MaxTokens": 64, "Temperature": 0.0, "TopP": 0.9, "StopSequences": []}},
        {"config": {"MaxTokens": 64, "Temperature": 0.0, "TopP": 1.0, "StopSequences": ["###"]}},
        {"model_id": "amazon.nova-lite-v1:0"},
    ],
    ids=["max_tokens", "top_p", "stop_sequences", "model_id"],
)
def test_a_changed_inference_setting_never_reuses_an_answer(aws, change):
    _run(aws, CountingRuntime(), "run-1")
    runtime = CountingRuntime()
    lines = _run(aws, runtime, "run-2", **change)
    assert runtime.calls["base"] == N
    assert not any(x.get("cached") for x in lines)


def test_answers_above_temperature_zero_are_never_cached(aws):
    warm = {"MaxTokens": 64, "Temperature": 0.7, "TopP": 1.0, "StopSequences": []}
    _run(aws, CountingRuntime(), "run-1", config=warm)
    assert _cache_keys(aws) == []
    runtime = CountingRuntime()
    _run(aws, runtime, "run-2", config=warm)
    assert runtime.calls["base"] == N


def test_cache_false_neither_reads_nor_writes(aws):
    _run(aws, CountingRuntime(), "run-1", evaluation={"Cache": False})
    assert _cache_keys(aws) == []
    _run(aws, CountingRuntime(), "run-2")  # fills the cache
    keys = _cache_keys(aws)
    runtime = CountingRuntime()
    lines = _run(aws, runtime, "run-3", evaluation={"Cache": False})
    assert runtime.calls == {"base": N, "custom": N}
    assert not any(x.get("cached") for x in lines)
    assert _cache_keys(aws) == keys


def test_errors_are_not_cached(aws):
    records = _records()
    _run(aws, CountingRuntime(fail_base_for={records[0]["prompt"]}), "run-1", records)
    assert len(_cache_keys(aws)) == N - 1
    runtime = CountingRuntime()
    lines = _run(aws, runtime, "run-2", records)
    assert runtime.calls["base"] == 1
    assert next(x for x in lines if x["id"] == "prompt000" and x["model"] == "base")["output"] == "base:prompt number 0"


def test_cache_prefix_comes_from_the_environment(aws, monkeypatch):
    monkeypatch.setenv(cache.PREFIX_ENV, "evalcache/")
    _run(aws, CountingRuntime(), "run-1")
    listed = aws.list_objects_v2(Bucket=BUCKET, Prefix="evalcache/base-outputs/")
    assert listed["KeyCount"] == N
    assert _cache_keys(aws) == []


def test_an_entry_is_written_once_and_the_first_writer_wins(aws):
    key = "cache/base-outputs/" + "0" * 64 + ".json"
    assert cache.put_entry(aws, BUCKET, key, "first", 1, 2) is True
    assert cache.put_entry(aws, BUCKET, key, "second", 1, 2) is False
    assert cache.get_entry(aws, BUCKET, key)["output"] == "first"


class _RefusingS3:
    """put_object answers as S3 does to a conditional write racing another one, or with another error."""

    def __init__(self, code, status):
        self.code, self.status = code, status

    def put_object(self, **kwargs):
        assert kwargs["IfNoneMatch"] == "*"
        raise ClientError(
            {"Error": {"Code": self.code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": self.status}},
            "PutObject",
        )


@pytest.mark.parametrize("code,status", [("ConditionalRequestConflict", 409), ("PreconditionFailed", 412)])
def test_a_write_racing_another_writer_of_the_key_keeps_theirs(code, status):
    assert cache.put_once(_RefusingS3(code, status), BUCKET, "cache/x", b"{}", "application/json") is False


class _BrokenS3(_RefusingS3):
    def get_object(self, **kwargs):
        raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "GetObject")


def test_a_cache_that_cannot_be_used_is_a_logged_miss_never_a_failure(caplog):
    broken = _BrokenS3("AccessDenied", 403)
    assert cache.put_once(broken, BUCKET, "cache/x", b"{}", "application/json") is False
    assert cache.get_entry(broken, BUCKET, "cache/x") is None
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"evaluation cache: cannot write s3://{BUCKET}/cache/x",
        f"evaluation cache: cannot read s3://{BUCKET}/cache/x",
    ]


def test_a_run_whose_cache_is_denied_still_infers_every_record(aws, monkeypatch):
    def denied(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")

    real_get = aws.get_object
    monkeypatch.setattr(aws, "get_object", lambda **kw: denied() if kw["Key"].startswith("cache/") else real_get(**kw))
    runtime = CountingRuntime()
    lines = _run(aws, runtime, "run-1")
    assert runtime.calls == {"base": N, "custom": N} and all("output" in x for x in lines)


def test_a_corrupt_or_foreign_entry_is_a_miss(aws):
    key = "cache/base-outputs/" + "2" * 64 + ".json"
    aws.put_object(Bucket=BUCKET, Key=key, Body=b"not json")
    assert cache.get_entry(aws, BUCKET, key) is None
    aws.put_object(Bucket=BUCKET, Key=key, Body=json.dumps({"v": 99, "output": "x"}).encode())
    assert cache.get_entry(aws, BUCKET, key) is None
    assert cache.get_entry(aws, BUCKET, "cache/base-outputs/missing.json") is None


# --- keys -------------------------------------------------------------------------------------------

SETTINGS = adapters.InferenceSettings(MaxTokens=64, Temperature=0.0, TopP=1.0, StopSequences=[])


def _key(family="nova", model_id=BASE_ID, prompt="hello", settings=SETTINGS, use_converse=None):
    from workflow_lambdas.infer import base_cache_key

    return base_cache_key(family, model_id, prompt, settings, use_converse)


def test_every_request_setting_is_in_the_key():
    keys = {
        "same": _key(),
        "prompt": _key(prompt="hello!"),
        "model": _key(model_id="amazon.nova-lite-v1:0"),
        "api": _key(use_converse=False),
        "family": _key(family="llama", model_id=BASE_ID),
        "max_tokens": _key(settings=SETTINGS.model_copy(update={"max_tokens": 65})),
        "top_p": _key(settings=SETTINGS.model_copy(update={"top_p": 0.5})),
        "stops": _key(settings=SETTINGS.model_copy(update={"stop_sequences": ["x"]})),
    }
    assert len(set(keys.values())) == len(keys)
    assert _key() == keys["same"]  # deterministic
    assert keys["same"].startswith("cache/base-outputs/") and keys["same"].endswith(".json")


def test_the_prompt_template_is_in_the_key():
    """Llama's InvokeModel body wraps the prompt in its chat template: the key hashes the templated request."""
    _api, request = adapters.request_for("llama", "meta.llama3-8b-instruct-v1:0", "hi", SETTINGS, use_converse=False)
    assert request["body"]["prompt"].startswith("<|begin_of_text|>")
    identity = cache.base_output_identity("llama", "invoke_model", request)
    assert "<|begin_of_text|>" in json.dumps(identity)


def test_no_key_above_temperature_zero():
    assert _key(settings=SETTINGS.model_copy(update={"temperature": 0.2})) is None
    assert _key(settings=adapters.InferenceSettings()) is not None  # the family default is 0


def test_the_keyed_request_is_what_invoke_sends():
    runtime = CountingRuntime()
    adapters.invoke(runtime, "nova", BASE_ID, "hello", SETTINGS)
    api, request = adapters.request_for("nova", BASE_ID, "hello", SETTINGS)
    assert api == "converse" and runtime.requests == [request]
