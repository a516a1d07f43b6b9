#!/usr/bin/env python3
"""Run checkov 3.3.30 (static security / best-practice checks) on the Terraform code, offline.

Usage:
  python tools/run_checkov.py [DIR] [--include-examples] [--json] [-- EXTRA CHECKOV ARGS]

- Creates `.tools/checkov-venv` with `checkov==3.3.30` on first use (pip, ~1-2 min); checkov
  gets its own venv because its pins clash with the project's.
- Runs `checkov -d DIR --framework terraform --compact --quiet --download-external-modules
  false --skip-download -o json`, skipping `.venv`, `.tools`, `.git`, `.terraform` and, by
  default, `examples/` (an example only instantiates the root module, whose resources
  checkov already evaluates from the root -- including the local submodules -- so scanning
  examples repeats the same findings under `module.<example call>.` addresses; pass
  `--include-examples` to scan them anyway).
  `--skip-download`: no call to the Prisma Cloud guidelines API (unreachable here).
- Prints one line per failed check (check id, resource address, file:lines, title) and, for
  convenience, the distinct (check id, file:lines) pairs; exit 0 when nothing failed,
  1 when checks failed, 3 when checkov cannot be installed or crashed.
- Suppress a finding deliberately with an inline comment inside the resource block:
  `# checkov:skip=CKV_AWS_117:Functions call only public AWS APIs, no VPC needed`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".tools" / "checkov-venv"
CHECKOV_PIN = "checkov==3.3.30"
EXIT_UNAVAILABLE = 3
INSTALL_ATTEMPTS = 3


def checkov_bin() -> Path:
    return VENV / "bin" / "checkov"


def ensure_checkov() -> Path:
    exe = checkov_bin()
    if exe.exists():
        return exe
    print(f"run_checkov: creating {VENV} with {CHECKOV_PIN} (first run, 1-2 min) ...", file=sys.stderr)
    install = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", CHECKOV_PIN]
    try:
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        for attempt in range(1, INSTALL_ATTEMPTS + 1):  # a package index that drops a download, retried
            proc = subprocess.run(install, capture_output=True, text=True)
            if proc.returncode == 0:
                break
            print(f"run_checkov: pip install {CHECKOV_PIN} failed (attempt {attempt}):", file=sys.stderr)
            print(proc.stderr[-2000:] or proc.stdout[-2000:], file=sys.stderr)
        else:
            sys.exit(EXIT_UNAVAILABLE)
    except OSError as exc:
        print(f"run_checkov: cannot install {CHECKOV_PIN}: {exc}", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    except subprocess.CalledProcessError as exc:
        print(f"run_checkov: cannot create {VENV}: {exc}", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    if not exe.exists():
        print(f"run_checkov: {exe} missing after install", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    return exe


def run_checkov(target: Path, include_examples: bool = False, extra: list[str] | None = None) -> dict:
    """Run checkov on target; returns {"summary": {...}, "failed": [...], "parsing_errors": [...]}."""
    exe = ensure_checkov()
    cmd = [
        str(exe),
        "-d",
        str(target),
        "--framework",
        "terraform",
        "--compact",
        "--quiet",
        "--download-external-modules",
        "false",
        "--skip-download",
        "-o",
        "json",
    ]
    # --skip-path takes regular expressions matched anywhere in the path
    for skip in (r"\.venv/", r"\.tools/", r"\.git/", r"\.terraform/") + (() if include_examples else ("examples/",)):
        cmd += ["--skip-path", skip]
    cmd += extra or []
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode not in (0, 1):
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        print(f"run_checkov: checkov exited {proc.returncode}", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        print("run_checkov: cannot parse checkov's JSON output", file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    reports = data if isinstance(data, list) else [data]
    failed, parsing_errors, summary = [], [], {"passed": 0, "failed": 0, "skipped": 0, "resource_count": 0}
    for rep in reports:
        for k in summary:
            summary[k] += int(rep.get("summary", {}).get(k, 0) or 0)
        results = rep.get("results", {})
        parsing_errors += results.get("parsing_errors", []) or []
        for f in results.get("failed_checks", []) or []:
            failed.append(
                {
                    "check_id": f["check_id"],
                    "check_name": f.get("check_name", ""),
                    "resource": f.get("resource", ""),
                    "file": (f.get("file_path") or "").lstrip("/"),
                    "lines": f.get("file_line_range") or [],
                }
            )
    summary["parsing_errors"] = len(parsing_errors)
    return {"summary": summary, "failed": failed, "parsing_errors": parsing_errors}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    include_examples = "--include-examples" in argv
    as_json = "--json" in argv
    positional = [a for a in argv if not a.startswith("--")]
    target = Path(positional[0]).resolve() if positional else REPO
    result = run_checkov(target, include_examples, extra)
    if as_json:
        print(json.dumps(result, indent=1))
    else:
        for f in result["failed"]:
            lines = "-".join(str(n) for n in f["lines"])
            print(f"FAILED {f['check_id']:<12} {f['resource']}  ({f['file']}:{lines})  {f['check_name']}")
        distinct = sorted({(f["check_id"], f["file"], tuple(f["lines"]), f["check_name"]) for f in result["failed"]})
        if distinct:
            print(f"\n{len(distinct)} distinct finding(s) (check id, file:lines):")
            for cid, file, lines, name in distinct:
                print(f"  {cid:<12} {file}:{'-'.join(map(str, lines))}  {name}")
        for e in result["parsing_errors"]:
            print(f"PARSING ERROR {e}")
        s = result["summary"]
        print(
            f"\ncheckov: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, "
            f"{s['parsing_errors']} parsing errors, {s['resource_count']} resources"
        )
    return 1 if result["failed"] or result["parsing_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
