"""The LLM judge in the evaluator: its win rate as policy metric ``Judge``, the report, the files (no model)."""

from __future__ import annotations

import json

import boto3
import numpy as np
import pytest
from moto import mock_aws

from bertscore_evaluator import handlers, metrics, report, stats
from workflow_lambdas.common.aws import reset_clients
from workflow_lambdas.contract.errors import EvaluationFailed

JUDGE = {"ModelId": "amazon.nova-pro-v1:0", "Rubric": "summary_quality"}


def rec(i, base_f1, custom_f1, preference=None, reason="", **judge_extra):
    def entry(f1):
        return {"output": f"out {i}", "error": None, "precision": f1, "recall": f1, "f1": f1}

    r = {"id": f"r{i}", "prompt": f"p{i}", "reference": f"ref {i}", "base": entry(base_f1), "custom": entry(custom_f1)}
    if preference != "unset":
        r["judge"] = {
            "preference": preference,
            "reason": reason or f"reason {i}",
            "answers": [{"first": "base", "answer": "B"}, {"first": "custom", "answer": "A"}],
            "unparsable": 0,
            "input_tokens": 100,
            "output_tokens": 10,
            **judge_extra,
        }
    return r


def judged(prefs, f1_gain=0.05):
    return [rec(i, 0.5 + 0.001 * i, 0.5 + 0.001 * i + f1_gain, p) for i, p in enumerate(prefs)]


def test_judge_is_a_policy_metric_in_any_letter_case():
    policy = stats.Policy.from_evaluation({"Policy": {"Primary": "judge", "Guards": [{"Metric": "F1", "MaxLoss": 0}]}})
    assert policy.metric == "Judge" and metrics.label("Judge") == "LLM judge win rate"
    guarded = stats.Policy.from_evaluation({"Policy": {"Guards": [{"Metric": "JUDGE", "MaxLoss": 0.1}]}})
    assert guarded.guards == (stats.Guard("Judge", 0.1),)


def test_win_rate_counts_ties_half_with_the_paired_bootstrap_interval():
    prefs = ["custom"] * 20 + ["tie"] * 10 + ["base"] * 10
    policy = stats.Policy(resamples=500)
    summary = report.build_summary(judged(prefs), policy, judge=JUDGE)
    j = summary["Judge"]
    assert j["WinRate"] == pytest.approx((20 + 0.5 * 10) / 40)
    shares = np.array([1.0] * 20 + [0.5] * 10 + [0.0] * 10)
    low, high = stats.bootstrap_ci(shares - 0.5, resamples=500, seed=policy.seed)
    assert (j["Low"], j["High"]) == pytest.approx((0.5 + low, 0.5 + high))
    assert (j["CustomPreferred"], j["BasePreferred"], j["Ties"], j["Judged"]) == (20, 10, 10, 40)
    assert j["InputTokens"] == 4000 and j["OutputTokens"] == 400 and j["Calls"] == 80
    row = summary["Metrics"]["Judge"]
    assert row["Role"] == "reported" and row["Custom"] == pytest.approx(j["WinRate"]) and row["Base"] == 0.5
    assert summary["Verdict"] == stats.CUSTOM_BETTER and summary["DecidedBy"] == "F1"  # BERTScore still decides


@pytest.mark.parametrize(
    ("prefs", "verdict"),
    [(["custom"] * 30, stats.CUSTOM_BETTER), (["base"] * 30, stats.NOT_BETTER), (["tie"] * 30, stats.NOT_BETTER)],
)
def test_judge_as_the_primary_metric_decides(prefs, verdict):
    policy = stats.Policy(metric="Judge", resamples=200)
    summary = report.build_summary(judged(prefs, f1_gain=-0.05), policy, judge=JUDGE)
    assert summary["Verdict"] == verdict and summary["DecidedBy"] == "Judge"
    assert "LLM judge win rate decided" in summary["Explanation"]


def test_a_judge_guard_vetoes_a_bertscore_win():
    policy = stats.Policy(resamples=200, guards=(stats.Guard("Judge", 0.1),))
    summary = report.build_summary(judged(["base"] * 30), policy, judge=JUDGE)
    assert summary["Verdict"] == stats.NOT_BETTER and summary["DecidedBy"] == "Judge"
    assert "LLM judge win rate" in summary["VerdictReason"]
    held = report.build_summary(judged(["custom"] * 15 + ["tie"] * 15), policy, judge=JUDGE)
    assert held["Verdict"] == stats.CUSTOM_BETTER and held["Metrics"]["Judge"]["GuardHolds"] is True


def test_a_policy_on_the_judge_without_verdicts_fails_clearly():
    records = judged(["unset"] * 12)
    with pytest.raises(EvaluationFailed, match="decides on the LLM judge, but no record was judged"):
        report.build_summary(records, stats.Policy(metric="Judge"))
    with pytest.raises(EvaluationFailed, match="guards the LLM judge"):
        report.build_summary(records, stats.Policy(guards=(stats.Guard("Judge", 0.1),)))


def test_records_not_judged_disagreements_and_unparsable_answers_are_counted():
    records = judged(["custom"] * 10)
    records[0]["judge"].update(preference=None, answers=[], skipped="not judged")
    records[1]["judge"].update(
        preference="tie", answers=[{"first": "base", "answer": "A"}, {"first": "custom", "answer": "A"}]
    )
    records[2]["judge"].update(
        preference="tie", unparsable=1, answers=[{"first": "base", "answer": None}, {"first": "custom", "answer": "A"}]
    )
    j = report.build_summary(records, stats.Policy(resamples=200), judge=JUDGE)["Judge"]
    assert (j["Judged"], j["NotJudged"], j["Ties"], j["OrderDisagreements"], j["Unparsable"]) == (9, 1, 2, 1, 1)


def test_files_carry_the_verdict_and_the_page_shows_it_escaped(tmp_path):
    records = judged(["custom"] * 12)
    records[0]["judge"]["reason"] = "<script>alert(1)</script> is worse"
    summary = report.build_summary(records, stats.Policy(resamples=200), judge=JUDGE)
    report.write_local(tmp_path, summary, records)
    scores = [json.loads(x) for x in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert scores[0]["judge_preference"] == "custom" and scores[0]["judge_reason"].startswith("<script>")
    texts = [json.loads(x) for x in (tmp_path / "records.jsonl").read_text().splitlines()]
    assert texts[5]["judge_preference"] == "custom" and texts[5]["judge_reason"] == "reason 5"
    page = (tmp_path / "report.html").read_text()
    assert '<section id="judge">' in page and "amazon.nova-pro-v1:0" in page
    assert "1,200 input + 120 output = 1,320 tokens" in page
    assert "<script>alert(1)" not in page  # in the embedded JSON as \u003c, shown with textContent
    data = json.loads(page.split('id="records-data">', 1)[1].split("</script>", 1)[0])
    at = 7 + 2 * len(data["metrics"])  # after id, texts, errors and each metric's base and custom
    assert data["judge"] == {"preference": at, "reason": at + 1}
    assert data["rows"][0][data["judge"]["reason"]].startswith("<script>")
    assert 'id="judge-filter"' in page and ">judge</th>" in page


def test_without_a_judge_nothing_changes():
    records = judged(["unset"] * 12)
    summary = report.build_summary(records, stats.Policy(resamples=200))
    assert "Judge" not in summary and "Judge" not in summary["Metrics"]
    files = report.render_all(summary, records)
    assert "judge" not in files["scores.jsonl"] and "judge" not in files["records.jsonl"]
    assert '<section id="judge">' not in files["report.html"] and 'id="judge-filter"' not in files["report.html"]


BUCKET = "artifacts"


@pytest.fixture
def s3(fake_aws_env):
    with mock_aws():
        reset_clients()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
    reset_clients()


def _put(s3, key, rows):
    s3.put_object(Bucket=BUCKET, Key=key, Body="".join(json.dumps(r) + "\n" for r in rows).encode())


def test_aggregate_joins_the_judge_shards_by_id(s3):
    run = {"RunId": "r", "ArtifactsBucket": BUCKET, "RunPrefix": "runs/r/"}
    plan = {"ManifestKey": "runs/r/evaluation/manifest.json", "ShardCount": 2}
    s3.put_object(Bucket=BUCKET, Key=plan["ManifestKey"], Body=json.dumps([{"Index": 0}, {"Index": 1}]).encode())
    _put(s3, "runs/r/evaluation/judge/00000.jsonl", [{"id": 2, "preference": "base", "reason": "x"}])
    _put(s3, "runs/r/evaluation/judge/00001.jsonl", [{"id": "a", "preference": "custom", "reason": "y"}])
    records = [{"id": "a"}, {"id": 2}]
    handlers.attach_judge(run, plan, records)
    assert records == [
        {"id": "a", "judge": {"preference": "custom", "reason": "y"}},
        {"id": 2, "judge": {"preference": "base", "reason": "x"}},
    ]
    with pytest.raises(EvaluationFailed, match="no verdict for 1 record"):
        handlers.attach_judge(run, plan, [{"id": "missing"}])
    s3.delete_object(Bucket=BUCKET, Key="runs/r/evaluation/judge/00001.jsonl")
    with pytest.raises(EvaluationFailed, match="judge shard .* does not exist"):
        handlers.attach_judge(run, plan, [{"id": "a"}])
