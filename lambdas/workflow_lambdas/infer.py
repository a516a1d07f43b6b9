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

import heapq
import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflow_lambdas import adapters, model_families
from workflow_lambdas.common import cache
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.errors import DatasetError, InferenceFailed, InvalidInput, WorkflowError
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.common.s3 import put_jsonl, read_text_if_exists

logger = get_logger(__name__)

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
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
RETRYABLE_EXCEPTIONS = (ReadTimeoutError, ConnectTimeoutError, ConnectionClosedError, EndpointConnectionError)
#: A model whose every call fails with one of these is misconfigured, not busy.
ACCESS_CODES = frozenset(
    {"AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException", "UnauthorizedException"}
)
VALIDATION_CODES = frozenset({"ValidationException"})


class InferenceDeadline(WorkflowError):
    """The Lambda deadline came before every call of a shard was made (retryable: the Map resumes it)."""


# --------------------------------------------------------------------------- settings and events


_ENV = (
    ("concurrency", "INFERENCE_CONCURRENCY"),
    ("max_attempts", "INFERENCE_MAX_ATTEMPTS"),
    ("backoff_base", "INFERENCE_BACKOFF_BASE_SECONDS"),
    ("backoff_cap", "INFERENCE_BACKOFF_CAP_SECONDS"),
    ("deadline_margin", "INFERENCE_DEADLINE_MARGIN_SECONDS"),
    ("read_timeout", "INFERENCE_READ_TIMEOUT_SECONDS"),
    ("client_retry_mode", "INFERENCE_CLIENT_RETRY_MODE"),
    ("throttle_target", "INFERENCE_THROTTLE_TARGET"),
)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field, name in _ENV:
            if env.get(name, "").strip():
                values[field] = env[name].strip()
        try:
            return cls.model_validate(values)
        except ValueError as exc:
            first = exc.errors()[0] if hasattr(exc, "errors") else {}
            field = str(first.get("loc", ["?"])[0])
            name = dict(_ENV).get(field, field)
            raise InvalidInput(
                f"{name}: {values.get(field)!r} is not allowed ({first.get('msg', exc)}); fix the function setting"
            ) from None


class EvaluationView(BaseModel):
    """``run.Evaluation``: how many shards infer at once, how many iterations the Shards Map runs, and
    whether the evaluation cache is on."""

    model_config = ConfigDict(extra="ignore")

    MaxConcurrency: int | None = Field(default=None, ge=1)
    MapConcurrency: int | None = Field(default=None, ge=1)
    Cache: bool = True


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
        prefix = self.RunPrefix or f"runs/{self.RunId}/"
        return prefix if prefix.endswith("/") else prefix + "/"


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


def _final_error(exc: BaseException, attempts: int, exhausted: bool) -> dict[str, str]:
    message = str(exc)
    if exhausted:
        message = f"gave up after {attempts} attempts: {message}"
    return {"type": _error_code(exc), "message": message}


def call_with_retry(
    call: Callable[[], adapters.Completion],
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CallResult:
    """Run ``call`` with our own retries, one call at a time; never raises an ``Exception``.

    The shard runner (:func:`run_calls`) does the same without sleeping in the
    thread; this is the one-call path (and the benchmark's sequential baseline).
    """
    last: BaseException | None = None
    for attempt in range(settings.max_attempts):
        if attempt:
            sleep(backoff_delay(attempt - 1, settings.backoff_base, settings.backoff_cap, rng))
        outcome = _attempt(call, clock)
        if isinstance(outcome, CallResult):
            outcome.attempts = attempt + 1
            return outcome
        last, latency_ms = outcome
        if not _retryable(last):
            return CallResult(error=_final_error(last, attempt + 1, False), latency_ms=latency_ms, attempts=attempt + 1)
    assert last is not None
    return CallResult(error=_final_error(last, settings.max_attempts, True), attempts=settings.max_attempts)


def _attempt(call: Callable[[], adapters.Completion], clock: Callable[[], float]) -> CallResult | tuple[Exception, int]:
    """One request: a result, or the exception with the time it took."""
    started = clock()
    try:
        completion = call()
    except Exception as exc:  # every failure becomes an error line, never a lost record
        if not isinstance(exc, ClientError | adapters.ModelResponseError) and not _retryable(exc):
            logger.exception("unexpected error during inference")
        return exc, int((clock() - started) * 1000)
    return CallResult(
        output=completion.text,
        latency_ms=int((clock() - started) * 1000),
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
    )


class _Runner:
    """A bounded pool working through calls; a retry waits in the queue, not in a thread.

    Calls whose backoff is over go before fresh ones (most attempts first), so retries are spread
    over the run instead of piling up at its end. The number of calls in flight adapts to a quota:
    when more than ``throttle_target`` of the recent requests were throttled, it is cut by 30 %
    (then judged again on fresh requests only, at most once per answered-call latency); while
    throttling stays below that share it grows back by one per round of calls, up to
    ``concurrency``. Throttling that does not depend on load (a share below the target) therefore
    never slows the shard down.
    """

    def __init__(
        self,
        calls: list[Callable[[], adapters.Completion]],
        settings: Settings,
        *,
        deadline: float | None,
        clock: Callable[[], float],
        rng: random.Random | None,
    ) -> None:
        self.calls = calls
        self.settings = settings
        self.deadline = deadline
        self.clock = clock
        self.rng = rng or random.Random()
        self.results: list[CallResult | None] = [None] * len(calls)
        self.attempts = [0] * len(calls)
        self.ready: list[tuple[int, int]] = [(0, i) for i in range(len(calls))]  # (-attempts, index)
        self.delayed: list[tuple[float, int]] = []  # (ready_at, index)
        self.unresolved = len(calls)
        self.stopping = False
        self.cond = threading.Condition()
        # adaptive concurrency
        self.limit = float(settings.concurrency)
        self.lowest_limit = self.limit
        self.in_flight = 0
        self._window = max(50, 4 * settings.concurrency)
        self.recent: deque[bool] = deque(maxlen=self._window)
        self.throttled_recent = 0
        self.last_cut = float("-inf")
        self.latency = 0.0  # moving average of answered calls, seconds

    def _promote(self, now: float) -> None:
        while self.delayed and self.delayed[0][0] <= now:
            _, index = heapq.heappop(self.delayed)
            heapq.heappush(self.ready, (-self.attempts[index], index))

    def _next(self) -> int | None:
        with self.cond:
            while True:
                if self.unresolved == 0 or self.stopping:
                    return None
                now = self.clock()
                if self.deadline is not None and now >= self.deadline:
                    self.stopping = True
                    self.cond.notify_all()
                    return None
                self._promote(now)
                if self.ready and self.in_flight < max(1, int(self.limit)):
                    _, index = heapq.heappop(self.ready)
                    self.in_flight += 1
                    return index
                # wait for a backoff to end, a call to finish (a slot or a retry), or the deadline
                until = self.delayed[0][0] if self.delayed and not self.ready else None
                if self.deadline is not None:
                    until = self.deadline if until is None else min(until, self.deadline)
                self.cond.wait(timeout=None if until is None else max(0.0, until - now))

    def _observe(self, throttled: bool, latency_ms: int | None) -> None:
        """Adapt the concurrency limit to the share of throttled requests (hold the lock)."""
        if len(self.recent) == self._window:
            self.throttled_recent -= self.recent[0]
        self.recent.append(throttled)
        self.throttled_recent += throttled
        if not throttled and latency_ms is not None:
            self.latency = 0.8 * self.latency + 0.2 * latency_ms / 1000.0 if self.latency else latency_ms / 1000.0
        if len(self.recent) < self._window // 2:
            return
        over = self.throttled_recent / len(self.recent) > self.settings.throttle_target
        now = self.clock()
        if throttled and over and now - self.last_cut >= self.latency:
            self.limit = max(1.0, self.limit * 0.7)
            self.lowest_limit = min(self.lowest_limit, self.limit)
            self.last_cut = now
            # judge the new limit on fresh requests only, or the old throttles would cut it again
            self.recent.clear()
            self.throttled_recent = 0
        elif not throttled and not over:
            self.limit = min(float(self.settings.concurrency), self.limit + 1.0 / self.limit)

    def _work(self) -> None:
        try:
            while (index := self._next()) is not None:
                outcome = _attempt(self.calls[index], self.clock)
                with self.cond:
                    self.in_flight -= 1
                    self.attempts[index] += 1
                    attempts = self.attempts[index]
                    self.cond.notify_all()  # a slot is free (and maybe more of them)
                    if isinstance(outcome, CallResult):
                        self._observe(False, outcome.latency_ms)
                        outcome.attempts = attempts
                        self._resolve(index, outcome)
                        continue
                    exc, latency_ms = outcome
                    self._observe(_error_code(exc) in THROTTLING_CODES, None)
                    if _retryable(exc) and attempts < self.settings.max_attempts:
                        delay = backoff_delay(
                            attempts - 1, self.settings.backoff_base, self.settings.backoff_cap, self.rng
                        )
                        heapq.heappush(self.delayed, (self.clock() + delay, index))
                        continue
                    error = _final_error(exc, attempts, _retryable(exc))
                    self._resolve(index, CallResult(error=error, latency_ms=latency_ms, attempts=attempts))
        except BaseException:
            with self.cond:  # a crash (or the runtime killing us) stops every worker
                self.stopping = True
                self.cond.notify_all()
            raise

    def _resolve(self, index: int, result: CallResult) -> None:
        self.results[index] = result
        self.unresolved -= 1
        if self.unresolved == 0:
            self.cond.notify_all()

    def run(self) -> list[CallResult | None]:
        workers = min(self.settings.concurrency, len(self.calls))
        if workers == 0:
            return []
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="infer") as executor:
            futures = [executor.submit(self._work) for _ in range(workers)]
            for future in futures:
                future.result()
        return self.results


def run_calls(
    calls: list[Callable[[], adapters.Completion]],
    settings: Settings,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> list[CallResult | None]:
    """Every call's result, in order; ``None`` for calls not finished when ``deadline`` (a ``clock`` time) came."""
    return _Runner(calls, settings, deadline=deadline, clock=clock, rng=rng).run()


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
    return f"{run.prefix}evaluation/inference-partial/{index:05d}.jsonl"


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


def shard_threads(
    threads: int, inference_shards: int | None, map_concurrency: int | None, shard_count: int | None = None
) -> int:
    """Model calls one infer invocation makes at once: its share of the run's inference budget.

    The budget is ``inference_shards`` (``Evaluation.MaxConcurrency``) x ``threads``
    (INFERENCE_CONCURRENCY) calls, what the Infer Map allowed when it ran alone. The Shards Map runs
    ``map_concurrency`` iterations (``MaxConcurrency + ScoreConcurrency``; never more than the
    ``shard_count`` shards of the run) and any of them may be inferring, so each takes
    ``budget / iterations`` threads rounded to the nearest, at least one: the calls in flight stay
    within ``iterations / 2`` of the budget (at most ``max(budget + iterations // 2, iterations)``),
    whatever the score concurrency, and a shard never waits on more calls than its share. Each
    shard's throttle-safe queue (``_Runner``) still backs off on throttling below that.
    """
    if not inference_shards or not map_concurrency:
        return threads
    iterations = map_concurrency if not shard_count else min(map_concurrency, shard_count)
    if iterations <= inference_shards:
        return threads
    share = (2 * inference_shards * threads + iterations) // (2 * iterations)  # budget / iterations, half up
    return max(1, min(threads, share))


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
