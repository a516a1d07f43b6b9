"""Failures in the CLI: demo summary and email files, report/start lines, scenario flags, fault files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bedrock_customize.cli import main, quiet_progress_bars
from bedrock_customize.emulator.bedrock import job_failure_message
from bedrock_customize.report_command import outcome_lines

JOB_MESSAGE = job_failure_message({"s3Uri": "s3://bcz-local-training-123456789012/training-data.jsonl"})


@pytest.fixture(autouse=True)
def wide_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")


def _faults(tmp_path: Path, faults: dict) -> str:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(faults))
    return str(path)


def test_demo_prints_and_writes_the_failed_jobs_own_message(tmp_path, capsys):
    out_dir = tmp_path / "out"
    faults = _faults(tmp_path, {"customization_job": "Failed"})
    code = main(["demo", "--faults", faults, "--out", str(out_dir), "--timeout", "120"])
    out = capsys.readouterr().out
    assert code == 1
    assert "failed           : training job failed (state CustomizeModel)" in out
    assert f"message          : {JOB_MESSAGE}" in out
    assert "next step        : " in out
    assert '"FailureMessage"' not in out  # no raw JSON without -v
    (run_dir,) = [p for p in out_dir.iterdir() if p.is_dir()]
    emails = run_dir / "emails"
    assert sorted(p.name for p in emails.iterdir()) == ["1.html", "1.subject.txt", "1.txt"]
    for path in emails.iterdir():
        assert f"email file       : {path}" in out
    assert (emails / "1.subject.txt").read_text().strip().endswith(": training job failed")
    text = (emails / "1.txt").read_text()
    assert f"Message: {JOB_MESSAGE}" in text
    assert text.index(f"Message: {JOB_MESSAGE}") < text.index("Raw cause")
    html = (emails / "1.html").read_text()
    assert "<details>" in html and html.index("<details>") > html.index("Next step")


def test_demo_json_has_email_files_and_the_failure(tmp_path, capsys):
    faults = _faults(tmp_path, {"customization_job": "Failed"})
    code = main(["demo", "--json", "--faults", faults, "--out", str(tmp_path / "out"), "--timeout", "120"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    assert summary["failure"]["Subject"] == "training job failed"
    assert summary["failure"]["Message"] == JOB_MESSAGE
    assert len(summary["email_files"]) == 3 and all(Path(p).is_file() for p in summary["email_files"])
    assert not any(key.startswith("_") for key in summary)


def test_demo_verbose_prints_the_raw_cause_last(tmp_path, capsys):
    faults = _faults(tmp_path, {"customization_job": "Failed"})
    main(["-v", "demo", "--faults", faults, "--out", str(tmp_path / "out"), "--timeout", "120"])
    out = capsys.readouterr().out
    raw_at = out.index("raw cause (as the service returned it):")
    assert out.index('"FailureMessage"', raw_at) > raw_at > out.index("report           :")


def test_demo_banner_follows_the_faults_files_custom_model(tmp_path, capsys):
    faults = _faults(tmp_path, {"custom_model": "worse", "customization_job": "Failed"})
    main(["demo", "--faults", faults, "--out", str(tmp_path / "out"), "--timeout", "120"])
    assert "scenario: custom model worse" in capsys.readouterr().out


def test_a_scenario_flag_that_disagrees_with_the_faults_file_is_refused(tmp_path, capsys):
    faults = _faults(tmp_path, {"custom_model": "worse"})
    assert main(["demo", "--custom-better", "--faults", faults]) == 2
    err = capsys.readouterr().err
    assert "custom_model 'worse' disagrees" in err and "drop one" in err


@pytest.mark.parametrize("flags", [["--scenario", "worse", "--custom-better"], ["--custom-better", "--custom-worse"]])
def test_scenario_flags_are_mutually_exclusive(flags, capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", *flags])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_faults_file_lists_every_mistake(tmp_path, capsys):
    faults = _faults(tmp_path, {"sess": "reject", "ses": "drop", "inference_throttle_rate": 3})
    assert main(["demo", "--faults", faults]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2].strip() for line in lines] == [
        "faults.sess",
        "faults.ses",
        "faults.inference_throttle_rate",
    ], lines
    assert all(line.startswith("bedrock-customize: error: faults.") for line in lines)
    assert "docs/failure-behaviour.md (Fault injection)" in lines[0]


def test_help_texts_point_at_the_fault_doc(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.count("docs/failure-behaviour.md (Fault injection)") >= 2  # description and --faults


def test_no_progress_bars_unless_verbose(monkeypatch):
    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "TRANSFORMERS_NO_ADVISORY_WARNINGS"):
        monkeypatch.setenv(name, "")  # recorded, so the teardown restores what was there
        monkeypatch.delenv(name)
    from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars
    from transformers.utils import logging as hf_logging

    enable_progress_bars()
    hf_logging.enable_progress_bar()
    try:
        quiet_progress_bars()
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and os.environ["TQDM_DISABLE"] == "1"
        assert are_progress_bars_disabled() and not hf_logging.is_progress_bar_enabled()
    finally:
        enable_progress_bars()
        hf_logging.enable_progress_bar()


def _failed(cause: str) -> dict:
    return {"executionArn": "arn:x", "status": "FAILED", "error": "RunFailed.States.TaskFailed", "cause": cause}


def test_report_lines_say_what_failed_and_keep_the_raw_cause_for_verbose():
    cause = json.dumps({"JobName": "j", "Status": "Failed", "FailureMessage": "line 3 is not JSON"})
    state = {"run": {"RunId": "r"}, "error": {"Error": "States.TaskFailed", "Cause": cause}}
    lines = outcome_lines(_failed(cause), state)
    assert "failed    : training job failed (state CustomizeModel)" in lines
    assert "message   : line 3 is not JSON" in lines
    assert any(line.startswith("next step : ") for line in lines)
    assert not any("{" in line for line in lines)
    verbose = outcome_lines(_failed(cause), state, raw=True)
    assert verbose[-1] == cause and verbose[-2] == "raw cause (as the service returned it):"


def test_report_lines_for_a_run_that_failed_before_any_catch_show_the_cause():
    cause = json.dumps({"errorMessage": "JobName: bad; fix it", "errorType": "InvalidInput"})
    lines = outcome_lines({**_failed(cause), "error": "InvalidInput"}, {})
    assert "cause     : JobName: bad; fix it" in lines


LOAD_MODEL = """
import sys
if sys.argv[1] == "quiet":
    from bedrock_customize.cli import quiet_progress_bars
    quiet_progress_bars()
import bert_score
from bedrock_customize.emulator.core import default_evaluator_model
bert_score.BERTScorer(model_type=default_evaluator_model(), num_layers=6)
"""


@pytest.mark.slow
def test_loading_the_scoring_model_prints_no_progress_bar_when_quiet():
    import subprocess
    import sys

    def stderr_of(mode: str) -> str:
        quiet = ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "TRANSFORMERS_NO_ADVISORY_WARNINGS")
        env = {k: v for k, v in os.environ.items() if k not in quiet}  # as a new shell has it
        command = [sys.executable, "-c", LOAD_MODEL, mode]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "it/s" in stderr_of("loud")  # the bar this guards against exists
    assert "it/s" not in stderr_of("quiet")
