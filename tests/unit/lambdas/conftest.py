"""Shared fixtures of the Lambda unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from workflow_lambdas.common.aws import reset_clients

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def mocked_s3(monkeypatch) -> Iterator[Any]:
    """An S3 client inside moto (us-east-1, fake credentials), the handlers' cached clients reset."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        reset_clients()
        yield boto3.client("s3", region_name="us-east-1")
    reset_clients()
