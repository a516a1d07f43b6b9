"""Report files (no model)."""

from __future__ import annotations

import json

import pytest

from bertscore_evaluator import report, stats
from workflow_lambdas.contract.errors import EvaluationFailed


def rec(i, base_f1, custom_f1, *, base_out="b", custom_out="c", base_err=None, custom_err=None):
    def entry(f1, out, err):
        if err:
            return {"output": None, "error": err, "precision": None, "recall": None, "f1": None}
        return {"output": out, "error": None, "precision": f1, "recall": f1, "f1": f1}

    return {
        "id": f"r{i}",
        "prompt": f"prompt {i}",
        "reference": f"reference {i}",
        "base": entry(base_f1, base_out, base_err),
        "custom": entry(custom_f1, custom_out, custom_err),
    }


def sample_records():
    records = [rec(i, 0.5 + 0.01 * i, 0.6 + 0.01 * i) for i in range(25)]
    records[3] = rec(3, 0.9, 0.2, custom_out="<script>alert('x')</script> & done")
    records[4] = rec(4, None, 0.7, base_err="ThrottlingException: <slow down>")
    records[5] = rec(5, 0.7, None, custom_err="timeout")
    return records


def test_summary_counts_and_means():
    records = sample_records()
    summary = report.build_summary(records, stats.Policy(resamples=200), scorer={"Model": "m"}, run_id="run-1")
    assert summary["Counts"] == {"Records": 25, "Scored": 23, "BaseErrors": 1, "CustomErrors": 1, "BothErrors": 0}
    paired = [r for r in records if r["base"]["f1"] is not None and r["custom"]["f1"] is not None]
    assert summary["Base"]["F1"] == pytest.approx(sum(r["base"]["f1"] for r in paired) / 23)
    assert summary["Custom"]["F1"] - summary["Base"]["F1"] == pytest.approx(summary["Difference"]["Mean"])
    assert summary["Difference"]["Losses"] == 1 and summary["Difference"]["Wins"] == 22
    assert summary["Verdict"] in {stats.CUSTOM_BETTER, stats.INCONCLUSIVE}
    assert summary["Policy"]["BootstrapResamples"] == 200


def test_files_are_written_and_html_is_escaped(tmp_path):
    records = sample_records()
    summary = report.build_summary(records, stats.Policy(resamples=100), run_id="<run>")
    out = report.write_local(tmp_path, summary, records)
    for name in ("summary.json", "scores.jsonl", "records.jsonl", "report.html"):
        assert (out / name).is_file()
    assert json.loads((out / "summary.json").read_text())["Verdict"] == summary["Verdict"]
    lines = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    assert len(lines) == 25
    assert lines[4]["base_f1"] is None and lines[4]["base_error"].startswith("ThrottlingException")
    assert lines[0]["difference"] == pytest.approx(0.1)
    page = (out / "report.html").read_text()
    # the model's script is data, never markup: only the page's own two script elements exist
    assert "<script>alert" not in page and page.count("<script") == 2
    assert "\\u003cscript\\u003ealert('x')\\u003c/script\\u003e \\u0026 done" in page  # shown in the table
    assert "&lt;slow down&gt;" in page and "&lt;run&gt;" in page
    # one scatter per metric the scores carry (the three BERTScore components here), 23 pairs each
    assert "<svg" in page and page.count("<circle") == 23 * 3
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external asset
    assert "All records (25)" in page
    texts = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert texts[3]["custom_output"] == "<script>alert('x')</script> & done" and texts[3]["prompt"] == "prompt 3"


def test_no_usable_pair_fails():
    records = [rec(0, None, 0.5, base_err="x"), rec(1, 0.5, None, custom_err="y")]
    with pytest.raises(EvaluationFailed):
        report.build_summary(records, stats.Policy())


def test_metric_selects_the_difference():
    r = rec(0, 0.5, 0.7)
    r["custom"]["precision"] = 0.4
    assert report.difference(r, "F1") == pytest.approx(0.2)
    assert report.difference(r, "Precision") == pytest.approx(-0.1)


def test_too_few_pairs_say_why_in_summary_and_page():
    records = sample_records()[:8]  # 6 paired records, below the default MinPairs of 10
    summary = report.build_summary(records, stats.Policy(resamples=100), run_id="run-small")
    assert summary["Verdict"] == stats.INCONCLUSIVE
    assert summary["VerdictReason"] and "6" in summary["VerdictReason"]
    page = report.render_html(summary, records)
    assert 'id="verdict-reason"' in page and summary["VerdictReason"] in page
    full = report.build_summary(sample_records(), stats.Policy(resamples=100), run_id="run-full")
    assert full["VerdictReason"] is None and 'id="verdict-reason"' not in report.render_html(full, records)


def test_header_reads_the_run_and_either_serving_shape_and_escapes_it():
    run = {
        "RunId": "run-h",
        "ExecutionArn": "arn:aws:states:us-east-1:1:execution:p:run-h",
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "CustomModelName": "<custom>",
        "ValidationData": {"Bucket": "vb", "Key": "val.jsonl", "ReferenceKey": None},
        "KeepLosingCustomModel": False,
        "Evaluation": {"OnInconclusive": "KEEP"},
    }
    deployment = "arn:aws:bedrock:us-east-1:1:custom-model-deployment/d1"
    on_demand = report.run_context_for_report(
        run,
        {
            "execution": {
                "serving": {"Mode": "ON_DEMAND", "ModelId": deployment},
                "customization": {"CustomModelArn": "arn:aws:bedrock:us-east-1:1:custom-model/m1"},
            },
            "started": "2026-12-02T10:00:00Z",
        },
    )
    assert on_demand["ServingMode"] == "ON_DEMAND" and on_demand["ServingArn"] == deployment
    assert on_demand["CustomModelArn"].endswith("custom-model/m1") and on_demand["StartedAt"] == "2026-12-02T10:00:00Z"
    throughput = report.run_context_for_report(run, {"throughput": {"ProvisionedModelArn": "arn:pt"}})
    assert throughput["ServingMode"] == "provisioned throughput" and throughput["ServingArn"] == "arn:pt"
    assert "ServingArn" not in report.run_context_for_report(run, {}) and "CustomModelArn" not in throughput

    records = sample_records()
    summary = report.build_summary(records, stats.Policy(resamples=100), run_id="run-h", context=on_demand)
    page = report.render_html(summary, records)
    assert deployment in page and "&lt;custom&gt;" in page and "<custom>" not in page
    assert "val.jsonl" in page and "2026-12-02T10:00:00Z" in page
    assert "NOT_BETTER: released (custom model deleted); INCONCLUSIVE: kept" in page
    assert "<th>IDF</th><td>\u2013</td>" in page  # no scorer description: said, not guessed
    summary["Scorer"] = {"Name": "roberta-large", "NumLayers": 17, "Idf": False, "Rescaled": True}
    page = report.render_html(summary, records)
    assert "roberta-large (layer 17)" in page and "<th>IDF</th><td>off</td>" in page
    assert "<th>Rescaled with baseline</th><td>on</td>" in page
