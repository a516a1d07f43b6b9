"""The JSON Lines objects the handlers write to and read back from the artifacts bucket."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

NDJSON = "application/x-ndjson"
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def put_jsonl(s3: Any, bucket: str, key: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write ``rows`` as one JSON object per line (UTF-8, not ASCII-escaped) in a single PutObject."""
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=NDJSON)


def read_text_if_exists(s3: Any, bucket: str, key: str) -> str | None:
    """The object's UTF-8 text, or ``None`` when it does not exist; any other failure is raised."""
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
            return None
        raise
    return body.decode("utf-8")
