"""Loss landscapes of small models trained in the app (Li et al., 2018).

Three models, all plain ``torch.nn`` modules so that ``torch.func.functional_call`` can
evaluate them at many parameter vectors in one batched call:

- ``mlp``: the playground's kind of network (2 → width → width → 2, tanh) on a 2-D set;
- ``cnn``: a small CNN on 8×8 digits (sklearn's, no download);
- ``resnet``: a small residual CNN on the same digits whose skip connections can be
  switched off (Li et al.'s headline comparison).

Analyses are functions returning numpy: 1-D interpolation between two parameter vectors,
2-D surfaces along filter-normalized random directions or the top-2 PCA directions of the
training trajectory, the top Hessian eigenvalue (power iteration on Hessian-vector
products) and the Hessian spectrum (stochastic Lanczos quadrature). Parameters travel as
one flat float32 vector θ (``flatten``/``unflatten``); directions are flat vectors too.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp

from explorer.engines import datasets2d
from explorer.engines.rng import NumpyRandom
from explorer.engines.contract import EpochLoop, check as _check

MODELS = ("mlp", "cnn", "resnet")
DATASETS_2D = ("circle", "xor", "gauss", "spiral")
OPTIMIZERS = ("sgd", "adam")
MAX_TRAJECTORY = 200




@dataclass(frozen=True)
class Config:
    """A model, its data and how it trains. n_train is the number of training examples."""

    model: str = "mlp"
    dataset: str = "xor"           # mlp only
    skip: bool = True              # resnet only
    width: int = 8                 # hidden units (mlp) or channels (cnn, resnet)
    n_train: int = 250
    batch_size: int = 25
    learning_rate: float = 0.05
    optimizer: str = "adam"
    seed: int = 0

    def __post_init__(self):
        _check(self.model in MODELS, "model", f"must be one of {MODELS}")
        _check(self.dataset in DATASETS_2D, "dataset", f"must be one of {DATASETS_2D}")
        _check(isinstance(self.width, int) and 2 <= self.width <= 32, "width", "must be 2..32")
        _check(isinstance(self.n_train, int) and 50 <= self.n_train <= 1500, "n_train", "must be 50..1500")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= self.n_train, "batch_size",
               "must be 1..n_train")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 5, "learning_rate", "must be in (0, 5]")
        _check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {OPTIMIZERS}")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    def replace(self, **kw) -> "Config":
        return dataclasses.replace(self, **kw)


# -- data ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    """x_train (n, 2) or (n, 1, 8, 8) float32, y_train (n,) int64 classes; same for test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def make_data(cfg: Config) -> Data:
    if cfg.model == "mlp":
        rand = NumpyRandom(str(cfg.seed))
        n = 2 * cfg.n_train
        gen = datasets2d.CLASSIFY[cfg.dataset]
        pts = np.asarray(gen(rand, n, 0.0), dtype=np.float64)
        order = np.random.default_rng(cfg.seed).permutation(len(pts))
        pts = pts[order]
        x = torch.tensor(pts[:, :2] / 6.0, dtype=torch.float32)  # inputs scaled to about [-1, 1]
        y = torch.tensor(pts[:, 2] > 0, dtype=torch.int64)
    else:
        from sklearn.datasets import load_digits

        d = load_digits()
        order = np.random.default_rng(cfg.seed).permutation(len(d.target))
        x = torch.tensor(d.images[order] / 16.0, dtype=torch.float32)[:, None]
        y = torch.tensor(d.target[order], dtype=torch.int64)
    k = min(cfg.n_train, len(y) // 2)
    return Data(x[:k], y[:k], x[k:2 * k], y[k:2 * k])


# -- models ----------------------------------------------------------------------------------
class MLP(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(2, width), nn.Linear(width, width), nn.Linear(width, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.fc2(torch.tanh(self.fc1(x)))))


class SmallCNN(nn.Module):
    """8×8 digits: conv 3×3 (w) → conv 3×3 stride 2 (2w) → linear to 10 classes."""

    def __init__(self, width: int):
        super().__init__()
        self.c1 = nn.Conv2d(1, width, 3, padding=1)
        self.c2 = nn.Conv2d(width, 2 * width, 3, padding=1, stride=2)
        self.fc = nn.Linear(2 * width * 16, 10)

    def forward(self, x):
        x = F.relu(self.c2(F.relu(self.c1(x))))
        return self.fc(x.flatten(1))


class SmallResNet(nn.Module):
    """Stem conv, two residual blocks (conv-relu-conv + identity when ``skip``), pooling, linear."""

    def __init__(self, width: int, skip: bool):
        super().__init__()
        self.skip = skip
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)])
            for _ in range(2))
        self.fc = nn.Linear(width * 4, 10)

    def forward(self, x):
        h = F.relu(self.stem(x))
        for a, b in self.blocks:
            r = b(F.relu(a(h)))
            h = F.relu(h + r if self.skip else r)
        h = F.avg_pool2d(h, 4)  # 8×8 → 2×2
        return self.fc(h.flatten(1))


def build_model(cfg: Config) -> nn.Module:
    torch.manual_seed(cfg.seed)  # layer init draws from the global generator: seed it right here
    if cfg.model == "mlp":
        return MLP(cfg.width)
    if cfg.model == "cnn":
        return SmallCNN(cfg.width)
    return SmallResNet(cfg.width, cfg.skip)


# -- flat parameter vectors ------------------------------------------------------------------
def names_shapes(model: nn.Module) -> list[tuple[str, torch.Size]]:
    return [(n, p.shape) for n, p in model.named_parameters()]


def flatten(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone()


def unflatten(model: nn.Module, theta: torch.Tensor) -> dict[str, torch.Tensor]:
    """Flat θ (P,) → {name: tensor} views (a leading batch dim is kept: (B, P) → (B, *shape))."""
    out, pos = {}, 0
    lead = theta.shape[:-1]
    for name, shape in names_shapes(model):
        k = math.prod(shape)
        out[name] = theta[..., pos:pos + k].reshape(*lead, *shape)
        pos += k
    return out


def loss_fn(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """θ (P,) → mean cross-entropy of the model with parameters θ on (x, y)."""

    def f(theta):
        return F.cross_entropy(functional_call(model, unflatten(model, theta), (x,)), y)

    return f


# -- training --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    diverged: bool


@dataclass
class Trainer(EpochLoop):
    """Trains a model epoch by epoch, keeping θ after every epoch (the trajectory)."""

    cfg: Config
    data: Data | None = None
    trajectory: list = field(default_factory=list)

    def __post_init__(self):
        self.data = self.data or make_data(self.cfg)
        self.model = build_model(self.cfg)
        params = self.model.parameters()
        self.opt = (torch.optim.SGD(params, lr=self.cfg.learning_rate) if self.cfg.optimizer == "sgd"
                    else torch.optim.Adam(params, lr=self.cfg.learning_rate))
        self.gen = torch.Generator().manual_seed(self.cfg.seed + 1)
        self.epoch = self.step = 0
        self.diverged = False
        self.theta0 = flatten(self.model)
        self.trajectory = [self.theta0.numpy().copy()]
        self.snapshot = self._measure()

    def _measure(self) -> Snapshot:
        with torch.no_grad():
            d = self.data
            out_tr, out_te = self.model(d.x_train), self.model(d.x_test)
            tr = float(F.cross_entropy(out_tr, d.y_train))
            te = float(F.cross_entropy(out_te, d.y_test))
            acc_tr = float((out_tr.argmax(1) == d.y_train).float().mean())
            acc_te = float((out_te.argmax(1) == d.y_test).float().mean())
        self.diverged = self.diverged or not (math.isfinite(tr) and math.isfinite(te))
        return Snapshot(self.epoch, self.step, tr, te, acc_tr, acc_te, self.diverged)

    def _epoch(self) -> None:
        d, bs = self.data, self.cfg.batch_size
        order = torch.randperm(len(d.y_train), generator=self.gen)
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            self.opt.zero_grad()
            F.cross_entropy(self.model(d.x_train[idx]), d.y_train[idx]).backward()
            self.opt.step()
            self.step += 1
        self.epoch += 1
        self.trajectory.append(flatten(self.model).numpy().copy())
        if len(self.trajectory) > MAX_TRAJECTORY:  # keep the start, thin the rest evenly
            self.trajectory = self.trajectory[:1] + self.trajectory[2::2]

    @property
    def theta(self) -> torch.Tensor:
        return flatten(self.model)


def trained(cfg: Config, epochs: int) -> Trainer:
    """A trainer advanced to ``epochs`` (for comparisons and tests)."""
    tr = Trainer(cfg)
    tr.advance(epochs)
    return tr


# -- directions ------------------------------------------------------------------------------
def random_direction(model: nn.Module, theta: torch.Tensor, seed: int, filter_norm: bool = True) -> torch.Tensor:
    """A Gaussian direction; with ``filter_norm`` each filter (conv output channel, linear
    output row) is rescaled to the norm of the same filter of θ, and 1-D parameters
    (biases, norm scales) are zeroed — Li et al.'s filter-wise normalization."""
    g = torch.Generator().manual_seed(seed)
    d = torch.randn(theta.shape, generator=g, dtype=theta.dtype)
    if not filter_norm:
        return d
    parts_d, parts_t = unflatten(model, d), unflatten(model, theta)
    out = []
    for name, _ in names_shapes(model):
        dp, tp = parts_d[name], parts_t[name]
        if dp.dim() <= 1:
            out.append(torch.zeros_like(dp).reshape(-1))
            continue
        dn = dp.reshape(dp.shape[0], -1).norm(dim=1)
        tn = tp.reshape(tp.shape[0], -1).norm(dim=1)
        scale = (tn / (dn + 1e-10)).reshape(-1, *([1] * (dp.dim() - 1)))
        out.append((dp * scale).reshape(-1))
    return torch.cat(out)


def pca_directions(trajectory: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Top-2 PCA directions of θ_t − θ_final (Li et al.'s trajectory plot).

    Returns (d1 (P,), d2 (P,), coords (T, 2) of every θ_t on that plane, explained variance
    ratios (2,)).
    """
    m = np.stack(trajectory).astype(np.float64)
    diff = m - m[-1]
    u, s, vt = np.linalg.svd(diff - diff.mean(axis=0), full_matrices=False)
    d1, d2 = vt[0], vt[1] if len(vt) > 1 else np.zeros_like(vt[0])
    var = s**2 / max(float((s**2).sum()), 1e-30)
    coords = np.stack([diff @ d1, diff @ d2], axis=1)
    return d1, d2, coords, np.pad(var[:2], (0, max(0, 2 - len(var))))


# -- surfaces --------------------------------------------------------------------------------
def _linear(h: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """h (N, B, F) or shared (N, F), w (B, K, F), b (B, K) → (N, B, K)."""
    eq = "nbf,bkf->nbk" if h.dim() == 3 else "nf,bkf->nbk"
    return torch.einsum(eq, h, w) + b


def batched_logits(model: nn.Module, p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The model's logits at B parameter sets: p holds (B, *shape) tensors, x (N, …) is
    shared; returns (N, B, classes), the same numbers as B separate forward passes (tested).

    The MLP runs as three batched matrix products for all B at once. For the CNNs a grouped
    convolution over B was measured 2× slower on this CPU than B plain convolutions, so they
    call the model functionally once per parameter set — still no model copies.
    """
    if isinstance(model, MLP):
        h = torch.tanh(_linear(x, p["fc1.weight"], p["fc1.bias"]))
        h = torch.tanh(_linear(h, p["fc2.weight"], p["fc2.bias"]))
        return _linear(h, p["out.weight"], p["out.bias"])
    bsz = next(iter(p.values())).shape[0]
    return torch.stack([functional_call(model, {k: v[i] for k, v in p.items()}, (x,)) for i in range(bsz)], 1)


def batched_losses(model: nn.Module, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                   chunk: int = 64, progress: Callable[[float], None] | None = None) -> np.ndarray:
    """Mean cross-entropy at each row of ``thetas`` (B, P), ``chunk`` rows per batched pass."""
    out = []
    with torch.no_grad():
        for i in range(0, len(thetas), chunk):
            logits = batched_logits(model, unflatten(model, thetas[i:i + chunk]), x)  # (N, B, K)
            yy = y[:, None].expand(-1, logits.shape[1])
            out.append(F.cross_entropy(logits.permute(0, 2, 1), yy, reduction="none").mean(0))
            if progress:
                progress(min(1.0, (i + chunk) / len(thetas)))
    return torch.cat(out).numpy().astype(np.float64)


def interpolate(model: nn.Module, a: torch.Tensor, b: torch.Tensor, x, y, n: int = 41,
                lo: float = -0.5, hi: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """1-D linear interpolation θ(α) = (1−α)·a + α·b: (alphas (n,), losses (n,))."""
    alphas = torch.linspace(lo, hi, n)
    thetas = a[None] + alphas[:, None] * (b - a)[None]
    return alphas.numpy(), batched_losses(model, thetas, x, y)


def surface(model: nn.Module, center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor, x, y,
            n: int = 51, span: float = 1.0, span2: float | None = None, chunk: int = 64,
            progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss on an n×n grid θ = center + a·d1 + b·d2, a ∈ [−span, span], b ∈ [−span2, span2].

    Returns (a (n,), b (n,), losses (n, n) indexed [j (b), i (a)]).
    """
    span2 = span if span2 is None else span2
    a = torch.linspace(-span, span, n)
    b = torch.linspace(-span2, span2, n)
    ga, gb = torch.meshgrid(a, b, indexing="xy")  # (n, n): row = b, column = a
    thetas = center[None] + ga.reshape(-1, 1) * d1[None] + gb.reshape(-1, 1) * d2[None]
    z = batched_losses(model, thetas, x, y, chunk=chunk, progress=progress)
    return a.numpy(), b.numpy(), z.reshape(n, n)


def surface_naive(model: nn.Module, center, d1, d2, x, y, n: int = 51, span: float = 1.0) -> np.ndarray:
    """The per-point loop (a model copy per grid point) — the baseline for the benchmark only."""
    import copy

    a = torch.linspace(-span, span, n)
    z = np.empty((n, n))
    with torch.no_grad():
        for j, bj in enumerate(a):
            for i, ai in enumerate(a):
                m = copy.deepcopy(model)
                for p, v in zip(m.parameters(), unflatten(model, center + ai * d1 + bj * d2).values()):
                    p.copy_(v)
                z[j, i] = float(F.cross_entropy(m(x), y))
    return z


# -- curvature -------------------------------------------------------------------------------
def hvp_fn(model: nn.Module, theta: torch.Tensor, x, y) -> Callable[[torch.Tensor], torch.Tensor]:
    """v ↦ H(θ)·v for the mean cross-entropy (forward-over-reverse)."""
    g = grad(loss_fn(model, x, y))

    def hvp(v):
        return jvp(g, (theta,), (v,))[1]

    return hvp


def top_eigenvalue(model: nn.Module, theta: torch.Tensor, x, y, iters: int = 30, seed: int = 0,
                   tol: float = 1e-4) -> tuple[float, list[float]]:
    """Largest-magnitude Hessian eigenvalue by power iteration: (λ, estimates per iteration)."""
    hvp = hvp_fn(model, theta, x, y)
    v = torch.randn(theta.shape, generator=torch.Generator().manual_seed(seed))
    v /= v.norm()
    history: list[float] = []
    for _ in range(iters):
        hv = hvp(v)
        lam = float(v @ hv)
        history.append(lam)
        nrm = hv.norm()
        if not torch.isfinite(nrm) or nrm == 0:
            break
        v = hv / nrm
        if len(history) > 2 and abs(history[-1] - history[-2]) <= tol * max(1.0, abs(lam)):
            break
    return history[-1], history


def lanczos(hvp: Callable, dim: int, m: int, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """m Lanczos steps (full reorthogonalization) from a random unit vector: the Ritz
    values (k,) and their weights τ_k = (first component of the eigenvector)² (sum to 1)."""
    m = min(m, dim)
    q = torch.randn(dim, generator=gen, dtype=torch.float64)
    q /= q.norm()
    qs, alphas, betas = [q], [], []
    for k in range(m):
        w = hvp(qs[-1].float()).double()
        alpha = float(w @ qs[-1])
        w = w - alpha * qs[-1] - (betas[-1] * qs[-2] if k else 0)
        basis = torch.stack(qs)
        w = w - basis.T @ (basis @ w)  # full reorthogonalization
        alphas.append(alpha)
        beta = float(w.norm())
        if k == m - 1 or beta < 1e-10:
            break
        betas.append(beta)
        qs.append(w / beta)
    t = np.diag(alphas) + np.diag(betas[: len(alphas) - 1], 1) + np.diag(betas[: len(alphas) - 1], -1)
    evals, evecs = np.linalg.eigh(t)
    return evals, evecs[0] ** 2


def spectrum(model: nn.Module, theta: torch.Tensor, x, y, m: int = 30, probes: int = 3, seed: int = 0,
             bins: int = 200, sigma: float | None = None) -> dict:
    """Stochastic Lanczos quadrature estimate of the Hessian eigenvalue density.

    Returns {"ritz": list of (values, weights) per probe, "grid": (bins,), "density": (bins,)}
    — the density is a Gaussian-smoothed sum of Ritz values weighted by τ, averaged over probes,
    and integrates to 1 over the grid.
    """
    hvp = hvp_fn(model, theta, x, y)
    gen = torch.Generator().manual_seed(seed)
    ritz = [lanczos(hvp, theta.numel(), m, gen) for _ in range(probes)]
    vals = np.concatenate([r[0] for r in ritz])
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.05 * max(hi - lo, 1e-6)
    grid = np.linspace(lo - pad, hi + pad, bins)
    s = sigma or max((hi - lo) / 60, 1e-6)
    dens = np.zeros(bins)
    for v, w in ritz:
        dens += (w[:, None] * np.exp(-0.5 * ((grid[None] - v[:, None]) / s) ** 2)).sum(0) / (s * math.sqrt(2 * math.pi))
    dens /= probes
    return {"ritz": ritz, "grid": grid, "density": dens}


def subset(data: Data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n training examples (the data a surface or a Hessian is measured on)."""
    n = max(1, min(n, len(data.y_train)))
    return data.x_train[:n], data.y_train[:n]


def flat_region(z: np.ndarray, threshold: float) -> float:
    """Share of a surface within ``threshold`` of its minimum — a width of the basin."""
    return float(np.mean(z <= np.nanmin(z) + threshold))
