"""The latent-space explorer's compute: a layer's activations for every input, predictions and
per-example loss, 2-D projections and how faithful a projection is to the original space.

- :func:`activations` runs a model over ``x`` ``[N, ...]`` in batches under ``no_grad`` with a
  forward hook on one tap and returns its outputs flattened to ``[N, D]`` float32. A tap may be
  :class:`InputOf` (``module``) to read what flows *into* a module (a classifier's penultimate
  features are the input of its last ``nn.Linear``).
- :func:`predictions` → class probabilities, predicted class and per-example cross-entropy.
- :func:`embed` → ``[N, 2]`` by PCA (:func:`projection.pca`, the same numbers as
  ``projection.pca``, much faster for large N), t-SNE or UMAP (``projection.project``); for
  t-SNE/UMAP inputs wider than ``Config.pre_dims`` are first reduced by PCA (the usual practice).
- :func:`trustworthiness` (Venna & Kaski 2001, as ``sklearn.manifold.trustworthiness``) and
  :func:`knn_kept` (per point: the share of its k nearest neighbours in the original space that
  stay among its k nearest on the map) say how much to believe the 2-D picture.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import projection
from explorer.engines.contract import check

METHODS = projection.METHODS
MAX_N = 5000
MAX_SCORE_N = 1000  # faithfulness scores use at most this many points (O(N²) distances)
_HOOK_LOCK = threading.Lock()  # models may be shared between sessions: one capture at a time


@dataclass(frozen=True)
class Config:
    """A projection: ``n`` inputs (the first n of the source), ``method`` with its parameters
    (``perplexity`` for t-SNE, ``n_neighbors`` for UMAP), the ``seed`` of t-SNE/UMAP/randomized
    PCA, ``pre_dims``: wider activations are PCA-reduced to this many dimensions first, ``k``:
    neighbours of the faithfulness scores."""

    n: int = 1000
    method: str = "pca"
    perplexity: float = 30.0
    n_neighbors: int = 15
    seed: int = 0
    pre_dims: int = 50
    k: int = 10

    def __post_init__(self):
        check(isinstance(self.n, int) and 3 <= self.n <= MAX_N, "n", f"must be 3..{MAX_N}")
        check(self.method in METHODS, "method", f"must be one of {METHODS}")
        check(math.isfinite(self.perplexity) and 2 <= self.perplexity <= 100, "perplexity", "must be 2..100")
        check(isinstance(self.n_neighbors, int) and 2 <= self.n_neighbors <= 200, "n_neighbors", "must be 2..200")
        check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "must be 0..2³¹−1")
        check(isinstance(self.pre_dims, int) and 2 <= self.pre_dims <= 512, "pre_dims", "must be 2..512")
        check(isinstance(self.k, int) and 1 <= self.k <= 100, "k", "must be 1..100")


class InputOf(nn.Module):
    """A tap that reads the input of ``target`` (its first positional argument) instead of an
    output. Not part of any model: it only names what to hook."""

    def __init__(self, target: nn.Module):
        super().__init__()
        self.target = target

    def forward(self, x):  # never called by a model; defined so the module is complete
        return x


# -- activations -------------------------------------------------------------------------------------
def activations(model: nn.Module, tap: nn.Module, x: np.ndarray, forward: Callable | None = None,
                batch: int = 500) -> np.ndarray:
    """The output of ``tap`` (or the input of ``tap.target`` for an :class:`InputOf`) for every
    input ``x`` ``[N, ...]``, flattened to ``[N, D]`` float32. Runs ``forward(t)`` (default
    ``model(t)``) on batches of ``batch`` under ``no_grad``; the hook is removed afterwards."""
    check(len(x) >= 1, "x", "needs at least one input")
    run = forward or model
    got: list[torch.Tensor] = []

    def keep(t):
        t = t[0] if isinstance(t, (tuple, list)) else t
        got.append(t.detach().reshape(len(t), -1).float().cpu())

    with _HOOK_LOCK:
        if isinstance(tap, InputOf):
            handle = tap.target.register_forward_pre_hook(lambda m, args: keep(args[0]))
        else:
            handle = tap.register_forward_hook(lambda m, args, out: keep(out))
        try:
            with torch.no_grad():
                for a in range(0, len(x), batch):
                    before = len(got)
                    run(torch.as_tensor(np.asarray(x[a:a + batch])))
                    check(len(got) > before, "tap", "this layer did not run for the input (not on the model's path)")
                    del got[before + 1:]  # a module used twice per forward: keep its first call
        finally:
            handle.remove()
    return torch.cat(got).numpy().astype(np.float32, copy=False)


@dataclass(frozen=True)
class Predictions:
    """``prob`` ``[N, K]`` softmax probabilities, ``pred`` ``[N]`` argmax, ``loss`` ``[N]``
    cross-entropy −log p(y) in nats, ``correct`` ``[N]`` bool."""

    prob: np.ndarray
    pred: np.ndarray
    loss: np.ndarray
    correct: np.ndarray

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())


def predictions(predict: Callable, x: np.ndarray, y: np.ndarray, batch: int = 500) -> Predictions:
    """Run ``predict`` (inputs → logits ``[N, K]``) in batches and score each example."""
    logits = []
    with torch.no_grad():
        for a in range(0, len(x), batch):
            logits.append(predict(torch.as_tensor(np.asarray(x[a:a + batch]))).detach().double().cpu())
    z = torch.cat(logits)
    t = torch.as_tensor(np.asarray(y), dtype=torch.long)
    check(int(t.min()) >= 0 and int(t.max()) < z.shape[1], "y", "labels must index the model's classes")
    loss = F.cross_entropy(z, t, reduction="none")
    prob = torch.softmax(z, dim=1)
    pred = z.argmax(dim=1)
    return Predictions(prob.numpy().astype(np.float32), pred.numpy(), loss.numpy(), (pred == t).numpy())


# -- projection --------------------------------------------------------------------------------------


def reduce(z: np.ndarray, dims: int, seed: int = 0) -> np.ndarray:
    """``z`` ``[N, D]`` → its first ``dims`` principal-component scores (:func:`projection.pca`) when
    ``D > dims``; else ``z`` unchanged (float32)."""
    z = np.asarray(z, dtype=np.float32)
    if z.shape[1] <= dims or len(z) <= dims:
        return z
    return projection.pca(z, dims, seed)[0]


@dataclass(frozen=True)
class Embedding:
    """``xy`` ``[N, 2]`` the map; ``dims`` the original width D; ``reduced_to`` the width the
    method saw (D or ``pre_dims``); ``explained`` PCA's explained-variance ratio of the two axes
    (NaN for t-SNE/UMAP); ``seconds`` the projection's compute time."""

    xy: np.ndarray
    dims: int
    reduced_to: int
    explained: np.ndarray
    seconds: float


def embed(z: np.ndarray, cfg: Config) -> Embedding:
    """The 2-D map of ``z`` ``[N, D]`` by ``cfg.method`` (see the module docstring)."""
    z = np.asarray(z, dtype=np.float32)
    check(z.ndim == 2 and len(z) >= 3, "z", "needs a [N, D] array with N ≥ 3")
    check(bool(np.isfinite(z).all()), "z", "has NaN or infinite values (did training diverge?)")
    t0 = time.perf_counter()
    explained = np.full(2, np.nan)
    if cfg.method == "pca":  # straight from the data: no pre-reduction needed
        xy, explained = projection.pca(z, 2, cfg.seed)
        zr = z
    else:
        zr = reduce(z, cfg.pre_dims, cfg.seed)
        xy = projection.project(zr, cfg.method, cfg.seed, perplexity=cfg.perplexity, n_neighbors=cfg.n_neighbors)
    return Embedding(np.asarray(xy, dtype=np.float32), z.shape[1], zr.shape[1], explained,
                     time.perf_counter() - t0)


# -- faithfulness ------------------------------------------------------------------------------------
def _sqdist(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    sq = (a * a).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2.0 * (a @ a.T)
    np.maximum(d, 0.0, out=d)
    np.fill_diagonal(d, np.inf)  # a point is never its own neighbour
    return d


def knn(z: np.ndarray, k: int) -> np.ndarray:
    """Indices ``[N, k]`` of each row's k nearest other rows (Euclidean; ties by index)."""
    d = _sqdist(z)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def knn_kept(z: np.ndarray, xy: np.ndarray, k: int = 10) -> np.ndarray:
    """Per point ``[N]``: the fraction of its k nearest neighbours in ``z`` that are also among
    its k nearest on the map ``xy`` (1 = its neighbourhood survived the projection)."""
    check(len(z) == len(xy) and len(z) > k, "k", "needs more points than neighbours")
    a, b = knn(z, k), knn(xy, k)
    return np.array([len(np.intersect1d(ra, rb, assume_unique=True)) / k for ra, rb in zip(a, b)])


def trustworthiness(z: np.ndarray, xy: np.ndarray, k: int = 10) -> float:
    """Venna & Kaski's trustworthiness T(k) ∈ [0, 1] of the map ``xy`` of ``z``: it penalises
    points that look like neighbours on the map but are far apart in the original space, by how
    far down their original rank r(i, j) is:
    T = 1 − 2 / (N k (2N − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)."""
    n = len(z)
    check(n == len(xy) and k < n / 2, "k", "must be below half the number of points")
    order = np.argsort(_sqdist(z), axis=1, kind="stable")
    rank = np.empty((n, n), dtype=np.int64)
    rank[np.arange(n)[:, None], order] = np.arange(1, n + 1)[None, :]
    near_map = knn(xy, k)
    r = rank[np.arange(n)[:, None], near_map]
    penalty = np.clip(r - k, 0, None).sum()
    return float(1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty)


@dataclass(frozen=True)
class Faithfulness:
    """``trust`` T(k) on ``idx`` (a subsample of at most :data:`MAX_SCORE_N` points), ``kept``
    per subsampled point, ``kept_mean`` its mean, ``k`` the neighbours counted."""

    trust: float
    kept: np.ndarray
    kept_mean: float
    idx: np.ndarray
    k: int


def faithfulness(z: np.ndarray, xy: np.ndarray, k: int = 10, seed: int = 0,
                 max_n: int = MAX_SCORE_N) -> Faithfulness:
    """Both scores on the same (seeded) subsample of at most ``max_n`` points."""
    n = len(z)
    idx = np.arange(n) if n <= max_n else np.sort(np.random.default_rng(seed).choice(n, max_n, replace=False))
    k = int(min(k, (len(idx) - 1) // 2))
    check(k >= 1, "z", "needs at least 3 points to score")
    zs, ps = np.asarray(z)[idx], np.asarray(xy)[idx]
    kept = knn_kept(zs, ps, k)
    return Faithfulness(trustworthiness(zs, ps, k), kept, float(kept.mean()), idx, k)


def neighbours(z: np.ndarray, i: int, k: int = 8) -> np.ndarray:
    """Indices ``[k]`` of the k rows of ``z`` nearest to row ``i`` (itself excluded), nearest first."""
    z = np.asarray(z, dtype=np.float64)
    d = ((z - z[i]) ** 2).sum(axis=1)
    d[i] = np.inf
    k = min(k, len(z) - 1)
    part = np.argpartition(d, k - 1)[:k] if k < len(z) - 1 else np.arange(len(z))[np.isfinite(d)]
    return part[np.argsort(d[part], kind="stable")]
