"""evaluator/fetch_model.py, the image build step, run offline on the bundled MiniLM."""

from __future__ import annotations

import importlib.util
import json
import shutil
import stat
from pathlib import Path

import bert_score
import pytest

from bertscore_evaluator import scoring
from workflow_lambdas.contract.errors import EvaluationFailed

pytestmark = pytest.mark.slow

FETCH = Path(__file__).resolve().parents[3] / "evaluator" / "fetch_model.py"


def load_fetch_module():
    spec = importlib.util.spec_from_file_location("fetch_model", FETCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baked_truncated_model_scores_like_the_source(tmp_path, config):
    out = tmp_path / "bertscore-model"
    info = load_fetch_module().fetch(config.model, 4, out)
    assert info["truncated"] is True and info["num_layers"] == 4
    assert json.loads((out / "bertscore_model_info.json").read_text())["source"] == config.model
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 4
    weights = next(out.glob("*.safetensors"))
    assert weights.stat().st_mode & stat.S_IROTH  # readable by the non-root Lambda user

    baked = scoring.ScorerConfig.create(str(out))  # layer read from bertscore_model_info.json
    assert baked.num_layers == 4
    source = scoring.ScorerConfig.create(config.model, 4)
    refs, cands = ["the parcel arrived damaged"], ["the package came broken"]
    a = scoring.score_models(refs, {"m": cands}, config=baked)["m"][0]
    b = scoring.score_models(refs, {"m": cands}, config=source)["m"][0]
    assert a.f1 == pytest.approx(b.f1, abs=1e-5)
    assert scoring.model_description(baked)["SourceModel"] == config.model


def without_max_length(source: str, target: Path) -> Path:
    """A copy of the model directory ``source`` whose tokenizer_config.json has no model_max_length."""
    target.mkdir(parents=True)
    for item in Path(source).iterdir():
        if item.is_file() and item.name != "tokenizer_config.json":
            shutil.copyfile(item, target / item.name)
    tok = json.loads((Path(source) / "tokenizer_config.json").read_text())
    tok.pop("model_max_length", None)
    (target / "tokenizer_config.json").write_text(json.dumps(tok))
    return target


def test_tokenizer_without_max_length_gets_the_model_length(tmp_path, config):
    source = without_max_length(config.model, tmp_path / "source")
    with pytest.raises(EvaluationFailed, match="no model_max_length"):
        scoring.get_scorer(scoring.ScorerConfig.create(str(source), 4))

    out = tmp_path / "baked"
    info = load_fetch_module().fetch(str(source), 4, out)
    assert info["model_max_length"] == 512  # bert: max_position_embeddings, no padding offset
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 512
    baked = scoring.ScorerConfig.create(str(out))
    long_ref = " ".join(["the parcel arrived damaged and the customer wants a refund"] * 80)  # > 512 tokens
    refs, cands = ["the parcel arrived damaged", long_ref], ["the package came broken", long_ref]
    got = scoring.score_models(refs, {"m": cands}, config=baked)["m"]
    want = scoring.score_models(refs, {"m": cands}, config=scoring.ScorerConfig.create(config.model, 4))["m"]
    assert [s.f1 for s in got] == pytest.approx([s.f1 for s in want], abs=1e-5)


def test_usable_max_length_follows_the_position_embeddings():
    from transformers import BertConfig, RobertaConfig, RobertaModel, T5Config

    fetch_model = load_fetch_module()
    roberta = RobertaConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        max_position_embeddings=514, pad_token_id=1,
    )  # fmt: skip
    assert fetch_model.usable_max_length(roberta) == 512  # positions start at padding_idx + 1 = 2
    assert fetch_model.usable_max_length(roberta, RobertaModel(roberta)) == 512
    assert fetch_model.usable_max_length(BertConfig(max_position_embeddings=512)) == 512
    assert fetch_model.usable_max_length(T5Config()) == fetch_model.T5_MAX_LENGTH
    # Detected from the model as well: a RoBERTa-style embeddings module under another type name.
    roberta.model_type = "my-roberta"
    assert fetch_model.usable_max_length(roberta, RobertaModel(roberta)) == 512

    class Tokenizer:
        model_max_length = int(1e30)
        init_kwargs: dict = {}

    class NoPositions:
        model_type = "mystery"

    with pytest.raises(SystemExit, match="add model_max_length"):
        fetch_model.fix_model_max_length(Tokenizer(), NoPositions())


def tiny_encoder_decoder(kind: str, directory: Path, tokenizer_source: str) -> Path:
    """A randomly initialised tiny T5-family encoder-decoder, with MiniLM's tokenizer files."""
    import torch
    import transformers

    config_class, model_class = {
        "t5": ("T5Config", "T5Model"),
        "mt5": ("MT5Config", "MT5Model"),
        "umt5": ("UMT5Config", "UMT5Model"),
    }[kind]
    cfg = getattr(transformers, config_class)(
        vocab_size=30522, d_model=32, d_kv=8, d_ff=64, num_layers=3, num_decoder_layers=2, num_heads=4,
        pad_token_id=0, decoder_start_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    getattr(transformers, model_class)(cfg).save_pretrained(str(directory))
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copyfile(Path(tokenizer_source) / name, directory / name)
    return directory


@pytest.mark.parametrize("kind", ["t5", "mt5", "umt5"])
def test_encoder_decoder_family_is_baked_as_its_encoder_and_scores(tmp_path_factory, minilm_path, monkeypatch, kind):
    import tempfile

    import transformers
    from bert_score.utils import get_model

    work = tmp_path_factory.mktemp("encdec")
    monkeypatch.setattr(tempfile, "tempdir", str(work))  # the scorer's symlink goes here, not in /tmp
    plain = tiny_encoder_decoder(kind, work / "source", minilm_path)
    out = work / "baked"
    # Like /opt/bertscore-model: without "t5" in the path bert_score does not take its T5 branch.
    assert "t5" not in str(plain) and "t5" not in str(out)
    with pytest.raises(ValueError, match="Not supported"):
        get_model(str(plain), 2)
    source = work / f"source-{kind}"  # the same model where bert_score does take its T5 branch
    source.symlink_to(plain, target_is_directory=True)

    info = load_fetch_module().fetch(str(source), 2, out)
    assert info["truncated"] is True and info["model_type"] == kind
    saved = json.loads((out / "config.json").read_text())
    assert saved["architectures"] == [
        {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}[kind]
    ]
    assert saved["num_layers"] == 2

    baked = scoring.ScorerConfig.create(str(out))
    assert baked.num_layers == 2
    link = scoring.bert_score_model_path(baked.model)
    assert "t5" in link and Path(link).parent == work and Path(link).resolve() == out.resolve()
    assert scoring.bert_score_model_path(baked.model) == link  # reused, not one link per call
    scorer = scoring.get_scorer(baked)
    # bert_score's T5 branch for t5 and mt5 (one architecture); UMT5 by its own class
    assert type(scorer._model).__name__ == {"umt5": "UMT5EncoderModel"}.get(kind, "T5EncoderModel")
    assert not scorer._model.training
    refs, cands = ["the parcel arrived damaged", "a meeting on thursday"], ["the package came broken", "thursday"]
    got = scoring.score_models(refs, {"m": cands}, config=baked)["m"]
    if kind == "umt5":
        # bert_score would load it as a T5EncoderModel and drop the per-layer attention biases.
        assert type(scorer._model).__name__ == "UMT5EncoderModel"
        expected = transformers.UMT5EncoderModel.from_pretrained(str(source))
        bias = expected.encoder.block[1].layer[0].SelfAttention.relative_attention_bias.weight
        assert scorer._model.encoder.block[1].layer[0].SelfAttention.relative_attention_bias.weight.equal(bias)
    else:
        # Same scores as bert_score itself on the full source model (its path contains "t5").
        _, _, f = bert_score.score(cands, refs, model_type=str(source), num_layers=2)
        assert [s.f1 for s in got] == pytest.approx(f.tolist(), abs=1e-5)


def test_a_umt5_encoder_is_cut_at_any_layer_count_from_zero_to_all(tmp_path, minilm_path):
    model = tiny_encoder_decoder("umt5", tmp_path / "tiny", minilm_path)  # 3 encoder blocks
    assert len(scoring._umt5_encoder(str(model), 0).encoder.block) == 0
    assert len(scoring._umt5_encoder(str(model), 3).encoder.block) == 3
    for bad in (-1, 4):
        with pytest.raises(EvaluationFailed) as caught:
            scoring._umt5_encoder(str(model), bad)
        assert str(caught.value) == f"num_layers {bad} is outside 0..3 for {str(model)!r}"
