"""ValidateInput at its limits (issue 15: mutants of the validation boundaries that no test caught).

A value exactly at a limit is accepted and the next one refused, each by the one line that names the field:
a hyperparameter at its maximum and minimum, ``InferenceConfig.MaxTokens`` at the model's output limit, the
fewest training records Bedrock accepts, the shard cap; and a reference file with more references than prompts.
"""

from __future__ import annotations

import copy
import json

import pytest
from validation_cases import (
    A_REF,
    ANCESTOR_INPUT,
    LLAMA_INPUT,
    NOVA_INPUT,
    TRAIN,
    VALID,
    ancestor_files,
    conversation_rows,
    eval_rows,
    jsonl,
    nova_files,
)

from workflow_lambdas import model_families as mf
from workflow_lambdas import plan_shards

NOVA = mf.lookup(NOVA_INPUT["BaseModelIdentifier"])
assert NOVA is not None


def nova(**hyperparameters: str) -> dict:
    raw = copy.deepcopy(NOVA_INPUT)
    raw["HyperParameters"].update(hyperparameters)
    return raw


def _number(value: float, kind: str) -> str:
    return str(int(value)) if kind == "int" else repr(float(value))


@pytest.mark.parametrize("hp", [h for h in mf.hyperparameters_for(NOVA) if h.maximum is not None], ids=lambda h: h.name)
def test_a_hyperparameter_at_its_maximum_is_accepted_and_above_it_refused(hp, validate, problem_lines):
    context = validate(nova(**{hp.name: _number(hp.maximum, hp.kind)}), nova_files())
    assert float(context.HyperParameters[hp.name]) == hp.maximum
    above = hp.maximum + 1 if hp.kind == "int" else hp.maximum * 1.5
    (line,) = problem_lines(nova(**{hp.name: _number(above, hp.kind)}), nova_files())
    assert line.startswith(f"HyperParameters.{hp.name}: ") and "outside the range" in line


@pytest.mark.parametrize("hp", [h for h in mf.hyperparameters_for(NOVA) if h.minimum is not None], ids=lambda h: h.name)
def test_a_hyperparameter_at_its_minimum_is_accepted_and_below_it_refused(hp, validate, problem_lines):
    assert not hp.exclusive_minimum
    context = validate(nova(**{hp.name: _number(hp.minimum, hp.kind)}), nova_files())
    assert float(context.HyperParameters[hp.name]) == hp.minimum
    below = hp.minimum - 1 if hp.kind == "int" else hp.minimum / 2
    (line,) = problem_lines(nova(**{hp.name: _number(below, hp.kind)}), nova_files())
    assert line.startswith(f"HyperParameters.{hp.name}: ") and "outside the range" in line


def test_max_tokens_at_the_model_limit_is_accepted_and_one_more_refused(validate, problem_lines):
    limit = mf.max_output_tokens_for(NOVA)
    raw = nova()
    raw["InferenceConfig"]["MaxTokens"] = limit
    assert validate(raw, nova_files()).InferenceConfig.MaxTokens == limit
    raw["InferenceConfig"]["MaxTokens"] = limit + 1
    (line,) = problem_lines(raw, nova_files())
    assert line.startswith("InferenceConfig.MaxTokens: ") and str(limit) in line


def test_the_fewest_training_records_bedrock_accepts_are_enough_and_one_fewer_is_refused(validate, problem_lines):
    rules = mf.data_rules(NOVA.family, "FINE_TUNING")
    assert rules is not None
    files = nova_files()
    files[(TRAIN, "nova/train.jsonl")] = jsonl(conversation_rows(rules.min_records))
    validate(nova(), files)
    files[(TRAIN, "nova/train.jsonl")] = jsonl(conversation_rows(rules.min_records - 1))
    (line,) = problem_lines(nova(), files)
    assert line.startswith("TrainingDataFileName: ") and f"fewer than the {rules.min_records}" in line


def test_records_filling_the_shard_cap_exactly_are_accepted_and_one_more_refused(validate, problem_lines):
    cap = plan_shards.MAX_SHARDS
    raw = nova()
    raw["Evaluation"]["ShardSize"] = 1
    files = nova_files()
    files[(VALID, "nova/validation.jsonl")] = jsonl(eval_rows(cap))
    assert validate(raw, files).Evaluation.ShardSize == 1
    files[(VALID, "nova/validation.jsonl")] = jsonl(eval_rows(cap + 1))
    (line,) = problem_lines(raw, files)
    assert line.startswith("Evaluation.ShardSize: ") and str(cap) in line


@pytest.mark.parametrize("extra", [1, -1], ids=["more_references", "fewer_references"])
def test_a_reference_file_that_does_not_match_the_prompts_is_one_invalid_input_line(extra, problem_lines):
    files = ancestor_files()
    references = json.loads(files[A_REF])
    references = references + ["One more reference."] if extra > 0 else references[:-1]
    files[A_REF] = json.dumps(references).encode()
    (line,) = problem_lines(copy.deepcopy(LLAMA_INPUT), files)
    assert line.startswith("ReferenceDataFileName: ")
    assert f"has {len(references)} references" in line and "one reference per prompt" in line


def test_the_ancestor_files_still_validate_for_a_current_model(validate):
    """The fixture the reference tests edit is valid as it is (so they test the one change)."""
    assert ANCESTOR_INPUT["TrainingDataFileName"] == LLAMA_INPUT["TrainingDataFileName"]
    validate(copy.deepcopy(LLAMA_INPUT), ancestor_files())
