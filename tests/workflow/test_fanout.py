"""The inference fan-out on the emulator: every record, per model, through throttling, poison and timeouts."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from workflow_support import demo_input

from bedrock_customize import paths
from bedrock_customize.emulator import ModelBehaviour, distributed_map

pytestmark = pytest.mark.workflow

POISON = "[[poison-record]]"
N = 40  # the project's sample validation set
SHARDS = {"ShardSize": 20}  # 2 shards x 2 models


def _sample_records() -> list[dict]:
    text = (paths.sample_data_dir() / "validation.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _upload(emu, records: list[dict]) -> None:
    data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    emu.upload("training", "training-data.jsonl", (paths.sample_data_dir() / "training.jsonl").read_bytes())
    emu.upload("validation", "validation.jsonl", data)
    emu.teach_from_validation_jsonl(data)


def _run(emu, **extra) -> tuple[dict, dict]:
    summary = emu.run(demo_input(ValidationDataFileName="validation.jsonl", Evaluation=SHARDS, **extra), timeout=300)
    output = json.loads(emu.client("stepfunctions").describe_execution(executionArn=summary["execution_arn"])["output"])
    return summary, output


def _inference_lines(emu, run: dict) -> list[dict]:
    s3 = emu.client("s3")
    bucket = run["ArtifactsBucket"]
    prefix = f"{run['RunPrefix']}evaluation/inference/"
    lines = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]:
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("utf-8")
        lines += [json.loads(line) for line in body.splitlines() if line.strip()]
    return lines


def _assert_exactly_one_line_per_record_and_model(lines: list[dict], records: list[dict]) -> None:
    pairs = Counter((x["id"], x["model"]) for x in lines)
    assert set(pairs) == {(r["id"], m) for r in records for m in ("base", "custom")}
    assert set(pairs.values()) == {1}, "a record was duplicated"
    for model in ("base", "custom"):
        assert sum(1 for x in lines if x["model"] == model) == len(records)
    for line in lines:
        assert ("output" in line) != ("error" in line)


def test_two_shards_two_models_throttled_at_30_percent_lose_nothing(emulator_factory, monkeypatch):
    emu = emulator_factory("better", base=ModelBehaviour(throttle_rate=0.3), custom=ModelBehaviour(throttle_rate=0.3))
    # After the emulator set the deployed values: a bigger retry budget makes "no record exhausts its
    # retries" certain in practice (0.3**12 per call) and short backoffs keep the test quick.
    monkeypatch.setenv("INFERENCE_MAX_ATTEMPTS", "12")
    monkeypatch.setenv("INFERENCE_BACKOFF_BASE_SECONDS", "0.02")
    records = _sample_records()
    _upload(emu, records)
    summary, output = _run(emu)

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert emu.world.throttled["base"] > 0 and emu.world.throttled["custom"] > 0
    lines = _inference_lines(emu, output["run"])
    _assert_exactly_one_line_per_record_and_model(lines, records)
    assert all("output" in x for x in lines)
    assert emu.world.stats["base"].answered == emu.world.stats["custom"].answered == N
    assert max(x["attempts"] for x in lines) > 1
    counts = output["evaluation"]["Result"]["Counts"]
    assert counts == {"Records": N, "Scored": N, "BaseErrors": 0, "CustomErrors": 0}
    assert summary["verdict"] == "CUSTOM_BETTER"


def test_poison_record_is_one_error_line_per_model_and_counted_in_the_report(emulator_factory):
    emu = emulator_factory(
        "better", base=ModelBehaviour(poison_marker=POISON), custom=ModelBehaviour(poison_marker=POISON)
    )
    records = _sample_records()
    records[7]["prompt"] = records[7]["prompt"].replace("Summary:", f"{POISON}\nSummary:")
    _upload(emu, records)
    summary, output = _run(emu)

    assert summary["execution_status"] == "SUCCEEDED", summary
    lines = _inference_lines(emu, output["run"])
    _assert_exactly_one_line_per_record_and_model(lines, records)
    errors = [x for x in lines if "error" in x]
    assert {(x["id"], x["model"]) for x in errors} == {(records[7]["id"], "base"), (records[7]["id"], "custom")}
    assert {x["error"]["type"] for x in errors} == {"ValidationException"}
    assert all(x["attempts"] == 1 for x in errors)  # not retried: a poison record is not a busy model

    result = output["evaluation"]["Result"]
    assert result["Counts"] == {"Records": N, "Scored": N - 1, "BaseErrors": 1, "CustomErrors": 1}
    s3 = emu.client("s3")
    bucket, key = result["SummaryS3Uri"].removeprefix("s3://").split("/", 1)
    report_summary = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report_summary["Counts"]["BaseErrors"] == 1 and report_summary["Counts"]["CustomErrors"] == 1


def test_shard_stopped_at_the_lambda_deadline_resumes_without_duplicates(emulator_factory, monkeypatch):
    emu = emulator_factory("better", base=ModelBehaviour(latency_ms=250), custom=ModelBehaviour(latency_ms=250))
    # Leave each infer invocation 0.75 s before its deadline margin: with 8 threads and 250 ms calls at
    # most 3-4 rounds (32 of a shard's 40 calls) can start, so every shard hits the deadline and the Map
    # retries it. The window is wide enough that a loaded machine still makes progress in each of the
    # Map's 10 attempts (0.25 s windows with 80 ms calls ran out of attempts under load).
    timeout = emu.client("lambda").get_function(FunctionName=emu.deployment.function_names["infer"])
    monkeypatch.setenv("INFERENCE_DEADLINE_MARGIN_SECONDS", str(timeout["Configuration"]["Timeout"] - 0.75))
    records = _sample_records()
    _upload(emu, records)
    summary, output = _run(emu)

    assert summary["execution_status"] == "SUCCEEDED", summary
    lines = _inference_lines(emu, output["run"])
    _assert_exactly_one_line_per_record_and_model(lines, records)
    assert all("output" in x for x in lines)
    # every call was made exactly once: the retries reused the saved lines
    assert emu.world.stats["base"].answered == emu.world.stats["custom"].answered == N

    [child] = emu.child_executions()
    failures = [
        details["error"]
        for e in emu.history(child)
        for name, details in e.items()
        if name.endswith("FailedEventDetails") and isinstance(details, dict) and "error" in details
    ] + distributed_map.iteration_errors(child)  # the shard iterations are child executions of their own
    # every failure was the deadline, retried by the Map (both shards at least once), none fatal
    assert failures and set(failures) == {"InferenceDeadline"}
    assert len(failures) >= 2
    s3 = emu.client("s3")
    partial = f"{output['run']['RunPrefix']}evaluation/inference-partial/"
    assert s3.list_objects_v2(Bucket=output["run"]["ArtifactsBucket"], Prefix=partial)["KeyCount"] == 2  # apart
    assert output["evaluation"]["Result"]["Counts"]["BaseErrors"] == 0
