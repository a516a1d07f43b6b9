"""Read the Terraform code of this repository without Terraform.

Shared by the structure tests (``tests/terraform``) and meant to be reused by
the emulator and other tests: it parses ``.tf`` files with python-hcl2 and
answers the questions the project's contracts ask of them:

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

python-hcl2 (8.x) with ``strip_string_quotes=True, explicit_blocks=False``
returns, for every file, ``{block type: [ {label: ... {label: body}} ]}``.
Literal strings come back without quotes; any other expression comes back as a
string wrapped in ``${...}`` (for example ``"${var.x}"`` or
``"${jsondecode(templatefile(\\"...\\", {a = b}))}"``); nested blocks are lists
of dicts; comments appear under ``__comments__`` keys, which are skipped here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
SERIALIZATION = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

# Number of labels of each top-level block type.
_LABELS = {
    "variable": 1,
    "output": 1,
    "module": 1,
    "provider": 1,
    "resource": 2,
    "data": 2,
    "locals": 0,
    "terraform": 0,
    "moved": 0,
    "import": 0,
    "check": 1,
    "removed": 0,
}

# Where handler packages live: zip functions in lambdas/, the evaluator image in evaluator/.
HANDLER_ROOTS = ("lambdas", "evaluator")

PLACEHOLDER_RE = re.compile(r"(?<!\$)\$\{(\w+)\}")


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Block:
    """One top-level block of a ``.tf`` file."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: Path

    @property
    def name(self) -> str:
        return ".".join(self.labels)

    def where(self) -> str:
        label = " ".join(f'"{label}"' for label in self.labels)
        return f"{self.file}: {self.kind} {label}".rstrip()


def load_file(path: str | Path) -> dict[str, Any]:
    """Parse one ``.tf`` file into python-hcl2's dict structure."""
    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=SERIALIZATION)


def loads(text: str) -> dict[str, Any]:
    """Parse HCL text (same structure as :func:`load_file`)."""
    return hcl2.loads(text, serialization_options=SERIALIZATION)


def _clean(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _clean(v) for k, v in body.items() if not k.startswith("__")}
    if isinstance(body, list):
        return [_clean(v) for v in body]
    return body


def _unnest(value: Any, depth: int, labels: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict]]:
    if depth == 0:
        yield labels, _clean(value)
        return
    for key, inner in value.items():
        if key.startswith("__"):
            continue
        yield from _unnest(inner, depth - 1, labels + (key,))


def file_blocks(path: str | Path) -> list[Block]:
    """Top-level blocks of one ``.tf`` file."""
    path = Path(path)
    result = []
    for kind, entries in load_file(path).items():
        if kind.startswith("__"):
            continue
        depth = _LABELS.get(kind, 1)
        for entry in entries:
            for labels, body in _unnest(entry, depth, ()):
                result.append(Block(kind, labels, body, path))
    return result


def blocks(module_dir: str | Path, kind: str | None = None) -> list[Block]:
    """Top-level blocks of every ``*.tf`` file of a module directory (not recursive)."""
    result = []
    for path in sorted(Path(module_dir).glob("*.tf")):
        result.extend(b for b in file_blocks(path) if kind is None or b.kind == kind)
    return result


def module_dirs(repo_root: str | Path = REPO_ROOT) -> list[Path]:
    """The root module, every ``modules/*`` and every ``examples/*`` that holds ``.tf`` files."""
    repo_root = Path(repo_root)
    candidates = [repo_root, *sorted(repo_root.glob("modules/*")), *sorted(repo_root.glob("examples/*"))]
    return [d for d in candidates if d.is_dir() and any(d.glob("*.tf"))]


# --------------------------------------------------------------------------- expressions


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def unwrap(value: str) -> str:
    """``"${expr}"`` -> ``"expr"``; a literal string is returned as it is."""
    return value[2:-1] if is_expression(value) else value


def iter_strings(value: Any) -> Iterator[str]:
    """Every string in a parsed structure (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from iter_strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from iter_strings(inner)


_OPEN = {"(": ")", "[": "]", "{": "}"}


def _scan(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Yield ``(index, char, depth)`` for every character of code (not inside a string).

    ``depth`` counts open brackets; string literals and their ``${...}``
    interpolations are tracked so that brackets and commas inside strings are
    not mistaken for code.
    """
    stack: list[str] = []  # bracket chars, "str" for a string, "interp" for ${ inside a string
    i = start
    while i < len(text):
        char = text[i]
        in_string = bool(stack) and stack[-1] == "str"
        if in_string:
            if char == "\\":
                i += 2
                continue
            if text.startswith("${", i) or text.startswith("%{", i):
                stack.append("interp")
                i += 2
                continue
            if char == '"':
                stack.pop()
            i += 1
            continue
        depth = sum(1 for s in stack if s in _OPEN)
        if char == '"':
            stack.append("str")
        elif char in _OPEN:
            yield i, char, depth
            stack.append(char)
        elif char in ")]}":
            if stack and stack[-1] == "interp" and char == "}":
                stack.pop()
            else:
                if stack and stack[-1] in _OPEN:
                    stack.pop()
                yield i, char, depth - 1
        else:
            yield i, char, depth
        i += 1


def split_top_level(text: str, separators: str = ",") -> list[str]:
    """Split ``text`` at separators that are outside brackets and strings."""
    parts, last = [], 0
    for index, char, depth in _scan(text):
        if depth == 0 and char in separators:
            parts.append(text[last:index])
            last = index + 1
    parts.append(text[last:])
    return [p.strip() for p in parts if p.strip()]


def _matching_paren(text: str, open_index: int) -> int:
    for index, char, depth in _scan(text, open_index):
        if char == ")" and depth == 0:
            return index
    raise ValueError(f"unbalanced parentheses in {text!r}")


def find_calls(expression: str, function: str) -> list[list[str]]:
    """Arguments (as source text) of every call of ``function`` in an expression."""
    calls = []
    for match in re.finditer(rf"\b{re.escape(function)}\s*\(", expression):
        open_index = match.end() - 1
        close_index = _matching_paren(expression, open_index)
        calls.append(split_top_level(expression[open_index + 1 : close_index]))
    return calls


def object_items(text: str) -> dict[str, str]:
    """``{a = x, "b" = y}`` (HCL object constructor source) -> ``{"a": "x", "b": "y"}``."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not an object constructor: {text!r}")
    items = {}
    for item in split_top_level(text[1:-1], ",\n"):
        match = re.match(r'^\s*"?([\w-]+)"?\s*[=:]\s*(.*)$', item, re.S)
        if not match:
            raise ValueError(f"cannot read object item {item!r}")
        items[match.group(1)] = match.group(2).strip()
    return items


def _string_literal(text: str) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a string literal: {text!r}")
    return text[1:-1]


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateCall:
    """A ``templatefile(path, vars)`` call found in a module."""

    block: Block
    template: Path  # resolved against the module directory
    variables: dict[str, str]  # name -> expression source


def templatefile_calls(module_dir: str | Path) -> list[TemplateCall]:
    """Every ``templatefile()`` call in the ``.tf`` files of a module directory."""
    module_dir = Path(module_dir)
    calls = []
    for block in blocks(module_dir):
        for value in iter_strings(block.body):
            if "templatefile" not in value:
                continue
            for args in find_calls(unwrap(value), "templatefile"):
                if len(args) != 2:
                    raise ValueError(f"{block.where()}: templatefile() needs 2 arguments, got {args}")
                raw_path = _string_literal(args[0]).replace("${path.module}", str(module_dir))
                calls.append(TemplateCall(block, Path(raw_path), object_items(args[1])))
    return calls


def template_placeholders(path: str | Path) -> set[str]:
    """Names used as ``${name}`` in a template (``$${`` escapes are not placeholders)."""
    return set(PLACEHOLDER_RE.findall(Path(path).read_text(encoding="utf-8")))


def render_template(path: str | Path, variables: dict[str, str]) -> str:
    """Substitute ``${name}`` placeholders like templatefile() does for plain names."""
    text = Path(path).read_text(encoding="utf-8")

    def substitute(match: re.Match) -> str:
        return variables[match.group(1)]

    return PLACEHOLDER_RE.sub(substitute, text).replace("$${", "${")


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

    @property
    def entry_point(self) -> str | None:
        """``package.module.function`` the function runs (zip handler or image command)."""
        if self.handler is not None:
            return self.handler
        if self.image_command:
            return self.image_command[0]
        return None


def lambda_functions(module_dir: str | Path) -> list[LambdaSpec]:
    """The ``module "fn_*"`` blocks of one module directory."""
    specs = []
    for block in blocks(module_dir, "module"):
        if not block.labels[0].startswith("fn_"):
            continue
        body = block.body
        env = body.get("environment_variables") or {}
        command = body.get("image_command")
        specs.append(
            LambdaSpec(
                module_name=block.labels[0],
                function_key=body.get("function_key"),
                handler=body.get("handler"),
                image_command=list(command) if isinstance(command, list) else command,
                environment=env if isinstance(env, dict) else {},
                block=block,
            )
        )
    return specs


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


def contract_environment(contracts: str | Path = REPO_ROOT / "docs/contracts.md") -> dict[str, set[str]]:
    """Environment variables table of docs/contracts.md: ``{function key: {NAME, ...}}``."""
    text = Path(contracts).read_text(encoding="utf-8")
    rows = list(_table_rows(_section(text, "Environment variables")))
    result: dict[str, set[str]] = {}
    for row in rows[1:]:
        names = {
            token.split("=")[0]
            for token in re.findall(r"`([^`]+)`", row[1])
            if re.match(r"^[A-Z][A-Z0-9_]*(=.*)?$", token)
        }
        for key in row[0].split(","):
            result[key.strip().strip("`")] = names
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
        elif spec.module_name != f"fn_{spec.function_key}":
            problems.append(f"{where}: function_key {spec.function_key!r} does not match the module name")
        has_handler = bool(spec.handler)
        has_command = bool(spec.image_command)
        if has_handler == has_command:
            problems.append(f"{where}: needs exactly one of handler (zip) or image_command (image)")
        if spec.entry_point and is_expression(spec.entry_point):
            problems.append(f"{where}: handler / image_command must be a literal string, not {spec.entry_point}")
        if spec.image_command is not None and not isinstance(spec.image_command, list):
            problems.append(f"{where}: image_command must be a literal list")
        raw_env = spec.block.body.get("environment_variables", {}) if spec.block else spec.environment
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


def check_environment(specs: Iterable[LambdaSpec], contract: dict[str, set[str]]) -> list[str]:
    """Each function's environment_variables names are exactly those of the contract."""
    problems = []
    for spec in specs:
        if spec.function_key not in contract:
            problems.append(f"{spec.module_name}: function key {spec.function_key!r} not in the contract")
            continue
        names = set(spec.environment)
        expected = contract[spec.function_key]
        if names != expected:
            problems.append(
                f"{spec.module_name}: environment {sorted(names)} != contract {sorted(expected)}"
                f" (missing {sorted(expected - names)}, extra {sorted(names - expected)})"
            )
    return problems
