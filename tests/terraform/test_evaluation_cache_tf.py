"""The evaluation cache in Terraform: one prefix (modules/storage), its expiry, and who may use it."""

from __future__ import annotations

import json

import tfparse

from bertscore_evaluator import cache as evaluator_cache
from workflow_lambdas.common import cache as lambdas_cache

ROOT = tfparse.REPO_ROOT


def _block(module: str, kind: str, *labels: str) -> dict:
    found = [b.body for b in tfparse.blocks(ROOT / module, kind) if b.labels == labels]
    assert len(found) == 1, (module, kind, labels)
    return found[0]


def _storage_prefix() -> str:
    values: dict = {}
    for block in tfparse.blocks(ROOT / "modules" / "storage", "locals"):
        values.update(block.body)
    return values["cache_prefix"]


def test_the_prefix_is_defined_once_and_the_code_defaults_follow_it():
    prefix = _storage_prefix()
    assert prefix == lambdas_cache.DEFAULT_PREFIX == evaluator_cache.DEFAULT_PREFIX == "cache/"
    assert _block("modules/storage", "output", "cache_prefix")["value"] == "${local.cache_prefix}"
    evaluation = _block(".", "module", "evaluation")
    assert evaluation["cache_prefix"] == "${module.storage.cache_prefix}"
    assert lambdas_cache.PREFIX_ENV == evaluator_cache.PREFIX_ENV == "CACHE_PREFIX"


def test_infer_and_score_get_the_prefix_and_nothing_else_does():
    specs = {s.function_key: s for s in tfparse.all_lambda_functions(ROOT)}
    with_prefix = {key for key, spec in specs.items() if "CACHE_PREFIX" in spec.environment}
    assert with_prefix == {"infer", "score"}
    for key in with_prefix:
        assert specs[key].environment["CACHE_PREFIX"] == "${var.cache_prefix}"


def test_a_lifecycle_rule_expires_the_cache_after_the_validated_days():
    lifecycle = _block("modules/storage", "resource", "aws_s3_bucket_lifecycle_configuration", "this")
    rules = {}
    for dynamic in lifecycle["dynamic"]:
        body = dynamic["rule"]
        rules[body["content"][0]["id"]] = body
    cache_rule = rules["expire-evaluation-cache"]
    assert "local.cache_prefix" in cache_rule["for_each"] and 'each.key == \\"artifacts\\"' in json.dumps(
        cache_rule["for_each"]
    )
    content = cache_rule["content"][0]
    assert content["filter"] == [{"prefix": "${rule.value}"}]
    assert content["expiration"] == [{"days": "${var.cache_expiration_days}"}]
    assert "remove-expired-cache-delete-markers" in rules
    for module in ("modules/storage", "."):
        variable = _block(module, "variable", "cache_expiration_days")
        assert variable["description"] and variable["default"] == 30 and variable["validation"]
    assert _block(".", "module", "storage")["cache_expiration_days"] == "${var.cache_expiration_days}"


def test_only_infer_and_score_may_read_and_write_the_cache_prefix():
    policy = _block("modules/evaluation", "data", "aws_iam_policy_document", "evaluation_cache")
    statements = {s["sid"]: s for s in policy["statement"]}
    assert statements["EvaluationCacheReadWrite"]["actions"] == ["s3:GetObject", "s3:PutObject"]
    assert statements["EvaluationCacheReadWrite"]["resources"] == ["${var.artifacts_bucket_arn}/${var.cache_prefix}*"]
    assert statements["ListEvaluationCache"]["condition"][0]["values"] == ["${var.cache_prefix}*"]
    reference = "${data.aws_iam_policy_document.evaluation_cache.json}"
    for function in ("infer", "score"):
        documents = _block("modules/evaluation", "data", "aws_iam_policy_document", function)["source_policy_documents"]
        assert reference in documents, function
    for function in ("plan_shards", "aggregate", "state_machine"):
        body = _block("modules/evaluation", "data", "aws_iam_policy_document", function)
        assert reference not in body.get("source_policy_documents", []), function
        assert "cache_prefix" not in json.dumps(body), function
