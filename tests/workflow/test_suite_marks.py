"""The mark tables of tests/suite_marks.py name tests and files that exist (a renamed test would lose its mark)."""

from __future__ import annotations

from pathlib import Path

import pytest
import state_coverage
from suite_marks import CHECKOV_FILES, SLOW_WORKFLOW_TESTS, XDIST_GROUPS

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]


def test_every_marked_file_exists():
    assert sorted(p for p in {*XDIST_GROUPS, *CHECKOV_FILES} if not (REPO / p).is_file()) == []


def test_every_slow_workflow_test_is_collected(request):
    session = request.session
    option = session.config.option
    incomplete = state_coverage.incomplete_because(
        (Path(str(item.path)) for item in session.items), option.keyword, option.markexpr, option.deselect
    )
    if incomplete:  # a test selected away is not in session.items: only a whole-suite run can tell
        pytest.skip(f"needs the whole workflow suite ({incomplete})")
    collected = {item.nodeid.split("@", 1)[0] for item in session.items}
    assert sorted(SLOW_WORKFLOW_TESTS - collected) == []
    assert all(item.get_closest_marker("slow") for item in session.items if item.nodeid in SLOW_WORKFLOW_TESTS)
