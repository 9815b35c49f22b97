"""2-D toy datasets, generated exactly as TensorFlow Playground generates them.

Every generator takes ``rand`` (anything with ``random() -> float in [0, 1)``) and draws
in the peer's order, so with :class:`~explorer.engines.rng.SeedRandom` the points are the
peer's to the last bit. Classification labels are ±1 (two classes) or 0..k-1 (``blobs``
and ``arms``, our multiclass additions); regression labels are real numbers in about
[-1, 1]. Coordinates are in the peer's units (the view spans [-6, 6]).

Returns ``(xy, label)``: ``xy`` float64 (n, 2), ``label`` float64 (n,).
"""
from __future__ import annotations

import math
from typing import Callable, Protocol

import numpy as np

N_CLASSIFY = 500
N_REGRESS = 1200


class Rand(Protocol):
    def random(self) -> float: ...


def _uniform(rand: Rand, a: float, b: float) -> float:
    return rand.random() * (b - a) + a


def _d3_linear(x: float, a: float, b: float, y0: float, y1: float, clamp: bool = False) -> float:
    """d3 v3 ``scale.linear().domain([a, b]).range([y0, y1])`` with its exact formula."""
    t = (x - a) / (b - a)
    if clamp:
        t = min(1.0, max(0.0, t))
    return y0 * (1 - t) + y1 * t


def _normal(rand: Rand, mean: float, variance: float) -> float:
    """Marsaglia polar method, using only v1, as the peer does."""
    while True:
        v1 = 2 * rand.random() - 1
        v2 = 2 * rand.random() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            break
    result = math.sqrt(-2 * math.log(s) / s) * v1
    return mean + math.sqrt(variance) * result


def circle(rand: Rand, n: int, noise: float, classes: int = 2):
    radius = 5.0
    pts = []
    for lo, hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        for _ in range(n // 2):
            r = _uniform(rand, lo, hi)
            angle = _uniform(rand, 0, 2 * math.pi)
            x, y = r * math.sin(angle), r * math.cos(angle)
            nx = _uniform(rand, -radius, radius) * noise
            ny = _uniform(rand, -radius, radius) * noise
            label = 1.0 if math.hypot(x + nx, y + ny) < radius * 0.5 else -1.0
            pts.append((x, y, label))
    return pts


def xor(rand: Rand, n: int, noise: float, classes: int = 2):
    pad = 0.3
    pts = []
    for _ in range(n):
        x = _uniform(rand, -5, 5)
        x += pad if x > 0 else -pad
        y = _uniform(rand, -5, 5)
        y += pad if y > 0 else -pad
        nx = _uniform(rand, -5, 5) * noise
        ny = _uniform(rand, -5, 5) * noise
        pts.append((x, y, 1.0 if (x + nx) * (y + ny) >= 0 else -1.0))
    return pts


def gauss(rand: Rand, n: int, noise: float, classes: int = 2):
    variance = _d3_linear(noise, 0, 0.5, 0.5, 4)
    pts = []
    for c, label in ((2.0, 1.0), (-2.0, -1.0)):
        for _ in range(n // 2):
            x = _normal(rand, c, variance)
            y = _normal(rand, c, variance)
            pts.append((x, y, label))
    return pts


def spiral(rand: Rand, n: int, noise: float, classes: int = 2):
    half = n // 2
    pts = []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        for i in range(half):
            r = i / half * 5
            t = 1.75 * i / half * 2 * math.pi + delta
            x = r * math.sin(t) + _uniform(rand, -1, 1) * noise
            y = r * math.cos(t) + _uniform(rand, -1, 1) * noise
            pts.append((x, y, label))
    return pts


def blobs(rand: Rand, n: int, noise: float, classes: int = 3):
    """k Gaussian blobs on a circle of radius 3.5; labels 0..k-1 (our multiclass set)."""
    variance = _d3_linear(noise, 0, 0.5, 0.4, 3)
    pts = []
    for c in range(classes):
        cx, cy = 3.5 * math.cos(2 * math.pi * c / classes), 3.5 * math.sin(2 * math.pi * c / classes)
        for _ in range(n // classes):
            pts.append((_normal(rand, cx, variance), _normal(rand, cy, variance), float(c)))
    return pts


def arms(rand: Rand, n: int, noise: float, classes: int = 3):
    """A k-armed spiral (the peer's spiral rule, one arm per class); labels 0..k-1."""
    per = n // classes
    pts = []
    for c in range(classes):
        for i in range(per):
            r = i / per * 5
            t = 1.25 * i / per * 2 * math.pi + 2 * math.pi * c / classes
            x = r * math.sin(t) + _uniform(rand, -1, 1) * noise
            y = r * math.cos(t) + _uniform(rand, -1, 1) * noise
            pts.append((x, y, float(c)))
    return pts


def _regression(rand: Rand, n: int, noise: float, label: Callable[[float, float], float]):
    """The peer's regression sets: uniform points in [-6, 6]², label of the noise-shifted point."""
    radius = 6.0
    pts = []
    for _ in range(n):
        x = _uniform(rand, -radius, radius)
        y = _uniform(rand, -radius, radius)
        nx = _uniform(rand, -radius, radius) * noise
        ny = _uniform(rand, -radius, radius) * noise
        pts.append((x, y, label(x + nx, y + ny)))
    return pts


def reg_plane(rand: Rand, n: int, noise: float, classes: int = 2):
    return _regression(rand, n, noise, lambda x, y: _d3_linear(x + y, -10, 10, -1, 1))


_BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _bump_label(x: float, y: float) -> float:
    """The largest-magnitude bump (the first one on ties, as the peer's strict > does)."""
    label = 0.0
    for cx, cy, sign in _BUMPS:
        d = math.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy))
        v = sign * _d3_linear(d, 0, 2, 1, 0, clamp=True)
        if abs(v) > abs(label):
            label = v
    return label


def reg_gauss(rand: Rand, n: int, noise: float, classes: int = 2):
    return _regression(rand, n, noise, _bump_label)


CLASSIFY: dict[str, Callable] = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral,
                                 "blobs": blobs, "arms": arms}
REGRESS: dict[str, Callable] = {"reg-plane": reg_plane, "reg-gauss": reg_gauss}
MULTICLASS = frozenset({"blobs", "arms"})


def shuffle_inplace(rand: Rand, items: list) -> None:
    """The peer's Fisher–Yates from the end: ``idx = floor(r * counter); counter -= 1; swap``."""
    counter = len(items)
    while counter > 0:
        idx = math.floor(rand.random() * counter)
        counter -= 1
        items[counter], items[idx] = items[idx], items[counter]


def generate(rand: Rand, name: str, noise: float, train_percent: int, classes: int = 2):
    """Generate, shuffle and split like the peer's ``generateData``.

    noise is the fraction (the peer's slider / 100). Returns
    ``(train_xy (m, 2), train_y (m,), test_xy (n-m, 2), test_y (n-m,))``.
    """
    if name in CLASSIFY:
        pts = CLASSIFY[name](rand, N_CLASSIFY, noise, classes)
    else:
        pts = REGRESS[name](rand, N_REGRESS, noise, classes)
    shuffle_inplace(rand, pts)
    arr = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
    split = math.floor(len(arr) * train_percent / 100)
    return arr[:split, :2].copy(), arr[:split, 2].copy(), arr[split:, :2].copy(), arr[split:, 2].copy()
