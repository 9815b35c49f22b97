"""Linear algebra you can move: a 2×2 matrix as a map of the plane, its eigenvectors,
its SVD as rotate → scale → rotate, and PCA on scikit-learn's 8×8 digits by our own SVD.

Everything is NumPy and small. Points are arrays of shape (n, 2) (rows are points; a NaN
row breaks a polyline, so many grid lines travel in one array). A matrix acts on points as
``pts @ A.T``.

* :class:`MatrixConfig` → :func:`analyse` (determinant, trace, rank, eigenvalues, real
  eigenvectors or the news that there are none, singular values, condition number).
* :func:`morph` — the straight path (1 − t) I + t A from the identity to A. Its
  eigenvectors are A's for every t (eigenvalue 1 − t + tλ), which is why the eigen-lines
  stay put while the grid moves.
* :func:`svd2` / :func:`svd_stage` — A = U Σ Vᵀ with V a rotation; stage s ∈ [0, 3] walks
  through Vᵀ (s ≤ 1), Σ Vᵀ (s ≤ 2), U Σ Vᵀ (s = 3), each factor interpolated smoothly.
* :class:`PCAConfig` → :func:`pca_study` — PCA of the chosen digit classes by SVD of the
  centred 1,797 × 64 pixel matrix, with sklearn's sign convention (the largest-magnitude
  entry of each component is positive), projections and reconstructions from k components.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from explorer.engines.contract import check

LIMIT = 3.0          # matrix entries live in [−LIMIT, LIMIT]
TOL = 1e-9           # below this a determinant, discriminant or singular value counts as zero
DIGITS = tuple(range(10))
N_PIXELS = 64        # 8 × 8 images


# --------------------------------------------------------------------------- the matrix
@dataclass(frozen=True)
class MatrixConfig:
    """A = [[a, b], [c, d]]; every entry in [−3, 3]."""

    a: float = 1.5
    b: float = 1.0
    c: float = 0.25
    d: float = 0.75

    def __post_init__(self):
        for name in ("a", "b", "c", "d"):
            v = getattr(self, name)
            check(isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= LIMIT, name,
                  f"a finite number in [−{LIMIT:g}, {LIMIT:g}]")

    @property
    def matrix(self) -> np.ndarray:
        """(2, 2) float array."""
        return np.array([[self.a, self.b], [self.c, self.d]], dtype=float)


@dataclass(frozen=True)
class MatrixInfo:
    """What a 2×2 matrix does to the plane.

    eigenvalues: (2,) complex (a conjugate pair when ``complex_eigen``). eigenvectors: a
    list of (λ, unit vector (2,)) for the real eigen-directions — empty when the
    eigenvalues are complex, one entry for a defective matrix (a shear), two otherwise;
    ``every_direction`` is True for a multiple of the identity (every vector is an
    eigenvector). singular: (2,) σ₁ ≥ σ₂ ≥ 0. cond: σ₁/σ₂ (inf when singular).
    """

    det: float
    trace: float
    rank: int
    eigenvalues: np.ndarray
    complex_eigen: bool
    eigenvectors: list
    every_direction: bool
    singular: np.ndarray
    cond: float


def _null_direction(m: np.ndarray) -> np.ndarray:
    """A unit vector v with m v ≈ 0 (the last right singular vector); m is (2, 2)."""
    v = np.linalg.svd(m)[2][-1]
    return _canonical(v)


def _canonical(v: np.ndarray) -> np.ndarray:
    """The unit vector ±v whose largest-magnitude entry is positive (a stable sign)."""
    v = np.asarray(v, float) / np.linalg.norm(v)
    return v if v[np.argmax(np.abs(v))] >= 0 else -v


def analyse(a: np.ndarray) -> MatrixInfo:
    """Determinant, trace, rank, eigen- and singular values of a (2, 2) matrix."""
    a = np.asarray(a, float)
    tr, det = float(np.trace(a)), float(np.linalg.det(a))
    scale = max(1.0, float(np.abs(a).max()))
    disc = tr * tr - 4.0 * det
    sv = np.linalg.svd(a, compute_uv=False)
    rank = int(np.sum(sv > TOL * scale))
    if disc < -TOL * scale * scale:
        root = math.sqrt(-disc) / 2
        lam = np.array([tr / 2 + 1j * root, tr / 2 - 1j * root])
        return MatrixInfo(det, tr, rank, lam, True, [], False, sv, _cond(sv))
    root = math.sqrt(max(disc, 0.0)) / 2
    l1, l2 = tr / 2 + root, tr / 2 - root
    lam = np.array([l1, l2], dtype=complex)
    if root <= 1e-7 * scale:  # a repeated eigenvalue: λI (every direction) or a defective shear
        l1 = tr / 2
        if np.abs(a - l1 * np.eye(2)).max() <= 1e-7 * scale:
            vecs = [(l1, np.array([1.0, 0.0])), (l1, np.array([0.0, 1.0]))]
            return MatrixInfo(det, tr, rank, np.array([l1, l1], complex), False, vecs, True, sv, _cond(sv))
        return MatrixInfo(det, tr, rank, np.array([l1, l1], complex), False,
                          [(l1, _null_direction(a - l1 * np.eye(2)))], False, sv, _cond(sv))
    vecs = [(l1, _null_direction(a - l1 * np.eye(2))), (l2, _null_direction(a - l2 * np.eye(2)))]
    return MatrixInfo(det, tr, rank, lam, False, vecs, False, sv, _cond(sv))


def _cond(sv: np.ndarray) -> float:
    return float(sv[0] / sv[1]) if sv[1] > TOL * max(1.0, sv[0]) else math.inf


def apply(a: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points (n, 2) mapped by the (2, 2) matrix a (NaN separator rows stay NaN)."""
    return np.asarray(pts, float) @ np.asarray(a, float).T


def morph(a: np.ndarray, t: float) -> np.ndarray:
    """(1 − t) I + t A: the identity at t = 0, A at t = 1. (2, 2)."""
    return (1.0 - t) * np.eye(2) + t * np.asarray(a, float)


def grid_lines(extent: int = 4, n_pts: int = 2) -> np.ndarray:
    """The lines x = k and y = k for k = −extent … extent, each from −extent to +extent with
    ``n_pts`` points, NaN rows between lines. Shape ((2·(2·extent+1))·(n_pts+1), 2)."""
    s = np.linspace(-extent, extent, n_pts)
    rows = []
    for k in range(-extent, extent + 1):
        rows += [np.c_[np.full(n_pts, k), s], [[np.nan, np.nan]], np.c_[s, np.full(n_pts, k)], [[np.nan, np.nan]]]
    return np.vstack(rows).astype(float)


def unit_circle(n: int = 121) -> np.ndarray:
    """(n, 2) points on the unit circle, closed (first = last), starting at (1, 0)."""
    t = np.linspace(0.0, 2 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t)]


UNIT_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])


def polygon_area(pts: np.ndarray) -> float:
    """Signed area of a closed polygon (n, 2) by the shoelace formula (counter-clockwise > 0)."""
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


# --------------------------------------------------------------------------- SVD in three steps
def rotation(theta: float) -> np.ndarray:
    """The (2, 2) rotation by θ radians (counter-clockwise)."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


@dataclass(frozen=True)
class SVD2:
    """A = U diag(s) Vᵀ with V a rotation by ``phi`` (so Vᵀ rotates by −φ) and U = R(θ) when
    ``u_reflects`` is False, else U = R(θ)·diag(1, −1) (a reflection: only when det A < 0).
    U, Vt: (2, 2); s: (2,) with s[0] ≥ s[1] ≥ 0; angles in radians in (−π, π]."""

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray
    phi: float
    theta: float
    u_reflects: bool


def svd2(a: np.ndarray) -> SVD2:
    """The SVD of a (2, 2) matrix with V a proper rotation by |φ| ≤ 90° (and U a rotation too
    unless det A < 0)."""
    a = np.asarray(a, float)
    u, s, vt = np.linalg.svd(a)
    v = vt.T
    if np.linalg.det(v) < 0:  # flip the second pair: u₂σ₂v₂ᵀ is unchanged
        v[:, 1] *= -1
        u[:, 1] *= -1
    if np.linalg.det(u) < 0 and s[1] <= TOL * max(1.0, s[0]):
        u[:, 1] *= -1  # σ₂ = 0: u₂ is free, so make U a rotation too
    if abs(math.atan2(v[1, 0], v[0, 0])) > math.pi / 2:  # (uᵢ, vᵢ) → (−uᵢ, −vᵢ): the shorter turn
        u, v = -u, -v
    reflects = bool(np.linalg.det(u) < 0)
    phi = math.atan2(v[1, 0], v[0, 0])
    theta = math.atan2(u[1, 0], u[0, 0])
    return SVD2(u, s, v.T, phi, theta, reflects)


def svd_stage(d: SVD2, stage: float) -> np.ndarray:
    """The (2, 2) map after ``stage`` ∈ [0, 3] steps: 0 → I, 1 → Vᵀ, 2 → Σ Vᵀ, 3 → U Σ Vᵀ = A.
    Between whole stages each factor moves smoothly: a rotation by a fraction of its angle,
    a scaling from 1 to σ, and U's reflection (if any) as a flattening through a line."""
    st = min(3.0, max(0.0, float(stage)))
    t1, t2, t3 = (min(1.0, max(0.0, st - k)) for k in range(3))
    vt = rotation(-t1 * d.phi)
    sig = np.diag(1.0 + t2 * (d.s - 1.0))
    u = rotation(t3 * d.theta) @ (np.diag([1.0, 1.0 - 2.0 * t3]) if d.u_reflects else np.eye(2))
    return u @ sig @ vt


STAGE_NAMES = ("x (the unit circle)", "Vᵀx (rotate)", "ΣVᵀx (scale the axes)", "UΣVᵀx = Ax (rotate)")


# --------------------------------------------------------------------------- PCA on digits
@functools.lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 digits: pixels (1797, 64) in 0…16 (float), labels (1797,) int."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    x, y = d.data.astype(float), d.target.astype(int)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


@dataclass(frozen=True)
class PCA:
    """A fitted PCA. mean: (64,); components: (r, 64) orthonormal rows; variance: (r,) the
    variance along each (eigenvalues of the covariance, divisor n − 1); ratio: (r,) their
    share of the total variance; singular: (r,) singular values of the centred data."""

    mean: np.ndarray
    components: np.ndarray
    variance: np.ndarray
    ratio: np.ndarray
    singular: np.ndarray


def fit_pca(x: np.ndarray) -> PCA:
    """PCA of x (n, p) by the SVD of the centred data, X − μ = U S Vᵀ: the components are the
    rows of Vᵀ, the variances S²/(n − 1). Signs follow sklearn (largest |entry| positive)."""
    x = np.asarray(x, float)
    check(x.ndim == 2 and x.shape[0] >= 2, "x", "a 2-D array with at least two rows")
    from threadpoolctl import threadpool_limits

    mean = x.mean(axis=0)
    # One BLAS thread: on a few shared cores a threaded SVD of this small matrix takes seconds, not milliseconds.
    with threadpool_limits(limits=1, user_api="blas"):
        _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    sign = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    vt = vt * np.where(sign == 0, 1.0, sign)[:, None]
    var = s ** 2 / (x.shape[0] - 1)
    total = var.sum()
    return PCA(mean, vt, var, var / total if total > 0 else np.zeros_like(var), s)


def project(p: PCA, x: np.ndarray, k: int) -> np.ndarray:
    """Scores (n, k): coordinates of x (n, p) along the first k components."""
    return (np.asarray(x, float) - p.mean) @ p.components[:k].T


def reconstruct(p: PCA, x: np.ndarray, k: int) -> np.ndarray:
    """x (n, p) rebuilt from its first k components: μ + Σⱼ≤k (xⱼ·wⱼ) wⱼ. (n, p)."""
    return p.mean + project(p, x, k) @ p.components[:k]


@dataclass(frozen=True)
class PCAConfig:
    """Fit PCA on the images of ``digits`` (≥ 2 classes); rebuild with ``k`` components the
    ``samples`` images picked by ``seed`` (one per class in turn)."""

    digits: tuple = DIGITS
    k: int = 10
    seed: int = 0
    samples: int = 10

    def __post_init__(self):
        check(isinstance(self.digits, tuple) and len(set(self.digits)) >= 2
              and all(d in DIGITS for d in self.digits), "digits", "at least two distinct classes from 0–9")
        check(isinstance(self.k, int) and 1 <= self.k <= N_PIXELS, "k", f"an integer in 1…{N_PIXELS}")
        check(isinstance(self.seed, int) and 0 <= self.seed <= 10 ** 6, "seed", "an integer in 0…10⁶")
        check(isinstance(self.samples, int) and 1 <= self.samples <= 20, "samples", "an integer in 1…20")


@dataclass(frozen=True)
class PCAStudy:
    """pca: the fit; labels: (n,) of the images used; scores: (n, m) their first m ≤ 10
    coordinates; picked: (samples,) indices into them; originals / recons: (samples, 64)
    pixels; errors: (samples,) RMS pixel error of each reconstruction; mse_by_k: (r+1,) the
    mean squared pixel error of rebuilding every image from k = 0 … r components."""

    pca: PCA
    labels: np.ndarray
    scores: np.ndarray
    picked: np.ndarray
    originals: np.ndarray
    recons: np.ndarray
    errors: np.ndarray
    mse_by_k: np.ndarray


def pca_study(cfg: PCAConfig) -> PCAStudy:
    """Fit, project, and rebuild the sample images of ``cfg``."""
    x_all, y_all = load_digits()
    keep = np.isin(y_all, cfg.digits)
    x, y = x_all[keep], y_all[keep]
    p = fit_pca(x)
    k = min(cfg.k, len(p.variance))
    rng = np.random.default_rng(cfg.seed)
    classes = sorted(set(cfg.digits))
    picked = []
    for i in range(cfg.samples):
        pool = np.flatnonzero(y == classes[i % len(classes)])
        pool = np.setdiff1d(pool, picked)
        picked.append(int(rng.choice(pool)))
    picked = np.array(picked)
    originals = x[picked]
    recons = reconstruct(p, originals, k)
    errors = np.sqrt(np.mean((recons - originals) ** 2, axis=1))
    # The mean squared error from k components is the variance left over, per pixel.
    left = np.r_[np.cumsum(p.variance[::-1])[::-1], 0.0] * (len(x) - 1) / len(x)
    return PCAStudy(p, y, project(p, x, min(10, len(p.variance))), picked, originals, recons, errors,
                    left / x.shape[1])
