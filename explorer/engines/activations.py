"""Activation functions: their curves and slopes, dying ReLUs in a live run, and signal
propagation through deep networks at initialization.

Three pieces, all pure torch/numpy:

- :func:`curves` evaluates f and f′ (f′ from autograd) of every activation on a grid.
- :class:`Trainer` trains K copies of one deep MLP side by side, identical except for the
  activation (same initial weights, same batches), and measures after every epoch which
  hidden units are *dead*: units whose gradient f′(z) is zero for every training input,
  so that no weight feeding them can ever change again.
- :func:`init_study` pushes a batch through a deep, freshly initialized MLP under several
  weight initializations and reports each layer's activation statistics, histogram and
  backward (gradient) signal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from explorer.engines import datasets2d
from explorer.engines.rng import NumpyRandom
from explorer.engines.contract import EpochLoop, check as _check

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish")
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU",
          "selu": "SELU", "gelu": "GELU", "silu": "Swish/SiLU", "mish": "Mish"}
DEAD_TOL = 1e-3      # |f′(z)| below this passes (almost) no gradient: the unit is "off" for that input
MAX_CURVE_POINTS = 2001




def apply(name: str, z: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    """The activation ``name`` applied elementwise (torch's own functions). ``slope`` is
    LeakyReLU's negative slope; the other activations ignore it."""
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return F.relu(z)
    if name == "leaky_relu":
        return F.leaky_relu(z, slope)
    if name == "elu":
        return F.elu(z)
    if name == "selu":
        return F.selu(z)
    if name == "gelu":
        return F.gelu(z)
    if name == "silu":
        return F.silu(z)
    if name == "mish":
        return F.mish(z)
    raise ValueError(f"activation: must be one of {ACTIVATIONS}")


def derivative(name: str, z: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    """f′(z) elementwise, by autograd (each output depends only on its own input, so the
    gradient of the sum is the elementwise derivative). Same shape as z, no graph kept."""
    with torch.enable_grad():
        zz = z.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(apply(name, zz, slope).sum(), zz)
    return g


# -- curves --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Curves:
    """f and f′ on a grid. x (n,); f and df (K, n) in the order of ``names``."""

    names: tuple
    x: np.ndarray
    f: np.ndarray
    df: np.ndarray


def curves(names: tuple = ACTIVATIONS, x_max: float = 5.0, n: int = 801, slope: float = 0.01) -> Curves:
    """f and f′ of each activation on ``n`` evenly spaced points of [−x_max, x_max] (float64)."""
    _check(len(names) >= 1 and all(a in ACTIVATIONS for a in names), "names", f"choose from {ACTIVATIONS}")
    _check(math.isfinite(x_max) and 0 < x_max <= 50, "x_max", "must be in (0, 50]")
    _check(3 <= n <= MAX_CURVE_POINTS, "n", f"must be 3..{MAX_CURVE_POINTS}")
    _check(math.isfinite(slope) and 0 <= slope <= 1, "slope", "must be in [0, 1]")
    x = torch.linspace(-x_max, x_max, n, dtype=torch.float64)
    f = np.stack([apply(a, x, slope).numpy() for a in names])
    df = np.stack([derivative(a, x, slope).numpy() for a in names])
    return Curves(tuple(names), x.numpy(), f, df)


def intervals(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Maximal runs of True in ``mask`` over the grid ``x`` as (x_start, x_end) pairs."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if start is not None and (not m or i == len(mask) - 1):
            end = i if m else i - 1
            out.append((float(x[start]), float(x[end])))
            start = None
    return out


def saturation(c: Curves, threshold: float) -> list[list[tuple[float, float]]]:
    """Per activation, the flat tails: x-intervals reaching the end of the grid on which
    |f′(x)| < threshold. A unit whose input sits there passes almost no gradient back
    (saturated, or switched off for ReLU). A dip of f′ inside the range (GELU's minimum)
    is not a tail and is left out."""
    out = []
    for d in c.df:
        runs = intervals(c.x, np.abs(d) < threshold)
        out.append([(a + 0.0, b + 0.0) for a, b in runs if a == c.x[0] or b == c.x[-1]])
    return out


def properties(c: Curves, slope: float = 0.01) -> list[dict]:
    """Numbers about each activation (for a table): f(0) and f′(0) evaluated at 0 (at a
    kink f′(0) is torch's choice of one side), the extremes of f′ on the grid, and f at
    the grid's ends."""
    zero = torch.zeros(1, dtype=torch.float64)
    out = []
    for i, name in enumerate(c.names):
        f, d = c.f[i], c.df[i]
        out.append({"name": name, "f(0)": float(apply(name, zero, slope)[0]) + 0.0,
                    "f′(0)": float(derivative(name, zero, slope)[0]) + 0.0,
                    "min f′": float(d.min()) + 0.0, "max f′": float(d.max()) + 0.0,
                    "f(−x)": float(f[0]) + 0.0, "f(+x)": float(f[-1]) + 0.0})
    return out


# -- the dying-ReLU run ---------------------------------------------------------------------------

DATASETS = ("spiral", "circle", "xor", "gauss")
OPTIMIZERS = ("sgd", "adam")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
BATCH_SIZES = (8, 16, 32, 64, 125)
MAX_MODELS = 4
MAX_LOG = 2000
DIVERGE_LOSS = 1e6


@dataclass(frozen=True)
class Config:
    """A side-by-side run: one deep MLP per activation in ``activations``.

    depth: hidden layers; width: units per hidden layer; bias_init: every hidden bias at
    the start (weights are He-normal); slope: LeakyReLU's negative slope.
    """

    activations: tuple = ("relu", "leaky_relu", "gelu")
    dataset: str = "spiral"
    depth: int = 6
    width: int = 32
    learning_rate: float = 0.1
    optimizer: str = "sgd"
    bias_init: float = 0.0
    batch_size: int = 32
    slope: float = 0.1
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "activations", tuple(self.activations))
        _check(1 <= len(self.activations) <= MAX_MODELS and all(a in ACTIVATIONS for a in self.activations)
               and len(set(self.activations)) == len(self.activations), "activations",
               f"1..{MAX_MODELS} different ones of {ACTIVATIONS}")
        _check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        _check(isinstance(self.depth, int) and 1 <= self.depth <= 10, "depth", "must be 1..10 hidden layers")
        _check(isinstance(self.width, int) and 2 <= self.width <= 128, "width", "must be 2..128 units")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 10, "learning_rate",
               "must be in (0, 10]")
        _check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
        _check(math.isfinite(self.bias_init) and -5 <= self.bias_init <= 5, "bias_init", "must be in [-5, 5]")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 250, "batch_size", "must be 1..250")
        _check(math.isfinite(self.slope) and 0 <= self.slope <= 1, "slope", "must be in [0, 1]")
        _check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Data:
    """Inputs (n, 2) scaled to about unit spread, labels (n,) in {0, 1} (float32 tensors)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def make_data(dataset: str, seed: int) -> Data:
    """TensorFlow Playground's 2-D sets (250 train, 250 test points), coordinates ÷ 3."""
    xtr, ytr, xte, yte = datasets2d.generate(NumpyRandom(str(seed)), dataset, 0.0, 50)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return Data(t(xtr / 3.0), t(ytr > 0), t(xte / 3.0), t(yte > 0))


@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch, one entry per model (in the order of cfg.activations).

    train_loss/test_loss: mean binary cross-entropy over the models still training (NaN
    when all diverged); per model: train_losses, test_losses, train_acc, test_acc (K,);
    dead (K, L): share of each hidden layer's units that are dead; active (K, L, W):
    share of the training inputs for which each unit passes gradient (|f′(z)| ≥ DEAD_TOL);
    model_diverged (K,) bool. diverged: every model diverged (the run stops).
    """

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train_losses: np.ndarray = field(repr=False)
    test_losses: np.ndarray = field(repr=False)
    train_acc: np.ndarray = field(repr=False)
    test_acc: np.ndarray = field(repr=False)
    dead: np.ndarray = field(repr=False)
    active: np.ndarray = field(repr=False)
    model_diverged: np.ndarray = field(repr=False)


def init_weights(cfg: Config, gen: torch.Generator) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One network's weights, (fan_in, fan_out) per layer, He-normal (fan_in, ReLU gain),
    the output layer Xavier-normal; hidden biases ``bias_init``, the output bias 0."""
    sizes = (2, *([cfg.width] * cfg.depth), 1)
    ws, bs = [], []
    for li, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = torch.empty(fan_out, fan_in)
        if li == len(sizes) - 2:
            torch.nn.init.xavier_normal_(w, generator=gen)
        else:
            torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=gen)
        ws.append(w.t().contiguous())
        bs.append(torch.full((1, fan_out), 0.0 if li == len(sizes) - 2 else float(cfg.bias_init)))
    return ws, bs


class Trainer(EpochLoop):
    """K networks trained in lockstep as one batched computation.

    Weights are stacked on a leading model axis, W (K, fan_in, fan_out), so every layer is
    one ``baddbmm``; the loss is the sum of the K models' losses, whose gradient gives each
    model exactly its own gradient. One :meth:`advance` step is one epoch of minibatches.
    """

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg.dataset, cfg.seed)
        self.k = len(cfg.activations)
        gen = torch.Generator().manual_seed(cfg.seed)
        ws, bs = init_weights(cfg, gen)
        self.weights = [w.expand(self.k, -1, -1).clone().requires_grad_(True) for w in ws]
        self.biases = [b.expand(self.k, -1, -1).clone().requires_grad_(True) for b in bs]
        params = [*self.weights, *self.biases]
        if cfg.optimizer == "sgd":
            self.opt = torch.optim.SGD(params, lr=cfg.learning_rate)
        else:
            self.opt = torch.optim.Adam(params, lr=cfg.learning_rate)
        self._order_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.model_diverged = np.zeros(self.k, dtype=bool)
        self.epoch = 0
        self.step = 0
        self.diverged = False
        self.log = {"epoch": [], "train": [], "test": [], "dead": []}
        self.snapshot = self._measure()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (K, n) for inputs (n, 2), and each hidden layer's pre-activation (K, n, W)."""
        h = x.expand(self.k, -1, -1)
        zs = []
        last = len(self.weights) - 1
        for li, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = torch.baddbmm(b, h, w)
            if li == last:
                return z[..., 0], zs
            zs.append(z)
            h = torch.stack([apply(a, z[i], self.cfg.slope) for i, a in enumerate(self.cfg.activations)])
        raise AssertionError("unreachable")

    def _losses(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, y.expand(self.k, -1), reduction="none").mean(dim=1)

    def _epoch(self) -> None:
        x, y = self.data.x_train, self.data.y_train
        n, bs = len(x), self.cfg.batch_size
        order = torch.randperm(n, generator=self._order_gen)
        live = torch.tensor(~self.model_diverged)
        for a in range(0, n - bs + 1, bs):  # a short tail would be a noisier step: dropped
            idx = order[a:a + bs]
            losses = self._losses(self.forward(x[idx])[0], y[idx])
            ok = live & torch.isfinite(losses.detach())
            self.opt.zero_grad(set_to_none=False)
            if ok.any():
                losses[ok].sum().backward()
                for p in (*self.weights, *self.biases):
                    p.grad[~ok] = 0.0  # a diverged model stays where it broke
                self.opt.step()
            self.step += 1
            if not bool(ok.all()):
                self.model_diverged |= ~ok.numpy()
                live = torch.tensor(~self.model_diverged)
        self.epoch += 1

    @torch.no_grad()
    def _measure(self) -> Snapshot:
        cfg, d = self.cfg, self.data
        logits, zs = self.forward(d.x_train)
        tr = self._losses(logits, d.y_train).numpy().astype(np.float64)
        tr_acc = ((logits > 0).float() == d.y_train).float().mean(dim=1).numpy().astype(np.float64)
        te_logits, _ = self.forward(d.x_test)
        te = self._losses(te_logits, d.y_test).numpy().astype(np.float64)
        te_acc = ((te_logits > 0).float() == d.y_test).float().mean(dim=1).numpy().astype(np.float64)
        params_ok = np.array([all(bool(torch.isfinite(p[i]).all()) for p in (*self.weights, *self.biases))
                              for i in range(self.k)])
        bad = ~np.isfinite(tr) | (tr > DIVERGE_LOSS) | ~params_ok
        self.model_diverged |= bad
        active = np.stack([
            np.stack([(derivative(a, z[i], cfg.slope).abs() >= DEAD_TOL).double().mean(dim=0).numpy()
                      for z in zs]) for i, a in enumerate(cfg.activations)])  # (K, L, W)
        dead = (active == 0).mean(axis=2)
        for arr in (tr, te, tr_acc, te_acc):
            arr[self.model_diverged] = np.nan
        dead[self.model_diverged] = np.nan
        active[self.model_diverged] = np.nan
        self.diverged = bool(self.model_diverged.all())
        ok = ~self.model_diverged
        snap = Snapshot(self.epoch, self.step, float(tr[ok].mean()) if ok.any() else float("nan"),
                        float(te[ok].mean()) if ok.any() else float("nan"), self.diverged, tr, te, tr_acc,
                        te_acc, dead, active, self.model_diverged.copy())
        self._log(snap)
        return snap

    def _log(self, snap: Snapshot) -> None:
        log = self.log
        log["epoch"].append(snap.epoch)
        log["train"].append(snap.train_losses)
        log["test"].append(snap.test_losses)
        log["dead"].append(snap.dead)
        if len(log["epoch"]) > MAX_LOG:  # keep every other entry, the newest always
            for key in log:
                log[key] = log[key][-1::-2][::-1]

    def history(self, upto: int | None = None) -> dict:
        """The logged curves up to epoch ``upto``: epoch (T,), train and test (T, K), dead (T, K, L)."""
        log = self.log
        n = len(log["epoch"]) if upto is None else int(np.searchsorted(log["epoch"], upto, side="right"))
        k, depth = self.k, self.cfg.depth
        return {"epoch": np.asarray(log["epoch"][:n], dtype=np.int64),
                "train": np.asarray(log["train"][:n]).reshape(n, k),
                "test": np.asarray(log["test"][:n]).reshape(n, k),
                "dead": np.asarray(log["dead"][:n]).reshape(n, k, depth)}


# -- signal propagation at initialization ---------------------------------------------------------

INITS = ("normal", "small", "xavier", "he")
INIT_LABELS = {"normal": "N(0, 1)", "small": "N(0, 0.01²)", "xavier": "Xavier (Glorot)", "he": "He (Kaiming)"}
HIST_LO, HIST_HI, HIST_STEP = -8.0, 8.0, 0.5   # log10|a| bins; the ends also take what lies beyond
SATURATED = 0.05   # |f′(z)| below this counts as saturated in the init study


@dataclass(frozen=True)
class InitConfig:
    """A deep MLP of ``depth`` square layers (width → width, no biases) at initialization,
    fed ``batch`` inputs drawn from N(0, 1)."""

    activation: str = "tanh"
    depth: int = 10
    width: int = 256
    batch: int = 256
    inits: tuple = ("normal", "small", "xavier", "he")
    slope: float = 0.01
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "inits", tuple(self.inits))
        _check(self.activation in ACTIVATIONS, "activation", f"must be one of {ACTIVATIONS}")
        _check(isinstance(self.depth, int) and 1 <= self.depth <= 30, "depth", "must be 1..30 layers")
        _check(isinstance(self.width, int) and 2 <= self.width <= 512, "width", "must be 2..512 units")
        _check(isinstance(self.batch, int) and 2 <= self.batch <= 1024, "batch", "must be 2..1024 inputs")
        _check(1 <= len(self.inits) <= len(INITS) and all(i in INITS for i in self.inits), "inits",
               f"choose from {INITS}")
        _check(math.isfinite(self.slope) and 0 <= self.slope <= 1, "slope", "must be in [0, 1]")
        _check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class InitStudy:
    """Per init (in the order of cfg.inits) and hidden layer 1..L:

    mean, std (I, L): of the activations a_l over batch and units; grad_std (I, L): of
    ∂L/∂a_l for a random linear read-out L = ⟨r, a_L⟩, r ~ N(0, 1); zero (I, L): share of
    exact zeros; saturated (I, L): share with |f′(z)| < SATURATED; hist (I, L, B): share of
    the nonzero activations in each log10|a| bin, ``edges`` (B+1,) (the first and last bin
    also hold what lies beyond). Values that overflowed are NaN/inf as computed.
    """

    inits: tuple
    mean: np.ndarray
    std: np.ndarray
    grad_std: np.ndarray
    zero: np.ndarray
    saturated: np.ndarray
    hist: np.ndarray
    edges: np.ndarray


def init_weight(kind: str, width: int, gen: torch.Generator) -> torch.Tensor:
    """A (width, width) float64 weight drawn with torch.nn.init (fan_in = fan_out = width)."""
    w = torch.empty(width, width, dtype=torch.float64)
    if kind == "normal":
        return torch.nn.init.normal_(w, 0.0, 1.0, generator=gen)
    if kind == "small":
        return torch.nn.init.normal_(w, 0.0, 0.01, generator=gen)
    if kind == "xavier":
        return torch.nn.init.xavier_normal_(w, generator=gen)
    if kind == "he":
        return torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=gen)
    raise ValueError(f"init: must be one of {INITS}")


def log_histogram(a: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of the nonzero finite entries of ``a`` in each log10|a| bin, the ends clipped."""
    v = np.abs(a[np.isfinite(a) & (a != 0)])
    if v.size == 0:
        return np.zeros(len(edges) - 1)
    lg = np.clip(np.log10(v), edges[0], np.nextafter(edges[-1], -np.inf))
    counts, _ = np.histogram(lg, bins=edges)
    return counts / a.size


def init_study(cfg: InitConfig) -> InitStudy:
    """Forward a batch through the network once per init (same input, weights from the
    same seed) and backward a random read-out; float64 so that exploding signals stay finite."""
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.randn(cfg.batch, cfg.width, generator=gen, dtype=torch.float64)
    r = torch.randn(cfg.batch, cfg.width, generator=gen, dtype=torch.float64)
    edges = np.arange(HIST_LO, HIST_HI + HIST_STEP / 2, HIST_STEP)
    shape = (len(cfg.inits), cfg.depth)
    mean, std, gstd, zero, sat = (np.zeros(shape) for _ in range(5))
    hist = np.zeros(shape + (len(edges) - 1,))
    for i, kind in enumerate(cfg.inits):
        wgen = torch.Generator().manual_seed(cfg.seed + 1)   # every init draws from the same stream
        h = x.clone().requires_grad_(True)
        acts = []
        with torch.enable_grad(), np.errstate(all="ignore"):
            for li in range(cfg.depth):
                z = h @ init_weight(kind, cfg.width, wgen).t()
                sat[i, li] = float((derivative(cfg.activation, z, cfg.slope).abs() < SATURATED).double().mean())
                h = apply(cfg.activation, z, cfg.slope)
                h.retain_grad()
                acts.append(h)
            (h * r).sum().backward()
            for li, a in enumerate(acts):
                av = a.detach().numpy()
                mean[i, li], std[i, li] = av.mean(), av.std()
                gstd[i, li] = a.grad.numpy().std()
                zero[i, li] = float((av == 0).mean())
                hist[i, li] = log_histogram(av, edges)
    return InitStudy(cfg.inits, mean, std, gstd, zero, sat, hist, edges)
