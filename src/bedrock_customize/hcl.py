"""The one reader of this repository's Terraform code (python-hcl2), without Terraform.

The emulator (which functions and templates to deploy), the structure tests
(``tests/terraform/tfparse.py`` builds its checks on it) and the docs generator
(``tools/gen_docs.py``) all read ``.tf`` files through this module, so they see
the same structure:

* which blocks a module directory declares (:func:`blocks`, :func:`locals_of`);
* the source text of expressions and the calls in them (:func:`find_calls`,
  :func:`object_items`, :func:`split_top_level`);
* which ``templatefile()`` calls a module makes and with which variables
  (:func:`templatefile_calls`).

python-hcl2 (8.x) with ``strip_string_quotes=True, explicit_blocks=False``
returns, for every file, ``{block type: [ {label: ... {label: body}} ]}``.
Literal strings come back without quotes; any other expression comes back as a
string wrapped in ``${...}`` (for example ``"${var.x}"`` or
``"${jsondecode(templatefile(\\"...\\", {a = b}))}"``); nested blocks are lists
of dicts; comments appear under ``__comments__`` keys, which are skipped here.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

SERIALIZATION = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
EXPLICIT = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=True, with_comments=False)

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


def load_file(path: str | Path, *, explicit_blocks: bool = False) -> dict[str, Any]:
    """Parse one ``.tf`` file into python-hcl2's dict structure (``explicit_blocks``: the
    provider-schema check's view, where real blocks carry ``__is_block__`` and no comments)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return copy.deepcopy(_parsed(text, explicit_blocks))


# Parsing is the cost (python-hcl2's Lark parser: about 0.1-0.3 s of CPU a file), and every emulator
# start reads the whole module (a hundred files): one parse per distinct text and view in a process.
# Keyed by the text itself, so an edited file is parsed again; callers get a deep copy each time.
@functools.lru_cache(maxsize=1024)
def _parsed(text: str, explicit_blocks: bool) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=EXPLICIT if explicit_blocks else SERIALIZATION)


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


def module_dirs(repo_root: str | Path) -> list[Path]:
    """The root module, every ``modules/*`` and every ``examples/*`` that holds ``.tf`` files."""
    repo_root = Path(repo_root)
    candidates = [repo_root, *sorted(repo_root.glob("modules/*")), *sorted(repo_root.glob("examples/*"))]
    return [d for d in candidates if d.is_dir() and any(d.glob("*.tf"))]


def locals_of(module_dir: str | Path) -> dict[str, Any]:
    """Every ``locals`` value of a module directory, by name."""
    values: dict[str, Any] = {}
    for block in blocks(module_dir, "locals"):
        values.update(block.body)
    return values


_EACH_VALUE = re.compile(r"^each\.value\.([A-Za-z_][A-Za-z0-9_]*)$")


def module_instances(block: Block, local_values: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """``(instance key, body)`` of each instance of a ``module`` block: one ``(None, body)`` for a
    plain block; for ``for_each = local.<map>`` (a literal map in ``locals``), one per map key, with
    ``each.key`` and ``each.value.<attr>`` arguments replaced by that entry's values."""
    for_each = block.body.get("for_each")
    if for_each is None:
        return [(None, block.body)]
    ref = unwrap(for_each) if isinstance(for_each, str) else ""
    entries = local_values.get(ref.removeprefix("local.")) if ref.startswith("local.") else None
    if not isinstance(entries, dict):
        raise ValueError(f"{block.where()}: for_each must be a literal map in locals (local.<name>), not {for_each!r}")
    instances: list[tuple[str | None, dict[str, Any]]] = []
    for key, entry in entries.items():
        body: dict[str, Any] = {}
        for name, value in block.body.items():
            if name == "for_each":
                continue
            expression = unwrap(value) if is_expression(value) else None
            if expression == "each.key":
                body[name] = key
            elif expression and (match := _EACH_VALUE.match(expression)):
                body[name] = entry.get(match.group(1)) if isinstance(entry, dict) else None
            else:
                body[name] = value
        instances.append((str(key), body))
    return instances


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


def string_literal(text: str) -> str:
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
                raw_path = string_literal(args[0]).replace("${path.module}", str(module_dir))
                calls.append(TemplateCall(block, Path(raw_path), object_items(args[1])))
    return calls
