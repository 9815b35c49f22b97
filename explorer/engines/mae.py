"""A masked autoencoder (MAE, He et al. 2021) on MNIST patches, small enough to train live.

An image ``[1, 28, 28]`` is cut into non-overlapping p×p patches (p = 4 → 49 patches of 16
pixels; p = 7 → 16 patches of 49 pixels). For each image exactly ``round(ratio·L)`` of the
L patches are masked, chosen uniformly at random (argsort of uniform noise, as in the
paper). The encoder — a linear patch embedding plus learned position embeddings and a
small transformer — sees only the visible patches; the decoder gets the encoded visible
tokens back in place, a shared learned mask token at every masked position, and predicts
every patch's pixels (sigmoid, in [0, 1]). The loss is the mean squared error over the
pixels of the **masked patches only**.

One step of :meth:`Trainer.advance` is one epoch over the first 1,000 training digits (batches of 128).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from explorer.engines import self_supervised as ssl
from explorer.engines.contract import EpochLoop, check

PATCHES = (4, 7)
IMG = 28
DIM, HEADS = 48, 4
BATCH = 128
LR = 2e-3
N_SHOW = 8       # test digits shown (original / masked / reconstruction)
N_TRAIN = 1000   # training digits per epoch
DIVERGE = 1e6


@dataclass(frozen=True)
class Config:
    """``patch``: side of a square patch (pixels); ``ratio``: fraction of patches masked;
    ``depth``: transformer layers of the encoder (the decoder has one)."""

    patch: int = 7
    ratio: float = 0.5
    depth: int = 1
    seed: int = 0

    def __post_init__(self):
        check(self.patch in PATCHES, "patch", f"must be one of {PATCHES}")
        check(isinstance(self.ratio, (int, float)) and not isinstance(self.ratio, bool)
              and math.isfinite(self.ratio) and 0.0 < self.ratio < 1.0, "ratio", "must be in (0, 1)")
        check(isinstance(self.depth, int) and 1 <= self.depth <= 3, "depth", "must be 1..3")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def n_patches(self) -> int:
        return (IMG // self.patch) ** 2

    @property
    def n_masked(self) -> int:
        """Masked patches per image: round(ratio·L), at least 1 and at most L − 1."""
        return int(min(self.n_patches - 1, max(1, round(self.ratio * self.n_patches))))


def patchify(x: torch.Tensor, p: int) -> torch.Tensor:
    """``[N, 1, H, W]`` → ``[N, L, p²]``, patches in reading order (row by row)."""
    n, c, h, w = x.shape
    t = x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return t.reshape(n, (h // p) * (w // p), p * p * c)


def unpatchify(t: torch.Tensor, p: int, size: int = IMG) -> torch.Tensor:
    """Inverse of :func:`patchify`: ``[N, L, p²]`` → ``[N, 1, size, size]``."""
    n, g = t.shape[0], size // p
    return t.reshape(n, g, g, p, p, 1).permute(0, 5, 1, 3, 2, 4).reshape(n, 1, size, size)


def random_mask(n: int, n_patches: int, n_masked: int, g: torch.Generator) -> torch.Tensor:
    """Boolean ``[n, L]``, True = masked, exactly ``n_masked`` per row, uniformly at random."""
    noise = torch.rand(n, n_patches, generator=g)
    rank = noise.argsort(1).argsort(1)
    return rank < n_masked


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the pixels of masked patches only: ``[N, L, P]`` ×2, mask ``[N, L]``."""
    per_patch = ((pred - target) ** 2).mean(-1)
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)


class MAE(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        pd, L = cfg.patch ** 2, cfg.n_patches
        self.embed = nn.Linear(pd, DIM)
        self.pos = nn.Parameter(0.02 * torch.randn(1, L, DIM))
        self.dec_pos = nn.Parameter(0.02 * torch.randn(1, L, DIM))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))

        def layer():
            return nn.TransformerEncoderLayer(DIM, HEADS, 2 * DIM, dropout=0.0, batch_first=True, norm_first=True)

        self.encoder = nn.TransformerEncoder(layer(), cfg.depth, enable_nested_tensor=False)
        self.decoder = nn.TransformerEncoder(layer(), 1, enable_nested_tensor=False)
        self.head = nn.Linear(DIM, pd)

    def forward(self, patches: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Patches ``[N, L, p²]`` and mask ``[N, L]`` (same count per row) → predicted
        pixels of every patch ``[N, L, p²]`` in [0, 1]. Masked patches never reach the encoder."""
        n, L, _ = patches.shape
        tokens = self.embed(patches) + self.pos
        keep = (~mask).nonzero(as_tuple=False)[:, 1].reshape(n, -1)          # [N, V] visible indices
        vis = torch.gather(tokens, 1, keep[..., None].expand(-1, -1, DIM))
        enc = self.encoder(vis)
        full = self.mask_token.expand(n, L, DIM).clone()
        full = full.scatter(1, keep[..., None].expand(-1, -1, DIM), enc)
        return torch.sigmoid(self.head(self.decoder(full + self.dec_pos)))


@dataclass(frozen=True)
class Snapshot:
    """``train_loss``/``test_loss``: masked-patch MSE (pixel values in [0, 1]); ``visible_mse``:
    the same error on the visible patches (never trained on); ``original``/``masked``/
    ``recon`` ``[8, 1, 28, 28]``: test digits, their visible patches (masked ones grey),
    and the reconstruction (prediction in masked patches, visible patches pasted back)."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    visible_mse: float
    original: np.ndarray
    masked: np.ndarray
    recon: np.ndarray
    prediction: np.ndarray


class Trainer(EpochLoop):
    def __init__(self, cfg: Config):
        self.cfg = cfg
        ds = ssl.data(cfg.seed)
        self.x = torch.as_tensor(np.array(ds.x_train[:N_TRAIN]))
        self.x_test = torch.as_tensor(np.array(ds.x_test[:500]))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.model = MAE(cfg)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=0.01)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        # the test masks are fixed, so the test curve compares like with like
        self.test_mask = random_mask(len(self.x_test), cfg.n_patches, cfg.n_masked,
                                     torch.Generator().manual_seed(cfg.seed + 99))
        idx = [int(np.flatnonzero(ds.y_test[:500] == c)[0]) for c in range(N_SHOW)]
        self.show = torch.as_tensor(idx)
        self.epoch = self.step = 0
        self.diverged = False
        self._losses: list[float] = []
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        order = torch.randperm(len(self.x), generator=self.gen)
        p, losses = self.cfg.patch, []
        for i in range(0, len(order), BATCH):
            xb = patchify(self.x[order[i:i + BATCH]], p)
            mask = random_mask(len(xb), self.cfg.n_patches, self.cfg.n_masked, self.gen)
            self.opt.zero_grad(set_to_none=True)
            loss = masked_mse(self.model(xb, mask), xb, mask)
            loss.backward()
            self.opt.step()
            self.step += 1
            losses.append(float(loss.detach()))
            if not math.isfinite(losses[-1]) or losses[-1] > DIVERGE:
                self.diverged = True
                break
        self.epoch += 1
        self._losses = losses

    def _measure(self) -> Snapshot:
        p = self.cfg.patch
        self.model.eval()
        with torch.no_grad():
            xt = patchify(self.x_test, p)
            pred = self.model(xt, self.test_mask)
        self.model.train()
        test = float(masked_mse(pred, xt, self.test_mask))
        vis = float(masked_mse(pred, xt, ~self.test_mask))
        train = float(np.mean(self._losses)) if self._losses else test
        diverged = self.diverged or not (math.isfinite(test) and math.isfinite(train))
        self.diverged = diverged
        m = self.test_mask[self.show][..., None].float()
        shown = xt[self.show]
        masked = unpatchify(shown * (1 - m) + 0.5 * m, p)   # masked patches drawn mid-grey
        recon = unpatchify(pred[self.show] * m + shown * (1 - m), p)
        return Snapshot(self.epoch, self.step, train, test, diverged, vis, self.x_test[self.show].numpy(),
                        masked.numpy(), recon.clamp(0, 1).numpy(), unpatchify(pred[self.show], p).numpy())
