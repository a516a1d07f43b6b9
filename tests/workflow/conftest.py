"""Workflow tests: the real rendered state machines executed on the local emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from state_coverage import ENTERED

from bedrock_customize.emulator import Emulator, EmulatorConfig


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(scenario: str = "better", **overrides) -> Emulator:
        emu = Emulator(EmulatorConfig.scenario(scenario, **overrides))
        emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        try:
            for arn in [
                e["executionArn"]
                for e in emu.client("stepfunctions").list_executions(stateMachineArn=emu.deployment.parent_arn)[
                    "executions"
                ]
            ]:
                ENTERED["customize"].update(emu.entered_states(arn))
            for arn in emu.child_executions():
                ENTERED["evaluate"].update(emu.entered_states(arn))
        finally:
            emu.stop()


@pytest.fixture
def emulator(emulator_factory) -> Emulator:
    emu = emulator_factory("better")
    emu.upload_sample()
    return emu
