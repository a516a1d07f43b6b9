"""torch's thread count follows the CPUs the function really has: affinity and the cgroup quota."""

from __future__ import annotations

import os

import pytest

from bertscore_evaluator import cpus


def _cgroup_v2(tmp_path, text: str):
    (tmp_path / "cpu.max").write_text(text + "\n")
    return tmp_path


def _cgroup_v1(tmp_path, quota: int, period: int):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(f"{period}\n")
    return tmp_path


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.delenv("SCORE_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))


@pytest.mark.parametrize(
    ("quota", "expected"),
    [("max 100000", 8), ("600000 100000", 6), ("170000 100000", 1), ("50000 100000", 1), ("200000 100000", 2)],
)
def test_cgroup_v2_quota_bounds_the_threads(tmp_path, eight_cpus, quota, expected):
    assert cpus.scoring_threads(_cgroup_v2(tmp_path, quota)) == expected


def test_cgroup_v1_quota_bounds_the_threads(tmp_path, eight_cpus):
    assert cpus.scoring_threads(_cgroup_v1(tmp_path, 300_000, 100_000)) == 3
    assert cpus.cgroup_cpu_limit(tmp_path) == 3.0


def test_cgroup_v1_without_quota_is_no_limit(tmp_path, eight_cpus):
    assert cpus.cgroup_cpu_limit(_cgroup_v1(tmp_path, -1, 100_000)) is None
    assert cpus.scoring_threads(tmp_path) == 8


def test_no_cgroup_uses_the_affinity_not_the_host_count(tmp_path, monkeypatch):
    monkeypatch.delenv("SCORE_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert cpus.cgroup_cpu_limit(tmp_path) is None
    assert cpus.scoring_threads(tmp_path) == 2


def test_override_wins(tmp_path, eight_cpus, monkeypatch):
    monkeypatch.setenv("SCORE_THREADS", "3")
    assert cpus.scoring_threads(_cgroup_v2(tmp_path, "100000 100000")) == 3


def test_configure_torch_sets_the_count_once(monkeypatch):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    monkeypatch.setattr(cpus, "_configured", [])
    monkeypatch.setattr(cpus, "scoring_threads", lambda: 1)
    try:
        assert cpus.configure_torch() == 1
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(cpus, "scoring_threads", lambda: 2)
        assert cpus.configure_torch() == 1  # once per process
    finally:
        torch.set_num_threads(before)
