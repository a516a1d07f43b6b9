"""The state-coverage check (tests/state_coverage.py, run at session end by tests/conftest.py).

Each process records the states its workflow tests entered; the merged record must hold every state of
both templates, or the session fails with a report under this file's name. These tests pin how the
record is read, merged and compared, so the check itself cannot silently pass.
"""

from __future__ import annotations

import json

import pytest
import state_coverage
from state_coverage import WORKFLOW_DIR, incomplete_because, merge, missing_states, states_of, template_states

pytestmark = pytest.mark.workflow


def _record(incomplete=None, **entered) -> str:
    return json.dumps({"incomplete": incomplete, "entered": {wf: sorted(names) for wf, names in entered.items()}})


def test_states_of_reads_nested_states():
    definition = {
        "States": {
            "A": {"Type": "Map", "ItemProcessor": {"States": {"B": {"Type": "Pass"}}}},
            "C": {"Type": "Parallel", "Branches": [{"States": {"D": {"Type": "Pass"}}}]},
            "E": {"Type": "Map", "Iterator": {"States": {"F": {"Type": "Pass"}}}},
        }
    }
    assert states_of(definition) == {"A", "B", "C", "D", "E", "F"}
    assert {"InferShard", "ScoreShard", "Aggregate"} <= template_states("evaluate")
    assert {"ValidateInput", "ReleaseAfterFailure", "RunFailed"} <= template_states("customize")


def test_merge_is_the_union_of_every_worker_and_keeps_incompleteness():
    everything = {wf: template_states(wf) for wf in state_coverage.TEMPLATES}
    customize = sorted(everything["customize"])
    half = len(customize) // 2
    workers = [
        _record(customize=set(customize[:half]), evaluate=everything["evaluate"]),
        _record(customize=set(customize[half:])),
    ]
    incomplete, entered = merge(workers)
    assert incomplete is None
    assert missing_states(entered) == {}
    # One worker alone misses the other's states: the check would fail on it.
    assert missing_states(merge(workers[:1])[1]) == {"customize": customize[half:]}
    assert merge([*workers, _record("tests were selected with -k/-m")])[0] == "tests were selected with -k/-m"
    assert merge([])[0] == "no process reported its record"


def test_missing_states_names_each_state_never_entered():
    entered = {wf: template_states(wf) for wf in state_coverage.TEMPLATES}
    entered["evaluate"] = entered["evaluate"] - {"Aggregate"}
    assert missing_states(entered) == {"evaluate": ["Aggregate"]}
    assert missing_states({}) == {wf: sorted(template_states(wf)) for wf in state_coverage.TEMPLATES}


def test_the_record_is_incomplete_unless_every_workflow_file_ran_unselected():
    every_file = sorted(WORKFLOW_DIR.glob("test_*.py"))
    assert len(every_file) > 1
    assert incomplete_because(every_file, "", "", None) is None
    assert incomplete_because(every_file[1:], "", "", None) == f"workflow files not run: {[every_file[0].name]}"
    assert incomplete_because(every_file, "fanout", "", None) == "tests were selected with -k/-m"
    assert incomplete_because(every_file, "", "not slow", None) == "tests were selected with -k/-m"
    assert incomplete_because(every_file, "", "", ["tests/x.py::y"]) == "tests were deselected"
