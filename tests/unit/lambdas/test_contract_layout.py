"""The run's S3 layout is built in one place (workflow_lambdas.contract.layout): the keys the Lambdas
write are the keys the evaluator reads, by construction, and a bad kind is refused with the fix."""

from __future__ import annotations

import pytest

from bertscore_evaluator import handlers
from workflow_lambdas import infer, judge, plan_shards
from workflow_lambdas.contract import layout

RUN = {"RunId": "exec-7", "RunPrefix": "runs/exec-7/"}


def test_prefix_of_falls_back_to_the_run_id_and_always_ends_in_a_slash():
    assert layout.prefix_of({"RunId": "r1"}) == "runs/r1/" == layout.run_prefix("r1")
    assert layout.prefix_of({"RunId": "r1", "RunPrefix": "custom/x"}) == "custom/x/"
    assert layout.prefix_of({"RunId": "r1", "RunPrefix": ""}) == "runs/r1/"


def test_writers_and_readers_agree_on_every_shard_file():
    view = infer.RunView.model_validate(
        {
            **RUN,
            "ArtifactsBucket": "artifacts",
            "BaseModelIdentifier": "amazon.nova-micro-v1:0",
            "InferenceModelId": "amazon.nova-micro-v1:0",
        }
    )
    assert (
        infer.output_key(view, 3)
        == handlers.shard_key(RUN, "inference", 3)
        == "runs/exec-7/evaluation/inference/00003.jsonl"
    )
    assert judge.scores_key(view.prefix, 12) == handlers.shard_key(RUN, "scores", 12)
    assert judge.output_key(view.prefix, 0) == handlers.shard_key(RUN, "judge", 0)
    assert plan_shards.shard_key(view.prefix, 41) == "runs/exec-7/evaluation/shards/00041.jsonl"
    assert plan_shards.records_key(view.prefix) == "runs/exec-7/evaluation/records.jsonl"
    assert infer.partial_key(view, 1) != infer.output_key(view, 1)  # a partial file is never read as the output


def test_an_unknown_shard_kind_is_refused_with_the_known_kinds():
    with pytest.raises(ValueError, match=r"kind: 'score' is not a shard file kind; use one of shards, inference"):
        layout.shard_file("runs/r/", "score", 0)
