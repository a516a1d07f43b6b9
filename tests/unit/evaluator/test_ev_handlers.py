"""score/aggregate handlers end to end on moto S3."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from bertscore_evaluator import handlers, report, scoring
from workflow_lambdas.common import aws
from workflow_lambdas.contract.errors import DatasetError, EvaluationFailed

BUCKET = "artifacts-bucket"
RUN_ID = "run-42"
PREFIX = f"runs/{RUN_ID}/"

RECORDS = [
    {
        "id": "a",
        "prompt": "Summarize: refund for damaged parcel",
        "reference": "The customer wants a refund for a damaged parcel.",
    },
    {"id": "b", "prompt": "Summarize: meeting moved", "reference": "The budget meeting moves to Thursday."},
    {"id": "c", "prompt": "Summarize: heater", "reference": "The tenant's heater is broken and will be repaired."},
    {"id": "d", "prompt": "Summarize: library", "reference": "A student asks where the chemistry books are."},
    {"id": "e", "prompt": "Summarize: flight", "reference": "The flight to Oslo is delayed by two hours."},
    {"id": "f", "prompt": "Summarize: password", "reference": "The user cannot reset the account password."},
    {"id": "g", "prompt": "Summarize: order", "reference": "The order was shipped to the wrong address."},
]
BASE = {
    "a": "A parcel.",
    "b": "Some meeting happens.",
    "c": "Weather is cold.",
    "d": "Books exist.",
    "e": "A flight.",
    "f": "Password things.",
    "g": "An order was made.",
}
CUSTOM = {
    "a": "The customer asks for a refund because the parcel was damaged.",
    "b": "The budget meeting is moved to Thursday.",
    "c": "The heater of the tenant is broken and gets repaired.",
    "d": "A student asks where chemistry books are kept.",
    "e": "The Oslo flight is two hours late.",
    "f": "The user can't reset the password of the account.",
    "g": "The order went to the wrong address.",
}


def run_context(**evaluation):
    return {
        "RunId": RUN_ID,
        "ArtifactsBucket": BUCKET,
        "RunPrefix": PREFIX,
        "Evaluation": {
            "Metric": "F1",
            "Margin": 0.0,
            "ConfidenceLevel": 0.95,
            "BootstrapResamples": 300,
            "OnInconclusive": "RELEASE",
            "ShardSize": 4,
            "Seed": 7,
            **evaluation,
        },
    }


def jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def s3(evaluator_env):
    with mock_aws():
        aws.reset_clients()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
    aws.reset_clients()


def put(s3, key, text):
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())


def get(s3, key):
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def write_run(s3, shard_size=4, drop=(), errors=()):
    """records.jsonl, shards and inference files as plan_shards and infer write them."""
    put(s3, f"{PREFIX}evaluation/records.jsonl", jsonl(RECORDS))
    shards = []
    for index, start in enumerate(range(0, len(RECORDS), shard_size)):
        part = RECORDS[start : start + shard_size]
        key = f"{PREFIX}evaluation/shards/{index:05d}.jsonl"
        put(s3, key, jsonl(part))
        lines = []
        for r in reversed(part):  # never joined by position
            for model, outputs in (("custom", CUSTOM), ("base", BASE)):
                if (r["id"], model) in drop:
                    continue
                if (r["id"], model) in errors:
                    lines.append({"id": r["id"], "model": model, "error": "ThrottlingException: <too fast>"})
                else:
                    lines.append({"id": r["id"], "model": model, "output": outputs[r["id"]], "latency_ms": 12})
        put(s3, f"{PREFIX}evaluation/inference/{index:05d}.jsonl", jsonl(lines))
        shards.append({"Index": index, "Key": key, "Count": len(part)})
    manifest = f"{PREFIX}evaluation/manifest.json"
    put(s3, manifest, json.dumps(shards))
    # What PlanShards returns, plus the shard list the tests iterate (aggregate reads the manifest).
    return {
        "RecordCount": len(RECORDS),
        "RecordsKey": f"{PREFIX}evaluation/records.jsonl",
        "ManifestKey": manifest,
        "ShardCount": len(shards),
        "Shards": shards,
    }


pytestmark = pytest.mark.slow


def test_score_joins_by_id_and_counts_missing_and_errored_records(s3, config):
    plan = write_run(s3, drop={("b", "custom")}, errors={("c", "base")})
    result = handlers.score({"run": run_context(), "shard": plan["Shards"][0]}, None)
    assert result == {"Index": 0, "Key": f"{PREFIX}evaluation/scores/00000.jsonl", "Records": 4}
    rows = {r["id"]: r for r in map(json.loads, get(s3, result["Key"]).splitlines())}
    assert set(rows) == {"a", "b", "c", "d"}
    assert rows["b"]["custom"]["error"] == handlers.MISSING_FROM_INFERENCE and rows["b"]["custom"]["f1"] is None
    assert rows["c"]["base"]["error"].startswith("ThrottlingException") and rows["c"]["base"]["f1"] is None
    assert rows["a"]["prompt"] == RECORDS[0]["prompt"] and rows["a"]["custom"]["output"] == CUSTOM["a"]
    expected = scoring.score_models([RECORDS[0]["reference"]], {"m": [CUSTOM["a"]]}, config=config)["m"][0]
    assert rows["a"]["custom"]["f1"] == pytest.approx(expected.f1, abs=1e-5)


def test_sharded_run_equals_single_pass_and_writes_the_report(s3, config):
    plan = write_run(s3, shard_size=4)
    run = run_context(MinPairs=5)  # 7 records: fewer than the default MinPairs (10)
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    result = handlers.aggregate({"run": run, "plan": plan}, None)

    refs = [r["reference"] for r in RECORDS]
    single = scoring.score_models(
        refs, {"base": [BASE[r["id"]] for r in RECORDS], "custom": [CUSTOM[r["id"]] for r in RECORDS]}, config=config
    )
    base_f1 = sum(s.f1 for s in single["base"]) / len(RECORDS)
    custom_f1 = sum(s.f1 for s in single["custom"]) / len(RECORDS)
    assert result["Base"]["F1"] == pytest.approx(base_f1, abs=1e-5)
    assert result["Custom"]["F1"] == pytest.approx(custom_f1, abs=1e-5)
    assert result["Difference"]["Mean"] == pytest.approx(custom_f1 - base_f1, abs=1e-5)
    assert result["Verdict"] == "CUSTOM_BETTER"
    assert result["Counts"] == {"Records": 7, "Scored": 7, "BaseErrors": 0, "CustomErrors": 0}
    assert result["VerdictReason"] is None  # MinPairs 5 is met
    assert result["KeepWinner"] is True  # the decision the parent's Decide reads (KeepThroughputOnWin default)
    assert set(result) == {
        "Verdict",
        "VerdictReason",
        "DecidedBy",
        "Explanation",
        "Metric",
        "Base",
        "Custom",
        "Difference",
        "Counts",
        "Cache",
        "KeepWinner",
        "ReportS3Uri",
        "SummaryS3Uri",
        "ScoresS3Uri",
    }
    assert set(result["Difference"]) == {"Mean", "Low", "High", "ConfidenceLevel"}
    assert result["ReportS3Uri"] == f"s3://{BUCKET}/{PREFIX}report/report.html"
    summary = json.loads(get(s3, f"{PREFIX}report/summary.json"))
    assert summary["Verdict"] == result["Verdict"] and summary["Scorer"]["NumLayers"] == 6
    assert summary["Versions"]["bert-score"] == "0.3.13"
    scores = [json.loads(x) for x in get(s3, f"{PREFIX}report/scores.jsonl").splitlines()]
    assert [r["id"] for r in scores] == [r["id"] for r in RECORDS]
    assert "<svg" in get(s3, f"{PREFIX}report/report.html")

    # the same scores with the default MinPairs: too few pairs for a verdict
    inconclusive = handlers.aggregate({"run": run_context(), "plan": plan}, None)
    assert inconclusive["Verdict"] == "INCONCLUSIVE" and inconclusive["KeepWinner"] is False


def test_sharded_idf_uses_the_global_reference_set(s3, config, monkeypatch):
    monkeypatch.setenv("BERTSCORE_IDF", "true")
    plan = write_run(s3, shard_size=3)
    run = run_context()
    rows = []
    for shard in plan["Shards"]:
        key = handlers.score({"run": run, "shard": shard}, None)["Key"]
        rows += [json.loads(x) for x in get(s3, key).splitlines()]
    idf_config = scoring.ScorerConfig.create(config.model, 6, idf=True)
    single = scoring.score_models(
        [r["reference"] for r in RECORDS], {"custom": [CUSTOM[r["id"]] for r in RECORDS]}, config=idf_config
    )["custom"]
    assert [r["custom"]["f1"] for r in rows] == pytest.approx([s.f1 for s in single], abs=1e-5)


def test_idf_records_are_downloaded_once_per_version(s3, config, monkeypatch):
    monkeypatch.setenv("BERTSCORE_IDF", "true")
    monkeypatch.setattr(handlers, "_idf_cache", {})
    plan = write_run(s3, shard_size=3)
    records_key = plan["RecordsKey"]
    gets = []
    aws.client("s3").meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )
    run = run_context()
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    assert len(plan["Shards"]) == 3 and gets.count(records_key) == 1

    put(s3, records_key, jsonl([{**r, "reference": r["reference"] + " Thanks."} for r in RECORDS]))
    handlers.score({"run": run, "shard": plan["Shards"][0]}, None)
    assert gets.count(records_key) == 2  # a new version is read again


def test_aggregate_reports_errors_and_fails_on_a_lost_record(s3, config):
    plan = write_run(s3, errors={("a", "custom"), ("e", "base"), ("e", "custom")})
    run = run_context(RequireSignificance=False)
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    result = handlers.aggregate({"run": run, "plan": plan}, None)
    assert result["Counts"] == {"Records": 7, "Scored": 5, "BaseErrors": 1, "CustomErrors": 2}
    page = get(s3, f"{PREFIX}report/report.html")
    assert "&lt;too fast&gt;" in page and "<too fast>" not in page

    # a scores shard that lost a line is an error, not silence
    key = f"{PREFIX}evaluation/scores/00001.jsonl"
    put(s3, key, "".join(get(s3, key).splitlines(keepends=True)[:-1]))
    with pytest.raises(EvaluationFailed, match="records"):
        handlers.aggregate({"run": run, "plan": plan}, None)
    put(s3, plan["ManifestKey"], json.dumps([{k: v for k, v in s.items() if k != "Count"} for s in plan["Shards"]]))
    with pytest.raises(EvaluationFailed, match="records were lost"):
        handlers.aggregate({"run": run, "plan": plan}, None)


def test_aggregate_reads_the_shards_from_the_manifest_not_the_state(s3, config):
    plan = write_run(s3, shard_size=3)
    run = run_context(RequireSignificance=False)
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    state_plan = {k: v for k, v in plan.items() if k != "Shards"}  # what travels in the state
    assert handlers.aggregate({"run": run, "plan": state_plan}, None)["Counts"]["Records"] == 7
    put(s3, plan["ManifestKey"], json.dumps(plan["Shards"][:-1]))
    with pytest.raises(EvaluationFailed, match="lists 2 shards, the plan 3"):
        handlers.aggregate({"run": run, "plan": state_plan}, None)


def test_aggregate_with_no_usable_pair_fails(s3, config):
    plan = write_run(s3, errors={(r["id"], "custom") for r in RECORDS})
    run = run_context()
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    with pytest.raises(EvaluationFailed, match="no record"):
        handlers.aggregate({"run": run, "plan": plan}, None)


def test_missing_or_malformed_inputs_are_dataset_errors(s3, config):
    plan = write_run(s3)
    shard = plan["Shards"][0]
    s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}evaluation/inference/00000.jsonl")
    with pytest.raises(DatasetError, match="inference file"):
        handlers.score({"run": run_context(), "shard": shard}, None)
    put(s3, shard["Key"], '{"id": "a", "reference": "x"}\nnot json\n')
    with pytest.raises(DatasetError, match="line 2"):
        handlers.score({"run": run_context(), "shard": shard}, None)
    with pytest.raises(DatasetError, match="does not exist"):
        handlers.score({"run": run_context(), "shard": {**shard, "Key": "nope.jsonl"}}, None)
    with pytest.raises(EvaluationFailed, match="scores shard"):
        handlers.aggregate({"run": run_context(), "plan": plan}, None)


def test_join_prefers_an_output_over_a_retry_error():
    joined, unmatched = handlers.join_records(
        [{"id": 1, "reference": "r"}],
        [
            {"id": "1", "model": "base", "error": "boom"},
            {"id": 1, "model": "base", "output": "ok"},
            {"id": 1, "model": "custom", "output": "x"},
            {"id": 1, "model": "custom", "error": "late"},
            {"id": 9, "model": "base", "output": "stray"},
            {"id": 1, "model": "judge", "output": "?"},
        ],
    )
    assert joined[0]["base"] == {"output": "ok", "error": None}
    assert joined[0]["custom"] == {"output": "x", "error": None}
    assert unmatched == {"unknown_id": 1, "unknown_model": 1}
    with pytest.raises(DatasetError, match="duplicate"):
        handlers.join_records([{"id": "a", "reference": "r"}, {"id": "a", "reference": "s"}], [])


def test_report_module_used_by_aggregate_matches_contract_fields():
    assert report.METRIC_FIELDS["F1"] == "f1"


LONE_SURROGATE = "Broken emoji \ud83d here"  # valid JSON ("\\ud83d"), not encodable as UTF-8


def test_output_with_a_lone_surrogate_is_an_errored_record(s3, config):
    plan = write_run(s3)
    key = f"{PREFIX}evaluation/inference/00000.jsonl"
    lines = [json.loads(x) for x in get(s3, key).splitlines()]
    for line in lines:
        if line["id"] == "a" and line["model"] == "custom":
            line["output"] = LONE_SURROGATE
    text = jsonl(lines)
    assert "\\ud83d" in text  # json.dumps escapes it: the file itself is plain ASCII
    put(s3, key, text)

    run = run_context(RequireSignificance=False)
    for shard in plan["Shards"]:
        handlers.score({"run": run, "shard": shard}, None)
    rows = {r["id"]: r for r in map(json.loads, get(s3, f"{PREFIX}evaluation/scores/00000.jsonl").splitlines())}
    assert rows["a"]["custom"]["output"] is None and rows["a"]["custom"]["f1"] is None
    assert "not valid UTF-8" in rows["a"]["custom"]["error"]
    assert rows["a"]["base"]["f1"] is not None and rows["b"]["custom"]["f1"] is not None
    result = handlers.aggregate({"run": run, "plan": plan}, None)
    assert result["Counts"] == {"Records": 7, "Scored": 6, "BaseErrors": 0, "CustomErrors": 1}


def test_join_treats_an_unencodable_output_like_an_error_line():
    joined, _ = handlers.join_records(
        [{"id": 1, "reference": "r"}],
        [
            {"id": 1, "model": "base", "output": LONE_SURROGATE},
            {"id": 1, "model": "custom", "output": "fine"},
            {"id": 1, "model": "custom", "output": LONE_SURROGATE},  # a later bad line does not win
        ],
    )
    assert joined[0]["base"]["output"] is None
    assert joined[0]["base"]["error"].startswith("inference line 1: the output is not valid UTF-8 text")
    joined[0]["base"]["error"].encode("utf-8")  # the message itself can be written out
    assert joined[0]["custom"] == {"output": "fine", "error": None}
    # a retry's good output still beats the bad one
    joined, _ = handlers.join_records(
        [{"id": 1, "reference": "r"}],
        [{"id": 1, "model": "base", "output": LONE_SURROGATE}, {"id": 1, "model": "base", "output": "ok"}],
    )
    assert joined[0]["base"] == {"output": "ok", "error": None}


@pytest.mark.parametrize("field", ["reference", "prompt"])
def test_reference_with_a_lone_surrogate_is_a_dataset_error(s3, config, field):
    plan = write_run(s3)
    shard = plan["Shards"][0]
    records = [{**r, field: LONE_SURROGATE} if r["id"] == "b" else r for r in RECORDS[:4]]
    put(s3, shard["Key"], jsonl(records))
    with pytest.raises(DatasetError, match=rf"record 'b' has a '{field}' that is not valid UTF-8") as raised:
        handlers.score({"run": run_context(), "shard": shard}, None)
    assert "\n" not in str(raised.value)


def test_global_idf_rejects_a_reference_with_a_lone_surrogate(s3, config, monkeypatch):
    monkeypatch.setenv("BERTSCORE_IDF", "true")
    monkeypatch.setattr(handlers, "_idf_cache", {})
    plan = write_run(s3)
    bad = [{**r, "reference": LONE_SURROGATE} if r["id"] == "g" else r for r in RECORDS]
    put(s3, plan["RecordsKey"], jsonl(bad))  # record g is in another shard than the one scored
    with pytest.raises(DatasetError, match="record 'g' has a 'reference' that is not valid UTF-8"):
        handlers.score({"run": run_context(), "shard": plan["Shards"][0]}, None)
