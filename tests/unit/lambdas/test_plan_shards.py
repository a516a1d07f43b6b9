"""PlanShards: normalised records and shard files in the artifacts bucket."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from workflow_lambdas.common.aws import reset_clients
from workflow_lambdas.contract.errors import DatasetError

ARTIFACTS, VALIDATION = "bc-artifacts", "bc-validation"
RUN_ID = "nightly-2026-01-15"


def run_context(key: str, reference_key: str | None = None, shard_size: int = 3) -> dict:
    # The parts of the run context plan_shards reads, plus a few it must ignore.
    return {
        "RunId": RUN_ID,
        "ExecutionArn": f"arn:aws:states:us-east-1:123456789012:execution:bc-customize:{RUN_ID}",
        "WorkflowName": "bc-customize",
        "ArtifactsBucket": ARTIFACTS,
        "RunPrefix": f"runs/{RUN_ID}/",
        "ValidationData": {"Bucket": VALIDATION, "Key": key, "ReferenceKey": reference_key},
        "Evaluation": {
            "Metric": "F1",
            "Margin": 0.0,
            "ConfidenceLevel": 0.95,
            "BootstrapResamples": 1000,
            "RequireSignificance": True,
            "OnInconclusive": "RELEASE",
            "ShardSize": shard_size,
            "Seed": 7,
        },
        "Recipients": ["ml-team@example.com"],
    }


def eval_rows(n: int) -> list[dict]:
    return [
        {"id": f"case-{i}", "prompt": f"Explain refund rule {i}.", "reference": f"Rule {i} allows refunds."}
        for i in range(n)
    ]


def jsonl(rows: list) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def read_jsonl(s3, key: str) -> list[dict]:
    body = s3.get_object(Bucket=ARTIFACTS, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def manifest(s3, result: dict) -> list[dict]:
    return json.loads(s3.get_object(Bucket=ARTIFACTS, Key=result["ManifestKey"])["Body"].read())


@pytest.fixture
def s3(fake_aws_env):
    with mock_aws():
        reset_clients()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=ARTIFACTS)
        client.create_bucket(Bucket=VALIDATION)
        yield client
    reset_clients()


def test_jsonl_with_ids_is_sharded(s3):
    from workflow_lambdas import plan_shards

    s3.put_object(Bucket=VALIDATION, Key="eval/validation.jsonl", Body=jsonl(eval_rows(7)))
    event = {
        "run": run_context("eval/validation.jsonl"),
        "serving": {"Mode": "provisioned", "ModelId": "arn:x"},
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "arn:y",
    }
    result = plan_shards.handler(event, None)

    prefix = f"runs/{RUN_ID}/evaluation/"
    assert result == {
        "RecordCount": 7,
        "RecordsKey": f"{prefix}records.jsonl",
        "ManifestKey": f"{prefix}manifest.json",
        "ShardCount": 3,
    }
    assert manifest(s3, result) == [
        {"Index": 0, "Key": f"{prefix}shards/00000.jsonl", "Count": 3},
        {"Index": 1, "Key": f"{prefix}shards/00001.jsonl", "Count": 3},
        {"Index": 2, "Key": f"{prefix}shards/00002.jsonl", "Count": 1},
    ]
    assert read_jsonl(s3, result["RecordsKey"]) == eval_rows(7)
    shards = [read_jsonl(s3, shard["Key"]) for shard in manifest(s3, result)]
    assert [r for shard in shards for r in shard] == eval_rows(7)
    assert [r["id"] for r in shards[2]] == ["case-6"]


def test_ancestor_files_get_generated_ids(s3):
    from workflow_lambdas import plan_shards

    prompts = [{"prompt": f"Summarize note {i}.\\n"} for i in range(4)]
    s3.put_object(Bucket=VALIDATION, Key="validation-data.json", Body=json.dumps(prompts, indent=4).encode())
    s3.put_object(
        Bucket=VALIDATION, Key="reference-inference.json", Body=json.dumps([f"Note {i}." for i in range(4)]).encode()
    )
    result = plan_shards.handler({"run": run_context("validation-data.json", "reference-inference.json", 50)}, None)
    assert result["RecordCount"] == 4 and result["ShardCount"] == 1
    records = read_jsonl(s3, manifest(s3, result)[0]["Key"])
    assert [(r["id"], r["reference"]) for r in records] == [(f"rec-{i:05d}", f"Note {i - 1}.") for i in range(1, 5)]
    assert records[0]["prompt"] == "Summarize note 0.\\n"


def test_result_stays_small(s3):
    from workflow_lambdas import plan_shards

    rows = [{"id": f"r{i}", "prompt": "long prompt " * 200, "reference": "ref"} for i in range(500)]
    s3.put_object(Bucket=VALIDATION, Key="big.jsonl", Body=jsonl(rows))
    result = plan_shards.handler({"run": run_context("big.jsonl", shard_size=50)}, None)
    assert result["RecordCount"] == 500 and result["ShardCount"] == 10
    assert "long prompt" not in json.dumps(result)
    assert len(json.dumps(result)) < 300


def test_result_size_does_not_grow_with_the_shard_count(s3):
    from workflow_lambdas import plan_shards

    sizes = []
    for n in (10, 400):
        s3.put_object(Bucket=VALIDATION, Key=f"v{n}.jsonl", Body=jsonl(eval_rows(n)))
        result = plan_shards.handler({"run": run_context(f"v{n}.jsonl", shard_size=1)}, None)
        assert result["ShardCount"] == n and len(manifest(s3, result)) == n
        sizes.append(len(json.dumps(result)))
    assert sizes[1] - sizes[0] <= 2  # only the digits of the counts


def test_max_shards_follows_from_the_timeouts_and_threads():
    from workflow_lambdas import plan_shards as ps

    assert ps.MAX_SHARDS == min(
        int(ps.WRITE_THREADS * ps.PLAN_TIMEOUT_SECONDS / 2 / ps.S3_REQUEST_SECONDS),
        int(ps.AGGREGATE_READ_THREADS * ps.AGGREGATE_TIMEOUT_SECONDS / 2 / ps.S3_REQUEST_SECONDS),
    )
    assert ps.MAX_SHARDS >= 2_500  # the scale demo (5,000 records in shards of 2) fits


def test_bad_validation_data_raises_dataset_error(s3):
    from workflow_lambdas import plan_shards

    rows = eval_rows(3) + [eval_rows(1)[0]]
    s3.put_object(Bucket=VALIDATION, Key="dup.jsonl", Body=jsonl(rows))
    with pytest.raises(DatasetError) as caught:
        plan_shards.handler({"run": run_context("dup.jsonl")}, None)
    assert type(caught.value).__name__ == "DatasetError"
    assert str(caught.value).startswith("ValidationDataFileName: dup.jsonl line 4: duplicate id")
    assert not s3.list_objects_v2(Bucket=ARTIFACTS).get("Contents")


def test_missing_reference_file_raises_dataset_error(s3):
    from workflow_lambdas import plan_shards

    s3.put_object(Bucket=VALIDATION, Key="validation-data.json", Body=b'[{"prompt": "a"}]')
    with pytest.raises(DatasetError, match="reference-inference.json does not exist"):
        plan_shards.handler({"run": run_context("validation-data.json", "reference-inference.json")}, None)


def test_missing_validation_file_raises_dataset_error(s3):
    from workflow_lambdas import plan_shards

    with pytest.raises(DatasetError, match="does not exist"):
        plan_shards.handler({"run": run_context("nothing.jsonl")}, None)


def test_rerun_overwrites_the_same_keys(s3):
    from workflow_lambdas import plan_shards

    s3.put_object(Bucket=VALIDATION, Key="v.jsonl", Body=jsonl(eval_rows(5)))
    first = plan_shards.handler({"run": run_context("v.jsonl")}, None)
    second = plan_shards.handler({"run": run_context("v.jsonl")}, None)
    assert first == second
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ARTIFACTS)["Contents"]]
    assert sorted(keys) == sorted([first["RecordsKey"], first["ManifestKey"]] + [s["Key"] for s in manifest(s3, first)])


def test_aggregate_reads_with_the_threads_max_shards_assumes():
    from bertscore_evaluator import handlers
    from workflow_lambdas import plan_shards as ps

    assert handlers.READ_THREADS == ps.AGGREGATE_READ_THREADS
