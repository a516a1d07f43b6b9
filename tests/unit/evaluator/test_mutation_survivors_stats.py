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
