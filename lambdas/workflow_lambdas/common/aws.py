"""boto3 clients shared by the handlers.

Clients are created lazily, once per process and configuration (a warm Lambda
container reuses them), never at import time: tests and the emulator import
handler modules after the AWS mock has started, and call ``reset_clients()``
between runs.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from botocore.config import _RetryDict

_lock = threading.Lock()
_clients: dict[tuple[str, int | None, str | None, float | None], Any] = {}

#: botocore's own retries (adaptive client-side rate limiting) for every other call:
#: 6 retries after the first request (botocore's ``max_attempts`` counts retries only).
DEFAULT_RETRIES = 6
DEFAULT_RETRY_MODE = "adaptive"
RetryMode = Literal["legacy", "standard", "adaptive"]
RETRY_MODES: dict[str, RetryMode] = {"legacy": "legacy", "standard": "standard", "adaptive": "adaptive"}


def _config(max_attempts: int | None, mode: RetryMode, read_timeout: float) -> Config:
    retries: _RetryDict = {"mode": mode}
    if max_attempts is None:
        retries["max_attempts"] = DEFAULT_RETRIES
    else:
        retries["total_max_attempts"] = max_attempts  # first request included
    return Config(retries=retries, connect_timeout=10, read_timeout=read_timeout, max_pool_connections=64)


def client(
    service: str,
    *,
    max_attempts: int | None = None,
    retry_mode: str | None = None,
    read_timeout: float | None = None,
) -> Any:
    """Return the process-wide boto3 client for ``service``.

    ``max_attempts`` (requests per call, the first included: 1 = botocore never retries),
    ``retry_mode`` and ``read_timeout`` give a separately cached client with
    that configuration: a caller that retries on its own (``infer``) asks for
    ``max_attempts=1`` so that the attempts do not multiply.
    """
    if max_attempts is not None and max_attempts < 1:
        raise ValueError(f"max_attempts: {max_attempts} is not allowed; use 1 or more")
    if retry_mode is not None and retry_mode not in RETRY_MODES:
        raise ValueError(
            f"retry_mode: {retry_mode!r} is not a botocore retry mode; use one of {', '.join(RETRY_MODES)}"
        )
    key = (service, max_attempts, retry_mode, read_timeout)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            config = _config(
                max_attempts,
                RETRY_MODES[retry_mode or DEFAULT_RETRY_MODE],
                120 if read_timeout is None else read_timeout,
            )
            # The service name is a runtime string: boto3-stubs types one overload per service literal.
            found = boto3.session.Session().client(service, region_name=region, config=config)  # type: ignore[call-overload]
            _clients[key] = found
        return found


def reset_clients() -> None:
    """Forget every cached client (tests, emulator restarts)."""
    with _lock:
        _clients.clear()
