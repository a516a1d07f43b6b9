#!/usr/bin/env python3
"""Generate the README's reference tables from the code, or check them for drift.

    python tools/gen_docs.py          # rewrite the generated blocks in README.md
    python tools/gen_docs.py --check  # exit 1 if README.md is out of date

Blocks live between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``:
``inputs`` and ``outputs`` come from the root module's variables.tf/outputs.tf,
``requirements`` from versions.tf, ``execution-input`` from the execution input JSON Schema,
``functions`` from the function maps (``local.functions``) of the root module and modules/evaluation.

The README.md of every ``modules/*`` and ``examples/*`` directory is processed too (when it
holds generated blocks): its ``inputs``, ``outputs`` and ``requirements`` come from that
directory's own .tf files. ``--readme PATH`` processes only PATH, with the root module's tables.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
try:
    from bedrock_customize import hcl  # the project's one Terraform reader
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from bedrock_customize import hcl
SCHEMA = ROOT / "lambdas" / "workflow_lambdas" / "schemas" / "execution-input.schema.json"
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)", re.S
)


def _load(path: Path) -> dict[str, Any]:
    return hcl.load_file(path)


def _expr(value: object) -> str:
    if isinstance(value, str):
        return value[2:-1] if value.startswith("${") and value.endswith("}") else value
    return json.dumps(value)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def inputs_table(module_dir: Path = ROOT) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "| --- | --- | --- | --- | :---: |"]
    for block in _load(module_dir / "variables.tf").get("variable", []):
        for name, spec in block.items():
            required = "default" not in spec
            default = (
                "" if required else f"`{_cell(_expr(spec['default']) if spec['default'] is not None else 'null')}`"
            )
            rows.append(
                f"| `{name}` | {_cell(spec.get('description', ''))} | `{_cell(_expr(spec.get('type', 'any')))}` "
                f"| {default} | {'yes' if required else 'no'} |"
            )
    return "\n".join(rows) + "\n"


def outputs_table(module_dir: Path = ROOT) -> str:
    rows = ["| Name | Description |", "| --- | --- |"]
    for block in _load(module_dir / "outputs.tf").get("output", []):
        for name, spec in block.items():
            rows.append(f"| `{name}` | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows) + "\n"


def requirements_table(module_dir: Path = ROOT) -> str:
    terraform = _load(module_dir / "versions.tf")["terraform"][0]
    rows = ["| Name | Version |", "| --- | --- |", f"| terraform | `{terraform['required_version']}` |"]
    for providers in terraform.get("required_providers", []):
        for name, spec in providers.items():
            rows.append(f"| {name} ({spec['source']}) | `{spec['version']}` |")
    return "\n".join(rows) + "\n"


# The modules whose ``module "function"`` iterates over ``local.functions``, as the README names them.
FUNCTION_MAPS = {"root": ROOT, "evaluation": ROOT / "modules" / "evaluation"}


def functions_table() -> str:
    """Every Lambda function by function key: where it is declared, its package and entry point, and
    the defaults that ``lambda.memory_size`` / ``lambda.timeout`` override."""
    rows = [
        "| Function key | Module | Package | Handler / image command | Memory (MB) | Timeout (s) | Description |",
        "| --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for module, module_dir in FUNCTION_MAPS.items():
        functions = hcl.locals_of(module_dir).get("functions")
        if not isinstance(functions, dict):
            raise SystemExit(f"{module_dir}: local.functions is not a literal map")
        for key, fn in functions.items():
            handler = fn.get("handler")
            entry, package = (handler, "zip") if isinstance(handler, str) else (fn["image_command"][0], "image")
            rows.append(
                f"| `{key}` | {module} | {package} | `{entry}` | {fn['default_memory_size']} "
                f"| {fn['default_timeout']} | {_cell(fn.get('description', ''))} |"
            )
    return "\n".join(rows) + "\n"


def _schema_type(spec: dict) -> str:
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    kinds = spec.get("type") or [s.get("type") for s in spec.get("anyOf", spec.get("oneOf", []))]
    if isinstance(kinds, list):
        return " or ".join(str(k) for k in kinds if k)
    return str(kinds)


def execution_input_table() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    required = set(schema.get("required", []))
    rows = ["| Field | Type | Required | Description |", "| --- | --- | :---: | --- |"]

    def walk(properties: dict, prefix: str, required_here: set[str]) -> None:
        for name, spec in properties.items():
            field = f"{prefix}{name}"
            rows.append(
                f"| `{field}` | {_schema_type(spec)} | {'yes' if name in required_here else 'no'} "
                f"| {_cell(spec.get('description', ''))} |"
            )
            if spec.get("type") == "object" and "properties" in spec:
                walk(spec["properties"], f"{field}.", set(spec.get("required", [])))

    walk(schema["properties"], "", required)
    return "\n".join(rows) + "\n"


GENERATORS = {
    "inputs": inputs_table,
    "outputs": outputs_table,
    "requirements": requirements_table,
    "execution-input": execution_input_table,
    "functions": functions_table,
}


# Blocks a module or example README may hold (generated from that directory's .tf files).
MODULE_GENERATORS = ("inputs", "outputs", "requirements")


def render(text: str, module_dir: Path = ROOT) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise SystemExit(f"README.md: unknown generated block {name!r}")
        if module_dir != ROOT:
            if name not in MODULE_GENERATORS:
                raise SystemExit(f"{module_dir}/README.md: block {name!r} belongs in the root README only")
            if not (module_dir / _SOURCES[name]).is_file():
                return match.group(1) + f"_No {_SOURCES[name]}._\n" + match.group(4)
            return match.group(1) + GENERATORS[name](module_dir) + match.group(4)
        return match.group(1) + GENERATORS[name]() + match.group(4)

    return _BLOCK.sub(replace, text)


_SOURCES = {"inputs": "variables.tf", "outputs": "outputs.tf", "requirements": "versions.tf"}


def readmes() -> list[tuple[Path, Path]]:
    """(README, module directory) pairs: the root README, then every module / example README."""
    pairs = [(ROOT / "README.md", ROOT)]
    for sub in ("modules", "examples"):
        for readme in sorted((ROOT / sub).glob("*/README.md")):
            if _BLOCK.search(readme.read_text(encoding="utf-8")):
                pairs.append((readme, readme.parent))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a README is out of date")
    parser.add_argument("--readme", default=None, help="process only this README (root module tables)")
    args = parser.parse_args(argv)
    pairs = [(Path(args.readme), ROOT)] if args.readme else readmes()
    stale = 0
    for path, module_dir in pairs:
        current = path.read_text(encoding="utf-8")
        wanted = render(current, module_dir)
        if args.check:
            if wanted != current:
                print(
                    f"{path}: generated reference tables are out of date; run: python tools/gen_docs.py",
                    file=sys.stderr,
                )
                stale += 1
        elif wanted != current:
            path.write_text(wanted, encoding="utf-8")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
