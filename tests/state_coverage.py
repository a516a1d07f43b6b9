"""State coverage 100%: every state of both templates is entered by the workflow suite.

The ``emulator_factory`` fixture (tests/workflow/conftest.py) records, from the execution histories,
every state each workflow entered into :data:`ENTERED`. Each process (each pytest-xdist worker, or the
one process without xdist) reports its record at session end; the controller merges them and checks
the union against the templates (hooks in tests/conftest.py). The check is skipped when only part of the
workflow suite was selected or a test failed (then the record is incomplete by construction).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bedrock_customize import paths

WORKFLOW_DIR = Path(__file__).resolve().parent / "workflow"
TEMPLATES = {
    "customize": "statemachine.asl.json.tftpl",
    "evaluate": "modules/evaluation/statemachine.asl.json.tftpl",
}
#: The report's node id: where a missing state shows up in pytest's summary.
NODE_ID = "tests/workflow/test_state_coverage.py::every state of both templates is entered"

# Every state entered by any workflow test in this process, per workflow.
ENTERED: dict[str, set[str]] = {workflow: set() for workflow in TEMPLATES}


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


def incomplete_because(item_paths: Iterable[Path], keyword: str, markexpr: str, deselect: object) -> str | None:
    """None when every workflow test file was collected and nothing was selected away; else why not."""
    wanted = {p.name for p in WORKFLOW_DIR.glob("test_*.py")}
    ran = {p.name for p in item_paths if p.parent == WORKFLOW_DIR}
    if wanted - ran:
        return f"workflow files not run: {sorted(wanted - ran)}"
    if keyword or markexpr:
        return "tests were selected with -k/-m"
    if deselect:
        return "tests were deselected"
    return None


def worker_record(incomplete: str | None) -> str:
    """What one process reports at session end (JSON: it crosses the xdist channel)."""
    return json.dumps({"incomplete": incomplete, "entered": {wf: sorted(names) for wf, names in ENTERED.items()}})


def merge(records: Iterable[str]) -> tuple[str | None, dict[str, set[str]]]:
    """(why the union is incomplete or None, the union of every process's entered states)."""
    entered: dict[str, set[str]] = {workflow: set() for workflow in TEMPLATES}
    incomplete = None
    count = 0
    for raw in records:
        count += 1
        record = json.loads(raw)
        incomplete = incomplete or record["incomplete"]
        for workflow, names in record["entered"].items():
            entered.setdefault(workflow, set()).update(names)
    if count == 0:
        incomplete = "no process reported its record"
    return incomplete, entered


def missing_states(entered: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Per workflow, the template states never entered (workflows with none missing left out)."""
    missing = {workflow: sorted(template_states(workflow) - set(entered.get(workflow, ()))) for workflow in TEMPLATES}
    return {workflow: names for workflow, names in missing.items() if names}
