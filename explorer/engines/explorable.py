"""What a page hands to the latent-space explorer (``embeddings``): a trained model, the
layers worth projecting and the inputs to project.

Any engine whose models the explorer can show exposes ``explorable(seed: int = 0) ->
Explorable`` (a deterministic model trained with that page's defaults, cached in-process),
and a page can wrap its own live model with :class:`Explorable` directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch.nn as nn


@dataclass(frozen=True, eq=False)
class Explorable:
    """A trained model whose hidden layers can be projected.

    ``model`` is in eval mode and may be shared (never train or mutate it; hooks are added and
    removed by the explorer). ``taps`` are ``(label, submodule)`` in input → output order; the
    output of each submodule (flattened to ``[N, D]``) is one layer the user can pick; the last
    one is the model's code/latent. ``x`` holds the inputs ``[N, ...]`` float32 (``kind``
    ``"image"``: ``[N, C, H, W]`` in [0, 1]; ``"points"``: ``[N, 2]``), ``y`` their int labels
    ``[N]`` named by ``classes``. ``predict`` maps an input tensor to class logits ``[N, K]``
    when the model classifies (colour by prediction / error), else None. ``forward`` runs the
    model on an input tensor so the taps fire (default: ``model(x)``)."""

    label: str
    model: nn.Module
    taps: tuple[tuple[str, nn.Module], ...]
    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    kind: str = "image"
    predict: Callable | None = None
    forward: Callable | None = None
    note: str = ""

    def __post_init__(self):
        if self.kind not in ("image", "points"):
            raise ValueError("kind: must be 'image' or 'points'")
        if not self.taps:
            raise ValueError("taps: at least one layer to explore")
        if len(self.x) != len(self.y):
            raise ValueError("x, y: must have the same length")
