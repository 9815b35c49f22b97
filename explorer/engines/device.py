"""The compute device: CUDA → MPS → CPU, overridable with EXPLORER_DEVICE=cpu|cuda|mps.

torch is imported only when a device is asked for, so pages that do not need it (and the
app's first paint) stay light.
"""
from __future__ import annotations

import os
import sys
from importlib import metadata

ENV = "EXPLORER_DEVICE"
THREADS = int(os.environ.get("EXPLORER_TORCH_THREADS", "1"))


def pick_device() -> str:
    """'cuda', 'mps' or 'cpu' — the env override wins when that device is available."""
    import torch

    want = os.environ.get(ENV, "").strip().lower()
    have = {"cpu": True, "cuda": torch.cuda.is_available(),
            "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
    if want in have and have[want]:
        return want
    for dev in ("cuda", "mps"):
        if have[dev]:
            return dev
    return "cpu"


def describe() -> dict:
    """Device name and details for the Home page."""
    import torch

    dev = pick_device()
    info = {"device": dev, "override": os.environ.get(ENV) or None, "torch_threads": torch.get_num_threads()}
    if dev == "cuda":
        info["name"] = torch.cuda.get_device_name(0)
    return info


_BLAS_USERS = ("numpy", "scipy.linalg", "sklearn", "torch")
_blas_capped: set = set()


def cap_threads() -> None:
    """Cap torch's intra-op threads and the BLAS pools of NumPy/SciPy (sessions share one
    process and a few cores; a threaded SVD on busy cores was measured 40× slower)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)
    loaded = {m for m in _BLAS_USERS if m in sys.modules}
    if loaded - _blas_capped:  # a library that brings its own BLAS appeared: limit it too (≈60 ms)
        from threadpoolctl import threadpool_limits

        threadpool_limits(THREADS, user_api="blas")
        _blas_capped.update(loaded)


def versions(names=("python", "streamlit", "torch", "numpy", "plotly", "scikit-learn", "safetensors")) -> dict:
    """Installed versions, read from package metadata (imports nothing)."""
    out = {}
    for n in names:
        if n == "python":
            out[n] = sys.version.split()[0]
            continue
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out
