"""tools/asl_mutation.py and tools/run_mutmut.py (make mutation): the mutants they make and where they run."""

from __future__ import annotations

import json
import re
import runpy
import sys
import tomllib
from pathlib import Path

import pytest

from bedrock_customize.emulator.render import placeholders, render_file

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import asl_mutation  # noqa: E402
import run_mutmut  # noqa: E402


def test_every_operator_makes_mutants_of_both_templates_and_the_event_pattern():
    mutants = asl_mutation.all_mutants()
    operators = {m.operator for m in mutants}
    assert operators == {
        "remove-catch",
        "remove-error-name",
        "remove-retry",
        "choice",
        "result-path",
        "concurrency",
        "event-status",
    }
    assert {m.file for m in mutants} == {*asl_mutation.TEMPLATES.values(), asl_mutation.EVENT_PATTERN}
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:  # one change each: the mutant differs from the template it came from
        assert m.document != asl_mutation._load(m.file), m.description


def test_the_sample_is_deterministic_and_spans_the_operators():
    mutants = asl_mutation.all_mutants()
    first = [m.id for m in asl_mutation.sample(asl_mutation.all_mutants(), 21, seed=15)]
    assert first == [m.id for m in asl_mutation.sample(asl_mutation.all_mutants(), 21, seed=15)]
    assert first != [m.id for m in asl_mutation.sample(asl_mutation.all_mutants(), 21, seed=16)]
    assert len(first) == 21
    assert {m.operator for m in mutants if m.id in first} == {m.operator for m in mutants}


def test_a_mutant_module_renders_with_the_same_variables(tmp_path):
    mutants = asl_mutation.all_mutants()
    picked = {m.operator: m for m in mutants}  # one of each operator
    for mutant in picked.values():
        target = tmp_path / mutant.operator
        asl_mutation.write_mutant(target, mutant)
        assert (target / "main.tf").is_file() and (target / "modules" / "evaluation" / "main.tf").is_file()
        text = (target / mutant.file).read_text(encoding="utf-8")
        original = (ROOT / mutant.file).read_text(encoding="utf-8")
        assert placeholders(text) == placeholders(original)
        rendered = render_file(target / mutant.file, {name: "arn:aws:x" for name in placeholders(text)})
        assert rendered != render_file(ROOT / mutant.file, {name: "arn:aws:x" for name in placeholders(original)})


def test_a_choice_mutant_changes_one_comparison():
    [mutant] = [m for m in asl_mutation.all_mutants() if m.operator == "choice" and "Decide:" in m.description][:1]
    before = json.dumps(asl_mutation._load(mutant.file)["States"]["Decide"], sort_keys=True)
    after = json.dumps(mutant.document["States"]["Decide"], sort_keys=True)
    assert before != after and len(before.split()) == len(after.split())


def test_tests_are_chosen_by_the_states_they_entered():
    recorded = {
        "tests": {
            "a::slow": {"entered": {"customize": ["GetThroughput", "ReleaseAfterFailure"]}, "duration": 9.0},
            "a::fast": {"entered": {"customize": ["GetThroughput", "ReleaseAfterFailure"]}, "duration": 1.0},
            "a::other": {"entered": {"customize": ["GetThroughput"]}, "duration": 0.5},
            "tests/workflow/test_run_stopped.py::x": {"entered": {}, "duration": 2.0},
        }
    }
    catch = asl_mutation.Mutant("m", "remove-catch", "t", "d", "customize", "GetThroughput", ["ReleaseAfterFailure"])
    assert asl_mutation.select_tests(catch, recorded, 4) == ["a::fast", "a::slow"]
    assert asl_mutation.select_tests(catch, recorded, 1) == ["a::fast"]
    retry = asl_mutation.Mutant("m", "remove-retry", "t", "d", "customize", "GetThroughput")
    assert asl_mutation.select_tests(retry, recorded, 4) == ["a::other", "a::fast", "a::slow"]
    event = asl_mutation.Mutant("m", "event-status", "e", "d", None, None)
    assert asl_mutation.select_tests(event, recorded, 4) == ["tests/workflow/test_run_stopped.py::x"]


def test_a_catch_runs_first_the_tests_in_which_it_fired_and_a_choice_those_that_took_its_branch():
    entered = {"customize": ["Decide", "GetThroughput", "KeepThroughput", "ReleaseAfterFailure"]}
    recorded = {
        "tests": {
            "a::fast": {"entered": entered, "duration": 1.0},
            "a::caught": {"entered": entered, "caught": {"customize": ["GetThroughput"]}, "duration": 5.0},
            "a::branch": {"entered": entered, "pairs": {"customize": ["Decide>KeepThroughput"]}, "duration": 9.0},
        }
    }
    catch = asl_mutation.Mutant("m", "remove-catch", "t", "d", "customize", "GetThroughput", ["ReleaseAfterFailure"])
    assert asl_mutation.select_tests(catch, recorded, 1) == ["a::caught"]
    choice = asl_mutation.Mutant("m", "choice", "t", "d", "customize", "Decide", ["KeepThroughput"])
    assert asl_mutation.select_tests(choice, recorded, 1) == ["a::branch"]


def test_a_concurrency_bound_runs_first_the_guard_test_named_for_it():
    guards = asl_mutation.GUARD_TESTS
    entered = {"evaluate": ["Shards"]}
    recorded = {
        "tests": {
            f"{guards}::test_fast": {"entered": entered, "duration": 1.0},
            f"{guards}::test_the_map_keeps_to_its_concurrency": {"entered": entered, "duration": 5.0},
            "a::concurrency_elsewhere": {"entered": entered, "duration": 0.5},
        }
    }
    bound = asl_mutation.Mutant("m", "concurrency", "t", "d", "evaluate", "Shards")
    assert asl_mutation.select_tests(bound, recorded, 1) == [f"{guards}::test_the_map_keeps_to_its_concurrency"]


def test_a_catch_that_fired_is_read_from_the_history():
    history = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Retried"}},
        {"type": "LambdaFunctionFailed"},
        {"type": "LambdaFunctionScheduled"},
        {"type": "LambdaFunctionSucceeded"},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Retried"}},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Caught"}},
        {"type": "TaskFailed"},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Caught"}},
    ]
    assert asl_mutation._caught(history) == ["Caught"]


def test_the_mutmut_staging_config_keeps_to_existing_modules_and_tests():
    config = run_mutmut.staged_config(None)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    assert set(config["only_mutate"]) <= set(declared["only_mutate"])
    assert "src/workflow_lambdas/release_throughput.py" in config["only_mutate"]
    assert all((ROOT / t).is_file() for t in config["pytest_add_cli_args_test_selection"])
    assert ["-m", "not slow"] != config["pytest_add_cli_args"][-2:]  # scoring is in: its slow tests run
    narrow = run_mutmut.staged_config(["stats"])
    assert narrow["only_mutate"] == ["src/bertscore_evaluator/stats.py"]
    assert narrow["pytest_add_cli_args"][-2:] == ["-m", "not slow"]
    with pytest.raises(SystemExit, match="--only nothing"):
        run_mutmut.staged_config(["nothing"])


def test_the_scripts_have_a_main():
    for script in ("asl_mutation.py", "run_mutmut.py"):
        assert callable(runpy.run_path(str(ROOT / "tools" / script))["main"])


def test_every_equivalent_mutant_is_a_mutant_with_a_reason():
    descriptions = {m.description for m in asl_mutation.all_mutants()}
    for description, reason in asl_mutation.EQUIVALENT.items():
        assert description in descriptions, f"stale EQUIVALENT entry: {description}"
        assert len(reason.split()) >= 5, f"no reason given for {description}"


def test_every_equivalent_mutmut_mutant_names_a_mutated_function_and_a_reason():
    mutated = {run_mutmut._stem(s): s for s in run_mutmut.staged_config(None)["only_mutate"]}
    for name, reason in run_mutmut.EQUIVALENT.items():
        # mutmut's names: <package>.<module path>.x_<function>__mutmut_<n>, a method as xǁ<Class>ǁ<method>
        found = re.fullmatch(
            r"(workflow_lambdas|bertscore_evaluator)\.([\w.]+)\.x(?:_(\w+?)|ǁ(\w+)ǁ(\w+))__mutmut_\d+", name
        )
        assert found, f"not a mutmut mutant name: {name}"
        package, module, function, cls, method = found.groups()
        parts = module.split(".")
        assert parts[0] in mutated or parts[-1] in mutated, f"{name}: {module} is not in [tool.mutmut] only_mutate"
        source = (ROOT / ("lambdas" if package == "workflow_lambdas" else "evaluator") / package).joinpath(*parts)
        text = source.with_suffix(".py").read_text(encoding="utf-8")
        if function is not None:
            assert re.search(rf"^def {function}\(", text, re.MULTILINE), name
        else:
            body = re.search(rf"^class {cls}\b.*?(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
            assert body and re.search(rf"^    def {method}\(", body.group(0), re.MULTILINE), name
        assert len(reason.split()) >= 5, f"no reason given for {name}"


def test_a_resumed_run_forgets_only_the_timed_out_results(tmp_path):
    meta = tmp_path / "src" / "pkg" / "mod.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"pkg.mod.x_f__mutmut_1": 1, "pkg.mod.x_f__mutmut_2": 36, "pkg.mod.x_f__mutmut_3": 0}
    codes |= {"pkg.mod.x_f__mutmut_4": -24, "pkg.mod.x_f__mutmut_5": None}
    meta.write_text(json.dumps({"exit_code_by_key": codes, "durations_by_key": {}}), encoding="utf-8")
    assert run_mutmut.reset_results(tmp_path) == 2
    after = json.loads(meta.read_text(encoding="utf-8"))
    assert after["exit_code_by_key"] == {**codes, "pkg.mod.x_f__mutmut_2": None, "pkg.mod.x_f__mutmut_4": None}
    assert after["durations_by_key"] == {}

    assert run_mutmut.reset_results(tmp_path, {1, 0}) == 2
    assert set(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].values()) == {None}


def test_a_resumed_run_takes_the_new_tests_and_drops_only_the_changed_sources_results(tmp_path, monkeypatch):
    root, stage = tmp_path / "checkout", tmp_path / "checkout" / "build" / "mutation"
    real = root / "pkg"
    for name, text in {"same.py": "A = 1\n", "edited.py": "B = 2\n"}.items():
        (real / name).parent.mkdir(parents=True, exist_ok=True)
        (real / name).write_text(text)
        (stage / "src" / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / "src" / "pkg" / name).write_text("B = 1\n" if name == "edited.py" else text)
        for suffix in ("", ".meta"):
            (stage / "mutants" / "src" / "pkg" / f"{name}{suffix}").parent.mkdir(parents=True, exist_ok=True)
            (stage / "mutants" / "src" / "pkg" / f"{name}{suffix}").write_text("{}")
    (root / "tests").mkdir()
    (root / "tests" / "test_new.py").write_text("def test_new(): pass\n")
    (stage / "mutants" / "tests").mkdir(parents=True)
    (stage / "mutants" / "tests" / "test_gone.py").write_text("")
    monkeypatch.setattr(run_mutmut, "ROOT", root)
    monkeypatch.setattr(run_mutmut, "STAGING", stage)
    monkeypatch.setattr(run_mutmut, "PACKAGES", {"src/pkg": real})
    monkeypatch.setattr(run_mutmut, "SCRIPTS", ())
    assert run_mutmut.refresh_staging() == ["src/pkg/edited.py"]
    assert (stage / "src" / "pkg" / "edited.py").read_text() == "B = 2\n"
    assert not (stage / "mutants" / "src" / "pkg" / "edited.py.meta").exists()
    assert (stage / "mutants" / "src" / "pkg" / "same.py.meta").exists()
    assert [p.name for p in (stage / "tests").iterdir()] == ["test_new.py"]
    assert not (stage / "mutants" / "tests").exists()  # mutmut copies the tests in again
