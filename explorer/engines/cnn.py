"""The CNN page's engine (§4.1): a live trainer for any zoo architecture, and the analyses
of a trained network — first-layer filters, feature maps of every layer, the confusion
matrix, the zoo compared, and gradient norms per layer with and without residual
connections.

- :class:`Trainer` trains ``zoo.build(cfg.arch)`` on MNIST or shapes
  (:mod:`explorer.engines.images`). One step of :meth:`Trainer.advance` is 1/16 of an epoch
  (:data:`STEPS_PER_EPOCH`), so a frame of the page stays short; after every step the whole
  test split is evaluated. ``Snapshot.epoch`` is a float (0.0625, 0.125, …).
- :func:`feature_maps`, :func:`predict`, :func:`confusion` read any model (a live one or a
  read-only reference from :mod:`explorer.engines.zoo`).
- :func:`compare` trains every chosen architecture for a few epochs with the same data
  and measures test accuracy and seconds per epoch on this machine.
- :func:`grad_flow` measures ‖∂L/∂W‖ of every conv layer of a ResNet and of the same net
  without skips, at initialization and after some SGD steps on the same batches.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import images, zoo
from explorer.engines.contract import EpochLoop, check

DATASETS = zoo.DATASETS
OPTIMIZERS = ("adam", "sgd")
STEPS_PER_EPOCH = 16  # a step (≈250 images, then the test set is scored) keeps a live frame short
MAX_LOG = 4000
DIVERGE_LOSS = 1e4


def _num(v, lo, hi) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi


@dataclass(frozen=True)
class Config:
    """A live run: ``arch`` (one of :data:`zoo.ARCHS`) on ``dataset`` with its default
    split (4,000 training and 1,000 test images, by ``seed``); Adam or SGD with momentum
    0.9 at a constant learning rate ``lr``; minibatches of ``batch_size``; ``augment``:
    random shifts of up to 2 pixels. An architecture whose reference recipe penalizes its last
    feature map (``wsl``: :attr:`zoo.Recipe.activation_l1`) gets the same penalty here."""

    arch: str = "lenet"
    dataset: str = "mnist"
    lr: float = 2e-3
    batch_size: int = 64
    optimizer: str = "adam"
    augment: bool = True
    seed: int = 0

    def __post_init__(self):
        check(self.arch in zoo.ARCHS, "arch", f"must be one of {zoo.ARCHS}")
        check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        check(_num(self.lr, 1e-5, 1.0), "lr", "must be in [1e-5, 1]")
        check(isinstance(self.batch_size, int) and 8 <= self.batch_size <= 256, "batch_size",
              "must be 8..256 (every step needs a batch)")
        check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
        check(isinstance(self.augment, bool), "augment", "must be True or False")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


def data_for(dataset: str, seed: int = 0) -> images.ImageSet:
    """The image set a run trains on (cached, read-only)."""
    return zoo.data_for(dataset, seed)


@dataclass(frozen=True)
class Snapshot:
    """The state after a step. epoch: passes over the training set (multiples of 1/16); step:
    steps done; train_loss/train_acc: mean over the last step's minibatches (training mode,
    augmented); test_loss/test_acc: the whole test split in eval mode; seconds: training
    time so far (measured, excluding evaluation); filters: the first conv layer's weights
    ``[out, in, k, k]``."""

    epoch: float
    step: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    diverged: bool
    seconds: float
    filters: np.ndarray = field(repr=False)


def first_conv(model: nn.Module) -> nn.Conv2d:
    """The first ``nn.Conv2d`` in module order (the one that sees the image)."""
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


def first_filters(model: nn.Module) -> np.ndarray:
    """The first conv layer's weights as float32 ``[out, in, k, k]``."""
    return first_conv(model).weight.detach().cpu().numpy().astype(np.float32).copy()


class Trainer(EpochLoop):
    """A live run of :class:`Config`; ``self.model`` is the network being trained."""

    def __init__(self, cfg: Config, data: images.ImageSet | None = None):
        self.cfg = cfg
        self.data = data if data is not None else data_for(cfg.dataset, cfg.seed)
        self.x_train, self.y_train, self.x_test, self.y_test = zoo.tensors(self.data)
        mean, std = zoo.channel_stats(self.data.x_train)
        self.model = zoo.build(cfg.arch, self.data.channels, self.data.n_classes, seed=cfg.seed, mean=mean, std=std)
        self.opt = zoo.make_optimizer(self.model, cfg.lr, kind=cfg.optimizer)
        self.gen = torch.Generator().manual_seed(cfg.seed + 1)
        zoo.seed_dropout(self.model, cfg.seed + 2)
        self.step = 0
        self.seconds = 0.0
        self.diverged = False
        self._order = torch.zeros(0, dtype=torch.long)
        self.log = {k: [] for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds")}
        self.snapshot = self._measure(float("nan"), float("nan"))

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.cfg.batch_size)

    def _step_batches(self) -> range:
        """The minibatches of this step: its 1/16 share of the epoch's batches."""
        k, n = self.step % STEPS_PER_EPOCH, self.batches_per_epoch
        return range(k * n // STEPS_PER_EPOCH, (k + 1) * n // STEPS_PER_EPOCH)

    def _epoch(self) -> tuple[float, float]:
        """Train one step (1/16 epoch); (mean loss, accuracy) over its minibatches."""
        if self.step % STEPS_PER_EPOCH == 0:
            self._order = torch.randperm(len(self.x_train), generator=self.gen)
        bs = self.cfg.batch_size
        loss_sum = correct = seen = 0.0
        self.model.train()
        t0 = time.perf_counter()
        with zoo.last_map_penalty(self.model, zoo.RECIPES[self.cfg.arch].activation_l1) as penalty:
            for b in self._step_batches():
                idx = self._order[b * bs:(b + 1) * bs]
                xb = zoo.random_shift(self.x_train[idx], self.gen, 2) if self.cfg.augment else self.x_train[idx]
                logits = self.model(xb)
                loss = F.cross_entropy(logits, self.y_train[idx])
                value = float(loss.detach())
                if not math.isfinite(value) or value > DIVERGE_LOSS:
                    self.diverged = True
                    break
                self.opt.zero_grad(set_to_none=True)
                (loss + penalty()).backward()
                self.opt.step()
                loss_sum += value * len(idx)
                correct += float((logits.detach().argmax(1) == self.y_train[idx]).sum())
                seen += len(idx)
        self.seconds += time.perf_counter() - t0
        self.model.eval()
        self.step += 1
        return (loss_sum / seen, correct / seen) if seen else (float("nan"), float("nan"))

    def _next_snapshot(self) -> Snapshot:
        return self._measure(*self._epoch())

    def _measure(self, train_loss: float, train_acc: float) -> Snapshot:
        if not self.diverged and not all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
            self.diverged = True
        if self.diverged:
            test_loss = test_acc = train_loss = train_acc = float("nan")
        else:
            test_loss, test_acc = zoo.evaluate(self.model, self.x_test, self.y_test)
        snap = Snapshot(self.step / STEPS_PER_EPOCH, self.step, train_loss, test_loss, train_acc, test_acc,
                        self.diverged, self.seconds, first_filters(self.model))
        for key in self.log:
            self.log[key].append(getattr(snap, key))
        if len(self.log["epoch"]) > MAX_LOG:  # keep every other entry, the newest always
            for key in self.log:
                self.log[key] = self.log[key][-1::-2][::-1]
        return snap

    def history(self, upto: float | None = None) -> dict:
        """Logged curves up to epoch ``upto``: arrays (T,) of epoch, train_loss, test_loss,
        train_acc, test_acc, seconds."""
        n = len(self.log["epoch"])
        if upto is not None:
            n = int(np.searchsorted(self.log["epoch"], upto + 1e-9, side="right"))
        return {k: np.asarray(v[:n], dtype=np.float64) for k, v in self.log.items()}


# -- analyses of a trained model ---------------------------------------------------------------------
def _private(model: nn.Module) -> nn.Module:
    """Hooks must not touch a shared reference model: work on a session copy of it."""
    return zoo.session_copy(model) if getattr(model, "_reference", False) else model


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray, batch: int = 500) -> np.ndarray:
    """Class probabilities float64 ``[N, K]`` for images ``[N, C, H, W]`` (or one ``[C, H, W]``)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    was = model.training
    model.eval()  # allowed on a read-only reference (it is always in eval mode)
    out = [F.softmax(model(torch.tensor(x[a:a + batch])), dim=1).double().numpy() for a in range(0, len(x), batch)]
    model.train(was)
    return np.concatenate(out) if out else np.zeros((0, 0))


@dataclass(frozen=True)
class LayerMaps:
    """One tapped layer's output for one image: label, full shape (C, H, W), the first
    channels ``maps`` float32 ``[k, H, W]`` (raw activations), and per-channel mean |activation|
    of all C channels ``strength`` (C,)."""

    label: str
    shape: tuple
    maps: np.ndarray = field(repr=False)
    strength: np.ndarray = field(repr=False)


@torch.no_grad()
def feature_maps(model: zoo.ZooNet, x: np.ndarray, max_channels: int = 8) -> tuple[LayerMaps, ...]:
    """Every tapped layer's feature maps for one image ``x`` ``[C, H, W]`` (eval mode),
    in forward order, keeping the first ``max_channels`` channels of each."""
    check(isinstance(max_channels, int) and 1 <= max_channels <= 64, "max_channels", "must be 1..64")
    net = _private(model)
    outs: dict[str, torch.Tensor] = {}
    handles = [mod.register_forward_hook(lambda _m, _i, o, label=label: outs.__setitem__(label, o))
               for label, mod in net.tap_modules()]
    was = net.training
    try:
        net.eval()
        net(torch.tensor(np.asarray(x, dtype=np.float32))[None])
    finally:
        for h in handles:
            h.remove()
        net.train(was)
    layers = []
    for label, _ in net.tap_modules():
        o = outs[label][0]
        layers.append(LayerMaps(label, tuple(o.shape), o[:max_channels].numpy().astype(np.float32).copy(),
                                o.abs().mean(dim=(1, 2)).double().numpy()))
    return tuple(layers)


@dataclass(frozen=True)
class Confusion:
    """matrix int64 ``[K, K]``: rows the true class, columns the predicted one; pred int64
    ``[N]``; probs float64 ``[N, K]``; accuracy = trace / N."""

    matrix: np.ndarray
    pred: np.ndarray = field(repr=False)
    probs: np.ndarray = field(repr=False)

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.matrix) / max(1, self.matrix.sum()))


def confusion(model: nn.Module, x: np.ndarray, y: np.ndarray, n_classes: int) -> Confusion:
    """The confusion matrix of ``model`` on images ``x`` with labels ``y``."""
    probs = predict(model, x)
    pred = probs.argmax(axis=1).astype(np.int64)
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y, dtype=np.int64), pred), 1)
    return Confusion(m, pred, probs)


def cell_indices(conf: Confusion, y: np.ndarray, true: int, predicted: int) -> np.ndarray:
    """Indices of the images of true class ``true`` predicted as ``predicted`` (most confident first)."""
    idx = np.flatnonzero((np.asarray(y) == true) & (conf.pred == predicted))
    return idx[np.argsort(-conf.probs[idx, predicted], kind="stable")]


def worst_cells(conf: Confusion, k: int = 12) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as (true, predicted, count), largest first."""
    m = conf.matrix.copy()
    np.fill_diagonal(m, 0)
    order = np.argsort(-m, axis=None, kind="stable")[:k]
    return [(int(i // m.shape[1]), int(i % m.shape[1]), int(m.flat[i])) for i in order if m.flat[i] > 0]


# -- the zoo compared ------------------------------------------------------------------------------
COMPARE_BATCH = 32


@dataclass(frozen=True)
class CompareConfig:
    """Train each of ``archs`` for ``epochs`` on the first ``n_train`` training images of
    ``dataset`` with its reference recipe's learning rate (cosine over the run), batches of
    :data:`COMPARE_BATCH`, the same batches, augmentation and label smoothing for all; test
    on the whole test split."""

    archs: tuple = zoo.ARCHS
    dataset: str = "mnist"
    epochs: int = 2
    n_train: int = 2000
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "archs", tuple(a for a in zoo.ARCHS if a in tuple(self.archs)))
        check(len(self.archs) >= 1, "archs", f"choose at least one of {zoo.ARCHS}")
        check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 10, "epochs", "must be 1..10")
        check(isinstance(self.n_train, int) and 100 <= self.n_train <= 4000, "n_train", "must be 100..4000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class ZooRow:
    """One architecture in the comparison: parameters, MACs per image, test accuracy and
    loss after training, measured seconds per epoch (NaN when not trained)."""

    arch: str
    label: str
    year: int
    params: int
    macs: int
    test_acc: float = float("nan")
    test_loss: float = float("nan")
    seconds_per_epoch: float = float("nan")
    diverged: bool = False


def costs(dataset: str = "mnist") -> tuple[ZooRow, ...]:
    """Parameters and MACs of every architecture for ``dataset``'s input (no training)."""
    check(dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
    data = data_for(dataset)
    rows = []
    for arch in zoo.ARCHS:
        m = zoo.build(arch, data.channels, data.n_classes)
        info = zoo.INFO[arch]
        rows.append(ZooRow(arch, info.label, info.year, zoo.count_params(m),
                           zoo.count_macs(m, (data.channels, data.size, data.size)).total))
    return tuple(rows)


def compare(cfg: CompareConfig, progress: Callable[[float, str], None] | None = None) -> tuple[ZooRow, ...]:
    """Train every architecture of ``cfg`` (after one untimed warm-up batch, so that one-off
    library set-up is not billed to the first model); rows in ``cfg.archs`` order."""
    data = data_for(cfg.dataset, cfg.seed)
    xtr, ytr, xte, yte = zoo.tensors(data)
    xtr, ytr = xtr[:cfg.n_train], ytr[:cfg.n_train]
    mean, std = zoo.channel_stats(data.x_train)
    by_arch = {r.arch: r for r in costs(cfg.dataset)}
    rows = []
    for i, arch in enumerate(cfg.archs):
        if progress:
            progress(i / len(cfg.archs), arch)
        recipe = zoo.Recipe(epochs=cfg.epochs, lr=zoo.RECIPES[arch].lr, batch_size=COMPARE_BATCH,
                            activation_l1=zoo.RECIPES[arch].activation_l1)
        warm = zoo.build(arch, data.channels, data.n_classes, seed=cfg.seed, mean=mean, std=std)
        zoo.fit(warm, xtr[:recipe.batch_size], ytr[:recipe.batch_size], zoo.Recipe(epochs=1), seed=cfg.seed)
        model = zoo.build(arch, data.channels, data.n_classes, seed=cfg.seed, mean=mean, std=std)
        log = zoo.fit(model, xtr, ytr, recipe, seed=cfg.seed)
        loss, acc = zoo.evaluate(model, xte, yte) if not log["diverged"] else (float("nan"), float("nan"))
        r = by_arch[arch]
        rows.append(ZooRow(arch, r.label, r.year, r.params, r.macs, acc, loss,
                           float(np.mean(log["seconds_per_epoch"])) if log["seconds_per_epoch"] else float("nan"),
                           log["diverged"]))
    if progress:
        progress(1.0, "")
    return tuple(rows)


# -- gradient flow with and without residual connections ------------------------------------------
PROBE = 128  # training images the gradient norms are measured on


@dataclass(frozen=True)
class GradConfig:
    """A ResNet-(6n+2) (``blocks`` = n per stage, width 8, stem stride 2) and the same net
    without skips, from the same initial weights, trained side by side for ``steps`` SGD
    steps (momentum 0.9, ``lr``, batches of ``batch_size``) on the same batches of MNIST;
    the gradient norm of every conv layer is measured on one fixed batch of :data:`PROBE`
    training images at step 0 and after the last step."""

    blocks: int = 9
    steps: int = 0
    lr: float = 0.05
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.blocks, int) and 1 <= self.blocks <= 9, "blocks", "must be 1..9 blocks per stage")
        check(isinstance(self.steps, int) and 0 <= self.steps <= 500, "steps", "must be 0..500")
        check(_num(self.lr, 1e-4, 1.0), "lr", "must be in [1e-4, 1]")
        check(isinstance(self.batch_size, int) and 8 <= self.batch_size <= 256, "batch_size", "must be 8..256")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def depth(self) -> int:
        return 6 * self.blocks + 2


@dataclass(frozen=True)
class GradFlow:
    """layers: conv layer names in forward order (L); at_init and trained: dicts
    {"resnet", "plain"} → float64 ``[L]`` of ‖∂L/∂W‖₂ (trained is None when steps = 0);
    losses: {"resnet", "plain"} → float64 ``[steps]`` training losses."""

    layers: tuple
    at_init: dict = field(repr=False)
    trained: dict | None = field(repr=False)
    losses: dict = field(repr=False)
    steps: int = 0


def conv_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[tuple, np.ndarray]:
    """(names, ‖∂L/∂W‖₂ per conv layer ``[L]``) of the mean cross-entropy on (x, y), in
    training mode (BatchNorm uses the batch, as while training) with running statistics
    left untouched; the model's own ``.grad`` fields are not changed (a shared reference refuses
    training mode: pass its ``zoo.session_copy``)."""
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in bns]
    was = model.training
    model.train()
    try:
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, [m.weight for _, m in convs])
    finally:
        model.train(was)
        with torch.no_grad():
            for m, (mom, rm, rv, nb) in zip(bns, saved):
                m.momentum = mom
                m.running_mean.copy_(rm)
                m.running_var.copy_(rv)
                m.num_batches_tracked.copy_(nb)
    return tuple(n for n, _ in convs), np.array([float(g.norm()) for g in grads])


def grad_flow(cfg: GradConfig, progress: Callable[[float], None] | None = None) -> GradFlow:
    """Gradient norms per conv layer for ResNet vs plain (see :class:`GradConfig`)."""
    data = data_for("mnist", cfg.seed)
    xtr, ytr, _, _ = zoo.tensors(data)
    mean, std = zoo.channel_stats(data.x_train)
    probe = (xtr[:PROBE], ytr[:PROBE])
    nets = {kind: zoo.build(kind, 1, 10, seed=cfg.seed, mean=mean, std=std, blocks=cfg.blocks, stem_stride=2)
            for kind in ("resnet", "plain")}
    at_init, names = {}, ()
    for kind, net in nets.items():
        names, at_init[kind] = conv_grad_norms(net, *probe)
    losses = {kind: [] for kind in nets}
    trained = None
    if cfg.steps:
        opts = {k: torch.optim.SGD(n.parameters(), lr=cfg.lr, momentum=0.9) for k, n in nets.items()}
        gen = torch.Generator().manual_seed(cfg.seed + 1)
        for s in range(cfg.steps):
            idx = torch.randint(0, len(xtr), (cfg.batch_size,), generator=gen)
            for kind, net in nets.items():
                net.train()
                loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
                losses[kind].append(float(loss.detach()))
                if math.isfinite(losses[kind][-1]):
                    opts[kind].zero_grad(set_to_none=True)
                    loss.backward()
                    opts[kind].step()
            if progress:
                progress((s + 1) / cfg.steps)
        trained = {kind: conv_grad_norms(net, *probe)[1] for kind, net in nets.items()}
    return GradFlow(names, at_init, trained, {k: np.asarray(v) for k, v in losses.items()}, cfg.steps)
