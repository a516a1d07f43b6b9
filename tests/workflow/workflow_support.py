"""Shared helpers of the workflow tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import re

from bedrock_customize import paths

# The evaluation cache shared by every run (modules/storage local.cache_prefix): the only artifacts outside
# a run's prefix, each a content address (docs/contracts.md "S3 layout").
_CACHE_KEY = re.compile(r"^cache/(embeddings/[0-9a-f]{64}\.npy|base-outputs/[0-9a-f]{64}\.json)$")


def is_cache_key(key: str) -> bool:
    return bool(_CACHE_KEY.match(key))


def demo_input(**overrides) -> dict:
    data = json.loads((paths.sample_data_dir().parent / "examples" / "demo-input.json").read_text())
    data.update(overrides)
    return data
