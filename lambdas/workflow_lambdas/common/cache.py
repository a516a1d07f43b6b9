"""The evaluation cache in the artifacts bucket, shared by every run: base-model outputs (this package).

Layout (docs/contracts.md "S3 layout"): ``<CACHE_PREFIX>base-outputs/<sha256>.json`` here, and
``<CACHE_PREFIX>embeddings/<sha256>.npy`` written by the evaluator image
(``bertscore_evaluator.cache``, which cannot import this package: a test keeps the two defaults and
Terraform's ``modules/storage`` ``local.cache_prefix`` equal). Terraform gives the functions the prefix
as ``CACHE_PREFIX``; the lifecycle rule on it expires each entry ``cache_expiration_days`` after it was
written.

Keys are content addresses: the SHA-256 of a canonical JSON of everything that determines the value,
so a changed setting is a different key and two writers of one key write the same thing. Entries are
written once (PutObject ``If-None-Match: *``: "How to prevent object overwrites with conditional
writes", Amazon S3 User Guide; a concurrent or earlier writer makes S3 answer 412, or 409 while
another write of the key is in flight, and the entry already there stays), never overwritten.
A cache that cannot be read or written is logged and treated as a miss: it never fails a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workflow_lambdas.common.s3 import MISSING_CODES

logger = logging.getLogger(__name__)

PREFIX_ENV = "CACHE_PREFIX"
#: ``modules/storage`` ``local.cache_prefix`` (tests/terraform keeps them equal).
DEFAULT_PREFIX = "cache/"
BASE_OUTPUTS = "base-outputs"
#: Bump when the meaning of a cached base output changes: every older entry becomes a miss.
BASE_OUTPUT_VERSION = 1
#: S3's answers to a conditional write whose key exists (412) or is being written (409).
ALREADY_WRITTEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


def prefix() -> str:
    value = os.environ.get(PREFIX_ENV, "").strip() or DEFAULT_PREFIX
    return value if value.endswith("/") else value + "/"


def content_hash(identity: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``identity`` (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_output_identity(family: str, api: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """What decides a base-model answer at temperature 0: the exact request (API, model id, the prompt
    after the family's template, every inference setting) and the adapter family that reads it."""
    return {"kind": BASE_OUTPUTS, "v": BASE_OUTPUT_VERSION, "family": family, "api": api, "request": request}


def base_output_key(identity: Mapping[str, Any], cache_prefix: str | None = None) -> str:
    return f"{cache_prefix or prefix()}{BASE_OUTPUTS}/{content_hash(identity)}.json"


def get_entry(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The cached base output at ``key``, or ``None`` when there is none (or it is not one).

    A cache that cannot be read (access denied, S3 unavailable after the client's retries) is a miss,
    logged: the run goes on and calls the model, as without the cache."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in MISSING_CODES:
            logger.warning("evaluation cache: cannot read s3://%s/%s (%s): calling the model", bucket, key, exc)
        return None
    except BotoCoreError as exc:
        logger.warning("evaluation cache: cannot read s3://%s/%s (%s): calling the model", bucket, key, exc)
        return None
    try:
        entry = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("v") != BASE_OUTPUT_VERSION or not isinstance(entry.get("output"), str):
        return None
    return entry


def put_once(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> bool:
    """Write ``key`` unless it exists; True when this call wrote it. A failed write is logged, not
    raised: the entry is simply not cached."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if error.get("Code") not in ALREADY_WRITTEN and status not in ALREADY_WRITTEN:
            logger.warning("evaluation cache: cannot write s3://%s/%s (%s): not cached", bucket, key, exc)
        return False
    except BotoCoreError as exc:
        logger.warning("evaluation cache: cannot write s3://%s/%s (%s): not cached", bucket, key, exc)
        return False
    return True


def put_entry(s3: Any, bucket: str, key: str, output: str, input_tokens: int | None, output_tokens: int | None) -> bool:
    entry = {"v": BASE_OUTPUT_VERSION, "output": output, "input_tokens": input_tokens, "output_tokens": output_tokens}
    return put_once(s3, bucket, key, json.dumps(entry, ensure_ascii=False).encode("utf-8"), "application/json")
