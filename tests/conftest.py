"""Shared fixtures: the repository root, the peer's reference run, tiny configs."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EXPLORER_SHARED", ROOT.parent / "shared"))
REFERENCE = SHARED / "reference" / "tfp_circle_seed_0.88025.json"
# Reference models (the zoo) train on first use into this cache: a fresh one per test session,
# so the suite exercises the training path and never reads a developer's stale files. Set before
# any test starts a server, which inherits it.
os.environ.setdefault("EXPLORER_CACHE_DIR", tempfile.mkdtemp(prefix="explorer-test-cache-"))
# One torch thread, as the app runs (device.cap_threads): on a busy 2-core machine two threads
# were measured 30× slower for small models.
os.environ.setdefault("EXPLORER_TORCH_THREADS", "1")
torch.set_num_threads(int(os.environ["EXPLORER_TORCH_THREADS"]))


@pytest.fixture(scope="session")
def tfp_reference() -> dict:
    if not REFERENCE.exists():
        pytest.fail(f"missing the peer's reference run at {REFERENCE} (../shared must sit beside the repo)")
    return json.loads(REFERENCE.read_text())
