"""Figures for the activation-functions page: f and f′ with their flat tails, the
dying-ReLU run (loss, dead share per layer over time, the unit map) and signal
propagation at initialization (std and gradient by depth, per-layer histograms).

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme

F_COLOR, DF_COLOR = theme.CATEGORICAL[0], theme.CATEGORICAL[5]
FLAT_FILL = "rgba(120, 130, 140, 0.18)"
DEAD_SCALE = [[0.0, "#f1f3f5"], [0.25, "#f6c48f"], [1.0, "#8c2d04"]]
# share of inputs a unit passes gradient for: exactly 0 (dead) is black, the rest pale → blue
ACTIVE_SCALE = [[0.0, "#1b1f24"], [1e-6, "#1b1f24"], [2e-6, "#fde9cf"], [1.0, theme.CATEGORICAL[0]]]
HIST_SCALE = [[0.0, "#ffffff"], [0.005, "#deebf7"], [0.25, "#4292c6"], [1.0, "#08306b"]]


def _clean(a) -> list:
    """Floats with None where not finite (a gap in a line, a blank cell in a heatmap)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _rows(z) -> list[list]:
    return [_clean(row) for row in np.atleast_2d(np.asarray(z, dtype=float))]


def _color(i: int) -> str:
    return theme.CATEGORICAL[i % len(theme.CATEGORICAL)]


def curves_figure(x: np.ndarray, labels: list[str], f: np.ndarray, df: np.ndarray,
                  flat: list[list[tuple[float, float]]], threshold: float, view: str = "grid",
                  cols: int = 3) -> go.Figure:
    """f (solid) and f′ (dashed) of K activations over x (n,); f, df (K, n).

    ``flat[k]``: x-intervals of activation k where |f′| < threshold, shaded grey.
    view "grid": one panel per activation; "overlay": every f in one panel and every f′
    in the other, one colour per activation.
    """
    k = len(labels)
    data: list = []
    if view == "overlay":
        lay = panels.grid(1, 2, ("f(x)", "f′(x)"), hgap=0.08)
        for i, lab in enumerate(labels):
            line = {"color": _color(i), "width": 2.5, "dash": "solid" if i < len(theme.CATEGORICAL) else "dash"}
            data.append({"type": "scatter", "x": x, "y": f[i], "name": lab, "legendgroup": lab, "line": line,
                         "hovertemplate": f"{lab}<br>x=%{{x:.2f}}<br>f=%{{y:.3f}}<extra></extra>",
                         **panels.cell(1, 1, 2)})
            data.append({"type": "scatter", "x": x, "y": df[i], "name": lab, "legendgroup": lab, "line": line,
                         "showlegend": False, **panels.cell(1, 2, 2),
                         "hovertemplate": f"{lab}<br>x=%{{x:.2f}}<br>f′=%{{y:.3f}}<extra></extra>"})
        for c, title in ((1, "f(x)"), (2, "f′(x)")):
            panels.axis(lay, 1, c, 2, "x")["title"] = {"text": "x"}
            panels.axis(lay, 1, c, 2, "y")["title"] = {"text": title}
        lay.update(height=470, title={"text": "Every activation on one axis"},
                   legend={"orientation": "h", "y": -0.16, "yanchor": "top", "x": 0},
                   margin={"l": 60, "r": 20, "t": 80, "b": 90})
        return panels.figure(data, lay)
    cols = max(1, min(cols, k))
    rows = math.ceil(k / cols)
    lay = panels.grid(rows, cols, labels, hgap=0.06, vgap=0.14)
    shapes = []
    for i in range(k):
        r, c = i // cols + 1, i % cols + 1
        where = panels.cell(r, c, cols)
        data.append({"type": "scatter", "x": x, "y": f[i], "name": "f(x)", "legendgroup": "f",
                     "showlegend": i == 0, "line": {"color": F_COLOR, "width": 2.5}, **where,
                     "hovertemplate": f"{labels[i]}<br>x=%{{x:.2f}}<br>f=%{{y:.3f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": df[i], "name": "f′(x), by autograd", "legendgroup": "df",
                     "showlegend": i == 0, "line": {"color": DF_COLOR, "width": 2.5, "dash": "dash"}, **where,
                     "hovertemplate": f"{labels[i]}<br>x=%{{x:.2f}}<br>f′=%{{y:.3f}}<extra></extra>"})
        for a, b in flat[i]:
            shapes.append({"type": "rect", "xref": where["xaxis"], "yref": f"{where['yaxis']} domain", "x0": a,
                           "x1": b, "y0": 0, "y1": 1, "fillcolor": FLAT_FILL, "line": {"width": 0},
                           "layer": "below"})
        lo = float(min(np.min(f[i]), np.min(df[i]), 0.0))
        hi = float(max(np.max(f[i]), np.max(df[i]), 1.0))
        pad = 0.08 * (hi - lo)
        panels.axis(lay, r, c, cols, "y")["range"] = [lo - pad, hi + pad]
        panels.axis(lay, r, c, cols, "x")["range"] = [float(x[0]), float(x[-1])]
        if r == rows or i + cols >= k:
            panels.axis(lay, r, c, cols, "x")["title"] = {"text": "x"}
        if c == 1:
            panels.axis(lay, r, c, cols, "y")["title"] = {"text": "value"}
    data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                 "name": f"flat: |f′| < {threshold:g}",
                 "marker": {"symbol": "square", "size": 14, "color": "rgba(120, 130, 140, 0.4)"}})
    lay.update(height=130 + 240 * rows, shapes=shapes,
               title={"text": "f (solid) and its slope f′ (dashed); grey: the flat tails where little gradient "
                              "gets through"},
               legend={"orientation": "h", "y": 1.0 + 60 / (130 + 240 * rows), "yanchor": "bottom", "x": 1.0,
                       "xanchor": "right"},
               margin={"l": 60, "r": 20, "t": 110, "b": 50})
    return panels.figure(data, lay)


def dead_run_figure(epochs: np.ndarray, labels: list[str], train: np.ndarray, test: np.ndarray,
                    dead: np.ndarray, height: int = 340) -> go.Figure:
    """Loss and the share of dead hidden units over epochs, one colour per model.

    epochs (T,); train, test (T, K) binary cross-entropy; dead (T, K, L) share per layer
    (the right panel shows the mean over layers: the share of all hidden units).
    """
    lay = panels.grid(1, 2, ("Loss (solid: training, dotted: test)", "Dead units, all hidden layers"), hgap=0.09)
    t, k = train.shape if train.ndim == 2 else (0, len(labels))
    # mean over layers; a diverged model's NaN rows stay NaN (a gap), without numpy's warning
    total = dead.mean(axis=2) if dead.size else np.zeros((t, k))
    x = [int(e) for e in epochs]
    data = []
    for i, lab in enumerate(labels):
        line = {"color": _color(i), "width": 2.5}
        data.append({"type": "scatter", "x": x, "y": _clean(train[:, i]), "name": lab, "legendgroup": lab,
                     "line": line, **panels.cell(1, 1, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>training loss %{{y:.4f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": _clean(test[:, i]), "name": f"{lab} test", "legendgroup": lab,
                     "showlegend": False, "line": {**line, "width": 1.8, "dash": "dot"}, **panels.cell(1, 1, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>test loss %{{y:.4f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": _clean(total[:, i]), "name": lab, "legendgroup": lab,
                     "showlegend": False, "line": line, **panels.cell(1, 2, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>dead %{{y:.1%}}<extra></extra>"})
    mode = "lines+markers" if t <= 1 else "lines"
    for d in data:
        d["mode"] = mode
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "epoch"}, rangemode="tozero")
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": "binary cross-entropy"}, rangemode="tozero")
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "share of units dead"}, tickformat=".0%",
                                          range=[-0.02, 1.02])
    lay.update(height=height, title={"text": "Training and dying, side by side"},
               legend={"orientation": "h", "y": 1.13, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 60, "r": 20, "t": 95, "b": 50})
    return panels.figure(data, lay)


def dead_layers_figure(epochs: np.ndarray, labels: list[str], dead: np.ndarray, active: np.ndarray,
                       epoch_now: int) -> go.Figure:
    """Per model (columns): dead share of each layer over epochs (top heatmap) and each
    unit's share of inputs it passes gradient for at ``epoch_now`` (bottom; black = dead).

    epochs (T,); dead (T, K, L); active (K, L, W).
    """
    k, depth, width = active.shape
    titles = [f"{lab}: dead share per layer" for lab in labels] + [f"{lab}: each unit at epoch {epoch_now}"
                                                                   for lab in labels]
    lay = panels.grid(2, k, titles, hgap=0.05 if k > 2 else 0.08, vgap=0.22)
    layers = list(range(1, depth + 1))
    x = [int(e) for e in epochs]
    data = []
    for i in range(k):
        z = dead[:, i, :].T if len(x) else np.zeros((depth, 0))
        data.append({"type": "heatmap", "x": x, "y": layers, "z": _rows(z), "coloraxis": "coloraxis",
                     "hovertemplate": "epoch %{x}<br>layer %{y}<br>dead %{z:.0%}<extra></extra>",
                     **panels.cell(1, i + 1, k)})
        data.append({"type": "heatmap", "x": list(range(1, width + 1)), "y": layers, "z": _rows(active[i]),
                     "coloraxis": "coloraxis2", "xgap": 1, "ygap": 1, **panels.cell(2, i + 1, k),
                     "hovertemplate": "layer %{y}, unit %{x}<br>passes gradient for %{z:.0%} of the inputs"
                                      "<extra></extra>"})
        for r in (1, 2):
            panels.axis(lay, r, i + 1, k, "y").update(autorange="reversed", dtick=1, showgrid=False,
                                                      title={"text": "layer"} if i == 0 else None)
        panels.axis(lay, 1, i + 1, k, "x").update(title={"text": "epoch"}, showgrid=False)
        panels.axis(lay, 2, i + 1, k, "x").update(title={"text": "unit"}, showgrid=False)
    lay.update(
        height=260 + 64 * depth,
        title={"text": "Where the dead units are: a unit is dead when f′(z) = 0 for every training input"},
        coloraxis={"colorscale": DEAD_SCALE, "cmin": 0, "cmax": 1,
                   "colorbar": {"title": {"text": "dead"}, "tickformat": ".0%", "len": 0.38, "y": 0.8,
                                "thickness": 14}},
        coloraxis2={"colorscale": ACTIVE_SCALE, "cmin": 0, "cmax": 1,
                    "colorbar": {"title": {"text": "active for"}, "tickformat": ".0%", "len": 0.38, "y": 0.2,
                                 "thickness": 14}},
        margin={"l": 60, "r": 20, "t": 90, "b": 50})
    return panels.figure(data, lay)


def init_signal_figure(labels: list[str], std: np.ndarray, grad_std: np.ndarray, activation: str) -> go.Figure:
    """Activation std (left) and gradient std (right) per layer, log scale, one line per init.

    std, grad_std (I, L).
    """
    depth = std.shape[1]
    layers = list(range(1, depth + 1))
    lay = panels.grid(1, 2, ("Forward: std of the activations a_l", "Backward: std of the gradient ∂L/∂a_l"),
                      hgap=0.1)
    data = []
    for i, lab in enumerate(labels):
        for c, arr, what in ((1, std, "activation std"), (2, grad_std, "gradient std")):
            y = np.where(np.asarray(arr[i]) > 0, arr[i], np.nan)
            data.append({"type": "scatter", "x": layers, "y": _clean(y), "name": lab, "legendgroup": lab,
                         "showlegend": c == 1, "mode": "lines+markers", "marker": {"size": 7},
                         "line": {"color": _color(i), "width": 2.5}, **panels.cell(1, c, 2),
                         "hovertemplate": f"{lab}<br>layer %{{x}}<br>{what} %{{y:.3g}}<extra></extra>"})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "layer (depth)"}, dtick=1 if depth <= 12 else 2)
        panels.axis(lay, 1, c, 2, "y").update(type="log", exponentformat="power",
                                              title={"text": "std (log scale)"} if c == 1 else None)
    lay.update(height=390, title={"text": f"{activation} network at initialization: does the signal survive depth?"},
               legend={"orientation": "h", "y": 1.13, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 70, "r": 20, "t": 95, "b": 50})
    return panels.figure(data, lay)


def init_hist_figure(labels: list[str], edges: np.ndarray, hist: np.ndarray, zero: np.ndarray) -> go.Figure:
    """Per init (columns), each layer's histogram of |a| on a log scale, seen from above.

    edges (B+1,) of log10|a|; hist (I, L, B) shares; zero (I, L) share of exact zeros,
    drawn as an extra row below the others.
    """
    n_init, depth, _ = hist.shape
    step = float(edges[1] - edges[0])
    centers = (edges[:-1] + edges[1:]) / 2
    zero_y = float(edges[0] - step)
    ys = [zero_y, *[float(c) for c in centers]]
    lay = panels.grid(1, n_init, labels, hgap=0.03)
    # decades every 2, leaving out the lowest edge so its label does not crowd "exactly 0"
    ticks = [float(t) for t in np.arange(math.ceil(edges[0] / 2) * 2 + 2, edges[-1] + 1e-9, 2)]
    data = []
    for i in range(n_init):
        z = np.concatenate([zero[i][None, :], hist[i].T], axis=0)  # (B+1, L)
        data.append({"type": "heatmap", "x": list(range(1, depth + 1)), "y": ys, "z": _rows(z),
                     "coloraxis": "coloraxis", **panels.cell(1, i + 1, n_init),
                     "hovertemplate": "layer %{x}<br>log₁₀|a| ≈ %{y:.2f}<br>%{z:.1%} of the activations"
                                      "<extra></extra>"})
        panels.axis(lay, 1, i + 1, n_init, "x").update(title={"text": "layer"}, showgrid=False,
                                                       dtick=1 if depth <= 10 else 5)
        panels.axis(lay, 1, i + 1, n_init, "y").update(
            tickvals=[zero_y, *ticks], ticktext=["exactly 0", *[f"10<sup>{int(t)}</sup>" for t in ticks]],
            range=[zero_y - step / 2, float(edges[-1])], showgrid=False, showticklabels=i == 0,
            title={"text": "|activation| (log scale)"} if i == 0 else None)
    lay.update(height=430,
               title={"text": "Each column is one layer's histogram of |a| seen from above: the dark band sinks "
                              "(vanishing) or rises (exploding) with depth"},
               coloraxis={"colorscale": HIST_SCALE, "cmin": 0,
                          "colorbar": {"title": {"text": "share"}, "tickformat": ".0%", "thickness": 14}},
               margin={"l": 80, "r": 20, "t": 90, "b": 50})
    return panels.figure(data, lay)
