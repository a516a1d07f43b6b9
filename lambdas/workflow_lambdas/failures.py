"""What failed in a run, in words: the failing step, the service's own message and the next step.

``describe_failure(state)`` reads the parent workflow's state document at ``NotifyFailure`` (or the
state a failed execution left in its history) and returns a :class:`Failure`. The notify function
builds the failure email from it and the CLI (``demo``, ``start --watch``, ``report``) prints it.

The failing step is read from what the state holds (which sections exist, the error's name), because
the Catch that leads to ``NotifyFailure`` only adds ``$.error``. The service's message is found in
the error ``Cause`` shapes the workflow produces:

- ``bedrock:createModelCustomizationJob.sync``: the ``GetModelCustomizationJob`` description as JSON
  (``Status``, ``FailureMessage``; botocore's ``failureMessage``), or ``$.customization.FailureMessage``
  when a later step of the template copied it there;
- a Lambda error: ``{"errorMessage", "errorType", ...}`` as JSON;
- ``states:startExecution.sync:2``: the child's DescribeExecution as JSON, whose ``Cause`` is one of these;
- the Pass states ``ThroughputFailed``/``ThroughputTimedOut`` (and their deployment twins): plain text;
- an ``aws-sdk`` call's error: plain text.

``FAILURES`` is the one table from failing step to subject, headline and next step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_RAW_CAUSE = 4000
MAX_MESSAGE = 1500


@dataclass(frozen=True)
class Kind:
    state: str  # the state of the parent workflow that failed
    subject: str  # what failed, in the email subject: "training job failed"
    next_step: str


# kind -> (failing state, subject, next step). One table: add a row for a new failing state.
FAILURES: dict[str, Kind] = {
    "input": Kind(
        "ValidateInput",
        "input is invalid",
        "Fix the fields named above and start the run again; `bedrock-customize validate INPUT.json` "
        "checks an input before anything is spent.",
    ),
    "job_failed": Kind(
        "CustomizeModel",
        "training job failed",
        "Fix what the job's message says (usually the training data or a hyperparameter) and start a new "
        "run; the job's details are in the Bedrock console under Custom models > Jobs. Nothing is billed "
        "after a failed job.",
    ),
    "job_stopped": Kind(
        "CustomizeModel",
        "training job was stopped",
        "The job was stopped before it finished (StopModelCustomizationJob or the console); start a new run "
        "when you want the model.",
    ),
    "job_timeout": Kind(
        "CustomizeModel",
        "training job timed out",
        "The job did not finish within customization_timeout_seconds: check the job in the Bedrock console "
        "(stop it if it is still running), then raise the timeout or train on less data and start a new run.",
    ),
    "job_rejected": Kind(
        "CustomizeModel",
        "training job could not be started",
        "Bedrock refused CreateModelCustomizationJob: fix what the message says (model access, the service "
        "role, a quota or a parameter) and start a new run.",
    ),
    "throughput_not_created": Kind(
        "ProvisionThroughput",
        "throughput could not be created",
        "Bedrock refused CreateProvisionedModelThroughput: check the message (often the provisioned "
        "throughput quota in Service Quotas > Amazon Bedrock), then start a new run. The custom model is kept.",
    ),
    "throughput_failed": Kind(
        "ThroughputFailed",
        "throughput never became ready",
        "The provisioned throughput reached status Failed and was released; check the custom model in the "
        "Bedrock console and start a new run (or buy a throughput for it by hand).",
    ),
    "throughput_timeout": Kind(
        "ThroughputTimedOut",
        "throughput never became ready",
        "The provisioned throughput was not InService within throughput_max_polls polls and was released; "
        "raise throughput_max_polls or throughput_poll_seconds and start a new run.",
    ),
    "throughput_unreadable": Kind(
        "GetThroughput",
        "throughput status could not be read",
        "GetProvisionedModelThroughput failed; the throughput was released. Check the message (permissions, "
        "throttling) and start a new run.",
    ),
    "deployment_not_created": Kind(
        "CreateDeployment",
        "deployment could not be created",
        "Bedrock refused CreateCustomModelDeployment: check the message (model support for on-demand "
        "inference, region, quota), then start a new run.",
    ),
    "deployment_failed": Kind(
        "DeploymentFailed",
        "deployment failed",
        "The custom model deployment reached status Failed and was released; check the message and start a new run.",
    ),
    "deployment_timeout": Kind(
        "DeploymentTimedOut",
        "deployment never became active",
        "The custom model deployment was not Active within the allowed polls and was released; raise the "
        "poll limit and start a new run.",
    ),
    "evaluation_failed": Kind(
        "Evaluate",
        "evaluation failed",
        "The evaluation workflow failed (inference or scoring); open its execution in the Step Functions "
        "console to see the failed state, fix the cause and start a new run.",
    ),
    "evaluation_timeout": Kind(
        "Evaluate",
        "evaluation timed out",
        "The evaluation did not finish within evaluation_timeout_seconds; raise it (or evaluate fewer "
        "records) and start a new run.",
    ),
    "winner_throughput_not_created": Kind(
        "ProvisionWinnerThroughput",
        "throughput could not be created",
        "The winner was to be kept as a provisioned throughput (KeepWinnerAs provisioned_throughput) but Bedrock "
        "refused CreateProvisionedModelThroughput: check the message (often the provisioned throughput quota in "
        "Service Quotas > Amazon Bedrock). The custom model is kept and its deployment was released; buy a "
        "throughput for it by hand or start a new run.",
    ),
    "release_failed": Kind(
        "ReleaseThroughput",
        "releasing the serving resource failed",
        "The verdict was reached but deleting the serving resource failed: check it in the Bedrock console "
        "and delete it by hand.",
    ),
    "unknown": Kind(
        "unknown",
        "run failed",
        "Open the execution in the Step Functions console to see the failed state and its cause.",
    ),
}


@dataclass(frozen=True)
class Failure:
    kind: str
    state: str
    error: str  # the error name, e.g. States.TaskFailed
    subject: str  # "training job failed"
    message: str | None  # the service's own message, one paragraph
    next_step: str
    raw_cause: str  # the cause as the service gave it (may be JSON), cut at MAX_RAW_CAUSE

    def as_dict(self) -> dict[str, Any]:
        return {
            "Kind": self.kind,
            "State": self.state,
            "Error": self.error,
            "Subject": self.subject,
            "Message": self.message,
            "NextStep": self.next_step,
        }


def _get(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def _clean(value: Any, limit: int = MAX_MESSAGE) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pick(data: dict[str, Any], *names: str) -> Any:
    for name in names:
        for key in (name, name[0].lower() + name[1:]):
            if data.get(key) not in (None, ""):
                return data[key]
    return None


def message_from_cause(cause: Any, depth: int = 0) -> str | None:
    """The service's own message inside an error Cause (JSON or text), never the JSON itself."""
    if cause is None or depth > 4:
        return None
    parsed = _json(cause)
    if parsed is None:
        return _clean(cause)
    if not isinstance(parsed, dict):
        return None
    for key in ("FailureMessage", "errorMessage", "StatusMessage", "Message"):
        found = _pick(parsed, key)
        if isinstance(found, str):
            return _clean(found)
    inner = _pick(parsed, "Cause")  # a child execution's failure, or a caught error passed on
    if inner is not None:
        found = message_from_cause(inner, depth + 1)
        if found:
            return found
    error = _pick(parsed, "Error")
    status = _pick(parsed, "Status")
    if isinstance(error, str):
        return _clean(f"{error} (no message given)")
    if isinstance(status, str):
        return _clean(f"status {status} (no message given)")
    return None


def _raw(cause: Any) -> str:
    if cause is None:
        return ""
    text = cause if isinstance(cause, str) else json.dumps(cause, default=str)
    return text if len(text) <= MAX_RAW_CAUSE else text[:MAX_RAW_CAUSE] + "…"


def _job(state: dict[str, Any]) -> dict[str, Any]:
    """The customization job as the state holds it: ``$.customization`` once recorded, else the whole
    GetModelCustomizationJob answer in ``$.customization_job`` (a job that did not complete)."""
    return _dict(state.get("customization")) or _dict(state.get("customization_job"))


def _job_status(state: dict[str, Any], cause: Any) -> str | None:
    status = _pick(_job(state), "Status")
    parsed = _json(cause)
    if isinstance(parsed, dict) and not status:
        status = _pick(parsed, "Status")
    return status if isinstance(status, str) else None


def failing_kind(state: dict[str, Any]) -> str:
    """The row of ``FAILURES`` for this state (see the module docstring for how it is read)."""
    error = _dict(state.get("error"))
    name = str(error.get("Error") or "")
    cause = error.get("Cause")
    if name == "InvalidInput":
        return "input"
    if name == "ThroughputFailed":
        return "throughput_failed"
    if name == "ThroughputTimeout":
        return "throughput_timeout"
    if name.startswith("Deployment") and name.endswith("Failed"):
        return "deployment_failed"
    if name.startswith("Deployment") and ("Timeout" in name or "TimedOut" in name):
        return "deployment_timeout"
    if not isinstance(state.get("run"), dict):  # before ValidateInput wrote $.run: nothing to read
        return "unknown"
    parsed = _json(cause)
    if isinstance(parsed, dict) and ":stateMachine:" in str(_pick(parsed, "StateMachineArn") or ""):
        # the child evaluation's failure, whatever the sections say (a sweep keeps its jobs and serving
        # resources in $.candidates, not in $.customization / $.throughput / $.deployment)
        return "evaluation_timeout" if name == "States.Timeout" else "evaluation_failed"
    customization = _job(state) or None
    job_status = _job_status(state, cause)
    job_done = (
        customization is not None and job_status in (None, "Completed") and not _pick(customization, "FailureMessage")
    )
    if not job_done and not state.get("throughput") and not state.get("deployment") and not state.get("evaluation"):
        if job_status == "Stopped":
            return "job_stopped"
        if name == "States.Timeout":
            return "job_timeout"
        if job_status == "Failed" or _pick(customization or {}, "FailureMessage") or name == "States.TaskFailed":
            return "job_failed"
        if name.startswith("Bedrock."):
            return "job_rejected"
        return "unknown"
    if state.get("evaluation"):
        if _get(state, "evaluation", "Result", "KeepWinner") is True and _get(state, "run", "KeepWinnerAs") == (
            "provisioned_throughput"
        ):  # the winner's throughput, bought after the verdict (ProvisionWinnerThroughput, GetWinnerThroughput)
            if not state.get("throughput"):
                return "winner_throughput_not_created"
            if _get(state, "throughput_status", "Status") not in (None, "InService"):
                return "throughput_unreadable"
        return "release_failed"
    serving = state.get("throughput") or state.get("deployment")
    if not serving:
        text = f"{name} {cause}".lower()
        return "deployment_not_created" if "deployment" in text else "throughput_not_created"
    ready = _get(state, "throughput_status", "Status")
    if state.get("throughput") and ready not in (None, "InService"):
        return "throughput_unreadable"
    if name == "States.Timeout":
        return "evaluation_timeout"
    return "evaluation_failed"


def describe_failure(state: dict[str, Any]) -> Failure | None:
    """The run's failure in words, or None when the state holds no ``error``."""
    error = state.get("error") if isinstance(state, dict) else None
    if not error:
        return None
    if not isinstance(error, dict):
        error = {"Error": str(error)}
    kind = failing_kind(state)
    row = FAILURES[kind]
    cause = error.get("Cause")
    message = None
    if kind.startswith("job_"):
        message = _clean(_pick(_job(state), "FailureMessage"))
    if kind == "throughput_failed":
        message = _clean(_pick(_dict(state.get("throughput_poll")), "FailureMessage"))
    if kind == "deployment_failed":
        poll = _dict(state.get("deployment_poll")) or _dict(state.get("deployment"))
        message = _clean(_pick(poll, "FailureMessage"))
    message = message or message_from_cause(cause)
    name = str(error.get("Error") or "UnknownError")
    subject = row.subject if kind != "unknown" else f"run failed: {name}"
    return Failure(kind, row.state, name, subject, message, row.next_step, _raw(cause))
