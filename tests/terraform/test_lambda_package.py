"""modules/lambda-package/build.py, offline (--skip-deps: no pip, no network)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tfparse

ROOT = tfparse.REPO_ROOT
BUILD = ROOT / "modules" / "lambda-package" / "build.py"
LAMBDAS = ROOT / "lambdas"


def _build(build_dir: Path, *extra: str, source_dir: Path = LAMBDAS) -> dict[str, str]:
    proc = subprocess.run(
        [
            sys.executable,
            str(BUILD),
            "--source-dir",
            str(source_dir),
            "--build-dir",
            str(build_dir),
            "--requirements",
            str(LAMBDAS / "requirements.txt"),
            "--skip-deps",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_zip_contains_the_package_and_no_bytecode(tmp_path):
    result = _build(tmp_path / "out")
    path = Path(result["path"])
    assert path.is_file() and path.parent == tmp_path / "out"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert "workflow_lambdas/__init__.py" in names
    # subpackages ship too: ValidateInput's checks, the execution input schema
    assert {"workflow_lambdas/validation/context.py", "workflow_lambdas/schemas/execution-input.schema.json"} <= set(
        names
    )
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith("requirements") for n in names)
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert set(result) == {"path", "hash", "base64sha256", "content_hash", "size"}
    assert all(isinstance(v, str) for v in result.values())  # data "external" needs strings


def test_build_is_byte_identical_and_cached(tmp_path):
    first = _build(tmp_path / "a")
    second = _build(tmp_path / "b")
    assert Path(first["path"]).read_bytes() == Path(second["path"]).read_bytes()
    assert first["hash"] == second["hash"] and first["base64sha256"] == second["base64sha256"]
    assert Path(first["path"]).name == Path(second["path"]).name  # named by content hash
    again = _build(tmp_path / "a")
    assert again == first
    assert len(list((tmp_path / "a").iterdir())) == 1  # no staging left behind


def test_content_change_gives_a_new_zip(tmp_path):
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("")
    (source / "pkg" / "__pycache__").mkdir()
    (source / "pkg" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"junk")
    before = _build(tmp_path / "out", source_dir=source)
    # bytecode does not count
    (source / "pkg" / "__pycache__" / "y.cpython-312.pyc").write_bytes(b"more junk")
    assert _build(tmp_path / "out", source_dir=source)["hash"] == before["hash"]
    (source / "pkg" / "mod.py").write_text("X = 1\n")
    after = _build(tmp_path / "out", source_dir=source)
    assert after["path"] != before["path"] and after["hash"] != before["hash"]
    with zipfile.ZipFile(after["path"]) as archive:
        assert archive.namelist() == ["pkg/__init__.py", "pkg/mod.py"]


def test_architecture_changes_the_content_hash(tmp_path):
    x86 = _build(tmp_path / "out")
    arm = _build(tmp_path / "out", "--architecture", "arm64")
    assert x86["content_hash"] != arm["content_hash"]


def test_external_protocol(tmp_path):
    query = {
        "source_dir": str(LAMBDAS),
        "requirements": str(LAMBDAS / "requirements.txt"),
        "build_dir": str(tmp_path / "ext"),
        "python_version": "3.12",
        "architecture": "x86_64",
        "skip_deps": "true",
    }
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--external"], input=json.dumps(query), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result == _build(tmp_path / "ext")


@pytest.mark.parametrize("query", [{"build_dir": "x"}, {"source_dir": "/nonexistent", "build_dir": "x"}])
def test_external_errors_go_to_stderr(tmp_path, query):
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--external"],
        input=json.dumps(query),
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("build.py:")


def test_terraform_passes_the_query_build_py_reads():
    (data,) = [b for b in tfparse.blocks(ROOT / "modules" / "lambda-package", "data") if b.labels[0] == "external"]
    assert set(data.body["query"]) == {"source_dir", "requirements", "build_dir", "python_version", "architecture"}
    assert "--external" in data.body["program"]


def test_lambda_requirements_pin_their_whole_dependency_closure():
    """Every dependency of a pinned package (for Lambda's Python on Linux) is pinned too, at the installed version."""
    from importlib import metadata

    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = (ROOT / "lambdas" / "requirements.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            [spec] = list(req.specifier)
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = spec.version
    env = dict(default_environment(), python_version="3.12", python_full_version="3.12.0", sys_platform="linux")
    missing = []
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name}: installed {metadata.version(name)}, pinned {version}"
        for raw in metadata.requires(name) or []:
            dep = Requirement(raw)
            if dep.marker is not None and not dep.marker.evaluate(dict(env, extra="")):
                continue
            if canonicalize_name(dep.name) not in pins:
                missing.append(f"{name} needs {dep}")
    assert not missing, missing
