"""The emulated LLM judge through boto3's Converse: deterministic, prefers the output closer to the
reference in both orders, answers in the asked format, with the service's response shape."""

from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bedrock_customize.emulator.bedrock import BedrockWorld, overlap_f1, set_active_world
from bedrock_customize.emulator.config import EmulatorConfig, ModelBehaviour
from workflow_lambdas import judge

REGION = "us-east-1"
JUDGE_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
REFERENCE = "Ana moved the weekly meeting to Friday because the room was booked."
GOOD = "Ana moved the weekly meeting to Friday since the room was booked."
BAD = "A meeting happened at some point."


def _world(**config) -> BedrockWorld:
    world = BedrockWorld(EmulatorConfig(**config))
    set_active_world(world)
    return world


@pytest.fixture
def runtime(emulated_aws):
    with mock_aws():
        one_attempt = boto3.session.Config(retries={"mode": "standard", "total_max_attempts": 1})
        yield lambda **config: (
            _world(**config),
            boto3.client("bedrock-runtime", region_name=REGION, config=one_attempt),
        )
    set_active_world(None)


def _ask(client, a: str, b: str, rubric: str = "summary_quality") -> dict:
    return client.converse(
        **judge.converse_request(JUDGE_ID, rubric, judge.judge_prompt("Summarize.", REFERENCE, a, b))
    )


def _text(response: dict) -> str:
    return response["output"]["message"]["content"][0]["text"]


def test_the_closer_output_wins_in_both_orders_so_the_record_has_a_preference(runtime):
    world, client = runtime()
    assert overlap_f1(REFERENCE, GOOD) > overlap_f1(REFERENCE, BAD)
    base_first = judge.parse_answer(_text(_ask(client, BAD, GOOD)))  # base = BAD as A, custom = GOOD as B
    custom_first = judge.parse_answer(_text(_ask(client, GOOD, BAD)))
    assert base_first[0] == "B" and custom_first[0] == "A"
    answers = [
        {"first": "base", "answer": base_first[0], "reason": base_first[1]},
        {"first": "custom", "answer": custom_first[0], "reason": custom_first[1]},
    ]
    assert judge.combine(answers)[0] == "custom"
    assert world.stats["judge"].answered == 2 and world.stats["base"].calls == 0


def test_answers_are_deterministic_and_carry_usage_in_the_converse_shape(runtime):
    world, client = runtime()
    first, again = _ask(client, GOOD, BAD), _ask(client, GOOD, BAD)
    assert _text(first) == _text(again)
    shape = botocore.session.get_session().get_service_model("bedrock-runtime").operation_model("Converse")
    members = set(shape.output_shape.members)
    assert {"output", "stopReason", "usage", "metrics"} <= members
    assert first["stopReason"] == "end_turn" and first["usage"]["inputTokens"] > 0
    assert first["usage"]["totalTokens"] == first["usage"]["inputTokens"] + first["usage"]["outputTokens"]


def test_equal_outputs_are_a_tie_and_the_asked_format_is_followed(runtime):
    _world_, client = runtime(judge_noise=0.0)
    assert judge.parse_answer(_text(_ask(client, GOOD, GOOD)))[0] == "tie"
    brackets = "Judge the two summaries and end with [[A]], [[B]] or [[C]] for a tie."
    user = judge.judge_prompt("Summarize.", REFERENCE, BAD, GOOD).replace(judge.ANSWER_FORMAT, brackets)
    request = judge.converse_request(JUDGE_ID, brackets, user)
    request["system"] = [{"text": brackets}]  # the rubric alone, without the JSON format
    text = _text(client.converse(**request))
    assert text.endswith("[[B]]") and "preference" not in text


def test_unparsable_answers_and_throttling_are_emulated(runtime):
    world, client = runtime(judge_unparsable_rate=1.0, judge=ModelBehaviour(throttle_rate=0.0))
    assert judge.parse_answer(_text(_ask(client, GOOD, BAD))) == (None, "")
    world.config.judge.throttle_rate = 1.0
    with pytest.raises(ClientError) as caught:
        _ask(client, GOOD, BAD)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert world.throttled["judge"] == 1
