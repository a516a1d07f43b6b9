"""The run context's defaults are defined once (workflow_lambdas.contract.evaluation): the readers take
what is missing from there, and the execution-input JSON Schema documents the same values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bertscore_evaluator import handlers, report, stats
from workflow_lambdas import plan_shards, release_throughput
from workflow_lambdas.contract import evaluation as contract
from workflow_lambdas.validation.run_context import InferenceSettings

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "lambdas/workflow_lambdas/schemas/execution-input.schema.json").read_text()
)


def _schema_defaults(name: str) -> dict:
    return {k: v["default"] for k, v in SCHEMA["properties"][name]["properties"].items() if "default" in v}


def test_the_schema_documents_the_contract_defaults():
    documented = _schema_defaults("Evaluation")
    assert documented  # the schema has defaults to compare
    for field, value in documented.items():
        assert getattr(contract.DEFAULTS, field) == value, field
    for field, value in _schema_defaults("InferenceConfig").items():
        assert getattr(InferenceSettings(), field) == value, field


def test_the_verdict_policy_takes_every_missing_value_from_the_contract(monkeypatch):
    monkeypatch.setattr(
        contract,
        "DEFAULTS",
        contract.EvaluationSettings(Margin=0.25, ConfidenceLevel=0.8, BootstrapResamples=200, MinPairs=3, Seed=11),
    )
    # the readers bound the object at import: a changed contract must be what they read, so rebind it
    monkeypatch.setattr(stats, "DEFAULTS", contract.DEFAULTS)
    policy = stats.Policy.from_evaluation({})
    assert (policy.margin, policy.confidence_level, policy.resamples, policy.min_pairs, policy.seed) == (
        0.25,
        0.8,
        200,
        3,
        11,
    )


@pytest.mark.parametrize("field", ["Metric", "Margin", "ConfidenceLevel", "BootstrapResamples", "MinPairs", "Seed"])
def test_an_empty_evaluation_means_the_contract_defaults_to_the_evaluator(field):
    attribute = {
        "Metric": "metric",
        "Margin": "margin",
        "ConfidenceLevel": "confidence_level",
        "BootstrapResamples": "resamples",
        "MinPairs": "min_pairs",
        "Seed": "seed",
    }[field]
    assert getattr(stats.Policy.from_evaluation({}), attribute) == getattr(contract.DEFAULTS, field)
    assert getattr(stats.Policy(), attribute) == getattr(contract.DEFAULTS, field)


def test_the_other_readers_share_the_contract_defaults():
    assert release_throughput.EvaluationOptions().OnInconclusive == contract.DEFAULTS.OnInconclusive
    assert plan_shards._Evaluation().ShardSize == contract.DEFAULTS.ShardSize
    assert handlers._cache_enabled({}) is contract.DEFAULTS.Cache
    assert handlers._cache_enabled({"Evaluation": {"Cache": False}}) is False
    assert report._action_policy({}) == report._action_policy({"OnInconclusive": contract.DEFAULTS.OnInconclusive})
