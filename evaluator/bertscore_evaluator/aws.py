"""A tiny lazily-cached boto3 client helper (the image has no ``workflow_lambdas``).

Clients are created on first use, once per process, never at import time, so
tests can import the handlers after ``moto.mock_aws`` has started and call
``reset_clients()`` between tests.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """Return the process-wide boto3 client for ``service``."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            import boto3
            from botocore.config import Config

            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            config = Config(retries={"mode": "adaptive", "max_attempts": 6}, max_pool_connections=32)
            # The service name is a runtime string: boto3-stubs types one overload per service literal.
            found = boto3.session.Session().client(service, region_name=region, config=config)  # type: ignore[call-overload]
            _clients[service] = found
        return found


def reset_clients() -> None:
    """Forget every cached client (tests, emulator restarts)."""
    with _lock:
        _clients.clear()
