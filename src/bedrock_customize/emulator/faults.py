"""Fault injection for the demo and the workflow tests: one flat JSON object, every key optional.

{"customization_job": "Failed"|"Stopped", "create_throughput": "error",
 "throughput_status": "Failed"|"never_in_service", "create_deployment": "error",
 "deployment_status": "Failed"|"never_active", "inference_throttle_rate": 0.0-1.0,
 "inference_lambda": "crash", "evaluator": "crash", "child_timeout": true, "ses": "reject",
 "release_first_delete": "throttle", "custom_model": "better"|"worse"|"same",
 "candidate_job_failed": "<candidate name>", "candidate_never_ready": "<candidate name>"}

The two ``candidate_*`` keys act on one candidate of a sweep (``Candidates``): its customization job
fails, or its deployment or throughput never becomes ready.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..json_files import load_json_file
from .config import SCENARIO_QUALITIES, SCENARIOS, EmulatorConfig

_CHOICES: dict[str, tuple[Any, ...]] = {
    "customization_job": ("Failed", "Stopped"),
    "create_throughput": ("error",),
    "throughput_status": ("Failed", "never_in_service"),
    "create_deployment": ("error",),
    "deployment_status": ("Failed", "never_active"),
    "inference_lambda": ("crash",),
    "evaluator": ("crash",),
    "child_timeout": (True, False),
    "ses": ("reject",),
    "release_first_delete": ("throttle",),
    "custom_model": SCENARIOS,
}
CANDIDATE_KEYS = ("candidate_job_failed", "candidate_never_ready")
KEYS = tuple(_CHOICES) + ("inference_throttle_rate", *CANDIDATE_KEYS)


DOC = "docs/failure-behaviour.md (Fault injection)"


class FaultError(ValueError):
    """A fault file that cannot be used: one line per mistake, each naming the key and the fix."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def fault_problems(faults: Any) -> list[str]:
    """Every mistake in a fault object, one line each (empty when it is usable)."""
    if not isinstance(faults, dict):
        return ['faults: must be one JSON object like {"ses": "reject"}; wrap the keys in {...}']
    problems = []
    for key, value in faults.items():
        if key not in KEYS:
            problems.append(f"faults.{key}: unknown fault; use one of {', '.join(KEYS)} (see {DOC})")
        elif key in CANDIDATE_KEYS:
            if not isinstance(value, str) or not value:
                problems.append(f'faults.{key}: {json.dumps(value)} is not a candidate name; e.g. "lr-high"')
        elif key == "inference_throttle_rate":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                problems.append(f"faults.{key}: {value!r} is not a number from 0.0 to 1.0; e.g. 0.2")
        elif value not in _CHOICES[key] or isinstance(value, bool) != isinstance(_CHOICES[key][0], bool):
            allowed = " | ".join(json.dumps(v) for v in _CHOICES[key])
            problems.append(f"faults.{key}: {json.dumps(value)} is not allowed; use {allowed}")
    return problems


def validate_faults(faults: Any) -> dict[str, Any]:
    problems = fault_problems(faults)
    if problems:
        raise FaultError(problems)
    return dict(faults)


def load_faults(path: str | Path) -> dict[str, Any]:
    return validate_faults(load_json_file(path, "--faults", FaultError))


def configure(scenario: str, faults_path: str | Path | None = None) -> EmulatorConfig:
    """The settings of ``demo`` and ``emulator serve``: a named scenario, waits not slept, faults from a file."""
    config = EmulatorConfig.scenario(scenario, wait_scale=0.0)
    if faults_path:
        apply_faults(config, load_faults(faults_path))
    return config


def apply_faults(config: EmulatorConfig, faults: dict[str, Any]) -> EmulatorConfig:
    """Turn a fault object into emulator settings (before the emulator starts)."""
    faults = validate_faults(faults)
    if "custom_model" in faults:
        config.base.quality, config.custom.quality = SCENARIO_QUALITIES[faults["custom_model"]]
    if "customization_job" in faults:
        config.job_outcome = faults["customization_job"]
    if faults.get("create_throughput") == "error":
        config.create_throughput_error = True
    if "throughput_status" in faults:
        config.throughput_outcome = faults["throughput_status"]
        if faults["throughput_status"] == "never_in_service":
            config.throughput_max_polls = min(config.throughput_max_polls, 3)
    if faults.get("create_deployment") == "error":
        config.create_deployment_error = True
    if "deployment_status" in faults:
        config.deployment_outcome = faults["deployment_status"]
        if faults["deployment_status"] == "never_active":
            config.deployment_max_polls = min(config.deployment_max_polls, 3)
    if "inference_throttle_rate" in faults:
        rate = float(faults["inference_throttle_rate"])
        config.base.throttle_rate = config.custom.throttle_rate = config.judge.throttle_rate = rate
    crash = set(config.crash_functions)
    if faults.get("inference_lambda") == "crash":
        crash.add("infer")
    if faults.get("evaluator") == "crash":
        crash.add("score")
    config.crash_functions = tuple(sorted(crash))
    if faults.get("child_timeout") is True:
        config.evaluation_timeout_seconds = 1
        config.base.latency_ms = max(config.base.latency_ms, 100.0)
    if faults.get("ses") == "reject":
        config.ses_reject = True
    if "candidate_job_failed" in faults:
        config.candidate_job_failed = faults["candidate_job_failed"]
    if "candidate_never_ready" in faults:
        config.candidate_never_ready = faults["candidate_never_ready"]
        config.deployment_max_polls = min(config.deployment_max_polls, 3)
        config.throughput_max_polls = min(config.throughput_max_polls, 3)
    if faults.get("release_first_delete") == "throttle":
        config.throttle_first_delete = True
    return config
