"""Linear probes (Alain & Bengio 2016), §7.2: what each hidden layer encodes *linearly*.

For every layer l and attribute a, a multinomial logistic regression is fitted on the
layer's activations h_l(x) (flattened, standardized with the training mean and std) of
``n_train`` training images to predict a(x), and scored on ``n_test`` held-out test images.
High test accuracy means the attribute can be read off the layer by a linear map; chance
level is the share of the most frequent value.

Attributes (:func:`attributes`), computed from the images and, for shapes, their exact masks:

- ``label``: the class;
- ``position``: the quadrant of the object's centroid (its intensity-weighted centre for
  MNIST), split at the training medians of x and y: 4 balanced values;
- ``size``: the object's area (pixels of the mask; MNIST: pixels brighter than ½) above the
  training median or not;
- ``colour`` (shapes only): the object colour's strongest channel (red, green or blue).

A control probe on an *untrained* copy of the same architecture tells what the layer's
shape and the input alone give away (Hewitt & Liang 2019 argue probes need such controls).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from explorer.engines.contract import check

ATTRIBUTES = ("label", "position", "size", "colour")
ATTR_LABEL = {"label": "class label", "position": "position (quadrant)", "size": "size (large or small)",
              "colour": "object colour (R, G or B)"}
MAX_FEATURES = 1024


@dataclass(frozen=True)
class Config:
    """``n_train`` / ``n_test`` images, ``c``: inverse L2 strength of the probe."""

    n_train: int = 600
    n_test: int = 400
    c: float = 0.1
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.n_train, int) and 20 <= self.n_train <= 4000, "n_train", "must be 20..4000")
        check(isinstance(self.n_test, int) and 10 <= self.n_test <= 1000, "n_test", "must be 10..1000")
        check(0 < self.c <= 1e6, "c", "must be in (0, 10⁶]")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


def available(dataset: str) -> tuple:
    """The attributes a dataset has (no colour for grey MNIST)."""
    return ATTRIBUTES if dataset == "shapes" else ATTRIBUTES[:3]


def _centroid_area(x: np.ndarray, masks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cx, cy, area) per image ``[N]``: of the mask, or of the grey intensity (MNIST)."""
    n, _, h, w = x.shape
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    if masks is not None:
        wgt = masks.astype(np.float64)
        area = wgt.sum((1, 2))
    else:
        wgt = x[:, 0].astype(np.float64)
        area = (x[:, 0] > 0.5).sum((1, 2)).astype(np.float64)
    tot = np.maximum(wgt.sum((1, 2)), 1e-9)
    return (wgt * xx).sum((1, 2)) / tot, (wgt * yy).sum((1, 2)) / tot, area


def attributes(x: np.ndarray, y: np.ndarray, masks: np.ndarray | None, ref: dict | None = None) -> tuple[dict, dict]:
    """({attribute: int labels ``[N]``}, the thresholds used). ``ref``: thresholds from the
    training split (medians), so a test split is labelled by the same rule."""
    cx, cy, area = _centroid_area(x, masks)
    ref = ref or {"cx": float(np.median(cx)), "cy": float(np.median(cy)), "area": float(np.median(area))}
    out = {"label": np.asarray(y, dtype=np.int64),
           "position": ((cx > ref["cx"]).astype(np.int64) + 2 * (cy > ref["cy"]).astype(np.int64)),
           "size": (area > ref["area"]).astype(np.int64)}
    if masks is not None and x.shape[1] == 3:
        m = masks[:, None].astype(np.float64)
        colour = (x * m).sum((2, 3)) / np.maximum(m.sum((2, 3)), 1)
        out["colour"] = colour.argmax(1).astype(np.int64)
    return out, ref


def chance(labels: np.ndarray) -> float:
    """Accuracy of always answering the most frequent value."""
    return float(np.bincount(labels).max() / len(labels)) if len(labels) else float("nan")


def logistic(f: np.ndarray, y: np.ndarray, c: float = 0.1, iters: int = 100,
             tol: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial L2 logistic regression with sklearn's objective
    ``½‖W‖² + C Σ_i −log softmax(W f_i + b)_{y_i}`` (b not penalized), minimized by full-batch
    L-BFGS in float64 until the gradient's largest entry is below ``tol`` (relative to C·N):
    (W ``[K, D]``, b ``[K]``) with K = max(y) + 1."""
    x = torch.as_tensor(np.asarray(f), dtype=torch.float64)
    t = torch.tensor(np.array(y), dtype=torch.int64)
    k = int(t.max()) + 1
    w = torch.zeros((k, x.shape[1]), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=iters, tolerance_grad=tol * c * len(x), tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = 0.5 * (w * w).sum() + c * torch.nn.functional.cross_entropy(x @ w.T + b, t, reduction="sum")
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def fit_probe(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray, y_test: np.ndarray,
              c: float = 0.1) -> tuple[float, float]:
    """(train accuracy, test accuracy) of :func:`logistic` on standardized features (the
    training split's mean and std)."""
    mu, sd = f_train.mean(0), f_train.std(0) + 1e-6
    a, b = (f_train - mu) / sd, (f_test - mu) / sd
    if len(np.unique(y_train)) < 2:
        return 1.0, float(np.mean(y_test == y_train[0]))
    w, bias = logistic(a, y_train, c)
    return float(np.mean((a @ w.T + bias).argmax(1) == y_train)), float(np.mean((b @ w.T + bias).argmax(1) == y_test))


def reduce(f: np.ndarray, shape: tuple, limit: int = MAX_FEATURES) -> np.ndarray:
    """Feature maps larger than ``limit`` values are average-pooled 2×2 (repeatedly) before the
    probe: ``[N, C·H·W]`` → ``[N, C·H'·W']``. Keeps the probe cheap on the first conv layers."""
    if len(shape) != 3:
        return f
    c, h, w = shape
    t = torch.as_tensor(f).view(-1, c, h, w)
    while t[0].numel() > limit and min(t.shape[-2:]) >= 2:
        t = torch.nn.functional.avg_pool2d(t, 2)
    return t.flatten(1).numpy()


@dataclass(frozen=True)
class Report:
    """``acc`` ``[A, L]`` test accuracy of attribute a at layer l (layer 0: the pixels),
    ``train_acc`` ``[A, L]``, ``chance`` ``[A]``, ``dims`` ``[L]`` features each probe saw."""

    attributes: tuple
    layers: tuple
    acc: np.ndarray
    train_acc: np.ndarray = field(repr=False)
    chance: np.ndarray
    dims: np.ndarray


def run(cfg: Config, model: nn.Module, layer_list: list[tuple[str, nn.Module]], x_train: np.ndarray,
        attrs_train: dict, x_test: np.ndarray, attrs_test: dict, names: tuple, progress=None) -> Report:
    """Probe every layer of ``layer_list`` (plus the pixels first) for each attribute in
    ``names``; images ``[N, C, H, W]`` float32, attribute labels from :func:`attributes`."""
    from explorer.engines.concepts import features, features_shape
    from explorer.engines.device import cap_threads

    cap_threads()
    xtr = torch.tensor(np.asarray(x_train[: cfg.n_train]))
    xte = torch.tensor(np.asarray(x_test[: cfg.n_test]))
    shape = tuple(xtr.shape[1:])
    sources = [("pixels", None)] + list(layer_list)
    acc = np.zeros((len(names), len(sources)))
    tr = np.zeros_like(acc)
    dims = np.zeros(len(sources), dtype=np.int64)
    for li, (_label, module) in enumerate(sources):
        if module is None:
            ftr, fte = xtr.flatten(1).numpy(), xte.flatten(1).numpy()
            fshape = shape
        else:
            ftr, fte = features(model, module, xtr), features(model, module, xte)
            fshape = features_shape(model, module, shape)
        ftr, fte = reduce(ftr, fshape), reduce(fte, fshape)
        dims[li] = ftr.shape[1]
        for ai, a in enumerate(names):
            tr[ai, li], acc[ai, li] = fit_probe(ftr, attrs_train[a][: cfg.n_train], fte, attrs_test[a][: cfg.n_test],
                                                cfg.c)
        if progress:
            progress((li + 1) / len(sources))
    ch = np.array([chance(attrs_test[a][: cfg.n_test]) for a in names])
    return Report(attributes=tuple(names), layers=tuple(lab for lab, _ in sources), acc=acc, train_acc=tr,
                  chance=ch, dims=dims)
