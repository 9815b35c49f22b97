"""Testing with Concept Activation Vectors (Kim et al. 2018), §7.2.

At a layer l with activations h = f_l(x) (flattened, ``[D]``):

1. **CAV.** A linear classifier (L2-regularized logistic regression) separates the
   activations of concept examples P_C from those of random examples N; the CAV v_C is the
   unit normal of its boundary, pointing towards the concept (:func:`cav`).
2. **Conceptual sensitivity** of class k at input x is the directional derivative of the
   class logit h_k along the CAV, computed with autograd (:func:`directional_derivatives`):
   ``S_{C,k,l}(x) = ∇h_{l,k}(f_l(x)) · v_C``.
3. **TCAV score**: the fraction of class-k inputs whose sensitivity is positive,
   ``|{x ∈ X_k : S(x) > 0}| / |X_k|``.
4. **Significance.** Repeat with ``runs`` different random sets N_1…N_R (concept vs N_i), and
   build a null distribution from random-vs-random CAVs (N_0 vs N_i). A two-sided Welch
   t-test compares the R concept scores with the R random scores; with several concepts and
   layers the p-values are Bonferroni-corrected (``p × tests``, capped at 1). A concept is
   *significant* when the corrected p < ``alpha``.

Random sets are drawn from the training images of every class (as in the paper, where
they are random ImageNet images).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from explorer.engines.contract import check

MAX_RUNS = 50


@dataclass(frozen=True)
class Config:
    """``n_concept`` examples of each concept and ``n_random`` of each random set, ``runs``
    random sets, ``n_class`` inputs of the explained class, ``c``: the logistic regression's
    inverse L2 strength, ``alpha``: the significance level after correction."""

    n_concept: int = 40
    n_random: int = 40
    runs: int = 10
    n_class: int = 100
    c: float = 1.0
    alpha: float = 0.05
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.n_concept, int) and 4 <= self.n_concept <= 1000, "n_concept", "must be 4..1000")
        check(isinstance(self.n_random, int) and 4 <= self.n_random <= 1000, "n_random", "must be 4..1000")
        check(isinstance(self.runs, int) and 2 <= self.runs <= MAX_RUNS, "runs", f"must be 2..{MAX_RUNS}")
        check(isinstance(self.n_class, int) and 1 <= self.n_class <= 2000, "n_class", "must be 1..2000")
        check(0 < self.c <= 1e6, "c", "must be in (0, 10⁶]")
        check(0 < self.alpha < 1, "alpha", "must be in (0, 1)")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class CAV:
    """``vector``: unit normal ``[D]`` pointing to the positives; ``bias``: the boundary's
    offset (for the unnormalized weights); ``accuracy``: on the training examples."""

    vector: np.ndarray = field(repr=False)
    bias: float
    accuracy: float


def newton_gram(k: np.ndarray, s: np.ndarray, c: float = 1.0, iters: int = 100,
                tol: float = 1e-12) -> tuple[np.ndarray, float]:
    """Binary L2 logistic regression from the Gram matrix ``k`` = x xᵀ ``[N, N]`` of the examples:
    sklearn's objective ``½‖w‖² + C Σ log(1 + e^{−s_i(w·x_i + b)})`` (labels s ∈ {−1, +1}, the
    intercept b not penalized). The optimum w lies in the span of the examples (representer
    theorem), so Newton's method runs on the coordinates of w in an orthonormal basis of that
    span, z = U Λ^{½} from k = U Λ Uᵀ (≤ N dimensions, whatever D is). Returns (α ``[N]``, b)
    with w = xᵀ α."""
    k = np.asarray(k, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    lam, u = np.linalg.eigh(0.5 * (k + k.T))
    keep = lam > max(lam.max(initial=0.0), 1e-300) * 1e-12
    root = np.sqrt(lam[keep])
    z = np.c_[u[:, keep] * root, np.ones(len(k))]                  # [N, r + 1]; last column: the intercept
    theta = np.zeros(z.shape[1])
    reg = np.ones(z.shape[1])
    reg[-1] = 0.0

    def loss(t):
        return 0.5 * np.sum(reg * t * t) + c * np.sum(np.logaddexp(0.0, -s * (z @ t)))

    f = loss(theta)
    for _ in range(iters):
        p = 0.5 * (1.0 - np.tanh(0.5 * s * (z @ theta)))             # σ(−margin), stable
        grad = reg * theta - c * z.T @ (s * p)
        hess = np.diag(reg) + c * (z.T * (p * (1 - p))) @ z + 1e-12 * np.eye(len(theta))
        step = np.linalg.solve(hess, grad)
        t, new, f_new = 1.0, theta, f
        while t > 1e-10:                                             # backtracking (Armijo)
            new = theta - t * step
            f_new = loss(new)
            if f_new <= f - 1e-4 * t * grad @ step:
                break
            t *= 0.5
        theta, f_old, f = new, f, f_new
        if abs(f_old - f) <= tol * max(1.0, abs(f)):
            break
    return u[:, keep] @ (theta[:-1] / root), float(theta[-1])


def logistic_newton(x: np.ndarray, s: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    """The same fit from the examples ``x`` ``[N, D]``: (w ``[D]``, b)."""
    x = np.asarray(x, dtype=np.float64)
    alpha, b = newton_gram(x @ x.T, s, c)
    return x.T @ alpha, b


def cav(pos: np.ndarray, neg: np.ndarray, c: float = 1.0) -> CAV:
    """Fit logistic regression (:func:`logistic_newton`) on ``pos`` ``[P, D]`` (the concept) vs
    ``neg`` ``[Q, D]``; its weight vector, normalized, is the CAV."""
    x = np.concatenate([pos, neg]).astype(np.float64)
    s = np.r_[np.ones(len(pos)), -np.ones(len(neg))]
    w, b = logistic_newton(x, s, c)
    norm = float(np.linalg.norm(w))
    v = w / norm if norm > 0 else w
    acc = float(np.mean(np.sign(x @ w + b) == s))
    return CAV(vector=v, bias=b / (norm or 1.0), accuracy=acc)


def _gram_cav(k: np.ndarray, g: np.ndarray, pos: np.ndarray, neg: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """(S ``[M]``, training accuracy) of the CAV of examples ``pos`` vs ``neg`` (index arrays into
    the Gram matrix ``k`` of all examples); ``g`` ``[M, N]``: class-input gradients · examples."""
    idx = np.r_[pos, neg]
    s = np.r_[np.ones(len(pos)), -np.ones(len(neg))]
    sub = k[np.ix_(idx, idx)]
    alpha, b = newton_gram(sub, s, c)
    norm = float(np.sqrt(max(alpha @ sub @ alpha, 0.0))) or 1.0
    acc = float(np.mean(np.sign(sub @ alpha + b) == s))
    return g[:, idx] @ alpha / norm, acc


def _logit_at(model: nn.Module, module: nn.Module, x: torch.Tensor, k: int, shift: torch.Tensor | None = None):
    """(logit k ``[N]``, the layer's output tensor) with ``shift`` (flattened ``[D]``) added to
    the layer's output when given (a forward hook that replaces the output)."""
    got: list[torch.Tensor] = []

    def hook(_m, _i, out):
        if shift is not None:
            out = out + shift.view((1,) + tuple(out.shape[1:])).to(out.dtype)
        got.append(out)
        return out

    handle = module.register_forward_hook(hook)
    try:
        logits = model(x)
    finally:
        handle.remove()
    return logits[:, k], got[0]


def gradients(model: nn.Module, module: nn.Module, x: torch.Tensor, k: int, batch: int = 128) -> np.ndarray:
    """∂ logit_k / ∂ h_l for every input: float64 ``[N, D]`` (autograd through a forward hook)."""
    out = []
    for a in range(0, len(x), batch):
        got: list[torch.Tensor] = []

        def hook(_m, _i, o):
            o.retain_grad()
            got.append(o)

        handle = module.register_forward_hook(hook)
        try:
            with torch.enable_grad():
                logit = model(x[a:a + batch])[:, k]
                logit.sum().backward()
        finally:
            handle.remove()
        out.append(got[0].grad.detach().flatten(1).double())
    return torch.cat(out).numpy()


def directional_derivatives(model: nn.Module, module: nn.Module, x: torch.Tensor, k: int,
                            v: np.ndarray) -> np.ndarray:
    """S(x) = ∇h_k(f_l(x)) · v for every input: float64 ``[N]``."""
    return gradients(model, module, x, k) @ np.asarray(v, dtype=np.float64)


def finite_difference(model: nn.Module, module: nn.Module, x: torch.Tensor, k: int, v: np.ndarray,
                      eps: float = 1e-3) -> np.ndarray:
    """The same derivative by central differences: (h_k(f_l + εv) − h_k(f_l − εv)) / 2ε, ``[N]``
    (an oracle for :func:`directional_derivatives`; float64 for accuracy)."""
    model64 = _double(model)
    vt = torch.as_tensor(np.asarray(v), dtype=torch.float64)
    with torch.no_grad():
        xd = x.double()
        up, _ = _logit_at(model64, _module_in(model, module, model64), xd, k, eps * vt)
        down, _ = _logit_at(model64, _module_in(model, module, model64), xd, k, -eps * vt)
    return ((up - down) / (2 * eps)).numpy()


def _double(model: nn.Module) -> nn.Module:
    import copy

    twin = copy.deepcopy(model)
    twin.__dict__.pop("train", None)
    return twin.double()


def _module_in(model: nn.Module, module: nn.Module, twin: nn.Module) -> nn.Module:
    name = next(n for n, m in model.named_modules() if m is module)
    return twin.get_submodule(name)


def tcav_score(derivatives: np.ndarray) -> float:
    """The fraction of inputs with a positive directional derivative."""
    d = np.asarray(derivatives)
    return float(np.mean(d > 0)) if len(d) else float("nan")


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch t-test p-value of means ``a`` vs ``b`` (1.0 when both are constant and
    equal; 0.0 when both are constant and differ)."""
    import warnings

    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if a[0] == b[0] else 0.0
    with warnings.catch_warnings():  # near-constant samples: scipy warns about precision, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


@dataclass(frozen=True)
class Report:
    """TCAV of ``concepts`` at ``layers`` for one class.

    ``scores`` ``[C, L, R]``: TCAV score of concept c at layer l against random set r;
    ``random_scores`` ``[L, R]``: random-vs-random scores (the null); ``cav_acc`` ``[C, L, R]``:
    training accuracy of each CAV; ``p_raw`` ``[C, L]``: Welch p-values; ``p`` ``[C, L]``: the
    same Bonferroni-corrected for the C·L tests; ``significant`` ``[C, L]`` bool (p < alpha); ``mean_derivative`` ``[C, L]``: mean S over the class
    inputs (sign and size of the sensitivity, averaged over runs)."""

    concepts: tuple
    layers: tuple
    scores: np.ndarray = field(repr=False)
    random_scores: np.ndarray = field(repr=False)
    cav_acc: np.ndarray = field(repr=False)
    p_raw: np.ndarray
    p: np.ndarray
    significant: np.ndarray
    mean_derivative: np.ndarray = field(repr=False)


def run(cfg: Config, model: nn.Module, layer_list: list[tuple[str, nn.Module]], class_x: torch.Tensor, k: int,
        concept_x: dict, random_pool: np.ndarray, progress=None) -> Report:
    """TCAV of class ``k``: ``class_x`` ``[M, C, H, W]`` its inputs (the first ``n_class`` are
    used), ``concept_x`` {name: ``[P, C, H, W]`` float32}, ``random_pool`` ``[N, C, H, W]`` images
    from which ``runs + 1`` disjoint random sets are drawn (needs ``(runs + 1) · n_random``).
    ``progress(fraction)`` is called after each layer."""
    from explorer.engines.concepts import features
    from explorer.engines.device import cap_threads

    cap_threads()
    check(len(random_pool) >= (cfg.runs + 1) * cfg.n_random, "runs",
          f"the random pool of {len(random_pool)} images holds fewer than {cfg.runs + 1} sets of {cfg.n_random}")
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(random_pool))[: (cfg.runs + 1) * cfg.n_random]
    sets = [torch.as_tensor(np.ascontiguousarray(random_pool[order[i * cfg.n_random:(i + 1) * cfg.n_random]]))
            for i in range(cfg.runs + 1)]
    cx = class_x[: cfg.n_class]
    names = tuple(concept_x)
    n_c, n_l, n_r = len(names), len(layer_list), cfg.runs
    scores = np.zeros((n_c, n_l, n_r))
    accs = np.zeros((n_c, n_l, n_r))
    mean_d = np.zeros((n_c, n_l))
    rand = np.zeros((n_l, n_r))
    for li, (_label, module) in enumerate(layer_list):
        grads = gradients(model, module, cx, k)
        acts = [features(model, module, st).astype(np.float64) for st in sets]
        acts += [features(model, module, torch.as_tensor(concept_x[name][: cfg.n_concept])).astype(np.float64)
                 for name in names]
        a = np.concatenate(acts)
        starts = np.cumsum([0] + [len(x) for x in acts])
        block = [np.arange(starts[i], starts[i + 1]) for i in range(len(acts))]
        kern, g = a @ a.T, grads @ a.T     # every CAV below is fitted in the span of these examples
        for r in range(n_r):
            rand[li, r] = tcav_score(_gram_cav(kern, g, block[0], block[r + 1], cfg.c)[0])
        for ci in range(n_c):
            ds = []
            for r in range(n_r):
                d, accs[ci, li, r] = _gram_cav(kern, g, block[n_r + 1 + ci], block[r + 1], cfg.c)
                scores[ci, li, r] = tcav_score(d)
                ds.append(d.mean())
            mean_d[ci, li] = float(np.mean(ds))
        if progress:
            progress((li + 1) / n_l)
    p_raw = np.array([[welch_p(scores[ci, li], rand[li]) for li in range(n_l)] for ci in range(n_c)])
    p_raw = p_raw.reshape(n_c, n_l)
    p = bonferroni(p_raw)
    return Report(concepts=names, layers=tuple(lab for lab, _ in layer_list), scores=scores, random_scores=rand,
                  cav_acc=accs, p_raw=p_raw, p=p, significant=p < cfg.alpha, mean_derivative=mean_d)


def bonferroni(p_raw: np.ndarray) -> np.ndarray:
    """Bonferroni correction for every entry of ``p_raw`` being one test: min(1, p × count)."""
    p_raw = np.asarray(p_raw, dtype=np.float64)
    return np.minimum(1.0, p_raw * max(1, p_raw.size))
