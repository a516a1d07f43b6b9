"""``Evaluation.Judge`` in ValidateInput: off by default, every problem one line with its fix."""

from __future__ import annotations

import copy

import pytest
from validation_cases import ENV, EXEC_ARN, EXEC_NAME, NOVA_INPUT, nova_files

from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput

JUDGE = {"ModelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "Rubric": "summary_quality"}


def _validate(evaluation: dict | None) -> vi.RunContext:
    raw = copy.deepcopy(NOVA_INPUT)
    if evaluation is not None:
        raw["Evaluation"] = evaluation
    files = nova_files()
    return vi.validate_execution_input(
        raw,
        settings=vi.Settings.from_env(ENV),
        execution_name=EXEC_NAME,
        execution_arn=EXEC_ARN,
        fetch=lambda bucket, key: files.get((bucket, key)),
    )


def _lines(evaluation: dict) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        _validate(evaluation)
    return str(caught.value).splitlines()


def test_the_judge_is_off_by_default_and_absent_from_the_run_context():
    assert "Judge" not in _validate(None).to_state()["Evaluation"]


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
def test_model_ids_and_inference_profiles_reach_the_run_context(model_id):
    run = _validate({"Judge": {"ModelId": model_id}})
    assert run.to_state()["Evaluation"]["Judge"] == {"ModelId": model_id, "Rubric": "summary_quality"}


def test_a_custom_rubric_text_is_kept():
    rubric = "Prefer the summary a support engineer could act on without opening the ticket."
    run = _validate({"Judge": {**JUDGE, "Rubric": rubric}})
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
def test_a_bad_judge_is_one_line_naming_the_field_and_the_fix(judge, field, fix):
    (line,) = _lines({"Judge": judge})
    assert line.startswith(f"{field}: ") and fix in line


def test_a_policy_on_the_judge_needs_the_judge_and_every_problem_is_listed_at_once():
    lines = _lines({"Policy": {"Primary": "Judge", "Guards": [{"Metric": "ROUGE-L", "MaxLoss": 0.01}]}, "Margin": 2})
    assert any(x.startswith("Evaluation.Policy.Primary: Judge needs the LLM judge") for x in lines)
    assert any(x.startswith("Evaluation.Margin") for x in lines)
    run = _validate({"Judge": JUDGE, "Policy": {"Guards": [{"Metric": "Judge", "MaxLoss": 0.1}]}})
    assert run.Evaluation.Policy.Guards[0].Metric == "Judge"
