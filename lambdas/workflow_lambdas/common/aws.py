"""boto3 clients shared by the handlers.

Clients are created lazily, once per process (a warm Lambda container reuses
them), never at import time: tests and the emulator import handler modules
after the AWS mock has started, and call ``reset_clients()`` between runs.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[str, Any] = {}

# Adaptive client-side rate limiting plus botocore's retries for throttling.
_DEFAULT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    connect_timeout=10,
    read_timeout=120,
    max_pool_connections=64,
)


def client(service: str) -> Any:
    """Return the process-wide boto3 client for ``service``."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            found = boto3.session.Session().client(service, region_name=region, config=_DEFAULT_CONFIG)
            _clients[service] = found
        return found


def reset_clients() -> None:
    """Forget every cached client (tests, emulator restarts)."""
    with _lock:
        _clients.clear()
