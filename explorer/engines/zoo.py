"""The model zoo of §4.1: small, honest versions of the classic CNNs for 28×28 images.

Every architecture keeps its paper's defining idea and layer pattern, scaled down (fewer
channels, fewer blocks) so that it trains on a CPU in seconds to a minute:

=============  ======================================================================
``lenet``      LeCun et al. 1998: conv 5×5 (6) → pool → conv 5×5 (16) → pool → 120 → 84 → classes
``alexnet``    Krizhevsky et al. 2012: five convs, a large first kernel, ReLU, local response
               normalization, overlapping max-pooling (3, stride 2), dropout in the classifier
``vgg``        Simonyan & Zisserman 2014: stacks of 3×3 convs, max-pool halves the size and
               the channels double; three fully connected layers
``resnet``     He et al. 2016: CIFAR-style ResNet-14, BasicBlocks with identity shortcuts
               (zero-padded "option A" when the shape changes), BatchNorm
``plain``      the same ResNet-14 with the shortcuts removed (the paper's "plain" baseline,
               the same parameters)
``densenet``   Huang et al. 2017: dense blocks (every layer sees all earlier maps, growth 8)
               and compressing transitions (1×1 conv, ×0.5, average pool)
``efficientnet`` Tan & Le 2019: MBConv blocks (1×1 expand, depthwise k×k, squeeze-excitation,
               1×1 linear projection, residual), SiLU, BatchNorm
``wsl``        Oquab et al. 2015 ("Is object localization for free?"): only 3×3 convs
               (BatchNorm, ReLU) and one pool, then *global max pooling* and a linear layer;
               trained with an L1 penalty on its last feature map, so that the one place
               that decides a class — the object — is all that fires (weakly supervised
               localization: Grad-CAM on it puts most of its mass on the object)
=============  ======================================================================

Inputs are ``[N, C, 28, 28]`` float32 in [0, 1] (C = 1 for MNIST, 3 for shapes); every
model standardizes them itself (:class:`Standardize`, with the training set's per-channel
mean and std saved among its buffers); outputs are logits ``[N, n_classes]``. Weights are
He-initialized from a ``torch.Generator`` seeded by ``seed`` and dropout masks come from
per-module generators (:class:`Dropout`): the global RNG is never used, so the same seed
gives the same network and the same training run.

**API** (for the pages that build on the zoo):

- ``build(arch, in_ch, n_classes, seed, mean, std)`` → a fresh :class:`ZooNet`;
  ``model.tap_modules()`` → [(label, module)] whose outputs are its feature maps (for hooks:
  feature maps, Grad-CAM's target layer = the last tap);
- ``count_params(model)``, ``count_macs(model, (C, H, W))`` → :class:`MacReport`;
- ``reference(arch, dataset)`` → (read-only model, card dict); ``reference_model`` (the
  model only), ``reference_card`` (without training), ``is_cached``; ``session_copy(model)``
  before mutating, hooking or attacking one; ``fingerprint(model)`` to check it is untouched;
- ``data_for(dataset)`` → :class:`~explorer.engines.images.ImageSet`, ``tensors(data)``;
  ``fit(model, x, y, Recipe(...))``, ``evaluate(model, x, y)`` → (loss, accuracy).

**Costs.** :func:`count_params` counts every parameter. :func:`count_macs` counts
*multiply-accumulates* (MACs) per image with forward hooks on ``nn.Conv2d`` and
``nn.Linear`` only: a conv costs ``H_out·W_out·C_out·(C_in/groups)·k_h·k_w``, a linear layer
``in·out``; biases, BatchNorm, activations, pooling and elementwise products are not
counted. This is the convention of most CNN papers' "FLOPs" columns; floating-point
operations are ≈ 2 × MACs (``MacReport.flops``).

**Reference models.** :func:`reference_model` returns one trained network per
(architecture, dataset), trained deterministically on first use with the recipe in
:data:`RECIPES`, saved as safetensors plus a JSON of its config and metrics in
``$EXPLORER_CACHE_DIR/zoo`` (default ``~/.cache/dl-explorer/zoo``) and kept in memory. It is
shared by every session, so it is returned read-only (eval mode, ``requires_grad`` off,
``train(True)`` refused); call :func:`session_copy` for a private copy to fine-tune, attack
or hook. Rebuild every reference with ``python -m explorer.engines.zoo --rebuild``.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import images
from explorer.engines.contract import check

ARCHS = ("lenet", "alexnet", "vgg", "resnet", "plain", "densenet", "efficientnet", "wsl")
DATASETS = ("mnist", "shapes")  # the 28×28 sets of explorer.engines.images
SIZE = 28
CACHE_ENV = "EXPLORER_CACHE_DIR"
FORMAT_VERSION = 1  # bump when an architecture or a recipe changes: old files are then ignored


@dataclass(frozen=True)
class ArchInfo:
    """What the zoo table says about an architecture (``short``: a label for tight charts)."""

    label: str
    year: int
    idea: str
    short: str = ""


INFO = {
    "lenet": ArchInfo("LeNet-5", 1998, "conv → pool twice, then fully connected layers", "LeNet-5"),
    "alexnet": ArchInfo("AlexNet", 2012, "ReLU, dropout, overlapping pooling, local response norm", "AlexNet"),
    "vgg": ArchInfo("VGG", 2014, "only 3×3 convs, stacked; depth over kernel size", "VGG"),
    "resnet": ArchInfo("ResNet-14", 2016, "identity shortcuts: each block learns a residual", "ResNet-14"),
    "plain": ArchInfo("ResNet-14 without skips", 2016, "the same layers, no shortcuts (the paper's plain net)",
                      "plain-14"),
    "densenet": ArchInfo("DenseNet", 2017, "each layer sees every earlier feature map (concatenation)", "DenseNet"),
    "efficientnet": ArchInfo("EfficientNet", 2019, "MBConv: inverted bottleneck, depthwise conv, squeeze-excitation",
                             "EfficientNet"),
    "wsl": ArchInfo("WSL net (global max pool)", 2015, "all-convolutional, global max pooling, sparse last layer: "
                    "the object is where it fires", "WSL-GMP"),
}


# -- architectures -----------------------------------------------------------------------------------
class Standardize(nn.Module):
    """``(x − mean) / std`` per channel, with the training set's statistics kept as buffers
    (saved with the weights), so that every model reads plain [0, 1] images."""

    def __init__(self, channels: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("std", torch.ones(1, channels, 1, 1))

    @torch.no_grad()
    def set(self, mean, std) -> None:
        """Per-channel mean and std (a number applies to every channel)."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32).expand(self.mean.numel()).reshape(self.mean.shape))
        self.std.copy_(torch.as_tensor(std, dtype=torch.float32).expand(self.std.numel()).reshape(self.std.shape)
                       .clamp_min(1e-6))

    def forward(self, x):
        return (x - self.mean) / self.std


class Dropout(nn.Module):
    """``nn.Dropout`` (inverted: kept units scaled by 1/(1 − p)) whose masks come from the
    module's own ``torch.Generator`` instead of the global RNG, so that a run is reproducible
    and sessions do not disturb each other. :func:`seed_dropout` reseeds every one of a model."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p
        self.gen = torch.Generator().manual_seed(0)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.gen) >= self.p
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def seed_dropout(model: nn.Module, seed: int) -> None:
    """Reseed the generator of every :class:`Dropout` in ``model`` (each its own stream)."""
    for i, m in enumerate(x for x in model.modules() if isinstance(x, Dropout)):
        m.gen.manual_seed(int(seed) * 1009 + i)


class ZooNet(nn.Module):
    """Base of every zoo model: ``forward`` standardizes the input (:class:`Standardize`) and
    calls ``body``. ``taps`` lists (label, submodule path) whose outputs are the feature
    maps shown layer by layer (each a ``[N, C, H, W]`` tensor)."""

    arch: str = ""
    taps: tuple = ()

    def __init__(self, in_ch: int):
        super().__init__()
        self.input_norm = Standardize(in_ch)

    def tap_modules(self) -> list[tuple[str, nn.Module]]:
        return [(label, self.get_submodule(path)) for label, path in self.taps]

    def forward(self, x):
        return self.body(self.input_norm(x))


class LeNet(ZooNet):
    """LeNet-5's layout (1998) with today's ReLU and max-pooling. 28×28 inputs are padded by 2,
    as LeNet-5 read 32×32: 28 → conv 5×5 → 28 → pool → 14 → conv 5×5 → 10 → pool → 5."""

    arch = "lenet"
    taps = (("conv1 + ReLU", "relu1"), ("pool1", "pool1"), ("conv2 + ReLU", "relu2"), ("pool2", "pool2"))

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__(in_ch)
        self.conv1, self.relu1, self.pool1 = nn.Conv2d(in_ch, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2, self.pool2 = nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 5 * 5, 120), nn.Linear(120, 84), nn.Linear(84, n_classes)

    def body(self, x):
        h = self.pool1(self.relu1(self.conv1(x)))
        h = self.pool2(self.relu2(self.conv2(h)))
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(h.flatten(1))))))


class LRN(nn.Module):
    """AlexNet's local response normalization across channels, the formula of
    ``nn.LocalResponseNorm`` (size n, α, β, k):
    ``b_c = a_c / (k + α/n · Σ_{c' within n/2 of c} a_c'²)^β``, computed with a cumulative sum
    over channels (torch's version pools in 3-D and costs more than the convolutions here)."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        sq = F.pad(x * x, (0, 0, 0, 0, self.size // 2, (self.size - 1) // 2))
        c = torch.cumsum(F.pad(sq, (0, 0, 0, 0, 1, 0)), dim=1)
        window = c[:, self.size:] - c[:, :-self.size]
        return x / (self.k + self.alpha / self.size * window) ** self.beta


class AlexNet(ZooNet):
    """AlexNet's five convs at 1/4…1/8 of its widths: 28 → conv 5×5 (16) → pool 3/2 → 13 →
    conv 3×3 (32) → pool → 6 → conv ×3 (48, 48, 32) → pool → 2; LRN after conv1 and conv2;
    classifier dropout → 256 → dropout → 256 → classes. Dropout is 0.2, not the paper's 0.5:
    on layers 16× narrower, 0.5 starves the classifier (it learns several times slower)."""

    arch = "alexnet"
    taps = (("conv1 + ReLU + LRN", "features.2"), ("pool1", "features.3"), ("conv2 + ReLU + LRN", "features.6"),
            ("pool2", "features.7"), ("conv3 + ReLU", "features.9"), ("conv4 + ReLU", "features.11"),
            ("conv5 + ReLU", "features.13"), ("pool5", "features.14"))

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__(in_ch)
        self.features = nn.Sequential(
            nn.Conv2d(in_ch, 16, 5, padding=2), nn.ReLU(), LRN(5), nn.MaxPool2d(3, 2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), LRN(5), nn.MaxPool2d(3, 2),
            nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.Conv2d(48, 48, 3, padding=1), nn.ReLU(),
            nn.Conv2d(48, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.classifier = nn.Sequential(Dropout(0.2), nn.Linear(32 * 2 * 2, 256), nn.ReLU(), Dropout(0.2),
                                        nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, n_classes))

    def body(self, x):
        return self.classifier(self.features(x).flatten(1))


class VGG(ZooNet):
    """VGG's pattern [8, 8, M, 16, 16, M, 32, 32, M] of 3×3 convs (28 → 14 → 7 → 3), then
    three fully connected layers 288 → 128 → 128 → classes with dropout 0.2 (the paper: 0.5
    on 4,096 units)."""

    arch = "vgg"
    taps = (("conv1_1 + ReLU", "features.1"), ("conv1_2 + ReLU", "features.3"), ("pool1", "features.4"),
            ("conv2_1 + ReLU", "features.6"), ("conv2_2 + ReLU", "features.8"), ("pool2", "features.9"),
            ("conv3_1 + ReLU", "features.11"), ("conv3_2 + ReLU", "features.13"), ("pool3", "features.14"))
    PATTERN = (8, 8, "M", 16, 16, "M", 32, 32, "M")

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__(in_ch)
        layers: list[nn.Module] = []
        c = in_ch
        for v in self.PATTERN:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(32 * 3 * 3, 128), nn.ReLU(), Dropout(0.2), nn.Linear(128, 128),
                                        nn.ReLU(), Dropout(0.2), nn.Linear(128, n_classes))

    def body(self, x):
        return self.classifier(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    """conv 3×3 → BN → ReLU → conv 3×3 → BN, plus the shortcut when ``skip``, then ReLU.

    The shortcut is the identity; when the block halves the size and doubles the channels
    it is ``x[:, :, ::2, ::2]`` zero-padded to the new channels (He et al.'s option A, no
    parameters), so a net with and without skips has exactly the same parameters."""

    def __init__(self, c_in: int, c_out: int, stride: int, skip: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip, self.stride, self.pad = skip, stride, c_out - c_in

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.skip:
            sc = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
            if self.pad:
                sc = F.pad(sc, (0, 0, 0, 0, 0, self.pad))
            out = out + sc
        return F.relu(out)


class ResNet(ZooNet):
    """CIFAR-style ResNet-(6n+2): stem conv 3×3 (w) → 3 stages of n BasicBlocks with widths
    w, 2w, 4w at 28, 14, 7 pixels → global average pool → linear. Default n = 2, w = 8
    (ResNet-14). ``skip=False`` removes every shortcut (the "plain" net); ``stem_stride=2``
    halves the image in the stem (14, 7, 4 pixels: 4× cheaper, for deep studies)."""

    def __init__(self, in_ch: int, n_classes: int, skip: bool = True, blocks: int = 2, width: int = 8,
                 stem_stride: int = 1):
        super().__init__(in_ch)
        self.arch = "resnet" if skip else "plain"
        self.stem = nn.Sequential(nn.Conv2d(in_ch, width, 3, stride=stem_stride, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        stages, c = [], width
        for s, w in enumerate((width, 2 * width, 4 * width)):
            blocks_s = []
            for b in range(blocks):
                stride = 2 if (s > 0 and b == 0) else 1
                blocks_s.append(BasicBlock(c, w, stride, skip))
                c = w
            stages.append(nn.Sequential(*blocks_s))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(c, n_classes)
        self.taps = (("stem", "stem"),) + tuple(
            (f"stage {s + 1} block {b + 1}", f"stages.{s}.{b}") for s in range(3) for b in range(blocks))

    def blocks(self) -> list[BasicBlock]:
        return [b for stage in self.stages for b in stage]

    def body(self, x):
        h = self.stages(self.stem(x))
        return self.fc(h.mean(dim=(2, 3)))


class DenseLayer(nn.Module):
    """BN → ReLU → conv 3×3 to ``growth`` maps, concatenated to its input."""

    def __init__(self, c_in: int, growth: int):
        super().__init__()
        self.bn, self.conv = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(F.relu(self.bn(x)))], dim=1)


class Transition(nn.Module):
    """BN → ReLU → conv 1×1 (compression ×0.5) → average pool 2×2."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn, self.conv = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNet(ZooNet):
    """Stem conv 3×3 (16) → max-pool (28 → 14) → 3 dense blocks of 4 layers (growth 8) with
    transitions between them (14 → 7 → 3) → BN → ReLU → global average pool → linear."""

    arch = "densenet"
    taps = (("stem + pool", "stem"), ("dense block 1", "block1"), ("transition 1", "trans1"),
            ("dense block 2", "block2"), ("transition 2", "trans2"), ("dense block 3", "block3"))

    def __init__(self, in_ch: int, n_classes: int, growth: int = 8, layers: int = 4):
        super().__init__(in_ch)
        c = 2 * growth
        self.stem = nn.Sequential(nn.Conv2d(in_ch, c, 3, padding=1, bias=False), nn.MaxPool2d(2))
        for i in (1, 2, 3):
            block = []
            for _ in range(layers):
                block.append(DenseLayer(c, growth))
                c += growth
            setattr(self, f"block{i}", nn.Sequential(*block))
            if i < 3:
                setattr(self, f"trans{i}", Transition(c, c // 2))
                c //= 2
        self.bn = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, n_classes)

    def body(self, x):
        h = self.trans2(self.block2(self.trans1(self.block1(self.stem(x)))))
        h = F.relu(self.bn(self.block3(h)))
        return self.fc(h.mean(dim=(2, 3)))


class SqueezeExcite(nn.Module):
    """Channel attention: global average pool → 1×1 conv (reduce) → SiLU → 1×1 conv → sigmoid,
    which rescales each channel of the input."""

    def __init__(self, c: int, c_reduced: int):
        super().__init__()
        self.reduce, self.expand = nn.Conv2d(c, c_reduced, 1), nn.Conv2d(c_reduced, c, 1)

    def forward(self, x):
        s = torch.sigmoid(self.expand(F.silu(self.reduce(x.mean(dim=(2, 3), keepdim=True)))))
        return x * s


class MBConv(nn.Module):
    """Inverted bottleneck: 1×1 expand (×t, skipped when t = 1) → BN → SiLU → depthwise k×k
    (stride s) → BN → SiLU → squeeze-excitation (¼ of the input channels) → 1×1 project →
    BN (no activation: a linear bottleneck) → + input when the shape is unchanged."""

    def __init__(self, c_in: int, c_out: int, expand: int, kernel: int, stride: int):
        super().__init__()
        mid = c_in * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU()]
        layers += [nn.Conv2d(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid, bias=False),
                   nn.BatchNorm2d(mid), nn.SiLU(), SqueezeExcite(mid, max(1, c_in // 4)),
                   nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        out = self.body(x)
        return out + x if self.residual else out


class EfficientNet(ZooNet):
    """EfficientNet-B0's recipe, shrunk: stem conv 3×3 stride 2 (16; 28 → 14) → MBConv1 k3 (8) →
    MBConv6 k3 (16, /2 → 7) ×2 → MBConv6 k5 (24, /2 → 4) ×2 → MBConv6 k3 (32) → conv 1×1 (128) →
    global average pool → dropout 0.2 → linear."""

    arch = "efficientnet"
    taps = (("stem", "stem"), ("MBConv1 k3", "blocks.0"), ("MBConv6 k3 /2", "blocks.1"), ("MBConv6 k3", "blocks.2"),
            ("MBConv6 k5 /2", "blocks.3"), ("MBConv6 k5", "blocks.4"), ("MBConv6 k3", "blocks.5"),
            ("head 1×1", "head"))
    STAGES = ((1, 3, 8, 1, 1), (6, 3, 16, 2, 2), (6, 5, 24, 2, 2), (6, 3, 32, 1, 1))  # t, k, c, repeats, stride

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__(in_ch)
        self.stem = nn.Sequential(nn.Conv2d(in_ch, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16),
                                  nn.SiLU())
        blocks, c = [], 16
        for t, k, c_out, reps, stride in self.STAGES:
            for r in range(reps):
                blocks.append(MBConv(c, c_out, t, k, stride if r == 0 else 1))
                c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.SiLU())
        self.drop = Dropout(0.2)
        self.fc = nn.Linear(128, n_classes)

    def body(self, x):
        h = self.head(self.blocks(self.stem(x)))
        return self.fc(self.drop(h.mean(dim=(2, 3))))


class WSLNet(ZooNet):
    """Weakly supervised localization in the spirit of Oquab et al. 2015: six 3×3 convs
    (BatchNorm, ReLU; 16, 32, then 4 × 32 channels) with one 2×2 max-pool after the second
    (28 → 14), then global *max* pooling over positions and a linear layer. A class score is
    the evidence at the single best position, so training makes the place that decides the
    class fire; the reference recipe's L1 penalty on the last feature map
    (:attr:`Recipe.activation_l1`) keeps every other place quiet. The last layer sees 22×22
    pixels (the largest objects of the shapes set are 19 across)."""

    arch = "wsl"
    WIDTHS = (16, 32, 32, 32, 32, 32)
    taps = tuple((f"conv{i + 1} + BN + ReLU", f"features.{i + (i >= 2)}") for i in range(6))

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__(in_ch)
        layers: list[nn.Module] = []
        c = in_ch
        for i, w in enumerate(self.WIDTHS):
            if i == 2:
                layers.append(nn.MaxPool2d(2))
            layers.append(nn.Sequential(nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()))
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, n_classes)

    def body(self, x):
        return self.classifier(self.features(x).amax(dim=(2, 3)))


_BUILDERS: dict[str, Callable[..., ZooNet]] = {
    "lenet": LeNet, "alexnet": AlexNet, "vgg": VGG, "resnet": lambda i, n, **kw: ResNet(i, n, skip=True, **kw),
    "plain": lambda i, n, **kw: ResNet(i, n, skip=False, **kw), "densenet": DenseNet, "efficientnet": EfficientNet,
    "wsl": WSLNet,
}


@torch.no_grad()
def init_weights(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """He initialization, drawn from ``gen`` only (never the global RNG): conv and linear
    weights N(0, 2/fan_in) (``kaiming_normal_``, right for ReLU-like activations), biases 0,
    except the output layer (the last ``nn.Linear``): N(0, 0.01²), so that the first
    prediction is nearly uniform and the first loss ≈ ln(classes); BatchNorm γ = 1, β = 0
    and fresh running statistics. (PyTorch's own default, U(±1/√fan_in), shrinks the signal
    about 2.4× per ReLU layer: a deep plain net such as VGG then starts with vanishing
    outputs, which is why VGG and ResNet used He's rule.)"""
    head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1:]
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if m in head:
                nn.init.normal_(m.weight, 0.0, 0.01, generator=gen)
            else:
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu", generator=gen)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()
            m.reset_running_stats()
    return model


def _materialize(model: nn.Module) -> None:
    """Give a model built on the meta device real (uninitialized) CPU storage.

    ``Module.to_empty`` does the same but imports sympy on first use (seconds)."""
    for mod in model.modules():
        for name, p in list(mod._parameters.items()):
            if p is not None:
                mod._parameters[name] = nn.Parameter(torch.empty(p.shape, dtype=p.dtype), requires_grad=p.requires_grad)
        for name, b in list(mod._buffers.items()):
            if b is not None:
                mod._buffers[name] = torch.zeros(b.shape, dtype=b.dtype)


def build(arch: str, in_ch: int = 1, n_classes: int = 10, seed: int = 0, mean=None, std=None, **kw) -> ZooNet:
    """A fresh ``arch`` for ``[N, in_ch, 28, 28]`` inputs in [0, 1] and ``n_classes`` outputs,
    its weights drawn from ``torch.Generator().manual_seed(seed)`` (same seed ⇒ same weights).
    ``mean``/``std`` (one per channel, e.g. :func:`channel_stats` of the training images)
    standardize the input inside the model; default 0.5 and 0.25. ``kw``: ``blocks`` and
    ``width``, ``stem_stride`` for ``resnet``/``plain``; ``growth``, ``layers`` for ``densenet``."""
    check(arch in ARCHS, "arch", f"must be one of {ARCHS}")
    check(in_ch in (1, 3), "in_ch", "must be 1 (grey) or 3 (RGB)")
    check(isinstance(n_classes, int) and 2 <= n_classes <= 100, "n_classes", "must be 2..100")
    with torch.device("meta"):  # no weights drawn from the global RNG: they come from gen below
        model = _BUILDERS[arch](in_ch, n_classes, **kw)
    _materialize(model)
    init_weights(model, torch.Generator().manual_seed(int(seed)))
    seed_dropout(model, seed)
    model.input_norm.set(0.5 if mean is None else mean, 0.25 if std is None else std)
    return model


def channel_stats(x: np.ndarray | torch.Tensor) -> tuple[tuple, tuple]:
    """Per-channel (mean, std) of images ``[N, C, H, W]``, as tuples of floats."""
    t = torch.tensor(np.asarray(x, dtype=np.float64))
    return tuple(t.mean(dim=(0, 2, 3)).tolist()), tuple(t.std(dim=(0, 2, 3)).tolist())


def random_shift(x: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Each image ``[N, C, H, W]`` moved by its own random whole-pixel offset in
    [−max_shift, max_shift]² (drawn from ``gen``), the uncovered border filled with zeros."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    m = max_shift
    padded = F.pad(x, (m, m, m, m))
    dy = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], :, rows, cols].permute(0, 3, 1, 2).contiguous()


def count_params(model: nn.Module) -> int:
    """Number of parameters (every ``nn.Parameter``, trainable or frozen; no buffers)."""
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class LayerCost:
    """One conv or linear layer's cost for one image: name, kind ("conv"/"linear"), output shape
    (without the batch), parameters, MACs."""

    name: str
    kind: str
    out_shape: tuple
    params: int
    macs: int


@dataclass(frozen=True)
class MacReport:
    """Multiply-accumulates per image: ``total`` and per layer in forward order; ``flops`` ≈ 2·MACs."""

    total: int
    layers: tuple

    @property
    def flops(self) -> int:
        return 2 * self.total


def layer_macs(module: nn.Module, out: torch.Tensor) -> int:
    """MACs of one conv/linear call per image, from its output ``out`` (batch first)."""
    if isinstance(module, nn.Conv2d):
        _, c_out, h, w = out.shape
        kh, kw = module.kernel_size
        return h * w * c_out * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return math.prod(out.shape[1:]) * module.in_features
    raise TypeError(f"no MAC rule for {type(module).__name__}")


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: tuple = (1, SIZE, SIZE)) -> MacReport:
    """Count the MACs of one forward pass of a ``[1, *input_shape]`` zero image with forward
    hooks on every ``nn.Conv2d`` and ``nn.Linear`` (a layer called twice counts twice)."""
    rows: list[LayerCost] = []
    names = {m: n for n, m in model.named_modules()}

    def hook(mod, _inp, out):
        rows.append(LayerCost(names[mod], "conv" if isinstance(mod, nn.Conv2d) else "linear", tuple(out.shape[1:]),
                              sum(p.numel() for p in mod.parameters(recurse=False)), layer_macs(mod, out)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was = model.training
    try:
        model.eval()
        model(torch.zeros(1, *input_shape))
    finally:
        for h in handles:
            h.remove()
        _set_mode(model, was)
    return MacReport(sum(r.macs for r in rows), tuple(rows))


# -- training ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """How a reference model trains: Adam at ``lr`` (cosine-decayed to 0 over the run),
    ``batch_size``, ``epochs`` passes over the training split, weight decay (decoupled,
    AdamW), label smoothing ε, random shifts of up to ``shift`` pixels (augmentation), and
    ``activation_l1`` × the mean |activation| of the model's last tap (its last feature map)
    added to the loss (0: none)."""

    epochs: int = 8
    lr: float = 2e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    label_smoothing: float = 0.1
    shift: int = 2
    activation_l1: float = 0.0


RECIPES = {
    "lenet": Recipe(epochs=15, lr=2e-3),
    "alexnet": Recipe(epochs=10, lr=3e-3),
    "vgg": Recipe(epochs=10, lr=3e-3),
    "resnet": Recipe(epochs=8, lr=3e-3),
    "plain": Recipe(epochs=8, lr=3e-3),
    "densenet": Recipe(epochs=8, lr=3e-3),
    "efficientnet": Recipe(epochs=10, lr=3e-3),
    "wsl": Recipe(epochs=8, lr=3e-3, activation_l1=3.0),
}


def _set_mode(model: nn.Module, mode: bool) -> None:
    nn.Module.train(model, mode)  # bypasses a reference model's guard: only used to restore a mode


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0, kind: str = "adam") -> torch.optim.Optimizer:
    """Adam/AdamW (``kind="adam"``) or SGD with momentum 0.9 (``kind="sgd"``)."""
    if kind == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in eval mode; x ``[N, C, H, W]``, y ``[N]``."""
    was = model.training
    _set_mode(model, False)
    loss = correct = 0.0
    for a in range(0, len(x), batch):
        logits = model(x[a:a + batch])
        loss += float(F.cross_entropy(logits, y[a:a + batch], reduction="sum"))
        correct += float((logits.argmax(1) == y[a:a + batch]).sum())
    _set_mode(model, was)
    n = max(1, len(x))
    return loss / n, correct / n


@contextlib.contextmanager
def last_map_penalty(model: nn.Module, weight: float):
    """While open, ``penalty()`` returns ``weight`` × the mean |activation| of the last feature
    map ``model`` computed (its last tap, hooked), a scalar tensor to add to the loss, or 0.0
    when ``weight`` is 0 (no hook then). Call it after the forward pass of the same batch."""
    if weight <= 0:
        yield lambda: 0.0
        return
    seen: list[torch.Tensor] = []
    hook = model.tap_modules()[-1][1].register_forward_hook(lambda _m, _i, out: seen.append(out))

    def penalty():
        value = weight * seen[-1].abs().mean()
        seen.clear()
        return value

    try:
        yield penalty
    finally:
        hook.remove()


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: Recipe, seed: int = 0,
        progress: Callable[[float], None] | None = None) -> dict:
    """Train ``model`` in place with ``recipe`` (batch order from ``seed``); returns
    ``{"seconds_per_epoch": [...], "train_loss": [...]}`` (one entry per epoch). Stops early,
    with ``"diverged": True``, when a loss is not finite."""
    gen = torch.Generator().manual_seed(int(seed) + 1)
    seed_dropout(model, int(seed) + 2)
    opt = make_optimizer(model, recipe.lr, recipe.weight_decay)
    steps = recipe.epochs * math.ceil(len(x) / recipe.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    out = {"seconds_per_epoch": [], "train_loss": [], "diverged": False}
    with last_map_penalty(model, recipe.activation_l1) as penalty:
        _set_mode(model, True)
        for e in range(recipe.epochs):
            t0 = time.perf_counter()
            order = torch.randperm(len(x), generator=gen)
            total = 0.0
            for a in range(0, len(x), recipe.batch_size):
                idx = order[a:a + recipe.batch_size]
                loss = F.cross_entropy(model(random_shift(x[idx], gen, recipe.shift)), y[idx],
                                       label_smoothing=recipe.label_smoothing) + penalty()
                if not torch.isfinite(loss):
                    out["diverged"] = True
                    _set_mode(model, False)
                    return out
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
            out["seconds_per_epoch"].append(time.perf_counter() - t0)
            out["train_loss"].append(total / len(x))
            if progress:
                progress((e + 1) / recipe.epochs)
    _set_mode(model, False)
    return out


def data_for(dataset: str, seed: int = 0) -> images.ImageSet:
    """The 28×28 set a zoo model trains on (``images.load``: MNIST 4,000/1,000 or shapes)."""
    check(dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
    return images.load(images.DataConfig(name=dataset, seed=seed))


def tensors(data: images.ImageSet) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_test, y_test) as torch tensors (copies; the set stays read-only)."""
    return (torch.tensor(data.x_train), torch.tensor(data.y_train), torch.tensor(data.x_test),
            torch.tensor(data.y_test))


# -- reference models --------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Where reference models live: ``$EXPLORER_CACHE_DIR/zoo`` or ``~/.cache/dl-explorer/zoo``."""
    root = os.environ.get(CACHE_ENV) or str(Path.home() / ".cache" / "dl-explorer")
    return Path(root).expanduser() / "zoo"


def _stem(arch: str, dataset: str) -> str:
    return f"{arch}-{dataset}-v{FORMAT_VERSION}"


def paths(arch: str, dataset: str) -> tuple[Path, Path]:
    """(weights .safetensors, card .json) of a reference model."""
    d = cache_dir()
    return d / f"{_stem(arch, dataset)}.safetensors", d / f"{_stem(arch, dataset)}.json"


def is_cached(arch: str, dataset: str) -> bool:
    """True when the reference model is already on disk or in memory (no training needed)."""
    return (arch, dataset, str(cache_dir())) in _LOADED or all(p.exists() for p in paths(arch, dataset))


def _freeze(model: ZooNet) -> ZooNet:
    """Eval mode, no gradients, ``train(True)`` refused: safe to share between sessions."""
    _set_mode(model, False)
    model.requires_grad_(False)

    def guarded(mode: bool = True):
        if mode:
            raise RuntimeError("this is a shared read-only reference model; take zoo.session_copy(model) "
                               "to train, attack or hook it")
        return model

    model.train = guarded  # instance attribute: shadows nn.Module.train for this object only
    model._reference = True
    return model


def session_copy(model: nn.Module) -> nn.Module:
    """A private copy a session may mutate: same weights, eval mode, gradients enabled."""
    twin = copy.deepcopy(model)
    twin.__dict__.pop("train", None)
    twin.__dict__.pop("_reference", None)
    twin.requires_grad_(True)
    _set_mode(twin, False)
    return twin


def fingerprint(model: nn.Module) -> str:
    """SHA-1 of every parameter and buffer (to check that a shared model was not mutated)."""
    h = hashlib.sha1()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


_LOADED: dict = {}
_LOCKS: dict = {}
_LOCKS_GUARD = threading.Lock()


def _lock(key) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _shape_of(dataset: str) -> tuple[int, int]:
    data = data_for(dataset)
    return data.x_train.shape[1], len(data.classes)


def train_reference(arch: str, dataset: str, progress: Callable[[float], None] | None = None) -> tuple[ZooNet, dict]:
    """Train the reference ``arch`` on ``dataset`` (seed 0, :data:`RECIPES`); (model, card)."""
    data = data_for(dataset, seed=0)
    xtr, ytr, xte, yte = tensors(data)
    recipe = RECIPES[arch]
    mean, std = channel_stats(data.x_train)
    model = build(arch, data.x_train.shape[1], len(data.classes), seed=0, mean=mean, std=std)
    t0 = time.perf_counter()
    log = fit(model, xtr, ytr, recipe, seed=0, progress=progress)
    seconds = time.perf_counter() - t0
    test_loss, test_acc = evaluate(model, xte, yte)
    train_loss, train_acc = evaluate(model, xtr, ytr)
    card = {"arch": arch, "dataset": dataset, "format_version": FORMAT_VERSION, "seed": 0,
            "recipe": dataclasses.asdict(recipe), "in_ch": int(data.x_train.shape[1]),
            "n_classes": len(data.classes), "classes": list(data.classes), "n_train": len(xtr), "n_test": len(xte),
            "params": count_params(model), "macs": count_macs(model, tuple(data.x_train.shape[1:])).total,
            "test_acc": test_acc, "test_loss": test_loss, "train_acc": train_acc, "train_loss": train_loss,
            "train_seconds": seconds, "seconds_per_epoch": log["seconds_per_epoch"], "diverged": log["diverged"],
            "torch": torch.__version__, "threads": torch.get_num_threads()}
    return model, card


def _save(model: nn.Module, card: dict, arch: str, dataset: str) -> None:
    from safetensors.torch import save_file

    wpath, jpath = paths(arch, dataset)
    wpath.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    tag = f".tmp{os.getpid()}.{threading.get_ident()}"
    tmp_w, tmp_j = wpath.with_name(wpath.name + tag), jpath.with_name(jpath.name + tag)
    save_file(state, str(tmp_w), metadata={"arch": arch, "dataset": dataset, "format_version": str(FORMAT_VERSION)})
    tmp_j.write_text(json.dumps(card, indent=1))
    os.replace(tmp_w, wpath)  # atomic: a reader sees the old file or the whole new one
    os.replace(tmp_j, jpath)


def _load(arch: str, dataset: str) -> tuple[ZooNet, dict] | None:
    from safetensors.torch import load_file

    wpath, jpath = paths(arch, dataset)
    try:
        card = json.loads(jpath.read_text())
        state = load_file(str(wpath))
        model = build(arch, card["in_ch"], card["n_classes"])
        model.load_state_dict(state, strict=True)
    except Exception:  # noqa: BLE001 - missing, partial, stale or damaged (safetensors' own errors): train again
        return None
    return model, card


def reference(arch: str, dataset: str = "mnist",
              progress: Callable[[float], None] | None = None) -> tuple[ZooNet, dict]:
    """(read-only model, card) of the reference ``arch`` on ``dataset``: from memory, else from
    the disk cache, else trained now (``progress(fraction)`` is called while training) and
    saved. The card is a dict: recipe, params, macs, test_acc, train_seconds, …"""
    check(arch in ARCHS, "arch", f"must be one of {ARCHS}")
    check(dataset in DATASETS, "dataset", f"must be one of {DATASETS}")
    key = (arch, dataset, str(cache_dir()))
    with _lock(key):
        if key not in _LOADED:
            got = _load(arch, dataset)
            if got is None:
                got = train_reference(arch, dataset, progress)
                _save(*got, arch, dataset)
            _LOADED[key] = (_freeze(got[0]), got[1])
    return _LOADED[key]


def reference_model(arch: str, dataset: str = "mnist", progress: Callable[[float], None] | None = None) -> ZooNet:
    """The shared, read-only reference network (see :func:`reference`)."""
    return reference(arch, dataset, progress)[0]


def reference_card(arch: str, dataset: str = "mnist") -> dict | None:
    """The card of a cached reference model without training one (None when not cached)."""
    key = (arch, dataset, str(cache_dir()))
    if key in _LOADED:
        return _LOADED[key][1]
    try:
        return json.loads(paths(arch, dataset)[1].read_text())
    except (OSError, ValueError):
        return None


def rebuild(pairs: list[tuple[str, str]] | None = None, log: Callable[[str], None] = print) -> list[dict]:
    """Train every (arch, dataset) reference again (or the given ones), replacing the cache."""
    pairs = pairs or [(a, d) for d in DATASETS for a in ARCHS]
    cards = []
    for arch, dataset in pairs:
        key = (arch, dataset, str(cache_dir()))
        with _lock(key):
            model, card = train_reference(arch, dataset)
            _save(model, card, arch, dataset)
            _LOADED[key] = (_freeze(model), card)
        log(f"{arch:13s} {dataset:7s} test accuracy {100 * card['test_acc']:5.1f} %  "
            f"{card['train_seconds']:6.1f} s  → {paths(arch, dataset)[0]}")
        cards.append(card)
    return cards


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m explorer.engines.zoo", description=__doc__.split("\n")[0])
    ap.add_argument("--rebuild", action="store_true", help="train every reference model again")
    ap.add_argument("--only", nargs="*", default=None, metavar="ARCH:DATASET",
                    help="only these, e.g. lenet:mnist resnet:shapes")
    ap.add_argument("--list", action="store_true", help="show the cache")
    args = ap.parse_args(argv)
    from explorer.engines.device import cap_threads

    cap_threads()
    if args.list or not args.rebuild:
        print(f"cache: {cache_dir()}")
        for d in DATASETS:
            for a in ARCHS:
                card = reference_card(a, d)
                state = f"test accuracy {100 * card['test_acc']:5.1f} %" if card else "not built"
                print(f"  {a:13s} {d:7s} {state}")
        return 0
    pairs = None
    if args.only:
        pairs = []
        for item in args.only:
            a, _, d = item.partition(":")
            if a not in ARCHS or d not in DATASETS:
                ap.error(f"{item!r}: expected ARCH:DATASET with ARCH in {ARCHS} and DATASET in {DATASETS}")
            pairs.append((a, d))
    rebuild(pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
