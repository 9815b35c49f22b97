"""Optimizers on small problems whose every step can be drawn.

Three analyses, each a pure function of a frozen config:

* :func:`race` — SGD, momentum, Nesterov, Adagrad, RMSProp, Adam, AdamW (``torch.optim``)
  and AdaBelief, AdaBound (:mod:`explorer.engines.optim_extra`) descend a 2-D test surface
  (:data:`SURFACES`) from one start point; :class:`RacePlayer` reveals the race step by step
  for the live player.
* :func:`batch_noise` — full-batch, mini-batch (32) and single-sample SGD on a real
  regression (scikit-learn's diabetes data, two standardized features): the path of the
  two weights and the loss after every update.
* :func:`second_order` — gradient descent vs Newton's method vs the natural gradient on an
  ill-conditioned quadratic and on fitting a Gaussian's (μ, σ) by maximum likelihood.

Surfaces take numpy arrays of any shape (the contour grid is one vectorized call) or torch
tensors (the tests check the closed-form gradients against autograd).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.engines.device import cap_threads
from explorer.engines.optim_extra import AdaBelief, AdaBound
from explorer.engines.contract import check as _check

DIVERGE_AT = 1e6  # |θ| or f beyond this counts as diverged




def _torch():
    """torch, with this process's intra-op threads capped (sessions share a few cores: two
    threads spinning against other work make a tiny model ~50× slower)."""
    import torch

    cap_threads()
    return torch


# --------------------------------------------------------------------------- surfaces
def _rosenbrock(x, y, xp=np):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)


def _beale_terms(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3


def _beale(x, y, xp=np):
    a, b, c = _beale_terms(x, y)
    return a ** 2 + b ** 2 + c ** 2


def _beale_grad(x, y):
    a, b, c = _beale_terms(x, y)
    gx = 2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1)
    gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2
    return gx, gy


def _saddle(x, y, xp=np):
    return 0.5 * x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2


def _saddle_grad(x, y):
    return x, y ** 3 - y


BOWL_A, BOWL_B = 0.02, 2.0  # curvatures 0.04 and 4: condition number 100


def _bowl(x, y, xp=np):
    return BOWL_A * x ** 2 + BOWL_B * y ** 2


def _bowl_grad(x, y):
    return 2 * BOWL_A * x, 2 * BOWL_B * y


def _rastrigin(x, y, xp=np):
    return 20 + x ** 2 - 10 * xp.cos(2 * math.pi * x) + y ** 2 - 10 * xp.cos(2 * math.pi * y)


def _rastrigin_grad(x, y):
    return 2 * x + 20 * math.pi * np.sin(2 * math.pi * x), 2 * y + 20 * math.pi * np.sin(2 * math.pi * y)


@dataclass(frozen=True)
class Surface:
    """A 2-D test function with its gradient, minima and a view that suits it.

    ``f(x, y, xp)`` works elementwise on numpy arrays (xp=np) or torch tensors (xp=torch);
    ``grad(x, y)`` is the closed form (numpy). ``window`` = (x0, x1, y0, y1);
    ``start`` the classic start point; ``lr_sgd``/``lr_adaptive`` learning rates that race
    well from it; ``log_view`` draws contours of log₁₀(f − f* + 10⁻³) (steep surfaces).
    """

    label: str
    f: Callable
    grad: Callable
    minima: tuple
    f_min: float
    window: tuple
    start: tuple
    lr_sgd: float
    lr_adaptive: float
    log_view: bool
    note: str


SURFACES: dict[str, Surface] = {
    "rosenbrock": Surface("Rosenbrock", _rosenbrock, _rosenbrock_grad, ((1.0, 1.0),), 0.0, (-2.0, 2.0, -1.0, 3.0),
                          (-1.5, 2.0), 1e-3, 0.2, True,
                          "a long curved banana valley: easy to reach, slow to follow to (1, 1)"),
    "beale": Surface("Beale", _beale, _beale_grad, ((3.0, 0.5),), 0.0, (-1.5, 4.5, -2.5, 2.5),
                     (1.0, 1.5), 3e-3, 0.1, True,
                     "flat plateaus and sharp ridges; the minimum sits at (3, 0.5)"),
    "saddle": Surface("Saddle", _saddle, _saddle_grad, ((0.0, 1.0), (0.0, -1.0)), -0.25, (-2.0, 2.0, -2.0, 2.0),
                      (-1.8, 0.01), 0.05, 0.05, False,
                      "a saddle at the origin between two minima (0, ±1): who escapes first?"),
    "bowl": Surface("Ill-conditioned bowl", _bowl, _bowl_grad, ((0.0, 0.0),), 0.0, (-4.0, 4.0, -3.0, 3.0),
                    (-3.5, 2.0), 0.3, 0.1, False,
                    "curvature 100× larger across than along: SGD zig-zags, momentum and Adam do not"),
    "rastrigin": Surface("Rastrigin", _rastrigin, _rastrigin_grad, ((0.0, 0.0),), 0.0, (-5.12, 5.12, -5.12, 5.12),
                         (4.5, 4.5), 4e-3, 0.5, False,
                         "a grid of local minima around the global one at (0, 0)"),
}


def grid(name: str, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), Z (n, n)) over the surface's window; Z[i, j] = f(xs[j], ys[i])."""
    _check(name in SURFACES, "surface", f"must be one of {tuple(SURFACES)}")
    _check(isinstance(n, int) and 8 <= n <= 400, "n", "must be 8..400")
    s = SURFACES[name]
    x0, x1, y0, y1 = s.window
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, s.f(X, Y)


# --------------------------------------------------------------------------- the race
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adabelief", "adabound")
LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "Adagrad",
          "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW", "adabelief": "AdaBelief",
          "adabound": "AdaBound"}
SGD_FAMILY = ("sgd", "momentum", "nesterov")  # take the plain learning rate η; the rest take α
ADABOUND_GAMMA = 0.01  # the bounds close within ~100 steps (the paper's 1e-3 suits 10⁵-step runs)
MAX_STEPS = 500


@dataclass(frozen=True)
class RaceConfig:
    """One race. ``lr_sgd`` (η) drives SGD, momentum and Nesterov and is AdaBound's final
    SGD rate; ``lr_adaptive`` (α) drives the adaptive methods. ``weight_decay`` is
    AdamW's decoupled λ. ``start`` is (x, y)."""

    surface: str = "beale"
    optimizers: tuple = OPTIMIZERS
    lr_sgd: float = 3e-3
    lr_adaptive: float = 0.1
    start: tuple = (1.0, 1.5)
    steps: int = 150
    weight_decay: float = 0.01

    def __post_init__(self):
        object.__setattr__(self, "optimizers", tuple(o for o in OPTIMIZERS if o in tuple(self.optimizers)))
        object.__setattr__(self, "start", tuple(float(v) for v in self.start))
        _check(self.surface in SURFACES, "surface", f"must be one of {tuple(SURFACES)}")
        _check(len(self.optimizers) >= 1, "optimizers", f"choose at least one of {OPTIMIZERS}")
        _check(math.isfinite(self.lr_sgd) and 0 < self.lr_sgd <= 10, "lr_sgd", "must be in (0, 10]")
        _check(math.isfinite(self.lr_adaptive) and 0 < self.lr_adaptive <= 10, "lr_adaptive", "must be in (0, 10]")
        _check(len(self.start) == 2 and all(math.isfinite(v) and abs(v) <= 10 for v in self.start),
               "start", "must be two numbers in [-10, 10]")
        _check(isinstance(self.steps, int) and 1 <= self.steps <= MAX_STEPS, "steps", f"must be 1..{MAX_STEPS}")
        _check(math.isfinite(self.weight_decay) and 0 <= self.weight_decay <= 1, "weight_decay", "must be in [0, 1]")


def make_optimizer(name: str, params, cfg: RaceConfig):
    """The torch optimizer ``name`` over ``params`` with the race's hyper-parameters."""
    torch = _torch()

    eta, alpha = cfg.lr_sgd, cfg.lr_adaptive
    makers = {
        "sgd": lambda: torch.optim.SGD(params, lr=eta),
        "momentum": lambda: torch.optim.SGD(params, lr=eta, momentum=0.9),
        "nesterov": lambda: torch.optim.SGD(params, lr=eta, momentum=0.9, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=alpha),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=alpha, alpha=0.99),
        "adam": lambda: torch.optim.Adam(params, lr=alpha),
        "adamw": lambda: torch.optim.AdamW(params, lr=alpha, weight_decay=cfg.weight_decay),
        "adabelief": lambda: AdaBelief(params, lr=alpha),
        "adabound": lambda: AdaBound(params, lr=alpha, final_lr=eta, gamma=ADABOUND_GAMMA),
    }
    _check(name in makers, "optimizer", f"must be one of {OPTIMIZERS}")
    return makers[name]()


@dataclass(frozen=True)
class RaceResult:
    """paths (K, steps+1, 2) positions; losses (K, steps+1) f(θ_t); both NaN after a racer
    diverges. ``diverged_at[k]`` is the first step whose value was not finite or beyond
    :data:`DIVERGE_AT` (−1 if never). ``names`` are optimizer ids, in the config's order."""

    names: tuple
    paths: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray


def race(cfg: RaceConfig) -> RaceResult:
    """Run every chosen optimizer for ``cfg.steps`` steps from ``cfg.start`` on the surface,
    with the closed-form gradient written into ``p.grad`` (float64)."""
    torch = _torch()

    s = SURFACES[cfg.surface]
    K, T = len(cfg.optimizers), cfg.steps
    paths = np.full((K, T + 1, 2), np.nan)
    losses = np.full((K, T + 1), np.nan)
    diverged = np.full(K, -1, dtype=int)
    for k, name in enumerate(cfg.optimizers):
        p = torch.tensor(cfg.start, dtype=torch.float64, requires_grad=True)
        opt = make_optimizer(name, [p], cfg)
        xy = np.array(cfg.start)
        for t in range(T + 1):
            f = float(s.f(xy[0], xy[1]))
            if not (np.isfinite(xy).all() and math.isfinite(f) and np.abs(xy).max() < DIVERGE_AT
                    and abs(f) < DIVERGE_AT):
                diverged[k] = t
                break
            paths[k, t], losses[k, t] = xy, f
            if t == T:
                break
            gx, gy = s.grad(xy[0], xy[1])
            p.grad = torch.tensor([gx, gy], dtype=torch.float64)
            opt.step()
            xy = p.detach().numpy().copy()
    return RaceResult(cfg.optimizers, paths, losses, diverged)


@dataclass(frozen=True)
class RaceSnapshot:
    """The race at one step: ``train_loss`` is the best f(θ_t) among racers still going,
    ``test_loss`` the worst; ``diverged`` when every racer has."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool


class RacePlayer:
    """The live player's view of a computed race: ``advance`` reveals further steps."""

    def __init__(self, result: RaceResult):
        self.result = result
        self.steps = result.paths.shape[1] - 1
        dead = np.flatnonzero(~np.isfinite(result.losses).any(axis=0))
        self._all_dead_at = int(dead[0]) if dead.size else self.steps  # a run stops where the last racer fell
        self.snapshot = self._at(0)

    def _at(self, t: int) -> RaceSnapshot:
        col = self.result.losses[:, t]
        alive = col[np.isfinite(col)]
        best = float(alive.min()) if alive.size else float("nan")
        worst = float(alive.max()) if alive.size else float("nan")
        return RaceSnapshot(epoch=t, step=t, train_loss=best, test_loss=worst, diverged=alive.size == 0)

    @property
    def finished(self) -> bool:
        return self.snapshot.step >= self.steps

    def advance(self, max_steps: int = 1, max_seconds: float = math.inf) -> RaceSnapshot:
        """Move up to ``max_steps`` steps on (the race is precomputed, so time is no issue)."""
        if not self.snapshot.diverged and not self.finished:
            self.snapshot = self._at(min(self._all_dead_at, self.snapshot.step + max(1, int(max_steps))))
        return self.snapshot


# --------------------------------------------------------------------------- gradient noise
BATCHES = ("full", "32", "1")
DIABETES_FEATURES = ("bmi", "s5")


@functools.lru_cache(maxsize=1)
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's diabetes data (bundled, 442 patients): X (442, 2) = standardized
    body-mass index and serum triglycerides (s5); y (442,) standardized disease progression."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    cols = [list(d.feature_names).index(c) for c in DIABETES_FEATURES]
    X = d.data[:, cols].astype(np.float64)
    X = (X - X.mean(0)) / X.std(0)
    y = d.target.astype(np.float64)
    return X, (y - y.mean()) / y.std()


def regression_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean ½(x·w − y)² for w (2,) or a grid of weights (..., 2)."""
    r = np.asarray(w) @ X.T - y  # (..., n)
    return 0.5 * np.mean(r ** 2, axis=-1)


@dataclass(frozen=True)
class NoiseConfig:
    """SGD on the diabetes regression: learning rate, number of updates (the same for every
    batch size), start weights, seed of the shuffles."""

    lr: float = 0.05
    updates: int = 200
    start: tuple = (-1.5, 2.0)
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "start", tuple(float(v) for v in self.start))
        _check(math.isfinite(self.lr) and 0 < self.lr <= 2, "lr", "must be in (0, 2]")
        _check(isinstance(self.updates, int) and 1 <= self.updates <= 2000, "updates", "must be 1..2000")
        _check(len(self.start) == 2 and all(math.isfinite(v) and abs(v) <= 10 for v in self.start),
               "start", "must be two numbers in [-10, 10]")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class NoisePath:
    """One batch size's run: w (k+1, 2) after each update, loss (k+1,) the full-data loss
    there, seen (k+1,) training examples processed so far; k = the updates made, fewer
    than asked when the run ``diverged`` (|w| or the loss beyond :data:`DIVERGE_AT`)."""

    batch: str
    batch_size: int
    w: np.ndarray
    loss: np.ndarray
    seen: np.ndarray
    diverged: bool


def optimum() -> tuple[np.ndarray, float]:
    """Least-squares weights w* (2,) of the diabetes regression and the loss there."""
    X, y = diabetes()
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return w, float(regression_loss(w, X, y))


def batch_noise(cfg: NoiseConfig) -> dict[str, NoisePath]:
    """Plain SGD, w ← w − η · (mean gradient over the batch), for each of :data:`BATCHES`:
    the same start, the same number of updates, batches taken in order from a fresh
    seeded shuffle every pass over the data (a short last batch is used as it is)."""
    X, y = diabetes()
    n = len(y)
    out = {}
    for batch in BATCHES:
        bs = n if batch == "full" else int(batch)
        rng = np.random.default_rng(cfg.seed)
        w = np.array(cfg.start)
        ws, seen, diverged = [w.copy()], [0], False
        order, at = rng.permutation(n), 0
        for _ in range(cfg.updates):
            if at >= n:
                order, at = rng.permutation(n), 0
            idx = order[at:at + bs]
            at += bs
            w = w - cfg.lr * (X[idx].T @ (X[idx] @ w - y[idx]) / len(idx))
            if not np.abs(w).max() < math.sqrt(DIVERGE_AT):  # also catches NaN
                diverged = True
                break
            ws.append(w.copy())
            seen.append(seen[-1] + len(idx))
        W = np.array(ws)
        out[batch] = NoisePath(batch, bs, W, regression_loss(W, X, y), np.array(seen), diverged)
    return out


def regression_grid(paths: dict[str, NoisePath], n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(w1s (n,), w2s (n,), loss (n, n)) over a box holding the paths and w*."""
    X, y = diabetes()
    pts = np.vstack([p.w for p in paths.values()] + [optimum()[0][None]])
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(0), pts.max(0)
    pad = 0.15 * (hi - lo).max() + 0.1
    a = np.linspace(lo[0] - pad, hi[0] + pad, n)
    b = np.linspace(lo[1] - pad, hi[1] + pad, n)
    A, B = np.meshgrid(a, b)
    return a, b, regression_loss(np.stack([A, B], -1), X, y)


# --------------------------------------------------------------------------- second order
SECOND_ORDER = ("gd", "newton", "natural")
SO_LABELS = {"gd": "Gradient descent", "newton": "Newton", "natural": "Natural gradient"}
TOL = 1e-8  # converged when f − f* < TOL


@dataclass(frozen=True)
class SecondOrderConfig:
    """The two second-order problems.

    Quadratic f(θ) = ½ θᵀAθ with eigenvalues 1 and ``kappa`` rotated by 30°; gradient
    descent takes η = ``eta_l`` / L (L = kappa, the largest curvature).
    Gaussian fit: negative log-likelihood of ``n`` = 200 samples of N(1, 2²) (seeded) in
    (μ, σ) from ``start``; gradient descent takes ``gauss_lr``, the natural gradient
    ``natural_lr``. Every method runs at most ``iters`` iterations.
    """

    kappa: float = 50.0
    eta_l: float = 1.8
    iters: int = 100
    start: tuple = (0.5, 0.6)
    gauss_lr: float = 0.1
    natural_lr: float = 1.0
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "start", tuple(float(v) for v in self.start))
        _check(math.isfinite(self.kappa) and 1 <= self.kappa <= 1e4, "kappa", "must be in [1, 10⁴]")
        _check(math.isfinite(self.eta_l) and 0 < self.eta_l <= 2.5, "eta_l", "must be in (0, 2.5]")
        _check(isinstance(self.iters, int) and 1 <= self.iters <= 1000, "iters", "must be 1..1000")
        _check(len(self.start) == 2 and math.isfinite(self.start[0]) and abs(self.start[0]) <= 20
               and math.isfinite(self.start[1]) and 0 < self.start[1] <= 20, "start", "needs |μ| ≤ 20 and 0 < σ ≤ 20")
        _check(math.isfinite(self.gauss_lr) and 0 < self.gauss_lr <= 10, "gauss_lr", "must be in (0, 10]")
        _check(math.isfinite(self.natural_lr) and 0 < self.natural_lr <= 2, "natural_lr", "must be in (0, 2]")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


QUAD_START = (-4.0, 3.0)
QUAD_ANGLE = math.radians(30)


def quadratic_matrix(kappa: float) -> np.ndarray:
    """A (2, 2) = R diag(1, κ) Rᵀ, R a rotation by 30°: condition number κ, minimum at 0."""
    c, s = math.cos(QUAD_ANGLE), math.sin(QUAD_ANGLE)
    R = np.array([[c, -s], [s, c]])
    return R @ np.diag([1.0, kappa]) @ R.T


@dataclass(frozen=True)
class Descent:
    """One method's iterates: path (k+1, 2), gap (k+1,) = f − f* at each; ``converged_at``
    the first iteration with gap < :data:`TOL` (−1 if none within the budget);
    ``note`` says why a run stopped early (left the valid region, diverged)."""

    method: str
    path: np.ndarray
    gap: np.ndarray
    converged_at: int
    note: str = ""


def _iterate(step, f, f_star, start, iters: int, method: str, valid=lambda th: True) -> Descent:
    th = np.array(start, dtype=float)
    path, gap, note = [th.copy()], [f(th) - f_star], ""
    for _ in range(iters):
        if gap[-1] < TOL:
            break
        th = step(th)
        if not (np.isfinite(th).all() and np.abs(th).max() < DIVERGE_AT):
            note = "diverged"
            break
        if not valid(th):
            note = "left the valid region (σ ≤ 0)"
            break
        path.append(th.copy())
        gap.append(max(f(th) - f_star, 0.0))
    gap = np.array(gap)
    hit = np.flatnonzero(gap < TOL)
    return Descent(method, np.array(path), gap, int(hit[0]) if hit.size else -1, note)


def quadratic_descents(cfg: SecondOrderConfig) -> dict[str, Descent]:
    """GD (η = eta_l/κ), Newton (θ − A⁻¹∇f) and the natural gradient on ½θᵀAθ.

    The quadratic is the negative log-likelihood of a Gaussian model N(θ, A⁻¹), whose
    Fisher information is A: there the natural gradient F⁻¹∇f equals Newton's step.
    """
    A = quadratic_matrix(cfg.kappa)
    A_inv = np.linalg.inv(A)
    f = lambda th: 0.5 * th @ A @ th  # noqa: E731
    eta = cfg.eta_l / cfg.kappa
    steps = {"gd": lambda th: th - eta * (A @ th),
             "newton": lambda th: th - A_inv @ (A @ th),
             "natural": lambda th: th - A_inv @ (A @ th)}
    return {m: _iterate(steps[m], f, 0.0, QUAD_START, cfg.iters, m) for m in SECOND_ORDER}


GAUSS_MU, GAUSS_SIGMA, GAUSS_N = 1.0, 2.0, 200


def gaussian_sample(seed: int) -> np.ndarray:
    """(200,) draws from N(1, 2²)."""
    return np.random.default_rng(seed).normal(GAUSS_MU, GAUSS_SIGMA, GAUSS_N)


def gaussian_nll(mu, sigma, x: np.ndarray):
    """Mean negative log-likelihood of x under N(μ, σ²); μ, σ arrays of one shape (σ > 0)."""
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    m, v = x.mean(), x.var()
    return np.log(sigma) + (v + (m - mu) ** 2) / (2 * sigma ** 2) + 0.5 * math.log(2 * math.pi)


def gaussian_grad(th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∇ of :func:`gaussian_nll` in (μ, σ)."""
    mu, s = th
    d, S = x.mean() - mu, x.var() + (x.mean() - mu) ** 2
    return np.array([-d / s ** 2, 1 / s - S / s ** 3])


def gaussian_hessian(th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∇² of :func:`gaussian_nll` in (μ, σ) (not positive definite far from the optimum)."""
    mu, s = th
    d, S = x.mean() - mu, x.var() + (x.mean() - mu) ** 2
    return np.array([[1 / s ** 2, 2 * d / s ** 3], [2 * d / s ** 3, -1 / s ** 2 + 3 * S / s ** 4]])


def gaussian_fisher(th: np.ndarray) -> np.ndarray:
    """Fisher information of N(μ, σ²) per sample, in (μ, σ): diag(1/σ², 2/σ²)."""
    s = th[1]
    return np.diag([1 / s ** 2, 2 / s ** 2])


def gaussian_descents(cfg: SecondOrderConfig, x: np.ndarray | None = None) -> dict[str, Descent]:
    """GD, Newton and natural-gradient descent of the Gaussian NLL in (μ, σ) from ``cfg.start``."""
    x = gaussian_sample(cfg.seed) if x is None else x
    mle = np.array([x.mean(), x.std()])
    f = lambda th: float(gaussian_nll(th[0], th[1], x))  # noqa: E731
    f_star = f(mle)
    steps = {"gd": lambda th: th - cfg.gauss_lr * gaussian_grad(th, x),
             "newton": lambda th: th - np.linalg.solve(gaussian_hessian(th, x), gaussian_grad(th, x)),
             "natural": lambda th: th - cfg.natural_lr * np.linalg.solve(gaussian_fisher(th), gaussian_grad(th, x))}
    return {m: _iterate(steps[m], f, f_star, cfg.start, cfg.iters, m, valid=lambda th: th[1] > 0)
            for m in SECOND_ORDER}


def gaussian_grid(x: np.ndarray, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mus (n,), sigmas (n,), NLL − NLL* (n, n), MLE (2,)) around the maximum-likelihood fit."""
    mle = np.array([x.mean(), x.std()])
    mus = np.linspace(mle[0] - 4, mle[0] + 4, n)
    sig = np.linspace(0.15, mle[1] + 3.5, n)
    M, S = np.meshgrid(mus, sig)
    return mus, sig, gaussian_nll(M, S, x) - float(gaussian_nll(mle[0], mle[1], x)), mle

