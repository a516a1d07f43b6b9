#!/usr/bin/env python3
"""Build the deployment zip of the zip-packaged Lambda functions.

Installs the pinned runtime dependencies for the Lambda platform (wheels only),
copies the source packages next to them and writes a deterministic zip: sorted
entries, fixed timestamps and permissions, no bytecode, no console scripts, no
pip RECORD files (they embed local interpreter paths). The zip is named by a
content hash of everything that goes into it, so a rebuild with the same inputs
is a cache hit and its bytes (and Lambda's source_code_hash) do not change.

Used two ways:

* by Terraform's ``data "external"`` with ``--external``: the query (a JSON
  object of strings) comes on stdin, the result goes to stdout as a JSON object
  of strings: ``path``, ``hash`` (hex SHA-256 of the zip), ``base64sha256``,
  ``content_hash`` and ``size``;
* from the command line, for example in tests with ``--skip-deps`` (no network).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Bump when the layout or the normalisation of the zip changes.
FORMAT_VERSION = "1"
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "tests"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


class BuildError(Exception):
    """A build step failed; the message is shown by Terraform."""


def _source_files(source_dir: Path) -> list[Path]:
    """Files of the source tree that go into the zip, sorted, as relative paths."""
    files = []
    for root, dirs, names in os.walk(source_dir):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS and not d.endswith(".egg-info"))
        for name in names:
            if name.endswith(EXCLUDED_SUFFIXES) or (name.startswith("requirements") and name.endswith(".txt")):
                continue
            files.append((Path(root) / name).relative_to(source_dir))
    return sorted(files, key=lambda p: p.as_posix())


def content_hash(
    source_dir: Path, requirements: Path | None, python_version: str, platform: str, skip_deps: bool
) -> str:
    digest = hashlib.sha256()
    header = {
        "format": FORMAT_VERSION,
        "python_version": python_version,
        "platform": platform,
        "skip_deps": skip_deps,
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    if requirements is not None and not skip_deps:
        digest.update(b"\0requirements\0" + requirements.read_bytes())
    for rel in _source_files(source_dir):
        digest.update(b"\0" + rel.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256((source_dir / rel).read_bytes()).digest())
    return digest.hexdigest()


def _install_deps(requirements: Path, target: Path, python_version: str, platform: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--requirement",
        str(requirements),
        "--target",
        str(target),
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"pip install failed ({' '.join(command)}):\n{result.stdout}\n{result.stderr}")
    # Console scripts carry the local interpreter path in their shebang, and the
    # RECORD files list their hashes: neither is needed at run time.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        record.unlink()


def _copy_sources(source_dir: Path, target: Path) -> None:
    for rel in _source_files(source_dir):
        destination = target / rel
        if destination.exists():
            raise BuildError(f"{rel} of the source tree collides with a dependency")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_dir / rel, destination)


def write_deterministic_zip(tree: Path, zip_path: Path) -> None:
    """Zip every file of ``tree`` with sorted names, fixed dates and modes."""
    files = []
    for root, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if not name.endswith(EXCLUDED_SUFFIXES):
                files.append(Path(root) / name)
    files.sort(key=lambda p: p.relative_to(tree).as_posix())
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=FIXED_DATE_TIME)
            info.create_system = 3  # unix, so external_attr carries the mode
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def _file_digests(path: Path) -> tuple[str, str]:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return digest.hex(), base64.b64encode(digest).decode()


def build(
    source_dir: str,
    build_dir: str,
    requirements: str | None = None,
    python_version: str = "3.12",
    architecture: str = "x86_64",
    skip_deps: bool = False,
) -> dict[str, str]:
    source = Path(source_dir)
    if not source.is_dir():
        raise BuildError(f"source directory {source_dir!r} does not exist")
    if architecture not in PLATFORMS:
        raise BuildError(f"architecture must be one of {sorted(PLATFORMS)}, not {architecture!r}")
    platform = PLATFORMS[architecture]
    requirements_path = Path(requirements) if requirements else None
    if requirements_path is not None and not requirements_path.is_file():
        raise BuildError(f"requirements file {requirements!r} does not exist")

    key = content_hash(source, requirements_path, python_version, platform, skip_deps)
    out_dir = Path(build_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The path is returned as given (usually relative to the Terraform root), so the
    # state does not depend on where the working copy lives.
    zip_path = Path(build_dir) / f"lambda-{key[:20]}.zip"

    if not zip_path.is_file():
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
        try:
            tree = staging / "tree"
            tree.mkdir()
            if requirements_path is not None and not skip_deps:
                _install_deps(requirements_path, tree, python_version, platform)
            _copy_sources(source, tree)
            partial = staging / "package.zip"
            write_deterministic_zip(tree, partial)
            os.replace(partial, zip_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    hex_digest, b64_digest = _file_digests(zip_path)
    return {
        "path": zip_path.as_posix(),
        "hash": hex_digest,
        "base64sha256": b64_digest,
        "content_hash": key,
        "size": str(zip_path.stat().st_size),
    }


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--external", action="store_true", help='read the query as JSON from stdin (Terraform data "external")'
    )
    parser.add_argument("--source-dir", help="directory holding the packages (lambdas/)")
    parser.add_argument("--requirements", help="pip requirements file of the runtime dependencies")
    parser.add_argument("--build-dir", help="directory for the zip (created)")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--architecture", default="x86_64", choices=sorted(PLATFORMS))
    parser.add_argument("--skip-deps", action="store_true", help="package the sources only (offline)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.external:
            query = json.load(sys.stdin)
            result = build(
                source_dir=query["source_dir"],
                build_dir=query["build_dir"],
                requirements=query.get("requirements") or None,
                python_version=query.get("python_version", "3.12"),
                architecture=query.get("architecture", "x86_64"),
                skip_deps=query.get("skip_deps", "false").lower() == "true",
            )
        else:
            if not args.source_dir or not args.build_dir:
                raise BuildError("--source-dir and --build-dir are required without --external")
            result = build(
                args.source_dir,
                args.build_dir,
                args.requirements,
                args.python_version,
                args.architecture,
                args.skip_deps,
            )
    except (BuildError, KeyError, OSError, json.JSONDecodeError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
