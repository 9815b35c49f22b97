"""Encoder/decoder modules for 28×28 grey images, shared by the autoencoder and VAE engines,
and the MNIST tensors they train on.

Every module is an MLP on flattened images (784 pixels); weights come from a seeded
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
    """A *powerful* decoder: each pixel's logit sees the latent code **and the pixels before it**
    in raster order within a 7×7 window (one PixelCNN-style masked convolution, mask "A"):

    ``logit_i = MLP(z)_i + Σ_{j ∈ window, j < i} w_{j−i} x_j + b``.

    It models strokes well without z, which is what lets a VAE's posterior collapse.
    Training uses the true previous pixels (teacher forcing, one convolution);
    :meth:`generate` decodes pixel by pixel, feeding back probabilities (mean field, so the
    picture is deterministic)."""

    K = 11
    GAIN = 20.0  # the kernel used is GAIN × the parameter: Adam then learns it GAIN× faster

    def __init__(self, d: int, hidden: int, gen: torch.Generator):
        super().__init__()
        self.base = Decoder(d, hidden, gen)
        self.kernel = nn.Parameter(torch.zeros(1, 1, self.K, self.K))  # starts as the plain decoder
        mask = torch.ones(self.K, self.K)
        c = self.K // 2
        mask[c, c:] = 0.0
        mask[c + 1:] = 0.0
        self.register_buffer("mask", mask.reshape(1, 1, self.K, self.K))

    def weights(self) -> torch.Tensor:
        """The masked kernel ``[1, 1, 7, 7]`` (zero at the centre pixel and after it)."""
        return self.GAIN * self.kernel * self.mask

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[N, 784]``; with ``x`` ``[N, 784]`` (teacher forcing), else generated."""
        if x is None:
            return self.generate(z)
        ctx = F.conv2d(x.reshape(len(x), 1, SIDE, SIDE), self.weights(), padding=self.K // 2)
        return self.base(z) + ctx.reshape(len(x), PIXELS)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        logits = self.base(z).clone()
        w = self.weights()[0, 0]
        c = self.K // 2
        p = torch.zeros(len(z), SIDE + 2 * c, SIDE + 2 * c)   # zero-padded like the convolution
        for r in range(SIDE):
            for col in range(SIDE):
                i = r * SIDE + col
                win = p[:, r:r + self.K, col:col + self.K]
                logits[:, i] += (win * w).sum(dim=(1, 2))
                p[:, r + c, col + c] = torch.sigmoid(logits[:, i])
        return logits


@functools.lru_cache(maxsize=4)
def mnist_tensors(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``explorer.engines.images.mnist(seed)`` as tensors: x_train ``[4000, 784]`` float32 in
    [0, 1], y_train ``[4000]`` int64, x_test ``[1000, 784]``, y_test ``[1000]`` (read-only use)."""
    from explorer.engines import images

    d = images.mnist(seed)
    t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32).reshape(len(a), PIXELS))  # noqa: E731
    return t(d.x_train), torch.from_numpy(np.array(d.y_train)), t(d.x_test), torch.from_numpy(np.array(d.y_test))
