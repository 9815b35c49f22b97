"""Figures of the Neural Network Playground: decision boundary, network diagram, losses.

Plain NumPy in, plotly Figure out. Maps use the peer's colours: orange −1, grey 0,
blue +1. Figures are built from dicts without per-property validation (a frame must be
drawn in a few milliseconds while training runs live).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import raster, theme

EXTENT = 6.0


def _fig(data: list, layout: dict) -> go.Figure:
    layout = {"template": theme.TEMPLATE, **layout}
    return go.Figure(data=data, layout=layout, skip_invalid=False, _validate=False)


def boundary_figure(values: np.ndarray, train_xy: np.ndarray, train_y: np.ndarray,
                    test_xy: np.ndarray, test_y: np.ndarray, *, multiclass: bool = False,
                    regression: bool = False, show_test: bool = False, discretize: bool = False,
                    title: str = "Output", height: int = 460) -> go.Figure:
    """The model's output over the [-6, 6]² view with the data on top.

    values: (n, n) in about [-1, 1] (row 0 = top, y = +6), or (K, n, n) class
    probabilities when ``multiclass``. Labels: ±1, class ids, or real numbers (regression).
    """
    data, axes = boundary_traces(values, train_xy, train_y, test_xy, test_y, multiclass=multiclass,
                                 regression=regression, show_test=show_test, discretize=discretize)
    layout = {"title": {"text": title}, "height": height, **axes,
              "legend": {"orientation": "h", "y": -0.12, "x": 0},
              "margin": {"l": 50, "r": 10, "t": 45, "b": 40}}
    return _fig(data, layout)


def boundary_traces(values, train_xy, train_y, test_xy, test_y, *, multiclass=False, regression=False,
                    show_test=False, discretize=False, ax: str = "", colorbar_x: float = 1.02):
    """Traces and axis layout of :func:`boundary_figure` on axes ``x{ax}``/``y{ax}``."""
    if multiclass:
        n = values.shape[-1]
        img = raster.class_colors(values)
        d = 2 * EXTENT / (n - 1)
        bg = {"type": "image", "z": img, "x0": -EXTENT, "dx": d, "y0": EXTENT, "dy": -d,
              "hoverinfo": "skip", "name": "prediction"}
    else:
        n = values.shape[-1]
        z = np.where(values >= 0, 1.0, -1.0) if discretize else values
        axis = np.linspace(-EXTENT, EXTENT, n)
        bg = {"type": "heatmap", "z": z[::-1].astype(np.float32), "x": axis.astype(np.float32), "y": axis.astype(np.float32), "zmin": -1, "zmax": 1,
              "colorscale": theme.DIVERGING, "showscale": True, "name": "output",
              "colorbar": {"title": {"text": "value" if regression else "class"}, "len": 0.8, "thickness": 14,
                           "tickvals": [-1, 0, 1], "x": colorbar_x},
              "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>output=%{z:.3f}<extra></extra>"}
    data = [bg]
    sets = [("train", train_xy, train_y, "white")]
    if show_test:
        sets.append(("test", test_xy, test_y, "black"))
    for name, xy, y, edge in sets:
        if len(y) == 0:
            continue
        inside = (np.abs(xy) <= EXTENT).all(axis=1)
        xy, y = xy[inside], y[inside]
        if multiclass:
            color = [theme.CATEGORICAL[int(c) % len(theme.CATEGORICAL)] for c in y]
            marker = {"color": color}
        else:
            marker = {"color": y, "colorscale": theme.DIVERGING, "cmin": -1, "cmax": 1}
        marker.update(size=7 if name == "train" else 8, line={"color": edge, "width": 1.2},
                      symbol="circle" if name == "train" else "diamond")
        data.append({"type": "scattergl" if len(y) > 600 else "scatter", "mode": "markers",
                     "x": xy[:, 0], "y": xy[:, 1], "name": f"{name} points", "marker": marker,
                     "customdata": y, "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>label=%{customdata:.3g}"
                     f"<extra>{name}</extra>"})
    for t in data:
        t.update(xaxis=f"x{ax}", yaxis=f"y{ax}")
    axes = {f"xaxis{ax}": {"title": {"text": "x₁"}, "range": [-EXTENT, EXTENT], "constrain": "domain",
                           "showgrid": False, "anchor": f"y{ax}"},
            f"yaxis{ax}": {"title": {"text": "x₂"}, "range": [-EXTENT, EXTENT], "scaleanchor": f"x{ax}",
                           "showgrid": False, "anchor": f"x{ax}", "constrain": "domain"}}
    return data, axes


WIDTH_EDGES = (0.1, 0.3, 0.7, 1.5, 3.0)
WIDTHS = (0.6, 1.2, 2.2, 3.5, 5.0, 7.0)


def network_figure(layer_sizes: tuple, input_labels: list[str], maps: list[np.ndarray],
                   weights: list[np.ndarray], biases: list[np.ndarray], *, dead: list | None = None,
                   output_labels: list[str] | None = None, thumb: int = 20,
                   title: str = "Network", height: int | None = None) -> go.Figure:
    """Every neuron as a small map of its output over the view; every edge coloured by the
    weight's sign (blue +, orange −) with width by magnitude.

    maps: per layer (nodes, n, n) in about [-1, 1]; weights: per layer (out, in);
    biases: per layer (out,); dead: per layer (out, in) bool of weights frozen by L1.
    """
    data, axes, ann = network_traces(layer_sizes, input_labels, maps, weights, biases, dead=dead,
                                     output_labels=output_labels, thumb=thumb)
    layout = {"title": {"text": title}, "height": height or network_height(layer_sizes), "annotations": ann,
              "showlegend": False, **axes, "margin": {"l": 10, "r": 10, "t": 45, "b": 10},
              "plot_bgcolor": "white"}
    return _fig(data, layout)


def network_height(layer_sizes: tuple) -> int:
    return int(170 + 55 * max(layer_sizes))


def network_traces(layer_sizes, input_labels, maps, weights, biases, *, dead=None, output_labels=None,
                   thumb: int = 20, ax: str = ""):
    """Traces, axis layout and annotations of :func:`network_figure` on axes ``x{ax}``/``y{ax}``."""
    gap_x, gap_y, s = 2.8, 1.35, 1.0
    max_nodes = max(layer_sizes)
    xs = [i * gap_x for i in range(len(layer_sizes))]

    def ys(count):
        top = (max_nodes - 1) * gap_y / 2
        start = top - (max_nodes - count) * gap_y / 2
        return [start - j * gap_y for j in range(count)]

    pos = [[(xs[li], y) for y in ys(n)] for li, n in enumerate(layer_sizes)]
    data: list = []
    # edges grouped by (sign, width bin, dead) → one trace each, None-separated segments
    groups: dict = {}
    mids_x, mids_y, mids_t = [], [], []
    for li, w in enumerate(weights):
        d = dead[li] if dead is not None else np.zeros(w.shape, bool)
        bins = np.searchsorted(WIDTH_EDGES, np.abs(w))
        for o in range(w.shape[0]):
            x1, y1 = pos[li + 1][o]
            for i in range(w.shape[1]):
                x0, y0 = pos[li][i]
                key = (bool(w[o, i] >= 0), int(bins[o, i]), bool(d[o, i]))
                seg = groups.setdefault(key, ([], []))
                seg[0].extend((x0 + s / 2, x1 - s / 2, None))
                seg[1].extend((y0, y1, None))
                mids_x.append((x0 + x1) / 2)
                mids_y.append((y0 + y1) / 2)
                mids_t.append(f"weight {w[o, i]:+.3f}" + (" (dead: L1 froze it at 0)" if d[o, i] else ""))
    for (pos_sign, b, is_dead), (sx, sy) in sorted(groups.items()):
        color = "#b8bec6" if is_dead else (theme.POSITIVE if pos_sign else theme.NEGATIVE)
        data.append({"type": "scatter", "mode": "lines", "x": sx, "y": sy, "hoverinfo": "skip",
                     "showlegend": False, "line": {"color": color, "width": WIDTHS[b],
                                                   "dash": "dot" if is_dead else "solid"},
                     "opacity": 0.75})
    data.append({"type": "scatter", "mode": "markers", "x": mids_x, "y": mids_y, "text": mids_t,
                 "hovertemplate": "%{text}<extra></extra>", "marker": {"size": 6, "opacity": 0},
                 "showlegend": False})
    # node maps
    cell = s / thumb
    node_x, node_y, node_t = [], [], []
    for li, layer in enumerate(maps):
        for j in range(layer.shape[0]):
            cx, cy = pos[li][j]
            m = layer[j]
            if m.shape[0] != thumb:
                m = raster.block_mean(m, thumb)
            data.append({"type": "heatmap", "z": m[::-1].astype(np.float32), "x0": cx - s / 2 + cell / 2, "dx": cell,
                         "y0": cy - s / 2 + cell / 2, "dy": cell, "zmin": -1, "zmax": 1,
                         "colorscale": theme.DIVERGING, "showscale": False, "hoverinfo": "skip"})
            node_x.append(cx)
            node_y.append(cy)
            if li == 0:
                node_t.append(f"input {input_labels[j]}")
            else:
                kind = "output" if li == len(maps) - 1 else f"hidden layer {li}"
                name = output_labels[j] if (li == len(maps) - 1 and output_labels) else f"neuron {j + 1}"
                node_t.append(f"{kind}, {name}<br>bias {biases[li - 1][j]:+.3f}")
    data.append({"type": "scatter", "mode": "markers", "x": node_x, "y": node_y, "text": node_t,
                 "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
                 "marker": {"symbol": "square", "size": 30, "opacity": 0}})
    # labels
    top = (max_nodes - 1) * gap_y / 2 + s / 2 + 0.25
    ann = []
    for li, n in enumerate(layer_sizes):
        name = "Input" if li == 0 else ("Output" if li == len(layer_sizes) - 1 else f"Hidden {li}")
        ann.append({"x": xs[li], "y": top, "text": f"<b>{name}</b><br>{n} {'feature' if li == 0 else 'neuron'}"
                    f"{'' if n == 1 else 's'}", "showarrow": False, "yanchor": "bottom", "font": {"size": 13}})
    for j, lab in enumerate(input_labels):
        ann.append({"x": xs[0] - s / 2 - 0.1, "y": pos[0][j][1], "text": lab, "showarrow": False,
                    "xanchor": "right", "font": {"size": 14}})
    if output_labels:
        for j, lab in enumerate(output_labels):
            ann.append({"x": xs[-1] + s / 2 + 0.1, "y": pos[-1][j][1], "text": lab, "showarrow": False,
                        "xanchor": "left", "font": {"size": 13}})
    for t in data:
        t.update(xaxis=f"x{ax}", yaxis=f"y{ax}")
    for a in ann:
        a.update(xref=f"x{ax}", yref=f"y{ax}")
    axes = {f"xaxis{ax}": {"visible": False, "range": [-1.6, xs[-1] + 1.6], "fixedrange": True,
                           "anchor": f"y{ax}"},
            f"yaxis{ax}": {"visible": False, "scaleanchor": f"x{ax}", "fixedrange": True, "anchor": f"x{ax}",
                           "range": [-(max_nodes - 1) * gap_y / 2 - 0.8, top + 1.1], "constrain": "domain"}}
    return data, axes, ann


def playground_figure(net: dict, boundary: dict, *, split: float = 0.56, title_net: str = "Network",
                      title_out: str = "Output", height: int = 480) -> go.Figure:
    """The network (left) and the output map (right) in one figure — one chart to update per
    frame. ``net`` and ``boundary`` are the keyword arguments of :func:`network_traces` and
    :func:`boundary_traces`."""
    nd, naxes, ann = network_traces(**net, ax="")
    bd, baxes = boundary_traces(**boundary, ax="2", colorbar_x=1.0)
    naxes["xaxis"]["domain"] = [0.0, split - 0.04]
    baxes["xaxis2"]["domain"] = [split + 0.03, 0.95]
    titles = [{"text": f"<b>{title_net}</b>", "x": 0.0, "xref": "paper", "y": 1.0, "yref": "paper",
               "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 16}},
              {"text": f"<b>{title_out}</b>", "x": split + 0.03, "xref": "paper", "y": 1.0, "yref": "paper",
               "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 16}}]
    layout = {"height": max(height, network_height(net["layer_sizes"])), "annotations": ann + titles,
              **naxes, **baxes, "legend": {"orientation": "h", "x": split + 0.03, "y": -0.06, "yanchor": "top"},
              "margin": {"l": 10, "r": 10, "t": 40, "b": 50}, "plot_bgcolor": "white"}
    return _fig(nd + bd, layout)


def loss_figure(epochs, train, test, *, marker: int | None = None, ylabel: str = "loss",
                title: str = "Loss", log_y: bool = False, height: int = 300) -> go.Figure:
    """Train and test loss per epoch; ``marker`` draws a line at the epoch being shown."""
    data = [{"type": "scatter", "mode": "lines", "x": epochs, "y": train, "name": "train",
             "line": {"color": theme.TRAIN_COLOR, "width": 2.5}},
            {"type": "scatter", "mode": "lines", "x": epochs, "y": test, "name": "test",
             "line": {"color": theme.TEST_COLOR, "width": 2.5, "dash": "dash"}}]
    shapes = []
    if marker is not None:
        shapes.append({"type": "line", "x0": marker, "x1": marker, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": "#555", "width": 1.5, "dash": "dot"}})
    layout = {"title": {"text": title}, "height": height, "shapes": shapes,
              "xaxis": {"title": {"text": "epoch"}},
              "yaxis": {"title": {"text": ylabel}, "type": "log" if log_y else "linear"},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 60, "r": 10, "t": 60, "b": 45}}
    return _fig(data, layout)
