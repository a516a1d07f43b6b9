"""Shared fixtures of the emulator unit tests."""

from __future__ import annotations

import pytest

from bedrock_customize.emulator import moto_patches


@pytest.fixture
def emulated_aws(fake_aws_env) -> None:
    """The fake AWS environment with the emulator's moto patches applied (enter ``mock_aws()`` in the test)."""
    moto_patches.apply()
