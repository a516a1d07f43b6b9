"""The verdict policy at its limits and its defaults (issue 15: stats/scoring mutants that no test caught).

The evaluator's defaults are the run context's (ValidateInput writes them, the evaluator reads a context
without them the same way); each limit is accepted exactly at its value and refused past it, by an error that
names the field; and the greedy matching batches as ``bert_score.score`` does by default.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from bertscore_evaluator import scoring, stats
from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import EvaluationFailed


def test_an_evaluation_without_settings_takes_the_run_contexts_defaults():
    defaults = vi.EvaluationSettings()
    policy = stats.Policy.from_evaluation({})
    assert policy == stats.Policy() == stats.Policy.from_evaluation(None)
    assert policy.metric == defaults.Metric
    assert policy.margin == defaults.Margin
    assert policy.confidence_level == defaults.ConfidenceLevel
    assert policy.resamples == defaults.BootstrapResamples
    assert policy.require_significance is defaults.RequireSignificance
    assert policy.min_pairs == defaults.MinPairs
    assert policy.seed == defaults.Seed
    assert policy.guards == ()
    assert defaults.OnInconclusive == "RELEASE"  # an inconclusive result releases unless the input says KEEP


def test_every_setting_of_the_evaluation_is_read_by_its_name():
    evaluation = {
        "Metric": "Recall",
        "Margin": 0.02,
        "ConfidenceLevel": 0.9,
        "BootstrapResamples": 200,
        "RequireSignificance": "false",
        "Seed": 3,
        "MinPairs": 4,
        "Policy": {"Primary": "precision", "Guards": [{"Metric": "F1", "MaxLoss": "0.25"}]},
    }
    policy = stats.Policy.from_evaluation(evaluation)
    assert policy == stats.Policy(
        metric="Precision",
        margin=0.02,
        confidence_level=0.9,
        resamples=200,
        require_significance=False,
        seed=3,
        min_pairs=4,
        guards=(stats.Guard("F1", 0.25),),
    )
    assert policy.as_dict() == {
        "Metric": "Precision",
        "Margin": 0.02,
        "ConfidenceLevel": 0.9,
        "BootstrapResamples": 200,
        "RequireSignificance": False,
        "Seed": 3,
        "MinPairs": 4,
        "Primary": "Precision",
        "Guards": [{"Metric": "F1", "MaxLoss": 0.25}],
    }
    assert stats.Policy.from_evaluation({"RequireSignificance": " TRUE "}).require_significance is True


@pytest.mark.parametrize(
    "evaluation, accepted",
    [
        ({"BootstrapResamples": stats.MIN_RESAMPLES}, True),
        ({"BootstrapResamples": stats.MIN_RESAMPLES - 1}, False),
        ({"MinPairs": 1}, True),
        ({"MinPairs": 0}, False),
        ({"Seed": 0}, True),
        ({"Seed": -1}, False),
        ({"ConfidenceLevel": 0.999}, True),
        ({"ConfidenceLevel": 1.0}, False),
        ({"ConfidenceLevel": 0.0}, False),
        ({"Policy": {"Guards": [{"Metric": "Recall", "MaxLoss": 0.0}]}}, True),
        ({"Policy": {"Guards": [{"Metric": "Recall", "MaxLoss": 1.0}]}}, True),
        ({"Policy": {"Guards": [{"Metric": "Recall", "MaxLoss": 1.01}]}}, False),
        ({"Policy": {"Guards": [{"Metric": "Recall", "MaxLoss": -0.01}]}}, False),
    ],
)
def test_each_limit_is_accepted_at_its_value_and_refused_past_it(evaluation, accepted):
    field = next(iter(evaluation))
    if accepted:
        stats.Policy.from_evaluation(evaluation)
    else:
        with pytest.raises(EvaluationFailed) as caught:
            stats.Policy.from_evaluation(evaluation)
        named = "Evaluation.Policy.Guards[0].MaxLoss" if field == "Policy" else f"Evaluation.{field}"
        assert str(caught.value).startswith(named), caught.value


def test_guards_up_to_every_other_metric_are_allowed_and_each_mistake_is_named():
    others = [m for m in stats.METRICS if m != "F1"]
    guards = [{"Metric": m, "MaxLoss": 0.1} for m in others]
    assert len(stats.Policy.from_evaluation({"Policy": {"Guards": guards}}).guards) == len(others)

    def error(evaluation):
        with pytest.raises(EvaluationFailed) as caught:
            stats.Policy.from_evaluation(evaluation)
        return str(caught.value)

    too_many = [{"Metric": "Recall", "MaxLoss": 0.1}] * (stats.MAX_GUARDS + 1)
    assert error({"Policy": {"Guards": too_many}}).startswith("Evaluation.Policy.Guards must be a list of at most")
    assert error({"Policy": {"Guards": [guards[0], guards[0]]}}).startswith("Evaluation.Policy.Guards names a metric")
    assert error({"Policy": {"Guards": [{"Metric": "F1", "MaxLoss": 0.1}]}}).startswith(
        "Evaluation.Policy.Guards[0].Metric 'F1' is the primary metric"
    )
    assert error({"Policy": {"Guards": [{"Metric": "BLEU", "MaxLoss": 0.1}]}}).startswith(
        "Evaluation.Policy.Guards[0].Metric must be one of F1, Precision, Recall"
    )
    assert error({"Policy": {"Guards": ["Recall"]}}).startswith("Evaluation.Policy.Guards[0] must be an object")
    assert error({"Policy": "strict"}).startswith("Evaluation.Policy must be an object")
    assert error({"Metric": "BLEU"}).startswith("Evaluation.Metric must be one of F1, Precision, Recall")
    assert error({"RequireSignificance": "yes"}).startswith("Evaluation.RequireSignificance must be true or false")


def test_the_interval_has_the_requested_confidence_and_is_reproducible():
    rng = np.random.default_rng(0)
    diffs = rng.normal(0.05, 0.1, size=400)
    low95, high95 = stats.bootstrap_ci(diffs, confidence_level=0.95, resamples=2000, seed=1)
    low50, high50 = stats.bootstrap_ci(diffs, confidence_level=0.5, resamples=2000, seed=1)
    assert low95 < low50 < diffs.mean() < high50 < high95
    # a 95% interval of a mean of 400 draws of sd 0.1 is about +-1.96 * 0.1 / 20 wide
    assert (high95 - low95) == pytest.approx(2 * 1.96 * 0.1 / 20, rel=0.2)
    assert stats.bootstrap_ci(diffs, seed=1) == stats.bootstrap_ci(diffs, seed=1)
    assert stats.bootstrap_ci(diffs) == stats.bootstrap_ci(diffs, confidence_level=0.95, resamples=1000, seed=7)


def test_paired_differences_skip_a_record_either_model_errored_on():
    diffs = stats.paired_differences([0.5, None, 0.25, 0.5], [0.75, 0.5, None, 0.25])
    assert diffs.dtype == np.float64 and diffs.tolist() == [0.25, -0.25]
    with pytest.raises(ValueError, match="3 base scores but 2 custom scores"):
        stats.paired_differences([0.1, 0.2, 0.3], [0.1, 0.2])


def test_too_few_pairs_are_inconclusive_and_exactly_min_pairs_decide():
    policy = stats.Policy(min_pairs=5, resamples=200)
    assert stats.decide([0.3] * 4, policy).verdict == stats.INCONCLUSIVE
    assert "at least 5 (MinPairs)" in (stats.decide([0.3] * 4, policy).reason or "")
    decided = stats.decide([0.3, 0.31, 0.29, 0.3, 0.32], policy)
    assert decided.verdict == stats.CUSTOM_BETTER and decided.reason is None and decided.pairs == 5


def test_the_greedy_matching_batches_as_bert_score_does_by_default():
    """Scores equal ``bert_score.score``'s only with its default batch of pairs (the padding mask)."""
    import bert_score

    assert scoring.GREEDY_BATCH_SIZE == inspect.signature(bert_score.score).parameters["batch_size"].default


# -- the interval, the guards' edges and the sentence that explains the verdict (more survivors) -------------

FAIR_COIN = [0.0] * 50 + [1.0] * 50  # a mean of 100 draws with standard error 0.05


def test_a_95_percent_interval_leaves_2_5_percent_of_the_resampled_means_on_each_side():
    low, high = stats.bootstrap_ci(FAIR_COIN, confidence_level=0.95, resamples=4000, seed=7)
    assert (low, high) == (pytest.approx(0.40), pytest.approx(0.60))  # 0.5 -+ 1.96 * 0.05, on the 0.01 grid


def test_the_decision_uses_the_policys_confidence_level_and_seed():
    diffs = np.random.default_rng(3).normal(0.05, 0.1, size=60)
    for level, seed in [(0.8, 11), (0.99, 12)]:
        d = stats.decide(diffs, stats.Policy(confidence_level=level, seed=seed, resamples=300))
        assert (d.low, d.high) == stats.bootstrap_ci(diffs, confidence_level=level, resamples=300, seed=seed)
        assert d.confidence_level == level


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: stats.bootstrap_ci([]), "no paired scores to bootstrap"),
        (lambda: stats.decide([0.1, float("nan")], stats.Policy()), "non-finite score difference"),
        (
            lambda: stats.decide([], stats.Policy()),
            "no record has a score for both models: every record errored for the base or the custom model",
        ),
        (lambda: stats.mean([]), "cannot average zero values"),
    ],
)
def test_an_evaluation_that_cannot_be_decided_fails_with_its_cause(call, message):
    with pytest.raises(EvaluationFailed) as caught:
        call()
    assert str(caught.value) == message


def test_the_mean_of_scores():
    assert stats.mean([0.25, 0.5, 1.0]) == pytest.approx(0.5833333333)
    assert isinstance(stats.mean([1, 2]), float)


def test_an_integer_seed_beyond_float_range_is_kept_exactly():
    assert stats.Policy.from_evaluation({"Seed": 2**1100}).seed == 2**1100


ONE_WORSE = [-0.25] * 99 + [-0.5]  # bootstrap interval [-0.2575, -0.25]: its top exactly at -0.25


@pytest.mark.parametrize(
    "diffs, max_loss, significance, holds, clearly",
    [
        ([0.0] * 20, 0.0, True, True, False),  # no loss at all holds even with no tolerance
        (ONE_WORSE, 0.25, True, False, False),  # the interval's top exactly at the tolerance: not beyond doubt
        (ONE_WORSE, 0.26, True, True, False),
        # the mean loses less than tolerated, the interval's low end more: holds only without significance
        ([-0.2, 0.0] * 10, 0.15, True, False, False),
        ([-0.2, 0.0] * 10, 0.15, False, True, False),
        ([-0.2, -0.1] * 10, 0.05, False, False, True),
    ],
)
def test_a_guard_holds_when_the_loss_is_shown_within_its_tolerance(diffs, max_loss, significance, holds, clearly):
    policy = stats.Policy(metric="F1", require_significance=significance, min_pairs=1)
    check = stats.check_guard(diffs, stats.Guard("ROUGE-L", max_loss), policy)
    assert (check.holds, check.clearly_fails) == (holds, clearly)


WIN = [0.1, 0.12, 0.09, 0.11, 0.1] * 4  # clearly above a margin of 0


def _outcome(primary, policy, **guards):
    return stats.decide_all({"F1": primary, **guards}, policy)


def test_too_few_pairs_are_explained_by_the_primary_metric():
    outcome = _outcome([0.3] * 3, stats.Policy(min_pairs=10))
    assert outcome.verdict == stats.INCONCLUSIVE and outcome.decided_by == "F1"
    assert outcome.explanation == f"BERTScore F1: {outcome.reason}" and "MinPairs" in outcome.reason


@pytest.mark.parametrize(
    "diffs, margin, significance, why",
    [
        ([0.0] * 20, 0.0, True, "the custom model does not beat the margin 0"),  # the interval's top at the margin
        ([-0.05, 0.06] * 10, 0.0, True, "the interval straddles the margin 0: not significant"),
        ([-0.05, 0.06] * 10, 0.02, False, "the mean difference is not above the margin 0.02"),
    ],
)
def test_a_verdict_other_than_better_says_why_with_the_margin(diffs, margin, significance, why):
    outcome = _outcome(diffs, stats.Policy(margin=margin, require_significance=significance))
    assert outcome.verdict != stats.CUSTOM_BETTER and outcome.decided_by == "F1"
    assert outcome.explanation.startswith("BERTScore F1 decided: custom \u2212 base ")
    assert outcome.explanation.endswith(f"; {why}.")


def test_the_interval_in_the_explanation_names_its_confidence_level():
    outcome = _outcome(WIN, stats.Policy(confidence_level=0.9))
    assert ", 90% interval [" in outcome.explanation


def test_a_win_without_guards_is_explained_without_a_guard_list():
    outcome = _outcome(WIN, stats.Policy())
    assert outcome.verdict == stats.CUSTOM_BETTER
    assert "guard" not in outcome.explanation and outcome.explanation.endswith("above the margin 0).")


def test_a_win_lists_every_guard_that_held():
    policy = stats.Policy(guards=(stats.Guard("ROUGE-L", 0.1), stats.Guard("chrF", 0.2)))
    outcome = _outcome(WIN, policy, **{"ROUGE-L": [0.0] * 20, "chrF": [0.01] * 20})
    assert outcome.verdict == stats.CUSTOM_BETTER
    assert outcome.explanation.endswith("; guards held: ROUGE-L F-measure (loss \u2264 0.1), chrF (loss \u2264 0.2).")


def test_a_guard_after_one_that_held_still_vetoes():
    policy = stats.Policy(guards=(stats.Guard("ROUGE-L", 0.1), stats.Guard("chrF", 0.05)))
    outcome = _outcome(WIN, policy, **{"ROUGE-L": [0.0] * 20, "chrF": [-0.2] * 20})
    assert (outcome.verdict, outcome.decided_by) == (stats.NOT_BETTER, "chrF")
    assert "but loses more than the tolerated 0.05 chrF" in outcome.reason


def test_a_guard_that_may_fail_makes_the_win_inconclusive_and_says_may_lose():
    policy = stats.Policy(guards=(stats.Guard("ROUGE-L", 0.15),))
    outcome = _outcome(WIN, policy, **{"ROUGE-L": [-0.2, 0.0] * 10})
    assert (outcome.verdict, outcome.decided_by) == (stats.INCONCLUSIVE, "ROUGE-L")
    assert "but may lose more than the tolerated 0.15 ROUGE-L F-measure" in outcome.reason


@pytest.mark.parametrize("where", ["Primary", "Guard"])
def test_an_unknown_policy_metric_is_named_in_the_error(where):
    policy = {"Primary": "BLEU"} if where == "Primary" else {"Guards": [{"Metric": "BLEU", "MaxLoss": 0.1}]}
    with pytest.raises(EvaluationFailed, match="got 'BLEU'"):
        stats.Policy.from_evaluation({"Policy": policy})


def test_a_guard_without_max_loss_tolerates_no_loss():
    policy = stats.Policy.from_evaluation({"Policy": {"Guards": [{"Metric": "ROUGE-L"}]}})
    assert policy.guards == (stats.Guard("ROUGE-L", 0.0),)


def test_means_and_differences_are_taken_in_double_precision_whatever_the_scores_dtype():
    """Scores may come as float32 (a tensor's values): the verdict's arithmetic is float64 all the same."""
    values = np.array([0.1, 0.2, 0.7, 0.3, 0.9], dtype=np.float32)
    exact = sum(float(v) for v in values) / len(values)
    assert stats.mean(values) == pytest.approx(exact, rel=0, abs=1e-15)
    assert stats.mean(values) != float(values.mean())  # float32 arithmetic differs in the last digits
    diffs = stats.paired_differences(list(values), list(values[::-1]))
    assert diffs.dtype == np.float64  # the bootstrap resamples and averages them in float64


def test_the_bootstrap_runs_in_double_precision_whatever_the_differences_dtype():
    diffs = [0.013, -0.002, 0.021, 0.007, -0.011, 0.019, 0.004, 0.016]
    as_float32 = np.asarray(diffs, dtype=np.float32)
    assert stats.bootstrap_ci(as_float32, resamples=500, seed=3) == stats.bootstrap_ci(
        [float(d) for d in as_float32], resamples=500, seed=3
    )
