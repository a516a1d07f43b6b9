"""``release_throughput``: policy and guards, against a botocore Stubber (no unexpected call can pass)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from workflow_lambdas import release_throughput as rt
from workflow_lambdas import resources
from workflow_lambdas.contract import tags
from workflow_lambdas.contract.errors import ThroughputNotOwned

RUN_ID = "exec-42"
WORKFLOW = "prod-bedrock-customize"
ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/pt123"
NAME = "support-summarizer-exec-42"
CUSTOM_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc"
OWN_TAGS = [{"key": tags.RUN_ID, "value": RUN_ID}, {"key": tags.WORKFLOW, "value": WORKFLOW}]


@pytest.fixture
def bedrock():
    client = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _state(verdict="NOT_BETTER", *, arn=ARN, error=None, **run_extra):
    run = {
        "RunId": RUN_ID,
        "WorkflowName": WORKFLOW,
        "CustomModelName": "support-summarizer",
        "ProvisionedModelName": NAME,
        "Evaluation": {"OnInconclusive": "RELEASE", "Margin": 0.0},
        **run_extra,
    }
    state = {
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "run": run,
        "customization": {"CustomModelArn": CUSTOM_ARN, "Status": "Completed"},
    }
    if arn:
        state["throughput"] = {"ProvisionedModelArn": arn}
    if verdict:
        state["evaluation"] = {"ExecutionArn": "x", "Result": {"Verdict": verdict}}
    if error:
        state["error"] = error
    return state


def _pt(commitment=None, status="InService"):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out = {
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "provisionedModelName": NAME,
        "provisionedModelArn": ARN,
        "modelArn": CUSTOM_ARN,
        "desiredModelArn": CUSTOM_ARN,
        "foundationModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
        "status": status,
        "creationTime": now,
        "lastModifiedTime": now,
    }
    if commitment:
        out["commitmentDuration"] = commitment
    return out


def _expect_get(stub, ident=ARN, **kw):
    stub.add_response("get_provisioned_model_throughput", _pt(**kw), {"provisionedModelId": ident})


def _expect_tags(stub, tags=OWN_TAGS, arn=ARN):
    stub.add_response("list_tags_for_resource", {"tags": tags}, {"resourceARN": arn})


def _expect_delete(stub):
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": ARN})


def _run(client, state, reason="VERDICT"):
    return rt.release(
        rt.ReleaseEvent.model_validate({"State": state, "Reason": reason}), bedrock=client, sleep=lambda _s: None
    )


def test_not_better_deletes(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    result = _run(client, _state("NOT_BETTER"))
    assert result == {
        "Action": "DELETED",
        "ProvisionedModelArn": ARN,
        "Reason": result["Reason"],
        "ThroughputStatus": "Deleted",
        "CustomModelDeleted": False,
    }
    assert "not better" in result["Reason"]


def test_custom_better_keeps_and_only_reads_its_status(bedrock):
    client, stub = bedrock  # only the Get is queued: a tag read or a delete would fail the test
    _expect_get(stub)
    result = _run(client, _state("CUSTOM_BETTER"))
    assert result["Action"] == "KEPT"
    assert result["ProvisionedModelArn"] == ARN
    assert result["ThroughputStatus"] == "InService"
    assert result["CustomModelDeleted"] is False
    assert "KeepThroughputOnWin" in result["Reason"]


def test_custom_better_released_when_the_run_does_not_keep_wins(bedrock):
    client, stub = bedrock  # nothing queued for the custom model: touching the winner would fail
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    result = _run(client, _state("CUSTOM_BETTER", KeepThroughputOnWin=False, KeepLosingCustomModel=False))
    assert (result["Action"], result["ThroughputStatus"], result["CustomModelDeleted"]) == ("DELETED", "Deleted", False)
    assert "KeepThroughputOnWin is false" in result["Reason"]


@pytest.mark.parametrize(("policy", "action"), [("KEEP", "KEPT"), ("RELEASE", "DELETED")])
def test_inconclusive_follows_the_policy(bedrock, policy, action):
    client, stub = bedrock
    _expect_get(stub)
    if action == "DELETED":
        _expect_tags(stub)
        _expect_delete(stub)
    result = _run(client, _state("INCONCLUSIVE", Evaluation={"OnInconclusive": policy}))
    assert result["Action"] == action
    assert policy in result["Reason"]


def test_failure_deletes_even_with_a_winning_verdict(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    state = _state("CUSTOM_BETTER", error={"Error": "States.Timeout", "Cause": "x"})
    result = _run(client, state, reason="FAILURE")
    assert result["Action"] == "DELETED"
    assert "States.Timeout" in result["Reason"]


def test_missing_verdict_releases(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    assert _run(client, _state(None))["Action"] == "DELETED"


@pytest.mark.parametrize(
    "tags",
    [
        [],
        [{"key": tags.RUN_ID, "value": "another-run"}, {"key": tags.WORKFLOW, "value": WORKFLOW}],
        [{"key": tags.RUN_ID, "value": RUN_ID}],
        [{"key": tags.RUN_ID, "value": RUN_ID}, {"key": tags.WORKFLOW, "value": "other-workflow"}],
    ],
)
def test_not_owned_raises_and_never_deletes(bedrock, tags):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub, tags)
    # no delete response queued: a delete call would raise a StubResponseError instead
    with pytest.raises(ThroughputNotOwned, match=RUN_ID):
        _run(client, _state("NOT_BETTER"), reason="FAILURE")


def test_error_name_is_the_asl_error():
    assert ThroughputNotOwned.__name__ == "ThroughputNotOwned"


def test_committed_throughput_is_refused(bedrock):
    client, stub = bedrock
    _expect_get(stub, commitment="OneMonth")
    _expect_tags(stub)
    result = _run(client, _state("NOT_BETTER"))
    assert result["Action"] == "REFUSED"
    assert "OneMonth" in result["Reason"]


def test_already_gone_on_get(bedrock):
    client, stub = bedrock
    stub.add_client_error(
        "get_provisioned_model_throughput",
        "ResourceNotFoundException",
        "gone",
        404,
        expected_params={"provisionedModelId": ARN},
    )
    result = _run(client, _state("NOT_BETTER"))
    assert result["Action"] == "ALREADY_GONE"
    assert result["ProvisionedModelArn"] == ARN


def test_already_gone_on_delete(bedrock):
    client, stub = bedrock
    _expect_get(stub, status="Failed")
    _expect_tags(stub)
    stub.add_client_error(
        "delete_provisioned_model_throughput",
        "ResourceNotFoundException",
        "gone",
        404,
        expected_params={"provisionedModelId": ARN},
    )
    assert _run(client, _state("NOT_BETTER"))["Action"] == "ALREADY_GONE"


def test_delete_retries_throttling(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    for _ in range(2):
        stub.add_client_error(
            "delete_provisioned_model_throughput",
            "ThrottlingException",
            "slow down",
            429,
            expected_params={"provisionedModelId": ARN},
        )
    _expect_delete(stub)
    assert _run(client, _state("NOT_BETTER"))["Action"] == "DELETED"


def test_delete_gives_up_after_persistent_throttling(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    for _ in range(resources.DELETE_ATTEMPTS):
        stub.add_client_error("delete_provisioned_model_throughput", "ThrottlingException", "slow down", 429)
    with pytest.raises(rt.ThrottlingException, match="still throttled"):
        _run(client, _state("NOT_BETTER"))


def test_delete_retries_too_many_requests_like_throttling(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    stub.add_client_error("delete_provisioned_model_throughput", "TooManyRequestsException", "slow down", 429)
    _expect_delete(stub)
    assert _run(client, _state("NOT_BETTER"))["Action"] == "DELETED"


def test_not_created_when_no_arn_and_name_unknown(bedrock):
    client, stub = bedrock
    stub.add_client_error(
        "get_provisioned_model_throughput",
        "ResourceNotFoundException",
        "nope",
        404,
        expected_params={"provisionedModelId": NAME},
    )
    result = _run(client, _state(None, arn=None, error={"Error": "States.TaskFailed"}), reason="FAILURE")
    assert result == {
        "Action": "NOT_CREATED",
        "ProvisionedModelArn": None,
        "Reason": result["Reason"],
        "ThroughputStatus": None,
        "CustomModelDeleted": False,
    }


def test_looked_up_by_name_then_deleted(bedrock):
    client, stub = bedrock
    _expect_get(stub, ident=NAME)
    _expect_tags(stub)
    _expect_delete(stub)
    result = _run(client, _state(None, arn=None, error={"Error": "States.TaskFailed"}), reason="FAILURE")
    assert (result["Action"], result["ProvisionedModelArn"]) == ("DELETED", ARN)


def test_no_run_context_means_nothing_to_release(bedrock):
    client, _ = bedrock
    result = _run(client, {"error": {"Error": "InvalidInput", "Cause": "bad"}}, reason="FAILURE")
    assert result["Action"] == "NOT_CREATED"


def test_no_run_context_with_an_arn_is_not_deleted(bedrock):
    client, _ = bedrock
    with pytest.raises(ThroughputNotOwned):
        _run(client, {"throughput": {"ProvisionedModelArn": ARN}}, reason="FAILURE")


def test_losing_custom_model_kept_by_default(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    assert _run(client, _state("NOT_BETTER"))["CustomModelDeleted"] is False


def test_losing_custom_model_deleted_when_asked(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_response("delete_custom_model", {}, {"modelIdentifier": CUSTOM_ARN})
    result = _run(client, _state("NOT_BETTER", KeepLosingCustomModel=False))
    assert result["Action"] == "DELETED"
    assert result["CustomModelDeleted"] is True


@pytest.mark.parametrize(
    ("extra", "verdict", "reason"),
    [
        ({"KeepLosingCustomModel": True}, "NOT_BETTER", "VERDICT"),
        ({"KeepLosingCustomModel": False}, "INCONCLUSIVE", "VERDICT"),
        ({"KeepLosingCustomModel": False}, "NOT_BETTER", "FAILURE"),
    ],
)
def test_custom_model_kept_outside_a_clean_loss(bedrock, extra, verdict, reason):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    result = _run(client, _state(verdict, error={"Error": "X"} if reason == "FAILURE" else None, **extra), reason)
    assert (result["Action"], result["CustomModelDeleted"]) == ("DELETED", False)


def test_custom_model_not_tagged_for_the_run_is_not_deleted(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    _expect_tags(stub, tags=[], arn=CUSTOM_ARN)
    result = _run(client, _state("NOT_BETTER", KeepLosingCustomModel=False))
    assert result["CustomModelDeleted"] is False
    assert "not tagged" in result["Reason"]


def test_transient_error_on_the_custom_model_is_reported_not_raised(bedrock):
    """The throughput is gone by then: a raised error would make the retry end ALREADY_GONE, model kept silently."""
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_client_error("delete_custom_model", "ServiceUnavailableException", "try later", 503)
    result = _run(client, _state("NOT_BETTER", KeepLosingCustomModel=False))
    assert (result["Action"], result["CustomModelDeleted"]) == ("DELETED", False)
    assert f"custom model {CUSTOM_ARN} not deleted" in result["Reason"]


def test_handler_uses_the_shared_client(monkeypatch, bedrock):
    client, stub = bedrock
    monkeypatch.setattr(rt, "client", lambda name: client if name == "bedrock" else None)
    _expect_get(stub)
    result = rt.handler({"State": _state("CUSTOM_BETTER"), "Reason": "VERDICT"})
    assert result["Action"] == "KEPT"


@pytest.mark.parametrize(
    ("code", "status", "named"),
    [
        ("ThrottlingException", 429, rt.ThrottlingException),
        ("ServiceUnavailableException", 503, rt.ServiceUnavailableException),
        ("InternalServerException", 500, rt.ServiceUnavailableException),
    ],
)
def test_transient_errors_get_retryable_names(bedrock, code, status, named):
    """The state machine retries these names only; anything else (e.g. ThroughputNotOwned) is final."""
    client, stub = bedrock
    stub.add_client_error("get_provisioned_model_throughput", code, "try again", status)
    with pytest.raises(named):
        _run(client, _state("NOT_BETTER"), reason="FAILURE")


def test_access_denied_is_not_disguised_as_transient(bedrock):
    client, stub = bedrock
    stub.add_client_error("get_provisioned_model_throughput", "AccessDeniedException", "no", 403)
    with pytest.raises(rt.ClientError):
        _run(client, _state("NOT_BETTER"), reason="FAILURE")


def test_committed_throughput_is_refused_even_after_a_failure(bedrock):
    client, stub = bedrock
    _expect_get(stub, commitment="OneMonth")
    _expect_tags(stub)
    result = _run(client, _state(None, error={"Error": "States.Timeout"}), reason="FAILURE")
    assert (result["Action"], result["ThroughputStatus"]) == ("REFUSED", "InService")
    assert "OneMonth" in result["Reason"]


# --- the on-demand path (issue 11): the run's custom model deployment ------------------------------------------

DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/dep123"
OD_RUN = {"DeploymentMode": "on_demand", "KeepWinnerAs": "deployment", "CustomModelDeploymentName": "dep-od-1"}


def _od_state(verdict="NOT_BETTER", **extra):
    state = _state(verdict, arn=None, **OD_RUN)
    state["deployment"] = {"CustomModelDeploymentArn": DEPLOYMENT}
    state.update(extra)
    return state


def _no_throughput(stub):
    stub.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "none", 404)


def test_on_demand_loser_deletes_only_a_deployment_tagged_for_the_run(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    result = rt.release(rt.ReleaseEvent.model_validate({"State": _od_state(), "Reason": "VERDICT"}), bedrock=client)
    assert result["Action"] == "DELETED" and result["DeploymentAction"] == "DELETED"
    assert result["CustomModelDeploymentArn"] == DEPLOYMENT and "deployment released" in result["Reason"]


def test_on_demand_deployment_of_another_run_is_never_deleted(bedrock):
    from workflow_lambdas.contract.errors import DeploymentNotOwned

    client, stub = bedrock  # no delete queued: a delete call would fail the test
    _no_throughput(stub)
    other = [{"key": tags.RUN_ID, "value": "another-run"}, {"key": tags.WORKFLOW, "value": WORKFLOW}]
    stub.add_response("list_tags_for_resource", {"tags": other}, {"resourceARN": DEPLOYMENT})
    with pytest.raises(DeploymentNotOwned, match="not deleted"):
        rt.release(rt.ReleaseEvent.model_validate({"State": _od_state(), "Reason": "FAILURE"}), bedrock=client)


def test_on_demand_winner_keeps_its_deployment(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    stub.add_response(
        "get_custom_model_deployment",
        {
            "customModelDeploymentArn": DEPLOYMENT,
            "modelDeploymentName": "dep-od-1",
            "modelArn": CUSTOM_ARN,
            "createdAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "status": "Active",
        },  # fmt: skip
        {"customModelDeploymentIdentifier": DEPLOYMENT},
    )
    event = {"State": _od_state("INCONCLUSIVE", run={**_od_state()["run"], "Evaluation": {"OnInconclusive": "KEEP"}})}
    result = rt.release(rt.ReleaseEvent.model_validate({**event, "Reason": "VERDICT"}), bedrock=client)
    assert result["Action"] == "KEPT" and result["DeploymentStatus"] == "Active"


def test_on_demand_create_that_failed_after_acceptance_is_found_by_name(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    summary = {
        "customModelDeploymentArn": DEPLOYMENT,
        "customModelDeploymentName": "dep-od-1",
        "modelArn": CUSTOM_ARN,
        "createdAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "status": "Creating",
    }
    stub.add_response(
        "list_custom_model_deployments",
        {"modelDeploymentSummaries": [summary]},
        {"nameContains": "dep-od-1", "maxResults": 100},
    )
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    state = _od_state(error={"Error": "States.Timeout"})
    state.pop("deployment")
    result = rt.release(rt.ReleaseEvent.model_validate({"State": state, "Reason": "FAILURE"}), bedrock=client)
    assert result["DeploymentAction"] == "DELETED" and result["CustomModelDeploymentArn"] == DEPLOYMENT


# --- the result of every outcome, and the paths no other test takes (issue 15: mutants that survived) -----------


def _waits():
    waits: list[float] = []
    return waits, waits.append


def _release(client, state, reason="VERDICT", sleep=lambda _s: None):
    return rt.release(rt.ReleaseEvent.model_validate({"State": state, "Reason": reason}), bedrock=client, sleep=sleep)


@pytest.mark.parametrize("gone_on", ["get", "delete"])
def test_a_throughput_gone_is_reported_deleted_with_the_decision(bedrock, gone_on):
    client, stub = bedrock
    if gone_on == "get":
        stub.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "gone", 404)
    else:  # gone between the get and the delete
        _expect_get(stub)
        _expect_tags(stub)
        stub.add_client_error("delete_provisioned_model_throughput", "ResourceNotFoundException", "gone", 404)
    result = _run(client, _state("NOT_BETTER"))
    assert (result["Action"], result["ProvisionedModelArn"], result["ThroughputStatus"]) == (
        "ALREADY_GONE",
        ARN,
        "Deleted",
    )
    assert "not better" in result["Reason"] and "already deleted" in result["Reason"]


def test_a_refused_throughput_is_named_in_the_result(bedrock):
    client, stub = bedrock
    _expect_get(stub, commitment="SixMonths")
    _expect_tags(stub)
    result = _run(client, _state("NOT_BETTER"))
    assert (result["Action"], result["ProvisionedModelArn"]) == ("REFUSED", ARN)


def test_a_run_without_a_throughput_name_reports_nothing_created_and_why(bedrock):
    client, _ = bedrock  # nothing queued: no Bedrock call is needed
    state = _state("NOT_BETTER", arn=None)
    state["run"].pop("ProvisionedModelName")
    result = _run(client, state)
    assert result["Action"] == "NOT_CREATED"
    assert result["ProvisionedModelArn"] is None and result["ThroughputStatus"] is None
    assert "no provisioned throughput" in result["Reason"] and "not better" in result["Reason"]


def test_no_run_context_reports_why_nothing_was_released(bedrock):
    client, _ = bedrock
    result = _run(client, {"error": {"Error": "InvalidInput", "Cause": "bad"}}, reason="FAILURE")
    assert result["ProvisionedModelArn"] is None and "no run context" in result["Reason"].lower()
    assert result["Reason"] == result["Reason"].lower()


def test_a_throughput_without_a_run_context_names_itself_in_the_error(bedrock):
    client, _ = bedrock
    with pytest.raises(ThroughputNotOwned, match=f"{ARN}.*not deleted"):
        _run(client, {"throughput": {"ProvisionedModelArn": ARN}}, reason="FAILURE")


def test_a_losing_custom_model_is_deleted_when_its_throughput_was_already_gone(bedrock):
    """A retried release finds the throughput ALREADY_GONE: the losing custom model must still go."""
    client, stub = bedrock
    stub.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "gone", 404)
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_response("delete_custom_model", {}, {"modelIdentifier": CUSTOM_ARN})
    result = _run(client, _state("NOT_BETTER", KeepLosingCustomModel=False))
    assert (result["Action"], result["CustomModelDeleted"]) == ("ALREADY_GONE", True)


def test_a_throttled_custom_model_delete_backs_off_and_succeeds(bedrock):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_client_error("delete_custom_model", "ThrottlingException", "slow down", 429)
    stub.add_response("delete_custom_model", {}, {"modelIdentifier": CUSTOM_ARN})
    waits, sleep = _waits()
    result = _release(client, _state("NOT_BETTER", KeepLosingCustomModel=False), sleep=sleep)
    assert result["CustomModelDeleted"] is True and waits == [0.5]


@pytest.mark.parametrize(
    ("code", "status", "note"),
    [("ResourceNotFoundException", 404, "already gone"), ("AccessDeniedException", 403, "not deleted")],
)
def test_a_custom_model_delete_that_fails_is_reported_not_deleted(bedrock, code, status, note):
    client, stub = bedrock
    _expect_get(stub)
    _expect_tags(stub)
    _expect_delete(stub)
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_client_error("delete_custom_model", code, "no", status)
    result = _run(client, _state("NOT_BETTER", KeepLosingCustomModel=False))
    assert (result["Action"], result["CustomModelDeleted"]) == ("DELETED", False)
    assert f"custom model {CUSTOM_ARN} {note}" in result["Reason"]


def test_on_demand_without_a_deployment_reports_nothing_created(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    no_deployments = {"modelDeploymentSummaries": []}
    stub.add_response("list_custom_model_deployments", no_deployments, {"nameContains": "dep-od-1", "maxResults": 100})
    state = _od_state(error={"Error": "States.Timeout"})
    state.pop("deployment")
    result = _release(client, state, reason="FAILURE")
    assert (result["Action"], result["DeploymentAction"], result["CustomModelDeploymentArn"]) == (
        "NOT_CREATED",
        "NOT_CREATED",
        None,
    )
    assert result["DeploymentStatus"] is None


def test_on_demand_winner_whose_deployment_is_gone_reports_it_deleted(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    stub.add_client_error("get_custom_model_deployment", "ResourceNotFoundException", "gone", 404)
    result = _release(client, _od_state("CUSTOM_BETTER"))
    assert (result["Action"], result["DeploymentAction"], result["DeploymentStatus"]) == (
        "ALREADY_GONE",
        "ALREADY_GONE",
        "Deleted",
    )
    assert result["CustomModelDeploymentArn"] == DEPLOYMENT


def test_on_demand_throttled_deployment_delete_backs_off_and_succeeds(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_client_error("delete_custom_model_deployment", "ThrottlingException", "slow down", 429)
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    waits, sleep = _waits()
    result = _release(client, _od_state(), sleep=sleep)
    assert result["DeploymentAction"] == "DELETED" and waits == [0.5]


def test_on_demand_loser_deletes_its_deployment_then_the_losing_custom_model(bedrock):
    client, stub = bedrock
    _no_throughput(stub)
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    _expect_tags(stub, arn=CUSTOM_ARN)
    stub.add_response("delete_custom_model", {}, {"modelIdentifier": CUSTOM_ARN})
    state = _od_state()
    state["run"]["KeepLosingCustomModel"] = False
    result = _release(client, state)
    assert (result["Action"], result["CustomModelDeleted"]) == ("DELETED", True)


def test_on_demand_the_deployment_action_is_the_action_when_the_throughput_was_already_gone(bedrock):
    client, stub = bedrock
    stub.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "gone", 404)
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    state = _od_state()
    state["throughput"] = {"ProvisionedModelArn": ARN}
    result = _release(client, state)
    assert (result["Action"], result["ProvisionedModelArn"], result["DeploymentAction"]) == ("DELETED", ARN, "DELETED")
    assert "kept as a provisioned throughput" not in result["Reason"]


def test_on_demand_winner_kept_as_a_throughput_replaces_its_deployment(bedrock):
    """KeepWinnerAs provisioned_throughput: the winner's throughput stays, its deployment is deleted."""
    client, stub = bedrock  # no get_custom_model_deployment queued: keeping the deployment would fail
    _expect_get(stub)
    stub.add_response("list_tags_for_resource", {"tags": OWN_TAGS}, {"resourceARN": DEPLOYMENT})
    stub.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT})
    state = _od_state("CUSTOM_BETTER")
    state["run"]["KeepWinnerAs"] = "provisioned_throughput"
    state["throughput"] = {"ProvisionedModelArn": ARN}
    result = _release(client, state)
    assert (result["Action"], result["ProvisionedModelArn"], result["ThroughputStatus"]) == ("KEPT", ARN, "InService")
    assert (result["DeploymentAction"], result["CustomModelDeploymentArn"]) == ("DELETED", DEPLOYMENT)
    assert result["Reason"].endswith("kept as a provisioned throughput; deployment deleted")
    assert "deployment kept" not in result["Reason"]
