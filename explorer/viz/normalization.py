"""Figures for the normalization page: the side-by-side training run (loss and accuracy by
step), each layer's activation statistics while training, and BatchNorm's batch-size study.

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from explorer.viz import panels, theme

DASHES = ("solid", "dash", "dot", "dashdot")  # one per normalization in the training figure


def _clean(a) -> list:
    """Floats with None where not finite (a gap in the line)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _positive(a) -> list:
    """For a log axis: values ≤ 0 or not finite become gaps."""
    a = np.asarray(a, dtype=float)
    return _clean(np.where(a > 0, a, np.nan))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis spanning [lo, hi] (lo > 0): 1, 2, 5 × 10^k, or only the
    powers of ten when those would be too many."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [m * 10.0**k for k in range(k0, k1 + 1) for m in mantissas if lo <= m * 10.0**k <= hi]
        if len(ticks) <= 6:
            return ticks
    return ticks[:: math.ceil(len(ticks) / 6)]


def _color(i: int) -> str:
    return theme.CATEGORICAL[i % len(theme.CATEGORICAL)]


def layer_colors(n: int) -> list[str]:
    """n colours from the first (light) to the last (dark) layer: Viridis, readable with
    colour-vision deficiencies."""
    if n <= 1:
        return [sample_colorscale("Viridis", [0.45])[0]]
    return sample_colorscale("Viridis", [0.75 - 0.75 * i / (n - 1) for i in range(n)])


def training_figure(steps: np.ndarray, labels: list[str], train: np.ndarray, test_acc: np.ndarray,
                    height: int = 350) -> go.Figure:
    """Training loss (log scale) and test accuracy against weight updates, one colour per
    normalization. steps (T,); train, test_acc (T, K)."""
    lay = panels.grid(1, 2, ("Training loss (eval mode, whole training set)", "Test accuracy"), hgap=0.09)
    x = [int(s) for s in steps]
    data = []
    for i, lab in enumerate(labels):
        line = {"color": _color(i), "width": 2.5, "dash": DASHES[i % len(DASHES)]}
        data.append({"type": "scatter", "x": x, "y": _positive(train[:, i]), "name": lab, "legendgroup": lab,
                     "mode": "lines+markers", "line": line, "marker": {"size": 5}, **panels.cell(1, 1, 2),
                     "hovertemplate": f"{lab}<br>step %{{x}}<br>loss %{{y:.4f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": _clean(test_acc[:, i]), "name": lab, "legendgroup": lab,
                     "showlegend": False, "mode": "lines+markers", "line": line, "marker": {"size": 5},
                     **panels.cell(1, 2, 2),
                     "hovertemplate": f"{lab}<br>step %{{x}}<br>test accuracy %{{y:.1%}}<extra></extra>"})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "weight updates (steps)"}, rangemode="tozero")
    yloss = panels.axis(lay, 1, 1, 2, "y")
    yloss.update(title={"text": "cross-entropy (log scale)"}, type="log")
    pos = np.asarray(train, dtype=float)
    pos = pos[np.isfinite(pos) & (pos > 0)]
    if pos.size:
        lo, hi = pos.min() / 1.3, pos.max() * 1.3
        yloss.update(range=[math.log10(lo), math.log10(hi)], tickvals=log_ticks(lo, hi))
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "accuracy"}, tickformat=".0%", range=[0, 1.02])
    lay.update(height=height, title={"text": "Speed of training: the same network, seed and batches"},
               legend={"orientation": "h", "y": 1.13, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 70, "r": 20, "t": 95, "b": 50})
    return panels.figure(data, lay)


def stats_figure(epochs: np.ndarray, labels: list[str], mean: np.ndarray, std: np.ndarray) -> go.Figure:
    """Mean (top row) and standard deviation (bottom row, log scale) of each hidden block's
    output while training, one panel per normalization, one line per layer.

    epochs (T,); mean, std (T, K, L).
    """
    k, depth = mean.shape[1], mean.shape[2]
    colors = layer_colors(depth)
    lay = panels.grid(2, k, [*labels, *[""] * k], hgap=0.035, vgap=0.12)
    x = [int(e) for e in epochs]
    finite_std = std[np.isfinite(std) & (std > 0)]
    finite_mean = mean[np.isfinite(mean)]
    data = []
    for i in range(k):
        for li in range(depth):
            name = f"layer {li + 1}"
            line = {"color": colors[li], "width": 2}
            data.append({"type": "scatter", "x": x, "y": _clean(mean[:, i, li]), "name": name, "legendgroup": name,
                         "showlegend": i == 0, "line": line, **panels.cell(1, i + 1, k),
                         "hovertemplate": f"{labels[i]}, {name}<br>epoch %{{x}}<br>mean %{{y:.3f}}<extra></extra>"})
            data.append({"type": "scatter", "x": x, "y": _positive(std[:, i, li]), "name": name,
                         "legendgroup": name, "showlegend": False, "line": line, **panels.cell(2, i + 1, k),
                         "hovertemplate": f"{labels[i]}, {name}<br>epoch %{{x}}<br>std %{{y:.3g}}<extra></extra>"})
        panels.axis(lay, 1, i + 1, k, "x").update(showticklabels=False)
        panels.axis(lay, 2, i + 1, k, "x").update(title={"text": "epoch"})
        # shared y ranges per row, so the panels compare at a glance
        if finite_mean.size:
            lo, hi = float(min(finite_mean.min(), 0.0)), float(finite_mean.max())
            pad = 0.08 * max(hi - lo, 1e-3)
            panels.axis(lay, 1, i + 1, k, "y").update(range=[lo - pad, hi + pad], showticklabels=i == 0)
        ystd = panels.axis(lay, 2, i + 1, k, "y")
        ystd.update(type="log", showticklabels=i == 0)
        if finite_std.size:
            lo, hi = finite_std.min() / 1.4, finite_std.max() * 1.4
            ystd.update(range=[math.log10(lo), math.log10(hi)], tickvals=log_ticks(lo, hi))
    panels.axis(lay, 1, 1, k, "y")["title"] = {"text": "mean"}
    panels.axis(lay, 2, 1, k, "y")["title"] = {"text": "std (log scale)"}
    lay.update(height=520, title={"text": "Each hidden layer's output (after the norm and ReLU) while training"},
               legend={"orientation": "h", "y": 1.09, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 70, "r": 20, "t": 100, "b": 50})
    return panels.figure(data, lay)


def study_figure(labels: list[str], batch_sizes: list[int], curves: list[list[tuple[np.ndarray, np.ndarray]]],
                 train_mode_acc: np.ndarray, eval_mode_acc: np.ndarray, test_acc: np.ndarray) -> go.Figure:
    """The batch-size study in three panels, one colour per normalization throughout.

    curves[i][j] = (epochs (T,), minibatch loss (T,)) of norm i at batch size j (dash =
    batch size); the accuracy arrays are (N, B). In the middle panel solid is evaluation
    mode (running statistics) and dotted training mode (each batch's own statistics), so
    their distance is the train/eval gap.
    """
    lay = panels.grid(1, 3, ("Minibatch loss while training", "Training set: eval mode vs train mode",
                             "Test accuracy (eval mode)"), hgap=0.1)
    dashes = ("solid", "dot", "dash", "longdash", "dashdot", "longdashdot", "5px 2px")
    data = []
    for i, lab in enumerate(labels):
        for j, b in enumerate(batch_sizes):
            x, y = curves[i][j]
            data.append({"type": "scatter", "x": _clean(x), "y": _clean(y), "name": f"{lab}, batch {b}",
                         "showlegend": False, "line": {"color": _color(i), "width": 2.2,
                                                       "dash": dashes[j % len(dashes)]},
                         **panels.cell(1, 1, 3),
                         "hovertemplate": f"{lab}, batch {b}<br>epoch %{{x:.2f}}<br>loss %{{y:.3f}}<extra></extra>"})
    xcat = [str(b) for b in batch_sizes]
    for i, lab in enumerate(labels):  # legend: normalizations by colour …
        color = _color(i)
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": lab, "legendgroup": lab,
                     "line": {"color": color, "width": 3}, **panels.cell(1, 1, 3)})
        data.append({"type": "scatter", "x": xcat, "y": _clean(eval_mode_acc[i]), "name": f"{lab}, eval mode",
                     "legendgroup": lab, "showlegend": False, "mode": "lines+markers",
                     "line": {"color": color, "width": 2.5}, "marker": {"size": 9}, **panels.cell(1, 2, 3),
                     "hovertemplate": f"{lab}<br>batch %{{x}}<br>eval mode (running stats) %{{y:.1%}}<extra></extra>"})
        data.append({"type": "scatter", "x": xcat, "y": _clean(train_mode_acc[i]), "name": f"{lab}, train mode",
                     "legendgroup": lab, "showlegend": False, "mode": "lines+markers",
                     "line": {"color": color, "width": 2.5, "dash": "dot"},
                     "marker": {"size": 9, "symbol": "circle-open"}, **panels.cell(1, 2, 3),
                     "hovertemplate": f"{lab}<br>batch %{{x}}<br>train mode (batch stats) %{{y:.1%}}<extra></extra>"})
        data.append({"type": "scatter", "x": xcat, "y": _clean(test_acc[i]), "name": lab, "legendgroup": lab,
                     "showlegend": False, "mode": "lines+markers", "line": {"color": color, "width": 2.5},
                     "marker": {"size": 9}, **panels.cell(1, 3, 3),
                     "hovertemplate": f"{lab}<br>batch %{{x}}<br>test accuracy %{{y:.1%}}<extra></extra>"})
    for j, b in enumerate(batch_sizes):  # … batch sizes by dash (left panel)
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": f"batch {b}",
                     "line": {"color": "#555", "width": 2.2, "dash": dashes[j % len(dashes)]}, **panels.cell(1, 1, 3)})
    data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines+markers",
                 "name": "middle panel, dotted ○: train mode", "line": {"color": "#555", "width": 2, "dash": "dot"},
                 "marker": {"symbol": "circle-open", "size": 9}, **panels.cell(1, 2, 3)})
    panels.axis(lay, 1, 1, 3, "x")["title"] = {"text": "epoch"}
    panels.axis(lay, 1, 1, 3, "y").update(title={"text": "cross-entropy"}, rangemode="tozero")
    for c in (2, 3):
        panels.axis(lay, 1, c, 3, "x").update(title={"text": "batch size"}, type="category")
        panels.axis(lay, 1, c, 3, "y").update(tickformat=".0%", range=[0, 1.02],
                                              title={"text": "accuracy"} if c == 2 else None)
    lay.update(height=460, title={"text": "BatchNorm and the batch size: the same epochs, learning rate and seed"},
               legend={"orientation": "h", "y": -0.27, "yanchor": "top", "x": 0},
               margin={"l": 70, "r": 20, "t": 90, "b": 120})
    return panels.figure(data, lay)
