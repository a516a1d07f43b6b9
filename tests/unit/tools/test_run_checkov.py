"""tools/run_checkov.py installs its pinned checkov into its own venv: retried, and a failure says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import run_checkov  # noqa: E402


class FakeRun:
    """subprocess.run for the venv and pip commands: pip fails ``failures`` times, then installs."""

    def __init__(self, venv: Path, failures: int):
        self.venv, self.failures, self.installs = venv, failures, 0

    def __call__(self, cmd, **kwargs):
        if cmd[1:3] == ["-m", "venv"]:
            (self.venv / "bin").mkdir(parents=True)
            return subprocess.CompletedProcess(cmd, 0)
        assert cmd == [str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet", run_checkov.CHECKOV_PIN]
        self.installs += 1
        if self.installs <= self.failures:
            return subprocess.CompletedProcess(cmd, 1, "", f"ERROR: read timed out ({self.installs})")
        (self.venv / "bin" / "checkov").touch()
        return subprocess.CompletedProcess(cmd, 0, "", "")


@pytest.fixture
def venv(tmp_path, monkeypatch):
    path = tmp_path / "checkov-venv"
    monkeypatch.setattr(run_checkov, "VENV", path)
    return path


def test_a_failed_download_is_retried_and_then_installed(venv, monkeypatch, capsys):
    fake = FakeRun(venv, failures=1)
    monkeypatch.setattr(run_checkov.subprocess, "run", fake)
    assert run_checkov.ensure_checkov() == venv / "bin" / "checkov"
    assert fake.installs == 2
    assert "failed (attempt 1):\nERROR: read timed out (1)" in capsys.readouterr().err


def test_an_install_that_keeps_failing_exits_unavailable_with_pips_error(venv, monkeypatch, capsys):
    fake = FakeRun(venv, failures=run_checkov.INSTALL_ATTEMPTS)
    monkeypatch.setattr(run_checkov.subprocess, "run", fake)
    with pytest.raises(SystemExit) as exc:
        run_checkov.ensure_checkov()
    assert exc.value.code == run_checkov.EXIT_UNAVAILABLE
    assert fake.installs == run_checkov.INSTALL_ATTEMPTS
    assert f"ERROR: read timed out ({run_checkov.INSTALL_ATTEMPTS})" in capsys.readouterr().err


def test_an_installed_checkov_is_not_installed_again(venv, monkeypatch):
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "checkov").touch()
    monkeypatch.setattr(run_checkov.subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    assert run_checkov.ensure_checkov() == venv / "bin" / "checkov"
