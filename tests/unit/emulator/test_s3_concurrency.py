"""Concurrent S3 writes on one key behave as in S3 (moto_patches patch 13).

Two runs of one input write the same content-addressed evaluation cache entry at the same moment. In S3 each
request is atomic: every plain PutObject succeeds (last writer wins), and of several ``If-None-Match: *`` writes
exactly one succeeds and the others get 412 PreconditionFailed. moto 5.2.5 alone closed one writer's buffer
under the other (``ValueError: I/O operation on closed file``), which failed a run
(tests/workflow/test_customization_run.py::test_two_runs_with_the_same_input_do_not_collide).
"""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "us-east-1"
BUCKET = "concurrency-bucket"
WRITERS = 8
ROUNDS = 15


@pytest.fixture
def s3(emulated_aws):
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def _race(s3, key: str, **extra) -> tuple[list[int], list[str], list[BaseException]]:
    """WRITERS threads put ``key`` at once; (writers that succeeded, error codes, unexpected exceptions)."""
    start = threading.Barrier(WRITERS)
    won: list[int] = []
    codes: list[str] = []
    unexpected: list[BaseException] = []

    def write(n: int) -> None:
        body = f"writer {n} ".encode() * 2000
        start.wait()
        try:
            s3.put_object(Bucket=BUCKET, Key=key, Body=body, **extra)
            won.append(n)
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
        except BaseException as exc:  # noqa: BLE001 - the point of the test
            unexpected.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won, codes, unexpected


def test_concurrent_puts_on_one_key_all_succeed_and_the_object_is_one_writers(s3):
    for round_ in range(ROUNDS):
        key = f"plain/{round_}"
        won, codes, unexpected = _race(s3, key)
        assert not unexpected and not codes, (unexpected, codes)
        assert sorted(won) == list(range(WRITERS))
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body in {f"writer {n} ".encode() * 2000 for n in range(WRITERS)}


def test_concurrent_conditional_puts_have_exactly_one_winner(s3):
    for round_ in range(ROUNDS):
        key = f"once/{round_}"
        won, codes, unexpected = _race(s3, key, IfNoneMatch="*")
        assert not unexpected, unexpected
        assert len(won) == 1, (won, codes)
        assert codes == ["PreconditionFailed"] * (WRITERS - 1)
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body == f"writer {won[0]} ".encode() * 2000
