"""Run mutmut on the money-critical and verdict modules and print ``result: python_killed=<pct>``.

The configuration is ``[tool.mutmut]`` in pyproject.toml. mutmut names a mutant after its file's path below
``./`` or ``src/`` and puts ``mutants/`` and ``mutants/src/`` first on ``sys.path``; the shipped packages live in
``lambdas/workflow_lambdas`` and ``evaluator/bertscore_evaluator``, which it would name ``lambdas.workflow_lambdas.*``
while the tests import ``workflow_lambdas.*``. So this script builds a staging copy (``build/mutation/``) with both
packages under ``src/``, the tests and pyproject.toml, and runs mutmut there. Entries of
``pytest_add_cli_args_test_selection`` and ``only_mutate`` may be globs; entries that match nothing are left out
(``validate_input.py`` and its ``validation/`` package split work either way).

    python tools/run_mutmut.py                       # every configured module
    python tools/run_mutmut.py --only release_throughput stats
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / "build" / "mutation"
# staging path -> checkout path of the packages mutmut mutates
PACKAGES = {
    "src/workflow_lambdas": ROOT / "lambdas" / "workflow_lambdas",
    "src/bertscore_evaluator": ROOT / "evaluator" / "bertscore_evaluator",
}
# scripts outside the packages that tests of the selection load from the checkout's layout
SCRIPTS = ("evaluator/fetch_model.py",)
SLOW_MODULES = {"scoring"}  # its tests load the BERTScore model (the slow mark)
KILLED = {"killed", "timeout", "caught by type check"}
NOT_COUNTED = {"skipped", "not checked"}
# Mutants no test can kill because no behaviour differs (mutmut's name -> why), listed apart and left out of
# the score. mutmut numbers a function's mutants in order: after an edit of that function, check each entry
# against the diff this script prints for it (a stale name is reported).
EQUIVALENT: dict[str, str] = {
    "bertscore_evaluator.stats.x_bootstrap_ci__mutmut_19": "np.empty(dtype=None) is np.empty's default dtype, float64",
    "bertscore_evaluator.stats.x_bootstrap_ci__mutmut_21": "np.empty without dtype is the same float64 array",
    "bertscore_evaluator.stats.x_bootstrap_ci__mutmut_46": (
        "rng.integers(n, size=...) draws from [0, n) like rng.integers(0, n, size=...), from the same stream"
    ),
    "bertscore_evaluator.stats.x_paired_differences__mutmut_7": (
        "zip(strict=None) over equal lengths: the lengths are compared (ValueError) just before the zip"
    ),
    "bertscore_evaluator.stats.x_paired_differences__mutmut_10": (
        "zip without strict over equal lengths: the lengths are compared (ValueError) just before the zip"
    ),
    "bertscore_evaluator.stats.x_paired_differences__mutmut_11": (
        "zip(strict=False) over equal lengths: the lengths are compared (ValueError) just before the zip"
    ),
    **{
        f"workflow_lambdas.release_stopped_run.x__release_one__mutmut_{n}": (
            "the run id tag's default: both callers pass only tags that carry the run id (owned, or swept by it)"
        )
        for n in (3, 5, 6)
    },
    **{
        f"workflow_lambdas.release_stopped_run.x_{fn}__mutmut_{n}": (
            "the status passed to _release_deployment only reaches its log line (log lines are not mutated)"
        )
        for fn, n in (("release_stopped_run", 92), ("sweep", 83))
    },
    **{
        f"workflow_lambdas.release_stopped_run.x_sweep__mutmut_{n}": (
            "the state machine ARN (SweepEvent's pattern) has a colon-free name after its last colon: any rsplit"
            " of it ends in that name"
        )
        for n in (6, 9, 10)
    },
    **{
        f"workflow_lambdas.release_stopped_run.x_sweep__mutmut_{n}": (
            "the state machine ARN (SweepEvent's pattern) holds ':stateMachine:' once: any replace count is the same"
        )
        for n in (18, 24)
    },
    "workflow_lambdas.resources.x_transient__mutmut_19": (
        "a missing HTTP status read as 1 instead of 0: both are below 500, so neither is transient"
    ),
    # infer
    "workflow_lambdas.infer.x_read_records__mutmut_11": "decode('UTF-8') is the same codec as decode('utf-8')",
    "workflow_lambdas.infer.x__check_not_misconfigured__mutmut_19": (
        "codes < ACCESS_CODES differs only when codes == ACCESS_CODES: four distinct errors, so len(mine) >= 2"
        " and the second clause (codes <= ACCESS_CODES | VALIDATION_CODES) holds too"
    ),
    **{
        f"workflow_lambdas.infer.x_infer_shard__mutmut_{n}": (
            "zip(cache_keys, entries) without strict=True: entries is _pool_map over list(cache_keys), one result"
            " per key"
        )
        for n in (144, 147, 148)
    },
    **{
        f"workflow_lambdas.infer.x_infer_shard__mutmut_{n}": (
            "zip(todo, results) without strict=True: run_calls returns one result (or None) per call it is given"
        )
        for n in (185, 188, 189)
    },
    # scoring
    **{
        f"bertscore_evaluator.scoring.x_{fn}__mutmut_{n}": "read_text(encoding='UTF-8') is the same codec as 'utf-8'"
        for fn, n in (("read_model_info", 9), ("local_model_type", 13))
    },
    "bertscore_evaluator.scoring.x_compute_idf__mutmut_16": "tokenizer.encode's add_special_tokens defaults to True",
    "bertscore_evaluator.scoring.x_compute_idf__mutmut_26": "(num_docs + 1) / 1 and (num_docs + 1) * 1 are one number",
    "bertscore_evaluator.scoring.x_local_model_type__mutmut_8": (
        "reading a missing config.json raises FileNotFoundError, an OSError, which returns None as is_file() does"
    ),
    "bertscore_evaluator.scoring.x_bert_score_model_path__mutmut_13": "'UTF-8' and 'utf-8' name the same codec",
    "bertscore_evaluator.scoring.x_bert_score_model_path__mutmut_14": (
        "the digest only names the link after its target: 17 hex digits of the sha256 do so as well as 16"
    ),
    **{
        f"bertscore_evaluator.scoring.x_bert_score_model_path__mutmut_{n}": (
            "symlink_to's target_is_directory is read only on Windows: a POSIX link is the same (Lambda is Linux)"
        )
        for n in (27, 29, 30)
    },
    **{
        # bert_score 0.3.13's BERTScorer stores these and reads them only in its own score(), compute_idf(),
        # plot_example() and hash, none of which the evaluator calls: it reads _tokenizer, _model and
        # baseline_vals (from baseline_path, set whenever rescaling), and weighs idf itself (score_models)
        f"bertscore_evaluator.scoring.x_get_scorer__mutmut_{n}": (
            "BERTScorer keeps idf, nthreads, batch_size, rescale_with_baseline and lang for its own score(),"
            " which the evaluator never calls (it embeds and matches with embed_sentences and bertscore_pairs)"
        )
        for n in (13, 14, 15, 16, 22, 23, 24, 25, 30, 31, 33, 34, 35)
    },
    **{
        f"bertscore_evaluator.scoring.x_embed_sentences__mutmut_{n}": (
            "the pad id only fills masked positions, which no real token attends to (measured: bit-identical"
            " scores on padded batches)"
        )
        for n in (11, 12, 13, 14)
    },
    **{
        f"bertscore_evaluator.scoring.x_{fn}__mutmut_{n}": (
            "torch.tensor/full/cat without dtype infer int64 (torch.long) from ints and float32 (torch.float)"
            " from floats, the dtypes named"
        )
        for fn, numbers in (
            ("embed_sentences", (16, 18, 52, 55, 64, 66)),
            ("bertscore_pairs", (21, 23)),
        )
        for n in numbers
    },
    **{
        f"bertscore_evaluator.scoring.x_embed_sentences__mutmut_{n}": (
            "transformers reads the attention mask as booleans (non-zero: attend), so a float mask or a mask of"
            " 2s is the same mask (measured: bit-identical scores on padded batches)"
        )
        for n in (58, 60, 68)
    },
    **{
        f"bertscore_evaluator.scoring.x_score_models__mutmut_{n}": (
            "the scores are float32 (the model's hidden states; the cache stores float32), torch.zeros' default"
            " dtype, and torch.cat promotes anyway before .double()"
        )
        for n in (70, 72)
    },
    "bertscore_evaluator.scoring.x_bertscore_pairs__mutmut_29": (
        "arange(n).expand(-1) is arange(n), which the comparison with lens.unsqueeze(1) broadcasts to the same"
        " (batch, n) mask as expand(batch, -1)"
    ),
    "bertscore_evaluator.scoring.x_bertscore_pairs__mutmut_45": (
        "greedy_cos_idf multiplies padded positions out by their masks: any non-zero padding value (one that"
        " can be normalised) gives the same scores; 2.0 is bert_score's"
    ),
    **{
        f"bertscore_evaluator.scoring.x_bertscore_pairs__mutmut_{n}": (
            "greedy_cos_idf's all_layers only needs to be falsy: None and its default False are the same"
        )
        for n in (92, 95)
    },
    "bertscore_evaluator.scoring.x_bertscore_pairs__mutmut_102": (
        "p, r and f are 1-D: stacking them on dim 1 or dim -1 is the same (batch, 3) tensor"
    ),
    "bertscore_evaluator.scoring.x_bertscore_pairs__mutmut_107": "torch.cat's dim defaults to 0",
    **{
        f"bertscore_evaluator.scoring.x_score_models__mutmut_{n}": (
            "zip's strict over equal lengths: the rows are the scored slots then the blank ones, by construction"
        )
        for n in (82, 85, 87)
    },
    "bertscore_evaluator.scoring.x_embedding_cache__mutmut_1": (
        "EmbeddingCache turns a falsy identity into {} (dict(identity or {})): '' and None are the same"
    ),
    "bertscore_evaluator.scoring.x__umt5_encoder__mutmut_12": (
        "from_pretrained without a device map loads on the CPU: .to(None) leaves it there as .to('cpu') does"
    ),
    "bertscore_evaluator.scoring.x_read_model_info__mutmut_5": (
        "reading a missing info file raises FileNotFoundError (a directory: IsADirectoryError), both OSError,"
        " which returns {} as is_file() does"
    ),
    # validation
    "workflow_lambdas.validation.sweep.x_sweep_settings__mutmut_85": (
        "the execution name given to candidate_tokens is read only without an execution ARN, and a context is"
        " built only for a valid ARN (execution_workflow reports any other)"
    ),
    **{
        f"workflow_lambdas.validation.run_context.xǁRunContextǁto_state__mutmut_{n}": (
            "model_dump in another mode than json: every RunContext and SweepSettings field is a JSON type (str,"
            " int, float, bool, None, list, dict), dumped the same in python mode"
        )
        for n in (2, 3, 4, 10, 11, 12)
    },
    **{
        f"workflow_lambdas.validate_input.x_function_region__mutmut_{n}": (
            "a context without an invoked_function_arn read as None or 'XXXX' instead of '': none of them is a"
            " function ARN, so no region either way"
        )
        for n in (11, 17, 18)
    },
    **{
        f"workflow_lambdas.validation.schema_messages.x__additional__mutmut_{n}": (
            "difflib.get_close_matches with n=1 and cutoff=0.6 (its defaults are n=3, cutoff=0.6): the hint uses"
            " only close[0], the best match, the same for any n"
        )
        for n in (21, 22, 23)
    },
    **{
        f"workflow_lambdas.validation.fetch.x_s3_fetcher__mutmut_{n}": (
            "an error without a code read as None or 'XXXX' instead of '': none of them is a code it handles,"
            " so the error is raised either way"
        )
        for n in (12, 14, 33)
    },
    "workflow_lambdas.validation.fetch.x_s3_fetcher__mutmut_69": (
        "a missing ContentRange read as 'XXXX' instead of '': neither has a '/', so the size is the body's"
    ),
    **{
        f"workflow_lambdas.validation.fetch.x_s3_fetcher__mutmut_{n}": (
            "S3's ContentRange (bytes <first>-<last>/<size>) has one '/': split, rsplit and any maxsplit find"
            " the same size after it"
        )
        for n in (77, 78, 80)
    },
    **{
        f"workflow_lambdas.validation.hyperparameters.x__hyperparameter_problem__mutmut_{n}": (
            "the problem's field: its only caller (hyperparameter_problems) reports it at the prefixed field"
            " (Problem.at), whatever field it was built with"
        )
        for n in (1, 12, 23, 32, 43, 63)
    },
    **{
        f"workflow_lambdas.validation.training_data.x__check_turns__mutmut_{n}": (
            "zip(strict=False) of roles and roles[1:]: strict=None and no strict are the same non-strict zip"
        )
        for n in (14, 17)
    },
    **{
        f"workflow_lambdas.validation.hyperparameters.x_hyperparameter_problems__mutmut_{n}": (
            "difflib.get_close_matches with n=1 and cutoff=0.6 (its defaults are n=3, cutoff=0.6): the hint uses"
            " only close[0], the best match, the same for any n"
        )
        for n in (25, 26, 28)
    },
    "workflow_lambdas.validation.dataset_text.x_by_location__mutmut_10": (
        'float() parses "INF" and "inf" alike: the same positive infinity'
    ),
    "workflow_lambdas.validation.dataset_text.x_decode__mutmut_4": '"UTF-8" and "utf-8" name the same codec',
    "workflow_lambdas.validation.dataset_text.x_decode__mutmut_8": "bytes.count(sub, None, end) starts at 0 too",
    "workflow_lambdas.validation.training_data.x__jsonl_text__mutmut_5": (
        "decode(allow_bom=None): allow_bom is only tested for truth, None is False"
    ),
    "workflow_lambdas.validation.model_checks.x_unknown_model_problem__mutmut_37": (
        "get_close_matches(n=3) is its default n"
    ),
    "workflow_lambdas.validation.model_checks.x_unknown_model_problem__mutmut_42": (
        "the family's model count above 4 or above 5: no family has exactly 5 models (4, 2, 7, 1, 2)"
    ),
    **{
        f"workflow_lambdas.validation.schema_messages.x__one_of__mutmut_{n}": (
            "NotificationEmail is the schema's only oneOf, so a oneOf error always has that non-empty path"
        )
        for n in (1, 13)
    },
    "workflow_lambdas.validation.training_data.x__format_of__mutmut_2": (
        "a model of one format: the first record's format is used only when it is that one format, formats[0]"
    ),
    "workflow_lambdas.validation.validation_data.xǁEvalRecordǁto_json__mutmut_2": (
        "json.dumps(ensure_ascii=None): ensure_ascii is only tested for truth, None is False"
    ),
    "workflow_lambdas.validation.validation_data.x__duplicate_id_problems__mutmut_3": (
        "first_duplicate starting as '' instead of None: 'first_duplicate or value' takes the value either way"
    ),
    **{
        f"workflow_lambdas.validation.validation_data.x__duplicate_id_problems__mutmut_{n}": (
            "zip(strict=True) of the records and their ids: _ids appends exactly one id per record, equal lengths"
        )
        for n in (6, 9, 10)
    },
    "workflow_lambdas.validation.validation_data.x__duplicate_id_problems__mutmut_17": (
        "the line stored for a seen id: seen is only tested for membership"
    ),
    **{
        f"workflow_lambdas.validation.validation_data.x__load_validation__mutmut_{n}": (
            "the location label returned with no items: parse_validation raises on no items before using it, and"
            " references_needed ignores it"
        )
        for n in (12, 13, 15, 16, 30, 31)
    },
    **{
        f"workflow_lambdas.validation.validation_data.x_parse_validation__mutmut_{n}": (
            "zip(strict=True) of records, ids and references: they differ in length only with a problem (missing"
            " reference file, count mismatch), which raises before the zip"
        )
        for n in (99, 103, 104)
    },
    "workflow_lambdas.validation.validation_data.x_parse_validation__mutmut_62": (
        "the references without a reference file: that case always adds a problem, which raises before they are read"
    ),
    "workflow_lambdas.validation.validation_data.x__ids__mutmut_21": (
        "the records with an id or those without: 'non-empty and not all records' holds for both or neither"
        " (the missing ones are listed separately)"
    ),
    **{
        f"workflow_lambdas.validation.validation_data.x_references_needed__mutmut_{n}": (
            "the field and name given to _load_validation only reach its problems, which references_needed drops"
        )
        for n in (3, 4, 8, 9)
    },
}


def _staging_path(checkout: Path) -> str:
    for staged, real in PACKAGES.items():
        if checkout.is_relative_to(real):
            return f"{staged}/{checkout.relative_to(real).as_posix()}"
    raise ValueError(checkout)


def _existing_sources(patterns: list[str]) -> list[str]:
    """The ``only_mutate`` patterns that match a file of the checkout (staging paths)."""
    files = [_staging_path(p) for real in PACKAGES.values() for p in real.rglob("*.py")]
    return [pattern for pattern in patterns if any(fnmatch.fnmatch(f, pattern) for f in files)]


def _stem(pattern: str) -> str:
    """``src/workflow_lambdas/infer.py`` -> ``infer``; ``src/workflow_lambdas/validation/*`` -> ``validation``."""
    parts = pattern.rstrip("/*").split("/")
    return parts[-1].removesuffix(".py")


def _tests_for(patterns: list[str]) -> list[str]:
    """Expand the test selection (globs allowed)."""
    found: list[str] = []
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in found:
                found.append(rel)
    return found


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def staged_config(only: list[str] | None) -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    sources = _existing_sources(config["only_mutate"])
    if only:
        unknown = [name for name in only if name not in {_stem(s) for s in sources}]
        if unknown:
            raise SystemExit(f"--only {' '.join(unknown)}: not in [tool.mutmut] only_mutate ({sources})")
        sources = [s for s in sources if _stem(s) in only]
    args = list(config.get("pytest_add_cli_args", []))
    if not any(_stem(s) in SLOW_MODULES for s in sources):
        args += ["-m", "not slow"]  # the BERTScore model's tests only test the scoring module
    return {
        "source_paths": config["source_paths"],
        "only_mutate": sources,
        "pytest_add_cli_args_test_selection": _tests_for(config["pytest_add_cli_args_test_selection"]),
        "pytest_add_cli_args": args,
        "do_not_mutate_patterns": config.get("do_not_mutate_patterns", []),
        # mutmut runs the tests in mutants/: the scripts' folders go there too (it copies a file only into
        # an existing folder)
        "also_copy": sorted({str(Path(script).parent) for script in SCRIPTS}),
    }


def build_staging(config: dict[str, list[str]]) -> None:
    if STAGING.exists():
        shutil.rmtree(STAGING)
    STAGING.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for staged, real in PACKAGES.items():
        shutil.copytree(real, STAGING / staged, ignore=ignore)
    shutil.copytree(ROOT / "tests", STAGING / "tests", ignore=ignore)
    for script in SCRIPTS:  # read by their tests at the checkout's path
        (STAGING / script).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / script, STAGING / script)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = re.compile(r"^\[tool\.mutmut\]\n(?:(?!^\[).*\n|\n)*", re.MULTILINE)
    body = "".join(f"{key} = {_toml_list(values)}\n" for key, values in config.items())
    body += "use_git_change_detection = false\n"
    (STAGING / "pyproject.toml").write_text(section.sub(lambda _: "[tool.mutmut]\n" + body + "\n", text))


TIMEOUT_CODES = {36, 24, -24, 152, 255}  # mutmut's exit codes of a timed-out mutant (mutmut/stats.py)
SURVIVED_CODES = {0}


def reset_results(mutants: Path, codes: set[int] = TIMEOUT_CODES) -> int:
    """Forget the results with these exit codes under ``mutants/`` so that ``mutmut run`` runs them again."""
    count = 0
    for meta in mutants.rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        exit_codes = data["exit_code_by_key"]
        again = [key for key, code in exit_codes.items() if code in codes]
        for key in again:
            exit_codes[key] = None
        if again:
            meta.write_text(json.dumps(data), encoding="utf-8")
            count += len(again)
    return count


def refresh_staging() -> list[str]:
    """Bring the checkout's tests and sources into the staging copy, keeping mutmut's results.

    A source file that changed is dropped from ``mutants/`` with its results (mutmut mutates it again and
    runs all its mutants); the tests are replaced whole. Returns the changed source files."""
    changed = []
    for staged, real in PACKAGES.items():
        for source in sorted(real.rglob("*.py")):
            if "__pycache__" in source.parts:
                continue
            rel = f"{staged}/{source.relative_to(real).as_posix()}"
            target = STAGING / rel
            if target.exists() and target.read_bytes() == source.read_bytes():
                continue
            changed.append(rel)
            for stale in (STAGING / "mutants" / rel, STAGING / "mutants" / f"{rel}.meta"):
                stale.unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for tests in (STAGING / "tests", STAGING / "mutants" / "tests"):
        shutil.rmtree(tests, ignore_errors=True)
    shutil.copytree(ROOT / "tests", STAGING / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for script in SCRIPTS:
        shutil.copy2(ROOT / script, STAGING / script)
    return changed


def _module_of(key: str) -> str:
    """``workflow_lambdas.release_throughput.x_decide__mutmut_3`` -> ``workflow_lambdas.release_throughput``."""
    return key.partition("__mutmut_")[0].rsplit(".", 1)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="module stems, e.g. release_throughput stats")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default 2: 2 cores)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help=(
            "keep the killed results in build/mutation/ (same configuration): the checkout's tests and changed"
            " sources are brought in, and every mutant of a changed file, survivor and timed-out one runs again"
        ),
    )
    args = parser.parse_args(argv)

    config = staged_config(args.only)
    if args.resume and (STAGING / "mutants").is_dir():
        changed = refresh_staging()
        again = reset_results(STAGING / "mutants", TIMEOUT_CODES | SURVIVED_CODES)
        print(f"resuming in {STAGING.relative_to(ROOT)}: changed sources {changed or 'none'};")
        print(f"  {again} survived or timed-out mutants run again, killed ones are kept")
    else:
        build_staging(config)
    print(f"mutmut on {', '.join(config['only_mutate'])}")
    print(f"  tests: {' '.join(config['pytest_add_cli_args_test_selection'])}", flush=True)
    mutmut = [sys.executable, "-m", "mutmut"]
    # mutmut forks each mutant's run from a process that has run torch: a forked child waits forever on the
    # parent's OpenMP thread pool (measured: every scoring mutant hung until its timeout and counted as
    # killed). One intra-op thread runs torch's kernels inline, with no pool to inherit.
    # SCORE_THREADS: the evaluator sets torch's threads itself (bertscore_evaluator.cpus), to one here too.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", SCORE_THREADS="1")
    env["TOKENIZERS_PARALLELISM"] = "false"
    run = subprocess.run([*mutmut, "run", "--max-children", str(args.max_children)], cwd=STAGING, env=env)
    results = subprocess.run(
        [*mutmut, "results", "--all", "true"], cwd=STAGING, env=env, capture_output=True, text=True, check=True
    )
    statuses: dict[str, str] = {}
    for line in results.stdout.splitlines():
        key, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in key:
            statuses[key] = status
    if not statuses:
        print(results.stdout + results.stderr)
        print("result: python_killed=n/a (mutmut produced no results)")
        return run.returncode or 1

    equivalent = {key: statuses.pop(key) for key in EQUIVALENT if key in statuses}
    ran = {_module_of(key) for key in statuses} | {_module_of(key) for key in equivalent}
    stale = [key for key in EQUIVALENT if key not in equivalent and _module_of(key) in ran]
    by_module: dict[str, Counter[str]] = {}
    for key, status in statuses.items():
        by_module.setdefault(_module_of(key), Counter())[status] += 1
    total_killed = total = 0
    for module, counts in sorted(by_module.items()):
        counted = sum(n for status, n in counts.items() if status not in NOT_COUNTED)
        killed = sum(n for status, n in counts.items() if status in KILLED)
        total_killed, total = total_killed + killed, total + counted
        pct = 100.0 * killed / counted if counted else 0.0
        print(f"  {module}: {killed}/{counted} killed ({pct:.1f}%)  {dict(counts)}")
    survivors = sorted(k for k, s in statuses.items() if s not in KILLED | NOT_COUNTED)
    if survivors:
        print(f"survivors ({len(survivors)}; `cd {STAGING.relative_to(ROOT)} && mutmut show <name>` for the diff):")
        for key in survivors:
            print(f"  {key}: {statuses[key]}")
    if equivalent:
        print(f"equivalent ({len(equivalent)}; not counted):")
        for key, status in sorted(equivalent.items()):
            show = subprocess.run([*mutmut, "show", key], cwd=STAGING, env=env, capture_output=True, text=True)
            changed = [line for line in show.stdout.splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")]
            print(f"  {key} ({status}): {EQUIVALENT[key]}")
            for line in changed:
                print(f"      {line}")
    for key in stale:
        print(f"  stale EQUIVALENT entry (no such mutant): {key}")
    pct = 100.0 * total_killed / total if total else 0.0
    print(f"result: python_killed={pct:.1f}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
