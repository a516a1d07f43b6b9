"""Step Functions service limits, enforced on every execution the emulator runs (moto 5.2.5 internals).

The numbers are the service's ("Step Functions service quotas", AWS Step Functions Developer Guide):

* Maximum input or output size for a task, state, or execution: 256 KiB of UTF-8 JSON
  (the API's ``StateEnteredEventDetails.input`` / ``StateExitedEventDetails.output`` allow at most
  262,144 bytes). Over it, the state fails with ``States.DataLimitExceeded``.
* Maximum execution history size: 25,000 events; the execution fails when it would grow past it.
  A Distributed Map runs each iteration as a child execution with a history of its own.

moto checks a state's output only with a strict ``<`` and never checks a state's input or the
history length. The patches here close that: every state input and output is measured (``<=``
262,144 bytes passes, like the API's length constraint), every history is counted (each Distributed
Map iteration its own: ``distributed_map.py``), and
the largest of each is kept in :data:`OBSERVED` for the demo's ``max_state_bytes`` /
``max_history_events``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

MAX_PAYLOAD_BYTES = 262_144  # 256 KiB
MAX_HISTORY_EVENTS = 25_000
# The quotas page says the execution fails at the history limit but names no error; the
# emulator reports the runtime error class of the service.
HISTORY_LIMIT_ERROR = "States.Runtime"


class Observed:
    """The largest state payload and the longest history seen since :meth:`reset` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.max_state_bytes = 0
        self.max_history_events = 0

    def reset(self) -> None:
        with self._lock:
            self.max_state_bytes = 0
            self.max_history_events = 0

    def payload(self, size: int) -> None:
        with self._lock:
            self.max_state_bytes = max(self.max_state_bytes, size)

    def history(self, events: int) -> None:
        with self._lock:
            self.max_history_events = max(self.max_history_events, events)


OBSERVED = Observed()


def payload_bytes(value: Any) -> int:
    """Size of ``value`` as the service counts it: UTF-8 bytes of its JSON text."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8", "surrogatepass"))


def within_size_quota(value: Any) -> bool:
    size = payload_bytes(value)
    OBSERVED.payload(size)
    return size <= MAX_PAYLOAD_BYTES


def _history_length(event_manager: Any) -> int:
    return len(getattr(event_manager, "_history_event_list", ()))


def apply() -> None:
    """Install the limit checks into moto's interpreter (called once by ``moto_patches.apply``)."""
    from moto.stepfunctions.parser import quotas
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    # 1. Sizes: the same check everywhere moto checks one, with the service's bound, measured.
    for module in (quotas, state_module, state_task_lambda, state_task_service):
        module.is_within_size_quota = within_size_quota

    state_cls = state_module.CommonStateField
    original_input = state_cls._eval_state_input
    original_body = state_cls._eval_body

    def _eval_state_input(self, env):
        original_input(self, env)
        if env.stack:
            size = payload_bytes(env.stack[-1])
            OBSERVED.payload(size)
            if size > MAX_PAYLOAD_BYTES:
                # The state-level check (States.DataLimitExceeded) on the effective input.
                state_cls._verify_size_quota(self, env, env.stack[-1])

    # 2. History length: counted per event manager (= per execution history).
    original_add_event = EventManager.add_event

    def add_event(self, *args, **kwargs):
        event_id = original_add_event(self, *args, **kwargs)
        OBSERVED.history(_history_length(self))
        return event_id

    def _eval_body(self, env):
        original_body(self, env)
        events = _history_length(env.event_manager)
        if events > MAX_HISTORY_EVENTS:
            cause = (
                f"The execution history reached {events} events, more than the service limit of "
                f"{MAX_HISTORY_EVENTS} per execution (Step Functions service quotas)."
            )
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=EventDetails(
                        executionFailedEventDetails=ExecutionFailedEventDetails(error=HISTORY_LIMIT_ERROR, cause=cause)
                    ),
                )
            )

    state_cls._eval_state_input = _eval_state_input
    state_cls._eval_body = _eval_body
    EventManager.add_event = add_event
