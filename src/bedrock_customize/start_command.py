"""``bedrock-customize start INPUT.json --state-machine ARN``: validate, upload, start, and optionally watch.

1. The deployment's buckets and settings come from the validate_input function named by the parent
   definition (see ``deployment.py``).
2. The input is validated locally with the Lambda's code: the files to upload stand in for their
   S3 objects, the other datasets are read from S3. Any problem: exit 2, nothing uploaded or started.
3. ``--upload-training/--upload-validation/--upload-references`` go to the keys the input names.
4. The execution starts; ``--watch`` follows it (states reached, elapsed time, a progress bar of the
   child's shard Map: from its iteration events for an inline Map, from DescribeMapRun item counts for a
   Distributed Map) and prints the outcome. Exit 0 on SUCCEEDED, 1 on FAILED/TIMED_OUT/ABORTED.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .aws_session import Aws, add_aws_arguments, describe_client_error
from .deployment import add_bucket_arguments, check_state_machine_arn, find_deployment
from .executions import PARENT, RunFollower
from .report_command import outcome_lines, run_state
from .validate_command import (
    EXIT_BAD_INPUT,
    UsageError,
    add_file_arguments,
    check_input,
    dataset_locations,
    load_input,
    print_outcome,
    remote_s3_fetch,
)

EXIT_OK = 0
EXIT_FAILED = 1
BAR_WIDTH = 24


class StartError(Exception):
    """Upload or start failed: one line, exit 2."""


def execution_name() -> str:
    return f"run-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


# --- watching ---------------------------------------------------------------------------------------------


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


class Watcher:
    """Follow a parent execution and its child: print states as they are entered and Map progress."""

    def __init__(self, sfn, execution_arn: str, out=None, poll: float = 5.0) -> None:
        self.follower = RunFollower(sfn, execution_arn)
        self.out = out or sys.stdout
        self.poll = poll
        self.maps: dict[tuple[str, str], list[int]] = {}  # (execution, map name) -> [done, total]
        self.current_map: dict[str, str] = {}
        self.map_runs: dict[str, tuple[str, str, list[int] | None]] = {}  # map run -> (workflow, name, shown)

    def _print(self, elapsed: float, workflow: str, text: str) -> None:
        indent = "  " if workflow == PARENT else "      "
        print(f"[{elapsed:7.1f}s]{indent}{workflow}: {text}", file=self.out, flush=True)

    def _show(self, workflow: str, arn: str, event: dict[str, Any]) -> None:
        elapsed = self.follower.elapsed(event)
        kind = event.get("type", "")
        entered = event.get("stateEnteredEventDetails")
        if entered:
            self._print(elapsed, workflow, entered["name"])
            if kind == "MapStateEntered":
                self.current_map[arn] = entered["name"]
        elif kind == "MapStateStarted":
            name = self.current_map.get(arn, "Map")
            total = int((event.get("mapStateStartedEventDetails") or {}).get("length", 0))
            self.maps[(arn, name)] = [0, total]
            self._print(elapsed, workflow, f"{name} {bar(0, total)} shards")
        elif kind == "MapRunStarted":
            map_run = (event.get("mapRunStartedEventDetails") or {}).get("mapRunArn")
            if map_run:
                self.map_runs[map_run] = (workflow, self.current_map.get(arn, "Map"), None)
                self._show_map_runs(elapsed)
        elif kind in ("MapRunSucceeded", "MapRunFailed", "MapRunAborted"):
            self._show_map_runs(elapsed, final=True)
        elif kind in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
            name = details.get("name") or self.current_map.get(arn, "Map")
            progress = self.maps.setdefault((arn, name), [0, 0])
            progress[0] += 1
            failed = "" if kind == "MapIterationSucceeded" else f" (shard {details.get('index')} failed)"
            self._print(elapsed, workflow, f"{name} {bar(*progress)} shards{failed}")

    def _show_map_runs(self, elapsed: float, final: bool = False) -> None:
        """A Distributed Map's progress: its iterations are child executions, counted by DescribeMapRun."""
        for map_run, (workflow, name, shown) in list(self.map_runs.items()):
            counts = self.follower.sfn.describe_map_run(mapRunArn=map_run).get("itemCounts") or {}
            done = int(counts.get("succeeded", 0)) + int(counts.get("failed", 0)) + int(counts.get("aborted", 0))
            now = [done, int(counts.get("total", 0)), int(counts.get("failed", 0))]
            if now != shown:
                failed = f" ({now[2]} failed)" if now[2] else ""
                self._print(elapsed, workflow, f"{name} {bar(now[0], now[1])} shards{failed}")
                self.map_runs[map_run] = (workflow, name, now)
            if final:
                del self.map_runs[map_run]

    def run(self, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            description, events = self.follower.poll()
            for workflow, arn, event in events:
                self._show(workflow, arn, event)
            if self.map_runs:
                self._show_map_runs(self.follower.elapsed({"timestamp": datetime.now(UTC)}))
            if description["status"] != "RUNNING":
                return description
            if deadline is not None and time.monotonic() > deadline:
                print(f"still running after {timeout:.0f} s; stopped watching (the run goes on)", file=self.out)
                return description
            time.sleep(self.poll)


# --- the command ----------------------------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    raw = load_input(args.input)
    uploads = {"training": args.upload_training, "validation": args.upload_validation}
    uploads["references"] = args.upload_references
    for role, path in uploads.items():
        if path is not None and not path.is_file():
            raise UsageError(f"--upload-{role}: file {path} does not exist; check the path")
    check_state_machine_arn(args.state_machine)
    aws = Aws.from_args(args, arn=args.state_machine)
    deployment = find_deployment(aws, args.state_machine, args)

    name = args.name or execution_name()
    outcome = check_input(
        raw,
        settings=deployment.settings,
        local_files=uploads,
        remote_fetch=remote_s3_fetch(aws, deployment.settings),
        execution_arn=deployment.execution_arn(name),
        flags=2,
    )
    if not outcome.ok:
        print_outcome(outcome, args.input)
        print("nothing was uploaded or started", file=sys.stdout)
        return EXIT_BAD_INPUT
    for warning in outcome.warnings:
        print(f"warning: {warning}")

    s3 = aws.client("s3")
    targets = dataset_locations(raw, deployment.settings)
    for role, path in uploads.items():
        if path is None:
            continue
        bucket, key = targets[role]
        try:
            s3.upload_file(str(path), bucket, key)
        except Exception as exc:
            raise StartError(
                f"--upload-{role}: cannot upload {path} to s3://{bucket}/{key} ({describe_client_error(exc)}); "
                "check your access to the bucket"
            ) from None
        print(f"uploaded {path} to s3://{bucket}/{key}")

    sfn = aws.client("stepfunctions")
    try:
        arn = sfn.start_execution(stateMachineArn=args.state_machine, name=name, input=json.dumps(raw))["executionArn"]
    except Exception as exc:
        raise StartError(f"--state-machine: cannot start an execution ({describe_client_error(exc)})") from None
    print(f"started {arn}", flush=True)
    if not aws.endpoint_url:
        console = f"https://{aws.region}.console.aws.amazon.com/states/home?region={aws.region}"
        print(f"console: {console}#/v2/executions/details/{arn}")
    if not args.watch:
        print(f"follow it with: bedrock-customize report {arn}")
        return EXIT_OK

    description = Watcher(sfn, arn, poll=args.poll).run(timeout=args.timeout)
    if description["status"] == "RUNNING":
        return EXIT_FAILED
    raw = bool(getattr(args, "verbose", False))
    print("\n".join(["", *outcome_lines(description, run_state(sfn, arn, description), raw)]))
    print(f"report files: bedrock-customize report {arn} --out DIR")
    return EXIT_OK if description["status"] == "SUCCEEDED" else EXIT_FAILED


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "start",
        help="validate locally, upload datasets, start a run (and --watch it)",
        description=(
            "Validate the input with the ValidateInput code (uploads stand in for their S3 objects, other "
            "datasets are read from S3), upload the datasets to the deployment's buckets under the keys the input "
            "names, and start the parent state machine. Exit 2 on bad input (nothing uploaded or started); with "
            "--watch, 0 when the run succeeds and 1 when it fails."
        ),
    )
    parser.add_argument("input", metavar="INPUT.json", help="execution input JSON file ('-' for stdin)")
    parser.add_argument(
        "--state-machine", required=True, metavar="ARN", help="the parent state machine (module output)"
    )
    add_file_arguments(parser, prefix="upload-")
    parser.add_argument("--name", help="execution name (default run-<UTC time>-<random>); also the run id")
    parser.add_argument("--watch", action="store_true", help="follow the run until it ends")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between progress checks (5)")
    parser.add_argument("--timeout", type=float, default=None, help="stop watching after this many seconds")
    add_bucket_arguments(parser)
    add_aws_arguments(parser)
    parser.set_defaults(func=cmd_start)
