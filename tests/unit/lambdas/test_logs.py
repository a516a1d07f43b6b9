"""Every log line of a handler carries the run id of the event it works on."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path

import pytest

from workflow_lambdas.common import logs

ROOT = Path(__file__).resolve().parents[3]


class _JsonFormatter(logging.Formatter):
    """Like the Lambda runtime's JSON formatter: the message and the record's extra attributes."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"level": record.levelname, "message": record.getMessage(), "run_id": record.run_id})


@pytest.fixture
def lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonFormatter())
    logger = logs.get_logger("workflow_lambdas.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("event", "run_id"),
    [
        ({"run": {"RunId": "run-a"}, "Shard": {"Index": 0}}, "run-a"),  # plan/infer/score/release
        ({"State": {"run": {"RunId": "run-b"}}}, "run-b"),  # notify
        ({"Input": {}, "ExecutionName": "run-c", "ExecutionArn": "arn"}, "run-c"),  # validate_input
        ({"detail": {"name": "run-d", "status": "ABORTED"}}, "run-d"),  # release_stopped_run (event)
        ({"Action": "GET", "RunId": "run-e"}, "run-e"),
        ({"Sweep": True}, None),  # the scheduled sweep works for no single run
        ("not a mapping", None),
    ],
)
def test_every_line_of_a_handler_carries_the_events_run_id(lines, event, run_id):
    logger, read = lines

    @logs.bound
    def handler(event, context=None):
        logger.info("first")
        logger.warning("second")
        return "done"

    assert handler(event) == "done"
    logger.info("after the handler")
    assert [(line["message"], line["run_id"]) for line in read()] == [
        ("first", run_id),
        ("second", run_id),
        ("after the handler", None),
    ]


def test_concurrent_invocations_keep_their_own_run_id(lines):
    """The emulator runs handlers in threads of one process: a line never names another run."""
    logger, read = lines
    barrier = threading.Barrier(2)

    @logs.bound
    def handler(event, context=None):
        barrier.wait(timeout=10)
        logger.info(event["run"]["RunId"])

    threads = [threading.Thread(target=handler, args=({"run": {"RunId": f"run-{i}"}},)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted((line["message"], line["run_id"]) for line in read()) == [("run-0", "run-0"), ("run-1", "run-1")]


def test_a_failing_handler_logs_with_its_run_id_and_unbinds_it(lines):
    logger, read = lines

    @logs.bound
    def handler(event, context=None):
        logger.error("failing")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler({"run": {"RunId": "run-x"}})
    logger.info("later")
    assert [line["run_id"] for line in read()] == ["run-x", None]


def test_every_handler_binds_the_run_id():
    """Each function's entry point (from the Terraform code) is wrapped by logs.bound."""
    import importlib

    from bedrock_customize.emulator.terraform_source import lambda_functions

    for spec in lambda_functions(ROOT).values():
        module_name, _, attr = spec.entrypoint.rpartition(".")
        function = getattr(importlib.import_module(module_name), attr)
        assert getattr(function, "__wrapped__", None) is not None, spec.entrypoint
        assert function.__module__ == module_name  # functools.wraps: the handler's own identity
