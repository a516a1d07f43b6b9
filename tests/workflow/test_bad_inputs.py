"""Bad inputs fed to the parent state machine on the emulator: each fails at ValidateInput, before any spend.

Every bad case of the shared table (tests/validation_cases.py), the same inputs and datasets that the
unit tests run through the Lambda code and the CLI. One emulator per region (each case runs in its
model's region) serves the cases; the buckets are emptied between them.
"""

from __future__ import annotations

import json

import pytest
from validation_cases import CASES_BY_NAME, TRAIN, VALID, build

from bedrock_customize.emulator import Emulator, EmulatorConfig, region_for_model

pytestmark = pytest.mark.workflow

BAD_CASES = sorted(name for name, case in CASES_BY_NAME.items() if case.fields)


def _region(name: str) -> str:
    return region_for_model(build(CASES_BY_NAME[name])[0].get("BaseModelIdentifier"))


# ordered by region, so that the module's emulator changes region as rarely as possible
BY_REGION = sorted(BAD_CASES, key=lambda name: (_region(name), name))

MUST_COVER = [
    "missing base model",
    "hyperparameter as number",
    "misspelt top-level field",
    "nova epochs above range",
    "claude batch size below range",
    "unknown model",
    "job name too long",
    "training file missing",
    "one corrupt line among good ones",
    "prompt/completion data for nova",
    "mismatched validation and reference lengths",
    "duplicate ids",
]


@pytest.fixture(scope="module")
def emulators():
    """``emulator_in(region)``: the emulator of that region. ValidateInput checks the model against the
    function's region, so each case runs where its model can be customized (else a region problem would
    join the case's own). moto's state is per process, so one emulator runs at a time: the cases are
    ordered by region and the emulator is replaced when the region changes."""
    current: dict[str, Emulator] = {}

    def emulator_in(region: str) -> Emulator:
        if region not in current:
            for emulator in current.values():
                emulator.stop()
            current.clear()
            emulator = Emulator(EmulatorConfig.scenario("better", region=region))
            emulator.start()
            current[region] = emulator
        return current[region]

    yield emulator_in
    for emulator in current.values():
        emulator.stop()


def _empty_buckets(emu: Emulator) -> None:
    s3 = emu.client("s3")
    for kind in ("training", "validation"):
        bucket = emu.deployment.buckets[kind]
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])


def test_every_bad_case_runs_on_the_emulator():
    assert len(BAD_CASES) >= 30
    assert set(MUST_COVER) <= set(BAD_CASES)  # the families and kinds of problem that must stay covered
    assert {CASES_BY_NAME[name].scenario for name in BAD_CASES} == {"ancestor", "llama", "nova", "claude"}


@pytest.mark.parametrize("name", BY_REGION)
def test_bad_input_fails_at_validate_input_with_no_bedrock_resource(emulators, name):
    case = CASES_BY_NAME[name]
    raw, files = build(case)
    emu = emulators(_region(name))
    _empty_buckets(emu)
    kinds = {TRAIN: "training", VALID: "validation"}
    for (bucket, key), body in files.items():
        emu.upload(kinds[bucket], key, body)

    arn = emu.start_run(raw)
    description = emu.wait(arn, timeout=120)

    assert description["status"] == "FAILED"
    assert description["error"] == "InvalidInput"
    message = json.loads(description["cause"])["errorMessage"]
    lines = message.splitlines()
    assert {line.split(":", 1)[0] for line in lines} == case.fields, lines  # every problem, each naming its field
    if case.contains and "s3://" not in case.contains:
        assert any(case.contains in line for line in lines), lines
    assert emu.entered_states(arn) == ["ValidateInput"]
    assert emu.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    assert emu.world.throughputs == {}
    assert emu.sent_emails() == []
