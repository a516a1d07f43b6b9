"""``failures.describe_failure``: failing step -> subject, the service's own message, the next step."""

from __future__ import annotations

import json

import pytest
from botocore.session import get_session

from workflow_lambdas import failures, notify

RUN = {"RunId": "run-1", "CustomModelName": "m", "Recipients": ["a@example.com"]}
PT = {"ProvisionedModelArn": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/p"}
CUSTOM = {"JobArn": "arn:job", "CustomModelArn": "arn:model", "Status": "Completed"}
XSS = "<script>alert('x')</script>"


def _job_cause(status: str, message: str | None) -> str:
    """The .sync task's failure Cause: GetModelCustomizationJob's output, PascalCased by Step Functions."""
    members = (
        get_session().get_service_model("bedrock").operation_model("GetModelCustomizationJob").output_shape.members
    )
    description = {"JobName": "j", "JobArn": "arn:job", "Status": status, "HyperParameters": {"epochCount": "2"}}
    if message is not None:
        assert "failureMessage" in members  # the field Bedrock returns the job's reason in
        description["FailureMessage"] = message
    return json.dumps(description)


def _lambda_cause(message: str, kind: str = "EmulatedCrash") -> str:
    return json.dumps({"errorMessage": message, "errorType": kind, "stackTrace": ["Traceback ...", "line 3"]})


def _child_cause(inner_error: str, inner_cause: str) -> str:
    child = {"ExecutionArn": "arn:child", "Status": "FAILED", "Input": {"run": RUN}}
    return json.dumps({**child, "Error": inner_error, "Cause": inner_cause})


# A run whose on-demand winner is kept as a provisioned throughput bought after the verdict.
WINNER_AS_THROUGHPUT = {
    "run": {**RUN, "KeepWinnerAs": "provisioned_throughput"},
    "customization": CUSTOM,
    "deployment": {"CustomModelDeploymentArn": "arn:dep"},
    "evaluation": {"Result": {"Verdict": "CUSTOM_BETTER", "KeepWinner": True}},
}


CASES = [
    # (id, state, kind, state name, subject, message)
    (
        "job_failed",
        {"run": RUN, "error": {"Error": "States.TaskFailed", "Cause": _job_cause("Failed", "Bad data on line 3.")}},
        "job_failed",
        "CustomizeModel",
        "training job failed",
        "Bad data on line 3.",
    ),
    (
        "job_failed_message_in_customization",
        {
            "run": RUN,
            "customization": {"JobArn": "arn:job", "Status": "Failed", "FailureMessage": "Quota reached."},
            "error": {"Error": "States.TaskFailed", "Cause": "{}"},
        },
        "job_failed",
        "CustomizeModel",
        "training job failed",
        "Quota reached.",
    ),
    (
        "job_stopped",
        {"run": RUN, "error": {"Error": "States.TaskFailed", "Cause": _job_cause("Stopped", "The job was stopped.")}},
        "job_stopped",
        "CustomizeModel",
        "training job was stopped",
        "The job was stopped.",
    ),
    (
        "job_timeout",
        {"run": RUN, "error": {"Error": "States.Timeout", "Cause": None}},
        "job_timeout",
        "CustomizeModel",
        "training job timed out",
        None,
    ),
    (
        "job_rejected",
        {
            "run": RUN,
            "error": {"Error": "Bedrock.ValidationException", "Cause": "Model access denied. (Service: Bedrock)"},
        },
        "job_rejected",
        "CustomizeModel",
        "training job could not be started",
        "Model access denied. (Service: Bedrock)",
    ),
    (
        "throughput_not_created",
        {
            "run": RUN,
            "customization": CUSTOM,
            "release": {"Action": "NOT_CREATED"},
            "error": {"Error": "Bedrock.ServiceQuotaExceededException", "Cause": "Quota exceeded (Service: Bedrock)"},
        },
        "throughput_not_created",
        "ProvisionThroughput",
        "throughput could not be created",
        "Quota exceeded (Service: Bedrock)",
    ),
    (
        "throughput_failed",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "throughput_status": {"Status": "Failed", "Polls": 2},
            "error": {"Error": "ThroughputFailed", "Cause": "The provisioned throughput reached status Failed."},
        },
        "throughput_failed",
        "ThroughputFailed",
        "throughput never became ready",
        "The provisioned throughput reached status Failed.",
    ),
    (
        "throughput_failed_with_its_reason",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "throughput_poll": {"Status": "Failed", "FailureMessage": "Insufficient capacity."},
            "error": {"Error": "ThroughputFailed", "Cause": "The provisioned throughput reached status Failed."},
        },
        "throughput_failed",
        "ThroughputFailed",
        "throughput never became ready",
        "Insufficient capacity.",
    ),
    (
        "throughput_timeout",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "error": {
                "Error": "ThroughputTimeout",
                "Cause": "The provisioned throughput was not InService after 3 polls.",
            },
        },
        "throughput_timeout",
        "ThroughputTimedOut",
        "throughput never became ready",
        "The provisioned throughput was not InService after 3 polls.",
    ),
    (
        "throughput_unreadable",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "throughput_status": {"Status": "Creating", "Polls": 1},
            "error": {"Error": "Bedrock.AccessDeniedException", "Cause": "not allowed"},
        },
        "throughput_unreadable",
        "GetThroughput",
        "throughput status could not be read",
        "not allowed",
    ),
    (
        "deployment_failed",
        {
            "run": RUN,
            "customization": CUSTOM,
            "deployment": {"CustomModelDeploymentArn": "arn:dep", "FailureMessage": "Model not supported."},
            "error": {"Error": "DeploymentFailed", "Cause": "The deployment reached status Failed."},
        },
        "deployment_failed",
        "DeploymentFailed",
        "deployment failed",
        "Model not supported.",
    ),
    (
        "job_not_completed",
        {
            "run": RUN,
            "customization_started": {"JobArn": "arn:job"},
            "customization_job": {"JobArn": "arn:job", "Status": "Failed", "FailureMessage": "Bad line 3."},
            "error": {"Error": "CustomizationNotCompleted", "Cause": "The customization job ended with status Failed"},
        },
        "job_failed",
        "CustomizeModel",
        "training job failed",
        "Bad line 3.",
    ),
    (
        "on_demand_evaluation_failed",
        {
            "run": RUN,
            "customization": CUSTOM,
            "deployment": {"CustomModelDeploymentArn": "arn:dep"},
            "deployment_status": {"Status": "Active", "Polls": 1},
            "error": {
                "Error": "States.TaskFailed",
                "Cause": json.dumps({"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:e"}),
            },
        },
        "evaluation_failed",
        "Evaluate",
        "evaluation failed",
        None,
    ),
    (
        "evaluation_failed",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "throughput_status": {"Status": "InService", "Polls": 1},
            "error": {
                "Error": "States.TaskFailed",
                "Cause": _child_cause("EmulatedCrash", _lambda_cause("emulated crash of the score function")),
            },
        },
        "evaluation_failed",
        "Evaluate",
        "evaluation failed",
        "emulated crash of the score function",
    ),
    (
        "evaluation_timeout",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "throughput_status": {"Status": "InService", "Polls": 1},
            "error": {"Error": "States.Timeout", "Cause": None},
        },
        "evaluation_timeout",
        "Evaluate",
        "evaluation timed out",
        None,
    ),
    (
        "release_failed",
        {
            "run": RUN,
            "customization": CUSTOM,
            "throughput": PT,
            "evaluation": {"Result": {"Verdict": "NOT_BETTER"}},
            "error": {
                "Error": "ThroughputNotOwned",
                "Cause": _lambda_cause("not tagged for this run", "ThroughputNotOwned"),
            },
        },
        "release_failed",
        "ReleaseThroughput",
        "releasing the serving resource failed",
        "not tagged for this run",
    ),
    (
        "winner_throughput_not_created",
        {
            **WINNER_AS_THROUGHPUT,
            "error": {"Error": "Bedrock.ServiceQuotaExceededException", "Cause": "quota reached"},
        },
        "winner_throughput_not_created",
        "ProvisionWinnerThroughput",
        "throughput could not be created",
        "quota reached",
    ),
    (
        "winner_throughput_unreadable",
        {
            **WINNER_AS_THROUGHPUT,
            "throughput": PT,
            "throughput_status": {"Status": "Creating", "Polls": 1},
            "error": {"Error": "Bedrock.AccessDeniedException", "Cause": "not allowed"},
        },
        "throughput_unreadable",
        "GetThroughput",
        "throughput status could not be read",
        "not allowed",
    ),
    (
        "winner_throughput_release_failed",
        {
            **WINNER_AS_THROUGHPUT,
            "throughput": PT,
            "throughput_status": {"Status": "InService", "Polls": 1},
            "error": {"Error": "DeploymentNotOwned", "Cause": _lambda_cause("not tagged", "DeploymentNotOwned")},
        },
        "release_failed",
        "ReleaseThroughput",
        "releasing the serving resource failed",
        "not tagged",
    ),
    (
        "input",
        {"error": {"Error": "InvalidInput", "Cause": _lambda_cause("JobName: too long; shorten it", "InvalidInput")}},
        "input",
        "ValidateInput",
        "input is invalid",
        "JobName: too long; shorten it",
    ),
    (
        "before_run",
        {"error": {"Error": "States.Runtime", "Cause": "bad path"}},
        "unknown",
        "unknown",
        "run failed: States.Runtime",
        "bad path",
    ),
]


@pytest.mark.parametrize(
    ("state", "kind", "state_name", "subject", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_failing_state_has_its_subject_message_and_next_step(state, kind, state_name, subject, message):
    failure = failures.describe_failure(state)
    assert (failure.kind, failure.state, failure.subject, failure.message) == (kind, state_name, subject, message)
    assert failure.next_step == failures.FAILURES[kind].next_step and failure.next_step


def test_no_error_no_failure():
    assert failures.describe_failure({"run": RUN, "evaluation": {"Result": {"Verdict": "NOT_BETTER"}}}) is None


def test_every_row_of_the_table_is_reachable():
    assert {c[2] for c in CASES} >= set(failures.FAILURES) - {"deployment_not_created", "deployment_timeout"}


def test_message_never_shows_json():
    cause = json.dumps({"Status": "Failed", "JobArn": "arn:job"})  # a job that failed without a message
    assert failures.message_from_cause(cause) == "status Failed (no message given)"
    assert failures.message_from_cause("[1, 2]") is None


@pytest.mark.parametrize("case", ["job_failed", "evaluation_failed", "throughput_not_created"])
def test_email_shows_message_and_next_step_and_hides_the_raw_cause(case):
    state = dict(next(c[1] for c in CASES if c[0] == case))
    failure = failures.describe_failure(state)
    message = notify.render(state, notify.Settings())
    assert failure.subject in message["Subject"]
    text, raw = message["Text"].split(notify.RAW_CAUSE_HEADING)
    assert failure.message in text and failure.next_step in text
    assert "{" not in text  # no JSON before the raw cause
    assert state["error"]["Cause"][:200] in raw
    shown, collapsed = message["Html"].split("<details>")
    assert "{&quot;" not in shown and "{&quot;" in collapsed or "{" not in state["error"]["Cause"]
    assert collapsed.index("</summary>") < collapsed.index("</details>")


def test_values_are_escaped_in_the_html():
    cause = _job_cause("Failed", f"bad record {XSS}")
    state = {"run": {**RUN, "CustomModelName": f"m{XSS}"}, "error": {"Error": "States.TaskFailed", "Cause": cause}}
    message = notify.render(state, notify.Settings())
    assert "<script" not in message["Html"]
    assert "bad record &lt;script&gt;" in message["Html"]
    assert f"bad record {XSS}" in message["Text"]


@pytest.mark.parametrize(
    "state",
    [
        {"error": "just a string"},
        {"error": {"Error": None, "Cause": 42}},
        {"run": ["odd"], "error": {"Error": "States.TaskFailed", "Cause": "{not json"}},
        {
            "run": RUN,
            "customization": ["odd"],
            "throughput": "x",
            "throughput_status": "y",
            "throughput_poll": [1],
            "error": {"Error": "ThroughputFailed", "Cause": {"nested": True}},
        },
        {"run": RUN, "deployment": [1], "error": {"Error": "DeploymentFailed", "Cause": "[]"}},
    ],
)
def test_odd_states_still_give_a_failure(state):
    failure = failures.describe_failure(state)
    assert failure.subject and failure.next_step


def test_a_child_execution_cause_is_an_evaluation_failure_whatever_the_sections_say():
    cause = json.dumps({"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:x-evaluate", "Error": "E"})
    state = {"run": RUN, "customization": CUSTOM, "error": {"Error": "States.TaskFailed", "Cause": cause}}
    assert failures.describe_failure(state).kind == "evaluation_failed"


@pytest.mark.parametrize("error", ["States.TaskFailed", "States.Timeout"])
def test_a_sweeps_child_execution_failure_is_an_evaluation_failure_not_a_job_failure(error):
    """A sweep's state has no $.customization or serving section (its candidates carry them): the child's
    failure must still read as the evaluation's, not as a training job that failed."""
    cause = _child_cause("States.TaskFailed", _lambda_cause("scorer crashed"))
    cause = json.dumps({**json.loads(cause), "StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:x-evaluate"})
    state = {
        "run": RUN,
        "candidates": [{"Name": "good", "Status": "SERVED"}, {"Name": "bad", "Status": "SERVED"}],
        "error": {"Error": error, "Cause": cause},
    }
    failure = failures.describe_failure(state)
    expected = "evaluation_timeout" if error == "States.Timeout" else "evaluation_failed"
    assert (failure.kind, failure.subject) == (expected, failures.FAILURES[expected].subject)
    assert failure.message == "scorer crashed"


def test_a_camel_case_failure_message_in_customization_is_found_too():
    state = {
        "run": RUN,
        "customization": {"jobArn": "arn:job", "status": "Failed", "failureMessage": "Out of capacity."},
        "error": {"Error": "States.TaskFailed", "Cause": None},
    }
    failure = failures.describe_failure(state)
    assert (failure.kind, failure.message) == ("job_failed", "Out of capacity.")
