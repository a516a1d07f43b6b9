"""Render ``*.asl.json.tftpl`` exactly as Terraform's ``templatefile`` does for our templates.

Only ``${name}`` interpolations of plain variables are allowed. Anything else that
Terraform would interpret (``${expr}``, ``%{directive}``) is rejected, so a template
that would render differently in Terraform fails here too. ``$${`` and ``%%{`` are
Terraform escapes and render as ``${`` and ``%{``. ``$$.Execution.Id`` (JSONPath on
the context object) is not an escape and stays as it is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"\$\$\{|%%\{|\$\{([^}]*)\}|%\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    pass


def placeholders(text: str) -> set[str]:
    """The variable names a template uses."""
    names: set[str] = set()
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None and _NAME.match(match.group(1).strip()):
            names.add(match.group(1).strip())
    return names


def render_text(text: str, variables: dict[str, Any], *, source: str = "<template>") -> str:
    missing = placeholders(text) - set(variables)
    if missing:
        raise TemplateError(f"{source}: variables not provided: {', '.join(sorted(missing))}")

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        if token == "%%{":
            return "%{"
        if token == "%{":
            raise TemplateError(f"{source}: template directives (%{{...}}) are not allowed")
        expr = match.group(1).strip()
        if not _NAME.match(expr):
            raise TemplateError(f"{source}: only ${{name}} interpolations are allowed, found ${{{expr}}}")
        value = variables[expr]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _TOKEN.sub(replace, text)


def render_file(path: Path, variables: dict[str, Any]) -> dict[str, Any]:
    """``jsondecode(templatefile(path, variables))``: invalid JSON fails here as at plan time."""
    rendered = render_text(path.read_text(encoding="utf-8"), variables, source=str(path))
    try:
        return json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{path}: rendered template is not valid JSON: {exc}") from exc
