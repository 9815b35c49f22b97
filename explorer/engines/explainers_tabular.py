"""The tabular side of the explainers page (§7.1): sklearn's breast-cancer and wine tables and a
small torch MLP trained on them, deterministically, once per (dataset, seed).

* ``cancer``: 569 tumours × 30 measurements (Wisconsin diagnostic), classes malignant / benign.
* ``wine``: 178 wines × 13 chemical measurements, three cultivars.

Both ship inside scikit-learn (nothing is downloaded). The split is fixed (75 % train, 25 % test,
stratified, seed 0) so that "test row 7" is the same row for every seed; the seed changes the
network's initial weights (and, on the page, the explainers' sampling).

The network takes *raw* features ``[N, D]`` float32 (it standardizes them itself with the training
set's mean and std, kept as buffers) and returns logits ``[N, K]``; :func:`predict_proba` is the
numpy function ``[N, D] → [N, K]`` every model-agnostic explainer calls.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from explorer.engines.contract import check

DATASETS = ("cancer", "wine")
LABEL = {"cancer": "breast cancer (30 features, 2 classes)", "wine": "wine (13 features, 3 classes)"}
TEST_FRACTION = 0.25
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Config:
    """The tabular network: ``hidden`` units in each of two ReLU layers, ``epochs`` of full-batch
    Adam at ``lr`` with ``weight_decay``, initial weights from ``seed``."""

    dataset: str = "cancer"
    hidden: int = 16
    epochs: int = 150
    lr: float = 0.01
    weight_decay: float = 0.03
    seed: int = 0

    def __post_init__(self):
        check(self.dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
        check(isinstance(self.hidden, int) and 2 <= self.hidden <= 256, "hidden", "must be 2..256")
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 5000, "epochs", "must be 1..5000")
        check(isinstance(self.lr, float) and 0 < self.lr <= 1, "lr", "must be in (0, 1]")
        check(isinstance(self.weight_decay, float) and 0 <= self.weight_decay <= 1, "weight_decay", "must be in [0, 1]")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True, eq=False)
class Table:
    """A split table: ``x_*`` float64 ``[N, D]`` raw features, ``y_*`` int64 ``[N]``."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]
    classes: tuple[str, ...]

    @property
    def mean(self) -> np.ndarray:
        return self.x_train.mean(0)

    @property
    def std(self) -> np.ndarray:
        return self.x_train.std(0) + 1e-12


@functools.lru_cache(maxsize=4)
def table(name: str) -> Table:
    """The fixed stratified split of one of :data:`DATASETS`."""
    from sklearn.datasets import load_breast_cancer, load_wine
    from sklearn.model_selection import train_test_split

    check(name in DATASETS, "name", f"must be one of {DATASETS}")
    raw = load_breast_cancer() if name == "cancer" else load_wine()
    x, y = raw.data.astype(np.float64), raw.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=TEST_FRACTION, stratify=y, random_state=0)
    names = tuple(str(f) for f in raw.feature_names)
    # wine's classes are three cultivars, named class_0..2 in sklearn
    classes = (tuple(str(c) for c in raw.target_names) if name == "cancer"
               else tuple(f"cultivar {i + 1}" for i in range(len(raw.target_names))))
    for a in (xtr, xte, ytr, yte):
        a.setflags(write=False)
    return Table(name, xtr, ytr, xte, yte, names, classes)


class MLP(nn.Module):
    """raw features [N, D] → standardize → Linear → ReLU → Linear → ReLU → Linear → logits [N, K].
    ReLUs are modules (not functions) so that SHAP's DeepExplainer sees them."""

    def __init__(self, d: int, k: int, hidden: int, mean: np.ndarray, std: np.ndarray, gen: torch.Generator):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, k))
        for m in self.net:
            if isinstance(m, nn.Linear):
                bound = (6.0 / m.in_features) ** 0.5  # He-uniform
                with torch.no_grad():
                    m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 2 * bound - bound)
                    m.bias.zero_()

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def forward_std(self, z: torch.Tensor) -> torch.Tensor:
        """Logits from standardized features ``z`` [N, D]."""
        return self.net(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.standardize(x))


@dataclass(frozen=True, eq=False)
class TabModel:
    """A trained network and its table; ``train_acc``/``test_acc`` in [0, 1]. Read-only: never
    train it (explainers only call it)."""

    cfg: Config
    data: Table
    net: MLP
    train_acc: float
    test_acc: float
    final_loss: float

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities [N, K] float64 of raw feature rows ``x`` [N, D] (or [D])."""
        x = np.asarray(x, dtype=np.float32).reshape(-1, len(self.data.features))
        with torch.no_grad():
            return torch.softmax(self.net(torch.from_numpy(x)), 1).double().numpy()

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(1)


@functools.lru_cache(maxsize=8)
def train(cfg: Config) -> TabModel:
    """The MLP of ``cfg`` trained with full-batch Adam on the training rows (≈0.2 s). Cached:
    the same config returns the same object."""
    d = table(cfg.dataset)
    gen = torch.Generator().manual_seed(cfg.seed)
    with _LOCK:
        net = MLP(len(d.features), len(d.classes), cfg.hidden, d.mean, d.std, gen)
        x, y = torch.tensor(d.x_train, dtype=torch.float32), torch.tensor(d.y_train)
        params = list(net.parameters())
        m1 = [torch.zeros_like(p) for p in params]
        m2 = [torch.zeros_like(p) for p in params]
        loss = torch.tensor(0.0)
        # Adam written out (the same update as torch.optim.Adam with L2 weight decay): the first
        # torch.optim use in a process imports torch._dynamo, seconds the page should not wait.
        b1, b2 = 0.9, 0.999
        for t in range(1, cfg.epochs + 1):
            loss = nn.functional.cross_entropy(net(x), y)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g, a, b in zip(params, grads, m1, m2):
                    g = g + cfg.weight_decay * p
                    a.mul_(b1).add_(g, alpha=1 - b1)
                    b.mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (b / (1 - b2 ** t)).sqrt_().add_(1e-8)
                    p.addcdiv_(a, denom, value=-cfg.lr / (1 - b1 ** t))
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
    model = TabModel(cfg, d, net, 0.0, 0.0, float(loss.detach()))
    acc_tr = float((model.predict(d.x_train) == d.y_train).mean())
    acc_te = float((model.predict(d.x_test) == d.y_test).mean())
    return TabModel(cfg, d, net, acc_tr, acc_te, float(loss.detach()))
