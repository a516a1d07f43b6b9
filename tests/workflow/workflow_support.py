"""Shared helpers of the workflow tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json

from bedrock_customize import paths

# Every state entered by any workflow test, per workflow: the state-coverage test
# compares it with the states of both templates.
ENTERED: dict[str, set[str]] = {"customize": set(), "evaluate": set()}


def demo_input(**overrides) -> dict:
    data = json.loads((paths.sample_data_dir().parent / "examples" / "demo-input.json").read_text())
    data.update(overrides)
    return data
