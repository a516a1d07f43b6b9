"""``bedrock-customize report EXECUTION_ARN``: the outcome of a run and its report files.

Reads the parent execution (its output, or for a failed run the last state document in its
history), prints status, verdict, scores, release action and email, and downloads
``runs/<run-id>/report/{summary.json,scores.jsonl,report.html}`` from the artifacts bucket.
Exit 0 when the execution SUCCEEDED, 1 otherwise (failed, timed out, aborted or still running).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from workflow_lambdas.contract import layout
from workflow_lambdas.failures import describe_failure

from .aws_session import Aws, add_aws_arguments, describe_client_error
from .executions import history

EXIT_OK = 0
EXIT_FAILED = 1

EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$")
REPORT_FILES = layout.REPORT_FILES


class ReportError(Exception):
    """The execution or its report cannot be read: one line, exit 2."""


def check_execution_arn(arn: str) -> None:
    if not EXECUTION_ARN.match(arn or ""):
        raise ReportError(
            f"EXECUTION_ARN: {arn!r} is not an execution ARN; use the ARN `start` printed "
            "(arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)"
        )


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def state_document(description: dict[str, Any], events: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The parent's state document: the output, or the last state output a failed run left in its history."""
    output = _json(description.get("output"))
    if isinstance(output, dict):
        return output
    for event in reversed(events or []):
        details = event.get("stateExitedEventDetails") or {}
        document = _json(details.get("output"))
        if isinstance(document, dict) and "run" in document:
            return document
    return {}


def run_state(sfn, execution_arn: str, description: dict[str, Any]) -> dict[str, Any]:
    """The state document of a described execution (its history is read only when the run did not succeed)."""
    events = None if description["status"] == "SUCCEEDED" else history(sfn, execution_arn)
    return state_document(description, events)


def cause_text(cause: str | None) -> str:
    """A Lambda failure's Cause is JSON with ``errorMessage``; anything else is shown as it is."""
    parsed = _json(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    if isinstance(parsed, dict) and "Cause" in parsed:  # RunFailed.*: the caught error, passed on
        return cause_text(parsed["Cause"]) if isinstance(parsed["Cause"], str) else json.dumps(parsed)
    return cause or ""


def _num(value: Any, signed: bool = False) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:+.4f}" if signed else f"{value:.4f}"
    return "n/a"


def _elapsed(description: dict[str, Any]) -> str:
    start, stop = description.get("startDate"), description.get("stopDate")
    if isinstance(start, datetime) and isinstance(stop, datetime):
        return f", {(stop - start).total_seconds():.1f} s"
    return ""


def failure_lines(
    description: dict[str, Any], state: dict[str, Any], raw: bool = False, width: int = 10
) -> tuple[list[str], list[str]]:
    """A failed run in words: ``(lines, last)``: the error, what failed, the service's message and the next
    step; ``last`` holds the raw cause when ``raw`` (``-v``), to print at the very end. A run that failed
    before the workflow caught anything (bad input at ValidateInput, a timeout, a stop) shows its cause."""

    def line(label: str, text: str) -> str:
        return f"{label:<{width}}: {text}"

    lines = [line("error", description.get("error") or "n/a")]
    failure = describe_failure(state) if isinstance(state, dict) and state.get("error") else None
    if failure is None:
        cause = cause_text(description.get("cause"))
        if cause:
            first, *rest = cause.splitlines()
            lines.append(line("cause", first))
            lines.extend(" " * (width + 2) + text for text in rest)
        return lines, []
    lines.append(line("failed", f"{failure.subject} (state {failure.state})"))
    lines.append(line("message", failure.message or "the service gave no message"))
    lines.append(line("next step", failure.next_step))
    if not failure.raw_cause:
        return lines, []
    if not raw:
        return [*lines, line("raw cause", "shown with -v")], []
    return lines, ["", "raw cause (as the service returned it):", failure.raw_cause]


def outcome_lines(description: dict[str, Any], state: dict[str, Any], raw: bool = False) -> list[str]:
    status = description.get("status", "UNKNOWN")
    lines = [f"execution : {description.get('executionArn')}", f"status    : {status}{_elapsed(description)}"]
    tail: list[str] = []
    if status not in ("SUCCEEDED", "RUNNING"):
        failure, tail = failure_lines(description, state, raw)
        lines += failure
    evaluation = (state.get("evaluation") or {}).get("Result") or {}
    if evaluation:
        metric = evaluation.get("Metric", "F1")
        diff = evaluation.get("Difference") or {}
        lines.append(f"verdict   : {evaluation.get('Verdict', 'n/a')}")
        lines.append(
            f"{metric:<10}: base {_num((evaluation.get('Base') or {}).get(metric))}   "
            f"custom {_num((evaluation.get('Custom') or {}).get(metric))}   "
            f"difference {_num(diff.get('Mean'), True)} [{_num(diff.get('Low'), True)}, {_num(diff.get('High'), True)}]"
            f" at {diff.get('ConfidenceLevel', 'n/a')}"
        )
        judge = evaluation.get("Judge") or {}
        if judge.get("WinRate") is not None:
            tokens = int(judge.get("InputTokens") or 0) + int(judge.get("OutputTokens") or 0)
            lines.append(
                f"judge     : win rate {_num(judge.get('WinRate'))} [{_num(judge.get('Low'))}, "
                f"{_num(judge.get('High'))}] (custom over base, ties half; {judge.get('Ties', 0)} ties, "
                f"{judge.get('Unparsable', 0)} unparsable; {tokens:,} judge tokens)"
            )
        counts = evaluation.get("Counts") or {}
        if counts:
            lines.append(
                f"records   : {counts.get('Scored', 'n/a')} scored of {counts.get('Records', 'n/a')} "
                f"(errors: base {counts.get('BaseErrors', 0)}, custom {counts.get('CustomErrors', 0)})"
            )
    elif status == "SUCCEEDED":
        lines.append("verdict   : n/a (no evaluation result in the output)")
    release = state.get("release") or {}
    if release:
        reason = f" ({release['Reason']})" if release.get("Reason") else ""
        lines.append(f"release   : {release.get('Action', 'n/a')}{reason}")
        if release.get("ProvisionedModelArn"):
            lines.append(f"throughput: {release['ProvisionedModelArn']}")
    notification = state.get("notification") or {}
    if notification:
        if notification.get("Sent"):
            to = ", ".join(notification.get("Recipients") or [])
            lines.append(f"email     : sent to {to}: {notification.get('Subject', '')}")
        else:
            lines.append(f"email     : not sent ({notification.get('Error') or 'no recipient'})")
    elif status != "RUNNING":
        lines.append("email     : none")
    if evaluation.get("ReportS3Uri"):
        lines.append(f"report    : {evaluation['ReportS3Uri']}")
    return lines + tail


def _split_s3_uri(uri: str) -> tuple[str, str] | None:
    match = re.match(r"^s3://([^/]+)/(.*)$", uri or "")
    return (match.group(1), match.group(2)) if match else None


def report_location(state: dict[str, Any], run_id: str) -> tuple[str, str] | None:
    """(bucket, prefix) of the run's report folder."""
    run = state.get("run") or {}
    evaluation = (state.get("evaluation") or {}).get("Result") or {}
    located = _split_s3_uri(evaluation.get("ReportS3Uri", ""))
    if located:
        return located[0], located[1].rsplit("/", 1)[0] + "/"
    if run.get("ArtifactsBucket"):
        return run["ArtifactsBucket"], layout.report_prefix(
            layout.prefix_of({**run, "RunId": run.get("RunId") or run_id})
        )
    return None


def download_report(s3, bucket: str, prefix: str, destination: Path) -> list[Path]:
    written: list[Path] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix) :]
            if not relative or relative.endswith("/") or ".." in Path(relative).parts:
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            written.append(target)
        if not page.get("IsTruncated"):
            return written
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def report(aws: Aws, execution_arn: str, out_dir: Path | None, out=None, raw: bool = False) -> int:
    out = out or sys.stdout
    sfn = aws.client("stepfunctions")
    try:
        description = sfn.describe_execution(executionArn=execution_arn)
        state = run_state(sfn, execution_arn, description)
    except Exception as exc:
        raise ReportError(
            f"EXECUTION_ARN: cannot read {execution_arn} ({describe_client_error(exc)}); "
            "check the ARN, --region/--profile or --endpoint-url"
        ) from None
    print("\n".join(outcome_lines(description, state, raw)), file=out)
    run_id = execution_arn.rsplit(":", 1)[-1]
    location = report_location(state, run_id)
    if out_dir is not None and location is not None and description["status"] != "RUNNING":
        bucket, prefix = location
        try:
            files = download_report(aws.client("s3"), bucket, prefix, out_dir / run_id)
        except Exception as exc:
            raise ReportError(
                f"--out: cannot download s3://{bucket}/{prefix} ({describe_client_error(exc)}); "
                "check your access to the artifacts bucket"
            ) from None
        if files:
            print(f"downloaded: {', '.join(str(f) for f in sorted(files))}", file=out)
        else:
            print(f"downloaded: nothing (no report under s3://{bucket}/{prefix})", file=out)
    if description["status"] == "RUNNING":
        print("the run is still running: `bedrock-customize start --watch` follows one", file=out)
    return EXIT_OK if description["status"] == "SUCCEEDED" else EXIT_FAILED


def cmd_report(args: argparse.Namespace) -> int:
    check_execution_arn(args.execution_arn)
    aws = Aws.from_args(args, arn=args.execution_arn)
    out_dir = None if args.no_download else Path(args.out)
    return report(aws, args.execution_arn, out_dir, raw=bool(getattr(args, "verbose", False)))


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "report",
        help="print a run's outcome and download its report files",
        description=(
            "Print status, verdict, scores, release action and email of a run, and download "
            "runs/<run-id>/report/ (summary.json, scores.jsonl, report.html). Exit 0 if the run succeeded, 1 if not."
        ),
    )
    parser.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the parent execution's ARN")
    parser.add_argument("--out", default="out/reports", metavar="DIR", help="download to DIR/<run-id>/ (out/reports)")
    parser.add_argument("--no-download", action="store_true", help="only print the outcome")
    add_aws_arguments(parser)
    parser.set_defaults(func=cmd_report)
