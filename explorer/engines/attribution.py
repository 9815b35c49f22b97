"""Attribution maps (§7.1): which input pixels a classifier's answer rests on, six ways, via captum.

:func:`attribute` takes any classifier ``model`` (``[N, C, H, W]`` float32 images in [0, 1] →
logits ``[N, K]``; a zoo model's *session copy*: hooks and gradients touch it), one image
``x`` ``[C, H, W]``, a target class and a frozen :class:`Config`, and returns an
:class:`Attributions` of numpy arrays. Every method explains ``f(x)``, **the target class's
logit** (not its probability):

=============  ========================================================================
``saliency``   Simonyan et al. 2014: the gradient ∂f/∂x (captum ``Saliency``, signed)
``ig``         Sundararajan et al. 2017: integrated gradients from a baseline x̄,
               (x − x̄)·∫₀¹ ∇f(x̄ + α(x − x̄)) dα with ``steps`` points (captum
               ``IntegratedGradients``); its sum equals f(x) − f(x̄) up to the quadrature error
``smoothgrad`` Smilkov et al. 2017: the gradient averaged over ``samples`` noisy copies of x
               (captum ``NoiseTunnel`` around ``Saliency``, noise σ = ``sigma`` × the image's range)
``gradcam``    Selvaraju et al. 2017: ReLU(Σ_k w_k A_k) on a feature-map layer A, with w_k the
               spatial mean of ∂f/∂A_k, upsampled bilinearly to the image (captum ``LayerGradCam``)
``occlusion``  Zeiler & Fergus 2014: f(x) − f(x with a ``window``² patch replaced by the
               baseline), patches every ``stride`` pixels, averaged per pixel (captum ``Occlusion``)
``deeplift``   Shrikumar et al. 2017: the rescale rule from the same baseline (captum ``DeepLift``);
               its sum equals f(x) − f(x̄) exactly for ReLU nets without max-pooling
=============  ========================================================================

Maps are reported per pixel as ``signed`` (the channel sum) and ``magnitude`` (the channel
sum of absolute values); occlusion gives each channel of a pixel the same value, so its
per-pixel value is that value, not C times it.

**DeepLIFT and functional ReLUs.** captum's DeepLift rewrites the gradients of activation
*modules* only; the zoo calls ``F.relu`` in places (LeNet's classifier, every ResNet block).
:func:`modular` traces the model with ``torch.fx`` and swaps each functional ReLU for an
``nn.ReLU`` module, so the rescale rule applies everywhere (the same function, to the bit).
Max-pooling, LRN and SiLU still break exact completeness a little: the page reports the error.

**Determinism.** NoiseTunnel draws its noise from torch's global generator, so SmoothGrad
runs inside ``torch.random.fork_rng`` seeded with ``cfg.seed`` (under a lock): the same
config gives the same map and the caller's global RNG state is left untouched. The noise
baseline comes from ``np.random.default_rng(cfg.seed)``.
"""
from __future__ import annotations

import contextlib
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import check

METHODS = ("saliency", "ig", "smoothgrad", "gradcam", "occlusion", "deeplift")
LABELS = {"saliency": "Saliency", "ig": "Integrated gradients", "smoothgrad": "SmoothGrad", "gradcam": "Grad-CAM",
          "occlusion": "Occlusion", "deeplift": "DeepLIFT"}
BASELINES = ("black", "blur", "noise")
BASELINE_LABELS = {"black": "black image", "blur": "blurred input", "noise": "uniform noise"}
RULES = ("riemann_right", "riemann_middle", "gausslegendre")
RULE_LABELS = {"riemann_right": "Riemann sum (right)", "riemann_middle": "midpoint rule",
               "gausslegendre": "Gauss–Legendre"}
MAX_STEPS = 500
MAX_SAMPLES = 200
BLUR_SIGMA = 4.0   # pixels: the blurred baseline keeps only the coarse layout of the image
_RNG_LOCK = threading.Lock()


def _int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _num(v) -> bool:
    return isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) and np.isfinite(v)


@dataclass(frozen=True)
class Config:
    """What to compute. ``methods``: a subset of :data:`METHODS`; ``baseline``: x̄ for IG,
    DeepLIFT and occlusion; ``steps``: IG's integration points (``rule``: captum's quadrature);
    ``samples``/``sigma``: SmoothGrad's noisy copies and their noise (σ as a fraction of the
    image's max − min); ``layer``: Grad-CAM's layer as an index into ``model.tap_modules()``
    (negative counts from the end); ``window``/``stride``: occlusion's square patch and step,
    in pixels; ``seed``: the noise baseline and SmoothGrad's noise."""

    methods: tuple = METHODS
    baseline: str = "black"
    steps: int = 50
    rule: str = "gausslegendre"
    samples: int = 20
    sigma: float = 0.15
    layer: int = -1
    window: int = 5
    stride: int = 2
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.methods, tuple) and len(self.methods) >= 1
              and all(m in METHODS for m in self.methods) and len(set(self.methods)) == len(self.methods),
              "methods", f"must be a non-empty tuple of distinct names from {METHODS}")
        check(self.baseline in BASELINES, "baseline", f"must be one of {BASELINES}")
        check(_int(self.steps) and 2 <= self.steps <= MAX_STEPS, "steps", f"must be 2..{MAX_STEPS}")
        check(self.rule in RULES, "rule", f"must be one of {RULES}")
        check(_int(self.samples) and 1 <= self.samples <= MAX_SAMPLES, "samples", f"must be 1..{MAX_SAMPLES}")
        check(_num(self.sigma) and 0 <= self.sigma <= 1, "sigma", "must be in [0, 1]")
        check(_int(self.layer) and -64 <= self.layer < 64, "layer", "must be an index into the model's taps")
        check(_int(self.window) and 1 <= self.window <= 28, "window", "must be 1..28 pixels")
        check(_int(self.stride) and 1 <= self.stride <= self.window, "stride", "must be 1..window pixels")
        check(_int(self.seed) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True, eq=False)
class Map:
    """One method's answer: ``raw`` ``[C, H, W]`` (captum's output; Grad-CAM ``[1, H, W]``),
    ``signed`` and ``magnitude`` ``[H, W]`` per pixel, and the seconds it took."""

    method: str
    raw: np.ndarray = field(repr=False)
    signed: np.ndarray = field(repr=False)
    magnitude: np.ndarray = field(repr=False)
    seconds: float


@dataclass(frozen=True, eq=False)
class Attributions:
    """Every chosen method on one image. ``logits``/``probs`` ``[K]`` of x; ``target``: the class
    explained; ``f_x``/``f_base``: its logit at x and at the baseline ``baseline`` ``[C, H, W]``;
    ``ig_sum``/``dl_sum``: Σ of the IG / DeepLIFT attributions (NaN when not computed);
    ``maps``: method → :class:`Map`, in ``Config.methods`` order; ``layer``: Grad-CAM's layer label."""

    target: int
    logits: np.ndarray
    probs: np.ndarray
    baseline: np.ndarray = field(repr=False)
    f_x: float
    f_base: float
    ig_sum: float
    dl_sum: float
    maps: dict
    layer: str = ""

    @property
    def pred(self) -> int:
        return int(np.argmax(self.logits))

    @property
    def ig_error(self) -> float:
        """Completeness error of IG: Σ attributions − (f(x) − f(x̄))."""
        return self.ig_sum - (self.f_x - self.f_base)

    @property
    def dl_error(self) -> float:
        return self.dl_sum - (self.f_x - self.f_base)


# -- helpers ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def quiet():
    """captum warns on every call that it sets hooks and that inputs need gradients: noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def seeded(seed: int):
    """torch's global RNG seeded for the block, then restored (captum's NoiseTunnel uses it)."""
    with _RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def make_baseline(x: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """The baseline x̄ for images ``x`` ``[C, H, W]`` or ``[N, C, H, W]`` in [0, 1]: all zeros
    (``black``), each channel Gaussian-blurred with σ = :data:`BLUR_SIGMA` px (``blur``, edges
    repeated), or U(0, 1) noise from ``default_rng(seed)`` (``noise``). float32, same shape."""
    check(kind in BASELINES, "baseline", f"must be one of {BASELINES}")
    x = np.asarray(x, dtype=np.float32)
    if kind == "black":
        return np.zeros_like(x)
    if kind == "noise":
        return np.random.default_rng(seed).uniform(0.0, 1.0, size=x.shape).astype(np.float32)
    from scipy.ndimage import gaussian_filter

    sig = (0.0,) * (x.ndim - 2) + (BLUR_SIGMA, BLUR_SIGMA)
    return gaussian_filter(x, sigma=sig, mode="nearest").astype(np.float32)


def modular(model: nn.Module) -> nn.Module:
    """``model`` traced by ``torch.fx`` with each functional ``F.relu``/``torch.relu`` call
    replaced by its own ``nn.ReLU`` module (DeepLIFT's rules attach to modules). The result
    shares ``model``'s parameters and computes the same function; a model fx cannot trace is
    returned unchanged."""
    import torch.fx as fx

    try:
        gm = fx.symbolic_trace(model)
    except Exception:  # noqa: BLE001 - data-dependent control flow: DeepLIFT falls back to plain gradients there
        return model
    k = 0
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target in (F.relu, torch.relu) and not node.kwargs.get("inplace"):
            name = f"_fx_relu{k}"
            k += 1
            gm.add_submodule(name, nn.ReLU())
            with gm.graph.inserting_after(node):
                new = gm.graph.call_module(name, (node.args[0],))
            node.replace_all_uses_with(new)
            gm.graph.erase_node(node)
    gm.graph.lint()
    gm.recompile()
    gm.eval()
    return gm


def layer_of(model: nn.Module, index: int) -> tuple[str, nn.Module]:
    """(label, module) of ``model.tap_modules()[index]`` (Grad-CAM's layer)."""
    taps = model.tap_modules()
    check(-len(taps) <= index < len(taps), "layer", f"this model has {len(taps)} feature-map layers")
    return taps[index]


def per_pixel(method: str, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(signed, magnitude) ``[..., H, W]`` from a method's ``[..., C, H, W]`` attributions."""
    raw = np.asarray(raw, dtype=np.float64)
    if method == "occlusion":  # captum repeats a patch's value on every channel it covers
        m = raw.mean(axis=-3)
        return m.astype(np.float32), np.abs(m).astype(np.float32)
    return raw.sum(axis=-3).astype(np.float32), np.abs(raw).sum(axis=-3).astype(np.float32)


def _ig_batch(n: int, steps: int) -> int | None:
    """captum's internal batch for IG: one pass when the n·steps path points are few (its chunked
    path costs several times more per point), else chunks of 2,048."""
    return None if n * steps <= 2048 else 2048


def _targets(target, n: int):
    """captum's ``target``: one int for every image, or a tensor of ``n`` classes."""
    t = np.asarray(target, dtype=np.int64)
    return int(t) if t.ndim == 0 else torch.as_tensor(t.reshape(n).copy())


# -- the methods (batched: x [N, C, H, W] tensors) ---------------------------------------------------
def run_method(method: str, model: nn.Module, x: torch.Tensor, target, base: torch.Tensor, cfg: Config,
               dl_model: nn.Module | None = None) -> tuple[np.ndarray, float]:
    """One method on a batch: (attributions ``[N, C, H, W]`` — Grad-CAM ``[N, 1, H, W]`` —, the sum of
    each image's attributions for IG/DeepLIFT else NaN, as ``[N]``)."""
    from captum.attr import (DeepLift, IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion,
                             Saliency)

    n = len(x)
    tgt = _targets(target, n)
    sums = np.full(n, np.nan)
    with quiet():
        if method == "saliency":
            a = Saliency(model).attribute(x, target=tgt, abs=False)
        elif method == "ig":
            a = IntegratedGradients(model).attribute(x, baselines=base, target=tgt, n_steps=cfg.steps,
                                                     method=cfg.rule, internal_batch_size=_ig_batch(len(x), cfg.steps))
            sums = a.detach().flatten(1).sum(1).double().numpy()
        elif method == "smoothgrad":
            span = (x.flatten(1).amax(1) - x.flatten(1).amin(1)).clamp_min(1e-6)
            # one σ per batch (captum takes a float or one per input tensor): the batch's mean range
            stdev = float(cfg.sigma * span.mean())
            with seeded(cfg.seed):
                a = NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=cfg.samples,
                                                           nt_samples_batch_size=min(cfg.samples, 50),
                                                           stdevs=stdev, target=tgt, abs=False)
        elif method == "gradcam":
            _, layer = layer_of(model, cfg.layer)
            cam = LayerGradCam(model, layer).attribute(x, target=tgt, relu_attributions=True)
            a = LayerAttribution.interpolate(cam.sum(1, keepdim=True), tuple(x.shape[-2:]), "bilinear")
        elif method == "occlusion":
            c = x.shape[1]
            w = min(cfg.window, x.shape[-1])
            s = min(cfg.stride, w)
            a = Occlusion(model).attribute(x, sliding_window_shapes=(c, w, w), strides=(c, s, s), baselines=base,
                                           target=tgt, perturbations_per_eval=64)
        elif method == "deeplift":
            net = dl_model if dl_model is not None else modular(model)
            a = DeepLift(net).attribute(x, baselines=base, target=tgt)
            sums = a.detach().flatten(1).sum(1).double().numpy()
        else:
            raise ValueError(f"method: must be one of {METHODS}")
    return a.detach().float().numpy(), sums


@torch.no_grad()
def target_logit(model: nn.Module, x: torch.Tensor, target) -> np.ndarray:
    """The target class's logit for each image of ``x`` ``[N, C, H, W]`` → ``[N]`` float64."""
    out = model(x).double()
    t = torch.as_tensor(np.broadcast_to(np.asarray(target, dtype=np.int64), (len(x),)).copy())
    return out[torch.arange(len(x)), t].numpy()


def attribute(model: nn.Module, x: np.ndarray, target: int | None, cfg: Config) -> Attributions:
    """Every method of ``cfg`` on one image ``x`` ``[C, H, W]`` for class ``target`` (None: the
    model's own prediction). ``model`` must be a private copy in eval mode (captum hooks it)."""
    check(np.ndim(x) == 3, "x", "must be one image [C, H, W]")
    xt = torch.tensor(np.asarray(x, dtype=np.float32))[None]
    with torch.no_grad():
        logits = model(xt)[0].double()
    k = len(logits)
    target = int(logits.argmax()) if target is None else int(target)
    check(0 <= target < k, "target", f"must be a class 0..{k - 1}")
    base_np = make_baseline(x, cfg.baseline, cfg.seed)
    base = torch.tensor(base_np)[None]
    maps, ig_sum, dl_sum = {}, float("nan"), float("nan")
    import captum.attr  # noqa: F401 - imported before the clock starts: the first import takes seconds

    for m in cfg.methods:
        t0 = time.perf_counter()
        raw, sums = run_method(m, model, xt, target, base, cfg)
        seconds = time.perf_counter() - t0
        signed, mag = per_pixel(m, raw[0])
        maps[m] = Map(m, raw[0], signed, mag, seconds)
        if m == "ig":
            ig_sum = float(sums[0])
        elif m == "deeplift":
            dl_sum = float(sums[0])
    f_x, f_b = target_logit(model, torch.cat([xt, base]), target)
    layer = layer_of(model, cfg.layer)[0] if "gradcam" in cfg.methods else ""
    return Attributions(target, logits.numpy(), torch.softmax(logits, 0).numpy(), base_np, float(f_x), float(f_b),
                        ig_sum, dl_sum, maps, layer)


class _Toy(nn.Module):
    """A small conv net for :func:`warm_up`, with every kind of layer DeepLIFT treats specially."""

    def __init__(self, c: int = 1):
        super().__init__()
        self.conv, self.relu, self.pool = nn.Conv2d(c, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.fc = nn.Linear(2 * 4 * 4, 2)

    def tap_modules(self):
        return [("conv", self.relu)]

    def forward(self, x):
        return self.fc(F.relu(self.pool(self.relu(self.conv(x)))).flatten(1))


def warm_up() -> None:
    """Run every method once on a tiny net: the first call of each pays one-off costs (imports,
    autograd and fx set-up, a second or two), which would otherwise show up in the timings."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _Toy().eval()
    attribute(model, np.zeros((1, 8, 8), np.float32), 0, Config(steps=4, samples=2, window=2, stride=2))


# -- integrated gradients: completeness and the path ---------------------------------------------------
@dataclass(frozen=True, eq=False)
class Completeness:
    """IG's completeness error against the number of steps, per quadrature rule. ``steps`` ``[S]``;
    ``sums``/``error`` ``[R, S]`` (Σ attributions; Σ − (f(x) − f(x̄))) for ``rules``; ``gap`` =
    f(x) − f(x̄)."""

    steps: np.ndarray
    rules: tuple
    sums: np.ndarray
    error: np.ndarray
    gap: float


STEP_GRID = (2, 4, 8, 16, 32, 64, 128, 256)


def completeness(model: nn.Module, x: np.ndarray, target: int, baseline: np.ndarray,
                 steps: tuple = STEP_GRID, rules: tuple = RULES) -> Completeness:
    """Σ IG attributions for each rule and step count in ``steps`` on one image ``x`` ``[C, H, W]``
    from ``baseline`` (same shape), compared with f(x) − f(x̄) (f: the target logit)."""
    check(all(r in RULES for r in rules), "rules", f"must be from {RULES}")
    check(all(_int(s) and 2 <= s <= MAX_STEPS for s in steps), "steps",
          f"must be 2..{MAX_STEPS} (captum's rules need two points)")
    from captum.attr import IntegratedGradients

    xt = torch.tensor(np.asarray(x, dtype=np.float32))[None]
    bt = torch.tensor(np.asarray(baseline, dtype=np.float32))[None]
    f_x, f_b = target_logit(model, torch.cat([xt, bt]), target)
    ig = IntegratedGradients(model)
    sums = np.zeros((len(rules), len(steps)))
    with quiet():
        for i, r in enumerate(rules):
            for j, s in enumerate(steps):
                a = ig.attribute(xt, baselines=bt, target=int(target), n_steps=int(s), method=r,
                                 internal_batch_size=_ig_batch(1, int(s)))
                sums[i, j] = float(a.double().sum())
    gap = float(f_x - f_b)
    return Completeness(np.asarray(steps), tuple(rules), sums, sums - gap, gap)


@torch.no_grad()
def path_logits(model: nn.Module, x: np.ndarray, target: int, baseline: np.ndarray, n: int = 51) -> tuple:
    """(α ``[n]``, f(x̄ + α(x − x̄)) ``[n]``): the target logit along IG's straight path."""
    alpha = np.linspace(0.0, 1.0, n)
    xt = torch.tensor(np.asarray(x, dtype=np.float32))
    bt = torch.tensor(np.asarray(baseline, dtype=np.float32))
    a = torch.tensor(alpha, dtype=torch.float32).view(-1, 1, 1, 1)
    return alpha, target_logit(model, bt[None] + a * (xt - bt)[None], target)
