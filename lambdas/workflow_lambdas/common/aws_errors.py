"""One reading of botocore ``ClientError`` codes for every function.

botocore raises a service's refusal as ``ClientError`` whose ``response["Error"]["Code"]`` names it
(the service model's error shape, e.g. ``ResourceNotFoundException``; S3 ``GetObject`` of a missing
key says ``NoSuchKey``, a ``HeadObject`` only its HTTP status, ``404`` / ``NotFound``).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

#: Bedrock: the resource (deployment, throughput, model) does not exist (any more).
NOT_FOUND = "ResourceNotFoundException"
#: S3: the object does not exist.
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
#: S3: the bucket does not exist.
NO_SUCH_BUCKET = "NoSuchBucket"
#: The caller's request rate is over a quota.
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError``; ``""`` when it has none or for any other exception."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or ""
    return ""


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) == NOT_FOUND


def is_missing_object(exc: BaseException) -> bool:
    return error_code(exc) in MISSING_CODES
