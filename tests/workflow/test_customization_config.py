"""DISTILLATION on the emulator: the job is created with the CustomizationConfig that ValidateInput built.

botocore's bedrock service model is the reference: CreateModelCustomizationJob takes
customizationConfig.distillationConfig.teacherModelConfig (teacherModelIdentifier,
maxResponseLengthForInference), and GetModelCustomizationJob returns customizationConfig.
"""

from __future__ import annotations

import pytest
from workflow_support import demo_input

pytestmark = pytest.mark.workflow

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
TEACHER = "us.amazon.nova-premier-v1:0"


def _run(emulator_factory, **inputs):
    emu = emulator_factory("better", base_model=NOVA_MICRO)
    files = emu.upload_sample(NOVA_MICRO)
    # A distillation job needs at least 100 prompts (the sample has 60): the sample twice over.
    training = emu.client("s3").get_object(Bucket=emu.deployment.buckets["training"], Key=files["TrainingDataFileName"])
    emu.upload("training", files["TrainingDataFileName"], training["Body"].read() * 2)
    summary = emu.run(demo_input(BaseModelIdentifier=NOVA_MICRO, HyperParameters={}, **inputs))
    return emu, summary


def test_distillation_job_receives_the_teacher(emulator_factory):
    emu, summary = _run(
        emulator_factory,
        CustomizationType="DISTILLATION",
        Distillation={"TeacherModelIdentifier": TEACHER, "MaxResponseLengthForInference": 1000},
    )
    assert summary["execution_status"] == "SUCCEEDED", summary
    entered = emu.entered_states(summary["execution_arn"])
    assert "CustomizeModelWithConfig" in entered and "CustomizeModel" not in entered
    job = emu.final_state(summary["execution_arn"])["customization_job"]
    assert job["CustomizationType"] == "DISTILLATION"
    assert job["CustomizationConfig"] == {
        "DistillationConfig": {
            "TeacherModelConfig": {"TeacherModelIdentifier": TEACHER, "MaxResponseLengthForInference": 1000}
        }
    }
    # what the emulated Bedrock recorded from the create request, in botocore's (camelCase) shape
    assert emu.world.customization_configs == {
        job["JobArn"]: {
            "distillationConfig": {
                "teacherModelConfig": {"teacherModelIdentifier": TEACHER, "maxResponseLengthForInference": 1000}
            }
        }
    }


def test_fine_tuning_run_creates_its_job_without_a_customization_config(emulator_factory):
    emu, summary = _run(emulator_factory)
    assert summary["execution_status"] == "SUCCEEDED", summary
    entered = emu.entered_states(summary["execution_arn"])
    assert "CustomizeModel" in entered and "CustomizeModelWithConfig" not in entered
    job = emu.final_state(summary["execution_arn"])["customization_job"]
    assert job["CustomizationType"] == "FINE_TUNING" and "CustomizationConfig" not in job
    assert emu.world.customization_configs == {}


def test_emulated_bedrock_refuses_distillation_without_a_teacher(emulator_factory):
    """As Bedrock does: a DISTILLATION job needs customizationConfig (the template never sends one without)."""
    import botocore.exceptions

    emu = emulator_factory("better", base_model=NOVA_MICRO)
    with pytest.raises(botocore.exceptions.ClientError, match="teacherModelConfig is required"):
        emu.client("bedrock").create_model_customization_job(
            jobName="j",
            customModelName="m",
            roleArn=f"arn:aws:iam::{emu.config.account_id}:role/r",
            baseModelIdentifier=NOVA_MICRO,
            customizationType="DISTILLATION",
            trainingDataConfig={"s3Uri": "s3://b/train.jsonl"},
            outputDataConfig={"s3Uri": "s3://b/out/"},
        )
