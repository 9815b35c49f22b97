"""Helpers of the engine contract (../shared/DESIGN.md) shared by every engine."""
from __future__ import annotations

import time

import numpy as np


def check(cond: bool, name: str, msg: str) -> None:
    """Config validation: raise ``ValueError("<field>: <what is allowed>")`` naming the field."""
    if not cond:
        raise ValueError(f"{name}: {msg}")


class EpochLoop:
    """The contract's ``advance`` for trainers that train by epochs.

    A subclass provides ``_epoch()`` (train one epoch) and ``_measure() -> Snapshot`` and
    keeps ``self.snapshot``; it may override :meth:`_stopped` (default: diverged) and
    :meth:`_next_snapshot` (default: ``_epoch()`` then ``_measure()``).
    """

    def _stopped(self) -> bool:
        return self.diverged

    def _next_snapshot(self):
        self._epoch()
        return self._measure()

    def advance(self, max_steps: int = 1, max_seconds: float = float("inf")):
        """Train up to ``max_steps`` epochs, stopping early once ``max_seconds`` have passed
        (at least one epoch runs unless the run has stopped); returns the last snapshot.
        A stopped (diverged or finished) run does not train further."""
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            for _ in range(max(0, int(max_steps))):
                if self._stopped():
                    break
                self.snapshot = self._next_snapshot()
                if time.perf_counter() - t0 >= max_seconds:
                    break
        return self.snapshot
