"""ROUGE-L and chrF beside BERTScore, and the policy with a primary metric and guards (no model)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rouge_score import rouge_scorer
from sacrebleu.metrics import CHRF

from bertscore_evaluator import metrics, report, stats
from workflow_lambdas import validate_input
from workflow_lambdas.contract.errors import EvaluationFailed

REF = "The customer asked for a refund because the parcel arrived damaged."
GOOD = "The customer wants a refund since the parcel arrived damaged."
BAD = "Weather is sunny today."


def test_text_metrics_are_the_libraries_own_scores_on_zero_to_one():
    expected_rouge = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score(REF, GOOD)["rougeL"].fmeasure
    assert metrics.rouge_l(REF, GOOD) == pytest.approx(expected_rouge)
    assert metrics.chrf(REF, GOOD) == pytest.approx(CHRF().sentence_score(GOOD, [REF]).score / 100)
    assert metrics.rouge_l(REF, REF) == pytest.approx(1.0) and metrics.chrf(REF, REF) == pytest.approx(1.0)
    assert metrics.rouge_l(REF, GOOD) > metrics.rouge_l(REF, BAD)
    assert metrics.chrf(REF, GOOD) > metrics.chrf(REF, BAD)
    assert metrics.rouge_l(REF, "   ") == 0.0 and metrics.chrf("", GOOD) == 0.0


def test_text_scores_are_none_for_an_errored_model():
    rec = {
        "reference": REF,
        "base": {"output": None, "error": "ThrottlingException"},
        "custom": {"output": GOOD, "error": None},
    }
    metrics.add_text_scores(rec, ("base", "custom"))
    assert rec["base"]["rouge_l"] is None and rec["base"]["chrf"] is None
    assert rec["custom"]["rouge_l"] == pytest.approx(metrics.rouge_l(REF, GOOD))


def test_schema_names_exactly_the_evaluator_metrics():
    schema = validate_input.load_schema()["properties"]["Evaluation"]["properties"]["Policy"]["properties"]
    assert schema["Primary"]["enum"] == list(metrics.POLICY_METRICS)
    assert schema["Guards"]["items"]["properties"]["Metric"]["enum"] == list(metrics.POLICY_METRICS)
    assert schema["Guards"]["maxItems"] == stats.MAX_GUARDS


GAIN = np.linspace(0.02, 0.06, 40)  # a clear gain
SMALL_LOSS = np.linspace(-0.006, -0.002, 40)  # a loss well within 0.01
BIG_LOSS = np.linspace(-0.06, -0.03, 40)  # a loss beyond 0.01, beyond doubt
NOISY_LOSS = np.concatenate([np.full(20, 0.05), np.full(20, -0.08)])  # mean -0.015, wide interval


def policy(**guards: float) -> stats.Policy:
    return stats.Policy.from_evaluation(
        {"Policy": {"Primary": "F1", "Guards": [{"Metric": m, "MaxLoss": v} for m, v in guards.items()]}}
    )


def test_without_policy_the_primary_metric_decides_as_before():
    for diffs in (GAIN, -GAIN, NOISY_LOSS):
        old = stats.decide(diffs, stats.Policy())
        new = stats.decide_all({"F1": diffs}, stats.Policy.from_evaluation({}))
        assert (new.verdict, new.decided_by, new.reason) == (old.verdict, "F1", old.reason)
        assert "BERTScore F1 decided" in new.explanation


def test_guard_within_its_tolerance_keeps_the_win():
    out = stats.decide_all({"F1": GAIN, "ROUGE-L": SMALL_LOSS}, policy(**{"ROUGE-L": 0.01}))
    assert out.verdict == stats.CUSTOM_BETTER and out.decided_by == "F1" and out.reason is None
    assert "guards held: ROUGE-L F-measure" in out.explanation


def test_guard_beyond_its_tolerance_decides_not_better_and_says_so():
    out = stats.decide_all({"F1": GAIN, "ROUGE-L": BIG_LOSS}, policy(**{"ROUGE-L": 0.01}))
    assert out.verdict == stats.NOT_BETTER and out.decided_by == "ROUGE-L"
    assert "wins BERTScore F1" in out.reason and "loses more than the tolerated 0.01 ROUGE-L" in out.reason
    assert out.explanation.startswith("The guard on ROUGE-L F-measure decided")


def test_guard_in_doubt_is_inconclusive_unless_significance_is_off():
    out = stats.decide_all({"F1": GAIN, "chrF": NOISY_LOSS}, policy(chrF=0.01))
    assert out.verdict == stats.INCONCLUSIVE and out.decided_by == "chrF" and "may lose" in out.reason
    loose = stats.Policy.from_evaluation(
        {"RequireSignificance": False, "Policy": {"Guards": [{"Metric": "chrF", "MaxLoss": 0.01}]}}
    )
    assert stats.decide_all({"F1": GAIN, "chrF": NOISY_LOSS}, loose).verdict == stats.NOT_BETTER
    assert stats.decide_all({"F1": GAIN, "chrF": NOISY_LOSS}, policy(chrF=0.2)).verdict == stats.CUSTOM_BETTER


def test_guards_never_turn_a_loss_into_a_win():
    out = stats.decide_all({"F1": -GAIN, "ROUGE-L": GAIN}, policy(**{"ROUGE-L": 0.0}))
    assert out.verdict == stats.NOT_BETTER and out.decided_by == "F1"


def test_a_text_metric_can_be_primary():
    p = stats.Policy.from_evaluation({"Policy": {"Primary": "rouge-l", "Guards": [{"Metric": "F1", "MaxLoss": 0}]}})
    assert p.metric == "ROUGE-L" and p.guards == (stats.Guard("F1", 0.0),)
    out = stats.decide_all({"ROUGE-L": GAIN, "F1": SMALL_LOSS}, p)
    assert out.verdict == stats.NOT_BETTER and out.decided_by == "F1"  # F1 may not lose anything: it surely does


@pytest.mark.parametrize(
    ("policy_input", "message"),
    [
        ({"Primary": "BLEU"}, "Evaluation.Metric must be one of F1, Precision, Recall, ROUGE-L, chrF"),
        ({"Guards": [{"Metric": "F1", "MaxLoss": 0.1}]}, "is the primary metric"),
        ({"Guards": [{"Metric": "chrF", "MaxLoss": 2}]}, r"Guards\[0\].MaxLoss must be a number from 0 to 1"),
        ({"Guards": [{"Metric": "chrF", "MaxLoss": "x"}]}, r"Evaluation.Policy.Guards\[0\].MaxLoss must be a number"),
        ({"Guards": [{"Metric": "chrF", "MaxLoss": 0}, {"Metric": "chrF", "MaxLoss": 0}]}, "names a metric twice"),
        ({"Guards": "ROUGE-L"}, "must be a list"),
    ],
)
def test_bad_policy_is_named(policy_input, message):
    with pytest.raises(EvaluationFailed, match=message):
        stats.Policy.from_evaluation({"Policy": policy_input})


def rec(i, base, custom):
    def entry(v):
        return {"output": f"out {i}", "error": None, "precision": v, "recall": v, "f1": v, "rouge_l": v / 2, "chrf": v}

    return {"id": f"r{i}", "prompt": f"p{i}", "reference": f"ref {i}", "base": entry(base), "custom": entry(custom)}


def test_summary_and_files_carry_every_metric_and_the_deciding_one(tmp_path):
    records = [rec(i, 0.5 + 0.005 * i, 0.55 + 0.005 * i) for i in range(30)]
    pol = policy(**{"ROUGE-L": 0.01})
    summary = report.build_summary(records, pol, run_id="run-m")
    assert summary["DecidedBy"] == "F1" and summary["Verdict"] == stats.CUSTOM_BETTER
    assert list(summary["Metrics"]) == list(metrics.METRIC_NAMES)
    rouge = summary["Metrics"]["ROUGE-L"]
    assert rouge["Role"] == "guard" and rouge["GuardHolds"] is True and rouge["Mean"] == pytest.approx(0.025)
    assert rouge["Low"] <= rouge["Mean"] <= rouge["High"] and summary["Metrics"]["F1"]["Role"] == "primary"
    assert summary["Policy"]["Guards"] == [{"Metric": "ROUGE-L", "MaxLoss": 0.01}]
    out = report.write_local(tmp_path, summary, records)
    line = json.loads((out / "scores.jsonl").read_text().splitlines()[0])
    assert line["id"] == "r0" and line["base_chrf"] == pytest.approx(0.5) and line["custom_rouge_l"] == 0.275
    assert line["difference_rouge_l"] == pytest.approx(0.025) and line["difference"] == pytest.approx(0.05)
    page = (out / "report.html").read_text()
    assert "ROUGE-L F-measure" in page and "chrF" in page and "BERTScore F1 decided" in page


def test_a_guard_on_a_metric_the_scores_lack_is_named():
    records = [rec(i, 0.5, 0.6) for i in range(12)]
    for r in records:
        for model in ("base", "custom"):
            del r[model]["chrf"]
    with pytest.raises(EvaluationFailed, match="guards chrF, but no record has a chrF score"):
        report.build_summary(records, policy(chrF=0.01))
    assert "chrF" not in report.build_summary(records, policy(**{"ROUGE-L": 0.01}))["Metrics"]
