"""Figures of the optimizers lesson: a race on a contour map, gradient noise, second order.

Plain NumPy in, plotly Figure out, built from dicts without per-property validation (the
race is redrawn every 0.6 s while it plays). Each figure puts its panels side by side on
axes with explicit domains: the live player must not draw charts inside columns.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

# One fixed look per optimizer id, so a racer keeps its colour when others are deselected.
# Same colour, other dash = a variant of the same method (Adam → AdamW).
STYLE = {"sgd": ("#000000", "solid"), "momentum": ("#0072B2", "solid"), "nesterov": ("#56B4E9", "solid"),
         "adagrad": ("#009E73", "solid"), "rmsprop": ("#E69F00", "solid"), "adam": ("#D55E00", "solid"),
         "adamw": ("#D55E00", "dash"), "adabelief": ("#CC79A7", "solid"), "adabound": ("#7F7F7F", "dashdot"),
         "full": ("#0072B2", "solid"), "32": ("#E69F00", "solid"), "1": ("#CC79A7", "solid"),
         "gd": ("#0072B2", "solid"), "newton": ("#D55E00", "solid"), "natural": ("#009E73", "dash")}
MAP_SCALE = [[0.0, "#f7fbff"], [0.35, "#deebf7"], [0.7, "#9ecae1"], [1.0, "#4a8cc2"]]
FLOOR = 1e-12  # gaps at or below it are drawn at it (log axes)


def log_axis(*arrays) -> dict:
    """A log axis over the finite positive values of ``arrays``: its range and ticks at 1, 2, 5
    × 10ᵏ when it spans few decades, else one tick every decade or every few."""
    v = np.concatenate([np.ravel(np.asarray(a, float)) for a in arrays] or [np.ones(1)])
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (float(np.log10(v.min())), float(np.log10(v.max()))) if v.size else (-1.0, 1.0)
    hi = max(hi, lo + 0.5)
    axis = {"type": "log", "range": [lo - 0.1, hi + 0.1]}
    if hi - lo < 2.5:
        ticks = [m * 10.0 ** k for k in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 1) for m in (1, 2, 5)]
        ticks = [t for t in ticks if lo - 0.1 <= np.log10(t) <= hi + 0.1]
        return {**axis, "tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks]}
    return {**axis, "dtick": max(1, int(np.ceil((hi - lo) / 7))), "exponentformat": "power", "showexponent": "all"}


def style(key: str, i: int = 0) -> tuple[str, str]:
    """(colour, dash) of a series id; unknown ids take the palette in order."""
    return STYLE.get(key, (theme.CATEGORICAL[i % len(theme.CATEGORICAL)], "solid"))


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def _thin(n: int, cap: int) -> np.ndarray:
    """Indices 0 … n−1 thinned to at most ``cap`` (always the last)."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, cap).astype(int), n - 1])


def _gap(g: np.ndarray) -> np.ndarray:
    g = np.asarray(g, dtype=float)
    return np.where(np.isfinite(g), np.maximum(g, FLOOR), np.nan)


def _map_trace(xs, ys, Z, *, log_view: bool, zlabel: str, ax: str = "") -> dict:
    """A filled contour map of Z (n, n) on axes x{ax}/y{ax} (darker = higher; hover reads the
    value); log_view: contours of log₁₀(Z + 10⁻³)."""
    Zs = np.log10(np.maximum(Z, 0) + 1e-3) if log_view else Z
    return {"type": "contour", "x": xs, "y": ys, "z": Zs.astype(np.float32), "colorscale": MAP_SCALE,
            "ncontours": 24, "contours": {"coloring": "fill", "showlines": True},
            "line": {"width": 0.5, "color": "rgba(60,90,120,0.35)"}, "showscale": False,
            "hovertemplate": "(%{x:.2f}, %{y:.2f})<br>" + zlabel + " %{z:.3g}<extra></extra>",
            "xaxis": f"x{ax}", "yaxis": f"y{ax}", "showlegend": False}


def _axes(left: dict, right: dict, split: float = 0.47, gap: float = 0.09) -> dict:
    return {"xaxis": {"domain": [0, split - 0.03], "anchor": "y", **left["x"]},
            "yaxis": {"domain": [0, 1], "anchor": "x", **left["y"]},
            "xaxis2": {"domain": [split + gap, 1], "anchor": "y2", **right["x"]},
            "yaxis2": {"domain": [0, 1], "anchor": "x2", **right["y"]}}


def race_figure(xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, racers: list[dict], step: int, *,
                minima: list, log_view: bool, title: str, height: int = 520) -> go.Figure:
    """The race at ``step``: paths on the contour map (left) and f − f* per step (right).

    xs (n,), ys (n,), Z (n, n) = f − f* over the window (Z[i, j] at xs[j], ys[i]);
    racers: dicts with ``key`` (style id), ``name``, ``xy`` (T+1, 2), ``gap`` (T+1,) f − f*
    (NaN after a divergence). The whole path is drawn faint, the part up to ``step`` solid,
    with a dot where each racer is now.
    """
    data: list = [_map_trace(xs, ys, Z, log_view=log_view, zlabel="log₁₀(f − f*)" if log_view else "f − f*")]
    T = max((len(r["gap"]) - 1 for r in racers), default=0)
    for i, r in enumerate(racers):
        color, dash = style(r["key"], i)
        xy, gap = np.asarray(r["xy"], float), _gap(r["gap"])
        k = min(step, len(gap) - 1)
        alive = np.flatnonzero(np.isfinite(xy[: k + 1, 0]))
        now = alive[-1] if alive.size else 0
        common = {"legendgroup": r["key"], "type": "scatter"}
        data.append({**common, "mode": "lines", "x": xy[:, 0], "y": xy[:, 1], "showlegend": False,
                     "line": {"color": color, "width": 1.2, "dash": "dot"}, "opacity": 0.35, "hoverinfo": "skip",
                     "xaxis": "x", "yaxis": "y"})
        data.append({**common, "mode": "lines", "x": xy[: k + 1, 0], "y": xy[: k + 1, 1], "name": r["name"],
                     "line": {"color": color, "width": 2.6, "dash": dash}, "xaxis": "x", "yaxis": "y",
                     "customdata": np.arange(k + 1),
                     "hovertemplate": r["name"] + " step %{customdata}<br>(%{x:.3f}, %{y:.3f})<extra></extra>"})
        data.append({**common, "mode": "markers", "x": [xy[now, 0]], "y": [xy[now, 1]], "showlegend": False,
                     "marker": {"color": color, "size": 11, "line": {"color": "white", "width": 1.5}},
                     "hoverinfo": "skip", "xaxis": "x", "yaxis": "y"})
        data.append({**common, "mode": "lines", "x": np.arange(len(gap)), "y": gap, "showlegend": False,
                     "line": {"color": color, "width": 1, "dash": "dot"}, "opacity": 0.35, "hoverinfo": "skip",
                     "xaxis": "x2", "yaxis": "y2"})
        data.append({**common, "mode": "lines", "x": np.arange(k + 1), "y": gap[: k + 1], "showlegend": False,
                     "line": {"color": color, "width": 2.4, "dash": dash}, "xaxis": "x2", "yaxis": "y2",
                     "hovertemplate": r["name"] + " step %{x}: f − f* = %{y:.3g}<extra></extra>"})
    if racers:
        start = np.asarray(racers[0]["xy"], float)[0]
        data.append({"type": "scatter", "mode": "markers", "x": [start[0]], "y": [start[1]], "name": "start",
                     "marker": {"symbol": "circle-open", "size": 14, "color": "#1b1f24", "line": {"width": 2}},
                     "xaxis": "x", "yaxis": "y", "hovertemplate": "start (%{x}, %{y})<extra></extra>"})
    m = np.asarray(minima, float).reshape(-1, 2)
    data.append({"type": "scatter", "mode": "markers", "x": m[:, 0], "y": m[:, 1], "name": "minimum",
                 "marker": {"symbol": "star", "size": 16, "color": "#F0E442", "line": {"color": "#1b1f24", "width": 1}},
                 "xaxis": "x", "yaxis": "y", "hovertemplate": "minimum (%{x}, %{y})<extra></extra>"})
    axes = _axes(
        {"x": {"title": {"text": "x"}, "range": [float(xs[0]), float(xs[-1])], "showgrid": False},
         "y": {"title": {"text": "y"}, "range": [float(ys[0]), float(ys[-1])], "showgrid": False}},
        {"x": {"title": {"text": "step"}, "range": [0, max(T, 1)]},
         "y": {"title": {"text": "f(θ) − f*  (log scale)"}, **log_axis(*[_gap(r["gap"]) for r in racers])}})
    layout = {"title": {"text": title}, "height": height, **axes,
              "legend": {"orientation": "h", "y": -0.13, "x": 0, "font": {"size": 14}},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 40}, "uirevision": "race"}
    return _fig(data, layout)


def noise_figure(w1: np.ndarray, w2: np.ndarray, L: np.ndarray, runs: list[dict], optimum: np.ndarray, *,
                 title: str, cap: int = 1500, height: int = 560) -> go.Figure:
    """Batch size and gradient noise: weight paths on the loss contours (left), loss gap vs
    update (top right) and vs training examples processed (bottom right, log x).

    w1 (n,), w2 (n,), L (n, n) = loss − L* over a grid; runs: dicts with ``key``, ``name``,
    ``w`` (k+1, 2), ``gap`` (k+1,) loss − L*, ``seen`` (k+1,) examples processed.
    """
    data: list = [_map_trace(w1, w2, L, log_view=True, zlabel="log₁₀(L − L*)")]
    gaps = [_gap(r["gap"]) for r in runs]
    seens = [np.maximum(np.asarray(r["seen"], float), 1) for r in runs]
    for i, r in enumerate(runs):
        color, dash = style(r["key"], i)
        w, gap, seen = np.asarray(r["w"], float), _gap(r["gap"]), np.asarray(r["seen"], float)
        idx = _thin(len(gap), cap)
        common = {"type": "scatter", "legendgroup": r["key"], "line": {"color": color, "width": 2, "dash": dash}}
        data.append({**common, "mode": "lines+markers" if len(gap) < 60 else "lines", "x": w[idx, 0],
                     "y": w[idx, 1], "name": r["name"], "marker": {"size": 5, "color": color},
                     "hovertemplate": r["name"] + ": w = (%{x:.3f}, %{y:.3f})<extra></extra>",
                     "xaxis": "x", "yaxis": "y"})
        data.append({**common, "mode": "lines", "x": idx, "y": gap[idx], "showlegend": False,
                     "hovertemplate": r["name"] + " update %{x}: L − L* = %{y:.3g}<extra></extra>",
                     "xaxis": "x2", "yaxis": "y2"})
        seen_x = np.maximum(seen[idx], 1)
        data.append({**common, "mode": "lines", "x": seen_x, "y": gap[idx], "showlegend": False,
                     "hovertemplate": r["name"] + ": %{x:,} examples, L − L* = %{y:.3g}<extra></extra>",
                     "xaxis": "x3", "yaxis": "y3"})
    data.append({"type": "scatter", "mode": "markers", "x": [optimum[0]], "y": [optimum[1]],
                 "name": "least squares w*", "xaxis": "x", "yaxis": "y",
                 "marker": {"symbol": "star", "size": 16, "color": "#F0E442", "line": {"color": "#1b1f24", "width": 1}}})
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"domain": [0, 0.44], "anchor": "y", "title": {"text": "w₁ (body-mass index)"},
                        "range": [float(w1[0]), float(w1[-1])], "showgrid": False},
              "yaxis": {"domain": [0, 1], "anchor": "x", "title": {"text": "w₂ (triglycerides s5)"},
                        "range": [float(w2[0]), float(w2[-1])], "showgrid": False},
              "xaxis2": {"domain": [0.57, 1], "anchor": "y2", "title": {"text": "update"}},
              "yaxis2": {"domain": [0.58, 1], "anchor": "x2", **log_axis(*gaps), "title": {"text": "L − L*"}},
              "xaxis3": {"domain": [0.57, 1], "anchor": "y3", **log_axis(*seens),
                         "title": {"text": "training examples processed (log)"}},
              "yaxis3": {"domain": [0, 0.4], "anchor": "x3", **log_axis(*gaps), "title": {"text": "L − L*"}},
              "legend": {"orientation": "h", "y": -0.14, "x": 0},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 40}}
    return _fig(data, layout)


def descent_figure(xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, runs: list[dict], optimum, *,
                   title: str, xlabel: str, ylabel: str, height: int = 440) -> go.Figure:
    """Second-order vs first-order: iterates on the contour map (left), f − f* per
    iteration (right, log). runs: dicts with ``key``, ``name``, ``path`` (k+1, 2), ``gap`` (k+1,)."""
    data: list = [_map_trace(xs, ys, Z, log_view=True, zlabel="log₁₀(f − f*)")]
    for i, r in enumerate(runs):
        color, dash = style(r["key"], i)
        path, gap = np.asarray(r["path"], float), _gap(r["gap"])
        common = {"type": "scatter", "legendgroup": r["key"],
                  "line": {"color": color, "width": 3.2 if dash != "solid" else 2.2, "dash": dash}}
        data.append({**common, "mode": "lines+markers", "x": path[:, 0], "y": path[:, 1], "name": r["name"],
                     "marker": {"size": 6, "color": color}, "customdata": np.arange(len(path)),
                     "hovertemplate": r["name"] + " iteration %{customdata}: (%{x:.3f}, %{y:.3f})<extra></extra>",
                     "xaxis": "x", "yaxis": "y"})
        data.append({**common, "mode": "lines+markers", "x": np.arange(len(gap)), "y": gap, "showlegend": False,
                     "marker": {"size": 5, "color": color},
                     "hovertemplate": r["name"] + " iteration %{x}: f − f* = %{y:.3g}<extra></extra>",
                     "xaxis": "x2", "yaxis": "y2"})
    data.append({"type": "scatter", "mode": "markers", "x": [optimum[0]], "y": [optimum[1]], "name": "optimum",
                 "marker": {"symbol": "star", "size": 16, "color": "#F0E442", "line": {"color": "#1b1f24", "width": 1}},
                 "xaxis": "x", "yaxis": "y"})
    axes = _axes({"x": {"title": {"text": xlabel}, "range": [float(xs[0]), float(xs[-1])], "showgrid": False},
                  "y": {"title": {"text": ylabel}, "range": [float(ys[0]), float(ys[-1])], "showgrid": False}},
                 {"x": {"title": {"text": "iteration"}},
                  "y": {"title": {"text": "f − f*  (log scale)"}, **log_axis(*[_gap(r["gap"]) for r in runs])}})
    layout = {"title": {"text": title}, "height": height, **axes,
              "legend": {"orientation": "h", "y": -0.16, "x": 0},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 40}}
    return _fig(data, layout)
