"""The embeddings cache: keys, the stored format, and scores with and without it (real MiniLM: ``slow``)."""

from __future__ import annotations

import io
import json
import pickle
import threading

import numpy as np
import pytest

from bertscore_evaluator import cache, scoring

VERSIONS = {"bert-score": "0.3.13", "transformers": "5.23.0", "tokenizers": "0.22.0", "torch": "2.13.0"}


class MemoryStore:
    """``cache.S3Store``'s interface over a dict, counting requests."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.gets = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            self.gets += 1
            return self.objects.get(key)

    def put_once(self, key, body):
        with self.lock:
            if key in self.objects:
                return False
            self.objects[key] = body
            return True


# --- keys ---------------------------------------------------------------------------------------------


def _identity(**change):
    values = {"model": "fp-1", "num_layers": 6, "model_max_length": 512, "versions": VERSIONS, **change}
    return cache.embedding_identity(
        "unused",
        values["num_layers"],
        values["model_max_length"],
        fingerprint=values["model"],
        versions=values["versions"],
    )


def test_any_setting_or_text_change_gives_another_key():
    base = cache.embedding_key(_identity(), "a summary")
    variants = {
        "text": cache.embedding_key(_identity(), "a summary."),
        "model": cache.embedding_key(_identity(model="fp-2"), "a summary"),
        "layer": cache.embedding_key(_identity(num_layers=5), "a summary"),
        "max_length": cache.embedding_key(_identity(model_max_length=256), "a summary"),
        "transformers": cache.embedding_key(_identity(versions={**VERSIONS, "transformers": "5.24.0"}), "a summary"),
        "torch": cache.embedding_key(_identity(versions={**VERSIONS, "torch": "2.14.0"}), "a summary"),
        "prefix": cache.embedding_key(_identity(), "a summary", "other/"),
    }
    assert base == cache.embedding_key(_identity(), "a summary")  # deterministic
    assert base.startswith("cache/embeddings/") and base.endswith(".npy")
    assert len({base, *variants.values()}) == len(variants) + 1


def test_the_format_version_is_in_the_key(monkeypatch):
    before = cache.embedding_key(_identity(), "x")
    monkeypatch.setattr(cache, "EMBEDDING_VERSION", cache.EMBEDDING_VERSION + 1)
    assert cache.embedding_key(_identity(), "x") != before


def test_prefix_from_the_environment(monkeypatch):
    monkeypatch.setenv(cache.PREFIX_ENV, "evalcache")
    assert cache.prefix() == "evalcache/"
    monkeypatch.delenv(cache.PREFIX_ENV)
    assert cache.prefix() == cache.DEFAULT_PREFIX


def _model_dir(tmp_path, weights: bytes, info: dict | None = None):
    directory = tmp_path / "model"
    directory.mkdir(exist_ok=True)
    (directory / "config.json").write_text('{"model_type": "bert"}')
    (directory / "model.safetensors").write_bytes(weights)
    if info is not None:
        (directory / scoring.MODEL_INFO_FILE).write_text(json.dumps(info))
    return directory


def test_fingerprint_follows_the_weights_content(tmp_path):
    directory = _model_dir(tmp_path, b"A" * 1000)
    first = cache.model_fingerprint(str(directory))
    (directory / "model.safetensors").write_bytes(b"B" * 1000)  # same size, other weights
    second = cache.model_fingerprint(str(directory))
    assert first != second
    assert cache.model_fingerprint(str(directory)) == second
    assert cache.model_fingerprint("roberta-large") == "hub:roberta-large"


def test_fingerprint_with_a_recorded_revision_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "SMALL_FILE_BYTES", 100)  # the weights count as large here
    info = {"source": "roberta-large", "revision": "abc", "num_layers": 17}
    directory = _model_dir(tmp_path, b"A" * 1000, info)
    first = cache.model_fingerprint(str(directory))
    (directory / scoring.MODEL_INFO_FILE).write_text(json.dumps({**info, "revision": "def"}))
    assert cache.model_fingerprint(str(directory)) != first
    (directory / "config.json").write_text('{"model_type": "roberta"}')  # small files are hashed
    assert len({first, cache.model_fingerprint(str(directory))}) == 2


def test_npy_round_trip_is_exact_float32():
    array = np.random.default_rng(3).standard_normal((7, 384)).astype(np.float32)
    back = cache.from_npy(cache.to_npy(array))
    assert back.dtype == np.float32 and np.array_equal(back, array)


@pytest.mark.parametrize(
    "body",
    [
        b"not npy",
        pickle.dumps([1, 2]),
        b"",
    ],
)
def test_anything_but_a_float32_matrix_is_a_miss(body):
    assert cache.from_npy(body) is None


def test_a_float64_or_one_dimensional_array_is_a_miss():
    for array in (np.zeros((2, 3), dtype=np.float64), np.zeros(3, dtype=np.float32)):
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        assert cache.from_npy(buffer.getvalue()) is None


def test_without_a_store_nothing_is_read_or_written():
    embeddings = cache.EmbeddingCache(None, None)
    assert embeddings.fetch(["a"]) == {} and not embeddings.enabled
    embeddings.save({"a": np.zeros((1, 2), dtype=np.float32)})
    assert embeddings.written == 0


# --- scores with and without the cache (real MiniLM) ---------------------------------------------------

REFS = [
    "The customer wants a refund for the damaged parcel.",
    "They agree to meet on Friday at noon.",
    "The flight was delayed by two hours because of fog.",
    "She will send the report tomorrow morning.",
]
BASE = [
    "A customer asks for money back.",
    "They meet Friday.",
    "Fog delayed the flight.",
    "The report comes tomorrow.",
]
CUSTOM = [
    "The customer wants a refund because the parcel was damaged.",
    "They will meet on Friday at noon.",
    "The flight was two hours late due to fog.",
    "She sends the report tomorrow morning.",
]


def _scores(result):
    return [(s.precision, s.recall, s.f1) for m in ("base", "custom") for s in result.get(m, [])]


def _max_diff(a, b):
    return max(abs(x - y) for pa, pb in zip(a, b, strict=True) for x, y in zip(pa, pb, strict=True))


@pytest.mark.slow
def test_scores_with_and_without_the_cache_are_identical(config):
    plain = _scores(scoring.score_models(REFS, {"base": BASE, "custom": CUSTOM}, config=config))
    store = MemoryStore()

    first = scoring.embedding_cache(config, store)
    cold = _scores(scoring.score_models(REFS, {"base": BASE, "custom": CUSTOM}, config=config, cache=first))
    assert first.hits == set() and first.misses == set(REFS + BASE + CUSTOM)
    assert first.written == 12 and len(store.objects) == 12

    second = scoring.embedding_cache(config, store)
    warm = _scores(scoring.score_models(REFS, {"base": BASE, "custom": CUSTOM}, config=config, cache=second))
    assert second.misses == set() and second.hits == set(REFS + BASE + CUSTOM)
    assert _max_diff(plain, cold) <= 1e-6
    assert _max_diff(plain, warm) <= 1e-6
    assert warm == cold  # the stored floats are the computed ones, exactly


@pytest.mark.slow
def test_a_new_candidate_is_the_only_text_embedded(config):
    store = MemoryStore()
    scoring.score_models(
        REFS, {"base": BASE, "custom": CUSTOM}, config=config, cache=scoring.embedding_cache(config, store)
    )
    other = [*CUSTOM[:3], "She is sending the report early tomorrow."]
    embeddings = scoring.embedding_cache(config, store)
    with_cache = scoring.score_models(REFS, {"base": BASE, "custom": other}, config=config, cache=embeddings)
    assert embeddings.misses == {other[3]}
    assert embeddings.hits == set(REFS + BASE + other[:3])
    without = scoring.score_models(REFS, {"base": BASE, "custom": other}, config=config)
    assert _max_diff(_scores(with_cache), _scores(without)) <= 1e-6


@pytest.mark.slow
def test_an_entry_with_the_wrong_token_count_is_recomputed(config):
    store = MemoryStore()
    embeddings = scoring.embedding_cache(config, store)
    store.objects[embeddings.key(REFS[0])] = cache.to_npy(np.ones((2, 384), dtype=np.float32))
    result = scoring.score_models(REFS[:1], {"base": BASE[:1]}, config=config, cache=embeddings)
    assert REFS[0] in embeddings.misses
    plain = scoring.score_models(REFS[:1], {"base": BASE[:1]}, config=config)
    assert _max_diff(_scores(result), _scores(plain)) <= 1e-6


@pytest.mark.slow
def test_the_key_names_the_scoring_model_and_layer(config, minilm_path):
    embeddings = scoring.embedding_cache(config, MemoryStore())
    assert embeddings.identity["num_layers"] == 6
    assert embeddings.identity["model"] == cache.model_fingerprint(minilm_path)
    assert embeddings.identity["model_max_length"] == scoring.get_scorer(config)._tokenizer.model_max_length
    assert set(embeddings.identity["versions"]) == set(cache.VERSIONED)


def test_only_the_kept_texts_are_read_and_written():
    store = MemoryStore()
    embeddings = cache.EmbeddingCache(store, _identity(), only={"reference"})
    matrix = np.ones((3, 4), dtype=np.float32)
    embeddings.save({"reference": matrix, "custom output": matrix})
    assert embeddings.written == 1 and list(store.objects) == [embeddings.key("reference")]
    found = embeddings.fetch(["reference", "custom output"])
    assert list(found) == ["reference"] and np.array_equal(found["reference"], matrix)
    assert store.gets == 1  # the custom output is not even looked up


class _DeniedS3:
    def get_object(self, **kwargs):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")

    def put_object(self, **kwargs):
        from botocore.exceptions import ClientError

        assert kwargs["IfNoneMatch"] == "*"
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")


def test_a_cache_that_cannot_be_used_is_a_logged_miss(caplog):
    store = cache.S3Store(_DeniedS3(), "bucket")
    assert store.get("cache/embeddings/x.npy") is None
    assert store.put_once("cache/embeddings/x.npy", b"") is False
    assert len([r for r in caplog.records if "evaluation cache: cannot" in r.getMessage()]) == 2
