"""The fake AWS environment every test that runs code inside moto sets (the ``fake_aws_env`` fixture of
tests/conftest.py): credentials no real endpoint accepts, and us-east-1."""

from __future__ import annotations

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
