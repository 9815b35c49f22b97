"""The models the latent-space explorer can open, each a function ``seed → Loaded``.

- every zoo architecture on MNIST and on shapes (:func:`zoo.reference_model`): its feature-map
  taps (``tap_modules()``), then the classifier's input (the penultimate features, the input of
  the last ``nn.Linear``) and its logits. Inputs: the 1,000 test images, then the 4,000 training
  images (5,000 in all);
- the Playground MLP (:mod:`explorer.engines.playground`) with its default config, trained
  deterministically for :data:`PLAYGROUND_EPOCHS` epochs, and :func:`playground_explorable` to
  wrap any run (the ui layer wraps the user's live run with it);
- the models of other pages, by module path and imported lazily: a module that is missing or
  fails to import leaves its source out, and :func:`available` says why.

A :class:`Loaded` is an :class:`~explorer.engines.explorable.Explorable` plus which inputs are
test examples (None when the source does not say).
"""
from __future__ import annotations

import functools
import importlib
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from explorer.engines import playground as pg
from explorer.engines import zoo
from explorer.engines.embeddings import InputOf
from explorer.engines.explorable import Explorable

PLAYGROUND_EPOCHS = 300
CHEAP_ZOO = {("lenet", "mnist"), ("lenet", "shapes")}  # trained on first use without asking (seconds)
DATASET_LABEL = {"mnist": "MNIST", "shapes": "shapes"}


@dataclass(frozen=True, eq=False)
class Loaded:
    """``ex`` the explorable; ``is_test`` ``[N]`` bool (True: never trained on) or None;
    ``default_tap`` the layer shown first (an index into ``ex.taps``; −1: the last, the code)."""

    ex: Explorable
    is_test: np.ndarray | None = None
    default_tap: int = -1

    @property
    def auto_tap(self) -> int:
        return self.default_tap % len(self.ex.taps)


@dataclass(frozen=True)
class Source:
    """One entry of the registry: ``id`` (URL value), ``label``, ``group`` (a heading),
    ``module`` (a lazily imported engine with ``explorable(seed)``, or "" for built-in ones)."""

    id: str
    label: str
    group: str
    module: str = ""
    arch: str = ""
    dataset: str = ""


# -- the zoo -----------------------------------------------------------------------------------------
def _last_linear(model: nn.Module) -> nn.Linear:
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


def zoo_explorable(arch: str, dataset: str, progress: Callable[[float], None] | None = None) -> Loaded:
    """The reference ``arch`` trained on ``dataset`` (a private copy, so hooks never touch the
    shared model), its taps and the 5,000 inputs (test first)."""
    model = zoo.session_copy(zoo.reference_model(arch, dataset, progress=progress))
    model.requires_grad_(False)
    head = _last_linear(model)
    taps = tuple(model.tap_modules()) + (("classifier input (penultimate)", InputOf(head)),
                                         ("logits", head))
    d = zoo.data_for(dataset)
    x = np.concatenate([d.x_test, d.x_train])
    y = np.concatenate([d.y_test, d.y_train]).astype(np.int64)
    is_test = np.arange(len(x)) < len(d.x_test)
    label = f"{zoo.INFO[arch].label} on {DATASET_LABEL[dataset]} (zoo)"
    note = (f"The zoo's reference {zoo.INFO[arch].label}, trained on the {len(d.x_train):,} training images; "
            f"the first {len(d.x_test):,} inputs are test images it never saw.")
    return Loaded(Explorable(label, model, taps, x, y, tuple(d.classes), "image", predict=model, note=note), is_test,
                  default_tap=len(taps) - 2)


# -- the Playground MLP ------------------------------------------------------------------------------
_ACT = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class PlaygroundNet(nn.Module):
    """The Playground's MLP as a torch module (float64, the engine's own numbers): 2-D points
    ``[N, 2]`` → features → (Linear → activation) per hidden layer → Linear (the output's
    pre-activation ``[N, K]``). Weights are copied from the engine's flat ``theta``."""

    def __init__(self, cfg: pg.Config, theta: np.ndarray):
        super().__init__()
        self.cfg = cfg
        layers = pg.unflatten(cfg, np.asarray(theta, dtype=np.float64))
        self.linears = nn.ModuleList()
        for w, b in layers:
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(w))
                lin.bias.copy_(torch.as_tensor(b))
            self.linears.append(lin)
        self.acts = nn.ModuleList(_ACT[cfg.activation]() for _ in layers[:-1])
        self.requires_grad_(False)
        self.eval()

    def features(self, xy: torch.Tensor) -> torch.Tensor:
        x, y = xy[:, 0], xy[:, 1]
        cols = {"x": x, "y": y, "x2": x * x, "y2": y * y, "xy": x * y, "sinx": torch.sin(x), "siny": torch.sin(y)}
        return torch.stack([cols[f] for f in self.cfg.features], dim=1)

    def forward(self, xy):
        h = self.features(torch.as_tensor(xy, dtype=torch.float64))
        for lin, act in zip(self.linears[:-1], self.acts):
            h = act(lin(h))
        return self.linears[-1](h)

    def logits(self, xy):
        """Class logits ``[N, K]`` whose softmax is the network's class probabilities: the
        softmax head's own; for one output unit [0, 2z] (tanh: p(+1) = (tanh z + 1)/2 = σ(2z))
        or [0, z] (sigmoid)."""
        z = self.forward(xy)
        head = self.cfg.head
        if head == "softmax_ce":
            return z
        return torch.cat([torch.zeros_like(z), 2 * z if head == "tanh_sq" else z], dim=1)


def playground_explorable(cfg: pg.Config, theta: np.ndarray, data: pg.Data, label: str, note: str = "") -> Loaded:
    """Wrap a Playground network (its config, flat parameters and data) for the explorer. Inputs
    are the training points, then the test points; binary labels ±1 become classes 0/1;
    regression targets are split at 0 and have no prediction to colour by."""
    net = PlaygroundNet(cfg, theta)
    taps = tuple((f"hidden layer {i + 1} ({cfg.activation})", act) for i, act in enumerate(net.acts))
    out = {"tanh_sq": "output (before tanh)", "sigmoid_ce": "output (before sigmoid)", "softmax_ce": "output logits",
           "linear_sq": "output"}[cfg.head]
    taps += ((out, net.linears[-1]),)
    x = np.concatenate([data.train_xy, data.test_xy]).astype(np.float32)
    raw_y = np.concatenate([data.train_y, data.test_y])
    is_test = np.arange(len(x)) >= len(data.train_xy)
    if cfg.problem == "regression":
        y, classes, predict = (raw_y > 0).astype(np.int64), ("target ≤ 0", "target > 0"), None
    elif cfg.multiclass:
        y, classes, predict = raw_y.astype(np.int64), tuple(f"class {i}" for i in range(cfg.classes)), net.logits
    else:
        y, classes, predict = (raw_y > 0).astype(np.int64), ("−1", "+1"), net.logits
    return Loaded(Explorable(label, net, taps, x, y, classes, "points", predict=predict, note=note), is_test,
                  default_tap=max(0, len(taps) - 2))


@functools.lru_cache(maxsize=4)
def playground_default(seed: int = 0) -> Loaded:
    """The Playground's default network (circle data, 4-2 tanh) trained for
    :data:`PLAYGROUND_EPOCHS` epochs with the data seed ``seed`` + 1 (the page's default seed is "1")."""
    cfg = pg.Config(seed=str(seed + 1))
    tr = pg.Trainer(cfg)
    tr.advance(PLAYGROUND_EPOCHS)
    s = tr.snapshot
    note = (f"The Playground's default network ({cfg.dataset}, hidden layers {'-'.join(map(str, cfg.hidden))}, "
            f"{cfg.activation}) trained for {s.epoch} epochs: test loss {s.test_loss:.3f}. The first "
            f"{len(tr.data.train_xy)} inputs are its training points, the rest its test points.")
    return playground_explorable(cfg, tr.theta.copy(), tr.data, "Playground MLP (default, trained here)", note)


# -- the registry ------------------------------------------------------------------------------------
EXTERNAL = (  # (id, label, module): engines of other pages exposing explorable(seed) -> Explorable
    ("autoencoder", "Autoencoder (MNIST)", "explorer.engines.autoencoders"),
    ("vae", "Variational autoencoder (MNIST)", "explorer.engines.vae"),
    ("ssl", "Self-supervised encoder", "explorer.engines.self_supervised"),
)


def _registry() -> dict[str, Source]:
    out = {"lenet-mnist": Source("lenet-mnist", "LeNet-5 on MNIST (zoo)", "Zoo CNNs", arch="lenet", dataset="mnist"),
           "playground": Source("playground", "Playground MLP (default, trained here)", "Playground"),
           "mine": Source("mine", "your Playground model (this session's live run)", "Playground")}
    for ds in zoo.DATASETS:
        for arch in zoo.ARCHS:
            sid = f"{arch}-{ds}"
            out.setdefault(sid, Source(sid, f"{zoo.INFO[arch].label} on {DATASET_LABEL[ds]} (zoo)", "Zoo CNNs",
                                       arch=arch, dataset=ds))
    for sid, label, module in EXTERNAL:
        out[sid] = Source(sid, label, "Generative & self-supervised", module=module)
    return out


SOURCES = _registry()
_IMPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def _import(module: str) -> tuple[object | None, str]:
    """(module, "") or (None, why it cannot be used)."""
    with _IMPORT_LOCK:
        try:
            mod = importlib.import_module(module)
        except Exception as e:  # noqa: BLE001 - a page built in parallel may be missing or broken
            return None, f"`{module}` cannot be imported ({type(e).__name__}: {str(e)[:120]})"
    if not callable(getattr(mod, "explorable", None)):
        return None, f"`{module}` has no `explorable(seed)` function"
    return mod, ""


def available() -> tuple[list[Source], dict[str, str]]:
    """(usable sources in registry order, {id: why it is left out})."""
    ok, why = [], {}
    for s in SOURCES.values():
        if s.module:
            mod, reason = _import(s.module)
            if mod is None:
                why[s.id] = reason
                continue
        ok.append(s)
    return ok, why


def needs_training(source_id: str) -> bool:
    """True when opening the source would first train a zoo model that takes a minute or more."""
    s = SOURCES[source_id]
    return bool(s.arch) and (s.arch, s.dataset) not in CHEAP_ZOO and not zoo.is_cached(s.arch, s.dataset)


def load(source_id: str, seed: int = 0, progress: Callable[[float], None] | None = None) -> Loaded:
    """Open a source (not ``"mine"``, which only the ui layer can wrap). Raises ValueError for an
    unknown or unavailable source."""
    s = SOURCES.get(source_id)
    if s is None or source_id == "mine":
        raise ValueError(f"source: {source_id!r} is not one that can be loaded here")
    if s.arch:
        return zoo_explorable(s.arch, s.dataset, progress)
    if source_id == "playground":
        return playground_default(seed)
    mod, reason = _import(s.module)
    if mod is None:
        raise ValueError(f"source: {reason}")
    got = mod.explorable(seed)
    return got if isinstance(got, Loaded) else Loaded(got, None)
