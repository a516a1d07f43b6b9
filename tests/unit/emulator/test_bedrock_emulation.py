"""Emulated bedrock-runtime through boto3: family shapes, Converse, throttling, rate limit, poison records."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bedrock_customize.emulator.bedrock import BedrockWorld, TokenBucket, set_active_world
from bedrock_customize.emulator.config import EmulatorConfig, ModelBehaviour
from workflow_lambdas import adapters
from workflow_lambdas.adapters import Completion

REGION = "us-east-1"
PROMPT = "Summarise: Ana moved the meeting to Friday because the room was booked."
REFERENCE = "Ana moved the meeting to Friday."
SETTINGS = {"MaxTokens": 128, "Temperature": 0.0, "TopP": 1.0, "StopSequences": ["###"]}

MODEL_IDS = {
    "nova": "amazon.nova-micro-v1:0",
    "titan": "amazon.titan-text-express-v1",
    "llama": "meta.llama3-1-8b-instruct-v1:0",
    "claude": "anthropic.claude-3-haiku-20240307-v1:0",
    "cohere": "cohere.command-light-text-v14",
}

# The fields a real InvokeModel answer of each family carries.
SHAPES = {
    "nova": {"output", "stopReason", "usage"},
    "titan": {"inputTextTokenCount", "results"},
    "llama": {"generation", "prompt_token_count", "generation_token_count", "stop_reason"},
    "claude": {"id", "type", "role", "content", "stop_reason", "usage"},
    "cohere": {"id", "prompt", "generations"},
}


@pytest.fixture
def world(emulated_aws):
    config = EmulatorConfig(base=ModelBehaviour(quality=1.0), custom=ModelBehaviour(quality=1.0))
    world = BedrockWorld(config)
    world.teach({PROMPT: REFERENCE})
    set_active_world(world)
    with mock_aws():
        yield world
    set_active_world(None)


def _runtime(attempts: int = 1):
    config = boto3.session.Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return boto3.client("bedrock-runtime", region_name=REGION, config=config)


def _raw_invoke(runtime, model_id: str, body) -> dict:
    response = runtime.invoke_model(modelId=model_id, body=json.dumps(body), contentType="application/json")
    return json.loads(response["body"].read())


def _code(info) -> str:
    return info.value.response["Error"]["Code"]


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_invoke_model_shapes_per_family(world, family):
    runtime = _runtime()
    body = adapters.build_request(family, PROMPT, SETTINGS)
    raw = _raw_invoke(runtime, MODEL_IDS[family], body)
    assert set(raw) == SHAPES[family]
    # the adapter reads the emulated answer; the emulated model "knows" the reference (quality 1.0)
    got = adapters.invoke(runtime, family, MODEL_IDS[family], PROMPT, SETTINGS, use_converse=False)
    assert got.text == REFERENCE
    if family == "cohere":  # legacy Cohere reports no usage in its body
        assert (got.input_tokens, got.output_tokens) == (None, None)
    else:
        assert got.output_tokens == len(REFERENCE.split())
        assert got.input_tokens and got.input_tokens >= len(PROMPT.split())


@pytest.mark.parametrize("family", ["nova", "llama", "claude", "titan"])
def test_converse_per_family(world, family):
    got = adapters.invoke(_runtime(), family, MODEL_IDS[family], PROMPT, SETTINGS, use_converse=True)
    assert got == Completion(REFERENCE, len(PROMPT.split()), len(REFERENCE.split()))


def test_converse_refuses_legacy_cohere(world):
    with pytest.raises(ClientError) as info:
        _runtime().converse(modelId=MODEL_IDS["cohere"], messages=[{"role": "user", "content": [{"text": PROMPT}]}])
    assert _code(info) == "ValidationException"
    assert "Converse" in str(info.value)


@pytest.mark.parametrize(
    ("family", "body", "message"),
    [
        ("nova", {"messages": [{"role": "user", "content": [{"text": "x"}]}], "max_tokens": 5}, "max_tokens"),
        (
            "nova",
            {"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"top_p": 1}},
            "top_p",
        ),
        ("titan", {"inputText": "x", "textGenerationConfig": {"maxTokens": 5}}, "maxTokens"),
        ("llama", {"prompt": "x", "max_tokens": 5}, "max_tokens"),
        ("claude", {"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}, "anthropic_version"),
        ("claude", {"anthropic_version": "v1", "max_tokens": 5, "messages": []}, "anthropic_version"),
        ("cohere", {"prompt": "x", "p": 1.0}, "p must be"),
        ("titan", {"prompt": "x"}, "inputText"),
    ],
)
def test_malformed_bodies_are_rejected_like_bedrock(world, family, body, message):
    with pytest.raises(ClientError) as info:
        _raw_invoke(_runtime(), MODEL_IDS[family], body)
    assert _code(info) == "ValidationException"
    assert message in str(info.value)


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_adapter_bodies_pass_the_emulator_checks_with_extreme_settings(world, family):
    extreme = {"MaxTokens": 100_000, "Temperature": 9.0, "TopP": 1.0, "StopSequences": list("abcdefghij")}
    got = adapters.invoke(_runtime(), family, MODEL_IDS[family], PROMPT, extreme, use_converse=False)
    assert got.text == REFERENCE


def test_throttle_rate_refuses_calls_fast_and_uses_no_quota(world):
    world.config.base.throttle_rate = 1.0
    world.config.base.latency_ms = 10_000.0  # a throttled call must not wait for the model
    with pytest.raises(ClientError) as info:
        adapters.invoke(_runtime(), "nova", MODEL_IDS["nova"], PROMPT)
    assert _code(info) == "ThrottlingException"
    assert world.stats["base"].calls == 1  # one request: this client makes no botocore retry
    assert world.stats["base"].throttled == 1 and world.stats["base"].answered == 0


def test_throttle_rate_is_a_probability(world):
    world.config.base.throttle_rate = 0.3
    runtime = _runtime()
    refused = 0
    for _ in range(300):
        try:
            runtime.converse(modelId=MODEL_IDS["nova"], messages=[{"role": "user", "content": [{"text": "hi"}]}])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ThrottlingException"
            refused += 1
    assert 60 <= refused <= 120  # seeded: about 30 %
    assert world.stats["base"].throttled == refused
    assert world.stats["custom"].calls == 0


def test_rate_limit_refuses_calls_beyond_the_quota(world):
    world.config.base.max_rps = 2.0
    world.config.base.burst = 3.0
    now = [100.0]
    bucket = world._bucket("base", world.config.base)
    bucket.clock = lambda: now[0]
    bucket.stamp = now[0]
    runtime = _runtime()

    def call() -> str:
        try:
            adapters.invoke(runtime, "nova", MODEL_IDS["nova"], PROMPT)
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    assert [call() for _ in range(4)] == ["ok", "ok", "ok", "ThrottlingException"]
    now[0] += 0.5  # one call's worth of quota at 2 per second
    assert [call(), call()] == ["ok", "ThrottlingException"]
    now[0] += 60  # the bucket holds at most `burst` calls
    assert [call() for _ in range(4)] == ["ok", "ok", "ok", "ThrottlingException"]
    stats = world.stats["base"]
    assert (stats.calls, stats.answered, stats.rate_limited) == (10, 7, 3)
    assert world.throttled == {"base": 3, "custom": 0}


def test_token_bucket_defaults_to_one_second_of_quota():
    now = [0.0]
    bucket = TokenBucket(4.0, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(10)) == 4
    now[0] = 0.25
    assert [bucket.take(), bucket.take()] == [True, False]
    assert TokenBucket(0.5).capacity == 1.0


def test_poison_record_fails_and_the_others_succeed(world):
    world.config.custom.poison_marker = "POISON"
    world.config.base.poison_marker = "POISON"
    runtime = _runtime()
    with pytest.raises(ClientError) as info:
        adapters.invoke(runtime, "nova", MODEL_IDS["nova"], "POISON " + PROMPT)
    assert _code(info) == "ValidationException" and "poison" in str(info.value)
    assert adapters.invoke(runtime, "nova", MODEL_IDS["nova"], PROMPT).text == REFERENCE


def test_latency_is_emulated_per_model(world):
    world.config.base.latency_ms = 60.0
    response = _runtime().converse(modelId=MODEL_IDS["nova"], messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert response["metrics"]["latencyMs"] >= 60
    assert world.stats["base"].max_in_flight == 1


def test_provisioned_throughput_is_the_custom_model(world):
    world.config.custom.quality = 0.0
    world.config.base.throttle_rate = 1.0  # only the base model is throttled
    bedrock = boto3.client("bedrock", region_name=REGION)
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1,
        provisionedModelName="pt",
        modelId=f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0",
    )["provisionedModelArn"]
    runtime = _runtime()
    with pytest.raises(ClientError) as info:
        adapters.invoke(runtime, "nova", arn, PROMPT)
    assert _code(info) == "ModelNotReadyException"  # still Creating
    bedrock.get_provisioned_model_throughput(provisionedModelId=arn)  # -> InService
    got = adapters.invoke(runtime, "nova", arn, PROMPT)
    assert got.text != REFERENCE  # the custom model's behaviour (quality 0), not the base model's
    assert world.stats["custom"].answered == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"throttle_rate": 1.5}, "throttle_rate"),
        ({"max_rps": 0}, "max_rps"),
        ({"burst": 0.5}, "burst"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"quality": 2}, "quality"),
    ],
)
def test_bad_behaviour_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        ModelBehaviour(**kwargs)
