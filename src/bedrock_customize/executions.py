"""Step Functions executions as the CLI and the emulator read them: histories, and following a run.

:class:`RunFollower` follows a parent execution and the child executions its
``states:startExecution`` tasks start. Each poll reads only the events it has not seen:
newest first (``reverseOrder``), stopping at the first page that reaches an event it already has,
so a long evaluation's history is not read again in full every few seconds.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

PARENT = "customize"
CHILD = "evaluate"


def history(sfn, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def events_after(sfn, execution_arn: str, after: int = 0, page_size: int = 100) -> list[dict[str, Any]]:
    """The events whose id is greater than ``after``, oldest first."""
    fresh: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": page_size, "reverseOrder": True}
    while True:
        page = sfn.get_execution_history(**kwargs)
        fresh += [event for event in page["events"] if event["id"] > after]
        if not page.get("nextToken") or any(event["id"] <= after for event in page["events"]):
            return sorted(fresh, key=lambda event: event["id"])
        kwargs["nextToken"] = page["nextToken"]


def started_executions(events: list[dict[str, Any]]) -> list[str]:
    """ARNs of the executions that ``states:startExecution`` tasks in these events started, in order."""
    arns: list[str] = []
    for event in events:
        details = event.get("taskSubmittedEventDetails") or {}
        resource = str(details.get("resource", ""))
        if details.get("resourceType") != "states" or not resource.startswith("startExecution"):
            continue
        try:
            arn = json.loads(details.get("output") or "{}").get("ExecutionArn")
        except json.JSONDecodeError:
            arn = None
        if arn and arn not in arns:
            arns.append(arn)
    return arns


class RunFollower:
    """Poll a parent execution and its child executions for the history events not seen yet."""

    def __init__(self, sfn, execution_arn: str) -> None:
        self.sfn = sfn
        self.arn = execution_arn
        self.started: datetime | None = None
        self.children: list[str] = []
        self._last_id: dict[str, int] = {}  # execution ARN -> id of the last event returned

    def elapsed(self, event: dict[str, Any]) -> float:
        """Seconds from the parent's start to this event."""
        timestamp = event.get("timestamp")
        if isinstance(timestamp, datetime) and self.started is not None:
            return max(0.0, (timestamp - self.started).total_seconds())
        return 0.0

    def _new_events(self, arn: str) -> list[dict[str, Any]]:
        events = events_after(self.sfn, arn, self._last_id.get(arn, 0))
        if events:
            self._last_id[arn] = events[-1]["id"]
        return events

    def poll(self) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
        """The parent's description (read first, so a finished run's last events are in this poll) and
        the new events as (workflow, execution ARN, event), parent and children, in time order."""
        description = self.sfn.describe_execution(executionArn=self.arn)
        self.started = self.started or description.get("startDate")
        parent_events = self._new_events(self.arn)
        self.children += [arn for arn in started_executions(parent_events) if arn not in self.children]
        fresh = [(PARENT, self.arn, event) for event in parent_events]
        for child in self.children:
            fresh += [(CHILD, child, event) for event in self._new_events(child)]
        fresh.sort(key=lambda item: self.elapsed(item[2]))
        return description, fresh
