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
