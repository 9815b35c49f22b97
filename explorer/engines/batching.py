"""Shuffled mini-batches drawn from a seeded generator (shared by the sequence trainers)."""
from __future__ import annotations

import torch


class ShuffledBatches:
    """Indices of ``batch_size`` examples out of ``n``: a fresh permutation from ``gen``
    whenever fewer than ``batch_size`` remain (the leftover tail is skipped). ``gen`` may be
    shared with other draws; the order of draws is what makes runs reproducible."""

    def __init__(self, n: int, batch_size: int, gen: torch.Generator):
        self.n, self.batch_size, self.gen = n, batch_size, gen
        self.order, self.pos = torch.empty(0, dtype=torch.int64), 0

    def next(self) -> torch.Tensor:
        """(batch_size,) int64 indices."""
        if self.pos + self.batch_size > len(self.order):
            self.order, self.pos = torch.randperm(self.n, generator=self.gen), 0
        idx = self.order[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx
