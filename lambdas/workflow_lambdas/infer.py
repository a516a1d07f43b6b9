"""``infer``: run the base model and the custom model over one shard.

Event ``{"run": <run context>, "throughput": {"ProvisionedModelArn"}, "shard": {"Index", "Key", "Count"}}``.
Writes ``runs/<RunId>/evaluation/inference/<NNNNN>.jsonl``: one line per record
per model, in shard order, base before custom, each with ``output`` or
``error``. The object is written once, complete, by a single PutObject, so an
existing object with the expected lines means the shard is done (resume).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas import adapters, model_families
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.errors import DatasetError, InferenceFailed, InvalidInput

logger = logging.getLogger(__name__)
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

MODELS = ("base", "custom")

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
    }
)
RETRYABLE_EXCEPTIONS = (ReadTimeoutError, ConnectTimeoutError, ConnectionClosedError, EndpointConnectionError)
#: A model whose every call fails with one of these is misconfigured, not busy.
ACCESS_CODES = frozenset(
    {"AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException", "UnauthorizedException"}
)
VALIDATION_CODES = frozenset({"ValidationException"})


# --------------------------------------------------------------------------- settings and events


class Settings(BaseModel):
    concurrency: int = Field(default=8, ge=1, le=64)
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_cap: float = Field(default=20.0, ge=0)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field, name in (
            ("concurrency", "INFERENCE_CONCURRENCY"),
            ("max_attempts", "INFERENCE_MAX_ATTEMPTS"),
            ("backoff_base", "INFERENCE_BACKOFF_BASE_SECONDS"),
            ("backoff_cap", "INFERENCE_BACKOFF_CAP_SECONDS"),
        ):
            if env.get(name, "").strip():
                values[field] = env[name].strip()
        return cls.model_validate(values)


class RunView(BaseModel):
    """The part of the run context this function reads."""

    model_config = ConfigDict(extra="ignore")

    RunId: str = Field(min_length=1)
    ArtifactsBucket: str = Field(min_length=1)
    RunPrefix: str | None = None
    BaseModelIdentifier: str = Field(min_length=1)
    InferenceModelId: str = Field(min_length=1)
    InferenceConfig: adapters.InferenceSettings = Field(default_factory=adapters.InferenceSettings)

    @property
    def prefix(self) -> str:
        prefix = self.RunPrefix or f"runs/{self.RunId}/"
        return prefix if prefix.endswith("/") else prefix + "/"


class Throughput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ProvisionedModelArn: str = Field(min_length=1)


class Shard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Index: int = Field(ge=0)
    Key: str = Field(min_length=1)
    Count: int | None = Field(default=None, ge=0)


class InferEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run: RunView
    throughput: Throughput
    shard: Shard


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int  # kept exactly as plan_shards wrote it: records are joined by id downstream
    prompt: str
    reference: str | None = None


# --------------------------------------------------------------------------- plain functions


def output_key(run: RunView, index: int) -> str:
    return f"{run.prefix}evaluation/inference/{index:05d}.jsonl"


def read_records(s3: Any, bucket: str, key: str) -> list[Record]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except ClientError as exc:
        raise DatasetError(f"cannot read shard s3://{bucket}/{key}: {exc}") from exc
    records: list[Record] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record.model_validate(json.loads(line)))
        except (ValueError, AttributeError) as exc:
            raise DatasetError(f"s3://{bucket}/{key} line {number}: not a record ({exc})") from exc
    return records


def _expected_pairs(records: list[Record]) -> list[tuple[str | int, str]]:
    return [(r.id, m) for r in records for m in MODELS]


def read_complete(s3: Any, bucket: str, key: str, records: list[Record]) -> list[dict] | None:
    """The existing inference lines if the object is complete, else ``None``."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    lines: list[dict] = []
    try:
        for line in body.splitlines():
            if line.strip():
                lines.append(json.loads(line))
    except ValueError:
        logger.warning("inference object %s is corrupt: recomputing", key)
        return None
    if len(lines) != 2 * len(records):
        logger.warning("inference object %s has %d lines, expected %d: recomputing", key, len(lines), 2 * len(records))
        return None
    if [(x.get("id"), x.get("model")) for x in lines] != _expected_pairs(records) or not all(
        ("output" in x) != ("error" in x) for x in lines
    ):
        logger.warning("inference object %s does not match the shard: recomputing", key)
        return None
    return lines


@dataclass
class CallResult:
    output: str | None = None
    error: dict[str, str] | None = None
    latency_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    attempts: int = 0


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or type(exc).__name__
    return type(exc).__name__


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        return _error_code(exc) in RETRYABLE_CODES
    return isinstance(exc, RETRYABLE_EXCEPTIONS)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt counts from 0)."""
    ceiling = min(cap, base * (2**attempt))
    return (rng or random).uniform(0, ceiling)


def call_with_retry(
    call: Callable[[], adapters.Completion],
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CallResult:
    """Run ``call`` with our own retries; never raises an ``Exception``."""
    last: BaseException | None = None
    for attempt in range(settings.max_attempts):
        if attempt:
            sleep(backoff_delay(attempt - 1, settings.backoff_base, settings.backoff_cap, rng))
        started = clock()
        try:
            completion = call()
        except Exception as exc:  # every failure becomes an error line, never a lost record
            last = exc
            if _retryable(exc):
                logger.debug("retryable %s (attempt %d)", _error_code(exc), attempt + 1)
                continue
            if not isinstance(exc, ClientError | adapters.ModelResponseError):
                logger.exception("unexpected error during inference")
            return CallResult(
                error={"type": _error_code(exc), "message": str(exc)},
                latency_ms=int((clock() - started) * 1000),
                attempts=attempt + 1,
            )
        return CallResult(
            output=completion.text,
            latency_ms=int((clock() - started) * 1000),
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            attempts=attempt + 1,
        )
    assert last is not None
    return CallResult(
        error={
            "type": _error_code(last),
            "message": f"gave up after {settings.max_attempts} attempts: {last}",
        },
        attempts=settings.max_attempts,
    )


def _line(record: Record, model: str, result: CallResult) -> dict[str, Any]:
    line: dict[str, Any] = {"id": record.id, "model": model}
    if result.error is not None:
        line["error"] = result.error
    else:
        line["output"] = result.output
    line.update(
        latency_ms=result.latency_ms,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        attempts=result.attempts,
    )
    return line


def _error_counts(lines: list[dict]) -> dict[str, int]:
    counts = dict.fromkeys(MODELS, 0)
    for line in lines:
        if "error" in line and line.get("model") in counts:
            counts[line["model"]] += 1
    return counts


def _check_not_misconfigured(lines: list[dict], model_ids: dict[str, str]) -> None:
    """Raise ``InferenceFailed`` when a model refused every call for access or validation reasons.

    A shard of one record whose only call fails validation is more likely a
    poison record than a misconfiguration, so validation errors count only
    from two records up; access errors count from one.
    """
    for model in MODELS:
        mine = [x for x in lines if x["model"] == model]
        if not mine or not all("error" in x for x in mine):
            continue
        codes = {x["error"]["type"] for x in mine}
        if codes <= ACCESS_CODES or (codes <= ACCESS_CODES | VALIDATION_CODES and len(mine) >= 2):
            sample = mine[0]["error"]
            raise InferenceFailed(
                f"every {model} call ({len(mine)}) to {model_ids[model]} failed: {sample['type']}: {sample['message']}"
            )


def infer_shard(
    event: InferEvent,
    *,
    s3: Any,
    runtime: Any,
    family: str,
    settings: Settings,
    use_converse: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    run, shard = event.run, event.shard
    bucket = run.ArtifactsBucket
    key = output_key(run, shard.Index)
    adapters.adapter_for(family)  # unknown family: fail before any call

    records = read_records(s3, bucket, shard.Key)
    if shard.Count is not None and shard.Count != len(records):
        raise DatasetError(f"shard {shard.Key} holds {len(records)} records, the plan says {shard.Count}")

    existing = read_complete(s3, bucket, key, records)
    if existing is not None:
        logger.info("shard %d already inferred (%s): skipping", shard.Index, key)
        return {
            "Index": shard.Index,
            "Key": key,
            "Records": len(records),
            "Errors": _error_counts(existing),
            "Skipped": True,
        }

    model_ids = {"base": run.InferenceModelId, "custom": event.throughput.ProvisionedModelArn}
    config = run.InferenceConfig

    def task(record: Record, model: str) -> CallResult:
        return call_with_retry(
            lambda: adapters.invoke(
                runtime, family, model_ids[model], record.prompt, config, use_converse=use_converse
            ),
            settings,
            sleep=sleep,
            rng=rng,
        )

    jobs = [(record, model) for record in records for model in MODELS]
    executor = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="infer")
    try:
        futures = [executor.submit(task, record, model) for record, model in jobs]
        results = [future.result() for future in futures]
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

    lines = [_line(record, model, result) for (record, model), result in zip(jobs, results, strict=True)]
    _check_not_misconfigured(lines, model_ids)

    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/x-ndjson")
    errors = _error_counts(lines)
    logger.info("shard %d: %d records, errors %s -> s3://%s/%s", shard.Index, len(records), errors, bucket, key)
    return {"Index": shard.Index, "Key": key, "Records": len(records), "Errors": errors, "Skipped": False}


# --------------------------------------------------------------------------- handler


def family_for(run: RunView) -> str:
    """The adapter family: from the base model identifier (the custom model shares it)."""
    family = model_families.family_of(run.BaseModelIdentifier) or model_families.family_of(run.InferenceModelId)
    if family is None:
        raise InvalidInput(f"no inference adapter for base model {run.BaseModelIdentifier}")
    return family


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    parsed = InferEvent.model_validate(event)
    return infer_shard(
        parsed,
        s3=client("s3"),
        runtime=client("bedrock-runtime"),
        family=family_for(parsed.run),
        settings=Settings.from_env(),
    )
