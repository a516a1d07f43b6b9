"""``release_stopped_run``: the safety net for runs that end without running their own cleanup.

A run that is stopped by hand (``StopExecution``, the console's Stop button) or times out
never enters a ``Catch``, so ``ReleaseAfterFailure`` never runs. Step Functions then emits a
"Step Functions Execution Status Change" event; the module's EventBridge rule sends the
``ABORTED``, ``TIMED_OUT`` and ``FAILED`` ones of the parent workflow here.

Event: the EventBridge event (``detail.executionArn``, ``detail.name``, ``detail.status``,
``detail.startDate``). Result: ``{"RunId", "Status", "Released": [...], "Refused": [...],
"AlreadyGone": [...]}``.

Which throughputs: every provisioned throughput whose tags carry this run's id (the
execution name) and workflow name (the state machine name), the same ownership rule as
``release_throughput``; they are found by listing (created at or after the execution
started) rather than by name, so one whose create call was still in flight when the run
stopped is found too. A run's own policy to keep a throughput never applies here: these
statuses are never a successful run. A throughput with a commitment term is never
deleted (reported in ``Refused``). A FAILED run normally released its throughput
already; then nothing is found and nothing is done (idempotent).

A throughput still ``Creating`` that Bedrock refuses to delete yet is polled until it can
be deleted or the invocation is about to time out; then ``ThroughputStillCreating`` is
raised so that Lambda's asynchronous retries (configured by the module) try again.

Step Functions delivers status-change events on a best-effort basis, so the module also
invokes this function on a schedule with ``{"Sweep": true, "StateMachineArn": <parent>}``:
every throughput tagged with this workflow's name is checked against its run's execution
(``DescribeExecution``); those of ABORTED, TIMED_OUT and FAILED runs are deleted the same
way. A RUNNING or SUCCEEDED run's throughput is never touched (a kept winner stays), nor is
one whose execution Step Functions no longer knows (its history expired): logged instead.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow_lambdas import resources
from workflow_lambdas.common.aws import client
from workflow_lambdas.common.aws_errors import error_code, is_not_found
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.contract import tags as tags_contract
from workflow_lambdas.contract.errors import StoppedRunEventError, ThroughputStillCreating

logger = get_logger(__name__)

STATUSES = ("ABORTED", "TIMED_OUT", "FAILED")
POLL_SECONDS = 30.0
SAFETY_MARGIN_MS = 45_000  # leave time to report before the function times out
# Bedrock answers a delete of a throughput it is still creating with one of these.
NOT_DELETABLE_YET = {"ConflictException", "ValidationException", "ResourceInUseException"}


class ExecutionDetail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    executionArn: str = Field(min_length=1)
    name: str = Field(min_length=1)
    status: str
    startDate: int | float | None = None  # epoch milliseconds


class SweepEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Sweep: Literal[True]
    StateMachineArn: str = Field(pattern=r"^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$")


class StatusChangeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source: str
    detail_type: str = Field(alias="detail-type")
    detail: ExecutionDetail


def workflow_name(execution_arn: str) -> str:
    """``arn:aws:states:<region>:<account>:execution:<state machine>:<execution>`` → state machine name."""
    parts = execution_arn.split(":")
    if len(parts) < 8 or parts[5] != "execution":
        raise StoppedRunEventError(f"detail.executionArn {execution_arn!r} is not a Step Functions execution ARN")
    return parts[6]


tagged_throughputs = resources.tagged_throughputs


def release_stopped_run(
    event: StatusChangeEvent,
    *,
    bedrock: Any,
    remaining_ms: Callable[[], int] = lambda: 10**9,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    detail = event.detail
    run_id = detail.name
    result: dict[str, Any] = {
        "RunId": run_id,
        "Status": detail.status,
        "Released": [],
        "Refused": [],
        "AlreadyGone": [],
    }
    if detail.status not in STATUSES:
        logger.info("run %s ended %s: nothing to do", run_id, detail.status)
        return result
    workflow = workflow_name(detail.executionArn)
    started = dt.datetime.fromtimestamp(detail.startDate / 1000, tz=dt.UTC) if detail.startDate is not None else None

    # clock skew between services: one minute of margin before the start
    filters = {"creationTimeAfter": started - dt.timedelta(minutes=1)} if started is not None else {}
    # Listed completely before deleting: a deletion must not shift the pages being read.
    owned = [
        (arn, tags)
        for arn, tags in tagged_throughputs(bedrock, **filters)
        if tags_contract.owned(tags, run_id, workflow)
    ]
    for arn, tags in owned:
        _release_one(bedrock, arn, tags, workflow, detail.status, result, remaining_ms, sleep)
    # Custom model deployments (on-demand path), by the same ownership rule (workflow_lambdas.resources).
    dep_filters = {"createdAfter": started - dt.timedelta(minutes=1)} if started is not None else {}
    owned_deployments = [
        arn
        for arn, tags in resources.tagged_deployments(bedrock, **dep_filters)
        if tags_contract.owned(tags, run_id, workflow)
    ]
    for arn in owned_deployments:
        _release_deployment(bedrock, arn, run_id, workflow, detail.status, result, sleep)
    return result


def _release_deployment(
    bedrock: Any,
    arn: str,
    run_id: str,
    workflow: str,
    status: str,
    result: dict[str, Any],
    sleep: Callable[[float], None],
) -> None:
    action, _ = resources.release_deployment(bedrock, arn, run_id, workflow, sleep=sleep)
    logger.warning("run %s was %s: custom model deployment %s %s", run_id, status, arn, action)
    result["Released" if action == "DELETED" else "AlreadyGone"].append(arn)


def _release_one(
    bedrock: Any,
    arn: str,
    tags: dict[str, str],
    workflow: str,
    status: str,
    result: dict[str, Any],
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None],
) -> None:
    """Delete one throughput of a stopped run (``tags``: as listed); record the outcome in ``result``."""
    run_id = tags.get(tags_contract.RUN_ID, "")
    try:
        details = resources.call(lambda: bedrock.get_provisioned_model_throughput(provisionedModelId=arn))
    except ClientError as exc:
        if is_not_found(exc):
            result["AlreadyGone"].append(arn)
            return
        raise

    def wait_until_deletable(exc: ClientError) -> None:
        code = error_code(exc)
        if code not in NOT_DELETABLE_YET:
            raise exc
        if remaining_ms() < SAFETY_MARGIN_MS + POLL_SECONDS * 1000:
            raise ThroughputStillCreating(
                f"run {run_id} was {status}: {arn} cannot be deleted yet ({code}); retried later"
            ) from exc
        logger.info("run %s: %s not deletable yet (%s), waiting", run_id, arn, code)
        sleep(POLL_SECONDS)

    action, commitment = resources.release_throughput(
        bedrock, arn, run_id, workflow, details=details, sleep=sleep, tags=tags, not_deletable_yet=wait_until_deletable
    )
    if action == resources.REFUSED:
        logger.error("run %s: %s has a %s commitment term: not deleted", run_id, arn, commitment)
        result["Refused"].append(arn)
    elif action == resources.ALREADY_GONE:
        result["AlreadyGone"].append(arn)
    else:
        logger.warning("run %s was %s: deleted its provisioned throughput %s", run_id, status, arn)
        result["Released"].append(arn)


def sweep(
    event: SweepEvent,
    *,
    bedrock: Any,
    states: Any,
    remaining_ms: Callable[[], int] = lambda: 10**9,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Release the throughputs of every ended-but-unsuccessful run of the workflow (see module doc)."""
    machine_arn = event.StateMachineArn
    workflow = machine_arn.rsplit(":", 1)[-1]
    execution_prefix = machine_arn.replace(":stateMachine:", ":execution:", 1)
    result: dict[str, Any] = {"Sweep": workflow, "Released": [], "Refused": [], "AlreadyGone": [], "Unknown": []}
    runs: dict[str, dict[str, dict[str, str]]] = {}  # run id -> arn -> its tags
    for arn, tags in [*tagged_throughputs(bedrock), *resources.tagged_deployments(bedrock)]:
        if tags.get(tags_contract.WORKFLOW) == workflow and tags.get(tags_contract.RUN_ID):
            runs.setdefault(tags[tags_contract.RUN_ID], {})[arn] = tags
    for run_id, tagged in sorted(runs.items()):
        arns = list(tagged)
        try:
            status = states.describe_execution(executionArn=f"{execution_prefix}:{run_id}")["status"]
        except ClientError as exc:
            if error_code(exc) in ("ExecutionDoesNotExist", "ResourceNotFound"):
                logger.error(
                    "sweep: run %s of %s is unknown to Step Functions; throughputs %s left", run_id, workflow, arns
                )
                result["Unknown"] += arns
                continue
            raise
        if status not in STATUSES:
            continue
        for arn in arns:
            if ":custom-model-deployment/" in arn:
                _release_deployment(bedrock, arn, run_id, workflow, status, result, sleep)
            else:
                _release_one(bedrock, arn, tagged[arn], workflow, status, result, remaining_ms, sleep)
    return result


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = remaining if callable(remaining) else (lambda: 10**9)
    model = SweepEvent if isinstance(event, dict) and "Sweep" in event else StatusChangeEvent
    try:
        parsed = model.model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise StoppedRunEventError(
            f"{where}: {first['msg']}; send a Step Functions Execution Status Change event, "
            'or {"Sweep": true, "StateMachineArn": <parent state machine ARN>}'
        ) from None
    if isinstance(parsed, SweepEvent):
        return sweep(parsed, bedrock=client("bedrock"), states=client("stepfunctions"), remaining_ms=remaining_ms)
    return release_stopped_run(parsed, bedrock=client("bedrock"), remaining_ms=remaining_ms)
