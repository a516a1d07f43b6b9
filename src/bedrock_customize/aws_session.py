"""boto3 sessions for the CLI: real AWS (default credentials, ``--region``, ``--profile``) or the emulator.

``--endpoint-url http://127.0.0.1:PORT`` sends every call to that endpoint (the emulator server,
``bedrock-customize emulator serve``). Without credentials in the environment, the emulator's
placeholder credentials are used for such an endpoint, so no AWS account is ever needed locally.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any

ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]+):\d{12}:")

EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class AwsConfigError(Exception):
    """Credentials, region or profile cannot be used: one line naming the flag and the fix."""


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS connection")
    group.add_argument("--region", help="AWS region (default: the region in the ARN, then your AWS config)")
    group.add_argument("--profile", help="named profile from your AWS config")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call here, e.g. http://127.0.0.1:5000 for `bedrock-customize emulator serve`",
    )


def region_of_arn(arn: str | None) -> str | None:
    match = ARN_REGION.match(arn or "")
    return match.group("region") if match else None


@dataclass
class Aws:
    """Clients for one region/profile/endpoint; created lazily and cached."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        import boto3
        import botocore.exceptions

        try:
            self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        except botocore.exceptions.ProfileNotFound as exc:
            raise AwsConfigError(f"--profile: {exc}; use a profile from ~/.aws/config") from None
        self._credentials: dict[str, str] = {}
        if self.endpoint_url and self._session.get_credentials() is None:
            self._credentials = dict(EMULATOR_CREDENTIALS)
        if self._session.region_name is None:
            raise AwsConfigError("--region: no region is configured; pass --region (e.g. us-east-1)")
        self.region = self._session.region_name
        self._clients: dict[str, Any] = {}

    @classmethod
    def from_args(cls, args: argparse.Namespace, arn: str | None = None) -> Aws:
        return cls(
            region=args.region or region_of_arn(arn),
            profile=args.profile,
            endpoint_url=args.endpoint_url,
        )

    def client(self, service: str):
        if service not in self._clients:
            from botocore.config import Config

            self._clients[service] = self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                # the emulator answers at once or not at all: do not retry a refused connection for long
                config=Config(retries={"mode": "adaptive", "max_attempts": 2 if self.endpoint_url else 8}),
                **self._credentials,
            )
        return self._clients[service]


def describe_client_error(exc: Exception) -> str:
    """``Code: message`` of a botocore error, or the exception text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code, message = error.get("Code"), error.get("Message")
        if code or message:
            return f"{code}: {message}" if code and message else str(code or message)
    return " ".join(str(exc).split())
