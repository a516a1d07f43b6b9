"""``Evaluation`` of the run context (``$.run.Evaluation``), with the one definition of its defaults.

ValidateInput builds it from the execution input (and writes it whole into the run context); every
later reader takes what is missing from :data:`DEFAULTS`, never from a default of its own: the
evaluator's verdict policy (``bertscore_evaluator.stats.Policy``), the release's ``OnInconclusive``
(``workflow_lambdas.release_throughput``), the shard size of PlanShards and the cache switch of infer
and score. The execution-input JSON Schema documents the same defaults (a test compares them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_serializer

# Shards scored at the same time when the input does not say (at most the module's score_max_concurrency).
DEFAULT_SCORE_CONCURRENCY = 40
#: The judge's built-in rubric (workflow_lambdas.judge holds its text).
DEFAULT_RUBRIC = "summary_quality"


class Strict(BaseModel):
    """An object of the run context: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class PolicyGuard(Strict):
    Metric: str
    MaxLoss: float


class PolicySettings(Strict):
    """``Evaluation.Policy`` (the schema lists the metric names; the evaluator applies it)."""

    Primary: str | None = None
    Guards: list[PolicyGuard] = Field(default_factory=list)


class JudgeSettings(Strict):
    """``Evaluation.Judge``: the optional LLM judge (workflow_lambdas.judge)."""

    ModelId: str
    Rubric: str = DEFAULT_RUBRIC


class EvaluationSettings(Strict):
    Metric: Literal["F1", "Precision", "Recall"] = "F1"
    Policy: PolicySettings | None = None
    Judge: JudgeSettings | None = None
    Margin: float = 0.0
    ConfidenceLevel: float = 0.95
    BootstrapResamples: int = 1000
    RequireSignificance: bool = True
    MinPairs: int = 10
    OnInconclusive: Literal["KEEP", "RELEASE"] = "RELEASE"
    Cache: bool = True  # the evaluation cache (infer: base outputs; score: embeddings)
    ShardSize: int = 50
    MaxConcurrency: int = 4
    ScoreConcurrency: int = DEFAULT_SCORE_CONCURRENCY
    Seed: int = 7

    @computed_field  # type: ignore[prop-decorator]
    @property
    def MapConcurrency(self) -> int:
        """MaxConcurrency of the child's Shards Map (``MaxConcurrencyPath``): inference shards plus
        scoring shards, since one iteration infers and then scores its shard (docs/contracts.md)."""
        return self.MaxConcurrency + self.ScoreConcurrency

    @model_serializer(mode="wrap")
    def _without_unset_policy(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for optional in ("Policy", "Judge"):
            if data.get(optional) is None:
                data.pop(optional, None)  # the run context of a run without them is as it was
        if data.get("Cache") is True:
            data.pop("Cache")  # on by default (infer and score read a missing Cache as true)
        return data


#: Every default of ``Evaluation``, for the readers of the run context.
DEFAULTS = EvaluationSettings()
