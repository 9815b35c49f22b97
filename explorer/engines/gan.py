"""A GAN on 2-D targets, trained live (in the spirit of GAN Lab).

Targets (units: the plane's coordinates; the view spans [−EXTENT, EXTENT]²):

* ``ring``     8 Gaussians on a circle of radius 2, each with std ``spread``
* ``grid``     9 Gaussians on a 3×3 grid (spacing 1.5)
* ``spiral``   one arm of 1.75 turns with Gaussian jitter ``spread``; 8 modes = 8 arcs of equal parameter
* ``moons``    two half-moons with jitter ``spread``; 8 modes = 4 arcs per moon
* ``mixture``  Gaussians at the user's ``centres`` (1..12 points typed as ``"x,y; x,y; …"``)

Networks: G maps a 2-D standard-normal latent z through two hidden ReLU layers of ``width``
units to a point x = G(z); D maps a point through two LeakyReLU(0.2) layers to one number
(a logit for the minimax / non-saturating losses, a critic score for WGAN, WGAN-GP and
hinge: no sigmoid, no batch norm). Each iteration makes ``d_steps`` updates of D, then one of
G, on fresh batches of ``batch`` real and fake points. Both nets train with Adam (β = 0.5,
0.9), except WGAN with clipping, which uses RMSProp as in Arjovsky et al. (momentum makes a
clipped critic unstable). :data:`RECIPES` gives each loss's recommended learning rate and D
steps: the critic losses need a near-optimal critic, so 5 D updates per G update (WGAN,
WGAN-GP, SN-GAN all use n_critic = 5); with 1 they wander and cover 0–2 of 8 modes.

Losses (d_r = D(x_real), d_f = D(G(z)); softplus(t) = log(1 + eᵗ)):

=================  =====================================================  ======================
loss               L_D                                                    L_G
=================  =====================================================  ======================
minimax            softplus(−d_r) + softplus(d_f)                         −softplus(d_f)
non-saturating     softplus(−d_r) + softplus(d_f)                         softplus(−d_f)
WGAN (clipping)    d_f − d_r; D's weights clipped to [−CLIP, CLIP]        −d_f
WGAN-GP            d_f − d_r + GP_WEIGHT·(‖∇D(x̂)‖ − 1)², x̂ = εx_r+(1−ε)x_f   −d_f
hinge              relu(1 − d_r) + relu(1 + d_f)                          −d_f
=================  =====================================================  ======================

(each averaged over the batch). Spectral normalization (Miyato et al. 2018) divides each of
D's weight matrices by its largest singular value, estimated by one power iteration per
training forward pass (:class:`SNLinear`).

Mode collapse is measured on ``N_EVAL`` fixed latent samples: a sample is **high quality**
when it lies within ``QUALITY_SIGMAS``·spread of the target (of a Gaussian's centre, or of
the noise-free curve), and counts for the mode it is nearest to; a mode is **covered** when
it holds at least ``MIN_SHARE`` of its fair share N_EVAL / n_modes of high-quality samples.

One step of :meth:`Trainer.advance` is ``ITERS_PER_STEP`` iterations.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import EpochLoop, check

TARGETS = ("ring", "grid", "spiral", "moons", "mixture")
LOSSES = ("minimax", "nonsat", "wgan", "wgan_gp", "hinge")
CRITIC_LOSSES = ("wgan", "wgan_gp", "hinge")  # D outputs an unbounded score, not a logit
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3)
BATCHES = (64, 128, 256, 512)
WIDTHS = (32, 64, 128)
LATENT = 2
EXTENT = 3.0
RING_RADIUS = 2.0
N_CURVE_MODES = 8
MAX_CENTRES = 12
CENTRE_LIMIT = 2.5
# λ of WGAN-GP. 10 is the paper's image setting; its authors' toy script (gan_toy.py,
# "smaller lambda seems to help for toy tasks specifically") uses 0.1: on the ring, λ = 10
# with 5 critic steps covers 0–1 of 8 modes after 2,500 updates, λ = 0.1 covers 8 within 200.
GP_WEIGHT = 0.1
CLIP = 0.05  # WGAN's clip c (Arjovsky: 0.01, with RMSProp 5e-5, needs ~10⁵ updates; 0.05 and 1e-3 learn live)
# loss → (optimizer, learning rate, D steps per G step): the defaults the page's "auto" picks
RECIPES = {"minimax": ("Adam", 1e-3, 1), "nonsat": ("Adam", 1e-3, 1), "wgan": ("RMSProp", 1e-3, 5),
           "wgan_gp": ("Adam", 1e-3, 5), "hinge": ("Adam", 3e-4, 5)}
ADAM_BETAS = (0.5, 0.9)
ITERS_PER_STEP = 10
N_EVAL = 2000
N_SHOW = 512
N_ARROWS = 80
MAP_N = 61
MANIFOLD_LINES, MANIFOLD_PTS, MANIFOLD_Z = 11, 41, 2.0
QUALITY_SIGMAS = 3.0
MIN_SHARE = 0.25
DEFAULT_CENTRES = ((-1.5, -1.5), (1.5, 1.5), (1.5, -1.5), (0.0, 0.0))
MAX_HISTORY = 20_000


def parse_centres(text: str) -> tuple[tuple[float, float], ...]:
    """``"x,y; x,y; …"`` → ((x, y), …). Raises ``ValueError("centres: …")`` with a message a
    user can act on (which entry, what is wrong)."""
    parts = [p.strip() for p in re.split(r"[;\n]", str(text)) if p.strip()]
    check(len(parts) >= 1, "centres", "type at least one centre as x,y (several separated by ;)")
    check(len(parts) <= MAX_CENTRES, "centres", f"at most {MAX_CENTRES} centres (got {len(parts)})")
    out = []
    for i, part in enumerate(parts, 1):
        nums = [s for s in re.split(r"[,\s]+", part) if s]
        check(len(nums) == 2, "centres", f"centre {i} ({part!r}) must be two numbers x,y")
        try:
            x, y = float(nums[0]), float(nums[1])
        except ValueError:
            raise ValueError(f"centres: centre {i} ({part!r}) is not two numbers") from None
        check(math.isfinite(x) and math.isfinite(y) and abs(x) <= CENTRE_LIMIT and abs(y) <= CENTRE_LIMIT,
              "centres", f"centre {i} ({part!r}) must lie in [−{CENTRE_LIMIT:g}, {CENTRE_LIMIT:g}] on both axes")
        out.append((x, y))
    return tuple(out)


def format_centres(centres) -> str:
    return "; ".join(f"{x:g},{y:g}" for x, y in centres)


@dataclass(frozen=True)
class Config:
    """A run. ``spread``: std of each Gaussian (or the curve's jitter), plane units;
    ``centres``: the mixture's centres (used when target is ``mixture``); ``d_steps``: D
    updates per G update; ``sn``: spectral normalization on D."""

    target: str = "ring"
    spread: float = 0.1
    centres: tuple = DEFAULT_CENTRES
    loss: str = "nonsat"
    sn: bool = False
    d_steps: int = 1
    lr: float = 1e-3
    batch: int = 256
    width: int = 128
    seed: int = 0

    def __post_init__(self):
        check(self.target in TARGETS, "target", f"must be one of {TARGETS}")
        check(isinstance(self.spread, (int, float)) and 0.02 <= self.spread <= 0.5, "spread", "must be in [0.02, 0.5]")
        check(isinstance(self.centres, tuple) and 1 <= len(self.centres) <= MAX_CENTRES
              and all(len(c) == 2 and all(math.isfinite(v) and abs(v) <= CENTRE_LIMIT for v in c)
                      for c in self.centres), "centres", f"1..{MAX_CENTRES} (x, y) pairs in [−2.5, 2.5]")
        check(self.loss in LOSSES, "loss", f"must be one of {LOSSES}")
        check(isinstance(self.sn, bool), "sn", "must be True or False")
        check(isinstance(self.d_steps, int) and 1 <= self.d_steps <= 10, "d_steps", "must be 1..10")
        check(self.lr in LEARNING_RATES, "lr", f"must be one of {LEARNING_RATES}")
        check(self.batch in BATCHES, "batch", f"must be one of {BATCHES}")
        check(self.width in WIDTHS, "width", f"must be one of {WIDTHS}")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


# -- targets ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A 2-D target distribution and what defines its modes. ``anchors`` (M, 2): the
    Gaussians' centres, or dense points on the noise-free curve; ``anchor_mode`` (M,): the
    mode each anchor belongs to; ``radius``: the high-quality distance (plane units)."""

    name: str
    spread: float
    n_modes: int
    anchors: np.ndarray
    anchor_mode: np.ndarray
    radius: float
    centres: np.ndarray  # (K, 2) mixture centres, or (0, 2) for a curve

    @property
    def is_mixture(self) -> bool:
        return len(self.centres) > 0


def _spiral(t: np.ndarray) -> np.ndarray:
    ang = 3.5 * np.pi * t
    r = 0.35 + 2.05 * t
    return np.stack([r * np.cos(ang), r * np.sin(ang)], axis=-1)


def _moons(t: np.ndarray) -> np.ndarray:
    """t in [0, 2): [0, 1) the upper moon, [1, 2) the lower one (scaled ×1.6, centred)."""
    upper = t < 1
    a = np.pi * np.where(upper, t, t - 1)
    x = np.where(upper, np.cos(a), 1 - np.cos(a))
    y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
    return 1.6 * np.stack([x - 0.5, y - 0.25], axis=-1)


def make_target(cfg: Config) -> Target:
    if cfg.target in ("ring", "grid", "mixture"):
        if cfg.target == "ring":
            a = 2 * np.pi * np.arange(8) / 8
            c = RING_RADIUS * np.stack([np.cos(a), np.sin(a)], axis=1)
        elif cfg.target == "grid":
            g = np.array([-1.5, 0.0, 1.5])
            c = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
        else:
            c = np.array(cfg.centres, dtype=np.float64).reshape(-1, 2)
        k = len(c)
        return Target(cfg.target, cfg.spread, k, c, np.arange(k), QUALITY_SIGMAS * cfg.spread, c)
    t = np.linspace(0, 1, 800, endpoint=False) + 0.5 / 800
    if cfg.target == "spiral":
        anchors, mode = _spiral(t), np.floor(t * N_CURVE_MODES).astype(int)
    else:
        tt = 2 * t
        anchors, mode = _moons(tt), np.floor(tt * N_CURVE_MODES / 2).astype(int)
    return Target(cfg.target, cfg.spread, N_CURVE_MODES, anchors, mode, QUALITY_SIGMAS * cfg.spread,
                  np.zeros((0, 2)))


def sample_target(target: Target, n: int, gen: torch.Generator) -> torch.Tensor:
    """n points (n, 2) float32 from the target, drawn with ``gen``."""
    if target.is_mixture:
        idx = torch.randint(len(target.centres), (n,), generator=gen)
        base = torch.as_tensor(target.centres, dtype=torch.float32)[idx]
    else:
        t = torch.rand(n, generator=gen, dtype=torch.float64).numpy()
        base = torch.as_tensor(_spiral(t) if target.name == "spiral" else _moons(2 * t), dtype=torch.float32)
    return base + target.spread * torch.randn(n, 2, generator=gen)


# -- the mode-collapse measure ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """``counts`` (K,): high-quality samples nearest each mode; ``covered`` (K,) bool;
    ``n_covered``; ``hq_share``: high-quality samples / all samples."""

    counts: np.ndarray
    covered: np.ndarray
    n_covered: int
    hq_share: float


def coverage(samples: np.ndarray, anchors: np.ndarray, anchor_mode: np.ndarray, n_modes: int, radius: float,
             min_share: float = MIN_SHARE) -> Coverage:
    """Modes covered and high-quality share of ``samples`` (n, 2) (see the module docstring).
    Non-finite samples count as low quality."""
    x = np.asarray(samples, dtype=np.float64)
    n = len(x)
    ok = np.isfinite(x).all(axis=1)
    d2 = ((np.where(ok[:, None], x, 0)[:, None, :] - np.asarray(anchors)[None]) ** 2).sum(-1)
    near = d2.argmin(axis=1)
    hq = ok & (d2[np.arange(n), near] <= radius ** 2)
    counts = np.bincount(np.asarray(anchor_mode)[near[hq]], minlength=n_modes).astype(np.int64)
    covered = counts >= min_share * n / n_modes
    return Coverage(counts, covered, int(covered.sum()), float(hq.mean()) if n else 0.0)


# -- losses ---------------------------------------------------------------------------------------------------
def d_loss(kind: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """D's (critic's) loss from its outputs on real and fake batches, without the gradient
    penalty (see :func:`gradient_penalty`)."""
    if kind in ("minimax", "nonsat"):
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    if kind in ("wgan", "wgan_gp"):
        return d_fake.mean() - d_real.mean()
    if kind == "hinge":
        return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
    raise ValueError(f"loss: unknown {kind!r}")


def g_loss_each(kind: str, d_fake: torch.Tensor) -> torch.Tensor:
    """G's loss per fake sample (the batch loss is its mean)."""
    if kind == "minimax":
        return -F.softplus(d_fake)  # = log(1 − σ(d_f))
    if kind == "nonsat":
        return F.softplus(-d_fake)  # = −log σ(d_f)
    if kind in CRITIC_LOSSES:
        return -d_fake
    raise ValueError(f"loss: unknown {kind!r}")


def g_loss(kind: str, d_fake: torch.Tensor) -> torch.Tensor:
    return g_loss_each(kind, d_fake).mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """WGAN-GP's penalty E[(‖∇ₓD(x̂)‖₂ − 1)²] on x̂ = ε·real + (1 − ε)·fake.

    real, fake: (n, d); eps: (n, 1) in [0, 1]. Returns (penalty scalar, interpolates (n, d));
    the penalty keeps its graph (create_graph) so that it trains D."""
    x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean(), x_hat


def g_loss_shapes(p: np.ndarray) -> dict[str, np.ndarray]:
    """G's per-sample loss as a function of D's probability p = σ(d_f) ∈ (0, 1) on a fake:
    minimax log(1 − p) (flat where D rejects the fake, p → 0: the gradient vanishes early in
    training), non-saturating −log p (steep there), and the critic losses' −d_f written with
    d_f = logit(p) (linear in the score)."""
    p = np.clip(np.asarray(p, np.float64), 1e-12, 1 - 1e-12)
    return {"minimax: log(1 − D)": np.log1p(-p), "non-saturating: −log D": -np.log(p),
            "WGAN / hinge: −score (score = logit D)": -np.log(p / (1 - p))}


# -- networks ------------------------------------------------------------------------------------------------
def _init_linear(lin: nn.Linear, gen: torch.Generator) -> None:
    """torch's default Linear init, drawn from ``gen``."""
    nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=gen)
    bound = 1 / math.sqrt(lin.weight.shape[1])
    nn.init.uniform_(lin.bias, -bound, bound, generator=gen)


def power_iteration(w: torch.Tensor, u: torch.Tensor, n_iter: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Estimate the largest singular value of ``w`` (out, in) from the left vector ``u``
    (out,): n_iter rounds of v = Wᵀu/‖Wᵀu‖, u = Wv/‖Wv‖. Returns (σ = uᵀWv, u, v); σ keeps
    its graph through w (u and v are constants)."""
    with torch.no_grad():
        for _ in range(max(1, n_iter)):
            v = F.normalize(w.t() @ u, dim=0, eps=1e-12)
            u = F.normalize(w @ v, dim=0, eps=1e-12)
    return u @ w @ v, u, v


class SNLinear(nn.Module):
    """A Linear layer whose weight is divided by its spectral norm σ(W), estimated by power
    iteration (one round per training forward pass, persistent u, as in Miyato et al.)."""

    def __init__(self, n_in: int, n_out: int, gen: torch.Generator):
        super().__init__()
        self.lin = nn.Linear(n_in, n_out)
        _init_linear(self.lin, gen)
        self.register_buffer("u", F.normalize(torch.randn(n_out, generator=gen), dim=0))

    def normalized_weight(self, n_iter: int = 1) -> torch.Tensor:
        sigma, u, _ = power_iteration(self.lin.weight, self.u, n_iter if self.training else 0)
        if self.training:
            self.u.copy_(u)
        return self.lin.weight / sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.normalized_weight(), self.lin.bias)


def _linear(n_in: int, n_out: int, gen: torch.Generator, sn: bool) -> nn.Module:
    if sn:
        return SNLinear(n_in, n_out, gen)
    lin = nn.Linear(n_in, n_out)
    _init_linear(lin, gen)
    return lin


def generator_net(width: int, gen: torch.Generator) -> nn.Sequential:
    return nn.Sequential(_linear(LATENT, width, gen, False), nn.ReLU(), _linear(width, width, gen, False), nn.ReLU(),
                         _linear(width, 2, gen, False))


def discriminator_net(width: int, gen: torch.Generator, sn: bool) -> nn.Sequential:
    return nn.Sequential(_linear(2, width, gen, sn), nn.LeakyReLU(0.2), _linear(width, width, gen, sn),
                         nn.LeakyReLU(0.2), _linear(width, 1, gen, sn), nn.Flatten(0))


def optimizer_name(loss: str) -> str:
    """The optimizer a loss trains with: RMSProp for WGAN with clipping, Adam otherwise."""
    return RECIPES[loss][0]


def make_optimizer(loss: str, params, lr: float) -> torch.optim.Optimizer:
    if optimizer_name(loss) == "RMSProp":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS)


# -- training ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """After a step. Losses are averaged over the step's iterations (D's without the
    gradient penalty; ``gp`` is that penalty's mean, NaN unless WGAN-GP).

    ``grid`` (MAP_N,) the heat map's axis on both x and y; ``d_map`` (MAP_N, MAP_N) [row = y]:
    σ(D) for the logit losses, D's raw score for the critic losses (``map_kind`` "prob" /
    "critic"). ``real``/``fake`` (N_SHOW, 2) fixed real points and G's images of fixed
    latents; ``arrows`` (N_ARROWS, 2) −∂L_G/∂x at the first N_ARROWS fake points (per-sample
    loss); ``manifold`` (2, MANIFOLD_LINES, MANIFOLD_PTS, 2) G's image of the latent grid's
    lines (constant z₁, then constant z₂); coverage on N_EVAL fixed latents."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    d_loss: float
    g_loss: float
    gp: float
    seconds: float
    grid: np.ndarray = field(repr=False)
    d_map: np.ndarray = field(repr=False)
    map_kind: str = "prob"
    real: np.ndarray = field(repr=False, default=None)
    fake: np.ndarray = field(repr=False, default=None)
    arrows: np.ndarray = field(repr=False, default=None)
    manifold: np.ndarray = field(repr=False, default=None)
    mode_counts: np.ndarray = field(repr=False, default=None)
    mode_covered: np.ndarray = field(repr=False, default=None)
    cover_threshold: float = 0.0
    modes_covered: int = 0
    n_modes: int = 0
    hq_share: float = 0.0


class Trainer(EpochLoop):
    """The GAN of ``cfg`` on :func:`make_target`'s target; one step = ITERS_PER_STEP iterations."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.target = make_target(cfg)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self.G = generator_net(cfg.width, self._gen)
        self.D = discriminator_net(cfg.width, self._gen, cfg.sn)
        self.opt_g, self.opt_d = (make_optimizer(cfg.loss, net.parameters(), cfg.lr) for net in (self.G, self.D))
        fixed = torch.Generator().manual_seed(cfg.seed + 7919)
        self._z_eval = torch.randn(N_EVAL, LATENT, generator=fixed)  # the first N_SHOW are drawn
        self._real_show = sample_target(self.target, N_SHOW, fixed).numpy().astype(np.float64)
        self._grid = np.linspace(-EXTENT, EXTENT, MAP_N)
        gx, gy = np.meshgrid(self._grid, self._grid)
        self._grid_pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
        lines = np.linspace(-MANIFOLD_Z, MANIFOLD_Z, MANIFOLD_LINES)
        pts = np.linspace(-MANIFOLD_Z, MANIFOLD_Z, MANIFOLD_PTS)
        a, b = np.meshgrid(lines, pts, indexing="ij")  # (lines, pts)
        z = np.stack([np.stack([a, b], -1), np.stack([b, a], -1)])  # (2, lines, pts, 2)
        self._z_manifold = torch.tensor(z.reshape(-1, 2), dtype=torch.float32)
        self.epoch = self.step = 0
        self.seconds = 0.0
        self.diverged = False
        self._acc = [0.0, 0.0, 0.0, 0]
        self._hist: dict[str, list] = {k: [] for k in ("epoch", "step", "seconds", "d", "g", "modes", "hq")}
        self.snapshot = self._measure()

    # training ----------------------------------------------------------------------------------------
    def _fake(self, n: int) -> torch.Tensor:
        return self.G(torch.randn(n, LATENT, generator=self._gen))

    def _d_update(self) -> tuple[float, float]:
        cfg = self.cfg
        real = sample_target(self.target, cfg.batch, self._gen)
        with torch.no_grad():
            fake = self._fake(cfg.batch)
        loss = d_loss(cfg.loss, self.D(real), self.D(fake))
        gp = torch.zeros(())
        if cfg.loss == "wgan_gp":
            gp, _ = gradient_penalty(self.D, real, fake, torch.rand(cfg.batch, 1, generator=self._gen))
        self.opt_d.zero_grad(set_to_none=True)
        (loss + GP_WEIGHT * gp).backward()
        self.opt_d.step()
        if cfg.loss == "wgan":
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-CLIP, CLIP)
        return float(loss.detach()), float(gp.detach())

    def _g_update(self) -> float:
        loss = g_loss(self.cfg.loss, self.D(self._fake(self.cfg.batch)))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return float(loss.detach())

    def _epoch(self) -> None:
        t0 = time.perf_counter()
        self.G.train()
        self.D.train()
        dl = gp = gl = 0.0
        for _ in range(ITERS_PER_STEP):
            for _ in range(self.cfg.d_steps):
                a, b = self._d_update()
                dl += a / self.cfg.d_steps
                gp += b / self.cfg.d_steps
            gl += self._g_update()
            self.step += 1
        self._acc = [dl / ITERS_PER_STEP, gl / ITERS_PER_STEP, gp / ITERS_PER_STEP]
        self.epoch += 1
        self.seconds += time.perf_counter() - t0

    # measuring ----------------------------------------------------------------------------------------
    def _measure(self) -> Snapshot:
        cfg = self.cfg
        self.G.eval()
        self.D.eval()
        with torch.no_grad():
            fake_all = self.G(self._z_eval)
            d_grid = self.D(self._grid_pts)
            manifold = self.G(self._z_manifold).numpy().astype(np.float64)
        x = fake_all[:N_ARROWS].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(g_loss_each(cfg.loss, self.D(x)).sum(), x)
        fake_np = fake_all.numpy().astype(np.float64)
        d_grid = d_grid.numpy().astype(np.float64)
        critic = cfg.loss in CRITIC_LOSSES
        d_map = (d_grid if critic else 1 / (1 + np.exp(-np.clip(d_grid, -60, 60)))).reshape(MAP_N, MAP_N)
        t = self.target
        cov = coverage(fake_np, t.anchors, t.anchor_mode, t.n_modes, t.radius)
        dl, gl, gp = (self._acc[:3] if self.epoch else (float("nan"),) * 3)
        params_ok = all(torch.isfinite(p).all() for p in self.G.parameters())
        diverged = bool(self.epoch and (not (math.isfinite(dl) and math.isfinite(gl)) or not params_ok
                                        or not np.isfinite(fake_np).all()))
        self.diverged = diverged
        for k, v in (("epoch", self.epoch), ("step", self.step), ("seconds", self.seconds), ("d", dl), ("g", gl),
                     ("modes", cov.n_covered), ("hq", cov.hq_share)):
            self._hist[k].append(v)
        if len(self._hist["epoch"]) > MAX_HISTORY:
            for k in self._hist:
                self._hist[k] = self._hist[k][::2]
        return Snapshot(epoch=self.epoch, step=self.step, train_loss=dl, test_loss=gl, diverged=diverged,
                        d_loss=dl, g_loss=gl, gp=gp if cfg.loss == "wgan_gp" else float("nan"), seconds=self.seconds,
                        grid=self._grid, d_map=d_map, map_kind="critic" if critic else "prob", real=self._real_show,
                        fake=fake_np[:N_SHOW], arrows=-grad.numpy().astype(np.float64),
                        manifold=manifold.reshape(2, MANIFOLD_LINES, MANIFOLD_PTS, 2), mode_counts=cov.counts,
                        mode_covered=cov.covered, cover_threshold=MIN_SHARE * N_EVAL / t.n_modes,
                        modes_covered=cov.n_covered, n_modes=t.n_modes, hq_share=cov.hq_share)

    def history(self, upto_epoch: int | None = None) -> dict[str, np.ndarray]:
        """Per-step curves (epoch, step, seconds, d, g, modes, hq) up to ``upto_epoch``."""
        h = {k: np.asarray(v, dtype=np.float64) for k, v in self._hist.items()}
        if upto_epoch is not None:
            keep = h["epoch"] <= upto_epoch
            h = {k: v[keep] for k, v in h.items()}
        return h
