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


def _layer_list(model):
    """The ModuleList bert_score truncates, or None when the architecture is not handled here."""
    encoder = getattr(model, "encoder", None)
    if encoder is not None and hasattr(encoder, "layer") and not hasattr(encoder, "albert_layer_groups"):
        return encoder.layer  # bert, roberta, deberta, electra, ...
    transformer = getattr(model, "transformer", None)
    if transformer is not None and hasattr(transformer, "layer"):
        return transformer.layer  # distilbert
    return None


def _embed(model, tokenizer, text: str):
    import torch
    from bert_score.utils import bert_encode, sent_encode

    ids = torch.tensor([sent_encode(tokenizer, text)])
    return bert_encode(model, ids, attention_mask=torch.ones_like(ids))


def fetch(model_name: str, num_layers: int, out: Path, truncate: bool = True) -> dict:
    from bert_score.utils import get_model, get_tokenizer
    from transformers import AutoModel

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = get_tokenizer(model_name, use_fast=False)
    tokenizer.save_pretrained(str(out))

    model = get_model(model_name, num_layers)  # exactly what bert_score runs
    expected = _embed(model, tokenizer, PROBE)
    layers = _layer_list(model)
    attr = next((a for a in LAYER_ATTRS if hasattr(model.config, a)), None)
    truncated = bool(truncate and layers is not None and attr is not None and len(layers) == num_layers)
    if truncated:
        setattr(model.config, attr, num_layers)
        model.save_pretrained(str(out))
    else:
        AutoModel.from_pretrained(model_name).save_pretrained(str(out))

    reloaded = get_model(str(out), num_layers)
    got = _embed(reloaded, get_tokenizer(str(out), use_fast=False), PROBE)
    diff = float((got - expected).abs().max())
    if got.shape != expected.shape or diff > 1e-5:
        raise SystemExit(f"saved model differs from {model_name} at layer {num_layers}: max |diff| {diff}")

    revision = getattr(model.config, "_commit_hash", None)
    info = {"source": model_name, "revision": revision, "num_layers": num_layers, "truncated": truncated}
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
