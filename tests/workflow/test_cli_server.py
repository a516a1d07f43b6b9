"""The CLI against the emulator server: `start --watch` from a separate process, `report`, bad runs.

The server (`bedrock-customize emulator serve`) is the in-process emulator plus moto's HTTP server on
127.0.0.1 sharing its backends; these tests reach it only through --endpoint-url.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from workflow_support import demo_input

from bedrock_customize import paths
from bedrock_customize.cli import main
from bedrock_customize.emulator import EmulatorConfig, region_for_model
from bedrock_customize.emulator.server import start_server

pytestmark = pytest.mark.workflow

RECORDS = 12  # at least the default Evaluation.MinPairs (10) for a verdict
SHARD_SIZE = 4


@pytest.fixture(scope="module")
def server():
    # the region of the demo input's model (ValidateInput checks the model against it)
    region = region_for_model(demo_input()["BaseModelIdentifier"])
    handle = start_server(EmulatorConfig.scenario("better", shard_size=SHARD_SIZE, region=region))
    yield handle
    handle.stop()


@pytest.fixture
def files(tmp_path):
    sample = paths.sample_data_dir()
    validation = tmp_path / "validation.jsonl"
    validation.write_text("".join((sample / "validation.jsonl").read_text().splitlines(keepends=True)[:RECORDS]))
    run_input = tmp_path / "input.json"
    run_input.write_text(json.dumps(demo_input(ValidationDataFileName="cli/validation.jsonl")))
    return {"input": run_input, "training": sample / "training.jsonl", "validation": validation}


def _client_env(server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_PORT"}
    env.update({k: v for k, v in server.client_env().items() if k != "AWS_ENDPOINT_URL"})
    return env


def test_server_serves_the_in_process_deployment(server):
    import boto3

    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arns = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    dep = server.emulator.deployment
    assert {dep.parent_arn, dep.child_arn} <= arns


def test_start_watch_and_report_a_run(server, files, tmp_path, capsys):
    dep = server.emulator.deployment
    command = [
        sys.executable,
        "-m",
        "bedrock_customize.cli",
        "start",
        str(files["input"]),
        "--state-machine",
        dep.parent_arn,
        "--endpoint-url",
        server.endpoint_url,
        "--upload-training",
        str(files["training"]),
        "--upload-validation",
        str(files["validation"]),
        "--watch",
        "--poll",
        "0.3",
    ]
    result = subprocess.run(command, env=_client_env(server), capture_output=True, text=True, timeout=400)
    out = result.stdout
    assert result.returncode == 0, (out, result.stderr)
    assert "Traceback" not in result.stderr

    bucket = dep.buckets["validation"]
    assert f"to s3://{bucket}/cli/validation.jsonl" in out
    arn = re.search(r"^started (\S+)$", out, re.M).group(1)
    assert arn.startswith(dep.parent_arn.replace(":stateMachine:", ":execution:"))
    # states of both workflows, in order, with elapsed times
    states = re.findall(r"^\[\s*[\d.]+s\]\s+(customize|evaluate): (\w+)$", out, re.M)
    names = [s for _, s in states]
    assert names[0] == "ValidateInput" and names.index("CustomizeModel") < names.index("Evaluate")
    assert names.index("PlanShards") < names.index("Shards") < names.index("Aggregate")
    # a progress bar of the Distributed Map (DescribeMapRun), ending at the number of shards
    shards = math.ceil(RECORDS / SHARD_SIZE)
    for phase in ("Shards",):
        counts = [int(d) for d in re.findall(rf"evaluate: {phase} \[[#-]+\] (\d+)/{shards} shards", out)]
        assert counts[0] == 0 and counts[-1] == shards and counts == sorted(counts), out
    assert re.search(r"^status    : SUCCEEDED", out, re.M)
    assert re.search(r"^verdict   : CUSTOM_BETTER$", out, re.M)
    assert re.search(r"^email     : sent to ml-team@example.com", out, re.M)
    # the emulator learned the references of the uploaded validation data
    assert any(key.endswith("/evaluation/records.jsonl") for key, _ in server.learner.learned)

    code = main(["report", arn, "--endpoint-url", server.endpoint_url, "--out", str(tmp_path / "reports")])
    printed = capsys.readouterr().out
    assert code == 0
    run_id = arn.rsplit(":", 1)[1]
    folder = tmp_path / "reports" / run_id
    assert sorted(p.name for p in folder.iterdir()) == ["records.jsonl", "report.html", "scores.jsonl", "summary.json"]
    summary = json.loads((folder / "summary.json").read_text())
    assert json.dumps(summary)  # a real summary
    assert len((folder / "scores.jsonl").read_text().splitlines()) == RECORDS
    verdict = re.search(r"^verdict   : (\w+)$", printed, re.M).group(1)
    assert verdict == "CUSTOM_BETTER" and verdict in json.dumps(summary)
    assert re.search(r"^release   : KEPT", printed, re.M)


def test_start_with_bad_input_uploads_and_starts_nothing(server, files, tmp_path, capsys):
    dep = server.emulator.deployment
    sfn = server.emulator.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=dep.parent_arn)["executions"])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(demo_input(TrainingDataFileName="cli/absent.jsonl", HyperParameters={"epochs": "2"})))
    code = main(["start", str(bad), "--state-machine", dep.parent_arn, "--endpoint-url", server.endpoint_url])
    captured = capsys.readouterr()
    assert code == 2
    fields = {line.split(":", 1)[0] for line in captured.err.splitlines()}
    # the S3 objects are looked up too: no training file under that key, no validation-data.json uploaded
    assert fields == {"HyperParameters.epochs", "TrainingDataFileName", "ValidationDataFileName"}
    assert "nothing was uploaded or started" in captured.out
    assert len(sfn.list_executions(stateMachineArn=dep.parent_arn)["executions"]) == before


def test_report_of_a_failed_run(server, tmp_path, capsys):
    """A run that fails at ValidateInput (started without the CLI's local check): exit 1, error and cause."""
    emu = server.emulator
    arn = emu.start_run(demo_input(JobName="bad job"))
    emu.wait(arn, timeout=120)
    code = main(["report", arn, "--endpoint-url", server.endpoint_url, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"^status    : FAILED", out, re.M)
    assert re.search(r"^error     : InvalidInput$", out, re.M)
    assert re.search(r"^cause     : JobName: \"bad job\" has characters Bedrock does not accept; ", out, re.M)
    assert "Traceback" not in out
