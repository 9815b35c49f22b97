"""The Neural Network Playground engine: a small MLP on 2-D data, trained epoch by epoch.

Autograd-free float64 NumPy: every parameter lives in one flat vector ``theta`` (weights
of layer l as an (out, in) block, then its biases), so an update is a handful of vector
operations. Gradients are checked against torch autograd in the tests.

The update rules are TensorFlow Playground's (see ``../shared/reference``): one fixed
shuffled order for every epoch, gradients summed per sample and averaged per batch, a
batch's leftovers carried into the next epoch, L1/L2 applied after the gradient step at
the old weight (L1 freezes a weight that crosses 0), biases never regularized, the loss
reported after each epoch over the whole set. ``compat=True`` also takes the peer's
random generator (seedrandom ARC4 over the seed *string*), its order of draws, and its
fixed choices (SGD, squared error with a tanh output, no dropout), so a run reproduces the
peer's numbers. ``compat=False`` (native) draws from NumPy and adds cross-entropy,
multiclass softmax, momentum/Adam and dropout.

One "step" of :meth:`Trainer.advance` is one epoch (the peer's ``oneStep``).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field

import numpy as np

from explorer.engines import datasets2d
from explorer.engines.rng import NumpyRandom, SeedRandom, seed_to_int
from explorer.engines.contract import EpochLoop, check as _check

FEATURES = ("x", "y", "x2", "y2", "xy", "sinx", "siny")
FEATURE_LABELS = {"x": "x₁", "y": "x₂", "x2": "x₁²", "y2": "x₂²", "xy": "x₁x₂",
                  "sinx": "sin x₁", "siny": "sin x₂"}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
PROBLEMS = ("classification", "regression")
DATASETS = tuple(datasets2d.CLASSIFY)
REG_DATASETS = tuple(datasets2d.REGRESS)
REGULARIZATIONS = ("none", "L1", "L2")
LOSSES = ("squared", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "adam")
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_SEED_LEN = 64
GRID_EXTENT = 6.0  # the view spans [-6, 6] on both axes, like the peer's heatmap
DIVERGE_LOSS = 1e6




@dataclass(frozen=True)
class Config:
    """Everything that defines a run. Frozen, hashable, validated on construction.

    noise and train_ratio are percentages (the peer's slider values); hidden lists the
    neurons per hidden layer; seed is any string (the peer's seeds look like "0.88025").
    """

    problem: str = "classification"
    dataset: str = "circle"
    reg_dataset: str = "reg-plane"
    classes: int = 3
    noise: int = 0
    train_ratio: int = 50
    batch_size: int = 10
    features: tuple = ("x", "y")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    learning_rate: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    loss: str = "squared"
    optimizer: str = "sgd"
    dropout: float = 0.0
    seed: str = "1"
    compat: bool = False
    init_zero: bool = False

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(f for f in FEATURES if f in tuple(self.features)))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "seed", str(self.seed))
        _check(self.problem in PROBLEMS, "problem", f"must be one of {PROBLEMS}")
        _check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        _check(self.reg_dataset in REG_DATASETS, "reg_dataset", f"must be one of {REG_DATASETS}")
        _check(isinstance(self.classes, int) and 3 <= self.classes <= 6, "classes", "must be 3..6")
        _check(isinstance(self.noise, int) and 0 <= self.noise <= 50, "noise", "must be 0..50 (%)")
        _check(isinstance(self.train_ratio, int) and 10 <= self.train_ratio <= 90, "train_ratio", "must be 10..90 (%)")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 30, "batch_size", "must be 1..30")
        _check(len(self.features) >= 1, "features", f"choose at least one of {FEATURES}")
        _check(len(self.hidden) <= MAX_LAYERS and all(1 <= h <= MAX_NEURONS for h in self.hidden),
               "hidden", f"at most {MAX_LAYERS} layers of 1..{MAX_NEURONS} neurons")
        _check(self.activation in ACTIVATIONS, "activation", f"must be one of {ACTIVATIONS}")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 10, "learning_rate", "must be in (0, 10]")
        _check(self.regularization in REGULARIZATIONS, "regularization", f"must be one of {REGULARIZATIONS}")
        _check(math.isfinite(self.reg_rate) and 0 <= self.reg_rate <= 10, "reg_rate", "must be in [0, 10]")
        _check(self.loss in LOSSES, "loss", f"must be one of {LOSSES}")
        _check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
        _check(math.isfinite(self.dropout) and 0 <= self.dropout <= 0.5, "dropout", "must be in [0, 0.5]")
        _check(0 < len(self.seed) <= MAX_SEED_LEN, "seed", f"must be 1..{MAX_SEED_LEN} characters")
        if self.problem == "regression":
            _check(self.loss == "squared", "loss", "regression uses squared error")
        if self.multiclass:
            _check(self.loss == "cross_entropy", "loss", "multiclass data needs cross-entropy")
        if self.compat:
            _check(not self.multiclass, "dataset", "TensorFlow Playground mode has two classes only")
            _check(self.loss == "squared", "loss", "TensorFlow Playground mode uses squared error")
            _check(self.optimizer == "sgd", "optimizer", "TensorFlow Playground mode uses plain SGD")
            _check(self.dropout == 0, "dropout", "TensorFlow Playground mode has no dropout")

    @property
    def multiclass(self) -> bool:
        return self.problem == "classification" and self.dataset in datasets2d.MULTICLASS

    @property
    def data_name(self) -> str:
        return self.dataset if self.problem == "classification" else self.reg_dataset

    @property
    def n_outputs(self) -> int:
        return self.classes if self.multiclass else 1

    @property
    def head(self) -> str:
        """Output unit and loss: tanh_sq (the peer's), sigmoid_ce, softmax_ce or linear_sq."""
        if self.problem == "regression":
            return "linear_sq"
        if self.multiclass:
            return "softmax_ce"
        return "tanh_sq" if self.loss == "squared" else "sigmoid_ce"

    @property
    def layer_sizes(self) -> tuple:
        return (len(self.features), *self.hidden, self.n_outputs)

    @classmethod
    def coerced(cls, **kw) -> tuple["Config", list[str]]:
        """A valid config from UI choices that may not fit together, and what was changed.

        Multiclass data needs cross-entropy, regression squared error, and the
        TensorFlow Playground mode two classes, SGD, squared error and no dropout.
        """
        notes = []
        problem = kw.get("problem", "classification")
        multiclass = problem == "classification" and kw.get("dataset", "circle") in datasets2d.MULTICLASS
        if multiclass and kw.get("compat"):
            kw["compat"] = False
            notes.append("TensorFlow Playground mode has two classes only, so it is off for this dataset.")
        if kw.get("compat"):
            kw.update(loss="squared", optimizer="sgd", dropout=0.0)
        if multiclass and kw.get("loss", "squared") != "cross_entropy":
            kw["loss"] = "cross_entropy"
            notes.append("Several classes train with softmax cross-entropy.")
        if problem == "regression" and kw.get("loss", "squared") != "squared":
            kw["loss"] = "squared"
            notes.append("Regression trains with squared error.")
        return cls(**kw), notes

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Data:
    """Raw 2-D points and labels. Binary labels are ±1, multiclass 0..k-1."""

    train_xy: np.ndarray
    train_y: np.ndarray
    test_xy: np.ndarray
    test_y: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch: numbers for the view, never tensors.

    ``params`` is a copy of the flat parameter vector (see :func:`unflatten`).
    Losses are the configured loss (the peer's 0.5·(out−label)² mean for squared error);
    accuracies are fractions (NaN for regression).
    """

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    diverged: bool
    params: np.ndarray = field(repr=False)


def features(cfg: Config, xy: np.ndarray) -> np.ndarray:
    """(n, 2) points → (n, F) inputs in the peer's feature order."""
    x, y = xy[:, 0], xy[:, 1]
    cols = {"x": lambda: x, "y": lambda: y, "x2": lambda: x * x, "y2": lambda: y * y,
            "xy": lambda: x * y, "sinx": lambda: np.sin(x), "siny": lambda: np.sin(y)}
    return np.stack([cols[f]() for f in cfg.features], axis=1)


def _rand(cfg: Config):
    return SeedRandom(cfg.seed) if cfg.compat else NumpyRandom(cfg.seed)


def _draw_data(cfg: Config, rand) -> Data:
    return Data(*datasets2d.generate(rand, cfg.data_name, cfg.noise / 100, cfg.train_ratio, cfg.classes))


@functools.lru_cache(maxsize=256)
def param_slices(cfg: Config) -> list[tuple[slice, tuple, slice]]:
    """Per layer: (weight slice, weight shape (out, in), bias slice) into ``theta``."""
    out, pos = [], 0
    sizes = cfg.layer_sizes
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = slice(pos, pos + fan_in * fan_out)
        pos += fan_in * fan_out
        out.append((w, (fan_out, fan_in), slice(pos, pos + fan_out)))
        pos += fan_out
    return tuple(out)


def n_params(cfg: Config) -> int:
    return param_slices(cfg)[-1][2].stop


def unflatten(cfg: Config, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Flat vector → [(W (out, in), b (out,)), …] views, input layer first."""
    return [(theta[w].reshape(shape), theta[b]) for w, shape, b in param_slices(cfg)]


def init_params(cfg: Config, rand) -> np.ndarray:
    """The peer's init: each weight U(−0.5, 0.5) in order (layer, dest, source), biases 0.1."""
    theta = np.empty(n_params(cfg))
    for w, shape, b in param_slices(cfg):
        if isinstance(rand, NumpyRandom):
            theta[w] = rand.gen.random(shape[0] * shape[1]) - 0.5
        else:
            theta[w] = [rand.random() - 0.5 for _ in range(shape[0] * shape[1])]
        theta[b] = 0.1
    if cfg.init_zero:
        theta[:] = 0.0
    return theta


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def _act_der(name: str, a: np.ndarray) -> np.ndarray | float:
    """Derivative from the activation's output (relu: 0 at z ≤ 0, like the peer)."""
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "sigmoid":
        return a * (1.0 - a)
    return 1.0


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _out(head: str, z: np.ndarray) -> np.ndarray:
    if head == "tanh_sq":
        return np.tanh(z)
    if head == "sigmoid_ce":
        return 1.0 / (1.0 + np.exp(-z))
    if head == "softmax_ce":
        return _softmax(z)
    return z


def forward(cfg: Config, theta: np.ndarray, x: np.ndarray, keep: list | None = None) -> list[np.ndarray]:
    """Activations of every layer for inputs x (n, F): [x, h1, …, out].

    The output is tanh (peer), sigmoid probability, softmax probabilities (n, K) or linear.
    ``keep`` (training only) holds one dropout multiplier array (n, h) per hidden layer.
    """
    return _forward(cfg, theta, x, keep)[0]


def _forward(cfg: Config, theta: np.ndarray, x: np.ndarray, keep: list | None, layers=None):
    """(activations after dropout, hidden activations before dropout)."""
    acts, raw = [x], []
    layers = layers if layers is not None else unflatten(cfg, theta)
    last = len(layers) - 1
    for li, (w, b) in enumerate(layers):
        z = acts[-1] @ w.T + b
        if li == last:
            acts.append(_out(cfg.head, z))
        else:
            a = _act(cfg.activation, z)
            raw.append(a)
            acts.append(a * keep[li] if keep is not None else a)
    return acts, raw


def loss_and_output_grad(cfg: Config, out: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss (n,) and dLoss/d(pre-activation of the output) (n, K)."""
    head = cfg.head
    if head in ("tanh_sq", "linear_sq"):
        o = out[:, 0]
        diff = o - y
        d = diff * (1.0 - o * o) if head == "tanh_sq" else diff
        return 0.5 * diff * diff, d[:, None]
    if head == "sigmoid_ce":
        p = np.clip(out[:, 0], 1e-12, 1 - 1e-12)
        t = (y > 0).astype(np.float64)
        return -(t * np.log(p) + (1 - t) * np.log(1 - p)), (out[:, 0] - t)[:, None]
    k = y.astype(np.int64)
    onehot = np.zeros_like(out)
    onehot[np.arange(len(k)), k] = 1.0
    return -np.log(np.clip(out[np.arange(len(k)), k], 1e-300, None)), out - onehot


def gradient_sum(cfg: Config, theta: np.ndarray, x: np.ndarray, y: np.ndarray,
                 keep: list | None = None, layers: list | None = None) -> tuple[np.ndarray, float]:
    """Sum over the batch of per-sample gradients (flat, like theta) and the summed loss.

    ``layers`` may pass ``unflatten(cfg, theta)`` views made once (the trainer's hot path).
    """
    layers = layers if layers is not None else unflatten(cfg, theta)
    acts, raw = _forward(cfg, theta, x, keep, layers)
    losses, delta = loss_and_output_grad(cfg, acts[-1], y)
    grad = np.empty_like(theta)
    slices = param_slices(cfg)
    for li in range(len(layers) - 1, -1, -1):
        ws, shape, bs = slices[li]
        grad[ws] = (delta.T @ acts[li]).ravel()
        grad[bs] = delta.sum(axis=0)
        if li:
            der = _act_der(cfg.activation, raw[li - 1])
            if keep is not None:
                der = der * keep[li - 1]
            delta = (delta @ layers[li][0]) * der
    return grad, float(losses.sum())


def metrics(cfg: Config, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) over a set; accuracy is NaN for regression."""
    if len(y) == 0:
        return float("nan"), float("nan")
    out = forward(cfg, theta, x)[-1]
    losses, _ = loss_and_output_grad(cfg, out, y)
    if cfg.problem == "regression":
        acc = float("nan")
    elif cfg.multiclass:
        acc = float(np.mean(out.argmax(axis=1) == y))
    else:
        thr = 0.0 if cfg.head == "tanh_sq" else 0.5
        acc = float(np.mean((out[:, 0] >= thr) == (y > 0)))
    return float(losses.sum() / len(y)), acc


def _weight_mask(cfg: Config) -> np.ndarray:
    mask = np.zeros(n_params(cfg), dtype=bool)
    for ws, _, _ in param_slices(cfg):
        mask[ws] = True
    return mask


class Trainer(EpochLoop):
    """A live run: ``advance`` trains whole epochs within a step and time budget."""

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        rand = _rand(cfg)
        drawn = _draw_data(cfg, rand)  # always drawn: in the peer's stream weights come after data
        self.data = data if data is not None else drawn
        self.theta = init_params(cfg, rand)
        self._layers = unflatten(cfg, self.theta)  # views: theta is only ever updated in place
        self._is_weight = _weight_mask(cfg)
        self._xtr = features(cfg, self.data.train_xy)
        self._xte = features(cfg, self.data.test_xy)
        n, bs = len(self._xtr), cfg.batch_size
        cuts = list(range(0, n, bs)) + [n]
        # (start, end, update?) chunks of one epoch; a tail shorter than a batch carries over.
        self._chunks = [(a, b, (b - a) == bs) for a, b in zip(cuts[:-1], cuts[1:])]
        self._drop_rng = np.random.default_rng(seed_to_int(cfg.seed) + 1)
        self.reset_state()

    def reset_state(self) -> None:
        self.acc = np.zeros_like(self.theta)
        self.count = 0
        self.dead = np.zeros(self.theta.shape, dtype=bool)
        self.m = np.zeros_like(self.theta)
        self.v = np.zeros_like(self.theta)
        self.epoch = 0
        self.step = 0
        self.diverged = False
        self.snapshot = self._measure()

    # -- training -------------------------------------------------------------------------
    def _keep(self, rows: int) -> list | None:
        p = self.cfg.dropout
        if p <= 0 or not self.cfg.hidden:
            return None
        return [(self._drop_rng.random((rows, h)) >= p) / (1.0 - p) for h in self.cfg.hidden]

    def _update(self) -> None:
        cfg, theta = self.cfg, self.theta
        lr, n = cfg.learning_rate, self.count
        reg = cfg.regularization
        if reg != "none":
            old = theta.copy()
        if cfg.optimizer == "sgd":
            theta -= (lr / n) * self.acc
        else:
            g = self.acc / n
            if self.dead.any():
                g[self.dead] = 0.0
            if cfg.optimizer == "momentum":
                self.m *= 0.9
                self.m += g
                theta -= lr * self.m
            else:  # adam
                t = self.step + 1
                self.m = 0.9 * self.m + 0.1 * g
                self.v = 0.999 * self.v + 0.001 * g * g
                theta -= lr * (self.m / (1 - 0.9**t)) / (np.sqrt(self.v / (1 - 0.999**t)) + 1e-8)
            theta[self.dead] = 0.0  # weights L1 froze stay at 0 whatever the optimizer's state
            self.m[self.dead] = 0.0
        if reg != "none" and cfg.reg_rate > 0:
            der = np.sign(old) if reg == "L1" else old
            der[~self._is_weight] = 0.0
            der[self.dead] = 0.0
            new = theta - (lr * cfg.reg_rate) * der
            if reg == "L1":
                crossed = (theta * new < 0) & self._is_weight
                new[crossed] = 0.0
                self.dead |= crossed
            theta[:] = new
        self.acc[:] = 0.0
        self.count = 0
        self.step += 1

    def _epoch(self) -> None:
        cfg = self.cfg
        y = self.data.train_y
        for a, b, update in self._chunks:
            g, _ = gradient_sum(cfg, self.theta, self._xtr[a:b], y[a:b], self._keep(b - a), self._layers)
            if self.dead.any():
                g[self.dead] = 0.0
            self.acc += g
            self.count += b - a
            if update:
                self._update()
        self.epoch += 1

    def _measure(self) -> Snapshot:
        cfg = self.cfg
        with np.errstate(all="ignore"):
            tr_loss, tr_acc = metrics(cfg, self.theta, self._xtr, self.data.train_y)
            te_loss, te_acc = metrics(cfg, self.theta, self._xte, self.data.test_y)
        bad = not (np.isfinite(self.theta).all() and math.isfinite(tr_loss)) or tr_loss > DIVERGE_LOSS
        self.diverged = self.diverged or bad
        params = self.theta.copy()
        params.flags.writeable = False
        return Snapshot(self.epoch, self.step, tr_loss, te_loss, tr_acc, te_acc, self.diverged, params)

    # -- persistence ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"theta": self.theta.copy(), "acc": self.acc.copy(), "count": self.count,
                "dead": self.dead.copy(), "m": self.m.copy(), "v": self.v.copy(),
                "epoch": self.epoch, "step": self.step, "diverged": self.diverged,
                "drop_rng": self._drop_rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        for k in ("theta", "acc", "dead", "m", "v"):
            setattr(self, k, np.array(state[k], copy=True))
        self._layers = unflatten(self.cfg, self.theta)
        self.count, self.epoch, self.step = int(state["count"]), int(state["epoch"]), int(state["step"])
        self.diverged = bool(state["diverged"])
        self._drop_rng.bit_generator.state = state["drop_rng"]
        self.snapshot = self._measure()


# -- views of a trained network -------------------------------------------------------------
def grid_points(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The peer's heatmap grid: (n,) x from −6 to 6 and (n,) y from +6 (row 0) to −6."""
    xs = np.array([_lin(i, n) for i in range(n)])
    return xs, xs[::-1].copy()


def _lin(i: int, n: int) -> float:
    t = i / (n - 1)
    return -GRID_EXTENT * (1 - t) + GRID_EXTENT * t


def node_outputs(cfg: Config, params: np.ndarray, n: int = 100) -> list[np.ndarray]:
    """Every node's output on the n×n grid: per layer an array (nodes, n, n), row 0 = top.

    Layer 0 holds the input features; the last layer holds the output unit(s).
    """
    xs, ys = grid_points(n)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.stack([gx.ravel(), gy.ravel()], axis=1)
    with np.errstate(all="ignore"):
        acts = forward(cfg, np.asarray(params), features(cfg, xy))
    return [a.T.reshape(a.shape[1], n, n) for a in acts]


def display_value(cfg: Config, out: np.ndarray) -> np.ndarray:
    """Map the output layer (K, …) to what the view colours: [-1, 1] for two classes
    (probability p shown as 2p−1), the raw value for regression, class probabilities
    for multiclass."""
    if cfg.head == "sigmoid_ce":
        return 2 * out[0] - 1
    if cfg.head == "softmax_ce":
        return out
    return out[0]


def export_model(cfg: Config, params: np.ndarray, snapshot: Snapshot | None = None) -> tuple[bytes, str]:
    """(safetensors bytes with W{l}/b{l} per layer, JSON of the config and metrics)."""
    from safetensors.numpy import save

    tensors = {}
    for li, (w, b) in enumerate(unflatten(cfg, np.asarray(params))):
        tensors[f"W{li + 1}"] = np.ascontiguousarray(w, dtype=np.float64)
        tensors[f"b{li + 1}"] = np.ascontiguousarray(b, dtype=np.float64)
    meta = {"format": "explorer.playground/1", "config": dataclasses.asdict(cfg),
            "layer_sizes": list(cfg.layer_sizes), "output": cfg.head,
            "feature_order": list(cfg.features)}
    if snapshot is not None:
        meta["epoch"] = snapshot.epoch
        meta["metrics"] = {k: (None if not math.isfinite(v) else v) for k, v in
                           (("train_loss", snapshot.train_loss), ("test_loss", snapshot.test_loss),
                            ("train_acc", snapshot.train_acc), ("test_acc", snapshot.test_acc))}
    return save(tensors), json.dumps(meta, indent=2)


def config_from_tfp(link_or_hash: str) -> Config:
    """A TensorFlow Playground link (or its ``#…`` state) → Config in compatible mode."""
    from explorer.engines.tfp_link import parse_tfp

    return parse_tfp(link_or_hash).config
