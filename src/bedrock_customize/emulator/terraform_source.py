"""Read what the Terraform module deploys, so the emulator deploys the same thing.

The emulator does not keep its own list of functions, handlers, environment
variable names or template variables: it reads them from the ``.tf`` files.
If the Terraform code changes (a function added, an environment variable
renamed, a template variable added), the emulator follows or fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedrock_customize import hcl


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


def _module_dirs(root: Path) -> list[Path]:
    """The root module and ``modules/*`` (the examples only call the root module)."""
    return [d for d in hcl.module_dirs(root) if d.parent.name != "examples"]


def _strip_interp(value: Any) -> Any:
    return hcl.unwrap(value) if isinstance(value, str) else value


def lambda_functions(root: Path) -> dict[str, FunctionSpec]:
    """Every instance of a ``module`` whose source is the lambda-function module (``module "fn_<key>"``,
    or one ``module "function"`` with ``for_each = local.<map>``), by function key."""
    found: dict[str, FunctionSpec] = {}
    for directory in _module_dirs(root):
        local_values = hcl.locals_of(directory)
        instances = [
            (block, instance, body)
            for block in hcl.blocks(directory, "module")
            if str(block.body.get("source", "")).rstrip("/").endswith("lambda-function")
            for instance, body in hcl.module_instances(block, local_values)
        ]
        for block, instance, body in instances:
            tf, name = block.file, block.labels[0]
            key = body.get("function_key") or instance or name.removeprefix("fn_")
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
    return [
        TemplateCall(directory, call.template, tuple(sorted(call.variables)))
        for directory in _module_dirs(root)
        for call in hcl.templatefile_calls(directory)
    ]


def storage_local(root: Path, name: str) -> str:
    """A literal string local of ``modules/storage`` (e.g. ``cache_prefix``), as Terraform deploys it."""
    value = hcl.locals_of(root / "modules" / "storage").get(name)
    if not isinstance(value, str) or value.startswith("${"):
        raise ValueError(f"modules/storage: local.{name} must be a literal string, got {value!r}")
    return value
