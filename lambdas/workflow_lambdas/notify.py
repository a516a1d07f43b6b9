"""``notify``: the outcome email (SES v1 ``SendEmail``, text and HTML) and an optional EventBridge event.

Event ``{"State": <whole parent state>}`` →
``{"Sent", "Outcome", "Subject", "Recipients", "MessageId", "Error", "Event"}``.
The state may come from any point of the run (even a failure before
``ValidateInput`` wrote ``$.run``), so every section is optional. Sending
problems are reported in the result, never raised: this function is the last
step of the failure path too.

When ``EVENT_BUS_NAME`` is set, one event is also put on that bus (source
``bedrock-customize``, ``detail-type`` per outcome, see ``DETAIL_TYPES``) so other
automation can react; ``Event`` is then ``{"Sent", "DetailType", "EventId", "Error"}``,
else null.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from workflow_lambdas.common.aws import client
from workflow_lambdas.common.logs import bound, get_logger
from workflow_lambdas.common.settings import EnvSettings
from workflow_lambdas.failures import Failure, describe_failure

logger = get_logger(__name__)

PREFIX = "[bedrock-customize]"
OUTCOMES = ("CUSTOM_BETTER", "NOT_BETTER", "INCONCLUSIVE", "FAILED")
MAX_CAUSE = 4000
EVENT_SOURCE = "bedrock-customize"
DETAIL_TYPES = {
    "CUSTOM_BETTER": "Bedrock Customization Run Won",
    "NOT_BETTER": "Bedrock Customization Run Lost",
    "INCONCLUSIVE": "Bedrock Customization Run Inconclusive",
    "FAILED": "Bedrock Customization Run Failed",
}


class Settings(EnvSettings):
    """The function's environment (Terraform sets it)."""

    ENV_NAMES: ClassVar[Mapping[str, str | tuple[str, ...]]] = {
        "sender": "SENDER_EMAIL",
        "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
        "event_bus": "EVENT_BUS_NAME",
    }
    LIST_SEPARATOR: ClassVar[str] = r"[,;\s]+"

    sender: str | None = None
    default_recipients: list[str] = Field(default_factory=list)
    region: str = "us-east-1"
    event_bus: str | None = None


class NotifyEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    State: dict[str, Any] = Field(default_factory=dict)


def _split(value: Any) -> list[str]:
    if isinstance(value, str):
        items = re.split(r"[,;\s]+", value)
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = []
    return [i.strip() for i in items if i and i.strip()]


def _get(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    return f"{value:.{digits}f}"


def _signed(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    return f"{value:+.{digits}f}"


def _one_line(text: str, limit: int = 180) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outcome_of(state: dict[str, Any]) -> str:
    if state.get("error"):
        return "FAILED"
    verdict = _get(state, "evaluation", "Result", "Verdict")
    return verdict if verdict in OUTCOMES[:3] else "FAILED"


def recipients_of(state: dict[str, Any], settings: Settings) -> list[str]:
    return (
        _split(_get(state, "run", "Recipients"))
        or _split(state.get("NotificationEmail"))
        or list(settings.default_recipients)
    )


def console_url(s3_uri: Any, region: str) -> str | None:
    """S3 console link for ``s3://bucket/key``."""
    if not isinstance(s3_uri, str) or not s3_uri.startswith("s3://"):
        return None
    bucket, _, key = s3_uri[5:].partition("/")
    if not bucket:
        return None
    url = f"https://{region}.console.aws.amazon.com/s3/object/{quote(bucket)}?region={quote(region)}"
    if key:
        url += f"&prefix={quote(key, safe='')}"
    return url


def _served_by(state: dict[str, Any]) -> str:
    """What the release Action is about: the on-demand deployment, or a throughput (also a winner's)."""
    on_demand = _get(state, "run", "DeploymentMode") == "on_demand"
    if on_demand and not (_get(state, "release", "ProvisionedModelArn") and _get(state, "release", "Action") == "KEPT"):
        return "deployment"
    return "throughput"


def _release_phrase(state: dict[str, Any]) -> str:
    action = _get(state, "release", "Action")
    what = _served_by(state)
    return {
        "DELETED": f"{what} deleted",
        "ALREADY_GONE": f"{what} deleted",
        "KEPT": f"{what} kept",
        "REFUSED": f"{what} NOT deleted (commitment term)",
        "NOT_CREATED": f"no {what} created",
    }.get(action, f"{what} status unknown")


def _failure_phrase(state: dict[str, Any]) -> str:
    if state.get("release_error"):
        return " — throughput release failed"
    action = _get(state, "release", "Action")
    return f" — {_release_phrase(state)}" if action in ("KEPT", "REFUSED") else ""


def _error_parts(state: dict[str, Any]) -> tuple[str, str]:
    error = state.get("error")
    if not error:
        return "NoVerdict", "the run ended without an evaluation verdict"
    if not isinstance(error, dict):
        return str(error), ""
    name = str(error.get("Error") or "UnknownError")
    cause = error.get("Cause")
    if isinstance(cause, str):
        try:  # Lambda failures carry {"errorMessage", "errorType", ...} as a JSON string
            parsed = json.loads(cause)
            if isinstance(parsed, dict) and parsed.get("errorMessage"):
                cause = str(parsed["errorMessage"])
        except ValueError:
            pass
    elif cause is not None:
        cause = json.dumps(cause, default=str)
    cause = cause or ""
    if len(cause) > MAX_CAUSE:
        cause = cause[:MAX_CAUSE] + "…"
    return name, cause


def build_subject(state: dict[str, Any], outcome: str) -> str:
    name = _get(state, "run", "CustomModelName") or state.get("CustomModelName") or "unknown run"
    name = _one_line(str(name), 80)
    release = _release_phrase(state)
    if outcome == "CUSTOM_BETTER":
        text = f"custom model is better — {release}"
    elif outcome == "NOT_BETTER":
        text = f"custom model is not better — {release}"
    elif outcome == "INCONCLUSIVE":
        text = f"result inconclusive — {release}"
    else:
        failure = describe_failure(state)
        what = failure.subject if failure else f"run failed: {_error_parts(state)[0]}"
        text = f"{what}{_failure_phrase(state)}"
    return _one_line(f"{PREFIX} {name}: {text}", 200)


def _facts(state: dict[str, Any], outcome: str, settings: Settings) -> list[tuple[str, str, str | None]]:
    """``(label, value, link)`` rows shared by both bodies."""
    run = found if isinstance(found := state.get("run"), dict) else {}
    result = _get(state, "evaluation", "Result")
    result = result if isinstance(result, dict) else {}
    metric = str(result.get("Metric") or _get(run, "Evaluation", "Metric") or "F1")
    rows: list[tuple[str, str, str | None]] = [("Outcome", outcome, None)]

    def add(label: str, value: Any, link: str | None = None) -> None:
        if value is not None and value != "":
            rows.append((label, str(value), link))

    add("Run id", run.get("RunId") or state.get("ExecutionName"))
    add("Execution", run.get("ExecutionArn"))
    add("Custom model name", run.get("CustomModelName") or state.get("CustomModelName"))
    add("Base model", run.get("BaseModelIdentifier") or state.get("BaseModelIdentifier"))
    add("Base model for inference", run.get("InferenceModelId"))
    add("Custom model", _get(state, "customization", "CustomModelArn"))
    add(
        "Provisioned throughput",
        _get(state, "throughput", "ProvisionedModelArn") or _get(state, "release", "ProvisionedModelArn"),
    )
    add(
        "On-demand deployment (kept)"
        if _get(state, "release", "DeploymentAction") == "KEPT"
        else "On-demand deployment",
        _get(state, "deployment", "CustomModelDeploymentArn") or _get(state, "release", "CustomModelDeploymentArn"),
    )
    if result:
        add("Why inconclusive", result.get("VerdictReason"))
        if metric != "Judge":  # the LLM judge decided: its win rate below stands for the means
            add(f"Mean {metric} (base)", _num(_get(result, "Base", metric)))
            add(f"Mean {metric} (custom)", _num(_get(result, "Custom", metric)))
        judge = result.get("Judge")
        if isinstance(judge, dict) and isinstance(judge.get("WinRate"), int | float):
            tokens = int(judge.get("InputTokens") or 0) + int(judge.get("OutputTokens") or 0)
            add(
                "LLM judge win rate",
                f"{_num(judge['WinRate'], 3)} (interval {_num(judge.get('Low'), 3)} to "
                f"{_num(judge.get('High'), 3)}; {judge.get('Ties', 0)} ties, {judge.get('Unparsable', 0)} "
                f"unparsable answers; {tokens:,} judge tokens)",
            )
        diff = result.get("Difference")
        if isinstance(diff, dict) and diff:
            level = diff.get("ConfidenceLevel")
            level_txt = f"{level:.0%}" if isinstance(level, int | float) else "?"
            add(
                "Difference (custom − base)",
                f"{_signed(diff.get('Mean'))} ({level_txt} interval {_signed(diff.get('Low'))} "
                f"to {_signed(diff.get('High'))})",
            )
        counts = result.get("Counts")
        if isinstance(counts, dict) and counts:
            add(
                "Records",
                f"{counts.get('Scored', 'n/a')} scored of {counts.get('Records', 'n/a')} "
                f"(errors: base {counts.get('BaseErrors', 0)}, custom {counts.get('CustomErrors', 0)})",
            )
        report = result.get("ReportS3Uri")
        add("Report", report, console_url(report, settings.region))
    release = state.get("release") or {}
    if isinstance(release, dict) and release:
        add("Throughput action", release.get("Action"))
        add("Throughput status", release.get("ThroughputStatus"))
        add("Release reason", release.get("Reason"))
        if release.get("CustomModelDeleted"):
            add("Losing custom model", "deleted")
        elif outcome == "NOT_BETTER":
            add("Losing custom model", _kept_model_phrase(state))
    if outcome == "FAILED":
        failure = describe_failure(state)
        if failure is None:
            add("Error", _error_parts(state)[0])
        else:
            add("Failed step", failure.state if failure.kind != "unknown" else "unknown")
            add("Error", failure.error)
    release_error = state.get("release_error")
    if release_error:
        name, cause = _error_parts({"error": release_error})
        add("Throughput release error", f"{name}: {cause}" if cause else name)
    return rows


def _kept_model_phrase(state: dict[str, Any]) -> str:
    arn = _get(state, "customization", "CustomModelArn")
    return (
        "kept (KeepLosingCustomModel is true; a custom model costs only its storage): delete it with "
        f"aws bedrock delete-custom-model --model-identifier {arn or '<custom model ARN>'}"
    )


def _cost_warning(state: dict[str, Any]) -> str | None:
    arn = _get(state, "release", "ProvisionedModelArn") or _get(state, "throughput", "ProvisionedModelArn")
    if state.get("release_error"):
        return (
            "Cost warning: releasing the provisioned throughput failed, so it may still exist and be billed "
            f"every hour: check {arn or 'the provisioned throughput of this run'} in the Bedrock console and "
            "delete it."
        )
    if _get(state, "release", "Action") not in ("KEPT", "REFUSED"):
        return None
    if _served_by(state) == "deployment":
        dep = _get(state, "release", "CustomModelDeploymentArn") or "(unknown ARN)"
        return (
            f"Cost note: the on-demand deployment {dep} was kept; it is billed per token when used, with no "
            f"hourly charge (aws bedrock delete-custom-model-deployment --custom-model-deployment-identifier {dep})."
        )
    units = _get(state, "run", "ProvisionedModelUnits")
    units_txt = f" ({units} model unit{'s' if units != 1 else ''})" if units else ""
    status = _get(state, "release", "ThroughputStatus")
    status_txt = f"still exists (status {status})" if isinstance(status, str) and status else "still exists"
    return (
        f"Cost warning: provisioned throughput {arn or '(unknown ARN)'}{units_txt} {status_txt} and is "
        f"billed every hour until it is deleted "
        f"(aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn or '<ARN>'})."
    )


_HEADLINES = {
    "CUSTOM_BETTER": "The custom model scored better than the base model.",
    "NOT_BETTER": "The custom model did not score better than the base model.",
    "INCONCLUSIVE": "The comparison was inconclusive.",
    "FAILED": "The run failed.",
}


def _headline(outcome: str, failure: Failure | None) -> str:
    if outcome == "FAILED" and failure is not None:
        return f"The run failed: {failure.subject}."
    return _HEADLINES[outcome]


def _failure_lines(failure: Failure | None) -> list[tuple[str, str]]:
    """``(label, text)`` shown first in a failure email: the service's message and what to do."""
    if failure is None:
        return []
    message = failure.message or (
        "the service gave no message; the raw cause is at the end of this email"
        if failure.raw_cause
        else "the service gave no message"
    )
    return [("Message", message), ("Next step", failure.next_step)]


RAW_CAUSE_HEADING = "Raw cause (as the service returned it)"


def build_text(
    rows: list[tuple[str, str, str | None]], outcome: str, warning: str | None, failure: Failure | None = None
) -> str:
    lines = [_headline(outcome, failure), ""]
    for label, text in _failure_lines(failure):
        lines.append(f"{label}: {text}")
    if failure is not None:
        lines.append("")
    for label, value, link in rows:
        lines.append(f"{label}: {value}" + (f"\n  {link}" if link else ""))
    if warning:
        lines += ["", warning]
    if failure is not None and failure.raw_cause:
        lines += ["", f"-- {RAW_CAUSE_HEADING} --", failure.raw_cause]
    return "\n".join(lines) + "\n"


def build_html(
    rows: list[tuple[str, str, str | None]],
    outcome: str,
    warning: str | None,
    subject: str,
    failure: Failure | None = None,
) -> str:
    e = html.escape
    colour = {"CUSTOM_BETTER": "#1d8102", "NOT_BETTER": "#5f6b7a", "INCONCLUSIVE": "#8d6605"}.get(outcome, "#d91515")
    body_rows = []
    for label, value, link in rows:
        shown = f'<a href="{e(link, quote=True)}">{e(value)}</a>' if link else e(value)
        body_rows.append(
            f'<tr><th style="text-align:left;padding:4px 12px 4px 0;vertical-align:top">{e(label)}</th>'
            f'<td style="padding:4px 0">{shown}</td></tr>'
        )
    warning_html = (
        f'<p style="background:#fff7e6;border-left:4px solid #8d6605;padding:8px">{e(warning)}</p>' if warning else ""
    )
    failure_html = "".join(f"<p><strong>{e(label)}:</strong> {e(text)}</p>" for label, text in _failure_lines(failure))
    raw_html = (
        f"<details><summary>{e(RAW_CAUSE_HEADING)}</summary>"
        f'<pre style="white-space:pre-wrap;margin:0">{e(failure.raw_cause)}</pre></details>'
        if failure is not None and failure.raw_cause
        else ""
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{e(subject)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">'
        f'<h2 style="color:{colour}">{e(_headline(outcome, failure))}</h2>'
        f"{failure_html}<table>{''.join(body_rows)}</table>{warning_html}{raw_html}"
        "</body></html>"
    )


SWEEP_COLUMNS = ("Candidate", "Hyperparameters", "Training", "Mean F1", "Difference vs base", "Verdict", "Serving")


def sweep_table(state: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per candidate of a sweep (``run.Sweep``), in input order; empty for a single run."""
    sweep = _get(state, "run", "Sweep")
    if not isinstance(sweep, dict):
        return []

    def by_name(items: Any) -> dict[str, dict[str, Any]]:
        return {str(i.get("Name")): i for i in items or [] if isinstance(i, dict)}

    results = by_name(state.get("candidates"))
    scores = by_name(_get(state, "evaluation", "Result", "Candidates"))
    released = by_name(_get(state, "release", "Candidates"))
    rows: list[tuple[str, ...]] = []
    for candidate in sweep.get("Candidates") or []:
        name = candidate.get("Name")
        result, score, release = results.get(name) or {}, scores.get(name) or {}, released.get(name) or {}
        status = result.get("Status")
        training = (
            "served"
            if status == "SERVED"
            else (f"failed ({_get(result, 'error', 'Error') or 'error'})" if status == "FAILED" else "not finished")
        )
        diff = score.get("Difference") or {}
        interval = (
            f"{_signed(diff.get('Mean'))} [{_signed(diff.get('Low'))}, {_signed(diff.get('High'))}]" if diff else "-"
        )
        action = release.get("Action")
        kept = "kept" if action == "KEPT" else ("released" if action else "-")
        hps = ", ".join(f"{k}={v}" for k, v in (candidate.get("HyperParameters") or {}).items()) or "-"
        rows.append(
            (str(name), hps, training, _num(score.get("MeanF1")), interval, str(score.get("Verdict") or "-"), kept)
        )
    return rows


def _sweep_text(rows: list[tuple[str, ...]], winner: Any) -> str:
    lines = ["", f"Winner: {winner or 'none (no candidate is better than the base model)'}", "Candidates:"]
    lines += ["  " + " | ".join(SWEEP_COLUMNS)] + ["  " + " | ".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def _sweep_html(rows: list[tuple[str, ...]], winner: Any) -> str:
    e = html.escape
    cell = 'style="text-align:left;padding:4px 10px;border-bottom:1px solid #ddd"'
    head = "".join(f"<th {cell}>{e(c)}</th>" for c in SWEEP_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td {cell}>{e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return (
        f"<h3>Winner: {e(str(winner or 'none (no candidate is better than the base model)'))}</h3>"
        f'<table style="border-collapse:collapse"><tr>{head}</tr>{body}</table>'
    )


def render(state: dict[str, Any], settings: Settings) -> dict[str, str]:
    """``{"Outcome", "Subject", "Text", "Html"}`` of the email for this state (what ``notify`` sends)."""
    email = _render_single(state, settings)
    try:
        rows = sweep_table(state)
    except Exception:  # an odd state must not cost the email
        logger.exception("could not read the candidates")
        rows = []
    if rows:
        winner = _get(state, "evaluation", "Result", "Winner")
        if winner and email["Outcome"] == "CUSTOM_BETTER":
            email["Subject"] = email["Subject"].replace(
                "custom model is better", f"candidate {_one_line(str(winner), 40)} is better", 1
            )
        email["Text"] += _sweep_text(rows, winner)
        email["Html"] = email["Html"].replace("</body>", _sweep_html(rows, winner) + "</body>", 1)
    return email


def _render_single(state: dict[str, Any], settings: Settings) -> dict[str, str]:
    outcome = outcome_of(state)
    subject = build_subject(state, outcome)
    failure = None
    try:
        rows = _facts(state, outcome, settings)
        warning = _cost_warning(state)
        failure = describe_failure(state) if outcome == "FAILED" else None
    except Exception:  # an odd state must not cost the email
        logger.exception("could not read the state; sending a minimal email")
        rows, warning = [("Outcome", outcome, None), ("State", json.dumps(state, default=str)[:MAX_CAUSE], None)], None
    return {
        "Outcome": outcome,
        "Subject": subject,
        "Text": build_text(rows, outcome, warning, failure),
        "Html": build_html(rows, outcome, warning, subject, failure),
    }


def event_detail(state: dict[str, Any], outcome: str, email: dict[str, Any]) -> dict[str, Any]:
    """The ``detail`` of the EventBridge event: the run's result as data (no HTML, nothing to escape)."""
    run = found if isinstance(found := state.get("run"), dict) else {}
    result = _get(state, "evaluation", "Result")
    result = result if isinstance(result, dict) else {}
    release = found if isinstance(found := state.get("release"), dict) else {}
    error = None
    failure = describe_failure(state) if outcome == "FAILED" else None
    if outcome == "FAILED":
        name, cause = _error_parts(state)
        error = {"Error": name, "Cause": cause}
    return {
        "Outcome": outcome,
        "RunId": run.get("RunId"),
        "ExecutionArn": run.get("ExecutionArn"),
        "CustomModelName": run.get("CustomModelName") or state.get("CustomModelName"),
        "CustomModelArn": _get(state, "customization", "CustomModelArn"),
        "ProvisionedModelArn": _get(state, "throughput", "ProvisionedModelArn") or release.get("ProvisionedModelArn"),
        "Verdict": result.get("Verdict"),
        "Metric": result.get("Metric"),
        "Base": result.get("Base"),
        "Custom": result.get("Custom"),
        "Difference": result.get("Difference"),
        "ReportS3Uri": result.get("ReportS3Uri"),
        "Release": {k: release.get(k) for k in ("Action", "Reason", "ThroughputStatus", "CustomModelDeleted")}
        if release
        else None,
        "ReleaseError": _error_parts({"error": state["release_error"]})[0] if state.get("release_error") else None,
        "Error": error,
        "Failure": failure.as_dict() if failure else None,
        "EmailSent": bool(email.get("Sent")),
    }


def publish_event(
    state: dict[str, Any], outcome: str, email: dict[str, Any], *, events: Any, bus: str
) -> dict[str, Any]:
    detail_type = DETAIL_TYPES[outcome]
    out: dict[str, Any] = {"Sent": False, "DetailType": detail_type, "EventId": None, "Error": None}
    entry: dict[str, Any] = {
        "Source": EVENT_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(event_detail(state, outcome, email), default=str),
        "EventBusName": bus,
    }
    execution = _get(state, "run", "ExecutionArn")
    if isinstance(execution, str) and execution.startswith("arn:"):
        entry["Resources"] = [execution]
    try:
        response = events.put_events(Entries=[entry])
        [answer] = response.get("Entries") or [{}]
    except (ClientError, BotoCoreError, ValueError) as exc:
        logger.error("putting the outcome event failed: %s", exc)
        out["Error"] = f"{type(exc).__name__}: {exc}"
        return out
    if response.get("FailedEntryCount") or answer.get("ErrorCode"):
        out["Error"] = f"{answer.get('ErrorCode')}: {answer.get('ErrorMessage')}"
        return out
    out.update(Sent=True, EventId=answer.get("EventId"))
    return out


def notify(state: dict[str, Any], *, ses: Any, settings: Settings, events: Any = None) -> dict[str, Any]:
    result = send_email(state, ses=ses, settings=settings)
    result["Event"] = None
    if settings.event_bus:
        if events is None:
            result["Event"] = {
                "Sent": False,
                "DetailType": DETAIL_TYPES[result["Outcome"]],
                "EventId": None,
                "Error": "no EventBridge client",
            }
        else:
            result["Event"] = publish_event(state, result["Outcome"], result, events=events, bus=settings.event_bus)
    return result


def send_email(state: dict[str, Any], *, ses: Any, settings: Settings) -> dict[str, Any]:
    message_parts = render(state, settings)
    outcome = message_parts["Outcome"]
    subject = message_parts["Subject"]
    recipients = recipients_of(state, settings)
    result: dict[str, Any] = {
        "Sent": False,
        "Outcome": outcome,
        "Subject": subject,
        "Recipients": recipients,
        "MessageId": None,
        "Error": None,
    }
    if not settings.sender:
        result["Error"] = "SENDER_EMAIL is not set"
        return result
    if not recipients:
        result["Error"] = "no recipients (run.Recipients, NotificationEmail and DEFAULT_RECIPIENTS are empty)"
        return result
    message = {
        "Subject": {"Data": subject, "Charset": "UTF-8"},
        "Body": {
            "Text": {"Data": message_parts["Text"], "Charset": "UTF-8"},
            "Html": {"Data": message_parts["Html"], "Charset": "UTF-8"},
        },
    }
    try:
        response = ses.send_email(Source=settings.sender, Destination={"ToAddresses": recipients}, Message=message)
    except (ClientError, BotoCoreError) as exc:
        logger.error("sending the outcome email failed: %s", exc)
        result["Error"] = f"{type(exc).__name__}: {exc}"
        return result
    result.update(Sent=True, MessageId=response.get("MessageId"))
    return result


@bound
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    state = NotifyEvent.model_validate(event if isinstance(event, dict) else {}).State
    settings = Settings.from_env()
    events = None
    if settings.event_bus:
        try:
            events = client("events")
        except Exception:  # reported in the result by notify()
            logger.exception("no EventBridge client")
    try:
        ses = client("ses")
    except Exception as exc:  # never fail the last step of the workflow
        ses = _Unavailable(exc)
    return notify(state, ses=ses, settings=settings, events=events)


class _Unavailable:
    """Stands in for a client that could not be created: every call reports the original problem."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def send_email(self, **_kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": type(self.exc).__name__, "Message": str(self.exc)}}, "SendEmail")
