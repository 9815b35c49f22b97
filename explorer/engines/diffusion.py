"""Denoising diffusion (Ho et al. 2020, DDPM; Song et al. 2021, DDIM) on 2-D point sets.

Conventions: steps are 0-based. ``x_0`` is data; index ``t`` in ``0..T−1`` is the paper's
step t+1, so ``alpha_bar[t] = ∏_{s≤t} (1 − β_s)`` is the signal kept in ``x_{t+1}`` and
``alpha_bar_prev[0] = 1`` (the data). Forward marginal (closed form):

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),     one step: x_t = √(1 − β_t) x_{t−1} + √β_t ε.

The denoiser ε_θ(x_t, t) predicts the noise; its loss is the ε-prediction MSE
``E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²`` (mean over coordinates).
Pure math (schedules, kernels, posteriors, samplers, metrics) plus the live 2-D trainer;
the MNIST denoiser is in :mod:`explorer.engines.diffusion_mnist`.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from explorer.engines.contract import EpochLoop, check

SCHEDULES = ("linear", "cosine")
STEP_CHOICES = (50, 100, 200, 500, 1000)
DATASETS = ("moons", "gaussians", "swiss", "rings", "checker")
DATASET_LABELS = {"moons": "Two moons", "gaussians": "Eight Gaussians", "swiss": "Swiss roll",
                  "rings": "Two rings", "checker": "Checkerboard"}
LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2)
WIDTHS = (32, 64, 128, 256)
COSINE_S = 0.008
MAX_BETA = 0.999
N_DATA = 2000
N_EVAL = 1000      # held-out points for the test loss and the quality metrics
N_SAMPLES = 600    # samples drawn per snapshot
BATCH = 256
STEPS_PER_EPOCH = 50
SNAPSHOT_DDIM = 20  # the live preview samples with DDIM in this many steps (η = 0)
# x̂_0 is clipped to this box while sampling points: the data are standardized (|x| < 2.5), and
# near x_T (ᾱ ≈ 1e-4) an unclipped x̂_0 = (x − √(1−ᾱ) ε̂)/√ᾱ multiplies ε̂'s error by ~100.
CLIP = 3.0


# -- schedules ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Schedule:
    """A noise schedule of T steps: float64 arrays ``[T]``. ``post_var`` is the DDPM
    posterior variance β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t)·β_t; ``snr`` = ᾱ_t/(1 − ᾱ_t)."""

    kind: str
    betas: np.ndarray
    alphas: np.ndarray
    alpha_bar: np.ndarray
    alpha_bar_prev: np.ndarray
    post_var: np.ndarray
    snr: np.ndarray

    @property
    def T(self) -> int:
        return len(self.betas)


def linear_betas(T: int) -> np.ndarray:
    """Ho et al. 2020: β from 1e-4 to 0.02 over T = 1000, scaled by 1000/T for other T (as in
    Nichol & Dhariwal's code) so that ᾱ_T stays ≈ e^-5 whatever T is."""
    scale = 1000.0 / T
    return np.linspace(scale * 1e-4, scale * 0.02, T, dtype=np.float64)


def cosine_alpha_bar(T: int, s: float = COSINE_S) -> np.ndarray:
    """Nichol & Dhariwal 2021: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), t = 1..T."""
    f = lambda t: np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2  # noqa: E731
    return f(np.arange(1, T + 1, dtype=np.float64)) / f(0.0)


def make_schedule(kind: str, T: int) -> Schedule:
    """The ``linear`` or ``cosine`` schedule with T steps (cosine β clipped at 0.999)."""
    check(kind in SCHEDULES, "schedule", f"must be one of {SCHEDULES}")
    check(isinstance(T, int) and 2 <= T <= 4000, "T", "must be 2..4000")
    if kind == "linear":
        betas = linear_betas(T)
    else:
        ab = cosine_alpha_bar(T)
        betas = np.minimum(1 - ab / np.concatenate([[1.0], ab[:-1]]), MAX_BETA)
    alphas = 1 - betas
    ab = np.cumprod(alphas)
    prev = np.concatenate([[1.0], ab[:-1]])
    return Schedule(kind, betas, alphas, ab, prev, (1 - prev) / (1 - ab) * betas, ab / (1 - ab))


# -- forward process ---------------------------------------------------------------------------------
def q_sample(x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, sched: Schedule) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε for per-row steps ``t`` (long [N]); x0, eps [N, ...]."""
    ab = torch.as_tensor(sched.alpha_bar, dtype=x0.dtype)[t].view(-1, *([1] * (x0.dim() - 1)))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def forward_chain(x0: np.ndarray, sched: Schedule, keep: np.ndarray, seed: int) -> np.ndarray:
    """Run the one-step kernel x_t = √(1−β_t) x_{t−1} + √β_t ε from x_0 through all T steps.

    x0: [N, ...]; keep: step indices to store (0-based, after that step). Returns
    ``[len(keep), N, ...]`` float64.
    """
    g = np.random.default_rng(seed)
    keep = set(int(k) for k in keep)
    x = np.asarray(x0, dtype=np.float64).copy()
    out = {}
    for t in range(sched.T):
        x = np.sqrt(sched.alphas[t]) * x + np.sqrt(sched.betas[t]) * g.standard_normal(x.shape)
        if t in keep:
            out[t] = x.copy()
    return np.stack([out[k] for k in sorted(out)])


def noised_views(x0: np.ndarray, sched: Schedule, steps: np.ndarray, seed: int) -> np.ndarray:
    """x_t of one x_0 [...] at each of ``steps`` (closed form, one shared ε): [len(steps), ...]."""
    eps = np.random.default_rng(seed).standard_normal(np.shape(x0))
    ab = sched.alpha_bar[np.asarray(steps)].reshape(-1, *([1] * np.ndim(x0)))
    return np.sqrt(ab) * np.asarray(x0)[None] + np.sqrt(1 - ab) * eps[None]


def posterior(x0, xt, t: int, sched: Schedule):
    """q(x_{t−1} | x_t, x_0) = N(μ̃, β̃_t): returns (μ̃, β̃_t) with
    μ̃ = √ᾱ_{t−1} β_t/(1−ᾱ_t) x_0 + √α_t (1−ᾱ_{t−1})/(1−ᾱ_t) x_t."""
    ab, prev, beta = sched.alpha_bar[t], sched.alpha_bar_prev[t], sched.betas[t]
    mean = math.sqrt(prev) * beta / (1 - ab) * x0 + math.sqrt(sched.alphas[t]) * (1 - prev) / (1 - ab) * xt
    return mean, float(sched.post_var[t])


# -- reverse steps (shared by both samplers, also used on images) ------------------------------------
def predict_x0(xt, eps, ab: float, clip: float | None = None):
    x0 = (xt - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return x0.clamp(-clip, clip) if clip else x0


def ddpm_step(xt, t: int, eps, z, sched: Schedule, clip: float | None = None):
    """One ancestral DDPM step: the posterior mean at the predicted x̂_0 plus √β̃_t z (no noise at t = 0)."""
    x0 = predict_x0(xt, eps, float(sched.alpha_bar[t]), clip)
    mean, var = posterior(x0, xt, t, sched)
    return mean + (math.sqrt(var) * z if t > 0 else 0.0)


def ddim_sigma(ab_t: float, ab_s: float, eta: float) -> float:
    """DDIM's σ for a jump t → s: η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s)."""
    return eta * math.sqrt((1 - ab_s) / (1 - ab_t)) * math.sqrt(max(0.0, 1 - ab_t / ab_s))


def ddim_step(xt, ab_t: float, ab_s: float, eps, z, eta: float, clip: float | None = None):
    """One DDIM jump from ᾱ_t to ᾱ_s (ᾱ_s = 1 for the data):
    x_s = √ᾱ_s x̂_0 + √(1−ᾱ_s−σ²) ε̂ + σ z."""
    x0 = predict_x0(xt, eps, ab_t, clip)
    if clip:  # keep ε consistent with the clipped x̂_0
        eps = (xt - math.sqrt(ab_t) * x0) / math.sqrt(1 - ab_t)
    sigma = ddim_sigma(ab_t, ab_s, eta)
    out = math.sqrt(ab_s) * x0 + math.sqrt(max(0.0, 1 - ab_s - sigma ** 2)) * eps
    return out + sigma * z if sigma > 0 else out


def ddim_timesteps(T: int, n: int) -> np.ndarray:
    """n distinct step indices from T−1 down to 0, evenly spaced."""
    return np.unique(np.linspace(0, T - 1, max(1, min(n, T))).round().astype(int))[::-1].copy()


@dataclass(frozen=True)
class Trajectory:
    """A reverse run: ``steps`` [S] the step index each frame was taken after (T = pure noise),
    ``x`` [S, N, ...] float32 frames from x_T to x_0, ``seconds`` the sampler's wall time,
    ``evals`` network evaluations."""

    steps: np.ndarray
    x: np.ndarray
    seconds: float
    evals: int


def _frames_to_keep(n_steps: int, keep: int) -> set:
    """Frame numbers (0 = x_T, n_steps = the final x_0) to store: about ``keep``, evenly spaced,
    always the last."""
    return set(np.linspace(0, n_steps, max(2, min(keep, n_steps + 1))).round().astype(int).tolist())


@torch.no_grad()
def sample(model: nn.Module, sched: Schedule, xT: torch.Tensor, method: str = "ddpm", n_steps: int | None = None,
           eta: float = 0.0, seed: int = 0, keep: int = 30, clip: float | None = None) -> Trajectory:
    """Reverse sampling from x_T [N, ...]: ancestral DDPM through all T steps, or DDIM through
    ``n_steps`` evenly spaced steps with stochasticity ``eta`` (η = 1, all steps: DDPM's
    variances). Keeps about ``keep`` evenly spaced frames (always the first and last)."""
    g = torch.Generator().manual_seed(int(seed))
    model.eval()
    x = xT.clone()
    seq = np.arange(sched.T)[::-1] if method == "ddpm" else ddim_timesteps(sched.T, n_steps or sched.T)
    kept_at = _frames_to_keep(len(seq), keep)
    frames, labels = [x.numpy().astype(np.float32)], [sched.T]
    t0 = time.perf_counter()
    for i, t in enumerate(seq):
        tt = torch.full((len(x),), int(t), dtype=torch.long)
        eps = model(x, tt)
        if method == "ddpm":
            z = torch.randn(x.shape, generator=g) if t > 0 else None
            x = ddpm_step(x, int(t), eps, z, sched, clip)
        else:
            s_ab = float(sched.alpha_bar[seq[i + 1]]) if i + 1 < len(seq) else 1.0
            z = torch.randn(x.shape, generator=g) if eta > 0 and i + 1 < len(seq) else None
            x = ddim_step(x, float(sched.alpha_bar[t]), s_ab, eps, z, eta if z is not None else 0.0, clip)
        if i + 1 in kept_at:
            frames.append(x.numpy().astype(np.float32))
            labels.append(int(seq[i + 1]) if i + 1 < len(seq) else 0)
    seconds = time.perf_counter() - t0
    return Trajectory(np.asarray(labels), np.stack(frames), seconds, len(seq))


# -- the 2-D data -------------------------------------------------------------------------------------
def make_points(name: str, n: int, seed: int) -> np.ndarray:
    """n points [n, 2] float32 of a 2-D set, centred and scaled to unit standard deviation per
    coordinate on average (so that data and N(0, I) noise are on the same scale)."""
    check(name in DATASETS, "dataset", f"must be one of {DATASETS}")
    rng = np.random.default_rng([seed, 11])
    if name == "moons":
        k = rng.integers(0, 2, n)
        a = rng.uniform(0, np.pi, n)
        x = np.where(k[:, None] == 0, np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(a), 0.5 - np.sin(a)])
        x = x + 0.06 * rng.standard_normal((n, 2))
    elif name == "gaussians":
        k = rng.integers(0, 8, n)
        ang = k * np.pi / 4
        x = 2.0 * np.c_[np.cos(ang), np.sin(ang)] + 0.12 * rng.standard_normal((n, 2))
    elif name == "swiss":
        r = rng.uniform(1.5 * np.pi, 4.5 * np.pi, n)
        x = np.c_[r * np.cos(r), r * np.sin(r)] / 5 + 0.08 * rng.standard_normal((n, 2))
    elif name == "rings":
        k = rng.integers(0, 2, n)
        a = rng.uniform(0, 2 * np.pi, n)
        rad = np.where(k == 0, 1.0, 2.0)
        x = rad[:, None] * np.c_[np.cos(a), np.sin(a)] + 0.06 * rng.standard_normal((n, 2))
    else:
        u = rng.uniform(-2, 2, (4 * n, 2))
        u = u[(np.floor(u[:, 0]) + np.floor(u[:, 1])) % 2 == 0][:n]
        x = u
    x = x - x.mean(axis=0)
    return (x / np.sqrt((x ** 2).mean())).astype(np.float32)


# -- quality ---------------------------------------------------------------------------------------------
def _mean_dist(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.spatial.distance import cdist

    return float(cdist(a, b).mean())


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """√(2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖) of two samples [n, d], [m, d] (V-statistic, as
    scipy.stats.energy_distance for d = 1); 0 for identical samples, ≥ 0 always."""
    x, y = np.asarray(x, np.float64).reshape(len(x), -1), np.asarray(y, np.float64).reshape(len(y), -1)
    v = 2 * _mean_dist(x, y) - _mean_dist(x, x) - _mean_dist(y, y)
    return float(np.sqrt(max(v, 0.0)))


def nn_dist(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Distance of each row of x [n, d] to its nearest row of ref [m, d] (or a cKDTree of it): [n]."""
    from scipy.spatial import cKDTree

    tree = ref if isinstance(ref, cKDTree) else cKDTree(np.asarray(ref, np.float64))
    return tree.query(np.asarray(x, np.float64), k=1)[0]


@dataclass(frozen=True)
class Quality:
    """``energy``: energy distance to held-out data (0 = same distribution); ``on_data``: share of
    samples as close to the training data as 95 % of held-out data points are (the data itself
    scores ≈ 0.95); ``radius``: that distance."""

    energy: float
    on_data: float
    radius: float


class Reference:
    """What :func:`quality` compares samples with, precomputed once: ``train`` [n, 2] and
    ``held_out`` [m, 2] points, the held-out set's mean self-distance and the 95 % radius."""

    def __init__(self, train: np.ndarray, held_out: np.ndarray):
        self.train = np.asarray(train, np.float64)
        self.held_out = np.asarray(held_out, np.float64)
        from scipy.spatial import cKDTree

        self.tree = cKDTree(self.train)
        self.self_dist = _mean_dist(self.held_out, self.held_out)
        self.radius = float(np.quantile(nn_dist(self.held_out, self.tree), 0.95))


def quality(samples: np.ndarray, train, held_out: np.ndarray | None = None) -> Quality:
    """Quality of samples [N, 2] against ``train`` and ``held_out`` points (or a :class:`Reference`
    passed as ``train``)."""
    ref = train if isinstance(train, Reference) else Reference(train, held_out)
    s = np.asarray(samples, np.float64)
    if not np.all(np.isfinite(s)):
        return Quality(float("nan"), 0.0, float("nan"))
    v = 2 * _mean_dist(s, ref.held_out) - _mean_dist(s, s) - ref.self_dist
    return Quality(float(np.sqrt(max(v, 0.0))), float((nn_dist(s, ref.tree) <= ref.radius).mean()), ref.radius)


# -- the denoiser ---------------------------------------------------------------------------------------
def time_embedding(t: torch.Tensor, dim: int, T: int) -> torch.Tensor:
    """Sinusoidal embedding [N, dim] of integer steps t [N], with t rescaled to 0..1000."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    arg = (t.float() * (1000.0 / T))[:, None] * freqs[None]
    return torch.cat([arg.sin(), arg.cos()], dim=1)


class PointDenoiser(nn.Module):
    """ε_θ(x, t) for points [N, d]: 3 hidden SiLU layers of ``width``; the time embedding is
    added to each hidden layer."""

    def __init__(self, width: int, T: int, dim: int = 2, emb: int = 32):
        super().__init__()
        self.T, self.emb = T, emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, width), nn.SiLU())
        self.inp = nn.Linear(dim, width)
        self.hidden = nn.ModuleList([nn.Linear(width, width) for _ in range(2)])
        self.t_proj = nn.ModuleList([nn.Linear(width, width) for _ in range(3)])
        self.out = nn.Linear(width, dim)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.t_mlp(time_embedding(t, self.emb, self.T))
        h = self.act(self.inp(x) + self.t_proj[0](e))
        for lin, proj in zip(self.hidden, self.t_proj[1:]):
            h = self.act(lin(h) + proj(e))
        return self.out(h)


def eps_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, sched: Schedule) -> torch.Tensor:
    """The DDPM training loss (Ho et al.'s L_simple): mean of (ε − ε_θ(x_t, t))² over all entries."""
    return ((model(q_sample(x0, t, eps, sched), t) - eps) ** 2).mean()


# -- the live 2-D trainer ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """A 2-D diffusion run: ``dataset`` (or ``points`` given to the trainer), schedule and T,
    the denoiser's ``width``, Adam's ``lr``; one epoch = ``steps_per_epoch`` minibatches of
    ``batch`` points."""

    dataset: str = "moons"
    schedule: str = "cosine"
    T: int = 200
    width: int = 128
    lr: float = 3e-3
    batch: int = BATCH
    steps_per_epoch: int = STEPS_PER_EPOCH
    seed: int = 0

    def __post_init__(self):
        check(self.dataset in DATASETS + ("latent",), "dataset", f"must be one of {DATASETS}")
        check(self.schedule in SCHEDULES, "schedule", f"must be one of {SCHEDULES}")
        check(isinstance(self.T, int) and 10 <= self.T <= 1000, "T", "must be 10..1000")
        check(isinstance(self.width, int) and 8 <= self.width <= 512, "width", "must be 8..512")
        check(isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 1e-5 <= self.lr <= 1.0, "lr",
              "must be in [1e-5, 1]")
        check(isinstance(self.batch, int) and 8 <= self.batch <= 4096, "batch", "must be 8..4096")
        check(isinstance(self.steps_per_epoch, int) and 1 <= self.steps_per_epoch <= 1000, "steps_per_epoch",
              "must be 1..1000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Snapshot:
    """After ``epoch`` epochs (``step`` Adam steps): mean training loss of the epoch, the
    ε-MSE on a fixed held-out set of (x_0, t, ε), ``samples`` [N_SAMPLES, 2] from a fixed
    x_T by DDIM in 20 steps, their :class:`Quality`."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    samples: np.ndarray
    energy: float
    on_data: float


class Trainer(EpochLoop):
    """Trains a :class:`PointDenoiser` on a 2-D set. ``points`` (optional [N, 2]) replaces the
    generated dataset (used for latent diffusion); it is held out 1/3 for evaluation."""

    def __init__(self, cfg: Config, points: np.ndarray | None = None):
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        if points is None:
            self.data = make_points(cfg.dataset, N_DATA, cfg.seed)
            self.held_out = make_points(cfg.dataset, N_EVAL, cfg.seed + 7919)
        else:
            p = np.asarray(points, np.float32)
            cut = len(p) * 2 // 3
            self.data, self.held_out = p[:cut], p[cut:]
        self.ref = Reference(self.data, self.held_out)
        self.sched = make_schedule(cfg.schedule, cfg.T)
        self.model = PointDenoiser(cfg.width, cfg.T)
        with torch.no_grad():
            for prm in self.model.parameters():  # re-draw every weight from the seeded generator
                if prm.dim() > 1:
                    bound = 1 / math.sqrt(prm.shape[1])
                    prm.copy_(torch.empty_like(prm).uniform_(-bound, bound, generator=g))
                else:
                    prm.zero_()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.gen = g
        self.x = torch.from_numpy(self.data)
        ev = torch.Generator().manual_seed(cfg.seed + 1)
        m = len(self.held_out)
        self.eval_x = torch.from_numpy(self.held_out)
        self.eval_t = torch.randint(0, cfg.T, (m,), generator=ev)
        self.eval_eps = torch.randn((m, 2), generator=ev)
        self.xT = torch.randn((N_SAMPLES, 2), generator=ev)
        self.epoch = self.step = 0
        self.diverged = False
        self._losses: list[float] = []
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        cfg = self.cfg
        self.model.train()
        losses = []
        for _ in range(cfg.steps_per_epoch):
            idx = torch.randint(0, len(self.x), (cfg.batch,), generator=self.gen)
            t = torch.randint(0, cfg.T, (cfg.batch,), generator=self.gen)
            eps = torch.randn((cfg.batch, 2), generator=self.gen)
            loss = eps_loss(self.model, self.x[idx], t, eps, self.sched)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.step += 1
            losses.append(float(loss.detach()))
            if not math.isfinite(losses[-1]):
                break
        self.epoch += 1
        self._losses = losses

    def _measure(self) -> Snapshot:
        with torch.no_grad():
            self.model.eval()
            test = float(eps_loss(self.model, self.eval_x, self.eval_t, self.eval_eps, self.sched))
        train = float(np.mean(self._losses)) if self._losses else test
        bad = not (math.isfinite(train) and math.isfinite(test)) or train > 1e6
        self.diverged = self.diverged or bad
        if self.diverged:
            samples = np.full((N_SAMPLES, 2), np.nan, np.float32)
            q = Quality(float("nan"), 0.0, float("nan"))
        else:
            samples = self.sample("ddim", SNAPSHOT_DDIM, keep=1).x[-1]
            q = quality(samples, self.ref)
        return Snapshot(self.epoch, self.step, train, test, self.diverged, samples, q.energy, q.on_data)

    def sample(self, method: str, n_steps: int | None = None, eta: float = 0.0, keep: int = 30,
               seed: int | None = None, n: int | None = None) -> Trajectory:
        """Reverse-sample from the fixed x_T (first ``n`` of them) with the current model."""
        xT = self.xT if n is None else torch.randn((n, 2), generator=torch.Generator().manual_seed(self.cfg.seed + 3))
        return sample(self.model, self.sched, xT, method, n_steps, eta,
                      self.cfg.seed + 5 if seed is None else seed, keep, clip=CLIP)

    def state_dict(self) -> dict:
        """A copy of everything that defines the run's future (weights, Adam, the batch generator)."""
        return copy.deepcopy({"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                              "gen": self.gen.get_state(), "epoch": self.epoch, "step": self.step,
                              "diverged": self.diverged})

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.gen.set_state(state["gen"])
        self.epoch, self.step, self.diverged = int(state["epoch"]), int(state["step"]), bool(state["diverged"])
        self.snapshot = self._measure()


@dataclass(frozen=True)
class Comparison:
    """DDPM vs DDIM on one trained model: per row a label, steps, η, seconds, energy distance
    and on-data share; ``samples`` [rows, N, 2]."""

    labels: tuple
    steps: np.ndarray
    eta: np.ndarray
    seconds: np.ndarray
    energy: np.ndarray
    on_data: np.ndarray
    samples: np.ndarray


def compare_samplers(trainer: Trainer, ddim_steps=(5, 10, 20, 50), eta: float = 0.0, n: int = N_SAMPLES,
                     repeats: int = 1) -> Comparison:
    """DDPM through all T steps against DDIM with each of ``ddim_steps`` (from the same x_T).
    Seconds: the fastest of ``repeats`` runs."""
    rows = [("ddpm", trainer.cfg.T, 1.0)] + [("ddim", k, eta) for k in ddim_steps if k <= trainer.cfg.T]
    labels, steps, etas, secs, en, on, smp = [], [], [], [], [], [], []
    for method, k, e in rows:
        runs = [trainer.sample(method, k, e, keep=1, n=n) for _ in range(max(1, repeats))]
        x = runs[0].x[-1]
        q = quality(x, trainer.ref)
        labels.append(f"DDPM, {k} steps" if method == "ddpm" else f"DDIM, {k} steps")
        steps.append(k), etas.append(e), secs.append(min(r.seconds for r in runs))
        en.append(q.energy), on.append(q.on_data), smp.append(x)
    return Comparison(tuple(labels), np.asarray(steps), np.asarray(etas), np.asarray(secs), np.asarray(en),
                      np.asarray(on), np.stack(smp))
