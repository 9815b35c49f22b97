"""Image helpers for the vision pages: tiles of images in one plotly figure.

Images arrive as float arrays ``[C, H, W]`` (C = 1 or 3) in [0, 1]; a set of them as
``[N, C, H, W]``. A grid is drawn as ONE ``go.Image`` trace of a mosaic (fast to send and
to redraw), with a caption under each tile.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

PAD_RGB = (255, 255, 255)


def to_rgb_uint8(x: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` or ``[H, W]`` floats in [0, 1] (C = 1 or 3) → ``[H, W, 3]`` uint8 (grey
    is repeated on the three channels)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 3:
        a = a.transpose(1, 2, 0)
    if a.ndim == 2:
        a = a[..., None]
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return (np.clip(np.nan_to_num(a), 0, 1) * 255).round().astype(np.uint8)


def mosaic(images: np.ndarray, ncols: int, pad: int = 2, scale: int = 1, pad_y: int | None = None) -> np.ndarray:
    """``[N, C, H, W]`` → one uint8 ``[rows·(H·scale+pad_y), ncols·(W·scale+pad)−pad, 3]``
    picture, tiles in reading order separated by white gaps of ``pad`` pixels across and
    ``pad_y`` (default ``pad``) below each row; each pixel is repeated ``scale``×``scale``
    times so that small images stay crisp in a browser."""
    imgs = np.asarray(images)
    n = len(imgs)
    pad_y = pad if pad_y is None else pad_y
    ncols = max(1, min(ncols, n)) if n else 1
    rows = max(1, -(-n // ncols))
    h, w = imgs.shape[-2] * scale, imgs.shape[-1] * scale
    out = np.empty((rows * (h + pad_y) - (pad_y if pad_y == pad else 0), ncols * (w + pad) - pad, 3), dtype=np.uint8)
    out[:] = PAD_RGB
    for i in range(n):
        r, c = divmod(i, ncols)
        tile = to_rgb_uint8(imgs[i])
        if scale > 1:
            tile = tile.repeat(scale, axis=0).repeat(scale, axis=1)
        out[r * (h + pad_y):r * (h + pad_y) + h, c * (w + pad):c * (w + pad) + w] = tile
    return out


def image_grid(images: np.ndarray, captions: list[str] | None = None, ncols: int = 8, title: str = "",
               tile_px: int = 84, scale: int = 4) -> go.Figure:
    """A figure of images ``[N, C, H, W]`` in a grid with optional captions under each tile.
    ``tile_px``: displayed size of a tile in screen pixels (sets the figure's height)."""
    imgs = np.asarray(images)
    n = len(imgs)
    if not n:
        imgs = np.ones((1, 1, 8, 8))
    ncols = max(1, min(ncols, len(imgs)))
    rows = -(-len(imgs) // ncols)
    th, tw = imgs.shape[-2] * scale, imgs.shape[-1] * scale
    gap = 2 * scale
    cap_px = 22 if captions else 0  # screen pixels under each row for its captions
    gap_y = gap + int(np.ceil(cap_px * th / tile_px))
    pic = mosaic(imgs, ncols, pad=gap, scale=scale, pad_y=gap_y)
    fig = go.Figure(go.Image(z=pic, hoverinfo="skip"))
    annotations = []
    for i, text in enumerate((captions or [])[:n]):
        r, c = divmod(i, ncols)
        annotations.append(dict(x=c * (tw + gap) + tw / 2, y=r * (th + gap_y) + th + gap / 2, text=text,
                                showarrow=False, xref="x", yref="y", yanchor="top", font=dict(size=13)))
    fig.update_layout(template=theme.NAME, title=dict(text=title), annotations=annotations,
                      height=int(rows * (tile_px + cap_px) + (60 if title else 20)),
                      margin=dict(l=10, r=10, t=50 if title else 10, b=10),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"))
    return fig
