"""A two-layer network written in NumPy, checked against PyTorch.

The network: inputs x (B, D) → hidden h = φ(x W1 + b1) (B, H) → logits h W2 + b2 (B, K)
→ softmax cross-entropy averaged over the batch. Parameters are a dict of float64 arrays
``W1`` (D, H), ``b1`` (H,), ``W2`` (H, K), ``b2`` (K,). :func:`forward`,
:func:`softmax_cross_entropy`, :func:`backward` and :func:`sgd_step` are the whole
algorithm; the page shows their source, so what the learner reads is what runs.

Two independent oracles check it: central finite differences of the loss, and PyTorch
autograd on the same weights (:func:`gradient_check`). :class:`Trainer` trains the NumPy
network and its PyTorch twin (``nn.Linear`` layers, ``torch.optim.SGD``) in lockstep from
the same initial weights on the same mini-batches, so their loss curves must coincide.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from explorer.engines.contract import EpochLoop, check as _check

DATASETS = ("moons", "circles", "spiral", "digits")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
PARAM_NAMES = ("W1", "b1", "W2", "b2")
TEST_SHARE = 0.25
CHECK_BATCH = 256        # gradient checks use at most this many training points
DIVERGE_LOSS = 1e6




@dataclass(frozen=True)
class Config:
    """One run: data, network and training. Frozen, hashable, validated on construction.

    n_points and noise apply to the 2-D sets (digits has 1,797 fixed images); noise is
    the standard deviation of the Gaussian jitter, in input units. One epoch is one pass
    over the training points in shuffled mini-batches of ``batch_size``; the few points
    left over drop out of that epoch (PyTorch's ``drop_last=True``), so every step averages
    over the same number of points. A batch size above the training-set size means
    full-batch gradient descent.
    """

    dataset: str = "moons"
    n_points: int = 200
    noise: float = 0.2
    hidden: int = 16
    activation: str = "tanh"
    learning_rate: float = 0.3
    epochs: int = 100
    batch_size: int = 16
    seed: int = 0

    def __post_init__(self):
        _check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        _check(isinstance(self.n_points, int) and 40 <= self.n_points <= 2000, "n_points", "must be 40..2000")
        _check(math.isfinite(self.noise) and 0 <= self.noise <= 1, "noise", "must be in [0, 1]")
        _check(isinstance(self.hidden, int) and 1 <= self.hidden <= 256, "hidden", "must be 1..256")
        _check(self.activation in ACTIVATIONS, "activation", f"must be one of {ACTIVATIONS}")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 100, "learning_rate",
               "must be in (0, 100]")
        _check(isinstance(self.epochs, int) and 1 <= self.epochs <= 1000, "epochs", "must be 1..1000")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 2048, "batch_size",
               "must be 1..2048")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**32, "seed", "must be 0..2³²−1")

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Data:
    """Inputs (n, D) float64 and integer labels (n,) in 0..K−1, split into train and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]


def _rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent streams for data, initial weights and batch order, so changing the batch
    size does not change the weights, nor the width the data."""
    return tuple(np.random.default_rng([seed, k]) for k in range(3))


def spiral(n: int, classes: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: ``classes`` arms of about n/classes points in [-1, 1]²."""
    per = np.full(classes, n // classes)
    per[: n % classes] += 1
    xs, ys = [], []
    for k, m in enumerate(per):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, m) + rng.normal(0.0, 1.0, m) * noise
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(m, k))
    return np.concatenate(xs), np.concatenate(ys)


def make_data(cfg: Config) -> Data:
    """The dataset of a config, split 75/25 with a seeded permutation."""
    from sklearn import datasets as skd

    rng = _rngs(cfg.seed)[0]
    if cfg.dataset == "digits":
        d = skd.load_digits()
        x, y, k = d.data / 16.0, d.target, 10
    elif cfg.dataset == "spiral":
        (x, y), k = spiral(cfg.n_points, 3, cfg.noise, rng), 3
    else:
        make = skd.make_moons if cfg.dataset == "moons" else skd.make_circles
        extra = {} if cfg.dataset == "moons" else {"factor": 0.5}
        x, y = make(n_samples=cfg.n_points, noise=cfg.noise, random_state=int(rng.integers(2**31)), **extra)
        k = 2
    order = rng.permutation(len(y))
    n_test = int(round(TEST_SHARE * len(y)))
    test, train = order[:n_test], order[n_test:]
    f = np.asarray(x, dtype=np.float64)
    lab = np.asarray(y, dtype=np.int64)
    return Data(f[train], lab[train], f[test], lab[test], k)


# -- the network, in NumPy ----------------------------------------------------------------
def init_params(n_in: int, n_hidden: int, n_out: int, activation: str, rng: np.random.Generator) -> dict:
    """Gaussian weights scaled by fan-in (He for ReLU, LeCun otherwise), zero biases."""
    gain = 2.0 if activation == "relu" else 1.0
    return {
        "W1": rng.normal(0.0, np.sqrt(gain / n_in), (n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, np.sqrt(1.0 / n_hidden), (n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """φ(z), elementwise."""
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return 1.0 / (1.0 + np.exp(-z))  # sigmoid


def activate_grad(name: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """φ′(z), written with h = φ(z) where that is cheaper."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (z > 0).astype(z.dtype)  # 0 at z = 0, like PyTorch
    return h * (1.0 - h)  # sigmoid


def forward(params: dict, x: np.ndarray, activation: str) -> tuple[np.ndarray, tuple]:
    """x (B, D) → logits (B, K), and the values backward needs."""
    z1 = x @ params["W1"] + params["b1"]          # (B, H)
    h = activate(activation, z1)                  # (B, H)
    logits = h @ params["W2"] + params["b2"]      # (B, K)
    return logits, (x, z1, h)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the batch, and its gradient dL/dlogits (B, K)."""
    shifted = logits - logits.max(axis=1, keepdims=True)          # exp cannot overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = -log_p[rows, y].mean()
    dlogits = np.exp(log_p)                                        # softmax p
    dlogits[rows, y] -= 1.0                                        # p − onehot(y)
    return float(loss), dlogits / len(y)


def backward(params: dict, cache: tuple, dlogits: np.ndarray, activation: str) -> dict:
    """The chain rule, layer by layer from the loss back to W1: gradients shaped like params."""
    x, z1, h = cache
    grads = {"W2": h.T @ dlogits,                 # (H, K)
             "b2": dlogits.sum(axis=0)}           # (K,)
    dh = dlogits @ params["W2"].T                 # (B, H)
    dz1 = dh * activate_grad(activation, z1, h)   # (B, H)
    grads["W1"] = x.T @ dz1                       # (D, H)
    grads["b1"] = dz1.sum(axis=0)                 # (H,)
    return grads


def sgd_step(params: dict, grads: dict, lr: float) -> None:
    """Plain gradient descent, in place: θ ← θ − η ∇θ L."""
    for name in params:
        params[name] -= lr * grads[name]


def loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, dict]:
    """One forward and backward pass: (mean loss, gradients)."""
    logits, cache = forward(params, x, activation)
    loss, dlogits = softmax_cross_entropy(logits, y)
    return loss, backward(params, cache, dlogits, activation)


def predict_proba(params: dict, x: np.ndarray, activation: str) -> np.ndarray:
    """Class probabilities (n, K)."""
    logits, _ = forward(params, x, activation)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def evaluate(params: dict, x: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, float]:
    """(mean loss, accuracy as a fraction) over a set."""
    logits, _ = forward(params, x, activation)
    loss, _ = softmax_cross_entropy(logits, y)
    return loss, float(np.mean(logits.argmax(axis=1) == y))


# -- the same network in PyTorch --------------------------------------------------------------
class TorchTwin(nn.Module):
    """The same network with nn.Linear layers. nn.Linear stores weight as (out, in), the
    transpose of our W, and computes x @ weight.T + bias: the same numbers."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, activation: str):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden, dtype=torch.float64)
        self.fc2 = nn.Linear(n_hidden, n_out, dtype=torch.float64)
        self.act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))

    @classmethod
    def from_numpy(cls, params: dict, activation: str) -> "TorchTwin":
        d, h = params["W1"].shape
        net = cls(d, h, params["W2"].shape[1], activation)
        with torch.no_grad():
            net.fc1.weight.copy_(torch.tensor(params["W1"].T))
            net.fc1.bias.copy_(torch.tensor(params["b1"]))
            net.fc2.weight.copy_(torch.tensor(params["W2"].T))
            net.fc2.bias.copy_(torch.tensor(params["b2"]))
        return net

    def to_numpy(self) -> dict:
        """Current weights in the NumPy layout (copies)."""
        return {"W1": self.fc1.weight.detach().numpy().T.copy(), "b1": self.fc1.bias.detach().numpy().copy(),
                "W2": self.fc2.weight.detach().numpy().T.copy(), "b2": self.fc2.bias.detach().numpy().copy()}

    def grads_numpy(self) -> dict:
        """The .grad of each parameter in the NumPy layout (copies)."""
        return {"W1": self.fc1.weight.grad.numpy().T.copy(), "b1": self.fc1.bias.grad.numpy().copy(),
                "W2": self.fc2.weight.grad.numpy().T.copy(), "b2": self.fc2.bias.grad.numpy().copy()}


def torch_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, dict]:
    """PyTorch autograd on the same weights: (mean loss, gradients in the NumPy layout)."""
    net = TorchTwin.from_numpy(params, activation)
    loss = nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    return loss.item(), net.grads_numpy()


# -- gradient check -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GradCheck:
    """One parameter's check. Errors are relative to the largest gradient entry of that
    parameter: max_i |g_i − ĝ_i| / max_i |g_i| (NaN when every entry is 0 in both)."""

    name: str
    shape: tuple
    n_checked_fd: int     # entries compared with finite differences (a seeded sample)
    grad_scale: float     # max |g| over the whole parameter
    err_fd: float
    err_autograd: float


def relative_error(g: np.ndarray, ref: np.ndarray, scale: float) -> float:
    """max |g − ref| / scale, with 0/0 read as 0 (both exactly zero)."""
    diff = float(np.max(np.abs(g - ref))) if g.size else 0.0
    if scale == 0:
        return 0.0 if diff == 0 else float("inf")
    return diff / scale


def finite_difference(params: dict, x: np.ndarray, y: np.ndarray, activation: str, name: str,
                      index: tuple, eps: float) -> float:
    """Central difference (L(θ+ε) − L(θ−ε)) / 2ε for one entry of one parameter."""
    p = {k: v.copy() for k, v in params.items()}
    p[name][index] = params[name][index] + eps
    up, _ = softmax_cross_entropy(forward(p, x, activation)[0], y)
    p[name][index] = params[name][index] - eps
    down, _ = softmax_cross_entropy(forward(p, x, activation)[0], y)
    return (up - down) / (2.0 * eps)


def _sample_entries(shape: tuple, max_entries: int, rng: np.random.Generator) -> list[tuple]:
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= max_entries else np.sort(rng.choice(size, max_entries, replace=False))
    return [np.unravel_index(i, shape) for i in flat]


def gradient_check(params: dict, x: np.ndarray, y: np.ndarray, activation: str, eps: float = 1e-5,
                   max_entries: int = 32, seed: int = 0) -> list[GradCheck]:
    """Compare :func:`backward` with finite differences (on at most ``max_entries`` seeded
    entries per parameter, 2 forward passes each) and with PyTorch autograd (every entry).

    x (B, D), y (B,): the batch the loss is taken over (callers cap B, e.g. CHECK_BATCH).
    """
    _check(math.isfinite(eps) and eps > 0, "eps", "must be a positive number")
    with np.errstate(all="ignore"):
        _, grads = loss_and_grads(params, x, y, activation)
        _, auto = torch_loss_and_grads(params, x, y, activation)
        rng = np.random.default_rng(seed)
        out = []
        for name in PARAM_NAMES:
            g = grads[name]
            idx = _sample_entries(g.shape, max_entries, rng)
            fd = np.array([finite_difference(params, x, y, activation, name, i, eps) for i in idx])
            mine = np.array([g[i] for i in idx])
            scale = float(max(np.max(np.abs(g)), np.max(np.abs(auto[name]))))
            out.append(GradCheck(name, g.shape, len(idx), float(np.max(np.abs(g))),
                                 relative_error(mine, fd, scale), relative_error(g, auto[name], scale)))
    return out


def fd_sweep(params: dict, x: np.ndarray, y: np.ndarray, activation: str, eps_values: tuple,
             max_entries: int = 8, seed: int = 0) -> dict:
    """Finite-difference error against :func:`backward` for each step ε: parameter name →
    (len(eps_values),) relative errors, on at most ``max_entries`` seeded entries each
    (2·len(eps_values)·max_entries forward passes per parameter)."""
    with np.errstate(all="ignore"):
        _, grads = loss_and_grads(params, x, y, activation)
        rng = np.random.default_rng(seed)
        out = {}
        for name in PARAM_NAMES:
            g = grads[name]
            idx = _sample_entries(g.shape, max_entries, rng)
            mine = np.array([g[i] for i in idx])
            scale = float(np.max(np.abs(g)))
            out[name] = np.array([relative_error(mine, np.array(
                [finite_difference(params, x, y, activation, name, i, e) for i in idx]), scale)
                for e in eps_values])
    return out


# -- training, NumPy and PyTorch in lockstep ----------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch. Losses are mean cross-entropy (nats) of the NumPy network;
    accuracies are fractions. ``max_loss_gap`` is the largest |NumPy − PyTorch| mini-batch
    loss over every step so far, ``max_param_gap`` the largest weight difference now.
    ``params`` holds read-only copies of the NumPy network's weights."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    torch_train_loss: float
    max_loss_gap: float
    max_param_gap: float
    diverged: bool
    params: dict = dataclasses.field(repr=False, compare=False)


class Trainer(EpochLoop):
    """Train the NumPy network and its PyTorch twin from the same initial weights on the same
    shuffled mini-batches (see :class:`Config`). One :meth:`advance` step is one epoch; training stops after
    ``cfg.epochs`` epochs or when either network's loss becomes NaN/inf (diverged).

    ``losses_numpy`` / ``losses_torch`` hold every mini-batch loss (valid up to ``step``).
    """

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg)
        d = self.data
        _, init_rng, self._batch_rng = _rngs(cfg.seed)
        self.params = init_params(d.n_inputs, cfg.hidden, d.n_classes, cfg.activation, init_rng)
        self.net = TorchTwin.from_numpy(self.params, cfg.activation)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=cfg.learning_rate)
        self._xt = torch.from_numpy(d.x_train)
        self._yt = torch.from_numpy(d.y_train)
        n = len(d.y_train)
        self.batch_size = min(cfg.batch_size, n)
        self.steps_per_epoch = n // self.batch_size
        self.losses_numpy = np.full(cfg.epochs * self.steps_per_epoch, np.nan)
        self.losses_torch = np.full(cfg.epochs * self.steps_per_epoch, np.nan)
        self.epoch = self.step = 0
        self.diverged = False
        self.snapshot = self._measure()

    @property
    def finished(self) -> bool:
        return self.epoch >= self.cfg.epochs or self.diverged

    def _train_step(self, idx: np.ndarray) -> tuple[float, float]:
        """One SGD step of both networks on the same batch: (NumPy loss, PyTorch loss)."""
        cfg = self.cfg
        loss, grads = loss_and_grads(self.params, self.data.x_train[idx], self.data.y_train[idx], cfg.activation)
        sgd_step(self.params, grads, cfg.learning_rate)
        ti = torch.from_numpy(idx)
        self.opt.zero_grad()
        t_loss = nn.functional.cross_entropy(self.net(self._xt[ti]), self._yt[ti])
        t_loss.backward()
        self.opt.step()
        return loss, t_loss.item()

    def _epoch(self) -> None:
        b = self.batch_size
        order = self._batch_rng.permutation(len(self.data.y_train))
        for start in range(0, self.steps_per_epoch * b, b):
            a, t = self._train_step(order[start:start + b])
            self.losses_numpy[self.step], self.losses_torch[self.step] = a, t
            self.step += 1
            if not (math.isfinite(a) and math.isfinite(t)) or a > DIVERGE_LOSS:
                self.diverged = True
                return
        self.epoch += 1

    def _measure(self) -> Snapshot:
        d, act = self.data, self.cfg.activation
        tr_loss, tr_acc = evaluate(self.params, d.x_train, d.y_train, act)
        te_loss, te_acc = evaluate(self.params, d.x_test, d.y_test, act)
        with torch.no_grad():
            t_loss = float(nn.functional.cross_entropy(self.net(self._xt), self._yt))
        theirs = self.net.to_numpy()
        gaps = [np.max(np.abs(self.params[k] - theirs[k])) for k in PARAM_NAMES]
        param_gap = float(max(gaps))
        seen = np.abs(self.losses_numpy[: self.step] - self.losses_torch[: self.step])
        seen = seen[np.isfinite(seen)]
        loss_gap = float(np.max(seen)) if seen.size else 0.0
        bad = not (np.isfinite(tr_loss) and all(np.isfinite(v).all() for v in self.params.values()))
        self.diverged = self.diverged or bad or tr_loss > DIVERGE_LOSS
        params = {k: v.copy() for k, v in self.params.items()}
        for v in params.values():
            v.flags.writeable = False
        return Snapshot(self.epoch, self.step, tr_loss, te_loss, tr_acc, te_acc, t_loss, loss_gap, param_gap,
                        self.diverged, params)

    def _stopped(self) -> bool:
        return self.finished

    # -- persistence ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"params": {k: v.copy() for k, v in self.params.items()},
                "net": {k: v.detach().clone() for k, v in self.net.state_dict().items()},
                "opt": copy.deepcopy(self.opt.state_dict()), "batch_rng": self._batch_rng.bit_generator.state,
                "losses_numpy": self.losses_numpy.copy(), "losses_torch": self.losses_torch.copy(),
                "epoch": self.epoch, "step": self.step, "diverged": self.diverged}

    def load_state_dict(self, state: dict) -> None:
        self.params = {k: np.array(v, dtype=np.float64) for k, v in state["params"].items()}
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self._batch_rng.bit_generator.state = state["batch_rng"]
        self.losses_numpy = np.array(state["losses_numpy"])
        self.losses_torch = np.array(state["losses_torch"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.diverged = bool(state["diverged"])
        self.snapshot = self._measure()


# -- views of a trained network ---------------------------------------------------------------
def decision_grid(params: dict, activation: str, x: np.ndarray, n: int = 90,
                  pad: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities over a grid around 2-D points x (m, 2): (xs (n,), ys (n,),
    probs (K, n, n)) with row 0 at the lowest y."""
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        p = predict_proba(params, np.stack([gx.ravel(), gy.ravel()], axis=1), activation)
    return xs, ys, p.T.reshape(p.shape[1], n, n)


def confusion(params: dict, activation: str, x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Counts (k, k): row = true class, column = predicted class."""
    with np.errstate(all="ignore"):
        pred = forward(params, x, activation)[0].argmax(axis=1)
    out = np.zeros((k, k), dtype=np.int64)
    np.add.at(out, (y, pred), 1)
    return out


def check_batch(data: Data) -> tuple[np.ndarray, np.ndarray]:
    """The fixed batch gradient checks use: the first CHECK_BATCH training points."""
    return data.x_train[:CHECK_BATCH], data.y_train[:CHECK_BATCH]
