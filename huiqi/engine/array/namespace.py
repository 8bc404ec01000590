"""The one place the array backend picks its array library: NumPy on the CPU, CuPy on a GPU.

The GPU backend (``fused_match.CupyBackend``) holds its fused plan on the device through
the module this returns. CuPy is never faked: without it, or without a GPU it can see,
asking for it is a ConfigError.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from huiqi.errors import ConfigError

NAMESPACES = ("numpy", "cupy")


def array_namespace(name: str) -> ModuleType:
    """The array module for ``name`` ('numpy' or 'cupy'); a clear refusal when unusable."""
    if name not in NAMESPACES:
        raise ConfigError(f"no array library named '{name}'; choose one of {', '.join(NAMESPACES)}")
    if name == "numpy":
        return importlib.import_module("numpy")
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        raise ConfigError(
            "the cupy backend needs CuPy and a CUDA GPU, and CuPy is not installed here;"
            " use the numpy backend (same results on the CPU), or install cupy on a GPU machine"
        ) from None
    try:
        gpus = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDA driver missing or broken: cupy raises its own errors
        raise ConfigError(
            f"the cupy backend needs a CUDA GPU, and none is usable here ({exc});"
            " use the numpy backend"
        ) from None
    if gpus < 1:
        raise ConfigError(
            "the cupy backend needs a CUDA GPU and this machine has none; use the numpy backend"
        )
    return cupy
