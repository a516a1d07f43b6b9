"""Read what the Terraform module deploys, so the emulator deploys the same thing.

The emulator does not keep its own list of functions, handlers, environment
variable names or template variables: it reads them from the ``.tf`` files.
If the Terraform code changes (a function added, an environment variable
renamed, a template variable added), the emulator follows or fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

_TEMPLATEFILE = re.compile(r'templatefile\(\s*"\$\{path\.module\}/([^"]+)"\s*,\s*\{(.*?)\}\s*\)', re.S)
_MAP_KEY = re.compile(r"(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    module_dir: Path
    handler: str | None
    image_command: tuple[str, ...] | None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def entrypoint(self) -> str:
        """``package.module.function`` that the Lambda runtime calls."""
        if self.handler:
            return self.handler
        if self.image_command:
            return self.image_command[0]
        raise ValueError(f"function {self.key} has neither handler nor image_command")

    @property
    def package_type(self) -> str:
        return "Zip" if self.handler else "Image"


@dataclass(frozen=True)
class TemplateCall:
    module_dir: Path
    template: Path
    variables: tuple[str, ...]


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(
            handle,
            serialization_options=hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False),
        )


def _module_dirs(root: Path) -> list[Path]:
    dirs = [root]
    modules = root / "modules"
    if modules.is_dir():
        dirs += sorted(p for p in modules.iterdir() if p.is_dir())
    return dirs


def _iter_blocks(doc: dict[str, Any], kind: str):
    for block in doc.get(kind, []) or []:
        yield from block.items()


def _strip_interp(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def _locals(directory: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for tf in sorted(directory.glob("*.tf")):
        for block in _load(tf).get("locals", []) or []:
            values.update(block)
    return values


def lambda_functions(root: Path) -> dict[str, FunctionSpec]:
    """Every ``module "fn_*"`` whose source is the lambda-function module, by function key."""
    found: dict[str, FunctionSpec] = {}
    for directory in _module_dirs(root):
        local_values = _locals(directory)
        for tf in sorted(directory.glob("*.tf")):
            for name, body in _iter_blocks(_load(tf), "module"):
                source = str(body.get("source", ""))
                if not source.rstrip("/").endswith("lambda-function"):
                    continue
                key = body.get("function_key") or name.removeprefix("fn_")
                command = body.get("image_command")
                env = body.get("environment_variables") or {}
                ref = _strip_interp(env) if isinstance(env, str) else None
                if ref and ref.startswith("local.") and isinstance(local_values.get(ref[6:]), dict):
                    env = local_values[ref[6:]]
                if not isinstance(env, dict):
                    raise ValueError(f"{tf}: module {name}: environment_variables must be a literal map")
                spec = FunctionSpec(
                    key=str(key),
                    module_dir=directory,
                    handler=body.get("handler") if isinstance(body.get("handler"), str) else None,
                    image_command=tuple(command) if isinstance(command, list) else None,
                    environment={k: str(_strip_interp(v)) for k, v in env.items()},
                )
                if spec.key in found:
                    raise ValueError(f"function key {spec.key} is declared twice")
                found[spec.key] = spec
    return found


def template_calls(root: Path) -> list[TemplateCall]:
    """Every ``templatefile("${path.module}/X.tftpl", {...})`` and the variable names it passes."""
    calls: list[TemplateCall] = []
    for directory in _module_dirs(root):
        for tf in sorted(directory.glob("*.tf")):
            text = tf.read_text(encoding="utf-8")
            if "templatefile(" not in text:
                continue
            # Parse through hcl2 so comments and formatting do not matter, then
            # read the normalised expression strings it returns.
            flat = repr(_load(tf))
            for match in _TEMPLATEFILE.finditer(flat.replace('\\"', '"')):
                keys = tuple(sorted(set(_MAP_KEY.findall(match.group(2)))))
                calls.append(TemplateCall(directory, directory / match.group(1), keys))
    return calls


def storage_local(root: Path, name: str) -> str:
    """A literal string local of ``modules/storage`` (e.g. ``cache_prefix``), as Terraform deploys it."""
    value = _locals(root / "modules" / "storage").get(name)
    if not isinstance(value, str) or value.startswith("${"):
        raise ValueError(f"modules/storage: local.{name} must be a literal string, got {value!r}")
    return value
