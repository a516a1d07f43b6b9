"""The projection model of benchmarks/time_to_verdict.py: how time to verdict responds to its inputs."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _load():
    spec = importlib.util.spec_from_file_location("time_to_verdict", ROOT / "benchmarks" / "time_to_verdict.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


ttv = _load()
# Inputs of the model (what an emulator run would measure); the tests compare projections with each other.
MEASURED = ttv.Measured(infer_per_record=0.005, score_per_record=0.08, plan=0.5, aggregate=2.0, flop_ratio=20.0)
ASSUME = ttv.Assumptions()
SIZES = [1, 49, 50, 51, 400, 1_000, 2_345, 10_000, 33_333, 100_000]


def seconds(n, design=None, measured=MEASURED, assumptions=ASSUME):
    return ttv.projection(n, design or ttv.AFTER, measured, assumptions).seconds


@pytest.mark.parametrize("design", [ttv.BEFORE, ttv.AFTER], ids=["before", "after"])
def test_more_records_never_take_less_time(design):
    times = [seconds(n, design) for n in SIZES]
    assert times == sorted(times)
    assert times[-1] > times[0]


@pytest.mark.parametrize("design", [ttv.BEFORE, ttv.AFTER], ids=["before", "after"])
def test_slower_model_calls_and_a_smaller_quota_take_longer(design):
    for n in (1_000, 10_000):
        by_latency = [seconds(n, design, assumptions=replace(ASSUME, latency=x)) for x in (0.2, 1.0, 3.0, 10.0)]
        assert by_latency == sorted(by_latency) and by_latency[-1] > by_latency[0]
        by_quota = [seconds(n, design, assumptions=replace(ASSUME, rpm=x)) for x in (100, 500, 2_000, 20_000)]
        assert by_quota == sorted(by_quota, reverse=True) and by_quota[0] > by_quota[-1]


def test_the_quota_bounds_the_run_from_below():
    for rpm in (50, 200, 1_000):
        assert seconds(10_000, assumptions=replace(ASSUME, rpm=rpm)) >= 10_000 * 60 / rpm


@pytest.mark.parametrize("design", [ttv.BEFORE, ttv.AFTER], ids=["before", "after"])
def test_more_score_memory_never_slows_scoring(design):
    times = [seconds(10_000, replace(design, score_memory_mb=mb)) for mb in (1024, 1769, 3008, 5307, 10240)]
    assert times == sorted(times, reverse=True) and times[0] > times[-1]


def test_more_inference_shards_never_slow_the_old_design():
    times = [seconds(10_000, replace(ttv.BEFORE, inference_shards=k)) for k in (1, 2, 4, 8, 16, 40)]
    assert times == sorted(times, reverse=True)


def test_score_concurrency_helps_when_scoring_dominates():
    heavy = replace(MEASURED, score_per_record=2.0)  # scoring far slower than inference
    times = [seconds(10_000, replace(ttv.AFTER, score_concurrency=s), heavy) for s in (1, 4, 16, 40, 160)]
    assert times == sorted(times, reverse=True) and times[0] > 2 * times[-1]


def test_pipelining_beats_running_the_maps_in_a_row():
    for n in SIZES[2:]:
        for score in (0.01, 0.08, 1.0):
            measured = replace(MEASURED, score_per_record=score)
            assert seconds(n, ttv.AFTER, measured) < seconds(n, ttv.BEFORE, measured)


def test_the_after_design_keeps_to_the_inference_budget():
    for n in SIZES:
        p = ttv.projection(n, ttv.AFTER, MEASURED, ASSUME)
        budget = ttv.AFTER.inference_shards * ttv.AFTER.inference_threads
        in_flight = p.shards_at_once * p.threads_per_shard
        assert in_flight <= max(budget + p.shards_at_once // 2, p.shards_at_once)


def test_vcpus_follow_the_documented_memory_ratio():
    assert ttv.vcpus(1769) == pytest.approx(1.0)
    assert ttv.vcpus(3538) == pytest.approx(2.0)
    assert ttv.vcpus(10240) <= 6.0
    assert ttv.speedup(1.0, 0.75) == 1.0 and ttv.speedup(4.0, 0.75) > ttv.speedup(2.0, 0.75)


def test_every_assumption_and_measurement_is_printed():
    lines = "\n".join(ttv.assumption_lines(ASSUME, MEASURED, (ttv.BEFORE, ttv.AFTER)))
    for name in list(vars(ASSUME)) + list(vars(MEASURED)):
        assert f"  {name} = " in lines, name
    assert "1769 MB" in lines and "before:" in lines and "after:" in lines
