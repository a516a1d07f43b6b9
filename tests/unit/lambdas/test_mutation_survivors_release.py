"""The release decisions at their edges (issue 15: release/stopped-run mutants that no test caught).

An inconclusive result is released unless the run says KEEP (also when the run context predates the
setting); a throughput with a commitment term is never deleted by the safety net, whatever way the run
ended (ABORTED, TIMED_OUT or FAILED) and whether the status event or the scheduled sweep finds it.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from workflow_lambdas import release_stopped_run as rsr
from workflow_lambdas import release_throughput as rt
from workflow_lambdas.release_throughput import RUN_ID_TAG, WORKFLOW_TAG

RUN = "run-2026-12-03"
MACHINE = "prod-customize"
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:{RUN}"
MACHINE_ARN = f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"
PT = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/commit000001"
MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc"
NOW = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)


def _state(verdict: str | None, **run: object) -> rt.StateView:
    context = {"RunId": RUN, "WorkflowName": MACHINE, **run}
    evaluation = {"Result": {"Verdict": verdict}} if verdict else None
    return rt.StateView.model_validate({"run": context, "evaluation": evaluation})


@pytest.mark.parametrize(
    "run, keep",
    [
        ({}, False),  # a run context without OnInconclusive: the default releases
        ({"Evaluation": {}}, False),
        ({"Evaluation": {"OnInconclusive": "RELEASE"}}, False),
        ({"Evaluation": {"OnInconclusive": "KEEP"}}, True),
        ({"Evaluation": {"OnInconclusive": "keep"}}, True),
    ],
)
def test_an_inconclusive_result_is_released_unless_the_run_says_keep(run, keep):
    kept, why = rt.decide(_state("INCONCLUSIVE", **run), "VERDICT")
    assert kept is keep
    assert why.startswith("result inconclusive") and why.endswith("kept" if keep else "released")


def test_without_a_run_context_nothing_is_kept():
    state = rt.StateView.model_validate({"evaluation": {"Result": {"Verdict": "INCONCLUSIVE"}}})
    assert rt.decide(state, "VERDICT")[0] is False
    assert rt.decide(rt.StateView.model_validate({"evaluation": {"Result": {"Verdict": "CUSTOM_BETTER"}}}), "VERDICT")[
        0
    ]


@pytest.mark.parametrize("verdict", ["CUSTOM_BETTER", "INCONCLUSIVE", "NOT_BETTER", None])
def test_a_failed_run_releases_whatever_its_verdict_and_policy(verdict):
    state = _state(verdict, Evaluation={"OnInconclusive": "KEEP"}, KeepThroughputOnWin=True)
    state.error = {"Error": "ThroughputFailed"}
    kept, why = rt.decide(state, "FAILURE")
    assert kept is False and why == "run failed (ThroughputFailed): throughput released"


def _summary(arn: str) -> dict:
    return {
        "provisionedModelName": arn.rsplit("/", 1)[-1],
        "provisionedModelArn": arn,
        "modelArn": MODEL,
        "desiredModelArn": MODEL,
        "foundationModelArn": MODEL,
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "status": "InService",
        "creationTime": NOW,
        "lastModifiedTime": NOW,
    }


def _tags() -> dict:
    return {"tags": [{"key": RUN_ID_TAG, "value": RUN}, {"key": WORKFLOW_TAG, "value": MACHINE}]}


def _client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _queue_committed(stub: Stubber) -> None:
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [_summary(PT)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": PT})


def _queue_details(stub: Stubber) -> None:
    # no delete queued: a delete call fails the test
    stub.add_response(
        "get_provisioned_model_throughput",
        {**_summary(PT), "commitmentDuration": "OneMonth"},
        {"provisionedModelId": PT},
    )


@pytest.mark.parametrize("status", rsr.STATUSES)
def test_the_status_event_never_deletes_a_committed_throughput(status):
    bedrock = _client("bedrock")
    with Stubber(bedrock) as stub:
        _queue_committed(stub)
        _queue_details(stub)
        stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
        event = {
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "detail": {
                "executionArn": EXECUTION,
                "stateMachineArn": MACHINE_ARN,
                "name": RUN,
                "status": status,
                "startDate": int(NOW.timestamp() * 1000),
            },
        }
        result = rsr.release_stopped_run(rsr.StatusChangeEvent.model_validate(event), bedrock=bedrock)
        stub.assert_no_pending_responses()
    assert result["Status"] == status
    assert result["Refused"] == [PT] and result["Released"] == [] and result["AlreadyGone"] == []


@pytest.mark.parametrize("status", rsr.STATUSES)
def test_the_sweep_never_deletes_a_committed_throughput(status):
    bedrock, states = _client("bedrock"), _client("stepfunctions")
    with Stubber(bedrock) as stub, Stubber(states) as sfn:
        stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [_summary(PT)]}, None)
        stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": PT})
        stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
        sfn.add_response(
            "describe_execution",
            {
                "executionArn": EXECUTION,
                "stateMachineArn": MACHINE_ARN,
                "status": status,
                "startDate": NOW,
            },
            {"executionArn": EXECUTION},
        )
        _queue_details(stub)
        result = rsr.sweep(
            rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN}),
            bedrock=bedrock,
            states=states,
        )
        stub.assert_no_pending_responses()
    assert result["Refused"] == [PT] and result["Released"] == []
