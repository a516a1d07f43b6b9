"""Model-family adapters for Bedrock inference.

Each family has a request-body builder and a response parser for
``InvokeModel``; Nova, Llama and Claude go through the Converse API by
default (legacy Cohere Command has no chat support there, Titan Text keeps its
native body). Everything here is pure except :func:`invoke`, which takes the
``bedrock-runtime`` client as an argument.

Settings come from ``run.InferenceConfig`` (``MaxTokens``, ``Temperature``,
``TopP``, ``StopSequences``); a missing value takes the family default
(temperature 0: the comparison should be deterministic) and every value is
clamped to what the family accepts (for example Cohere rejects ``p`` = 1.0,
Llama 3 generates at most 2048 tokens).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas.contract.errors import InvalidInput, ModelResponseError
from workflow_lambdas.model_families import FAMILIES  # the one list of families, re-exported here

#: Families that go through Converse unless the caller says otherwise.
CONVERSE_DEFAULT = frozenset({"nova", "llama", "claude"})
#: Families Converse can serve at all (legacy Cohere Command cannot).
CONVERSE_CAPABLE = frozenset({"nova", "llama", "claude", "titan"})

ANTHROPIC_VERSION = "bedrock-2023-05-31"
LLAMA3_TEMPLATE = (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
    "{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
)


class InferenceSettings(BaseModel):
    """``run.InferenceConfig``; ``None`` means "family default"."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    max_tokens: int | None = Field(default=None, alias="MaxTokens", ge=1)
    temperature: float | None = Field(default=None, alias="Temperature", ge=0)
    top_p: float | None = Field(default=None, alias="TopP", ge=0, le=1)
    stop_sequences: list[str] | None = Field(default=None, alias="StopSequences")


@dataclass(frozen=True)
class FamilyLimits:
    max_tokens: int  # default
    max_tokens_limit: int
    temperature_limit: float
    top_p: float  # default
    top_p_limit: float
    max_stop_sequences: int  # 0: the family has no stop-sequence parameter


LIMITS: dict[str, FamilyLimits] = {
    "nova": FamilyLimits(512, 10_000, 1.0, 1.0, 1.0, 4),
    "titan": FamilyLimits(512, 8_192, 1.0, 1.0, 1.0, 4),
    "llama": FamilyLimits(512, 2_048, 1.0, 1.0, 1.0, 0),
    "claude": FamilyLimits(512, 4_096, 1.0, 1.0, 1.0, 8),
    "cohere": FamilyLimits(512, 4_096, 5.0, 0.99, 0.99, 4),
}


@dataclass(frozen=True)
class Resolved:
    """Settings after family defaults and limits."""

    max_tokens: int
    temperature: float
    top_p: float
    stop_sequences: tuple[str, ...]


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


def resolve(family: str, settings: InferenceSettings | Mapping[str, Any] | None = None) -> Resolved:
    limits = LIMITS.get(family)
    if limits is None:
        raise InvalidInput(f"unsupported model family '{family}' (known: {', '.join(FAMILIES)})")
    if settings is None:
        settings = InferenceSettings()
    elif not isinstance(settings, InferenceSettings):
        settings = InferenceSettings.model_validate(settings)
    max_tokens = settings.max_tokens if settings.max_tokens is not None else limits.max_tokens
    temperature = settings.temperature if settings.temperature is not None else 0.0
    top_p = settings.top_p if settings.top_p is not None else limits.top_p
    stops = tuple(s for s in (settings.stop_sequences or []) if s)
    return Resolved(
        max_tokens=min(max_tokens, limits.max_tokens_limit),
        temperature=min(temperature, limits.temperature_limit),
        top_p=min(top_p, limits.top_p_limit),
        stop_sequences=stops[: limits.max_stop_sequences],
    )


# --------------------------------------------------------------------------- parsing helpers

_MISSING = object()


def _dig(payload: Any, path: Sequence[str | int]) -> Any:
    node = payload
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or len(node) <= step:
                return _MISSING
        elif not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def _text(family: str, payload: Any, path: Sequence[str | int], name: str) -> str:
    _raise_on_error_body(family, payload)
    value = _dig(payload, path)
    if value is _MISSING or not isinstance(value, str):
        raise ModelResponseError(family, name, _snippet(payload))
    return value


def _count(payload: Any, path: Sequence[str | int]) -> int | None:
    value = _dig(payload, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _snippet(payload: Any, limit: int = 200) -> str:
    text = json.dumps(payload, default=str) if not isinstance(payload, str) else payload
    return f"body: {text[:limit]}{'...' if len(text) > limit else ''}"


def _raise_on_error_body(family: str, payload: Any) -> None:
    """Error-shaped bodies (Anthropic ``{"type": "error"}``, ``{"message": ...}``)."""
    if not isinstance(payload, dict):
        raise ModelResponseError(family, "body", f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("type") == "error" or isinstance(payload.get("error"), dict | str):
        err = payload.get("error")
        if isinstance(err, dict):
            detail = f"{err.get('type', 'error')}: {err.get('message', '')}".strip()
        else:
            detail = str(err or payload.get("message") or "error")
        raise ModelResponseError(family, "body", f"model returned an error: {detail}")
    if set(payload) <= {"message", "Message", "__type"} and payload:
        message = payload.get("message") or payload.get("Message")
        raise ModelResponseError(family, "body", f"model returned an error: {message}")


# --------------------------------------------------------------------------- families


def _nova_body(prompt: str, s: Resolved) -> dict[str, Any]:
    config: dict[str, Any] = {"maxTokens": s.max_tokens, "temperature": s.temperature, "topP": s.top_p}
    if s.stop_sequences:
        config["stopSequences"] = list(s.stop_sequences)
    return {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": config,
    }


def _message_text(family: str, payload: Any) -> str:
    """``output.message.content[*]``: the first block carrying text (Nova, Converse)."""
    _raise_on_error_body(family, payload)
    content = _dig(payload, ("output", "message", "content"))
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(text := block.get("text"), str):
                return text
    raise ModelResponseError(family, "output.message.content[0].text", _snippet(payload))


def _nova_parse(payload: Any) -> Completion:
    text = _message_text("nova", payload)
    return Completion(text, _count(payload, ("usage", "inputTokens")), _count(payload, ("usage", "outputTokens")))


def _titan_body(prompt: str, s: Resolved) -> dict[str, Any]:
    config: dict[str, Any] = {"maxTokenCount": s.max_tokens, "temperature": s.temperature, "topP": s.top_p}
    if s.stop_sequences:
        config["stopSequences"] = list(s.stop_sequences)
    return {"inputText": prompt, "textGenerationConfig": config}


def _titan_parse(payload: Any) -> Completion:
    text = _text("titan", payload, ("results", 0, "outputText"), "results[0].outputText")
    return Completion(text, _count(payload, ("inputTextTokenCount",)), _count(payload, ("results", 0, "tokenCount")))


def _llama_body(prompt: str, s: Resolved) -> dict[str, Any]:
    return {
        "prompt": LLAMA3_TEMPLATE.format(prompt=prompt),
        "max_gen_len": s.max_tokens,
        "temperature": s.temperature,
        "top_p": s.top_p,
    }


def _llama_parse(payload: Any) -> Completion:
    text = _text("llama", payload, ("generation",), "generation")
    return Completion(text, _count(payload, ("prompt_token_count",)), _count(payload, ("generation_token_count",)))


def _claude_body(prompt: str, s: Resolved) -> dict[str, Any]:
    body: dict[str, Any] = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": s.max_tokens,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "temperature": s.temperature,
    }
    # top_p = 1 is a no-op, and newer Claude models reject temperature and top_p together.
    if s.top_p < 1.0:
        body["top_p"] = s.top_p
    if s.stop_sequences:
        body["stop_sequences"] = list(s.stop_sequences)
    return body


def _claude_parse(payload: Any) -> Completion:
    _raise_on_error_body("claude", payload)
    content = payload.get("content")
    if not isinstance(content, list):
        raise ModelResponseError("claude", "content[*].text", _snippet(payload))
    texts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
    if content and not texts:
        raise ModelResponseError("claude", "content[*].text", _snippet(payload))
    return Completion(
        "".join(texts), _count(payload, ("usage", "input_tokens")), _count(payload, ("usage", "output_tokens"))
    )


def _cohere_body(prompt: str, s: Resolved) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": prompt,
        "max_tokens": s.max_tokens,
        "temperature": s.temperature,
        "p": s.top_p,
    }
    if s.stop_sequences:
        body["stop_sequences"] = list(s.stop_sequences)
    return body


def _cohere_parse(payload: Any) -> Completion:
    text = _text("cohere", payload, ("generations", 0, "text"), "generations[0].text")
    reason = _dig(payload, ("generations", 0, "finish_reason"))
    if isinstance(reason, str) and reason.upper().startswith("ERROR"):
        raise ModelResponseError("cohere", "generations[0].finish_reason", f"finish_reason {reason}")
    return Completion(text)


@dataclass(frozen=True)
class Adapter:
    family: str
    build: Callable[[str, Resolved], dict[str, Any]]
    parse: Callable[[Any], Completion]


ADAPTERS: dict[str, Adapter] = {
    "nova": Adapter("nova", _nova_body, _nova_parse),
    "titan": Adapter("titan", _titan_body, _titan_parse),
    "llama": Adapter("llama", _llama_body, _llama_parse),
    "claude": Adapter("claude", _claude_body, _claude_parse),
    "cohere": Adapter("cohere", _cohere_body, _cohere_parse),
}


def adapter_for(family: str) -> Adapter:
    try:
        return ADAPTERS[family]
    except KeyError:
        raise InvalidInput(f"unsupported model family '{family}' (known: {', '.join(FAMILIES)})") from None


def build_request(
    family: str, prompt: str, settings: InferenceSettings | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The InvokeModel JSON body for ``prompt``."""
    return adapter_for(family).build(prompt, resolve(family, settings))


def parse_response(family: str, payload: Any) -> Completion:
    """Read an InvokeModel body (already decoded JSON)."""
    return adapter_for(family).parse(payload)


# --------------------------------------------------------------------------- Converse


def uses_converse(family: str, prefer: bool | None = None) -> bool:
    """Whether ``family`` goes through Converse (``prefer`` overrides the default)."""
    adapter_for(family)
    if prefer is None:
        return family in CONVERSE_DEFAULT
    if prefer and family not in CONVERSE_CAPABLE:
        raise InvalidInput(f"the Converse API does not serve the {family} family")
    return prefer


def build_converse(
    family: str, model_id: str, prompt: str, settings: InferenceSettings | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``bedrock-runtime.converse``."""
    s = resolve(family, settings)
    config: dict[str, Any] = {"maxTokens": s.max_tokens, "temperature": s.temperature}
    if family != "claude" or s.top_p < 1.0:
        config["topP"] = s.top_p
    if s.stop_sequences:
        config["stopSequences"] = list(s.stop_sequences)
    return {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": config,
    }


def parse_converse(family: str, response: Any) -> Completion:
    """Read a Converse response (``ResponseMetadata`` is ignored)."""
    text = _message_text(family, response)
    return Completion(text, _count(response, ("usage", "inputTokens")), _count(response, ("usage", "outputTokens")))


# --------------------------------------------------------------------------- calling


def _read_body(family: str, body: Any) -> Any:
    raw = body.read() if hasattr(body, "read") else body
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        raise ModelResponseError(family, "body", f"not JSON: {str(raw)[:200]}") from None


def _header_count(response: Mapping[str, Any], name: str) -> int | None:
    headers = _dig(response, ("ResponseMetadata", "HTTPHeaders"))
    if not isinstance(headers, dict):
        return None
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def request_for(
    family: str,
    model_id: str,
    prompt: str,
    settings: InferenceSettings | Mapping[str, Any] | None = None,
    *,
    use_converse: bool | None = None,
) -> tuple[str, dict[str, Any]]:
    """The API (``"converse"`` or ``"invoke_model"``) and the exact request :func:`invoke` sends for
    ``prompt``: model id, prompt after the family's template, every resolved setting."""
    if uses_converse(family, use_converse):
        return "converse", build_converse(family, model_id, prompt, settings)
    return "invoke_model", {"modelId": model_id, "body": build_request(family, prompt, settings)}


def invoke(
    runtime: Any,
    family: str,
    model_id: str,
    prompt: str,
    settings: InferenceSettings | Mapping[str, Any] | None = None,
    *,
    use_converse: bool | None = None,
) -> Completion:
    """One call of ``model_id`` (a model id or a provisioned throughput ARN).

    Service errors (``botocore.exceptions.ClientError``) propagate unchanged;
    a body that cannot be read raises :class:`ModelResponseError`.
    """
    api, request = request_for(family, model_id, prompt, settings, use_converse=use_converse)
    if api == "converse":
        response = runtime.converse(**request)
        return parse_converse(family, response)
    response = runtime.invoke_model(
        modelId=model_id, body=json.dumps(request["body"]), contentType="application/json", accept="application/json"
    )
    completion = parse_response(family, _read_body(family, response.get("body")))
    if completion.input_tokens is None or completion.output_tokens is None:
        # Bedrock reports token counts in headers for every family (legacy Cohere has no usage in the body).
        completion = Completion(
            completion.text,
            completion.input_tokens
            if completion.input_tokens is not None
            else _header_count(response, "x-amzn-bedrock-input-token-count"),
            completion.output_tokens
            if completion.output_tokens is not None
            else _header_count(response, "x-amzn-bedrock-output-token-count"),
        )
    return completion
