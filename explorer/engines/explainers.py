"""Model-agnostic explanations of one tabular prediction (§7.1): LIME, SHAP, gradient × input and a
surrogate decision tree, and how far they agree.

Every method explains the same number, ``f(x) = P(target class | x)`` of the network of
:mod:`explorer.engines.explainers_tabular`, as one contribution per feature ``[D]``:

* **LIME** (Ribeiro et al. 2016, the ``lime`` package): samples around the data, weighs each
  sample by an exponential kernel of its distance to ``x`` and fits a weighted ridge regression.
  *Discretized* (LIME's default): the features are quartile indicators "is in x's bin", the
  contribution is the coefficient. *Continuous*: the features are standardized values and the
  contribution is ``coef · z``. Either way ``intercept + Σ contributions`` = LIME's local prediction
  of ``f(x)``, which may miss the true ``f(x)`` (its fit score R² says how well it fits).
* **SHAP** (Lundberg & Lee 2017, the ``shap`` package): Shapley values of the game "features
  present, the others drawn from a background sample". Kernel SHAP estimates them by a weighted
  regression over coalitions; Deep SHAP (DeepLIFT's rescale rule) and Gradient SHAP (expected
  gradients) use the network's gradients. Local accuracy: ``E[f(background)] + Σ φ = f(x)``
  (exactly for Kernel and Deep; in expectation for Gradient). :func:`exact_shapley` enumerates all
  ``2^D`` coalitions (D ≤ 16) as an oracle.
* **gradient × input**: ``∂f/∂z_i · z_i`` with ``z`` the standardized features, i.e. the first-order
  Taylor term from the training mean.
* **the surrogate tree**: a :class:`sklearn.tree.DecisionTreeClassifier` fit to the *network's*
  predictions; fidelity = agreement with the network on held-out rows. Its per-row contributions
  are Saabas' path attributions: along the row's decision path each split adds the change of the
  node's ``P(target)`` to the split's feature (they sum to the leaf's value minus the root's).

Agreement: Spearman rank correlation of two methods' signed contributions and the overlap of their
top-k features by magnitude, for one row and over many.

Randomness: LIME gets ``seed``; Kernel SHAP samples coalitions from NumPy's *global* generator, so
it runs under a lock with that generator seeded and its state restored afterwards.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from explorer.engines.contract import check
from explorer.engines.explainers_tabular import TabModel

SHAP_KINDS = ("kernel", "deep", "gradient")
SHAP_LABEL = {"kernel": "Kernel SHAP", "deep": "Deep SHAP", "gradient": "Gradient SHAP"}
METHODS = ("LIME", "SHAP", "gradient × input", "surrogate tree")
MAX_EXACT_FEATURES = 16
_NP_GLOBAL = threading.Lock()


@dataclass(frozen=True)
class Config:
    """Budgets of the tabular explainers. ``lime_samples``: perturbed samples LIME fits on;
    ``shap_samples``: Kernel SHAP's coalitions (Gradient SHAP: samples per background row pair);
    ``background``: rows of the training set SHAP integrates over; ``discretize``: LIME on quartile
    indicators (its default) or on standardized values; ``shap``: one of :data:`SHAP_KINDS`."""

    lime_samples: int = 1000
    shap_samples: int = 500
    background: int = 20
    discretize: bool = True
    shap: str = "kernel"
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.lime_samples, int) and 50 <= self.lime_samples <= 20_000, "lime_samples",
              "must be 50..20000")
        check(isinstance(self.shap_samples, int) and 20 <= self.shap_samples <= 20_000, "shap_samples",
              "must be 20..20000")
        check(isinstance(self.background, int) and 1 <= self.background <= 400, "background", "must be 1..400")
        check(isinstance(self.discretize, bool), "discretize", "must be True or False")
        check(self.shap in SHAP_KINDS, "shap", f"must be one of {SHAP_KINDS}")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@contextlib.contextmanager
def seeded_numpy_global(seed: int):
    """Run a library that draws from ``np.random``'s global state with that state seeded, then
    put the caller's state back (a lock keeps two sessions from interleaving)."""
    with _NP_GLOBAL:
        state = np.random.get_state()
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(state)


def background(model: TabModel, n: int, seed: int) -> np.ndarray:
    """``n`` training rows ``[n, D]`` drawn without replacement by ``seed``."""
    x = model.data.x_train
    idx = np.random.default_rng(seed).choice(len(x), size=min(n, len(x)), replace=False)
    return x[np.sort(idx)]


# -- LIME ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LimeResult:
    """``contrib`` [D]: each feature's share of the local prediction; ``coef`` [D]: the surrogate's
    coefficients; ``conditions``: the readable feature each coefficient is about ("worst radius >
    16.8" when discretized); ``local_pred``: LIME's own prediction of its linear model at x (=
    intercept + Σ contrib); ``fx`` the model's f(x);
    ``score``: the weighted R² of the local fit; ``seconds``: wall time."""

    contrib: np.ndarray
    coef: np.ndarray
    conditions: tuple[str, ...]
    intercept: float
    local_pred: float
    fx: float
    score: float
    seconds: float


def lime_tabular(fn: Callable[[np.ndarray], np.ndarray], x_train: np.ndarray, x: np.ndarray, target: int,
                 features: tuple[str, ...], samples: int, seed: int, discretize: bool = True,
                 mode: str = "classification") -> LimeResult:
    """LIME for row ``x`` [D] of a model ``fn`` ([N, D] → class probabilities [N, K], or values [N]
    in ``mode="regression"``), with statistics from ``x_train`` [N, D]."""
    from lime.lime_tabular import LimeTabularExplainer

    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    ex = LimeTabularExplainer(np.asarray(x_train, dtype=np.float64), mode=mode, feature_names=list(features),
                              discretize_continuous=discretize, discretizer="quartile", random_state=seed)
    # lime keeps a regression's explanation under key 1 (and its negation under 0)
    key = target if mode == "classification" else 1
    kw = {"labels": (target,)} if mode == "classification" else {}
    exp = ex.explain_instance(x, fn, num_features=len(features), num_samples=samples, **kw)
    coef = np.zeros(len(features))
    for i, w in exp.local_exp[key]:
        coef[int(i)] = w
    if discretize:
        contrib = coef.copy()  # x itself is in its own bin: every indicator is 1
        bins = ex.discretizer.discretize(x.reshape(1, -1))[0]
        conditions = tuple(ex.discretizer.names[i][int(bins[i])] if i in ex.discretizer.names else features[i]
                           for i in range(len(features)))
    else:
        z = (x - ex.scaler.mean_) / ex.scaler.scale_
        contrib = coef * z
        conditions = tuple(f"{f} = {v:.4g}" for f, v in zip(features, x))
    intercept = float(exp.intercept[key])
    fx = float(np.asarray(fn(x.reshape(1, -1))).reshape(1, -1)[0, target if mode == "classification" else 0])
    local = float(np.asarray(exp.local_pred).reshape(-1)[0])  # LIME's own prediction of its model at x
    return LimeResult(contrib, coef, conditions, intercept, local, fx, float(exp.score), time.perf_counter() - t0)


# -- SHAP ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShapResult:
    """``values`` [D] Shapley values of f = P(target); ``expected`` = E[f(background)];
    ``fx`` = f(x); ``kind`` one of :data:`SHAP_KINDS`; ``seconds`` wall time."""

    values: np.ndarray
    expected: float
    fx: float
    kind: str
    seconds: float

    @property
    def additivity_error(self) -> float:
        """|E[f] + Σφ − f(x)|: 0 up to rounding for Kernel and Deep SHAP."""
        return abs(self.expected + float(self.values.sum()) - self.fx)


class _Standardize(nn.Module):
    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.clone())
        self.register_buffer("std", std.clone())

    def forward(self, x):
        return (x - self.mean) / self.std


def prob_net(model: TabModel) -> nn.Sequential:
    """A private copy of the network as raw features → probabilities [N, K], built from modules
    only (standardize, Linear, ReLU, …, Softmax) so that Deep SHAP can walk it."""
    import copy

    net = copy.deepcopy(model.net)
    seq = nn.Sequential(_Standardize(net.mean, net.std), *net.net, nn.Softmax(dim=1)).eval()
    for p in seq.parameters():
        p.requires_grad_(True)
    return seq


def kernel_shap(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, bg: np.ndarray, samples: int,
                seed: int) -> tuple[np.ndarray, float]:
    """Kernel SHAP of a scalar model ``fn`` ([N, D] → [N]) at ``x`` [D] over background ``bg`` [B, D]:
    (φ [D], E[fn(bg)])."""
    import shap

    with seeded_numpy_global(seed):
        ex = shap.KernelExplainer(fn, np.asarray(bg, dtype=np.float64), link="identity")
        phi = ex.shap_values(np.asarray(x, dtype=np.float64).reshape(1, -1), nsamples=samples, silent=True,
                             l1_reg=False)
    return np.asarray(phi, dtype=np.float64).reshape(-1), float(np.asarray(ex.expected_value).reshape(-1)[0])


def shap_tabular(model: TabModel, x: np.ndarray, target: int, cfg: Config) -> ShapResult:
    """SHAP values of P(target | x) for row ``x`` [D] with ``cfg.shap``'s explainer."""
    import shap

    t0 = time.perf_counter()
    bg = background(model, cfg.background, cfg.seed)
    fx = float(model.predict_proba(x)[0, target])
    if cfg.shap == "kernel":
        phi, expected = kernel_shap(lambda a: model.predict_proba(a)[:, target], x, bg, cfg.shap_samples, cfg.seed)
    else:
        net = prob_net(model)
        bgt = torch.tensor(bg, dtype=torch.float32)
        xt = torch.tensor(np.asarray(x).reshape(1, -1), dtype=torch.float32)
        with _quiet():
            if cfg.shap == "deep":
                ex = shap.DeepExplainer(net, bgt)
                sv = ex.shap_values(xt, check_additivity=False)
            else:
                ex = shap.GradientExplainer(net, bgt)
                sv = ex.shap_values(xt, nsamples=cfg.shap_samples, rseed=cfg.seed)
        phi = np.asarray(sv, dtype=np.float64).reshape(len(model.data.features), -1)[:, target]
        with torch.no_grad():
            expected = float(net(bgt)[:, target].double().mean())
    return ShapResult(phi, expected, fx, cfg.shap, time.perf_counter() - t0)


@contextlib.contextmanager
def _quiet():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def exact_shapley(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """The exact interventional Shapley values [D] of scalar ``fn`` at ``x`` [D]: ``v(S)`` = mean over
    background rows of fn(x on S, background elsewhere), φ_i = Σ_S |S|!(D−|S|−1)!/D! (v(S∪i) − v(S)).
    Enumerates all 2^D coalitions (D ≤ 16)."""
    x = np.asarray(x, dtype=np.float64)
    bg = np.asarray(bg, dtype=np.float64)
    d = x.size
    check(d <= MAX_EXACT_FEATURES, "x", f"at most {MAX_EXACT_FEATURES} features for exact Shapley values")
    masks = np.array(list(itertools.product((0, 1), repeat=d)), dtype=bool)  # [2^D, D]
    rows = np.where(masks[:, None, :], x[None, None, :], bg[None, :, :])    # [2^D, B, D]
    v = np.asarray(fn(rows.reshape(-1, d)), dtype=np.float64).reshape(len(masks), len(bg)).mean(1)
    index = {tuple(m): i for i, m in enumerate(masks)}
    size = masks.sum(1)
    weight = np.array([math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) if s < d else 0.0
                       for s in range(d + 1)])
    phi = np.zeros(d)
    for j, m in enumerate(masks):
        for i in np.flatnonzero(~m):
            with_i = m.copy()
            with_i[i] = True
            phi[i] += weight[size[j]] * (v[index[tuple(with_i)]] - v[j])
    return phi


# -- gradient × input ---------------------------------------------------------------------------------------
def grad_input(model: TabModel, x: np.ndarray, target: int) -> np.ndarray:
    """∂P(target)/∂z · z [D] with z the standardized features of ``x`` [D] (or rows [N, D] → [N, D])."""
    xt = torch.tensor(np.asarray(x, dtype=np.float32).reshape(-1, len(model.data.features)))
    z = model.net.standardize(xt).requires_grad_(True)
    p = torch.softmax(model.net.forward_std(z), 1)[:, target].sum()
    (g,) = torch.autograd.grad(p, z)
    out = (g * z).detach().double().numpy()
    return out[0] if np.asarray(x).ndim == 1 else out


# -- the surrogate tree -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Surrogate:
    """A tree fit to the network's labels on the training rows. ``fidelity_*``: share of rows where
    the tree predicts what the network predicts (test: held-out rows); ``acc_test``: the tree's
    accuracy on the true test labels; ``net_acc_test`` the network's; ``importances`` [D]: the tree's
    impurity-based feature importances (sum to 1, or all 0 for a single leaf)."""

    tree: object
    depth: int
    fidelity_train: float
    fidelity_test: float
    acc_test: float
    net_acc_test: float
    importances: np.ndarray
    n_leaves: int


def fidelity(tree, x: np.ndarray, net_labels: np.ndarray) -> float:
    """Share of rows ``x`` [N, D] where ``tree`` predicts the network's label ``net_labels`` [N]."""
    return float(np.mean(tree.predict(x) == np.asarray(net_labels)))


def fit_surrogate(model: TabModel, depth: int, seed: int = 0) -> Surrogate:
    """A depth-``depth`` tree (1..12) mimicking the network on the training rows."""
    from sklearn.tree import DecisionTreeClassifier

    check(isinstance(depth, int) and 1 <= depth <= 12, "depth", "must be 1..12")
    d = model.data
    net_tr, net_te = model.predict(d.x_train), model.predict(d.x_test)
    tree = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(d.x_train, net_tr)
    return Surrogate(tree, depth, fidelity(tree, d.x_train, net_tr), fidelity(tree, d.x_test, net_te),
                     float(np.mean(tree.predict(d.x_test) == d.y_test)), float(np.mean(net_te == d.y_test)),
                     np.asarray(tree.feature_importances_, dtype=np.float64), int(tree.get_n_leaves()))


def fidelity_curve(model: TabModel, depths: tuple[int, ...], seed: int = 0) -> dict[str, np.ndarray]:
    """Fidelity (train, test) and test accuracy of the surrogate for each depth: arrays [len(depths)]."""
    fits = [fit_surrogate(model, int(k), seed) for k in depths]
    return {"depth": np.asarray(depths), "fidelity_train": np.array([s.fidelity_train for s in fits]),
            "fidelity_test": np.array([s.fidelity_test for s in fits]),
            "acc_test": np.array([s.acc_test for s in fits]), "leaves": np.array([s.n_leaves for s in fits])}


def _node_probs(tree) -> np.ndarray:
    v = np.asarray(tree.tree_.value, dtype=np.float64)[:, 0, :]
    return v / v.sum(1, keepdims=True)


def tree_class_index(tree, target: int) -> int | None:
    """The column of ``target`` among the classes the tree saw (None if it never saw it)."""
    hits = np.flatnonzero(np.asarray(tree.classes_) == target)
    return int(hits[0]) if hits.size else None


def path_contributions(tree, x: np.ndarray, target: int, n_features: int) -> tuple[np.ndarray, float, float]:
    """Saabas' attribution of the tree's P(target) at ``x`` [D]: (contributions [D], root value,
    leaf value), with root + Σ contributions = leaf."""
    probs = _node_probs(tree)
    col = tree_class_index(tree, target)
    p = probs[:, col] if col is not None else np.zeros(len(probs))
    path = tree.decision_path(np.asarray(x, dtype=np.float64).reshape(1, -1)).indices
    out = np.zeros(n_features)
    feat = tree.tree_.feature
    for parent, child in zip(path[:-1], path[1:]):
        out[feat[parent]] += p[child] - p[parent]
    return out, float(p[path[0]]), float(p[path[-1]])


@dataclass(frozen=True)
class TreeNodes:
    """A tree as flat arrays over its nodes [M] (node 0 the root): ``left``/``right`` child ids
    (−1 at a leaf), ``feature`` (−1 at a leaf), ``threshold``, ``samples``, ``probs`` [M, K] class
    shares over the tree's classes ``classes`` [K], ``depth``."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    samples: np.ndarray
    probs: np.ndarray
    classes: np.ndarray
    depth: np.ndarray


def tree_nodes(tree) -> TreeNodes:
    t = tree.tree_
    depth = np.zeros(t.node_count, dtype=int)
    for i in range(t.node_count):  # children always have larger ids than their parent
        for c in (t.children_left[i], t.children_right[i]):
            if c >= 0:
                depth[c] = depth[i] + 1
    return TreeNodes(t.children_left.copy(), t.children_right.copy(), t.feature.copy(), t.threshold.copy(),
                     t.n_node_samples.copy(), _node_probs(tree), np.asarray(tree.classes_), depth)


def decision_path(tree, x: np.ndarray) -> np.ndarray:
    """Node ids from the root to the leaf that row ``x`` [D] falls in."""
    return tree.decision_path(np.asarray(x, dtype=np.float64).reshape(1, -1)).indices


# -- agreement ------------------------------------------------------------------------------------------------
def rank_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ of two attribution vectors [D] (NaN when one is constant)."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def top_k(a: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest |a| (ties broken by index)."""
    return np.argsort(-np.abs(np.asarray(a)), kind="stable")[:k]


def topk_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """|top-k(|a|) ∩ top-k(|b|)| / k, in [0, 1]."""
    k = max(1, min(int(k), len(a)))
    return len(set(top_k(a, k).tolist()) & set(top_k(b, k).tolist())) / k


def agreement(attrs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise Spearman ρ [M, M] and top-k overlap [M, M] of M attribution vectors ``attrs`` [M, D]."""
    m = len(attrs)
    rho, over = np.eye(m), np.eye(m)
    for i, j in itertools.combinations(range(m), 2):
        rho[i, j] = rho[j, i] = rank_corr(attrs[i], attrs[j])
        over[i, j] = over[j, i] = topk_overlap(attrs[i], attrs[j], k)
    return rho, over


# -- one row, every method --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RowExplanation:
    """Everything about one row: the network's probabilities ``probs`` [K], the explained class
    ``target``, the four methods' contributions ``attrs`` [4, D] in :data:`METHODS` order and the
    results behind them."""

    x: np.ndarray
    probs: np.ndarray
    target: int
    attrs: np.ndarray
    lime: LimeResult
    shap: ShapResult
    tree_root: float
    tree_leaf: float


def explain_row(model: TabModel, x: np.ndarray, cfg: Config, surrogate: Surrogate,
                target: int | None = None) -> RowExplanation:
    """Every method on row ``x`` [D] for ``target`` (default: the network's predicted class)."""
    probs = model.predict_proba(x)[0]
    target = int(probs.argmax()) if target is None else int(target)
    d = model.data
    lime = lime_tabular(model.predict_proba, d.x_train, x, target, d.features, cfg.lime_samples, cfg.seed,
                        cfg.discretize)
    sh = shap_tabular(model, x, target, cfg)
    gi = grad_input(model, x, target)
    tc, root, leaf = path_contributions(surrogate.tree, x, target, len(d.features))
    return RowExplanation(np.asarray(x, dtype=np.float64), probs, target, np.stack([lime.contrib, sh.values, gi, tc]),
                          lime, sh, root, leaf)


@dataclass(frozen=True)
class RowsComparison:
    """The methods over R rows: ``rows`` [R] test-row ids, ``attrs`` [R, 4, D], ``pairs`` (P pairs of
    method indices), ``rho`` [R, P] and ``overlap`` [R, P] per row (NaN ρ where a method is flat),
    ``importance`` [5, D]: mean |contribution| of each method normalized to sum 1, plus the tree's
    impurity importances as the fifth row."""

    rows: np.ndarray
    attrs: np.ndarray
    pairs: tuple[tuple[int, int], ...]
    rho: np.ndarray
    overlap: np.ndarray
    importance: np.ndarray
    k: int


def compare_rows(model: TabModel, rows: np.ndarray, cfg: Config, surrogate: Surrogate, k: int,
                 progress: Callable[[float], None] | None = None) -> RowsComparison:
    """:func:`explain_row` on test rows ``rows`` (each for the network's predicted class)."""
    rows = np.asarray(rows, dtype=int)
    attrs = []
    for n, r in enumerate(rows):
        attrs.append(explain_row(model, model.data.x_test[r], cfg, surrogate).attrs)
        if progress:
            progress((n + 1) / len(rows))
    attrs = np.stack(attrs)
    pairs = tuple(itertools.combinations(range(len(METHODS)), 2))
    rho = np.array([[rank_corr(a[i], a[j]) for i, j in pairs] for a in attrs])
    over = np.array([[topk_overlap(a[i], a[j], k) for i, j in pairs] for a in attrs])
    mean_abs = np.abs(attrs).mean(0)
    imp = mean_abs / np.maximum(mean_abs.sum(1, keepdims=True), 1e-300)
    return RowsComparison(rows, attrs, pairs, rho, over, np.vstack([imp, surrogate.importances[None]]), k)
