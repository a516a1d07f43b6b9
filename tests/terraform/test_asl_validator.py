"""The rendered state machine definitions are valid Amazon States Language (npm asl-validator).

tools/validate_asl.py installs the pinned asl-validator into .tools/ on first use; these
tests skip, saying so, only where npm/node is absent or the npm registry is unreachable.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys

import pytest
import tfparse

ROOT = tfparse.REPO_ROOT
TOOL = ROOT / "tools" / "validate_asl.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location("validate_asl", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def asl():
    tool = _load_tool()
    try:
        tool.ensure_validator()
    except tool.Unavailable as exc:
        pytest.skip(f"asl-validator checks skipped: {exc}")
    return tool


@pytest.mark.parametrize("which", ["parent", "child"])
def test_rendered_template_is_valid_asl(asl, which):
    ok, output = asl.validate_definition(asl.render(asl.TEMPLATES[which]), which)
    assert ok, output


@pytest.mark.parametrize("which", ["parent", "child"])
def test_rendered_template_transitions_resolve(which):
    """Every StartAt / Next / Default / Choices / Catch target exists (also inside Map and Parallel)."""
    tool = _load_tool()
    assert tfparse.check_asl_transitions(tool.render(tool.TEMPLATES[which])) == []


def test_seeded_invalid_definitions_fail(asl):
    parent = asl.render(asl.TEMPLATES["parent"])

    bad_type = copy.deepcopy(parent)
    bad_type["States"]["ValidateInput"]["Type"] = "Taskk"
    ok, output = asl.validate_definition(bad_type, "bad-type")
    assert not ok and "SCHEMA_VALIDATION_FAILED" in output, output

    bad_target = copy.deepcopy(parent)
    bad_target["States"]["CustomizeModel"]["Next"] = "NoSuchState"
    ok, output = asl.validate_definition(bad_target, "bad-target")
    assert not ok and "NoSuchState" in output, output

    bad_path = copy.deepcopy(parent)
    bad_path["States"]["CustomizeModel"]["ResultPath"] = "not a path"
    ok, output = asl.validate_definition(bad_path, "bad-path")
    assert not ok, output


def test_seeded_transition_mistakes_are_found():
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "arn:x", "Next": "B", "Catch": [{"ErrorEquals": ["X"], "Next": "Gone"}]},
            "B": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Nope"}],
                "Default": "C",
            },
            "C": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "Outer"}}},
                "End": True,
            },
            "D": {"Type": "Pass"},
        },
    }
    problems = "\n".join(tfparse.check_asl_transitions(definition))
    assert "A: Catch[0].Next 'Gone' is not a state" in problems
    assert "B: Choices[0].Next 'Nope' is not a state" in problems
    assert "C.ItemProcessor/Inner: Next 'Outer' is not a state" in problems
    assert "D: needs exactly one of Next or End" in problems
    assert "B: Default" not in problems


def test_cli_exit_codes(asl, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}))
    run = [sys.executable, str(TOOL)]
    assert subprocess.run([*run, str(good)], capture_output=True).returncode == 0
    proc = subprocess.run([*run, str(good), str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and f"INVALID {bad}" in proc.stdout, proc.stdout + proc.stderr
    proc = subprocess.run(run, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.count("ok ") == 2, proc.stdout + proc.stderr


def test_missing_npm_is_reported_plainly(monkeypatch, tmp_path):
    tool = _load_tool()
    monkeypatch.setattr(tool, "PREFIX", tmp_path / "asl-validator")
    monkeypatch.setattr(tool.shutil, "which", lambda name: None)
    with pytest.raises(tool.Unavailable, match="npm/node not found on PATH"):
        tool.ensure_validator()
    assert tool.main([]) == tool.EXIT_UNAVAILABLE
