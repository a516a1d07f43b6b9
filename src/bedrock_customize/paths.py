"""Where the Terraform module lives relative to this package."""

from __future__ import annotations

import os
from pathlib import Path


def module_root() -> Path:
    """The repository root holding ``main.tf`` and the templates.

    ``BEDROCK_CUSTOMIZE_MODULE_DIR`` overrides it (for a copy of the module);
    otherwise the package must be installed from a checkout (``pip install -e .``).
    """
    override = os.environ.get("BEDROCK_CUSTOMIZE_MODULE_DIR")
    root = Path(override) if override else Path(__file__).resolve().parents[2]
    if not (root / "main.tf").is_file() or not (root / "statemachine.asl.json.tftpl").is_file():
        raise FileNotFoundError(
            f"module directory {root} has no main.tf/statemachine.asl.json.tftpl; "
            "install from a checkout (pip install -e .) or set BEDROCK_CUSTOMIZE_MODULE_DIR"
        )
    return root


def sample_data_dir() -> Path:
    return Path(__file__).resolve().parent / "data" / "sample"
