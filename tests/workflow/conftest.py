"""Workflow tests: the real rendered state machines executed on the local emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from state_coverage import ENTERED
from workflow_support import demo_input

from bedrock_customize.emulator import Emulator, EmulatorConfig, distributed_map, region_for_model

# The model of the demo input, which most workflow tests run (Llama 3.1 8B: us-west-2 only).
DEMO_MODEL = demo_input()["BaseModelIdentifier"]


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(scenario: str = "better", base_model: str | None = None, **overrides) -> Emulator:
        """An emulator in the region where ``base_model`` (default: the demo input's model) is customized,
        as ValidateInput checks the model against the function's region; ``region=`` overrides it."""
        overrides.setdefault("region", region_for_model(base_model or DEMO_MODEL))
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
                ENTERED["evaluate"].update(distributed_map.iteration_states(arn))  # its shard iterations
        finally:
            emu.stop()


@pytest.fixture
def emulator(emulator_factory) -> Emulator:
    emu = emulator_factory("better")
    emu.upload_sample()
    return emu
