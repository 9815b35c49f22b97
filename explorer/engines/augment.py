"""Image augmentations for self-supervised learning, in plain torch (no torchvision).

Every function takes a batch ``x`` float32 ``[N, C, H, W]`` in [0, 1] and a
``torch.Generator`` and returns a new batch of the same shape, still in [0, 1]; the
generator is the only source of randomness, so the same seed gives the same views.

- :func:`crop_rotate`: one random affine warp per image — a random resized crop (area
  fraction ∈ [crop, 1], aspect ratio ∈ [3/4, 4/3] (narrower near area 1), placed anywhere
  inside the image, which also shifts it) composed with a rotation of ±``rotate`` degrees; bilinear
  resampling with zeros outside (MNIST's background).
- :func:`gaussian_noise`: add N(0, σ²) per pixel, clip to [0, 1].
- :func:`gaussian_blur`: with probability ``p`` per image, a 5×5 Gaussian blur of σ ∈ [0.5, 1.5] px.
- :func:`erase`: with probability ``p`` per image, set a random rectangle (5–25 % of the
  area) to 0 (random erasing / cutout).

:func:`augment` applies them in that order with the strengths of an :class:`AugConfig`;
:func:`two_views` draws two independent views of each image (SimCLR's positive pair).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from explorer.engines.contract import check

BLUR_SIGMA = (0.5, 1.5)    # pixels
ERASE_AREA = (0.05, 0.25)  # fraction of the image
ASPECT = (3 / 4, 4 / 3)  # aspect ratios of a crop (width / height)


def _finite_in(v, lo, hi) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi


@dataclass(frozen=True)
class AugConfig:
    """Strengths. ``crop``: smallest kept area fraction (1 = no crop); ``rotate``: max
    degrees either way; ``noise``: σ of added pixel noise; ``blur``/``erase``: probability
    per image."""

    crop: float = 0.5
    rotate: float = 15.0
    noise: float = 0.1
    blur: float = 0.5
    erase: float = 0.25

    def __post_init__(self):
        check(_finite_in(self.crop, 0.2, 1.0), "crop", "must be in [0.2, 1]")
        check(_finite_in(self.rotate, 0.0, 90.0), "rotate", "must be in [0, 90] degrees")
        check(_finite_in(self.noise, 0.0, 1.0), "noise", "must be in [0, 1]")
        check(_finite_in(self.blur, 0.0, 1.0), "blur", "must be a probability in [0, 1]")
        check(_finite_in(self.erase, 0.0, 1.0), "erase", "must be a probability in [0, 1]")


def _uniform(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def crop_rotate(x: torch.Tensor, g: torch.Generator, crop: float = 0.5, rotate: float = 15.0) -> torch.Tensor:
    """Random resized crop + rotation of each image of ``x`` ``[N, C, H, W]`` (one affine warp)."""
    n = x.shape[0]
    area = _uniform(n, crop, 1.0, g)
    # |log aspect| ≤ −log area keeps both sides of the crop inside the image (area 1 → no crop at all)
    log_r = _uniform(n, -1.0, 1.0, g) * torch.minimum(torch.full((n,), math.log(ASPECT[1])), -torch.log(area))
    aspect = torch.exp(log_r)
    # the sampling grid spans a fraction (sx, sy) ≤ 1 of the image in each direction: a crop
    sx = torch.clamp(torch.sqrt(area * aspect), max=1.0)
    sy = torch.clamp(torch.sqrt(area / aspect), max=1.0)
    tx = (1 - sx) * _uniform(n, -1.0, 1.0, g)  # the crop anywhere inside the image
    ty = (1 - sy) * _uniform(n, -1.0, 1.0, g)
    ang = torch.deg2rad(_uniform(n, -rotate, rotate, g))
    c, s = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([sx * c, -sy * s, tx], 1), torch.stack([sx * s, sy * c, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


def gaussian_noise(x: torch.Tensor, g: torch.Generator, sigma: float = 0.1) -> torch.Tensor:
    """``x`` plus N(0, σ²) noise per pixel, clipped to [0, 1]."""
    return (x + sigma * torch.randn(x.shape, generator=g, dtype=x.dtype)).clamp(0, 1)


def gaussian_kernels(sigma: torch.Tensor, size: int = 5) -> torch.Tensor:
    """Normalised 2-D Gaussian kernels ``[N, size, size]`` for σ ``[N]`` (pixels); σ = 0 gives
    the identity (a one at the centre)."""
    r = torch.arange(size, dtype=torch.float32) - size // 2
    s = sigma.clamp(min=1e-6)[:, None]
    k1 = torch.exp(-(r[None] ** 2) / (2 * s ** 2))
    k1 = k1 / k1.sum(1, keepdim=True)
    return k1[:, :, None] * k1[:, None, :]


def gaussian_blur(x: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """With probability ``p`` per image, blur it with a 5×5 Gaussian of random σ."""
    n, ch, h, w = x.shape
    sigma = _uniform(n, *BLUR_SIGMA, g) * (torch.rand(n, generator=g) < p)
    k = gaussian_kernels(sigma).to(x.dtype)                         # [N, 5, 5]
    k = k.repeat_interleave(ch, 0)[:, None]                         # [N·C, 1, 5, 5]
    # reflect padding keeps a uniform image uniform; the kernels sum to 1, so values stay in [0, 1]
    xp = F.pad(x.reshape(1, n * ch, h, w), (2, 2, 2, 2), mode="reflect")
    return F.conv2d(xp, k, groups=n * ch).reshape(n, ch, h, w).clamp(0, 1)


def erase(x: torch.Tensor, g: torch.Generator, p: float = 0.25) -> torch.Tensor:
    """With probability ``p`` per image, zero a random rectangle of 5–25 % of its area."""
    n, _, h, w = x.shape
    area = _uniform(n, *ERASE_AREA, g) * h * w
    aspect = torch.exp(_uniform(n, math.log(1 / 3), math.log(3), g))
    eh = torch.clamp(torch.sqrt(area * aspect).round(), 1, h)
    ew = torch.clamp(torch.sqrt(area / aspect).round(), 1, w)
    y0 = torch.floor(torch.rand(n, generator=g) * (h - eh + 1))
    x0 = torch.floor(torch.rand(n, generator=g) * (w - ew + 1))
    on = torch.rand(n, generator=g) < p
    rows = torch.arange(h)[None, :, None]
    cols = torch.arange(w)[None, None, :]
    box = ((rows >= y0[:, None, None]) & (rows < (y0 + eh)[:, None, None])
           & (cols >= x0[:, None, None]) & (cols < (x0 + ew)[:, None, None]) & on[:, None, None])
    return x.masked_fill(box[:, None], 0.0)


def augment(x: torch.Tensor, cfg: AugConfig, g: torch.Generator) -> torch.Tensor:
    """One random view of every image of ``x`` ``[N, C, H, W]`` (same shape, in [0, 1])."""
    out = crop_rotate(x, g, cfg.crop, cfg.rotate)
    out = gaussian_blur(out, g, cfg.blur)
    out = gaussian_noise(out, g, cfg.noise)
    return erase(out, g, cfg.erase)


def two_views(x: torch.Tensor, cfg: AugConfig, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent views of each image: the positive pairs of contrastive learning."""
    return augment(x, cfg, g), augment(x, cfg, g)
