"""Figures of the GAN page: the GAN-Lab plane with curves beside it, the DCGAN's sample grid
with its curves, the interpolation strip and the generator-loss shapes.

Built from plain dicts with :func:`explorer.viz.panels.figure` (cheap enough to redraw
every live frame). Inputs are numpy arrays in the plane's units (the view spans
[−extent, extent]²) or images in [0, 1] / uint8.
"""
from __future__ import annotations

import numpy as np

import base64
import io

from PIL import Image

from explorer.viz import panels, theme
from explorer.viz.images import mosaic

REAL = theme.CATEGORICAL[2]     # green
FAKE = theme.CATEGORICAL[3]     # purple-pink
D_COLOR = theme.CATEGORICAL[0]
G_COLOR = theme.CATEGORICAL[5]
MODES_COLOR = theme.CATEGORICAL[2]
HQ_COLOR = theme.CATEGORICAL[1]
MISSED = "#D55E00"
ARROW_LEN = 0.45  # the longest gradient arrow, in plane units
LOSS_LABEL = {"minimax": "minimax", "nonsat": "non-saturating", "wgan": "WGAN (clipping)", "wgan_gp": "WGAN-GP",
              "hinge": "hinge"}


def png_uri(rgb: np.ndarray) -> str:
    """A (H, W, 3) uint8 picture as a PNG data URI (a few kB instead of a list of pixels)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buf, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _image_trace(pic: np.ndarray, xa: str = "x", ya: str = "y", name: str = "samples") -> dict:
    return {"type": "image", "source": png_uri(pic), "x0": 0, "y0": 0, "dx": 1, "dy": 1, "xaxis": xa, "yaxis": ya,
            "hoverinfo": "skip", "name": name}


def _axis(domain, title="", **kw) -> dict:
    return {"domain": list(domain), "title": {"text": title}, **kw}


def _title(text: str, x: float, y: float) -> dict:
    return {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "showarrow": False,
            "xanchor": "center", "yanchor": "bottom", "font": {"size": 15}}


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[list, list]:
    """x, y lists of separate segments (None between them) for one line trace."""
    n = len(starts)
    xs = np.full(3 * n, np.nan)
    ys = np.full(3 * n, np.nan)
    xs[0::3], xs[1::3] = starts[:, 0], ends[:, 0]
    ys[0::3], ys[1::3] = starts[:, 1], ends[:, 1]
    return ([None if np.isnan(v) else round(float(v), 3) for v in xs],
            [None if np.isnan(v) else round(float(v), 3) for v in ys])


def _polylines(lines: np.ndarray) -> tuple[list, list]:
    """(L, P, 2) polylines → x, y lists with None between lines."""
    xs, ys = [], []
    for line in lines.reshape(-1, lines.shape[-2], 2):
        xs += [round(float(v), 3) for v in line[:, 0]] + [None]
        ys += [round(float(v), 3) for v in line[:, 1]] + [None]
    return xs, ys


def arrow_ends(points: np.ndarray, grads: np.ndarray, length: float = ARROW_LEN) -> np.ndarray:
    """Arrow tips: each gradient scaled so that the longest is ``length`` long (directions
    and relative sizes kept; zero or non-finite gradients give zero-length arrows)."""
    g = np.nan_to_num(np.asarray(grads, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = np.linalg.norm(g, axis=1).max() if len(g) else 0.0
    scale = length / top if top > 0 else 0.0
    return np.asarray(points, np.float64) + scale * g


def plane_traces(grid, d_map, map_kind, real, fake, arrows=None, manifold=None, anchors=None, curve=False,
                 colorbar_x: float = 0.5, xy=("x", "y")) -> list[dict]:
    """The GAN-Lab plane: D's heat map, real and fake points, generator arrows on the first
    ``len(arrows)`` fake points, the generator's image of the latent grid, the target."""
    ax = {"xaxis": xy[0], "yaxis": xy[1]}
    critic = map_kind == "critic"
    z = np.asarray(d_map, np.float64)
    if critic:
        mid = float(np.nanmedian(z)) if np.isfinite(z).any() else 0.0
        span = float(np.nanmax(np.abs(z - mid))) if np.isfinite(z).any() else 1.0
        zr = {"zmin": mid - max(span, 1e-6), "zmax": mid + max(span, 1e-6)}
        cb = "D score<br>(higher: real)"
    else:
        zr = {"zmin": 0.0, "zmax": 1.0}
        cb = "D(x) = P(real)"
    g = [float(v) for v in grid]
    traces = [{"type": "heatmap", "x": g, "y": g, "z": np.nan_to_num(z).round(4).tolist(),
               "colorscale": [[0, theme.NEGATIVE], [0.5, theme.NEUTRAL], [1, theme.POSITIVE]], **zr, "zsmooth": "best",
               "colorbar": {"title": {"text": cb, "side": "right"}, "x": colorbar_x, "len": 0.9, "thickness": 12},
               "hovertemplate": "x %{x:.2f}, y %{y:.2f}<br>" + ("D %{z:.3f}" if critic else "D(x) %{z:.3f}")
                                + "<extra></extra>", "name": "D", "showlegend": False, **ax}]
    if manifold is not None:
        mx, my = _polylines(np.asarray(manifold))
        traces.append({"type": "scatter", "x": mx, "y": my, "mode": "lines",
                       "line": {"color": "rgba(40,40,40,0.35)", "width": 1}, "name": "G(latent grid)",
                       "hoverinfo": "skip", **ax})
    if anchors is not None and curve:
        traces.append({"type": "scatter", "x": anchors[:, 0].tolist(), "y": anchors[:, 1].tolist(), "mode": "lines",
                       "line": {"color": "rgba(0,0,0,0.45)", "width": 1.5, "dash": "dot"}, "name": "target curve",
                       "hoverinfo": "skip", **ax})
    traces.append({"type": "scatter", "x": real[:, 0].round(3).tolist(), "y": real[:, 1].round(3).tolist(),
                   "mode": "markers", "name": "real",
                   "marker": {"color": REAL, "size": 5, "line": {"color": "white", "width": 0.5}},
                   "hovertemplate": "real (%{x:.2f}, %{y:.2f})<extra></extra>", **ax})
    f = np.nan_to_num(np.asarray(fake, np.float64), nan=0.0, posinf=1e3, neginf=-1e3)
    traces.append({"type": "scatter", "x": f[:, 0].round(3).tolist(), "y": f[:, 1].round(3).tolist(),
                   "mode": "markers", "name": "fake G(z)",
                   "marker": {"color": FAKE, "size": 5, "line": {"color": "#3d1f33", "width": 0.5}},
                   "hovertemplate": "fake (%{x:.2f}, %{y:.2f})<extra></extra>", **ax})
    if arrows is not None and len(arrows):
        pts = f[:len(arrows)]
        tips = arrow_ends(pts, arrows)
        sx, sy = _segments(pts, tips)
        traces.append({"type": "scatter", "x": sx, "y": sy, "mode": "lines+markers", "name": "−∂L_G/∂x",
                       "line": {"color": "#1b1f24", "width": 1.3},
                       "marker": {"symbol": "arrow", "angleref": "previous", "color": "#1b1f24",
                                  "size": [0, 8, 0] * len(pts)}, "hoverinfo": "skip", **ax})
    return traces


def gan_figure(snap: dict, hist: dict, show_arrows: bool = True, show_manifold: bool = False, loss: str = "nonsat",
               target: dict | None = None, extent: float = 3.0, height: int = 640):
    """The live view: the plane (left) and three panels on the right — D and G losses,
    modes covered and high-quality share over iterations, samples per mode.

    snap: grid, d_map, map_kind, real, fake, arrows, manifold, mode_counts, covered (K,) bool,
    threshold (the count a mode needs to be covered); hist: step, d, g, modes, hq (arrays);
    target: anchors (M, 2), curve (bool), centres (K, 2), radius (plane units)."""
    target = target or {}
    data = plane_traces(snap["grid"], snap["d_map"], snap["map_kind"], snap["real"], snap["fake"],
                        snap.get("arrows") if show_arrows else None, snap.get("manifold") if show_manifold else None,
                        target.get("anchors"), bool(target.get("curve")), colorbar_x=0.47)
    step = np.asarray(hist["step"], np.float64)
    lg = LOSS_LABEL.get(loss, loss)
    for key, name, color in (("d", f"D loss ({lg})", D_COLOR), ("g", f"G loss ({lg})", G_COLOR)):
        y = np.asarray(hist[key], np.float64)
        data.append({"type": "scatter", "x": step.tolist(), "y": [None if not np.isfinite(v) else float(v) for v in y],
                     "mode": "lines", "name": name, "line": {"color": color, "width": 2}, "xaxis": "x2",
                     "yaxis": "y2", "legendgroup": "loss"})
    k = len(snap["mode_counts"])
    data.append({"type": "scatter", "x": step.tolist(), "y": np.asarray(hist["modes"]).tolist(), "mode": "lines",
                 "name": "modes covered", "line": {"color": MODES_COLOR, "width": 2.5, "shape": "hv"},
                 "xaxis": "x3", "yaxis": "y3"})
    data.append({"type": "scatter", "x": step.tolist(), "y": (100 * np.asarray(hist["hq"], np.float64)).tolist(),
                 "mode": "lines", "name": "high-quality share (%)", "line": {"color": HQ_COLOR, "width": 2, "dash": "dot"},
                 "xaxis": "x3", "yaxis": "y5"})
    covered = np.asarray(snap["covered"], bool)
    counts = np.asarray(snap["mode_counts"])
    data.append({"type": "bar", "x": [f"{i + 1}" for i in range(k)], "y": counts.tolist(), "name": "samples per mode",
                 "marker": {"color": [MODES_COLOR if c else MISSED for c in covered]}, "showlegend": False,
                 "hovertemplate": "mode %{x}: %{y} high-quality samples<extra></extra>", "xaxis": "x4", "yaxis": "y4"})
    shapes = [{"type": "line", "xref": "x4 domain", "x0": 0, "x1": 1, "yref": "y4", "y0": float(snap["threshold"]),
               "y1": float(snap["threshold"]), "line": {"color": "#555", "dash": "dash", "width": 1.2}}]
    centres = target.get("centres")
    if centres is not None and len(centres) and not target.get("curve"):
        r = float(target.get("radius", 0.3))
        for (cx, cy), c in zip(np.asarray(centres), covered):
            shapes.append({"type": "circle", "xref": "x", "yref": "y", "x0": cx - r, "x1": cx + r, "y0": cy - r,
                           "y1": cy + r, "line": {"color": "#1b1f24" if c else MISSED, "width": 1.5,
                                                  "dash": "solid" if c else "dash"}})
    e = float(extent)
    layout = {
        "height": height, "margin": {"l": 60, "r": 20, "t": 70, "b": 60},
        "title": {"text": "The GAN at work: D's view of the plane, real and generated points, and the training curves"},
        "xaxis": _axis((0.0, 0.46), "x", range=[-e, e], constrain="domain"),
        "yaxis": _axis((0.0, 1.0), "y", range=[-e, e], scaleanchor="x", constrain="domain"),
        "xaxis2": _axis((0.64, 0.95), "", anchor="y2", matches="x3", showticklabels=False),
        "yaxis2": _axis((0.76, 1.0), "loss", anchor="x2"),
        "xaxis3": _axis((0.64, 0.95), "generator updates", anchor="y3"),
        "yaxis3": _axis((0.40, 0.62), "modes", anchor="x3", range=[-0.3, k + 0.3], color=MODES_COLOR),
        "yaxis5": {"overlaying": "y3", "side": "right", "range": [0, 100], "showgrid": False, "tickvals": [0, 50, 100],
                   "title": {"text": "HQ %"}, "color": HQ_COLOR, "anchor": "x3"},
        "xaxis4": _axis((0.64, 0.95), "", anchor="y4", type="category"),
        "yaxis4": _axis((0.0, 0.22), "samples", anchor="x4"),
        "legend": {"orientation": "h", "x": 0.0, "y": -0.1, "xanchor": "left", "yanchor": "top"},
        "annotations": [_title("The plane", 0.23, 1.0), _title("Losses", 0.795, 1.0),
                        _title(f"Modes covered (of {k}) and high-quality share", 0.795, 0.625),
                        _title("High-quality samples per mode (dashed: needed to count)", 0.795, 0.225)],
        "shapes": shapes, "bargap": 0.25,
    }
    return panels.figure(data, layout)


def dcgan_figure(grid: np.ndarray, hist: dict, epoch_step: int, height: int = 560):
    """The fixed-noise sample grid (left) and the DCGAN's curves: D and G losses, D's mean
    probability on real and on fake digits. grid: (N, 28, 28) uint8; hist: step, d, g,
    d_real, d_fake."""
    g = np.asarray(grid)
    n = len(g)
    cols = int(np.ceil(np.sqrt(n)))
    pic = mosaic(g[:, None].astype(np.float64) / 255.0, cols, pad=2, scale=3)
    h, w = pic.shape[:2]
    step = np.asarray(hist["step"], np.float64).tolist()

    def clean(key):
        return [None if not np.isfinite(v) else float(v) for v in np.asarray(hist[key], np.float64)]

    data = [_image_trace(pic),
            {"type": "scatter", "x": step, "y": clean("d"), "mode": "lines", "name": "D loss",
             "line": {"color": D_COLOR, "width": 2}, "xaxis": "x2", "yaxis": "y2"},
            {"type": "scatter", "x": step, "y": clean("g"), "mode": "lines", "name": "G loss",
             "line": {"color": G_COLOR, "width": 2}, "xaxis": "x2", "yaxis": "y2"},
            {"type": "scatter", "x": step, "y": clean("d_real"), "mode": "lines", "name": "mean D(real digit)",
             "line": {"color": REAL, "width": 2}, "xaxis": "x3", "yaxis": "y3"},
            {"type": "scatter", "x": step, "y": clean("d_fake"), "mode": "lines", "name": "mean D(G(z))",
             "line": {"color": FAKE, "width": 2}, "xaxis": "x3", "yaxis": "y3"}]
    layout = {
        "height": height, "margin": {"l": 20, "r": 20, "t": 70, "b": 60},
        "title": {"text": f"DCGAN on MNIST: the same {n} latents after {epoch_step:,} generator updates"},
        "xaxis": {"domain": [0.0, 0.5], "visible": False, "constrain": "domain", "range": [-0.5, w - 0.5]},
        "yaxis": {"domain": [0.0, 1.0], "visible": False, "scaleanchor": "x", "range": [h - 0.5, -0.5],
                  "constrain": "domain"},
        "xaxis2": _axis((0.6, 1.0), "", anchor="y2"),
        "yaxis2": _axis((0.58, 1.0), "loss", anchor="x2"),
        "xaxis3": _axis((0.6, 1.0), "generator updates", anchor="y3"),
        "yaxis3": _axis((0.0, 0.42), "probability", anchor="x3", range=[0, 1]),
        "legend": {"orientation": "h", "x": 0.6, "y": -0.12, "xanchor": "left", "yanchor": "top"},
        "annotations": [_title("Fixed-noise samples", 0.25, 1.0), _title("Losses", 0.8, 1.0),
                        _title("What D believes", 0.8, 0.43)],
    }
    return panels.figure(data, layout)


def interpolation_figure(images: np.ndarray, norms: np.ndarray, mode: str, seed_a: int, seed_b: int, step: int):
    """A strip of G's images along the latent path, each captioned with t and ‖z‖."""
    imgs = np.asarray(images)
    n = len(imgs)
    scale, pad = 3, 6
    pic = mosaic(imgs, n, pad=pad, scale=scale)
    h, w = pic.shape[:2]
    tile = imgs.shape[-1] * scale
    t = np.linspace(0, 1, n)
    name = "Spherical (slerp)" if mode == "slerp" else "Linear (lerp)"
    notes = [{"x": i * (tile + pad) + tile / 2, "y": h + 4, "xref": "x", "yref": "y", "showarrow": False,
              "yanchor": "top", "text": f"t={tt:.2f}<br>‖z‖={nz:.1f}", "font": {"size": 13}}
             for i, (tt, nz) in enumerate(zip(t, norms))]
    layout = {"height": 250, "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
              "title": {"text": f"{name} interpolation from latent seed {seed_a} to seed {seed_b} "
                                f"(G after {step:,} updates)"},
              "xaxis": {"visible": False, "range": [-0.5, w - 0.5], "constrain": "domain"},
              "yaxis": {"visible": False, "range": [h + 48, -0.5], "scaleanchor": "x", "constrain": "domain"},
              "annotations": notes}
    return panels.figure([_image_trace(pic, name="interpolation")], layout)


def g_loss_shapes(p: np.ndarray, curves: dict[str, np.ndarray]):
    """G's loss against D's output on a fake sample, D(G(z)) in (0, 1): where each loss is
    flat, G gets no gradient. curves: label → values (len(p),)."""
    data = []
    colors = theme.CATEGORICAL
    for i, (name, y) in enumerate(curves.items()):
        data.append({"type": "scatter", "x": np.asarray(p).tolist(), "y": np.asarray(y).tolist(), "mode": "lines",
                     "name": name, "line": {"color": colors[i % len(colors)], "width": 2.5}})
    layout = {"height": 360, "title": {"text": "Generator loss vs D's verdict on a fake: where it is flat, G learns nothing"},
              "xaxis": {"title": {"text": "D(G(z)) = σ(logit): D's probability that the fake is real"}},
              "yaxis": {"title": {"text": "G loss"}, "range": [-5, 5]},
              "legend": {"x": 0.55, "y": 0.98}}
    return panels.figure(data, layout)
