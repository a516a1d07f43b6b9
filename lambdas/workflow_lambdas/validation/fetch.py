"""Reading the datasets an input names: ``Fetch`` and the S3 reader the Lambda uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow_lambdas import plan_shards

# ``fetch(bucket, key)``: the object's bytes, None when it does not exist, or NOT_CHECKED.
Fetch = Callable[[str, str], "bytes | None"]

TRAINING_READ_CAP = 32 * 1024 * 1024  # bytes of the training file the Lambda checks (a prefix beyond)
# The evaluation set is read whole (larger is refused) and split into at most MAX_SHARDS shards:
# both bounds are derived in plan_shards from what the child workflow can finish.
VALIDATION_READ_CAP = plan_shards.VALIDATION_READ_CAP
MAX_SHARDS = plan_shards.MAX_SHARDS


class _NotChecked:
    def __repr__(self) -> str:
        return "NOT_CHECKED"


# What ``fetch`` returns for a dataset that is not available here (the CLI without that local file):
# its checks are skipped, no problem is reported.
NOT_CHECKED: Any = _NotChecked()


class Fetched(bytes):
    """The first bytes of an S3 object, with the size of the whole object.

    ``source``: the local file read instead (the CLI); problems then name it as ``path (Field)``.
    """

    total_size: int
    source: str | None = None


def s3_fetcher(s3: Any, cap: int) -> Fetch:
    """``fetch(bucket, key)`` reading at most ``cap`` bytes; None if the object is missing or unreadable."""

    def fetch(bucket: str, key: str) -> bytes | None:
        try:
            response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{cap - 1}")
        except s3.exceptions.NoSuchKey:
            return None
        except Exception as exc:  # botocore ClientError: classify by code
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "InvalidRange":  # an empty object cannot be read with a Range
                empty = Fetched(b"")
                empty.total_size = 0
                return empty
            if code in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "NoSuchBucket"):
                return None
            raise
        body = Fetched(response["Body"].read())
        content_range = response.get("ContentRange") or ""
        body.total_size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else len(body)
        return body

    return fetch
