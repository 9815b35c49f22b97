"""Certified robustness (§8.1): randomized smoothing and interval bound propagation.

**Randomized smoothing** (Cohen, Rosenfeld & Kolter 2019). The smoothed classifier
g(x) = argmax_c P(f(x + η) = c), η ~ N(0, σ²I), is robust: if the top class has probability
p_A ≥ p̲_A > ½ then g is constant on the L2 ball of radius R = σ·Φ⁻¹(p̲_A). p_A is estimated by
Monte Carlo and lower-bounded with a one-sided Clopper–Pearson interval:

* :func:`smoothed_predict` (their PREDICT): n noisy samples, the top two counts n_A, n_B;
  answer the top class if the two-sided binomial test of n_A vs n_A + n_B at ½ has
  p-value ≤ α, else abstain.
* :func:`certify` (their CERTIFY): n0 samples pick ĉ_A, n fresh samples count n_A;
  p̲_A = the (1 − α) Clopper–Pearson lower bound of n_A / n; if p̲_A > ½ return ĉ_A and
  R = σ·Φ⁻¹(p̲_A), else abstain. Either claim is wrong with probability at most α.
* :func:`certified_curve`: certified accuracy at radius r = the share of test images
  certified with the right class and radius ≥ r.

The base classifier f must have seen Gaussian noise in training (:func:`train_noisy`,
:func:`base_classifier`, which caches one per σ on disk next to the zoo).

**Interval bound propagation** (Gowal et al. 2018) on a Linear/ReLU MLP: a box
[x − ε, x + ε] is pushed through the layers as an interval per unit (a linear layer maps
centre c and radius r to Wc + b and |W|r; ReLU clips both ends). The network is certified at
ε when the lower bound of every margin z_pred − z_j over the box is positive (the last
layer is folded into the margins, which is tighter). :func:`certified_eps` grows ε by
bisection until certification fails; :func:`pgd_flip_eps` finds the smallest ε at which PGD
(L∞, torchattacks) flips the prediction; in 2-D :func:`grid_flip_eps` finds the true radius
to the grid's resolution, which lies between the two.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import special, stats

from explorer.engines import attacks, datasets2d
from explorer.engines.adv_training import build_classifier, init_from
from explorer.engines.contract import check
from explorer.engines.rng import NumpyRandom

ABSTAIN = -1
SIGMAS = (0.12, 0.25, 0.5)
CACHE_ENV = "EXPLORER_CACHE_DIR"
FORMAT_VERSION = 1
Progress = Callable[[float, str], None]


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# -- statistics -------------------------------------------------------------------------------------
def clopper_pearson_lower(k: int, n: int, alpha: float) -> float:
    """One-sided (1 − α) Clopper–Pearson lower confidence bound of a binomial proportion from
    k successes in n trials: the p with P(Bin(n, p) ≥ k) = α, i.e. the α quantile of
    Beta(k, n − k + 1); 0 when k = 0. (Cohen et al. call ``proportion_confint(k, n,
    alpha=2α, method="beta")[0]``, the same number.)"""
    check(isinstance(k, (int, np.integer)) and isinstance(n, (int, np.integer)) and 0 <= k <= n and n > 0, "k",
          "needs 0 ≤ k ≤ n, n > 0")
    check(_num(alpha) and 0 < alpha < 1, "alpha", "must be in (0, 1)")
    if k == 0:
        return 0.0
    return float(special.betaincinv(k, n - k + 1, alpha))


def radius(p_lower: float, sigma: float) -> float:
    """Cohen et al.'s certified L2 radius σ·Φ⁻¹(p̲_A) (0 or less means no certificate)."""
    return float(sigma * special.ndtri(p_lower))


def binom_p_value(n_a: int, n_b: int) -> float:
    """Two-sided binomial test p-value of n_A successes in n_A + n_B trials against p = ½."""
    n = int(n_a) + int(n_b)
    if n == 0:
        return 1.0
    return float(stats.binomtest(int(n_a), n, 0.5).pvalue)


# -- smoothing ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmoothConfig:
    """``sigma``: the noise's standard deviation (pixel units, images in [0, 1]); ``n0``:
    samples that choose the class; ``n``: samples that bound its probability; ``alpha``: the
    allowed failure probability; ``batch``: noisy copies per forward pass."""

    sigma: float = 0.25
    n0: int = 64
    n: int = 1000
    alpha: float = 0.001
    batch: int = 500
    seed: int = 0

    def __post_init__(self):
        check(_num(self.sigma) and 0 < self.sigma <= 2, "sigma", "must be in (0, 2]")
        check(isinstance(self.n0, int) and 1 <= self.n0 <= 10_000, "n0", "must be 1..10,000")
        check(isinstance(self.n, int) and 10 <= self.n <= 100_000, "n", "must be 10..100,000")
        check(_num(self.alpha) and 1e-6 <= self.alpha <= 0.5, "alpha", "must be in [1e-6, 0.5]")
        check(isinstance(self.batch, int) and 1 <= self.batch <= 10_000, "batch", "must be 1..10,000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@torch.no_grad()
def sample_counts(model: nn.Module, x, sigma: float, num: int, batch: int, gen: torch.Generator) -> np.ndarray:
    """How often f(x + η) = c for ``num`` draws η ~ N(0, σ²I) (no clipping, as Cohen et al.):
    int64 ``[K]`` counts. ``x`` is one image ``[C, H, W]``."""
    xt = torch.tensor(np.array(x, dtype=np.float32)).unsqueeze(0)
    counts = None
    with attacks.attack_mode(model):
        left = int(num)
        while left > 0:
            b = min(batch, left)
            noise = torch.randn((b, *xt.shape[1:]), generator=gen) * sigma
            pred = model(xt + noise).argmax(1)
            if counts is None:
                k = int(model(xt).shape[1])
                counts = np.zeros(k, dtype=np.int64)
            counts += np.bincount(pred.numpy(), minlength=len(counts))
            left -= b
    return counts


@dataclass(frozen=True)
class Prediction:
    """PREDICT's answer: ``cls`` (or :data:`ABSTAIN`), ``counts`` ``[K]``, ``p_value``."""

    cls: int
    counts: np.ndarray
    p_value: float


def smoothed_predict(model: nn.Module, x, cfg: SmoothConfig) -> Prediction:
    """Cohen et al.'s PREDICT with ``cfg.n`` samples and level ``cfg.alpha``."""
    gen = torch.Generator().manual_seed(cfg.seed)
    counts = sample_counts(model, x, cfg.sigma, cfg.n, cfg.batch, gen)
    top2 = np.argsort(-counts, kind="stable")[:2]
    n_a, n_b = int(counts[top2[0]]), int(counts[top2[1]]) if len(counts) > 1 else 0
    p = binom_p_value(n_a, n_b)
    return Prediction(int(top2[0]) if p <= cfg.alpha else ABSTAIN, counts, p)


@dataclass(frozen=True)
class Certificate:
    """CERTIFY's answer: ``cls`` (or :data:`ABSTAIN`), ``radius`` (L2, pixel units; 0 when
    abstaining), ``p_lower`` the lower bound of p_A, ``counts0`` ``[K]`` (selection) and
    ``counts`` ``[K]`` (estimation), ``guess`` ĉ_A."""

    cls: int
    radius: float
    p_lower: float
    counts0: np.ndarray
    counts: np.ndarray
    guess: int


def certify(model: nn.Module, x, cfg: SmoothConfig) -> Certificate:
    """Cohen et al.'s CERTIFY for one image ``x`` ``[C, H, W]``."""
    gen = torch.Generator().manual_seed(cfg.seed)
    counts0 = sample_counts(model, x, cfg.sigma, cfg.n0, cfg.batch, gen)
    guess = int(np.argmax(counts0))
    counts = sample_counts(model, x, cfg.sigma, cfg.n, cfg.batch, gen)
    p_lower = clopper_pearson_lower(int(counts[guess]), cfg.n, cfg.alpha)
    if p_lower <= 0.5:
        return Certificate(ABSTAIN, 0.0, p_lower, counts0, counts, guess)
    return Certificate(guess, radius(p_lower, cfg.sigma), p_lower, counts0, counts, guess)


@dataclass(frozen=True)
class CertCurve:
    """CERTIFY on N test images: ``cls``/``radius``/``p_lower`` ``[N]``, ``labels`` ``[N]``;
    ``radii`` ``[R]`` and ``acc`` ``[R]`` certified accuracy (right class, radius ≥ r);
    ``abstain`` the share of abstentions; ``clean_acc`` f's accuracy without noise."""

    sigma: float
    cls: np.ndarray
    radius: np.ndarray
    p_lower: np.ndarray
    labels: np.ndarray
    radii: np.ndarray
    acc: np.ndarray
    abstain: float
    clean_acc: float


def accuracy_at(cls: np.ndarray, rad: np.ndarray, labels: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Certified accuracy ``[R]``: share of images with cls == label and radius ≥ r."""
    ok = (np.asarray(cls) == np.asarray(labels))
    return np.array([float(np.mean(ok & (np.asarray(rad) >= r))) for r in np.asarray(radii)])


def certified_curve(model: nn.Module, x, y, cfg: SmoothConfig, radii=None,
                    progress: Progress | None = None) -> CertCurve:
    """CERTIFY every image of ``x`` ``[N, C, H, W]`` (labels ``y`` ``[N]``); image i uses seed
    ``cfg.seed + i``. ``progress(fraction, text)`` after each image."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    radii = np.linspace(0, 4 * cfg.sigma, 41) if radii is None else np.asarray(radii, dtype=np.float64)
    cls, rad, pl = np.zeros(len(x), int), np.zeros(len(x)), np.zeros(len(x))
    for i in range(len(x)):
        c = certify(model, x[i], SmoothConfig(cfg.sigma, cfg.n0, cfg.n, cfg.alpha, cfg.batch, cfg.seed + i))
        cls[i], rad[i], pl[i] = c.cls, c.radius, c.p_lower
        if progress:
            progress((i + 1) / len(x), f"σ = {cfg.sigma:g}: image {i + 1}/{len(x)}")
    with torch.no_grad(), attacks.attack_mode(model):
        clean = float((model(torch.tensor(x)).argmax(1).numpy() == y).mean())
    return CertCurve(cfg.sigma, cls, rad, pl, y, radii, accuracy_at(cls, rad, y, radii), float(np.mean(cls == ABSTAIN)),
                     clean)


# -- noise-trained base classifiers -------------------------------------------------------------------
@dataclass(frozen=True)
class NoiseConfig:
    """Training with Gaussian noise augmentation: every batch is seen as x + N(0, σ²I)."""

    arch: str = "lenet"
    sigma: float = 0.25
    epochs: int = 6
    lr: float = 2e-3
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.arch, str) and 0 < len(self.arch) <= 20, "arch", "must be an architecture name")
        check(_num(self.sigma) and 0 <= self.sigma <= 2, "sigma", "must be in [0, 2]")
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 50, "epochs", "must be 1..50")
        check(_num(self.lr) and 1e-5 <= self.lr <= 0.1, "lr", "must be in [1e-5, 0.1]")
        check(isinstance(self.batch_size, int) and 8 <= self.batch_size <= 1024, "batch_size", "must be 8..1024")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


def train_noisy(cfg: NoiseConfig, x_train, y_train, progress: Progress | None = None) -> nn.Module:
    """A fresh ``cfg.arch`` trained with Adam (cosine-decayed rate) on noisy copies of
    ``x_train`` ``[N, C, H, W]``; returned in eval mode."""
    x = torch.tensor(np.array(x_train, dtype=np.float32))
    y = torch.tensor(np.array(y_train), dtype=torch.long)
    k = int(y.max()) + 1
    model = build_classifier(cfg.arch, tuple(x.shape[1:]), k, seed=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps = cfg.epochs * math.ceil(len(x) / cfg.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    model.train()
    for e in range(cfg.epochs):
        order = torch.randperm(len(x), generator=gen)
        for a in range(0, len(x), cfg.batch_size):
            idx = order[a:a + cfg.batch_size]
            xb = x[idx] + torch.randn(x[idx].shape, generator=gen) * cfg.sigma
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if progress:
            progress((e + 1) / cfg.epochs,
                     f"training the σ = {cfg.sigma:g} base classifier: epoch {e + 1}/{cfg.epochs}")
    model.eval()
    return model


def cache_dir() -> Path:
    """``$EXPLORER_CACHE_DIR/certify`` (default ``~/.cache/dl-explorer/certify``)."""
    root = os.environ.get(CACHE_ENV) or str(Path.home() / ".cache" / "dl-explorer")
    return Path(root).expanduser() / "certify"


_LOADED: dict = {}
_GUARD = threading.Lock()
_LOCKS: dict = {}


def _paths(cfg: NoiseConfig, dataset: str) -> tuple[Path, Path]:
    stem = f"{cfg.arch}-{dataset}-s{cfg.sigma:g}-e{cfg.epochs}-seed{cfg.seed}-v{FORMAT_VERSION}"
    return cache_dir() / f"{stem}.safetensors", cache_dir() / f"{stem}.json"


def is_cached(cfg: NoiseConfig, dataset: str = "mnist") -> bool:
    """True when :func:`base_classifier` will not need to train (in memory or on disk)."""
    return (cfg, dataset, str(cache_dir())) in _LOADED or all(p.exists() for p in _paths(cfg, dataset))


def base_classifier(cfg: NoiseConfig, dataset: str = "mnist",
                    progress: Progress | None = None) -> tuple[nn.Module, dict]:
    """(model, card) of the noise-trained ``cfg`` on a zoo dataset: from memory, else from the
    disk cache, else trained now and saved (safetensors + JSON). The model is shared: attack or
    train a ``copy.deepcopy`` of it, never it. The card holds the clean test accuracy."""
    from safetensors.torch import load_file, save_file

    from explorer.engines import zoo

    data = zoo.data_for(dataset)
    key = (cfg, dataset, str(cache_dir()))
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key in _LOADED:
            return _LOADED[key]
        wpath, jpath = _paths(cfg, dataset)
        model = build_classifier(cfg.arch, data.x_train.shape[1:], len(data.classes), seed=cfg.seed)
        try:
            card = json.loads(jpath.read_text())
            model.load_state_dict(load_file(str(wpath)), strict=True)
        except (OSError, ValueError, KeyError, RuntimeError):
            t0 = time.perf_counter()
            model = train_noisy(cfg, data.x_train, data.y_train, progress)
            with torch.no_grad():
                acc = float((model(torch.tensor(data.x_test)).argmax(1).numpy() == data.y_test).mean())
            card = {"arch": cfg.arch, "dataset": dataset, "sigma": cfg.sigma, "epochs": cfg.epochs, "seed": cfg.seed,
                    "clean_test_acc": acc, "train_seconds": time.perf_counter() - t0, "n_train": len(data.x_train)}
            wpath.parent.mkdir(parents=True, exist_ok=True)
            tmp_w, tmp_j = (p.with_name(f"{p.name}.tmp{os.getpid()}") for p in (wpath, jpath))
            save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp_w))
            tmp_j.write_text(json.dumps(card, indent=1))
            os.replace(tmp_w, wpath)
            os.replace(tmp_j, jpath)
        model.eval()
        model.requires_grad_(False)
        _LOADED[key] = (model, card)
        return _LOADED[key]


# -- interval bound propagation -----------------------------------------------------------------------
DATASETS_2D = ("circle", "xor", "gauss", "spiral", "blobs")
WORLD = 8.0  # PGD in 2-D works on [−WORLD, WORLD]² (wider than the [−6, 6] view)


@dataclass(frozen=True)
class MlpConfig:
    """A Linear/ReLU MLP on a 2-D set of :mod:`explorer.engines.datasets2d` (500 points, coordinates
    in [−6, 6]): ``depth`` hidden layers of ``width`` units, full-batch Adam for ``steps``."""

    dataset: str = "circle"
    noise: float = 0.0
    width: int = 16
    depth: int = 2
    steps: int = 400
    lr: float = 0.02
    seed: int = 0

    def __post_init__(self):
        check(self.dataset in DATASETS_2D, "dataset", f"must be one of {DATASETS_2D}")
        check(_num(self.noise) and 0 <= self.noise <= 0.5, "noise", "must be in [0, 0.5]")
        check(isinstance(self.width, int) and 2 <= self.width <= 256, "width", "must be 2..256")
        check(isinstance(self.depth, int) and 1 <= self.depth <= 6, "depth", "must be 1..6")
        check(isinstance(self.steps, int) and 1 <= self.steps <= 5000, "steps", "must be 1..5000")
        check(_num(self.lr) and 1e-4 <= self.lr <= 0.5, "lr", "must be in [1e-4, 0.5]")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Mlp2d:
    """A trained 2-D classifier: ``model`` (nn.Sequential of Linear/ReLU, float64), the training
    points ``xy`` ``[N, 2]`` and labels ``[N]`` in 0..K−1, ``train_acc``."""

    model: nn.Sequential
    xy: np.ndarray
    labels: np.ndarray
    train_acc: float
    n_classes: int


def data_2d(cfg: MlpConfig) -> tuple[np.ndarray, np.ndarray]:
    """(xy ``[N, 2]``, labels ``[N]`` in 0..K−1); two-class sets map the peer's −1/+1 to 0/1."""
    rand = NumpyRandom(f"certify-{cfg.dataset}-{cfg.seed}")
    xy, lab, _, _ = datasets2d.generate(rand, cfg.dataset, cfg.noise, 100, classes=3)
    if cfg.dataset not in datasets2d.MULTICLASS:
        lab = np.where(lab < 0, 0, lab)
    lab = lab.astype(np.int64)
    return xy, lab


def train_mlp2d(cfg: MlpConfig) -> Mlp2d:
    """Train the MLP on :func:`data_2d`, full batch. It trains on coordinates / 6 (well scaled
    for Adam), then the 1/6 is folded into the first layer: the returned network reads raw
    coordinates, so its boxes and radii are in the plot's units."""
    xy, lab = data_2d(cfg)
    k = int(lab.max()) + 1
    layers: list[nn.Module] = []
    d = 2
    for _ in range(cfg.depth):
        layers += [nn.Linear(d, cfg.width), nn.ReLU()]
        d = cfg.width
    layers.append(nn.Linear(d, k))
    model = init_from(nn.Sequential(*layers).double(), torch.Generator().manual_seed(cfg.seed))
    x = torch.tensor(xy / 6.0)
    y = torch.tensor(lab)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    for _ in range(cfg.steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():  # fold the 1/6 input scaling into the first layer: raw coordinates in
        model[0].weight /= 6.0
        acc = float((model(torch.tensor(xy)).argmax(1) == y).double().mean())
    model.eval()
    model.requires_grad_(False)
    return Mlp2d(model, xy, lab, acc, k)


def _linear_relu(model: nn.Sequential) -> list[nn.Module]:
    mods = list(model)
    check(len(mods) > 0 and all(isinstance(m, (nn.Linear, nn.ReLU)) for m in mods), "model",
          "IBP here handles nn.Sequential of Linear and ReLU layers")
    return mods


def _w(m: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
    return m.weight.detach().double().numpy(), m.bias.detach().double().numpy()


def interval_bounds(model: nn.Sequential, lo, hi) -> list[tuple[np.ndarray, np.ndarray]]:
    """IBP: (lower, upper) of every layer's output for inputs in the box [lo, hi] (each ``[d]``
    or ``[N, d]``), float64; the last pair bounds the logits."""
    mods = _linear_relu(model)
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    check(lo.shape == hi.shape and bool(np.all(lo <= hi)), "lo", "needs lo ≤ hi with the same shape")
    out = []
    for m in mods:
        if isinstance(m, nn.Linear):
            w, b = _w(m)
            c, r = (hi + lo) / 2, (hi - lo) / 2
            c, r = c @ w.T + b, r @ np.abs(w).T
            lo, hi = c - r, c + r
        else:
            lo, hi = np.maximum(lo, 0), np.maximum(hi, 0)
        out.append((lo, hi))
    return out


def margin_bounds(model: nn.Sequential, x, eps: float, cls: int | None = None) -> tuple[int, np.ndarray]:
    """(class c, lower bounds ``[K]`` of z_c − z_j over the L∞ box of radius ε around ``x`` ``[d]``).
    The last layer is folded into the margins: the bound of (w_c − w_j)·h + (b_c − b_j) over the
    penultimate interval of h, tighter than subtracting logit intervals. Entry c is +inf."""
    mods = _linear_relu(model)
    check(isinstance(mods[-1], nn.Linear), "model", "must end in a Linear layer (the logits)")
    x = np.asarray(x, dtype=np.float64)
    if cls is None:
        with torch.no_grad():
            cls = int(model(torch.tensor(x[None])).argmax(1))
    if len(mods) > 1:
        lo, hi = interval_bounds(nn.Sequential(*mods[:-1]), x - eps, x + eps)[-1]
    else:
        lo, hi = x - eps, x + eps
    w, b = _w(mods[-1])
    dw, db = w[cls][None, :] - w, b[cls] - b                 # [K, h], [K]
    c, r = (hi + lo) / 2, (hi - lo) / 2
    low = dw @ c + db - np.abs(dw) @ r
    low[cls] = np.inf
    return cls, low


def ibp_certifies(model: nn.Sequential, x, eps: float, cls: int | None = None) -> bool:
    """True when IBP proves the prediction constant on the L∞ box of radius ε around x."""
    _, low = margin_bounds(model, x, eps, cls)
    return bool(np.all(low > 0))


def certified_eps(model: nn.Sequential, x, hi: float = 4.0, tol: float = 1e-4) -> float:
    """The largest ε ≤ ``hi`` that IBP certifies around ``x``, by bisection (IBP is monotone:
    a larger box has larger intervals); 0 when not even ε = tol is certified."""
    with torch.no_grad():
        cls = int(model(torch.tensor(np.asarray(x, dtype=np.float64)[None])).argmax(1))
    if ibp_certifies(model, x, hi, cls):
        return float(hi)
    a, b = 0.0, float(hi)
    while b - a > tol:
        mid = (a + b) / 2
        a, b = (mid, b) if ibp_certifies(model, x, mid, cls) else (a, mid)
    return a


class _Unit(nn.Module):
    """The 2-D model seen on [0, 1]² (torchattacks' image range): p = (2u − 1)·WORLD, input
    ``[N, 1, 1, 2]``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, u):
        return self.model(((2 * u.reshape(len(u), -1).double() - 1) * WORLD)).float()


def _to_unit(x) -> np.ndarray:
    return ((np.asarray(x, dtype=np.float64) / WORLD + 1) / 2).reshape(1, 1, 1, -1).astype(np.float32)


def pgd_flips(model: nn.Sequential, x, eps: float, steps: int = 30, restarts: int = 8,
              seed: int = 0) -> np.ndarray | None:
    """A point within L∞ distance ε of ``x`` (a 2-vector) with another prediction, found by PGD
    (torchattacks, ``restarts`` random starts run as one batch), or None."""
    xw = np.asarray(x, dtype=np.float64)
    with torch.no_grad():
        cls = int(model(torch.tensor(xw[None])).argmax(1))
    e = min(1.0, eps / (2 * WORLD))
    cfg = attacks.AttackConfig(name="pgd", norm="Linf", eps=e, steps=steps, alpha=attacks.default_alpha(e, steps),
                               seed=seed)
    res = attacks.run_attack(_Unit(model), np.repeat(_to_unit(xw), restarts, axis=0), np.full(restarts, cls), cfg)
    hit = np.flatnonzero(res.adv_pred != cls)
    if len(hit) == 0:
        return None
    return (2 * res.adv[hit[0]].reshape(-1).astype(np.float64) - 1) * WORLD


def pgd_flip_eps(model: nn.Sequential, x, hi: float = 4.0, lo: float = 0.0, rtol: float = 0.01, seed: int = 0):
    """(smallest ε ≤ ``hi`` at which PGD flips the prediction at ``x``, the flipped point), to a
    relative ``rtol``: a geometric scan up from ``lo`` (pass a radius known to be safe, such as
    IBP's certified one, to save work), then bisection between the last miss and the first hit;
    (inf, None) if PGD never flips it up to ``hi``."""
    start = max(lo, hi * 1e-3)
    found, prev = None, lo
    for e in np.geomspace(start, hi, 12):
        p = pgd_flips(model, x, float(e), seed=seed)
        if p is not None:
            found = (float(e), p)
            break
        prev = float(e)
    if found is None:
        return math.inf, None
    a, (b, point) = prev, found
    while b - a > rtol * b:
        mid = (a + b) / 2
        p = pgd_flips(model, x, mid, seed=seed)
        if p is None:
            a = mid
        else:
            b, point = mid, p
    return b, point


@torch.no_grad()
def grid_flip_eps(model: nn.Sequential, x, hi: float = 4.0, n: int = 801) -> float:
    """The L∞ distance from ``x`` (a 2-vector) to the nearest point of an n×n grid over the box
    of radius ``hi`` whose prediction differs: the true robust radius up to the grid step
    2·hi/(n−1) (inf when the whole grid agrees). 2-D only.

    The grid is read ring by ring outward (every grid point at L∞ distance k·step lies on the
    k-th square ring), so the cost grows with the answer, not with the whole grid."""
    x = np.asarray(x, dtype=np.float64)
    cls = int(model(torch.tensor(x[None])).argmax(1))
    half = (n - 1) // 2
    step = hi / half if half else hi
    k0 = 0
    while k0 <= half:
        ks = range(k0, min(half, k0 + 15) + 1)  # 16 rings per batch
        pts, dist = [], []
        for k in ks:
            if k == 0:
                ring = np.zeros((1, 2), dtype=np.int64)
            else:
                t = np.arange(-k, k + 1)
                ring = np.concatenate([np.c_[t, np.full_like(t, -k)], np.c_[t, np.full_like(t, k)],
                                       np.c_[np.full(2 * k - 1, -k), t[1:-1]], np.c_[np.full(2 * k - 1, k), t[1:-1]]])
            pts.append(ring)
            dist.append(np.full(len(ring), k))
        offs, dist = np.concatenate(pts), np.concatenate(dist)
        other = model(torch.tensor(x + step * offs)).argmax(1).numpy() != cls
        if other.any():
            return float(step * dist[other].min())
        k0 = ks[-1] + 1
    return math.inf


@torch.no_grad()
def margin_curve(model: nn.Sequential, x, eps_values, n: int = 41) -> tuple[int, np.ndarray, np.ndarray]:
    """How certification fails as the box grows: (class c, IBP's lower bound of min_j (z_c − z_j)
    ``[E]``, the smallest margin found on an n×n grid over the box ``[E]``) for each ε of
    ``eps_values``. The grid value is ≥ the true minimum (it samples the box) and IBP's is ≤ it:
    the network is certified where the IBP curve is above 0, and is truly robust until the grid
    curve crosses 0."""
    x = np.asarray(x, dtype=np.float64)
    cls = int(model(torch.tensor(x[None])).argmax(1))
    ibp, true = [], []
    s = np.linspace(-1, 1, n)
    gx, gy = np.meshgrid(s, s)
    unit = np.c_[gx.ravel(), gy.ravel()]
    for e in np.asarray(eps_values, dtype=np.float64):
        _, low = margin_bounds(model, x, float(e), cls)
        ibp.append(float(np.min(low)))
        z = model(torch.tensor(x + e * unit)).numpy()
        m = z[:, cls:cls + 1] - z
        m[:, cls] = np.inf
        true.append(float(m.min()))
    return cls, np.array(ibp), np.array(true)


@torch.no_grad()
def decision_map(model: nn.Sequential, n: int = 121, extent: float = 6.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs ``[n]``, ys ``[n]``, probabilities ``[n, n, K]``, rows = ys) over [−extent, extent]²."""
    s = np.linspace(-extent, extent, n)
    gx, gy = np.meshgrid(s, s)
    p = torch.softmax(model(torch.tensor(np.c_[gx.ravel(), gy.ravel()])), 1).numpy()
    return s, s, p.reshape(n, n, -1)


@dataclass(frozen=True)
class BoxStudy:
    """Around a point ``x``: the predicted ``cls``; ``ibp_eps`` the largest certified L∞ radius;
    ``pgd_eps`` the smallest radius where PGD flips it (inf if never) and its point
    ``pgd_point`` (or None); ``grid_eps`` the true radius to grid resolution; at the user's
    ``eps``: ``certified`` and the margin lower bounds ``margins`` ``[K]`` and the true
    smallest margins over the box from samples ``sampled`` ``[K]``."""

    x: np.ndarray
    cls: int
    ibp_eps: float
    pgd_eps: float
    pgd_point: np.ndarray | None
    grid_eps: float
    eps: float
    certified: bool
    margins: np.ndarray
    sampled: np.ndarray


def box_study(model: nn.Sequential, x, eps: float, hi: float = 4.0, seed: int = 0) -> BoxStudy:
    """Everything the IBP view shows about the point ``x`` (a 2-vector) and a box of radius ε."""
    x = np.asarray(x, dtype=np.float64)
    check(x.shape == (2,) and np.all(np.isfinite(x)), "x", "must be a finite 2-D point")
    check(_num(eps) and 0 <= eps <= hi, "eps", f"must be in [0, {hi:g}]")
    cls, low = margin_bounds(model, x, eps)
    rng = np.random.default_rng(seed)
    pts = x + rng.uniform(-eps, eps, (4000, 2))
    with torch.no_grad():
        z = model(torch.tensor(pts)).numpy()
    sampled = (z[:, cls:cls + 1] - z).min(0)
    sampled[cls] = np.inf
    ibp = certified_eps(model, x, hi)
    pe, pp = pgd_flip_eps(model, x, hi, lo=ibp, seed=seed)
    return BoxStudy(x, cls, ibp, pe, pp, grid_flip_eps(model, x, hi), float(eps), bool(np.all(low > 0)), low, sampled)
