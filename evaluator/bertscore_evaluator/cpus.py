"""How many CPUs this process may really use, and torch's thread count set from it.

Lambda gives a function CPU in proportion to its memory ("Configure Lambda function memory", AWS Lambda
Developer Guide: at 1,769 MB a function has the equivalent of one vCPU; up to 6 vCPUs at 10,240 MB). The
share is enforced by the cgroup CPU quota, while ``os.cpu_count()`` (which torch uses by default) reports
the host's cores: more threads than the quota allows only contend and get throttled. So the count is the
smallest of the CPUs the process may run on (``sched_getaffinity``) and the cgroup quota (v2
``cpu.max``, v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), rounded down, at least 1.
``SCORE_THREADS`` overrides it (the emulator runs several functions in one process on shared cores).
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_lock = threading.Lock()
_configured: list[int] = []


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return None


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs the cgroup quota allows (for example 1.5), or None when there is no quota."""
    v2 = _read(root / "cpu.max")
    if v2:
        quota, _, period = v2.partition(" ")
        if quota != "max" and period:
            return int(quota) / int(period)
        return None
    quota_text = _read(root / "cpu" / "cpu.cfs_quota_us")
    period_text = _read(root / "cpu" / "cpu.cfs_period_us")
    if quota_text and period_text and int(quota_text) > 0 and int(period_text) > 0:
        return int(quota_text) / int(period_text)
    return None


def available_cpus(root: Path = CGROUP_ROOT) -> int:
    """Whole CPUs this process can use: affinity and cgroup quota, at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        count = min(count, math.floor(limit))
    return max(1, count)


def scoring_threads(root: Path = CGROUP_ROOT) -> int:
    override = os.environ.get("SCORE_THREADS", "").strip()
    if override:
        return max(1, int(override))
    return available_cpus(root)


def configure_torch() -> int:
    """Set torch's intra-op threads once per process; return the count."""
    with _lock:
        if not _configured:
            import torch

            threads = scoring_threads()
            torch.set_num_threads(threads)
            _configured.append(threads)
        return _configured[0]
