"""ValidateInput: schema, family rules, names, datasets; the run context it returns."""

from __future__ import annotations

import copy
import json
import re

import boto3
import pytest
from moto import mock_aws

# The table of bad inputs lives in tests/validation_cases.py: the CLI and workflow suites run it too.
from validation_cases import (
    A_REF,
    A_TRAIN,
    ANCESTOR_INPUT,
    CASES,
    CLAUDE_INPUT,
    ENV,
    EXEC_ARN,
    EXEC_NAME,
    LLAMA_INPUT,
    NOVA_INPUT,
    TRAIN,
    VALID,
    Case,
    ancestor_files,
    build,
    claude_files,
    jsonl,
    nova_files,
    pc_rows,
)

from workflow_lambdas import model_families as mf
from workflow_lambdas import validate_input as vi
from workflow_lambdas.common.aws import reset_clients
from workflow_lambdas.contract.errors import InvalidInput


def settings() -> vi.Settings:
    return vi.Settings.from_env(ENV)


def fields_of(lines: list[str]) -> set[str]:
    return {line.split(":", 1)[0] for line in lines}


# --- the ancestor and a modern input -------------------------------------------------------------------------

SUFFIX = vi.run_suffix(EXEC_ARN, EXEC_NAME)


def test_ancestor_input_parses_and_is_refused_in_one_line(problem_lines):
    """The ancestor's input (Cohere Command Light) is read as it is, and refused plainly: one line."""
    (line,) = problem_lines(copy.deepcopy(ANCESTOR_INPUT), ancestor_files())
    assert line == (
        "BaseModelIdentifier: cohere.command-light-text-v14:7:4k (Cohere Command Light) can no longer be "
        "customized: the Bedrock fine-tuning table no longer lists it; pick a current model instead, e.g. "
        "amazon.nova-micro-v1:0:128k (us-east-1) or meta.llama3-2-1b-instruct-v1:0:128k (us-west-2), "
        "with its hyperparameters and data format"
    )
    assert ".;" not in line and line.count(";") == 1


@pytest.mark.parametrize("identifier", sorted(i for i, m in mf.BASE_MODELS.items() if not m.customizable))
def test_every_retired_model_is_refused_with_what_to_pick(identifier, problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT) | {"BaseModelIdentifier": identifier, "HyperParameters": {}}
    (line,) = problem_lines(raw, ancestor_files())
    assert line.startswith(f"BaseModelIdentifier: {identifier} (") and "can no longer be customized" in line
    assert "pick a current model instead, e.g. amazon.nova-micro-v1:0:128k (us-east-1)" in line


def test_llama_input_validates_with_the_inference_profile_note_only(validate):
    run = validate(copy.deepcopy(LLAMA_INPUT), ancestor_files())
    assert [w.field for w in run.warnings] == ["InferenceModelId"]
    state = run.to_state()
    assert state == {
        "RunId": EXEC_NAME,
        "ExecutionArn": EXEC_ARN,
        "WorkflowName": "bc-customize",
        "JobName": f"support-summarizer-job-{SUFFIX}",
        "CustomModelName": f"support-summarizer-{SUFFIX}",
        "BaseModelIdentifier": "meta.llama3-2-1b-instruct-v1:0:128k",
        "CustomizationType": "FINE_TUNING",
        "CustomizationConfig": None,
        "HyperParameters": LLAMA_INPUT["HyperParameters"],
        "TrainingDataS3Uri": "s3://bc-training/training-data.jsonl",
        "OutputDataS3Uri": f"s3://bc-artifacts/runs/{EXEC_NAME}/customization/",
        "ArtifactsBucket": "bc-artifacts",
        "RunPrefix": f"runs/{EXEC_NAME}/",
        "ValidationData": {
            "Bucket": "bc-validation",
            "Key": "validation-data.json",
            "ReferenceKey": "reference-inference.json",
        },
        "InferenceModelId": "meta.llama3-2-1b-instruct-v1:0",
        "InferenceConfig": {"MaxTokens": 512, "Temperature": 0.0, "TopP": 1.0, "StopSequences": []},
        "Evaluation": {
            "Metric": "F1",
            "Margin": 0.0,
            "ConfidenceLevel": 0.95,
            "BootstrapResamples": 1000,
            "RequireSignificance": True,
            "MinPairs": 10,
            "OnInconclusive": "RELEASE",
            "ShardSize": 50,
            "MaxConcurrency": 4,
            "ScoreConcurrency": 40,
            "Seed": 7,
            "MapConcurrency": 44,
        },
        "ProvisionedModelName": f"support-summarizer-pt-{SUFFIX}",
        "ProvisionedModelUnits": 1,
        "ThroughputPollSeconds": 60,
        "ThroughputMaxPolls": 90,
        "CustomizationTimeoutSeconds": 172800,
        "EvaluationTimeoutSeconds": 21600,
        "KeepThroughputOnWin": True,
        "KeepLosingCustomModel": True,
        "Recipients": ["ml-team@example.com", "lead@example.com"],
        "RunTags": [
            {"Key": "bedrock-customize:run-id", "Value": EXEC_NAME},
            {"Key": "bedrock-customize:workflow", "Value": "bc-customize"},
        ],
        "DeploymentRequested": "auto",
        "DeploymentMode": "provisioned",
        "KeepWinnerAs": "provisioned_throughput",
        "CustomModelDeploymentName": f"support-summarizer-od-{SUFFIX}",
        "DeploymentPollSeconds": 30,
        "DeploymentMaxPolls": 120,
        "ClientRequestTokens": vi.client_request_tokens(EXEC_ARN, EXEC_NAME).model_dump(),
    }
    assert list(state) == list(vi.RunContext.model_fields)  # contract order


def test_client_request_tokens_are_per_run_and_fit_every_create_api():
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock")
    pattern = model.operation_model("CreateCustomModelDeployment").input_shape.members["clientRequestToken"]
    tokens = vi.client_request_tokens(EXEC_ARN, EXEC_NAME).model_dump()
    assert tokens == vi.client_request_tokens(EXEC_ARN, EXEC_NAME).model_dump()  # a retry sends the same
    other = vi.client_request_tokens(EXEC_ARN + "-2", EXEC_NAME + "-2").model_dump()
    assert set(tokens.values()).isdisjoint(other.values()) and len(set(tokens.values())) == 4
    for op in ("CreateModelCustomizationJob", "CreateProvisionedModelThroughput", "CreateCustomModelDeployment"):
        meta = model.operation_model(op).input_shape.members["clientRequestToken"].metadata
        assert meta == pattern.metadata
        for token in tokens.values():
            assert re.fullmatch(meta["pattern"], token) and meta["min"] <= len(token) <= meta["max"]


def test_nova_input_validates(validate):
    run = validate(copy.deepcopy(NOVA_INPUT), nova_files())
    assert run.warnings == []
    assert run.InferenceModelId == "amazon.nova-micro-v1:0"
    assert run.ValidationData.ReferenceKey is None
    assert (
        run.Evaluation.Metric == "Recall" and run.Evaluation.ShardSize == 4 and run.Evaluation.OnInconclusive == "KEEP"
    )
    assert run.InferenceConfig.MaxTokens == 300 and run.InferenceConfig.Temperature == 0.2
    assert run.Recipients == ["owner@example.com"]
    assert run.ProvisionedModelUnits == 2


def test_claude_input_validates(validate):
    assert validate(copy.deepcopy(CLAUDE_INPUT), claude_files()).warnings == []


def test_names_are_unique_per_run_and_fit_bedrock_limits(validate):
    raw = copy.deepcopy(NOVA_INPUT)
    raw["CustomModelName"] = "m" * 60 + ".v2"
    raw["JobName"] = "j" * 63
    first = validate(raw, nova_files())
    other = vi.validate_execution_input(
        copy.deepcopy(raw),
        settings=settings(),
        execution_name="another-run",
        execution_arn=EXEC_ARN.replace(EXEC_NAME, "another-run"),
        fetch=lambda b, k: nova_files().get((b, k)),
    )
    for run in (first, other):
        for name in (run.JobName, run.CustomModelName):
            assert len(name) <= 63 and vi.NAME_PATTERN.match(name)
        assert len(run.ProvisionedModelName) <= 63 and vi.PROVISIONED_NAME_PATTERN.match(run.ProvisionedModelName)
    assert first.JobName != other.JobName and first.CustomModelName != other.CustomModelName
    assert first.ProvisionedModelName != other.ProvisionedModelName
    assert validate(raw, nova_files()).JobName == first.JobName  # stable for the same execution


def test_unique_names_false_keeps_names(validate):
    raw = copy.deepcopy(NOVA_INPUT) | {"UniqueNames": False}
    run = validate(raw, nova_files())
    assert (run.JobName, run.CustomModelName) == ("ticket-triage-job", "ticket-triage")
    assert run.ProvisionedModelName == f"ticket-triage-pt-{SUFFIX}"


def test_provisioned_model_name_sanitises():
    name = vi.provisioned_model_name("My.Model+v2--beta", "abcd1234")
    assert name == "My-Model-v2-beta-pt-abcd1234"
    assert vi.PROVISIONED_NAME_PATTERN.match(name)


def test_reference_file_name_is_ignored_for_jsonl_with_references(validate):
    raw = copy.deepcopy(NOVA_INPUT) | {"ReferenceDataFileName": "refs.json"}
    run = validate(raw, nova_files())
    assert run.ValidationData.ReferenceKey is None
    assert [w.field for w in run.warnings] == ["ReferenceDataFileName"]


def test_unknown_model_is_allowed_with_allow_unknown_model(validate):
    raw = copy.deepcopy(ANCESTOR_INPUT) | {
        "BaseModelIdentifier": "example.text-model-v1:0:32k",
        "AllowUnknownModel": True,
    }
    run = validate(raw, ancestor_files())
    assert run.InferenceModelId == "example.text-model-v1:0"
    assert [w.field for w in run.warnings] == ["BaseModelIdentifier"]


def test_every_problem_is_collected(problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["HyperParameters"] |= {"epochCount": "0", "batchSize": "many"}
    raw["JobName"] = "bad job"
    raw["Evaluation"] = {"Metric": "BLEU"}
    files = ancestor_files()
    del files[(VALID, "reference-inference.json")]
    lines = problem_lines(raw, files)
    assert fields_of(lines) == {
        "HyperParameters.epochCount",
        "HyperParameters.batchSize",
        "JobName",
        "Evaluation.Metric",
        "ReferenceDataFileName",
    }
    assert all(re.match(r"^[\w.\[\]]+: .+; .+$", line) for line in lines), lines


# --- table of bad inputs and datasets -------------------------------------------------------------------------


def test_table_is_big_enough():
    assert len([c for c in CASES if c.fields]) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, validate, problem_lines):
    raw, files = build(case)
    if not case.fields:
        validate(raw, files)
        return
    lines = problem_lines(raw, files)
    assert fields_of(lines) == case.fields, lines
    if case.contains:
        assert any(case.contains in line for line in lines), lines


# --- settings, events and the handler on moto ----------------------------------------------------------------


def test_settings_from_env():
    s = settings()
    assert s.default_recipients == ("ml-team@example.com", "lead@example.com")
    assert (s.shard_size, s.default_model_units, s.throughput_max_polls) == (50, 1, 90)
    with pytest.raises(InvalidInput) as caught:
        vi.Settings.from_env({"VALIDATION_BUCKET": "v-bucket", "ARTIFACTS_BUCKET": "a-bucket", "SHARD_SIZE": "0"})
    lines = str(caught.value).splitlines()
    assert fields_of(lines) == {"TRAINING_BUCKET", "SHARD_SIZE"}


def test_workflow_name_of():
    assert vi.workflow_name_of(EXEC_ARN) == "bc-customize"
    assert vi.workflow_name_of("arn:aws:states:eu-west-1:123456789012:express:sm-x:run-1:abc-uuid") == "sm-x"
    assert vi.workflow_name_of("not-an-arn") is None


def test_non_object_input(validate):
    with pytest.raises(InvalidInput, match="^Input: is a list"):
        validate([], {})


def test_bad_execution_arn_is_reported():
    with pytest.raises(InvalidInput) as caught:
        vi.validate_execution_input(
            copy.deepcopy(NOVA_INPUT),
            settings=settings(),
            execution_name=EXEC_NAME,
            execution_arn="local",
            fetch=lambda b, k: nova_files().get((b, k)),
        )
    assert fields_of(str(caught.value).splitlines()) == {"ExecutionArn"}


def test_schema_file_is_valid_and_documented():
    from jsonschema import Draft202012Validator

    schema = vi.load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False

    def walk(properties):
        for name, prop in properties.items():
            assert prop.get("description") and prop.get("examples"), name
            for example in prop["examples"]:
                assert not list(Draft202012Validator(prop).iter_errors(example)), (name, example)
            walk(prop.get("properties", {}))

    walk(schema["properties"])
    assert not list(Draft202012Validator(schema).iter_errors(ANCESTOR_INPUT))


@pytest.fixture
def aws(monkeypatch, fake_aws_env):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_REGION", raising=False)  # the region check's source is set by each test
    with mock_aws():
        reset_clients()
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in (TRAIN, VALID, ENV["ARTIFACTS_BUCKET"]):
            s3.create_bucket(Bucket=bucket)
        yield s3
    reset_clients()


def upload(s3, files):
    for (bucket, key), body in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def event(raw):
    return {"Input": raw, "ExecutionArn": EXEC_ARN, "ExecutionName": EXEC_NAME}


def test_handler_llama_input(aws, validate):
    upload(aws, ancestor_files())
    result = vi.handler(event(copy.deepcopy(LLAMA_INPUT)), None)
    assert result == validate(copy.deepcopy(LLAMA_INPUT), ancestor_files()).to_state()
    json.dumps(result)  # serialisable state


def test_handler_nova_input(aws):
    upload(aws, nova_files())
    result = vi.handler(event(copy.deepcopy(NOVA_INPUT)), None)
    assert result["ValidationData"] == {"Bucket": VALID, "Key": "nova/validation.jsonl", "ReferenceKey": None}
    assert result["TrainingDataS3Uri"] == "s3://bc-training/nova/train.jsonl"


def test_handler_reports_problems(aws):
    files = ancestor_files()
    files[A_TRAIN] = b""  # an empty S3 object cannot be read with a Range: still "is empty"
    del files[A_REF]
    upload(aws, files)
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["HyperParameters"]["learningRate"] = "1"
    with pytest.raises(InvalidInput) as caught:
        vi.handler(event(raw), None)
    assert type(caught.value).__name__ == "InvalidInput"
    lines = str(caught.value).splitlines()
    assert fields_of(lines) == {"TrainingDataFileName", "ReferenceDataFileName", "HyperParameters.learningRate"}


class _Context:
    def __init__(self, region: str) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:bc-validate-input"


def _region_lines(raw, context) -> list[str]:
    try:
        vi.handler(event(copy.deepcopy(raw)), context)
    except InvalidInput as exc:
        return [line for line in str(exc).splitlines() if "cannot be customized in" in line]
    return []


def test_handler_checks_the_model_against_aws_region(aws, monkeypatch):
    """The Lambda runtime's AWS_REGION is where the run's jobs are created: Llama 3.2 1B only in us-west-2."""
    upload(aws, ancestor_files())
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    (line,) = _region_lines(LLAMA_INPUT, _Context("us-west-2"))  # the variable wins over the ARN
    assert line.startswith(
        "BaseModelIdentifier: meta.llama3-2-1b-instruct-v1:0:128k (Meta Llama 3.2 1B Instruct) cannot be "
        "customized in us-east-1; deploy the module in us-west-2"
    )
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert _region_lines(LLAMA_INPUT, None) == []
    assert vi.handler(event(copy.deepcopy(LLAMA_INPUT)), None)["RunId"] == EXEC_NAME


def test_handler_without_aws_region_reads_the_invoked_function_arn(aws):
    upload(aws, ancestor_files())
    (line,) = _region_lines(LLAMA_INPUT, _Context("eu-west-1"))
    assert "cannot be customized in eu-west-1" in line
    assert _region_lines(LLAMA_INPUT, _Context("us-west-2")) == []
    assert vi.function_region(None) is None  # no source: the region is not checked (as before)
    assert vi.function_region(_Context("ap-south-1")) == "ap-south-1"


def test_handler_rejects_incomplete_event(aws):
    with pytest.raises(InvalidInput) as caught:
        vi.handler({"Input": ANCESTOR_INPUT}, None)
    assert fields_of(str(caught.value).splitlines()) == {"ExecutionArn", "ExecutionName"}


def test_handler_reads_a_prefix_of_large_training_files(aws, monkeypatch):
    files = ancestor_files()
    files[A_TRAIN] = jsonl(pc_rows(40)) + b'{"prompt": "broken beyond the cap\n'
    upload(aws, files)
    monkeypatch.setattr(vi, "TRAINING_READ_CAP", 2_000)
    fetched = vi.s3_fetcher(aws, 2_000)(TRAIN, "training-data.jsonl")
    assert len(fetched) == 2_000 and fetched.total_size == len(files[A_TRAIN])
    assert vi.s3_fetcher(aws, 2_000)(TRAIN, "absent.jsonl") is None
    # the prefix is well formed; what lies beyond the cap is left to Bedrock
    assert vi.handler(event(copy.deepcopy(LLAMA_INPUT)), None)["RunId"] == EXEC_NAME


def test_datasets_not_available_are_not_checked():
    """``fetch`` returning NOT_CHECKED (the CLI without a local file) skips that dataset, reports nothing."""
    raw = copy.deepcopy(LLAMA_INPUT)
    run = vi.validate_execution_input(
        raw, settings=settings(), execution_name=EXEC_NAME, execution_arn=EXEC_ARN, fetch=lambda b, k: vi.NOT_CHECKED
    )
    assert run.ValidationData.ReferenceKey is None
    raw["HyperParameters"]["epochCount"] = "0"
    with pytest.raises(InvalidInput) as caught:
        vi.validate_execution_input(
            raw,
            settings=settings(),
            execution_name=EXEC_NAME,
            execution_arn=EXEC_ARN,
            fetch=lambda b, k: vi.NOT_CHECKED,
        )
    assert str(caught.value).splitlines()[0].startswith("HyperParameters.epochCount:")
    assert len(str(caught.value).splitlines()) == 1


def test_policy_inputs_reach_the_run_context(validate):
    defaults = validate(copy.deepcopy(NOVA_INPUT), nova_files())
    assert (defaults.KeepThroughputOnWin, defaults.KeepLosingCustomModel) == (True, True)
    raw = copy.deepcopy(NOVA_INPUT)
    raw.update(KeepThroughputOnWin=False, KeepLosingCustomModel=False)
    run = validate(raw, nova_files())
    assert (run.KeepThroughputOnWin, run.KeepLosingCustomModel) == (False, False)


def test_policy_inputs_must_be_booleans(validate):
    raw = copy.deepcopy(NOVA_INPUT)
    raw["KeepThroughputOnWin"] = "no"
    with pytest.raises(InvalidInput, match="KeepThroughputOnWin"):
        validate(raw, nova_files())


# --- wording of model, hyperparameter, settings and local-file problems ---------------------------------------


def _with(**changes) -> dict:
    raw = copy.deepcopy(NOVA_INPUT)
    raw.update(changes)
    return raw


def test_model_id_without_its_context_suffix_gets_one_short_line(problem_lines):
    (line,) = problem_lines(_with(BaseModelIdentifier="amazon.nova-micro-v1:0"), nova_files())
    assert line.startswith("BaseModelIdentifier: amazon.nova-micro-v1:0 ")
    assert line.endswith("; add the context suffix: amazon.nova-micro-v1:0:128k")
    assert len(line) < 160 and "use one of" not in line


def test_on_demand_id_of_a_known_model_is_pointed_at_its_customization_id(problem_lines):
    raw = copy.deepcopy(ANCESTOR_INPUT)
    raw["BaseModelIdentifier"] = "cohere.command-light-text-v14"
    (line,) = problem_lines(raw, ancestor_files())
    assert line.endswith("did you mean cohere.command-light-text-v14:7:4k?") and len(line) < 160


def test_unknown_model_of_a_known_family_lists_only_that_family_with_the_right_article(problem_lines):
    (line,) = problem_lines(_with(BaseModelIdentifier="amazon.nova-premier-v1:0:1000k"), nova_files())
    assert "is an Amazon Nova model this module does not know" in line
    assert (
        "use one of amazon.nova-micro-v1:0:128k, amazon.nova-lite-v1:0:300k, amazon.nova-pro-v1:0:300k, "
        "amazon.nova-2-lite-v1:0:256k," in line
    )
    assert "meta." not in line and "AllowUnknownModel" in line


def test_unknown_model_lists_stay_short(problem_lines):
    for base in ("meta.llama3-4-70b-instruct-v1:0", "example.text-model-v1:0:32k"):
        (line,) = problem_lines(_with(BaseModelIdentifier=base), nova_files())
        assert len(line) < 330, line
        assert line.count(":128k") + line.count(":300k") + line.count(":4k") <= 3, line


def test_number_hyperparameter_is_also_range_checked(problem_lines):
    lines = problem_lines(_with(HyperParameters={"epochCount": 9}), nova_files())
    assert lines == [
        "HyperParameters.epochCount: is a number, but Bedrock expects every hyperparameter as a string; "
        'write it as a string: "9"',
        "HyperParameters.epochCount: is 9, outside the range Amazon Nova Micro accepts; "
        "use epochCount (a whole number from 1 to 5)",
    ]
    # in range: the type is the only problem
    (line,) = problem_lines(_with(HyperParameters={"epochCount": 2}), nova_files())
    assert line.endswith('write it as a string: "2"')


def test_problems_of_one_field_are_reported_together(problem_lines):
    raw = _with(HyperParameters={"epochCount": 9}, JobName="bad job")
    raw.pop("CustomModelName")
    lines = problem_lines(raw, nova_files())
    assert [line.split(":", 1)[0] for line in lines] == [
        "CustomModelName",
        "HyperParameters.epochCount",
        "HyperParameters.epochCount",
        "JobName",
    ]


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("SHARD_SIZE", "5000", "a whole number from 1 to 1000"),
        ("INFERENCE_MAX_CONCURRENCY", "0", "a whole number from 1 to 40"),
        ("THROUGHPUT_POLL_SECONDS", "soon", "a whole number of at least 1"),
        ("ARTIFACTS_BUCKET", "ab", "a name of 3 to 63 characters"),
    ],
)
def test_settings_out_of_range_say_the_allowed_range(name, value, allowed):
    with pytest.raises(InvalidInput) as caught:
        vi.Settings.from_env({**ENV, name: value})
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{name}: {value} is not allowed (")
    assert line.endswith(f"; set it to {allowed} in the function's environment (Terraform module)")


def _local(data: bytes, source: str) -> vi.Fetched:
    fetched = vi.Fetched(data)
    fetched.total_size = len(data)
    fetched.source = source
    return fetched


def test_local_files_are_named_by_path_s3_objects_by_key(problem_lines):
    bad = jsonl([{"id": "a", "prompt": "p", "reference": "r"}, {"id": "b", "prompt": "", "reference": "r"}])
    bad += b'{"id": "c", "prompt": "p", "reference": "r\n'
    files = nova_files()
    files[(VALID, "nova/validation.jsonl")] = bad
    s3_lines = problem_lines(copy.deepcopy(NOVA_INPUT), files)
    assert [line.split(" line")[0] for line in s3_lines] == ["ValidationDataFileName: nova/validation.jsonl"] * 2

    files[(VALID, "nova/validation.jsonl")] = _local(bad, "badval.jsonl")
    local_lines = problem_lines(copy.deepcopy(NOVA_INPUT), files)
    assert local_lines == [
        'badval.jsonl (ValidationDataFileName) line 2: empty "prompt"; give every record a non-empty "prompt" string',
        "badval.jsonl (ValidationDataFileName) line 3: not valid JSON (Unterminated string starting at column 41); "
        'write one {"id": ..., "prompt": ..., "reference": ...} object per line',
    ]


def test_local_reference_file_is_named_in_a_cross_file_problem(problem_lines):
    files = ancestor_files()
    files[A_REF] = _local(json.dumps(["one", "two"]).encode(), "refs.json")
    (line,) = problem_lines(copy.deepcopy(LLAMA_INPUT), files)
    assert line.startswith("refs.json (ReferenceDataFileName) has 2 references but validation-data.json has 5")


def test_policy_is_checked_with_every_other_problem_and_carried_to_the_run_context(validate, problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["JobName"] = "bad job"
    raw["Evaluation"] = {"Policy": {"Guards": [{"Metric": "F1", "MaxLoss": 0.01}, {"Metric": "BLEU", "MaxLoss": 2}]}}
    lines = problem_lines(raw, ancestor_files())
    assert fields_of(lines) == {
        "JobName",
        "Evaluation.Policy.Guards[1].Metric",
        "Evaluation.Policy.Guards[1].MaxLoss",
    }, lines
    raw["JobName"] = LLAMA_INPUT["JobName"]
    raw["Evaluation"]["Policy"]["Guards"] = [{"Metric": "F1", "MaxLoss": 0.01}, {"Metric": "chrF", "MaxLoss": 0.02}]
    lines = problem_lines(raw, ancestor_files())
    assert fields_of(lines) == {"Evaluation.Policy.Guards[0].Metric"} and "primary metric" in lines[0], lines
    raw["Evaluation"]["Policy"] = {"Primary": "ROUGE-L", "Guards": [{"Metric": "F1", "MaxLoss": 0.01}]}
    run = validate(raw, ancestor_files()).to_state()
    assert run["Evaluation"]["Policy"] == {"Primary": "ROUGE-L", "Guards": [{"Metric": "F1", "MaxLoss": 0.01}]}
    assert "Policy" not in validate(copy.deepcopy(LLAMA_INPUT), ancestor_files()).to_state()["Evaluation"]


# --- the region the run customizes in ---------------------------------------------------------------------


def test_model_is_checked_against_the_region_with_every_other_problem(validate):
    raw = copy.deepcopy(LLAMA_INPUT)
    raw["HyperParameters"]["epochCount"] = "0"
    with pytest.raises(InvalidInput) as caught:
        validate(raw, ancestor_files(), "us-east-1")
    lines = str(caught.value).splitlines()
    assert lines[0] == (
        "BaseModelIdentifier: meta.llama3-2-1b-instruct-v1:0:128k (Meta Llama 3.2 1B Instruct) cannot be "
        "customized in us-east-1; deploy the module in us-west-2, where it can be, or pick a model customizable "
        "in us-east-1, e.g. amazon.nova-micro-v1:0:128k"
    )
    assert fields_of(lines) == {"BaseModelIdentifier", "HyperParameters.epochCount"}


def test_model_in_its_region_and_unchecked_region_pass(validate):
    assert validate(copy.deepcopy(LLAMA_INPUT), ancestor_files(), "us-west-2").RunId == EXEC_NAME
    assert validate(copy.deepcopy(NOVA_INPUT), nova_files(), "us-east-1").RunId == EXEC_NAME
    assert validate(copy.deepcopy(LLAMA_INPUT), ancestor_files(), None).RunId == EXEC_NAME


def test_region_without_any_customizable_model_names_only_where_the_model_is(validate):
    with pytest.raises(InvalidInput) as caught:
        validate(copy.deepcopy(NOVA_INPUT), nova_files(), "eu-west-1")
    (line,) = str(caught.value).splitlines()
    assert line.endswith("cannot be customized in eu-west-1; deploy the module in us-east-1, where it can be")


# --- distillation ---------------------------------------------------------------------------------------------


def _distill(**distillation):
    raw = copy.deepcopy(NOVA_INPUT) | {"CustomizationType": "DISTILLATION", "HyperParameters": {}}
    if distillation:
        raw["Distillation"] = distillation
    files = nova_files()
    files[(TRAIN, "nova/train.jsonl")] = jsonl(
        [
            {
                "schemaVersion": "bedrock-conversation-2024",
                "messages": [{"role": "user", "content": [{"text": f"q{i}"}]}],
            }
            for i in range(120)
        ]
    )
    return raw, files


def test_distillation_builds_the_customization_config(validate):
    raw, files = _distill(TeacherModelIdentifier="us.amazon.nova-premier-v1:0", MaxResponseLengthForInference=1000)
    run = validate(raw, files)
    assert run.CustomizationType == "DISTILLATION"
    assert run.to_state()["CustomizationConfig"] == {
        "DistillationConfig": {
            "TeacherModelConfig": {
                "TeacherModelIdentifier": "us.amazon.nova-premier-v1:0",
                "MaxResponseLengthForInference": 1000,
            }
        }
    }
    assert not any(w.field == "CustomizationType" for w in run.warnings)  # no "will fail" warning any more
    raw, files = _distill(TeacherModelIdentifier="amazon.nova-pro-v1:0")
    assert validate(raw, files).CustomizationConfig == {
        "DistillationConfig": {"TeacherModelConfig": {"TeacherModelIdentifier": "amazon.nova-pro-v1:0"}}
    }


def test_distillation_without_a_teacher_or_with_an_unpaired_one_is_refused(problem_lines):
    raw, files = _distill()
    (line,) = problem_lines(raw, files)
    assert line.startswith("Distillation: is missing: a DISTILLATION job needs a teacher model; add it, e.g. ")
    raw, files = _distill(TeacherModelIdentifier="amazon.nova-lite-v1:0")
    (line,) = problem_lines(raw, files)
    assert line == (
        "Distillation.TeacherModelIdentifier: amazon.nova-lite-v1:0 is not a distillation teacher this module "
        "knows; use a teacher paired with Amazon Nova Micro: amazon.nova-premier-v1:0, amazon.nova-pro-v1:0 "
        "(or its us. inference profile)"
    )
    raw, files = _distill(TeacherModelIdentifier="amazon.nova-pro-v1:0", Temperature=1)
    assert fields_of(problem_lines(raw, files)) == {"Distillation.Temperature"}


def test_distillation_for_a_student_without_a_known_pair_is_refused_at_validate_input(problem_lines):
    raw = copy.deepcopy(LLAMA_INPUT) | {
        "CustomizationType": "DISTILLATION",
        "Distillation": {"TeacherModelIdentifier": "us.meta.llama3-1-405b-instruct-v1:0"},
    }
    lines = problem_lines(raw, ancestor_files())
    assert "CustomizationType: DISTILLATION is not offered for Meta Llama 3.2 1B Instruct; use FINE_TUNING" in lines
    assert "Distillation.TeacherModelIdentifier" in fields_of(lines)


def test_distillation_settings_without_distillation_type_are_ignored_with_a_warning(validate):
    raw = copy.deepcopy(NOVA_INPUT) | {"Distillation": {"TeacherModelIdentifier": "amazon.nova-pro-v1:0"}}
    run = validate(raw, nova_files())
    assert run.CustomizationConfig is None
    assert [str(w) for w in run.warnings] == [
        'Distillation: is ignored: CustomizationType is FINE_TUNING; set CustomizationType to "DISTILLATION" '
        "to distill, or leave Distillation out"
    ]
