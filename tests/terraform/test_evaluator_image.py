"""What the evaluator image ships: its Dockerfile, its .dockerignore and the root module's context_paths
agree, and every module of ``workflow_lambdas`` the evaluator imports (the shared run contract and
helpers) is in the image, with nothing the image lacks.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tfparse

ROOT = tfparse.REPO_ROOT
DOCKERFILE = ROOT / "evaluator" / "Dockerfile"
DOCKERIGNORE = ROOT / "evaluator" / "Dockerfile.dockerignore"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


EVALUATOR_PINS = _pins(ROOT / "evaluator" / "requirements.txt")
# What the image has beside the standard library: the Lambda Python base image's boto3/botocore, and
# evaluator/requirements.txt (import names: the distribution names with "-" as "_").
IMAGE_THIRD_PARTY = {"boto3", "botocore"} | {name.replace("-", "_") for name in EVALUATOR_PINS}


def context_paths() -> list[str]:
    call = next(b for b in tfparse.blocks(ROOT, "module") if b.labels[0] == "evaluator_image")
    assert call.body["dockerfile"] == "evaluator/Dockerfile"
    return list(call.body["context_paths"])


def copy_sources(dockerfile: Path = DOCKERFILE) -> list[str]:
    sources = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and words[0] == "COPY" and not any(w.startswith("--from") for w in words):
            sources += words[1:-1]
    return sources


def allowed_by_dockerignore(text: str) -> list[str]:
    return [line[1:] for line in text.splitlines() if line.startswith("!")]


def within(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def problems(paths: list[str], sources: list[str], ignore_text: str) -> list[str]:
    found = []
    allowed = allowed_by_dockerignore(ignore_text)
    if sorted(allowed) != sorted(paths):
        found.append(f"Dockerfile.dockerignore lets through {sorted(allowed)}, context_paths are {sorted(paths)}")
    for source in sources:
        if not within(source, paths):
            found.append(f"COPY {source} is outside context_paths (not hashed into the image tag)")
    for path in paths:
        if not any(within(source, [path]) or within(path, [source]) for source in sources):
            found.append(f"context path {path} is hashed but never copied into the image")
    return found


def test_dockerfile_dockerignore_and_context_paths_agree():
    assert problems(context_paths(), copy_sources(), DOCKERIGNORE.read_text(encoding="utf-8")) == []


def test_a_copy_outside_the_context_paths_is_found():
    paths = context_paths()
    ignore = DOCKERIGNORE.read_text(encoding="utf-8")
    found = problems(paths, [*copy_sources(), "lambdas/workflow_lambdas/infer.py"], ignore)
    assert found == ["COPY lambdas/workflow_lambdas/infer.py is outside context_paths (not hashed into the image tag)"]
    found = problems([*paths, "docs"], copy_sources(), ignore)
    assert any("never copied" in p for p in found) and any("lets through" in p for p in found)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _module_file(name: str) -> Path | None:
    base = ROOT / "lambdas" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def shared_modules() -> dict[str, Path]:
    """Every workflow_lambdas module the evaluator package imports, transitively."""
    todo = [n for f in (ROOT / "evaluator" / "bertscore_evaluator").glob("*.py") for n in _imports(f)]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if not name.startswith("workflow_lambdas") or name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue  # ``from workflow_lambdas.common.logs import bound``: the attribute, not a module
        seen[name] = path
        todo += list(_imports(path))
    return seen


def test_every_shared_module_the_evaluator_imports_is_in_the_image():
    modules = shared_modules()
    assert "workflow_lambdas.contract.errors" in modules and "workflow_lambdas.common.logs" in modules
    shipped = [f"{s}" for s in copy_sources()]
    for name, path in modules.items():
        rel = path.relative_to(ROOT).as_posix()
        assert within(rel, shipped), f"{name} ({rel}) is imported by the evaluator but not copied into the image"
        for package in (path.parent, *path.parent.parents):
            if package == ROOT / "lambdas":
                break
            init = (package / "__init__.py").relative_to(ROOT).as_posix()
            assert within(init, shipped), f"{init} (the package of {name}) is not copied into the image"


def test_the_shared_modules_need_nothing_the_image_lacks():
    for name, path in shared_modules().items():
        for imported in _imports(path):
            top = imported.split(".")[0]
            assert top in sys.stdlib_module_names or top in IMAGE_THIRD_PARTY or top == "workflow_lambdas", (
                f"{name} imports {imported}: not in the evaluator image (add it to evaluator/requirements.txt or "
                "keep the shared module to the standard library and botocore)"
            )


def test_packages_both_images_ship_are_pinned_alike():
    """The shared settings base (pydantic) runs in the zip and in the image: the same versions."""
    zip_pins = _pins(ROOT / "lambdas" / "requirements.txt")
    shared = set(zip_pins) & set(EVALUATOR_PINS)
    assert "pydantic" in shared and "pydantic-core" in shared
    assert {name: EVALUATOR_PINS[name] for name in shared} == {name: zip_pins[name] for name in shared}
