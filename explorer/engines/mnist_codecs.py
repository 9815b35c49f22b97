"""Encoder/decoder modules for 28×28 grey images, shared by the autoencoder and VAE engines,
and the MNIST tensors they train on.

Every module works on flattened images (784 pixels); weights come from a seeded
``torch.Generator`` only (the global RNG is never touched). Decoders return **logits**
``[N, 784]``; ``torch.sigmoid`` of them is the image in [0, 1].
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PIXELS = 784
SIDE = 28


def init_linear(lin: nn.Linear, gen: torch.Generator) -> None:
    """What ``nn.Linear.reset_parameters`` does, drawn from ``gen``."""
    with torch.no_grad():
        nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=gen)
        bound = 1.0 / math.sqrt(lin.in_features)
        nn.init.uniform_(lin.bias, -bound, bound, generator=gen)


def linear(n_in: int, n_out: int, gen: torch.Generator) -> nn.Linear:
    lin = nn.utils.skip_init(nn.Linear, n_in, n_out)
    init_linear(lin, gen)
    return lin


class Encoder(nn.Module):
    """``[N, 1, 28, 28]`` (or ``[N, 784]``) → ``[N, out]``: 784 → hidden (ReLU) → out.

    ``layers`` lists the submodules in input → output order (the latent explorer's taps)."""

    def __init__(self, hidden: int, out: int, gen: torch.Generator):
        super().__init__()
        self.fc1 = linear(PIXELS, hidden, gen)
        self.act1 = nn.ReLU()
        self.fc2 = linear(hidden, out, gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act1(self.fc1(x.reshape(len(x), PIXELS))))


class Decoder(nn.Module):
    """``[N, d]`` → logits ``[N, 784]``: d → hidden (ReLU) → 784."""

    def __init__(self, d: int, hidden: int, gen: torch.Generator):
        super().__init__()
        self.fc1 = linear(d, hidden, gen)
        self.act1 = nn.ReLU()
        self.fc2 = linear(hidden, PIXELS, gen)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act1(self.fc1(z)))


class AutoregressiveDecoder(nn.Module):
    """A *powerful* decoder for binarized digits: each pixel's logit sees the latent code **and
    every pixel before it** in raster order, through two paths:

    * a GRU that reads the image row by row (input at row r: row r−1's 28 pixels and z; initial
      state from z) and emits row r's 28 logits: it knows everything drawn above;
    * a PixelCNN-style masked 7×7 convolution (mask "A") adding the pixels to the left in the
      same row and the nearby ones above: ``Σ_{j ∈ window, j < i} w_{j−i} x_j``.

    Together they predict a digit's pixels almost as well without z as with it, so the KL term
    makes z pure cost and the posterior collapses. Training uses the true previous pixels
    (teacher forcing: one GRU pass + one convolution); :meth:`generate` decodes row by row and
    pixel by pixel, feeding back probabilities (mean field, so the picture is deterministic)."""

    K = 7
    GAIN = 20.0    # the kernel used is GAIN × the parameter: Adam then learns it GAIN× faster
    STATE = 128    # GRU state size

    def __init__(self, d: int, hidden: int, gen: torch.Generator):
        super().__init__()
        self.h0 = linear(d, self.STATE, gen)
        self.gru = nn.GRU(SIDE + d, self.STATE, batch_first=True)
        bound = 1.0 / math.sqrt(self.STATE)
        with torch.no_grad():
            for w in self.gru.parameters():
                nn.init.uniform_(w, -bound, bound, generator=gen)
        self.out = linear(self.STATE, SIDE, gen)
        self.kernel = nn.Parameter(torch.zeros(1, 1, self.K, self.K))
        mask = torch.ones(self.K, self.K)
        c = self.K // 2
        mask[c, c:] = 0.0
        mask[c + 1:] = 0.0
        self.register_buffer("mask", mask.reshape(1, 1, self.K, self.K))

    def weights(self) -> torch.Tensor:
        """The masked kernel ``[1, 1, K, K]`` (zero at the centre pixel and after it)."""
        return self.GAIN * self.kernel * self.mask

    def _rows(self, z: torch.Tensor, prev: torch.Tensor, h: torch.Tensor | None = None):
        """GRU logits ``[N, R, 28]`` for rows whose previous rows are ``prev`` ``[N, R, 28]``."""
        inp = torch.cat([prev, z[:, None].expand(-1, prev.shape[1], -1)], dim=2)
        o, h = self.gru(inp, torch.tanh(self.h0(z))[None] if h is None else h)
        return self.out(o), h

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[N, 784]``; with ``x`` ``[N, 784]`` (teacher forcing), else generated."""
        if x is None:
            return self.generate(z)
        rows = x.reshape(len(x), SIDE, SIDE)
        prev = torch.cat([torch.zeros_like(rows[:, :1]), rows[:, :-1]], dim=1)
        ctx = F.conv2d(x.reshape(len(x), 1, SIDE, SIDE), self.weights(), padding=self.K // 2)
        return self._rows(z, prev)[0].reshape(len(x), PIXELS) + ctx.reshape(len(x), PIXELS)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        n, c = len(z), self.K // 2
        w = self.weights()[0, 0]
        logits = torch.zeros(n, PIXELS)
        p = torch.zeros(n, SIDE + 2 * c, SIDE + 2 * c)   # zero-padded like the convolution
        h, prev = None, torch.zeros(n, 1, SIDE)
        for r in range(SIDE):
            row, h = self._rows(z, prev, h)
            row = row[:, 0]
            for col in range(SIDE):
                row[:, col] += (p[:, r:r + self.K, col:col + self.K] * w).sum(dim=(1, 2))
                p[:, r + c, col + c] = torch.sigmoid(row[:, col])
            logits[:, r * SIDE:(r + 1) * SIDE] = row
            prev = p[:, r + c, c:c + SIDE][:, None].clone()
        return logits


@functools.lru_cache(maxsize=4)
def mnist_tensors(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``explorer.engines.images.mnist(seed)`` as tensors: x_train ``[4000, 784]`` float32 in
    [0, 1], y_train ``[4000]`` int64, x_test ``[1000, 784]``, y_test ``[1000]`` (read-only use)."""
    from explorer.engines import images

    d = images.mnist(seed)
    t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32).reshape(len(a), PIXELS))  # noqa: E731
    return t(d.x_train), torch.from_numpy(np.array(d.y_train)), t(d.x_test), torch.from_numpy(np.array(d.y_test))
