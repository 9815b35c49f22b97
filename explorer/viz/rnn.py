"""Figures for the RNN page: the three cells racing (loss and accuracy), one cell's gates
over time as heatmaps, the gradient reaching each earlier time step (log scale), and the
hidden-state trajectory in its first two principal components.

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from explorer.viz import panels, theme

GATE_SCALE = "Viridis"                                    # gates live in [0, 1]
STATE_SCALE = [[0.0, theme.NEGATIVE], [0.5, "#f7f7f7"], [1.0, theme.POSITIVE]]  # states in [−1, 1]
STATE_NAMES = ("c", "h", "g", "n")   # tanh-valued rows, drawn on the diverging scale


def _clean(a) -> list:
    """Floats with None where not finite (a gap in a line, a blank cell in a heatmap)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _positive(a) -> list:
    a = np.asarray(a, dtype=float)
    return _clean(np.where(a > 0, a, np.nan))


def _color(i: int) -> str:
    return theme.CATEGORICAL[i % len(theme.CATEGORICAL)]


def race_figure(epochs: np.ndarray, labels: list[str], train: np.ndarray, test: np.ndarray, token_acc: np.ndarray,
                seq_acc: np.ndarray, loss_name: str = "cross-entropy", acc_names=("per step", "whole sequence"),
                height: int = 360) -> go.Figure:
    """Loss (solid: training, dotted: test) and test accuracy (solid: ``acc_names[0]``,
    dotted: ``acc_names[1]``; one line when they are the same measure) per cell.
    epochs (N,); train, test, token_acc, seq_acc (N, K)."""
    lay = panels.grid(1, 2, ("Loss (solid: training, dotted: test)",
                             "Test accuracy" + (f" (solid: {acc_names[0]}, dotted: {acc_names[1]})"
                                                if acc_names[1] else "")), hgap=0.09)
    x = [int(e) for e in epochs]
    mode = "lines+markers" if len(x) <= 1 else "lines"
    data = []
    for i, lab in enumerate(labels):
        line = {"color": _color(i), "width": 2.5}
        dot = {**line, "width": 1.8, "dash": "dot"}
        data.append({"type": "scatter", "x": x, "y": _clean(train[:, i]), "name": lab, "legendgroup": lab,
                     "mode": mode, "line": line, **panels.cell(1, 1, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>training loss %{{y:.4f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": _clean(test[:, i]), "name": f"{lab} test", "legendgroup": lab,
                     "showlegend": False, "mode": mode, "line": dot, **panels.cell(1, 1, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>test loss %{{y:.4f}}<extra></extra>"})
        data.append({"type": "scatter", "x": x, "y": _clean(token_acc[:, i]), "name": lab, "legendgroup": lab,
                     "showlegend": False, "mode": mode, "line": line, **panels.cell(1, 2, 2),
                     "hovertemplate": f"{lab}<br>epoch %{{x}}<br>{acc_names[0]} %{{y:.1%}}<extra></extra>"})
        if acc_names[1]:
            data.append({"type": "scatter", "x": x, "y": _clean(seq_acc[:, i]), "name": lab, "legendgroup": lab,
                         "showlegend": False, "mode": mode, "line": dot, **panels.cell(1, 2, 2),
                         "hovertemplate": f"{lab}<br>epoch %{{x}}<br>{acc_names[1]} %{{y:.1%}}<extra></extra>"})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "epoch"}, rangemode="tozero")
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": loss_name}, rangemode="tozero")
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "accuracy"}, tickformat=".0%", range=[-0.02, 1.02])
    lay.update(height=height, title={"text": "The race: the same task, seed and batches for every cell"},
               legend={"orientation": "h", "y": 1.13, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 60, "r": 20, "t": 95, "b": 50})
    return panels.figure(data, lay)


def gates_figure(ticks: list[str], rows: list[tuple[str, str, np.ndarray]], title: str,
                 row_height: int = 150) -> go.Figure:
    """One heatmap per gate, stacked, time on x (labelled with the input symbols), units on y.

    rows: (name, label, values (T, H)); names in STATE_NAMES are tanh-valued and use the
    diverging scale in [−1, 1] (c may exceed it and saturates the colour), the others the
    gate scale in [0, 1]."""
    n = len(rows)
    lay = panels.grid(n, 1, [label for _, label, _ in rows], vgap=min(0.1, 0.3 / max(n, 1)))
    t = len(ticks)
    x = list(range(1, t + 1))
    text = [f"{i}: {s}" for i, s in enumerate(ticks, 1)]
    data, shown = [], set()
    for r, (name, label, z) in enumerate(rows, 1):
        z = np.asarray(z, dtype=float)
        units = list(range(1, z.shape[1] + 1))
        axis = "coloraxis2" if name in STATE_NAMES else "coloraxis"
        shown.add(axis)
        data.append({"type": "heatmap", "x": x, "y": units, "z": [_clean(u) for u in z.T], "coloraxis": axis,
                     "customdata": [text] * len(units), **panels.cell(r, 1, 1),
                     "hovertemplate": f"{label}<br>step %{{customdata}}<br>unit %{{y}}<br>value %{{z:.3f}}"
                                      "<extra></extra>"})
        panels.axis(lay, r, 1, 1, "y").update(title={"text": "unit"}, showgrid=False, autorange="reversed")
        panels.axis(lay, r, 1, 1, "x").update(showgrid=False, tickmode="array", tickvals=x,
                                              ticktext=list(ticks) if t <= 40 else None, showticklabels=r == n)
    panels.axis(lay, n, 1, 1, "x")["title"] = {"text": "time step, labelled with its input"}
    height = 90 + row_height * n + 40
    bar = {"thickness": 14, "len": min(0.45, 1.0 / max(n, 1) + 0.1)}
    lay.update(height=height, title={"text": title}, margin={"l": 60, "r": 20, "t": 80, "b": 55})
    if "coloraxis" in shown:
        lay["coloraxis"] = {"colorscale": GATE_SCALE, "cmin": 0, "cmax": 1,
                            "colorbar": {**bar, "title": {"text": "gate"}, "y": 1.0, "yanchor": "top"}}
    if "coloraxis2" in shown:
        lay["coloraxis2"] = {"colorscale": STATE_SCALE, "cmin": -1, "cmax": 1,
                             "colorbar": {**bar, "title": {"text": "state"}, "y": 0.0, "yanchor": "bottom"}}
    return panels.figure(data, lay)


def _log_range(arrays) -> list[float] | None:
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays]) if arrays else np.array([])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if not vals.size:
        return None
    lo, hi = math.log10(max(vals.min(), 1e-30)), math.log10(vals.max())
    pad = max(0.3, 0.06 * (hi - lo))
    return [lo - pad, hi + pad]


def length_colors(n: int) -> list[str]:
    """One colour per sequence length, light (short) to dark (long) — Viridis."""
    if n <= 1:
        return [sample_colorscale("Viridis", [0.4])[0]]
    return sample_colorscale("Viridis", [0.8 - 0.8 * i / (n - 1) for i in range(n)])


def gradient_figure(lengths: list[int], labels: list[str], rows: list[tuple[str, list[list[np.ndarray]]]],
                    height_per_row: int = 290) -> go.Figure:
    """‖∂L_T/∂h_t‖ against t, log scale: one column per cell, one row per weight state.

    rows: (row title, norms) with norms[k][j] the (lengths[j],) curve of cell k. Every panel
    shares one y range, so decay rates compare across cells and rows."""
    k, nrows = len(labels), len(rows)
    titles = [f"{lab} · {name}" for name, _ in rows for lab in labels]
    lay = panels.grid(nrows, k, titles, hgap=0.05 if k > 2 else 0.08, vgap=0.2 if nrows > 1 else 0.0)
    colors = length_colors(len(lengths))
    data = []
    for r, (_, norms) in enumerate(rows, 1):
        for c in range(1, k + 1):
            for j, t_len in enumerate(lengths):
                y = norms[c - 1][j]
                data.append({"type": "scatter", "x": list(range(1, len(y) + 1)), "y": _positive(y),
                             "name": f"T = {t_len}", "legendgroup": f"T{t_len}",
                             "showlegend": r == 1 and c == 1, "mode": "lines",
                             "line": {"color": colors[j], "width": 2.2}, **panels.cell(r, c, k),
                             "hovertemplate": f"T = {t_len}<br>t = %{{x}}<br>‖∂L_T/∂h_t‖ = %{{y:.2e}}"
                                              "<extra></extra>"})
    rng = _log_range([a for _, norms in rows for per_cell in norms for a in per_cell])
    for r in range(1, nrows + 1):
        for c in range(1, k + 1):
            ya = panels.axis(lay, r, c, k, "y")
            ya.update(type="log", exponentformat="power", dtick=2 if rng and rng[1] - rng[0] > 8 else 1)
            if rng:
                ya["range"] = rng
            if c == 1:
                ya["title"] = {"text": "‖∂L_T/∂h_t‖ (log)"}
            if r == nrows:
                panels.axis(lay, r, c, k, "x")["title"] = {"text": "time step t"}
    lay.update(height=110 + height_per_row * nrows,
               title={"text": "How much gradient reaches step t from a loss read at the last step T"},
               legend={"orientation": "h", "y": 1.0 + 70 / (110 + height_per_row * nrows), "yanchor": "bottom",
                       "x": 1.0, "xanchor": "right", "title": {"text": "sequence length"}},
               margin={"l": 70, "r": 20, "t": 110, "b": 50})
    return panels.figure(data, lay)


def trajectory_figure(cloud: np.ndarray, value: np.ndarray, value_name: str, path: np.ndarray, ticks: list[str],
                      explained: np.ndarray, title: str, height: int = 470) -> go.Figure:
    """The typed sequence's hidden states h_1…h_T (numbered, joined in order) over the cloud
    of test-set states, in the first two principal components.

    cloud (N, 2) with value (N,) (its colour: the running quantity ``value_name``);
    path (T, 2); ticks (T,) input symbols; explained (2,) variance shares of the axes."""
    path = np.asarray(path, dtype=float)
    t = len(path)
    labels = [f"{i}" for i in range(1, t + 1)]
    data = [
        {"type": "scattergl" if len(cloud) > 3000 else "scatter", "x": _clean(cloud[:, 0]), "y": _clean(cloud[:, 1]),
         "mode": "markers", "name": "test-set states",
         "marker": {"size": 5, "color": _clean(value), "colorscale": "Viridis", "opacity": 0.45,
                    "colorbar": {"title": {"text": value_name, "side": "right"}, "thickness": 14, "len": 0.8}},
         "hovertemplate": f"{value_name}: %{{marker.color}}<extra>test-set state</extra>"},
        {"type": "scatter", "x": _clean(path[:, 0]), "y": _clean(path[:, 1]), "mode": "lines+markers+text",
         "name": "your sequence", "text": labels, "textposition": "top center",
         "textfont": {"size": 13, "color": "#1b1f24"}, "customdata": list(ticks),
         "line": {"color": theme.CATEGORICAL[5], "width": 2},
         "marker": {"size": 9, "color": theme.CATEGORICAL[5], "line": {"color": "white", "width": 1}},
         "hovertemplate": "step %{text}, input %{customdata}<br>PC1 %{x:.3f}, PC2 %{y:.3f}<extra></extra>"},
    ]
    if t:
        data.append({"type": "scatter", "x": [float(path[0, 0])], "y": [float(path[0, 1])], "mode": "markers",
                     "name": "step 1", "marker": {"size": 15, "symbol": "diamond-open", "color": "#1b1f24",
                                                  "line": {"width": 2}}, "hoverinfo": "skip"})
    ex = np.asarray(explained, dtype=float)
    layout = {"height": height, "title": {"text": title},
              "xaxis": {"title": {"text": f"PC 1 ({100 * ex[0]:.0f} % of the variance)"}, "zeroline": False},
              "yaxis": {"title": {"text": f"PC 2 ({100 * ex[1]:.0f} %)"}, "zeroline": False},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0.0},
              "margin": {"l": 60, "r": 20, "t": 90, "b": 50}}
    return panels.figure(data, layout)
