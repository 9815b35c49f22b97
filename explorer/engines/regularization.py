"""Regularization, live: an over-parameterized MLP on a few noisy points, trained beside
the same network with a regularizer (or as an ensemble).

Tasks: 1-D regression (y = sin 3x + noise on x ∈ [−1, 1], squared error) or 2-D
classification (two balanced half-moons with jitter, 2-way softmax cross-entropy). Every
model is a 2-hidden-layer tanh MLP of ``width`` units, trained full-batch with Adam; the
models of a run form one :class:`~explorer.engines.mlp_bank.Bank` and start from the
same weights (an ensemble's members each draw their own).

Techniques and the models they train (model 0 is always plain, unregularized training):

* ``penalty``         none, L1 (λ Σ|w|), L2 (λ Σw²) — weights only, not biases
* ``dropout``         none, dropout p on both hidden layers
* ``early_stopping``  none; the weights at the best validation loss are kept
* ``augmentation``    none, each epoch 4 jittered copies (Gaussian σ on x) beside the data
* ``mixup``           none, mixup with λ ~ Beta(α, α) (inputs and targets mixed)
* ``label_smoothing`` none, targets (1−ε)·one-hot + ε/K (classification only)
* ``ensemble``        N members from different initial weights (optionally bootstrapped)

Penalties are applied as their own step after Adam's data step, with Adam's learning rate
η (decoupled, like AdamW): L2 multiplies a weight by 1 − 2ηλ, L1 soft-thresholds it by ηλ
(its proximal step), which sets small weights exactly to zero.

One step of :meth:`Trainer.advance` is one epoch (one full-batch update). Reported
losses are measured in eval mode on the original data: mean squared error, or
cross-entropy (nats) with hard labels.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from explorer.engines.losses import moons
from explorer.engines.mlp_bank import Bank, forward_flat
from explorer.engines.contract import EpochLoop, check as _check

TECHNIQUES = ("penalty", "dropout", "early_stopping", "augmentation", "mixup", "label_smoothing", "ensemble")
TASKS = ("regression", "classification")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03)
WIDTHS = (8, 16, 32, 64)
N_VAL, N_TEST = 60, 1000
AUG_COPIES = 4
NEAR_ZERO = 1e-3  # |w| below this counts as "near zero"
MAX_LOG = 4000
DIVERGE_LOSS = 1e6




def _in(value, lo, hi) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi


@dataclass(frozen=True)
class Config:
    """A run. ``noise``: regression y-noise σ, or the moons' jitter σ; ``lam``: penalty
    strength λ; ``dropout``: drop probability p; ``patience``: epochs without a better
    validation loss before early stopping would stop; ``jitter``: augmentation σ (units of
    x); ``alpha``: mixup's Beta(α, α); ``smoothing``: ε; ``members``: ensemble size."""

    technique: str = "penalty"
    task: str = "regression"
    n_train: int = 12
    noise: float = 0.3
    width: int = 32
    lr: float = 0.01
    lam: float = 0.03
    dropout: float = 0.3
    patience: int = 200
    jitter: float = 0.15
    alpha: float = 0.4
    smoothing: float = 0.1
    members: int = 5
    bootstrap: bool = True
    seed: int = 0

    def __post_init__(self):
        _check(self.technique in TECHNIQUES, "technique", f"must be one of {TECHNIQUES}")
        _check(self.task in TASKS, "task", f"must be one of {TASKS}")
        _check(self.technique != "label_smoothing" or self.task == "classification", "task",
               "label smoothing needs classification")
        _check(isinstance(self.n_train, int) and 4 <= self.n_train <= 200, "n_train", "must be 4..200")
        _check(_in(self.noise, 0, 1), "noise", "must be in [0, 1]")
        _check(self.width in WIDTHS, "width", f"must be one of {WIDTHS}")
        _check(_in(self.lr, 1e-4, 0.1), "lr", "must be in [1e-4, 0.1]")
        _check(_in(self.lam, 0, 0.1), "lam", "must be in [0, 0.1]")
        _check(_in(self.dropout, 0, 0.9), "dropout", "must be in [0, 0.9]")
        _check(isinstance(self.patience, int) and 1 <= self.patience <= 5000, "patience", "must be 1..5000")
        _check(_in(self.jitter, 0, 1), "jitter", "must be in [0, 1]")
        _check(_in(self.alpha, 0.01, 10), "alpha", "must be in [0.01, 10]")
        _check(_in(self.smoothing, 0, 0.5), "smoothing", "must be in [0, 0.5]")
        _check(isinstance(self.members, int) and 2 <= self.members <= 8, "members", "must be 2..8")
        _check(isinstance(self.bootstrap, bool), "bootstrap", "must be True or False")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @classmethod
    def coerced(cls, **kw) -> tuple["Config", list[str]]:
        """A valid config from UI values that may not fit together, and what was changed."""
        notes = []
        if kw.get("technique") == "label_smoothing" and kw.get("task", "regression") != "classification":
            kw["task"] = "classification"
            notes.append("Label smoothing softens class targets, so this run is a classification task.")
        return cls(**kw), notes

    @property
    def classify(self) -> bool:
        return self.task == "classification"

    @property
    def sizes(self) -> tuple:
        return (2, self.width, self.width, 2) if self.classify else (1, self.width, self.width, 1)

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ModelSpec:
    """How one model of the bank trains."""

    name: str
    l1: float = 0.0
    l2: float = 0.0
    drop: float = 0.0
    jitter: float = 0.0
    mixup: float = 0.0      # Beta(α, α) parameter; 0 = no mixup
    smoothing: float = 0.0


def plan(cfg: Config) -> list[ModelSpec]:
    """The models a run trains, plain training first."""
    t = cfg.technique
    if t == "ensemble":
        return [ModelSpec(f"member {k + 1}") for k in range(cfg.members)]
    none = ModelSpec("none")
    extra = {"penalty": [ModelSpec("L1", l1=cfg.lam), ModelSpec("L2", l2=cfg.lam)],
             "dropout": [ModelSpec("dropout", drop=cfg.dropout)],
             "early_stopping": [],
             "augmentation": [ModelSpec("augmented", jitter=cfg.jitter)],
             "mixup": [ModelSpec("mixup", mixup=cfg.alpha)],
             "label_smoothing": [ModelSpec("smoothed", smoothing=cfg.smoothing)]}[t]
    return [none, *extra]


# -- data ----------------------------------------------------------------------------------
def target_fn(x: np.ndarray) -> np.ndarray:
    """The regression task's noise-free function."""
    return np.sin(3 * np.asarray(x))


@dataclass(frozen=True)
class Data:
    """Inputs (n, d) and targets: regression y (n,) floats, classification labels (n,) in {0, 1}."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def make_data(cfg: Config) -> Data:
    rng = np.random.default_rng([cfg.seed, 1])
    parts = []
    for n in (cfg.n_train, N_VAL, N_TEST):
        if cfg.classify:
            xy, y = moons(n, 1.0, cfg.noise, rng)
            order = rng.permutation(n)
            parts += [xy[order], y[order]]
        else:
            x = rng.uniform(-1, 1, n)
            parts += [x[:, None], target_fn(x) + cfg.noise * rng.standard_normal(n)]
    return Data(*parts)


def smooth_targets(labels: np.ndarray, n_classes: int, eps: float) -> np.ndarray:
    """(n, K) targets (1−ε)·one-hot + ε/K: every row sums to 1, the true class keeps 1−ε+ε/K."""
    onehot = np.eye(n_classes)[np.asarray(labels, dtype=int)]
    return (1 - eps) * onehot + eps / n_classes


def reliability(p_pred: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> dict:
    """Reliability diagram of class probabilities and the expected calibration error.

    p_pred: (n, K) probabilities; labels: (n,) ints. Each prediction's confidence is its
    largest probability; bins split [1/K, 1] evenly (confidence cannot be lower).
    Returns conf, acc, count (n_bins,) per bin (NaN where empty), edges (n_bins+1,) and
    ece = Σ_b (n_b/n)·|acc_b − conf_b|.
    """
    p_pred = np.asarray(p_pred, dtype=np.float64)
    k = p_pred.shape[1]
    conf = p_pred.max(axis=1)
    correct = (p_pred.argmax(axis=1) == np.asarray(labels)).astype(float)
    edges = np.linspace(1.0 / k, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.bincount(idx, weights=conf, minlength=n_bins) / count
        a = np.bincount(idx, weights=correct, minlength=n_bins) / count
    ece = float(np.nansum(count / max(len(conf), 1) * np.abs(a - c)))
    return {"conf": c, "acc": a, "count": count, "edges": edges, "ece": ece}


# -- training ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """After an epoch, per model (M,): losses on train/val/test, accuracies (NaN for
    regression), the epoch with the best validation loss so far and that loss.
    ``params`` (M, P) float32 (see :meth:`Bank.flat`); ``best_params`` the weights at each
    model's best epoch (early stopping only, else shape (0,)); ``ens_*``: the ensemble
    average's losses (NaN unless technique is ensemble). ``train_loss``/``test_loss``: the
    last model's (the regularized one), or the ensemble's."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    best_epoch: np.ndarray
    best_val: np.ndarray
    ens_val: float
    ens_test: float
    params: np.ndarray = field(repr=False)
    best_params: np.ndarray = field(repr=False)


class Trainer(EpochLoop):
    """The bank of :func:`plan`'s models on :func:`make_data`'s data, one epoch per step."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.specs = plan(cfg)
        self.data = make_data(cfg)
        m = len(self.specs)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self._rng = np.random.default_rng([cfg.seed, 2])
        self.bank = Bank(m, cfg.sizes, self._gen, same_init=cfg.technique != "ensemble")
        self.opt = torch.optim.Adam(self.bank.parameters, lr=cfg.lr)
        d = self.data
        self._x = torch.tensor(d.train_x, dtype=torch.float32)
        self._eval_x = torch.tensor(np.vstack([d.train_x, d.val_x, d.test_x]), dtype=torch.float32)
        n = cfg.n_train
        self._split = (n, n + N_VAL)
        if cfg.classify:
            self._targets = torch.tensor(np.stack([smooth_targets(d.train_y, 2, s.smoothing) for s in self.specs]),
                                         dtype=torch.float32)  # (M, n, 2)
        else:
            self._targets = torch.tensor(d.train_y, dtype=torch.float32).view(1, n, 1).expand(m, n, 1)
        if cfg.technique == "ensemble" and cfg.bootstrap:
            self._rows = torch.tensor(self._rng.integers(0, n, (m, n)))
        else:
            self._rows = None
        self._drop = torch.tensor([s.drop for s in self.specs], dtype=torch.float32)
        self._l1 = torch.tensor([s.l1 for s in self.specs], dtype=torch.float32).view(-1, 1, 1)
        self._l2 = torch.tensor([s.l2 for s in self.specs], dtype=torch.float32).view(-1, 1, 1)
        self.epoch = self.step = 0
        self.diverged = False
        self.best_epoch = np.zeros(m, dtype=int)
        self.best_val = np.full(m, np.inf)
        self.best_params = self.bank.flat() if cfg.technique == "early_stopping" else np.zeros(0, np.float32)
        self.log = {"epoch": [], "train": [], "val": [], "test": [], "ens_val": [], "ens_test": []}
        self._log_stride = 1
        self.snapshot = self._measure()

    # -- one epoch -------------------------------------------------------------------------
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (M, B, d) and targets (M, B, K) of this epoch, per model's recipe."""
        x, t = self._x.unsqueeze(0).expand(len(self.specs), -1, -1), self._targets
        if self._rows is not None:
            x = torch.stack([x[k, r] for k, r in enumerate(self._rows)])
            t = torch.stack([t[k, r] for k, r in enumerate(self._rows)])
        jit = [s.jitter for s in self.specs]
        if any(jit):
            reps = 1 + AUG_COPIES
            x, t = x.repeat(1, reps, 1), t.repeat(1, reps, 1)
            n = self.cfg.n_train
            sigma = torch.tensor(jit, dtype=torch.float32).view(-1, 1, 1)
            noise = torch.tensor(self._rng.standard_normal(tuple(x.shape)), dtype=torch.float32) * sigma
            noise[:, :n] = 0  # the original points stay, the copies are jittered
            x = x + noise
        mix = [s.mixup for s in self.specs]
        if any(mix):
            xs, ts = [], []
            n = x.shape[1]
            for k, a in enumerate(mix):
                if a:
                    lam = torch.tensor(self._rng.beta(a, a, n), dtype=torch.float32).view(n, 1)
                    perm = torch.tensor(self._rng.permutation(n))
                    xs.append(lam * x[k] + (1 - lam) * x[k, perm])
                    ts.append(lam * t[k] + (1 - lam) * t[k, perm])
                else:
                    xs.append(x[k])
                    ts.append(t[k])
            x, t = torch.stack(xs), torch.stack(ts)
        return x, t

    def last_batch_inputs(self) -> np.ndarray:
        """A fresh draw of what the regularized model sees in an epoch (augmented or mixed
        inputs, and targets), for the view: (B, d + K). Does not change the run."""
        state = self._rng.bit_generator.state
        x, t = self._batch()
        self._rng.bit_generator.state = state
        return np.concatenate([x[-1].numpy(), t[-1].numpy()], axis=1)

    def _data_loss(self, out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Mean loss per model (M,) of outputs (M, B, K) against targets (M, B, K)."""
        if self.cfg.classify:
            return -(t * torch.log_softmax(out, dim=-1)).sum(-1).mean(-1)
        return ((out - t) ** 2).mean(dim=(1, 2))

    def _epoch(self) -> None:
        x, t = self._batch()
        drop = self._drop if bool((self._drop > 0).any()) else None
        out = self.bank.forward(x, drop=drop, gen=self._gen)
        loss = self._data_loss(out, t).sum()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        lr = self.cfg.lr
        with torch.no_grad():
            for w in self.bank.weights:
                if bool((self._l2 > 0).any()):
                    w.mul_(1 - 2 * lr * self._l2)
                if bool((self._l1 > 0).any()):
                    w.copy_(torch.sign(w) * torch.clamp(w.abs() - lr * self._l1, min=0))
        self.epoch += 1
        self.step += 1

    # -- measuring -------------------------------------------------------------------------
    def _measure(self) -> Snapshot:
        cfg = self.cfg
        m = len(self.specs)
        with torch.no_grad():
            out = self.bank.forward(self._eval_x).double()  # (M, n_all, K)
        a, b = self._split
        d = self.data
        ys = (d.train_y, d.val_y, d.test_y)
        parts = (out[:, :a], out[:, a:b], out[:, b:])
        losses, accs, ens = [], [], []
        for o, y in zip(parts, ys):
            yt = torch.tensor(y)
            if cfg.classify:
                logp = torch.log_softmax(o, dim=-1)
                lab = yt.long()
                losses.append((-logp[:, torch.arange(len(y)), lab]).mean(-1).numpy())
                accs.append((o.argmax(-1) == lab).double().mean(-1).numpy())
                pbar = logp.exp().mean(0).clamp_min(1e-12)
                ens.append(float(-torch.log(pbar[torch.arange(len(y)), lab]).mean()))
            else:
                losses.append(((o[..., 0] - yt) ** 2).mean(-1).numpy())
                accs.append(np.full(m, np.nan))
                ens.append(float(((o[..., 0].mean(0) - yt) ** 2).mean()))
        tr, va, te = losses
        params = self.bank.flat()
        bad = not (np.isfinite(params).all() and np.isfinite(tr).all() and np.isfinite(va).all()
                   and (np.abs(tr) < DIVERGE_LOSS).all())
        self.diverged = self.diverged or bad
        better = va < self.best_val
        if better.any() and not bad:
            self.best_val = np.where(better, va, self.best_val)
            self.best_epoch = np.where(better, self.epoch, self.best_epoch)
            if self.best_params.size:
                self.best_params = np.where(better[:, None], params, self.best_params)
        ensemble = cfg.technique == "ensemble"
        ens_val, ens_test = (ens[1], ens[2]) if ensemble else (math.nan, math.nan)
        self._log(tr, va, te, ens_val, ens_test)
        return Snapshot(
            self.epoch, self.step, float(tr[-1]), float(ens_test if ensemble else te[-1]), self.diverged,
            tr, va, te, accs[0], accs[2], self.best_epoch.copy(), self.best_val.copy(), ens_val, ens_test,
            params, self.best_params.copy())

    def _log(self, tr, va, te, ens_val, ens_test) -> None:
        """Per-epoch losses for the curves, thinned by halves past MAX_LOG entries."""
        if self.epoch % self._log_stride:
            return
        lg = self.log
        for k, v in (("epoch", self.epoch), ("train", tr), ("val", va), ("test", te),
                     ("ens_val", ens_val), ("ens_test", ens_test)):
            lg[k].append(v)
        if len(lg["epoch"]) > MAX_LOG:
            for k in lg:
                lg[k] = lg[k][::2]
            self._log_stride *= 2

    def curves(self, upto: int | None = None) -> dict[str, np.ndarray]:
        """The logged curves up to epoch ``upto``: epoch (E,), train/val/test (E, M),
        ens_val/ens_test (E,)."""
        lg = self.log
        e = np.asarray(lg["epoch"])
        keep = e <= (self.epoch if upto is None else upto)
        out = {"epoch": e[keep]}
        for k in ("train", "val", "test"):
            out[k] = np.asarray(lg[k]).reshape(len(e), -1)[keep]
        for k in ("ens_val", "ens_test"):
            out[k] = np.asarray(lg[k])[keep]
        return out

    def state_dict(self) -> dict:
        return {"params": self.bank.flat(), "opt": copy.deepcopy(self.opt.state_dict()), "epoch": self.epoch, "step": self.step,
                "diverged": self.diverged, "best_epoch": self.best_epoch.copy(), "best_val": self.best_val.copy(),
                "best_params": self.best_params.copy(), "gen": self._gen.get_state(),
                "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.bank.load_flat(state["params"])
        self.opt.load_state_dict(copy.deepcopy(state["opt"]))
        self.epoch, self.step, self.diverged = int(state["epoch"]), int(state["step"]), bool(state["diverged"])
        self.best_epoch, self.best_val = state["best_epoch"].copy(), state["best_val"].copy()
        self.best_params = state["best_params"].copy()
        self._gen.set_state(state["gen"])
        self._rng.bit_generator.state = state["rng"]
        self.snapshot = self._measure()


# -- views ---------------------------------------------------------------------------------
def predict(cfg: Config, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Eval-mode outputs: regression (M, n) values; classification (M, n) P(class 1)."""
    out = forward_flat(cfg.sizes, params, np.asarray(x, dtype=np.float64).reshape(len(x), -1))
    if not cfg.classify:
        return out[..., 0]
    z = out[..., 1] - out[..., 0]
    return 1 / (1 + np.exp(-np.clip(z, -60, 60)))


def probabilities(cfg: Config, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Classification: (M, n, 2) softmax probabilities."""
    p1 = predict(cfg, params, x)
    return np.stack([1 - p1, p1], axis=-1)


def dropout_samples(cfg: Config, params_row: np.ndarray, p: float, x: np.ndarray, k: int,
                    seed: int) -> np.ndarray:
    """k train-mode (dropout on) predictions of one model: (k, n) like :func:`predict`.
    Each sample keeps one random set of units for all of x (one thinned sub-network).
    Deterministic given ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    bank = Bank(k, cfg.sizes, gen)
    bank.load_flat(np.repeat(np.asarray(params_row)[None], k, axis=0))
    with torch.no_grad():
        out = bank.forward(torch.tensor(np.asarray(x, dtype=np.float32).reshape(len(x), -1)),
                           drop=torch.full((k,), float(p)), gen=gen, per_example=False).double().numpy()
    if not cfg.classify:
        return out[..., 0]
    return 1 / (1 + np.exp(-np.clip(out[..., 1] - out[..., 0], -60, 60)))


def weight_mask(cfg: Config) -> np.ndarray:
    """(P,) bool: which parameters are weights (the penalties leave biases alone)."""
    mask = []
    for fan_in, fan_out in zip(cfg.sizes[:-1], cfg.sizes[1:]):
        mask += [True] * (fan_in * fan_out) + [False] * fan_out
    return np.array(mask)


def weight_stats(cfg: Config, params: np.ndarray, tol: float = NEAR_ZERO) -> dict:
    """Per model: ``weights`` (M, W) the weight values; ``near_zero`` (M,) share with |w| < tol;
    ``exact_zero`` (M,) share exactly 0; ``l1`` (M,) Σ|w|; ``l2`` (M,) Σw²."""
    w = np.asarray(params)[:, weight_mask(cfg)].astype(np.float64)
    return {"weights": w, "near_zero": (np.abs(w) < tol).mean(axis=1), "exact_zero": (w == 0).mean(axis=1),
            "l1": np.abs(w).sum(axis=1), "l2": (w * w).sum(axis=1)}


def grid(cfg: Config, n: int = 50) -> tuple[np.ndarray, np.ndarray | None]:
    """The views' inputs: regression (n,) xs (and None); classification (n,) xs and (n,) ys
    spanning the moons."""
    if cfg.classify:
        return np.linspace(-2.0, 2.0, n), np.linspace(-1.6, 1.6, n)
    return np.linspace(-1.1, 1.1, n), None


def grid_predictions(cfg: Config, params: np.ndarray, n: int = 50) -> np.ndarray:
    """Regression (M, n) on :func:`grid`'s xs; classification (M, n, n) P(class 1), rows = ys."""
    xs, ys = grid(cfg, n)
    if ys is None:
        return predict(cfg, params, xs[:, None])
    gx, gy = np.meshgrid(xs, ys)
    return predict(cfg, params, np.c_[gx.ravel(), gy.ravel()]).reshape(-1, n, n)
