"""Learning-rate schedules: their curves and their effect on one small training run.

Every schedule is a ``torch.optim.lr_scheduler`` object (warm-up + cosine chains two with
``SequentialLR``), sized from the run's total number of updates ``T`` so that any choice
of ``T`` gives a sensible curve. :func:`lr_curve` reads the learning rate each update
uses; :func:`train` trains the same MLP on scikit-learn's digits — same seed, same
initial weights, same batches — under a schedule, so the runs differ only by their
learning rates.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from explorer.engines.device import cap_threads
from explorer.engines.contract import check as _check

SCHEDULES = ("constant", "step", "exponential", "cosine", "warm_restarts", "one_cycle", "warmup", "warmup_cosine")
LABELS = {"constant": "Constant", "step": "Step (÷10 twice)", "exponential": "Exponential",
          "cosine": "Cosine", "warm_restarts": "Warm restarts (SGDR)", "one_cycle": "One-cycle",
          "warmup": "Linear warm-up", "warmup_cosine": "Warm-up + cosine"}
OPTIMIZERS = ("sgd", "adam")
OPT_LABELS = {"sgd": "SGD + momentum 0.9", "adam": "Adam"}
STEP_GAMMA = 0.1          # step decay: ÷10 after each third of the run
EXP_FINAL = 0.01          # exponential decay ends at 1 % of the base rate
WARMUP_START = 0.01       # warm-up starts at 1 % of the base rate
SGDR_CYCLES = 7           # T₀ = ⌈T/7⌉ with T_mult = 2: cycles of T₀, 2T₀, 4T₀
MAX_STEPS = 600
HIDDEN = 32
BATCH = 32




def _torch():
    """torch, with this process's intra-op threads capped (sessions share a few cores: two
    threads spinning against other work make a tiny model ~50× slower)."""
    import torch

    cap_threads()
    return torch


@dataclass(frozen=True)
class Config:
    """One training run under one schedule.

    base_lr: the schedule's peak/initial rate (one-cycle's max_lr); steps: total updates
    T; warmup_frac: share of T spent warming up (warm-up schedules); optimizer: sgd
    (momentum 0.9) or adam; seed: data split, initial weights and batch order.
    """

    schedule: str = "cosine"
    base_lr: float = 0.1
    steps: int = 200
    warmup_frac: float = 0.1
    optimizer: str = "sgd"
    seed: int = 0

    def __post_init__(self):
        _check(self.schedule in SCHEDULES, "schedule", f"must be one of {SCHEDULES}")
        _check(math.isfinite(self.base_lr) and 0 < self.base_lr <= 10, "base_lr", "must be in (0, 10]")
        _check(isinstance(self.steps, int) and 10 <= self.steps <= MAX_STEPS, "steps", f"must be 10..{MAX_STEPS}")
        _check(math.isfinite(self.warmup_frac) and 0.01 <= self.warmup_frac <= 0.5, "warmup_frac",
               "must be in [0.01, 0.5]")
        _check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")

    @property
    def warmup_steps(self) -> int:
        return max(1, round(self.warmup_frac * self.steps))

    @property
    def step_size(self) -> int:
        return max(1, math.ceil(self.steps / 3))

    @property
    def restart_period(self) -> int:
        return max(1, math.ceil(self.steps / SGDR_CYCLES))  # 7·T₀ ≥ T: no restart right at the end


def make_optimizer(cfg: Config, params):
    torch = _torch()

    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.base_lr)
    return torch.optim.SGD(params, lr=cfg.base_lr, momentum=0.9)


def make_scheduler(cfg: Config, opt):
    """The ``torch.optim.lr_scheduler`` object of ``cfg.schedule`` for a run of ``cfg.steps`` updates."""
    S = _torch().optim.lr_scheduler

    T, W = cfg.steps, cfg.warmup_steps
    name = cfg.schedule
    if name == "constant":
        return S.ConstantLR(opt, factor=1.0, total_iters=0)
    if name == "step":
        return S.StepLR(opt, step_size=cfg.step_size, gamma=STEP_GAMMA)
    if name == "exponential":
        return S.ExponentialLR(opt, gamma=EXP_FINAL ** (1 / T))
    if name == "cosine":
        return S.CosineAnnealingLR(opt, T_max=T, eta_min=0.0)
    if name == "warm_restarts":
        return S.CosineAnnealingWarmRestarts(opt, T_0=cfg.restart_period, T_mult=2, eta_min=0.0)
    if name == "one_cycle":  # torch's defaults: 30 % up, cosine down, momentum cycled 0.95 → 0.85
        return S.OneCycleLR(opt, max_lr=cfg.base_lr, total_steps=T)
    if name == "warmup":
        return S.LinearLR(opt, start_factor=WARMUP_START, end_factor=1.0, total_iters=W)
    warm = S.LinearLR(opt, start_factor=WARMUP_START, end_factor=1.0, total_iters=W)
    cos = S.CosineAnnealingLR(opt, T_max=max(1, T - W), eta_min=0.0)
    return S.SequentialLR(opt, [warm, cos], milestones=[W])


@functools.lru_cache(maxsize=64)
def lr_curve(cfg: Config) -> np.ndarray:
    """(steps,) the learning rate that update t = 0 … T−1 uses."""
    torch = _torch()

    p = torch.zeros(1, requires_grad=True)
    opt = make_optimizer(cfg, [p])
    sched = make_scheduler(cfg, opt)
    out = np.empty(cfg.steps)
    for t in range(cfg.steps):
        out[t] = opt.param_groups[0]["lr"]
        if t < cfg.steps - 1:  # one-cycle refuses to step past its total
            opt.step()
            sched.step()
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 digits: X (1797, 64) in [0, 1], y (1797,) labels 0–9."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)


def split(seed: int, test_share: float = 0.25):
    """A seeded train/test split of :func:`digits` (the same for every schedule)."""
    X, y = digits()
    perm = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_share * len(y)))
    te, tr = perm[:n_test], perm[n_test:]
    return X[tr], y[tr], X[te], y[te]


@dataclass(frozen=True)
class Curves:
    """One run: lr (T,) per update (:func:`lr_curve`); at the evaluation points ``at`` (E,) (updates done):
    train_loss, test_loss (E,) mean cross-entropy in nats and test_acc (E,) fractions;
    NaN after a divergence, ``diverged_at`` the update that produced a non-finite loss
    (−1 if none)."""

    schedule: str
    lr: np.ndarray
    at: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    diverged_at: int


def eval_points(steps: int, n: int = 40) -> np.ndarray:
    """About n evaluation points 0 … steps (always both ends)."""
    return np.unique(np.round(np.linspace(0, steps, n + 1)).astype(int))


def train(cfg: Config) -> Curves:
    """Train a 64-32-10 tanh MLP on digits with mini-batches of 32 under the schedule."""
    torch = _torch()
    nn = torch.nn

    Xtr, ytr, Xte, yte = (torch.from_numpy(a) for a in split(cfg.seed))
    gen = torch.Generator().manual_seed(cfg.seed)
    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 2 * bound - bound)
                m.bias.zero_()
    opt = make_optimizer(cfg, model.parameters())
    sched = make_scheduler(cfg, opt)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(cfg.seed + 1)
    n = len(ytr)
    order, pos = rng.permutation(n), 0
    points = eval_points(cfg.steps)
    E = len(points)
    tr_l, te_l, te_a = (np.full(E, np.nan) for _ in range(3))
    diverged, e = -1, 0

    def evaluate(i: int) -> bool:
        with torch.no_grad():
            a = loss_fn(model(Xtr), ytr).item()
            out = model(Xte)
            b = loss_fn(out, yte).item()
        tr_l[i], te_l[i] = a, b
        te_a[i] = (out.argmax(1) == yte).float().mean().item()
        return math.isfinite(a) and math.isfinite(b)

    for t in range(cfg.steps + 1):
        if e < E and points[e] == t:
            if not evaluate(e):
                diverged = t
                tr_l[e] = te_l[e] = te_a[e] = np.nan
                break
            e += 1
        if t == cfg.steps:
            break
        if pos + BATCH > n:
            order, pos = rng.permutation(n), 0
        idx = torch.from_numpy(order[pos:pos + BATCH])
        pos += BATCH
        loss = loss_fn(model(Xtr[idx]), ytr[idx])
        if not math.isfinite(loss.item()):
            diverged = t
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if t < cfg.steps - 1:
            sched.step()
    return Curves(cfg.schedule, lr_curve(cfg), points, tr_l, te_l, te_a, diverged)
