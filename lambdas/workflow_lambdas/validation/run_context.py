"""The run context (``$.run``, docs/contracts.md "Run context"): what later states need, derived once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from workflow_lambdas.contract.evaluation import EvaluationSettings, Strict
from workflow_lambdas.validation.problems import Problem


class ValidationDataRef(Strict):
    Bucket: str
    Key: str
    ReferenceKey: str | None


class InferenceSettings(Strict):
    MaxTokens: int = 512
    Temperature: float = 0.0
    TopP: float = 1.0
    StopSequences: list[str] = Field(default_factory=list)


class Tag(Strict):
    Key: str
    Value: str


class RequestTokens(Strict):
    """Idempotency tokens of the run's create calls (``ClientRequestToken``): same run, same tokens."""

    Job: str
    Throughput: str
    Deployment: str
    WinnerThroughput: str


class SweepCandidate(Strict):
    """One candidate of a sweep: ``Run`` is a whole run context of its own (its names, tokens and tags),
    so the single-run Lambdas (deployment, release) handle a candidate exactly like a run."""

    Name: str
    BaseModelIdentifier: str
    HyperParameters: dict[str, str]
    Run: dict[str, Any]


class SweepSettings(Strict):
    """``$.run.Sweep`` (only with ``Candidates``): the candidates, in input order, and the training fan-out."""

    MaxConcurrentJobs: int
    Candidates: list[SweepCandidate]


class RunContext(Strict):
    """``$.run``: everything later states need, derived once."""

    RunId: str
    ExecutionArn: str
    WorkflowName: str
    JobName: str
    CustomModelName: str
    BaseModelIdentifier: str
    CustomizationType: Literal["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"]
    # CreateModelCustomizationJob customizationConfig: null, or for DISTILLATION
    # {"DistillationConfig": {"TeacherModelConfig": {"TeacherModelIdentifier", "MaxResponseLengthForInference"}}}.
    CustomizationConfig: dict[str, Any] | None
    HyperParameters: dict[str, str]
    TrainingDataS3Uri: str
    OutputDataS3Uri: str
    ArtifactsBucket: str
    RunPrefix: str
    ValidationData: ValidationDataRef
    InferenceModelId: str
    InferenceConfig: InferenceSettings
    Evaluation: EvaluationSettings
    ProvisionedModelName: str
    ProvisionedModelUnits: int
    ThroughputPollSeconds: int
    ThroughputMaxPolls: int
    CustomizationTimeoutSeconds: int
    EvaluationTimeoutSeconds: int
    KeepThroughputOnWin: bool
    KeepLosingCustomModel: bool
    Recipients: list[str]
    RunTags: list[Tag]
    DeploymentRequested: Literal["auto", "on_demand", "provisioned"]
    DeploymentMode: Literal["on_demand", "provisioned"]
    KeepWinnerAs: Literal["deployment", "provisioned_throughput"]
    CustomModelDeploymentName: str
    DeploymentPollSeconds: int
    DeploymentMaxPolls: int
    ClientRequestTokens: RequestTokens

    _warnings: list[Problem] = PrivateAttr(default_factory=list)
    # ``Sweep`` of the state, only with Candidates (kept out of the fields: a single run's context is as it was).
    _sweep: SweepSettings | None = PrivateAttr(default=None)

    @property
    def sweep(self) -> SweepSettings | None:
        return self._sweep

    @property
    def warnings(self) -> list[Problem]:
        """Things worth telling the user that do not stop the run (not part of the state)."""
        return self._warnings

    def to_state(self) -> dict[str, Any]:
        state = self.model_dump(mode="json")
        if self._sweep is not None:
            state["Sweep"] = self._sweep.model_dump(mode="json")
        return state


class ValidateEvent(BaseModel):
    Input: Any
    ExecutionArn: str = Field(min_length=1)
    ExecutionName: str = Field(min_length=1, max_length=80)
