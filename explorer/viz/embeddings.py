"""Figures of the latent-space explorer: the 2-D map of a layer's activations, coloured by a
category (label, prediction, right/wrong, split) or a number (loss, neighbours kept), with a
chosen point and its nearest neighbours in the original space marked; the same marks on the
input plane of a 2-D data set.

Every point carries its index into the source's inputs as ``customdata`` (what a selection
returns), and hover text names its label, prediction and loss.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

MAX_CATEGORIES = 12
PALETTE = theme.CATEGORICAL + ("#8c564b", "#7f7f7f", "#bcbd22", "#17becf")
FOCUS_COLOR = "#d62728"


def category_colors(n: int) -> list[str]:
    """``n`` distinct colours from the theme's palette (cycled past its length)."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def hover_text(index: np.ndarray, label: list[str], pred: list[str] | None = None,
               loss: np.ndarray | None = None, extra: list[str] | None = None) -> list[str]:
    """One hover line per point: ``#index · label`` [``· predicted … · loss …``] [extra], with
    any ``<``/``>`` escaped (plotly hover text is HTML)."""
    out = []
    for j, i in enumerate(np.asarray(index)):
        parts = [f"#{int(i)} · label <b>{html.escape(str(label[j]))}</b>"]
        if pred is not None:
            parts.append(f"predicted <b>{html.escape(str(pred[j]))}</b>")
        if loss is not None:
            parts.append(f"loss {float(loss[j]):.3g}")
        if extra is not None:
            parts.append(html.escape(str(extra[j])))
        out.append("<br>".join([parts[0], " · ".join(parts[1:])]) if len(parts) > 1 else parts[0])
    return out


def _marks(fig: go.Figure, xy: np.ndarray, focus: int | None, near: np.ndarray | None, k_label: str) -> None:
    if near is not None and len(near):
        fig.add_trace(go.Scatter(x=xy[near, 0], y=xy[near, 1], mode="markers", name=k_label,
                                 marker=dict(size=13, color="rgba(0,0,0,0)", line=dict(color=FOCUS_COLOR, width=2)),
                                 customdata=np.asarray(near), hoverinfo="skip"))
    if focus is not None:
        fig.add_trace(go.Scatter(x=[xy[focus, 0]], y=[xy[focus, 1]], mode="markers", name="chosen point",
                                 marker=dict(size=18, symbol="star", color=FOCUS_COLOR, line=dict(color="white", width=1)),
                                 customdata=[int(focus)], hoverinfo="skip"))


def map_figure(xy: np.ndarray, hover: list[str], title: str, x_title: str, y_title: str, *,
               categories: np.ndarray | None = None, names: list[str] | None = None,
               scale: np.ndarray | None = None, scale_title: str = "", scale_range: tuple | None = None,
               colorscale: str = "Viridis", focus: int | None = None, near: np.ndarray | None = None,
               near_label: str = "its nearest neighbours in the layer", height: int = 620,
               index: np.ndarray | None = None, colors: list[str] | None = None) -> go.Figure:
    """The 2-D map ``xy`` ``[N, 2]``: one WebGL trace per category of ``categories`` ``[N]``
    (ints into ``names``, in the legend) or one trace coloured by ``scale`` ``[N]`` (with a colour
    bar), ``hover`` one line per point; ``focus`` (a row) gets a star and ``near`` (rows) rings.
    ``customdata`` of each point is ``index[row]`` (default: the row); ``colors`` one per category
    (default: the theme's palette)."""
    xy = np.asarray(xy, dtype=np.float64)
    index = np.arange(len(xy)) if index is None else np.asarray(index)
    hover = np.asarray(hover, dtype=object)
    fig = go.Figure()
    marker = dict(size=6 if len(xy) <= 2000 else 4, opacity=0.8, line=dict(width=0))
    if scale is not None:
        s = np.asarray(scale, dtype=np.float64)
        lo, hi = scale_range if scale_range else (float(np.nanmin(s)), float(np.nanmax(s)))
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=scale_title, customdata=index,
                                   hovertext=hover, hoverinfo="text", showlegend=False,
                                   marker=dict(marker, color=s, colorscale=colorscale, cmin=lo, cmax=hi, showscale=True,
                                               colorbar=dict(title=dict(text=scale_title, side="right"),
                                                             thickness=14))))
    else:
        cats = np.zeros(len(xy), dtype=int) if categories is None else np.asarray(categories)
        names = names or ["points"]
        colors = colors or category_colors(len(names))
        for c, name in enumerate(names):
            rows = np.flatnonzero(cats == c)
            if not len(rows):
                continue
            fig.add_trace(go.Scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=str(name),
                                       customdata=index[rows], hovertext=hover[rows], hoverinfo="text",
                                       marker=dict(marker, color=colors[c])))
    _marks(fig, xy, focus, near, near_label)
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=height + (40 if scale is not None else 0),
                      xaxis=dict(title=dict(text=x_title)), yaxis=dict(title=dict(text=y_title)),
                      legend=(dict(orientation="h", x=0.0, y=-0.12, yanchor="top", itemsizing="constant")
                              if scale is not None else dict(title=dict(text="colour"), itemsizing="constant")),
                      hovermode="closest",
                      margin=dict(l=60, r=20, t=60, b=50), uirevision=title)
    return fig


def input_plane_figure(x: np.ndarray, categories: np.ndarray, names: list[str], title: str,
                       focus: int | None = None, near: np.ndarray | None = None,
                       selected: np.ndarray | None = None, colors: list[str] | None = None) -> go.Figure:
    """The inputs of a 2-D data set ``x`` ``[N, 2]`` coloured by class, with the chosen point,
    its neighbours in the layer and a selection ``selected`` (rows) marked: "hover shows the
    input" for points."""
    x = np.asarray(x, dtype=np.float64)
    fig = go.Figure()
    colors = colors or category_colors(len(names))
    dim = selected is not None and len(selected) > 0
    for c, name in enumerate(names):
        rows = np.flatnonzero(np.asarray(categories) == c)
        if len(rows):
            fig.add_trace(go.Scatter(x=x[rows, 0], y=x[rows, 1], mode="markers", name=str(name),
                                     marker=dict(size=6, color=colors[c], opacity=0.25 if dim else 0.8),
                                     hoverinfo="skip"))
    if dim:
        fig.add_trace(go.Scatter(x=x[selected, 0], y=x[selected, 1], mode="markers", name="selected on the map",
                                 marker=dict(size=9, color="rgba(0,0,0,0)", line=dict(color="#1b1f24", width=1.5)),
                                 hoverinfo="skip"))
    _marks(fig, x, focus, near, "its nearest neighbours in the layer")
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=420,
                      xaxis=dict(title=dict(text="x₁")), yaxis=dict(title=dict(text="x₂"), scaleanchor="x"),
                      legend=dict(itemsizing="constant"), margin=dict(l=60, r=20, t=60, b=50))
    return fig
