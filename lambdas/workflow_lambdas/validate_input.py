"""``ValidateInput``: check an execution input before any spend and build the run context.

Event: ``{"Input": <execution input>, "ExecutionArn": "...", "ExecutionName": "..."}``.
Result: the run context (docs/contracts.md, "Run context").

The checks live in ``workflow_lambdas.validation`` (``validation.context.validate_execution_input``, one
module a concern); this module is the Lambda handler and keeps the names the CLI and the tests use.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticError

from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.contract.errors import InvalidInput
from workflow_lambdas.contract.evaluation import DEFAULT_SCORE_CONCURRENCY, EvaluationSettings
from workflow_lambdas.contract.tags import CANDIDATE as TAG_CANDIDATE
from workflow_lambdas.validation.context import validate_execution_input
from workflow_lambdas.validation.dataset_inputs import DEFAULT_REFERENCE_FILE, DEFAULT_VALIDATION_FILE, missing_object
from workflow_lambdas.validation.fetch import (
    NOT_CHECKED,
    TRAINING_READ_CAP,
    VALIDATION_READ_CAP,
    Fetch,
    Fetched,
    s3_fetcher,
)
from workflow_lambdas.validation.names import (
    NAME_PATTERN,
    PROVISIONED_NAME_PATTERN,
    client_request_tokens,
    provisioned_model_name,
    run_suffix,
    workflow_name_of,
)
from workflow_lambdas.validation.run_context import RunContext
from workflow_lambdas.validation.schema_messages import load_schema, schema_problems
from workflow_lambdas.validation.settings import Settings

__all__ = [
    "DEFAULT_REFERENCE_FILE",
    "DEFAULT_SCORE_CONCURRENCY",
    "DEFAULT_VALIDATION_FILE",
    "NAME_PATTERN",
    "NOT_CHECKED",
    "PROVISIONED_NAME_PATTERN",
    "TAG_CANDIDATE",
    "TRAINING_READ_CAP",
    "VALIDATION_READ_CAP",
    "EvaluationSettings",
    "Fetch",
    "Fetched",
    "RunContext",
    "Settings",
    "client_request_tokens",
    "function_region",
    "handler",
    "load_schema",
    "missing_object",
    "provisioned_model_name",
    "run_suffix",
    "s3_fetcher",
    "schema_problems",
    "validate_execution_input",
    "workflow_name_of",
]

logger = get_logger(__name__)


class ValidateEvent(BaseModel):
    Input: Any
    ExecutionArn: str = Field(min_length=1)
    ExecutionName: str = Field(min_length=1, max_length=80)


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
