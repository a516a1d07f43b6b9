"""Evaluation.ScoreConcurrency on the emulator: the Shards Map runs MaxConcurrency + ScoreConcurrency shards."""

from __future__ import annotations

import threading

import pytest
from workflow_support import demo_input

from bedrock_customize.emulator import ModelBehaviour, moto_patches

pytestmark = pytest.mark.workflow


def _peak_shards_in_flight(emu, monkeypatch, evaluation: dict) -> tuple[dict, int, int]:
    """Run the sample with ``evaluation``; the most shards between the start of their infer and the end
    of their score at one time, and the Map Run's maxConcurrency (DescribeMapRun)."""
    lock = threading.Lock()
    in_flight: set[int] = set()
    peak = [0]
    original = moto_patches.invoke_in_process

    def watched(fn, event):
        shard = (event.get("shard") or {}).get("Index") if isinstance(event, dict) else None
        step = fn.function_name.rsplit("-", 1)[-1]
        if shard is not None and step == "infer":
            with lock:
                in_flight.add(shard)
                peak[0] = max(peak[0], len(in_flight))
        try:
            return original(fn, event)
        finally:
            if shard is not None and step == "score":
                with lock:
                    in_flight.discard(shard)

    monkeypatch.setattr(moto_patches, "invoke_in_process", watched)
    summary = emu.run(demo_input(Evaluation=evaluation), timeout=600)
    sfn = emu.client("stepfunctions")
    child = emu.child_executions()[0]
    map_runs = sfn.list_map_runs(executionArn=child)["mapRuns"]
    assert len(map_runs) == 1
    described = sfn.describe_map_run(mapRunArn=map_runs[0]["mapRunArn"])
    return summary, peak[0], described["maxConcurrency"]


def test_shards_map_runs_inference_plus_score_concurrency_at_once(emulator_factory, monkeypatch):
    # 40 sample records in shards of 4: 10 shards; each model call takes 30 ms so iterations overlap.
    emu = emulator_factory(
        "better", base=ModelBehaviour(quality=0.45, latency_ms=30), custom=ModelBehaviour(quality=0.85, latency_ms=30)
    )
    emu.upload_sample()
    summary, peak, max_concurrency = _peak_shards_in_flight(
        emu, monkeypatch, {"ShardSize": 4, "MaxConcurrency": 1, "ScoreConcurrency": 2}
    )
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert max_concurrency == 3  # MaxConcurrency + ScoreConcurrency, read through MaxConcurrencyPath
    assert peak == 3  # never more shards in flight than the Map allows, and the Map uses them all
