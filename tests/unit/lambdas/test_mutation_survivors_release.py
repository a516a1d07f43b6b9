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
from workflow_lambdas import resources
from workflow_lambdas.contract.tags import RUN_ID as RUN_ID_TAG
from workflow_lambdas.contract.tags import WORKFLOW as WORKFLOW_TAG

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


def _tags() -> dict:
    return {"tags": [{"key": RUN_ID_TAG, "value": RUN}, {"key": WORKFLOW_TAG, "value": MACHINE}]}


def _client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _queue_committed(stub: Stubber, throughput) -> None:
    stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(PT)]}, None)
    stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": PT})


def _queue_details(stub: Stubber, throughput) -> None:
    # no delete queued: a delete call fails the test
    stub.add_response(
        "get_provisioned_model_throughput", throughput(PT, commitment="OneMonth"), {"provisionedModelId": PT}
    )


@pytest.mark.parametrize("status", rsr.STATUSES)
def test_the_status_event_never_deletes_a_committed_throughput(status, throughput):
    bedrock = _client("bedrock")
    with Stubber(bedrock) as stub:
        _queue_committed(stub, throughput)
        _queue_details(stub, throughput)
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
def test_the_sweep_never_deletes_a_committed_throughput(status, throughput):
    bedrock, states = _client("bedrock"), _client("stepfunctions")
    with Stubber(bedrock) as stub, Stubber(states) as sfn:
        stub.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": [throughput(PT)]}, None)
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
        _queue_details(stub, throughput)
        result = rsr.sweep(
            rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN}),
            bedrock=bedrock,
            states=states,
        )
        stub.assert_no_pending_responses()
    assert result["Refused"] == [PT] and result["Released"] == []


# -- transient Bedrock errors: which are retried, and how long the deletes wait ------------------------------


def _client_error(code: str, status: int = 400, message: str = "boom") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Delete"
    )


@pytest.mark.parametrize(
    "code, status, named",
    [
        ("ThrottlingException", 400, rt.ThrottlingException),
        ("TooManyRequestsException", 429, rt.ThrottlingException),
        ("ServiceUnavailableException", 400, rt.ServiceUnavailableException),
        ("InternalServerException", 400, rt.ServiceUnavailableException),
        ("SomethingNew", 500, rt.ServiceUnavailableException),  # any 5xx is the service's fault
        ("SomethingNew", 503, rt.ServiceUnavailableException),
        ("SomethingNew", 499, None),
        ("ValidationException", 400, None),
        ("AccessDeniedException", 403, None),
    ],
)
def test_a_transient_bedrock_error_is_raised_under_the_name_the_state_machine_retries(code, status, named):
    exc = _client_error(code, status, message="the original message")
    mapped = resources.transient(exc)
    if named is None:
        assert mapped is None
    else:
        assert type(mapped) is named and "the original message" in str(mapped)


def test_a_client_error_without_response_metadata_is_not_transient():
    from botocore.exceptions import ClientError

    assert resources.transient(ClientError({"Error": {"Code": "SomethingNew"}}, "Delete")) is None


def test_a_throttled_delete_backs_off_exponentially_up_to_eight_seconds_then_gives_up():
    waits: list[float] = []
    calls = [0]

    def throttled() -> None:
        calls[0] += 1
        raise _client_error("ThrottlingException")

    with pytest.raises(rt.ThrottlingException, match="still throttled after 7 attempts"):
        resources.delete_with_retry(throttled, waits.append, attempts=7)
    assert calls[0] == 7
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_a_delete_throttled_once_succeeds_on_the_second_call():
    waits: list[float] = []
    outcomes = [_client_error("ThrottlingException"), None]

    def call() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    resources.delete_with_retry(call, waits.append)
    assert outcomes == [] and waits == [0.5]


def test_a_delete_unavailable_is_raised_for_the_state_machine_at_once():
    calls = [0]

    def unavailable() -> None:
        calls[0] += 1
        raise _client_error("ServiceUnavailableException", 503)

    with pytest.raises(rt.ServiceUnavailableException):
        resources.delete_with_retry(unavailable, lambda s: None)
    assert calls[0] == 1


@pytest.mark.parametrize(
    "verdict, run, keep, words",
    [
        ("CUSTOM_BETTER", {}, True, "better and KeepThroughputOnWin is true: throughput kept"),
        ("CUSTOM_BETTER", {"KeepThroughputOnWin": False}, False, "KeepThroughputOnWin is false: throughput released"),
        ("NOT_BETTER", {}, False, "custom model is not better: throughput released"),
        ("SOMETHING", {}, False, "no usable verdict ('SOMETHING'): throughput released"),
        (None, {}, False, "no usable verdict (None): throughput released"),
    ],
)
def test_the_reason_says_which_setting_decided(verdict, run, keep, words):
    kept, why = rt.decide(_state(verdict, **run), "VERDICT")
    assert kept is keep and why == why.strip() and why.endswith(words)


def test_a_failure_without_an_error_name_says_unknown_error():
    assert rt.decide(_state(None), "FAILURE") == (False, "run failed (unknown error): throughput released")


def test_a_losing_custom_model_without_a_name_is_not_deleted():
    state = rt.StateView.model_validate({"run": {"RunId": RUN, "WorkflowName": MACHINE}})
    deleted, note = rt._delete_custom_model(_client("bedrock"), state, lambda s: None)
    assert deleted is False and note == "custom model unknown: not deleted"


def test_tags_of_a_resource_without_tags_are_empty():
    bedrock = _client("bedrock")
    with Stubber(bedrock) as stub:
        stub.add_response("list_tags_for_resource", {}, {"resourceARN": PT})
        assert resources.tags_of(bedrock, PT) == {}


# -- the scheduled sweep: every ended-but-unsuccessful run, throughputs and deployments -----------------------


def _pt(name: str) -> str:
    return f"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/{name}"


def _dep(name: str) -> str:
    return f"arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/{name}"


def _run_tags(run: str, workflow: str = MACHINE) -> dict:
    return {"tags": [{"key": RUN_ID_TAG, "value": run}, {"key": WORKFLOW_TAG, "value": workflow}]}


def _deployment_summary(arn: str) -> dict:
    return {
        "customModelDeploymentArn": arn,
        "customModelDeploymentName": arn.rsplit("/", 1)[-1],
        "modelArn": MODEL,
        "createdAt": NOW,
        "status": "Active",
    }


def test_the_sweep_releases_every_stopped_run_and_goes_on_past_unknown_and_running_ones(throughput):

    runs = {"run-a": "FAILED", "run-b": None, "run-bb": None, "run-c": "RUNNING", "run-d": "ABORTED"}
    throughputs = {run: _pt(f"{run}-pt") for run in runs}
    bedrock, states = _client("bedrock"), _client("stepfunctions")
    with Stubber(bedrock) as stub, Stubber(states) as sfn:
        stub.add_response(
            "list_provisioned_model_throughputs",
            {"provisionedModelSummaries": [throughput(arn) for arn in [*throughputs.values(), _pt("gone")]]},
            {"maxResults": 100},
        )
        for run, arn in throughputs.items():
            stub.add_response("list_tags_for_resource", _run_tags(run), {"resourceARN": arn})
        stub.add_client_error("list_tags_for_resource", "ResourceNotFoundException")
        stub.add_response(
            "list_custom_model_deployments",
            {"modelDeploymentSummaries": [_deployment_summary(_dep("a")), _deployment_summary(_dep("theirs"))]},
            {"maxResults": 100},
        )
        stub.add_response("list_tags_for_resource", _run_tags("run-a"), {"resourceARN": _dep("a")})
        stub.add_response("list_tags_for_resource", _run_tags("run-a", "staging"), {"resourceARN": _dep("theirs")})
        for run, status in runs.items():
            execution = f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:{run}"
            if status is None:
                sfn.add_client_error("describe_execution", "ExecutionDoesNotExist")
                continue
            sfn.add_response(
                "describe_execution",
                {"executionArn": execution, "stateMachineArn": MACHINE_ARN, "status": status, "startDate": NOW},
                {"executionArn": execution},
            )
            if status == "RUNNING":
                continue
            arn = throughputs[run]
            stub.add_response("get_provisioned_model_throughput", throughput(arn), {"provisionedModelId": arn})
            stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": arn})
            if run == "run-a":  # its deployment, after its throughput
                stub.add_response("list_tags_for_resource", _run_tags("run-a"), {"resourceARN": _dep("a")})
                stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": _dep("a")})
        result = rsr.sweep(
            rsr.SweepEvent.model_validate({"Sweep": True, "StateMachineArn": MACHINE_ARN}),
            bedrock=bedrock,
            states=states,
        )
        stub.assert_no_pending_responses()
        sfn.assert_no_pending_responses()
    assert result == {
        "Sweep": MACHINE,
        "Released": [throughputs["run-a"], _dep("a"), throughputs["run-d"]],
        "Refused": [],
        "AlreadyGone": [],
        "Unknown": [throughputs["run-b"], throughputs["run-bb"]],
    }


def test_a_deployment_already_gone_when_the_safety_net_deletes_it_is_reported_so():

    bedrock = _client("bedrock")
    result: dict = {"Released": [], "AlreadyGone": []}
    with Stubber(bedrock) as stub:
        stub.add_response("list_tags_for_resource", _run_tags(RUN), {"resourceARN": _dep("a")})
        stub.add_client_error("delete_custom_model_deployment", "ResourceNotFoundException")
        rsr._release_deployment(bedrock, _dep("a"), RUN, MACHINE, "FAILED", result, lambda s: None)
    assert result == {"Released": [], "AlreadyGone": [_dep("a")]}


def test_a_throughput_gone_between_listing_and_deletion_is_already_gone(throughput):

    bedrock = _client("bedrock")
    result: dict = {"Released": [], "AlreadyGone": [], "Refused": []}
    with Stubber(bedrock) as stub:
        stub.add_response("get_provisioned_model_throughput", throughput(PT), {"provisionedModelId": PT})
        stub.add_client_error("delete_provisioned_model_throughput", "ResourceNotFoundException")
        rsr._release_one(
            bedrock,
            PT,
            {RUN_ID_TAG: RUN, WORKFLOW_TAG: MACHINE},
            MACHINE,
            "ABORTED",
            result,
            lambda: 10**9,
            lambda s: None,
        )
    assert result == {"Released": [], "AlreadyGone": [PT], "Refused": []}


# -- the shared resource functions: listing pages, refusals that name the resource, deployment outcomes -------


def test_a_deployment_is_found_by_name_on_a_later_page():
    bedrock = _client("bedrock")
    wanted = {"nameContains": "dep-run", "maxResults": 100}
    summaries = [_deployment_summary(_dep("dep-run-old")), _deployment_summary(_dep("dep-run"))]
    with Stubber(bedrock) as stub:
        stub.add_response("list_custom_model_deployments", {"nextToken": "page-2"}, wanted)
        stub.add_response(
            "list_custom_model_deployments", {"modelDeploymentSummaries": summaries}, {**wanted, "nextToken": "page-2"}
        )
        assert resources.find_deployment_by_name(bedrock, "dep-run") == _dep("dep-run")
        stub.assert_no_pending_responses()


def test_a_deployment_name_on_no_page_is_not_found():
    bedrock = _client("bedrock")
    with Stubber(bedrock) as stub:
        stub.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": []}, None)
        assert resources.find_deployment_by_name(bedrock, "dep-run") is None
        stub.assert_no_pending_responses()


class _Listing:
    """A Bedrock client that lists the given pages of throughput summaries and tags every ARN as this run's."""

    def __init__(self, pages: list[dict]) -> None:
        self.pages = pages
        self.calls: list[dict] = []

    def list_provisioned_model_throughputs(self, **kwargs: object) -> dict:
        self.calls.append(kwargs)
        return self.pages[len(self.calls) - 1]

    def list_tags_for_resource(self, resourceARN: str) -> dict:
        return _run_tags(RUN)


def test_the_listing_skips_a_summary_without_an_arn_and_reads_every_page():
    pages = [
        {"nextToken": "t2"},
        {"provisionedModelSummaries": [{}, {"provisionedModelArn": _pt("a")}], "nextToken": "t3"},
        {"provisionedModelSummaries": [{"provisionedModelArn": _pt("b")}]},
    ]
    bedrock = _Listing(pages)
    found = [arn for arn, tags in resources.tagged_throughputs(bedrock) if tags[RUN_ID_TAG] == RUN]
    assert found == [_pt("a"), _pt("b")]
    assert [call.get("nextToken") for call in bedrock.calls] == [None, "t2", "t3"]


@pytest.mark.parametrize("kind", ["throughput", "deployment"])
def test_a_resource_of_another_run_is_refused_naming_it_the_run_and_the_workflow(kind):
    bedrock = _client("bedrock")
    arn = PT if kind == "throughput" else _dep("a")
    with Stubber(bedrock) as stub, pytest.raises((rt.ThroughputNotOwned, resources.DeploymentNotOwned)) as caught:
        stub.add_response("list_tags_for_resource", _run_tags("another-run"), {"resourceARN": arn})
        if kind == "throughput":
            resources.release_throughput(bedrock, arn, RUN, MACHINE, details={}, sleep=lambda s: None)
        else:
            resources.release_deployment(bedrock, arn, RUN, MACHINE, sleep=lambda s: None)
    message = str(caught.value)
    assert arn in message and RUN in message and MACHINE in message and "not deleted" in message


@pytest.mark.parametrize("gone_at", [None, "list_tags_for_resource", "delete_custom_model_deployment"])
def test_a_released_deployment_reports_the_status_deleted(gone_at):
    bedrock = _client("bedrock")
    with Stubber(bedrock) as stub:
        if gone_at == "list_tags_for_resource":
            stub.add_client_error("list_tags_for_resource", "ResourceNotFoundException")
        else:
            stub.add_response("list_tags_for_resource", _run_tags(RUN), {"resourceARN": _dep("a")})
            if gone_at:
                stub.add_client_error("delete_custom_model_deployment", "ResourceNotFoundException")
            else:
                stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": _dep("a")})
        outcome = resources.release_deployment(bedrock, _dep("a"), RUN, MACHINE, sleep=lambda s: None)
        stub.assert_no_pending_responses()
    assert outcome == (resources.ALREADY_GONE if gone_at else resources.DELETED, "Deleted")
