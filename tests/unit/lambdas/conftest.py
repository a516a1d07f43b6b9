"""Shared fixtures of the Lambda unit tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from validation_cases import ENV, EXEC_ARN, EXEC_NAME

from workflow_lambdas import validate_input as vi
from workflow_lambdas.common.aws import reset_clients
from workflow_lambdas.contract.errors import InvalidInput


@pytest.fixture
def mocked_s3(fake_aws_env) -> Iterator[Any]:
    """An S3 client inside moto (us-east-1, fake credentials), the handlers' cached clients reset."""
    with mock_aws():
        reset_clients()
        yield boto3.client("s3", region_name="us-east-1")
    reset_clients()


# --- ValidateInput on an input and the files it names ------------------------------------------------------


def _validate(raw: Any, files: dict[tuple[str, str], bytes], region: str | None = None) -> vi.RunContext:
    return vi.validate_execution_input(
        raw,
        settings=vi.Settings.from_env(ENV),
        execution_name=EXEC_NAME,
        execution_arn=EXEC_ARN,
        fetch=lambda bucket, key: files.get((bucket, key)),
        region=region,
    )


@pytest.fixture
def validate() -> Callable[..., vi.RunContext]:
    """``validate(raw, files, region=None)``: the run context of ``raw``, its files served from ``files``
    (``{(bucket, key): bytes}``), with the settings of ``validation_cases.ENV``."""
    return _validate


@pytest.fixture
def problem_lines() -> Callable[..., list[str]]:
    """``problem_lines(raw, files)``: the lines of the ``InvalidInput`` that ValidateInput raises."""

    def lines(raw: Any, files: dict[tuple[str, str], bytes], region: str | None = None) -> list[str]:
        with pytest.raises(InvalidInput) as caught:
            _validate(raw, files, region)
        return str(caught.value).splitlines()

    return lines


# --- Bedrock provisioned throughputs ------------------------------------------------------------------------

CUSTOM_MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc"
CREATED = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _throughput(arn: str, status: str = "InService", commitment: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provisionedModelName": arn.rsplit("/", 1)[-1],
        "provisionedModelArn": arn,
        "modelArn": CUSTOM_MODEL,
        "desiredModelArn": CUSTOM_MODEL,
        "foundationModelArn": CUSTOM_MODEL,
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "status": status,
        "creationTime": CREATED,
        "lastModifiedTime": CREATED,
    }
    if commitment:
        out["commitmentDuration"] = commitment
    return out


@pytest.fixture
def throughput() -> Callable[..., dict[str, Any]]:
    """``throughput(arn, status="InService", commitment=None)``: a provisioned throughput of one model unit as
    ListProvisionedModelThroughputs (a summary) and GetProvisionedModelThroughput (with ``commitment``) return it."""
    return _throughput
