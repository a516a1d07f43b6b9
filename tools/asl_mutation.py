"""Mutation testing of the state machine templates and the run-stopped event pattern.

Each mutant is one realistic slip in ``statemachine.asl.json.tftpl`` (the parent),
``modules/evaluation/statemachine.asl.json.tftpl`` (the evaluation child) or
``run-stopped.event-pattern.json.tftpl``:

- ``remove-catch``        a ``Catch`` entry dropped;
- ``remove-error-name``   one name dropped from an ``ErrorEquals`` with more than one;
- ``remove-retry``        a ``Retry`` entry dropped;
- ``choice``              a Choice comparison changed (``NumericGreaterThanEquals(Path)`` -> ``NumericGreaterThan``,
                          ``BooleanEquals``/``IsPresent``/``IsNull`` flipped, a ``StringEquals`` value changed);
- ``result-path``         a state's or a Catch's ``ResultPath`` changed to a path nothing reads;
- ``concurrency``         a Map's ``MaxConcurrencyPath``/``MaxConcurrency`` dropped;
- ``event-status``        one status value dropped from the event pattern.

The emulator renders the templates of the module directory ``BEDROCK_CUSTOMIZE_MODULE_DIR`` points at (as
``paths.module_root`` reads it), so a mutant is a copy of the module's Terraform and templates with one template
changed, and the workflow tests run against it. Which tests: the first run records, per workflow test, the states
its executions entered (this file is also the pytest plugin that records them, ``-p asl_mutation``); the map is
cached in ``build/asl_mutation/`` and rebuilt when a template or a workflow test changes. A mutant then runs the
fastest ``--tests`` tests that entered the mutated state (for a Catch: that also entered its handler), with
``-x``; first those that exercise it: for a Retry or a concurrency bound the guard tests, for a Catch the tests
in which it fired, for a Choice rule those that took its branch. A mutant no test reaches survives. A fixed,
seeded sample of ``--max`` mutants keeps it practical on 2 cores.

    python tools/asl_mutation.py --list              # every mutant, no tests run
    python tools/asl_mutation.py --max 40 --seed 15  # make mutation
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "asl_mutation"
TEMPLATES = {
    "customize": "statemachine.asl.json.tftpl",
    "evaluate": "modules/evaluation/statemachine.asl.json.tftpl",
}
EVENT_PATTERN = "run-stopped.event-pattern.json.tftpl"
# The workflow tests the map is recorded from (the fault matrix first: it asserts the most per run).
PROBE_TESTS = [
    "tests/workflow/test_fault_matrix.py",
    "tests/workflow/test_asl_guards.py",
    "tests/workflow/test_run_stopped.py",
    "tests/workflow/test_fanout.py",
    "tests/workflow/test_sweep_faults.py",
    "tests/workflow/test_on_demand.py",
]
GUARD_TESTS = "tests/workflow/test_asl_guards.py"
# What a guard test is named for when it injects the fault an operator's guard is there for (run first).
NAMED_FOR = {"remove-retry": "transient", "remove-error-name": "transient", "concurrency": "concurrency"}
# The event pattern decides which stopped runs reach release_stopped_run: its tests.
EVENT_TESTS = ["tests/workflow/test_run_stopped.py"]
MAP_ENV = "ASL_MUTATION_MAP_OUT"
MAP_FORMAT = "2:"  # the cached map's layout (2: with the pairs of states entered in turn, the Catches that fired)
# Mutants no behaviour can tell from the templates (by description, which survives renumbering), each with
# its reason. They are not run, they are listed separately and left out of asl_killed: never silently dropped.
EQUIVALENT: dict[str, str] = {
    "customize TrainCandidates: Catch[0] ['States.ALL'] removed": (
        "no catchable error leaves a candidate's iteration: each of its Tasks catches States.ALL (its release's "
        "Catch too) and its Pass and Choice states fail only with States.Runtime, which States.ALL does not catch "
        "on the service (Step Functions guide, error names); moto would catch it, so an emulated test would "
        "prove moto, not AWS"
    ),
}


# -- mutants -----------------------------------------------------------------------------------------------------


@dataclass
class Mutant:
    id: str
    operator: str
    file: str  # repo-relative template
    description: str
    workflow: str | None  # "customize" / "evaluate"; None: the event pattern
    state: str | None  # the state whose entry makes the mutant reachable
    also: list[str] = field(default_factory=list)  # states that must be entered too (a Catch's handler)
    document: dict[str, Any] = field(default_factory=dict, repr=False)


def _states(states: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path for the description, state name, state) of every state, nested ones included."""
    for name, state in states.items():
        yield prefix + name, name, state
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key]["States"], f"{prefix}{name}/")
        for branch in state.get("Branches", []):
            yield from _states(branch["States"], f"{prefix}{name}/")


def _find(document: dict[str, Any], path: str) -> dict[str, Any]:
    """The state at ``path`` (``Map/Inner``) in a copy of the document."""
    states = document["States"]
    parts = path.split("/")
    for part in parts[:-1]:
        outer = states[part]
        inner = outer.get("ItemProcessor") or outer.get("Iterator")
        states = inner["States"]
    return states[parts[-1]]


def _rules(choice: dict[str, Any], trail: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every comparison of a Choice rule, nested ``And``/``Or``/``Not`` included."""
    for key in ("And", "Or"):
        for i, sub in enumerate(choice.get(key, [])):
            yield from _rules(sub, f"{trail}{key}[{i}].")
    if "Not" in choice:
        yield from _rules(choice["Not"], f"{trail}Not.")
    if not any(k in choice for k in ("And", "Or", "Not")):
        yield trail, choice


NUMERIC_OFF_BY_ONE = {
    "NumericGreaterThanEquals": "NumericGreaterThan",
    "NumericGreaterThanEqualsPath": "NumericGreaterThanPath",
    "NumericGreaterThan": "NumericGreaterThanEquals",
    "NumericGreaterThanPath": "NumericGreaterThanEqualsPath",
    "NumericLessThan": "NumericLessThanEquals",
    "NumericLessThanPath": "NumericLessThanEqualsPath",
    "NumericLessThanEquals": "NumericLessThan",
    "NumericLessThanEqualsPath": "NumericLessThanPath",
}
FLIPPED = ("BooleanEquals", "IsPresent", "IsNull", "IsString", "IsNumeric", "IsBoolean")
WRONG_RESULT_PATH = "$.mutant_result"


def _template_mutants(workflow: str, rel: str, original: dict[str, Any]) -> Iterator[Mutant]:
    def mutant(operator: str, path: str, description: str, change, also: list[str] | None = None) -> Mutant:
        document = copy.deepcopy(original)
        change(_find(document, path))
        name = path.rsplit("/", 1)[-1]
        return Mutant(
            id="",
            operator=operator,
            file=rel,
            description=f"{workflow} {path}: {description}",
            workflow=workflow,
            state=name,
            also=also or [],
            document=document,
        )

    for path, _name, state in _states(original["States"]):
        for kind in ("Catch", "Retry"):
            for i, entry in enumerate(state.get(kind, [])):
                names = entry.get("ErrorEquals", [])
                handler = [entry["Next"]] if kind == "Catch" and "Next" in entry else []
                yield mutant(
                    f"remove-{kind.lower()}",
                    path,
                    f"{kind}[{i}] {names} removed",
                    lambda s, kind=kind, i=i: _remove_entry(s, kind, i),
                    handler,
                )
                if len(names) > 1:
                    for error in names:
                        yield mutant(
                            "remove-error-name",
                            path,
                            f"{kind}[{i}] ErrorEquals without {error}",
                            lambda s, kind=kind, i=i, error=error: s[kind][i]["ErrorEquals"].remove(error),
                            handler,
                        )
                if kind == "Catch" and "ResultPath" in entry:
                    yield mutant(
                        "result-path",
                        path,
                        f"Catch[{i}] {names} ResultPath {entry['ResultPath']} -> {WRONG_RESULT_PATH}",
                        lambda s, i=i: s["Catch"][i].__setitem__("ResultPath", WRONG_RESULT_PATH),
                        handler,
                    )
        if "ResultPath" in state and state["ResultPath"] != WRONG_RESULT_PATH:
            yield mutant(
                "result-path",
                path,
                f"ResultPath {state['ResultPath']} -> {WRONG_RESULT_PATH}",
                lambda s: s.__setitem__("ResultPath", WRONG_RESULT_PATH),
            )
        for key in ("MaxConcurrencyPath", "MaxConcurrency"):
            if key in state:
                yield mutant("concurrency", path, f"{key} removed", lambda s, key=key: s.pop(key))
        for c, choice in enumerate(state.get("Choices", [])):
            branch = [choice["Next"]] if "Next" in choice else []  # the tests that took this branch
            for trail, rule in _rules(choice):
                where = f"Choices[{c}].{trail}"
                for op, value in list(rule.items()):
                    if op in NUMERIC_OFF_BY_ONE:
                        new = NUMERIC_OFF_BY_ONE[op]

                        def swap(s, c=c, trail=trail, op=op, new=new):
                            target = _rule_at(s["Choices"][c], trail)
                            target[new] = target.pop(op)

                        yield mutant("choice", path, f"{where}{op} -> {new} ({rule.get('Variable')})", swap, branch)
                    elif op in FLIPPED and isinstance(value, bool):

                        def flip(s, c=c, trail=trail, op=op):
                            target = _rule_at(s["Choices"][c], trail)
                            target[op] = not target[op]

                        variable = rule.get("Variable")
                        yield mutant("choice", path, f"{where}{op} {value} -> {not value} ({variable})", flip, branch)
                    elif op == "StringEquals":

                        def rename(s, c=c, trail=trail):
                            target = _rule_at(s["Choices"][c], trail)
                            target["StringEquals"] = target["StringEquals"] + "_MUTANT"

                        described = f"{where}StringEquals {value!r} -> {value + '_MUTANT'!r}"
                        yield mutant("choice", path, described, rename, branch)


def _remove_entry(state: dict[str, Any], kind: str, index: int) -> None:
    state[kind].pop(index)
    if not state[kind]:
        del state[kind]


def _rule_at(choice: dict[str, Any], trail: str) -> dict[str, Any]:
    target = choice
    for step in filter(None, trail.split(".")):
        if step == "Not":
            target = target["Not"]
        else:
            key, _, index = step.partition("[")
            target = target[key][int(index.rstrip("]"))]
    return target


def _event_mutants(original: dict[str, Any]) -> Iterator[Mutant]:
    for status in original["detail"]["status"]:
        document = copy.deepcopy(original)
        document["detail"]["status"].remove(status)
        description = f"event pattern without status {status}"
        yield Mutant("", "event-status", EVENT_PATTERN, description, None, None, [], document)


def all_mutants() -> list[Mutant]:
    found: list[Mutant] = []
    for workflow, rel in TEMPLATES.items():
        found.extend(_template_mutants(workflow, rel, _load(rel)))
    found.extend(_event_mutants(_load(EVENT_PATTERN)))
    for i, m in enumerate(found):
        m.id = f"{m.operator}#{i}"
    return found


def _load(rel: str) -> dict[str, Any]:
    # The templates are JSON before rendering: every ${placeholder} sits inside a string.
    return json.loads((ROOT / rel).read_text(encoding="utf-8"))


def sample(mutants: list[Mutant], max_count: int | None, seed: int) -> list[Mutant]:
    """A deterministic subset: every operator represented in proportion, the same for the same seed."""
    if max_count is None or max_count >= len(mutants):
        return mutants
    by_operator: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_operator.setdefault(m.operator, []).append(m)
    rng = random.Random(seed)
    for group in by_operator.values():
        rng.shuffle(group)
    picked: list[Mutant] = []
    while len(picked) < max_count:  # round robin over the operators
        for group in by_operator.values():
            if group and len(picked) < max_count:
                picked.append(group.pop())
    return sorted(picked, key=lambda m: int(m.id.rsplit("#", 1)[1]))


# -- the module copy a mutant runs against -----------------------------------------------------------------------


def module_copy(target: Path) -> Path:
    """The module's Terraform and templates (all the emulator reads from the module directory)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in ROOT.glob("*.tf"):
        shutil.copy2(path, target / path.name)
    for path in ROOT.glob("*.tftpl"):
        shutil.copy2(path, target / path.name)
    shutil.copytree(ROOT / "modules", target / "modules", ignore=shutil.ignore_patterns(".terraform", "__pycache__"))
    return target


def write_mutant(target: Path, mutant: Mutant) -> None:
    module_copy(target)
    (target / mutant.file).write_text(json.dumps(mutant.document, indent=2) + "\n", encoding="utf-8")


# -- the state map: which test enters which state ----------------------------------------------------------------


def _digest(*rels: str) -> str:
    digest = hashlib.sha256()
    for rel in rels:
        path = ROOT / rel
        if path.exists():
            digest.update(rel.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _pytest(args: list[str], env: dict[str, str], quiet: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "asl_mutation", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=quiet, text=True)


def _env(**extra: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(filter(None, [str(ROOT / "tools"), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=pythonpath, **extra)


def _record(targets: list[str], workers: int) -> dict[str, Any]:
    out = WORK / "map_records"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    print(f"recording which workflow test enters which state: {len(targets)} files or tests ...", flush=True)
    started = time.monotonic()
    xdist = ["-n", str(workers)] if workers > 1 and len(targets) > 1 else []
    proc = _pytest([*xdist, *targets], _env(**{MAP_ENV: str(out)}))
    records: dict[str, Any] = {}
    for path in out.glob("*.json"):
        records.update(json.loads(path.read_text(encoding="utf-8")))
    failed = sorted(n for n, r in records.items() if not r["passed"])
    print(f"  {len(records)} tests recorded in {time.monotonic() - started:.0f} s", end="")
    print(f"; {len(failed)} failed on the unmutated templates and are not used: {failed}" if failed else "")
    if not records:
        print(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit("no workflow test ran on the unmutated templates")
    return records


def state_map(workers: int, rerecord_failed: bool = False) -> dict[str, Any]:
    """Per workflow test: the states its executions entered, its duration, whether it passed unmutated.

    Cached per test file; a file is recorded again when it changes, all of them when a template does;
    ``rerecord_failed``: the tests that failed when recorded are recorded again."""
    cache = WORK / "state_map.json"
    support = ("tests/workflow/conftest.py", "tests/workflow/workflow_support.py")
    shared = MAP_FORMAT + _digest(*TEMPLATES.values(), EVENT_PATTERN, *support)
    cached = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    files = cached.get("files", {}) if cached.get("shared") == shared else {}
    stale = [t for t in PROBE_TESTS if (ROOT / t).exists() and files.get(t, {}).get("digest") != _digest(t)]
    failed = [
        n
        for rel, f in files.items()
        if rel in PROBE_TESTS and rel not in stale
        for n, r in f["tests"].items()
        if not r["passed"] and rerecord_failed
    ]
    if stale or failed:
        records = _record(stale + failed, workers)
        for rel in stale:
            tests = {n: r for n, r in records.items() if n.split("::", 1)[0] == rel}
            files[rel] = {"digest": _digest(rel), "tests": tests}
        for nodeid in failed:
            if nodeid in records:
                files[nodeid.split("::", 1)[0]]["tests"][nodeid] = records[nodeid]
        WORK.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"shared": shared, "files": files}, indent=1, sort_keys=True), encoding="utf-8")
    tests = {n: r for rel, f in files.items() if rel in PROBE_TESTS for n, r in f["tests"].items() if r["passed"]}
    return {"tests": tests}


def select_tests(mutant: Mutant, recorded: dict[str, Any], limit: int) -> list[str]:
    tests = recorded["tests"]
    if mutant.workflow is None:
        chosen = [n for n in tests if n.split("::", 1)[0] in EVENT_TESTS]
    else:
        need = [mutant.state, *mutant.also]
        chosen = [n for n, r in tests.items() if all(s in r["entered"].get(mutant.workflow, []) for s in need)]
        if not chosen and mutant.also:  # no test reaches the handler: the tests that enter the state
            chosen = [n for n, r in tests.items() if mutant.state in r["entered"].get(mutant.workflow, [])]
    # A Retry or a concurrency bound is only exercised by the fault it is there for: the tests written for the
    # guards first (test_asl_guards.py), those named for the fault first (NAMED_FOR). A Catch, likewise, by a
    # test in which it fired, a Choice rule by one that took its branch; then the fastest that took the path.
    guards_first = mutant.operator in ("remove-retry", "remove-error-name", "concurrency")
    workflow = mutant.workflow or ""

    def took_it(n: str) -> bool:
        if not mutant.workflow or not mutant.also:
            return True
        if mutant.operator == "choice":
            return f"{mutant.state}>{mutant.also[0]}" in tests[n].get("pairs", {}).get(workflow, [])
        return mutant.state in tests[n].get("caught", {}).get(workflow, [])

    def order(n: str) -> tuple[bool, bool, bool, float, str]:
        guard = n.split("::", 1)[0] == GUARD_TESTS
        named = NAMED_FOR.get(mutant.operator, "\0") in n
        return (guards_first and not guard, not named, not took_it(n), tests[n]["duration"], n)

    chosen.sort(key=order)
    return chosen[:limit]


# -- the pytest plugin (-p asl_mutation) that records the map --------------------------------------------------


_current: dict[str, Any] = {"nodeid": None}
_records: dict[str, Any] = {}


def pytest_configure(config: Any) -> None:
    if not os.environ.get(MAP_ENV):
        return
    from bedrock_customize.emulator import Emulator, distributed_map

    original_entered = Emulator.entered_states
    original_iterations = distributed_map.iteration_states

    def record(arn: str, names: list[str], caught: list[str] | None = None) -> None:
        nodeid = _current["nodeid"]
        if nodeid is None:
            return
        machine = arn.split(":")[6] if arn.count(":") >= 7 else ""
        workflow = "evaluate" if machine.endswith("evaluate") else "customize"
        entry = _records.setdefault(nodeid, _new_record())
        entry["entered"].setdefault(workflow, set()).update(names)
        if caught is not None:
            # A state and the one entered right after it: a Choice branch taken (iterations of an inline Map
            # interleave, so a few pairs are spurious: a preference only); the states whose Catch fired.
            entry["pairs"].setdefault(workflow, set()).update(f"{a}>{b}" for a, b in itertools.pairwise(names))
            entry["caught"].setdefault(workflow, set()).update(caught)

    def entered_states(self: Any, execution_arn: str) -> list[str]:
        names = original_entered(self, execution_arn)
        record(execution_arn, names, _caught(self.history(execution_arn)))
        return names

    def iteration_states(execution_arn: str, *args: Any, **kwargs: Any) -> Any:
        names = original_iterations(execution_arn, *args, **kwargs)
        record(execution_arn, sorted(names))
        return names

    Emulator.entered_states = entered_states  # type: ignore[method-assign]
    distributed_map.iteration_states = iteration_states


def _new_record() -> dict[str, Any]:
    return {"entered": {}, "pairs": {}, "caught": {}, "passed": True, "duration": 0.0}


def _caught(history: list[dict[str, Any]]) -> list[str]:
    """The states a Catch left: their last event before the exit is a failure (a retry schedules again)."""
    caught = []
    for before, event in itertools.pairwise(history):
        exited = event.get("stateExitedEventDetails")
        if exited and before["type"].endswith(("Failed", "TimedOut")):
            caught.append(exited["name"])
    return caught


def pytest_runtest_setup(item: Any) -> None:
    _current["nodeid"] = item.nodeid
    _records.setdefault(item.nodeid, _new_record())


def pytest_runtest_logreport(report: Any) -> None:
    if not os.environ.get(MAP_ENV) or report.nodeid not in _records:
        return
    entry = _records[report.nodeid]
    entry["duration"] += report.duration
    if report.failed or (report.when == "call" and report.skipped):
        entry["passed"] = False


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get(MAP_ENV)
    if not out:
        return
    data = {
        nodeid: {**r, **{key: {w: sorted(s) for w, s in r[key].items()} for key in ("entered", "pairs", "caught")}}
        for nodeid, r in _records.items()
    }
    Path(out, f"{os.getpid()}.json").write_text(json.dumps(data), encoding="utf-8")


# -- the run -----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max", type=int, default=None, help="run a seeded sample of this many mutants")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--tests", type=int, default=4, help="at most this many tests per mutant (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the map run")
    parser.add_argument("--operator", action="append", help="only mutants of this operator (repeatable)")
    parser.add_argument("--match", help="only mutants whose description contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--rerecord-failed", action="store_true", help="record the tests that failed unmutated again")
    args = parser.parse_args(argv)

    mutants = all_mutants()
    if args.operator:
        mutants = [m for m in mutants if m.operator in args.operator]
    if args.match:
        mutants = [m for m in mutants if args.match in m.description]
    chosen = sample(mutants, args.max, args.seed)
    if args.list:
        for m in chosen:
            print(f"{m.id:24} {m.description}")
        print(f"{len(chosen)} of {len(mutants)} mutants")
        return 0

    equivalent = [(m, EQUIVALENT[m.description]) for m in chosen if m.description in EQUIVALENT]
    chosen = [m for m in chosen if m.description not in EQUIVALENT]
    recorded = state_map(args.workers, args.rerecord_failed)
    target = WORK / "module"
    killed: list[Mutant] = []
    survived: list[tuple[Mutant, str]] = []
    print(f"{len(chosen)} of {len(mutants)} mutants (seed {args.seed}), at most {args.tests} tests each", end="")
    print(f"; {len(equivalent)} equivalent, not run" if equivalent else "")
    for n, mutant in enumerate(chosen, 1):
        tests = select_tests(mutant, recorded, args.tests)
        started = time.monotonic()
        if not tests:
            survived.append((mutant, "no recorded test enters the state"))
            print(f"[{n}/{len(chosen)}] SURVIVED {mutant.description} (no test reaches it)", flush=True)
            continue
        write_mutant(target, mutant)
        proc = _pytest(["-x", *tests], _env(BEDROCK_CUSTOMIZE_MODULE_DIR=str(target)))
        seconds = time.monotonic() - started
        if proc.returncode == 0:
            survived.append((mutant, f"{len(tests)} tests passed: {' '.join(tests)}"))
            print(f"[{n}/{len(chosen)}] SURVIVED {mutant.description} ({seconds:.0f} s)", flush=True)
        else:
            killed.append(mutant)
            print(f"[{n}/{len(chosen)}] killed   {mutant.description} ({seconds:.0f} s)", flush=True)
        print(f"  so far: {len(killed)} of {n} killed", flush=True)
    shutil.rmtree(target, ignore_errors=True)

    if survived:
        print(f"survivors ({len(survived)}):")
        for mutant, why in survived:
            print(f"  {mutant.id}: {mutant.description} — {why}")
    if equivalent:
        print(f"equivalent, not counted ({len(equivalent)}):")
        for mutant, why in equivalent:
            print(f"  {mutant.id}: {mutant.description} — {why}")
    pct = 100.0 * len(killed) / len(chosen) if chosen else 0.0
    print(f"killed {len(killed)} of {len(chosen)} ({len(equivalent)} equivalent left out)")
    print(f"result: asl_killed={pct:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
