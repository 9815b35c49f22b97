"""A small DCGAN on MNIST digits, trained live on a CPU, with a fixed-noise sample grid and
latent interpolation.

Generator (Radford et al. 2016, shrunk): z (Z_DIM,) ~ N(0, I) → Linear → 2c×7×7, BatchNorm,
ReLU → ConvTranspose 4×4 stride 2 → c×14×14, BatchNorm, ReLU → ConvTranspose 4×4 stride 2 →
1×28×28, tanh (pixels in [−1, 1]; shown as (x + 1)/2 in [0, 1]). Discriminator: Conv 4×4
stride 2 → c×14×14, LeakyReLU(0.2) → Conv 4×4 stride 2 → 2c×7×7, BatchNorm, LeakyReLU(0.2)
→ Linear → one logit. Weights start N(0, 0.02²) (BatchNorm scales N(1, 0.02²)); both nets
train with Adam (lr, β = 0.5, 0.999) on the non-saturating loss: L_D = softplus(−D(x)) +
softplus(D(G(z))), L_G = softplus(−D(G(z))).

One step of :meth:`Trainer.advance` is ``ITERS_PER_STEP`` iterations (one D and one G update
on a batch of ``batch`` real digits each). After every step G (in eval mode, BatchNorm's
running statistics) draws the same ``N_GRID`` fixed latents, so the grid shows one set of
"random" digits improving over training.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import EpochLoop, check

Z_DIM = 32
N_GRID = 36
ITERS_PER_STEP = 10
LEARNING_RATES = (2e-4, 5e-4, 1e-3)
BATCHES = (32, 64, 128)
INTERP = ("slerp", "linear")
MAX_HISTORY = 20_000


@dataclass(frozen=True)
class Config:
    """``channels``: c, the width of the conv stacks; ``lr``: Adam's step for both nets."""

    lr: float = 1e-3
    batch: int = 64
    channels: int = 16
    seed: int = 0

    def __post_init__(self):
        check(self.lr in LEARNING_RATES, "lr", f"must be one of {LEARNING_RATES}")
        check(self.batch in BATCHES, "batch", f"must be one of {BATCHES}")
        check(self.channels in (8, 16, 32, 64), "channels", "must be 8, 16, 32 or 64")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


def _init(module: nn.Module, gen: torch.Generator) -> None:
    """DCGAN's init, drawn from ``gen``."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02, generator=gen)
            nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=gen)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """z (n, Z_DIM) → images (n, 1, 28, 28) in [−1, 1]."""

    def __init__(self, c: int):
        super().__init__()
        self.c = c
        self.fc = nn.Sequential(nn.Linear(Z_DIM, 2 * c * 49), nn.BatchNorm1d(2 * c * 49), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU(),
                                nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(self.fc(z).view(-1, 2 * self.c, 7, 7))


def discriminator(c: int) -> nn.Sequential:
    """images (n, 1, 28, 28) in [−1, 1] → logits (n,)."""
    return nn.Sequential(nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(c, 2 * c, 4, 2, 1),
                         nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * c * 49, 1),
                         nn.Flatten(0))


def latent(seed: int, n: int = 1) -> np.ndarray:
    """The latent vectors (n, Z_DIM) float32 that ``seed`` names (the same on every machine)."""
    return torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(int(seed))).numpy()


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between vectors a, b (d,) at fractions t (m,) → (m, d):
    sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω the angle between a and b (the straight
    line when they are parallel). Keeps a Gaussian latent's typical norm, which the straight
    line shrinks in the middle."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = math.acos(min(1.0, max(-1.0, cos)))
    if math.sin(omega) < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / math.sin(omega)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, np.float64)[:, None]
    return (1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)


@dataclass(frozen=True)
class Snapshot:
    """After a step: mean losses of the step (D's and G's), D's mean probability on real and
    fake batches, ``grid`` (N_GRID, 28, 28) uint8 (0 black … 255 white) G's images of the
    fixed latents; ``seconds`` of training so far."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    d_real: float
    d_fake: float
    seconds: float
    grid: np.ndarray = field(repr=False)


class Trainer(EpochLoop):
    """The DCGAN of ``cfg`` on ``images`` (N, 1, 28, 28) float32 in [0, 1]."""

    def __init__(self, cfg: Config, images: np.ndarray):
        check(images.ndim == 4 and images.shape[1:] == (1, 28, 28) and len(images) >= cfg.batch, "images",
              "need (N ≥ batch, 1, 28, 28)")
        self.cfg = cfg
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self.G = Generator(cfg.channels)
        self.D = discriminator(cfg.channels)
        _init(self.G, self._gen)
        _init(self.D, self._gen)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
        self._x = torch.tensor(np.asarray(images, np.float32)) * 2 - 1
        self._z_fixed = torch.as_tensor(latent(cfg.seed + 104729, N_GRID))
        self.epoch = self.step = 0
        self.seconds = 0.0
        self.diverged = False
        self._acc = (float("nan"),) * 4
        self._hist: dict[str, list] = {k: [] for k in ("epoch", "step", "seconds", "d", "g", "d_real", "d_fake")}
        self.snapshot = self._measure()

    def generate(self, z: np.ndarray) -> np.ndarray:
        """G's images of latents z (n, Z_DIM) → (n, 1, 28, 28) float32 in [0, 1] (eval mode)."""
        self.G.eval()
        with torch.no_grad():
            x = self.G(torch.as_tensor(np.asarray(z, np.float32)))
        return ((x + 1) / 2).clamp(0, 1).numpy()

    def interpolate(self, seed_a: int, seed_b: int, n: int = 9, mode: str = "slerp") -> tuple[np.ndarray, np.ndarray]:
        """G's images along the path between the latents of two seeds: (images (n, 1, 28, 28),
        the latent norms ‖z‖ (n,))."""
        check(mode in INTERP, "mode", f"must be one of {INTERP}")
        check(2 <= n <= 32, "n", "must be 2..32")
        a, b = latent(seed_a)[0], latent(seed_b)[0]
        t = np.linspace(0, 1, n)
        z = (slerp if mode == "slerp" else lerp)(a, b, t)
        return self.generate(z), np.linalg.norm(z, axis=1)

    def _epoch(self) -> None:
        t0 = time.perf_counter()
        self.G.train()
        self.D.train()
        n, bs = len(self._x), self.cfg.batch
        acc = np.zeros(4)
        for _ in range(ITERS_PER_STEP):
            real = self._x[torch.randint(n, (bs,), generator=self._gen)]
            fake = self.G(torch.randn(bs, Z_DIM, generator=self._gen))
            d_r, d_f = self.D(real), self.D(fake.detach())
            loss_d = F.softplus(-d_r).mean() + F.softplus(d_f).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            loss_g = F.softplus(-self.D(fake)).mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
            acc += [loss_d.item(), loss_g.item(), torch.sigmoid(d_r).mean().item(), torch.sigmoid(d_f).mean().item()]
            self.step += 1
        self._acc = tuple(acc / ITERS_PER_STEP)
        self.epoch += 1
        self.seconds += time.perf_counter() - t0

    def _measure(self) -> Snapshot:
        imgs = self.generate(self._z_fixed.numpy())[:, 0]
        dl, gl, dr, df = self._acc
        ok = np.isfinite(imgs).all() and all(torch.isfinite(p).all() for p in self.G.parameters())
        diverged = bool(self.epoch and not (ok and math.isfinite(dl) and math.isfinite(gl)))
        self.diverged = diverged
        for k, v in zip(self._hist, (self.epoch, self.step, self.seconds, dl, gl, dr, df)):
            self._hist[k].append(v)
        if len(self._hist["epoch"]) > MAX_HISTORY:
            for k in self._hist:
                self._hist[k] = self._hist[k][::2]
        grid = (np.nan_to_num(imgs) * 255).round().astype(np.uint8)
        return Snapshot(epoch=self.epoch, step=self.step, train_loss=dl, test_loss=gl, diverged=diverged, d_real=dr,
                        d_fake=df, seconds=self.seconds, grid=grid)

    def history(self, upto_epoch: int | None = None) -> dict[str, np.ndarray]:
        """Per-step curves (epoch, step, seconds, d, g, d_real, d_fake) up to ``upto_epoch``."""
        h = {k: np.asarray(v, dtype=np.float64) for k, v in self._hist.items()}
        if upto_epoch is not None:
            keep = h["epoch"] <= upto_epoch
            h = {k: v[keep] for k, v in h.items()}
        return h
