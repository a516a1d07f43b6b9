"""Following executions: only new history events are read, over pages, newest first as AWS returns them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bedrock_customize.executions import RunFollower, events_after, history, started_executions

T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
PARENT_ARN = "arn:aws:states:us-east-1:123456789012:execution:customize:run-1"
CHILD_ARN = "arn:aws:states:us-east-1:123456789012:execution:evaluate:child-1"


def entered(event_id: int, name: str, seconds: float) -> dict:
    return {
        "id": event_id,
        "type": "TaskStateEntered",
        "timestamp": T0 + timedelta(seconds=seconds),
        "stateEnteredEventDetails": {"name": name},
    }


def child_started(event_id: int, seconds: float) -> dict:
    return {
        "id": event_id,
        "type": "TaskSubmitted",
        "timestamp": T0 + timedelta(seconds=seconds),
        "taskSubmittedEventDetails": {
            "resourceType": "states",
            "resource": "startExecution.sync:2",
            "output": json.dumps({"ExecutionArn": CHILD_ARN}),
        },
    }


class PagedSfn:
    """GetExecutionHistory as AWS serves it: maxResults per page, reverseOrder, nextToken."""

    def __init__(self, histories: dict[str, list[dict]], status: str = "RUNNING") -> None:
        self.histories = histories
        self.status = status
        self.pages_read = 0

    def get_execution_history(self, executionArn, maxResults=1000, reverseOrder=False, nextToken=None):
        events = list(reversed(self.histories[executionArn])) if reverseOrder else list(self.histories[executionArn])
        start = int(nextToken or 0)
        self.pages_read += 1
        page = {"events": events[start : start + maxResults]}
        if start + maxResults < len(events):
            page["nextToken"] = str(start + maxResults)
        return page

    def describe_execution(self, executionArn):
        return {"executionArn": executionArn, "status": self.status, "startDate": T0}


def test_events_after_stops_at_the_first_page_it_has_seen():
    events = [entered(i, f"S{i}", i) for i in range(1, 251)]
    sfn = PagedSfn({PARENT_ARN: events})
    assert [e["id"] for e in events_after(sfn, PARENT_ARN, after=245, page_size=10)] == [246, 247, 248, 249, 250]
    assert sfn.pages_read == 1
    sfn.pages_read = 0
    assert [e["id"] for e in events_after(sfn, PARENT_ARN, after=0, page_size=10)] == list(range(1, 251))
    assert sfn.pages_read == 25
    assert history(sfn, PARENT_ARN) == events


def test_events_after_also_reads_a_history_served_oldest_first_in_one_page():
    class Unpaged(PagedSfn):  # moto ignores maxResults and reverseOrder
        def get_execution_history(self, executionArn, **_ignored):
            return {"events": list(self.histories[executionArn])}

    sfn = Unpaged({PARENT_ARN: [entered(i, f"S{i}", i) for i in range(1, 6)]})
    assert [e["id"] for e in events_after(sfn, PARENT_ARN, after=3)] == [4, 5]


def test_follower_returns_each_event_once_parent_and_child_in_time_order():
    parent = [entered(1, "ValidateInput", 0), entered(2, "Evaluate", 1), child_started(3, 1.5)]
    child = [entered(1, "PlanShards", 2)]
    sfn = PagedSfn({PARENT_ARN: parent, CHILD_ARN: child})
    follower = RunFollower(sfn, PARENT_ARN)
    _, events = follower.poll()
    assert [(w, e["id"]) for w, _, e in events] == [
        ("customize", 1),
        ("customize", 2),
        ("customize", 3),
        ("evaluate", 1),
    ]
    parent.append(entered(4, "Decide", 5))
    child.append(entered(2, "Aggregate", 4))
    _, events = follower.poll()
    assert [(w, e["stateEnteredEventDetails"]["name"]) for w, _, e in events] == [
        ("evaluate", "Aggregate"),
        ("customize", "Decide"),
    ]
    assert [follower.elapsed(e) for _, _, e in events] == [4.0, 5.0]
    _, events = follower.poll()
    assert events == [] and follower.children == [CHILD_ARN]


def test_started_executions_reads_start_execution_tasks_only():
    other = {"id": 9, "taskSubmittedEventDetails": {"resourceType": "lambda", "resource": "invoke", "output": "{}"}}
    assert started_executions([child_started(1, 0), other, child_started(2, 1)]) == [CHILD_ARN]
