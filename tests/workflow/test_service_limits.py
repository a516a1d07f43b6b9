"""The emulator enforces Step Functions' own limits on every execution (emulator/limits.py).

Both machines here are tiny ASL documents run on the same patched interpreter as the module's
templates, so a state that outgrows a limit fails exactly as the service fails it.
"""

from __future__ import annotations

import json
import time

import pytest

from bedrock_customize.emulator import limits

pytestmark = pytest.mark.workflow


def _run(emu, name: str, definition: dict, execution_input: dict | None = None, timeout: float = 120.0) -> dict:
    sfn = emu.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{emu.config.account_id}:role/x"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input or {}))["executionArn"]
    deadline = time.monotonic() + timeout
    while (description := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.1)
    return description


def _doubler() -> dict:
    """A Pass state whose output holds its input string twice."""
    return {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": True}},
    }


def test_oversized_state_output_fails_with_data_limit_exceeded(emulator_factory):
    emu = emulator_factory("better")
    # Input about 140,000 bytes (fits), output about 280,000 bytes (over 262,144).
    description = _run(emu, "too-big", _doubler(), {"s": "x" * 140_000})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.DataLimitExceeded"
    assert limits.OBSERVED.max_state_bytes > limits.MAX_PAYLOAD_BYTES


def test_state_just_under_the_limit_passes_and_is_measured(emulator_factory):
    emu = emulator_factory("better")
    description = _run(emu, "fits", _doubler(), {"s": "x" * 130_000})  # output about 260,015 bytes
    assert description["status"] == "SUCCEEDED"
    size = limits.payload_bytes(json.loads(description["output"]))
    assert 260_000 < size <= limits.MAX_PAYLOAD_BYTES
    assert limits.OBSERVED.max_state_bytes == size


def test_oversized_state_input_fails_with_data_limit_exceeded(emulator_factory):
    """The input a state receives (after InputPath) is held to the same limit as its output."""
    emu = emulator_factory("better")
    definition = {
        "StartAt": "Small",
        "States": {"Small": {"Type": "Pass", "InputPath": "$.payload", "Result": "ok", "End": True}},
    }
    description = _run(emu, "big-input", definition, {"payload": "x" * 300_000})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.DataLimitExceeded"


def test_history_longer_than_25000_events_fails_the_execution(emulator_factory):
    emu = emulator_factory("better")
    # Inline Maps, 7 x 1,000 iterations, all in one history: each iteration adds 4 events.
    inner = {
        "Type": "Map",
        "ItemsPath": "$.inner",
        "MaxConcurrency": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Noop",
            "States": {"Noop": {"Type": "Pass", "Result": 1, "End": True}},
        },
        "ResultPath": None,
        "End": True,
    }
    definition = {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Pass",
                "Parameters": {"outer.$": "States.ArrayRange(1, 7, 1)", "inner.$": "States.ArrayRange(1, 1000, 1)"},
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.outer",
                "MaxConcurrency": 1,
                "ItemSelector": {"inner.$": "$.inner"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Inner",
                    "States": {"Inner": inner},
                },
                "ResultPath": None,
                "End": True,
            },
        },
    }
    description = _run(emu, "long-history", definition, timeout=300)
    assert description["status"] == "FAILED"
    assert description["error"] == limits.HISTORY_LIMIT_ERROR
    assert "25000" in (description.get("cause") or "")
    assert limits.OBSERVED.max_history_events > limits.MAX_HISTORY_EVENTS
