"""How the run's custom model is served (``Deployment``) and kept when it wins (``KeepWinnerAs``)."""

from __future__ import annotations

from typing import NamedTuple

from workflow_lambdas import model_families as mf
from workflow_lambdas.validation.check import Env, InputCheck


class Deployment(NamedTuple):
    requested: str  # auto, on_demand or provisioned
    mode: str  # on_demand or provisioned
    keep_as: str  # deployment or provisioned_throughput


def serving_mode(requested: str, supported: bool) -> str:
    """auto = on_demand where the model can be deployed for on-demand inference, otherwise provisioned."""
    return "on_demand" if requested == "on_demand" or (requested == "auto" and supported) else "provisioned"


def resolve_deployment(check: InputCheck, env: Env, model: mf.BaseModel | None) -> Deployment:
    """``Deployment`` and ``KeepWinnerAs`` (docs/contracts.md), with their problems.

    auto = on_demand where ``model_families.on_demand_supported(model, region)`` (Bedrock user guide,
    "Deploy a custom model for on-demand inference"), otherwise provisioned.
    """
    raw, bad_top, region = check.raw, check.bad_top, env.deploy_region
    requested = raw.get("Deployment", env.settings.default_deployment) if "Deployment" not in bad_top else "auto"
    supported = model is not None and region is not None and mf.on_demand_supported(model, region)
    if requested == "on_demand" and not supported:
        what = model.display if model is not None else str(raw.get("BaseModelIdentifier"))
        check.problems.add(
            "Deployment",
            f"on_demand: {what} cannot be deployed for on-demand inference in {region or 'this region'}",
            'use "provisioned" (a no-commitment provisioned throughput) or "auto"',
        )
    mode = serving_mode(requested, supported)
    keep_default = "deployment" if mode == "on_demand" else "provisioned_throughput"
    keep_as = raw.get("KeepWinnerAs", keep_default) if "KeepWinnerAs" not in bad_top else keep_default
    if mode == "provisioned" and keep_as == "deployment":
        check.problems.add(
            "KeepWinnerAs",
            f"deployment: this run is served by a provisioned throughput (Deployment {requested})",
            'leave KeepWinnerAs out (the winner keeps its throughput) or use Deployment "on_demand"',
        )
    return Deployment(requested, mode, keep_as)
