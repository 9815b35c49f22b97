"""Figures of the linear-algebra page: a 2×2 matrix morphing the plane, the SVD's three
steps, and PCA on digits (explained variance, a 2-D projection, reconstructions).

Plain NumPy in, plotly Figure out. The two animated figures carry plotly ``frames`` and a
"▶ Animate" button inside the chart, so the animation runs in the browser without a
server round-trip; the static picture is the stage the page's slider chose.
Points are (n, 2) arrays; NaN rows separate polylines. A matrix M maps points as p @ M.T.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

GRID_COLOR = "#8fb3d9"
CIRCLE_COLOR = theme.CATEGORICAL[1]
E1_COLOR, E2_COLOR = theme.CATEGORICAL[5], theme.CATEGORICAL[0]
EIGEN_COLORS = (theme.CATEGORICAL[3], theme.CATEGORICAL[2])
POS_AREA, NEG_AREA = "rgba(0,158,115,0.22)", "rgba(213,94,0,0.25)"
DIGIT_COLORS = theme.CATEGORICAL[:6] + ("#999933", "#000000", "#882255", "#44AA99")
INK = [[0.0, "#ffffff"], [1.0, "#111111"]]  # 0 = paper, 16 = ink


def _fig(data: list, layout: dict, frames: list | None = None) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, frames=frames or None,
                     skip_invalid=False, _validate=False)


def _xy(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plotly coordinates: float arrays where NaN breaks the line (arrays validate far faster
    than lists, which matters for figures with many animation frames)."""
    pts = np.asarray(pts, float)
    return pts[:, 0].copy(), pts[:, 1].copy()


def arrow_points(starts: np.ndarray, vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and per-point marker sizes for arrows start → start + vec, drawn as one trace
    (a segment per arrow, an arrowhead marker at its tip, NaN between arrows). (3n,) each."""
    s = np.asarray(starts, float).reshape(-1, 2)
    v = np.asarray(vecs, float).reshape(-1, 2)
    n = len(s)
    pts = np.full((n, 3, 2), np.nan)
    pts[:, 0], pts[:, 1] = s, s + v
    sizes = np.tile([0, 13, 0], n)
    return pts[:, :, 0].ravel(), pts[:, :, 1].ravel(), sizes


def _arrow_trace(starts, vecs, name: str, color: str, width: float = 3.5, show: bool = True, dash: str = "solid",
                 hover: str | None = None) -> dict:
    x, y, sizes = arrow_points(starts, vecs)
    return {"type": "scatter", "mode": "lines+markers", "x": x, "y": y, "name": name, "showlegend": show,
            "line": {"color": color, "width": width, "dash": dash},
            "marker": {"symbol": "arrow", "size": sizes, "angleref": "previous", "color": color},
            "hoverinfo": "skip" if hover is None else "text", "text": hover}


def _play_button(label: str, duration_ms: int) -> list:
    return [{"type": "buttons", "direction": "left", "showactive": False, "x": 1.0, "y": 1.01,
             "xanchor": "right", "yanchor": "bottom", "pad": {"t": 0, "r": 0, "b": 4},
             "font": {"size": 14, "color": "#0b3d66"}, "bgcolor": "#e3eef9", "bordercolor": theme.POSITIVE,
             "borderwidth": 1.5,
             "buttons": [{"label": label, "method": "animate",
                          "args": [None, {"frame": {"duration": duration_ms, "redraw": True},
                                          "transition": {"duration": 0}, "fromcurrent": False,
                                          "mode": "immediate"}]}]}]


def _square_axes(extent: float, xlabel: str = "x", ylabel: str = "y") -> dict:
    return {"xaxis": {"range": [-extent, extent], "title": {"text": xlabel}, "zeroline": True,
                      "zerolinecolor": "#9aa3ad", "constrain": "domain"},
            "yaxis": {"range": [-extent, extent], "title": {"text": ylabel}, "zeroline": True,
                      "zerolinecolor": "#9aa3ad", "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"}}


# --------------------------------------------------------------------------- the matrix as a map
def map_figure(grid: np.ndarray, circle: np.ndarray, square: np.ndarray, stages: list, current: int,
               eigen: list, extent: float, title: str, height: int = 600) -> go.Figure:
    """The plane under M, for each M in ``stages`` (label, (2, 2) matrix) — frames of the
    animation — drawn statically at ``stages[current]``.

    grid: the identity's grid lines (k, 2); circle: (m, 2); square: the unit square (5, 2);
    eigen: [(λ, unit vector (2,)), …] of the final matrix (its eigenvectors are every
    stage's too when the stages are (1 − t)I + tA). Traces: 0 faint original grid, 1 the
    mapped grid, 2 the unit circle, 3 its image, 4 the image of the unit square (green when
    det > 0, orange when the map flips orientation), 5 Ae₁, 6 Ae₂, 7 eigen-lines, 8 M v for
    each eigenvector v.
    """
    lines = np.array([v for _, v in eigen]) if eigen else np.zeros((0, 2))

    def moving(m: np.ndarray) -> list[dict]:
        g, c, s = grid @ m.T, circle @ m.T, square @ m.T
        det = float(np.linalg.det(m))
        gx, gy = _xy(g)
        cx, cy = _xy(c)
        sx, sy = _xy(s)
        ev = lines @ m.T if len(lines) else lines
        return [{"x": gx, "y": gy},
                {"x": cx, "y": cy},
                {"x": sx, "y": sy, "fillcolor": POS_AREA if det >= 0 else NEG_AREA,
                 "name": f"unit square → area |det A| = {abs(det):.2f}" + (", flipped" if det < 0 else "")},
                dict(zip(("x", "y"), arrow_points([[0, 0]], [m[:, 0]])[:2])),
                dict(zip(("x", "y"), arrow_points([[0, 0]], [m[:, 1]])[:2])),
                dict(zip(("x", "y"), arrow_points(np.zeros_like(ev), ev)[:2]))]

    ox, oy = _xy(grid)
    circ_x, circ_y = _xy(circle)
    far = 3 * extent
    ex, ey = [], []
    for v in lines:
        ex += [float(-far * v[0]), float(far * v[0]), None]
        ey += [float(-far * v[1]), float(far * v[1]), None]
    m0 = stages[current][1]
    mv = moving(m0)
    data = [
        {"type": "scatter", "mode": "lines", "x": ox, "y": oy, "name": "original grid", "showlegend": False,
         "line": {"color": "#d5dae0", "width": 1}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", **mv[0], "name": "mapped grid", "line": {"color": GRID_COLOR, "width": 1.4},
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "x": circ_x, "y": circ_y, "name": "unit circle",
         "line": {"color": "#9aa3ad", "width": 1.5, "dash": "dot"}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", **mv[1], "name": "image of the unit circle",
         "line": {"color": CIRCLE_COLOR, "width": 3}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", **mv[2], "fill": "toself", "line": {"color": theme.CATEGORICAL[2],
                                                                             "width": 1.5}, "hoverinfo": "skip"},
        {**_arrow_trace([[0, 0]], [m0[:, 0]], "M e₁ (first column)", E1_COLOR), **mv[3]},
        {**_arrow_trace([[0, 0]], [m0[:, 1]], "M e₂ (second column)", E2_COLOR), **mv[4]},
        {"type": "scatter", "mode": "lines", "x": ex, "y": ey, "name": "eigen-directions (stay on their line)",
         "line": {"color": EIGEN_COLORS[0], "width": 1.5, "dash": "dash"}, "hoverinfo": "skip",
         "visible": bool(len(lines))},
        {**_arrow_trace(np.zeros_like(lines), lines, "M v for each eigenvector v", EIGEN_COLORS[0], width=4,
                        show=bool(len(lines))), **mv[5], "visible": bool(len(lines))},
    ]
    frames = [{"name": label, "data": moving(m), "traces": [1, 3, 4, 5, 6, 8],
               "layout": {"title": {"text": f"{title} · {label}"}}} for label, m in stages]
    layout = {"title": {"text": f"{title} · {stages[current][0]}", "y": 0.98, "yanchor": "top"}, "height": height,
              "legend": {"orientation": "h", "y": -0.12, "x": 0.0, "yanchor": "top", "entrywidth": 0.5,
                         "entrywidthmode": "fraction", "font": {"size": 13}},
              "margin": {"l": 60, "r": 20, "t": 80, "b": 130},
              "updatemenus": _play_button("▶ Animate I → A", 70), **_square_axes(extent)}
    return _fig(data, layout, frames)


# --------------------------------------------------------------------------- SVD in three steps
def svd_figure(grid: np.ndarray, circle: np.ndarray, stages: list, current: int, v: np.ndarray, final: np.ndarray,
               extent: float, height: int = 560) -> go.Figure:
    """The unit circle, a grid and the right singular vectors v₁, v₂ (columns of ``v``,
    (2, 2)) under each stage's matrix: stages are (title, (2, 2)) from I to A; ``final``: A.
    Traces: 0 the final ellipse (faint, where it ends up), 1 the grid, 2 the circle, 3 the
    image of v₁, 4 of v₂."""

    def moving(m: np.ndarray) -> list[dict]:
        gx, gy = _xy(grid @ m.T)
        cx, cy = _xy(circle @ m.T)
        w = v.T @ m.T
        return [{"x": gx, "y": gy}, {"x": cx, "y": cy},
                dict(zip(("x", "y"), arrow_points([[0, 0]], [w[0]])[:2])),
                dict(zip(("x", "y"), arrow_points([[0, 0]], [w[1]])[:2]))]

    fx, fy = _xy(circle @ final.T)
    m0 = stages[current][1]
    mv = moving(m0)
    data = [
        {"type": "scatter", "mode": "lines", "x": fx, "y": fy, "name": "where the circle ends (A x)",
         "line": {"color": "#b9c0c8", "width": 2, "dash": "dot"}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", **mv[0], "name": "grid", "line": {"color": GRID_COLOR, "width": 1.2},
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", **mv[1], "name": "unit circle", "fill": "toself",
         "fillcolor": "rgba(230,159,0,0.12)", "line": {"color": CIRCLE_COLOR, "width": 3}, "hoverinfo": "skip"},
        {**_arrow_trace([[0, 0]], [v[:, 0]], "v₁ → σ₁u₁", E1_COLOR), **mv[2]},
        {**_arrow_trace([[0, 0]], [v[:, 1]], "v₂ → σ₂u₂", E2_COLOR), **mv[3]},
    ]
    frames = [{"name": str(i), "data": moving(m), "traces": [1, 2, 3, 4], "layout": {"title": {"text": label}}}
              for i, (label, m) in enumerate(stages)]
    layout = {"title": {"text": stages[current][0], "y": 0.98, "yanchor": "top"}, "height": height,
              "legend": {"orientation": "h", "y": -0.12, "x": 0.0, "yanchor": "top"},
              "margin": {"l": 60, "r": 20, "t": 80, "b": 100},
              "updatemenus": _play_button("▶ Animate the three steps", 90), **_square_axes(extent)}
    return _fig(data, layout, frames)


# --------------------------------------------------------------------------- PCA
def variance_figure(ratio: np.ndarray, k: int, height: int = 380) -> go.Figure:
    """Each component's share of the variance (bars) and the running total (line), with the
    first ``k`` components highlighted. ratio: (r,) summing to 1."""
    ratio = np.asarray(ratio, float)
    r = len(ratio)
    comp = np.arange(1, r + 1)
    cum = np.cumsum(ratio)
    kk = min(k, r)
    colors = [theme.CATEGORICAL[0] if i < kk else "#c6cdd5" for i in range(r)]
    data = [{"type": "bar", "x": comp, "y": 100 * ratio, "name": "share of each component", "marker": {"color": colors},
             "hovertemplate": "component %{x}: %{y:.2f} %<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "x": comp, "y": 100 * cum, "name": "cumulative share",
             "line": {"color": theme.CATEGORICAL[1], "width": 2.5}, "marker": {"size": 4},
             "hovertemplate": "first %{x}: %{y:.1f} %<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": [kk], "y": [100 * cum[kk - 1]],
             "name": f"k = {kk}: {100 * cum[kk - 1]:.1f} %", "marker": {"size": 13, "color": theme.CATEGORICAL[5],
                                                                          "line": {"color": "white", "width": 2}}}]
    layout = {"title": {"text": f"Explained variance: {kk} of {r} components keep {100 * cum[kk - 1]:.1f} %"},
              "height": height, "xaxis": {"title": {"text": "principal component"}, "range": [0.3, r + 0.7]},
              "yaxis": {"title": {"text": "share of the total variance (%)"}, "range": [0, 103]},
              "legend": {"x": 0.98, "xanchor": "right", "y": 0.55}, "bargap": 0.15}
    return _fig(data, layout)


def projection_figure(sx: np.ndarray, sy: np.ndarray, labels: np.ndarray, names: tuple[str, str],
                      height: int = 520) -> go.Figure:
    """Every image as a point at its scores on two components, coloured by digit.
    sx, sy, labels: (n,)."""
    data = []
    for d in sorted(set(int(v) for v in labels)):
        m = labels == d
        data.append({"type": "scattergl", "mode": "markers", "x": sx[m], "y": sy[m], "name": str(d),
                     "marker": {"size": 5, "color": DIGIT_COLORS[d % len(DIGIT_COLORS)], "opacity": 0.75},
                     "hovertemplate": f"digit {d}<br>{names[0]} %{{x:.1f}}<br>{names[1]} %{{y:.1f}}<extra></extra>"})
    layout = {"title": {"text": f"{len(labels):,} digits projected on {names[0]} and {names[1]}"},
              "height": height, "xaxis": {"title": {"text": names[0]}}, "yaxis": {"title": {"text": names[1]}},
              "legend": {"title": {"text": "digit"}, "itemsizing": "constant"}}
    return _fig(data, layout)


def tiles(images: np.ndarray, gap: int = 1) -> np.ndarray:
    """Rows of 8×8 images side by side: images (rows, cols, 64) → one (rows·9 − 1, cols·9 − 1)
    array with NaN gaps."""
    images = np.asarray(images, float)
    rows, cols = images.shape[:2]
    out = np.full((rows * (8 + gap) - gap, cols * (8 + gap) - gap), np.nan)
    for r in range(rows):
        for c in range(cols):
            out[r * (8 + gap):r * (8 + gap) + 8, c * (8 + gap):c * (8 + gap) + 8] = images[r, c].reshape(8, 8)
    return out


def digits_figure(originals: np.ndarray, recons: np.ndarray, labels: list, k: int, errors: np.ndarray,
                  mean: np.ndarray, components: np.ndarray, height: int = 470) -> go.Figure:
    """Top: the originals (row 1) over their reconstructions from k components (row 2), grey
    ink 0…16. Bottom: the mean image and the first components (blue +, orange −).
    originals, recons: (n, 64); errors: (n,) RMS pixel error; mean: (64,); components: (m, 64)."""
    n = len(originals)
    top = tiles(np.stack([originals, np.clip(recons, 0, 16)]))
    m = len(components)
    comp = tiles(components[None])
    lim = float(np.nanmax(np.abs(comp))) or 1.0
    mean_img = tiles(mean[None, None])
    data = [{"type": "heatmap", "z": top[::-1], "zmin": 0, "zmax": 16, "showscale": False, "colorscale": INK, "hovertemplate": "ink %{z:.1f}<extra></extra>", "xaxis": "x", "yaxis": "y",
             "name": "digits"},
            {"type": "heatmap", "z": mean_img[::-1], "zmin": 0, "zmax": 16, "showscale": False, "colorscale": INK,
             "hovertemplate": "mean ink %{z:.1f}<extra></extra>", "xaxis": "x2", "yaxis": "y2", "name": "mean"},
            {"type": "heatmap", "z": comp[::-1], "zmin": -lim, "zmax": lim, "showscale": False,
             "colorscale": [[0.0, theme.NEGATIVE], [0.5, "#ffffff"], [1.0, theme.POSITIVE]],
             "hovertemplate": "weight %{z:.3f}<extra></extra>", "xaxis": "x3", "yaxis": "y3", "name": "components"}]
    ann = []
    for i in range(n):
        ann.append({"x": i * 9 + 3.5, "y": 17.6, "xref": "x", "yref": "y", "text": str(labels[i]), "showarrow": False,
                    "font": {"size": 13}, "yanchor": "bottom"})
        ann.append({"x": i * 9 + 3.5, "y": -0.8, "xref": "x", "yref": "y", "text": f"{errors[i]:.1f}",
                    "showarrow": False, "font": {"size": 11, "color": "#5b6570"}, "yanchor": "top"})
    for i in range(m):
        ann.append({"x": i * 9 + 3.5, "y": -0.8, "xref": "x3", "yref": "y3", "text": f"w{i + 1}",
                    "showarrow": False, "font": {"size": 12}, "yanchor": "top"})
    ann.append({"x": 3.5, "y": -0.8, "xref": "x2", "yref": "y2", "text": "mean μ", "showarrow": False,
                "font": {"size": 12}, "yanchor": "top"})
    hidden = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": "", "showline": False}
    wide = n * 9 - 1
    layout = {"title": {"text": f"Originals (top) and their reconstructions from k = {k} components (below, RMS "
                                "error under each)"}, "height": height, "annotations": ann,
              "margin": {"l": 90, "r": 20, "t": 60, "b": 40},
              "xaxis": {**hidden, "domain": [0, 1], "range": [-0.5, wide - 0.5], "anchor": "y"},
              "yaxis": {**hidden, "domain": [0.42, 0.95], "scaleanchor": "x", "range": [-2.8, 19.2], "anchor": "x",
                        "showticklabels": True, "tickvals": [3.5, 12.5], "ticktext": [f"k = {k}", "original"]},
              "xaxis2": {**hidden, "domain": [0, 0.09], "range": [-0.5, 7.5], "anchor": "y2"},
              "yaxis2": {**hidden, "domain": [0.0, 0.3], "scaleanchor": "x2", "range": [-2.8, 7.5], "anchor": "x2",
                         "showticklabels": True, "tickvals": [3.5], "ticktext": ["components"]},
              "xaxis3": {**hidden, "domain": [0.11, 1.0], "range": [-0.5, m * 9 - 1.5], "anchor": "y3"},
              "yaxis3": {**hidden, "domain": [0.0, 0.3], "scaleanchor": "x3", "range": [-2.8, 7.5], "anchor": "x3"}}
    return _fig(data, layout)
