"""``release_stopped_run``: the safety net for stopped, timed-out and failed runs, against a botocore Stubber."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import ANY, Stubber

from workflow_lambdas import release_stopped_run as rsr
from workflow_lambdas.contract.tags import RUN_ID as RUN_ID_TAG
from workflow_lambdas.contract.tags import WORKFLOW as WORKFLOW_TAG

RUN = "run-2026-11-25"
MACHINE = "prod-customize"
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:{RUN}"
MINE = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/mine00000001"
MINE_TOO = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/mine00000002"
OTHER_RUN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/other0000001"
OTHER_WORKFLOW = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/other0000002"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _event(status="ABORTED", **detail):
    return {
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": EXECUTION,
            "stateMachineArn": EXECUTION.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0],
            "name": RUN,
            "status": status,
            "startDate": int(NOW.timestamp() * 1000),
            **detail,
        },
    }


def _tags(run=RUN, workflow=MACHINE):
    return {"tags": [{"key": RUN_ID_TAG, "value": run}, {"key": WORKFLOW_TAG, "value": workflow}]}


def _stubbed(service):
    """A client whose every call must be queued on its Stubber (no unexpected call can pass)."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def bedrock():
    yield from _stubbed("bedrock")


def _run(client, event, **kwargs):
    return rsr.release_stopped_run(rsr.StatusChangeEvent.model_validate(event), bedrock=client, **kwargs)


def test_deletes_only_the_stopped_runs_throughputs_across_pages(bedrock, throughput):
    client, stub = bedrock
    stub.add_response(
        "list_provisioned_model_throughputs",
        {"provisionedModelSummaries": [throughput(MINE), throughput(OTHER_RUN)], "nextToken": "page2"},
        {"maxResults": 100, "creationTimeAfter": NOW - dt.timedelta(minutes=1)},
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response("list_tags_for_resource", _tags(run="another-run"), {"resourceARN": OTHER_RUN})
    stub.add_response(
        "list_provisioned_model_throughputs",
        {"provisionedModelSummaries": [throughput(OTHER_WORKFLOW), throughput(MINE_TOO, "Creating")]},
        {"maxResults": 100, "creationTimeAfter": ANY, "nextToken": "page2"},
    )
    stub.add_response("list_tags_for_resource", _tags(workflow="staging-customize"), {"resourceARN": OTHER_WORKFLOW})
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE_TOO})
    for arn in (MINE, MINE_TOO):
        stub.add_response("get_provisioned_model_throughput", throughput(arn), {"provisionedModelId": arn})
        stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": arn})
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    result = _run(client, _event())
    assert result == {"RunId": RUN, "Status": "ABORTED", "Released": [MINE, MINE_TOO], "Refused": [], "AlreadyGone": []}


def test_never_deletes_a_committed_throughput(bedrock, throughput):
    client, stub = bedrock  # no delete queued: a delete call would fail the test
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response(
        "get_provisioned_model_throughput", throughput(MINE, commitment="OneMonth"), {"provisionedModelId": MINE}
    )
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    result = _run(client, _event("TIMED_OUT"))
    assert result["Refused"] == [MINE] and result["Released"] == []


def test_waits_while_bedrock_is_still_creating_then_deletes(bedrock, throughput):
    client, stub = bedrock
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response(
        "get_provisioned_model_throughput", throughput(MINE, status="Creating"), {"provisionedModelId": MINE}
    )
    for _ in range(2):
        stub.add_client_error(
            "delete_provisioned_model_throughput", "ConflictException", "still creating", http_status_code=400
        )
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": MINE})
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    slept: list[float] = []
    result = _run(client, _event(), sleep=slept.append)
    assert result["Released"] == [MINE]
    assert slept == [rsr.POLL_SECONDS, rsr.POLL_SECONDS]


def test_gives_up_for_a_lambda_retry_before_the_function_times_out(bedrock, throughput):
    client, stub = bedrock
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response(
        "get_provisioned_model_throughput", throughput(MINE, status="Creating"), {"provisionedModelId": MINE}
    )
    stub.add_client_error("delete_provisioned_model_throughput", "ConflictException", "still creating", 400)
    with pytest.raises(rsr.ThroughputStillCreating, match=f"run {RUN} was ABORTED: {MINE} cannot be deleted yet"):
        _run(client, _event(), remaining_ms=lambda: 60_000, sleep=lambda _s: None)


def test_a_throughput_gone_meanwhile_is_fine(bedrock, throughput):
    client, stub = bedrock
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "gone", 404)
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    assert _run(client, _event("FAILED"))["AlreadyGone"] == [MINE]


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING"])
def test_other_statuses_touch_nothing(bedrock, status):
    client, _stub = bedrock  # nothing queued: any call would fail
    assert _run(client, _event(status))["Released"] == []


DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/mine01"
OTHER_DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/other1"


def test_deletes_the_stopped_runs_deployment_only(bedrock):
    client, stub = bedrock
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": []}, None)
    summaries = [
        {"customModelDeploymentArn": arn, "customModelDeploymentName": "d", "createdAt": NOW,
         "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/m1",
         "status": "Active"}
        for arn in (DEPLOYMENT, OTHER_DEPLOYMENT)
    ]  # fmt: skip
    stub.add_response(
        "list_custom_model_deployments",
        {"modelDeploymentSummaries": summaries},
        {"maxResults": 100, "createdAfter": NOW - dt.timedelta(minutes=1)},
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": DEPLOYMENT})
    stub.add_response("list_tags_for_resource", _tags(run="another-run"), {"resourceARN": OTHER_DEPLOYMENT})
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": DEPLOYMENT})  # the guarded delete's check
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    result = _run(client, _event())
    assert result["Released"] == [DEPLOYMENT] and OTHER_DEPLOYMENT not in str(result)


def test_a_wrong_event_is_one_clear_line():
    with pytest.raises(rsr.StoppedRunEventError) as info:
        rsr.handler({"source": "aws.states", "detail-type": "x", "detail": {"name": RUN, "status": "ABORTED"}})
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("detail.executionArn: ")
    with pytest.raises(rsr.StoppedRunEventError, match="not a Step Functions execution ARN"):
        rsr.release_stopped_run(
            rsr.StatusChangeEvent.model_validate(_event(executionArn="arn:aws:states:us-east-1:1:stateMachine:x")),
            bedrock=None,
        )


MACHINE_ARN = f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"
OTHER_RUN_ID = "run-kept-winner"


@pytest.fixture
def states():
    yield from _stubbed("stepfunctions")


def _describe(stub, run_id, status):
    arn = f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:{run_id}"
    stub.add_response(
        "describe_execution",
        {"executionArn": arn, "stateMachineArn": MACHINE_ARN, "status": status, "startDate": NOW},
        {"executionArn": arn},
    )


def test_sweep_releases_only_throughputs_of_runs_that_ended_badly(bedrock, states, throughput):
    client, stub = bedrock
    sfn, sfn_stub = states
    stub.add_response(
        "list_provisioned_model_throughputs",
        {"provisionedModelSummaries": [throughput(MINE), throughput(OTHER_RUN), throughput(OTHER_WORKFLOW)]},
        {"maxResults": 100},
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response("list_tags_for_resource", _tags(run=OTHER_RUN_ID), {"resourceARN": OTHER_RUN})
    stub.add_response("list_tags_for_resource", _tags(workflow="staging-customize"), {"resourceARN": OTHER_WORKFLOW})
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    # runs are visited in sorted order: the stopped run, then the kept winner
    _describe(sfn_stub, RUN, "ABORTED")
    stub.add_response("get_provisioned_model_throughput", throughput(MINE), {"provisionedModelId": MINE})
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": MINE})
    _describe(sfn_stub, OTHER_RUN_ID, "SUCCEEDED")  # a kept winner: never touched
    event = rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN})
    result = rsr.sweep(event, bedrock=client, states=sfn)
    assert result == {"Sweep": MACHINE, "Released": [MINE], "Refused": [], "AlreadyGone": [], "Unknown": []}


def test_sweep_leaves_runs_step_functions_no_longer_knows(bedrock, states, throughput):
    client, stub = bedrock
    sfn, sfn_stub = states
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    sfn_stub.add_client_error("describe_execution", "ExecutionDoesNotExist", "expired", 400)
    event = rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN})
    assert rsr.sweep(event, bedrock=client, states=sfn)["Unknown"] == [MINE]


def test_a_bad_sweep_event_is_one_clear_line():
    with pytest.raises(rsr.StoppedRunEventError) as info:
        rsr.handler({"Sweep": True, "StateMachineArn": "prod-customize"})
    assert "\n" not in str(info.value) and str(info.value).startswith("StateMachineArn: ")


# -- paths no other test takes (issue 15: release_stopped_run mutants that survived) --------------------------


def _my_deployment_listed(stub, params):
    summary = {
        "customModelDeploymentArn": DEPLOYMENT,
        "customModelDeploymentName": "mine",
        "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc",
        "createdAt": NOW,
        "status": "Active",
    }
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": [summary]}, params)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": DEPLOYMENT})


def _throttled_then_deleted(stub, throughput):
    """MINE: refused once while still creating, throttled once, then deleted; DEPLOYMENT throttled once."""
    stub.add_response("get_provisioned_model_throughput", throughput(MINE, "Creating"), {"provisionedModelId": MINE})
    stub.add_client_error("delete_provisioned_model_throughput", "ConflictException", "still creating", 409)
    stub.add_client_error("delete_provisioned_model_throughput", "ThrottlingException", "slow down", 429)
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": MINE})


def _deployment_throttled_then_deleted(stub):
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": DEPLOYMENT})
    stub.add_client_error("delete_custom_model_deployment", "ThrottlingException", "slow down", 429)
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})


def test_an_event_without_a_start_date_looks_at_every_throughput_and_deployment_and_backs_off(bedrock, throughput):
    """The wait for a throughput still creating may use the last 30 s before the safety margin."""
    client, stub = bedrock
    stub.add_response(
        "list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, {"maxResults": 100}
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    _throttled_then_deleted(stub, throughput)
    _my_deployment_listed(stub, {"maxResults": 100})
    _deployment_throttled_then_deleted(stub)
    waits: list[float] = []
    event = _event()
    del event["detail"]["startDate"]
    remaining = rsr.SAFETY_MARGIN_MS + int(rsr.POLL_SECONDS * 1000)
    result = _run(client, event, remaining_ms=lambda: remaining, sleep=waits.append)
    assert result["Released"] == [MINE, DEPLOYMENT] and result["AlreadyGone"] == []
    assert waits == [rsr.POLL_SECONDS, 0.5, 0.5]


def test_the_sweep_backs_off_the_same_way_and_leaves_a_run_step_functions_cannot_find(bedrock, states, throughput):
    client, stub = bedrock
    sfn, sfn_stub = states
    stub.add_response(
        "list_provisioned_model_throughputs",
        {"provisionedModelSummaries": [throughput(MINE), throughput(OTHER_RUN)]},
        {"maxResults": 100},
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response("list_tags_for_resource", _tags(run="a-gone-run"), {"resourceARN": OTHER_RUN})
    _my_deployment_listed(stub, {"maxResults": 100})
    sfn_stub.add_client_error("describe_execution", "ResourceNotFound", "no such execution", 400)
    _describe(sfn_stub, RUN, "TIMED_OUT")
    _throttled_then_deleted(stub, throughput)
    _deployment_throttled_then_deleted(stub)
    waits: list[float] = []
    result = rsr.sweep(
        rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN}),
        bedrock=client,
        states=sfn,
        remaining_ms=lambda: 10**6,
        sleep=waits.append,
    )
    assert result["Unknown"] == [OTHER_RUN] and result["Released"] == [MINE, DEPLOYMENT]
    assert waits == [rsr.POLL_SECONDS, 0.5, 0.5]


def test_the_sweep_names_the_runs_status_when_a_throughput_cannot_be_deleted_yet(bedrock, states, throughput):
    client, stub = bedrock
    sfn, sfn_stub = states
    stub.add_response(
        "list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(MINE)]}, {"maxResults": 100}
    )
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": MINE})
    stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
    _describe(sfn_stub, RUN, "TIMED_OUT")
    stub.add_response("get_provisioned_model_throughput", throughput(MINE, "Creating"), {"provisionedModelId": MINE})
    stub.add_client_error("delete_provisioned_model_throughput", "ConflictException", "still creating", 409)
    with pytest.raises(rsr.ThroughputStillCreating, match=f"run {RUN} was TIMED_OUT: {MINE} cannot be deleted yet"):
        rsr.sweep(
            rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN}),
            bedrock=client,
            states=sfn,
            remaining_ms=lambda: 1000,
            sleep=lambda _s: None,
        )


def test_an_arn_of_another_step_functions_resource_is_not_an_execution():
    with pytest.raises(rsr.StoppedRunEventError, match="not a Step Functions execution ARN"):
        rsr.workflow_name(f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}:{RUN}")
