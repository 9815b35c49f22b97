"""Checking attribution methods (§7.1): a sanity check by model randomization, and how much of a
map lands on the object when the object's mask is known.

**Sanity check** (Adebayo et al. 2018, "Sanity checks for saliency maps"). A map that explains
the *model* must change when the model's weights are destroyed. :func:`randomization_check`
re-initializes the layers with weights (conv and linear) from the output down — *cascading*:
the top layer, then the top two, … until every layer is random — or one layer at a time
(*independent*), and after each step compares every method's map with the trained model's by
the Spearman rank correlation of the magnitudes |map| (Adebayo et al.'s main score). Methods
whose maps keep ρ near 1 while the model becomes noise are reacting to the *input* (edges,
ink), not to what the model learned. The class explained stays the one chosen on the
trained model.

**Mask score.** On the shapes set the exact object mask is known. :func:`mask_mass` is the
fraction of a map's magnitude (Σ |a| over channels) that falls on the mask's pixels;
a map spread evenly scores the mask's area (the chance level). :func:`mask_benchmark`
scores every method on many test images, explaining each image's true class, against the
exact mask and, given the boxes, against the object's bounding box — the *energy-based
pointing game* of Wang et al. 2020 (Score-CAM), the usual localization score of CAM
methods — and counts a *pointing-game* hit (Zhang et al. 2016) when the map's largest value
lies on the object's mask. Shapes differ by their edges and corners, so a map that is right
about the evidence still spreads half a feature-map cell past the outline: the pixel mask is
the strict score, the box the customary one.

Randomized weights come from a ``torch.Generator`` seeded by ``seed`` (N(0, 2/fan_in), biases
0, He's rule); the model passed in is deep-copied, never changed.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from explorer.engines import attribution as A
from explorer.engines.contract import check

MODES = ("cascading", "independent")
MAX_GROUPS = 8   # at most this many randomization steps: deeper nets randomize several layers per step


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every ``nn.Conv2d``/``nn.Linear``, input → output (declaration order,
    which is the forward order for the zoo)."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def layer_groups(model: nn.Module, max_groups: int = MAX_GROUPS) -> list[tuple[str, list[str]]]:
    """Randomization steps from the output down: (label, names of the layers in the step). With
    more than ``max_groups`` weighted layers, consecutive layers share a step."""
    names = [n for n, _ in weighted_layers(model)][::-1]
    check(len(names) > 0, "model", "has no conv or linear layer to randomize")
    k = min(max_groups, len(names))
    bounds = np.linspace(0, len(names), k + 1).round().astype(int)
    groups = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        part = names[a:b]
        groups.append((part[0] if len(part) == 1 else f"{part[0]} … {part[-1]}", part))
    return groups


@torch.no_grad()
def randomize(model: nn.Module, names: list[str], seed: int) -> None:
    """Re-initialize the named conv/linear layers of ``model`` in place: N(0, 2/fan_in), bias 0."""
    mods = dict(model.named_modules())
    for i, name in enumerate(names):
        m = mods[name]
        gen = torch.Generator().manual_seed(int(seed) * 7919 + i * 104729 + sum(map(ord, name)))
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu", generator=gen)
        if m.bias is not None:
            m.bias.zero_()


def randomized_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A deep copy of ``model`` with every conv and linear layer re-initialized (the last step of
    the cascade): the reference a map of the trained model should beat."""
    twin = copy.deepcopy(model)
    twin.eval()
    randomize(twin, [n for n, _ in weighted_layers(twin)], seed)
    return twin


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ of two maps (flattened; ties get average ranks); NaN when either is constant."""
    from scipy.stats import rankdata

    ra, rb = rankdata(np.ravel(a)), rankdata(np.ravel(b))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass(frozen=True, eq=False)
class Sanity:
    """Maps after each randomization step. ``steps``: labels, ``"trained"`` first; ``methods``;
    ``maps``/``signed`` ``[S, M, H, W]``: the magnitudes and the signed maps; ``rho``/``rho_signed``
    ``[S, M]``: Spearman ρ of each against the trained model's (1 at step 0, NaN where a map is
    constant, e.g. a Grad-CAM that the ReLU zeroed); ``mode``; ``target``: the class explained."""

    steps: tuple
    methods: tuple
    maps: np.ndarray = field(repr=False)
    signed: np.ndarray = field(repr=False)
    rho: np.ndarray
    rho_signed: np.ndarray
    mode: str
    target: int


def randomization_check(model: nn.Module, x: np.ndarray, target: int, cfg: A.Config, mode: str = "cascading",
                        seed: int = 0, progress: Callable[[float], None] | None = None) -> Sanity:
    """Adebayo et al.'s model-randomization test on one image ``x`` ``[C, H, W]`` for class
    ``target``, every method of ``cfg`` (see the module docstring)."""
    check(mode in MODES, "mode", f"must be one of {MODES}")
    check(np.ndim(x) == 3, "x", "must be one image [C, H, W]")
    groups = layer_groups(model)
    xt = torch.tensor(np.asarray(x, dtype=np.float32))[None]
    base = torch.tensor(A.make_baseline(x, cfg.baseline, cfg.seed))[None]
    total = (len(groups) + 1) * len(cfg.methods)
    done = 0

    def maps_of(net: nn.Module) -> np.ndarray:
        """``[2, M, H, W]``: signed maps, magnitudes."""
        nonlocal done
        dl = A.modular(net) if "deeplift" in cfg.methods else None
        out = []
        for m in cfg.methods:
            raw, _ = A.run_method(m, net, xt, int(target), base, cfg, dl_model=dl)
            out.append(np.stack(A.per_pixel(m, raw[0])))
            done += 1
            if progress:
                progress(done / total)
        return np.stack(out, axis=1)

    work = copy.deepcopy(model)
    work.eval()
    results = [maps_of(work)]
    for i, (_, names) in enumerate(groups):
        if mode == "independent":
            work = copy.deepcopy(model)
            work.eval()
        randomize(work, names, seed)
        results.append(maps_of(work))
    both = np.stack(results)  # [S, 2, M, H, W]
    signed, maps = both[:, 0], both[:, 1]

    def rhos(m: np.ndarray) -> np.ndarray:
        return np.array([[rank_correlation(m[0, j], m[s, j]) for j in range(m.shape[1])] for s in range(len(m))])

    return Sanity(("trained",) + tuple(g[0] for g in groups), tuple(cfg.methods), maps.astype(np.float32),
                  signed.astype(np.float32), rhos(maps), rhos(signed), mode, int(target))


# -- the object-mask score -----------------------------------------------------------------------------
def mask_mass(magnitude: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fraction of Σ magnitude that lies on the mask: ``[..., H, W]`` maps and masks → ``[...]``
    (NaN for an all-zero map)."""
    mag = np.abs(np.asarray(magnitude, dtype=np.float64))
    m = np.broadcast_to(np.asarray(mask, dtype=bool), mag.shape)
    tot = mag.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (mag * m).sum(axis=(-2, -1)) / np.where(tot > 0, tot, 1.0), np.nan)


def box_masks(boxes: np.ndarray, size: int) -> np.ndarray:
    """Boolean ``[N, size, size]`` masks of half-open boxes ``[N, 4]`` = (x0, y0, x1, y1) pixels."""
    b = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    idx = np.arange(size)
    cols = (idx >= b[:, 0, None]) & (idx < b[:, 2, None])
    rows = (idx >= b[:, 1, None]) & (idx < b[:, 3, None])
    return rows[:, :, None] & cols[:, None, :]


def peak_on(magnitude: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pointing game: whether each map's largest value (first in row-major order on ties) lies
    on its mask; ``[..., H, W]`` → bool ``[...]`` (False for an all-zero map)."""
    mag = np.abs(np.asarray(magnitude, dtype=np.float64))
    flat = mag.reshape(*mag.shape[:-2], -1)
    m = np.broadcast_to(np.asarray(mask, dtype=bool), mag.shape).reshape(flat.shape)
    top = np.take_along_axis(m, flat.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    return top & (flat.max(axis=-1) > 0)


def _ci95(scores: np.ndarray) -> np.ndarray:
    """Half-width of a normal 95 % interval of each row's mean (NaNs left out)."""
    n = np.maximum(1, np.sum(np.isfinite(scores), axis=1))
    return 1.96 * np.nanstd(scores, axis=1, ddof=1) / np.sqrt(n) if scores.shape[1] > 1 else np.zeros(len(scores))


@dataclass(frozen=True, eq=False)
class MaskScore:
    """``scores`` ``[M, N]``: the fraction of each method's map on the object for each of N images;
    ``chance`` ``[N]``: the object's share of the image (what an even map scores); ``correct`` ``[N]``
    whether the model classified the image right; ``hits`` ``[M, N]``: the map's peak on the object
    (pointing game). With boxes: ``box_scores`` ``[M, N]`` the fraction inside the object's
    bounding box (energy-based pointing game) and ``box_chance`` ``[N]`` the box's share."""

    methods: tuple
    scores: np.ndarray
    chance: np.ndarray
    correct: np.ndarray
    hits: np.ndarray | None = None
    box_scores: np.ndarray | None = None
    box_chance: np.ndarray | None = None

    def mean(self, region: str = "mask") -> np.ndarray:
        """Each method's mean share on the object's ``region``: "mask" or "box"."""
        return np.nanmean(self._of(region), axis=1)

    def ci95(self, region: str = "mask") -> np.ndarray:
        """Half-width of a normal 95 % interval of each method's mean."""
        return _ci95(self._of(region))

    def chance_of(self, region: str = "mask") -> float:
        """The mean share an even map gets on ``region``."""
        return float(np.mean(self.chance if region == "mask" else self.box_chance))

    def _of(self, region: str) -> np.ndarray:
        check(region in ("mask", "box"), "region", 'must be "mask" or "box"')
        check(region == "mask" or self.box_scores is not None, "region", "no boxes were scored")
        return self.scores if region == "mask" else self.box_scores


def mask_benchmark(model: nn.Module, x: np.ndarray, masks: np.ndarray, y: np.ndarray, cfg: A.Config,
                   batch: int = 32, progress: Callable[[float], None] | None = None,
                   boxes: np.ndarray | None = None) -> MaskScore:
    """Every method of ``cfg`` on images ``x`` ``[N, C, H, W]`` (explaining class ``y`` ``[N]``),
    scored against their boolean ``masks`` ``[N, H, W]`` with :func:`mask_mass` and
    :func:`peak_on`, and against their ``boxes`` ``[N, 4]`` when given."""
    check(np.ndim(x) == 4 and len(x) == len(masks) == len(y) and len(x) > 0, "x",
          "must be [N, C, H, W] with N masks and N labels")
    check(boxes is None or np.shape(boxes) == (len(x), 4), "boxes", "must be [N, 4]")
    xs = np.asarray(x, dtype=np.float32)
    bases = A.make_baseline(xs, cfg.baseline, cfg.seed)
    dl = A.modular(model) if "deeplift" in cfg.methods else None
    regions = box_masks(boxes, xs.shape[-1]) if boxes is not None else None
    scores = np.zeros((len(cfg.methods), len(xs)))
    hits = np.zeros((len(cfg.methods), len(xs)), dtype=bool)
    box_scores = np.zeros_like(scores) if regions is not None else None
    steps = len(cfg.methods) * ((len(xs) + batch - 1) // batch)
    done = 0
    for j, m in enumerate(cfg.methods):
        for a in range(0, len(xs), batch):
            xt, bt = torch.tensor(xs[a:a + batch]), torch.tensor(bases[a:a + batch])
            raw, _ = A.run_method(m, model, xt, np.asarray(y[a:a + batch]), bt, cfg, dl_model=dl)
            mag = A.per_pixel(m, raw)[1]
            scores[j, a:a + batch] = mask_mass(mag, masks[a:a + batch])
            hits[j, a:a + batch] = peak_on(mag, masks[a:a + batch])
            if regions is not None:
                box_scores[j, a:a + batch] = mask_mass(mag, regions[a:a + batch])
            done += 1
            if progress:
                progress(done / steps)
    with torch.no_grad():
        pred = model(torch.tensor(xs)).argmax(1).numpy()
    chance = np.asarray(masks, dtype=np.float64).mean(axis=(1, 2))
    box_chance = regions.mean(axis=(1, 2)) if regions is not None else None
    return MaskScore(tuple(cfg.methods), scores, chance, pred == np.asarray(y), hits, box_scores, box_chance)
