"""Figures of the convolution lesson: arithmetic (animated), kernels on photos, pooling,
receptive fields. NumPy in, plotly Figure out.

Grids put row 0 at the top (image convention) and draw one square per cell; several
grids share one axis system side by side (x offsets), so cells are the same size in all.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme

HIGHLIGHT = theme.CATEGORICAL[1]       # orange: what the current output cell reads
HIGHLIGHT_FILL = "rgba(230,159,0,0.38)"
INPUT_SCALE = [[0.0, "#cfd3d8"], [0.125, "#cfd3d8"], [0.125, "#f3f7fb"], [1.0, "#8fbbe0"]]  # z 0 = padding
SIGNED_LIGHT = [[0.0, "#f8c58f"], [0.5, "#f7f7f7"], [1.0, "#9cc4e4"]]   # readable under black digits
GRAY = [[0.0, "#000000"], [1.0, "#ffffff"]]
HEAT = [[0.0, "#ffffff"], [0.15, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
GAP = 2  # empty cells between grids


def _fig(data: list, layout: dict, frames: list | None = None) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, frames=frames or None)


def num(v: float) -> str:
    """A cell's number: integers without decimals, others with up to 2."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v))}".replace("-", "−")
    return f"{v:.2f}".rstrip("0").rstrip(".").replace("-", "−")


def _squares(cells, x0: float = 0.0, pad: float = 0.44) -> tuple[list, list]:
    """Closed square outlines around (row, col) cells, None-separated, for a scatter trace."""
    xs, ys = [], []
    for r, c in cells:
        x, y = c + x0, r
        xs += [x - pad, x + pad, x + pad, x - pad, x - pad, None]
        ys += [y - pad, y - pad, y + pad, y + pad, y - pad, None]
    return xs, ys


def _rect(top: float, left: float, bottom: float, right: float) -> tuple[list, list]:
    return [left, right, right, left, left], [top, top, bottom, bottom, top]


def _grid_trace(z, text, x0: float, colorscale, zmin, zmax, name: str, hover: np.ndarray, size: int) -> dict:
    rows, cols = np.shape(z)
    return {"type": "heatmap", "z": np.asarray(z, float), "x": x0 + np.arange(cols), "y": np.arange(rows),
            "text": text, "texttemplate": "%{text}", "textfont": {"size": size, "color": "#1b1f24"},
            "colorscale": colorscale, "zmin": zmin, "zmax": zmax, "showscale": False, "xgap": 2, "ygap": 2,
            "customdata": hover, "hovertemplate": "%{customdata}<extra>" + name + "</extra>", "name": name}


def _grid_layout(total_cols: int, total_rows: int, title: str, width_px: int = 1000) -> tuple[dict, int]:
    cell = int(max(16, min(46, width_px / max(total_cols, 1))))
    height = int(cell * (total_rows + 3.1) + 110)  # the y range below, title, legend
    axis = dict(showgrid=False, showticklabels=False, ticks="", zeroline=False, showline=False)
    layout = {"title": {"text": title}, "height": max(height, 260), "margin": dict(l=10, r=10, t=60, b=10),
              "xaxis": {**axis, "range": [-0.7, total_cols - 0.3], "constrain": "domain"},
              "yaxis": {**axis, "range": [total_rows + 1.2, -1.9], "scaleanchor": "x", "constrain": "domain"},
              "showlegend": True, "legend": dict(orientation="h", y=-0.02, yanchor="top", x=0, xanchor="left"),
              "plot_bgcolor": "white"}
    return layout, cell


def _label(x: float, text: str) -> dict:
    return {"x": x, "y": -1.05, "text": text, "showarrow": False, "xanchor": "left", "yanchor": "middle",
            "font": {"size": 14}}


def equation(xp: np.ndarray, w: np.ndarray, taps: np.ndarray, pos: int, out_cols: int, value: float,
             max_terms: int = 9) -> str:
    """'out[r, c] = 2·1 + 3·(−1) + … = 5' for output cell ``pos`` (row-major); terms with a
    zero weight are left out."""
    r, c = divmod(int(pos), out_cols)
    terms = []
    for (tr, tc), wv in zip(taps[pos], w.ravel()):
        if wv != 0:
            wt = num(wv)
            terms.append(f"{num(xp[tr, tc])}·{'(' + wt + ')' if wv < 0 else wt}")
    shown = " + ".join(terms[:max_terms]) + (" + …" if len(terms) > max_terms else "")
    return f"out[{r}, {c}] = {shown or '0'} = {num(value)}"


def arithmetic_figure(xp: np.ndarray, w: np.ndarray, y: np.ndarray, taps: np.ndarray, padding: int, pos: int,
                      *, title: str, frame_ms: int = 700, width_px: int = 1000) -> go.Figure:
    """Padded input | kernel | output, the cells output ``pos`` reads highlighted; frames step
    through every output position (an "Animate" button in the figure plays them).

    xp: (Hp, Wp) padded input; w: (kh, kw); y: (oh, ow); taps: (oh·ow, kh·kw, 2) padded
    (row, col) per output cell (row-major); pos: 0-based output index shown statically.
    """
    hp, wp = xp.shape
    kh, kw = w.shape
    oh, ow = y.shape
    xk, xo = wp + GAP, wp + GAP + kw + GAP
    total_cols, total_rows = xo + ow, max(hp, kh, oh)
    layout, cell = _grid_layout(total_cols, total_rows, title, width_px)
    fs = 14 if cell >= 30 else (11 if cell >= 22 else 9)

    is_pad = np.ones((hp, wp), bool)
    is_pad[padding:hp - padding, padding:wp - padding] = False
    z_in = np.where(is_pad, 0.0, xp + 1.0)
    hover_in = np.array([[("padding (0)" if is_pad[r, c] else f"x[{r - padding}, {c - padding}] = {num(xp[r, c])}")
                          for c in range(wp)] for r in range(hp)], dtype=object)
    text_in = np.vectorize(num)(xp).astype(object)
    wmax = max(1.0, float(np.abs(w).max()))
    ymax = max(1.0, float(np.abs(y).max()))
    hover_w = np.array([[f"w[{a}, {b}] = {num(w[a, b])}" for b in range(kw)] for a in range(kh)], dtype=object)
    hover_y = np.array([[f"out[{a}, {b}] = {num(y[a, b])}" for b in range(ow)] for a in range(oh)], dtype=object)
    data = [_grid_trace(z_in, text_in, 0, INPUT_SCALE, 0, 4, "input", hover_in, fs),
            _grid_trace(w, np.vectorize(num)(w).astype(object), xk, SIGNED_LIGHT, -wmax, wmax, "kernel", hover_w, fs),
            _grid_trace(y, np.vectorize(num)(y).astype(object), xo, SIGNED_LIGHT, -ymax, ymax, "output", hover_y, fs)]

    def moving(p: int) -> list[dict]:
        """Only what changes between positions (frames stay small: plotly validates each)."""
        t = taps[p]
        tx, ty = _squares(t)
        (r0, c0), (r1, c1) = t.min(axis=0), t.max(axis=0)
        ex, ey = _rect(r0 - 0.5, c0 - 0.5, r1 + 0.5, c1 + 0.5)
        orow, ocol = divmod(p, ow)
        ox, oy = _squares([(orow, ocol)], xo)
        return [{"x": tx + ox, "y": ty + oy}, {"x": ex, "y": ey},
                {"text": [equation(xp, w, taps, p, ow, y[orow, ocol])]}]

    style = [{"type": "scatter", "mode": "lines", "fill": "toself", "fillcolor": HIGHLIGHT_FILL,
              "line": {"color": HIGHLIGHT, "width": 3}, "name": "the highlighted output and the input cells it reads",
              "hoverinfo": "skip"},
             {"type": "scatter", "mode": "lines", "line": {"color": HIGHLIGHT, "width": 2, "dash": "dot"},
              "name": "kernel span d·(k−1)+1", "hoverinfo": "skip"},
             {"type": "scatter", "x": [-0.5], "y": [total_rows + 0.6], "mode": "text", "textposition": "middle right",
              "textfont": {"size": 15}, "showlegend": False, "hoverinfo": "skip", "name": "sum"}]
    n = oh * ow
    pos = int(min(max(pos, 0), n - 1))
    data += [{**st, **mv} for st, mv in zip(style, moving(pos))]
    frames = [{"name": str(p), "data": moving(p), "traces": [3, 4, 5]} for p in range(n)]
    layout["annotations"] = [_label(-0.5, f"input {hp - 2 * padding}×{wp - 2 * padding}" +
                                    (f" + padding {padding}" if padding else "")),
                             _label(xk - 0.5, f"kernel {kh}×{kw}"), _label(xo - 0.5, f"output {oh}×{ow}")]
    if n > 1:
        layout["updatemenus"] = [{
            "type": "buttons", "direction": "left", "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom",
            "pad": {"r": 0, "t": 0}, "showactive": False, "font": {"size": 13},
            "buttons": [
                {"label": "▶ Animate", "method": "animate",
                 "args": [None, {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
                                 "transition": {"duration": 0}, "mode": "immediate"}]},
                {"label": "■ Stop", "method": "animate",
                 "args": [[None], {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0},
                                   "mode": "immediate"}]}]}]
    return _fig(data, layout, frames)


# -- photos --------------------------------------------------------------------------------

def _image(z, colorscale, zmin, zmax, name: str, fmt: str = ".2f") -> dict:
    return {"type": "heatmap", "z": np.asarray(z, np.float32), "colorscale": colorscale, "zmin": zmin, "zmax": zmax,
            "showscale": False, "name": name,
            "hovertemplate": "row %{y}, col %{x}<br>" + name + " %{z:" + fmt + "}<extra></extra>"}


def _image_axes(fig: go.Figure, n: int) -> None:
    """Panels 1..n as images: no ticks, row 0 on top, square pixels."""
    for i in range(1, n + 1):
        xa = "x" if i == 1 else f"x{i}"
        fig.update_layout({("xaxis" if i == 1 else f"xaxis{i}"): dict(showgrid=False, showticklabels=False,
                                                                      ticks="", showline=False, constrain="domain"),
                           ("yaxis" if i == 1 else f"yaxis{i}"): dict(showgrid=False, showticklabels=False, ticks="",
                                                                      showline=False, autorange="reversed",
                                                                      scaleanchor=xa, constrain="domain")})


def signed_range(v: np.ndarray) -> float:
    """A symmetric colour range ±m for signed responses (the 99th percentile of |v|: a few
    extreme pixels would otherwise wash everything else out)."""
    m = float(np.percentile(np.abs(v), 99)) if np.size(v) else 1.0
    return m if m > 1e-9 else 1.0


def kernel_photo_figure(original: np.ndarray, kernel: np.ndarray, result: np.ndarray,
                        magnitude: np.ndarray | None = None, *, title: str, signed: bool,
                        height: int = 350) -> go.Figure:
    """Photo | kernel (numbers) | result [| Sobel gradient magnitude].

    original, result, magnitude: (H, W); kernel: (k, k). ``signed`` shows the result on an
    orange (−) / grey (0) / blue (+) scale centred on 0 (edge kernels sum to 0); otherwise in
    gray, clipped to [0, 1] as a display would.
    """
    n = 4 if magnitude is not None else 3
    ksum = float(kernel.sum())
    titles = [f"photo {original.shape[0]}×{original.shape[1]}", f"kernel (sum {num(ksum)})",
              "result (orange < 0 < blue)" if signed else "result (clipped to 0…1)"]
    if magnitude is not None:
        titles.append("gradient magnitude √(Gx²+Gy²)")
    widths = [4, 1.5, 4] + ([4] if magnitude is not None else [])
    fig = make_subplots(1, n, column_widths=widths, subplot_titles=titles, horizontal_spacing=0.03)
    fig.add_trace(go.Heatmap(_image(original, GRAY, 0, 1, "value")), 1, 1)
    k = kernel.shape[0]
    kmax = max(float(np.abs(kernel).max()), 1e-9)
    fig.add_trace(go.Heatmap(z=kernel, text=np.vectorize(num)(kernel), texttemplate="%{text}",
                             textfont={"size": 16 if k <= 3 else 12}, colorscale=SIGNED_LIGHT, zmin=-kmax, zmax=kmax,
                             showscale=False, xgap=2, ygap=2, name="kernel",
                             hovertemplate="w[%{y}, %{x}] = %{z:.4g}<extra></extra>"), 1, 2)
    if signed:
        m = signed_range(result)
        fig.add_trace(go.Heatmap(_image(result, theme.DIVERGING, -m, m, "response")), 1, 3)
    else:
        fig.add_trace(go.Heatmap(_image(result, GRAY, 0, 1, "value")), 1, 3)
    if magnitude is not None:
        top = float(np.percentile(magnitude, 99.5)) or 1.0
        fig.add_trace(go.Heatmap(_image(magnitude, GRAY, 0, top, "|∇|")), 1, 4)
    _image_axes(fig, n)
    fig.update_layout(template=theme.NAME, title=title, height=height, margin=dict(l=10, r=10, t=80, b=10))
    for a in fig.layout.annotations:
        a.font = dict(size=14)
    return fig


def pool_photo_figure(original: np.ndarray, maxp: np.ndarray, avgp: np.ndarray, *, size: int, stride: int,
                      height: int = 380) -> go.Figure:
    """Photo | max-pooled | average-pooled, each panel the same display size (H, W arrays)."""
    titles = [f"photo {original.shape[0]}×{original.shape[1]}",
              f"max pool {size}×{size}, stride {stride} → {maxp.shape[0]}×{maxp.shape[1]}",
              f"average pool → {avgp.shape[0]}×{avgp.shape[1]}"]
    fig = make_subplots(1, 3, subplot_titles=titles, horizontal_spacing=0.03)
    for i, (img, name) in enumerate(((original, "value"), (maxp, "max"), (avgp, "mean")), 1):
        fig.add_trace(go.Heatmap(_image(img, GRAY, 0, 1, name)), 1, i)
    _image_axes(fig, 3)
    fig.update_layout(template=theme.NAME, title="Pooling the photo: max keeps the bright details, average blurs",
                      height=height, margin=dict(l=10, r=10, t=80, b=10))
    for a in fig.layout.annotations:
        a.font = dict(size=14)
    return fig


def pool_patch_figure(patch: np.ndarray, maxp: np.ndarray, avgp: np.ndarray, winners: np.ndarray, *, size: int,
                      stride: int, width_px: int = 1000) -> go.Figure:
    """A small integer patch | its max pooling | its average pooling, with numbers; the cells
    max pooling keeps outlined, and the first window and its two outputs marked."""
    h, w = patch.shape
    oh, ow = maxp.shape
    xm, xa = w + GAP, w + GAP + ow + GAP
    total_cols, total_rows = xa + ow, max(h, oh)
    layout, cell = _grid_layout(total_cols, total_rows, f"Pooling {size}×{size} with stride {stride} on an "
                                                        f"{h}×{w} patch of the photo (values 0–9)", width_px)
    fs = 14 if cell >= 30 else 11
    hi = max(1.0, float(patch.max()))
    hov = lambda a, name: np.array([[f"{name}[{r}, {c}] = {num(a[r, c])}" for c in range(a.shape[1])]  # noqa: E731
                                    for r in range(a.shape[0])], dtype=object)
    scale = [[0.0, "#f3f7fb"], [1.0, "#8fbbe0"]]
    data = [_grid_trace(patch, np.vectorize(num)(patch).astype(object), 0, scale, 0, hi, "patch",
                        hov(patch, "x"), fs),
            _grid_trace(maxp, np.vectorize(num)(maxp).astype(object), xm, scale, 0, hi, "max", hov(maxp, "max"), fs),
            _grid_trace(avgp, np.vectorize(lambda v: f"{v:.1f}")(avgp).astype(object), xa, scale, 0, hi, "average",
                        hov(avgp, "avg"), fs)]
    wx, wy = _squares(np.argwhere(winners))
    data.append({"type": "scatter", "x": wx, "y": wy, "mode": "lines", "line": {"color": theme.CATEGORICAL[5],
                 "width": 2.5}, "name": "cells max pooling passes on (and sends gradient to)", "hoverinfo": "skip"})
    fx, fy = _rect(-0.5, -0.5, size - 0.5, size - 0.5)
    ox, oy = _squares([(0, 0)], xm)
    ax, ay = _squares([(0, 0)], xa)
    data.append({"type": "scatter", "x": fx + [None] + ox + [None] + ax, "y": fy + [None] + oy + [None] + ay,
                 "mode": "lines", "line": {"color": HIGHLIGHT, "width": 3, "dash": "dot"},
                 "name": "the first window and its outputs", "hoverinfo": "skip"})
    layout["annotations"] = [_label(-0.5, f"patch {h}×{w}"), _label(xm - 0.5, f"max {oh}×{ow}"),
                             _label(xa - 0.5, f"average {oh}×{ow}")]
    return _fig(data, layout)


# -- receptive fields --------------------------------------------------------------------

def rf_squares_figure(img: np.ndarray, sides: list[int], labels: list[str], *, height: int = 600) -> go.Figure:
    """The photo (N, N) with one square per layer, centred, of side = that layer's receptive
    field in pixels (squares larger than the photo run off its edges). The view zooms to the
    central max(48, 1.5·largest side) pixels, so small fields stay visible."""
    n = img.shape[0]
    c = (n - 1) / 2
    view = min(float(n), max(48.0, 1.5 * max(sides, default=1)))
    data = [_image(img, GRAY, 0, 1, "value")]
    data[0]["showlegend"] = False
    for i, (s, lab) in enumerate(zip(sides, labels)):
        half = s / 2
        xs, ys = _rect(c - half, c - half, c + half, c + half)
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "name": lab,
                     "line": {"color": theme.CATEGORICAL[i % len(theme.CATEGORICAL)], "width": 2.5},
                     "hovertemplate": lab + "<extra></extra>"})
    axis = dict(showgrid=False, ticks="outside", zeroline=False)
    lo, hi = c - view / 2, c + view / 2
    zoom = f" · central {round(view)}×{round(view)} of {n}×{n} shown" if view < n else ""
    layout = {"title": {"text": "Receptive field after each layer"},
              "height": height, "margin": dict(l=50, r=10, t=60, b=40),
              "xaxis": {**axis, "range": [lo, hi], "title": {"text": "input pixel (column)" + zoom},
                        "constrain": "domain"},
              "yaxis": {**axis, "range": [hi, lo], "scaleanchor": "x", "title": {"text": "input pixel (row)"},
                        "constrain": "domain"},
              "legend": dict(orientation="h", x=0, y=-0.12, yanchor="top", font=dict(size=13))}
    return _fig(data, layout)


def erf_figure(grad: np.ndarray, box: tuple, eff_side: int, *, mass: float = 0.9, title: str,
               height: int = 600) -> go.Figure:
    """|∂y/∂x| (N, N), scaled to max 1, with the theoretical receptive field (box = (top, left,
    side)) and the centred square holding ``mass`` of the gradient (side ``eff_side``)."""
    g = np.asarray(grad, float)
    g = g / g.max() if g.max() > 0 else g
    top, left, side = box
    cy, cx = top + (side - 1) / 2, left + (side - 1) / 2
    tx, ty = _rect(top - 0.5, left - 0.5, top + side - 0.5, left + side - 0.5)
    h = eff_side / 2
    ex, ey = _rect(cy - h, cx - h, cy + h, cx + h)
    data = [{"type": "heatmap", "z": g.astype(np.float32), "colorscale": HEAT, "zmin": 0, "zmax": 1,
             "colorbar": {"title": {"text": "|∂y/∂x|<br>(max = 1)", "side": "right"}, "len": 0.8, "thickness": 14},
             "hovertemplate": "row %{y}, col %{x}<br>|∂y/∂x| = %{z:.3f}<extra></extra>", "showlegend": False},
            {"type": "scatter", "x": tx, "y": ty, "mode": "lines", "line": {"color": HIGHLIGHT, "width": 3},
             "name": f"theoretical receptive field {side}×{side}"},
            {"type": "scatter", "x": ex, "y": ey, "mode": "lines", "line": {"color": theme.CATEGORICAL[5],
             "width": 2.5, "dash": "dash"}, "name": f"{round(100 * mass)} % of the gradient: {eff_side}×{eff_side}"}]
    n = g.shape[0]
    axis = dict(showgrid=False, ticks="outside", zeroline=False)
    layout = {"title": {"text": title}, "height": height, "margin": dict(l=50, r=10, t=60, b=40),
              "xaxis": {**axis, "range": [-0.5, n - 0.5], "title": {"text": "input pixel (column)"},
                        "constrain": "domain"},
              "yaxis": {**axis, "range": [n - 0.5, -0.5], "scaleanchor": "x", "title": {"text": "input pixel (row)"},
                        "constrain": "domain"},
              "legend": dict(orientation="h", x=0, y=-0.12, yanchor="top", font=dict(size=13))}
    return _fig(data, layout)
