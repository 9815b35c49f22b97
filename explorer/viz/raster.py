"""Raster frames of the playground for live playback: NumPy + Pillow → PNG bytes.

While training plays, a browser cannot re-create plotly charts several times a second
(Streamlit remounts a chart on every update, and a heavy one stays blank at 6 frames/s).
A PNG swaps in place, so playback shows these frames and the paused view switches to
the interactive plotly figures of :mod:`explorer.viz.playground`. Same colours, same
layout: network on the left, output map on the right, loss curves underneath.
"""
from __future__ import annotations

import io
import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from explorer.viz import theme

W, H_TOP, H_LOSS = 1200, 470, 210
EXTENT = 6.0
_DIVERGING = np.array([theme.hex_to_rgb(c) for c in (theme.NEGATIVE, theme.NEUTRAL, theme.POSITIVE)], float)
_INK = (27, 31, 36)
_MUTED = (107, 116, 128)
_GRID = (225, 229, 235)


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for path in (f"/usr/share/fonts/truetype/dejavu/{name}", name):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def colorize(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (any shape) → uint8 RGB (…, 3): orange → grey → blue."""
    v = np.clip(np.nan_to_num(values), -1.0, 1.0)
    t = np.abs(v)[..., None]
    end = np.where(v[..., None] < 0, _DIVERGING[0], _DIVERGING[2])
    return (_DIVERGING[1] * (1 - t) + end * t).astype(np.uint8)


def class_colors(probs: np.ndarray) -> np.ndarray:
    """(K, n, n) class probabilities → (n, n, 3) uint8, paler where the model is unsure."""
    k = probs.shape[0]
    cols = np.array([theme.hex_to_rgb(theme.CATEGORICAL[i % len(theme.CATEGORICAL)]) for i in range(k)], float)
    mix = np.tensordot(probs.transpose(1, 2, 0), cols, axes=1)
    conf = (probs.max(axis=0) - 1.0 / k) / (1 - 1.0 / k)
    alpha = 0.25 + 0.55 * conf[..., None]
    return np.clip(255 * (1 - alpha) + mix * alpha, 0, 255).astype(np.uint8)


def block_mean(m: np.ndarray, size: int) -> np.ndarray:
    """Average an (n, n) map down to (size, size) (n a multiple of size)."""
    f = m.shape[0] // size
    return m[: f * size, : f * size].reshape(size, f, size, f).mean(axis=(1, 3))


def _network(draw: ImageDraw.ImageDraw, img: Image.Image, box: tuple, layer_sizes, input_labels, maps,
             weights, dead, output_labels) -> None:
    x0, y0, x1, y1 = box
    node = 40
    n_layers = len(layer_sizes)
    max_nodes = max(layer_sizes)
    gap_y = min(52, (y1 - y0 - 60) / max(1, max_nodes))
    left, right = x0 + 70, x1 - 80
    xs = [left + (right - left) * i / max(1, n_layers - 1) for i in range(n_layers)]
    mid = (y0 + 55 + y1) / 2

    def pos(li, j):
        n = layer_sizes[li]
        return xs[li], mid + (j - (n - 1) / 2) * gap_y

    for li, w in enumerate(weights):
        scale = np.abs(w)
        for o in range(w.shape[0]):
            xb, yb = pos(li + 1, o)
            for i in range(w.shape[1]):
                xa, ya = pos(li, i)
                is_dead = dead is not None and dead[li][o, i]
                color = (184, 190, 198) if is_dead else theme.hex_to_rgb(
                    theme.POSITIVE if w[o, i] >= 0 else theme.NEGATIVE)
                width = 1 if is_dead else max(1, int(round(1 + 6 * min(1.0, scale[o, i] / 3.0) ** 0.7)))
                draw.line([(xa + node / 2, ya), (xb - node / 2, yb)], fill=color, width=width)
    thumb = node // 2
    for li, layer in enumerate(maps):
        for j in range(layer.shape[0]):
            cx, cy = pos(li, j)
            m = layer[j]
            small = colorize(block_mean(m, thumb) if m.shape[0] != thumb else m)
            tile = Image.fromarray(small).resize((node, node), Image.NEAREST)
            img.paste(tile, (int(cx - node / 2), int(cy - node / 2)))
            draw.rectangle([cx - node / 2 - 1, cy - node / 2 - 1, cx + node / 2, cy + node / 2], outline=_MUTED)
    for li, n in enumerate(layer_sizes):
        name = "Input" if li == 0 else ("Output" if li == n_layers - 1 else f"Hidden {li}")
        draw.text((xs[li], y0 + 30), name, fill=_INK, font=_font(13, True), anchor="mm")
        draw.text((xs[li], y0 + 46), f"{n} {'feature' if li == 0 else 'neuron'}{'' if n == 1 else 's'}",
                  fill=_MUTED, font=_font(12), anchor="mm")
    for j, lab in enumerate(input_labels):
        cx, cy = pos(0, j)
        draw.text((cx - node / 2 - 6, cy), lab, fill=_INK, font=_font(14), anchor="rm")
    for j, lab in enumerate(output_labels or []):
        cx, cy = pos(n_layers - 1, j)
        draw.text((cx + node / 2 + 6, cy), lab, fill=_INK, font=_font(12), anchor="lm")


def _output(draw: ImageDraw.ImageDraw, img: Image.Image, box: tuple, values, train_xy, train_y, test_xy,
            test_y, multiclass, show_test, discretize) -> None:
    x0, y0, size = box
    if multiclass:
        rgb = class_colors(values)
    else:
        rgb = colorize(np.where(values >= 0, 1.0, -1.0) if discretize else values)
    img.paste(Image.fromarray(rgb).resize((size, size), Image.BILINEAR), (x0, y0))

    def to_px(xy):
        return x0 + (xy[:, 0] + EXTENT) / (2 * EXTENT) * size, y0 + (EXTENT - xy[:, 1]) / (2 * EXTENT) * size

    sets = [(train_xy, train_y, (255, 255, 255))] + ([(test_xy, test_y, (0, 0, 0))] if show_test else [])
    for xy, y, edge in sets:
        inside = (np.abs(xy) <= EXTENT).all(axis=1)
        px, py = to_px(xy[inside])
        ys = y[inside]
        if multiclass:
            fills = [theme.hex_to_rgb(theme.CATEGORICAL[int(c) % len(theme.CATEGORICAL)]) for c in ys]
        else:
            fills = [tuple(int(c) for c in col) for col in colorize(ys)]
        for a, b, f in zip(px, py, fills):
            draw.ellipse([a - 3.5, b - 3.5, a + 3.5, b + 3.5], fill=f, outline=edge)
    draw.rectangle([x0, y0, x0 + size, y0 + size], outline=_MUTED)
    for v in (-6, -3, 0, 3, 6):
        t = (v + EXTENT) / (2 * EXTENT)
        draw.text((x0 + t * size, y0 + size + 4), str(v), fill=_MUTED, font=_font(12), anchor="mt")
        draw.text((x0 - 5, y0 + (1 - t) * size), str(v), fill=_MUTED, font=_font(12), anchor="rm")
    draw.text((x0 + size / 2, y0 + size + 20), "x₁", fill=_INK, font=_font(14), anchor="mt")
    draw.text((x0 - 26, y0 + size / 2), "x₂", fill=_INK, font=_font(14), anchor="rm")


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo if hi > lo else 1.0
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _loss(draw: ImageDraw.ImageDraw, box: tuple, epochs, train, test, ylabel: str) -> None:
    x0, y0, x1, y1 = box
    draw.text((x0 - 60, y0 - 26), "Training and test loss", fill=_INK, font=_font(15, True))
    e = np.asarray(epochs, float)
    tr, te = np.asarray(train, float), np.asarray(test, float)
    vals = np.concatenate([tr[np.isfinite(tr)], te[np.isfinite(te)]])
    lo, hi = (0.0, float(vals.max())) if len(vals) else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    emax = max(1.0, float(e.max()) if len(e) else 1.0)
    for t in _nice_ticks(lo, hi, 4):
        py = y1 - (t - lo) / (hi - lo) * (y1 - y0)
        draw.line([(x0, py), (x1, py)], fill=_GRID)
        draw.text((x0 - 6, py), f"{t:.3g}", fill=_MUTED, font=_font(12), anchor="rm")
    for t in _nice_ticks(0, emax, 6):
        px = x0 + t / emax * (x1 - x0)
        draw.text((px, y1 + 4), f"{int(t):,}", fill=_MUTED, font=_font(12), anchor="mt")
    draw.text(((x0 + x1) / 2, y1 + 20), "epoch", fill=_INK, font=_font(13), anchor="mt")
    draw.text((x0 - 60, y1 + 20), ylabel, fill=_MUTED, font=_font(12), anchor="lt")
    for series, color in ((tr, theme.TRAIN_COLOR), (te, theme.TEST_COLOR)):
        ok = np.isfinite(series)
        if ok.sum() < 2:
            continue
        px = x0 + e[ok] / emax * (x1 - x0)
        py = y1 - (series[ok] - lo) / (hi - lo) * (y1 - y0)
        draw.line(list(zip(px.tolist(), py.tolist())), fill=theme.hex_to_rgb(color), width=3)
    draw.rectangle([x0, y0, x1, y1], outline=_MUTED)
    for i, (name, color) in enumerate((("train", theme.TRAIN_COLOR), ("test", theme.TEST_COLOR))):
        lx = x1 - 150 + 75 * i
        draw.line([(lx, y0 - 14), (lx + 22, y0 - 14)], fill=theme.hex_to_rgb(color), width=3)
        draw.text((lx + 27, y0 - 14), name, fill=_INK, font=_font(13), anchor="lm")


def playground_png(net: dict, boundary: dict, curve: dict, *, title_net: str, title_out: str,
                   ylabel: str = "loss") -> bytes:
    """One live frame as PNG bytes (W × (H_TOP + H_LOSS) pixels).

    ``net`` and ``boundary`` are the keyword arguments of
    :func:`explorer.viz.playground.network_traces` and ``boundary_traces``; ``curve`` has
    lists ``epoch``, ``train``, ``test``.
    """
    img = Image.new("RGB", (W, H_TOP + H_LOSS), "white")
    draw = ImageDraw.Draw(img)
    split = 700
    draw.text((10, 8), title_net, fill=_INK, font=_font(16, True))
    draw.text((split + 40, 8), title_out, fill=_INK, font=_font(16, True))
    _network(draw, img, (0, 20, split, H_TOP - 10), net["layer_sizes"], net["input_labels"], net["maps"],
             net["weights"], net.get("dead"), net.get("output_labels"))
    _output(draw, img, (split + 60, 40, 390), boundary["values"], boundary["train_xy"], boundary["train_y"],
            boundary["test_xy"], boundary["test_y"], boundary.get("multiclass", False),
            boundary.get("show_test", False), boundary.get("discretize", False))
    _loss(draw, (80, H_TOP + 40, W - 30, H_TOP + H_LOSS - 40), curve["epoch"], curve["train"], curve["test"], ylabel)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
