"""A failed customization job, on the emulator through the real templates: the email names what failed
and carries the job's own ``failureMessage`` (as GetModelCustomizationJob returns it); the raw cause last.
And the printed example input runs end to end on the bundled sample data."""

from __future__ import annotations

import json

from workflow_support import demo_input

from bedrock_customize.emulator import EmulatorConfig
from bedrock_customize.emulator.faults import apply_faults
from bedrock_customize.validate_command import example_input
from workflow_lambdas.notify import RAW_CAUSE_HEADING


def test_failed_job_email_carries_the_jobs_own_message(emulator_factory):
    config = apply_faults(EmulatorConfig.scenario("better"), {"customization_job": "Failed"})
    emu = emulator_factory(
        "better", **{name: getattr(config, name) for name in config.__dataclass_fields__ if name != "region"}
    )
    emu.upload_sample()
    summary = emu.run(demo_input(), timeout=300)
    assert summary["execution_status"] == "FAILED", summary
    run_id = summary["execution_arn"].rsplit(":", 1)[-1]

    # the job's own message, read back through the API the template's .sync step polls
    state = emu.final_state(summary["execution_arn"])
    job = emu.client("bedrock").get_model_customization_job(jobIdentifier=state["run"]["JobName"])
    message = job["failureMessage"]
    assert job["status"] == "Failed" and "training-data.jsonl" in message

    [email] = [e for e in emu.sent_emails() if run_id in str(e["body"])]
    assert email["subject"].endswith(": training job failed"), email["subject"]
    html = email["body"]
    shown, collapsed = html.split("<details>")
    assert f"Message:</strong> {message.replace(chr(39), '&#x27;')}" in shown
    assert "Next step:</strong>" in shown
    assert "{&quot;" not in shown  # no JSON outside the collapsed block
    assert RAW_CAUSE_HEADING in collapsed and "&quot;FailureMessage&quot;" in collapsed
    assert json.loads(state["error"]["Cause"])["FailureMessage"] == message


def test_the_printed_example_runs_on_the_bundled_sample_data(emulator):
    summary = emulator.run(example_input(), timeout=300)
    assert summary["execution_status"] == "SUCCEEDED", summary
    assert summary["verdict"] == "CUSTOM_BETTER"
