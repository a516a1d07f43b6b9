"""Bootstrap interval and verdict policy (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from bertscore_evaluator import stats
from workflow_lambdas.contract.errors import EvaluationFailed


def test_paired_differences_skip_missing_scores():
    diffs = stats.paired_differences([0.5, None, 0.7, 0.2], [0.6, 0.9, None, 0.1])
    assert diffs.tolist() == pytest.approx([0.1, -0.1])


@pytest.mark.parametrize("shift, low_positive", [(0.05, True), (-0.05, False)])
def test_bootstrap_interval_has_the_sign_of_a_clear_shift(shift, low_positive):
    rng = np.random.default_rng(0)
    diffs = shift + rng.normal(0, 0.05, size=200)
    low, high = stats.bootstrap_ci(diffs, confidence_level=0.95, resamples=2000, seed=1)
    assert low < diffs.mean() < high
    assert (low > 0) is low_positive
    assert (high < 0) is (not low_positive)


def test_bootstrap_is_seeded_and_level_sets_width():
    diffs = np.random.default_rng(3).normal(0.01, 0.1, size=300)
    a = stats.bootstrap_ci(diffs, confidence_level=0.95, resamples=500, seed=7)
    b = stats.bootstrap_ci(diffs, confidence_level=0.95, resamples=500, seed=7)
    narrow = stats.bootstrap_ci(diffs, confidence_level=0.5, resamples=500, seed=7)
    assert a == b
    assert narrow[1] - narrow[0] < a[1] - a[0]


def test_bootstrap_blocks_do_not_change_the_result(monkeypatch):
    diffs = np.random.default_rng(5).normal(0, 1, size=50)
    whole = stats.bootstrap_ci(diffs, resamples=300, seed=2)
    monkeypatch.setattr(stats, "_BLOCK_ELEMENTS", 50 * 7)  # 7 resamples per block
    assert stats.bootstrap_ci(diffs, resamples=300, seed=2) == pytest.approx(whole)


NOISY_POSITIVE = [0.2, -0.15, 0.1, -0.05, 0.12, -0.1, 0.08, 0.01] * 2  # mean > 0, interval spans 0
CLEAR_GAIN = [0.1, 0.12, 0.09, 0.11, 0.1, 0.1, 0.12, 0.09, 0.11, 0.1, 0.1, 0.12]  # 12 pairs, all ~0.1


@pytest.mark.parametrize(
    "diffs, policy, expected",
    [
        (CLEAR_GAIN, {}, stats.CUSTOM_BETTER),  # better
        ([-x for x in CLEAR_GAIN], {}, stats.NOT_BETTER),  # worse
        ([0.0] * 12, {}, stats.NOT_BETTER),  # tie: strict '>'
        ([0.0] * 12, {"RequireSignificance": False}, stats.NOT_BETTER),
        (NOISY_POSITIVE, {}, stats.INCONCLUSIVE),  # inconclusive
        (NOISY_POSITIVE, {"RequireSignificance": False}, stats.CUSTOM_BETTER),  # ancestor rule: mean > 0
        ([-x for x in NOISY_POSITIVE], {"RequireSignificance": False}, stats.NOT_BETTER),
        (CLEAR_GAIN, {"Margin": 0.2}, stats.NOT_BETTER),  # below the margin
        (CLEAR_GAIN, {"Margin": 0.1, "RequireSignificance": False}, stats.CUSTOM_BETTER),
        (CLEAR_GAIN, {"Margin": 0.1}, stats.INCONCLUSIVE),
        # too few pairs: inconclusive whatever the interval says, significance required or not
        ([0.1], {}, stats.INCONCLUSIVE),
        ([0.1, 0.12], {}, stats.INCONCLUSIVE),
        ([0.1, 0.12], {"RequireSignificance": False}, stats.INCONCLUSIVE),
        ([-0.1, -0.12], {}, stats.INCONCLUSIVE),
        (CLEAR_GAIN[:9], {}, stats.INCONCLUSIVE),  # one short of the default MinPairs (10)
        (CLEAR_GAIN[:10], {}, stats.CUSTOM_BETTER),
        (CLEAR_GAIN[:5], {"MinPairs": 5}, stats.CUSTOM_BETTER),
        (CLEAR_GAIN, {"MinPairs": 13}, stats.INCONCLUSIVE),
    ],
)
def test_verdict_policy_table(diffs, policy, expected):
    decision = stats.decide(diffs, stats.Policy.from_evaluation(policy))
    assert decision.verdict == expected
    assert decision.mean == pytest.approx(float(np.mean(diffs)))
    assert decision.low <= decision.high
    assert decision.pairs == len(diffs)


def test_too_few_pairs_says_why():
    decision = stats.decide([0.1, 0.12], stats.Policy())
    assert decision.verdict == stats.INCONCLUSIVE
    assert (
        decision.reason
        == "only 2 record(s) have scores for both models; at least 10 (MinPairs) are needed for a verdict"
    )
    # with enough pairs the interval decides and there is no such reason
    assert stats.decide(CLEAR_GAIN, stats.Policy()).reason is None
    # one positive pair used to be CUSTOM_BETTER: its bootstrap interval is the single value
    assert stats.verdict(0.1, 0.1, 0.1, margin=0.0, require_significance=True) == stats.CUSTOM_BETTER


def test_verdict_rule_directly():
    assert stats.verdict(0.1, 0.01, 0.2, margin=0.0, require_significance=True) == stats.CUSTOM_BETTER
    assert stats.verdict(-0.1, -0.2, 0.0, margin=0.0, require_significance=True) == stats.NOT_BETTER
    assert stats.verdict(0.1, -0.01, 0.2, margin=0.0, require_significance=True) == stats.INCONCLUSIVE
    assert stats.verdict(0.0, -0.01, 0.2, margin=0.0, require_significance=False) == stats.NOT_BETTER


def test_zero_pairs_is_an_evaluation_failure():
    with pytest.raises(EvaluationFailed, match="no record"):
        stats.decide([], stats.Policy())


def test_policy_from_run_evaluation():
    p = stats.Policy.from_evaluation(
        {
            "Metric": "precision",
            "Margin": "0.01",
            "ConfidenceLevel": 0.9,
            "BootstrapResamples": 200,
            "OnInconclusive": "RELEASE",
            "ShardSize": 50,
            "Seed": 3,
            "RequireSignificance": "false",
        }
    )
    assert (p.metric, p.margin, p.confidence_level, p.resamples, p.seed, p.require_significance) == (
        "Precision",
        0.01,
        0.9,
        200,
        3,
        False,
    )
    assert stats.Policy.from_evaluation(None) == stats.Policy()
    assert stats.Policy().min_pairs == stats.DEFAULT_MIN_PAIRS == 10
    assert stats.Policy.from_evaluation({"BootstrapResamples": 1000.0, "Seed": "0", "MinPairs": 3}) == stats.Policy(
        resamples=1000, seed=0, min_pairs=3
    )
    assert stats.Policy.from_evaluation({"MinPairs": 3}).as_dict()["MinPairs"] == 3


@pytest.mark.parametrize(
    "evaluation, field",
    [
        ({"Metric": "BLEU"}, "Metric"),
        ({"Margin": "x"}, "Margin"),
        ({"Margin": True}, "Margin"),
        ({"Margin": float("nan")}, "Margin"),
        ({"ConfidenceLevel": 1.5}, "ConfidenceLevel"),
        ({"ConfidenceLevel": 1}, "ConfidenceLevel"),
        ({"ConfidenceLevel": 0}, "ConfidenceLevel"),
        ({"ConfidenceLevel": True}, "ConfidenceLevel"),
        ({"BootstrapResamples": 0}, "BootstrapResamples"),
        ({"BootstrapResamples": 99}, "BootstrapResamples"),
        ({"BootstrapResamples": 2.9}, "BootstrapResamples"),  # was silently truncated to 2
        ({"BootstrapResamples": 100.5}, "BootstrapResamples"),
        ({"BootstrapResamples": True}, "BootstrapResamples"),  # was 1
        ({"BootstrapResamples": "many"}, "BootstrapResamples"),
        ({"BootstrapResamples": None}, "BootstrapResamples"),
        ({"Seed": -1}, "Seed"),  # was numpy's ValueError, at bootstrap time
        ({"Seed": 1.5}, "Seed"),
        ({"Seed": False}, "Seed"),
        ({"RequireSignificance": "yes"}, "RequireSignificance"),
        ({"MinPairs": 0}, "MinPairs"),
        ({"MinPairs": True}, "MinPairs"),
    ],
)
def test_bad_policy_values_name_the_field(evaluation, field):
    with pytest.raises(EvaluationFailed, match=rf"^Evaluation\.{field} must be ") as raised:
        stats.Policy.from_evaluation(evaluation)
    assert "\n" not in str(raised.value)


def test_policy_constructor_validates_too():
    with pytest.raises(EvaluationFailed, match="Evaluation.BootstrapResamples"):
        stats.Policy(resamples=2.9)
    with pytest.raises(EvaluationFailed, match="Evaluation.Seed"):
        stats.Policy(seed=-1)
    with pytest.raises(EvaluationFailed, match="Evaluation.RequireSignificance"):
        stats.Policy(require_significance=1)
