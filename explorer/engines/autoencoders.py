"""Autoencoders on MNIST: undercomplete, denoising and sparse (L1 or KL sparsity), and
anomaly detection by reconstruction error with one digit class held out of training.

Model: encoder 784 → hidden (ReLU) → code, decoder code → hidden (ReLU) → 784 logits. The
code is linear (undercomplete, denoising), ReLU (sparse with L1) or sigmoid (sparse with KL,
whose target needs activations in (0, 1)). Training minimises, per image (nats),

``BCE(x, x̂(x̃)) + penalty``,  x̃ = clip(x + noise·N(0, I), 0, 1) when denoising, else x;

L1: ``λ Σ_j |h_j|`` (mean over the batch); KL: ``λ Σ_j KL(ρ ‖ ρ̂_j)`` with ρ̂_j the batch-mean
activation of unit j. The anomaly score of an image is its reconstruction's mean squared
error per pixel; the held-out digit is the anomaly (positive class) on the test set.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import EpochLoop, check
from explorer.engines.mnist_codecs import SIDE, Decoder, Encoder, mnist_tensors

KINDS = ("undercomplete", "denoising", "sparse")
PENALTIES = ("l1", "kl")
N_SHOW = 8
N_SCATTER = 1000
DEFAULT_EPOCHS = 15   # explorable's fixed budget
CHUNKS = 4            # player steps per epoch (a frame stays short)


@dataclass(frozen=True)
class Config:
    """One autoencoder run.

    kind: undercomplete / denoising / sparse; code: code units (a sparse code may be wider
    than an undercomplete one needs); noise: std of the Gaussian corruption when
    denoising; penalty: "l1" or "kl" when sparse; sparsity: its weight λ; rho: the KL target
    mean activation; holdout: the digit left out of training (the anomaly).
    """

    kind: str = "undercomplete"
    code: int = 16
    noise: float = 0.5
    penalty: str = "kl"
    sparsity: float = 1.0
    rho: float = 0.05
    holdout: int = 0
    hidden: int = 256
    learning_rate: float = 3e-3
    batch_size: int = 100
    n_train: int = 4000
    seed: int = 0

    def __post_init__(self):
        check(self.kind in KINDS, "kind", f"must be one of {KINDS}")
        check(isinstance(self.code, int) and 1 <= self.code <= 256, "code", "must be 1..256 units")
        check(math.isfinite(self.noise) and 0 <= self.noise <= 2, "noise", "must be in [0, 2]")
        check(self.penalty in PENALTIES, "penalty", f"must be one of {PENALTIES}")
        check(math.isfinite(self.sparsity) and 0 <= self.sparsity <= 100, "sparsity", "must be in [0, 100]")
        check(math.isfinite(self.rho) and 0 < self.rho < 1, "rho", "must be in (0, 1)")
        check(isinstance(self.holdout, int) and 0 <= self.holdout <= 9, "holdout", "must be a digit 0..9")
        check(isinstance(self.hidden, int) and 8 <= self.hidden <= 1024, "hidden", "must be 8..1024 units")
        check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1, "learning_rate", "must be in (0, 1]")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 1000, "batch_size", "must be 1..1000")
        check(isinstance(self.n_train, int) and 10 <= self.n_train <= 4000, "n_train", "must be 10..4000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def code_activation(self) -> str:
        if self.kind != "sparse":
            return "linear"
        return "relu" if self.penalty == "l1" else "sigmoid"


# ---------------------------------------------------------------- penalties and metrics

def l1_penalty(h: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``Σ_j |h_j|`` for codes ``[N, d]``."""
    return h.abs().sum(dim=1).mean()


def kl_sparsity(h: torch.Tensor, rho: float) -> torch.Tensor:
    """``Σ_j KL(Bernoulli(ρ) ‖ Bernoulli(ρ̂_j))`` with ρ̂_j the batch mean of unit j (codes in (0, 1))."""
    r = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / r) + (1 - rho) * torch.log((1 - rho) / (1 - r))).sum()


def corrupt(x: torch.Tensor, noise: float, gen: torch.Generator | None) -> torch.Tensor:
    """x plus Gaussian noise of std ``noise``, clipped to [0, 1] (x itself when noise is 0)."""
    if noise <= 0:
        return x
    return (x + noise * torch.randn(x.shape, generator=gen, dtype=x.dtype)).clamp(0.0, 1.0)


def roc(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(false-positive rates, true-positive rates, AUC) of the rule "score ≥ t ⇒ positive"
    over every threshold t (ties handled as one step, so AUC counts a tie as ½)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    check(s.shape == y.shape and s.ndim == 1, "scores", "scores and labels must be 1-D of equal length")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    check(n_pos > 0 and n_neg > 0, "positive", "needs both positives and negatives")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.diff(s) != 0, True]          # the end of each run of tied scores
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    tpr = np.r_[0.0, tp / n_pos]
    fpr = np.r_[0.0, fp / n_neg]
    return fpr, tpr, float(np.trapezoid(tpr, fpr))


# ---------------------------------------------------------------- the model

class Autoencoder(nn.Module):
    """``[N, 1, 28, 28]`` or ``[N, 784]`` → logits ``[N, 784]``; :meth:`encode` gives the code."""

    def __init__(self, cfg: Config, gen: torch.Generator):
        super().__init__()
        self.encoder = Encoder(cfg.hidden, cfg.code, gen)
        self.code_act = {"linear": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[cfg.code_activation]()
        self.decoder = Decoder(cfg.code, cfg.hidden, gen)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.code_act(self.encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))


def build(cfg: Config) -> Autoencoder:
    return Autoencoder(cfg, torch.Generator().manual_seed(cfg.seed))


def penalty(cfg: Config, h: torch.Tensor) -> torch.Tensor:
    """The sparsity penalty of a batch of codes (0 unless the autoencoder is sparse)."""
    if cfg.kind != "sparse" or cfg.sparsity == 0:
        return h.new_zeros(())
    return cfg.sparsity * (l1_penalty(h) if cfg.penalty == "l1" else kl_sparsity(h, cfg.rho))


# ---------------------------------------------------------------- live training

@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch.

    train_loss: the epoch's mean objective (BCE + penalty) per image, nats; test_loss: BCE per
    normal test image (clean input). mse: mean squared error per pixel on normal test images;
    pen: mean penalty on the test set (unweighted by λ: Σ|h| or Σ KL). unit_mean ``[code]``:
    each code unit's mean activation on test images; near_zero: share of activations with
    |h| < 0.05 (sparsity). code2 ``[M, 2]``: the test codes (PCA to 2-D when wider), labels
    ``[M]``, code_var ``[2]``: explained variance ratio. scores ``[N]``: anomaly scores (MSE
    per pixel) of all test images, anomalous ``[N]`` bool (the held-out digit); fpr, tpr, auc.
    x_show, x_input, x_recon ``[N_SHOW, 28, 28]``: clean, fed (noisy when denoising), output.
    """

    epoch: float
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    mse: float = float("nan")
    pen: float = float("nan")
    near_zero: float = float("nan")
    auc: float = float("nan")
    unit_mean: np.ndarray = field(default=None, repr=False)
    code2: np.ndarray = field(default=None, repr=False)
    code_var: np.ndarray = field(default=None, repr=False)
    labels: np.ndarray = field(default=None, repr=False)
    scores: np.ndarray = field(default=None, repr=False)
    anomalous: np.ndarray = field(default=None, repr=False)
    fpr: np.ndarray = field(default=None, repr=False)
    tpr: np.ndarray = field(default=None, repr=False)
    x_show: np.ndarray = field(default=None, repr=False)
    x_input: np.ndarray = field(default=None, repr=False)
    x_recon: np.ndarray = field(default=None, repr=False)


def _show_indices(y: np.ndarray, holdout: int) -> np.ndarray:
    """N_SHOW test indices: the first image of N_SHOW − 2 normal digits, then 2 of the held-out one."""
    normal = [int(np.flatnonzero(y == d)[0]) for d in range(10) if d != holdout][:N_SHOW - 2]
    odd = [int(i) for i in np.flatnonzero(y == holdout)[:2]]
    return np.array(normal + odd)


class Trainer(EpochLoop):
    """An autoencoder trained with Adam on the training digits other than ``holdout`` in a
    seeded order per epoch; one :meth:`advance` step is a quarter epoch (:data:`CHUNKS`), so
    ``Snapshot.epoch`` counts in quarters."""

    def __init__(self, cfg: Config, data: tuple | None = None):
        self.cfg = cfg
        xtr, ytr, xte, yte = data if data is not None else mnist_tensors(0)
        xtr, ytr = xtr[:cfg.n_train], ytr[:cfg.n_train]
        self.x_train = xtr[ytr != cfg.holdout]
        self.x_test, self.y_test = xte, yte
        self.anomalous = (yte == cfg.holdout).numpy()
        self.model = build(cfg)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate)
        self._gen = torch.Generator().manual_seed(cfg.seed + 1)
        noise_gen = torch.Generator().manual_seed(cfg.seed + 2)   # fixed test corruption: deterministic views
        self._noise = cfg.noise if cfg.kind == "denoising" else 0.0
        self.x_test_in = corrupt(xte, self._noise, noise_gen)
        self._show = _show_indices(yte.numpy(), cfg.holdout)
        self.epoch, self.step, self.chunk = 0.0, 0, 0
        self.diverged = False
        self._train = float("nan")
        self.log = {k: [] for k in ("epoch", "train", "test", "mse", "auc", "near_zero")}
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        """Train one player step: a 1/:data:`CHUNKS` share of an epoch's batches."""
        cfg, n = self.cfg, len(self.x_train)
        steps = -(-n // cfg.batch_size)
        k = self.chunk % CHUNKS
        if k == 0:
            self._order = torch.randperm(n, generator=self._gen)
        total, count = 0.0, 0
        self.model.train()
        for b in range(k * steps // CHUNKS, (k + 1) * steps // CHUNKS):
            x = self.x_train[self._order[b * cfg.batch_size:(b + 1) * cfg.batch_size]]
            h = self.model.encode(corrupt(x, self._noise, self._gen))
            rec = F.binary_cross_entropy_with_logits(self.model.decoder(h), x, reduction="none").sum(dim=1).mean()
            loss = rec + penalty(cfg, h)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            if not torch.isfinite(loss):
                self.diverged = True
                break
            self.opt.step()
            total += float(loss.detach()) * len(x)
            count += len(x)
            self.step += 1
        self.chunk += 1
        self.epoch = self.chunk / CHUNKS
        self._train = total / count if count else float("nan")

    @torch.no_grad()
    def codes(self, x: torch.Tensor | None = None) -> np.ndarray:
        """Codes ``[N, code]`` of x (default: the clean test images)."""
        self.model.eval()
        return self.model.encode(self.x_test if x is None else x).numpy()

    @torch.no_grad()
    def _measure(self) -> Snapshot:
        from explorer.engines.projection import pca

        cfg, m = self.cfg, self.model
        m.eval()
        h = m.encode(self.x_test)
        logits = m.decoder(h)
        normal = ~self.anomalous
        bce = F.binary_cross_entropy_with_logits(logits, self.x_test, reduction="none").sum(dim=1).numpy()
        scores = ((torch.sigmoid(logits) - self.x_test) ** 2).mean(dim=1).numpy()
        test = float(bce[normal].mean())
        train = self._train if self.chunk else float(bce[normal].mean())
        ok = not self.diverged and math.isfinite(test) and math.isfinite(train) and bool(torch.isfinite(h).all())
        if not ok:
            self.diverged = True
            return Snapshot(self.epoch, self.step, float("nan"), float("nan"), True)
        hn = h.numpy()
        pen_raw = 0.0 if cfg.kind != "sparse" else float(
            l1_penalty(h) if cfg.penalty == "l1" else kl_sparsity(h, cfg.rho))
        fpr, tpr, auc = roc(scores, self.anomalous)
        if cfg.code > 2:
            code2, var = pca(hn[:N_SCATTER], 2)
        else:
            code2 = np.c_[hn[:N_SCATTER], np.zeros((min(N_SCATTER, len(hn)), 2 - cfg.code))].astype(np.float32)
            var = np.ones(2) if cfg.code == 2 else np.array([1.0, 0.0])
        near_zero = float((np.abs(hn) < 0.05).mean())
        mse = float(scores[normal].mean())
        if not self.log["epoch"] or self.log["epoch"][-1] != self.epoch:
            for k, v in zip(self.log, (self.epoch, train, test, mse, auc, near_zero)):
                self.log[k].append(v)
        i = self._show
        return Snapshot(
            epoch=self.epoch, step=self.step, train_loss=train, test_loss=test, diverged=False, mse=mse,
            pen=pen_raw, near_zero=near_zero, auc=auc, unit_mean=hn.mean(axis=0), code2=code2,
            code_var=np.asarray(var, dtype=np.float64), labels=self.y_test[:N_SCATTER].numpy(),
            scores=scores.astype(np.float32), anomalous=self.anomalous, fpr=fpr, tpr=tpr,
            x_show=self.x_test[i].reshape(-1, SIDE, SIDE).numpy(),
            x_input=self.x_test_in[i].reshape(-1, SIDE, SIDE).numpy(),
            x_recon=torch.sigmoid(m(self.x_test_in[i])).reshape(-1, SIDE, SIDE).numpy())

    def history(self, upto: int | None = None) -> dict:
        """Per-epoch curves up to epoch ``upto``: epoch, train, test, mse, auc, near_zero ``[T]``."""
        n = len(self.log["epoch"]) if upto is None else int(np.searchsorted(self.log["epoch"], upto, side="right"))
        return {k: np.asarray(v[:n], dtype=np.float64) for k, v in self.log.items()}


# ---------------------------------------------------------------- for the latent-space explorer

@functools.lru_cache(maxsize=4)
def _trained(seed: int) -> Trainer:
    tr = Trainer(Config(seed=seed))
    tr.advance(DEFAULT_EPOCHS * CHUNKS)
    tr.model.eval()
    for p in tr.model.parameters():
        p.requires_grad_(False)
    return tr


def explorable(seed: int = 0):
    """The default autoencoder (undercomplete, 16-unit code, digit 0 held out) as an
    :class:`~explorer.engines.explorable.Explorable`: taps = the encoder's hidden layer and
    the code; x = the 1,000 MNIST test images (the held-out 0s included), y their digits."""
    from explorer.engines import images
    from explorer.engines.explorable import Explorable

    tr = _trained(int(seed))
    d = images.mnist(0)  # the split every Trainer uses
    m = tr.model
    return Explorable(label="Autoencoder (16-unit code) on MNIST", model=m,
                      taps=(("encoder hidden (256 ReLU)", m.encoder.act1), ("code (16 units)", m.code_act)),
                      x=np.asarray(d.x_test, dtype=np.float32), y=np.asarray(d.y_test), classes=d.classes,
                      forward=lambda x: m.encode(x),
                      note=f"Trained {DEFAULT_EPOCHS} epochs on the MNIST training digits except the "
                           f"{tr.cfg.holdout}s (the anomaly class).")
