"""Evaluation.ScoreConcurrency (ValidateInput) and the infer step's share of the inference budget."""

from __future__ import annotations

import copy
import re

import pytest
from validation_cases import ENV, EXEC_ARN, EXEC_NAME, LLAMA_INPUT, ancestor_files

from workflow_lambdas import infer
from workflow_lambdas import validate_input as vi
from workflow_lambdas.call_scheduler import shard_threads
from workflow_lambdas.contract.errors import InvalidInput


def _validate(evaluation: dict | None, env: dict | None = None) -> vi.RunContext:
    raw = copy.deepcopy(LLAMA_INPUT)
    if evaluation is not None:
        raw["Evaluation"] = evaluation
    files = ancestor_files()
    return vi.validate_execution_input(
        raw,
        settings=vi.Settings.from_env({**ENV, **(env or {})}),
        execution_name=EXEC_NAME,
        execution_arn=EXEC_ARN,
        fetch=lambda bucket, key: files.get((bucket, key)),
    )


def _problems(evaluation: dict, env: dict | None = None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        _validate(evaluation, env)
    return str(caught.value).splitlines()


def test_default_score_concurrency_and_the_map_concurrency_derived_from_it():
    run = _validate(None)
    assert run.Evaluation.ScoreConcurrency == vi.DEFAULT_SCORE_CONCURRENCY
    state = run.to_state()["Evaluation"]
    assert state["MapConcurrency"] == state["MaxConcurrency"] + state["ScoreConcurrency"]
    run = _validate({"MaxConcurrency": 3, "ScoreConcurrency": 17})
    assert run.to_state()["Evaluation"]["MapConcurrency"] == 20


def test_default_is_lowered_to_the_module_bound():
    run = _validate(None, {"SCORE_MAX_CONCURRENCY": "5"})
    assert run.Evaluation.ScoreConcurrency == 5


def test_score_concurrency_over_the_module_bound_is_one_line_with_the_fix():
    lines = _problems({"ScoreConcurrency": 300}, {"SCORE_MAX_CONCURRENCY": "100"})
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("Evaluation.ScoreConcurrency: is 300, more than the 100")
    assert "use at most 100" in line and "score_max_concurrency" in line
    assert re.match(r"^[\w.\[\]]+: .+; .+$", line)


@pytest.mark.parametrize("value", [0, 961, "many"])
def test_score_concurrency_outside_the_schema_is_refused(value):
    lines = _problems({"ScoreConcurrency": value})
    assert [line.split(":", 1)[0] for line in lines] == ["Evaluation.ScoreConcurrency"], lines


def test_map_concurrency_is_derived_not_an_input():
    lines = _problems({"MapConcurrency": 10})
    assert [line.split(":", 1)[0] for line in lines] == ["Evaluation.MapConcurrency"], lines


def test_score_max_concurrency_setting_is_bounded():
    with pytest.raises(InvalidInput) as caught:
        vi.Settings.from_env({**ENV, "SCORE_MAX_CONCURRENCY": "961"})
    assert str(caught.value).startswith("SCORE_MAX_CONCURRENCY: 961 is not allowed")


# --- the infer step keeps to the inference budget -----------------------------------------------------


@pytest.mark.parametrize("inference_shards", [1, 2, 4, 10, 40])
@pytest.mark.parametrize("threads", [1, 3, 8, 64])
def test_model_calls_in_flight_stay_within_the_inference_budget(inference_shards, threads):
    budget = inference_shards * threads
    previous = None
    for score_shards in range(0, 200, 7):
        map_concurrency = inference_shards + score_shards
        per_shard = shard_threads(threads, inference_shards, map_concurrency)
        assert 1 <= per_shard <= threads
        # any of the Map's iterations may be inferring at one time: near the budget, never far over it
        in_flight = map_concurrency * per_shard
        assert in_flight <= max(budget + map_concurrency // 2, map_concurrency)
        if map_concurrency <= budget:
            assert in_flight >= budget - map_concurrency // 2
        if previous is not None:
            assert per_shard <= previous  # more scoring slots never give a shard more threads
        previous = per_shard
    assert shard_threads(threads, inference_shards, inference_shards) == threads  # Map alone: unchanged


def test_a_run_with_fewer_shards_than_map_slots_keeps_its_threads():
    # 3 shards never fill 44 slots: with 4 inference shards allowed, each shard keeps all 8 threads
    assert shard_threads(8, 4, 44, shard_count=3) == 8
    assert shard_threads(8, 4, 44, shard_count=16) == 2
    assert shard_threads(8, 4, 44, shard_count=20) == 2  # 32 calls over 20 shards: 40 in flight
    assert shard_threads(8, 4, 44, shard_count=16) >= shard_threads(8, 4, 44, shard_count=2500)


def test_without_the_concurrencies_the_setting_is_used():
    assert shard_threads(8, None, None) == 8
    assert shard_threads(8, 4, None) == 8


def test_the_handler_uses_the_share(monkeypatch):
    seen = {}

    def fake_infer_shard(parsed, *, s3, runtime, family, settings, remaining_ms):
        seen["threads"] = settings.concurrency
        return {}

    monkeypatch.setattr(infer, "infer_shard", fake_infer_shard)
    monkeypatch.setattr(infer, "client", lambda *a, **k: object())
    monkeypatch.setattr(infer, "runtime_client", lambda settings: object())
    monkeypatch.setenv("INFERENCE_CONCURRENCY", "8")
    event = {
        "run": {
            "RunId": "r",
            "ArtifactsBucket": "b",
            "BaseModelIdentifier": "meta.llama3-1-8b-instruct-v1:0:128k",
            "InferenceModelId": "meta.llama3-1-8b-instruct-v1:0",
            "Evaluation": {"MaxConcurrency": 4, "ScoreConcurrency": 12, "MapConcurrency": 16},
        },
        "serving": {"Mode": "provisioned", "ModelId": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/x"},
        "shard": {"Index": 0, "Key": "k"},
        "shardCount": 100,
    }
    infer.handler(event)
    assert seen["threads"] == 2  # 4 x 8 calls over 16 iterations
    event["run"]["Evaluation"] = {"MaxConcurrency": 4, "ScoreConcurrency": 0, "MapConcurrency": 4}
    infer.handler(event)
    assert seen["threads"] == 8
