"""Find a deployment's buckets and settings from its parent state machine ARN.

The parent definition's first state (``ValidateInput``) names the validate_input function; that
function's environment (set by Terraform: ``TRAINING_BUCKET``, ``VALIDATION_BUCKET``,
``ARTIFACTS_BUCKET``, ``SHARD_SIZE``, ...) is exactly what the Lambda validates against, so reading
it gives the CLI the same buckets and limits without any naming convention or extra outputs.
Needs ``states:DescribeStateMachine`` and ``lambda:GetFunctionConfiguration``; without the latter,
``--training-bucket``/``--validation-bucket``/``--artifacts-bucket`` give the buckets directly.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from typing import Any

from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput

from .aws_session import Aws, describe_client_error

STATE_MACHINE_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_.-]+$")
LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")


class DeploymentError(Exception):
    """The deployment cannot be found or read: one line naming the flag and the fix."""


def add_bucket_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment buckets (default: read from the validate_input function)")
    group.add_argument("--training-bucket", metavar="NAME", help="the deployment's training bucket")
    group.add_argument("--validation-bucket", metavar="NAME", help="the deployment's validation bucket")
    group.add_argument("--artifacts-bucket", metavar="NAME", help="the deployment's artifacts bucket")


@dataclass
class Deployment:
    state_machine_arn: str
    validate_function: str | None
    settings: vi.Settings
    definition: dict[str, Any]

    def execution_arn(self, name: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def check_state_machine_arn(arn: str) -> None:
    if not STATE_MACHINE_ARN.match(arn or ""):
        raise DeploymentError(
            f"--state-machine: {arn!r} is not a state machine ARN; use the module output state_machine_arn "
            "(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)"
        )


def validate_function_of(definition: dict[str, Any]) -> str | None:
    """The function ARN of the ``ValidateInput`` state (or of the first state, when it is a Lambda task)."""
    states = definition.get("States") or {}
    state = states.get("ValidateInput") or states.get(definition.get("StartAt", "")) or {}
    resource = state.get("Resource", "")
    if LAMBDA_ARN.match(resource):
        return resource
    if resource.startswith("arn:aws:states:::lambda:invoke"):
        name = (state.get("Parameters") or {}).get("FunctionName")
        return name if isinstance(name, str) else None
    return None


def find_deployment(aws: Aws, state_machine_arn: str, args: argparse.Namespace | None = None) -> Deployment:
    check_state_machine_arn(state_machine_arn)
    sfn = aws.client("stepfunctions")
    try:
        described = sfn.describe_state_machine(stateMachineArn=state_machine_arn)
    except Exception as exc:
        raise DeploymentError(
            f"--state-machine: cannot describe {state_machine_arn} ({describe_client_error(exc)}); "
            "check the ARN, --region/--profile or --endpoint-url"
        ) from None
    definition = json.loads(described["definition"])
    function = validate_function_of(definition)
    overrides = {
        "TRAINING_BUCKET": getattr(args, "training_bucket", None),
        "VALIDATION_BUCKET": getattr(args, "validation_bucket", None),
        "ARTIFACTS_BUCKET": getattr(args, "artifacts_bucket", None),
    }
    environment: dict[str, str] = {}
    if function is not None:
        try:
            config = aws.client("lambda").get_function_configuration(FunctionName=function)
            environment = dict((config.get("Environment") or {}).get("Variables") or {})
        except Exception as exc:
            if not all(overrides.values()):
                raise DeploymentError(
                    f"--state-machine: cannot read the environment of {function} ({describe_client_error(exc)}); "
                    "allow lambda:GetFunctionConfiguration or pass --training-bucket, --validation-bucket and "
                    "--artifacts-bucket"
                ) from None
    elif not all(overrides.values()):
        raise DeploymentError(
            f"--state-machine: {state_machine_arn} has no ValidateInput Lambda task; is it the parent state machine "
            "of the module (output state_machine_arn)? Otherwise pass --training-bucket, --validation-bucket and "
            "--artifacts-bucket"
        )
    environment.update({k: v for k, v in overrides.items() if v})
    try:
        settings = vi.Settings.from_env(environment)
    except InvalidInput as exc:
        first = str(exc).splitlines()[0]
        raise DeploymentError(f"{function or state_machine_arn}: {first}") from None
    return Deployment(state_machine_arn, function, settings, definition)
