"""Normalization layers compared: the same MLP with no normalization, BatchNorm, LayerNorm
or GroupNorm (torch.nn's own layers), trained side by side on sklearn's 8×8 digits.

- :class:`Trainer` trains one copy per normalization in lockstep (same initial weights,
  same batches) and records each hidden layer's output mean and standard deviation while
  training, the losses and the accuracy.
- :func:`batch_size_study` trains BatchNorm (and, for comparison, other normalizations) at
  several batch sizes for the same number of epochs, and measures the accuracy in training
  mode (batch statistics) against evaluation mode (running statistics).

Every block is Linear → norm → ReLU; the head is a Linear layer to 10 logits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from explorer.engines.contract import EpochLoop, check as _check

NORMS = ("none", "batch", "layer", "group")
LABELS = {"none": "no normalization", "batch": "BatchNorm", "layer": "LayerNorm", "group": "GroupNorm"}
INITS = ("default", "he")
OPTIMIZERS = ("sgd", "momentum", "adam")
N_TRAIN = 384        # digits used for training; the other 1,413 are the test set
N_CLASSES = 10
N_INPUTS = 64
MAX_LOG = 2000
DIVERGE_LOSS = 1e6




def _check_model(depth, width, groups, learning_rate, optimizer, init, batch_size, seed) -> None:
    _check(isinstance(depth, int) and 1 <= depth <= 10, "depth", "must be 1..10 hidden layers")
    _check(isinstance(width, int) and 2 <= width <= 256, "width", "must be 2..256 units")
    _check(isinstance(groups, int) and 1 <= groups <= width and width % groups == 0, "groups",
           "must divide the width")
    _check(math.isfinite(learning_rate) and 0 < learning_rate <= 10, "learning_rate", "must be in (0, 10]")
    _check(optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
    _check(init in INITS, "init", f"must be one of {INITS}")
    _check(isinstance(batch_size, int) and 2 <= batch_size <= N_TRAIN, "batch_size",
           f"must be 2..{N_TRAIN} (BatchNorm needs two samples)")
    _check(isinstance(seed, int) and 0 <= seed <= 2**31 - 1, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Config:
    """A side-by-side run: one MLP per entry of ``norms``.

    depth: hidden layers of ``width`` units; groups: GroupNorm's groups (must divide the
    width; 1 group normalizes like LayerNorm); init: PyTorch's nn.Linear default
    (U(±1/√fan_in)) or He-normal with zero biases.
    """

    norms: tuple = NORMS
    depth: int = 5
    width: int = 64
    groups: int = 8
    learning_rate: float = 0.1
    optimizer: str = "sgd"
    init: str = "default"
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "norms", tuple(self.norms))
        _check(1 <= len(self.norms) <= len(NORMS) and all(n in NORMS for n in self.norms)
               and len(set(self.norms)) == len(self.norms), "norms", f"1..4 different ones of {NORMS}")
        _check_model(self.depth, self.width, self.groups, self.learning_rate, self.optimizer, self.init,
                     self.batch_size, self.seed)


@dataclass(frozen=True)
class Data:
    """Standardized digits (mean 0, std 1 per pixel over the training set): x (n, 64)
    float32, y (n,) int64 labels 0..9."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def make_data(seed: int) -> Data:
    """sklearn's bundled 8×8 digits (1,797 images), split at random by ``seed``."""
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(seed).permutation(len(d.target))
    x = d.data[order].astype(np.float64)
    y = d.target[order]
    mu, sd = x[:N_TRAIN].mean(axis=0), x[:N_TRAIN].std(axis=0)
    x = (x - mu) / np.where(sd > 0, sd, 1.0)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return Data(t(x[:N_TRAIN]), torch.tensor(y[:N_TRAIN]), t(x[N_TRAIN:]), torch.tensor(y[N_TRAIN:]))


def make_norm(kind: str, width: int, groups: int = 8) -> nn.Module:
    """torch.nn's layer for ``kind`` over (batch, width) inputs, default ε and affine γ, β."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    if kind == "group":
        return nn.GroupNorm(groups, width)
    raise ValueError(f"norm: must be one of {NORMS}")


class MLP(nn.Module):
    """``depth`` blocks of Linear → norm → ReLU, then a Linear head to 10 logits.

    Weights come from ``gen`` alone (the global RNG is never touched), so every
    normalization built from the same seed starts from the same linear weights.
    """

    def __init__(self, norm: str, depth: int, width: int, groups: int, init: str, gen: torch.Generator):
        super().__init__()
        sizes = (N_INPUTS, *([width] * depth))
        self.linears = nn.ModuleList(nn.utils.skip_init(nn.Linear, a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(make_norm(norm, width, groups) for _ in range(depth))
        self.head = nn.utils.skip_init(nn.Linear, width, N_CLASSES)
        with torch.no_grad():
            for lin in (*self.linears, self.head):
                if init == "he":
                    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu", generator=gen)
                    lin.bias.zero_()
                else:  # what nn.Linear.reset_parameters does, drawn from gen
                    nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=gen)
                    bound = 1.0 / math.sqrt(lin.in_features)
                    nn.init.uniform_(lin.bias, -bound, bound, generator=gen)

    def forward(self, x: torch.Tensor, outputs: list | None = None) -> torch.Tensor:
        """Logits (n, 10) for x (n, 64); each block's output (n, width) is appended to ``outputs``."""
        h = x
        for lin, norm in zip(self.linears, self.norms):
            h = F.relu(norm(lin(h)))
            if outputs is not None:
                outputs.append(h)
        return self.head(h)


def build(norm: str, cfg) -> tuple[MLP, torch.optim.Optimizer]:
    """The model for ``norm`` with cfg's architecture and init (seeded), and its optimizer."""
    model = MLP(norm, cfg.depth, cfg.width, cfg.groups, cfg.init, torch.Generator().manual_seed(cfg.seed))
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate)
    elif cfg.optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    return model, opt


class frozen_running_stats:
    """Context: forward in training mode (batch statistics) without moving BatchNorm's
    running averages (momentum 0 leaves them as they are; the batch counter is restored)."""

    def __init__(self, model: nn.Module):
        self.bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def __enter__(self):
        self.saved = [(m.momentum, m.num_batches_tracked.clone()) for m in self.bns]
        for m in self.bns:
            m.momentum = 0.0

    def __exit__(self, *exc):
        for m, (mom, count) in zip(self.bns, self.saved):
            m.momentum = mom
            m.num_batches_tracked.copy_(count)


@torch.no_grad()
def evaluate(model: MLP, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in evaluation mode (BatchNorm uses running statistics)."""
    was = model.training
    model.eval()
    logits = model(x)
    model.train(was)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(dim=1) == y).double().mean())


@torch.no_grad()
def evaluate_train_mode(model: MLP, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in training mode: BatchNorm normalizes each batch of
    ``batch_size`` consecutive rows with that batch's own statistics (running stats untouched)."""
    was = model.training
    model.train()
    n = len(x) - len(x) % batch_size
    loss = correct = 0.0
    with frozen_running_stats(model):
        for a in range(0, n, batch_size):
            logits = model(x[a:a + batch_size])
            loss += float(F.cross_entropy(logits, y[a:a + batch_size], reduction="sum"))
            correct += float((logits.argmax(dim=1) == y[a:a + batch_size]).sum())
    model.train(was)
    return loss / n, correct / n


def _finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch, one entry per model (in the order of cfg.norms).

    train_loss/test_loss: mean over the models still training (NaN when all diverged).
    Per model: train_losses and test_losses (K,), evaluation mode on the whole set;
    batch_losses (K,), the mean minibatch loss of the last epoch in training mode (NaN
    before training); train_acc, test_acc (K,); act_mean, act_std (K, L): each hidden
    block's output (after norm and ReLU) over the last epoch's training batches;
    model_diverged (K,). diverged: every model diverged (the run stops).
    """

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train_losses: np.ndarray = field(repr=False)
    test_losses: np.ndarray = field(repr=False)
    batch_losses: np.ndarray = field(repr=False)
    train_acc: np.ndarray = field(repr=False)
    test_acc: np.ndarray = field(repr=False)
    act_mean: np.ndarray = field(repr=False)
    act_std: np.ndarray = field(repr=False)
    model_diverged: np.ndarray = field(repr=False)


class Trainer(EpochLoop):
    """The K models of a :class:`Config`, trained in lockstep; one :meth:`advance` step is
    one epoch (the batches of the training set in a seeded order; a short tail is dropped
    so that every batch has ``batch_size`` samples)."""

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg.seed)
        self.models, self.opts = zip(*(build(n, cfg) for n in cfg.norms))
        self.k = len(cfg.norms)
        self._order_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.model_diverged = np.zeros(self.k, dtype=bool)
        self.epoch = 0
        self.step = 0
        self.diverged = False
        self.log = {"epoch": [], "step": [], "train": [], "test": [], "test_acc": [], "mean": [], "std": []}
        self.snapshot = self._measure(*self._initial_stats(), np.full(self.k, np.nan))

    @property
    def steps_per_epoch(self) -> int:
        return len(self.data.x_train) // self.cfg.batch_size

    @torch.no_grad()
    def _initial_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Block output statistics before training, in training mode on the first batch."""
        mean = np.zeros((self.k, self.cfg.depth))
        std = np.zeros_like(mean)
        x = self.data.x_train[: self.cfg.batch_size]
        for i, model in enumerate(self.models):
            outs: list = []
            with frozen_running_stats(model):
                model(x, outs)
            mean[i] = [float(h.mean()) for h in outs]
            std[i] = [float(h.std()) for h in outs]
        return mean, std

    def _epoch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = self.data.x_train, self.data.y_train
        bs = self.cfg.batch_size
        order = torch.randperm(len(x), generator=self._order_gen)
        sums = np.zeros((self.k, 2, self.cfg.depth))
        loss_sum = np.zeros(self.k)
        nb = 0
        for a in range(0, len(x) - bs + 1, bs):
            idx = order[a:a + bs]
            xb, yb = x[idx], y[idx]
            for i, (model, opt) in enumerate(zip(self.models, self.opts)):
                if self.model_diverged[i]:
                    continue
                outs: list = []
                loss = F.cross_entropy(model(xb, outs), yb)
                if not torch.isfinite(loss):
                    self.model_diverged[i] = True
                    continue
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss_sum[i] += float(loss.detach())
                with torch.no_grad():  # every block's output has the same shape: one reduction for all
                    h = torch.stack(outs).flatten(1)
                    sums[i, 0] += h.mean(dim=1).numpy()
                    sums[i, 1] += h.std(dim=1).numpy()
            nb += 1
            self.step += 1
        self.epoch += 1
        nb = max(nb, 1)
        return sums[:, 0] / nb, sums[:, 1] / nb, loss_sum / nb

    def _next_snapshot(self) -> Snapshot:
        return self._measure(*self._epoch())

    def _measure(self, mean: np.ndarray, std: np.ndarray, batch_loss: np.ndarray) -> Snapshot:
        d = self.data
        tr, te, tr_acc, te_acc = (np.full(self.k, np.nan) for _ in range(4))
        for i, model in enumerate(self.models):
            if self.model_diverged[i]:
                continue
            tr[i], tr_acc[i] = evaluate(model, d.x_train, d.y_train)
            te[i], te_acc[i] = evaluate(model, d.x_test, d.y_test)
            if not (math.isfinite(tr[i]) and tr[i] < DIVERGE_LOSS and _finite(model)):
                self.model_diverged[i] = True
        gone = self.model_diverged
        for arr in (tr, te, tr_acc, te_acc, batch_loss):
            arr[gone] = np.nan
        mean, std = mean.copy(), std.copy()
        mean[gone] = np.nan
        std[gone] = np.nan
        self.diverged = bool(gone.all())
        ok = ~gone
        snap = Snapshot(self.epoch, self.step, float(tr[ok].mean()) if ok.any() else float("nan"),
                        float(te[ok].mean()) if ok.any() else float("nan"), self.diverged, tr, te, batch_loss,
                        tr_acc, te_acc, mean, std, gone.copy())
        self._log(snap)
        return snap

    def _log(self, snap: Snapshot) -> None:
        log = self.log
        for key, value in (("epoch", snap.epoch), ("step", snap.step), ("train", snap.train_losses),
                           ("test", snap.test_losses), ("test_acc", snap.test_acc), ("mean", snap.act_mean),
                           ("std", snap.act_std)):
            log[key].append(value)
        if len(log["epoch"]) > MAX_LOG:  # keep every other entry, the newest always
            for key in log:
                log[key] = log[key][-1::-2][::-1]

    def history(self, upto: int | None = None) -> dict:
        """Logged curves up to epoch ``upto``: epoch, step (T,); train, test, test_acc (T, K);
        mean, std (T, K, L)."""
        log = self.log
        n = len(log["epoch"]) if upto is None else int(np.searchsorted(log["epoch"], upto, side="right"))
        k, depth = self.k, self.cfg.depth
        out = {"epoch": np.asarray(log["epoch"][:n], dtype=np.int64),
               "step": np.asarray(log["step"][:n], dtype=np.int64)}
        for key in ("train", "test", "test_acc"):
            out[key] = np.asarray(log[key][:n], dtype=np.float64).reshape(n, k)
        for key in ("mean", "std"):
            out[key] = np.asarray(log[key][:n], dtype=np.float64).reshape(n, k, depth)
        return out


# -- BatchNorm and the batch size -----------------------------------------------------------------

BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)
CURVE_POINTS = 30


@dataclass(frozen=True)
class StudyConfig:
    """Each normalization in ``norms`` trained at each of ``batch_sizes`` for ``epochs``
    passes over the training set (so small batches make more, noisier updates), with the
    architecture and optimizer of the live run."""

    norms: tuple = ("batch", "group")
    batch_sizes: tuple = (2, 8, 64)
    epochs: int = 2
    depth: int = 5
    width: int = 64
    groups: int = 8
    learning_rate: float = 0.1
    optimizer: str = "sgd"
    init: str = "default"
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "norms", tuple(self.norms))
        object.__setattr__(self, "batch_sizes", tuple(sorted(set(int(b) for b in self.batch_sizes))))
        _check(1 <= len(self.norms) <= len(NORMS) and all(n in NORMS for n in self.norms)
               and len(set(self.norms)) == len(self.norms), "norms", f"1..4 different ones of {NORMS}")
        _check(1 <= len(self.batch_sizes) <= len(BATCH_SIZES) and all(b in BATCH_SIZES for b in self.batch_sizes),
               "batch_sizes", f"choose from {BATCH_SIZES}")
        _check(isinstance(self.epochs, int) and 1 <= self.epochs <= 10, "epochs", "must be 1..10")
        _check_model(self.depth, self.width, self.groups, self.learning_rate, self.optimizer, self.init,
                     min(self.batch_sizes), self.seed)

    @property
    def total_steps(self) -> int:
        return len(self.norms) * sum(self.epochs * (N_TRAIN // b) for b in self.batch_sizes)


@dataclass(frozen=True)
class StudyResult:
    """Arrays (N norms, B batch sizes) after training:

    train_mode_loss/acc: on the training set in training mode, batches of the run's size
    normalized with their own statistics (what the network saw while learning);
    eval_mode_loss/acc: the same set in evaluation mode (BatchNorm's running statistics,
    what a deployed model computes); test_loss/acc: the test set in evaluation mode.
    curves[(norm, batch)] = (epochs (T,), minibatch loss (T,)) averaged over ≈CURVE_POINTS
    windows. diverged (N, B) bool.
    """

    norms: tuple
    batch_sizes: tuple
    train_mode_loss: np.ndarray
    train_mode_acc: np.ndarray
    eval_mode_loss: np.ndarray
    eval_mode_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    diverged: np.ndarray
    curves: dict = field(repr=False)


def _smooth(losses: list[float], steps_per_epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Window means of a per-step loss list, x in epochs at each window's end."""
    arr = np.asarray(losses, dtype=np.float64)
    w = max(1, len(arr) // CURVE_POINTS)
    m = len(arr) // w
    y = arr[: m * w].reshape(m, w).mean(axis=1)
    x = (np.arange(1, m + 1) * w) / steps_per_epoch
    return x, y


def train_one(norm: str, batch_size: int, cfg: StudyConfig, data: Data,
              tick: Callable[[int], None] | None = None) -> tuple[MLP, list[float], bool]:
    """Train one model for cfg.epochs at ``batch_size``; (model, per-step losses, diverged)."""
    model, opt = build(norm, cfg)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    x, y = data.x_train, data.y_train
    losses: list[float] = []
    for _ in range(cfg.epochs):
        order = torch.randperm(len(x), generator=gen)
        for a in range(0, len(x) - batch_size + 1, batch_size):
            idx = order[a:a + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            value = float(loss.detach())
            if not math.isfinite(value) or value > DIVERGE_LOSS:
                return model, losses, True
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(value)
        if tick:
            tick(len(x) // batch_size)
    return model, losses, not _finite(model)


def batch_size_study(cfg: StudyConfig, data: Data | None = None,
                     progress: Callable[[float], None] | None = None) -> StudyResult:
    """Train every (norm, batch size) pair; ``progress(fraction)`` is called after each epoch."""
    data = data if data is not None else make_data(cfg.seed)
    shape = (len(cfg.norms), len(cfg.batch_sizes))
    tm_loss, tm_acc, ev_loss, ev_acc, te_loss, te_acc = (np.full(shape, np.nan) for _ in range(6))
    diverged = np.zeros(shape, dtype=bool)
    curves = {}
    done = [0]
    total = max(1, cfg.total_steps)

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress(min(1.0, done[0] / total))

    for i, norm in enumerate(cfg.norms):
        for j, bs in enumerate(cfg.batch_sizes):
            model, losses, bad = train_one(norm, bs, cfg, data, tick)
            curves[(norm, bs)] = _smooth(losses, len(data.x_train) // bs) if losses else (np.zeros(0), np.zeros(0))
            diverged[i, j] = bad
            if bad:
                continue
            tm_loss[i, j], tm_acc[i, j] = evaluate_train_mode(model, data.x_train, data.y_train, bs)
            ev_loss[i, j], ev_acc[i, j] = evaluate(model, data.x_train, data.y_train)
            te_loss[i, j], te_acc[i, j] = evaluate(model, data.x_test, data.y_test)
    return StudyResult(cfg.norms, cfg.batch_sizes, tm_loss, tm_acc, ev_loss, ev_acc, te_loss, te_acc, diverged,
                       curves)
