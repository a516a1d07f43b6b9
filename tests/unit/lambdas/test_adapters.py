"""Model-family adapters: request bodies, response parsing, Converse, error bodies."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from workflow_lambdas import adapters
from workflow_lambdas.adapters import Completion, InferenceSettings, ModelResponseError
from workflow_lambdas.contract.errors import InvalidInput

PROMPT = "Summarise: the cat sat on the mat."
CONFIG = {"MaxTokens": 256, "Temperature": 0.2, "TopP": 0.9, "StopSequences": ["###"]}

# family -> (a valid InvokeModel response body, expected completion)
RESPONSES = {
    "nova": (
        {
            "output": {"message": {"role": "assistant", "content": [{"text": "A cat sat."}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 12, "outputTokens": 4, "totalTokens": 16},
        },
        Completion("A cat sat.", 12, 4),
    ),
    "titan": (
        {
            "inputTextTokenCount": 11,
            "results": [{"tokenCount": 5, "outputText": "A cat sat.", "completionReason": "FINISH"}],
        },
        Completion("A cat sat.", 11, 5),
    ),
    "llama": (
        {"generation": "A cat sat.", "prompt_token_count": 30, "generation_token_count": 4, "stop_reason": "stop"},
        Completion("A cat sat.", 30, 4),
    ),
    "claude": (
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": "A cat "}, {"type": "text", "text": "sat."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 14, "output_tokens": 5},
        },
        Completion("A cat sat.", 14, 5),
    ),
    "cohere": (
        {"generations": [{"id": "g1", "text": "A cat sat.", "finish_reason": "COMPLETE"}], "id": "x", "prompt": "p"},
        Completion("A cat sat.", None, None),
    ),
}

# family -> (a body missing the text, the field the error must name)
BROKEN = {
    "nova": ({"output": {"message": {"content": []}}}, "output.message.content[0].text"),
    "titan": ({"inputTextTokenCount": 3, "results": []}, "results[0].outputText"),
    "llama": ({"prompt_token_count": 3}, "generation"),
    "claude": ({"type": "message", "usage": {}}, "content[*].text"),
    "cohere": ({"generations": [{"id": "g"}]}, "generations[0].text"),
}


def test_nova_body():
    body = adapters.build_request("nova", PROMPT, CONFIG)
    assert body == {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
        "inferenceConfig": {"maxTokens": 256, "temperature": 0.2, "topP": 0.9, "stopSequences": ["###"]},
    }


def test_titan_body():
    body = adapters.build_request("titan", PROMPT, CONFIG)
    assert body == {
        "inputText": PROMPT,
        "textGenerationConfig": {"maxTokenCount": 256, "temperature": 0.2, "topP": 0.9, "stopSequences": ["###"]},
    }


def test_llama_body_uses_the_llama3_chat_template():
    body = adapters.build_request("llama", PROMPT, CONFIG)
    assert body == {
        "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"{PROMPT}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "max_gen_len": 256,
        "temperature": 0.2,
        "top_p": 0.9,
    }


def test_claude_body():
    body = adapters.build_request("claude", PROMPT, CONFIG)
    assert body == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}],
        "temperature": 0.2,
        "top_p": 0.9,
        "stop_sequences": ["###"],
    }
    # top_p = 1 is a no-op and is left out (newer Claude models reject temperature + top_p).
    assert "top_p" not in adapters.build_request("claude", PROMPT, {"TopP": 1.0})


def test_cohere_body_clamps_p():
    body = adapters.build_request("cohere", PROMPT, {"MaxTokens": 100, "Temperature": 0.0, "TopP": 1.0})
    assert body == {"prompt": PROMPT, "max_tokens": 100, "temperature": 0.0, "p": 0.99}


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_defaults_are_deterministic(family):
    resolved = adapters.resolve(family, None)
    assert resolved.temperature == 0.0
    assert resolved.max_tokens == 512
    assert resolved.stop_sequences == ()
    assert resolved == adapters.resolve(family, InferenceSettings())


def test_family_limits():
    assert adapters.resolve("llama", {"MaxTokens": 9000}).max_tokens == 2048
    assert adapters.resolve("nova", {"Temperature": 3}).temperature == 1.0
    assert adapters.resolve("cohere", {"Temperature": 3}).temperature == 3.0
    assert "stop" not in json.dumps(adapters.build_request("llama", PROMPT, {"StopSequences": ["x"]}))
    assert adapters.resolve("nova", {"StopSequences": list("abcdef")}).stop_sequences == tuple("abcd")


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_parse_round_trip(family):
    payload, expected = RESPONSES[family]
    # through JSON, as the body comes off the wire
    assert adapters.parse_response(family, json.loads(json.dumps(payload))) == expected


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_unparseable_body_names_family_and_field(family):
    payload, field = BROKEN[family]
    with pytest.raises(ModelResponseError) as info:
        adapters.parse_response(family, payload)
    assert info.value.family == family
    assert info.value.field == field
    assert family in str(info.value) and field in str(info.value)


@pytest.mark.parametrize("family", adapters.FAMILIES)
@pytest.mark.parametrize(
    "payload",
    [
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        {"message": "Malformed input request"},
        ["not", "an", "object"],
    ],
)
def test_error_bodies(family, payload):
    with pytest.raises(ModelResponseError) as info:
        adapters.parse_response(family, payload)
    assert info.value.family == family
    assert str(info.value).startswith(f"{family} response")


def test_cohere_error_finish_reason():
    with pytest.raises(ModelResponseError, match="finish_reason"):
        adapters.parse_response("cohere", {"generations": [{"text": "", "finish_reason": "ERROR_TOXIC"}]})


def test_claude_empty_content_is_an_empty_answer():
    assert adapters.parse_response("claude", {"type": "message", "content": []}).text == ""


def test_unknown_family():
    with pytest.raises(InvalidInput, match="mistral"):
        adapters.build_request("mistral", PROMPT)
    with pytest.raises(InvalidInput):
        adapters.parse_response("mistral", {})


def test_converse_choice():
    assert [f for f in adapters.FAMILIES if adapters.uses_converse(f)] == ["nova", "llama", "claude"]
    assert adapters.uses_converse("titan", True) is True
    assert adapters.uses_converse("nova", False) is False
    with pytest.raises(InvalidInput, match="cohere"):
        adapters.uses_converse("cohere", True)


def test_converse_request_and_parse():
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"
    kwargs = adapters.build_converse("nova", arn, PROMPT, CONFIG)
    assert kwargs == {
        "modelId": arn,
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
        "inferenceConfig": {"maxTokens": 256, "temperature": 0.2, "topP": 0.9, "stopSequences": ["###"]},
    }
    assert "topP" not in adapters.build_converse("claude", arn, PROMPT, {"TopP": 1.0})["inferenceConfig"]
    response = {
        "output": {"message": {"role": "assistant", "content": [{"reasoningContent": {}}, {"text": "ok"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    assert adapters.parse_converse("llama", response) == Completion("ok", 3, 1)
    with pytest.raises(ModelResponseError, match="llama response.*output.message.content"):
        adapters.parse_converse("llama", {"output": {"message": {"content": [{"image": {}}]}}})


def _runtime():
    return boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _streaming(payload) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


@pytest.mark.parametrize("family", ["titan", "cohere"])
def test_invoke_model_round_trip_through_botocore(family):
    runtime = _runtime()
    payload, expected = RESPONSES[family]
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_model",
            {"body": _streaming(payload), "contentType": "application/json"},
            {"modelId": "m", "body": ANY, "contentType": "application/json", "accept": "application/json"},
        )
        assert adapters.invoke(runtime, family, "m", PROMPT, CONFIG) == expected


@pytest.mark.parametrize("family", adapters.FAMILIES)
def test_invoke_model_path_for_every_family(family):
    calls = []
    payload, expected = RESPONSES[family]

    class Fake:
        def invoke_model(self, **kwargs):
            calls.append(kwargs)
            return {
                "body": _streaming(payload),
                "ResponseMetadata": {
                    "HTTPHeaders": {"x-amzn-bedrock-input-token-count": "7", "x-amzn-bedrock-output-token-count": "2"}
                },
            }

    got = adapters.invoke(Fake(), family, "model-x", PROMPT, CONFIG, use_converse=False)
    assert json.loads(calls[0]["body"]) == adapters.build_request(family, PROMPT, CONFIG)
    assert calls[0]["modelId"] == "model-x"
    assert got.text == expected.text
    # the body's counts win; the headers fill in what the body lacks (legacy Cohere)
    assert got.input_tokens == (expected.input_tokens or 7)
    assert got.output_tokens == (expected.output_tokens or 2)


def test_invoke_non_json_body():
    class Fake:
        def invoke_model(self, **kwargs):
            return {"body": io.BytesIO(b"<html>oops</html>")}

    with pytest.raises(ModelResponseError, match="titan response.*'body'.*not JSON"):
        adapters.invoke(Fake(), "titan", "m", PROMPT)


@pytest.mark.parametrize("family", ["nova", "llama", "claude"])
def test_converse_round_trip_through_botocore(family):
    runtime = _runtime()
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"
    with Stubber(runtime) as stub:
        stub.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "A cat sat."}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13},
                "metrics": {"latencyMs": 120},
            },
            adapters.build_converse(family, arn, PROMPT, CONFIG),
        )
        assert adapters.invoke(runtime, family, arn, PROMPT, CONFIG) == Completion("A cat sat.", 9, 4)
