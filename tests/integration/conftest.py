"""Opt-in integration tier: deploy examples/basic with a real `terraform` binary, run, destroy.

Skipped unless BEDROCK_CUSTOMIZE_INTEGRATION=1, a `terraform` binary is on PATH and AWS
credentials are available (or BEDROCK_CUSTOMIZE_LOCALSTACK_ENDPOINT points at a LocalStack
you run yourself). See tests/integration/README.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "basic"

ENABLE = "BEDROCK_CUSTOMIZE_INTEGRATION"
LOCALSTACK = "BEDROCK_CUSTOMIZE_LOCALSTACK_ENDPOINT"

# AWS provider endpoint keys for the LocalStack override: one per API the module's resources
# and data sources call (keep in step with main.tf, iam.tf and modules/*):
#   s3             aws_s3_bucket* (storage)
#   iam            aws_iam_role, aws_iam_role_policy, aws_iam_policy
#   sts            data.aws_caller_identity
#   lambda         aws_lambda_function, aws_lambda_permission, aws_lambda_function_event_invoke_config
#   sfn            aws_sfn_state_machine
#   cloudwatchlogs aws_cloudwatch_log_group
#   events         aws_cloudwatch_event_rule, aws_cloudwatch_event_target (run-stopped, stopped-run-sweep)
#   sesv2          aws_sesv2_email_identity
#   ecr            aws_ecr_repository* (only when no evaluator image is given)
#   kms            aws_kms_key / alias (examples/complete; harmless here)
#   ses, bedrock   not managed by Terraform; overridden so nothing can reach real AWS
LOCALSTACK_SERVICES = (
    "s3",
    "iam",
    "sts",
    "lambda",
    "sfn",
    "cloudwatchlogs",
    "events",
    "sesv2",
    "ecr",
    "kms",
    "ses",
    "bedrock",
)

# LocalStack mode passes this evaluator image unless BEDROCK_CUSTOMIZE_EVALUATOR_IMAGE_URI is
# set: it satisfies the module's evaluator_image_uri validation (an ECR URI of the form
# ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG) and, being given, stops the module from
# building the image and pushing it with the real AWS CLI. The tests never invoke the evaluator
# functions (a LocalStack that pulls images at function creation fails there; see README.md).
LOCALSTACK_IMAGE_URI = "000000000000.dkr.ecr.{region}.amazonaws.com/evaluator:test"
# The same rule as the validation of evaluator_image_uri in variables.tf (checked here first so a
# wrong value fails in one line before terraform init).
IMAGE_URI_PATTERN = re.compile(
    r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$"
)


def _skip_reason() -> str | None:
    if os.environ.get(ENABLE) != "1":
        return f"integration tests are opt-in: set {ENABLE}=1 (they deploy real resources and cost money)"
    if shutil.which("terraform") is None:
        return "integration tests need a terraform binary (>= 1.6) on PATH"
    if os.environ.get(LOCALSTACK):
        return None
    try:
        import boto3

        credentials = boto3.Session().get_credentials()
    except Exception as exc:  # botocore configuration errors
        return f"integration tests need AWS credentials: {exc}"
    if credentials is None:
        return "integration tests need AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/..., or an instance role)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config):
    reason = _skip_reason()
    return [f"integration tier: {'SKIPPED: ' + reason if reason else 'ENABLED'}"]


@dataclass
class Workspace:
    """A copy of examples/basic whose module source points at this checkout."""

    directory: Path
    region: str
    endpoint: str | None
    prefix: str
    outputs: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)

    def terraform(self, *args: str, check: bool = True, timeout: int = 3600) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["terraform", f"-chdir={self.directory}", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def client(self, service: str):
        if self.endpoint:
            # LocalStack through its client library, which knows each service's edge endpoint.
            from urllib.parse import urlparse

            from localstack_client.session import Session

            return Session(region_name=self.region, localstack_host=urlparse(self.endpoint).netloc).client(service)
        import boto3

        return boto3.client(service, region_name=self.region)


def _localstack_override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in LOCALSTACK_SERVICES)
    return (
        'provider "aws" {\n'
        '  access_key                  = "test"\n'
        '  secret_key                  = "test"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = false\n"
        "  s3_use_path_style           = true\n\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def _evaluator_image_uri(region: str, endpoint: str | None) -> str | None:
    """BEDROCK_CUSTOMIZE_EVALUATOR_IMAGE_URI, else the LocalStack placeholder, else None (build it)."""
    given = os.environ.get("BEDROCK_CUSTOMIZE_EVALUATOR_IMAGE_URI")
    if given:
        if not IMAGE_URI_PATTERN.match(given):
            pytest.fail(
                f"BEDROCK_CUSTOMIZE_EVALUATOR_IMAGE_URI={given!r} is not an ECR image URI the module accepts: use "
                "ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG (for LocalStack, unset it: a placeholder is used)",
                pytrace=False,
            )
        return given
    return LOCALSTACK_IMAGE_URI.format(region=region) if endpoint else None


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    """init + apply examples/basic (in a scratch copy), yield, then destroy (failure is reported)."""
    endpoint = os.environ.get(LOCALSTACK)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    directory = tmp_path_factory.mktemp("examples-basic")
    for path in EXAMPLE.iterdir():
        if path.suffix in (".tf", ".md"):
            shutil.copy(path, directory / path.name)
    main_tf = directory / "main.tf"
    main_tf.write_text(re.sub(r'source\s*=\s*"\.\./\.\."', f'source = "{REPO}"', main_tf.read_text()))
    if endpoint:
        (directory / "localstack_override.tf").write_text(_localstack_override(endpoint))

    prefix = os.environ.get("BEDROCK_CUSTOMIZE_NAME_PREFIX") or f"bcit-{secrets.token_hex(3)}"
    image_uri = _evaluator_image_uri(region, endpoint)
    variables = {
        "region": region,
        "name_prefix": prefix,
        # The module creates an SES email identity for the sender, one per address per account and
        # region: a per-deployment sub-address keeps overlapping runs from colliding.
        "sender_email": os.environ.get("BEDROCK_CUSTOMIZE_SENDER_EMAIL") or f"integration+{prefix}@example.com",
        "recipient_emails": [os.environ.get("BEDROCK_CUSTOMIZE_RECIPIENT_EMAIL") or "integration@example.com"],
        "tags": {"purpose": "bedrock-customize-integration-test"},
        "force_destroy": True,
        "evaluator_image_uri": image_uri,
    }
    (directory / "terraform.tfvars.json").write_text(json.dumps(variables, indent=2))

    tftest = pytest.importorskip("tftest", reason="the integration tier needs: pip install -e '.[integration]'")
    if endpoint:
        pytest.importorskip("localstack_client", reason="LocalStack runs need: pip install -e '.[integration]'")
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", AWS_REGION=region)
    os.environ.update(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", AWS_REGION=region)
    ws = Workspace(directory=directory, region=region, endpoint=endpoint, prefix=prefix, env=env)
    tf = tftest.TerraformTest(directory.name, basedir=str(directory.parent))
    tf.setup(cleanup_on_exit=False)  # terraform init
    try:
        tf.apply()  # picks up terraform.tfvars.json; -auto-approve
        ws.outputs = dict(tf.output())
        yield ws
    finally:
        try:
            tf.destroy()
        except tftest.TerraformTestError as exc:
            left = f"resources of {prefix} may be left in the account (state in {directory})"
            raise AssertionError(f"terraform destroy failed; {left}: {exc}") from exc
