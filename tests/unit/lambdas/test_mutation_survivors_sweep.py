"""A sweep's candidates line by line (issue 15: mutants of ``validation/sweep.py`` that no test caught).

Each candidate is checked like a run of its own: its hyperparameters and the run's it inherits against
its own base model, at its own path; served the way the run is; its names, tokens and context its own.
"""

from __future__ import annotations

import copy

import pytest
from validation_cases import EXEC_ARN, EXEC_NAME, NOVA_INPUT, nova_files

from workflow_lambdas import model_families as mf
from workflow_lambdas import validate_input as vi
from workflow_lambdas.contract.errors import InvalidInput
from workflow_lambdas.validation import check as ck
from workflow_lambdas.validation import hyperparameters as hp
from workflow_lambdas.validation import names as nm
from workflow_lambdas.validation import problems as pr
from workflow_lambdas.validation import sweep as sw
from workflow_lambdas.validation.deployment import Deployment

LLAMA_8B = "meta.llama3-1-8b-instruct-v1:0:128k"  # provisioned only (no on-demand deployment)
LLAMA_70B = "meta.llama3-3-70b-instruct-v1:0:128k"  # on demand in us-west-2
SUFFIX = vi.run_suffix(EXEC_ARN, EXEC_NAME)


@pytest.fixture
def check(validate):
    """The run context of ``raw`` with the Nova files (conftest's ``validate``), jobs in us-east-1."""
    files = nova_files()
    return lambda raw: validate(raw, files, "us-east-1")


def problems(check, raw: dict) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        check(raw)
    return str(caught.value).splitlines()


def sweep_input(candidates: list[dict], **extra) -> dict:
    raw = copy.deepcopy(NOVA_INPUT)
    raw["Candidates"] = candidates
    raw.update(extra)
    return raw


def hp_lines(hps: dict, base: str, prefix: str) -> list[str]:
    return [str(p) for p in hp.hyperparameter_problems(hps, mf.lookup(base), set(), prefix)]


def test_max_concurrent_jobs_without_candidates_says_what_to_do(check):
    raw = copy.deepcopy(NOVA_INPUT)
    raw["MaxConcurrentJobs"] = 3
    assert problems(check, raw) == [
        "MaxConcurrentJobs: is given without Candidates; leave it out, or add Candidates, e.g."
        ' [{"Name": "a", "HyperParameters": {...}}, ...]'
    ]


def test_a_candidate_of_another_model_is_checked_against_the_runs_hyperparameters_it_inherits(check):
    """The run's learningRate (Nova's minimum) is below Llama's minimum: reported for the Llama candidate
    that inherits it, at the candidate's path; not for the one that sets its own, nor for a Nova one."""
    top = {"learningRate": "0.000001"}
    own = {"learningRate": "0.00001"}
    raw = sweep_input(
        [
            {"Name": "nova", "HyperParameters": {}},
            {"Name": "inherits", "HyperParameters": {}, "BaseModelIdentifier": LLAMA_8B},
            {"Name": "sets-its-own", "HyperParameters": own, "BaseModelIdentifier": LLAMA_8B},
        ],
        HyperParameters=top,
    )
    lines = [line for line in problems(check, raw) if ".HyperParameters." in line or line.startswith("HyperParameters")]
    expected = hp_lines(top, LLAMA_8B, "Candidates[1].")
    assert expected and expected[0].startswith("Candidates[1].HyperParameters.learningRate: ")
    assert lines == expected


def test_a_candidate_that_is_not_an_object_does_not_stop_the_checks_of_the_next(check):
    raw = sweep_input(["not an object", {"Name": "fast", "HyperParameters": {"learningRate": "0.5"}}])
    lines = problems(check, raw)
    assert hp_lines({"learningRate": "0.5"}, NOVA_INPUT["BaseModelIdentifier"], "Candidates[1].")[0] in lines
    assert any(line.startswith("Candidates[0]") for line in lines)


def test_an_unknown_candidate_model_allowed_gets_no_hyperparameter_check(check):
    raw = sweep_input(
        [
            {"Name": "a", "HyperParameters": {}},
            {"Name": "b", "HyperParameters": {"anything": "1"}, "BaseModelIdentifier": "acme.new-model-v1:0"},
        ],
        AllowUnknownModel=True,
    )
    assert not [line for line in problems_or_none(check, raw) if "HyperParameters" in line]


def problems_or_none(check, raw: dict) -> list[str]:
    try:
        check(raw)
    except InvalidInput as exc:
        return str(exc).splitlines()
    return []


# --- a candidate served another way than the run ---------------------------------------------------------


def served(run_base: str, candidate_base: str, requested: str) -> list[str]:
    """The problems of a candidate's own base model, for a run on ``run_base`` in us-west-2."""
    raw = {"Deployment": requested, "BaseModelIdentifier": run_base}
    check = ck.InputCheck(raw, set(), set(), pr.Problems())
    settings = vi.Settings(training_bucket="bct", validation_bucket="bcv", artifacts_bucket="bca")
    env = ck.Env(settings, lambda b, k: None, "us-west-2", "us-west-2")
    run_model = mf.lookup(run_base)
    supported = mf.on_demand_supported(run_model, "us-west-2")
    mode = "on_demand" if requested == "on_demand" or (requested == "auto" and supported) else "provisioned"
    keep = "deployment" if mode == "on_demand" else "provisioned_throughput"
    run = sw.RunChoice(run_model, mf.FINE_TUNING, Deployment(requested, mode, keep))
    model = sw._candidate_model(check, env, candidate_base, "Candidates[0].BaseModelIdentifier", run)
    assert model is mf.lookup(candidate_base)
    return [str(p) for p in check.problems]


FIX = 'pick a model served the same way, or set Deployment to "provisioned" for every candidate'


def test_a_candidate_served_on_demand_beside_a_provisioned_run_is_refused():
    assert served(LLAMA_8B, LLAMA_70B, "auto") == [
        "Candidates[0].BaseModelIdentifier: Meta Llama 3.3 70B Instruct would be served on-demand, the run's base"
        f" model provisioned; {FIX}"
    ]


def test_a_candidate_that_cannot_be_served_on_demand_in_an_on_demand_run_is_refused():
    assert served(LLAMA_70B, LLAMA_8B, "on_demand") == [
        "Candidates[0].BaseModelIdentifier: Meta Llama 3.1 8B Instruct would be served on-demand, the run's base"
        f" model on-demand; {FIX}"
    ]
    assert served(LLAMA_70B, LLAMA_8B, "auto") == [
        "Candidates[0].BaseModelIdentifier: Meta Llama 3.1 8B Instruct would be served provisioned, the run's"
        f" base model on-demand; {FIX}"
    ]
    assert served(LLAMA_70B, LLAMA_70B, "on_demand") == []
    assert served(LLAMA_8B, LLAMA_8B, "provisioned") == []


# --- each candidate's own run context --------------------------------------------------------------------


def test_without_unique_names_a_candidates_names_are_the_runs_with_the_candidate(check):
    raw = sweep_input(
        [{"Name": "low", "HyperParameters": {}}, {"Name": "high", "HyperParameters": {"epochCount": "3"}}],
        UniqueNames=False,
    )
    state = check(raw).to_state()
    runs = {c["Name"]: c["Run"] for c in state["Sweep"]["Candidates"]}
    for name, run in runs.items():
        assert run["JobName"] == f"{NOVA_INPUT['JobName']}-{name}"
        assert run["CustomModelName"] == f"{NOVA_INPUT['CustomModelName']}-{name}"
    assert state["JobName"] == NOVA_INPUT["JobName"]


def test_with_unique_names_a_candidates_names_carry_the_candidate_before_the_run_suffix(check):
    state = check(sweep_input([{"Name": "low", "HyperParameters": {}}, {"Name": "high", "HyperParameters": {}}]))
    runs = {c["Name"]: c["Run"] for c in state.to_state()["Sweep"]["Candidates"]}
    assert runs["low"]["JobName"] == f"{NOVA_INPUT['JobName']}-low-{SUFFIX}"


def test_a_candidates_tokens_are_its_own_for_this_execution(check):
    state = check(sweep_input([{"Name": "low", "HyperParameters": {}}, {"Name": "high", "HyperParameters": {}}]))
    for candidate in state.to_state()["Sweep"]["Candidates"]:
        expected = nm.candidate_tokens(EXEC_ARN, EXEC_NAME, candidate["Name"])
        assert candidate["Run"]["ClientRequestTokens"] == expected.model_dump()


def test_served_names_keep_the_letters_at_both_ends_of_the_custom_model_name():
    assert nm.deployment_name("Xmodel-X", "abc") == "Xmodel-X-od-abc"
    assert nm.provisioned_model_name("-Xmodel_X-", "abc") == "Xmodel-X-pt-abc"


def test_run_hyperparameters_the_schema_refused_are_not_laid_over_a_candidates(check):
    raw = sweep_input(
        [{"Name": "a", "HyperParameters": {}}, {"Name": "b", "HyperParameters": {}, "BaseModelIdentifier": LLAMA_8B}],
        HyperParameters=["epochCount", "2"],
    )
    lines = problems(check, raw)
    assert [line for line in lines if line.startswith("HyperParameters")] == [
        line for line in lines if line.split(":", 1)[0] == "HyperParameters"
    ]
    assert not [line for line in lines if ".HyperParameters" in line]
