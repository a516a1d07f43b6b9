"""evaluator/fetch_model.py, the image build step, run offline on the bundled MiniLM."""

from __future__ import annotations

import importlib.util
import json
import stat
from pathlib import Path

import pytest

from bertscore_evaluator import scoring

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
