"""Convolution arithmetic, classic kernels on photos, pooling and receptive fields (§4.1).

Conventions (the deep-learning ones, as in ``torch.nn.functional.conv2d``): "convolution"
is cross-correlation, y[i, j] = Σ_{a,b} w[a, b] · x_pad[i·s + a·d, j·s + b·d], with zero
padding p on every side, stride s and dilation d. Arrays are (rows, cols) = (H, W),
single-channel; pixel values of photos are floats in [0, 1].

* Arithmetic: :func:`out_size` (the formula), :class:`Arith` + :func:`arithmetic` (a small
  integer example with the input cells each output cell sees), :func:`conv2d` (NumPy).
* Kernels: :data:`KERNELS`, :func:`parse_kernel` (a typed 3×3), :func:`filter_image`
  ("same" size, symmetric padding), :func:`gradient_magnitude` (Sobel).
* Pooling: :func:`pool2d` (max / average), :func:`busy_patch` (a small integer patch).
* Receptive fields: :func:`parse_stack` ("conv3,conv3,pool2,…"), :func:`rf_table` (the
  recursion r ← r + (k−1)·d·j, j ← j·s), :func:`gradient_map` (|∂y/∂x| of one output unit by
  autograd: exactly the receptive field with positive weights, the *effective* one with
  random weights) and :func:`erf_extent`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explorer.engines.contract import check

# -- arithmetic ------------------------------------------------------------------------------


def out_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """Output length of a convolution along one axis: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1.

    ≤ 0 means no position fits: the dilated kernel, d(k−1)+1 cells, is longer than the
    padded input n + 2p.
    """
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def conv2d(x: np.ndarray, w: np.ndarray, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Cross-correlation of one (H, W) map with one (kh, kw) kernel, zero padding.

    ``stride``, ``padding``, ``dilation`` are ints or (rows, cols) pairs. Returns
    (out_size(H, kh, …), out_size(W, kw, …)); raises ValueError when that is empty.
    Loops over the kh·kw taps and adds a strided slice of the padded input for each,
    which is exactly the sum in the module docstring.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    kh, kw = w.shape
    oh, ow = out_size(x.shape[0], kh, ph, sh, dh), out_size(x.shape[1], kw, pw, sw, dw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"no output: the dilated kernel does not fit the padded input ({oh}×{ow})")
    xp = np.pad(x, ((ph, ph), (pw, pw)))
    out = np.zeros((oh, ow))
    for a in range(kh):
        for b in range(kw):
            r0, c0 = a * dh, b * dw
            out += w[a, b] * xp[r0:r0 + sh * (oh - 1) + 1:sh, c0:c0 + sw * (ow - 1) + 1:sw]
    return out


@dataclass(frozen=True)
class Arith:
    """One convolution's settings: input rows × cols, kernel kh × kw, padding, stride,
    dilation (the same along both axes), and the seed of the example's small integers."""

    rows: int = 5
    cols: int = 5
    kh: int = 3
    kw: int = 3
    padding: int = 1
    stride: int = 2
    dilation: int = 1
    seed: int = 0

    def __post_init__(self):
        for name, lo, hi in (("rows", 1, 64), ("cols", 1, 64), ("kh", 1, 15), ("kw", 1, 15),
                             ("padding", 0, 16), ("stride", 1, 8), ("dilation", 1, 8), ("seed", 0, 2**31 - 1)):
            v = getattr(self, name)
            check(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi, name,
                  f"an integer in {lo}..{hi}")

    @property
    def out_rows(self) -> int:
        return out_size(self.rows, self.kh, self.padding, self.stride, self.dilation)

    @property
    def out_cols(self) -> int:
        return out_size(self.cols, self.kw, self.padding, self.stride, self.dilation)

    @property
    def span(self) -> tuple[int, int]:
        """Cells the dilated kernel covers, d(k−1)+1, along rows and cols."""
        return self.dilation * (self.kh - 1) + 1, self.dilation * (self.kw - 1) + 1

    @property
    def valid(self) -> bool:
        return self.out_rows > 0 and self.out_cols > 0


Config = Arith  # the engine contract's name for this module's frozen, validated settings


def problem(cfg: Arith) -> str | None:
    """Why these settings give no output (None when they are fine), in words with numbers."""
    msgs = []
    for axis, n, k, span in (("rows", cfg.rows, cfg.kh, cfg.span[0]), ("columns", cfg.cols, cfg.kw, cfg.span[1])):
        padded = n + 2 * cfg.padding
        if span > padded:
            msgs.append(f"along the {axis} the dilated kernel spans {cfg.dilation}·({k}−1)+1 = {span} cells but "
                        f"the padded input has only {n}+2·{cfg.padding} = {padded}")
    if not msgs:
        return None
    return ("No output position fits: " + "; ".join(msgs) + ". Use a smaller kernel or dilation, "
            "or more padding.")


@dataclass(frozen=True)
class ArithExample:
    """A worked example of :class:`Arith`.

    x: (rows, cols) input of small integers 0..3; xp: (rows+2p, cols+2p) the padded input;
    w: (kh, kw) kernel of −1/0/1; y: (out_rows, out_cols) = conv2d(x, w, …);
    taps: (out_rows·out_cols, kh·kw, 2) the padded-grid (row, col) each output cell reads,
    output cells in row-major order.
    """

    x: np.ndarray
    xp: np.ndarray
    w: np.ndarray
    y: np.ndarray
    taps: np.ndarray


def taps(cfg: Arith) -> np.ndarray:
    """(out_rows·out_cols, kh·kw, 2) padded-grid (row, col) read by each output cell."""
    s, d = cfg.stride, cfg.dilation
    i, j = np.meshgrid(np.arange(cfg.out_rows), np.arange(cfg.out_cols), indexing="ij")
    a, b = np.meshgrid(np.arange(cfg.kh), np.arange(cfg.kw), indexing="ij")
    r = i.reshape(-1, 1) * s + a.reshape(1, -1) * d
    c = j.reshape(-1, 1) * s + b.reshape(1, -1) * d
    return np.stack([r, c], axis=-1)


def arithmetic(cfg: Arith) -> ArithExample:
    """The worked example; raises ValueError (with :func:`problem`'s text) if no output fits."""
    if not cfg.valid:
        raise ValueError(problem(cfg))
    rng = np.random.default_rng(cfg.seed)
    x = rng.integers(0, 4, size=(cfg.rows, cfg.cols)).astype(float)
    w = rng.integers(-1, 2, size=(cfg.kh, cfg.kw)).astype(float)
    if not w.any():
        w[0, 0] = 1.0
    y = conv2d(x, w, cfg.stride, cfg.padding, cfg.dilation)
    xp = np.pad(x, cfg.padding)
    return ArithExample(x=x, xp=xp, w=w, y=y, taps=taps(cfg))


# -- classic kernels on photos --------------------------------------------------------------

_BINOMIAL5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "box": np.full((5, 5), 1 / 25.0),
    "gauss": _BINOMIAL5,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
    "sobel_x": _SOBEL_X,
    "sobel_y": _SOBEL_X.T.copy(),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float),
}
KERNEL_NAMES = {"identity": "Identity", "box": "Box blur 5×5", "gauss": "Gaussian blur 5×5",
                "sharpen": "Sharpen", "sobel_x": "Edges: Sobel x", "sobel_y": "Edges: Sobel y",
                "laplacian": "Edges: Laplacian", "emboss": "Emboss", "custom": "Custom 3×3 (type it)"}
DEFAULT_CUSTOM = "0,-1,0;-1,5,-1;0,-1,0"
CUSTOM_HELP = ("3 rows separated by ';', each with 3 numbers separated by ',' — integers, decimals or "
               "fractions such as 1/9. Example: 1,2,1;0,0,0;-1,-2,-1.")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(/\d+)?")


def parse_kernel(text: str) -> np.ndarray:
    """A typed 3×3 kernel, rows split by ';' and entries by ',' → (3, 3) float array.

    Raises ValueError saying what is wrong and what is expected.
    """
    text = (text or "").strip()
    check(0 < len(text) <= 120, "kernel", "type 9 numbers: " + CUSTOM_HELP)
    rows = [r.strip() for r in text.strip(";").split(";")]
    if len(rows) != 3:
        raise ValueError(f"kernel: found {len(rows)} row(s), expected 3. " + CUSTOM_HELP)
    out = np.zeros((3, 3))
    for i, row in enumerate(rows):
        items = [t.strip() for t in row.split(",")]
        if len(items) != 3:
            raise ValueError(f"kernel: row {i + 1} has {len(items)} number(s), expected 3. " + CUSTOM_HELP)
        for j, t in enumerate(items):
            if not _NUMBER.fullmatch(t) or t.endswith("/0"):
                shown = t if len(t) <= 12 else t[:12] + "…"
                raise ValueError(f"kernel: {shown!r} (row {i + 1}, entry {j + 1}) is not a number. " + CUSTOM_HELP)
            out[i, j] = float(Fraction(t))
    check(bool(np.all(np.abs(out) <= 100)), "kernel", "entries between −100 and 100")
    return out


def filter_image(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The kernel cross-correlated with an (H, W) image, same size out.

    The border is padded by mirroring (NumPy's "symmetric", SciPy's ``boundary="symm"``),
    so edge filters do not light up a false frame around the photo. Odd kernels only.
    """
    kh, kw = kernel.shape
    check(kh % 2 == 1 and kw % 2 == 1, "kernel", "an odd number of rows and columns")
    padded = np.pad(np.asarray(img, float), ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="symmetric")
    return conv2d(padded, kernel)


def gradient_magnitude(img: np.ndarray) -> np.ndarray:
    """√(Gx² + Gy²) with the Sobel kernels, (H, W) → (H, W)."""
    gx = filter_image(img, KERNELS["sobel_x"])
    gy = filter_image(img, KERNELS["sobel_y"])
    return np.hypot(gx, gy)


# Only images shipped inside the scikit-image wheel (no download): each loads offline.
PHOTOS = {"camera": "Cameraman", "astronaut": "Astronaut", "coffee": "Coffee cup", "chelsea": "Chelsea the cat",
          "coins": "Coins", "moon": "Moon surface", "page": "Book page", "text": "Hand-written text",
          "rocket": "Rocket", "horse": "Horse silhouette", "clock": "Clock (motion blur)", "brick": "Brick wall"}


def photo(name: str, max_side: int = 192) -> np.ndarray:
    """A ``skimage.data`` image as grayscale float32 (H, W) in [0, 1], longest side ``max_side``."""
    check(name in PHOTOS, "photo", f"one of {', '.join(PHOTOS)}")
    check(8 <= max_side <= 1024, "max_side", "8..1024 pixels")
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    img = getattr(skimage.data, name)()
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    img = np.asarray(img, float)
    if img.max() > 1.0:
        img = img / 255.0
    h, w = img.shape
    f = max_side / max(h, w)
    if f < 1:
        img = resize(img, (max(1, round(h * f)), max(1, round(w * f))), anti_aliasing=True)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def square_photo(name: str, side: int = 224) -> np.ndarray:
    """The central square of a photo, resized to (side, side), float32 in [0, 1]."""
    img = photo(name, max_side=1024)
    h, w = img.shape
    m = min(h, w)
    top, left = (h - m) // 2, (w - m) // 2
    from skimage.transform import resize

    crop = img[top:top + m, left:left + m]
    return np.clip(resize(crop, (side, side), anti_aliasing=True), 0, 1).astype(np.float32)


# -- pooling ----------------------------------------------------------------------------------

POOL_MODES = ("max", "avg")


def pool2d(x: np.ndarray, size: int, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W) map, no padding, windows that do not fit are
    dropped (``floor`` mode, like ``F.max_pool2d``/``F.avg_pool2d``). → (out_H, out_W)."""
    check(mode in POOL_MODES, "mode", "max or avg")
    stride = size if stride is None else stride
    check(size >= 1 and stride >= 1, "size", "size and stride ≥ 1")
    x = np.asarray(x, float)
    oh, ow = out_size(x.shape[0], size, 0, stride), out_size(x.shape[1], size, 0, stride)
    check(oh > 0 and ow > 0, "size", f"a window that fits the {x.shape[0]}×{x.shape[1]} input")
    views = [x[a:a + stride * (oh - 1) + 1:stride, b:b + stride * (ow - 1) + 1:stride]
             for a in range(size) for b in range(size)]
    stack = np.stack(views)
    return stack.max(axis=0) if mode == "max" else stack.mean(axis=0)


def max_winners(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(H, W) bool: the input cells that are the (first) maximum of at least one window —
    the only cells max pooling passes on (and the only ones its gradient reaches)."""
    x = np.asarray(x, float)
    oh, ow = out_size(x.shape[0], size, 0, stride), out_size(x.shape[1], size, 0, stride)
    won = np.zeros(x.shape, bool)
    for i in range(max(oh, 0)):
        for j in range(max(ow, 0)):
            win = x[i * stride:i * stride + size, j * stride:j * stride + size]
            a, b = np.unravel_index(int(np.argmax(win)), win.shape)
            won[i * stride + a, j * stride + b] = True
    return won


def busy_patch(img: np.ndarray, size: int = 8, levels: int = 10) -> np.ndarray:
    """The size × size window with the most texture (mean |difference| between neighbouring
    pixels, windows on a grid of step size/2), stretched to its own range and quantized to
    integers 0..levels−1 so every number is readable. → (size, size) float array."""
    h, w = img.shape
    check(h >= size and w >= size, "size", "a patch smaller than the image")
    best, where = -1.0, (0, 0)
    step = max(1, size // 2)
    for r in range(0, h - size + 1, step):
        for c in range(0, w - size + 1, step):
            p = img[r:r + size, c:c + size]
            s = float(np.abs(np.diff(p, axis=0)).mean() + np.abs(np.diff(p, axis=1)).mean())
            if s > best + 1e-12:
                best, where = s, (r, c)
    r, c = where
    patch = img[r:r + size, c:c + size].astype(float)
    lo, hi = patch.min(), patch.max()
    scaled = (patch - lo) / (hi - lo) if hi > lo else np.zeros_like(patch)
    return np.minimum(np.floor(scaled * levels), levels - 1)


# -- receptive fields ---------------------------------------------------------------------

MAX_LAYERS = 12
_TOKEN = re.compile(r"(conv|pool)(\d+)(?:s(\d+))?(?:d(\d+))?")
STACK_HELP = ("layers separated by commas: convK (a K×K convolution, stride 1, 'same' padding), "
              "convKs2 (stride 2), convKd2 (dilation 2), poolK (K×K pooling, stride K), poolKs1 (stride 1). "
              "Example: conv3,conv3,pool2,conv3.")


@dataclass(frozen=True)
class Layer:
    """One layer of a stack: kind 'conv' or 'pool', kernel k, stride s, dilation d, padding p."""

    kind: str
    k: int
    s: int = 1
    d: int = 1
    p: int = 0

    @property
    def label(self) -> str:
        extra = (f" s{self.s}" if self.s != (self.k if self.kind == "pool" else 1) else "") + \
                (f" d{self.d}" if self.d != 1 else "")
        return f"{self.kind} {self.k}×{self.k}{extra}"


def parse_stack(text: str) -> tuple[Layer, ...]:
    """"conv3,conv3,pool2,conv3" → Layers. Convolutions get 'same' padding d(k−1)//2,
    pooling none. Raises ValueError saying what is wrong and what is expected."""
    items = [t.strip().lower() for t in (text or "").split(",") if t.strip()]
    if not items:
        raise ValueError("stack: no layers. Write " + STACK_HELP)
    if len(items) > MAX_LAYERS:
        raise ValueError(f"stack: {len(items)} layers, at most {MAX_LAYERS}. Write " + STACK_HELP)
    out = []
    for n, t in enumerate(items, 1):
        m = _TOKEN.fullmatch(t.replace(" ", ""))
        shown = t if len(t) <= 16 else t[:16] + "…"
        if not m:
            raise ValueError(f"stack: layer {n}, {shown!r}, is not a layer. Write " + STACK_HELP)
        kind, k = m.group(1), int(m.group(2))
        s = int(m.group(3)) if m.group(3) else (k if kind == "pool" else 1)
        d = int(m.group(4)) if m.group(4) else 1
        if not 1 <= k <= 11:
            raise ValueError(f"stack: layer {n}, {shown!r}: the kernel size must be 1..11.")
        if not 1 <= s <= 4:
            raise ValueError(f"stack: layer {n}, {shown!r}: the stride must be 1..4.")
        if not 1 <= d <= 4:
            raise ValueError(f"stack: layer {n}, {shown!r}: the dilation must be 1..4.")
        if kind == "pool" and d != 1:
            raise ValueError(f"stack: layer {n}, {shown!r}: pooling here takes no dilation.")
        out.append(Layer(kind, k, s, d, d * (k - 1) // 2 if kind == "conv" else 0))
    return tuple(out)


@dataclass(frozen=True)
class RF:
    """Per-layer receptive-field arithmetic; index 0 is the input, index l the output of layer l.

    size: feature-map side for an input of ``size[0]`` pixels (≤ 0: nothing left);
    jump: input pixels between neighbouring units (∏ strides); rf: side of the receptive
    field in input pixels; start: input coordinate of the first pixel seen by unit 0
    (negative = in the padding); reached: fraction of the rf × rf square actually connected
    (< 1 when dilation leaves holes); support: per layer, the (rf,) bool mask of reached
    offsets along one axis.
    """

    size: np.ndarray
    jump: np.ndarray
    rf: np.ndarray
    start: np.ndarray
    reached: np.ndarray
    support: tuple


def rf_table(layers: tuple[Layer, ...], size: int = 224) -> RF:
    """The standard recursion, layer by layer:
    n ← ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1, r ← r + (k−1)·d·j, start ← start − p·j, j ← j·s,
    and the exact set of reached offsets (a Minkowski sum of the taps {t·d·j})."""
    check(1 <= size <= 100_000, "size", "1..100000 pixels")
    n, j, r, start = size, 1, 1, 0
    mask = np.ones(1, bool)
    sizes, jumps, rfs, starts, reached, supports = [n], [1], [1], [0], [1.0], [mask]
    for L in layers:
        n = out_size(n, L.k, L.p, L.s, L.d) if n > 0 else 0
        new_r = r + (L.k - 1) * L.d * j
        new = np.zeros(new_r, bool)
        for t in range(L.k):
            off = t * L.d * j
            new[off:off + r] |= mask
        start, j, r, mask = start - L.p * j, j * L.s, new_r, new
        sizes.append(max(n, 0))
        jumps.append(j)
        rfs.append(r)
        starts.append(start)
        reached.append(float(mask.mean() ** 2))
        supports.append(mask)
    return RF(np.array(sizes), np.array(jumps), np.array(rfs), np.array(starts), np.array(reached), tuple(supports))


MAX_ERF_SIDE = 256
ERF_MODES = ("exact", "random")


@dataclass(frozen=True)
class GradMap:
    """|∂y/∂x| of one output unit. grad: (N, N) mean absolute gradient; unit: (row, col) of
    the unit in the last feature map; box: (top, left, side) of its theoretical receptive
    field in input pixels; samples: how many gradients were averaged."""

    grad: np.ndarray
    unit: tuple
    box: tuple
    samples: int


def erf_input_size(layers: tuple[Layer, ...]) -> int:
    """The smallest input side (≥ 32) whose centre output unit has its whole receptive field
    inside the image with a margin of a quarter of it; ValueError above MAX_ERF_SIDE."""
    r_final = int(rf_table(layers, 1).rf[-1])
    n = max(32, r_final + 2 * max(4, r_final // 4))
    while n <= MAX_ERF_SIDE:
        t = rf_table(layers, n)
        m = int(t.size[-1])
        if m >= 1 and (t.size > 0).all():
            u = (m - 1) // 2
            top = u * int(t.jump[-1]) + int(t.start[-1])
            if top >= 0 and top + r_final <= n:
                return n
        n += 4
    raise ValueError(f"stack: the receptive field is {r_final} px; the gradient map is computed only for "
                     f"inputs up to {MAX_ERF_SIDE} px.")


ERF_MACS = 3e8  # multiply-adds of one forward pass in 'random' mode (the backward costs about twice that)
DILATED_COST = 8  # torch's CPU dilated convolution is about this much slower per multiply-add


def _macs(layers: tuple[Layer, ...], t: RF, channels: int) -> float:
    """Multiply-adds of one sample's forward pass through the convolutions (dilated ones
    weighted by DILATED_COST)."""
    total, c_in = 0.0, 1
    for L, n in zip(layers, t.size[1:]):
        if L.kind == "conv":
            total += float(n) ** 2 * c_in * channels * L.k ** 2 * (DILATED_COST if L.d > 1 else 1)
            c_in = channels
    return total


def erf_budget(layers: tuple[Layer, ...], size: int, samples: int = 32, channels: int = 4) -> tuple[int, int]:
    """(samples, channels) that keep the 'random' gradient map within :data:`ERF_MACS`:
    fewer samples first (not below 8), then one channel, then down to 4 samples."""
    t = rf_table(layers, size)
    for c, floor in ((channels, 8), (1, 4)):
        per = max(_macs(layers, t, c), 1.0)
        n = int(min(samples, ERF_MACS // per))
        if n >= floor:
            return n, c
    return min(samples, 4), 1


def gradient_map(layers: tuple[Layer, ...], size: int | None = None, mode: str = "random", samples: int = 32,
                 channels: int = 4, seed: int = 0) -> GradMap:
    """Mean |∂y/∂x| over sampled networks and inputs, y = the centre unit of the last map.

    mode 'exact': one channel, every weight 1, pooling averages, no nonlinearity, float64 —
    every path contributes a positive amount, so the gradient is nonzero exactly on the
    pixels connected to the unit (its receptive field, minus dilation holes).
    mode 'random': up to ``samples`` independent networks (He-normal weights, ``channels``
    channels, ReLU between convolutions, max pooling), each with its own standard-normal
    input; y sums the last layer's pre-activations over channels; the average |∂y/∂x| is
    the *effective* receptive field (Luo et al., 2016). The budget :func:`erf_budget` may
    lower samples and channels. The networks run side by side as one grouped convolution.
    Randomness from a ``torch.Generator`` seeded with ``seed``.
    """
    import torch
    import torch.nn.functional as F

    check(mode in ERF_MODES, "mode", "exact or random")
    check(1 <= samples <= 256 and 1 <= channels <= 16, "samples", "samples 1..256, channels 1..16")
    size = erf_input_size(layers) if size is None else int(size)
    t = rf_table(layers, size)
    check(bool((t.size > 0).all()), "size", "an input large enough for every layer")
    exact = mode == "exact"
    if exact:
        n_s, c, dtype = 1, 1, torch.float64
    else:
        n_s, c = erf_budget(layers, size, samples, channels)
        dtype = torch.float32
    g = torch.Generator().manual_seed(int(seed))
    x = (torch.ones(1, 1, size, size, dtype=dtype) if exact
         else torch.randn(1, n_s, size, size, generator=g, dtype=dtype)).requires_grad_(True)
    h, c_in = x, 1
    last_conv = max((i for i, L in enumerate(layers) if L.kind == "conv"), default=-1)
    for i, L in enumerate(layers):
        if L.kind == "conv":
            shape = (n_s * c, c_in, L.k, L.k)
            w = (torch.ones(shape, dtype=dtype) if exact
                 else torch.randn(shape, generator=g, dtype=dtype) * math.sqrt(2.0 / (c_in * L.k * L.k)))
            h = F.conv2d(h, w, stride=L.s, padding=L.p, dilation=L.d, groups=n_s)
            c_in = c
            if not exact and i != last_conv:
                h = F.relu(h)
        elif exact:
            h = F.avg_pool2d(h, L.k, L.s)
        else:
            h = F.max_pool2d(h, L.k, L.s)
    u = (h.shape[-1] - 1) // 2
    h[0, :, u, u].sum().backward()
    grad = x.grad[0].abs().mean(dim=0).double().numpy()
    top = u * int(t.jump[-1]) + int(t.start[-1])
    return GradMap(grad=grad, unit=(u, u), box=(top, top, int(t.rf[-1])), samples=n_s)


def erf_extent(gmap: GradMap, mass: float = 0.9) -> tuple[int, float]:
    """(side, inside): the smallest square, centred on the receptive field's centre, that
    holds ``mass`` of the total |gradient|, and the share of |gradient| inside the
    theoretical receptive field (1.0 up to rounding — nothing outside it is connected)."""
    g = gmap.grad
    total = float(g.sum())
    top, left, side = gmap.box
    if total <= 0:
        return 0, 0.0
    inside = float(g[max(top, 0):top + side, max(left, 0):left + side].sum()) / total
    cy, cx = top + (side - 1) / 2, left + (side - 1) / 2
    rr, cc = np.indices(g.shape)
    # Chebyshev distance from the centre: squares of growing side, smallest first.
    dist = np.maximum(np.abs(rr - cy), np.abs(cc - cx))
    order = np.argsort(dist, axis=None, kind="stable")
    cum = np.cumsum(g.ravel()[order]) / total
    k = int(np.searchsorted(cum, mass - 1e-12))
    radius = float(dist.ravel()[order][min(k, len(order) - 1)])
    return int(round(2 * radius + 1)), inside
