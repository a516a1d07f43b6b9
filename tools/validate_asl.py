#!/usr/bin/env python3
"""Validate the state machine definitions with the npm `asl-validator` (Amazon States Language).

Usage:
  python tools/validate_asl.py                 # render both *.asl.json.tftpl and validate them
  python tools/validate_asl.py FILE.json ...   # validate these definitions
  python tools/validate_asl.py --keep DIR      # also write the rendered definitions to DIR

- The templates are rendered exactly as Terraform's templatefile() renders them
  (`bedrock_customize.emulator.render`), with ARNs of the right shape for every placeholder.
- asl-validator (pinned below) is installed once with npm into `.tools/asl-validator`
  (gitignored; npm's download cache in `.tools/npm-cache`), so repeated runs are offline and
  fast. It is the same program `npx --yes asl-validator@4.0.0 --json-path FILE` runs; calling
  the installed binary avoids npx's registry lookup on every run.
- Exit codes: 0 all valid, 1 a definition is invalid, 3 asl-validator cannot be installed
  (no npm on PATH, or no registry access).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "asl-validator"
VERSION = "4.0.0"
PREFIX = REPO / ".tools" / "asl-validator"
NPM_CACHE = REPO / ".tools" / "npm-cache"
EXIT_UNAVAILABLE = 3

TEMPLATES = {
    "parent": REPO / "statemachine.asl.json.tftpl",
    "child": REPO / "modules" / "evaluation" / "statemachine.asl.json.tftpl",
}

ACCOUNT, REGION, PREFIX_NAME = "123456789012", "us-east-1", "bc-example"


class Unavailable(RuntimeError):
    """asl-validator cannot be installed or run here."""


def validator_bin() -> Path:
    return PREFIX / "node_modules" / ".bin" / PACKAGE


def _installed_version() -> str | None:
    manifest = PREFIX / "node_modules" / PACKAGE / "package.json"
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def ensure_validator() -> Path:
    """Path of the asl-validator binary, installing the pinned version on first use."""
    exe = validator_bin()
    if exe.exists() and _installed_version() == VERSION:
        return exe
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise Unavailable("npm/node not found on PATH: install Node.js (20+) to run the asl-validator checks")
    PREFIX.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, npm_config_cache=str(NPM_CACHE), npm_config_update_notifier="false")
    print(f"validate_asl: installing {PACKAGE}@{VERSION} into {PREFIX} (first run) ...", file=sys.stderr)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund", "--save-exact", f"{PACKAGE}@{VERSION}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0 or not exe.exists():
        raise Unavailable(f"npm install {PACKAGE}@{VERSION} failed: {(proc.stderr or proc.stdout)[-800:]}")
    return exe


def placeholder_value(name: str) -> str:
    """A realistic value for a template placeholder (asl-validator checks Resource ARNs)."""
    if name.endswith("_function_arn"):
        key = name.removesuffix("_function_arn").replace("_", "-")
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX_NAME}-{key}"
    if name.endswith("_state_machine_arn"):
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{PREFIX_NAME}-evaluate"
    if name.endswith("_role_arn"):
        return f"arn:aws:iam::{ACCOUNT}:role/{PREFIX_NAME}-{name.removesuffix('_role_arn').replace('_', '-')}"
    if name.endswith("_arn"):
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{PREFIX_NAME}-{name}"
    return f"{PREFIX_NAME}-{name}"


def render(template: Path) -> dict:
    """``jsondecode(templatefile(template, {...}))`` with a value for every placeholder."""
    try:
        from bedrock_customize.emulator.render import placeholders, render_file
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))
        from bedrock_customize.emulator.render import placeholders, render_file
    names = placeholders(template.read_text(encoding="utf-8"))
    return render_file(template, {name: placeholder_value(name) for name in names})


def validate_file(path: Path) -> tuple[bool, str]:
    """(valid, validator output) for one definition file."""
    exe = ensure_validator()
    proc = subprocess.run(
        [str(exe), "--json-path", str(path)], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode not in (0, 1):
        raise Unavailable(f"asl-validator exited {proc.returncode}: {output[-800:]}")
    return proc.returncode == 0, output


def validate_definition(definition: dict, name: str = "definition") -> tuple[bool, str]:
    """Validate a definition held in memory."""
    with tempfile.TemporaryDirectory(prefix="asl-") as tmp:
        path = Path(tmp) / f"{name}.asl.json"
        path.write_text(json.dumps(definition, indent=2), encoding="utf-8")
        return validate_file(path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    keep = None
    if "--keep" in argv:
        i = argv.index("--keep")
        keep = Path(argv[i + 1])
        del argv[i : i + 2]
        keep.mkdir(parents=True, exist_ok=True)
    try:
        ensure_validator()
        with tempfile.TemporaryDirectory(prefix="asl-") as tmp:
            files = [Path(a) for a in argv]
            if not files:
                for name, template in TEMPLATES.items():
                    path = (keep or Path(tmp)) / f"{name}.asl.json"
                    path.write_text(json.dumps(render(template), indent=2), encoding="utf-8")
                    files.append(path)
            failed = 0
            for path in files:
                ok, output = validate_file(path)
                failed += not ok
                print(f"{'ok     ' if ok else 'INVALID'} {path}" + ("" if ok else f"\n{output}"))
    except Unavailable as exc:
        print(f"validate_asl: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
