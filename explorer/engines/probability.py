"""Probability and statistics: distributions, the law of large numbers, the CLT, maximum
likelihood and a conjugate Bayesian update.

Densities, pmfs and moments are written out in closed form here (the tests check them
against ``scipy.stats``); scipy is used only for quantiles (display ranges, credible
intervals), the Kolmogorov–Smirnov statistic and the optimizer. Every random draw comes
from ``np.random.default_rng((seed, stream))`` with one stream per lesson part, so the
same seed reproduces every picture and the parts do not share draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from explorer.engines.contract import check


@dataclass(frozen=True)
class Shape:
    """One parameter of a distribution: its symbol/label, bounds, slider step, default."""

    label: str
    lo: float
    hi: float
    step: float
    default: float


@dataclass(frozen=True)
class Family:
    label: str
    discrete: bool
    shapes: tuple  # of Shape (1 or 2)


FAMILIES = {
    "normal": Family("Normal", False, (Shape("μ (mean)", -5, 5, 0.1, 0.0), Shape("σ (std. dev.)", 0.1, 5, 0.1, 1.0))),
    "uniform": Family("Uniform", False, (Shape("a (low end)", -5, 5, 0.1, 0.0), Shape("b (high end)", -5, 10, 0.1, 1.0))),
    "exponential": Family("Exponential", False, (Shape("λ (rate)", 0.1, 5, 0.1, 1.0),)),
    "gamma": Family("Gamma", False, (Shape("k (shape)", 0.1, 10, 0.1, 2.0), Shape("θ (scale)", 0.1, 5, 0.1, 1.0))),
    "beta": Family("Beta", False, (Shape("α", 0.1, 10, 0.1, 2.0), Shape("β", 0.1, 10, 0.1, 5.0))),
    "student_t": Family("Student t", False, (Shape("ν (degrees of freedom)", 0.5, 30, 0.5, 3.0),)),
    "bernoulli": Family("Bernoulli", True, (Shape("p (chance of a 1)", 0.01, 0.99, 0.01, 0.3),)),
    "binomial": Family("Binomial", True, (Shape("n (trials)", 1, 50, 1, 10), Shape("p (chance of success)", 0.01, 0.99, 0.01, 0.3))),
    "poisson": Family("Poisson", True, (Shape("λ (rate)", 0.1, 20, 0.1, 3.0),)),
}
DISTS = tuple(FAMILIES)
CLT_SIZES = (1, 2, 5, 10, 30, 100, 300, 1000)
CLT_REPS = 2000
STREAM = 200          # length of the Bayesian update's data stream
A_RANGE = (-5.0, 50.0)  # union of every family's first-parameter range (the URL's bounds)
B_RANGE = (-5.0, 10.0)


def _seed_ok(seed) -> bool:
    return isinstance(seed, int) and 0 <= seed < 2 ** 31


def fix_params(dist: str, a: float, b: float) -> tuple[float, float, list[str]]:
    """Bring (a, b) into ``dist``'s ranges: clamp each, round the binomial's n, and keep a
    uniform's b above a. Returns (a, b, notes) — one plain sentence per change."""
    fam = FAMILIES[dist]
    out, notes = [a, b], []
    for i, s in enumerate(fam.shapes):
        v = min(s.hi, max(s.lo, float(out[i])))
        if s.step >= 1:
            v = float(round(v))
        if v != out[i]:
            notes.append(f"{fam.label} {s.label} must be in {s.lo:g}…{s.hi:g}; using {v:g}.")
        out[i] = v
    if dist == "uniform" and out[1] <= out[0]:
        new = min(out[0] + 1.0, FAMILIES["uniform"].shapes[1].hi)
        if new <= out[0]:
            out[0] = new - 1.0
        notes.append(f"A uniform distribution needs b > a; using a = {out[0]:g}, b = {new:g}.")
        out[1] = new
    return out[0], out[1], notes


def _check_params(dist: str, a: float, b: float) -> None:
    check(dist in FAMILIES, "dist", f"must be one of {DISTS}")
    fam = FAMILIES[dist]
    for name, v, s in zip(("a", "b"), (a, b), fam.shapes):
        check(isinstance(v, (int, float)) and math.isfinite(v) and s.lo <= v <= s.hi, name,
              f"{fam.label} {s.label} must be in {s.lo:g}…{s.hi:g}")
        if s.step >= 1:
            check(float(v).is_integer(), name, f"{fam.label} {s.label} must be a whole number")
    if dist == "uniform":
        check(b > a, "b", "a uniform distribution needs b > a")


# ---------------------------------------------------------------- closed forms

def density(dist: str, a: float, b: float, x: np.ndarray) -> np.ndarray:
    """pdf (continuous) or pmf (discrete; x integers) of ``dist`` at x, shape of x."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if dist == "normal":
            return np.exp(-0.5 * ((x - a) / b) ** 2) / (b * math.sqrt(2 * math.pi))
        if dist == "uniform":
            return np.where((x >= a) & (x <= b), 1.0 / (b - a), 0.0)
        if dist == "exponential":
            return np.where(x >= 0, a * np.exp(-a * np.maximum(x, 0)), 0.0)
        if dist == "gamma":
            xp = np.maximum(x, 1e-300)
            logp = (a - 1) * np.log(xp) - xp / b - math.lgamma(a) - a * math.log(b)
            return np.where(x > 0, np.exp(logp), np.where(x == 0, _at_zero(a, 1.0 / b), 0.0))
        if dist == "beta":
            xc = np.clip(x, 1e-300, 1 - 1e-16)
            logp = (a - 1) * np.log(xc) + (b - 1) * np.log1p(-xc) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
            return np.where((x > 0) & (x < 1), np.exp(logp), 0.0)
        if dist == "student_t":
            c = math.lgamma((a + 1) / 2) - math.lgamma(a / 2) - 0.5 * math.log(a * math.pi)
            return np.exp(c - (a + 1) / 2 * np.log1p(x * x / a))
        k = np.round(x)
        ok = (k == x) & (k >= 0)
        kk = np.where(ok, k, 0)
        if dist == "bernoulli":
            return np.where(ok & (k <= 1), np.where(kk == 1, a, 1 - a), 0.0)
        if dist == "binomial":
            n, p = int(a), b
            logc = special.gammaln(n + 1) - special.gammaln(kk + 1) - special.gammaln(np.maximum(n - kk, 0) + 1)
            logp = logc + special.xlogy(kk, p) + special.xlog1py(n - kk, -p)
            return np.where(ok & (k <= n), np.exp(logp), 0.0)
        if dist == "poisson":
            return np.where(ok, np.exp(kk * math.log(a) - a - special.gammaln(kk + 1)), 0.0)
    raise ValueError(f"dist: unknown {dist!r}")


def _at_zero(shape: float, rate: float) -> float:
    return math.inf if shape < 1 else (rate if shape == 1 else 0.0)


def moments(dist: str, a: float, b: float) -> tuple[float, float, float]:
    """(mean, variance, skewness) in closed form; inf where infinite, nan where undefined."""
    if dist == "normal":
        return a, b * b, 0.0
    if dist == "uniform":
        return (a + b) / 2, (b - a) ** 2 / 12, 0.0
    if dist == "exponential":
        return 1 / a, 1 / a ** 2, 2.0
    if dist == "gamma":
        return a * b, a * b * b, 2 / math.sqrt(a)
    if dist == "beta":
        s = a + b
        return a / s, a * b / (s * s * (s + 1)), 2 * (b - a) * math.sqrt(s + 1) / ((s + 2) * math.sqrt(a * b))
    if dist == "student_t":
        mean = 0.0 if a > 1 else math.nan
        var = a / (a - 2) if a > 2 else (math.inf if a > 1 else math.nan)
        return mean, var, 0.0 if a > 3 else math.nan
    if dist == "bernoulli":
        return a, a * (1 - a), (1 - 2 * a) / math.sqrt(a * (1 - a))
    if dist == "binomial":
        return a * b, a * b * (1 - b), (1 - 2 * b) / math.sqrt(a * b * (1 - b))
    if dist == "poisson":
        return a, a, 1 / math.sqrt(a)
    raise ValueError(f"dist: unknown {dist!r}")


def draw(dist: str, a: float, b: float, rng: np.random.Generator, size) -> np.ndarray:
    """Samples of ``dist`` from ``rng``, float array of shape ``size``."""
    if dist == "normal":
        return rng.normal(a, b, size)
    if dist == "uniform":
        return rng.uniform(a, b, size)
    if dist == "exponential":
        return rng.exponential(1 / a, size)
    if dist == "gamma":
        return rng.gamma(a, b, size)
    if dist == "beta":
        return rng.beta(a, b, size)
    if dist == "student_t":
        return rng.standard_t(a, size)
    if dist == "bernoulli":
        return rng.binomial(1, a, size).astype(float)
    if dist == "binomial":
        return rng.binomial(int(a), b, size).astype(float)
    if dist == "poisson":
        return rng.poisson(a, size).astype(float)
    raise ValueError(f"dist: unknown {dist!r}")


def _frozen(dist: str, a: float, b: float):
    """scipy's frozen distribution — used for quantiles only."""
    return {"normal": lambda: stats.norm(a, b), "uniform": lambda: stats.uniform(a, b - a),
            "exponential": lambda: stats.expon(scale=1 / a), "gamma": lambda: stats.gamma(a, scale=b),
            "beta": lambda: stats.beta(a, b), "student_t": lambda: stats.t(a),
            "bernoulli": lambda: stats.bernoulli(a), "binomial": lambda: stats.binom(int(a), b),
            "poisson": lambda: stats.poisson(a)}[dist]()


def display_range(dist: str, a: float, b: float) -> tuple[float, float]:
    """An x-range that shows the body of the distribution (heavy tails are cut)."""
    if dist == "uniform":
        pad = 0.15 * (b - a)
        return a - pad, b + pad
    if dist == "beta":
        return 0.0, 1.0
    f = _frozen(dist, a, b)
    if FAMILIES[dist].discrete:
        return 0.0, float(max(1.0, f.ppf(0.9995)))
    if dist in ("exponential", "gamma"):
        return 0.0, float(f.ppf(0.995))
    if dist == "student_t":  # heavy tails: show the body (the page says how much lies beyond)
        hi = min(20.0, max(4.0, float(f.ppf(0.985))))
        return -hi, hi
    lo, hi = float(f.ppf(0.001)), float(f.ppf(0.999))
    return lo, hi


# ---------------------------------------------------------------- 1 · a distribution and its samples

@dataclass(frozen=True)
class DistConfig:
    """A distribution (``dist`` with parameters a, b — b unused by one-parameter families)
    and ``n`` seeded samples from it."""

    dist: str = "exponential"
    a: float = 1.0
    b: float = 1.0
    n: int = 1000
    seed: int = 0

    def __post_init__(self):
        _check_params(self.dist, self.a, self.b)
        check(isinstance(self.n, int) and 1 <= self.n <= 100_000, "n", "must be 1..100000")
        check(_seed_ok(self.seed), "seed", "must be 0..2³¹−1")

    @property
    def family(self) -> Family:
        return FAMILIES[self.dist]


@dataclass(frozen=True)
class DistView:
    """What the distribution chart shows. Continuous: ``x`` (G,) grid and ``f`` its pdf,
    ``edges`` (B+1,) and ``hist`` (B,) the samples' density (counts / (n·width), so bars
    and curve share a scale). Discrete: ``x`` the support 0..K, ``f`` its pmf, ``hist``
    (K+1,) the samples' relative frequencies, ``edges`` None. ``outside``: share of samples
    beyond the shown range. ``theory``/``sample``: (mean, variance, skewness)."""

    x: np.ndarray
    f: np.ndarray
    edges: np.ndarray | None
    hist: np.ndarray
    samples: np.ndarray
    outside: float
    theory: tuple
    sample: tuple
    discrete: bool


def samples(cfg: DistConfig) -> np.ndarray:
    """The n seeded samples (n,) behind parts 1 and 2."""
    return draw(cfg.dist, cfg.a, cfg.b, np.random.default_rng((cfg.seed, 1)), cfg.n)


def sample_moments(x: np.ndarray) -> tuple[float, float, float]:
    """(mean, variance with 1/(n−1), skewness) of a sample; nan where n is too small."""
    n = len(x)
    m = float(np.mean(x))
    v = float(np.var(x, ddof=1)) if n > 1 else math.nan
    s = float(stats.skew(x)) if n > 2 and np.ptp(x) > 0 else math.nan
    return m, v, s


def describe(cfg: DistConfig) -> DistView:
    x_s = samples(cfg)
    lo, hi = display_range(cfg.dist, cfg.a, cfg.b)
    if cfg.family.discrete:
        support = np.arange(0, int(hi) + 1, dtype=float)
        freq = np.bincount(x_s.astype(int), minlength=len(support))[: len(support)] / cfg.n
        edges, hist, x, f = None, freq, support, density(cfg.dist, cfg.a, cfg.b, support)
        outside = float(np.mean(x_s > hi))
    else:
        bins = int(np.clip(round(2 * cfg.n ** (1 / 3)), 8, 60))
        edges = np.linspace(lo, hi, bins + 1)
        counts, _ = np.histogram(x_s, edges)
        hist = counts / (cfg.n * np.diff(edges))
        x = np.linspace(lo, hi, 401)
        if cfg.dist == "beta":  # the pdf can be infinite at 0 and 1
            x = np.linspace(1e-3, 1 - 1e-3, 401)
        f = density(cfg.dist, cfg.a, cfg.b, x)
        outside = float(np.mean((x_s < lo) | (x_s > hi)))
    return DistView(x, f, edges, hist, x_s, outside, moments(cfg.dist, cfg.a, cfg.b), sample_moments(x_s),
                    cfg.family.discrete)


# ---------------------------------------------------------------- 2 · law of large numbers and CLT

@dataclass(frozen=True)
class LLN:
    """Running mean of one sample. ``i`` (P,) sample sizes (log-spaced, 1..n), ``mean`` (P,)
    the mean of the first i draws, ``mu`` the true mean (nan if undefined), ``sd`` the true
    std. dev. (inf if infinite, nan if undefined)."""

    i: np.ndarray
    mean: np.ndarray
    mu: float
    sd: float


def running_mean(cfg: DistConfig, points: int = 300) -> LLN:
    x = samples(cfg)
    run = np.cumsum(x) / np.arange(1, cfg.n + 1)
    i = np.unique(np.round(np.geomspace(1, cfg.n, points)).astype(int))
    mu, var, _ = moments(cfg.dist, cfg.a, cfg.b)
    return LLN(i, run[i - 1], mu, math.sqrt(var) if var >= 0 or math.isinf(var) else math.nan)


@dataclass(frozen=True)
class CLTConfig:
    """``reps`` sample means of ``size`` draws each, for every size in ``sizes``."""

    dist: str = "exponential"
    a: float = 1.0
    b: float = 1.0
    sizes: tuple = CLT_SIZES
    reps: int = CLT_REPS
    seed: int = 0

    def __post_init__(self):
        _check_params(self.dist, self.a, self.b)
        check(len(self.sizes) > 0 and all(isinstance(s, int) and 1 <= s <= 5000 for s in self.sizes), "sizes",
              "must be whole numbers 1..5000")
        check(isinstance(self.reps, int) and 100 <= self.reps <= 20_000, "reps", "must be 100..20000")
        check(_seed_ok(self.seed), "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class CLT:
    """Per size (S of them): ``edges[s]`` and ``hist[s]`` the density histogram of the
    standardized means z = (x̄ − μ)·√n/σ (or of the raw means when the variance is infinite,
    ``standardized`` False), ``ks[s]`` the Kolmogorov–Smirnov distance of z to N(0, 1),
    ``skew[s]`` the skewness of the means and ``skew_theory[s]`` = γ/√n."""

    sizes: tuple
    edges: list
    hist: list
    ks: np.ndarray
    skew: np.ndarray
    skew_theory: np.ndarray
    standardized: bool
    z: np.ndarray  # (S, reps)


def _lattice_edges(n: int, mu: float, sd: float, sums: np.ndarray, target: float) -> np.ndarray:
    """Bin edges for means of integer-valued draws: whole lattice steps per bin, centred on
    the lattice, so no bin catches two lattice points where its neighbour catches none."""
    h = 1.0 / (sd * math.sqrt(n))  # the lattice step of z
    m = max(1, round(target / h))
    lo, hi = sums.min() - 0.5, sums.max() + 0.5 + m
    e = np.arange(lo, hi, m)
    return (e / n - mu) * math.sqrt(n) / sd


def clt(cfg: CLTConfig) -> CLT:
    rng = np.random.default_rng((cfg.seed, 2))
    top = max(cfg.sizes)
    x = draw(cfg.dist, cfg.a, cfg.b, rng, (cfg.reps, top))
    csum = np.cumsum(x, axis=1)
    mu, var, gamma = moments(cfg.dist, cfg.a, cfg.b)
    standardized = math.isfinite(var) and var > 0
    sd = math.sqrt(var) if standardized else math.nan
    discrete = FAMILIES[cfg.dist].discrete
    edges, hist, ks, sk, zs = [], [], [], [], []
    for n in cfg.sizes:
        means = csum[:, n - 1] / n
        if standardized:
            z = (means - mu) * math.sqrt(n) / sd
            e = _lattice_edges(n, mu, sd, np.round(csum[:, n - 1]), 0.2) if discrete else np.linspace(-4.5, 4.5, 46)
            ks.append(float(stats.kstest(z, "norm").statistic))
        else:
            z = means
            e = np.linspace(-6, 6, 49)
            ks.append(math.nan)
        counts, _ = np.histogram(z, e)
        edges.append(e)
        hist.append(counts / (cfg.reps * np.diff(e)))
        sk.append(float(stats.skew(means)) if np.ptp(means) > 0 else math.nan)
        zs.append(z)
    skew_theory = np.array([gamma / math.sqrt(n) for n in cfg.sizes])
    return CLT(tuple(cfg.sizes), edges, hist, np.array(ks), np.array(sk), skew_theory, standardized, np.array(zs))


# ---------------------------------------------------------------- 3 · maximum likelihood

@dataclass(frozen=True)
class MLEConfig:
    """n draws of N(mu, sigma²) and n draws of Bernoulli(p), seeded."""

    n: int = 20
    mu: float = 1.0
    sigma: float = 2.0
    p: float = 0.3
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.n, int) and 2 <= self.n <= 100_000, "n", "must be 2..100000")
        check(math.isfinite(self.mu) and -10 <= self.mu <= 10, "mu", "must be in −10…10")
        check(math.isfinite(self.sigma) and 0.05 <= self.sigma <= 10, "sigma", "must be in 0.05…10")
        check(math.isfinite(self.p) and 0 < self.p < 1, "p", "must be in (0, 1)")
        check(_seed_ok(self.seed), "seed", "must be 0..2³¹−1")


def gauss_loglik(x: np.ndarray, mu, sigma):
    """Gaussian log-likelihood Σᵢ log N(xᵢ; μ, σ²), broadcast over μ and σ (from the
    sufficient statistics, so a grid costs no more than one point)."""
    n, s1, s2 = len(x), float(np.sum(x)), float(np.sum(x * x))
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    ss = s2 - 2 * mu * s1 + n * mu * mu  # Σ (xᵢ − μ)²
    return -0.5 * n * math.log(2 * math.pi) - n * np.log(sigma) - ss / (2 * sigma * sigma)


@dataclass(frozen=True)
class GaussMLE:
    """``x`` (n,) data; ``mu_grid`` (M,), ``sigma_grid`` (S,), ``surface`` (S, M) the
    log-likelihood; ``mle`` the closed form (x̄, √(Σ(x−x̄)²/n)); ``path`` (T, 2) the BFGS
    iterates (μ, σ) from its start to ``numeric``; ``loglik_max`` ℓ at the MLE."""

    x: np.ndarray
    mu_grid: np.ndarray
    sigma_grid: np.ndarray
    surface: np.ndarray
    mle: tuple
    numeric: tuple
    path: np.ndarray
    loglik_max: float
    truth: tuple


def gauss_mle(cfg: MLEConfig, grid: int = 81) -> GaussMLE:
    x = np.random.default_rng((cfg.seed, 3)).normal(cfg.mu, cfg.sigma, cfg.n)
    mu_hat, sig_hat = float(x.mean()), float(x.std())
    # A grid fixed by the truth (not the data), so the peak visibly narrows as n grows.
    m_lo, m_hi = min(cfg.mu - 2 * cfg.sigma, mu_hat - 0.2 * cfg.sigma), max(cfg.mu + 2 * cfg.sigma, mu_hat + 0.2 * cfg.sigma)
    s_lo, s_hi = min(0.3 * cfg.sigma, 0.8 * sig_hat), max(2.5 * cfg.sigma, 1.2 * sig_hat)
    mu_grid, sigma_grid = np.linspace(m_lo, m_hi, grid), np.linspace(s_lo, s_hi, grid)
    surface = gauss_loglik(x, mu_grid[None, :], sigma_grid[:, None])
    n = len(x)

    def neg(theta):  # in (μ, log σ): unconstrained, and the surface is better conditioned
        m, ls = theta
        s2 = math.exp(2 * ls)
        r = x - m
        val = n * ls + float(r @ r) / (2 * s2)
        grad = np.array([-float(r.sum()) / s2, n - float(r @ r) / s2])
        return val, grad

    start = np.array([m_lo + 0.1 * (m_hi - m_lo), math.log(s_lo + 0.85 * (s_hi - s_lo))])
    path = [start.copy()]
    res = optimize.minimize(neg, start, jac=True, method="BFGS", callback=lambda t: path.append(np.array(t)),
                            options={"gtol": 1e-10, "maxiter": 200})
    path = np.array([(m, math.exp(ls)) for m, ls in path])
    numeric = (float(res.x[0]), float(math.exp(res.x[1])))
    return GaussMLE(x, mu_grid, sigma_grid, surface, (mu_hat, sig_hat), numeric, path,
                    float(gauss_loglik(x, mu_hat, sig_hat)), (cfg.mu, cfg.sigma))


@dataclass(frozen=True)
class BernoulliMLE:
    """``x`` (n,) 0/1 data with ``k`` ones; ``p_grid`` (G,) and ``loglik`` (G,)
    ℓ(p) = k log p + (n−k) log(1−p); ``mle`` = k/n (clipped into the grid when k is 0 or n);
    ``numeric`` the bounded scalar optimizer's answer; ``lr_interval`` the values of p with
    ℓ(p̂) − ℓ(p) ≤ χ²₁(0.95)/2 (the 95 % likelihood-ratio interval)."""

    x: np.ndarray
    k: int
    p_grid: np.ndarray
    loglik: np.ndarray
    mle: float
    numeric: float
    lr_interval: tuple
    truth: float


def bern_loglik(k: int, n: int, p):
    p = np.asarray(p, float)
    return special.xlogy(k, p) + special.xlog1py(n - k, -p)


def bernoulli_mle(cfg: MLEConfig, grid: int = 999) -> BernoulliMLE:
    x = (np.random.default_rng((cfg.seed, 4)).random(cfg.n) < cfg.p).astype(float)
    n, k = cfg.n, int(x.sum())
    p_grid = np.linspace(0.001, 0.999, grid)
    ll = bern_loglik(k, n, p_grid)
    res = optimize.minimize_scalar(lambda p: -float(bern_loglik(k, n, p)), bounds=(1e-9, 1 - 1e-9),
                                   method="bounded", options={"xatol": 1e-10})
    mle = k / n
    cut = float(bern_loglik(k, n, min(max(mle, 1e-12), 1 - 1e-12))) - stats.chi2.ppf(0.95, 1) / 2
    inside = p_grid[ll >= cut]
    return BernoulliMLE(x, k, p_grid, ll, mle, float(res.x), (float(inside.min()), float(inside.max())), cfg.p)


# ---------------------------------------------------------------- 4 · Bayesian update

@dataclass(frozen=True)
class BayesConfig:
    """Beta(prior_a, prior_b) prior on a coin's chance p of heads; a seeded stream of
    ``STREAM`` tosses of a coin with chance ``p``; the first ``seen`` have arrived."""

    prior_a: float = 2.0
    prior_b: float = 2.0
    p: float = 0.7
    seen: int = 20
    level: float = 0.9
    seed: int = 0

    def __post_init__(self):
        for name in ("prior_a", "prior_b"):
            v = getattr(self, name)
            check(math.isfinite(v) and 0.1 <= v <= 100, name, "must be in 0.1…100")
        check(math.isfinite(self.p) and 0 <= self.p <= 1, "p", "must be in 0…1")
        check(isinstance(self.seen, int) and 0 <= self.seen <= STREAM, "seen", f"must be 0..{STREAM}")
        check(math.isfinite(self.level) and 0.05 <= self.level <= 0.999, "level", "must be in 0.05…0.999")
        check(_seed_ok(self.seed), "seed", "must be 0..2³¹−1")


def stream(cfg: BayesConfig) -> np.ndarray:
    """The STREAM seeded tosses (0/1 ints); the first ``seen`` have arrived."""
    return (np.random.default_rng((cfg.seed, 5)).random(STREAM) < cfg.p).astype(int)


def credible(a, b, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed credible interval of Beta(a, b): the (1−level)/2 and (1+level)/2 quantiles."""
    return stats.beta.ppf((1 - level) / 2, a, b), stats.beta.ppf((1 + level) / 2, a, b)


def hpd(a: float, b: float, level: float) -> tuple[float, float] | None:
    """Highest-posterior-density interval of a unimodal Beta(a, b) (a, b ≥ 1): the
    shortest interval holding ``level`` of the mass. None when the density is U-shaped
    (a, b < 1), where the highest-density region is two pieces, not one interval."""
    if a < 1 and b < 1:
        return None
    width = lambda t: stats.beta.ppf(t + level, a, b) - stats.beta.ppf(t, a, b)  # noqa: E731
    res = optimize.minimize_scalar(width, bounds=(0.0, 1 - level), method="bounded", options={"xatol": 1e-12})
    t = float(res.x)
    # a monotone density puts the interval against 0 or 1: check the ends as well
    t = min((0.0, t, 1 - level), key=width)
    return float(stats.beta.ppf(t, a, b)), float(stats.beta.ppf(t + level, a, b))


@dataclass(frozen=True)
class Bayes:
    """``data`` (seen,) the tosses that arrived; per number of tosses i = 0..seen (arrays of
    length seen+1): ``heads`` k_i, posterior parameters ``a``/``b`` = prior + (k_i, i − k_i),
    posterior ``mean`` and the ``lo``/``hi`` equal-tailed credible bounds. ``hpd`` for the
    last posterior (None when U-shaped)."""

    data: np.ndarray
    heads: np.ndarray
    a: np.ndarray
    b: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    hpd: tuple | None
    cfg: BayesConfig


def beta_bernoulli(cfg: BayesConfig) -> Bayes:
    data = stream(cfg)[: cfg.seen]
    heads = np.concatenate([[0], np.cumsum(data)])
    tosses = np.arange(cfg.seen + 1)
    a, b = cfg.prior_a + heads, cfg.prior_b + tosses - heads
    lo, hi = credible(a, b, cfg.level)
    return Bayes(data, heads, a.astype(float), b.astype(float), a / (a + b), lo, hi,
                 hpd(float(a[-1]), float(b[-1]), cfg.level), cfg)


def beta_pdf(a: float, b: float, p: np.ndarray) -> np.ndarray:
    """Beta(a, b) density at p (closed form, finite inside (0, 1))."""
    return density("beta", a, b, p)


def update_curves(bay: Bayes, i: int, p: np.ndarray) -> dict:
    """Prior, normalized likelihood and posterior densities on p (G,) after i tosses. The
    likelihood p^k (1−p)^(i−k), scaled to integrate to 1, is the Beta(k+1, i−k+1) density."""
    k = int(bay.heads[i])
    return {"prior": beta_pdf(bay.cfg.prior_a, bay.cfg.prior_b, p),
            "likelihood": beta_pdf(k + 1, i - k + 1, p),
            "posterior": beta_pdf(float(bay.a[i]), float(bay.b[i]), p)}
