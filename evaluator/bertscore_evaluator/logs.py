"""Structured logs with the run id on every line (the evaluator image's copy of
``workflow_lambdas.common.logs``: the image holds no ``workflow_lambdas``; a test keeps the two equal).

The functions log in Lambda's native JSON format (``logging_config { log_format = "JSON" }`` in
``modules/lambda-function``): the Python runtime formats every record as a JSON object with its
timestamp, level, message, request id and the record's extra attributes, and filters by the
function's application log level, so no handler sets a level of its own ("Using Lambda's advanced
logging controls with Python", AWS Lambda Developer Guide). :func:`bound` puts the run id of the
event into a context variable and :class:`RunIdFilter` adds it to every record of the package's
loggers as ``run_id``, which the JSON formatter writes as a key.

Why not Powertools for AWS Lambda Logger: it brings its own formatter where the runtime already
writes JSON, and its dependencies (jmespath, typing-extensions) would join the pinned closure of
the zip (``lambdas/requirements.txt``, checked by tests/terraform/test_lambda_package.py) for one
key per line that a 20-line filter adds.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

_RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)

Handler = TypeVar("Handler", bound=Callable[..., Any])


class RunIdFilter(logging.Filter):
    """Adds ``run_id`` (the run the current invocation works for, or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = _RUN_ID.get()
        return True


_FILTER = RunIdFilter()


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` whose records carry ``run_id``."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def run_id_in(event: Any) -> str | None:
    """The run id an event carries: the run context (``run`` or ``State.run``), a ``RunId``, the
    execution name (the run id is the execution name), or an execution status change's
    ``detail.name``."""
    if not isinstance(event, Mapping):
        return None
    for holder in (event, event.get("State")):
        if isinstance(holder, Mapping):
            run = holder.get("run")
            if isinstance(run, Mapping) and (found := _text(run.get("RunId"))):
                return found
    detail = event.get("detail")
    return (
        _text(event.get("RunId"))
        or _text(event.get("ExecutionName"))
        or (_text(detail.get("name")) if isinstance(detail, Mapping) else None)
    )


def bound(handler: Handler) -> Handler:
    """Run a Lambda handler with the event's run id bound for its log lines."""

    @functools.wraps(handler)
    def wrapper(event: Any, *args: Any, **kwargs: Any) -> Any:
        token = _RUN_ID.set(run_id_in(event))
        try:
            return handler(event, *args, **kwargs)
        finally:
            _RUN_ID.reset(token)

    return wrapper  # type: ignore[return-value]  # same signature: functools.wraps keeps it
