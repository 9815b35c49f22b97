"""LIME superpixels and SHAP on images (§7.1), for a zoo CNN on 28×28 images.

Every method explains ``f(x) = P(target | x)`` (softmax of the network's logits):

* **superpixels**: :func:`segment` cuts the image into regions — SLIC (``skimage``, k-means in
  (intensity, position) space; on a 28×28 digit ``compactness=0.1`` gives about the asked number)
  or a square grid. LIME switches regions off (to black, MNIST's background: ``hide=0``), fits a
  weighted linear model on the on/off pattern and gives one weight per region.
* **SHAP**: Deep SHAP (DeepLIFT's rescale rule averaged over a background of training images,
  exactly additive: E[f(background)] + Σφ = f(x)) or Gradient SHAP (expected gradients: ∇f at
  random points between a background image and x, times the difference; additive in expectation),
  one value per pixel ``[H, W]``; summed per region to compare with LIME.
* **gradient × input**: ∂f/∂x · x per pixel (the Taylor term from a black image).

Shapes: images ``[C, H, W]`` float32 in [0, 1]; segment maps ``[H, W]`` int in 0..S−1.
Randomness: LIME gets ``seed``; Gradient SHAP gets ``rseed=seed``; the background by ``seed``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from explorer.engines import zoo
from explorer.engines.contract import check
from explorer.engines.explainers import ShapResult

SEGMENTERS = ("slic", "grid")
SHAP_KINDS = ("deep", "gradient")
SHAP_LABEL = {"deep": "Deep SHAP", "gradient": "Gradient SHAP"}
BASELINES = ("train", "black")


@dataclass(frozen=True)
class Config:
    """``segmenter`` and about ``segments`` regions; ``lime_samples`` perturbed images for LIME;
    ``shap`` kind, ``shap_samples`` (Gradient SHAP's samples), ``background`` training images, or
    ``baseline="black"``: one all-black image (the reference LIME's hidden regions take)."""

    segmenter: str = "slic"
    segments: int = 20
    lime_samples: int = 500
    shap: str = "deep"
    shap_samples: int = 200
    background: int = 20
    baseline: str = "train"
    seed: int = 0

    def __post_init__(self):
        check(self.baseline in BASELINES, "baseline", f"must be one of {BASELINES}")
        check(self.segmenter in SEGMENTERS, "segmenter", f"must be one of {SEGMENTERS}")
        check(isinstance(self.segments, int) and 4 <= self.segments <= 100, "segments", "must be 4..100")
        check(isinstance(self.lime_samples, int) and 20 <= self.lime_samples <= 10_000, "lime_samples",
              "must be 20..10000")
        check(self.shap in SHAP_KINDS, "shap", f"must be one of {SHAP_KINDS}")
        check(isinstance(self.shap_samples, int) and 10 <= self.shap_samples <= 5000, "shap_samples",
              "must be 10..5000")
        check(isinstance(self.background, int) and 1 <= self.background <= 200, "background", "must be 1..200")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


def segment(img: np.ndarray, method: str = "slic", n: int = 20) -> np.ndarray:
    """Superpixels of ``img`` [C, H, W] (or [H, W]) in [0, 1]: labels [H, W] int, consecutive from 0."""
    check(method in SEGMENTERS, "method", f"must be one of {SEGMENTERS}")
    img = np.asarray(img, dtype=np.float64)
    hw = img.shape[-2:]
    if method == "grid":
        g = max(1, int(round(np.sqrt(n))))
        rows = np.minimum((np.arange(hw[0]) * g) // hw[0], g - 1)
        cols = np.minimum((np.arange(hw[1]) * g) // hw[1], g - 1)
        seg = rows[:, None] * g + cols[None, :]
    else:
        from skimage.segmentation import slic

        chw = img if img.ndim == 3 else img[None]
        seg = slic(np.moveaxis(chw, 0, -1), n_segments=n, compactness=0.1, channel_axis=-1, start_label=0,
                   enforce_connectivity=True)
    _, seg = np.unique(seg, return_inverse=True)
    return seg.reshape(hw).astype(np.int64)


def prob_net(model: nn.Module) -> nn.Module:
    """A private copy of a zoo network as images → probabilities [N, K]. LeNet is rebuilt from
    modules only (its last ReLUs are functional calls, which Deep SHAP cannot see)."""
    m = zoo.session_copy(model)
    if getattr(m, "arch", "") == "lenet":
        net = nn.Sequential(m.input_norm, m.conv1, nn.ReLU(), m.pool1, m.conv2, nn.ReLU(), m.pool2, nn.Flatten(),
                            m.fc1, nn.ReLU(), m.fc2, nn.ReLU(), m.fc3, nn.Softmax(dim=1))
    else:
        net = nn.Sequential(m, nn.Softmax(dim=1))
    net.eval()
    for p in net.parameters():
        p.requires_grad_(True)
    return net


def probs(net: nn.Module, x: np.ndarray) -> np.ndarray:
    """Probabilities [N, K] float64 of images ``x`` [N, C, H, W]."""
    with torch.no_grad():
        return net(torch.from_numpy(np.array(x, dtype=np.float32))).double().numpy()


@dataclass(frozen=True)
class LimeImage:
    """``weights`` [S]: each region's coefficient (its contribution when present); ``intercept``;
    ``local_pred`` = intercept + Σ weights (LIME's estimate of f(x)); ``score``: weighted R²."""

    weights: np.ndarray
    intercept: float
    local_pred: float
    score: float
    seconds: float


def lime_image(net: nn.Module, x: np.ndarray, target: int, seg: np.ndarray, samples: int, seed: int,
               hide: float = 0.0) -> LimeImage:
    """LIME on image ``x`` [C, H, W] with the regions ``seg`` [H, W]; hidden regions become ``hide``."""
    from lime.lime_image import LimeImageExplainer

    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    c = x.shape[0]
    hwc = np.repeat(x[0][..., None], 3, -1) if c == 1 else np.moveaxis(x, 0, -1)

    def classify(batch: np.ndarray) -> np.ndarray:
        b = np.asarray(batch, dtype=np.float32)
        chw = b[..., :1] if c == 1 else b
        return probs(net, np.moveaxis(chw, -1, 1))

    ex = LimeImageExplainer(random_state=seed)
    exp = ex.explain_instance(hwc, classify, labels=(target,), top_labels=None, hide_color=hide,
                              num_samples=samples, batch_size=200, segmentation_fn=lambda _: seg,
                              random_seed=seed, num_features=int(seg.max()) + 1)
    w = np.zeros(int(seg.max()) + 1)
    for i, v in exp.local_exp[target]:
        w[int(i)] = v
    intercept = float(exp.intercept[target])
    return LimeImage(w, intercept, float(intercept + w.sum()), float(exp.score), time.perf_counter() - t0)


@dataclass(frozen=True)
class ShapImage(ShapResult):
    """:class:`~explorer.engines.explainers.ShapResult` of an image: ``values`` [H, W] (summed over
    channels) SHAP values of P(target); ``expected`` = E[f(background)]; ``fx`` = f(x)."""


def shap_image(net: nn.Module, x: np.ndarray, target: int, bg: np.ndarray, kind: str, samples: int,
               seed: int) -> ShapImage:
    """Deep or Gradient SHAP of ``x`` [C, H, W] against background images ``bg`` [B, C, H, W]."""
    import warnings

    import shap

    check(kind in SHAP_KINDS, "kind", f"must be one of {SHAP_KINDS}")
    t0 = time.perf_counter()
    xt = torch.from_numpy(np.array(x, dtype=np.float32)[None])
    bgt = torch.from_numpy(np.array(bg, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "deep":
            sv = shap.DeepExplainer(net, bgt).shap_values(xt, check_additivity=False)
        else:
            sv = shap.GradientExplainer(net, bgt).shap_values(xt, nsamples=samples, rseed=seed)
    sv = np.asarray(sv, dtype=np.float64)
    k = probs(net, xt.numpy()).shape[1]
    sv = sv.reshape(-1, k)[:, target].reshape(np.asarray(x).shape).sum(0)
    with torch.no_grad():
        expected = float(net(bgt)[:, target].double().mean())
    fx = float(probs(net, xt.numpy())[0, target])
    return ShapImage(sv, expected, fx, kind, time.perf_counter() - t0)


def grad_input_image(net: nn.Module, x: np.ndarray, target: int) -> np.ndarray:
    """∂P(target)/∂x · x [H, W] (summed over channels) for ``x`` [C, H, W]."""
    xt = torch.from_numpy(np.array(x, dtype=np.float32)[None]).requires_grad_(True)
    (g,) = torch.autograd.grad(net(xt)[0, target], xt)
    return (g * xt).detach()[0].sum(0).double().numpy()


def per_segment(values: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Sum of ``values`` [H, W] in each region of ``seg`` [H, W] → [S]."""
    return np.bincount(seg.ravel(), weights=np.asarray(values, dtype=np.float64).ravel(), minlength=int(seg.max()) + 1)


@dataclass(frozen=True)
class ImageExplanation:
    """One image explained: ``probs`` [K], ``target``, ``seg`` [H, W], LIME's region weights, SHAP's
    pixel values, gradient × input [H, W], and ``by_segment`` [3, S]: LIME, SHAP and gradient × input
    per region (what the agreement numbers compare)."""

    probs: np.ndarray
    target: int
    seg: np.ndarray
    lime: LimeImage
    shap: ShapImage
    grad_input: np.ndarray
    by_segment: np.ndarray


def background_images(x_train: np.ndarray, n: int, seed: int) -> np.ndarray:
    idx = np.random.default_rng(seed).choice(len(x_train), size=min(n, len(x_train)), replace=False)
    return np.asarray(x_train[np.sort(idx)])


def explain_image(net: nn.Module, x: np.ndarray, x_train: np.ndarray, cfg: Config,
                  target: int | None = None) -> ImageExplanation:
    """Every method on image ``x`` [C, H, W] for ``target`` (default: the predicted class)."""
    p = probs(net, np.asarray(x)[None])[0]
    target = int(p.argmax()) if target is None else int(target)
    seg = segment(x, cfg.segmenter, cfg.segments)
    li = lime_image(net, x, target, seg, cfg.lime_samples, cfg.seed)
    bg = (background_images(x_train, cfg.background, cfg.seed) if cfg.baseline == "train"
          else np.zeros((1,) + np.asarray(x).shape, dtype=np.float32))
    sh = shap_image(net, x, target, bg, cfg.shap, cfg.shap_samples, cfg.seed)
    gi = grad_input_image(net, x, target)
    by = np.stack([li.weights, per_segment(sh.values, seg), per_segment(gi, seg)])
    return ImageExplanation(p, target, seg, li, sh, gi, by)
