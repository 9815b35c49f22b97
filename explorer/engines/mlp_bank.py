"""A bank of M small independent MLPs evaluated as one batched computation.

Comparing training recipes (CE vs focal, none vs L1 vs L2, an ensemble) means training
several tiny networks side by side. Stacking their weights on a leading "model" axis turns
M forward/backward passes into one, so a step costs about as much as a single network.
The models share nothing: the gradient of a sum of per-model losses gives each model its
own gradient, and Adam's per-element update keeps them independent.

Shapes: weights ``W[l]`` (M, fan_in, fan_out), biases ``b[l]`` (M, 1, fan_out); inputs
(M, n, d_in) or (n, d_in) (shared by every model); outputs (M, n, d_out).
"""
from __future__ import annotations

import math

import numpy as np
import torch

ACTIVATIONS = ("tanh", "relu")


class Bank:
    """M MLPs with layer sizes ``sizes`` = (d_in, h1, …, d_out).

    ``same_init``: every model starts from the same weights (a fair side-by-side
    comparison); otherwise each draws its own (an ensemble). Initialization is PyTorch's
    ``nn.Linear`` default, U(−1/√fan_in, 1/√fan_in), drawn from ``gen``.
    """

    def __init__(self, m: int, sizes: tuple, gen: torch.Generator, activation: str = "tanh",
                 same_init: bool = True, dtype=torch.float32):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: must be one of {ACTIVATIONS}")
        self.m, self.sizes, self.activation = int(m), tuple(int(s) for s in sizes), activation
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        draw = 1 if same_init else self.m
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(draw, fan_in, fan_out, generator=gen, dtype=dtype) * 2 - 1) * bound
            b = (torch.rand(draw, 1, fan_out, generator=gen, dtype=dtype) * 2 - 1) * bound
            self.weights.append(w.expand(self.m, -1, -1).clone().requires_grad_())
            self.biases.append(b.expand(self.m, -1, -1).clone().requires_grad_())

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    @property
    def n_params(self) -> int:
        """Parameters of one model."""
        return sum(w[0].numel() + b[0].numel() for w, b in zip(self.weights, self.biases))

    def forward(self, x: torch.Tensor, drop: torch.Tensor | None = None,
                gen: torch.Generator | None = None, per_example: bool = True) -> torch.Tensor:
        """Outputs (M, n, d_out) for inputs (n, d_in) or (M, n, d_in).

        ``drop``: per-model dropout rate (M,) applied to every hidden layer (inverted
        dropout: kept units are scaled by 1/(1−p)); None means eval mode (deterministic).
        ``per_example``: a fresh mask for every input (training); False draws one mask per
        model for all inputs — one thinned sub-network, to draw as a curve.
        """
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.m, -1, -1)
        last = len(self.weights) - 1
        for li, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if li < last:
                h = torch.tanh(h) if self.activation == "tanh" else torch.relu(h)
                if drop is not None:
                    p = drop.to(h.dtype).view(-1, 1, 1)
                    shape = h.shape if per_example else (h.shape[0], 1, h.shape[2])
                    keep = torch.rand(shape, generator=gen, dtype=h.dtype) >= p
                    h = h * keep / (1 - p).clamp_min(1e-6)
        return h

    def flat(self) -> np.ndarray:
        """All parameters as (M, P) float32: per layer the weights (fan_in·fan_out), then biases."""
        with torch.no_grad():
            parts = [t.reshape(self.m, -1) for w, b in zip(self.weights, self.biases) for t in (w, b)]
            return torch.cat(parts, dim=1).to(torch.float32).numpy().copy()

    def load_flat(self, flat: np.ndarray) -> None:
        """Set every model's parameters from an (M, P) array made by :meth:`flat`."""
        src = torch.as_tensor(np.asarray(flat), dtype=self.weights[0].dtype)
        pos = 0
        with torch.no_grad():
            for w, b in zip(self.weights, self.biases):
                for t in (w, b):
                    k = t[0].numel()
                    t.copy_(src[:, pos:pos + k].reshape(t.shape))
                    pos += k


def forward_flat(sizes: tuple, flat: np.ndarray, x: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """Eval-mode outputs (M, n, d_out) of models given as (M, P) parameters (see
    :meth:`Bank.flat`) on inputs x (n, d_in), in NumPy (no autograd needed for views)."""
    flat = np.asarray(flat, dtype=np.float64)
    m = flat.shape[0]
    h = np.broadcast_to(np.asarray(x, dtype=np.float64), (m, *np.shape(x)))
    pos, n_layers = 0, len(sizes) - 1
    for li, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = flat[:, pos:pos + fan_in * fan_out].reshape(m, fan_in, fan_out)
        pos += fan_in * fan_out
        b = flat[:, pos:pos + fan_out].reshape(m, 1, fan_out)
        pos += fan_out
        h = h @ w + b
        if li < n_layers - 1:
            h = np.tanh(h) if activation == "tanh" else np.maximum(h, 0.0)
    return h
