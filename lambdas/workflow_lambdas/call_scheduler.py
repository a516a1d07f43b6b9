"""The throttle-safe, adaptive-concurrency call scheduler shared by ``infer`` and ``judge``.

``run_calls`` works through a list of model calls on a bounded pool: a call refused for throttling
(or unavailable, not ready, timed out) goes back to the queue with an exponential, fully jittered
delay and the thread takes the next ready call meanwhile; the number of calls in flight adapts to
the share of throttled requests. ``call_with_retry`` is the one-call path, ``shard_threads`` one
shard's share of the run's inference budget.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from workflow_lambdas import adapters
from workflow_lambdas.common import aws_errors
from workflow_lambdas.common.logs import get_logger
from workflow_lambdas.contract.errors import ModelResponseError

logger = get_logger("workflow_lambdas.infer")  # the name the inference logs always had


class SchedulerSettings(Protocol):
    """What the scheduler reads from a function's settings (``infer.Settings``)."""

    @property
    def concurrency(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def backoff_base(self) -> float: ...
    @property
    def backoff_cap(self) -> float: ...
    @property
    def throttle_target(self) -> float: ...


RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
    }
)
THROTTLING_CODES = aws_errors.THROTTLING_CODES
RETRYABLE_EXCEPTIONS = (ReadTimeoutError, ConnectTimeoutError, ConnectionClosedError, EndpointConnectionError)


@dataclass
class CallResult:
    output: str | None = None
    error: dict[str, str] | None = None
    latency_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    attempts: int = 0


def _error_code(exc: BaseException) -> str:
    return aws_errors.error_code(exc) or type(exc).__name__


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
    settings: SchedulerSettings,
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
        if not isinstance(exc, ClientError | ModelResponseError) and not _retryable(exc):
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
        settings: SchedulerSettings,
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
    settings: SchedulerSettings,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> list[CallResult | None]:
    """Every call's result, in order; ``None`` for calls not finished when ``deadline`` (a ``clock`` time) came."""
    return _Runner(calls, settings, deadline=deadline, clock=clock, rng=rng).run()


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
