"""Loss functions in torch, and the experiments of the losses lesson.

* Regression losses of a residual r = y − ŷ: MSE r², MAE |r|, Huber (δ) — the same
  definitions as ``torch.nn.functional.mse_loss``/``l1_loss``/``huber_loss`` per element.
* Classification losses of the margin m = y·f(x) (y ∈ {−1, +1}, f the logit):
  cross-entropy log(1+e^{−m}), hinge max(0, 1−m), squared hinge max(0, 1−m)², focal
  −(1−p)^γ log p with p = σ(m) (γ = 0 is cross-entropy).
* A custom loss is a user-weighted sum of either family.

Experiments: :func:`fit_robust` fits a polynomial to points with a movable outlier under
each regression loss (IRLS, exact for MSE); :func:`train_imbalanced` trains small
classifiers on imbalanced 2-D data with cross-entropy, focal and the custom loss, and
sweeps γ. Both are deterministic functions of a frozen config (all randomness from its
seed) and return NumPy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from explorer.engines.mlp_bank import Bank, forward_flat
from explorer.engines.contract import check as _check

REG_LOSSES = ("mse", "mae", "huber")
MARGIN_LOSSES = ("ce", "hinge", "sq_hinge", "focal")
REG_NAMES = {"mse": "MSE", "mae": "MAE", "huber": "Huber", "custom": "Custom"}
MARGIN_NAMES = {"ce": "Cross-entropy", "hinge": "Hinge", "sq_hinge": "Squared hinge", "focal": "Focal",
                "zero_one": "0–1 loss", "custom": "Custom"}
SWEEP_GAMMAS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
IRLS_EPS = 1e-9  # |r| floor in IRLS weights ψ(r)/r (MAE's 1/|r| is unbounded at r = 0)




def _in(value, lo, hi) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi


# -- loss functions (elementwise) -------------------------------------------------------------
def regression_loss(name: str, r: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Elementwise loss of residuals r (any shape): mse r², mae |r|, huber ½r² inside
    |r| ≤ δ and δ(|r| − ½δ) outside (torch's ``huber_loss``)."""
    if name == "mse":
        return r * r
    if name == "mae":
        return r.abs()
    if name == "huber":
        a = r.abs()
        return torch.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    raise ValueError(f"name: unknown regression loss {name!r}")


def mixed_regression_loss(r: torch.Tensor, weights: tuple, delta: float = 1.0) -> torch.Tensor:
    """w_mse·r² + w_mae·|r| + w_huber·huber_δ(r), elementwise; weights in REG_LOSSES order."""
    out = torch.zeros_like(r)
    for w, name in zip(weights, REG_LOSSES):
        if w:
            out = out + float(w) * regression_loss(name, r, delta)
    return out


def margin_loss(name: str, m: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Elementwise loss of margins m = y·f (y = ±1, f the logit), in nats where logs appear.

    Written with softplus so large |m| neither overflows nor loses precision:
    log(1+e^{−m}) = softplus(−m) and (1−σ(m))^γ = e^{−γ·softplus(m)}.
    """
    if name == "ce":
        return F.softplus(-m)
    if name == "hinge":
        return torch.relu(1 - m)
    if name == "sq_hinge":
        return torch.relu(1 - m) ** 2
    if name == "focal":
        return torch.exp(-gamma * F.softplus(m)) * F.softplus(-m)
    if name == "zero_one":
        return (m <= 0).to(m.dtype)
    raise ValueError(f"name: unknown margin loss {name!r}")


def mixed_margin_loss(m: torch.Tensor, weights: tuple, gamma: float = 2.0) -> torch.Tensor:
    """w_ce·CE + w_hinge·hinge + w_focal·focal_γ of margins m, elementwise."""
    out = torch.zeros_like(m)
    for w, name in zip(weights, ("ce", "hinge", "focal")):
        if w:
            out = out + float(w) * margin_loss(name, m, gamma)
    return out


def class_weights(y01: torch.Tensor, alpha) -> torch.Tensor:
    """α-balancing: weight 2α for the positive (minority) class, 2(1−α) for the other, so
    α = 0.5 weighs both classes 1. ``alpha`` a float, or an (M, 1) tensor → (M, n)."""
    alpha = torch.as_tensor(alpha, dtype=torch.float64 if not torch.is_tensor(alpha) else alpha.dtype)
    return torch.where(y01 > 0.5, 2 * alpha, 2 * (1 - alpha))


def curves(kind: str, grid: np.ndarray, *, delta: float = 1.0, gamma: float = 2.0,
           weights: tuple = (0.0, 0.0, 0.0)) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Loss and its derivative on a grid: {name: (loss (n,), d loss / d input (n,))}.

    kind "regression": input is the residual r; names mse, mae, huber (+ custom when a
    weight is > 0). kind "margin": input is the margin m; names ce, hinge, sq_hinge, focal,
    zero_one (+ custom). Derivatives come from autograd (at a kink, torch's choice).
    """
    t = torch.tensor(np.asarray(grid, dtype=np.float64), requires_grad=True)
    fns: dict[str, Callable] = {}
    if kind == "regression":
        fns = {n: (lambda z, n=n: regression_loss(n, z, delta)) for n in REG_LOSSES}
        if any(weights):
            fns["custom"] = lambda z: mixed_regression_loss(z, weights, delta)
    elif kind == "margin":
        fns = {n: (lambda z, n=n: margin_loss(n, z, gamma)) for n in (*MARGIN_LOSSES, "zero_one")}
        if any(weights):
            fns["custom"] = lambda z: mixed_margin_loss(z, weights, gamma)
    else:
        raise ValueError(f"kind: must be 'regression' or 'margin', not {kind!r}")
    out = {}
    for name, fn in fns.items():
        value = fn(t)
        if value.requires_grad:
            (grad,) = torch.autograd.grad(value.sum(), t)
        else:  # a step function (0–1 loss): zero almost everywhere
            grad = torch.zeros_like(t)
        out[name] = (value.detach().numpy().copy(), grad.detach().numpy().copy())
    return out


# -- robust regression -------------------------------------------------------------------------
@dataclass(frozen=True)
class RobustConfig:
    """Points near the line y = 0.5 + 1.2x on x ∈ [−1, 1] plus ``outliers`` points stacked
    at (outlier_x, outlier_y); a polynomial of ``degree`` fit under each loss.

    noise: standard deviation of the inliers' y noise; delta: Huber's δ (in units of y);
    w_mse, w_mae, w_huber: the custom loss's weights (all 0: no custom fit).
    """

    n_points: int = 20
    noise: float = 0.3
    degree: int = 1
    outlier_x: float = 0.8
    outlier_y: float = -6.0
    outliers: int = 1
    delta: float = 1.0
    w_mse: float = 0.0
    w_mae: float = 0.5
    w_huber: float = 0.5
    seed: int = 0

    def __post_init__(self):
        _check(isinstance(self.n_points, int) and 5 <= self.n_points <= 200, "n_points", "must be 5..200")
        _check(_in(self.noise, 0, 2), "noise", "must be in [0, 2]")
        _check(isinstance(self.degree, int) and 0 <= self.degree <= 3, "degree", "must be 0..3")
        _check(_in(self.outlier_x, -1, 1), "outlier_x", "must be in [−1, 1]")
        _check(_in(self.outlier_y, -20, 20), "outlier_y", "must be in [−20, 20]")
        _check(isinstance(self.outliers, int) and 0 <= self.outliers <= 10, "outliers", "must be 0..10")
        _check(_in(self.delta, 0.01, 10), "delta", "must be in [0.01, 10]")
        for name in ("w_mse", "w_mae", "w_huber"):
            _check(_in(getattr(self, name), 0, 1), name, "must be in [0, 1]")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def weights(self) -> tuple:
        return (self.w_mse, self.w_mae, self.w_huber)


def truth(x: np.ndarray) -> np.ndarray:
    """The inliers' noise-free line."""
    return 0.5 + 1.2 * np.asarray(x)


def robust_data(cfg: RobustConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (n,), y (n,), is_outlier (n,) bool): inliers then the stacked outliers."""
    rng = np.random.default_rng(cfg.seed)
    x = np.sort(rng.uniform(-1, 1, cfg.n_points))
    y = truth(x) + cfg.noise * rng.standard_normal(cfg.n_points)
    k = cfg.outliers
    ox = np.clip(cfg.outlier_x + 0.03 * (np.arange(k) - (k - 1) / 2), -1, 1)  # side by side, not hidden
    xs = np.concatenate([x, ox])
    ys = np.concatenate([y, np.full(k, float(cfg.outlier_y))])
    return xs, ys, np.concatenate([np.zeros(cfg.n_points, bool), np.ones(k, bool)])


def design(x: np.ndarray | torch.Tensor, degree: int) -> torch.Tensor:
    """Polynomial features (n, degree+1): 1, x, x², … (float64)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return torch.stack([x ** k for k in range(degree + 1)], dim=1)


def irls_weights(loss: Callable[[torch.Tensor], torch.Tensor], r: torch.Tensor) -> torch.Tensor:
    """ψ(r)/r with ψ = dρ/dr from autograd (|r| floored at IRLS_EPS)."""
    safe = torch.where(r.abs() < IRLS_EPS, torch.full_like(r, IRLS_EPS), r).detach().requires_grad_()
    (psi,) = torch.autograd.grad(loss(safe).sum(), safe)
    return (psi / safe).detach()


def fit_irls(x: np.ndarray, y: np.ndarray, degree: int, loss: Callable[[torch.Tensor], torch.Tensor],
             max_iter: int = 500, tol: float = 1e-13) -> tuple[np.ndarray, int]:
    """Coefficients (degree+1,) minimizing mean ρ(y − Xβ), and the iterations used.

    Iteratively reweighted least squares: each step solves the weighted least squares with
    weights ψ(rᵢ)/rᵢ of the current residuals. For losses whose ψ(r)/r does not grow with
    |r| (MSE, MAE, Huber and positive sums of them) each step is a majorize–minimize step,
    so the objective never increases; MSE is solved exactly in one step.
    """
    X = design(x, degree)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float64))
    beta = torch.linalg.lstsq(X, yt.unsqueeze(1)).solution[:, 0]
    best = loss(yt - X @ beta).mean().item()
    it = 0
    for it in range(1, max_iter + 1):
        sw = irls_weights(loss, yt - X @ beta).clamp_min(0).sqrt()
        new = torch.linalg.lstsq(sw[:, None] * X, (sw * yt).unsqueeze(1)).solution[:, 0]
        obj = loss(yt - X @ new).mean().item()
        if not obj < best:  # no progress (or a rounding-level rise): keep the better β
            break
        improved = best - obj
        beta, best = new, obj
        if improved <= tol * (1 + abs(obj)):
            break
    return beta.numpy().copy(), it


@dataclass(frozen=True)
class RobustFit:
    """Fits of one :class:`RobustConfig`. Per fit name (mse, mae, huber[, custom]):
    ``coef`` (degree+1,), ``line`` (G,) on ``grid_x``, ``pull`` (n,) = ψ(rᵢ) (the force of
    point i on the fit), ``objective`` (mean loss)."""

    x: np.ndarray
    y: np.ndarray
    is_outlier: np.ndarray
    grid_x: np.ndarray
    truth: np.ndarray
    coef: dict
    line: dict
    residual: dict
    pull: dict
    objective: dict

    def outlier_share(self, name: str) -> float:
        """Share (0..1) of the total |pull| that the outliers exert on fit ``name``."""
        p = np.abs(self.pull[name])
        total = p.sum()
        return float(p[self.is_outlier].sum() / total) if total > 0 else 0.0


def fit_losses(cfg: RobustConfig) -> dict[str, Callable]:
    fns = {n: (lambda r, n=n: regression_loss(n, r, cfg.delta)) for n in REG_LOSSES}
    if any(cfg.weights):
        fns["custom"] = lambda r: mixed_regression_loss(r, cfg.weights, cfg.delta)
    return fns


def fit_robust(cfg: RobustConfig, grid_n: int = 121) -> RobustFit:
    """Fit the data of ``cfg`` under MSE, MAE, Huber and (when weighted) the custom loss."""
    x, y, out = robust_data(cfg)
    gx = np.linspace(-1.05, 1.05, grid_n)
    G = design(gx, cfg.degree).numpy()
    X = design(x, cfg.degree).numpy()
    coef, line, res, pull, obj = {}, {}, {}, {}, {}
    for name, fn in fit_losses(cfg).items():
        beta, _ = fit_irls(x, y, cfg.degree, fn)
        r = y - X @ beta
        rt = torch.tensor(r, requires_grad=True)
        value = fn(rt)
        (psi,) = torch.autograd.grad(value.sum(), rt)
        coef[name], line[name], res[name] = beta, G @ beta, r
        pull[name] = psi.numpy().copy()
        obj[name] = float(value.detach().mean())
    return RobustFit(x, y, out, gx, truth(gx), coef, line, res, pull, obj)


# -- imbalanced classification ----------------------------------------------------------------
@dataclass(frozen=True)
class ImbalanceConfig:
    """Two interleaved half-moons: the majority class (label 0) and a rarer minority (label 1).

    n_points: training points in all; ratio: majority points per minority point; noise:
    standard deviation of the points' jitter; gamma, alpha: the focal loss's γ and its
    minority-class weight α (0.5 weighs both classes alike); hidden: hidden units of the
    one-hidden-layer tanh classifier (0 = logistic regression); steps: full-batch Adam
    steps (learning rate ``lr``); w_ce, w_hinge, w_focal: the custom loss's weights.
    """

    n_points: int = 300
    ratio: float = 10.0
    noise: float = 0.3
    gamma: float = 2.0
    alpha: float = 0.5
    hidden: int = 8
    steps: int = 300
    lr: float = 0.03
    w_ce: float = 0.5
    w_hinge: float = 0.5
    w_focal: float = 0.0
    seed: int = 0

    def __post_init__(self):
        _check(isinstance(self.n_points, int) and 40 <= self.n_points <= 2000, "n_points", "must be 40..2000")
        _check(_in(self.ratio, 1, 100), "ratio", "must be in [1, 100]")
        _check(_in(self.noise, 0, 1), "noise", "must be in [0, 1]")
        _check(_in(self.gamma, 0, 10), "gamma", "must be in [0, 10]")
        _check(_in(self.alpha, 0.01, 0.99), "alpha", "must be in [0.01, 0.99]")
        _check(isinstance(self.hidden, int) and 0 <= self.hidden <= 64, "hidden", "must be 0..64")
        _check(isinstance(self.steps, int) and 1 <= self.steps <= 3000, "steps", "must be 1..3000")
        _check(_in(self.lr, 1e-5, 1), "lr", "must be in [1e-5, 1]")
        for name in ("w_ce", "w_hinge", "w_focal"):
            _check(_in(getattr(self, name), 0, 1), name, "must be in [0, 1]")
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def weights(self) -> tuple:
        return (self.w_ce, self.w_hinge, self.w_focal)

    @property
    def sizes(self) -> tuple:
        return (2, self.hidden, 1) if self.hidden else (2, 1)


def moons(n: int, ratio: float, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(xy (n, 2), y (n,) in {0, 1}): majority upper moon, minority lower moon (at least 2)."""
    n_min = max(2, int(round(n / (ratio + 1))))
    n_maj = n - n_min
    t = rng.uniform(0, np.pi, n_maj)
    a = np.c_[np.cos(t), np.sin(t)]
    t = rng.uniform(0, np.pi, n_min)
    b = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]
    xy = np.vstack([a, b]) + noise * rng.standard_normal((n, 2)) - np.array([0.5, 0.25])
    return xy, np.r_[np.zeros(n_maj), np.ones(n_min)]


def imbalanced_data(cfg: ImbalanceConfig, test_n: int = 4000):
    """(train_xy, train_y, test_xy, test_y): independent draws with the same imbalance."""
    rng = np.random.default_rng(cfg.seed)
    tr = moons(cfg.n_points, cfg.ratio, cfg.noise, rng)
    te = moons(test_n, cfg.ratio, cfg.noise, rng)
    return (*tr, *te)


def classification_metrics(y: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """Precision and recall of each class (prediction: logit > 0 → class 1), accuracy and
    balanced accuracy, all fractions (NaN precision when a class is never predicted)."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(logits) > 0).astype(int)
    out = {}
    for c in (0, 1):
        tp = int(((pred == c) & (y == c)).sum())
        out[f"recall_{c}"] = tp / max(1, int((y == c).sum()))
        n_pred = int((pred == c).sum())
        out[f"precision_{c}"] = tp / n_pred if n_pred else float("nan")
    out["accuracy"] = float((pred == y).mean())
    out["balanced_accuracy"] = 0.5 * (out["recall_0"] + out["recall_1"])
    return out


@dataclass(frozen=True)
class ImbalanceResult:
    """Trained classifiers of one :class:`ImbalanceConfig`.

    ``names``: the compared models ("ce", "focal"[, "custom"]); ``params`` (M, P) their
    weights (see :class:`~explorer.engines.mlp_bank.Bank`); ``metrics`` per name (test set);
    ``losses`` (M, steps) training loss per step; ``confidence`` per name: mean max(p, 1−p)
    on the test set. ``sweep_*``: the focal loss at each γ of ``sweep_gammas`` (same α):
    minority-class recall and precision, and confidence.
    """

    cfg: ImbalanceConfig
    train_xy: np.ndarray
    train_y: np.ndarray
    names: tuple
    params: np.ndarray
    metrics: dict
    losses: np.ndarray
    confidence: dict
    sweep_gammas: np.ndarray
    sweep_recall: np.ndarray
    sweep_precision: np.ndarray
    sweep_confidence: np.ndarray

    def probabilities(self, grid_n: int = 60, extent: tuple = (-2.5, 2.5, -2.0, 2.0)):
        """(xs (g,), ys (g,), p (M, g, g)) probability of the minority class, rows = ys."""
        xs = np.linspace(extent[0], extent[1], grid_n)
        ys = np.linspace(extent[2], extent[3], grid_n)
        gx, gy = np.meshgrid(xs, ys)
        z = forward_flat(self.cfg.sizes, self.params, np.c_[gx.ravel(), gy.ravel()])[..., 0]
        return xs, ys, (1 / (1 + np.exp(-z))).reshape(-1, grid_n, grid_n)


@dataclass(frozen=True)
class ModelTable:
    """Per model k: loss_k = a_ce·CE + a_hinge·hinge + a_focal·w_α·focal_γ of the margin,
    where w_α is the α-balancing weight (:func:`class_weights`). Arrays are (M,)."""

    names: tuple
    a_ce: np.ndarray
    a_hinge: np.ndarray
    a_focal: np.ndarray
    gamma: np.ndarray
    alpha: np.ndarray

    def loss(self, z: torch.Tensor, y01: torch.Tensor) -> torch.Tensor:
        """Per-example losses (M, n) of logits z (M, n) and labels y01 (n,), all models at once."""
        col = {k: torch.as_tensor(getattr(self, k), dtype=z.dtype).view(-1, 1)
               for k in ("a_ce", "a_hinge", "a_focal", "gamma", "alpha")}
        m = (2 * y01 - 1).to(z.dtype) * z
        ce = F.softplus(-m)
        w = class_weights(y01, col["alpha"])
        focal = torch.exp(-col["gamma"] * F.softplus(m)) * ce
        return col["a_ce"] * ce + col["a_hinge"] * torch.relu(1 - m) + col["a_focal"] * w * focal


def model_table(cfg: ImbalanceConfig) -> ModelTable:
    """The compared models — "ce" (plain cross-entropy), "focal" (γ, α) and, when any weight
    is > 0, "custom" — then one focal loss per γ in SWEEP_GAMMAS (named "focal@γ")."""
    rows = [("ce", 1, 0, 0, 0.0, 0.5), ("focal", 0, 0, 1, cfg.gamma, cfg.alpha)]
    if any(cfg.weights):
        rows.append(("custom", cfg.w_ce, cfg.w_hinge, cfg.w_focal, cfg.gamma, cfg.alpha))
    rows += [(f"focal@{g:g}", 0, 0, 1, g, cfg.alpha) for g in SWEEP_GAMMAS]
    cols = list(zip(*rows))
    return ModelTable(tuple(cols[0]), *(np.array(c, dtype=np.float64) for c in cols[1:]))


def train_imbalanced(cfg: ImbalanceConfig) -> ImbalanceResult:
    """Train every model of :func:`model_table` from the same initial weights (one batched
    bank, full-batch Adam) and measure them on a large test set of the same imbalance."""
    xtr, ytr, xte, yte = imbalanced_data(cfg)
    table = model_table(cfg)
    n_models = len(table.names)
    gen = torch.Generator().manual_seed(cfg.seed)
    bank = Bank(n_models, cfg.sizes, gen, same_init=True)
    x = torch.tensor(xtr, dtype=torch.float32)
    y = torch.tensor(ytr, dtype=torch.float32)
    opt = torch.optim.Adam(bank.parameters, lr=cfg.lr)
    losses = np.zeros((n_models, cfg.steps))
    for step in range(cfg.steps):
        per_model = table.loss(bank.forward(x)[..., 0], y).mean(dim=1)
        opt.zero_grad()
        per_model.sum().backward()
        opt.step()
        losses[:, step] = per_model.detach().numpy()
    params = bank.flat()
    zte = forward_flat(cfg.sizes, params, xte)[..., 0]
    conf = np.abs(1 / (1 + np.exp(-zte)) - 0.5).mean(axis=1) + 0.5
    metrics = [classification_metrics(yte, zte[k]) for k in range(n_models)]
    m = n_models - len(SWEEP_GAMMAS)
    names, sweep = table.names[:m], metrics[m:]
    return ImbalanceResult(
        cfg, xtr, ytr, names, params[:m], dict(zip(names, metrics[:m])), losses[:m],
        dict(zip(names, conf[:m].tolist())), np.array(SWEEP_GAMMAS),
        np.array([s["recall_1"] for s in sweep]), np.array([s["precision_1"] for s in sweep]),
        conf[m:].copy())
