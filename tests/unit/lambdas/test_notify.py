"""``notify``: moto SES v1, subjects per outcome, escaping, failures reported not raised."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from workflow_lambdas.common.aws import reset_clients

REGION = "us-east-1"
SENDER = "bedrock-customize@example.com"
ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/pt123"
REPORT = "s3://artifacts-bucket/runs/exec-42/report/report.html"
XSS = "<script>alert('x')</script>"


@pytest.fixture
def ses(monkeypatch, fake_aws_env):
    for name, value in {
        "SENDER_EMAIL": SENDER,
        "DEFAULT_RECIPIENTS": "fallback@example.com, second@example.com",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        reset_clients()
        client = boto3.client("ses", region_name=REGION)
        client.verify_email_identity(EmailAddress=SENDER)
        yield client
    reset_clients()


def _sent():
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def _result(verdict, base=0.81, custom=0.86, low=0.02, high=0.08):
    return {
        "Verdict": verdict,
        "Metric": "F1",
        "Base": {"Precision": 0.8, "Recall": 0.82, "F1": base},
        "Custom": {"Precision": 0.85, "Recall": 0.87, "F1": custom},
        "Difference": {"Mean": custom - base, "Low": low, "High": high, "ConfidenceLevel": 0.95},
        "Counts": {"Records": 100, "Scored": 99, "BaseErrors": 1, "CustomErrors": 0},
        "ReportS3Uri": REPORT,
        "SummaryS3Uri": "s3://artifacts-bucket/runs/exec-42/report/summary.json",
    }


def _state(verdict="CUSTOM_BETTER", action="KEPT", name="support-summarizer", **extra):
    state = {
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "CustomModelName": name,
        "run": {
            "RunId": "exec-42",
            "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:wf:exec-42",
            "CustomModelName": name,
            "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
            "InferenceModelId": "amazon.nova-micro-v1:0",
            "ProvisionedModelUnits": 1,
            "Recipients": ["ml-team@example.com"],
        },
        "customization": {"CustomModelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x"},
        "throughput": {"ProvisionedModelArn": ARN},
        "evaluation": {"ExecutionArn": "arn:child", "Result": _result(verdict)},
        "release": {"Action": action, "ProvisionedModelArn": ARN, "Reason": "policy", "CustomModelDeleted": False},
    }
    state.update(extra)
    return state


def _handler(state):
    from workflow_lambdas import notify

    return notify.handler({"State": state})


@pytest.mark.parametrize(
    ("verdict", "action", "subject"),
    [
        ("CUSTOM_BETTER", "KEPT", "[bedrock-customize] support-summarizer: custom model is better — throughput kept"),
        (
            "NOT_BETTER",
            "DELETED",
            "[bedrock-customize] support-summarizer: custom model is not better — throughput deleted",
        ),
        ("INCONCLUSIVE", "DELETED", "[bedrock-customize] support-summarizer: result inconclusive — throughput deleted"),
        ("INCONCLUSIVE", "KEPT", "[bedrock-customize] support-summarizer: result inconclusive — throughput kept"),
    ],
)
def test_subject_per_outcome(ses, verdict, action, subject):
    result = _handler(_state(verdict, action))
    assert result["Sent"] is True, result
    assert result["Outcome"] == verdict
    assert result["Subject"] == subject
    assert result["Recipients"] == ["ml-team@example.com"]
    assert result["Error"] is None and result["MessageId"]
    (message,) = _sent()
    assert message.subject == subject
    assert message.destinations["ToAddresses"] == ["ml-team@example.com"]
    assert message.source == SENDER


def test_failure_subject_and_body(ses):
    lambda_cause = json.dumps(
        {"errorMessage": "every custom call failed: AccessDeniedException", "errorType": "InferenceFailed"}
    )
    child = {"ExecutionArn": "arn:child", "Status": "FAILED", "Error": "InferenceFailed", "Cause": lambda_cause}
    state = _state("CUSTOM_BETTER", "DELETED", error={"Error": "States.TaskFailed", "Cause": json.dumps(child)})
    del state["evaluation"]
    result = _handler(state)
    assert result["Outcome"] == "FAILED"
    assert result["Subject"] == "[bedrock-customize] support-summarizer: evaluation failed"
    html_body = _sent()[0].body
    shown, collapsed = html_body.split("<details>")
    assert "Message:</strong> every custom call failed: AccessDeniedException" in shown
    assert "Next step:</strong>" in shown
    assert "errorType" not in shown and "arn:child" not in shown  # the raw cause only in the collapsed block
    assert "arn:child" in collapsed and "errorType" in collapsed


def test_subjects_are_distinct():
    from workflow_lambdas import notify

    subjects = {
        notify.build_subject(_state(v, a), notify.outcome_of(_state(v, a)))
        for v, a in [("CUSTOM_BETTER", "KEPT"), ("NOT_BETTER", "DELETED"), ("INCONCLUSIVE", "DELETED")]
    }
    failed = _state(error={"Error": "States.Timeout"})
    subjects.add(notify.build_subject(failed, notify.outcome_of(failed)))
    assert len(subjects) == 4


def test_bodies_carry_the_facts(ses):
    from workflow_lambdas import notify

    state = _state("CUSTOM_BETTER", "KEPT")
    notify.notify(state, ses=ses, settings=notify.Settings.from_env())
    rows = dict((label, value) for label, value, _ in notify._facts(state, "CUSTOM_BETTER", notify.Settings()))
    assert rows["Run id"] == "exec-42"
    assert rows["Mean F1 (base)"] == "0.8100" and rows["Mean F1 (custom)"] == "0.8600"
    assert rows["Difference (custom − base)"] == "+0.0500 (95% interval +0.0200 to +0.0800)"
    assert rows["Throughput action"] == "KEPT"
    text = notify.build_text(
        notify._facts(state, "CUSTOM_BETTER", notify.Settings()), "CUSTOM_BETTER", notify._cost_warning(state)
    )
    assert "Cost warning" in text and ARN in text
    assert notify.console_url(REPORT, "eu-west-1") == (
        "https://eu-west-1.console.aws.amazon.com/s3/object/artifacts-bucket?region=eu-west-1"
        "&prefix=runs%2Fexec-42%2Freport%2Freport.html"
    )
    html_body = _sent()[0].body
    # moto keeps the HTML part when there is one
    assert "console.aws.amazon.com/s3/object/artifacts-bucket" in html_body
    assert "Cost warning" in html_body


def test_an_inconclusive_verdict_says_why():
    from workflow_lambdas import notify

    state = _state("INCONCLUSIVE", "DELETED")
    state["evaluation"]["Result"]["VerdictReason"] = "only 4 record(s) have scores for both models"
    rows = dict((label, value) for label, value, _ in notify._facts(state, "INCONCLUSIVE", notify.Settings()))
    assert rows["Why inconclusive"] == "only 4 record(s) have scores for both models"
    plain = _state("CUSTOM_BETTER", "KEPT")
    assert "Why inconclusive" not in {label for label, _, _ in notify._facts(plain, "CUSTOM_BETTER", notify.Settings())}


def test_no_cost_warning_when_deleted():
    from workflow_lambdas import notify

    assert notify._cost_warning(_state("NOT_BETTER", "DELETED")) is None
    assert "billed" in notify._cost_warning(_state("CUSTOM_BETTER", "KEPT"))


def test_html_escapes_every_value(ses):
    from workflow_lambdas import notify

    cause = f"model output was: {XSS} & more"
    state = _state("NOT_BETTER", "DELETED", name=f"evil{XSS}", error={"Error": f"Boom{XSS}", "Cause": cause})
    state["release"]["Reason"] = XSS
    state["evaluation"]["Result"]["ReportS3Uri"] = f's3://bucket/{XSS}"onclick="x'
    result = _handler(state)
    assert result["Sent"] is True, result
    html_body = _sent()[0].body
    assert "<script" not in html_body
    assert "&lt;script&gt;" in html_body
    assert '"onclick' not in html_body
    rows = notify._facts(state, "FAILED", notify.Settings())
    text = notify.build_text(rows, "FAILED", None)
    assert XSS in text  # the text part is not HTML


def test_ses_failure_is_reported_not_raised(ses, monkeypatch):
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.com")
    result = _handler(_state("NOT_BETTER", "DELETED"))
    assert result["Sent"] is False
    assert result["Outcome"] == "NOT_BETTER"
    assert "MessageRejected" in result["Error"]
    assert result["MessageId"] is None
    assert _sent() == []


def test_missing_sender_is_reported(ses, monkeypatch):
    monkeypatch.delenv("SENDER_EMAIL")
    result = _handler(_state())
    assert (result["Sent"], result["Error"]) == (False, "SENDER_EMAIL is not set")


def test_early_failure_without_run(ses):
    state = {
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "CustomModelName": "support-summarizer",
        "error": {"Error": "InvalidInput", "Cause": "HyperParameters.epochCount: 9 is above 5"},
    }
    result = _handler(state)
    assert result["Sent"] is True, result
    assert result["Outcome"] == "FAILED"
    assert result["Subject"] == "[bedrock-customize] support-summarizer: input is invalid"
    assert result["Recipients"] == ["fallback@example.com", "second@example.com"]
    assert "epochCount" in _sent()[0].body


def test_notification_email_from_the_input_when_run_is_missing(ses):
    state = {"NotificationEmail": "owner@example.com", "error": {"Error": "States.Runtime", "Cause": "x"}}
    result = _handler(state)
    assert result["Recipients"] == ["owner@example.com"]
    assert result["Subject"] == "[bedrock-customize] unknown run: run failed: States.Runtime"


def test_empty_state(ses):
    result = _handler({})
    assert result["Outcome"] == "FAILED"
    assert result["Sent"] is True
    assert "NoVerdict" in result["Subject"]


def test_no_recipients(ses, monkeypatch):
    monkeypatch.delenv("DEFAULT_RECIPIENTS")
    result = _handler({"error": {"Error": "X"}})
    assert result["Sent"] is False and "no recipients" in result["Error"]


def test_odd_state_values_still_send(ses):
    state = _state("CUSTOM_BETTER", "KEPT")
    state["evaluation"]["Result"]["Difference"] = {"Mean": "n/a", "ConfidenceLevel": "high"}
    state["evaluation"]["Result"]["Counts"] = "??"
    state["release"] = ["not", "a", "dict"]
    result = _handler(state)
    assert result["Sent"] is True, result


def test_subject_is_one_line(ses):
    result = _handler(_state(name="multi\nline\r\nname"))
    assert "\n" not in result["Subject"] and "\r" not in result["Subject"]


def test_failed_release_is_flagged(ses):
    state = _state("NOT_BETTER", "DELETED", error={"Error": "States.TaskFailed", "Cause": "x"})
    del state["release"], state["evaluation"]
    state["release_error"] = {"Error": "ThroughputNotOwned", "Cause": json.dumps({"errorMessage": "not tagged"})}
    result = _handler(state)
    assert result["Subject"] == (
        "[bedrock-customize] support-summarizer: evaluation failed — throughput release failed"
    )
    body = _sent()[0].body
    assert "ThroughputNotOwned: not tagged" in body
    assert "may still exist" in body


def test_failure_with_refused_release_warns_in_the_subject():
    from workflow_lambdas import notify

    state = _state("NOT_BETTER", "REFUSED", error={"Error": "States.TaskFailed"})
    del state["evaluation"]
    assert notify.build_subject(state, "FAILED").endswith(
        "evaluation failed — throughput NOT deleted (commitment term)"
    )
    assert "billed" in notify._cost_warning(state)


def _events_setup(monkeypatch):
    monkeypatch.setenv("EVENT_BUS_NAME", "default")
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="capture", EventPattern=json.dumps({"source": ["bedrock-customize"]}))
    events.put_targets(Rule="capture", Targets=[{"Id": "q", "Arn": arn}])

    def received():
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


@pytest.mark.parametrize(
    ("state_args", "detail_type"),
    [
        ({"verdict": "CUSTOM_BETTER", "action": "KEPT"}, "Bedrock Customization Run Won"),
        ({"verdict": "NOT_BETTER", "action": "DELETED"}, "Bedrock Customization Run Lost"),
        ({"verdict": "INCONCLUSIVE", "action": "DELETED"}, "Bedrock Customization Run Inconclusive"),
        (
            {"verdict": "NOT_BETTER", "action": "DELETED", "error": {"Error": "States.Timeout", "Cause": "slow"}},
            "Bedrock Customization Run Failed",
        ),
    ],
)
def test_event_per_outcome_when_a_bus_is_set(ses, monkeypatch, state_args, detail_type):
    received = _events_setup(monkeypatch)
    result = _handler(_state(**state_args))
    assert result["Sent"] is True
    assert result["Event"]["Sent"] is True and result["Event"]["DetailType"] == detail_type, result
    [event] = received()
    assert event["source"] == "bedrock-customize"
    assert event["detail-type"] == detail_type
    assert event["resources"] == ["arn:aws:states:us-east-1:123456789012:execution:wf:exec-42"]
    detail = event["detail"]
    assert detail["RunId"] == "exec-42" and detail["EmailSent"] is True
    assert detail["Release"]["Action"] == state_args["action"]
    if "error" in state_args:
        assert detail["Error"] == {"Error": "States.Timeout", "Cause": "slow"}
        # the state holds a verdict, so the failure came after it: releasing the serving resource
        assert detail["Failure"]["State"] == "ReleaseThroughput" and detail["Failure"]["Message"] == "slow"
    else:
        assert detail["Verdict"] == state_args["verdict"] and detail["ReportS3Uri"] == REPORT
        assert detail["Failure"] is None


def test_no_event_without_a_bus(ses, monkeypatch):
    monkeypatch.delenv("EVENT_BUS_NAME", raising=False)
    assert _handler(_state())["Event"] is None


def test_event_still_sent_when_the_email_is_rejected(ses, monkeypatch):
    received = _events_setup(monkeypatch)
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.com")
    result = _handler(_state("NOT_BETTER", "DELETED"))
    assert result["Sent"] is False and result["Event"]["Sent"] is True
    [event] = received()
    assert event["detail"]["EmailSent"] is False and event["detail"]["Outcome"] == "NOT_BETTER"


def test_event_failure_is_reported_not_raised(ses, monkeypatch):
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    result = _handler(_state())
    assert result["Sent"] is True
    assert result["Event"]["Sent"] is False and result["Event"]["Error"]


def test_render_shows_the_throughput_final_state_and_cost():
    from workflow_lambdas import notify

    state = _state("CUSTOM_BETTER", "KEPT")
    state["release"]["ThroughputStatus"] = "InService"
    message = notify.render(state, notify.Settings())
    assert message["Outcome"] == "CUSTOM_BETTER"
    assert "Throughput status: InService" in message["Text"]
    assert "still exists (status InService)" in message["Text"] and "every hour" in message["Text"]
    assert "<td" in message["Html"] and message["Subject"] in message["Html"]


# -- the emails shown in docs/failure-behaviour.md ---------------------------------------------------

DOC = __import__("pathlib").Path(__file__).resolve().parents[3] / "docs" / "failure-behaviour.md"
DOC_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/4b8b3e1e6a81"


def doc_states() -> dict[str, dict]:
    """One realistic end-of-run state per outcome (the shapes the parent workflow passes to notify)."""

    def base(verdict, release, **extra):
        state = _state(verdict, release["Action"], name="support-summarizer-8aa58d3c")
        state["run"].update(
            RunId="run-20260301-0915",
            ExecutionArn="arn:aws:states:us-east-1:123456789012:execution:acme-customize:run-20260301-0915",
        )
        state["throughput"] = {"ProvisionedModelArn": DOC_ARN}
        state["evaluation"]["Result"]["ReportS3Uri"] = (
            "s3://acme-artifacts-123456789012/runs/run-20260301-0915/report/report.html"
        )
        state["release"] = {"ProvisionedModelArn": DOC_ARN, "CustomModelDeleted": False, **release}
        state.update(extra)
        return state

    win = base(
        "CUSTOM_BETTER",
        {
            "Action": "KEPT",
            "Reason": "custom model is better and KeepThroughputOnWin is true: throughput kept",
            "ThroughputStatus": "InService",
        },
    )
    loss = base(
        "NOT_BETTER",
        {
            "Action": "DELETED",
            "Reason": "custom model is not better: throughput released",
            "ThroughputStatus": "Deleted",
        },
    )
    loss["evaluation"]["Result"].update(_result("NOT_BETTER", base=0.86, custom=0.81, low=-0.08, high=-0.02))
    loss["evaluation"]["Result"]["ReportS3Uri"] = win["evaluation"]["Result"]["ReportS3Uri"]
    inconclusive = base(
        "INCONCLUSIVE",
        {
            "Action": "DELETED",
            "Reason": "result inconclusive and OnInconclusive is RELEASE: throughput released",
            "ThroughputStatus": "Deleted",
        },
    )
    inconclusive["evaluation"]["Result"].update(_result("INCONCLUSIVE", base=0.84, custom=0.85, low=-0.01, high=0.03))
    inconclusive["evaluation"]["Result"]["ReportS3Uri"] = win["evaluation"]["Result"]["ReportS3Uri"]
    failure = base(
        "CUSTOM_BETTER",
        {
            "Action": "DELETED",
            "Reason": "run failed (States.Timeout): throughput released",
            "ThroughputStatus": "Deleted",
        },
        error={"Error": "States.Timeout", "Cause": None},
    )
    del failure["evaluation"]
    job = {
        "JobName": "support-summarizer-ft-8aa58d3c",
        "Status": "Failed",
        "FailureMessage": "Training data validation failed: line 12 is not valid JSON.",
    }
    job_failed = {
        "run": dict(win["run"]),
        "error": {"Error": "States.TaskFailed", "Cause": json.dumps(job)},
    }
    return {
        "win": win,
        "loss": loss,
        "inconclusive": inconclusive,
        "failure": failure,
        "training job failed": job_failed,
    }


def doc_email_blocks() -> dict[str, str]:
    """``outcome -> "Subject: ...\\n\\n<text body>"`` exactly as notify renders it."""
    from workflow_lambdas import notify

    settings = notify.Settings(region="us-east-1")
    out = {}
    for name, state in doc_states().items():
        message = notify.render(state, settings)
        out[name] = f"Subject: {message['Subject']}\n\n{message['Text']}"
    return out


def test_failure_behaviour_doc_shows_the_rendered_emails():
    """docs/failure-behaviour.md pastes these renderings; regenerate them with (from the repository root)
    ``python -c 'import sys; sys.path[:0]=["tests/unit/lambdas","lambdas"]; import test_notify as t; t.print_doc_emails()'``
    """  # noqa: E501
    text = DOC.read_text(encoding="utf-8")
    for name, block in doc_email_blocks().items():
        assert block.rstrip("\n") in text, f"the {name} email in {DOC.name} is stale; regenerate it"


def print_doc_emails() -> None:
    for name, block in doc_email_blocks().items():
        print(f"### {name}\n\n```text\n{block.rstrip()}\n```\n")


@pytest.mark.parametrize(
    ("deleted", "words"), [(False, "Losing custom model: kept"), (True, "Losing custom model: deleted")]
)
def test_loss_email_says_what_happened_to_the_custom_model(deleted, words):
    from workflow_lambdas import notify

    state = _state("NOT_BETTER", "DELETED")
    state["release"]["CustomModelDeleted"] = deleted
    text = notify.render(state, notify.Settings())["Text"]
    assert words in text
    assert ("delete-custom-model --model-identifier arn:aws:bedrock" in text) is not deleted


DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123"


def test_a_kept_deployment_is_named_in_subject_and_body(ses):
    from workflow_lambdas import notify

    state = _state("CUSTOM_BETTER", "KEPT")
    state["run"]["DeploymentMode"] = "on_demand"
    state.pop("throughput")
    state["deployment"] = {"CustomModelDeploymentArn": DEPLOYMENT}
    state["release"] = {"Action": "KEPT", "ProvisionedModelArn": None, "CustomModelDeploymentArn": DEPLOYMENT,
                        "DeploymentAction": "KEPT", "Reason": "policy", "CustomModelDeleted": False}  # fmt: skip
    result = _handler(state)
    assert result["Subject"].endswith("custom model is better — deployment kept")
    rows = dict((label, value) for label, value, _ in notify._facts(state, "CUSTOM_BETTER", notify.Settings()))
    assert rows["On-demand deployment (kept)"] == DEPLOYMENT
    warning = notify._cost_warning(state)
    assert DEPLOYMENT in warning and "no hourly charge" in warning and "every hour" not in warning
    assert DEPLOYMENT in _sent()[0].body


def test_a_winner_throughput_on_the_on_demand_path_is_a_throughput(ses):
    state = _state("CUSTOM_BETTER", "KEPT")
    state["run"]["DeploymentMode"] = "on_demand"
    state["release"]["DeploymentAction"] = "DELETED"
    assert _handler(state)["Subject"].endswith("custom model is better — throughput kept")
