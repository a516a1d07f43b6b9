"""A complete customization run, through both real templates, for each outcome."""

from __future__ import annotations

import json

import pytest
from workflow_support import demo_input, is_cache_key

pytestmark = pytest.mark.workflow


def _read(emu, bucket_kind: str, key: str) -> bytes:
    return emu.client("s3").get_object(Bucket=emu.deployment.buckets[bucket_kind], Key=key)["Body"].read()


def test_custom_model_better_keeps_throughput_and_reports(emulator_factory):
    emu = emulator_factory("better")
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=300)

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["verdict"] == "CUSTOM_BETTER"
    assert summary["scores"]["custom_f1"] > summary["scores"]["base_f1"]
    assert summary["release"] == "KEPT"
    [pt] = summary["provisioned_throughputs"]
    assert pt["status"] == "InService"
    assert summary["leaked_throughputs"] == 0
    [email] = summary["emails"]
    assert email["to"] == ["ml-team@example.com"]
    assert "better" in email["subject"].lower()

    run_id = summary["execution_arn"].rsplit(":", 1)[-1]
    report_prefix = f"runs/{run_id}/report/"
    keys = {
        o["Key"]
        for o in emu.client("s3").list_objects_v2(Bucket=emu.deployment.buckets["artifacts"], Prefix=report_prefix)[
            "Contents"
        ]
    }
    assert {report_prefix + name for name in ("summary.json", "scores.jsonl", "report.html")} <= keys
    scores = [json.loads(line) for line in _read(emu, "artifacts", report_prefix + "scores.jsonl").splitlines()]
    assert len(scores) == 40  # every validation record, none dropped
    assert summary["report"] == f"s3://{emu.deployment.buckets['artifacts']}/{report_prefix}report.html"
    # the report names the run, both models and the serving resource, and carries every metric and text
    report_summary = json.loads(_read(emu, "artifacts", report_prefix + "summary.json"))
    context = report_summary["Context"]
    assert context["ExecutionArn"] == summary["execution_arn"] and context["BaseModelIdentifier"]
    assert context["CustomModelName"] and context["ServingArn"] == pt["arn"] and context["StartedAt"]
    assert context["EvaluationExecutionArn"].startswith("arn:aws:states:")
    assert set(report_summary["Metrics"]) == {"F1", "Precision", "Recall", "ROUGE-L", "chrF"}
    assert report_summary["DecidedBy"] == "F1" and "BERTScore F1 decided" in report_summary["Explanation"]
    assert {"base_rouge_l", "custom_chrf", "difference_chrf"} <= set(scores[0])
    texts = [json.loads(line) for line in _read(emu, "artifacts", report_prefix + "records.jsonl").splitlines()]
    assert len(texts) == 40 and texts[0]["prompt"] and texts[0]["custom_output"]
    page = _read(emu, "artifacts", report_prefix + "report.html").decode()
    assert pt["arn"] in page and "IDF</th><td>off" in page and "All records (40)" in page


def test_custom_model_worse_deletes_throughput_and_says_so(emulator_factory):
    emu = emulator_factory("worse")
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=300)

    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["verdict"] == "NOT_BETTER"
    assert summary["scores"]["custom_f1"] < summary["scores"]["base_f1"]
    assert summary["release"] == "DELETED"
    [pt] = summary["provisioned_throughputs"]
    assert pt["status"] == "Deleted"
    assert summary["leaked_throughputs"] == 0
    [email] = summary["emails"]
    subject = email["subject"].lower()
    assert "not better" in subject and "deleted" in subject


def test_ancestor_input_parses_and_is_refused_before_any_spend(emulator_factory):
    """The AWS sample's console input (Cohere Command Light, no longer customizable) fails at ValidateInput
    with one line saying so and what to pick instead."""
    emu = emulator_factory("better")
    emu.upload_sample()
    ancestor = {
        "BaseModelIdentifier": "cohere.command-light-text-v14:7:4k",
        "CustomModelName": "MyCustomModel",
        "JobName": "MyCustomJob",
        "HyperParameters": {
            "evalPercentage": "20.0",
            "epochCount": "1",
            "batchSize": "8",
            "earlyStoppingPatience": "6",
            "earlyStoppingThreshold": "0.01",
            "learningRate": "0.00001",
        },
        "TrainingDataFileName": "training-data.jsonl",
    }
    summary = emu.run(ancestor, timeout=120)
    assert summary["execution_status"] == "FAILED", summary
    assert summary["error"] == "InvalidInput"
    (line,) = json.loads(summary["cause"])["errorMessage"].splitlines()
    assert line.startswith("BaseModelIdentifier: cohere.command-light-text-v14:7:4k (Cohere Command Light) ")
    assert "can no longer be customized" in line and "pick a current model instead" in line
    assert emu.entered_states(summary["execution_arn"]) == ["ValidateInput"]
    assert emu.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"] == []


def test_bad_input_fails_at_validate_input_before_any_spend(emulator_factory):
    emu = emulator_factory("better")
    emu.upload_sample()
    summary = emu.run(demo_input(HyperParameters={"epochCount": "many"}), timeout=120)

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "InvalidInput"
    assert "epochCount" in summary["cause"]
    assert emu.entered_states(summary["execution_arn"]) == ["ValidateInput"]
    assert emu.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    assert summary["provisioned_throughputs"] == []
    assert summary["emails"] == []


def test_failed_customization_job_notifies_without_throughput(emulator_factory):
    emu = emulator_factory("better", job_outcome="Failed")
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=120)

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.States.TaskFailed"
    assert summary["provisioned_throughputs"] == []
    [email] = summary["emails"]
    assert "failed" in email["subject"].lower()
    states = emu.entered_states(summary["execution_arn"])
    assert "ProvisionThroughput" not in states and "ReleaseAfterFailure" not in states


def test_failed_throughput_is_released(emulator_factory):
    emu = emulator_factory("better", throughput_outcome="Failed")
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=120)

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.ThroughputFailed"
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"]
    assert summary["leaked_throughputs"] == 0
    assert "ReleaseAfterFailure" in emu.entered_states(summary["execution_arn"])


def test_throughput_never_in_service_times_out_and_is_released(emulator_factory):
    emu = emulator_factory("better", throughput_outcome="never_in_service", throughput_max_polls=3)
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=120)

    assert summary["execution_status"] == "FAILED"
    assert summary["error"] == "RunFailed.ThroughputTimeout"
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"]
    assert emu.entered_states(summary["execution_arn"]).count("GetThroughput") == 3


def test_two_runs_with_the_same_input_do_not_collide(emulator_factory):
    emu = emulator_factory("worse")
    emu.upload_sample()
    first = emu.start_run(demo_input())
    second = emu.start_run(demo_input())
    results = [emu.wait(arn, timeout=300) for arn in (first, second)]
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"], [
        (r["status"], r.get("error"), r.get("cause")) for r in results
    ]

    runs = [json.loads(r["output"])["run"] for r in results]
    assert runs[0]["JobName"] != runs[1]["JobName"]
    assert runs[0]["CustomModelName"] != runs[1]["CustomModelName"]
    assert runs[0]["ProvisionedModelName"] != runs[1]["ProvisionedModelName"]
    assert runs[0]["RunPrefix"] != runs[1]["RunPrefix"]
    summaries = [emu.summary(arn) for arn in (first, second)]
    for summary in summaries:
        assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["Deleted"]
        assert summary["leaked_throughputs"] == 0
        assert len(summary["emails"]) == 1
    arns = [s["provisioned_throughputs"][0]["arn"] for s in summaries]
    assert arns[0] != arns[1]

    # S3: each run wrote only under its own prefix, and the two prefixes do not overlap
    bucket = emu.deployment.buckets["artifacts"]
    keys = [
        item["Key"]
        for page in emu.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    prefixes = [run["RunPrefix"] for run in runs]
    assert not prefixes[0].startswith(prefixes[1]) and not prefixes[1].startswith(prefixes[0])
    for run, summary in zip(runs, summaries, strict=True):
        assert run["OutputDataS3Uri"] == f"s3://{bucket}/{run['RunPrefix']}customization/"
        own = [k for k in keys if k.startswith(run["RunPrefix"])]
        assert f"{run['RunPrefix']}report/report.html" in own
        assert f"{run['RunPrefix']}evaluation/records.jsonl" in own
        assert summary["report"] == f"s3://{bucket}/{run['RunPrefix']}report/report.html"
    # ... except the evaluation cache shared by every run: content-addressed entries, never run-specific
    assert all(k.startswith(tuple(prefixes)) or is_cache_key(k) for k in keys), [
        k for k in keys if not (k.startswith(tuple(prefixes)) or is_cache_key(k))
    ]
