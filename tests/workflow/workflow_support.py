"""Shared helpers of the workflow tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json

from bedrock_customize import paths


def demo_input(**overrides) -> dict:
    data = json.loads((paths.sample_data_dir().parent / "examples" / "demo-input.json").read_text())
    data.update(overrides)
    return data
