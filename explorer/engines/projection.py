"""2-D projections of embeddings: PCA, t-SNE and UMAP, deterministic by seed.

``project(z, method, seed)`` maps ``z`` ``[N, D]`` (any float) to ``[N, 2]`` float32. PCA is our
own (:func:`pca`: the D×D covariance's eigenvectors, or a seeded randomized SVD for wide
data); t-SNE is scikit-learn's (PCA initialisation); UMAP is umap-learn's, imported lazily — its first call in a process JIT-compiles (≈10 s, and
≈25 s more the first time 4,096 points or more take its approximate-neighbour route), see
:func:`warm_umap`.
"""
from __future__ import annotations

import numpy as np

from explorer.engines.contract import check

METHODS = ("pca", "tsne", "umap")


def pca(z: np.ndarray, k: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(scores ``[N, k]`` float32, explained-variance ratio ``[k]``) of the centred rows of ``z``
    ``[N, D]``, each component signed so that its largest-magnitude loading is positive (a
    projection does not flip between runs). Exact for ``D ≤ 1024`` (eigenvectors of the D×D
    covariance: O(N·D²), far cheaper than an SVD of the N×D data); wider data use a seeded
    randomized SVD (Halko et al. 2011: a Gaussian sketch of k + 10 columns, 2 power iterations),
    accurate to a tiny error on the leading components."""
    z = np.asarray(z, dtype=np.float64)
    check(z.ndim == 2 and len(z) >= 2, "z", "needs a [N, D] array with N ≥ 2")
    zc = z - z.mean(axis=0)
    total = float((zc * zc).sum())
    n, d = zc.shape
    k_eff = min(k, n, d)
    if d <= 1024:
        evals, evecs = np.linalg.eigh(zc.T @ zc)
        order = np.argsort(evals)[::-1][:k_eff]
        comps, var = evecs[:, order].T, np.clip(evals[order], 0, None)
    else:
        rng = np.random.default_rng(seed)
        q = np.linalg.qr(zc @ rng.normal(size=(d, min(k_eff + 10, d))))[0]
        for _ in range(2):
            q = np.linalg.qr(zc @ (zc.T @ q))[0]
        _, s, vt = np.linalg.svd(q.T @ zc, full_matrices=False)
        comps, var = vt[:k_eff], s[:k_eff] ** 2
    signs = np.sign(comps[np.arange(k_eff), np.abs(comps).argmax(axis=1)])
    signs[signs == 0] = 1.0
    comps = comps * signs[:, None]
    scores = zc @ comps.T
    ratio = var / total if total > 0 else np.zeros(k_eff)
    if k_eff < k:
        scores, ratio = np.pad(scores, ((0, 0), (0, k - k_eff))), np.pad(ratio, (0, k - k_eff))
    return scores.astype(np.float32), ratio


def project(z: np.ndarray, method: str = "pca", seed: int = 0, perplexity: float = 30.0,
            n_neighbors: int = 15) -> np.ndarray:
    """``z`` ``[N, D]`` → ``[N, 2]`` float32 by ``method`` (one of :data:`METHODS`)."""
    check(method in METHODS, "method", f"must be one of {METHODS}")
    z = np.asarray(z, dtype=np.float32)
    check(z.ndim == 2 and len(z) >= 3, "z", "needs a [N, D] array with N ≥ 3")
    check(bool(np.isfinite(z).all()), "z", "has NaN or infinite values (did training diverge?)")
    if method == "pca":
        return pca(z, 2, seed)[0]
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = float(min(perplexity, (len(z) - 1) / 3))
        out = TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed).fit_transform(z)
        return out.astype(np.float32)
    import umap  # lazily: importing numba and compiling costs seconds

    nn_ = int(min(n_neighbors, len(z) - 1))
    out = umap.UMAP(n_components=2, n_neighbors=nn_, random_state=seed, n_jobs=1).fit_transform(z)
    return np.asarray(out, dtype=np.float32)


# umap-learn finds neighbours exactly below this many points and by NN-descent (pynndescent)
# from it on; each route JIT-compiles separately on its first use (≈10 s and ≈25 s here).
UMAP_APPROX_FROM = 4096
_WARM: set = set()


def _umap_route(n: int) -> str:
    return "approximate" if n >= UMAP_APPROX_FROM else "exact"


def warm_umap(n: int = 40) -> None:
    """Pay UMAP's one-off JIT compile for inputs of ``n`` points (the route that size takes),
    once per process, on a small random input of that route."""
    route = _umap_route(n)
    if route not in _WARM:
        size = UMAP_APPROX_FROM if route == "approximate" else 40
        project(np.random.default_rng(0).normal(size=(size, 4)).astype(np.float32), "umap")
        _WARM.add(route)


def umap_is_warm(n: int = 40) -> bool:
    """True when UMAP on ``n`` points will not compile first."""
    return _umap_route(n) in _WARM
