"""``ValidateInput``: check an execution input before any spend and build the run context.

Event: ``{"Input": <execution input>, "ExecutionArn": "...", "ExecutionName": "..."}``.
Result: the run context (docs/contracts.md, "Run context").

Every problem is collected (schema, model family, hyperparameters, names,
datasets) and reported at once: ``InvalidInput`` whose message has one line per
problem, ``field: what is wrong; how to fix``. ``validate_execution_input`` is
pure apart from ``fetch``, so the CLI can validate against local files.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, Literal, get_args

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field, model_serializer
from pydantic import ValidationError as PydanticError

from workflow_lambdas import datasets as ds
from workflow_lambdas import model_families as mf
from workflow_lambdas import plan_shards
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.errors import InvalidInput
from workflow_lambdas.common.logs import bound, get_logger

logger = get_logger(__name__)

SCHEMA_PATH = Path(__file__).parent / "schemas" / "execution-input.schema.json"

DEFAULT_VALIDATION_FILE = "validation-data.json"
DEFAULT_REFERENCE_FILE = "reference-inference.json"
NAME_MAX = 63
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
PROVISIONED_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
TAG_VALUE_PATTERN = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")  # Bedrock TagResource value pattern
EXECUTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):(?P<machine>[^:]+):(?P<name>[^:]+)(?::.*)?$"
)
TRAINING_READ_CAP = 32 * 1024 * 1024  # bytes of the training file the Lambda checks (a prefix beyond)
# The evaluation set is read whole (larger is refused) and split into at most MAX_SHARDS shards:
# both bounds are derived in plan_shards from what the child workflow can finish.
VALIDATION_READ_CAP = plan_shards.VALIDATION_READ_CAP
MAX_SHARDS = plan_shards.MAX_SHARDS
MAX_REPORTED = 60  # problems listed in one InvalidInput message
# Shards scored at the same time when the input does not say (at most the module's score_max_concurrency).
DEFAULT_SCORE_CONCURRENCY = 40
TAG_RUN_ID = "bedrock-customize:run-id"
TAG_WORKFLOW = "bedrock-customize:workflow"
TAG_CANDIDATE = "bedrock-customize:candidate"
RESERVED_CANDIDATE_NAMES = ("base", "custom")  # the model labels of the evaluation
CANDIDATE_NAME_RULES = "use 1-20 letters, digits and single '-', starting and ending with a letter or digit"

Problem = ds.Problem
Fetch = Callable[[str, str], "bytes | None"]


class _NotChecked:
    def __repr__(self) -> str:
        return "NOT_CHECKED"


# What ``fetch`` returns for a dataset that is not available here (the CLI without that local file):
# its checks are skipped, no problem is reported.
NOT_CHECKED: Any = _NotChecked()


# --- settings ------------------------------------------------------------------------------


class Settings(BaseModel):
    """Environment of the function (set by Terraform)."""

    model_config = ConfigDict(frozen=True)

    training_bucket: str = Field(min_length=3, max_length=63)
    validation_bucket: str = Field(min_length=3, max_length=63)
    artifacts_bucket: str = Field(min_length=3, max_length=63)
    default_model_units: int = Field(default=1, ge=1)
    throughput_poll_seconds: int = Field(default=60, ge=1)
    throughput_max_polls: int = Field(default=90, ge=1)
    default_recipients: tuple[str, ...] = ()
    shard_size: int = Field(default=50, ge=1, le=1000)
    inference_max_concurrency: int = Field(default=4, ge=1, le=40)
    # Upper bound of Evaluation.ScoreConcurrency (Terraform score_max_concurrency): with the 40 inference
    # shards at most, a run's Shards Map stays within 1,000 concurrent iterations.
    score_max_concurrency: int = Field(default=200, ge=1, le=960)
    customization_timeout_seconds: int = Field(default=172800, ge=1)
    evaluation_timeout_seconds: int = Field(default=21600, ge=1)
    default_deployment: Literal["auto", "on_demand", "provisioned"] = "auto"
    deployment_poll_seconds: int = Field(default=30, ge=1)
    deployment_max_polls: int = Field(default=120, ge=1)
    max_candidates: int = Field(default=6, ge=2, le=20)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(name.upper())
            if raw is None or not raw.strip():
                continue
            if name == "default_recipients":
                values[name] = tuple(r.strip() for r in raw.split(",") if r.strip())
            else:
                values[name] = raw.strip()
        try:
            return cls(**values)
        except PydanticError as exc:
            lines = []
            for err in exc.errors():
                name = str(err["loc"][0])
                if err["type"] == "missing":
                    lines.append(f"{name.upper()}: is not set; set it in the function's environment (Terraform module)")
                    continue
                lines.append(
                    f"{name.upper()}: {values.get(name, err.get('input'))} is not allowed ({err['msg']}); "
                    f"set it to {cls._allowed(name)} in the function's environment (Terraform module)"
                )
            raise InvalidInput("\n".join(lines)) from None

    @classmethod
    def _allowed(cls, name: str) -> str:
        """What a setting accepts, from its field constraints: ``a whole number from 1 to 1000``."""
        info = cls.model_fields[name]
        bounds: dict[str, Any] = {}
        for item in info.metadata:
            for attr in ("ge", "le", "min_length", "max_length"):
                if getattr(item, attr, None) is not None:
                    bounds[attr] = getattr(item, attr)
        if getattr(info.annotation, "__origin__", None) is Literal:
            return " or ".join(get_args(info.annotation))
        if info.annotation is int:
            if "ge" in bounds and "le" in bounds:
                return f"a whole number from {bounds['ge']} to {bounds['le']}"
            return f"a whole number of at least {bounds['ge']}" if "ge" in bounds else "a whole number"
        if "min_length" in bounds and "max_length" in bounds:
            return f"a name of {bounds['min_length']} to {bounds['max_length']} characters"
        return "a valid value"


# --- run context -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValidationDataRef(_Strict):
    Bucket: str
    Key: str
    ReferenceKey: str | None


class InferenceSettings(_Strict):
    MaxTokens: int = 512
    Temperature: float = 0.0
    TopP: float = 1.0
    StopSequences: list[str] = Field(default_factory=list)


class PolicyGuard(_Strict):
    Metric: str
    MaxLoss: float


class PolicySettings(_Strict):
    """``Evaluation.Policy`` (the schema lists the metric names; the evaluator applies it)."""

    Primary: str | None = None
    Guards: list[PolicyGuard] = Field(default_factory=list)


class JudgeSettings(_Strict):
    """``Evaluation.Judge``: the optional LLM judge (workflow_lambdas.judge)."""

    ModelId: str
    Rubric: str = "summary_quality"  # workflow_lambdas.judge.DEFAULT_RUBRIC


class EvaluationSettings(_Strict):
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


class Tag(_Strict):
    Key: str
    Value: str


class RequestTokens(_Strict):
    """Idempotency tokens of the run's create calls (``ClientRequestToken``): same run, same tokens."""

    Job: str
    Throughput: str
    Deployment: str
    WinnerThroughput: str


class SweepCandidate(_Strict):
    """One candidate of a sweep: ``Run`` is a whole run context of its own (its names, tokens and tags),
    so the single-run Lambdas (deployment, release) handle a candidate exactly like a run."""

    Name: str
    BaseModelIdentifier: str
    HyperParameters: dict[str, str]
    Run: dict[str, Any]


class SweepSettings(_Strict):
    """``$.run.Sweep`` (only with ``Candidates``): the candidates, in input order, and the training fan-out."""

    MaxConcurrentJobs: int
    Candidates: list[SweepCandidate]


class RunContext(_Strict):
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


# --- schema ------------------------------------------------------------------------------------


@functools.cache
def load_schema() -> dict[str, Any]:
    """The execution input JSON Schema (the single definition of the input)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


def _path(parts: list[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "an object"


def _example(subschema: Mapping[str, Any]) -> str:
    examples = subschema.get("examples") or []
    return f", e.g. {json.dumps(examples[0])}" if examples else ""


def _property_schema(path: list[Any]) -> Mapping[str, Any]:
    schema: Mapping[str, Any] = load_schema()
    for part in path:
        if isinstance(part, int):
            return {}
        schema = schema.get("properties", {}).get(part, {})
    return schema


def _schema_problem(error: SchemaError) -> list[Problem]:
    path = list(error.absolute_path)
    field = _path(path) or "Input"
    # jsonschema's stubs type both as "Any | Unset"; a reported error always carries them.
    value: Any = error.instance
    rule: Any = error.validator_value
    sub = error.schema if isinstance(error.schema, Mapping) else {}
    kind = error.validator
    name_rules = "use 1-63 letters, digits, '-', '+' or '.', starting with a letter or digit"
    if kind == "required":
        missing = [k for k in rule if k not in value]
        return [
            Problem(_path([*path, k]), "is missing", f"add it{_example(_property_schema([*path, k]))}") for k in missing
        ]
    if kind == "additionalProperties":
        known = list(sub.get("properties", {}))
        problems = []
        for extra in sorted(set(value) - set(known)):
            close = difflib.get_close_matches(extra, known, n=1, cutoff=0.6)
            fix = f"did you mean {close[0]}?" if close else f"remove it (known fields: {', '.join(known)})"
            problems.append(Problem(_path([*path, extra]), "is not a known field", fix))
        return problems
    if kind == "type":
        expected = rule
        candidate_hp = len(path) == 4 and path[0] == "Candidates" and path[2] == "HyperParameters"
        if (path and path[0] == "HyperParameters" and len(path) == 2) or candidate_hp:
            shown = json.dumps(str(value).lower() if isinstance(value, bool) else str(value))
            return [
                Problem(
                    field,
                    f"is {_json_type(value)}, but Bedrock expects every hyperparameter as a string",
                    f"write it as a string: {shown}",
                )
            ]
        return [
            Problem(
                field,
                f"is {_json_type(value)} ({json.dumps(value)[:40]}), expected {expected}",
                f"use {expected}{_example(sub)}",
            )
        ]
    if kind == "enum":
        options = ", ".join(str(o) for o in rule)
        return [Problem(field, f"is {json.dumps(value)[:60]}, not one of {options}", f"use one of {options}")]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = sub.get("minimum", sub.get("exclusiveMinimum"))
        high = sub.get("maximum", sub.get("exclusiveMaximum"))
        return [
            Problem(
                field,
                f"is {value}, outside the allowed range",
                f"use a value from {low} to {high}{' (exclusive)' if 'exclusiveMaximum' in sub else ''}",
            )
        ]
    if kind == "pattern":
        if len(path) == 3 and path[0] == "Candidates" and path[2] == "Name":
            return [Problem(field, f"{json.dumps(value)[:80]} cannot be part of resource names", CANDIDATE_NAME_RULES)]
        if field in ("JobName", "CustomModelName"):
            return [Problem(field, f"{json.dumps(value)[:80]} has characters Bedrock does not accept", name_rules)]
        return [
            Problem(
                field, f"{json.dumps(value)[:80]} is not an email address", 'use an address like "ml-team@example.com"'
            )
        ]
    if kind == "maxLength":
        fix = (
            "shorten it (a run suffix is added within the limit)"
            if field in ("JobName", "CustomModelName")
            else "shorten it"
        )
        return [Problem(field, f"is {len(value)} characters long, more than {rule}", fix)]
    if kind == "minLength":
        return [Problem(field, "is empty", f"give a value{_example(_property_schema(path))}")]
    if kind == "oneOf" and path and path[0] == "NotificationEmail":
        return [
            Problem(
                field,
                f"{json.dumps(value)[:80]} is not an email address or a list of addresses",
                'use "ml-team@example.com" or ["a@example.com", "b@example.com"]',
            )
        ]
    if kind in ("minItems", "maxItems", "uniqueItems"):
        return [Problem(field, error.message[:120], f"fix the list{_example(_property_schema(path))}")]
    return [Problem(field, error.message[:160], f"see the execution input schema{_example(sub)}")]


def schema_problems(raw: Any) -> list[Problem]:
    """Problems of the input against the JSON Schema, in input order."""
    problems: list[Problem] = []
    for error in sorted(_validator().iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.extend(_schema_problem(error))
    return problems


# --- names --------------------------------------------------------------------------------------


def run_suffix(execution_arn: str, execution_name: str) -> str:
    """8 hex characters derived from the execution (stable across retries of the same run).

    The ARN is hashed when there is one: execution names are only unique per
    state machine, two deployments can both have an execution "run-1".
    """
    return hashlib.sha256((execution_arn or execution_name).encode()).hexdigest()[:8]


def unique_name(name: str, suffix: str, limit: int = NAME_MAX) -> str:
    """``name-suffix``, ``name`` shortened so that the result fits ``limit``."""
    base = name[: limit - len(suffix) - 1].rstrip("-+.") or name[:1]
    return f"{base}-{suffix}"


def provisioned_model_name(custom_model_name: str, suffix: str) -> str:
    """Provisioned throughput name (``^([0-9a-zA-Z][_-]?)+$``, 1-63) for the run."""
    tail = f"-pt-{suffix}"
    base = re.sub(r"[^0-9A-Za-z]+", "-", custom_model_name).strip("-") or "custom-model"
    base = base[: NAME_MAX - len(tail)].rstrip("-")
    return f"{base}{tail}"


def client_request_tokens(execution_arn: str, execution_name: str) -> RequestTokens:
    """One token per create call, derived from the execution (a retried create sends the same token).

    Bedrock's ``ClientRequestToken`` pattern is ``[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?``, 1-256 characters
    (botocore's ``bedrock`` model, CreateModelCustomizationJob / CreateProvisionedModelThroughput /
    CreateCustomModelDeployment); ``<kind>-<sha256 hex>`` fits every one of them.
    """
    digest = hashlib.sha256((execution_arn or execution_name).encode()).hexdigest()[:40]
    return RequestTokens(
        Job=f"job-{digest}",
        Throughput=f"pt-{digest}",
        Deployment=f"deploy-{digest}",
        WinnerThroughput=f"winner-pt-{digest}",
    )


def deployment_name(custom_model_name: str, suffix: str) -> str:
    """Custom model deployment name for the run (``modelDeploymentName``: ``^([0-9a-zA-Z][_-]?)+$``, 1-63)."""
    tail = f"-od-{suffix}"
    base = re.sub(r"[^0-9A-Za-z]+", "-", custom_model_name).strip("-") or "custom-model"
    base = base[: NAME_MAX - len(tail)].rstrip("-")
    return f"{base}{tail}"


def region_of(execution_arn: str) -> str | None:
    """``arn:aws:states:<region>:...`` → region (where the run, and so its Bedrock calls, happen)."""
    parts = (execution_arn or "").split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def resolve_deployment(
    raw: Mapping[str, Any], model: mf.BaseModel | None, region: str | None, settings: Settings, bad_top: set[str]
) -> tuple[str, str, str, list[Problem]]:
    """``(requested, mode, keep_as, problems)`` for ``Deployment`` and ``KeepWinnerAs`` (docs/contracts.md).

    auto = on_demand where ``model_families.on_demand_supported(model, region)`` (Bedrock user guide,
    "Deploy a custom model for on-demand inference"), otherwise provisioned.
    """
    problems: list[Problem] = []
    requested = raw.get("Deployment", settings.default_deployment) if "Deployment" not in bad_top else "auto"
    supported = model is not None and region is not None and mf.on_demand_supported(model, region)
    if requested == "on_demand" and not supported:
        what = model.display if model is not None else str(raw.get("BaseModelIdentifier"))
        problems.append(
            Problem(
                "Deployment",
                f"on_demand: {what} cannot be deployed for on-demand inference in {region or 'this region'}",
                'use "provisioned" (a no-commitment provisioned throughput) or "auto"',
            )
        )
    mode = "on_demand" if requested == "on_demand" or (requested == "auto" and supported) else "provisioned"
    keep_default = "deployment" if mode == "on_demand" else "provisioned_throughput"
    keep_as = raw.get("KeepWinnerAs", keep_default) if "KeepWinnerAs" not in bad_top else keep_default
    if mode == "provisioned" and keep_as == "deployment":
        problems.append(
            Problem(
                "KeepWinnerAs",
                f"deployment: this run is served by a provisioned throughput (Deployment {requested})",
                'leave KeepWinnerAs out (the winner keeps its throughput) or use Deployment "on_demand"',
            )
        )
    return requested, mode, keep_as, problems


def workflow_name_of(execution_arn: str) -> str | None:
    match = EXECUTION_ARN.match(execution_arn or "")
    return match.group("machine") if match else None


# --- checks -----------------------------------------------------------------------------------------


def _hyperparameter_problem(spec: mf.HyperParameter, value: str, model: mf.BaseModel) -> Problem | None:
    field = f"HyperParameters.{spec.name}"
    text = value.strip()
    if spec.kind == "bool":
        if text.lower() in ("true", "false"):
            return None
        return Problem(field, f"is {json.dumps(value)}, not a boolean", 'use "true" or "false"')
    try:
        number = float(text)
    except ValueError:
        return Problem(field, f"is {json.dumps(value)}, not a number", f"use {spec.describe()}")
    if not math.isfinite(number):
        return Problem(field, f"is {json.dumps(value)}, not a finite number", f"use {spec.describe()}")
    if spec.kind == "int":
        try:
            int(text)
        except ValueError:
            return Problem(field, f"is {json.dumps(value)}, not a whole number", f"use {spec.describe()}")
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (number <= low if spec.exclusive_minimum else number < low)
    too_high = high is not None and number > high
    if too_low or too_high:
        return Problem(field, f"is {value}, outside the range {model.display} accepts", f"use {spec.describe()}")
    return None


def _check_hyperparameters(hps: dict[str, Any], model: mf.BaseModel, skip: set[str], prefix: str = "") -> list[Problem]:
    specs = {hp.name: hp for hp in mf.hyperparameters_for(model)}
    problems = []
    for name, value in hps.items():
        field = f"{prefix}HyperParameters.{name}"
        if isinstance(value, bool):  # the schema reports the type; the value is still checked, in the same pass
            value = str(value).lower()
        elif isinstance(value, int | float):
            value = str(value)
        elif field in skip or not isinstance(value, str):
            continue
        spec = specs.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(specs), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                Problem(
                    field,
                    f"is not a hyperparameter of {model.display}",
                    f"{hint}{model.display} accepts {', '.join(s.describe() for s in specs.values())}",
                )
            )
            continue
        problem = _hyperparameter_problem(spec, value, model)
        if problem:
            problems.append(dataclasses.replace(problem, field=field))
    return problems


def _unknown_model_what(base: str) -> str:
    guess = mf.family_of(base)
    if guess is None:
        return "not a model this module knows"
    display = mf.FAMILY_RULES[guess].display
    return f"{mf.article(display)} {display} model this module does not know"


def _unknown_model_problem(base: str) -> Problem:
    """An unknown BaseModelIdentifier: the near known id when there is one, else the short list to pick from."""
    suffixed = mf.with_context_suffix(base)
    if suffixed:
        return Problem(
            "BaseModelIdentifier",
            f"{base} has no context suffix, which customization jobs need",
            f"add the context suffix: {suffixed}",
        )
    near = mf.near_model(base)
    if near:
        return Problem("BaseModelIdentifier", f"{base} is not a model id this module knows", f"did you mean {near}?")
    guess = mf.family_of(base)
    if guess is not None:
        known = mf.models_of(guess)
        shown = difflib.get_close_matches(base, known, n=3, cutoff=0) if len(known) > 4 else known
        choices = f"use {'one of' if len(shown) == len(known) else 'a known id such as'} {', '.join(shown)}"
    else:
        families = ", ".join(f.display.removesuffix(" (legacy)") for f in mf.FAMILY_RULES.values())
        choices = f"use a model of a known family ({families}), e.g. {next(iter(mf.BASE_MODELS))}"
    return Problem(
        "BaseModelIdentifier",
        f"{base} is {_unknown_model_what(base)}",
        f"{choices}, or set AllowUnknownModel to true to skip the model-specific checks",
    )


def _distillation(
    raw: dict[str, Any],
    ctype: str | None,
    model: mf.BaseModel | None,
    problems: list[Problem],
    warnings: list[Problem],
    given: Callable[[str], bool],
) -> dict[str, Any] | None:
    """The job's CustomizationConfig for DISTILLATION (None otherwise); problems of the teacher appended.

    HyperParameters stay as given: botocore's CreateModelCustomizationJob shape allows hyperParameters
    with any customizationType (customizationConfig is a union beside it).
    """
    example = '{"TeacherModelIdentifier": "us.amazon.nova-premier-v1:0", "MaxResponseLengthForInference": 1000}'
    if ctype != mf.DISTILLATION:
        if given("Distillation"):
            warnings.append(
                Problem(
                    "Distillation",
                    f"is ignored: CustomizationType is {ctype or 'not valid'}",
                    'set CustomizationType to "DISTILLATION" to distill, or leave Distillation out',
                )
            )
        return None
    if "Distillation" not in raw:
        problems.append(
            Problem("Distillation", "is missing: a DISTILLATION job needs a teacher model", f"add it, e.g. {example}")
        )
        return None
    if not given("Distillation"):
        return None  # the schema already reported it
    spec = raw["Distillation"]
    teacher_id = spec["TeacherModelIdentifier"]
    teacher = mf.teacher_of(teacher_id)
    if model is not None:
        paired = mf.teachers_for(model)
        if teacher is None or model.identifier not in teacher.students:
            what = (
                "is not a distillation teacher this module knows"
                if teacher is None
                else (f"({teacher.display}) is not paired with {model.display} as student")
            )
            fix = (
                f"use a teacher paired with {model.display}: {', '.join(paired)} (or its us. inference profile)"
                if paired
                else f"{model.display} is no distillation student; use FINE_TUNING"
            )
            problems.append(Problem("Distillation.TeacherModelIdentifier", f"{teacher_id} {what}", fix))
    config: dict[str, Any] = {"TeacherModelIdentifier": teacher_id}
    if "MaxResponseLengthForInference" in spec:
        config["MaxResponseLengthForInference"] = spec["MaxResponseLengthForInference"]
    return {"DistillationConfig": {"TeacherModelConfig": config}}


def _region_problem(model: mf.BaseModel, region: str) -> Problem:
    """A model the fine-tuning table does not list for this region: where it is, and what is customizable here."""
    where = " or ".join(sorted(model.customization_regions))
    here = [m.identifier for m in mf.BASE_MODELS.values() if mf.customizable_in(m, region)]
    instead = f", or pick a model customizable in {region}, e.g. {here[0]}" if here else ""
    return Problem(
        "BaseModelIdentifier",
        f"{model.identifier} ({model.display}) cannot be customized in {region}",
        f"deploy the module in {where}, where it can be{instead}",
    )


def _s3_key_problem(field: str, key: str, bucket: str) -> Problem | None:
    if key.startswith("s3://"):
        return Problem(
            field,
            f"{key} is an S3 URI, but a key in the bucket {bucket} is expected",
            f"upload the file to {bucket} and give its key, e.g. {key.rsplit('/', 1)[-1]}",
        )
    if key.startswith("/"):
        return Problem(field, f"{key} starts with '/'", "give the key without a leading '/'")
    return None


def _missing(field: str, bucket: str, key: str) -> Problem:
    return Problem(
        field,
        f"s3://{bucket}/{key} does not exist (or is not readable)",
        f"upload the file to the bucket {bucket} or correct the name",
    )


# --- the validation ------------------------------------------------------------------------------------


def validate_execution_input(
    raw: Any,
    *,
    settings: Settings,
    execution_name: str,
    execution_arn: str,
    fetch: Fetch,
    region: str | None = None,
) -> RunContext:
    """Validate an execution input and derive the run context, or raise ``InvalidInput``.

    ``region``: where the run's Bedrock jobs are created (the function's region: the Lambda's
    ``AWS_REGION``, or the region in the execution ARN); a known model not customizable there is a
    problem. None: the region is not checked.

    ``fetch(bucket, key)`` returns the object's bytes or None when it does not
    exist. It may return only the beginning of a large object as a ``bytes``
    subclass with a ``total_size`` attribute (the Lambda does so).
    """
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"Input: is {_json_type(raw)}, not a JSON object; start the execution with a JSON object input"
        )
    problems: list[Problem] = []
    warnings: list[Problem] = []

    problems.extend(schema_problems(raw))
    bad_paths = {p.field for p in problems}
    bad_top = {p.split(".")[0].split("[")[0] for p in bad_paths}

    def given(name: str) -> bool:
        return name in raw and name not in bad_top

    # execution
    workflow_name = workflow_name_of(execution_arn)
    if workflow_name is None:
        problems.append(
            Problem(
                "ExecutionArn",
                f"{execution_arn!r} is not a Step Functions execution ARN",
                "pass $$.Execution.Id as ExecutionArn in the ValidateInput payload",
            )
        )
        workflow_name = "unknown"
    for field, value in (("ExecutionName", execution_name), ("WorkflowName", workflow_name)):
        if not TAG_VALUE_PATTERN.match(value):
            problems.append(
                Problem(
                    field,
                    f"{value!r} has characters Bedrock tags do not accept",
                    "use letters, digits, spaces and . _ : / = + @ - only",
                )
            )
    suffix = run_suffix(execution_arn, execution_name)
    run_id = execution_name

    # model and customization type
    base = raw["BaseModelIdentifier"] if given("BaseModelIdentifier") else None
    ctype = raw.get("CustomizationType", mf.FINE_TUNING) if "CustomizationType" not in bad_top else None
    allow_unknown = raw.get("AllowUnknownModel") is True
    model = mf.lookup(base) if base else None
    if base and model is None:
        if allow_unknown:
            warnings.append(
                Problem(
                    "BaseModelIdentifier",
                    f"{base} is {_unknown_model_what(base)}",
                    "hyperparameters and training data format are not checked (AllowUnknownModel)",
                )
            )
        else:
            problems.append(_unknown_model_problem(base))
            suffixed = mf.with_context_suffix(base)
            if suffixed:  # only the suffix is missing: check the rest against the model meant (one pass)
                model = mf.lookup(suffixed)
    if model is not None and not model.customizable:
        # The ancestor's input (Cohere Command Light) parses; the model is refused in one line and its
        # own rules (hyperparameters, data format) are not checked.
        problems.append(
            Problem(
                "BaseModelIdentifier",
                f"{model.identifier} ({model.display}) can no longer be customized: the Bedrock "
                "fine-tuning table no longer lists it",
                f"pick a current model instead, e.g. {mf.successors_of(model)}, "
                "with its hyperparameters and data format",
            )
        )
        model = None
    if model is not None and region is not None and not mf.customizable_in(model, region):
        problems.append(_region_problem(model, region))
    family = model.family if model else None
    if model is not None:
        if ctype and ctype not in mf.customization_types_for(model):
            problems.append(
                Problem(
                    "CustomizationType",
                    f"{ctype} is not offered for {model.display}",
                    f"use {' or '.join(mf.customization_types_for(model))}",
                )
            )
        if model.note and "InferenceModelId" not in raw:
            warnings.append(
                Problem("InferenceModelId", model.note, "set InferenceModelId if the default id is refused")
            )
    customization_config = _distillation(raw, ctype, model, problems, warnings, given)

    # hyperparameters
    hps = raw.get("HyperParameters", {})
    if isinstance(hps, dict) and model is not None:
        problems.extend(_check_hyperparameters(hps, model, bad_paths))

    # names
    unique = raw.get("UniqueNames", True) is not False
    names: dict[str, str] = {}
    for field in ("JobName", "CustomModelName"):
        chosen = raw.get(field) if given(field) else None
        if chosen is None:
            continue
        names[field] = unique_name(chosen, suffix) if unique else chosen
    custom_model_name = raw["CustomModelName"] if given("CustomModelName") else "custom-model"
    provisioned_name = provisioned_model_name(custom_model_name, suffix)
    requested, deployment_mode, keep_as, deployment_problems = resolve_deployment(
        raw, model, region_of(execution_arn), settings, bad_top
    )
    problems.extend(deployment_problems)

    # inference settings
    inference_config = InferenceSettings(**raw["InferenceConfig"]) if given("InferenceConfig") else InferenceSettings()
    if model is not None and inference_config.MaxTokens > mf.max_output_tokens_for(model):
        limit = mf.max_output_tokens_for(model)
        problems.append(
            Problem(
                "InferenceConfig.MaxTokens",
                f"is {inference_config.MaxTokens}, more than the {limit} tokens {model.display} generates",
                f"use at most {limit}",
            )
        )
    if given("InferenceModelId"):
        inference_id = raw["InferenceModelId"]
        other = mf.family_of(inference_id)
        base_family = family or (mf.family_of(base) if base else None)
        if other and base_family and other != base_family:
            problems.append(
                Problem(
                    "InferenceModelId",
                    f"{inference_id} is a {other} model, the base model is {base_family}",
                    "compare against the same base model (leave InferenceModelId out for the default)",
                )
            )
    else:
        inference_id = mf.inference_model_id(base) if base else ""

    evaluation_raw = dict(raw["Evaluation"]) if given("Evaluation") else {}
    evaluation_raw.setdefault("ShardSize", settings.shard_size)
    evaluation_raw.setdefault("MaxConcurrency", settings.inference_max_concurrency)
    evaluation_raw.setdefault("ScoreConcurrency", min(DEFAULT_SCORE_CONCURRENCY, settings.score_max_concurrency))
    if evaluation_raw["ScoreConcurrency"] > settings.score_max_concurrency:
        problems.append(
            Problem(
                "Evaluation.ScoreConcurrency",
                f"is {evaluation_raw['ScoreConcurrency']}, more than the {settings.score_max_concurrency} "
                "score functions this deployment allows at once (Terraform score_max_concurrency)",
                f"use at most {settings.score_max_concurrency}, or raise score_max_concurrency (up to 960)",
            )
        )
        evaluation_raw["ScoreConcurrency"] = settings.score_max_concurrency
    evaluation = EvaluationSettings(**evaluation_raw)
    if evaluation.Policy is not None:
        primary = evaluation.Policy.Primary or evaluation.Metric
        guarded = [g.Metric for g in evaluation.Policy.Guards]
        for n, name in enumerate(guarded):
            if name == primary or name in guarded[:n]:
                problems.append(
                    Problem(
                        f"Evaluation.Policy.Guards[{n}].Metric",
                        f"{name} is {'the primary metric' if name == primary else 'guarded twice'}",
                        "guard each metric other than the primary one at most once",
                    )
                )

    raw_evaluation = found if isinstance(found := raw.get("Evaluation"), dict) else {}
    problems.extend(judge_problems(raw_evaluation, bad_paths))  # also when the schema refused a sibling

    # datasets (a local file standing in for one, in the CLI, is named "path (Field)" in its problems)
    local_labels: dict[str, str] = {}
    training_key = raw["TrainingDataFileName"] if given("TrainingDataFileName") else None
    if training_key is not None:
        key_problem = _s3_key_problem("TrainingDataFileName", training_key, settings.training_bucket)
        if key_problem:
            problems.append(key_problem)
        else:
            data = fetch(settings.training_bucket, training_key)
            if data is NOT_CHECKED:
                pass
            elif data is None:
                problems.append(_missing("TrainingDataFileName", settings.training_bucket, training_key))
            elif ctype is not None:
                name = _label("TrainingDataFileName", training_key, data, local_labels)
                problems.extend(
                    ds.check_training(data, family, ctype, name=name, total_size=getattr(data, "total_size", None))
                )

    validation_key = raw.get("ValidationDataFileName", DEFAULT_VALIDATION_FILE)
    reference_key: str | None = None
    if "ValidationDataFileName" not in bad_top:
        key_problem = _s3_key_problem("ValidationDataFileName", validation_key, settings.validation_bucket)
        data = None if key_problem else fetch(settings.validation_bucket, validation_key)
        if key_problem:
            problems.append(key_problem)
        elif data is NOT_CHECKED:
            pass
        elif data is None:
            problems.append(_missing("ValidationDataFileName", settings.validation_bucket, validation_key))
        elif getattr(data, "total_size", len(data)) > len(data):
            name = _label("ValidationDataFileName", validation_key, data, local_labels)
            problems.append(
                Problem(
                    "ValidationDataFileName",
                    f"{name} is larger than {VALIDATION_READ_CAP // (1024 * 1024)} MiB",
                    "evaluate on a smaller validation set (a few hundred to a few thousand records)",
                )
            )
        else:
            used_reference: list[str] = []
            problems.extend(
                _check_validation(
                    raw,
                    data,
                    validation_key,
                    _label("ValidationDataFileName", validation_key, data, local_labels),
                    local_labels,
                    settings,
                    model,
                    inference_config,
                    evaluation,
                    fetch,
                    warnings,
                    bad_top,
                    used_reference,
                )
            )
            reference_key = used_reference[0] if used_reference else None

    recipients: list[str]
    if given("NotificationEmail"):
        email = raw["NotificationEmail"]
        recipients = [email] if isinstance(email, str) else list(email)
    else:
        recipients = list(settings.default_recipients)
    if not recipients:
        warnings.append(
            Problem(
                "NotificationEmail",
                "no recipient is configured, no email will be sent",
                "set NotificationEmail or the module's default recipients",
            )
        )

    if "Candidates" in raw or "MaxConcurrentJobs" in raw:
        problems.extend(
            candidate_problems(
                raw,
                model=model,
                ctype=ctype,
                keep_as=keep_as,
                deployment_mode=deployment_mode,
                region=region,
                deploy_region=region_of(execution_arn),
                settings=settings,
                bad_paths=bad_paths,
                bad_top=bad_top,
            )
        )

    problems = [_name_local(p, local_labels) for p in problems]
    warnings = [_name_local(p, local_labels) for p in warnings]
    if problems:
        raise InvalidInput(_format(problems))

    context = RunContext(
        RunId=run_id,
        ExecutionArn=execution_arn,
        WorkflowName=workflow_name,
        JobName=names["JobName"],
        CustomModelName=names["CustomModelName"],
        BaseModelIdentifier=base,
        CustomizationType=ctype,
        CustomizationConfig=customization_config,
        HyperParameters=dict(hps),
        TrainingDataS3Uri=f"s3://{settings.training_bucket}/{training_key}",
        OutputDataS3Uri=f"s3://{settings.artifacts_bucket}/runs/{run_id}/customization/",
        ArtifactsBucket=settings.artifacts_bucket,
        RunPrefix=f"runs/{run_id}/",
        ValidationData=ValidationDataRef(
            Bucket=settings.validation_bucket, Key=validation_key, ReferenceKey=reference_key
        ),
        InferenceModelId=inference_id,
        InferenceConfig=inference_config,
        Evaluation=evaluation,
        ProvisionedModelName=provisioned_name,
        ProvisionedModelUnits=raw.get("ProvisionedModelUnits", settings.default_model_units),
        ThroughputPollSeconds=settings.throughput_poll_seconds,
        ThroughputMaxPolls=settings.throughput_max_polls,
        CustomizationTimeoutSeconds=settings.customization_timeout_seconds,
        EvaluationTimeoutSeconds=settings.evaluation_timeout_seconds,
        KeepThroughputOnWin=raw.get("KeepThroughputOnWin", True),
        KeepLosingCustomModel=raw.get("KeepLosingCustomModel", True),
        Recipients=recipients,
        RunTags=[Tag(Key=TAG_RUN_ID, Value=run_id), Tag(Key=TAG_WORKFLOW, Value=workflow_name)],
        DeploymentRequested=requested,
        DeploymentMode=deployment_mode,
        KeepWinnerAs=keep_as,
        CustomModelDeploymentName=deployment_name(custom_model_name, suffix),
        DeploymentPollSeconds=settings.deployment_poll_seconds,
        DeploymentMaxPolls=settings.deployment_max_polls,
        ClientRequestTokens=client_request_tokens(execution_arn, execution_name),
    )
    if given("Candidates"):
        context._sweep = sweep_settings(raw, context, execution_arn, execution_name, suffix, unique)
    context._warnings.extend(warnings)
    return context


# --- candidate sweep -----------------------------------------------------------------------------------


def candidate_problems(
    raw: dict[str, Any],
    *,
    model: mf.BaseModel | None,
    ctype: str | None,
    keep_as: str,
    deployment_mode: str,
    region: str | None,
    deploy_region: str | None,
    settings: Settings,
    bad_paths: set[str],
    bad_top: set[str],
) -> list[Problem]:
    """Problems of ``Candidates`` and ``MaxConcurrentJobs``: each candidate is checked like a single run
    (model, hyperparameters laid over the run's), names are unique, the sweep fits the module's limits."""
    problems: list[Problem] = []
    if "Candidates" not in raw:
        problems.append(
            Problem(
                "MaxConcurrentJobs",
                "is given without Candidates",
                'leave it out, or add Candidates, e.g. [{"Name": "a", "HyperParameters": {...}}, ...]',
            )
        )
        return problems
    candidates = raw["Candidates"]
    if not isinstance(candidates, list):
        return problems  # the schema reported it
    if len(candidates) > settings.max_candidates:
        problems.append(
            Problem(
                "Candidates",
                f"has {len(candidates)} candidates, more than the {settings.max_candidates} this module allows",
                f"keep at most {settings.max_candidates} (or raise the module's max_candidates)",
            )
        )
    if ctype == mf.DISTILLATION:
        problems.append(
            Problem(
                "Candidates",
                "cannot be combined with CustomizationType DISTILLATION",
                "sweep FINE_TUNING or CONTINUED_PRE_TRAINING candidates, or distill in a run without Candidates",
            )
        )
    evaluation = raw.get("Evaluation")
    if isinstance(evaluation, dict) and evaluation.get("Judge"):
        problems.append(
            Problem(
                "Evaluation.Judge",
                "cannot be combined with Candidates yet (the judge compares one custom model with the base)",
                "leave Evaluation.Judge out of a sweep, or judge the winner in a run of its own",
            )
        )
    if deployment_mode == "on_demand" and keep_as == "provisioned_throughput":
        problems.append(
            Problem(
                "KeepWinnerAs",
                "provisioned_throughput is not available with Candidates on the on-demand path",
                "leave KeepWinnerAs out (the winner keeps its deployment) or use Deployment provisioned",
            )
        )
    raw_hps = raw.get("HyperParameters")
    top_hps: dict[str, Any] = raw_hps if isinstance(raw_hps, dict) else {}
    seen: dict[str, int] = {}
    for index, candidate in enumerate(candidates):
        where = f"Candidates[{index}]"
        if not isinstance(candidate, dict):
            continue
        name = candidate.get("Name")
        if isinstance(name, str) and f"{where}.Name" not in bad_paths:
            key = name.lower()
            if key in RESERVED_CANDIDATE_NAMES:
                problems.append(
                    Problem(f"{where}.Name", f"{name} is reserved (the evaluation's model labels)", "pick another name")
                )
            elif key in seen:
                problems.append(
                    Problem(
                        f"{where}.Name",
                        f"{name} is also the name of Candidates[{seen[key]}] (names are compared ignoring case)",
                        "give every candidate its own name",
                    )
                )
            else:
                seen[key] = index
        own_base = candidate.get("BaseModelIdentifier")
        candidate_model = model
        if isinstance(own_base, str) and f"{where}.BaseModelIdentifier" not in bad_paths:
            candidate_model, base_problems = _candidate_model(
                own_base, where, model, raw, region, deploy_region, settings, deployment_mode, ctype
            )
            problems.extend(base_problems)
        hps = candidate.get("HyperParameters")
        if isinstance(hps, dict) and candidate_model is not None:
            prefix = f"{where}."
            own = _check_hyperparameters(hps, candidate_model, bad_paths, prefix)
            problems.extend(own)
            if candidate_model is not model:  # the run's defaults must fit the candidate's model too
                inherited = {k: v for k, v in top_hps.items() if k not in hps}
                problems.extend(_check_hyperparameters(inherited, candidate_model, bad_paths, prefix))
    return problems


def _candidate_model(
    base: str,
    where: str,
    run_model: mf.BaseModel | None,
    raw: dict[str, Any],
    region: str | None,
    deploy_region: str | None,
    settings: Settings,
    deployment_mode: str,
    ctype: str | None,
) -> tuple[mf.BaseModel | None, list[Problem]]:
    """A candidate's own base model, checked like the run's: known, customizable here, same data format,
    served the same way (on demand or provisioned) as the run."""
    field = f"{where}.BaseModelIdentifier"
    problems: list[Problem] = []
    model = mf.lookup(base)
    if model is None:
        if raw.get("AllowUnknownModel") is True:
            return None, problems
        problem = _unknown_model_problem(base)
        return None, [dataclasses.replace(problem, field=field)]
    if not model.customizable:
        return None, [
            Problem(
                field,
                f"{model.identifier} ({model.display}) can no longer be customized",
                f"pick a current model instead, e.g. {mf.successors_of(model)}",
            )
        ]
    if region is not None and not mf.customizable_in(model, region):
        problems.append(dataclasses.replace(_region_problem(model, region), field=field))
    if run_model is not None and model.family != run_model.family:
        problems.append(
            Problem(
                field,
                f"{model.display} reads another training data format than the run's {run_model.display}",
                f"use a {run_model.family} model (the candidates share the run's training data)",
            )
        )
    if ctype and ctype not in mf.customization_types_for(model):
        problems.append(
            Problem(
                field,
                f"{model.display} does not offer {ctype}",
                f"use a model offering {ctype}",
            )
        )
    requested = raw.get("Deployment", settings.default_deployment)
    run_region = deploy_region
    supported = run_region is not None and mf.on_demand_supported(model, run_region)
    mode = "on_demand" if requested == "on_demand" or (requested == "auto" and supported) else "provisioned"
    if mode != deployment_mode or (mode == "on_demand" and run_region is not None and not supported):
        problems.append(
            Problem(
                field,
                f"{model.display} would be served {mode.replace('_', '-')}, "
                f"the run's base model {deployment_mode.replace('_', '-')}",
                'pick a model served the same way, or set Deployment to "provisioned" for every candidate',
            )
        )
    return model, problems


def candidate_tokens(execution_arn: str, execution_name: str, name: str) -> RequestTokens:
    """The run's token scheme, one set per candidate (a retried create of a candidate sends the same token)."""
    digest = hashlib.sha256(f"{execution_arn or execution_name}\0candidate\0{name}".encode()).hexdigest()[:40]
    return RequestTokens(
        Job=f"job-{digest}",
        Throughput=f"pt-{digest}",
        Deployment=f"deploy-{digest}",
        WinnerThroughput=f"winner-pt-{digest}",
    )


def sweep_settings(
    raw: dict[str, Any], run: RunContext, execution_arn: str, execution_name: str, suffix: str, unique: bool
) -> SweepSettings:
    """``$.run.Sweep``: per candidate a run context of its own: names carry the candidate before the run
    suffix (never cut off), tokens and tags are the candidate's, output under ``customization/<name>/``."""
    top_hps = dict(raw.get("HyperParameters") or {})
    custom_model_name = raw["CustomModelName"]
    candidates: list[SweepCandidate] = []
    for candidate in raw["Candidates"]:
        name = candidate["Name"]
        tail = f"{name}-{suffix}"
        hps = {**top_hps, **candidate["HyperParameters"]}
        base = candidate.get("BaseModelIdentifier") or run.BaseModelIdentifier

        def named(value: str, tail: str = tail, name: str = name) -> str:
            return unique_name(value, tail) if unique else unique_name(value, name)

        own = run.model_copy(
            update={
                "JobName": named(raw["JobName"]),
                "CustomModelName": named(custom_model_name),
                "BaseModelIdentifier": base,
                "HyperParameters": hps,
                "OutputDataS3Uri": f"{run.OutputDataS3Uri}{name}/",
                "ProvisionedModelName": provisioned_model_name(custom_model_name, tail),
                "CustomModelDeploymentName": deployment_name(custom_model_name, tail),
                "RunTags": [*run.RunTags, Tag(Key=TAG_CANDIDATE, Value=name)],
                "ClientRequestTokens": candidate_tokens(execution_arn, execution_name, name),
            }
        )
        candidates.append(SweepCandidate(Name=name, BaseModelIdentifier=base, HyperParameters=hps, Run=own.to_state()))
    return SweepSettings(MaxConcurrentJobs=raw.get("MaxConcurrentJobs", 2), Candidates=candidates)


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
    from workflow_lambdas import judge

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
    rubric = spec.get("Rubric", judge.DEFAULT_RUBRIC)
    if not isinstance(rubric, str) or "Evaluation.Judge.Rubric" in bad_paths:
        rubric = judge.DEFAULT_RUBRIC
    problems += _judge_model_problems(model_id.strip()) if model_id else []
    rubric = rubric.strip()
    if rubric not in judge.RUBRICS and len(rubric) < MIN_RUBRIC_CHARS:
        if re.fullmatch(r"[A-Za-z0-9_.-]+", rubric):
            what, fix = "is not a shipped rubric", f"use {' or '.join(judge.RUBRICS)}, or write the rubric text itself"
        else:
            what, fix = f"is {len(rubric)} characters, too short for a rubric", "say what makes one output better"
        problems.append(
            Problem(
                "Evaluation.Judge.Rubric",
                f"{json.dumps(rubric)[:60]} {what}",
                f"{fix} (at least {MIN_RUBRIC_CHARS} characters)",
            )
        )
    return problems


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
    elif re.search(r":\d+:\d+k$", suffixed) or re.search(r":\d+k$", suffixed):
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


def _label(field: str, key: str, data: Any, local_labels: dict[str, str]) -> str:
    """The name problems use for a dataset: its key, or ``path (Field)`` when ``fetch`` read a local file."""
    source = getattr(data, "source", None)
    label = ds.file_label(field, key, source)
    if source:
        local_labels[field] = label
    return label


def _name_local(problem: Problem, local_labels: dict[str, str]) -> Problem:
    """A problem whose message starts with its own local file's ``path (Field)`` drops the ``Field:`` prefix."""
    label = local_labels.get(problem.field)
    if label and problem.message.startswith(label):
        return dataclasses.replace(problem, named=True)
    return problem


def _check_validation(
    raw: dict[str, Any],
    data: bytes,
    validation_key: str,
    validation_name: str,
    local_labels: dict[str, str],
    settings: Settings,
    model: mf.BaseModel | None,
    inference_config: InferenceSettings,
    evaluation: EvaluationSettings,
    fetch: Fetch,
    warnings: list[Problem],
    bad_top: set[str],
    out_reference: list[str],
) -> list[Problem]:
    """Problems of the evaluation set; appends the reference key to ``out_reference`` when one is used."""
    problems: list[Problem] = []
    references: bytes | None = None
    reference_missing = False
    reference_key = raw.get("ReferenceDataFileName", DEFAULT_REFERENCE_FILE)
    if not ds.references_needed(data):
        if "ReferenceDataFileName" in raw:
            warnings.append(
                Problem(
                    "ReferenceDataFileName",
                    f"is ignored: the records of {validation_name} carry their own reference",
                    "leave ReferenceDataFileName out",
                )
            )
    elif "ReferenceDataFileName" not in bad_top:
        key_problem = _s3_key_problem("ReferenceDataFileName", reference_key, settings.validation_bucket)
        references = None if key_problem else fetch(settings.validation_bucket, reference_key)
        if key_problem:
            problems.append(key_problem)
            reference_missing = True
        elif references is NOT_CHECKED:
            references = None
            reference_missing = True
        elif references is None:
            problems.append(_missing("ReferenceDataFileName", settings.validation_bucket, reference_key))
            reference_missing = True
        else:
            out_reference.append(reference_key)
    else:
        reference_missing = True
    reference_name = (
        _label("ReferenceDataFileName", reference_key, references, local_labels)
        if references is not None
        else reference_key
    )

    max_prompt_chars = ds.DEFAULT_MAX_PROMPT_CHARS
    if model is not None:
        # ~4 characters per token; a sanity bound, not a tokenizer.
        max_prompt_chars = min(max_prompt_chars, max(1_000, (model.context_tokens - inference_config.MaxTokens) * 4))
    try:
        records = ds.parse_validation(
            data,
            references,
            validation_name=validation_name,
            reference_name=reference_name,
            max_prompt_chars=max_prompt_chars,
        )
    except ds.DatasetProblems as exc:
        problems.extend(p for p in exc.problems if not (reference_missing and p.field == ds.REFERENCE_FIELD))
        return problems
    shards = math.ceil(len(records) / evaluation.ShardSize)
    if shards > MAX_SHARDS:
        problems.append(
            Problem(
                "Evaluation.ShardSize",
                f"{len(records)} records in shards of {evaluation.ShardSize} "
                f"make {shards} shards, more than the {MAX_SHARDS} one run can finish "
                "(PlanShards writes and Aggregate reads every shard within their Lambda timeouts)",
                f"use a ShardSize of at least {math.ceil(len(records) / MAX_SHARDS)}",
            )
        )
    return problems


def _format(problems: list[Problem]) -> str:
    """One line per problem; the lines of one field together, fields in the order they were first found."""
    first: dict[str, int] = {}
    for index, problem in enumerate(problems):
        first.setdefault(problem.field, index)
    ordered = sorted(problems, key=lambda p: first[p.field])
    lines = list(dict.fromkeys(str(p) for p in ordered))
    if len(lines) > MAX_REPORTED:
        lines = [*lines[:MAX_REPORTED], f"Input: {len(lines) - MAX_REPORTED} more problems not shown; fix these first"]
    return "\n".join(lines)


# --- S3 and handler -----------------------------------------------------------------------------------


class Fetched(bytes):
    """The first bytes of an S3 object, with the size of the whole object.

    ``source``: the local file read instead (the CLI); problems then name it as ``path (Field)``.
    """

    total_size: int
    source: str | None = None


def s3_fetcher(s3: Any, cap: int) -> Fetch:
    """``fetch(bucket, key)`` reading at most ``cap`` bytes; None if the object is missing or unreadable."""

    def fetch(bucket: str, key: str) -> bytes | None:
        try:
            response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{cap - 1}")
        except s3.exceptions.NoSuchKey:
            return None
        except Exception as exc:  # botocore ClientError: classify by code
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "InvalidRange":  # an empty object cannot be read with a Range
                empty = Fetched(b"")
                empty.total_size = 0
                return empty
            if code in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "NoSuchBucket"):
                return None
            raise
        body = Fetched(response["Body"].read())
        content_range = response.get("ContentRange") or ""
        body.total_size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else len(body)
        return body

    return fetch


_FUNCTION_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):")


def function_region(context: Any) -> str | None:
    """The region this function runs in, where the run's Bedrock jobs are created: ``AWS_REGION`` (set by
    the Lambda runtime, "Defined runtime environment variables"), else the region of the invoked function's
    ARN (``context.invoked_function_arn``); None when neither says."""
    region = os.environ.get("AWS_REGION")
    if region:
        return region
    match = _FUNCTION_ARN_REGION.match(str(getattr(context, "invoked_function_arn", "") or ""))
    return match.group("region") if match else None


@bound
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = ValidateEvent.model_validate(event)
    except PydanticError as exc:
        raise InvalidInput(
            "\n".join(
                f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}; pass Input, ExecutionArn ($$.Execution.Id) "
                "and ExecutionName ($$.Execution.Name) in the ValidateInput payload"
                for err in exc.errors()
            )
        ) from None
    settings = Settings.from_env()
    s3 = client("s3")

    def fetch(bucket: str, key: str) -> bytes | None:
        cap = TRAINING_READ_CAP if bucket == settings.training_bucket else VALIDATION_READ_CAP
        return s3_fetcher(s3, cap)(bucket, key)

    try:
        run = validate_execution_input(
            request.Input,
            settings=settings,
            execution_name=request.ExecutionName,
            execution_arn=request.ExecutionArn,
            fetch=fetch,
            region=function_region(context),
        )
    except InvalidInput as exc:
        logger.warning("invalid input for %s:\n%s", request.ExecutionName, exc)
        raise
    for warning in run.warnings:
        logger.warning("%s", warning)
    return run.to_state()
