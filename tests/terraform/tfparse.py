"""Read the Terraform code of this repository without Terraform.

The structure tests' (``tests/terraform``) questions about the code. The parsing itself is
the project's one Terraform reader, :mod:`bedrock_customize.hcl` (also used by the emulator
and the docs generator), re-exported here; templates render through the emulator's renderer
(:mod:`bedrock_customize.emulator.render`). It answers:

* which blocks a module directory declares (:func:`blocks`);
* which Lambda functions are declared as ``module "fn_<key>"`` and with which
  handler / image command and environment variables (:func:`lambda_functions`);
* which ``templatefile()`` calls a module makes and with which variables
  (:func:`templatefile_calls`), and which ``${name}`` placeholders a template
  uses (:func:`template_placeholders`);
* what docs/contracts.md says (:func:`contract_functions`,
  :func:`contract_environment`).

The ``check_*`` functions return a list of human-readable problems (empty when
all is well), so a test can assert on the real code and on seeded mistakes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The parsing (blocks, expressions, templatefile() calls) is the project's one Terraform reader,
# bedrock_customize.hcl; templates render through the emulator's renderer, the one renderer.
from bedrock_customize.emulator.render import placeholders as _placeholders
from bedrock_customize.emulator.render import render_text as _render_text
from bedrock_customize.hcl import (  # noqa: F401  (re-exported for the tests)
    Block,
    TemplateCall,
    blocks,
    file_blocks,
    find_calls,
    is_expression,
    iter_strings,
    load_file,
    loads,
    locals_of,
    module_instances,
    object_items,
    split_top_level,
    string_literal,
    templatefile_calls,
    unwrap,
)
from bedrock_customize.hcl import module_dirs as _module_dirs

REPO_ROOT = Path(__file__).resolve().parents[2]

# Where handler packages live: zip functions in lambdas/, the evaluator image in evaluator/.
HANDLER_ROOTS = ("lambdas", "evaluator")


def module_dirs(repo_root: str | Path = REPO_ROOT) -> list[Path]:
    """The root module, every ``modules/*`` and every ``examples/*`` that holds ``.tf`` files."""
    return _module_dirs(repo_root)


# --------------------------------------------------------------------------- templates


def template_placeholders(path: str | Path) -> set[str]:
    """Names used as ``${name}`` in a template (``$${`` escapes are not placeholders)."""
    return _placeholders(Path(path).read_text(encoding="utf-8"))


def render_template(path: str | Path, variables: dict[str, str]) -> str:
    """The template rendered as templatefile() renders it (the emulator's renderer)."""
    return _render_text(Path(path).read_text(encoding="utf-8"), variables, source=str(path))


# --------------------------------------------------------------------------- lambda functions


@dataclass(frozen=True)
class LambdaSpec:
    """A ``module "fn_<key>"`` block: one Lambda function of the workflow."""

    module_name: str
    function_key: str | None
    handler: str | None
    image_command: list[str] | None
    environment: dict[str, str] = field(default_factory=dict)
    block: Block | None = None
    body: dict[str, Any] | None = None  # the instance's arguments (each.* resolved), else block.body

    @property
    def entry_point(self) -> str | None:
        """``package.module.function`` the function runs (zip handler or image command)."""
        if self.handler is not None:
            return self.handler
        if self.image_command:
            return self.image_command[0]
        return None


def lambda_functions(module_dir: str | Path) -> list[LambdaSpec]:
    """The ``module "fn_*"`` blocks of one module directory, and one spec per entry of a
    ``module "function" { for_each = local.<map> }`` (module name ``function["<key>"]``)."""
    specs = []
    local_values = locals_of(module_dir)
    for block in blocks(module_dir, "module"):
        data_driven = "for_each" in block.body and "lambda-function" in str(block.body.get("source", ""))
        if not (block.labels[0].startswith("fn_") or data_driven):
            continue
        for instance, body in module_instances(block, local_values):
            specs.append(_lambda_spec(block, instance, body))
    return specs


def _lambda_spec(block: Block, instance: str | None, body: dict[str, Any]) -> LambdaSpec:
    env = body.get("environment_variables") or {}
    command = body.get("image_command")
    return LambdaSpec(
        module_name=block.labels[0] if instance is None else f'{block.labels[0]}["{instance}"]',
        function_key=body.get("function_key"),
        handler=body.get("handler"),
        image_command=list(command) if isinstance(command, list) else command,
        environment=env if isinstance(env, dict) else {},
        block=block,
        body=body,
    )


def all_lambda_functions(repo_root: str | Path = REPO_ROOT) -> list[LambdaSpec]:
    """``module "fn_*"`` blocks of the root module and of ``modules/*`` (examples excluded)."""
    repo_root = Path(repo_root)
    dirs = [d for d in module_dirs(repo_root) if d.parent.name != "examples"]
    return [spec for d in dirs for spec in lambda_functions(d)]


def handler_source(entry_point: str, repo_root: str | Path = REPO_ROOT) -> tuple[Path | None, str]:
    """File that should define ``entry_point`` (``pkg.module.function``) and the function name."""
    module_path, _, function = entry_point.rpartition(".")
    parts = module_path.split(".")
    for root in HANDLER_ROOTS:
        base = Path(repo_root, root, *parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate, function
    return None, function


def python_defines(path: str | Path, name: str) -> bool:
    """Whether a Python file binds ``name`` at module level (def, assignment or import)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
    return False


# --------------------------------------------------------------------------- contracts


def _section(markdown: str, heading: str) -> str:
    match = re.search(rf"^#+\s+{re.escape(heading)}.*?$(.*?)(?=^#+\s|\Z)", markdown, re.M | re.S)
    if not match:
        raise ValueError(f"section {heading!r} not found")
    return match.group(1)


def _table_rows(section: str) -> Iterator[list[str]]:
    for line in section.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|- :"):
            continue
        yield [cell.strip() for cell in line.strip("|").split("|")]


def contract_functions(contracts: str | Path = REPO_ROOT / "docs/contracts.md") -> dict[str, dict[str, str]]:
    """Lambda table of docs/contracts.md: ``{key: {"package": "zip"|"image", "entry_point": ...}}``."""
    rows = list(_table_rows(_section(Path(contracts).read_text(encoding="utf-8"), "Lambda functions")))
    result = {}
    for row in rows[1:]:
        key = row[0].strip("`")
        result[key] = {"package": row[1], "entry_point": row[2].strip("`")}
    return result


def _environment_rows(contracts: str | Path) -> Iterator[tuple[list[str], str, set[str]]]:
    """(function keys, row text, names) of the Environment variables table of docs/contracts.md."""
    text = Path(contracts).read_text(encoding="utf-8")
    rows = list(_table_rows(_section(text, "Environment variables")))
    for row in rows[1:]:
        names = {
            token.split("=")[0]
            for token in re.findall(r"`([^`]+)`", row[1])
            if re.match(r"^[A-Z][A-Z0-9_]*(=.*)?$", token) and "_" in token.split("=")[0]
        }
        keys = [re.sub(r"\(.*?\)", "", key).strip().strip("`") for key in row[0].split(",")]
        yield keys, row[0] + " | " + row[1], names


def _optional_row(text: str) -> bool:
    # "infer (optional)" rows, and variables the image sets (Terraform may repeat or override them).
    return "(optional)" in text.split("|")[0] or "set by the image" in text


def contract_environment(contracts: str | Path = REPO_ROOT / "docs/contracts.md") -> dict[str, set[str]]:
    """Environment variables table of docs/contracts.md: ``{function key: {NAME, ...}}`` (required names)."""
    result: dict[str, set[str]] = {}
    for keys, text, names in _environment_rows(contracts):
        for key in keys:
            result.setdefault(key, set())
            if not _optional_row(text):
                result[key] |= names
    return result


def contract_optional_environment(contracts: str | Path = REPO_ROOT / "docs/contracts.md") -> dict[str, set[str]]:
    """Names a function may but need not get from Terraform: rows "<key> (optional)" and
    rows of variables "set by the image"."""
    result: dict[str, set[str]] = {}
    for keys, text, names in _environment_rows(contracts):
        for key in keys:
            result.setdefault(key, set())
            if _optional_row(text):
                result[key] |= names
    return result


def contract_placeholders(contracts: str | Path = REPO_ROOT / "docs/contracts.md") -> dict[str, set[str]]:
    """Template placeholders of docs/contracts.md: ``{"parent": {...}, "child": {...}}``."""
    section = _section(Path(contracts).read_text(encoding="utf-8"), "Template placeholders")
    result = {}
    for which in ("Parent", "Child"):
        match = re.search(rf"^{which}\b.*?:\s*(.*?)(?=^\w+\s*\(|^Placeholders|\Z)", section, re.M | re.S)
        names = re.findall(r"`(\w+)`", match.group(1)) if match else []
        result[which.lower()] = set(names)
    return result


# --------------------------------------------------------------------------- checks


def _type_mentions_any(type_expr: str) -> bool:
    # Ignore string literals (for example optional defaults) before looking for the keyword.
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', unwrap(type_expr))
    return re.search(r"\bany\b", code) is not None


def check_variables(items: Iterable[Block]) -> list[str]:
    """Every variable has a type (never ``any``) and a non-empty description."""
    problems = []
    for block in items:
        if block.kind != "variable":
            continue
        body = block.body
        if "type" not in body:
            problems.append(f"{block.where()}: no type")
        elif _type_mentions_any(str(body["type"])):
            problems.append(f"{block.where()}: type uses any ({body['type']})")
        if not str(body.get("description") or "").strip():
            problems.append(f"{block.where()}: no description")
    return problems


def check_outputs(items: Iterable[Block]) -> list[str]:
    """Every output has a non-empty description."""
    return [
        f"{block.where()}: no description"
        for block in items
        if block.kind == "output" and not str(block.body.get("description") or "").strip()
    ]


def check_lambda_specs(specs: Iterable[LambdaSpec]) -> list[str]:
    """``module "fn_<key>"`` blocks name their key and exactly one of handler / image_command."""
    problems = []
    for spec in specs:
        where = spec.block.where() if spec.block else spec.module_name
        if not spec.function_key:
            problems.append(f"{where}: no function_key")
        elif spec.module_name not in (f"fn_{spec.function_key}", f'function["{spec.function_key}"]'):
            problems.append(f"{where}: function_key {spec.function_key!r} does not match the module name")
        has_handler = bool(spec.handler)
        has_command = bool(spec.image_command)
        if has_handler == has_command:
            problems.append(f"{where}: needs exactly one of handler (zip) or image_command (image)")
        if spec.entry_point and is_expression(spec.entry_point):
            problems.append(f"{where}: handler / image_command must be a literal string, not {spec.entry_point}")
        if spec.image_command is not None and not isinstance(spec.image_command, list):
            problems.append(f"{where}: image_command must be a literal list")
        arguments = spec.body if spec.body is not None else spec.block.body if spec.block else None
        raw_env = arguments.get("environment_variables", {}) if arguments is not None else spec.environment
        if not isinstance(raw_env, dict):
            problems.append(f"{where}: environment_variables must be a literal object (names readable from the code)")
    return problems


def check_handlers(specs: Iterable[LambdaSpec], repo_root: str | Path = REPO_ROOT) -> list[str]:
    """Each handler / image command names a module file under lambdas/ or evaluator/ that defines it."""
    problems = []
    for spec in specs:
        entry = spec.entry_point
        if not entry or is_expression(entry) or "." not in entry:
            problems.append(f"{spec.module_name}: no usable entry point ({entry!r})")
            continue
        path, function = handler_source(entry, repo_root)
        if path is None:
            problems.append(f"{spec.module_name}: {entry}: no module file under {', '.join(HANDLER_ROOTS)}/")
        elif not python_defines(path, function):
            problems.append(f"{spec.module_name}: {entry}: {path} does not define {function}")
    return problems


def function_map(module_dir: str | Path, name: str = "functions") -> dict[str, Any]:
    """``local.<name>`` of a module directory: the literal map a ``module "function"`` iterates over."""
    value = locals_of(module_dir).get(name)
    if not isinstance(value, dict):
        raise ValueError(f"{module_dir}: local.{name} is not a literal map")
    return value


def check_unlisted_handlers(specs: Iterable[LambdaSpec], package_dir: str | Path) -> list[str]:
    """Every module of a handler package that defines ``handler`` at module level is some function's
    handler, or is called as ``<module>.handler(`` by a function's handler module (a task the
    function dispatches, such as infer's judge task): a handler nobody deploys is reported."""
    package_dir = Path(package_dir)
    listed = {
        spec.entry_point.rpartition(".")[0]
        for spec in specs
        if spec.entry_point and spec.entry_point.startswith(f"{package_dir.name}.")
    }
    sources = {
        module: path.read_text(encoding="utf-8")
        for module in listed
        if (path := package_dir / f"{module.split('.', 1)[1].replace('.', '/')}.py").is_file()
    }
    problems = []
    for path in sorted(package_dir.glob("*.py")):
        module = f"{package_dir.name}.{path.stem}"
        if module in listed or not python_defines(path, "handler"):
            continue
        if not any(re.search(rf"\b{path.stem}\.handler\(", text) for text in sources.values()):
            problems.append(f"{module}.handler: no function runs it (not in a function map, not called by a handler)")
    return problems


def check_templatefile_calls(module_dir: str | Path) -> list[str]:
    """Each templatefile() call passes exactly the placeholders its template uses."""
    problems = []
    for call in templatefile_calls(module_dir):
        if not call.template.is_file():
            problems.append(f"{call.block.where()}: template {call.template} does not exist")
            continue
        used = template_placeholders(call.template)
        passed = set(call.variables)
        if used - passed:
            problems.append(f"{call.block.where()}: {call.template.name} uses {sorted(used - passed)} not passed")
        if passed - used:
            problems.append(f"{call.block.where()}: passes {sorted(passed - used)} unused by {call.template.name}")
    return problems


def check_environment(
    specs: Iterable[LambdaSpec], contract: dict[str, set[str]], optional: dict[str, set[str]] | None = None
) -> list[str]:
    """Each function gets every required name of the contract, and nothing beyond required + optional."""
    problems = []
    optional = optional or {}
    for spec in specs:
        if spec.function_key not in contract:
            problems.append(f"{spec.module_name}: function key {spec.function_key!r} not in the contract")
            continue
        names = set(spec.environment)
        expected = contract[spec.function_key]
        allowed = expected | optional.get(spec.function_key, set())
        if not expected <= names <= allowed:
            problems.append(
                f"{spec.module_name}: environment {sorted(names)} != contract {sorted(expected)}"
                f" (missing {sorted(expected - names)}, extra {sorted(names - allowed)})"
            )
    return problems


# --------------------------------------------------------------------------- variable validations

_CHOICE_RE = re.compile(r'"([^"\s]+)"[^"]{0,60}?\bor\b[^"]{0,6}"([^"\s]+)"')


def enum_choices(description: str) -> list[str]:
    """Alternatives a description offers (``"x86_64" or "arm64"``, ``one of A, B, C``); empty if none."""
    text = description.replace('\\"', '"')
    match = _CHOICE_RE.search(text)
    if match:
        return [match.group(1), match.group(2)]
    match = re.search(r"\bone of\b:?\s*([A-Za-z0-9_, ]+)", text)
    if match:
        return [c.strip() for c in re.split(r",|\bor\b", match.group(1)) if c.strip()]
    return []


def check_validations(items: Iterable[Block]) -> list[str]:
    """Validation blocks name their variable and say what is wrong; enum-like variables have one.

    * every ``validation`` block's condition uses ``var.<name>`` and its error_message starts
      with the variable name (``name``, ``name.field``) and ends with a period: the message
      names the field and the fix;
    * a variable whose description offers alternatives (``"a" or "b"``, ``one of A, B``) is
      enum-like: it needs a validation whose error message quotes at least one alternative.
    """
    problems = []
    for block in items:
        if block.kind != "variable":
            continue
        name = block.labels[0]
        validations = block.body.get("validation") or []
        for rule in validations:
            condition = str(rule.get("condition", ""))
            message = str(rule.get("error_message", "")).replace('\\"', '"')
            if f"var.{name}" not in condition:
                problems.append(f"{block.where()}: validation condition does not use var.{name}")
            if not re.match(rf"^{re.escape(name)}\b", message):
                problems.append(f"{block.where()}: error_message must start with the variable name: {message!r}")
            if not message.rstrip().endswith((".", "?", ")")):
                problems.append(f"{block.where()}: error_message must be a sentence: {message!r}")
        choices = enum_choices(str(block.body.get("description", "")))
        if choices:
            messages = " ".join(str(r.get("error_message", "")).replace('\\"', '"') for r in validations)
            if not validations:
                problems.append(f"{block.where()}: enum-like ({' / '.join(choices)}) but no validation block")
            elif not any(choice in messages for choice in choices):
                problems.append(f"{block.where()}: no error_message lists the allowed values {choices}")
    return problems


# --------------------------------------------------------------------------- versions


# Providers that need no required_providers entry (built into Terraform).
BUILTIN_RESOURCE_TYPES = {"terraform_data"}


def used_providers(module_dir: str | Path) -> set[str]:
    """Local provider names the resources and data sources of a module directory use."""
    names = set()
    for block in blocks(module_dir):
        if block.kind in ("resource", "data") and block.labels[0] not in BUILTIN_RESOURCE_TYPES:
            names.add(block.labels[0].split("_", 1)[0])
    return names


def check_versions(module_dir: str | Path) -> list[str]:
    """versions.tf holds ``required_version >= X`` and a ``>=`` lower bound for every provider used.

    Module calls count too: a provider a called local module declares must be declared
    by the caller (Terraform needs the source address in every module that passes it on).
    """
    module_dir = Path(module_dir)
    path = module_dir / "versions.tf"
    if not path.is_file():
        return [f"{module_dir}: no versions.tf"]
    terraform_blocks = [b for b in file_blocks(path) if b.kind == "terraform"]
    if len(terraform_blocks) != 1:
        return [f"{path}: needs exactly one terraform block"]
    body = terraform_blocks[0].body
    problems = []
    if not re.match(r"^>=\s*\d+\.\d+", str(body.get("required_version", ""))):
        problems.append(f'{path}: required_version must be a lower bound such as ">= 1.6"')
    declared: dict[str, dict] = {}
    for entry in body.get("required_providers") or []:
        declared.update(entry)
    needed = used_providers(module_dir)
    for call in blocks(module_dir, "module"):
        source = str(call.body.get("source", ""))
        if source.startswith("."):
            child = (module_dir / source).resolve()
            if (child / "versions.tf").is_file():
                for entry in file_blocks(child / "versions.tf"):
                    for providers in entry.body.get("required_providers") or []:
                        needed.update(providers)
    for name in sorted(needed):
        spec = declared.get(name)
        if spec is None:
            problems.append(f"{path}: provider {name!r} is used but not in required_providers")
            continue
        if not str(spec.get("source", "")).startswith("hashicorp/"):
            problems.append(f"{path}: provider {name!r} needs a source address (hashicorp/{name})")
        if not re.match(r"^>=\s*\d+", str(spec.get("version", ""))):
            problems.append(f'{path}: provider {name!r} needs a lower bound version such as ">= 6.0"')
    return problems


# --------------------------------------------------------------------------- IAM


def check_roles_have_boundary(module_dir: str | Path) -> list[str]:
    """Every aws_iam_role sets permissions_boundary; every call of a local module that accepts
    permissions_boundary_arn passes it."""
    module_dir = Path(module_dir)
    problems = []
    for block in blocks(module_dir, "resource"):
        if block.labels[0] == "aws_iam_role" and "permissions_boundary" not in block.body:
            problems.append(f"{block.where()}: no permissions_boundary")
    for call in blocks(module_dir, "module"):
        source = str(call.body.get("source", ""))
        if not source.startswith("."):
            continue
        child = (module_dir / source).resolve()
        accepts = any(b.labels[0] == "permissions_boundary_arn" for b in blocks(child, "variable"))
        if accepts and "permissions_boundary_arn" not in call.body:
            problems.append(f"{call.where()}: does not pass permissions_boundary_arn")
    return problems


def _statement_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, source) of every ``statement {`` / ``dynamic "statement" {`` block of a file."""
    for match in re.finditer(r'^[ \t]*(?:dynamic\s+"statement"|statement)\s*\{', text, re.M):
        yield text.count("\n", 0, match.start()) + 1, text[match.start() : _block_end(text, match.end() - 1)]


def _block_end(text: str, open_index: int) -> int:
    """Index just past the ``}`` matching ``text[open_index] == "{"`` (strings and comments skipped)."""
    depth, i = 0, open_index
    while i < len(text):
        char = text[i]
        if char == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif char == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return len(text)
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def check_wildcard_resources(module_dir: str | Path) -> list[str]:
    """Every IAM statement with ``resources = ["*"]`` carries a comment saying why (the API has no
    resource-level permissions); iam:PassRole is never on "*" and always has iam:PassedToService."""
    problems = []
    for path in sorted(Path(module_dir).glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for line, source in _statement_blocks(text):
            inner = source[source.index("{") + 1 :]
            if re.search(r'resources\s*=\s*\[\s*"\*"\s*\]', inner) and not re.search(r"^\s*#\s*\S", inner, re.M):
                problems.append(f'{path}:{line}: statement with resources ["*"] has no comment saying why')
            if '"iam:PassRole"' in inner:
                if re.search(r'resources\s*=\s*\[\s*"\*"\s*\]', inner):
                    problems.append(f'{path}:{line}: iam:PassRole on resources ["*"]')
                if '"iam:PassedToService"' not in inner:
                    problems.append(f"{path}:{line}: iam:PassRole without an iam:PassedToService condition")
    return problems


# --------------------------------------------------------------------------- HCL source


def top_level_block_sources(path: str | Path) -> list[str]:
    """Source text of every top-level block of a ``.tf`` file (with the comments just above it)."""
    text = Path(path).read_text(encoding="utf-8")
    sources, i = [], 0
    pattern = re.compile(r'^[a-z_]+(?:\s+"[^"]*")*\s*\{', re.M)
    while True:
        match = pattern.search(text, i)
        if not match:
            return sources
        end = _block_end(text, match.end() - 1)
        start = match.start()
        # keep the comment lines right above the block
        while True:
            previous = text.rfind("\n", 0, start - 1)
            line = text[previous + 1 : start].strip()
            if start == 0 or not line.startswith("#"):
                break
            start = previous + 1
        sources.append(text[start:end])
        i = end


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_args(path: str | Path) -> set[str]:
    """Names of the ``ARG`` instructions of a Dockerfile."""
    return set(re.findall(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", Path(path).read_text(encoding="utf-8"), re.M))


def check_build_args(build_args: dict[str, Any], dockerfile: str | Path, prefix: str) -> list[str]:
    """Every build arg is an ARG of the Dockerfile, and every ARG starting with ``prefix`` is passed."""
    declared = dockerfile_args(dockerfile)
    passed = set(build_args)
    problems = [f"build arg {name} is not declared (ARG) in {dockerfile}" for name in sorted(passed - declared)]
    problems += [
        f"ARG {name} of {dockerfile} is not passed (the image would keep its default)"
        for name in sorted(n for n in declared - passed if n.startswith(prefix))
    ]
    return problems


# --------------------------------------------------------------------------- ASL


def _asl_scopes(definition: dict, where: str = "") -> Iterator[tuple[str, dict]]:
    """(location, {"StartAt", "States"}) of the definition and of every nested Map / Parallel."""
    yield where or "top level", definition
    for name, state in (definition.get("States") or {}).items():
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _asl_scopes(state[key], f"{where}{name}.{key}/")
        for index, branch in enumerate(state.get("Branches") or []):
            yield from _asl_scopes(branch, f"{where}{name}.Branches[{index}]/")


def check_asl_transitions(definition: dict) -> list[str]:
    """Every StartAt / Next / Default / Choices[].Next / Catch[].Next names a state of the same scope,
    and every state other than Choice / Succeed / Fail has either Next or End."""
    problems = []
    for where, scope in _asl_scopes(definition):
        states = scope.get("States") or {}
        if scope.get("StartAt") not in states:
            problems.append(f"{where}: StartAt {scope.get('StartAt')!r} is not a state")
        for name, state in states.items():
            targets = []
            if "Next" in state:
                targets.append(("Next", state["Next"]))
            if "Default" in state:
                targets.append(("Default", state["Default"]))
            targets += [(f"Choices[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Choices") or [])]
            targets += [(f"Catch[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Catch") or [])]
            for field_name, target in targets:
                if target not in states:
                    problems.append(f"{where}{name}: {field_name} {target!r} is not a state")
            if state.get("Type") not in ("Choice", "Succeed", "Fail") and ("Next" in state) == bool(state.get("End")):
                problems.append(f"{where}{name}: needs exactly one of Next or End")
    return problems
