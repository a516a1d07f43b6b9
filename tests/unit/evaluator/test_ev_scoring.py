"""Scoring core: parity with ``bert_score.score``, idf, rescaling, skipped and blank candidates, the CPU."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import bert_score
import pytest

from bertscore_evaluator import scoring
from workflow_lambdas.contract.errors import EvaluationFailed

pytestmark = pytest.mark.slow

REFS = [
    "The customer asks for a refund because the parcel arrived damaged.",
    "Two colleagues agree to move the budget meeting to Thursday morning.",
    "The tenant reports a broken heater and the landlord promises a repair.",
    "A student asks the librarian where the chemistry books are kept.",
]
BASE = [
    "Someone talks about a package.",
    "The colleagues discuss a meeting and move it to Thursday.",
    "Photosynthesis converts light into chemical energy in plants.",
    "A student asks a librarian for chemistry books.",
]
CUSTOM = [
    "The customer wants a refund since the parcel was damaged on arrival.",
    "Two colleagues move the budget meeting to Thursday morning.",
    "The tenant says the heater is broken; the landlord will repair it.",
    "The student asks the librarian where chemistry books are.",
]


def test_identical_pair_scores_one_and_unrelated_pair_scores_low(config):
    out = scoring.score_models(
        ["the cat sat on the mat", "the cat sat on the mat"],
        {"m": ["the cat sat on the mat", "quarterly tax filings for offshore wind farms"]},
        config=config,
    )
    same, unrelated = out["m"]
    assert same.f1 == pytest.approx(1.0, abs=1e-5)
    assert same.precision == pytest.approx(1.0, abs=1e-5) and same.recall == pytest.approx(1.0, abs=1e-5)
    assert unrelated.f1 < 0.3


def test_one_combined_call_matches_two_bert_score_calls(config):
    out = scoring.score_models(REFS, {"base": BASE, "custom": CUSTOM}, config=config)
    for name, cands in (("base", BASE), ("custom", CUSTOM)):
        p, r, f = bert_score.score(cands, REFS, model_type=config.model, num_layers=6)
        for mine, bp, br, bf in zip(out[name], p.tolist(), r.tolist(), f.tolist(), strict=True):
            assert mine.precision == pytest.approx(bp, abs=1e-5)
            assert mine.recall == pytest.approx(br, abs=1e-5)
            assert mine.f1 == pytest.approx(bf, abs=1e-5)
    # the fine-tuned-looking outputs win on average
    assert sum(s.f1 for s in out["custom"]) > sum(s.f1 for s in out["base"])


def test_token_batches_sort_by_length_and_respect_both_limits():
    lengths = [30, 5, 12, 12, 700, 5, 40, 3]
    batches = scoring.token_batches(lengths, max_sentences=3, max_tokens=64)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths)
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 64
    assert [4] in batches  # longer than the budget: alone
    assert scoring.token_batches([], 3, 64) == []


@pytest.mark.parametrize("max_batch_tokens, batch_size", [(1, 64), (48, 2), (100_000, 64)])
def test_batching_does_not_change_scores(config, max_batch_tokens, batch_size):
    long_ref = " ".join(REFS * 30)  # past the model's maximum length: truncated like bert_score
    refs = [*REFS, long_ref]
    cands = [*CUSTOM, " ".join(CUSTOM * 25)]
    cfg = scoring.ScorerConfig.create(config.model, 6, batch_size=batch_size, max_batch_tokens=max_batch_tokens)
    out = scoring.score_models(refs, {"custom": cands}, config=cfg)["custom"]
    p, r, f = bert_score.score(cands, refs, model_type=config.model, num_layers=6)
    assert [s.precision for s in out] == pytest.approx(p.tolist(), abs=1e-5)
    assert [s.recall for s in out] == pytest.approx(r.tolist(), abs=1e-5)
    assert [s.f1 for s in out] == pytest.approx(f.tolist(), abs=1e-5)


def test_each_distinct_sentence_is_embedded_once(config, monkeypatch):
    scorer = scoring.get_scorer(config)
    seen: list[int] = []
    forward = scorer._model.forward

    def counting_forward(input_ids, *args, **kwargs):
        seen.append(int(input_ids.shape[0]))
        return forward(input_ids, *args, **kwargs)

    monkeypatch.setattr(scorer._model, "forward", counting_forward)
    scoring.score_models(REFS + REFS, {"base": BASE + BASE, "custom": CUSTOM + REFS}, config=config)
    assert sum(seen) == len(set(REFS + BASE + CUSTOM))


def test_none_candidates_are_skipped_and_others_unchanged(config):
    full = scoring.score_models(REFS, {"base": BASE}, config=config)["base"]
    partial = scoring.score_models(REFS, {"base": [BASE[0], None, BASE[2], None]}, config=config)["base"]
    assert partial[1] is None and partial[3] is None
    assert partial[0].f1 == pytest.approx(full[0].f1, abs=1e-5)
    assert partial[2].f1 == pytest.approx(full[2].f1, abs=1e-5)
    nothing = scoring.score_models(REFS[:2], {"a": [None, None]}, config=config)
    assert nothing == {"a": [None, None]}


def test_blank_candidate_scores_zero_instead_of_crashing(config):
    # bert_score 0.3.13 crashes on "" with transformers 5; its documented value is 0.
    out = scoring.score_models(REFS[:2], {"m": ["", "   "]}, config=config)["m"]
    assert [tuple(s) for s in out] == [(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)]


def test_idf_matches_bert_score_idf(config):
    idf_config = scoring.ScorerConfig.create(config.model, 6, idf=True)
    out = scoring.score_models(REFS, {"custom": CUSTOM}, config=idf_config)["custom"]
    _, _, f = bert_score.score(CUSTOM, REFS, model_type=config.model, num_layers=6, idf=True, nthreads=0)
    assert [s.f1 for s in out] == pytest.approx(f.tolist(), abs=1e-5)
    plain = scoring.score_models(REFS, {"custom": CUSTOM}, config=config)["custom"]
    assert any(abs(a.f1 - b.f1) > 1e-4 for a, b in zip(out, plain, strict=True))


def test_shard_with_global_idf_equals_single_pass(config):
    idf_config = scoring.ScorerConfig.create(config.model, 6, idf=True)
    single = scoring.score_models(REFS, {"custom": CUSTOM}, config=idf_config)["custom"]
    weights = scoring.compute_idf(REFS, idf_config)
    first = scoring.score_models(REFS[:2], {"custom": CUSTOM[:2]}, config=idf_config, idf_dict=weights)["custom"]
    second = scoring.score_models(REFS[2:], {"custom": CUSTOM[2:]}, config=idf_config, idf_dict=weights)["custom"]
    assert [s.f1 for s in first + second] == pytest.approx([s.f1 for s in single], abs=1e-5)


@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_rescaling_with_a_baseline_file(config, tmp_path):
    baseline = tmp_path / "baseline.tsv"
    rows = ["LAYER,P,R,F"] + [f"{layer},0.3{layer},0.2{layer},0.25" for layer in range(7)]
    baseline.write_text("\n".join(rows) + "\n")
    cfg = scoring.ScorerConfig.create(config.model, 6, baseline_path=str(baseline))
    out = scoring.score_models(REFS, {"custom": CUSTOM}, config=cfg)["custom"]
    p, r, f = bert_score.score(
        CUSTOM,
        REFS,
        model_type=config.model,
        num_layers=6,
        lang="en",
        rescale_with_baseline=True,
        baseline_path=str(baseline),
    )
    assert [s.precision for s in out] == pytest.approx(p.tolist(), abs=1e-5)
    assert [s.recall for s in out] == pytest.approx(r.tolist(), abs=1e-5)
    assert [s.f1 for s in out] == pytest.approx(f.tolist(), abs=1e-5)
    raw = scoring.score_models(REFS, {"custom": CUSTOM}, config=config)["custom"]
    assert out[0].f1 == pytest.approx((raw[0].f1 - 0.25) / 0.75, abs=1e-5)


def test_missing_baseline_file_fails_loudly(config, tmp_path):
    with pytest.raises(EvaluationFailed, match="does not exist"):
        scoring.ScorerConfig.create(config.model, 6, baseline_path=str(tmp_path / "nope.tsv"))


def test_local_path_without_layers_is_a_clear_error(tmp_path):
    with pytest.raises(EvaluationFailed, match="BERTSCORE_NUM_LAYERS"):
        scoring.ScorerConfig.create(str(tmp_path), None)


def test_length_mismatch_is_rejected(config):
    with pytest.raises(ValueError, match="2 candidates for 3 references"):
        scoring.score_models(["a", "b", "c"], {"m": ["a", "b"]}, config=config)


def test_scorer_is_loaded_once_and_safe_across_threads(config):
    assert scoring.get_scorer(config) is scoring.get_scorer(scoring.ScorerConfig.create(config.model, 6))
    expected = scoring.score_models(REFS, {"custom": CUSTOM}, config=config)["custom"]
    results: list = []

    def work() -> None:
        results.append(scoring.score_models(REFS, {"custom": CUSTOM}, config=config)["custom"])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for got in results:
        assert [s.f1 for s in got] == pytest.approx([s.f1 for s in expected], abs=1e-6)


def test_config_from_env(monkeypatch, minilm_path):
    monkeypatch.setenv("BERTSCORE_MODEL", minilm_path)
    monkeypatch.setenv("BERTSCORE_NUM_LAYERS", "5")
    monkeypatch.setenv("BERTSCORE_IDF", "TRUE")
    monkeypatch.setenv("BERTSCORE_BATCH_SIZE", "16")
    monkeypatch.setenv("BERTSCORE_MAX_BATCH_TOKENS", "512")
    monkeypatch.delenv("BERTSCORE_BASELINE_PATH", raising=False)
    cfg = scoring.ScorerConfig.from_env()
    assert (cfg.model, cfg.num_layers, cfg.idf, cfg.batch_size, cfg.max_batch_tokens, cfg.rescale) == (
        minilm_path,
        5,
        True,
        16,
        512,
        False,
    )
    monkeypatch.setenv("BERTSCORE_MAX_BATCH_TOKENS", "0")
    with pytest.raises(
        EvaluationFailed,
        match=r"^BERTSCORE_MAX_BATCH_TOKENS: 0 is not allowed .*; set it to a whole number of at least 1 in the",
    ):
        scoring.ScorerConfig.from_env()
    monkeypatch.delenv("BERTSCORE_MAX_BATCH_TOKENS")
    monkeypatch.setenv("BERTSCORE_IDF", "maybe")
    monkeypatch.setenv("BERTSCORE_BATCH_SIZE", "none")
    with pytest.raises(EvaluationFailed) as caught:  # every bad variable at once, one line each
        scoring.ScorerConfig.from_env()
    assert [line.split(":")[0] for line in str(caught.value).splitlines()] == ["BERTSCORE_IDF", "BERTSCORE_BATCH_SIZE"]
    assert "set it to true or false" in str(caught.value)
    monkeypatch.setenv("BERTSCORE_BATCH_SIZE", "16")
    with pytest.raises(EvaluationFailed, match="BERTSCORE_IDF"):
        scoring.ScorerConfig.from_env()


# Random-word sentences: unrelated tokens have negative best cosines, where bert_score's greedy
# matching (similarities times the padding mask, then max) gives 0 only to a padded token.
WORDS = (
    "apple river quantum seven blue tax jump violin carbon lazy orbit mango fence whisper copper tiger "
    "ledger puzzle storm velvet rocket salad glacier hammer"
).split()


def random_sentences(seed: int, count: int, shortest: int = 1, longest: int = 12) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(shortest, longest))) for _ in range(count)]


def test_forward_batch_size_does_not_change_scores(config, monkeypatch):
    refs, cands = random_sentences(1, 100), random_sentences(2, 100)
    p, r, f = bert_score.score(cands, refs, model_type=config.model, num_layers=6)
    one = scoring.ScorerConfig.create(config.model, 6, batch_size=1)
    out = scoring.score_models(refs, {"m": cands}, config=one)["m"]
    assert [s.precision for s in out] == pytest.approx(p.tolist(), abs=1e-5)
    assert [s.recall for s in out] == pytest.approx(r.tolist(), abs=1e-5)
    assert [s.f1 for s in out] == pytest.approx(f.tolist(), abs=1e-5)

    # These inputs do tell batch sizes apart: matching in batches of 1 (what batch_size=1 did
    # before the greedy batch was fixed) moves the scores well past the tolerance.
    monkeypatch.setattr(scoring, "GREEDY_BATCH_SIZE", 1)
    unpadded = scoring.score_models(refs, {"m": cands}, config=one)["m"]
    assert max(abs(a.precision - b) for a, b in zip(unpadded, p.tolist(), strict=True)) > 1e-4


def test_each_model_is_matched_in_its_own_batches(config):
    # 100 pairs per model. The last 36 base pairs are 4 one-token words on both sides, so in their
    # own batch (pairs 64-99, as bert_score.score(base, refs) matches them) nothing is padded; a
    # batch running on into the custom model's longer outputs would pad them.
    words = {w for s in random_sentences(0, 50) for w in s.split()}
    assert all(len(scoring.get_scorer(config)._tokenizer.tokenize(w)) == 1 for w in words)
    refs = random_sentences(3, 64) + random_sentences(6, 36, 4, 4)
    cands = {"base": random_sentences(4, 64) + random_sentences(7, 36, 4, 4), "custom": random_sentences(5, 100, 8, 12)}
    out = scoring.score_models(refs, cands, config=config)
    for name, sentences in cands.items():
        p, _, f = bert_score.score(sentences, refs, model_type=config.model, num_layers=6)
        assert [s.precision for s in out[name]] == pytest.approx(p.tolist(), abs=1e-5)
        assert [s.f1 for s in out[name]] == pytest.approx(f.tolist(), abs=1e-5)

    # The inputs tell the two batchings apart.
    scorer = scoring.get_scorer(config)
    idf = scoring.default_idf_dict(scorer._tokenizer)
    pair_refs, pair_cands = refs + refs, cands["base"] + cands["custom"]
    per_model = scoring.bertscore_pairs(scorer, pair_refs, pair_cands, idf, config, [100, 100])
    spanning = scoring.bertscore_pairs(scorer, pair_refs, pair_cands, idf, config)
    assert float((per_model - spanning).abs().max()) > 1e-4


def test_bertscore_pairs_rejects_groups_that_do_not_add_up(config):
    scorer = scoring.get_scorer(config)
    with pytest.raises(ValueError, match="do not split 2 pairs"):
        scoring.bertscore_pairs(
            scorer, ["a", "b"], ["c", "d"], scoring.default_idf_dict(scorer._tokenizer), config, [1]
        )


def copy_without_max_length(source: str, target: Path) -> Path:
    """The model directory ``source`` with ``model_max_length`` removed from tokenizer_config.json
    (weights symlinked, not copied)."""
    target.mkdir(parents=True)
    for item in Path(source).iterdir():
        if item.is_file() and item.name != "tokenizer_config.json":
            (target / item.name).symlink_to(item)
    tok = json.loads((Path(source) / "tokenizer_config.json").read_text())
    tok.pop("model_max_length", None)
    (target / "tokenizer_config.json").write_text(json.dumps(tok))
    return target


def test_tokenizer_without_max_length_is_a_clear_error(minilm_path, tmp_path):
    model = copy_without_max_length(minilm_path, tmp_path / "no-max-length")
    with pytest.raises(EvaluationFailed, match="has no model_max_length .*fetch_model.py") as raised:
        scoring.get_scorer(scoring.ScorerConfig.create(str(model), 6))
    assert "\n" not in str(raised.value)


def test_model_name_is_the_models_name_not_its_path(minilm_path, tmp_path):
    assert scoring.model_name(minilm_path) == scoring.BUNDLED_MINILM_NAME
    assert scoring.model_name("roberta-large") == "roberta-large"
    baked = tmp_path / "bertscore-model"
    baked.mkdir()
    (baked / scoring.MODEL_INFO_FILE).write_text('{"source": "microsoft/deberta-xlarge-mnli"}')
    assert scoring.model_name(str(baked)) == "microsoft/deberta-xlarge-mnli"
    plain = tmp_path / "my-scorer" / "model"
    plain.mkdir(parents=True)
    assert scoring.model_name(str(plain)) == "my-scorer"


def test_idf_counts_a_blank_reference_as_its_special_tokens_alone(config, evaluator_env):
    """A blank reference is a document too: it holds [CLS] and [SEP] and nothing else (the weights of a
    run's reference set, from the environment's model when no config is given)."""
    from math import log

    tokenizer = scoring.get_scorer(config)._tokenizer
    refs = ["the parcel arrived", "   ", "a meeting"]
    weights = scoring.compute_idf(refs)  # the environment's config: MiniLM, 6 layers
    assert weights == scoring.compute_idf(refs, config)
    n = len(refs)
    assert weights[tokenizer.cls_token_id] == weights[tokenizer.sep_token_id] == log((n + 1) / (n + 1))
    assert set(weights) == {i for ref in refs for i in tokenizer.encode(ref, add_special_tokens=True)}
    parcel = tokenizer.convert_tokens_to_ids("parcel")
    assert weights[parcel] == log((n + 1) / 2)
    assert weights[tokenizer.convert_tokens_to_ids("xxxx")] == log(n + 1)  # in no reference


def test_scoring_stays_on_the_cpu_where_torch_reports_a_gpu(minilm_path, monkeypatch, own_scorers):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as on a GPU host (none is lent here)
    config = scoring.ScorerConfig.create(minilm_path, 5)  # a layer no other test loads: a fresh load
    scorer = scoring.get_scorer(config)
    assert {p.device.type for p in scorer._model.parameters()} == {"cpu"}


def test_idf_weights_come_from_the_given_config_not_the_environment(config, evaluator_env, monkeypatch, tmp_path):
    with_idf = scoring.ScorerConfig.create(config.model, 6, idf=True)
    expected = scoring.score_models(REFS, {"custom": CUSTOM}, config=with_idf)["custom"]
    monkeypatch.setenv("BERTSCORE_MODEL", str(tmp_path / "another-model"))  # cannot load
    got = scoring.score_models(REFS, {"custom": CUSTOM}, config=with_idf)["custom"]
    assert got == expected


def test_three_models_of_unequal_counts_score_as_each_alone(config):
    # the models' batches start where the previous model's pairs end (sizes 3, 4, 4)
    candidates = {"base": [None, *BASE[1:]], "custom": CUSTOM, "other": BASE[::-1]}
    together = scoring.score_models(REFS, candidates, config=config)
    for name, outputs in candidates.items():
        alone = scoring.score_models(REFS, {name: outputs}, config=config)[name]
        assert [s and s.f1 for s in together[name]] == pytest.approx([s and s.f1 for s in alone], abs=1e-6)
    assert together["base"][0] is None
