"""ValidateInput with ``Candidates`` (the candidate sweep): every candidate checked like a run, at once."""

from __future__ import annotations

import copy
import re

import pytest
from validation_cases import ENV, EXEC_ARN, EXEC_NAME, NOVA_INPUT, nova_files

from workflow_lambdas import custom_model_deployment as cmd
from workflow_lambdas import release_throughput as rt
from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput

SUFFIX = vi.run_suffix(EXEC_ARN, EXEC_NAME)
CANDIDATES = [
    {"Name": "lr-low", "HyperParameters": {"learningRate": "0.000005"}},
    {"Name": "lr-high", "HyperParameters": {"learningRate": "0.00005", "epochCount": "3"}},
    {"Name": "lite", "HyperParameters": {}, "BaseModelIdentifier": "amazon.nova-lite-v1:0:300k"},
]


def validate(raw, env=None):
    files = nova_files()
    return vi.validate_execution_input(
        raw,
        settings=vi.Settings.from_env(env or ENV),
        execution_name=EXEC_NAME,
        execution_arn=EXEC_ARN,
        fetch=lambda bucket, key: files.get((bucket, key)),
        region="us-east-1",
    )


def sweep_input(candidates=None, **extra):
    raw = copy.deepcopy(NOVA_INPUT)
    raw["Candidates"] = copy.deepcopy(CANDIDATES if candidates is None else candidates)
    raw.update(extra)
    return raw


def problems(raw, env=None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate(raw, env)
    return str(caught.value).splitlines()


def test_without_candidates_the_run_context_has_no_sweep():
    state = validate(copy.deepcopy(NOVA_INPUT)).to_state()
    assert "Sweep" not in state
    assert list(state) == list(vi.RunContext.model_fields)


def test_each_candidate_gets_a_run_context_of_its_own():
    state = validate(sweep_input()).to_state()
    sweep = state["Sweep"]
    assert sweep["MaxConcurrentJobs"] == 2
    assert [c["Name"] for c in sweep["Candidates"]] == ["lr-low", "lr-high", "lite"]
    runs = [c["Run"] for c in sweep["Candidates"]]
    # the run's hyperparameters are the defaults, the candidate's own win
    assert runs[0]["HyperParameters"] == {**NOVA_INPUT["HyperParameters"], "learningRate": "0.000005"}
    assert runs[1]["HyperParameters"]["epochCount"] == "3"
    assert runs[2]["BaseModelIdentifier"] == "amazon.nova-lite-v1:0:300k"
    assert runs[0]["BaseModelIdentifier"] == NOVA_INPUT["BaseModelIdentifier"]
    for field in (
        "JobName",
        "CustomModelName",
        "ProvisionedModelName",
        "CustomModelDeploymentName",
        "OutputDataS3Uri",
    ):
        values = [r[field] for r in runs] + [state[field]]
        assert len(set(values)) == 4, field
    for run, candidate in zip(runs, CANDIDATES, strict=True):
        name = candidate["Name"]
        assert run["JobName"].endswith(f"-{name}-{SUFFIX}") and len(run["JobName"]) <= 63
        assert re.fullmatch(r"([0-9a-zA-Z][_-]?)+", run["ProvisionedModelName"])
        assert re.fullmatch(r"([0-9a-zA-Z][_-]?)+", run["CustomModelDeploymentName"])
        assert run["RunTags"] == [*state["RunTags"], {"Key": vi.TAG_CANDIDATE, "Value": name}]
        assert run["RunId"] == state["RunId"] and run["WorkflowName"] == state["WorkflowName"]
        assert "Sweep" not in run
        assert set(run) == set(state) - {"Sweep"}  # a whole run context: the single-run Lambdas read it
        deployment_run = cmd._Run.model_validate(run)
        assert deployment_run.ClientRequestTokens.Deployment == run["ClientRequestTokens"]["Deployment"]
        assert rt.RunView.model_validate(run).ProvisionedModelName == run["ProvisionedModelName"]
    tokens = [t for r in runs for t in r["ClientRequestTokens"].values()]
    tokens += list(state["ClientRequestTokens"].values())
    assert len(set(tokens)) == len(tokens)
    # same execution, same tokens (a retried create is idempotent)
    assert validate(sweep_input()).to_state()["Sweep"] == sweep


def test_long_names_keep_the_candidate_apart():
    raw = sweep_input(CustomModelName="m" * 63, JobName="j" * 63)
    runs = [c["Run"] for c in validate(raw).to_state()["Sweep"]["Candidates"]]
    assert len({r["CustomModelName"] for r in runs}) == 3
    assert all(len(r["CustomModelName"]) <= 63 and len(r["ProvisionedModelName"]) <= 63 for r in runs)


def test_max_concurrent_jobs_is_passed():
    assert validate(sweep_input(MaxConcurrentJobs=3)).to_state()["Sweep"]["MaxConcurrentJobs"] == 3


def test_every_candidate_problem_is_reported_at_once_with_its_path():
    bad = [
        {"Name": "ok", "HyperParameters": {"epochCount": 2}},
        {"Name": "fast", "HyperParameters": {"learningRate": "0.5"}},
        {"Name": "OK", "HyperParameters": {"learningRat": "0.00001"}},
        {"Name": "base", "HyperParameters": {}},
        {"Name": "has space", "HyperParameters": {}},
        {"Name": "llama", "HyperParameters": {}, "BaseModelIdentifier": "meta.llama3-1-8b-instruct-v1:0:128k"},
    ]
    lines = problems(sweep_input(bad, MaxConcurrentJobs=0), {**ENV, "MAX_CANDIDATES": "5"})
    fields = [line.split(":", 1)[0] for line in lines]
    assert "Candidates[0].HyperParameters.epochCount" in fields
    assert "Candidates[1].HyperParameters.learningRate" in fields
    assert "Candidates[2].Name" in fields and any("also the name of Candidates[0]" in x for x in lines)
    assert "Candidates[2].HyperParameters.learningRat" in fields
    assert any(x.startswith("Candidates[2].HyperParameters.learningRat") and "learningRate" in x for x in lines)
    assert "Candidates[3].Name" in fields and any("reserved" in x for x in lines)
    assert "Candidates[4].Name" in fields
    assert "Candidates[5].BaseModelIdentifier" in fields
    assert "MaxConcurrentJobs" in fields
    assert any(x.startswith("Candidates:") and "more than the 5" in x for x in lines)
    assert all("; " in x for x in lines)  # what is wrong; how to fix


def test_a_single_candidate_is_refused():
    lines = problems(sweep_input(CANDIDATES[:1]))
    assert [x.split(":", 1)[0] for x in lines] == ["Candidates"]


def test_max_concurrent_jobs_without_candidates_is_refused():
    raw = copy.deepcopy(NOVA_INPUT)
    raw["MaxConcurrentJobs"] = 2
    assert [x.split(":", 1)[0] for x in problems(raw)] == ["MaxConcurrentJobs"]


def test_run_level_problems_and_candidate_problems_together():
    raw = sweep_input([CANDIDATES[0], {"Name": "x", "HyperParameters": {"epochCount": "9"}}])
    raw["HyperParameters"] = {"epochCount": "0"}
    fields = {x.split(":", 1)[0] for x in problems(raw)}
    assert fields == {"HyperParameters.epochCount", "Candidates[1].HyperParameters.epochCount"}
