"""Bake BERTScore model weights into the evaluator image (build time only).

    python fetch_model.py --model roberta-large --num-layers 17 --out /opt/bertscore-model

Loads the model the way bert_score does at run time (``bert_score.utils.get_model``:
layers above ``--num-layers`` dropped), and saves only the layers BERTScore uses
(smaller image, less memory and a faster cold start: roberta-large keeps 17 of 24
layers). The saved copy is reloaded and checked against the in-memory model on a
probe sentence, so a truncation that changed the embeddings fails the build.
``--no-truncate`` keeps the full model instead.

Also writes ``bertscore_model_info.json`` (hub id, revision, layer) that the
evaluator puts in ``summary.json``, and copies bert_score's rescale baseline for
the model, when it ships one, to ``<out>/baseline.tsv`` (used only when
``BERTSCORE_BASELINE_PATH`` points at it).

Two things bert_score does not handle, fixed here so that the baked directory works:

* a tokenizer without ``model_max_length`` (transformers 5 then uses int(1e30) and
  bert_score's ``sent_encode`` raises OverflowError on every sentence) gets the model's
  usable length: ``max_position_embeddings``, less ``pad_token_id + 1`` for RoBERTa-style
  models whose position ids start after the padding index (``PADDING_OFFSET_MODEL_TYPES``);
* a T5-family model (t5, mt5, umt5) is saved as its encoder alone (``T5EncoderModel`` and
  friends), which the evaluator loads through bert_score's T5 branch (``scoring.get_scorer``).

``--model`` may also be a local directory (used by the offline tests).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

PROBE = "The customer asked for a refund because the parcel arrived damaged."
LAYER_ATTRS = ("num_hidden_layers", "n_layers", "num_layers")
# Encoder-only class saved for each T5-family model type (bert_score scores the encoder alone).
T5_ENCODERS = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}
# T5 has relative positions and no max_position_embeddings: its pre-training input length.
T5_MAX_LENGTH = 512
# Text encoders whose position ids start at padding_idx + 1 (``create_position_ids_from_input_ids``
# in their transformers modeling code, checked in transformers 5.x), so the last usable position
# is max_position_embeddings - (padding_idx + 1). A model whose embeddings module has that method
# is detected as well, whatever its type.
PADDING_OFFSET_MODEL_TYPES = frozenset(
    {
        "camembert",
        "data2vec-text",
        "ibert",
        "layoutlmv3",
        "lilt",
        "longformer",
        "luke",
        "markuplm",
        "mpnet",
        "roberta",
        "roberta-prelayernorm",
        "xlm-roberta",
        "xlm-roberta-xl",
        "xmod",
    }
)
# Above this, model_max_length is transformers' "unset" value (int(1e30)), not a real limit.
MAX_SANE_MODEL_LENGTH = 1_000_000


def usable_max_length(config, model=None) -> int | None:
    """Longest input the model accepts, from its config (None when the config does not say)."""
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        embeddings = getattr(model, "embeddings", None)
        if config.model_type in PADDING_OFFSET_MODEL_TYPES or hasattr(embeddings, "create_position_ids_from_input_ids"):
            padding_idx = getattr(embeddings, "padding_idx", None)
            if padding_idx is None:
                padding_idx = getattr(config, "pad_token_id", None)
            return positions - ((1 if padding_idx is None else int(padding_idx)) + 1)
        return positions
    if config.model_type in T5_ENCODERS:
        return T5_MAX_LENGTH
    return None


def fix_model_max_length(tokenizer, config, model=None) -> int:
    """Give a tokenizer without a real ``model_max_length`` the model's usable length."""
    current = tokenizer.model_max_length
    if current is not None and current <= MAX_SANE_MODEL_LENGTH:
        return int(current)
    length = usable_max_length(config, model)
    if length is None:
        raise SystemExit(
            f"tokenizer has no model_max_length and config ({config.model_type}) has no max_position_embeddings: "
            "add model_max_length to the model's tokenizer_config.json"
        )
    tokenizer.model_max_length = length
    tokenizer.init_kwargs["model_max_length"] = length  # what save_pretrained writes
    return length


def _layer_list(model):
    """The ModuleList bert_score truncates, or None when the architecture is not handled here."""
    encoder = getattr(model, "encoder", None)
    if encoder is not None and hasattr(encoder, "layer") and not hasattr(encoder, "albert_layer_groups"):
        return encoder.layer  # bert, roberta, deberta, electra, ...
    if encoder is not None and hasattr(encoder, "block"):
        return encoder.block  # T5EncoderModel and friends
    transformer = getattr(model, "transformer", None)
    if transformer is not None and hasattr(transformer, "layer"):
        return transformer.layer  # distilbert
    return None


def _embed(model, tokenizer, text: str):
    import torch
    from bert_score.utils import bert_encode, sent_encode

    ids = torch.tensor([sent_encode(tokenizer, text)])
    return bert_encode(model, ids, attention_mask=torch.ones_like(ids))


def _t5_encoder(model_name: str, model_type: str, num_layers: int):
    """The encoder of a T5-family model with its own class, cut at ``num_layers`` blocks like
    ``bert_score.utils.get_model`` cuts a T5 (bert_score would load an umt5 as a t5, dropping
    its per-layer attention biases)."""
    import torch
    import transformers

    model = getattr(transformers, T5_ENCODERS[model_type]).from_pretrained(model_name)
    model.eval()
    blocks = model.encoder.block
    if not 0 <= num_layers <= len(blocks):
        raise SystemExit(f"--num-layers {num_layers} is outside 0..{len(blocks)} for {model_name}")
    model.encoder.block = torch.nn.ModuleList(list(blocks[:num_layers]))
    return model


def _load(model_name: str, model_type: str, num_layers: int):
    """The model as the evaluator runs it."""
    from bert_score.utils import get_model

    if model_type in T5_ENCODERS:
        return _t5_encoder(model_name, model_type, num_layers)
    return get_model(model_name, num_layers)  # exactly what bert_score runs


def fetch(model_name: str, num_layers: int, out: Path, truncate: bool = True) -> dict:
    import transformers
    from bert_score.utils import get_tokenizer
    from transformers import AutoConfig, AutoModel

    out.mkdir(parents=True, exist_ok=True)
    model_type = AutoConfig.from_pretrained(model_name).model_type
    model = _load(model_name, model_type, num_layers)
    tokenizer = get_tokenizer(model_name, use_fast=False)
    max_length = fix_model_max_length(tokenizer, model.config, model)
    tokenizer.save_pretrained(str(out))

    expected = _embed(model, tokenizer, PROBE)
    layers = _layer_list(model)
    attr = next((a for a in LAYER_ATTRS if hasattr(model.config, a)), None)
    truncated = bool(truncate and layers is not None and attr is not None and len(layers) == num_layers)
    if truncated:
        setattr(model.config, attr, num_layers)
        model.save_pretrained(str(out))
    elif model_type in T5_ENCODERS:
        getattr(transformers, T5_ENCODERS[model_type]).from_pretrained(model_name).save_pretrained(str(out))
    else:
        AutoModel.from_pretrained(model_name).save_pretrained(str(out))

    reloaded_tokenizer = get_tokenizer(str(out), use_fast=False)
    if reloaded_tokenizer.model_max_length != max_length:
        raise SystemExit(
            f"saved tokenizer has model_max_length {reloaded_tokenizer.model_max_length!r}, expected {max_length}"
        )
    reloaded = _load(str(out), model_type, num_layers)
    got = _embed(reloaded, reloaded_tokenizer, PROBE)
    diff = float((got - expected).abs().max())
    if got.shape != expected.shape or diff > 1e-5:
        raise SystemExit(f"saved model differs from {model_name} at layer {num_layers}: max |diff| {diff}")

    revision = getattr(model.config, "_commit_hash", None)
    info = {
        "source": model_name,
        "revision": revision,
        "num_layers": num_layers,
        "truncated": truncated,
        "model_type": model_type,
        "model_max_length": max_length,
    }
    (out / "bertscore_model_info.json").write_text(json.dumps(info, indent=2) + "\n")

    import bert_score

    baseline = Path(bert_score.__file__).parent / "rescale_baseline" / "en" / f"{model_name}.tsv"
    if baseline.is_file():
        shutil.copyfile(baseline, out / "baseline.tsv")
        info["baseline"] = str(out / "baseline.tsv")
    # The Lambda runtime user is not root: save_pretrained writes the weights 0600.
    for path in out.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    print(f"saved {model_name} (layer {num_layers}, truncated={truncated}) to {out}; probe max |diff| {diff:.1e}")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="hub id (e.g. roberta-large) or local directory")
    parser.add_argument("--num-layers", type=int, required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--no-truncate", action="store_true", help="save every layer")
    args = parser.parse_args(argv)
    fetch(args.model, args.num_layers, args.out, truncate=not args.no_truncate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
