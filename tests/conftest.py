"""Shared test configuration.

Its presence puts ``tests/`` on ``sys.path`` (pytest's default "prepend" import mode), so suites in
different folders can share plain modules such as ``validation_cases`` (the table of bad inputs).

It also runs the state-coverage check (``state_coverage.py``) at session end: each process (each
pytest-xdist worker, or the single process) reports the states its workflow tests entered, and the
process that prints the summary merges them and reports missing states as a failed test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import state_coverage

_worker_records: list[str] = []

# Tests that share something across tests of a file (a module-scoped server or emulator, a tool venv
# installed on first use under .tools/) stay on one pytest-xdist worker (make test: --dist loadgroup).
XDIST_GROUPS = {
    "tests/terraform/test_checkov.py": "checkov-venv",
    "tests/terraform/test_asl_validator.py": "asl-validator-install",
    "tests/workflow/test_cli_server.py": "cli-server",
    "tests/workflow/test_bad_inputs.py": "bad-inputs-emulator",
}
CHECKOV_FILES = {"tests/terraform/test_checkov.py"}
# Workflow tests whose runs reach the evaluator and so load the BERTScore model (found by recording,
# per test, every call of bertscore_evaluator.scoring.score_models). Unit tests mark themselves.
SLOW_WORKFLOW_TESTS = {
    "tests/workflow/test_cli_server.py::test_start_watch_and_report_a_run",
    "tests/workflow/test_customization_run.py::test_ancestor_input_is_accepted_unchanged",
    "tests/workflow/test_customization_run.py::test_custom_model_better_keeps_throughput_and_reports",
    "tests/workflow/test_customization_run.py::test_custom_model_worse_deletes_throughput_and_says_so",
    "tests/workflow/test_customization_run.py::test_two_runs_with_the_same_input_do_not_collide",
    "tests/workflow/test_fanout.py::test_poison_record_is_one_error_line_per_model_and_counted_in_the_report",
    "tests/workflow/test_fanout.py::test_shard_stopped_at_the_lambda_deadline_resumes_without_duplicates",
    "tests/workflow/test_fanout.py::test_two_shards_two_models_throttled_at_30_percent_lose_nothing",
    "tests/workflow/test_run_stopped.py::test_a_succeeded_run_never_reaches_the_safety_net",
    "tests/workflow/test_run_stopped.py::test_the_scheduled_sweep_catches_a_lost_status_event_and_spares_a_kept_winner",
    # The fault matrix: every case whose run scores (it succeeds, or fails after the evaluator ran).
    *(
        f"tests/workflow/test_fault_matrix.py::test_fault_matrix[{case}]"
        for case in (
            "custom_better",
            "custom_worse",
            "custom_same",
            "same_policy_keep",
            "better_policy_release",
            "inference_throttled",
            "child_timeout",
            "ses_reject",
            "release_first_delete_throttled",
            "ses_reject+better",
            "release_throttled+child_timeout",
            "throttled+worse",
        )
    ),
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path in XDIST_GROUPS:
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUPS[path]))
        if path in CHECKOV_FILES:
            item.add_marker(pytest.mark.checkov)
        if item.nodeid in SLOW_WORKFLOW_TESTS:
            item.add_marker(pytest.mark.slow)


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
