"""Adversarial attacks (§8.1) behind one interface over torchattacks 3.3.

:func:`run_attack` takes any classifier ``model`` (``[N, C, H, W]`` float32 images in [0, 1]
→ logits ``[N, K]``), images ``x``, true labels ``y`` and a frozen :class:`AttackConfig`, and
returns an :class:`AttackResult` of numpy arrays: the adversarial images, the perturbation δ,
both probability distributions and the norms of δ.

Guarantees, whatever the attack:

* **The budget holds.** ``‖δ‖ ≤ ε`` in the config's norm (L∞ or L2, per image) and the
  adversarial image stays in [0, 1]. Budgeted attacks (FGSM, PGD, APGD, Square, …) already
  keep to it; the minimum-norm searches (CW, DeepFool) have no budget of their own, so their
  δ is scaled back onto the ε-ball when it is larger — ``raw_norm`` keeps the size they found.
* **Determinism.** torchattacks draws random starts from torch's *global* generator (and
  APGD/FAB/Square re-seed it), so every call runs inside ``torch.random.fork_rng`` seeded with
  ``cfg.seed``: same config ⇒ same result, and the caller's global RNG state is left untouched.
* **The model is left as it was.** Attacks switch a model to eval mode; the mode and every
  parameter's ``requires_grad`` are restored afterwards, and parameters get no ``.grad``.
  Still, pass a session's own copy (``zoo.session_copy``), never a shared model being trained.

:func:`pgd_trace` is projected gradient ascent written out step by step (the same arithmetic
as torchattacks' ``PGD``/``PGDL2``), recording the loss, the prediction and the probabilities
after every step. :func:`robust_accuracy_curve` sweeps ε for several attacks and
:func:`transfer_matrix` crafts on one model and tests on others; both report progress.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import check

NORMS = ("Linf", "L2")
MAX_EPS = {"Linf": 1.0, "L2": 100.0}
MAX_STEPS = 1000
SQUARE_QUERIES_PER_STEP = 50   # Square is a random search: one "step" = this many model queries
CW_C = 1.0                     # CW's trade-off constant c (torchattacks' suggested value)
DEEPFOOL_OVERSHOOT = 0.02


@dataclass(frozen=True)
class AttackInfo:
    """What the UI says about an attack: label, norms it works in, whether it takes a target,
    whether ``steps``/``alpha`` mean something for it, whether it has its own ε budget
    (``budget=False``: a minimum-norm search, projected onto the ε-ball afterwards), and a line."""

    label: str
    norms: tuple
    targeted: bool
    uses_steps: bool
    uses_alpha: bool
    budget: bool
    line: str


ATTACKS: dict[str, AttackInfo] = {
    "fgsm": AttackInfo("FGSM", ("Linf",), True, False, False, True,
                       "Goodfellow et al. 2015: one step of size ε along the sign of the gradient."),
    "bim": AttackInfo("BIM", ("Linf",), True, True, True, True,
                      "Kurakin et al. 2017: FGSM repeated with small steps, clipped to the ε-box."),
    "pgd": AttackInfo("PGD", ("Linf",), True, True, True, True,
                      "Madry et al. 2018: BIM from a random start in the ε-box."),
    "pgdl2": AttackInfo("PGD-L2", ("L2",), True, True, True, True,
                        "PGD in the L2 ball: steps along the normalized gradient, projected onto the ball."),
    "mifgsm": AttackInfo("MI-FGSM", ("Linf",), True, True, True, True,
                         "Dong et al. 2018: BIM with momentum on the gradient (transfers better)."),
    "apgd": AttackInfo("APGD-CE", ("Linf", "L2"), False, True, False, True,
                       "Croce & Hein 2020: PGD that adapts its own step size, cross-entropy loss."),
    "apgdt": AttackInfo("APGD-T", ("Linf", "L2"), False, True, False, True,
                        "Croce & Hein 2020: APGD on the targeted DLR loss, trying the top classes in turn."),
    "fab": AttackInfo("FAB", ("Linf", "L2"), False, True, False, True,
                      "Croce & Hein 2020: walks to the closest point of the linearized decision boundary."),
    "square": AttackInfo("Square", ("Linf", "L2"), True, True, False, True,
                         f"Andriushchenko et al. 2020: black-box random search over squares, no gradients "
                         f"({SQUARE_QUERIES_PER_STEP} queries per step)."),
    "cw": AttackInfo("CW", ("L2",), True, True, True, False,
                     "Carlini & Wagner 2017: minimizes ‖δ‖² + c·margin with Adam (step size = Adam's rate)."),
    "deepfool": AttackInfo("DeepFool", ("L2",), False, True, False, False,
                           "Moosavi-Dezfooli et al. 2016: steps to the nearest linearized boundary."),
    "autoattack": AttackInfo("AutoAttack", ("Linf", "L2"), False, False, False, True,
                             "Croce & Hein 2020: APGD-CE, APGD-T, FAB-T and Square in turn (the benchmark)."),
    "noise": AttackInfo("Random noise", ("Linf", "L2"), False, False, False, True,
                        "Not an attack: Gaussian noise (torchattacks GN) scaled to the same budget, as a baseline."),
}
NAMES = tuple(ATTACKS)
RANDOMIZED = frozenset({"pgd", "pgdl2", "apgd", "apgdt", "fab", "square", "autoattack", "noise"})


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def default_alpha(eps: float, steps: int) -> float:
    """Madry et al.'s step size 2.5·ε/steps: enough to cross the ball and come back."""
    return 2.5 * eps / max(1, steps)


@dataclass(frozen=True)
class AttackConfig:
    """One attack. ``eps``: the budget in ``norm`` (pixel units, images in [0, 1]); ``steps``:
    iterations (Square: ×:data:`SQUARE_QUERIES_PER_STEP` queries); ``alpha``: the step size
    (CW: Adam's learning rate); ``target``: a class to steer to, or None (untargeted);
    ``seed``: random starts and searches."""

    name: str = "fgsm"
    norm: str = "Linf"
    eps: float = 0.1
    steps: int = 10
    alpha: float = 0.025
    target: int | None = None
    seed: int = 0

    def __post_init__(self):
        check(self.name in ATTACKS, "name", f"must be one of {NAMES}")
        check(self.norm in NORMS, "norm", f"must be one of {NORMS}")
        info = ATTACKS[self.name]
        check(self.norm in info.norms, "norm", f"{info.label} works in {' or '.join(info.norms)} only")
        check(_num(self.eps) and 0 <= self.eps <= MAX_EPS[self.norm], "eps",
              f"must be in [0, {MAX_EPS[self.norm]:g}] for {self.norm}")
        check(isinstance(self.steps, int) and not isinstance(self.steps, bool) and 1 <= self.steps <= MAX_STEPS,
              "steps", f"must be 1..{MAX_STEPS}")
        check(_num(self.alpha) and 0 <= self.alpha <= 10, "alpha", "must be in [0, 10]")
        check(self.target is None or (isinstance(self.target, int) and not isinstance(self.target, bool)
                                      and 0 <= self.target < 1000), "target", "must be None or a class 0..999")
        check(self.target is None or info.targeted, "target", f"{info.label} has no targeted mode")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")

    @property
    def info(self) -> AttackInfo:
        return ATTACKS[self.name]

    def replace(self, **changes) -> "AttackConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def coerced(cls, **kw) -> tuple["AttackConfig", list[str]]:
        """A valid config from UI values that may not fit together (a norm or a target the
        attack does not have), and a note for each change."""
        notes = []
        info = ATTACKS.get(kw.get("name", "fgsm"))
        if info is not None:
            norm = kw.get("norm", "Linf")
            if norm not in info.norms:
                kw["norm"] = info.norms[0]
                notes.append(f"{info.label} works in {info.norms[0]} only, so ε is an {info.norms[0]} budget here.")
            if kw.get("target") is not None and not info.targeted:
                kw["target"] = None
                notes.append(f"{info.label} has no targeted mode: it pushes away from the true class.")
            norm = kw.get("norm", "Linf")
            if _num(kw.get("eps")) and kw["eps"] > MAX_EPS[norm]:
                kw["eps"] = MAX_EPS[norm]
                notes.append(f"ε capped at {MAX_EPS[norm]:g} in {norm}.")
        return cls(**kw), notes


@dataclass(frozen=True)
class AttackResult:
    """An attack on N images with K classes. ``adv``/``delta`` float32 ``[N, C, H, W]``
    (δ = adv − x); ``clean_prob``/``adv_prob`` float64 ``[N, K]`` softmax probabilities;
    ``clean_pred``/``adv_pred``/``labels`` int ``[N]``; ``clean_loss``/``adv_loss`` float64
    ``[N]`` cross-entropy (nats) with the true labels; ``linf``/``l2`` float64 ``[N]`` norms of
    δ; ``raw_norm`` ``[N]`` the attack's own δ in ``norm`` before the ε-ball projection;
    ``target`` the steered class or −1; ``seconds`` wall time of the attack."""

    adv: np.ndarray
    delta: np.ndarray
    clean_prob: np.ndarray
    adv_prob: np.ndarray
    clean_pred: np.ndarray
    adv_pred: np.ndarray
    labels: np.ndarray
    clean_loss: np.ndarray
    adv_loss: np.ndarray
    linf: np.ndarray
    l2: np.ndarray
    raw_norm: np.ndarray
    norm: str
    eps: float
    target: int
    seconds: float

    @property
    def fooled(self) -> np.ndarray:
        """[N] bool: the adversarial prediction differs from the true label."""
        return self.adv_pred != self.labels

    @property
    def success(self) -> np.ndarray:
        """[N] bool: fooled (untargeted) or predicted as the target (targeted)."""
        return self.adv_pred == self.target if self.target >= 0 else self.fooled

    @property
    def projected(self) -> np.ndarray:
        """[N] bool: the attack's own δ was larger than ε and was scaled back."""
        return self.raw_norm > self.eps * (1 + 1e-6) + 1e-7


# -- plumbing ------------------------------------------------------------------------------------
@contextlib.contextmanager
def attack_mode(model: nn.Module):
    """Eval mode and no parameter gradients for the duration; both restored afterwards."""
    was = model.training
    flags = [p.requires_grad for p in model.parameters()]
    nn.Module.train(model, False)
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, f in zip(model.parameters(), flags):
            p.requires_grad_(f)
        nn.Module.train(model, was)


@contextlib.contextmanager
def seeded(seed: int):
    """Run with torch's global CPU generator seeded, restoring its state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def norms(delta: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(L∞, L2) per image of ``delta`` ``[N, ...]`` as float64 numpy."""
    flat = delta.detach().reshape(len(delta), -1).double()
    return flat.abs().amax(1).numpy() if flat.shape[1] else np.zeros(len(delta)), flat.norm(dim=1).numpy()


def project(x: torch.Tensor, adv: torch.Tensor, norm: str, eps: float) -> torch.Tensor:
    """``adv`` moved into the ε-ball around ``x`` (L∞: clip; L2: scale δ) and into [0, 1].

    Clipping to [0, 1] after the ball keeps δ inside it: clipping only moves each pixel
    toward x (x is in [0, 1]), so no coordinate of δ grows."""
    delta = adv - x
    if norm == "Linf":
        delta = delta.clamp(-eps, eps)
    else:
        n = delta.reshape(len(delta), -1).norm(dim=1)
        scale = torch.clamp(eps / n.clamp_min(1e-12), max=1.0)
        delta = delta * scale.view(-1, *([1] * (delta.dim() - 1)))
    return (x + delta).clamp(0.0, 1.0)


def _shrink_to_ball(x: torch.Tensor, adv: torch.Tensor, norm: str, eps: float) -> torch.Tensor:
    """Float rounding in (x + δ) − x can leave ‖δ‖ a few ulps over ε: pull those pixels in."""
    out = project(x, adv, norm, eps)
    for attempt in range(4):
        linf, l2 = norms(out - x)
        if not ((linf if norm == "Linf" else l2) > eps).any():
            break
        out = project(x, x + (out - x) * (1 - 4e-7 * 2 ** attempt), norm, eps)
    return out


def _silent():
    """torchattacks prints when an attack switches to targeted mode."""
    return contextlib.redirect_stdout(io.StringIO())


def build_attack(model: nn.Module, cfg: AttackConfig, n_classes: int, n_pixels: int):
    """The torchattacks object for ``cfg`` (targeted mode set when ``cfg.target`` is given)."""
    import torchattacks as ta

    e, a, s, norm = float(cfg.eps), float(cfg.alpha), int(cfg.steps), cfg.norm
    name = cfg.name
    if name == "fgsm":
        atk = ta.FGSM(model, eps=e)
    elif name == "bim":
        atk = ta.BIM(model, eps=e, alpha=a, steps=s)
    elif name == "pgd":
        atk = ta.PGD(model, eps=e, alpha=a, steps=s, random_start=True)
    elif name == "pgdl2":
        atk = ta.PGDL2(model, eps=e, alpha=a, steps=s, random_start=True)
    elif name == "mifgsm":
        atk = ta.MIFGSM(model, eps=e, alpha=a, steps=s, decay=1.0)
    elif name == "apgd":
        atk = ta.APGD(model, norm=norm, eps=e, steps=s, n_restarts=1, seed=cfg.seed, loss="ce")
    elif name == "apgdt":
        atk = ta.APGDT(model, norm=norm, eps=e, steps=s, n_restarts=1, seed=cfg.seed, n_classes=n_classes)
    elif name == "fab":
        atk = ta.FAB(model, norm=norm, eps=e, steps=s, n_restarts=1, seed=cfg.seed, n_classes=n_classes)
    elif name == "square":
        atk = ta.Square(model, norm=norm, eps=e, n_queries=s * SQUARE_QUERIES_PER_STEP, n_restarts=1,
                        seed=cfg.seed)
    elif name == "cw":
        atk = ta.CW(model, c=CW_C, kappa=0, steps=s, lr=a)
    elif name == "deepfool":
        atk = ta.DeepFool(model, steps=s, overshoot=DEEPFOOL_OVERSHOOT)
    elif name == "autoattack":
        atk = ta.AutoAttack(model, norm=norm, eps=e, version="standard", n_classes=n_classes, seed=cfg.seed)
    else:  # noise: std so that a typical draw has about the budget's size, then projected onto the ball
        atk = ta.GN(model, std=e if norm == "Linf" else e / math.sqrt(max(1, n_pixels)))
    if cfg.target is not None:
        target = int(cfg.target)
        with _silent():
            atk.set_mode_targeted_by_function(
                lambda inputs, labels: torch.full_like(labels, target))
    return atk


@torch.no_grad()
def _probs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 512):
    """(softmax [N, K] float64, cross-entropy [N] float64) in eval mode."""
    logits = torch.cat([model(x[a:a + batch]) for a in range(0, len(x), batch)]).double()
    return torch.softmax(logits, 1).numpy(), F.cross_entropy(logits, y, reduction="none").numpy()


def _as_tensors(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    xt = (torch.tensor(np.array(x, dtype=np.float32)) if not torch.is_tensor(x) else x).float()
    yt = (torch.tensor(np.array(y)) if not torch.is_tensor(y) else y).long().reshape(-1)
    check(xt.dim() == 4, "x", "must be a batch of images [N, C, H, W]")
    check(len(xt) == len(yt) and len(xt) > 0, "y", "needs one label per image")
    check(bool(torch.isfinite(xt).all()) and float(xt.min()) >= 0 and float(xt.max()) <= 1, "x",
          "pixel values must be finite and in [0, 1]")
    return xt.detach().clone(), yt.detach().clone()


def attack_tensor(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig,
                  n_classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(adversarial images inside the ε-ball and [0, 1], the attack's raw output) for tensors;
    the model must already be in :func:`attack_mode`. ε = 0 returns the images unchanged."""
    if cfg.eps == 0:
        return x.clone(), x.clone()
    if n_classes is None:
        with torch.no_grad():
            n_classes = int(model(x[:1]).shape[1])
    atk = build_attack(model, cfg, n_classes, x[0].numel())
    # Seeding costs ≈3 ms; attacks that draw nothing random (FGSM, BIM, CW, …) skip it.
    with (seeded(cfg.seed) if cfg.name in RANDOMIZED else contextlib.nullcontext()), _silent():
        raw = atk(x, y).detach().float()
    return _shrink_to_ball(x, raw, cfg.norm, cfg.eps), raw


def run_attack(model: nn.Module, x, y, cfg: AttackConfig) -> AttackResult:
    """Attack images ``x`` ``[N, C, H, W]`` in [0, 1] with true labels ``y`` ``[N]`` (numpy or
    torch). Raises ``ValueError`` for images outside [0, 1] or a target beyond the classes."""
    importlib.import_module("torchattacks")  # the first import takes a second or two: not the attack's time

    xt, yt = _as_tensors(x, y)
    with attack_mode(model):
        clean_prob, clean_loss = _probs(model, xt, yt)
        k = clean_prob.shape[1]
        check(cfg.target is None or cfg.target < k, "target", f"must be a class 0..{k - 1}")
        t0 = time.perf_counter()
        adv, raw = attack_tensor(model, xt, yt, cfg, k)
        seconds = time.perf_counter() - t0
        adv_prob, adv_loss = _probs(model, adv, yt)
    linf, l2 = norms(adv - xt)
    raw_linf, raw_l2 = norms(raw - xt)
    return AttackResult(
        adv=adv.numpy(), delta=(adv - xt).numpy(), clean_prob=clean_prob, adv_prob=adv_prob,
        clean_pred=clean_prob.argmax(1), adv_pred=adv_prob.argmax(1), labels=yt.numpy(),
        clean_loss=clean_loss, adv_loss=adv_loss, linf=linf, l2=l2,
        raw_norm=raw_linf if cfg.norm == "Linf" else raw_l2, norm=cfg.norm, eps=float(cfg.eps),
        target=-1 if cfg.target is None else int(cfg.target), seconds=seconds)


# -- PGD, step by step ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trace:
    """PGD on N images, T steps, K classes, recorded at every iterate t = 0..T (t = 0 is the
    start: the clean image, or the random start). ``objective`` ``[T+1, N]``: the quantity PGD
    climbs — cross-entropy with the true label (untargeted) or minus the cross-entropy with the
    target (targeted); ``loss`` ``[T+1, N]`` cross-entropy with the true label; ``probs``
    ``[T+1, N, K]``; ``preds`` ``[T+1, N]``; ``linf``/``l2`` ``[T+1, N]`` of δ; ``iterates``
    float32 ``[T+1, N, C, H, W]`` (kept for N ≤ :data:`MAX_TRACE_IMAGES`, else shape (0,));
    ``adv`` the last iterate ``[N, C, H, W]``; ``clean_loss`` ``[N]``."""

    objective: np.ndarray
    loss: np.ndarray
    probs: np.ndarray
    preds: np.ndarray
    linf: np.ndarray
    l2: np.ndarray
    iterates: np.ndarray
    adv: np.ndarray
    clean_loss: np.ndarray
    labels: np.ndarray
    target: int


MAX_TRACE_IMAGES = 64


def pgd_trace(model: nn.Module, x, y, cfg: AttackConfig, random_start: bool = False) -> Trace:
    """PGD (``cfg.norm`` L∞: torchattacks ``PGD``; L2: ``PGDL2``) with ``cfg.eps``, ``cfg.alpha``,
    ``cfg.steps`` and ``cfg.target``, recording every iterate. The arithmetic is torchattacks'
    own, so without a random start the last iterate equals theirs; a random start draws from
    ``torch.Generator().manual_seed(cfg.seed)`` exactly as they draw from the global generator
    after ``torch.manual_seed(cfg.seed)``. ``cfg.name`` is ignored."""
    xt, yt = _as_tensors(x, y)
    n, eps, alpha = len(xt), float(cfg.eps), float(cfg.alpha)
    ce = nn.CrossEntropyLoss()
    cols: dict[str, list] = {k: [] for k in ("objective", "loss", "probs", "preds", "linf", "l2", "iterates")}
    with attack_mode(model):
        with torch.no_grad():
            k = int(model(xt[:1]).shape[1])
        check(cfg.target is None or cfg.target < k, "target", f"must be a class 0..{k - 1}")
        tgt = None if cfg.target is None else torch.full_like(yt, int(cfg.target))
        adv = xt.clone()
        if random_start and eps > 0:
            gen = torch.Generator().manual_seed(int(cfg.seed))
            if cfg.norm == "Linf":
                adv = (adv + torch.empty_like(adv).uniform_(-eps, eps, generator=gen)).clamp(0, 1)
            else:
                d = torch.empty_like(adv).normal_(generator=gen)
                nrm = d.view(n, -1).norm(p=2, dim=1).view(n, 1, 1, 1)
                r = torch.zeros_like(nrm).uniform_(0, 1, generator=gen)
                d *= r / nrm * eps
                adv = (adv + d).clamp(0, 1)

        def record(a: torch.Tensor, logits: torch.Tensor) -> None:
            lg = logits.detach().double()
            loss = F.cross_entropy(lg, yt, reduction="none")
            obj = loss if tgt is None else -F.cross_entropy(lg, tgt, reduction="none")
            p = torch.softmax(lg, 1)
            li, l2 = norms(a - xt)
            for key, v in (("objective", obj.numpy()), ("loss", loss.numpy()), ("probs", p.numpy()),
                           ("preds", p.argmax(1).numpy()), ("linf", li), ("l2", l2)):
                cols[key].append(v)
            if n <= MAX_TRACE_IMAGES:
                cols["iterates"].append(a.detach().numpy().copy())

        clean_loss = None
        for step in range(cfg.steps + 1):
            adv.requires_grad = True
            logits = model(adv)
            record(adv, logits)
            if step == 0:
                with torch.no_grad():
                    clean_loss = F.cross_entropy(model(xt).double(), yt, reduction="none").numpy()
            if step == cfg.steps:
                adv = adv.detach()
                break
            cost = ce(logits, yt) if tgt is None else -ce(logits, tgt)
            grad = torch.autograd.grad(cost, adv, retain_graph=False, create_graph=False)[0]
            if cfg.norm == "Linf":
                adv = adv.detach() + alpha * grad.sign()
                delta = torch.clamp(adv - xt, min=-eps, max=eps)
            else:
                gn = torch.norm(grad.view(n, -1), p=2, dim=1) + 1e-10
                grad = grad / gn.view(n, 1, 1, 1)
                adv = adv.detach() + alpha * grad
                delta = adv - xt
                dn = torch.norm(delta.view(n, -1), p=2, dim=1)
                delta = delta * torch.min(eps / dn, torch.ones_like(dn)).view(-1, 1, 1, 1)
            adv = torch.clamp(xt + delta, min=0, max=1).detach()
    stack = {k2: np.stack(v) for k2, v in cols.items() if v}
    return Trace(stack["objective"], stack["loss"], stack["probs"], stack["preds"], stack["linf"], stack["l2"],
                 stack.get("iterates", np.zeros(0, np.float32)), adv.numpy(), clean_loss, yt.numpy(),
                 -1 if cfg.target is None else int(cfg.target))


# -- robust accuracy and transfer ---------------------------------------------------------------------
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RobustCurve:
    """Accuracy under attack on N images: ``eps`` ``[E]``, ``attacks`` the names (A),
    ``acc`` ``[A, E]`` in [0, 1], ``clean_acc`` the accuracy at ε = 0, ``norm``, ``n``."""

    eps: np.ndarray
    attacks: tuple
    acc: np.ndarray
    clean_acc: float
    norm: str
    n: int
    steps: int


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 512) -> float:
    with attack_mode(model):
        pred = torch.cat([model(x[a:a + batch]).argmax(1) for a in range(0, len(x), batch)])
    return float((pred == y).float().mean())


def _batched_attack(model, x, y, cfg: AttackConfig, n_classes: int, batch: int) -> torch.Tensor:
    parts = []
    for i, a in enumerate(range(0, len(x), batch)):
        parts.append(attack_tensor(model, x[a:a + batch], y[a:a + batch], cfg.replace(seed=cfg.seed + i),
                                   n_classes)[0])
    return torch.cat(parts)


def robust_accuracy_curve(model: nn.Module, x, y, attacks: Sequence[str], eps_values: Iterable[float],
                          norm: str = "Linf", steps: int = 10, seed: int = 0, batch: int = 256,
                          progress: Progress | None = None) -> RobustCurve:
    """Accuracy of ``model`` on images ``x`` ``[N, C, H, W]`` attacked by each attack at each ε
    (``norm``; step size :func:`default_alpha`, CW's Adam rate 0.01·max(1, ε)); ε = 0 is the
    clean accuracy. ``progress(fraction, text)`` is called after each (attack, ε)."""
    xt, yt = _as_tensors(x, y)
    eps = np.asarray(list(eps_values), dtype=np.float64)
    check(len(eps) >= 1 and np.all(np.isfinite(eps)) and np.all(eps >= 0) and np.all(eps <= MAX_EPS.get(norm, 0)),
          "eps_values", f"must be in [0, {MAX_EPS.get(norm, 0):g}]")
    check(len(attacks) >= 1, "attacks", "choose at least one attack")
    acc = np.zeros((len(attacks), len(eps)))
    total, done = len(attacks) * len(eps), 0
    with attack_mode(model):
        clean = accuracy(model, xt, yt)
        with torch.no_grad():
            k = int(model(xt[:1]).shape[1])
        for i, name in enumerate(attacks):
            for j, e in enumerate(eps):
                if e == 0:
                    acc[i, j] = clean
                else:
                    alpha = 0.01 * max(1.0, e) if name == "cw" else default_alpha(e, steps)
                    cfg = AttackConfig(name=name, norm=norm, eps=float(e), steps=steps, alpha=alpha, seed=seed)
                    adv = _batched_attack(model, xt, yt, cfg, k, batch)
                    acc[i, j] = accuracy(model, adv, yt)
                done += 1
                if progress:
                    progress(done / total, f"{ATTACKS[name].label} at ε = {e:g} ({done}/{total})")
    return RobustCurve(eps, tuple(attacks), acc, clean, norm, len(xt), steps)


@dataclass(frozen=True)
class Transfer:
    """Adversarial examples crafted on each source model, tested on each target model:
    ``acc`` ``[S, T]`` accuracy of target t on source s's adversarial images (the diagonal is
    the white-box attack), ``clean`` ``[T]`` clean accuracies, ``names`` the models (S = T)."""

    names: tuple
    acc: np.ndarray
    clean: np.ndarray
    cfg: AttackConfig
    n: int


def transfer_matrix(models: dict[str, nn.Module], x, y, cfg: AttackConfig, batch: int = 256,
                    progress: Progress | None = None) -> Transfer:
    """Craft ``cfg``'s attack on every model in turn and measure every model on the result."""
    xt, yt = _as_tensors(x, y)
    names = tuple(models)
    check(len(names) >= 1, "models", "need at least one model")
    acc = np.zeros((len(names), len(names)))
    clean = np.array([accuracy(models[t], xt, yt) for t in names])
    for s, src in enumerate(names):
        with attack_mode(models[src]):
            with torch.no_grad():
                k = int(models[src](xt[:1]).shape[1])
            adv = _batched_attack(models[src], xt, yt, cfg, k, batch)
        for t, tgt in enumerate(names):
            acc[s, t] = accuracy(models[tgt], adv, yt)
        if progress:
            progress((s + 1) / len(names), f"crafted on {src} ({s + 1}/{len(names)})")
    return Transfer(names, acc, clean, cfg, len(xt))


def amplify(delta: np.ndarray) -> tuple[np.ndarray, float]:
    """δ mapped to [0, 1] for display, 0.5 + factor·δ with factor = 0.5 / max|δ| (the full
    colour range); returns (image, factor). A zero δ gives a flat grey image and factor 1."""
    m = float(np.max(np.abs(delta))) if np.size(delta) else 0.0
    factor = 0.5 / m if m > 0 else 1.0
    return np.clip(0.5 + factor * np.asarray(delta, dtype=np.float64), 0.0, 1.0), factor
