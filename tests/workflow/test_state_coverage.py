"""State coverage 100%: every state of both templates is entered by the workflow suite.

The ``emulator_factory`` fixture (conftest.py) records, from the execution histories, every state each
workflow entered into ``workflow_support.ENTERED``. This file's name sorts after every other workflow test
file, so pytest runs it last; it is skipped when only part of the workflow suite was selected (then the
record is incomplete by construction).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from workflow_support import ENTERED

from bedrock_customize import paths

pytestmark = pytest.mark.workflow

HERE = Path(__file__).resolve().parent
TEMPLATES = {
    "customize": "statemachine.asl.json.tftpl",
    "evaluate": "modules/evaluation/statemachine.asl.json.tftpl",
}


def states_of(definition: dict[str, Any]) -> set[str]:
    """Every state name, nested Map item processors and Parallel branches included."""
    names: set[str] = set()
    for name, state in definition.get("States", {}).items():
        names.add(name)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                names |= states_of(state[key])
        for branch in state.get("Branches", []):
            names |= states_of(branch)
    return names


def template_states(workflow: str) -> set[str]:
    # Placeholders sit only inside JSON strings, so the template itself is valid JSON.
    text = (paths.module_root() / TEMPLATES[workflow]).read_text(encoding="utf-8")
    return states_of(json.loads(text))


def test_states_of_reads_nested_states():
    definition = {
        "States": {
            "A": {"Type": "Map", "ItemProcessor": {"States": {"B": {"Type": "Pass"}}}},
            "C": {"Type": "Parallel", "Branches": [{"States": {"D": {"Type": "Pass"}}}]},
        }
    }
    assert states_of(definition) == {"A", "B", "C", "D"}
    assert {"InferShard", "ScoreShard", "Aggregate"} <= template_states("evaluate")


def _whole_suite_ran(session: pytest.Session) -> str | None:
    """None when every workflow test was collected and selected; else why the record is incomplete."""
    wanted = {p.name for p in HERE.glob("test_*.py")}
    ran = {Path(str(item.path)).name for item in session.items if Path(str(item.path)).parent == HERE}
    if wanted - ran:
        return f"workflow files not run: {sorted(wanted - ran)}"
    if session.config.getoption("keyword") or session.config.getoption("markexpr") not in ("", None):
        return "tests were selected with -k/-m"
    if session.config.getoption("deselect"):
        return "tests were deselected"
    return None


def test_every_state_of_both_templates_is_entered(request):
    why = _whole_suite_ran(request.session)
    if why:
        pytest.skip(f"state coverage needs the whole workflow suite ({why}); run pytest tests/workflow")
    workflow_items = [item for item in request.session.items if Path(str(item.path)).parent == HERE]
    later = [item.nodeid for item in workflow_items[workflow_items.index(request.node) + 1 :]]
    assert not later, f"state coverage must run after every workflow test; these run later: {later}"

    missing = {workflow: sorted(template_states(workflow) - ENTERED[workflow]) for workflow in TEMPLATES}
    missing = {workflow: names for workflow, names in missing.items() if names}
    assert not missing, f"states never entered by the workflow suite: {missing}"
