"""CLI mistakes: one line on stderr naming the flag or file and the fix, exit 2, no traceback."""

from __future__ import annotations

import json
import socket

import pytest

from bedrock_customize.cli import main
from bedrock_customize.deployment import validate_function_of
from bedrock_customize.report_command import cause_text
from bedrock_customize.start_command import bar

SM_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:bcz-customize"
EXEC_ARN = "arn:aws:states:us-east-1:123456789012:execution:bcz-customize:run-1"


@pytest.fixture
def good_input(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"BaseModelIdentifier": "amazon.nova-micro-v1:0:128k"}))
    return str(path)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def one_line_error(argv, capsys) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "start"])
def test_missing_input_file(command, tmp_path, capsys):
    extra = ["--state-machine", SM_ARN] if command == "start" else []
    line = one_line_error([command, str(tmp_path / "nope.json"), *extra], capsys)
    assert line.startswith("bedrock-customize: error: INPUT.json: file ") and "does not exist; check the path" in line


@pytest.mark.parametrize("text", ['{"JobName": ', "", "not json", '{"a": 1} trailing'])
def test_input_that_is_not_json(text, tmp_path, capsys):
    path = tmp_path / "input.json"
    path.write_text(text)
    line = one_line_error(["validate", str(path)], capsys)
    assert "is not valid JSON (line " in line and line.endswith("; fix the file")


def test_input_not_utf8(tmp_path, capsys):
    path = tmp_path / "input.json"
    path.write_bytes(b'{"JobName": "\xff"}')
    assert "is not UTF-8 text" in one_line_error(["validate", str(path)], capsys)


def test_input_is_a_directory(tmp_path, capsys):
    assert "is a directory" in one_line_error(["validate", str(tmp_path)], capsys)


def test_input_not_an_object(tmp_path, capsys):
    path = tmp_path / "input.json"
    path.write_text("[1, 2]")
    line = one_line_error(["validate", str(path)], capsys)
    assert line.startswith("Input: is a list, not a JSON object;")


def test_validate_without_input(capsys):
    assert "INPUT.json: missing" in one_line_error(["validate"], capsys)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["validate", "--bogus"], "unrecognized arguments: --bogus"),
        (["start", "x.json"], "the following arguments are required: --state-machine"),
        (["report"], "the following arguments are required: EXECUTION_ARN"),
        (["emulator", "serve", "--scenario", "best"], "invalid choice: 'best'"),
        (["start", "x.json", "--state-machine", SM_ARN, "--poll", "soon"], "invalid float value: 'soon'"),
    ],
)
def test_bad_flags_are_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].endswith("--help"), lines


def test_start_with_missing_upload_file(good_input, tmp_path, capsys):
    line = one_line_error(
        ["start", good_input, "--state-machine", SM_ARN, "--upload-training", str(tmp_path / "train.jsonl")], capsys
    )
    assert "--upload-training: file " in line and "does not exist" in line


def test_start_with_bad_state_machine_arn(good_input, capsys):
    line = one_line_error(["start", good_input, "--state-machine", "customize"], capsys)
    assert line.startswith("bedrock-customize: error: --state-machine: 'customize' is not a state machine ARN;")


def test_report_with_bad_execution_arn(capsys):
    line = one_line_error(["report", SM_ARN], capsys)
    assert "EXECUTION_ARN: " in line and "is not an execution ARN" in line


def test_unreachable_endpoint(good_input, capsys):
    line = one_line_error(
        ["start", good_input, "--state-machine", SM_ARN, "--endpoint-url", _closed_port_url()], capsys
    )
    assert "--state-machine: cannot describe" in line and "--endpoint-url" in line


def test_report_unreachable_endpoint(capsys):
    line = one_line_error(["report", EXEC_ARN, "--endpoint-url", _closed_port_url()], capsys)
    assert "EXECUTION_ARN: cannot read" in line


def test_validate_function_is_found_in_the_definition():
    fn = "arn:aws:lambda:us-east-1:123456789012:function:bcz-validate-input"
    assert validate_function_of({"StartAt": "ValidateInput", "States": {"ValidateInput": {"Resource": fn}}}) == fn
    wrapped = {"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": fn}}
    assert validate_function_of({"StartAt": "Check", "States": {"Check": wrapped}}) == fn
    assert validate_function_of({"StartAt": "P", "States": {"P": {"Type": "Pass"}}}) is None


def test_cause_text_unwraps_lambda_errors():
    cause = json.dumps({"errorMessage": "JobName: bad; fix it\nX: y; z", "errorType": "InvalidInput"})
    assert cause_text(cause) == "JobName: bad; fix it\nX: y; z"
    assert cause_text("plain words") == "plain words"
    assert cause_text(None) == ""


def test_progress_bar():
    assert bar(0, 4, width=8) == "[--------] 0/4"
    assert bar(2, 4, width=8) == "[####----] 2/4"
    assert bar(4, 4, width=8) == "[########] 4/4"
    assert bar(0, 0, width=4) == "[----] 0/0"
