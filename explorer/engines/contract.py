"""Helpers of the engine contract (../shared/DESIGN.md) shared by every engine."""
from __future__ import annotations


def check(cond: bool, name: str, msg: str) -> None:
    """Config validation: raise ``ValueError("<field>: <what is allowed>")`` naming the field."""
    if not cond:
        raise ValueError(f"{name}: {msg}")
