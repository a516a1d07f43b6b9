"""``infer``: run the base model and the custom model over one shard.

Event ``{"run": <run context>, "serving": {"Mode", "ModelId"}, "shard": {"Index", "Key", "Count"}}``
(``serving.ModelId``: the deployment ARN or the throughput ARN, the custom model's ``modelId``).
Writes ``runs/<RunId>/evaluation/inference/<NNNNN>.jsonl``: one line per record
per model, in shard order, base before custom, each with ``output`` or
``error``. The object is written once, complete, by a single PutObject, so an
existing object with the expected lines means the shard is done (resume).

Calls run on a bounded pool of ``INFERENCE_CONCURRENCY`` threads, or this shard's share of the
run's inference budget when the Shards Map runs more iterations than ``Evaluation.MaxConcurrency``
(``shard_threads``: scoring shards share the Map's slots with inferring ones). A call
refused for throttling (or unavailable, not ready, timed out) goes back to the
queue with an exponential, fully jittered delay and the thread takes the next
ready call meanwhile, so backing off never idles the pool. Our retries are the
only ones: the bedrock-runtime client makes one attempt per call, so a call
costs at most ``INFERENCE_MAX_ATTEMPTS`` requests. Near the Lambda deadline no
new call starts; the lines finished so far go to
``evaluation/inference-partial/<NNNNN>.jsonl`` (never the shard's output key)
and the function fails with ``InferenceDeadline``, which the Map retries: the
next invocation reuses the saved lines and makes only the missing calls. The
saved file is left in place (the function may not delete objects); once the
output exists it is never read again, and it expires with the run's artifacts.

Base-model answers at temperature 0 are cached across runs (``common.cache``:
``<CACHE_PREFIX>base-outputs/``, keyed by the exact request) unless the run says
``Evaluation.Cache: false``: a prompt answered before with the same request is
not sent again; its line carries ``"cached": true`` and ``attempts`` 0. The custom
model is always called.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

from botocore.exceptions import (
    ClientError,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflow_lambdas import adapters, model_families
from workflow_lambdas.call_scheduler import (
    RETRYABLE_CODES,
    CallResult,
    run_calls,
    shard_threads,
)
from workflow_lambdas.common import cache
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.common.s3 import put_jsonl, read_text_if_exists
from workflow_lambdas.common.settings import EnvSettings
from workflow_lambdas.contract import layout
from workflow_lambdas.contract.errors import (
    DatasetError,
    InferenceDeadline,
    InferenceFailed,
    InvalidInput,
)
from workflow_lambdas.contract.evaluation import DEFAULTS

logger = get_logger(__name__)

MODELS = ("base", "custom")

#: A model whose every call fails with one of these is misconfigured, not busy.
ACCESS_CODES = frozenset(
    {"AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException", "UnauthorizedException"}
)
VALIDATION_CODES = frozenset({"ValidationException"})


# --------------------------------------------------------------------------- settings and events


class Settings(EnvSettings):
    """The function's environment (Terraform sets it; every variable is optional)."""

    ENV_NAMES: ClassVar[Mapping[str, str | tuple[str, ...]]] = {
        "concurrency": "INFERENCE_CONCURRENCY",
        "max_attempts": "INFERENCE_MAX_ATTEMPTS",
        "backoff_base": "INFERENCE_BACKOFF_BASE_SECONDS",
        "backoff_cap": "INFERENCE_BACKOFF_CAP_SECONDS",
        "deadline_margin": "INFERENCE_DEADLINE_MARGIN_SECONDS",
        "read_timeout": "INFERENCE_READ_TIMEOUT_SECONDS",
        "client_retry_mode": "INFERENCE_CLIENT_RETRY_MODE",
        "throttle_target": "INFERENCE_THROTTLE_TARGET",
    }

    concurrency: int = Field(default=8, ge=1, le=64)
    #: Requests per model call, first one included; botocore adds none (its client makes one attempt).
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_cap: float = Field(default=20.0, ge=0)
    #: No call starts when less than this many seconds of the invocation remain.
    deadline_margin: float = Field(default=75.0, ge=0)
    #: Longest wait for one model answer (bedrock-runtime client read timeout).
    read_timeout: float = Field(default=60.0, gt=0)
    #: botocore retry mode of the bedrock-runtime client. With one attempt per call, "standard" only
    #: classifies errors; "adaptive" would also rate-limit the client on every ThrottlingException.
    client_retry_mode: Literal["standard", "adaptive"] = "standard"
    #: Share of throttled requests above which the shard lowers its concurrency (a quota is reached).
    throttle_target: float = Field(default=0.35, gt=0, lt=1)


class EvaluationView(BaseModel):
    """``run.Evaluation``: how many shards infer at once, how many iterations the Shards Map runs, and
    whether the evaluation cache is on."""

    model_config = ConfigDict(extra="ignore")

    MaxConcurrency: int | None = Field(default=None, ge=1)
    MapConcurrency: int | None = Field(default=None, ge=1)
    Cache: bool = DEFAULTS.Cache


class RunView(BaseModel):
    """The part of the run context this function reads."""

    model_config = ConfigDict(extra="ignore")

    RunId: str = Field(min_length=1)
    ArtifactsBucket: str = Field(min_length=1)
    RunPrefix: str | None = None
    BaseModelIdentifier: str = Field(min_length=1)
    InferenceModelId: str = Field(min_length=1)
    InferenceConfig: adapters.InferenceSettings = Field(default_factory=adapters.InferenceSettings)
    Evaluation: EvaluationView = Field(default_factory=EvaluationView)

    @property
    def prefix(self) -> str:
        return layout.prefix_of({"RunPrefix": self.RunPrefix, "RunId": self.RunId})


class ServedCandidate(BaseModel):
    """One candidate of a sweep: its name is its model label in the inference lines."""

    model_config = ConfigDict(extra="ignore")

    Name: str = Field(min_length=1)
    ModelId: str = Field(min_length=1)


class Serving(BaseModel):
    """How the custom model is served for this run: ``ModelId`` is what InvokeModel/Converse take.

    A candidate sweep adds ``Candidates`` (every served candidate): the base model and each candidate
    are called on every record, the base once for all of them."""

    model_config = ConfigDict(extra="ignore")

    Mode: Literal["on_demand", "provisioned"]
    ModelId: str | None = Field(default=None, min_length=1)
    Candidates: list[ServedCandidate] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_or_candidates(self) -> Serving:
        if self.ModelId is None and not self.Candidates:
            raise ValueError("serving needs ModelId (one custom model) or Candidates (a sweep)")
        return self

    def model_ids(self, base_id: str) -> dict[str, str]:
        """Model label -> modelId, base first: ``base``/``custom``, or ``base`` and each candidate's name."""
        if self.Candidates:
            return {"base": base_id, **{c.Name: c.ModelId for c in self.Candidates}}
        return {"base": base_id, "custom": str(self.ModelId)}


class Shard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Index: int = Field(ge=0)
    Key: str = Field(min_length=1)
    Count: int | None = Field(default=None, ge=0)


class InferEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run: RunView
    serving: Serving
    shard: Shard
    #: Shards of the run (``$.plan.ShardCount``): no more iterations than these run at once.
    shardCount: int | None = Field(default=None, ge=0)


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int  # kept exactly as plan_shards wrote it: records are joined by id downstream
    prompt: str
    reference: str | None = None


# --------------------------------------------------------------------------- plain functions


def output_key(run: RunView, index: int) -> str:
    return layout.shard_file(run.prefix, "inference", index)


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


def _expected_pairs(records: list[Record], models: tuple[str, ...] = MODELS) -> list[tuple[str | int, str]]:
    return [(r.id, m) for r in records for m in models]


def read_complete(
    s3: Any, bucket: str, key: str, records: list[Record], models: tuple[str, ...] = MODELS
) -> list[dict[str, Any]] | None:
    """The existing inference lines if the object is complete, else ``None``."""
    body = read_text_if_exists(s3, bucket, key)
    if body is None:
        return None
    lines: list[dict[str, Any]] = []
    try:
        for line in body.splitlines():
            if line.strip():
                lines.append(json.loads(line))
    except ValueError:
        logger.warning("inference object %s is corrupt: recomputing", key)
        return None
    if len(lines) != len(models) * len(records):
        logger.warning(
            "inference object %s has %d lines, expected %d: recomputing", key, len(lines), len(models) * len(records)
        )
        return None
    if [(x.get("id"), x.get("model")) for x in lines] != _expected_pairs(records, models) or not all(
        ("output" in x) != ("error" in x) for x in lines
    ):
        logger.warning("inference object %s does not match the shard: recomputing", key)
        return None
    return lines


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


def _error_counts(lines: list[dict[str, Any]], models: tuple[str, ...] = MODELS) -> dict[str, int]:
    counts = dict.fromkeys(models, 0)
    for line in lines:
        if "error" in line and line.get("model") in counts:
            counts[line["model"]] += 1
    return counts


def _check_not_misconfigured(lines: list[dict[str, Any]], model_ids: dict[str, str]) -> None:
    """Raise ``InferenceFailed`` when a model refused every call for access or validation reasons.

    A shard of one record whose only call fails validation is more likely a
    poison record than a misconfiguration, so validation errors count only
    from two records up; access errors count from one.
    """
    for model in model_ids:
        mine = [x for x in lines if x["model"] == model]
        if not mine or not all("error" in x for x in mine):
            continue
        codes = {x["error"]["type"] for x in mine}
        if codes <= ACCESS_CODES or (codes <= ACCESS_CODES | VALIDATION_CODES and len(mine) >= 2):
            sample = mine[0]["error"]
            raise InferenceFailed(
                f"every {model} call ({len(mine)}) to {model_ids[model]} failed: {sample['type']}: {sample['message']}"
            )


def partial_key(run: RunView, index: int) -> str:
    """Lines finished before a deadline: never read as the shard's output."""
    return layout.shard_file(run.prefix, "inference-partial", index)


def _read_partial(
    s3: Any, bucket: str, key: str, records: list[Record], models: tuple[str, ...] = MODELS
) -> dict[tuple[str, str], dict[str, Any]]:
    """Reusable lines saved by an invocation that ran out of time: outputs and final (non-retryable) errors."""
    body = read_text_if_exists(s3, bucket, key)
    if body is None:
        return {}
    wanted = {(json.dumps(r.id), m) for r in records for m in models}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for line in body.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        pair = (json.dumps(item.get("id")), item.get("model"))
        error = item.get("error")
        final = isinstance(item.get("output"), str) and error is None
        final = final or (isinstance(error, dict) and error.get("type") not in RETRYABLE_CODES and "output" not in item)
        if pair in wanted and final:
            found[pair] = item
    return found


CACHE_THREADS = 16  # concurrent GETs/PUTs of cached base outputs in one shard


def base_cache_key(
    family: str, model_id: str, prompt: str, config: adapters.InferenceSettings, use_converse: bool | None
) -> str | None:
    """The cache key of the base model's answer to ``prompt``, or ``None`` when that answer may not be
    reused: only at temperature 0 (after family defaults and limits), and keyed by the exact request
    (API, model id, templated prompt, every setting), so any other setting is another entry."""
    if adapters.resolve(family, config).temperature != 0:
        return None
    api, request = adapters.request_for(family, model_id, prompt, config, use_converse=use_converse)
    return cache.base_output_key(cache.base_output_identity(family, api, request))


def _pool_map(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(CACHE_THREADS, len(items)), thread_name_prefix="cache") as pool:
        return list(pool.map(function, items))


def _reused_line(record: Record, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record.id,
        "model": "base",
        "output": entry["output"],
        "latency_ms": None,
        "input_tokens": entry.get("input_tokens"),
        "output_tokens": entry.get("output_tokens"),
        "attempts": 0,
        "cached": True,  # the base model was not called: the answer of an earlier identical request
    }


def infer_shard(
    event: InferEvent,
    *,
    s3: Any,
    runtime: Any,
    family: str,
    settings: Settings,
    use_converse: bool | None = None,
    remaining_ms: Callable[[], int] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    run, shard = event.run, event.shard
    bucket = run.ArtifactsBucket
    key = output_key(run, shard.Index)
    adapters.adapter_for(family)  # unknown family: fail before any call
    deadline = None
    if remaining_ms is not None:
        deadline = clock() + remaining_ms() / 1000.0 - settings.deadline_margin

    records = read_records(s3, bucket, shard.Key)
    if shard.Count is not None and shard.Count != len(records):
        raise DatasetError(f"shard {shard.Key} holds {len(records)} records, the plan says {shard.Count}")
    seen: set[str] = set()
    for record in records:
        if json.dumps(record.id) in seen:  # plan_shards never writes this; lines are joined by id downstream
            raise DatasetError(
                f"shard {shard.Key}: duplicate id {record.id!r}; ids must be unique (re-run plan_shards)"
            )
        seen.add(json.dumps(record.id))

    model_ids = event.serving.model_ids(run.InferenceModelId)
    models = tuple(model_ids)
    existing = read_complete(s3, bucket, key, records, models)
    if existing is not None:
        logger.info("shard %d already inferred (%s): skipping", shard.Index, key)
        return {
            "Index": shard.Index,
            "Key": key,
            "Records": len(records),
            "Errors": _error_counts(existing, models),
            "Skipped": True,
        }

    config = run.InferenceConfig
    saved_key = partial_key(run, shard.Index)
    saved = _read_partial(s3, bucket, saved_key, records, models)

    def call(record: Record, model: str) -> Callable[[], adapters.Completion]:
        return lambda: adapters.invoke(
            runtime, family, model_ids[model], record.prompt, config, use_converse=use_converse
        )

    jobs = [(record, model) for record in records for model in models]
    cache_keys: dict[tuple[str, str], str] = {}
    if run.Evaluation.Cache:
        for record in records:
            pair = (json.dumps(record.id), "base")
            if pair not in saved:
                found = base_cache_key(family, model_ids["base"], record.prompt, config, use_converse)
                if found is not None:
                    cache_keys[pair] = found
    by_pair = {json.dumps(r.id): r for r in records}
    entries = _pool_map(lambda pair: cache.get_entry(s3, bucket, cache_keys[pair]), list(cache_keys))
    reused = {
        pair: _reused_line(by_pair[pair[0]], entry)
        for pair, entry in zip(cache_keys, entries, strict=True)
        if entry is not None
    }
    todo = [
        job
        for job in jobs
        if (json.dumps(job[0].id), job[1]) not in saved and (json.dumps(job[0].id), job[1]) not in reused
    ]
    if saved:
        logger.info(
            "shard %d: resuming, %d of %d calls saved by an earlier attempt", shard.Index, len(saved), len(jobs)
        )
    results = run_calls([call(r, m) for r, m in todo], settings, deadline=deadline, clock=clock, rng=rng)
    fresh = {(json.dumps(r.id), m): _line(r, m, res) for (r, m), res in zip(todo, results, strict=True) if res}
    # Only answers (never errors) are cached, each written once; a concurrent run may have written it first.
    to_cache = [(cache_keys[p], x) for p, x in fresh.items() if p in cache_keys and "output" in x]
    written = _pool_map(
        lambda item: cache.put_entry(
            s3, bucket, item[0], item[1]["output"], item[1]["input_tokens"], item[1]["output_tokens"]
        ),
        to_cache,
    )
    done = {**saved, **reused, **fresh}

    if len(done) < len(jobs):
        # Out of time: keep what is finished where only a resumed invocation reads it, and fail retryably.
        put_jsonl(s3, bucket, saved_key, done.values())
        raise InferenceDeadline(
            f"shard {shard.Index}: {len(jobs) - len(done)} of {len(jobs)} calls not made before the Lambda deadline "
            f"({len(done)} saved to s3://{bucket}/{saved_key}); the retry resumes from there"
        )

    lines = [done[(json.dumps(record.id), model)] for record, model in jobs]
    _check_not_misconfigured(lines, model_ids)

    put_jsonl(s3, bucket, key, lines)
    errors = _error_counts(lines, models)
    reuse = {"BaseOutputsReused": len(reused), "BaseOutputsCached": sum(written)}
    logger.info(
        "shard %d: %d records, errors %s, cache %s -> s3://%s/%s", shard.Index, len(records), errors, reuse, bucket, key
    )
    return {
        "Index": shard.Index,
        "Key": key,
        "Records": len(records),
        "Errors": errors,
        "Skipped": False,
    }


# --------------------------------------------------------------------------- handler


def family_for(run: RunView) -> str:
    """The adapter family: from the base model identifier (the custom model shares it)."""
    family = model_families.family_of(run.BaseModelIdentifier) or model_families.family_of(run.InferenceModelId)
    if family is None:
        raise InvalidInput(f"no inference adapter for base model {run.BaseModelIdentifier}")
    return family


def runtime_client(settings: Settings) -> Any:
    """bedrock-runtime with ONE botocore attempt per call: our queue does the retrying, so a call
    costs at most ``max_attempts`` requests (not botocore's attempts times ours)."""
    return client(
        "bedrock-runtime", max_attempts=1, retry_mode=settings.client_retry_mode, read_timeout=settings.read_timeout
    )


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("Task") == "judge":  # JudgeShard: same function, same runner
        from workflow_lambdas import judge

        return judge.handler(event, context)
    parsed = InferEvent.model_validate(event)
    settings = Settings.from_env()
    evaluation = parsed.run.Evaluation
    threads = shard_threads(
        settings.concurrency, evaluation.MaxConcurrency, evaluation.MapConcurrency, parsed.shardCount
    )
    if threads != settings.concurrency:
        settings = settings.model_copy(update={"concurrency": threads})
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return infer_shard(
        parsed,
        s3=client("s3"),
        runtime=runtime_client(settings),
        family=family_for(parsed.run),
        settings=settings,
        remaining_ms=remaining if callable(remaining) else None,
    )
