"""``Evaluation.Judge`` in ValidateInput: off by default, every problem one line with its fix."""

from __future__ import annotations

import copy

import pytest
from validation_cases import NOVA_INPUT, nova_files

JUDGE = {"ModelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "Rubric": "summary_quality"}


def _nova(evaluation: dict | None) -> tuple[dict, dict]:
    """The Nova input with ``evaluation`` as its ``Evaluation`` (``None``: the input's own), and its files."""
    raw = copy.deepcopy(NOVA_INPUT)
    if evaluation is not None:
        raw["Evaluation"] = evaluation
    return raw, nova_files()


def test_the_judge_is_off_by_default_and_absent_from_the_run_context(validate):
    assert "Judge" not in validate(*_nova(None)).to_state()["Evaluation"]


@pytest.mark.parametrize(
    "model_id",
    [
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
    ],
)
def test_model_ids_and_inference_profiles_reach_the_run_context(model_id, validate):
    run = validate(*_nova({"Judge": {"ModelId": model_id}}))
    assert run.to_state()["Evaluation"]["Judge"] == {"ModelId": model_id, "Rubric": "summary_quality"}


def test_a_custom_rubric_text_is_kept(validate):
    rubric = "Prefer the summary a support engineer could act on without opening the ticket."
    run = validate(*_nova({"Judge": {**JUDGE, "Rubric": rubric}}))
    assert run.Evaluation.Judge.Rubric == rubric


@pytest.mark.parametrize(
    ("judge", "field", "fix"),
    [
        ({"ModelId": "cohere.command-text-v14"}, "Evaluation.Judge.ModelId", "use a model that does"),
        ({"ModelId": "amazon.nova-pro-v1:0:300k"}, "Evaluation.Judge.ModelId", "amazon.nova-pro-v1:0"),
        ({"ModelId": "my favourite model"}, "Evaluation.Judge.ModelId", "an inference profile ARN"),
        ({**JUDGE, "Rubric": "summary_qualty"}, "Evaluation.Judge.Rubric", "use summary_quality"),
        ({**JUDGE, "Rubric": "Be nice."}, "Evaluation.Judge.Rubric", "at least 40 characters"),
        ({"Rubric": "summary_quality"}, "Evaluation.Judge.ModelId", "add it"),
        ({**JUDGE, "Temperature": 0}, "Evaluation.Judge.Temperature", "remove it"),
    ],
)
def test_a_bad_judge_is_one_line_naming_the_field_and_the_fix(judge, field, fix, problem_lines):
    (line,) = problem_lines(*_nova({"Judge": judge}))
    assert line.startswith(f"{field}: ") and fix in line


def test_a_policy_on_the_judge_needs_the_judge_and_every_problem_is_listed_at_once(validate, problem_lines):
    lines = problem_lines(
        *_nova({"Policy": {"Primary": "Judge", "Guards": [{"Metric": "ROUGE-L", "MaxLoss": 0.01}]}, "Margin": 2})
    )
    assert any(x.startswith("Evaluation.Policy.Primary: Judge needs the LLM judge") for x in lines)
    assert any(x.startswith("Evaluation.Margin") for x in lines)
    run = validate(*_nova({"Judge": JUDGE, "Policy": {"Guards": [{"Metric": "Judge", "MaxLoss": 0.1}]}}))
    assert run.Evaluation.Policy.Guards[0].Metric == "Judge"
