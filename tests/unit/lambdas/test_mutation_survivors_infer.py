"""Inference across several Lambda deadlines (issue 15: an infer mutant that no test caught).

A shard that runs out of time twice keeps, after the second deadline, every line finished by the first
invocation too; the third invocation makes only the calls still missing and writes the whole shard.
"""

from __future__ import annotations

import json

import pytest
from test_infer import (  # the shard fixtures of the infer suite
    BUCKET,
    RUN_ID,
    ClockedRuntime,
    FakeClock,
    FakeRuntime,
    _assert_complete_and_ordered,
    _event,
    _lines,
    _put_shard,
    _records,
    _run,
    aws,  # noqa: F401 - the fixture
)

from workflow_lambdas import infer

PARTIAL = f"runs/{RUN_ID}/evaluation/inference-partial/00003.jsonl"


def _deadline_run(s3, clock: FakeClock, remaining_ms: int) -> ClockedRuntime:
    runtime = ClockedRuntime(clock)
    settings = infer.Settings(concurrency=1, max_attempts=3, backoff_base=0.0001, backoff_cap=0.001, deadline_margin=5)
    with pytest.raises(infer.InferenceDeadline):
        infer.infer_shard(
            infer.InferEvent.model_validate(_event()),
            s3=s3,
            runtime=runtime,
            family="nova",
            settings=settings,
            remaining_ms=lambda: remaining_ms,
            clock=clock,
        )
    return runtime


def _saved(s3) -> list[tuple[str, str]]:
    body = s3.get_object(Bucket=BUCKET, Key=PARTIAL)["Body"].read().decode()
    return [(item["id"], item["model"]) for item in map(json.loads, body.splitlines())]


def test_a_second_deadline_keeps_the_first_invocations_progress(aws):  # noqa: F811
    records = _records()
    _put_shard(aws, records)
    first = _deadline_run(aws, FakeClock(), remaining_ms=15_500)  # calls start at t = 0..10: 11 calls
    after_first = _saved(aws)
    assert first.calls == len(after_first) == 11

    second = _deadline_run(aws, FakeClock(), remaining_ms=12_500)  # 8 more calls, then the deadline again
    after_second = _saved(aws)
    assert second.calls == 8
    assert set(after_first) <= set(after_second), "the second deadline forgot lines of the first"
    assert len(after_second) == len(set(after_second)) == 11 + 8
    # the lines of both attempts are the real answers, not placeholders
    body = aws.get_object(Bucket=BUCKET, Key=PARTIAL)["Body"].read().decode()
    assert all(isinstance(json.loads(line).get("output"), str) for line in body.splitlines())

    third = FakeRuntime()
    result = _run(aws, third)
    assert third.calls == 2 * len(records) - 19  # only the calls still missing
    assert result["Records"] == len(records) and result["Skipped"] is False
    _assert_complete_and_ordered(_lines(aws), records)
