"""Schema errors as problem lines (issue 15: mutants of ``validation/schema_messages.py``, ``model_checks``
and ``evaluation_checks`` that no test caught).

Every kind of schema error the messages map has a line of its own. The keywords the execution input schema
does not use today (``exclusiveMinimum``, an email ``pattern`` outside ``oneOf``, a ``false`` subschema, a
keyword with no message of its own) are checked on small schemas of their own: a schema change must not
turn them into a crash or a wrong message.
"""

from __future__ import annotations

import copy
import dataclasses

from jsonschema import Draft202012Validator
from validation_cases import NOVA_INPUT

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation import evaluation_checks as ec
from workflow_lambdas.validation import model_checks as mc
from workflow_lambdas.validation import schema_messages as sm


def lines_for(schema: dict, instance) -> list[str]:
    """The problem lines of ``instance`` against a schema of the test's own."""
    errors = Draft202012Validator(schema).iter_errors(instance)
    return [str(p) for error in errors for p in sm._schema_problem(error)]


def input_lines(**fields) -> list[str]:
    raw = copy.deepcopy(NOVA_INPUT)
    raw.update(fields)
    return [str(p) for p in sm.schema_problems(raw)]


# --- keywords with a message of their own ----------------------------------------------------------------


def test_a_range_with_exclusive_bounds_names_both_bounds():
    schema = {"properties": {"Margin": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}}}
    assert lines_for(schema, {"Margin": 0}) == [
        "Margin: is 0, outside the allowed range; use a value from 0 to 1 (exclusive)"
    ]
    assert lines_for({"properties": {"Margin": {"minimum": 0.5, "maximum": 2}}}, {"Margin": 3}) == [
        "Margin: is 3, outside the allowed range; use a value from 0.5 to 2"
    ]


def test_a_pattern_outside_names_and_candidates_is_an_email_address():
    schema = {"properties": {"Recipient": {"type": "string", "pattern": "^[^@]+@[^@]+$"}}}
    assert lines_for(schema, {"Recipient": "nobody"}) == [
        'Recipient: "nobody" is not an email address; use an address like "ml-team@example.com"'
    ]


def test_a_pattern_three_levels_down_is_a_candidates_name_only_under_candidates():
    item = {"type": "object", "properties": {"Name": {"type": "string", "pattern": "^[a-z]+$"}}}
    schema = {"properties": {"Candidates": {"items": item}, "Reviewers": {"items": item}}}
    assert lines_for(schema, {"Reviewers": [{"Name": "x y"}]}) == [
        'Reviewers[0].Name: "x y" is not an email address; use an address like "ml-team@example.com"'
    ]
    assert lines_for(schema, {"Candidates": [{"Name": "x y"}]})[0].startswith(
        'Candidates[0].Name: "x y" cannot be part of resource names; '
    )


def test_a_shown_value_is_cut_at_80_characters():
    name = "a b" * 40
    shown = f'"{name}'[:80]
    assert f"JobName: {shown} has characters Bedrock does not accept; {sm.NAME_RULES}" in input_lines(JobName=name)


def test_a_wrong_type_shows_the_value_cut_at_40_characters():
    value = "x" * 60
    lines = input_lines(InferenceConfig=value)
    assert lines[0].startswith(f'InferenceConfig: is a string ("{"x" * 39}), expected object; use object')


def test_a_hyperparameter_that_is_a_list_or_object_is_told_its_text():
    lines = input_lines(HyperParameters={"epochCount": ["A"], "learningRate": {"Rate": 1}})
    assert lines == [
        "HyperParameters.epochCount: is a list, but Bedrock expects every hyperparameter as a string;"
        " write it as a string: \"['A']\"",
        "HyperParameters.learningRate: is an object, but Bedrock expects every hyperparameter as a string;"
        " write it as a string: \"{'Rate': 1}\"",
    ]


def test_an_unknown_field_of_an_object_without_properties_lists_no_known_fields():
    assert lines_for({"additionalProperties": False}, {"Extra": 1}) == [
        "Extra: is not a known field; remove it (known fields: )"
    ]


# --- keywords without a message of their own ------------------------------------------------------------


def test_a_keyword_without_a_message_of_its_own_says_what_the_schema_says():
    value = "v"
    schema = {"properties": {"Mode": {"const": "fixed-" * 40, "examples": ["fixed"]}}}
    message = Draft202012Validator(schema).iter_errors({"Mode": value}).__next__().message
    assert len(message) > 160
    assert lines_for(schema, {"Mode": value}) == [
        f'Mode: {message[:160]}; see the execution input schema, e.g. "fixed"'
    ]


def test_a_false_subschema_is_reported_without_an_example():
    (line,) = lines_for({"properties": {"Old": False}}, {"Old": 1})
    assert line.endswith(": False schema does not allow 1; see the execution input schema")


# --- model and judge lines ------------------------------------------------------------------------------


def test_an_unknown_id_of_a_family_lists_the_three_nearest_ids_however_far():
    problem = mc.unknown_model_problem("meta.llama")
    """No Llama id is near "meta.llama" at difflib's default cutoff (0.6): the three nearest are listed anyway."""
    assert problem.fix.startswith("use a known id such as meta.llama3-")
    assert len(problem.fix.split("such as ")[1].split(", or set")[0].split(", ")) == 3


def test_a_model_customizable_in_two_regions_names_both():
    model = dataclasses.replace(
        mf.lookup("amazon.nova-micro-v1:0:128k"), customization_regions=frozenset({"us-east-1", "eu-west-1"})
    )
    assert mc.region_problem(model, "ap-south-1").fix == "deploy the module in eu-west-1 or us-east-1, where it can be"


def test_a_short_rubric_is_shown_cut_at_60_characters():
    rubric = "é" * 20  # 20 characters, each 6 in JSON
    (problem,) = ec._rubric_problems(rubric)
    shown = ('"' + "\\u00e9" * 20)[:60]
    assert problem.message == f"{shown} is 20 characters, too short for a rubric"


def test_an_unknown_rubric_name_lists_every_shipped_rubric(monkeypatch):
    from workflow_lambdas import judge

    monkeypatch.setattr(judge, "RUBRICS", {"summary_quality": "s" * 50, "answer_quality": "a" * 50})
    (problem,) = ec._rubric_problems("tone")
    assert problem.fix == (
        f"use summary_quality or answer_quality, or write the rubric text itself (at least {ec.MIN_RUBRIC_CHARS}"
        " characters)"
    )
