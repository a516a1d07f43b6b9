"""Local AWS emulator: moto 5.2.5 with its gaps closed, deploying what the Terraform module deploys."""

from .config import EmulatorConfig, ModelBehaviour, region_for_model
from .core import Emulator

__all__ = ["Emulator", "EmulatorConfig", "ModelBehaviour", "region_for_model"]
