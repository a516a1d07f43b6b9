"""The on-demand path: a custom model deployment serves the evaluation (no provisioned throughput)."""

from __future__ import annotations

import pytest
from workflow_support import demo_input

pytestmark = pytest.mark.workflow

NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"  # as the Bedrock fine-tuning page spells it
NOVA_HPS = {"epochCount": "2", "learningRate": "0.00001"}


def _run(emulator_factory, scenario="better", inputs=None, **config):
    emu = emulator_factory(scenario, base_model=NOVA_2_LITE, **config)
    emu.upload_sample(NOVA_2_LITE)
    summary = emu.run(demo_input(BaseModelIdentifier=NOVA_2_LITE, HyperParameters=NOVA_HPS, **(inputs or {})))
    return emu, summary


def test_nova_2_lite_runs_on_demand_without_a_throughput(emulator_factory):
    emu, summary = _run(emulator_factory)
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["deployment_mode"] == "on_demand"
    assert summary["provisioned_throughputs"] == [] and summary["leaked_throughputs"] == 0
    [deployment] = summary["custom_model_deployments"]
    assert deployment["status"] == "Active" and summary["leaked_deployments"] == 0
    assert summary["verdict"] == "CUSTOM_BETTER" and summary["release"] == "KEPT"
    state = emu.final_state(summary["execution_arn"])
    assert state["release"]["CustomModelDeploymentArn"] == deployment["arn"]
    assert state["serving"] == {"Mode": "on_demand", "ModelId": deployment["arn"]}
    assert emu.world.stats["custom"].answered > 0  # the custom model answered through the deployment ARN
    entered = emu.entered_states(summary["execution_arn"])
    assert "CreateDeployment" in entered and "KeepDeployment" in entered and "ProvisionThroughput" not in entered


def test_losing_deployment_is_deleted(emulator_factory):
    _emu, summary = _run(emulator_factory, "worse")
    assert summary["verdict"] == "NOT_BETTER" and summary["release"] == "DELETED", summary
    assert [d["status"] for d in summary["custom_model_deployments"]] == ["Deleted"]
    assert summary["leaked_deployments"] == 0 and summary["provisioned_throughputs"] == []


def test_winner_kept_as_a_throughput_bought_after_the_verdict(emulator_factory):
    emu, summary = _run(emulator_factory, inputs={"KeepWinnerAs": "provisioned_throughput"})
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["InService"]
    assert [d["status"] for d in summary["custom_model_deployments"]] == ["Deleted"]
    assert summary["leaked_deployments"] == 0 and summary["leaked_throughputs"] == 0
    entered = emu.entered_states(summary["execution_arn"])
    assert entered.index("Evaluate") < entered.index("ProvisionWinnerThroughput")


def test_provisioned_on_request(emulator_factory):
    _emu, summary = _run(emulator_factory, inputs={"Deployment": "provisioned"})
    assert summary["deployment_mode"] == "provisioned" and summary["custom_model_deployments"] == []
    assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["InService"]


@pytest.mark.parametrize(
    ("model", "mode"),
    [
        ("amazon.nova-2-lite-v1:0:256k", "on_demand"),
        ("meta.llama3-1-8b-instruct-v1:0:128k", "provisioned"),
        ("meta.llama3-3-70b-instruct-v1:0:128k", "on_demand"),  # us-west-2 only: the demo runs there
    ],
)
def test_demo_json_for_a_base_model(tmp_path, capsys, model, mode):
    """The issue's done-when: Nova 2 Lite on demand with no throughput; Llama 3.1 8B falls back to a throughput;
    Llama 3.3 70B on demand in us-west-2, the only region where it can be customized."""
    import json

    from bedrock_customize.cli import main
    from workflow_lambdas import model_families as mf

    assert main(["demo", "--base-model", model, "--json", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["deployment_mode"] == mode
    assert summary["leaked_deployments"] == 0 and summary["leaked_throughputs"] == 0
    region = mf.home_region(mf.lookup(model))
    assert summary["execution_arn"].startswith(f"arn:aws:states:{region}:")  # the run ran in its model's region
    if mode == "on_demand":
        assert summary["provisioned_throughputs"] == []
        assert [d["status"] for d in summary["custom_model_deployments"]] == ["Active"]
        assert summary["custom_model_deployments"][0]["arn"].startswith(f"arn:aws:bedrock:{region}:")
    else:
        assert summary["custom_model_deployments"] == []
        assert [pt["status"] for pt in summary["provisioned_throughputs"]] == ["InService"]
