"""The evaluation cache in the artifacts bucket, shared by every run: token embeddings (this image).

``<CACHE_PREFIX>embeddings/<sha256>.npy``: the token embeddings of one text at the scoring layer, as
float32 ``.npy`` bytes (exactly the floats the model produced, so a cached text scores as when it was
embedded). Base-model outputs live next to them (``<CACHE_PREFIX>base-outputs/``), written by the infer
function (``workflow_lambdas.common.cache``; this image cannot import that package, so the prefix default
is repeated here and a test keeps both equal to Terraform's ``modules/storage`` ``local.cache_prefix``).

The key is the SHA-256 of what decides the embeddings: the scoring model (a fingerprint of its files, or
its hub id and revision as ``fetch_model.py`` recorded them), the layer, the tokenizer's truncation length,
the versions of the libraries that tokenize and compute, and the text. IDF weights and the rescale
baseline are applied after the embeddings, so they are not part of it. Entries are written once
(PutObject ``If-None-Match: *``: "How to prevent object overwrites with conditional writes", Amazon S3
User Guide; 412/409 mean another writer got there first, and its entry stays). A cache that cannot be
read or written is logged and treated as a miss: it never fails a run.

``EmbeddingCache`` is what ``scoring.embed_sentences`` consults; it also counts, per distinct text of a
scoring call, whether the embeddings came from the cache (``hits``) or were computed (``misses``). With
no store (``Evaluation.Cache: false``) it reads and writes nothing and counts every text as computed.
``only`` limits reads and writes to the texts worth keeping: the score function passes the references and
the base-model outputs (shared by every candidate evaluated on the validation set); a custom model's
outputs are new with each candidate, so they are embedded, never stored (a text equal to a kept one is
still found).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from workflow_lambdas.common import aws_errors
from workflow_lambdas.common import cache as shared_cache

logger = logging.getLogger(__name__)

# The cache's prefix, its key hash and S3's answers are the zip's (workflow_lambdas.common, in the image).
PREFIX_ENV = shared_cache.PREFIX_ENV
DEFAULT_PREFIX = shared_cache.DEFAULT_PREFIX
prefix = shared_cache.prefix
content_hash = shared_cache.content_hash
MISSING_CODES = aws_errors.MISSING_CODES
ALREADY_WRITTEN = shared_cache.ALREADY_WRITTEN
EMBEDDINGS = "embeddings"
#: Bump when what an embedding entry means changes: every older entry becomes a miss.
EMBEDDING_VERSION = 1
THREADS = 16  # concurrent GETs/PUTs of one scoring call
#: Files of a model directory hashed whole for its fingerprint when no hub revision is recorded;
#: with one, only files up to this size are hashed (config, tokenizer) and the weights by name and size.
SMALL_FILE_BYTES = 4 * 1024 * 1024
#: Libraries whose version can change tokens or floats.
VERSIONED = ("bert-score", "transformers", "tokenizers", "torch")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _directory_fingerprint(root: str, listing: tuple[tuple[str, int, int], ...], revision: str | None) -> str:
    entries = []
    for name, size, _mtime in listing:
        if revision is not None and size > SMALL_FILE_BYTES:
            entries.append([name, size])  # weights of a recorded hub revision: name and size say enough
        else:
            entries.append([name, size, _file_digest(Path(root) / name)])
    return content_hash({"revision": revision, "files": entries})


def model_fingerprint(model: str) -> str:
    """Identity of a scoring model: its files' contents (a local directory; the weights by name and size
    when ``fetch_model.py`` recorded the hub revision they came from), or ``hub:<id>`` for a hub id.
    Computed once per process per directory state."""
    root = Path(model)
    if not root.is_dir():
        return f"hub:{model}"
    real = root.resolve()
    listing = tuple(
        sorted(
            (str(p.relative_to(real)), p.stat().st_size, p.stat().st_mtime_ns)
            for p in real.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(real).parts)
        )
    )
    from .scoring import read_model_info

    info = read_model_info(str(real))
    revision = f"{info['source']}@{info['revision']}" if info.get("source") and info.get("revision") else None
    return _directory_fingerprint(str(real), listing, revision)


def library_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in VERSIONED:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def embedding_identity(
    model: str,
    num_layers: int,
    model_max_length: int | None,
    *,
    fingerprint: str | None = None,
    versions: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Everything but the text that decides a text's token embeddings."""
    return {
        "kind": EMBEDDINGS,
        "v": EMBEDDING_VERSION,
        "model": fingerprint if fingerprint is not None else model_fingerprint(model),
        "num_layers": int(num_layers),
        "model_max_length": model_max_length,
        "versions": dict(versions if versions is not None else library_versions()),
    }


def embedding_key(identity: Mapping[str, Any], text: str, cache_prefix: str | None = None) -> str:
    return f"{cache_prefix or prefix()}{EMBEDDINGS}/{content_hash({'identity': identity, 'text': text})}.npy"


def to_npy(array: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def from_npy(body: bytes) -> Any | None:
    """The float32 matrix in ``body``, or ``None`` when it is not one."""
    import numpy as np

    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None
    if not isinstance(array, np.ndarray) or array.dtype != np.float32 or array.ndim != 2:
        return None
    return array


class S3Store:
    """Read and write-once of cache objects in one bucket."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or ``None`` when it does not exist or cannot be read (logged: a miss)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return body
        except (ClientError, BotoCoreError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code not in MISSING_CODES:
                logger.warning("evaluation cache: cannot read s3://%s/%s (%s): embedding it", self.bucket, key, exc)
            return None

    def put_once(self, key: str, body: bytes) -> bool:
        """Write ``key`` unless it exists; True when this call wrote it (a failed write is logged only)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/octet-stream", IfNoneMatch="*"
            )
        except (ClientError, BotoCoreError) as exc:
            response = getattr(exc, "response", {}) or {}
            code = response.get("Error", {}).get("Code")
            status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code not in ALREADY_WRITTEN and status not in ALREADY_WRITTEN:
                logger.warning("evaluation cache: cannot write s3://%s/%s (%s): not cached", self.bucket, key, exc)
            return False
        return True


def _pool_map(function: Any, items: list[Any]) -> list[Any]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(THREADS, len(items)), thread_name_prefix="embedding-cache") as pool:
        return list(pool.map(function, items))


class EmbeddingCache:
    """The embeddings cache of one scoring call, and its counts (``hits``/``misses``: distinct texts)."""

    def __init__(
        self,
        store: S3Store | None,
        identity: Mapping[str, Any] | None,
        cache_prefix: str | None = None,
        only: Iterable[str] | None = None,
    ):
        self.store = store
        self.identity = dict(identity or {})
        self.prefix = cache_prefix or prefix()
        self.only = None if only is None else set(only)
        self.hits: set[str] = set()
        self.misses: set[str] = set()
        self.written = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.store is not None

    def key(self, text: str) -> str:
        return embedding_key(self.identity, text, self.prefix)

    def fetch(self, texts: Iterable[str]) -> dict[str, Any]:
        """The cached float32 embeddings of those ``texts`` that have an entry."""
        texts = [t for t in dict.fromkeys(texts) if self.only is None or t in self.only]
        if self.store is None or not texts:
            return {}
        store = self.store
        bodies = _pool_map(lambda text: store.get(self.key(text)), texts)
        found = {}
        for text, body in zip(texts, bodies, strict=True):
            array = from_npy(body) if body is not None else None
            if array is not None:
                found[text] = array
        return found

    def save(self, embeddings: Mapping[str, Any]) -> None:
        """Write each text's embeddings once (skipped with no store)."""
        items = [(t, e) for t, e in embeddings.items() if self.only is None or t in self.only]
        if self.store is None or not items:
            return
        store = self.store
        wrote = _pool_map(lambda item: store.put_once(self.key(item[0]), to_npy(item[1])), items)
        with self._lock:
            self.written += sum(wrote)

    def count(self, hits: Iterable[str], misses: Iterable[str]) -> None:
        with self._lock:
            self.hits.update(hits)
            self.misses.update(misses)
