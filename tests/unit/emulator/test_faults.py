"""Fault files: validation (one clear line per mistake) and how each key maps onto the emulator settings."""

from __future__ import annotations

import json

import pytest

from bedrock_customize.emulator import EmulatorConfig
from bedrock_customize.emulator.faults import (
    KEYS,
    FaultError,
    apply_faults,
    fault_problems,
    load_faults,
    validate_faults,
)

EVERY_FAULT = {
    "customization_job": "Failed",
    "create_throughput": "error",
    "throughput_status": "never_in_service",
    "create_deployment": "error",
    "deployment_status": "never_active",
    "inference_throttle_rate": 0.25,
    "inference_lambda": "crash",
    "evaluator": "crash",
    "child_timeout": True,
    "ses": "reject",
    "release_first_delete": "throttle",
    "custom_model": "worse",
    "candidate_job_failed": "lr-high",
    "candidate_never_ready": "lr-low",
}


def test_every_documented_key_is_known():
    assert set(EVERY_FAULT) == set(KEYS)
    assert validate_faults(EVERY_FAULT) == EVERY_FAULT


def test_empty_object_changes_nothing():
    assert apply_faults(EmulatorConfig(), {}) == EmulatorConfig()


def test_every_fault_combines():
    config = apply_faults(EmulatorConfig(), EVERY_FAULT)
    assert config.job_outcome == "Failed"
    assert config.candidate_job_failed == "lr-high" and config.candidate_never_ready == "lr-low"
    assert config.create_throughput_error is True
    assert config.throughput_outcome == "never_in_service" and config.throughput_max_polls == 3
    assert config.base.throttle_rate == config.custom.throttle_rate == 0.25
    assert config.crash_functions == ("infer", "score")
    assert config.evaluation_timeout_seconds == 1 and config.base.latency_ms >= 100
    assert config.ses_reject is True
    assert config.throttle_first_delete is True
    assert config.custom.quality < config.base.quality  # "worse"


@pytest.mark.parametrize(
    ("value", "base_wins"),
    [("better", False), ("worse", True)],
)
def test_custom_model_quality(value, base_wins):
    config = apply_faults(EmulatorConfig(), {"custom_model": value})
    assert (config.base.quality > config.custom.quality) is base_wins


def test_same_quality():
    config = apply_faults(EmulatorConfig(), {"custom_model": "same"})
    assert config.base.quality == config.custom.quality


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"sess": "reject"}, "faults.sess: unknown fault; use one of"),
        ({"ses": "drop"}, 'faults.ses: "drop" is not allowed; use "reject"'),
        ({"customization_job": "failed"}, 'use "Failed" | "Stopped"'),
        ({"child_timeout": "yes"}, 'faults.child_timeout: "yes" is not allowed; use true | false'),
        ({"child_timeout": 1}, "faults.child_timeout: 1 is not allowed"),
        ({"inference_throttle_rate": 1.5}, "faults.inference_throttle_rate: 1.5 is not a number from 0.0 to 1.0"),
        ({"inference_throttle_rate": True}, "faults.inference_throttle_rate"),
        ({"inference_throttle_rate": "0.2"}, "faults.inference_throttle_rate"),
        (["ses"], "faults: must be one JSON object"),
    ],
)
def test_bad_faults_are_rejected_with_one_clear_line(faults, message):
    with pytest.raises(FaultError) as info:
        validate_faults(faults)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_apply_validates_too():
    with pytest.raises(FaultError):
        apply_faults(EmulatorConfig(), {"evaluator": "slow"})


def test_load_faults_from_file(tmp_path):
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"ses": "reject", "inference_throttle_rate": 0}), encoding="utf-8")
    assert load_faults(path) == {"ses": "reject", "inference_throttle_rate": 0}


def test_load_faults_missing_or_invalid_file(tmp_path):
    with pytest.raises(FaultError, match="does not exist"):
        load_faults(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ses: reject}", encoding="utf-8")
    with pytest.raises(FaultError, match="is not valid JSON"):
        load_faults(bad)


def test_cli_rejects_a_bad_fault_file_with_exit_2(tmp_path, capsys):
    from bedrock_customize.cli import main

    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"release_first_delete": "fail"}), encoding="utf-8")
    assert main(["demo", "--faults", str(path)]) == 2
    err = capsys.readouterr().err
    assert "faults.release_first_delete" in err and '"throttle"' in err


def test_deployment_faults_configure_the_emulator():
    from bedrock_customize.emulator.config import EmulatorConfig
    from bedrock_customize.emulator.faults import apply_faults

    config = apply_faults(EmulatorConfig(), {"create_deployment": "error", "deployment_status": "never_active"})
    assert config.create_deployment_error is True
    assert config.deployment_outcome == "never_active" and config.deployment_max_polls == 3
    assert apply_faults(EmulatorConfig(), {"deployment_status": "Failed"}).deployment_outcome == "Failed"


@pytest.mark.parametrize("key", ["candidate_job_failed", "candidate_never_ready"])
def test_candidate_faults_need_a_candidate_name(key):
    problems = fault_problems({key: 3})
    assert len(problems) == 1 and problems[0].startswith(f"faults.{key}: 3 is not a candidate name")
