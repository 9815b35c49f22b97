"""Adversarial training, live (§8.1): standard training beside PGD adversarial training.

Two copies of one network start from the same weights and see the same batches in the same
order with the same optimizer. The **standard** model takes each step on the clean batch;
the **PGD-AT** model (Madry et al. 2018) first attacks the batch with PGD (L∞, ``eps``,
``steps``, step 2.5·ε/steps, random start; torchattacks' ``PGD`` on its current weights) and
takes the step on the adversarial images — it minimizes the worst-case loss in the ε-box:

    min_θ  E_(x,y) [ max_{‖δ‖∞ ≤ ε} CE(f_θ(x + δ), y) ]

After each epoch both are measured on a fixed evaluation set: clean accuracy, and robust
accuracy under a stronger PGD (``eval_steps`` steps, same ε, seeded), so the trade-off —
robustness bought with some clean accuracy and a lot of compute — is visible as it forms.

One step of :meth:`Trainer.advance` is one epoch over ``n_train`` images. Losses are
cross-entropy in nats. Randomness (initial weights, batch order, PGD starts) comes from
``seed`` only; the global torch generator is left as it was.

:func:`build_classifier` makes the small networks used here and by the certified page:
``mlp`` (two ReLU layers), ``cnn`` (two conv/pool stages) or any zoo architecture (28×28).
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import attacks
from explorer.engines.contract import EpochLoop, check

OWN_ARCHS = ("mlp", "cnn")
MODELS = ("standard", "PGD-AT")
DIVERGE_LOSS = 1e4


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# -- networks -------------------------------------------------------------------------------------
class SmallCNN(nn.Module):
    """conv 3×3 (16) → ReLU → max-pool 2 → conv 3×3 (32) → ReLU → max-pool 2 → 64 → classes.
    Inputs ``[N, C, H, W]`` with H, W divisible by 4."""

    def __init__(self, in_ch: int, side: int, n_classes: int):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * (side // 4) ** 2, 64), nn.ReLU(),
                                        nn.Linear(64, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@torch.no_grad()
def init_from(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """PyTorch's default init (kaiming-uniform a=√5, biases U(±1/√fan_in)) drawn from ``gen``."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=gen)
            if m.bias is not None:
                b = 1 / math.sqrt(m.weight[0].numel())
                nn.init.uniform_(m.bias, -b, b, generator=gen)
    return model


def build_classifier(arch: str, in_shape: tuple, n_classes: int, seed: int = 0) -> nn.Module:
    """A fresh classifier for images ``in_shape = (C, H, W)``, weights drawn from ``seed``.
    ``mlp``: flatten → 128 → ReLU → 64 → ReLU → classes; ``cnn``: :class:`SmallCNN`; otherwise
    a zoo architecture (``explorer.engines.zoo.build``; 28×28 only)."""
    c, h, w = (int(v) for v in in_shape)
    if arch == "mlp":
        with torch.device("meta"):
            model = nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                  nn.Linear(64, n_classes))
    elif arch == "cnn":
        check(h == w and h % 4 == 0, "arch", "the small CNN needs square images with a side divisible by 4")
        with torch.device("meta"):
            model = SmallCNN(c, h, n_classes)
    else:
        from explorer.engines import zoo

        check(arch in zoo.ARCHS, "arch", f"must be one of {OWN_ARCHS + zoo.ARCHS}")
        check((h, w) == (zoo.SIZE, zoo.SIZE), "arch", "zoo networks take 28×28 images")
        return zoo.build(arch, c, n_classes, seed=seed)
    model = model.to_empty(device="cpu")
    return init_from(model, torch.Generator().manual_seed(int(seed)))


# -- the run --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """A side-by-side run. ``eps``: the L∞ budget (pixels in [0, 1]) for training and testing;
    ``steps``: PGD steps per training batch; ``eval_steps``: PGD steps when measuring;
    ``n_train``: images per epoch; ``n_eval``: test images measured each epoch."""

    arch: str = "cnn"
    eps: float = 0.1
    steps: int = 3
    eval_steps: int = 10
    lr: float = 2e-3
    batch_size: int = 64
    n_train: int = 1024
    n_eval: int = 256
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.arch, str) and 0 < len(self.arch) <= 20, "arch", "must be an architecture name")
        check(_num(self.eps) and 0 < self.eps <= 0.5, "eps", "must be in (0, 0.5]")
        check(isinstance(self.steps, int) and 1 <= self.steps <= 20, "steps", "must be 1..20")
        check(isinstance(self.eval_steps, int) and 1 <= self.eval_steps <= 50, "eval_steps", "must be 1..50")
        check(_num(self.lr) and 1e-5 <= self.lr <= 0.1, "lr", "must be in [1e-5, 0.1]")
        check(isinstance(self.batch_size, int) and 8 <= self.batch_size <= 512, "batch_size", "must be 8..512")
        check(isinstance(self.n_train, int) and 32 <= self.n_train <= 20_000, "n_train", "must be 32..20,000")
        check(isinstance(self.n_eval, int) and 16 <= self.n_eval <= 5000, "n_eval", "must be 16..5,000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def alpha(self) -> float:
        return attacks.default_alpha(self.eps, self.steps)

    def attack(self, steps: int, seed: int) -> attacks.AttackConfig:
        return attacks.AttackConfig(name="pgd", norm="Linf", eps=self.eps, steps=steps,
                                    alpha=attacks.default_alpha(self.eps, steps), seed=seed)


@dataclass(frozen=True)
class Data:
    """Images float32 ``[N, C, H, W]`` in [0, 1] and int labels ``[N]``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    """After an epoch, per model (standard, PGD-AT): ``train_losses`` (2,) mean training loss
    of the epoch (the standard model's on clean batches, PGD-AT's on its adversarial batches);
    ``test_losses`` (2,) clean test loss; ``clean_acc``/``robust_acc`` (2,) on the evaluation
    set. ``train_loss``/``test_loss``: PGD-AT's. ``seconds`` (2,): compute of the epoch per model."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train_losses: np.ndarray
    test_losses: np.ndarray
    clean_acc: np.ndarray
    robust_acc: np.ndarray
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(2))


class Trainer(EpochLoop):
    """Standard and PGD-AT training of ``cfg.arch`` on ``data``, one epoch per step."""

    def __init__(self, cfg: Config, data: Data):
        self.cfg = cfg
        xtr = np.asarray(data.x_train, dtype=np.float32)
        check(xtr.ndim == 4 and len(xtr) >= 2, "data", "training images must be [N, C, H, W]")
        n_classes = int(max(np.max(data.y_train), np.max(data.y_test))) + 1
        self._gen = torch.Generator().manual_seed(cfg.seed)
        base = build_classifier(cfg.arch, xtr.shape[1:], n_classes, seed=cfg.seed)
        self.models = [base, copy.deepcopy(base)]  # the same initial weights
        self.opts = [torch.optim.Adam(m.parameters(), lr=cfg.lr) for m in self.models]
        self._x = torch.tensor(xtr[:cfg.n_train])
        self._y = torch.tensor(np.asarray(data.y_train)[:cfg.n_train], dtype=torch.long)
        self._xe = torch.tensor(np.asarray(data.x_test, dtype=np.float32)[:cfg.n_eval])
        self._ye = torch.tensor(np.asarray(data.y_test)[:cfg.n_eval], dtype=torch.long)
        self.epoch = self.step = 0
        self.diverged = False
        self._last_train = np.full(2, np.nan)
        self._seconds = np.zeros(2)
        self.log: dict[str, list] = {"epoch": [], "clean": [], "robust": [], "train": [], "test": []}
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        cfg = self.cfg
        order = torch.randperm(len(self._x), generator=self._gen)
        sums, count, secs = np.zeros(2), 0, np.zeros(2)
        for b, a in enumerate(range(0, len(order), cfg.batch_size)):
            idx = order[a:a + cfg.batch_size]
            x, y = self._x[idx], self._y[idx]
            for k, (model, opt) in enumerate(zip(self.models, self.opts)):
                t0 = time.perf_counter()
                if k == 1:  # PGD-AT: the step is taken on the worst case found in the ε-box
                    seed = (cfg.seed * 1_000_003 + self.epoch * 10_007 + b) % 2**31
                    with attacks.attack_mode(model):
                        x_in = attacks.attack_tensor(model, x, y, cfg.attack(cfg.steps, seed), None)[0]
                else:
                    x_in = x
                model.train()
                loss = F.cross_entropy(model(x_in), y)
                value = float(loss.detach())
                if not math.isfinite(value) or value > DIVERGE_LOSS:
                    self.diverged = True
                    return
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                model.eval()
                sums[k] += value * len(idx)
                secs[k] += time.perf_counter() - t0
            count += len(idx)
            self.step += 1
        self._last_train = sums / max(1, count)
        self._seconds = secs
        self.epoch += 1

    def _measure(self) -> Snapshot:
        cfg = self.cfg
        clean, robust, test = np.zeros(2), np.zeros(2), np.zeros(2)
        bad = self.diverged
        for k, model in enumerate(self.models):
            with attacks.attack_mode(model):
                with torch.no_grad():
                    logits = model(self._xe)
                if not torch.isfinite(logits).all():
                    bad = True
                    clean[k] = robust[k] = test[k] = np.nan
                    continue
                test[k] = float(F.cross_entropy(logits, self._ye))
                clean[k] = float((logits.argmax(1) == self._ye).float().mean())
                adv = attacks.attack_tensor(model, self._xe, self._ye,
                                            cfg.attack(cfg.eval_steps, cfg.seed + 1), logits.shape[1])[0]
                robust[k] = attacks.accuracy(model, adv, self._ye)
        self.diverged = self.diverged or bad
        lg = self.log
        for key, v in (("epoch", self.epoch), ("clean", clean), ("robust", robust), ("train", self._last_train.copy()),
                       ("test", test)):
            lg[key].append(v)
        return Snapshot(self.epoch, self.step, float(self._last_train[1]), float(test[1]), self.diverged,
                        self._last_train.copy(), test, clean, robust, self._seconds.copy())

    def curves(self, upto: int | None = None) -> dict[str, np.ndarray]:
        """Per-epoch history up to epoch ``upto``: epoch (E,), clean/robust/train/test (E, 2)
        (columns: standard, PGD-AT; train is NaN at epoch 0)."""
        e = np.asarray(self.log["epoch"], dtype=int)
        keep = e <= (self.epoch if upto is None else upto)
        out = {"epoch": e[keep]}
        for k in ("clean", "robust", "train", "test"):
            out[k] = np.asarray(self.log[k], dtype=np.float64).reshape(len(e), 2)[keep]
        return out

    def state_dict(self) -> dict:
        return {"models": [copy.deepcopy(m.state_dict()) for m in self.models],
                "opts": [copy.deepcopy(o.state_dict()) for o in self.opts], "epoch": self.epoch, "step": self.step,
                "diverged": self.diverged, "gen": self._gen.get_state(), "log": copy.deepcopy(self.log),
                "last_train": self._last_train.copy()}

    def load_state_dict(self, state: dict) -> None:
        for m, s in zip(self.models, state["models"]):
            m.load_state_dict(s)
        for o, s in zip(self.opts, state["opts"]):
            o.load_state_dict(copy.deepcopy(s))
        self.epoch, self.step, self.diverged = int(state["epoch"]), int(state["step"]), bool(state["diverged"])
        self._gen.set_state(state["gen"])
        self.log = copy.deepcopy(state["log"])
        self._last_train = state["last_train"].copy()
        self.snapshot = self._measure()
        for k in self.log:  # _measure logged the restored epoch again
            self.log[k].pop()
