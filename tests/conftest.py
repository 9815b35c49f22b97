"""Shared fixtures: the repository root, the peer's reference run, tiny configs."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EXPLORER_SHARED", ROOT.parent / "shared"))
REFERENCE = SHARED / "reference" / "tfp_circle_seed_0.88025.json"


@pytest.fixture(scope="session")
def tfp_reference() -> dict:
    if not REFERENCE.exists():
        pytest.fail(f"missing the peer's reference run at {REFERENCE} (../shared must sit beside the repo)")
    return json.loads(REFERENCE.read_text())
