"""score/aggregate with the embeddings cache, on moto S3 and the real MiniLM (``slow``)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from bertscore_evaluator import cache, handlers
from workflow_lambdas.common import aws

BUCKET = "artifacts-bucket"

RECORDS = [
    {"id": "a", "prompt": "p a", "reference": "The customer wants a refund for a damaged parcel."},
    {"id": "b", "prompt": "p b", "reference": "The budget meeting moves to Thursday."},
    {"id": "c", "prompt": "p c", "reference": "The tenant's heater is broken and will be repaired."},
    {"id": "d", "prompt": "p d", "reference": "The budget meeting moves to Thursday."},  # a repeated reference
]
BASE = {"a": "A parcel.", "b": "Some meeting happens.", "c": "Weather is cold.", "d": "A meeting."}
CUSTOM_1 = {
    "a": "The customer asks for a refund because the parcel was damaged.",
    "b": "The budget meeting is moved to Thursday.",
    "c": "The heater of the tenant is broken and gets repaired.",
    "d": "The meeting about the budget is on Thursday.",
}
CUSTOM_2 = {**CUSTOM_1, "c": "The heater is broken; it will be repaired.", "d": "Budget meeting: Thursday."}

pytestmark = pytest.mark.slow


@pytest.fixture
def s3(evaluator_env, monkeypatch):
    monkeypatch.delenv(cache.PREFIX_ENV, raising=False)
    with mock_aws():
        aws.reset_clients()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
    aws.reset_clients()


def _jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


def _run(s3, run_id, custom, *, cached_base=(), **evaluation):
    """Write one run's records, shards (2 of 2 records) and inference lines, score and aggregate it."""
    prefix = f"runs/{run_id}/"
    run = {
        "RunId": run_id,
        "ArtifactsBucket": BUCKET,
        "RunPrefix": prefix,
        "Evaluation": {"BootstrapResamples": 200, "MinPairs": 2, "ShardSize": 2, "Seed": 7, **evaluation},
    }
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}evaluation/records.jsonl", Body=_jsonl(RECORDS).encode())
    shards = []
    for index, start in enumerate(range(0, len(RECORDS), 2)):
        part = RECORDS[start : start + 2]
        key = f"{prefix}evaluation/shards/{index:05d}.jsonl"
        s3.put_object(Bucket=BUCKET, Key=key, Body=_jsonl(part).encode())
        lines = []
        for r in part:
            base = {"id": r["id"], "model": "base", "output": BASE[r["id"]]}
            if r["id"] in cached_base:
                base["cached"] = True
            lines += [base, {"id": r["id"], "model": "custom", "output": custom[r["id"]]}]
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}evaluation/inference/{index:05d}.jsonl", Body=_jsonl(lines).encode())
        shards.append({"Index": index, "Key": key, "Count": len(part)})
    manifest = f"{prefix}evaluation/manifest.json"
    s3.put_object(Bucket=BUCKET, Key=manifest, Body=json.dumps(shards).encode())
    for shard in shards:
        handlers.score({"run": run, "shard": shard}, None)
    plan = {"RecordCount": len(RECORDS), "ManifestKey": manifest, "ShardCount": len(shards)}
    result = handlers.aggregate({"run": run, "plan": plan}, None)
    rows = []
    for shard in shards:
        body = s3.get_object(Bucket=BUCKET, Key=f"{prefix}evaluation/scores/{shard['Index']:05d}.jsonl")["Body"]
        rows += [json.loads(line) for line in body.read().decode().splitlines()]
    return result, {r["id"]: r for r in rows}, prefix


def _cache_objects(s3):
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="cache/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _distinct_per_shard(custom):
    """Texts each shard embeds (distinct within the shard), summed over the shards."""
    total = 0
    for start in range(0, len(RECORDS), 2):
        part = RECORDS[start : start + 2]
        total += len({t for r in part for t in (r["reference"], BASE[r["id"]], custom[r["id"]])})
    return total


def test_a_second_run_embeds_only_the_new_outputs_with_identical_scores(s3):
    first, rows_1, _ = _run(s3, "run-1", CUSTOM_1)
    every_text = {t for r in RECORDS for t in (r["reference"], BASE[r["id"]], CUSTOM_1[r["id"]])}
    shared = {t for r in RECORDS for t in (r["reference"], BASE[r["id"]])}
    # The reference of records b and d is in both shards: the second shard reads what the first wrote.
    assert first["Cache"] == {
        "Enabled": True,
        "EmbeddingsHit": 1,
        "EmbeddingsMiss": len(every_text),
        "BaseOutputsReused": 0,
    }
    assert rows_1["d"]["cache"] == {"embeddings_hit": 1, "embeddings_miss": 2, "base_output_reused": False}
    stored = _cache_objects(s3)
    # References and base answers are kept (every candidate shares them); custom outputs are not.
    assert len(stored) == len(shared)
    assert all(k.startswith("cache/embeddings/") and k.endswith(".npy") for k in stored)

    second, rows_2, prefix_2 = _run(s3, "run-2", CUSTOM_2, cached_base={"a", "b", "c", "d"})
    custom_per_shard = sum(
        len({CUSTOM_2[r["id"]] for r in RECORDS[start : start + 2]}) for start in range(0, len(RECORDS), 2)
    )
    assert second["Cache"] == {
        "Enabled": True,
        "EmbeddingsHit": _distinct_per_shard(CUSTOM_2) - custom_per_shard,
        "EmbeddingsMiss": custom_per_shard,
        "BaseOutputsReused": 4,
    }
    assert rows_2["c"]["cache"] == {"embeddings_hit": 2, "embeddings_miss": 1, "base_output_reused": True}
    assert _cache_objects(s3) == stored

    plain, rows_plain, _ = _run(s3, "run-3", CUSTOM_2, Cache=False)
    for key in rows_plain:
        for model in ("base", "custom"):
            for field in ("precision", "recall", "f1"):
                assert rows_2[key][model][field] == pytest.approx(rows_plain[key][model][field], abs=1e-6)
    for model in ("Base", "Custom"):
        assert second[model]["F1"] == pytest.approx(plain[model]["F1"], abs=1e-6)
    for key in rows_1:  # references and base answers read back: the very floats of the first run
        assert rows_2[key]["base"]["f1"] == rows_1[key]["base"]["f1"]

    summary = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix_2}report/summary.json")["Body"].read())
    assert summary["Cache"] == second["Cache"]
    page = s3.get_object(Bucket=BUCKET, Key=f"{prefix_2}report/report.html")["Body"].read().decode()
    assert "Evaluation cache" in page and f"{second['Cache']['EmbeddingsHit']} texts from the cache" in page


def test_cache_false_reads_and_writes_nothing(s3):
    result, rows, prefix = _run(s3, "run-1", CUSTOM_1, Cache=False)
    assert _cache_objects(s3) == []
    assert result["Cache"] == {
        "Enabled": False,
        "EmbeddingsHit": 0,
        "EmbeddingsMiss": _distinct_per_shard(CUSTOM_1),
        "BaseOutputsReused": 0,
    }
    _run(s3, "run-2", CUSTOM_1)  # fills the cache
    again, _rows, _ = _run(s3, "run-3", CUSTOM_1, Cache=False)
    assert again["Cache"]["EmbeddingsHit"] == 0
    page = s3.get_object(Bucket=BUCKET, Key=f"{prefix}report/report.html")["Body"].read().decode()
    assert "off (Evaluation.Cache false)" in page


def test_the_prefix_comes_from_the_environment(s3, monkeypatch):
    monkeypatch.setenv(cache.PREFIX_ENV, "evalcache/")
    _run(s3, "run-1", CUSTOM_1)
    assert _cache_objects(s3) == []
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="evalcache/embeddings/")["KeyCount"] > 0
