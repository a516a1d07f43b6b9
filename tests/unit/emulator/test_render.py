"""The Python renderer must treat templates exactly as Terraform's templatefile()."""

from __future__ import annotations

import json

import pytest

from bedrock_customize import paths
from bedrock_customize.emulator.render import TemplateError, placeholders, render_file, render_text
from bedrock_customize.emulator.terraform_source import template_calls


def test_substitutes_names_and_keeps_context_object_paths():
    text = '{"A": "${arn}", "B.$": "$$.Execution.Id", "C": "$${literal}", "D": "%%{x}"}'
    assert json.loads(render_text(text, {"arn": "arn:aws:x"})) == {
        "A": "arn:aws:x",
        "B.$": "$$.Execution.Id",
        "C": "${literal}",
        "D": "%{x}",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"A": "${var.x}"}', "only ${name}"),
        ('{"A": "%{ if x }y%{ endif }"}', "directives"),
        ('{"A": "${missing}"}', "not provided: missing"),
    ],
)
def test_rejects_what_terraform_would_interpret_differently(text, message):
    with pytest.raises(TemplateError, match=message.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")):
        render_text(text, {"x": "1"})


def test_invalid_json_fails_like_jsondecode_at_plan_time(tmp_path):
    bad = tmp_path / "bad.asl.json.tftpl"
    bad.write_text('{"A": "${x}",}')
    with pytest.raises(TemplateError, match="not valid JSON"):
        render_file(bad, {"x": "1"})


def test_terraform_passes_exactly_the_placeholders_each_template_uses():
    root = paths.module_root()
    calls = template_calls(root)
    rendered = {call.template.resolve() for call in calls}
    assert (root / "statemachine.asl.json.tftpl").resolve() in rendered
    assert (root / "modules/evaluation/statemachine.asl.json.tftpl").resolve() in rendered
    for call in calls:
        assert set(call.variables) == placeholders(call.template.read_text()), call.template


def test_both_templates_render_to_valid_state_machines():
    root = paths.module_root()
    for call in template_calls(root):
        if not call.template.name.startswith("statemachine"):
            continue  # the EventBridge pattern template: tests/terraform/test_structure.py
        definition = render_file(call.template, {name: f"arn:aws:test:{name}" for name in call.variables})
        states = definition["States"]
        assert definition["StartAt"] in states
        targets = _targets(states)
        assert targets <= set(states) | _nested_states(states), targets - set(states)


def _nested_states(states: dict) -> set[str]:
    names: set[str] = set()
    for state in states.values():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            names |= set(processor["States"]) | _nested_states(processor["States"])
    return names


def _targets(states: dict) -> set[str]:
    found: set[str] = set()
    for state in states.values():
        if "Next" in state:
            found.add(state["Next"])
        if "Default" in state:
            found.add(state["Default"])
        for choice in state.get("Choices", []):
            found.add(choice["Next"])
        for catch in state.get("Catch", []):
            found.add(catch["Next"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found |= _targets(processor["States"])
    return found
