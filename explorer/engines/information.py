"""Information theory: entropy, cross-entropy and KL of categorical distributions; forward
vs reverse KL fits of one Gaussian to a two-mode mixture; mutual information of a
correlated Gaussian pair, closed form against estimates from samples.

Everything is computed in nats (natural logarithms); :func:`in_unit` converts to bits.
Integrals over the mixture use a fine trapezoid grid (forward KL, entropies) or
Gauss–Hermite quadrature under q (reverse KL), so the fits are deterministic; the sampled
estimators draw from ``np.random.default_rng((seed, ...))``.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from explorer.engines.contract import check

MAX_OUTCOMES = 12
UNITS = ("bits", "nats")
LN2 = math.log(2.0)


def in_unit(x_nats, unit: str):
    """A quantity in nats expressed in ``unit`` (bits divide by ln 2); inf stays inf."""
    check(unit in UNITS, "unit", f"must be one of {UNITS}")
    return x_nats / LN2 if unit == "bits" else x_nats


# ---------------------------------------------------------------- typed distributions

@dataclass(frozen=True)
class Parsed:
    """A distribution typed as weights: ``probs`` (K,) summing to 1 (None on an error),
    ``note`` when they had to be normalized, ``error`` saying what is wrong."""

    probs: np.ndarray | None
    note: str | None = None
    error: str | None = None


def parse_weights(text: str, max_k: int = MAX_OUTCOMES) -> Parsed:
    """Parse weights like ``"0.5, 0.25, 0.25"`` or ``"1 2 1"`` (commas, spaces or
    semicolons). Non-negative, finite, 2..max_k of them, not all zero; weights that do not
    sum to 1 are divided by their sum (and the note says so)."""
    tokens = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    if len(tokens) > max_k:
        return Parsed(None, error=f"at most {max_k} outcomes, got {len(tokens)}")
    vals = []
    for t in tokens:
        try:
            v = float(t)
        except ValueError:
            return Parsed(None, error=f"{t[:12]!r} is not a number")
        if not math.isfinite(v):
            return Parsed(None, error=f"{t[:12]!r} is not a finite number")
        if v < 0:
            return Parsed(None, error=f"weights cannot be negative ({t[:12]})")
        vals.append(v)
    if len(vals) < 2:
        return Parsed(None, error="type at least two weights, separated by commas (like 0.5, 0.25, 0.25)")
    w = np.array(vals, float)
    with np.errstate(over="ignore"):
        total = float(w.sum())
    if not math.isfinite(total):
        return Parsed(None, error="the weights are too large to add up (their sum overflows); use smaller numbers")
    if total <= 0:
        return Parsed(None, error="at least one weight must be positive")
    note = None
    if abs(total - 1.0) > 1e-9:
        note = f"the weights sum to {total:.6g}, so each was divided by {total:.6g}"
    return Parsed(w / total, note=note)


def pad(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p and q on the same outcomes 1..K: the shorter gets zeros for the missing ones."""
    k = max(len(p), len(q))
    return np.pad(p, (0, k - len(p))), np.pad(q, (0, k - len(q)))


def surprisal(p: np.ndarray) -> np.ndarray:
    """−log p_k in nats (inf where p_k = 0)."""
    with np.errstate(divide="ignore"):
        return -np.log(np.asarray(p, float))


def entropy(p: np.ndarray) -> float:
    """H(p) = −Σ p_k log p_k in nats (0·log 0 = 0)."""
    return float(special.entr(np.asarray(p, float)).sum())


def kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-outcome terms p_k log(p_k/q_k) of KL(p‖q), nats: 0 where p_k = 0, +inf where
    q_k = 0 < p_k. A term may be negative; their sum is not."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return np.where((p > 0) & (q == 0), np.inf, t)


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p‖q) = Σ p_k log(p_k/q_k) in nats; inf when q misses an outcome p can produce."""
    return float(np.sum(kl_terms(p, q)))


def cross_entropy(p: np.ndarray, q: np.ndarray) -> float:
    """H(p, q) = −Σ p_k log q_k in nats (= H(p) + KL(p‖q)); inf as for KL."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    if np.any((p > 0) & (q == 0)):
        return math.inf
    with np.errstate(divide="ignore"):
        return float(-np.sum(np.where(p > 0, p * np.log(np.where(q > 0, q, 1.0)), 0.0)))


def missing(p: np.ndarray, q: np.ndarray) -> list[int]:
    """Outcomes (0-based) where p has mass and q has none: they make KL(p‖q) infinite."""
    return [int(i) for i in np.flatnonzero((np.asarray(p) > 0) & (np.asarray(q) == 0))]


# ---------------------------------------------------------------- forward vs reverse KL

@dataclass(frozen=True)
class MixConfig:
    """p(x) = w·N(−sep/2, sd²) + (1−w)·N(sep/2, sd²); one Gaussian q = N(μ, σ²) is fitted
    from the start (start, ``SIGMA0``)."""

    sep: float = 4.0
    weight: float = 0.5
    sd: float = 0.6
    start: float = 1.0

    def __post_init__(self):
        check(math.isfinite(self.sep) and 0 <= self.sep <= 12, "sep", "must be in 0…12")
        check(math.isfinite(self.weight) and 0.01 <= self.weight <= 0.99, "weight", "must be in 0.01…0.99")
        check(math.isfinite(self.sd) and 0.1 <= self.sd <= 3, "sd", "must be in 0.1…3")
        check(math.isfinite(self.start) and -10 <= self.start <= 10, "start", "must be in −10…10")

    @property
    def modes(self) -> tuple[float, float]:
        return -self.sep / 2, self.sep / 2

    @property
    def half_width(self) -> float:
        """Half-width of the x-range that holds all of p's mass (and the fits)."""
        return self.sep / 2 + 7 * self.sd + 1.0


SIGMA0 = 1.0
SIGMA_MIN = 0.05


def log_mix(cfg: MixConfig, x: np.ndarray) -> np.ndarray:
    """log p(x) of the mixture, stable in the tails (logsumexp)."""
    x = np.asarray(x, float)
    m1, m2 = cfg.modes
    c = -0.5 * math.log(2 * math.pi) - math.log(cfg.sd)
    a = math.log(cfg.weight) + c - 0.5 * ((x - m1) / cfg.sd) ** 2
    b = math.log1p(-cfg.weight) + c - 0.5 * ((x - m2) / cfg.sd) ** 2
    return np.logaddexp(a, b)


def dlog_mix(cfg: MixConfig, x: np.ndarray) -> np.ndarray:
    """d/dx log p(x): the responsibility-weighted pull toward each mode."""
    m1, m2 = cfg.modes
    a = math.log(cfg.weight) - 0.5 * ((x - m1) / cfg.sd) ** 2
    b = math.log1p(-cfg.weight) - 0.5 * ((x - m2) / cfg.sd) ** 2
    r1 = special.expit(a - b)
    return (r1 * (m1 - x) + (1 - r1) * (m2 - x)) / cfg.sd ** 2


def grid(cfg: MixConfig, n: int = 6001) -> np.ndarray:
    h = cfg.half_width
    return np.linspace(-h, h, n)


def mix_moments(cfg: MixConfig) -> tuple[float, float]:
    """Closed-form mean and standard deviation of the mixture."""
    m1, m2 = cfg.modes
    w = cfg.weight
    mean = w * m1 + (1 - w) * m2
    var = cfg.sd ** 2 + w * (1 - w) * (m2 - m1) ** 2
    return mean, math.sqrt(var)


def mix_entropy(cfg: MixConfig) -> float:
    """H(p) in nats by trapezoid quadrature on :func:`grid`."""
    x = grid(cfg)
    lp = log_mix(cfg, x)
    return float(-np.trapezoid(np.exp(lp) * lp, x))


@functools.lru_cache(maxsize=16)
def _p_stats(cfg: MixConfig) -> tuple[float, float, float]:
    """E_p[x], E_p[x²] and H(p) by trapezoid quadrature (independent of any q)."""
    x = grid(cfg, 3001)
    px = np.exp(log_mix(cfg, x))
    return float(np.trapezoid(px * x, x)), float(np.trapezoid(px * x * x, x)), mix_entropy(cfg)


def forward_kl(cfg: MixConfig, mu, sigma) -> np.ndarray:
    """KL(p‖q) in nats for q = N(mu, sigma²) (broadcast): −H(p) − E_p[log q], where
    E_p[log q] = −½ log 2πσ² − E_p[(x − μ)²]/2σ² takes p's first two moments by quadrature."""
    m1, m2, h_p = _p_stats(cfg)
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    e_log_q = -0.5 * np.log(2 * np.pi * sigma ** 2) - (m2 - 2 * mu * m1 + mu ** 2) / (2 * sigma ** 2)
    return -h_p - e_log_q


DX = 0.01  # quadrature step under q


def _q_grid(cfg: MixConfig, lo: float, hi: float) -> np.ndarray:
    """Grid points k·DX (fixed positions, so nearby (μ, σ) share them) covering p's mass and
    [lo, hi]; DX gives ≥ 5 points per σ at the smallest σ the fits allow."""
    h = cfg.half_width
    return np.arange(math.floor(min(-h, lo) / DX), math.ceil(max(h, hi) / DX) + 1) * DX


def reverse_kl(cfg: MixConfig, mu, sigma) -> np.ndarray:
    """KL(q‖p) in nats for q = N(mu, sigma²) (broadcast): −H(q) − E_q[log p], with E_q by
    the trapezoid rule on a DX-spaced grid spanning μ ± 10σ (log p has a sharp crease
    between far-apart modes, which Gauss–Hermite nodes alias into false minima)."""
    mu, sigma = np.broadcast_arrays(np.asarray(mu, float), np.asarray(sigma, float))
    flat_mu, flat_s = mu.reshape(-1, 1), sigma.reshape(-1, 1)
    out = np.empty(flat_mu.shape[0])
    for i in range(0, len(out), 64):  # chunks bound the (chunk, grid) temporaries
        m, s = flat_mu[i:i + 64], flat_s[i:i + 64]
        x = _q_grid(cfg, float((m - 10 * s).min()), float((m + 10 * s).max()))
        z = (x - m) / s
        q = np.exp(-0.5 * z * z) / (s * math.sqrt(2 * math.pi))
        out[i:i + 64] = (q * log_mix(cfg, x)).sum(1) * DX
    h_q = 0.5 * np.log(2 * np.pi * math.e * sigma ** 2)
    return -h_q - out.reshape(mu.shape)


def reverse_kl_surface(cfg: MixConfig, mu_grid: np.ndarray, sigma_grid: np.ndarray) -> np.ndarray:
    """KL(q‖p) on the (σ, μ) grid (S, M), the same numbers as :func:`reverse_kl`, fast:
    for a fixed σ, E_q[log p] as a function of μ is log p convolved with the N(0, σ²)
    density, one FFT convolution per σ (read off at the μ's by linear interpolation)."""
    from scipy.signal import fftconvolve

    mu_grid, sigma_grid = np.asarray(mu_grid, float), np.asarray(sigma_grid, float)
    reach = 10 * float(sigma_grid.max())
    x = _q_grid(cfg, float(mu_grid.min()) - reach, float(mu_grid.max()) + reach)
    lp = log_mix(cfg, x)
    out = np.empty((len(sigma_grid), len(mu_grid)))
    for j, s in enumerate(sigma_grid):
        half = int(math.ceil(10 * s / DX))
        t = np.arange(-half, half + 1) * DX
        kernel = np.exp(-0.5 * (t / s) ** 2) / (s * math.sqrt(2 * math.pi)) * DX
        e_log_p = fftconvolve(lp, kernel, mode="same")
        out[j] = -0.5 * math.log(2 * math.pi * math.e * s * s) - np.interp(mu_grid, x, e_log_p)
    return out


MU_BOX, SIGMA_BOX = 30.0, 20.0  # where the optimizer may look; a probe outside is evaluated at the edge


@functools.lru_cache(maxsize=16)
def _table(cfg: MixConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log p and (log p)′ tabulated once on the DX grid that every q inside the box needs."""
    x = _q_grid(cfg, -MU_BOX - 10 * SIGMA_BOX, MU_BOX + 10 * SIGMA_BOX)
    return x, log_mix(cfg, x), dlog_mix(cfg, x)


def _reverse_obj(cfg: MixConfig, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """KL(q‖p) and its gradient in (μ, log σ): ∂/∂μ = −E_q[(log p)′],
    ∂/∂log σ = −1 − E_q[(log p)′(x)·(x − μ)]."""
    mu = min(MU_BOX, max(-MU_BOX, float(theta[0])))
    s = math.exp(min(math.log(SIGMA_BOX), max(math.log(SIGMA_MIN), float(theta[1]))))
    xs, lps, dlps = _table(cfg)
    i0 = int(np.searchsorted(xs, mu - 10 * s))
    i1 = int(np.searchsorted(xs, mu + 10 * s)) + 1
    x, lp, dlp = xs[i0:i1], lps[i0:i1], dlps[i0:i1]
    q = np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi)) * DX
    val = -0.5 * math.log(2 * math.pi * math.e * s * s) - float(q @ lp)
    return val, np.array([-float(q @ dlp), -1.0 - float(q @ (dlp * (x - mu)))])


@dataclass(frozen=True)
class Fit:
    """A fitted q = N(mu, sigma²), the optimizer's path (T, 2) of (μ, σ) and the value of
    the objective it minimized (nats)."""

    mu: float
    sigma: float
    path: np.ndarray
    value: float


def _fit(fun, start: float, jac: bool, gtol: float = 1e-8) -> Fit:
    """BFGS on (μ, log σ) from (start, SIGMA0). A small first inverse Hessian keeps the
    first steps short, so the path follows the slope into the basin it starts in instead
    of leaping across to the other mode."""
    x0 = np.array([start, math.log(SIGMA0)])
    path = [x0.copy()]
    res = optimize.minimize(fun, x0, jac=jac if jac else "3-point", method="BFGS",
                            callback=lambda t: path.append(np.array(t)),
                            options={"gtol": gtol, "maxiter": 500, "hess_inv0": 0.1 * np.eye(2)})
    pts = np.array([(m, math.exp(ls)) for m, ls in path])
    return Fit(float(res.x[0]), float(math.exp(res.x[1])), pts, float(res.fun))


def fit_forward(cfg: MixConfig) -> Fit:
    """argmin over (μ, σ) of KL(p‖q), found numerically from (start, SIGMA0)."""
    return _fit(lambda t: float(forward_kl(cfg, t[0], math.exp(t[1]))), cfg.start, jac=False)


def fit_reverse(cfg: MixConfig, start: float | None = None, gtol: float = 1e-8) -> Fit:
    """A local argmin over (μ, σ) of KL(q‖p) from (start, SIGMA0): mode seeking — it
    settles on one mode, and which one depends on the start."""
    return _fit(lambda t: _reverse_obj(cfg, t), cfg.start if start is None else start, jac=True, gtol=gtol)


@dataclass(frozen=True)
class KLFits:
    """Both fits, the mixture density ``px`` on ``x`` (G,), both objectives on a
    (σ, μ) grid (S, M) for the landscapes, the closed-form moments, and the basin map:
    for each start in ``starts`` (B,), the μ the reverse fit ends at (``ends``)."""

    x: np.ndarray
    px: np.ndarray
    forward: Fit
    reverse: Fit
    moments: tuple
    mu_grid: np.ndarray
    sigma_grid: np.ndarray
    fwd_surface: np.ndarray
    rev_surface: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    entropy: float


def kl_fits(cfg: MixConfig, grid_n: int = 61, basin_n: int = 31) -> KLFits:
    h = cfg.half_width
    x = np.linspace(-h, h, 801)
    fwd, rev = fit_forward(cfg), fit_reverse(cfg)
    mean, sd = mix_moments(cfg)
    reach = max(abs(cfg.start), cfg.sep / 2 + 2 * cfg.sd, 2.0) + 0.5
    mu_grid = np.linspace(-reach, reach, grid_n)
    sigma_grid = np.geomspace(max(0.15, 0.4 * cfg.sd), max(2 * sd, 2.0), grid_n)
    M, S = np.meshgrid(mu_grid, sigma_grid)
    starts = np.linspace(-reach, reach, basin_n)
    ends = np.array([fit_reverse(cfg, s, gtol=1e-5).mu for s in starts])  # where it ends, not to 1e-8
    return KLFits(x, np.exp(log_mix(cfg, x)), fwd, rev, (mean, sd), mu_grid, sigma_grid,
                  forward_kl(cfg, M, S), reverse_kl_surface(cfg, mu_grid, sigma_grid), starts, ends,
                  mix_entropy(cfg))


def basin_boundaries(starts: np.ndarray, ends: np.ndarray, tol: float = 0.05) -> list[float]:
    """Start positions where the reverse fit switches to a different end point (midpoints
    between neighbouring starts)."""
    out = []
    for i in range(1, len(starts)):
        if abs(ends[i] - ends[i - 1]) > tol:
            out.append(float((starts[i] + starts[i - 1]) / 2))
    return out


# ---------------------------------------------------------------- mutual information

@dataclass(frozen=True)
class MIConfig:
    """n draws of a standard bivariate Gaussian pair with correlation rho."""

    rho: float = 0.6
    n: int = 500
    seed: int = 1  # seed 0's draw at ρ = 0.6 happens to overestimate by ~0.12 bits; 1 is typical

    def __post_init__(self):
        check(math.isfinite(self.rho) and -0.999 <= self.rho <= 0.999, "rho", "must be in −0.999…0.999")
        check(isinstance(self.n, int) and 20 <= self.n <= 100_000, "n", "must be 20..100000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


def mi_gaussian(rho) -> np.ndarray:
    """I(X; Y) = −½ log(1 − ρ²) nats for a bivariate Gaussian with correlation ρ."""
    rho = np.asarray(rho, float)
    return -0.5 * np.log1p(-rho * rho)


def pair(rho: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) draws with unit variances and correlation rho."""
    z = rng.standard_normal((n, 2))
    return np.column_stack([z[:, 0], rho * z[:, 0] + math.sqrt(1 - rho * rho) * z[:, 1]])


def mi_ksg(xy: np.ndarray, k: int = 3, seed: int = 0) -> float:
    """Kraskov–Stögbauer–Grassberger k-nearest-neighbour estimate (scikit-learn's
    ``mutual_info_regression``), nats."""
    from sklearn.feature_selection import mutual_info_regression

    return float(mutual_info_regression(xy[:, :1], xy[:, 1], n_neighbors=k, random_state=seed)[0])


def mi_binned(xy: np.ndarray, bins: int | None = None) -> float:
    """Plug-in estimate from a 2-D histogram (equal-width bins, about √(n/5) a side) with
    the Miller–Madow bias correction, nats."""
    n = len(xy)
    b = bins or int(np.clip(round(math.sqrt(n / 5)), 4, 40))
    h, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=b)
    pxy = h / n
    px, py = pxy.sum(1), pxy.sum(0)
    plug = entropy(px) + entropy(py) - entropy(pxy.ravel())
    correction = (np.count_nonzero(pxy) - np.count_nonzero(px) - np.count_nonzero(py) + 1) / (2 * n)
    return float(plug - correction)


@dataclass(frozen=True)
class MISweep:
    """At each ρ in ``rho`` (R,): the closed form and both estimates from n fresh draws;
    ``xy`` (n, 2) the draws at the configured ρ and its estimates ``at_ksg``/``at_binned``."""

    rho: np.ndarray
    exact: np.ndarray
    ksg: np.ndarray
    binned: np.ndarray
    xy: np.ndarray
    at_ksg: float
    at_binned: float


SWEEP_RHOS = np.round(np.linspace(-0.95, 0.95, 15), 4)


def mi_sweep(cfg: MIConfig, rhos: np.ndarray = SWEEP_RHOS) -> MISweep:
    ksg, binned = [], []
    for j, r in enumerate(rhos):
        xy = pair(float(r), cfg.n, np.random.default_rng((cfg.seed, 7, j)))
        ksg.append(mi_ksg(xy, seed=cfg.seed))
        binned.append(mi_binned(xy))
    xy = pair(cfg.rho, cfg.n, np.random.default_rng((cfg.seed, 8)))
    return MISweep(np.asarray(rhos, float), mi_gaussian(rhos), np.array(ksg), np.array(binned), xy,
                   mi_ksg(xy, seed=cfg.seed), mi_binned(xy))
