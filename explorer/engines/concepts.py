"""Concepts in a trained network (§7.2), part 1: layers, activation maximization, drawn concepts.

- :func:`layers` lists the hidden layers a page can inspect: the zoo model's feature-map taps
  (``model.tap_modules()``, outputs ``[N, C, H, W]``) and its hidden fully connected layers
  (outputs ``[N, D]``, before the ReLU). :func:`features` reads a layer's activations with a
  forward hook; :func:`objective` is the scalar a unit or class contributes.
- **Activation maximization** (Erhan et al. 2009; Yosinski et al. 2015; Olah et al. 2017):
  gradient ascent on the *input* x ∈ [0, 1]^{C×H×W} of ``a(x) − λ‖x − ½‖²``, where a is a
  class logit or the spatial mean of one channel. Three regularizers make the result readable:
  **jitter** (each step sees x rolled by a random shift of up to ``jitter`` pixels, so
  pixel-exact tricks do not pay), **blur** (every ``blur_every`` steps x is smoothed with a
  Gaussian of ``blur`` pixels, removing high frequencies the network barely uses) and **L2**
  (``λ Σ (x − ½)² / (H·W)`` pulls every pixel towards mid-grey). A unit of a ReLU layer is
  maximized before its ReLU (a unit below 0 would get no gradient). :class:`ActMax` runs it step by step for the live
  player (the contract's ``advance``); :func:`maximize` runs it to the end.
- **Concepts drawn in code** (:func:`draw_concept`): 28×28 textures — striped, dotted,
  checkered, round, solid — each with random colours, scale, angle and pixel noise, for TCAV
  (:mod:`explorer.engines.tcav`).

Every random draw comes from ``np.random.default_rng`` / ``torch.Generator`` seeded by the
config: the same config gives the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import EpochLoop, check

TARGETS = ("class", "logprob", "unit")
TARGET_LABEL = {"class": "class logit", "logprob": "class log-probability", "unit": "a channel of a layer"}
CONCEPTS = ("striped", "dotted", "checkered", "round", "solid")
CONCEPT_LABEL = {"striped": "striped", "dotted": "dotted", "checkered": "checkered", "round": "round (discs)",
                 "solid": "solid colour"}
SIZE = 28
MAX_STEPS = 2000


# -- layers -----------------------------------------------------------------------------------------------
def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(label, module) of every hidden layer to inspect, input side first: the zoo model's taps,
    then each hidden ``nn.Linear`` (every Linear but the last, the logits), labelled
    ``"<path> (linear)"``. Taps come in forward order in every zoo architecture; the
    classifier's linear layers follow them."""
    taps = list(model.tap_modules())
    linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    return taps + [(f"{name} (linear)", m) for name, m in linears[:-1]]


def features(model: nn.Module, module: nn.Module, x: torch.Tensor, batch: int = 256) -> np.ndarray:
    """Activations of ``module`` for inputs ``x`` ``[N, C, H, W]``, flattened: float32 ``[N, D]``
    (no gradients; the model's mode is left as it is — zoo models are in eval mode)."""
    out: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, o: out.append(o.detach().flatten(1)))
    try:
        with torch.no_grad():
            for a in range(0, len(x), batch):
                model(x[a:a + batch])
    finally:
        handle.remove()
    return torch.cat(out).numpy().astype(np.float32) if out else np.zeros((0, 0), np.float32)


def objective(logits: torch.Tensor, act: torch.Tensor | None, target: str, index: int) -> torch.Tensor:
    """``[N]``: the logit of class ``index`` (target "class"), its log-probability
    log softmax (target "logprob": raising it also means lowering the other classes), or the
    mean over positions of channel ``index`` of ``act`` (target "unit": ``[N, C, H, W]`` or
    ``[N, D]``)."""
    if target == "class":
        return logits[:, index]
    if target == "logprob":
        return torch.log_softmax(logits, 1)[:, index]
    return act[:, index].flatten(1).mean(1) if act.dim() > 2 else act[:, index]


def n_units(model: nn.Module, module: nn.Module, shape: tuple) -> int:
    """Channels (or units) of ``module``'s output for an input of ``shape`` (C, H, W)."""
    return int(features_shape(model, module, shape)[0])


def features_shape(model: nn.Module, module: nn.Module, shape: tuple) -> tuple:
    """Shape of one input's activation at ``module`` (without N)."""
    got = []
    handle = module.register_forward_hook(lambda _m, _i, o: got.append(tuple(o.shape[1:])))
    try:
        with torch.no_grad():
            model(torch.zeros((1,) + tuple(shape)))
    finally:
        handle.remove()
    return got[0]


# -- activation maximization --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """Activation maximization of class ``index`` (target "class") or of channel ``index`` of
    layer number ``layer`` of :func:`layers` (target "unit"). ``lr``: Adam's step on the pixels;
    ``jitter``: largest random shift in pixels; ``blur``: Gaussian σ in pixels (0: none) applied
    every ``blur_every`` steps; ``l2``: λ of ``λ‖x − ½‖²`` (per pixel, averaged); ``steps_per_epoch``:
    ascent steps per call of ``advance(1)``; ``max_steps``: where the run stops."""

    target: str = "class"
    index: int = 0
    layer: int = 0
    lr: float = 0.05
    jitter: int = 2
    blur: float = 0.5
    blur_every: int = 4
    l2: float = 0.01
    steps_per_epoch: int = 4
    max_steps: int = 256
    seed: int = 0

    def __post_init__(self):
        check(self.target in TARGETS, "target", f"must be one of {TARGETS}")
        check(isinstance(self.index, int) and 0 <= self.index < 4096, "index", "must be 0..4095")
        check(isinstance(self.layer, int) and 0 <= self.layer < 64, "layer", "must be 0..63")
        check(0 < self.lr <= 1, "lr", "must be in (0, 1]")
        check(isinstance(self.jitter, int) and 0 <= self.jitter <= 8, "jitter", "must be 0..8 pixels")
        check(0 <= self.blur <= 3, "blur", "must be 0..3 pixels")
        check(isinstance(self.blur_every, int) and 1 <= self.blur_every <= 100, "blur_every", "must be 1..100")
        check(0 <= self.l2 <= 1000, "l2", "must be 0..1000")
        check(isinstance(self.steps_per_epoch, int) and 1 <= self.steps_per_epoch <= 100, "steps_per_epoch",
              "must be 1..100")
        check(isinstance(self.max_steps, int) and 1 <= self.max_steps <= MAX_STEPS, "max_steps",
              f"must be 1..{MAX_STEPS}")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Snapshot:
    """One moment of the ascent. ``epoch``: ascent steps so far; ``image``: float32 ``[C, H, W]``
    in [0, 1]; ``activation``: the target's value on the un-jittered image; ``probs``: the class
    probabilities ``[K]``; ``train_loss``: −objective (activation minus the L2 penalty);
    ``test_loss``: −activation; ``diverged``: a non-finite value appeared."""

    epoch: int
    image: np.ndarray = field(repr=False)
    activation: float
    probs: np.ndarray = field(repr=False)
    train_loss: float
    test_loss: float
    diverged: bool = False


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalized 1-D Gaussian ``[2r+1]`` with r = ⌈3σ⌉ (sums to 1)."""
    r = max(1, int(np.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``[N, C, H, W]`` with σ in pixels (reflect padding); σ = 0: x."""
    if sigma <= 0:
        return x
    k = gaussian_kernel(sigma)
    r, c = len(k) // 2, x.shape[1]
    kx = k.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    ky = k.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), kx, groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), ky, groups=c)


class ActMax(EpochLoop):
    """Activation maximization of ``cfg``'s target in ``model`` (a private copy: it is hooked),
    for inputs of ``shape`` (C, H, W); ``advance(n)`` runs ``n × steps_per_epoch`` ascent steps."""

    def __init__(self, cfg: Config, model: nn.Module, shape: tuple = (3, SIZE, SIZE)):
        self.cfg, self.model = cfg, model
        self.model.eval()
        self.model.requires_grad_(False)
        all_layers = layers(model)
        check(cfg.target == "class" or cfg.layer < len(all_layers), "layer",
              f"this model has {len(all_layers)} layers")
        self.module = all_layers[min(cfg.layer, len(all_layers) - 1)][1]
        with torch.no_grad():
            k = int(model(torch.zeros((1,) + tuple(shape))).shape[1])
        limit = n_units(model, self.module, shape) if cfg.target == "unit" else k
        check(cfg.index < limit, "index", f"must be below {limit} for this {cfg.target}")
        self.gen = torch.Generator().manual_seed(cfg.seed)
        start = 0.5 + 0.05 * torch.randn((1,) + tuple(shape), generator=self.gen)
        self.x = start.clamp(0, 1).requires_grad_(True)
        self.opt = torch.optim.Adam([self.x], lr=cfg.lr)
        self.steps = 0
        self.diverged = False
        self.snapshot = self._measure()

    def _act(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(objective ``[N]``, logits). A unit of a ReLU layer is read *before* the ReLU (a
        unit that starts below 0 would otherwise get no gradient at all)."""
        got: list[torch.Tensor] = []
        pre = isinstance(self.module, nn.ReLU)
        handle = self.module.register_forward_hook(lambda _m, i, o: got.append(i[0] if pre else o))
        try:
            logits = self.model(x)
        finally:
            handle.remove()
        return objective(logits, got[0], self.cfg.target, self.cfg.index), logits

    def _stopped(self) -> bool:
        return self.diverged or self.steps >= self.cfg.max_steps

    def step(self) -> None:
        """One ascent step: jitter, gradient of the regularized objective, Adam, clip; blur."""
        c = self.cfg
        x = self.x
        if c.jitter:
            dx, dy = (torch.randint(-c.jitter, c.jitter + 1, (2,), generator=self.gen)).tolist()
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        act, _ = self._act(x)
        penalty = c.l2 * ((self.x - 0.5) ** 2).mean() * self.x[0].numel() / SIZE ** 2
        loss = -(act.sum() - penalty)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        with torch.no_grad():
            if c.blur > 0 and self.steps % c.blur_every == 0:
                self.x.copy_(blur(self.x, c.blur))
            self.x.clamp_(0, 1)
            if not torch.isfinite(self.x).all():
                self.diverged = True

    def _epoch(self) -> None:
        for _ in range(self.cfg.steps_per_epoch):
            if self._stopped():
                break
            self.step()

    def _measure(self) -> Snapshot:
        with torch.no_grad():
            act, logits = self._act(self.x)
            a = float(act[0])
            penalty = float(self.cfg.l2 * ((self.x - 0.5) ** 2).mean() * self.x[0].numel() / SIZE ** 2)
            probs = torch.softmax(logits[0], 0).numpy().astype(np.float64)
        diverged = self.diverged or not np.isfinite(a)
        self.diverged = diverged
        img = np.nan_to_num(self.x.detach()[0].numpy().astype(np.float32))
        return Snapshot(epoch=self.steps, image=img, activation=a, probs=probs, train_loss=-(a - penalty),
                        test_loss=-a, diverged=diverged)


@dataclass(frozen=True)
class Result:
    """A whole ascent: ``frames`` float32 ``[F, C, H, W]`` every ``every`` steps (first: the start),
    ``steps`` int ``[F]``, ``activation`` ``[F]``, ``probs`` ``[F, K]``."""

    frames: np.ndarray = field(repr=False)
    steps: np.ndarray
    activation: np.ndarray
    probs: np.ndarray = field(repr=False)
    diverged: bool


def maximize(cfg: Config, model: nn.Module, shape: tuple = (3, SIZE, SIZE)) -> Result:
    """Run :class:`ActMax` to ``cfg.max_steps``, keeping a frame every ``steps_per_epoch`` steps."""
    run = ActMax(cfg, model, shape)
    snaps = [run.snapshot]
    while not run._stopped():
        snaps.append(run.advance(1))
    return Result(frames=np.stack([s.image for s in snaps]), steps=np.array([s.epoch for s in snaps]),
                  activation=np.array([s.activation for s in snaps]), probs=np.stack([s.probs for s in snaps]),
                  diverged=run.diverged)


def top_examples(acts: np.ndarray, k: int = 8) -> np.ndarray:
    """Indices of the ``k`` largest values of ``acts`` ``[N]``, largest first (ties: lower index)."""
    return np.argsort(-np.asarray(acts), kind="stable")[:k]


def dataset_objective(model: nn.Module, x: torch.Tensor, target: str, index: int, module: nn.Module | None,
                      batch: int = 256) -> np.ndarray:
    """The maximized quantity on real inputs ``x`` ``[N, C, H, W]`` → ``[N]`` (for "the dataset
    images that excite it most")."""
    out = []
    with torch.no_grad():
        for a in range(0, len(x), batch):
            got: list[torch.Tensor] = []
            handle = module.register_forward_hook(lambda _m, _i, o: got.append(o)) if module is not None else None
            try:
                logits = model(x[a:a + batch])
            finally:
                if handle is not None:
                    handle.remove()
            out.append(objective(logits, got[0] if got else None, target, index))
    return torch.cat(out).numpy().astype(np.float64)


# -- concepts drawn in code ---------------------------------------------------------------------------------
def _two_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(background, foreground) RGB whose luminances differ by at least 0.35."""
    luma = np.array([0.299, 0.587, 0.114])
    while True:
        a, b = rng.random(3), rng.random(3)
        if abs(a @ luma - b @ luma) >= 0.35:
            return a, b


def concept_mask(kind: str, rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """Boolean ``[size, size]`` foreground of one texture of ``kind`` (see :data:`CONCEPTS`)."""
    check(kind in CONCEPTS, "kind", f"must be one of {CONCEPTS}")
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    theta = rng.uniform(0, np.pi)
    u = xx * np.cos(theta) + yy * np.sin(theta)
    v = -xx * np.sin(theta) + yy * np.cos(theta)
    if kind == "striped":
        period = rng.uniform(3.2, 6.0)
        return np.mod(u + rng.uniform(0, period), period) < period / 2
    if kind == "checkered":
        cell = rng.uniform(2.5, 5.0)
        return (np.floor(u / cell) + np.floor(v / cell)) % 2 == 0
    if kind == "dotted":
        gap, r = rng.uniform(4.5, 7.0), rng.uniform(0.9, 1.5)
        ou, ov = rng.uniform(0, gap, 2)
        du = np.mod(u + ou, gap) - gap / 2
        dv = np.mod(v + ov, gap) - gap / 2
        return du * du + dv * dv <= r * r
    if kind == "round":
        mask = np.zeros((size, size), dtype=bool)
        for _ in range(rng.integers(1, 4)):
            r = rng.uniform(3.5, 8.0)
            cx, cy = rng.uniform(r, size - r, 2)
            mask |= (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        return mask
    return np.zeros((size, size), dtype=bool)  # solid: background only


def draw_concept(kind: str, rng: np.random.Generator, size: int = SIZE, noise: float = 0.06) -> np.ndarray:
    """One RGB texture float32 ``[3, size, size]`` in [0, 1]: :func:`concept_mask` painted in two
    random colours, plus uniform pixel noise of amplitude ``noise``."""
    bg, fg = _two_colours(rng)
    mask = concept_mask(kind, rng, size)
    img = np.where(mask[None], fg[:, None, None], bg[:, None, None])
    img = img + noise * rng.uniform(-1, 1, size=img.shape)
    return np.clip(img, 0, 1).astype(np.float32)


def concept_set(kind: str, n: int, seed: int, channels: int = 3, size: int = SIZE) -> np.ndarray:
    """``n`` textures of ``kind``: float32 ``[n, channels, size, size]`` (1 channel: luminance).
    Image i comes from ``default_rng([seed, CONCEPTS.index(kind), i])``."""
    check(isinstance(n, int) and 1 <= n <= 2000, "n", "must be 1..2000")
    k = CONCEPTS.index(kind)
    x = np.stack([draw_concept(kind, np.random.default_rng([seed, k, i]), size) for i in range(n)])
    if channels == 1:
        x = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), x, axes=([0], [1]))[:, None]
    return x.astype(np.float32)
