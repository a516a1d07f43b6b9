"""Names of the run: its suffix, resource names, idempotency tokens, tags; the execution it belongs to."""

from __future__ import annotations

import hashlib
import re

from workflow_lambdas.validation.problems import Problems
from workflow_lambdas.validation.run_context import RequestTokens

NAME_MAX = 63
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
PROVISIONED_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
TAG_VALUE_PATTERN = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")  # Bedrock TagResource value pattern
EXECUTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):(?P<machine>[^:]+):(?P<name>[^:]+)(?::.*)?$"
)
RESERVED_CANDIDATE_NAMES = ("base", "custom")  # the model labels of the evaluation
CANDIDATE_NAME_RULES = "use 1-20 letters, digits and single '-', starting and ending with a letter or digit"


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


def _served_name(custom_model_name: str, tail: str) -> str:
    """``<custom model name>-<tail>`` in the names serving resources take (``^([0-9a-zA-Z][_-]?)+$``, 1-63)."""
    base = re.sub(r"[^0-9A-Za-z]+", "-", custom_model_name).strip("-") or "custom-model"
    base = base[: NAME_MAX - len(tail)].rstrip("-")
    return f"{base}{tail}"


def provisioned_model_name(custom_model_name: str, suffix: str) -> str:
    """Provisioned throughput name (``^([0-9a-zA-Z][_-]?)+$``, 1-63) for the run."""
    return _served_name(custom_model_name, f"-pt-{suffix}")


def deployment_name(custom_model_name: str, suffix: str) -> str:
    """Custom model deployment name for the run (``modelDeploymentName``: ``^([0-9a-zA-Z][_-]?)+$``, 1-63)."""
    return _served_name(custom_model_name, f"-od-{suffix}")


def _tokens(seed: str) -> RequestTokens:
    digest = hashlib.sha256(seed.encode()).hexdigest()[:40]
    return RequestTokens(
        Job=f"job-{digest}",
        Throughput=f"pt-{digest}",
        Deployment=f"deploy-{digest}",
        WinnerThroughput=f"winner-pt-{digest}",
    )


def client_request_tokens(execution_arn: str, execution_name: str) -> RequestTokens:
    """One token per create call, derived from the execution (a retried create sends the same token).

    Bedrock's ``ClientRequestToken`` pattern is ``[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?``, 1-256 characters
    (botocore's ``bedrock`` model, CreateModelCustomizationJob / CreateProvisionedModelThroughput /
    CreateCustomModelDeployment); ``<kind>-<sha256 hex>`` fits every one of them.
    """
    return _tokens(execution_arn or execution_name)


def candidate_tokens(execution_arn: str, execution_name: str, name: str) -> RequestTokens:
    """The run's token scheme, one set per candidate (a retried create of a candidate sends the same token)."""
    return _tokens(f"{execution_arn or execution_name}\0candidate\0{name}")


def region_of(execution_arn: str) -> str | None:
    """``arn:aws:states:<region>:...`` → region (where the run, and so its Bedrock calls, happen)."""
    parts = (execution_arn or "").split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def workflow_name_of(execution_arn: str) -> str | None:
    match = EXECUTION_ARN.match(execution_arn or "")
    return match.group("machine") if match else None


def execution_workflow(execution_arn: str, execution_name: str, problems: Problems) -> str:
    """The workflow (state machine) name of the execution; problems of an ARN or names tags cannot carry."""
    workflow_name = workflow_name_of(execution_arn)
    if workflow_name is None:
        problems.add(
            "ExecutionArn",
            f"{execution_arn!r} is not a Step Functions execution ARN",
            "pass $$.Execution.Id as ExecutionArn in the ValidateInput payload",
        )
        workflow_name = "unknown"
    for field, value in (("ExecutionName", execution_name), ("WorkflowName", workflow_name)):
        if not TAG_VALUE_PATTERN.match(value):
            problems.add(
                field,
                f"{value!r} has characters Bedrock tags do not accept",
                "use letters, digits, spaces and . _ : / = + @ - only",
            )
    return workflow_name
