"""``Evaluation`` of an input: its settings within the deployment's limits, the policy's guards, the judge."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from workflow_lambdas import model_families as mf
from workflow_lambdas.contract.evaluation import DEFAULT_RUBRIC, DEFAULT_SCORE_CONCURRENCY, EvaluationSettings
from workflow_lambdas.validation.check import InputCheck
from workflow_lambdas.validation.problems import Problem
from workflow_lambdas.validation.settings import Settings


def evaluation_settings(check: InputCheck, settings: Settings) -> EvaluationSettings:
    """``Evaluation`` with its defaults (the deployment's for ShardSize, MaxConcurrency, ScoreConcurrency)."""
    evaluation_raw = dict(check.raw["Evaluation"]) if check.given("Evaluation") else {}
    evaluation_raw.setdefault("ShardSize", settings.shard_size)
    evaluation_raw.setdefault("MaxConcurrency", settings.inference_max_concurrency)
    evaluation_raw.setdefault("ScoreConcurrency", min(DEFAULT_SCORE_CONCURRENCY, settings.score_max_concurrency))
    if evaluation_raw["ScoreConcurrency"] > settings.score_max_concurrency:
        check.problems.add(
            "Evaluation.ScoreConcurrency",
            f"is {evaluation_raw['ScoreConcurrency']}, more than the {settings.score_max_concurrency} "
            "score functions this deployment allows at once (Terraform score_max_concurrency)",
            f"use at most {settings.score_max_concurrency}, or raise score_max_concurrency (up to 960)",
        )
        evaluation_raw["ScoreConcurrency"] = settings.score_max_concurrency
    evaluation = EvaluationSettings(**evaluation_raw)
    if evaluation.Policy is not None:
        primary = evaluation.Policy.Primary or evaluation.Metric
        guarded = [g.Metric for g in evaluation.Policy.Guards]
        for n, name in enumerate(guarded):
            if name == primary or name in guarded[:n]:
                check.problems.add(
                    f"Evaluation.Policy.Guards[{n}].Metric",
                    f"{name} is {'the primary metric' if name == primary else 'guarded twice'}",
                    "guard each metric other than the primary one at most once",
                )
    return evaluation


JUDGE_EXAMPLE = '{"ModelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "Rubric": "summary_quality"}'
_JUDGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:(\d{12})?:"
    r"(foundation-model|inference-profile|application-inference-profile|provisioned-model)/[^/\s]+$"
)
_JUDGE_ID = re.compile(r"^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?[a-z][a-z0-9-]*\.[A-Za-z0-9._-]+(?::[0-9]+)?$")
MIN_RUBRIC_CHARS = 40


def judge_problems(evaluation: Mapping[str, Any], bad_paths: AbstractSet[str] = frozenset()) -> list[Problem]:
    """``Evaluation.Judge`` and the policy's use of the judge (from the raw ``Evaluation`` object, so that
    they are reported beside the schema's problems): one line per problem, with the fix."""

    problems: list[Problem] = []
    spec = found if isinstance(found := evaluation.get("Judge"), dict) else None
    policy = found if isinstance(found := evaluation.get("Policy"), dict) else {}
    guards = found if isinstance(found := policy.get("Guards"), list) else []
    uses = ["Evaluation.Policy.Primary"] if policy.get("Primary") == "Judge" else []
    uses += [
        f"Evaluation.Policy.Guards[{n}].Metric"
        for n, g in enumerate(guards)
        if isinstance(g, dict) and g.get("Metric") == "Judge"
    ]
    if spec is None:
        if "Judge" in evaluation:
            return problems  # not an object: the schema said so
        for field in uses:
            problems.append(
                Problem(
                    field,
                    "Judge needs the LLM judge, but Evaluation.Judge is not set",
                    f"add Evaluation.Judge, e.g. {JUDGE_EXAMPLE}, or use another metric",
                )
            )
        return problems
    model_id = spec.get("ModelId")
    if not isinstance(model_id, str) or "Evaluation.Judge.ModelId" in bad_paths:
        model_id = None
    rubric = spec.get("Rubric", DEFAULT_RUBRIC)
    if not isinstance(rubric, str) or "Evaluation.Judge.Rubric" in bad_paths:
        rubric = DEFAULT_RUBRIC
    problems += _judge_model_problems(model_id.strip()) if model_id else []
    return problems + _rubric_problems(rubric.strip())


def _rubric_problems(rubric: str) -> list[Problem]:
    """A rubric is a shipped one's name or the rubric text itself (at least MIN_RUBRIC_CHARS)."""
    from workflow_lambdas import judge

    if rubric in judge.RUBRICS or len(rubric) >= MIN_RUBRIC_CHARS:
        return []
    if re.fullmatch(r"[A-Za-z0-9_.-]+", rubric):
        what, fix = "is not a shipped rubric", f"use {' or '.join(judge.RUBRICS)}, or write the rubric text itself"
    else:
        what, fix = f"is {len(rubric)} characters, too short for a rubric", "say what makes one output better"
    return [
        Problem(
            "Evaluation.Judge.Rubric",
            f"{json.dumps(rubric)[:60]} {what}",
            f"{fix} (at least {MIN_RUBRIC_CHARS} characters)",
        )
    ]


def _judge_model_problems(model_id: str) -> list[Problem]:
    problems: list[Problem] = []
    family = mf.family_of(model_id)
    suffixed = mf.bare_model_id(model_id)
    if family == mf.COHERE:
        problems.append(
            Problem(
                "Evaluation.Judge.ModelId",
                f"{model_id} (legacy Cohere Command) does not support the Converse API the judge uses",
                "use a model that does, e.g. us.anthropic.claude-3-5-haiku-20241022-v1:0 or amazon.nova-pro-v1:0",
            )
        )
    elif re.search(r":\d+k$", suffixed):  # ":128k", also after a version (":0:128k")
        plain = re.sub(r":\d+k$", "", model_id)
        problems.append(
            Problem(
                "Evaluation.Judge.ModelId",
                f"{model_id} has a context suffix, which only customization jobs take",
                f"give the model id Converse takes: {plain}",
            )
        )
    elif not (_JUDGE_ARN.match(model_id) or _JUDGE_ID.match(model_id)):
        problems.append(
            Problem(
                "Evaluation.Judge.ModelId",
                f"{json.dumps(model_id)[:80]} is not a Bedrock model id or inference profile",
                "use a model id (amazon.nova-pro-v1:0), an inference profile id "
                "(us.anthropic.claude-3-5-haiku-20241022-v1:0) or an inference profile ARN",
            )
        )
    return problems
