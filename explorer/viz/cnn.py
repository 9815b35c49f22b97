"""Figures for the CNN page: training curves, first-layer filters, feature maps, class
probabilities, a clickable confusion matrix, the zoo compared, gradient flow.

Inputs are numpy arrays and plain lists (shapes in each docstring); nothing here knows
torch. Every figure has a title, axis titles and a legend where it has several traces.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme
from explorer.viz.images import to_rgb_uint8

VIRIDIS = "Viridis"
SKIP_COLORS = {"resnet": theme.CATEGORICAL[0], "plain": theme.CATEGORICAL[5]}
SKIP_NAMES = {"resnet": "with skips (ResNet)", "plain": "without skips (plain)"}
HOVER_GRAD = "layer %{x} (%{customdata})<br>‖∂L/∂W‖ %{y:.3g}<extra></extra>"


def _clean(a) -> list:
    """Floats with None where not finite (a gap in a line)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _positive(a) -> list:
    a = np.asarray(a, dtype=float)
    return _clean(np.where(a > 0, a, np.nan))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values 1, 2, 5 × 10^k within [lo, hi] (lo > 0), thinned to at most 6."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks = [m * 10.0**k for k in range(k0, k1 + 1) for m in (1, 2, 5) if lo <= m * 10.0**k <= hi]
    return ticks if len(ticks) <= 6 else ticks[:: math.ceil(len(ticks) / 6)]


def _log_axis(arrays) -> dict:
    """range and tickvals for a log axis spanning the positive finite values of ``arrays``."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays]) if len(arrays) else np.zeros(0)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return {}
    lo, hi = v.min() / 1.5, v.max() * 1.5
    return {"range": [math.log10(lo), math.log10(hi)], "tickvals": log_ticks(lo, hi)}


def training_figure(hist: dict, height: int = 330) -> go.Figure:
    """Loss (log scale) and accuracy against epochs. ``hist``: arrays (T,) epoch,
    train_loss, test_loss, train_acc, test_acc."""
    lay = panels.grid(1, 2, ("Loss (cross-entropy, log scale)", "Accuracy"), hgap=0.1)
    x = _clean(hist["epoch"])
    data = []
    for key, name, color, dash, col in (
            ("train_loss", "training (the last step's batches)", theme.TRAIN_COLOR, "solid", 1),
            ("test_loss", "test (1,000 held-out images)", theme.TEST_COLOR, "solid", 1),
            ("train_acc", "training (the last step's batches)", theme.TRAIN_COLOR, "solid", 2),
            ("test_acc", "test (1,000 held-out images)", theme.TEST_COLOR, "solid", 2)):
        y = _positive(hist[key]) if col == 1 else _clean(hist[key])
        fmt = "%{y:.4f}" if col == 1 else "%{y:.1%}"
        data.append({"type": "scatter", "x": x, "y": y, "name": name, "legendgroup": name, "showlegend": col == 1,
                     "mode": "lines+markers" if len(x) < 40 else "lines", "marker": {"size": 5},
                     "line": {"color": color, "width": 2.5, "dash": dash}, **panels.cell(1, col, 2),
                     "hovertemplate": f"{name}<br>epoch %{{x:.3g}}<br>{fmt}<extra></extra>"})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "epochs"}, rangemode="tozero")
    yloss = panels.axis(lay, 1, 1, 2, "y")
    yloss.update(title={"text": "loss"}, type="log")
    losses = np.concatenate([np.asarray(hist["train_loss"], float), np.asarray(hist["test_loss"], float)])
    losses = losses[np.isfinite(losses) & (losses > 0)]
    if losses.size:
        lo, hi = losses.min() / 1.4, losses.max() * 1.4
        yloss.update(range=[math.log10(lo), math.log10(hi)], tickvals=log_ticks(lo, hi))
    acc = np.asarray(hist["test_acc"], dtype=float)
    lo = 0.0
    if np.isfinite(acc).any() and np.nanmax(acc) > 0.9:
        lo = 0.8  # zoom in on the interesting part once the run is good
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "accuracy"}, tickformat=".0%", range=[lo, 1.005])
    lay.update(height=height, title={"text": "Training curves"},
               legend={"orientation": "h", "y": 1.14, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"t": 90})
    return panels.figure(data, lay)


def _tile_grid(tiles: np.ndarray, ncols: int, gap: int = 1) -> np.ndarray:
    """``[N, h, w]`` → ``[rows·(h+gap)−gap, ncols·(w+gap)−gap]`` with NaN gaps (transparent in a heatmap)."""
    n, h, w = tiles.shape
    ncols = max(1, min(ncols, n))
    rows = -(-n // ncols)
    out = np.full((rows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, ncols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[i]
    return out


def filters_figure(filters: np.ndarray, title: str = "First-layer filters", height: int = 230) -> go.Figure:
    """The first conv layer's kernels ``[O, I, k, k]``: for grey input a diverging heatmap
    per filter (one symmetric colour scale: orange negative, blue positive); for RGB input
    each filter shown as a colour picture (scaled to [0, 1] per filter)."""
    f = np.asarray(filters, dtype=float)
    o, i, k, _ = f.shape
    ncols = min(o, 16)
    rows = -(-o // ncols)
    if i == 3:
        lo = f.reshape(o, -1).min(axis=1)[:, None, None, None]
        hi = f.reshape(o, -1).max(axis=1)[:, None, None, None]
        scaled = (f - lo) / np.where(hi > lo, hi - lo, 1.0)
        gap = max(1, k // 4)
        pic = np.full((rows * (k + gap) - gap, ncols * (k + gap) - gap, 3), 255, dtype=np.uint8)
        for j in range(o):
            r, c = divmod(j, ncols)
            pic[r * (k + gap):r * (k + gap) + k, c * (k + gap):c * (k + gap) + k] = to_rgb_uint8(scaled[j])
        fig = go.Figure(go.Image(z=pic, hoverinfo="skip"))
        sub = f"{o} filters, {k}×{k}, over R, G and B (each scaled to its own range)"
    else:
        z = _tile_grid(f.mean(axis=1) if i > 1 else f[:, 0], ncols, gap=max(1, k // 4))
        m = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        fig = go.Figure(go.Heatmap(z=z, zmin=-m, zmax=m, colorscale=theme.DIVERGING, showscale=True,
                                   colorbar=dict(title=dict(text="weight"), thickness=12, len=0.9),
                                   hovertemplate="weight %{z:.3f}<extra></extra>"))
        sub = f"{o} filters, {k}×{k}" + (f", mean over {i} input channels" if i > 1 else "")
    fig.update_layout(template=theme.NAME, title=dict(text=f"{title}: {sub}"), height=max(height, 90 * rows + 90),
                      margin=dict(l=10, r=10, t=50, b=10),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x", autorange="reversed"))
    if i == 3:
        fig.update_yaxes(autorange=None)
    return fig


def feature_maps_figure(layers: list[tuple[str, tuple, np.ndarray]], row_px: int = 115,
                        title: str = "Feature maps, layer by layer") -> go.Figure:
    """One row per layer: (label, full shape (C, H, W), maps ``[k, H, W]``), the k maps side
    by side on that layer's own colour scale (Viridis; bright = strong activation)."""
    n = max(1, len(layers))
    titles = tuple(f"{label} · {c}×{h}×{w}" + (f" (first {len(m)} of {c} channels)" if len(m) < c else "")
                   for label, (c, h, w), m in layers)
    lay = panels.grid(n, 1, titles, vgap=min(0.5 / n, 0.09))
    data = []
    for r, (label, shape, maps) in enumerate(layers, start=1):
        m = np.asarray(maps, dtype=float)
        gap = max(1, m.shape[-1] // 8)
        z = _tile_grid(m, len(m), gap=gap)
        lo, hi = (float(np.nanmin(z)), float(np.nanmax(z))) if np.isfinite(z).any() else (0.0, 1.0)
        data.append({"type": "heatmap", "z": [_clean(row) for row in z], "colorscale": VIRIDIS, "zmin": lo,
                     "zmax": hi if hi > lo else lo + 1, "showscale": False, **panels.cell(r, 1, 1),
                     "hovertemplate": f"{label}<br>activation %{{z:.3f}}<extra></extra>"})
        xa, ya = panels.axis(lay, r, 1, 1, "x"), panels.axis(lay, r, 1, 1, "y")
        xa.update(visible=False, constrain="domain")
        ya.update(visible=False, autorange="reversed", scaleanchor=panels.cell(r, 1, 1)["xaxis"],
                  constrain="domain")
    lay.update(height=n * row_px + 80, title={"text": title}, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return panels.figure(data, lay)


def probs_figure(probs: np.ndarray, classes: list[str], true: int | None = None, height: int = 300) -> go.Figure:
    """Horizontal bars of the predicted class probabilities ``[K]``; the true class, when
    known, is marked in the bar colours (green) and the prediction in blue."""
    p = np.asarray(probs, dtype=float)
    pred = int(np.argmax(p)) if p.size else -1
    colors = [theme.CATEGORICAL[2] if (true is not None and j == true) else
              (theme.CATEGORICAL[0] if j == pred else "#b8c2cc") for j in range(len(p))]
    fig = go.Figure(go.Bar(x=_clean(p), y=[str(c) for c in classes], orientation="h", marker_color=colors,
                           text=[f"{v:.0%}" for v in p], textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    note = "" if true is None else " (green: the true class)"
    fig.update_layout(template=theme.NAME, height=height, title=dict(text=f"Predicted probabilities{note}"),
                      xaxis=dict(title=dict(text="probability"), range=[0, 1.12], tickformat=".0%"),
                      yaxis=dict(title=dict(text="class"), autorange="reversed", type="category"),
                      margin=dict(l=60, r=20, t=50, b=50))
    return fig


def confusion_figure(matrix: np.ndarray, classes: list[str], selected: tuple[int, int] | None = None,
                     title: str = "Confusion matrix", height: int = 520) -> go.Figure:
    """The matrix ``[K, K]`` (rows true, columns predicted): a heatmap of log(1 + count) with
    the counts written in, under one invisible square marker per cell that takes the clicks
    (a heatmap reports no clicks; a scatter point can be selected). ``customdata`` of the
    markers holds (true, predicted); the ``selected`` cell is outlined."""
    m = np.asarray(matrix, dtype=np.int64)
    k = m.shape[0]
    names = [str(c) for c in classes]
    ti, pj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    ti, pj = ti.ravel(), pj.ravel()
    counts = m.ravel()
    row_tot = np.maximum(m.sum(axis=1), 1)
    top = max(1, int(counts.max()))
    ticks = [v for v in (0, 1, 3, 10, 30, 100, 300, 1000, 3000) if v <= top]
    heat = go.Heatmap(z=np.log1p(m).tolist(), x=names, y=names, colorscale=[[0, "#ffffff"], [0.15, "#deebf7"],
                                                                             [1, "#08306b"]],
                      zmin=0, zmax=float(np.log1p(top)), hoverinfo="skip", xgap=2, ygap=2,
                      colorbar=dict(title=dict(text="images"), thickness=12, tickvals=np.log1p(ticks).tolist(),
                                    ticktext=[str(t) for t in ticks]))
    size = max(12, min(60, int((height - 150) / k)))
    click = go.Scatter(
        x=[names[j] for j in pj], y=[names[i] for i in ti], mode="markers+text",
        marker=dict(symbol="square", size=size, color="rgba(0,0,0,0)",
                    line=dict(width=[3 if selected == (int(i), int(j)) else 0 for i, j in zip(ti, pj)],
                              color=theme.CATEGORICAL[5])),
        text=[str(c) if c else "" for c in counts],
        textfont=dict(color=["white" if np.log1p(c) > 0.55 * np.log1p(top) else "#1b1f24" for c in counts], size=13),
        customdata=np.stack([ti, pj], axis=1).tolist(), unselected=dict(marker=dict(opacity=1)),
        hovertemplate=[f"true {names[i]}, predicted {names[j]}: {c} ({c / row_tot[i]:.0%} of the {names[i]}s)"
                       "<extra>click to see them</extra>" for i, j, c in zip(ti, pj, counts)],
        showlegend=False)
    fig = go.Figure([heat, click])
    fig.update_layout(template=theme.NAME, height=height, title=dict(text=title),
                      xaxis=dict(title=dict(text="predicted class"), type="category", categoryorder="array",
                                 categoryarray=names, showgrid=False, constrain="domain"),
                      yaxis=dict(title=dict(text="true class"), type="category", categoryorder="array",
                                 categoryarray=names, autorange="reversed", showgrid=False, scaleanchor="x",
                                 constrain="domain"),
                      clickmode="event+select", dragmode=False, margin=dict(l=80, r=20, t=50, b=60))
    return fig


def selected_cell(event) -> tuple[int, int] | None:
    """(true, predicted) of the clicked cell from ``st.plotly_chart``'s selection event (a
    dict-like with ``selection.points[*].customdata``), or None."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError, IndexError):
        points = getattr(getattr(event, "selection", None), "points", None)
    for p in points or []:
        cd = p.get("customdata") if isinstance(p, dict) else None
        if cd is not None and len(cd) == 2:
            return int(cd[0]), int(cd[1])
    return None


def zoo_costs_figure(labels: list[str], params: list[int], macs: list[int], height: int = 330) -> go.Figure:
    """Parameters and multiply-accumulates per image of each architecture (log scales)."""
    lay = panels.grid(1, 2, ("Parameters", "Multiply-accumulates per image (MACs)"), hgap=0.12)
    data = [{"type": "bar", "x": list(params), "y": list(labels), "orientation": "h", "name": "parameters",
             "marker": {"color": theme.CATEGORICAL[0]}, "showlegend": False, **panels.cell(1, 1, 2),
             "hovertemplate": "%{y}: %{x:,} parameters<extra></extra>"},
            {"type": "bar", "x": list(macs), "y": list(labels), "orientation": "h", "name": "MACs",
             "marker": {"color": theme.CATEGORICAL[1]}, "showlegend": False, **panels.cell(1, 2, 2),
             "hovertemplate": "%{y}: %{x:,} MACs<extra></extra>"}]
    for c, values, text in ((1, params, "parameters (log scale)"), (2, macs, "MACs per 28×28 image (log scale)")):
        v = np.asarray(values, dtype=float)
        lo, hi = (v.min() / 1.5, v.max() * 1.3) if v.size and v.min() > 0 else (1.0, 10.0)
        panels.axis(lay, 1, c, 2, "x").update(title={"text": text}, type="log", range=[math.log10(lo), math.log10(hi)],
                                              tickvals=log_ticks(lo, hi), tickformat="~s")
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "y").update(autorange="reversed", title={"text": "architecture" if c == 1 else ""},
                                              showticklabels=c == 1)
    lay.update(height=height, title={"text": "What each architecture costs"}, margin={"l": 170})
    return panels.figure(data, lay)


def zoo_results_figure(labels: list[str], macs: list[int], params: list[int], acc: list[float],
                       seconds: list[float], epochs: int, height: int = 380) -> go.Figure:
    """Test accuracy against MACs (marker area ∝ parameters) and measured seconds per epoch."""
    lay = panels.grid(1, 2, (f"Test accuracy after {epochs} epoch{'s' if epochs != 1 else ''}",
                             "Seconds per epoch, measured here"), hgap=0.14)
    p = np.asarray(params, dtype=float)
    sizes = (14 + 30 * np.sqrt(p / p.max())).tolist() if p.size and p.max() > 0 else 14
    colors = [theme.CATEGORICAL[i % len(theme.CATEGORICAL)] for i in range(len(labels))]
    data = [{"type": "scatter", "x": list(macs), "y": _clean(acc), "mode": "markers+text", "text": list(labels),
             "textposition": "top center", "marker": {"size": sizes, "color": colors, "opacity": 0.8},
             "customdata": list(params), "showlegend": False, **panels.cell(1, 1, 2),
             "hovertemplate": "%{text}<br>%{x:,} MACs<br>%{customdata:,} parameters<br>test accuracy %{y:.1%}"
                              "<extra></extra>"},
            {"type": "bar", "x": _clean(seconds), "y": list(labels), "orientation": "h", "showlegend": False,
             "marker": {"color": colors}, **panels.cell(1, 2, 2),
             "hovertemplate": "%{y}: %{x:.2f} s per epoch<extra></extra>"}]
    m = np.asarray(macs, dtype=float)
    lo, hi = (m.min() / 1.6, m.max() * 1.6) if m.size and m.min() > 0 else (1.0, 10.0)
    panels.axis(lay, 1, 1, 2, "x").update(title={"text": "MACs per image (log scale; marker area ∝ parameters)"},
                                          type="log", range=[math.log10(lo), math.log10(hi)],
                                          tickvals=log_ticks(lo, hi), tickformat="~s")
    a = np.asarray(acc, dtype=float)
    lo = float(np.nanmin(a)) if np.isfinite(a).any() else 0.0
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": "test accuracy"}, tickformat=".0%",
                                          range=[max(0.0, lo - 0.05), 1.01])
    panels.axis(lay, 1, 2, 2, "x").update(title={"text": "seconds per epoch (1 CPU thread)"}, rangemode="tozero")
    panels.axis(lay, 1, 2, 2, "y").update(autorange="reversed")
    lay.update(height=height, title={"text": "The zoo compared: accuracy, cost and time"}, margin={"l": 60})
    return panels.figure(data, lay)


def grad_flow_figure(layers: list[str], at_init: dict, trained: dict | None, steps: int,
                     height: int = 400) -> go.Figure:
    """‖∂L/∂W‖ of each conv layer (x: depth from the input) for a ResNet and the same net
    without skips (log scale): dashed at initialization, solid after ``steps`` steps.
    at_init/trained: {"resnet"|"plain": float [L]}."""
    x = list(range(1, len(layers) + 1))
    data = []
    for kind in ("resnet", "plain"):
        if kind not in at_init:
            continue
        color = SKIP_COLORS[kind]
        data.append(go.Scatter(x=x, y=_positive(at_init[kind]), mode="lines+markers",
                               name=f"{SKIP_NAMES[kind]}, at initialization",
                               line=dict(color=color, dash="dot" if trained else "solid", width=2),
                               marker=dict(size=5), customdata=list(layers),
                               hovertemplate=HOVER_GRAD))
        if trained:
            data.append(go.Scatter(x=x, y=_positive(trained[kind]), mode="lines+markers",
                                   name=f"{SKIP_NAMES[kind]}, after {steps} steps", line=dict(color=color, width=3),
                                   marker=dict(size=6), customdata=list(layers),
                                   hovertemplate=HOVER_GRAD))
    fig = go.Figure(data)
    fig.update_layout(template=theme.NAME, height=height,
                      title=dict(text=f"Gradient norm per conv layer, {len(layers)} conv layers deep"),
                      xaxis=dict(title=dict(text="conv layer (1 = next to the input)")),
                      yaxis=dict(title=dict(text="‖∂L/∂W‖₂ (log scale)"), type="log", **_log_axis(
                          [*at_init.values(), *((trained or {}).values())])),
                      legend=dict(orientation="h", y=-0.22, yanchor="top", x=0), margin=dict(b=110))
    return fig


def grad_loss_figure(losses: dict, height: int = 260) -> go.Figure:
    """Training loss per step for the two nets: {"resnet"|"plain": float [steps]}."""
    data = [go.Scatter(x=list(range(1, len(v) + 1)), y=_clean(v), mode="lines", name=SKIP_NAMES[k],
                       line=dict(color=SKIP_COLORS[k], width=2)) for k, v in losses.items() if len(v)]
    fig = go.Figure(data)
    fig.update_layout(template=theme.NAME, height=height, title=dict(text="Training loss while measuring"),
                      xaxis=dict(title=dict(text="SGD step")), yaxis=dict(title=dict(text="cross-entropy")),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig
