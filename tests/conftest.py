"""Shared test configuration.

Its presence puts ``tests/`` on ``sys.path`` (pytest's default "prepend" import mode), so suites in
different folders can share plain modules such as ``validation_cases`` (the table of bad inputs).

It also runs the state-coverage check (``state_coverage.py``) at session end: each process (each
pytest-xdist worker, or the single process) reports the states its workflow tests entered, and the
process that prints the summary merges them and reports missing states as a failed test.

Line coverage (``make test``: ``--cov``) is paused for the rest of a test once it starts the emulator,
and for the whole of a workflow-marked test (fixtures included): those tests run moto and the handlers
in-process, and tracing them made them 75 to 80% slower, while the other unit, Terraform and browser tests
cover the shipped packages above the Makefile's floor. ``COVER_EMULATOR=1`` traces them too (the full
figure, slower).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import state_coverage
from fake_aws import FAKE_AWS_ENV
from suite_marks import CHECKOV_FILES, SLOW_WORKFLOW_TESTS, XDIST_GROUPS

_worker_records: list[str] = []
_COVER_EMULATOR = os.environ.get("COVER_EMULATOR") == "1"
_paused_coverage: list[object] = []  # the coverage.Coverage paused for the running test, if any


def _pause_coverage() -> None:
    if _COVER_EMULATOR or _paused_coverage:
        return
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.stop()
        _paused_coverage.append(current)


@pytest.fixture(autouse=True, scope="session")
def _coverage_paused_once_the_emulator_starts() -> Iterator[None]:
    from bedrock_customize.emulator.core import Emulator

    original = Emulator.start

    def start(self: Emulator) -> None:
        _pause_coverage()
        original(self)

    Emulator.start = start  # type: ignore[method-assign]
    yield
    Emulator.start = original  # type: ignore[method-assign]


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region us-east-1 (``fake_aws.FAKE_AWS_ENV``) for code that runs inside moto."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith("tests/workflow/"):  # -m workflow, and the coverage pause below, rely on it
            item.add_marker(pytest.mark.workflow)
        if path in XDIST_GROUPS:
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUPS[path]))
        if path in CHECKOV_FILES:
            item.add_marker(pytest.mark.checkov)
        if item.nodeid in SLOW_WORKFLOW_TESTS:
            item.add_marker(pytest.mark.slow)

    # Longest first, so that the two workers end together instead of one finishing a long test alone:
    # checkov's group (one worker runs it whole), then the files with the most tests that load the
    # BERTScore model, then the other workflow files, then the short unit and static tests that fill the
    # gaps. A stable sort by file: each file's tests stay together and in order (module fixtures).
    def file_of(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow_tests = Counter(file_of(item) for item in items if item.get_closest_marker("slow") is not None)

    def cost_rank(item: pytest.Item) -> tuple[bool, int, bool]:
        path = file_of(item)
        return (path not in CHECKOV_FILES, -slow_tests[path], not path.startswith("tests/workflow/"))

    items.sort(key=cost_rank)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201 - a hookwrapper
    """Line coverage paused around a workflow test and after an emulator start (see the module docstring)."""
    if item.get_closest_marker("workflow") is not None:
        _pause_coverage()
    try:
        yield
    finally:
        while _paused_coverage:
            _paused_coverage.pop().start()  # type: ignore[attr-defined]


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    record = getattr(node, "workeroutput", {}).get("state_coverage")
    _worker_records.append(record if record is not None else '{"incomplete": "a worker crashed", "entered": {}}')


def _own_record(session: pytest.Session) -> str:
    option = session.config.option
    incomplete = state_coverage.incomplete_because(
        (Path(str(item.path)) for item in session.items),
        getattr(option, "keyword", ""),
        getattr(option, "markexpr", ""),
        getattr(option, "deselect", None),
    )
    return state_coverage.worker_record(incomplete)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):  # an xdist worker: hand the record to the controller
        config.workeroutput["state_coverage"] = _own_record(session)
        return
    if exitstatus != pytest.ExitCode.OK or config.option.collectonly:
        return  # a failed or interrupted session: the record is incomplete, the failure already reported
    records = list(_worker_records) if _is_xdist_controller(config) else [_own_record(session)]
    incomplete, entered = state_coverage.merge(records)
    if incomplete:
        return
    missing = state_coverage.missing_states(entered)
    if not missing:
        return
    report = pytest.TestReport(
        nodeid=state_coverage.NODE_ID,
        location=("tests/workflow/test_state_coverage.py", None, "state coverage"),
        keywords={},
        outcome="failed",
        longrepr=f"states never entered by the workflow suite: {missing}",
        when="call",
    )
    config.hook.pytest_runtest_logreport(report=report)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
