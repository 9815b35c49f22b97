"""A small ε-prediction denoiser on MNIST digits, trained in well under a minute on a CPU.

Images are the 28×28 MNIST digits of :func:`explorer.engines.images.mnist`, average-pooled to
``size`` (14 by default: four times fewer pixels, digits still read as digits) and scaled to
[−1, 1]. The network is a two-level U-Net with a sinusoidal time embedding added inside each
block; sampling clips x̂_0 to [−1, 1] (the pixel range). Shapes: images ``[N, 1, size, size]``.
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

from explorer.engines import diffusion as dif
from explorer.engines.contract import check

STEP_BUDGETS = (100, 300, 600, 1200, 2400)
SIZES = (14, 28)
N_TRAIN = 4000
N_SHOW = 32


@dataclass(frozen=True)
class Config:
    """``steps`` Adam steps on batches of ``batch`` digits; ``width`` channels at full size."""

    steps: int = 600
    size: int = 14
    schedule: str = "cosine"
    T: int = 200
    width: int = 32
    batch: int = 64
    lr: float = 2e-3
    n_samples: int = N_SHOW
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.steps, int) and 1 <= self.steps <= 20_000, "steps", "must be 1..20000")
        check(self.size in SIZES, "size", f"must be one of {SIZES}")
        check(self.schedule in dif.SCHEDULES, "schedule", f"must be one of {dif.SCHEDULES}")
        check(isinstance(self.T, int) and 10 <= self.T <= 1000, "T", "must be 10..1000")
        check(isinstance(self.width, int) and 4 <= self.width <= 128, "width", "must be 4..128")
        check(isinstance(self.batch, int) and 4 <= self.batch <= 512, "batch", "must be 4..512")
        check(isinstance(self.lr, float) and math.isfinite(self.lr) and 1e-5 <= self.lr <= 0.1, "lr",
              "must be in [1e-5, 0.1]")
        check(isinstance(self.n_samples, int) and 1 <= self.n_samples <= 256, "n_samples", "must be 1..256")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


class Block(nn.Module):
    """conv → GroupNorm → (+ time) → SiLU → conv → GroupNorm → SiLU, with a residual path."""

    def __init__(self, c_in: int, c_out: int, emb: int):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.n1, self.n2 = nn.GroupNorm(min(8, c_out), c_out), nn.GroupNorm(min(8, c_out), c_out)
        self.t = nn.Linear(emb, c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, e):
        h = F.silu(self.n1(self.c1(x)) + self.t(e)[:, :, None, None])
        return F.silu(self.n2(self.c2(h))) + self.skip(x)


class UNet(nn.Module):
    """ε_θ(x_t, t) for images [N, 1, H, W] with H divisible by 2: full → ½ resolution and back,
    with a skip connection."""

    def __init__(self, width: int, T: int, emb: int = 64):
        super().__init__()
        self.T, self.emb = T, emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        w = width
        self.inc = nn.Conv2d(1, w, 3, padding=1)
        self.b1 = Block(w, w, emb)
        self.down = nn.Conv2d(w, 2 * w, 3, stride=2, padding=1)
        self.b2 = Block(2 * w, 2 * w, emb)
        self.mid = Block(2 * w, 2 * w, emb)
        self.up = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.b3 = Block(2 * w, w, emb)
        self.out = nn.Conv2d(w, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.t_mlp(dif.time_embedding(t, self.emb, self.T))
        h1 = self.b1(self.inc(x), e)
        h2 = self.mid(self.b2(self.down(h1), e), e)
        return self.out(self.b3(torch.cat([self.up(h2), h1], dim=1), e))


def prepare(x: np.ndarray, size: int) -> torch.Tensor:
    """MNIST [N, 1, 28, 28] in [0, 1] → [N, 1, size, size] in [−1, 1]."""
    t = torch.from_numpy(np.array(x, np.float32))
    if size != t.shape[-1]:
        t = F.adaptive_avg_pool2d(t, size)
    return t * 2 - 1


@dataclass(frozen=True)
class Result:
    """``samples`` [n, 1, s, s] in [0, 1]; ``strip`` [k, F, 1, s, s]: the first k samples' reverse
    process at the F steps in ``strip_steps`` (T = noise … 0); ``losses`` [steps] training losses;
    ``real`` [n, 1, s, s] training digits for comparison; ``seconds``: training and sampling time."""

    samples: np.ndarray
    strip: np.ndarray
    strip_steps: np.ndarray
    losses: np.ndarray
    real: np.ndarray
    train_seconds: float
    sample_seconds: float
    diverged: bool


def _init(model: nn.Module, g: torch.Generator) -> None:
    """Every weight from the seeded generator (U(±1/√fan_in)); biases 0; GroupNorm scales stay 1."""
    with torch.no_grad():
        for name, prm in model.named_parameters():
            if prm.dim() > 1:
                bound = 1 / math.sqrt(prm[0].numel())
                prm.copy_(torch.empty_like(prm).uniform_(-bound, bound, generator=g))
            elif name.endswith("bias"):
                prm.zero_()


def train(cfg: Config, x_train: np.ndarray, progress: Callable[[float, str], None] | None = None,
          sample_steps: int = 50) -> Result:
    """Train the U-Net on ``x_train`` [N, 1, 28, 28] in [0, 1] for ``cfg.steps`` steps, then draw
    ``cfg.n_samples`` digits by DDIM in ``sample_steps`` steps (η = 0). ``progress(fraction, text)``
    is called about 50 times."""
    g = torch.Generator().manual_seed(cfg.seed)
    x = prepare(x_train, cfg.size)
    sched = dif.make_schedule(cfg.schedule, cfg.T)
    model = UNet(cfg.width, cfg.T)
    _init(model, g)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    losses = np.full(cfg.steps, np.nan)
    every = max(1, cfg.steps // 50)
    diverged = False
    t0 = time.perf_counter()
    model.train()
    for i in range(cfg.steps):
        idx = torch.randint(0, len(x), (cfg.batch,), generator=g)
        t = torch.randint(0, cfg.T, (cfg.batch,), generator=g)
        eps = torch.randn((cfg.batch, *x.shape[1:]), generator=g)
        loss = dif.eps_loss(model, x[idx], t, eps, sched)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[i] = float(loss.detach())
        if not math.isfinite(losses[i]):
            diverged = True
            break
        if progress and (i + 1) % every == 0:
            progress((i + 1) / cfg.steps * 0.9, f"step {i + 1:,} of {cfg.steps:,}, loss {losses[i]:.3f}")
    train_s = time.perf_counter() - t0
    s = cfg.size
    if diverged:
        nan = np.full((cfg.n_samples, 1, s, s), np.nan, np.float32)
        return Result(nan, nan[:0, None], np.zeros(0, int), losses, _to_unit(x[:cfg.n_samples]), train_s, 0.0, True)
    if progress:
        progress(0.92, f"sampling {cfg.n_samples} digits with DDIM in {sample_steps} steps")
    xT = torch.randn((cfg.n_samples, 1, s, s), generator=torch.Generator().manual_seed(cfg.seed + 1))
    traj = dif.sample(model, sched, xT, "ddim", sample_steps, 0.0, cfg.seed + 2, keep=9, clip=1.0)
    samples = _to_unit(torch.from_numpy(traj.x[-1]))
    strip = np.clip((traj.x[:, :8].transpose(1, 0, 2, 3, 4) + 1) / 2, 0, 1).astype(np.float32)
    if progress:
        progress(1.0, "done")
    return Result(samples, strip, traj.steps, losses, _to_unit(x[:cfg.n_samples]), train_s, traj.seconds, False)


def _to_unit(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) / 2).numpy().astype(np.float32)
