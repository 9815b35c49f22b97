"""Self-supervised learning on MNIST: SimCLR (contrastive, NT-Xent) and BYOL (EMA target,
stop-gradient), embeddings, linear probes and a label-budget comparison with supervision.

Data: the 5,000 MNIST digits of :func:`explorer.engines.images.mnist`, split 2,000 train
(used without labels for self-supervision; labelled subsets for probes and supervision) and
3,000 test. Images ``[N, 1, 28, 28]`` float32 in [0, 1].

Networks. :class:`Encoder` ``[N, 1, 28, 28] → h [N, 64]`` (two conv blocks and a linear
layer: the *representation*), a projection head ``h → z [N, 32]`` where the loss lives, and
for BYOL a predictor ``z → q [N, 32]``.

Losses. NT-Xent (SimCLR) over the 2N views of N images at temperature τ, the positive of
view i being the other view of the same image (see :func:`nt_xent`); BYOL's symmetric
``2 − 2·cos(q_online(v1), sg(z_target(v2)))`` with a target network updated as an
exponential moving average ``θ_t ← m·θ_t + (1 − m)·θ_o`` (see :func:`ema_update`).

Diagnostics (Wang & Isola 2020) on the unit-normalised representation f(x) = h/‖h‖:
alignment ``E‖f(x) − f(x⁺)‖²`` over positive pairs (lower = views agree) and uniformity
``log E exp(−2‖f(x) − f(y)‖²)`` over all pairs (lower = spread over the sphere).
One step of :meth:`Trainer.advance` is one epoch: one pass over the 2,000 training images.
"""
from __future__ import annotations

import copy
import functools
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import images
from explorer.engines.augment import AugConfig, two_views
from explorer.engines.contract import EpochLoop, check

METHODS = ("simclr", "byol")
METHOD_LABELS = {"simclr": "SimCLR (contrastive)", "byol": "BYOL (no negatives)"}
TEMPERATURES = (0.05, 0.1, 0.2, 0.5, 1.0)
BATCHES = (64, 128, 256)
EMAS = (0.9, 0.96, 0.99, 0.996)
N_TRAIN, N_TEST = 2000, 3000
N_EMBED = 500          # test images embedded in every snapshot (for the projection)
N_BANK = 1000          # labelled training images of the k-NN monitor
REP_DIM, PROJ_DIM = 64, 32
LR = 1e-3
BUDGETS = (1, 3, 10, 30, 100)  # labels per class on the accuracy-vs-budget chart
MAX_BUDGET = 200               # labels per class at most (2,000 training images / 10 classes)
SUP_STEPS = 150                # supervised baseline: Adam steps on the labelled subset
DIVERGE = 1e6


def _in(v, lo, hi) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi


@dataclass(frozen=True)
class Config:
    """A self-supervised run. ``temperature``: NT-Xent's τ (SimCLR); ``ema``: BYOL's target
    momentum m; ``aug``: augmentation strengths."""

    method: str = "simclr"
    temperature: float = 0.2
    ema: float = 0.99
    batch_size: int = 256
    aug: AugConfig = AugConfig()
    seed: int = 0

    def __post_init__(self):
        check(self.method in METHODS, "method", f"must be one of {METHODS}")
        check(_in(self.temperature, 0.01, 10.0), "temperature", "must be in [0.01, 10]")
        check(_in(self.ema, 0.0, 1.0) and self.ema < 1.0, "ema", "must be in [0, 1)")
        check(self.batch_size in BATCHES, "batch_size", f"must be one of {BATCHES}")
        check(isinstance(self.aug, AugConfig), "aug", "must be an AugConfig")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


# -- data -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def data(seed: int = 0) -> images.ImageSet:
    """MNIST split 2,000 train / 3,000 test (stratified, by seed; read-only arrays)."""
    return images.mnist(seed=seed, n_train=N_TRAIN, n_test=N_TEST)


def labelled_subset(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` examples of each class of ``y`` (fewer if a class has fewer),
    chosen by seed; nested: a larger budget contains the smaller ones."""
    rng = np.random.default_rng([seed, 7])
    out = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        out.append(idx[rng.permutation(len(idx))][:per_class])
    return np.sort(np.concatenate(out))


# -- networks -------------------------------------------------------------------------------
class Encoder(nn.Module):
    """``[N, 1, 28, 28] → [N, 64]``: conv 5×5 stride 2 (8 maps, 14×14) → ReLU → conv 3×3
    stride 2 (16 maps, 7×7) → ReLU → linear 784 → 64 (the representation h). Small on
    purpose: it trains live on one CPU core."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(1, 8, 5, stride=2, padding=2), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, REP_DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.block2(self.block1(x)))

    def taps(self) -> tuple[tuple[str, nn.Module], ...]:
        return (("conv block 1 (8×14×14)", self.block1), ("conv block 2 (16×7×7)", self.block2),
                ("representation h (64)", self.fc))


def mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


def make_encoder(seed: int) -> Encoder:
    """A freshly initialised encoder, the same for the same seed (whatever the method)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Encoder()


# -- losses ---------------------------------------------------------------------------------
def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent loss of two views ``[N, D]`` (row i of each is the same image).

    With u = the 2N unit-normalised rows of (z1; z2) and s_ij = u_i·u_j / τ, the loss of
    view i whose positive is p(i) is ``−log exp(s_ip) / Σ_{k≠i} exp(s_ik)``; the result is
    the mean over all 2N views (nats)."""
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = u @ u.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, target)


def byol_loss(q: torch.Tensor, z_target: torch.Tensor) -> torch.Tensor:
    """Mean of ``2 − 2·cos(q_i, z_i)`` over rows; ``z_target`` is detached (stop-gradient)."""
    return (2 - 2 * F.cosine_similarity(q, z_target.detach(), dim=1)).mean()


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, m: float) -> None:
    """``θ_t ← m·θ_t + (1 − m)·θ_o`` for every parameter; buffers (BatchNorm statistics) are copied."""
    for pt, po in zip(target.parameters(), online.parameters()):
        pt.mul_(m).add_(po.detach(), alpha=1 - m)
    for bt, bo in zip(target.buffers(), online.buffers()):
        bt.copy_(bo)


def alignment(f1: np.ndarray, f2: np.ndarray) -> float:
    """Wang & Isola's alignment ``mean_i ‖f1_i − f2_i‖²`` of unit rows (0 … 4)."""
    return float(((f1 - f2) ** 2).sum(1).mean())


def uniformity(f: np.ndarray, t: float = 2.0) -> float:
    """Wang & Isola's uniformity ``log mean_{i<j} exp(−t‖f_i − f_j‖²)`` of unit rows (≤ 0)."""
    f = np.asarray(f, dtype=np.float64)
    sq = np.clip(2 - 2 * f @ f.T, 0, None)
    iu = np.triu_indices(len(f), 1)
    v = -t * sq[iu]
    m = v.max()
    return float(m + np.log(np.mean(np.exp(v - m))))


# -- the live trainer -------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """One epoch's measurements. Losses: the method's loss (train = mean over the epoch's
    batches; test = on a fixed pair of views of 512 test images). ``align``/``uniform``:
    Wang & Isola on those test pairs' unit representations; ``pos_sim``/``neg_sim``: mean
    cosine between the two views of an image / of different images; ``knn_acc``: 5-NN
    accuracy of test images against 1,000 labelled training images in representation space;
    ``emb``: float16 ``[500, 64]`` representations of the first 500 test images; ``y``
    their labels; ``pos_hist``/``neg_hist``: histograms of those cosines on ``SIM_EDGES``."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    align: float
    uniform: float
    pos_sim: float
    neg_sim: float
    knn_acc: float
    emb: np.ndarray
    pos_hist: np.ndarray
    neg_hist: np.ndarray
    seconds: float


SIM_EDGES = np.linspace(-1, 1, 41)


def embed(encoder: nn.Module, x: np.ndarray | torch.Tensor, batch: int = 1000) -> np.ndarray:
    """Representations ``[N, 64]`` float32 of images ``[N, 1, 28, 28]`` (eval mode, no grad)."""
    was = encoder.training
    encoder.eval()
    xt = torch.as_tensor(np.array(x, dtype=np.float32))
    with torch.no_grad():
        out = torch.cat([encoder(xt[i:i + batch]) for i in range(0, len(xt), batch)]) if len(xt) else \
            torch.zeros(0, REP_DIM)
    encoder.train(was)
    return out.numpy()


def knn_accuracy(bank: np.ndarray, bank_y: np.ndarray, query: np.ndarray, query_y: np.ndarray, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour vote by cosine similarity (ties → smallest label)."""
    b = bank / np.maximum(np.linalg.norm(bank, axis=1, keepdims=True), 1e-12)
    q = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    nn_idx = np.argsort(-(q @ b.T), axis=1, kind="stable")[:, :k]
    votes = np.zeros((len(q), int(bank_y.max()) + 1))
    np.add.at(votes, (np.repeat(np.arange(len(q)), k), bank_y[nn_idx].ravel()), 1)
    return float((votes.argmax(1) == query_y).mean())


class Trainer(EpochLoop):
    """SimCLR or BYOL on the 2,000 training digits, Adam (lr 1e-3), fresh views every batch."""

    def __init__(self, cfg: Config, ds: images.ImageSet | None = None):
        self.cfg = cfg
        self.ds = ds if ds is not None else data(cfg.seed)
        self.x = torch.as_tensor(np.array(self.ds.x_train))
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.encoder = make_encoder(cfg.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed + 1)
            self.head = mlp(REP_DIM, 64, PROJ_DIM)
            self.predictor = mlp(PROJ_DIM, 64, PROJ_DIM) if cfg.method == "byol" else None
        online = [self.encoder, self.head] + ([self.predictor] if self.predictor is not None else [])
        self.params = [p for m in online for p in m.parameters()]
        self.opt = torch.optim.Adam(self.params, lr=LR)
        if cfg.method == "byol":
            self.target = copy.deepcopy(nn.Sequential(self.encoder, self.head))
            for p in self.target.parameters():
                p.requires_grad_(False)
        else:
            self.target = None
        # fixed evaluation views: the same for every epoch, so the curves compare like with like
        g = torch.Generator().manual_seed(cfg.seed + 12345)
        xt = torch.as_tensor(np.array(self.ds.x_test[:512]))
        self.eval_views = two_views(xt, cfg.aug, g)
        bank = labelled_subset(self.ds.y_train, N_BANK // 10, cfg.seed)
        self.bank_x, self.bank_y = self.ds.x_train[bank], self.ds.y_train[bank]
        self.epoch = self.step = 0
        self.diverged = False
        self._losses: list[float] = []
        self._seconds = 0.0
        self.snapshot = self._measure()

    # one batch -------------------------------------------------------------------------
    def loss_of(self, v1: torch.Tensor, v2: torch.Tensor) -> torch.Tensor:
        """The method's loss on a batch of view pairs (training graph)."""
        if self.cfg.method == "simclr":
            return nt_xent(self.head(self.encoder(v1)), self.head(self.encoder(v2)), self.cfg.temperature)
        q1 = self.predictor(self.head(self.encoder(v1)))
        q2 = self.predictor(self.head(self.encoder(v2)))
        with torch.no_grad():
            t1, t2 = self.target(v1), self.target(v2)
        return byol_loss(q1, t2) + byol_loss(q2, t1)

    def train_step(self, v1: torch.Tensor, v2: torch.Tensor) -> float:
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss_of(v1, v2)
        loss.backward()
        self.opt.step()
        if self.target is not None:
            ema_update(self.target, nn.Sequential(self.encoder, self.head), self.cfg.ema)
        self.step += 1
        return float(loss.detach())

    def _epoch(self) -> None:
        t0 = time.perf_counter()
        order = torch.randperm(len(self.x), generator=self.gen)
        bs = self.cfg.batch_size
        losses = []
        for i in range(0, len(order) - bs + 1, bs):  # full batches only (BatchNorm, fixed negatives)
            v1, v2 = two_views(self.x[order[i:i + bs]], self.cfg.aug, self.gen)
            losses.append(self.train_step(v1, v2))
            if not math.isfinite(losses[-1]) or abs(losses[-1]) > DIVERGE:
                self.diverged = True
                break
        self.epoch += 1
        self._losses = losses
        self._seconds = time.perf_counter() - t0

    def _eval_loss(self) -> float:
        modules = [self.encoder, self.head] + ([self.predictor] if self.predictor is not None else [])
        for m in modules:
            m.eval()
        with torch.no_grad():
            loss = float(self.loss_of(*self.eval_views))
        for m in modules:
            m.train()
        return loss

    def _measure(self) -> Snapshot:
        v1, v2 = self.eval_views
        h1, h2 = embed(self.encoder, v1), embed(self.encoder, v2)
        ok = bool(np.isfinite(h1).all() and np.isfinite(h2).all())
        test_loss = self._eval_loss() if ok else float("nan")
        train_loss = float(np.mean(self._losses)) if self._losses else test_loss
        if not (ok and math.isfinite(test_loss) and math.isfinite(train_loss)):
            self.diverged = True
        if self.diverged:
            nan = float("nan")
            return Snapshot(self.epoch, self.step, train_loss, test_loss, True, nan, nan, nan, nan, nan,
                            self.snapshot.emb if hasattr(self, "snapshot") else np.zeros((0, REP_DIM), np.float16),
                            np.zeros(len(SIM_EDGES) - 1), np.zeros(len(SIM_EDGES) - 1), self._seconds)
        f1 = h1 / np.maximum(np.linalg.norm(h1, axis=1, keepdims=True), 1e-12)
        f2 = h2 / np.maximum(np.linalg.norm(h2, axis=1, keepdims=True), 1e-12)
        pos = (f1 * f2).sum(1)
        cos = f1 @ f2.T
        neg = cos[~np.eye(len(f1), dtype=bool)]
        emb = embed(self.encoder, self.ds.x_test[:N_EMBED])
        knn = knn_accuracy(embed(self.encoder, self.bank_x), self.bank_y, emb, self.ds.y_test[:N_EMBED])
        return Snapshot(self.epoch, self.step, train_loss, test_loss, False, alignment(f1, f2),
                        0.5 * (uniformity(f1) + uniformity(f2)), float(pos.mean()), float(neg.mean()), knn,
                        emb.astype(np.float16), np.histogram(pos, SIM_EDGES)[0] / len(pos),
                        np.histogram(neg, SIM_EDGES)[0] / len(neg), self._seconds)

    def encoder_copy(self) -> Encoder:
        """A frozen copy of the current encoder (eval mode)."""
        enc = copy.deepcopy(self.encoder).eval()
        for p in enc.parameters():
            p.requires_grad_(False)
        return enc


def sample_views(cfg: AugConfig, n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(originals, view 1, view 2), each ``[n, 1, 28, 28]`` in [0, 1]: the first n test digits
    (one per class where possible) and two augmented views of each."""
    ds = data(0)
    idx = [int(np.flatnonzero(ds.y_test == c % 10)[c // 10]) for c in range(n)]
    x = torch.as_tensor(np.array(ds.x_test[idx]))
    v1, v2 = two_views(x, cfg, torch.Generator().manual_seed(seed))
    return x.numpy(), v1.numpy(), v2.numpy()


def augmentation_gallery(cfg: AugConfig, n: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """Each augmentation of ``cfg`` on its own, then all of them, on the digits of
    :func:`sample_views`: name → ``[n, 1, 28, 28]`` (the first entry is the originals)."""
    from explorer.engines import augment as aug

    x = torch.as_tensor(sample_views(cfg, n, seed)[0])

    def g():
        return torch.Generator().manual_seed(seed + 1)

    return {"original": x.numpy(),
            f"crop ≥ {cfg.crop:.0%} + shift": aug.crop_rotate(x, g(), cfg.crop, 0.0).numpy(),
            f"rotation ±{cfg.rotate:g}°": aug.crop_rotate(x, g(), 1.0, cfg.rotate).numpy(),
            f"blur (p = {cfg.blur:g})": aug.gaussian_blur(x, g(), cfg.blur).numpy(),
            f"noise σ = {cfg.noise:g}": aug.gaussian_noise(x, g(), cfg.noise).numpy(),
            f"erasing (p = {cfg.erase:g})": aug.erase(x, g(), cfg.erase).numpy(),
            "all together": aug.augment(x, cfg, g()).numpy()}


# -- probes and supervision -------------------------------------------------------------------
def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Features scaled by the training set's mean and standard deviation (σ = 0 → 1)."""
    mu, sd = train.mean(0), train.std(0)
    sd = np.where(sd > 1e-8, sd, 1.0)
    return [(a - mu) / sd for a in (train, *others)]


def fit_logistic(x: np.ndarray, y: np.ndarray, n_classes: int = 10, c: float = 1.0,
                 max_iter: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, sklearn's objective: minimise
    ``C·Σ_i CE(W x_i + b, y_i) + ½‖W‖²`` (bias not penalised), by full-batch L-BFGS in float64.
    Returns (W ``[K, D]``, b ``[K]``)."""
    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
    yt = torch.as_tensor(np.asarray(y, dtype=np.int64))
    w = torch.zeros(n_classes, xt.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=1e-9, tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")
    scale = 1.0 / len(xt)  # the objective divided by C·n: the same minimiser, better conditioned

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xt @ w.T + b, yt, reduction="sum") * scale + 0.5 * (w ** 2).sum() * scale / c
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def probe_accuracy(train_f: np.ndarray, train_y: np.ndarray, test_f: np.ndarray, test_y: np.ndarray,
                   c: float = 1.0) -> float:
    """Test accuracy of a linear probe (standardised features, :func:`fit_logistic`)."""
    tr, te = standardize(train_f, test_f)
    w, b = fit_logistic(tr, train_y, c=c)
    return float(((te @ w.T + b).argmax(1) == test_y).mean())


class Classifier(nn.Module):
    def __init__(self, encoder: Encoder):
        super().__init__()
        self.encoder = encoder
        self.out = nn.Linear(REP_DIM, 10)

    def forward(self, x):
        return self.out(torch.relu(self.encoder(x)))


def supervised_accuracy(per_class: int, seed: int = 0, steps: int = SUP_STEPS) -> float:
    """Test accuracy of the same encoder (fresh init of ``seed``) + a linear layer trained
    end-to-end with cross-entropy on ``per_class`` labels of each digit only (Adam 1e-3,
    ``steps`` steps of ≤ 64 images, no augmentation)."""
    check(isinstance(per_class, int) and 1 <= per_class <= MAX_BUDGET, "per_class", f"must be 1..{MAX_BUDGET}")
    ds = data(seed)
    idx = labelled_subset(ds.y_train, per_class, seed)
    x, y = torch.as_tensor(np.array(ds.x_train[idx])), torch.as_tensor(ds.y_train[idx])
    model = Classifier(make_encoder(seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 2)
        model.out.reset_parameters()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    g = torch.Generator().manual_seed(seed + 3)
    bs = min(64, len(x))
    for _ in range(steps):
        pick = torch.randperm(len(x), generator=g)[:bs]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[pick]), y[pick]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(torch.as_tensor(np.array(ds.x_test[i:i + 1000]))).argmax(1)
                          for i in range(0, len(ds.x_test), 1000)])
    return float((pred.numpy() == ds.y_test).mean())


@dataclass(frozen=True)
class ProbeCurve:
    """Linear-probe test accuracy for each budget (labels per class) of one frozen encoder."""

    budgets: np.ndarray
    acc: np.ndarray


def probe_curve(encoder: nn.Module, budgets: tuple[int, ...], seed: int = 0) -> ProbeCurve:
    """Linear probes on an encoder's frozen representations, one per label budget (same
    labelled subsets as :func:`supervised_accuracy`), tested on the 3,000 test digits."""
    ds = data(seed)
    tr_f, te_f = embed(encoder, ds.x_train), embed(encoder, ds.x_test)
    acc = []
    for k in budgets:
        idx = labelled_subset(ds.y_train, int(k), seed)
        acc.append(probe_accuracy(tr_f[idx], ds.y_train[idx], te_f, ds.y_test))
    return ProbeCurve(np.asarray(budgets), np.asarray(acc))


# -- the reference encoder and the latent-space explorer ---------------------------------------
REF_EPOCHS = 12


_REF: dict = {}
_REF_LOCK = threading.Lock()


def reference_encoder(seed: int = 0, method: str = "simclr", epochs: int = REF_EPOCHS,
                      progress: Callable[[float], None] | None = None) -> Encoder:
    """The encoder of the default run of ``method`` after ``epochs`` epochs (deterministic,
    cached in-process; frozen, eval mode — never train it). ``progress(fraction)`` is called
    after each epoch when it has to be trained."""
    key = (seed, method, epochs)
    with _REF_LOCK:  # one training per key even when two sessions ask at once
        if key not in _REF:
            tr = Trainer(Config(method=method, seed=seed))
            for e in range(epochs):
                tr._epoch()
                if progress is not None:
                    progress((e + 1) / epochs)
                if tr.diverged:
                    break
            _REF[key] = tr.encoder_copy()
        return _REF[key]


def is_reference_cached(seed: int = 0, method: str = "simclr", epochs: int = REF_EPOCHS) -> bool:
    return (seed, method, epochs) in _REF


def explorable(seed: int = 0):
    """The default SimCLR encoder (:data:`REF_EPOCHS` epochs) for the latent-space explorer:
    taps = the encoder's blocks ending with the representation h; x = the 3,000 test digits."""
    from explorer.engines.explorable import Explorable

    enc = reference_encoder(seed)
    ds = data(seed)
    return Explorable(label=f"SimCLR encoder (self-supervised, MNIST, {REF_EPOCHS} epochs)", model=enc,
                      taps=enc.taps(), x=ds.x_test, y=ds.y_test, classes=ds.classes, kind="image",
                      note="Trained without labels: two augmented views of a digit are pulled together, "
                           "other digits pushed apart (NT-Xent, τ = 0.2).")
