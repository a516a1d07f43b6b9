"""``Evaluation.Cache`` in the run context: on unless the input says false (the bad values are in validation_cases)."""

from __future__ import annotations

import copy

from validation_cases import CASES_BY_NAME, build

from workflow_lambdas import validate_input as vi


def _context(validate, case_name: str, **evaluation) -> vi.RunContext:
    raw, files = build(CASES_BY_NAME[case_name])
    raw = copy.deepcopy(raw)
    if evaluation:
        raw["Evaluation"] = {**(raw.get("Evaluation") or {}), **evaluation}
    return validate(raw, files)


def test_the_cache_is_on_by_default_and_the_run_context_then_unchanged(validate):
    assert vi.EvaluationSettings().Cache is True
    assert "Cache" not in _context(validate, "cache switch off", Cache=True).to_state()["Evaluation"]


def test_cache_false_reaches_the_run_context(validate):
    state = _context(validate, "cache switch off").to_state()
    assert state["Evaluation"]["Cache"] is False
