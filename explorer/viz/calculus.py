"""Figures of the calculus page: a surface's contours with its gradient field and the
Hessian's eigen-directions at a point, slices along them, a map's local linearization, an
expression graph with forward values and backward gradients, and Lagrange multipliers.

Plain NumPy in, plotly Figure out. Points are (n, 2) arrays; NaN rows separate polylines.
Arrows are one scatter trace each: a segment per arrow with an arrowhead marker at its tip.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

UP, DOWN, FLAT = theme.POSITIVE, theme.NEGATIVE, "#7f8a96"       # curvature > 0, < 0, ≈ 0
GRAD_COLOR, CON_COLOR, PROBE_COLOR = "#C0392B", theme.CATEGORICAL[1], theme.CATEGORICAL[3]
MAP_SCALE = [[0.0, "#f7fbff"], [0.4, "#d6e6f4"], [0.75, "#9ecae1"], [1.0, "#5a9bcf"]]
KIND_STYLE = {"minimum": ("circle", theme.CATEGORICAL[2]), "maximum": ("triangle-up", theme.CATEGORICAL[5]),
              "saddle": ("x", theme.CATEGORICAL[3]), "degenerate": ("diamond", "#555555")}


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def _xy(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plotly coordinates: float arrays where NaN breaks the line (arrays validate far faster
    than lists, which matters for figures with many animation frames)."""
    pts = np.asarray(pts, float)
    return pts[:, 0].copy(), pts[:, 1].copy()


def arrows(starts, vecs, name: str, color: str, width: float = 3.0, head: int = 12, show: bool = True,
           axes: tuple = ("x", "y"), dash: str = "solid") -> dict:
    """One trace of arrows start → start + vec. starts, vecs: (n, 2)."""
    s = np.asarray(starts, float).reshape(-1, 2)
    v = np.asarray(vecs, float).reshape(-1, 2)
    pts = np.full((len(s), 3, 2), np.nan)
    pts[:, 0], pts[:, 1] = s, s + v
    xs, ys, sizes = pts[:, :, 0].ravel(), pts[:, :, 1].ravel(), np.tile([0, head, 0], len(s))
    return {"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": name, "showlegend": show,
            "line": {"color": color, "width": width, "dash": dash}, "hoverinfo": "skip",
            "marker": {"symbol": "arrow", "size": sizes, "angleref": "previous", "color": color},
            "xaxis": axes[0], "yaxis": axes[1]}


def display_values(z: np.ndarray, log: bool) -> tuple[np.ndarray, str]:
    """Colour values: f itself, or log₁₀(1 + f − min f) when f spans decades."""
    z = np.asarray(z, float)
    if not log:
        return z, "f"
    return np.log10(1.0 + z - np.nanmin(z)), "log₁₀(1 + f − min f)"


# --------------------------------------------------------------------------- gradient, Hessian
def surface_figure(xs, ys, z, log: bool, base, vecs, point, grad, eigvecs, eig, critical: list, box: tuple,
                   title: str, height: int = 620) -> go.Figure:
    """Contours of f, the gradient field (arrows uphill, length ∝ log(1 + ‖∇f‖)), the
    chosen point with ∇f and the Hessian's eigen-directions (blue: curves up, orange: down),
    and the critical points by kind.

    xs (n,), ys (m,), z (m, n); base, vecs: (k, 2) arrow bases and gradients; point (2,);
    grad (2,); eigvecs (2, 2) columns; eig (2,); critical: [(x, y, kind)]; box (x0, x1, y0, y1)."""
    zd, ztitle = display_values(z, log)
    w = min(box[1] - box[0], box[3] - box[2])
    cell = (box[1] - box[0]) / max(2, int(np.sqrt(len(base))))
    mag = np.linalg.norm(vecs, axis=1)
    top = float(np.log1p(mag.max())) if len(mag) and mag.max() > 0 else 1.0
    unit = np.divide(vecs, mag[:, None], out=np.zeros_like(vecs, dtype=float), where=mag[:, None] > 0)
    lengths = 0.85 * cell * np.log1p(mag) / top
    data = [{"type": "contour", "x": xs, "y": ys, "z": zd, "colorscale": MAP_SCALE, "ncontours": 22,
             "contours": {"coloring": "fill", "showlines": True}, "line": {"color": "rgba(40,70,110,0.35)", "width": 1},
             "colorbar": {"title": {"text": ztitle, "side": "right"}, "thickness": 10, "len": 0.6, "y": 0.7,
                          "tickfont": {"size": 11}},
             "name": "f", "hovertemplate": "x=%{x:.2f}, y=%{y:.2f}<extra></extra>", "showlegend": False},
            arrows(base - unit * lengths[:, None] / 2, unit * lengths[:, None], "∇f field (uphill)", "#33475b",
                   width=1.3, head=7)]
    gn = float(np.linalg.norm(grad))
    if gn > 0:
        data.append(arrows([point], [grad / gn * 0.16 * w], f"∇f at p: ‖∇f‖ = {gn:.3g}", GRAD_COLOR, width=4,
                           head=15))
    for i in range(2):
        e, lam = eigvecs[:, i], float(eig[i])
        color = FLAT if abs(lam) <= 1e-6 * max(1.0, float(np.abs(eig).max())) else UP if lam > 0 else DOWN
        seg = np.array([point - 0.2 * w * e, point + 0.2 * w * e])
        shape = "flat" if color == FLAT else "bends up" if lam > 0 else "bends down"
        data.append({"type": "scatter", "mode": "lines", "x": seg[:, 0], "y": seg[:, 1],
                     "name": f"Hessian e{'₁₂'[i]}, λ = {lam:.3g}: {shape}",
                     "line": {"color": color, "width": 5, "dash": "solid" if i == 0 else "dot"},
                     "hoverinfo": "skip"})
    for kind, (symbol, color) in KIND_STYLE.items():
        pts = [(c[0], c[1]) for c in critical if c[2] == kind]
        if pts:
            a = np.array(pts)
            data.append({"type": "scatter", "mode": "markers", "x": a[:, 0], "y": a[:, 1], "name": kind,
                         "marker": {"symbol": symbol, "size": 13, "color": color,
                                    "line": {"color": "white" if symbol != "x" else color, "width": 1.5}},
                         "hovertemplate": f"{kind} (%{{x:.4f}}, %{{y:.4f}})<extra></extra>"})
    data.append({"type": "scatter", "mode": "markers", "x": [float(point[0])], "y": [float(point[1])],
                 "name": f"p = ({point[0]:.3g}, {point[1]:.3g})",
                 "marker": {"symbol": "star", "size": 18, "color": "#111111", "line": {"color": "white", "width": 1.5}}})
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"title": {"text": "x"}, "range": [box[0], box[1]], "constrain": "domain", "showgrid": False},
              "yaxis": {"title": {"text": "y"}, "range": [box[2], box[3]], "scaleanchor": "x", "constrain": "domain",
                        "showgrid": False},
              "legend": {"orientation": "h", "y": -0.13, "x": 0.0, "yanchor": "top", "entrywidth": 0.5,
                         "entrywidthmode": "fraction", "font": {"size": 13}},
              "margin": {"l": 55, "r": 10, "t": 50, "b": 140}}
    return _fig(data, layout)


def slices_figure(s, f, model, eig, height: int = 380) -> go.Figure:
    """f along each Hessian eigenvector through p (solid) and the quadratic model (dashed).
    s (n,); f, model (2, n); eig (2,)."""
    data = []
    for i in range(2):
        lam = float(eig[i])
        color = FLAT if abs(lam) <= 1e-6 * max(1.0, float(np.abs(eig).max())) else UP if lam > 0 else DOWN
        sub = "₁₂"[i]
        data += [{"type": "scatter", "mode": "lines", "x": s, "y": f[i], "name": f"f(p + s·e{sub})",
                  "line": {"color": color, "width": 3, "dash": "solid" if i == 0 else "dot"}},
                 {"type": "scatter", "mode": "lines", "x": s, "y": model[i],
                  "name": f"quadratic model, λ{sub} = {lam:.3g}",
                  "line": {"color": color, "width": 1.8, "dash": "dash" if i == 0 else "dashdot"}, "opacity": 0.8}]
    layout = {"title": {"text": "f along the Hessian's eigen-directions through p"}, "height": height,
              "xaxis": {"title": {"text": "s (distance from p along e)"}}, "yaxis": {"title": {"text": "f"}},
              "legend": {"orientation": "h", "y": -0.25, "x": 0.0, "yanchor": "top"},
              "margin": {"l": 60, "r": 20, "t": 50, "b": 110}}
    return _fig(data, layout)


# --------------------------------------------------------------------------- Jacobian
def jacobian_figure(domain, image, linear, point, fp, jac, h: float, names: tuple = ("u", "v", "x", "y"),
                    height: int = 520) -> go.Figure:
    """Left: a grid of half-width h around p. Right: its image under F (curved) and under the
    linear map F(p) + J (q − p) (dashed), with J's columns (scaled by h) from F(p).
    domain, image, linear: (k, 2) NaN-separated; point, fp (2,); jac (2, 2)."""
    dx, dy = _xy(domain)
    ix, iy = _xy(image)
    lx, ly = _xy(linear)
    data = [{"type": "scatter", "mode": "lines", "x": dx, "y": dy, "name": "grid around p",
             "line": {"color": "#6b7785", "width": 1.5}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "markers", "x": [float(point[0])], "y": [float(point[1])], "name": "p",
             "marker": {"size": 12, "color": "#111111", "symbol": "star"}},
            {"type": "scatter", "mode": "lines", "x": ix, "y": iy, "name": "F(grid): the true image",
             "line": {"color": theme.CATEGORICAL[0], "width": 2}, "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip"},
            {"type": "scatter", "mode": "lines", "x": lx, "y": ly, "name": "F(p) + J(q − p): the linear map",
             "line": {"color": theme.CATEGORICAL[1], "width": 2, "dash": "dash"}, "xaxis": "x2", "yaxis": "y2",
             "hoverinfo": "skip"},
            arrows([fp], [h * jac[:, 0]], f"h·J e₁ (column 1: ∂F/∂{names[0]})", theme.CATEGORICAL[5], axes=("x2", "y2")),
            arrows([fp], [h * jac[:, 1]], f"h·J e₂ (column 2: ∂F/∂{names[1]})", theme.CATEGORICAL[2],
                   axes=("x2", "y2")),
            {"type": "scatter", "mode": "markers", "x": [float(fp[0])], "y": [float(fp[1])], "name": "F(p)",
             "marker": {"size": 10, "color": "#111111"}, "xaxis": "x2", "yaxis": "y2"}]
    lo, hi = np.nanmin(np.r_[image, linear], axis=0), np.nanmax(np.r_[image, linear], axis=0)
    c, r = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2 * 1.1, 1e-6)
    pad = h * 1.15
    layout = {"title": {"text": "A small grid around p and its image: the Jacobian is the best linear map there"},
              "height": height, "legend": {"orientation": "h", "y": -0.15, "x": 0.0, "yanchor": "top"},
              "margin": {"l": 60, "r": 20, "t": 60, "b": 120},
              "xaxis": {"domain": [0, 0.42], "title": {"text": names[0]}, "range": [point[0] - pad, point[0] + pad],
                        "constrain": "domain"},
              "yaxis": {"title": {"text": names[1]}, "range": [point[1] - pad, point[1] + pad], "scaleanchor": "x",
                        "constrain": "domain"},
              "xaxis2": {"domain": [0.55, 1], "title": {"text": names[2]}, "range": [c[0] - r, c[0] + r],
                         "anchor": "y2", "constrain": "domain"},
              "yaxis2": {"title": {"text": names[3]}, "range": [c[1] - r, c[1] + r], "anchor": "x2",
                         "scaleanchor": "x2", "constrain": "domain"},
              "annotations": [{"text": "input: (u, v) near p", "x": 0.21, "y": 1.0, "xref": "paper", "yref": "paper",
                               "showarrow": False, "yanchor": "bottom", "font": {"size": 14}},
                              {"text": "output: F(u, v) near F(p)", "x": 0.775, "y": 1.0, "xref": "paper",
                               "yref": "paper", "showarrow": False, "yanchor": "bottom", "font": {"size": 14}}]}
    return _fig(data, layout)


# --------------------------------------------------------------------------- expression graph
def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return str(v)
    return f"{v:.4g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.2e}"


def graph_figure(labels: list, kinds: list, pos, values, grads, edges: list, title: str,
                 height: int | None = None) -> go.Figure:
    """Nodes as boxes showing the operation, the forward value (black) and ∂f/∂node (red);
    arrows along the forward direction, each labelled with its local derivative ∂dst/∂src.

    labels, kinds: per node ('var' | 'const' | 'op' | 'out'); pos (n, 2) columns × rows;
    values, grads (n,); edges: [(src, dst, local derivative)]."""
    pos = np.asarray(pos, float)
    fill = {"var": "#dbeafb", "const": "#eef0f2", "op": "#ffffff", "out": "#fde9cf"}
    bw, bh = 0.3, 0.33
    shapes, ann = [], []
    for (s, d, local) in edges:
        a, b = pos[s], pos[d]
        ann.append({"x": b[0] - bw, "y": b[1], "ax": a[0] + bw, "ay": a[1], "xref": "x", "yref": "y", "axref": "x",
                    "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 1.5,
                    "arrowcolor": "#7f8a96", "text": ""})
        mid = ((a + [bw, 0.0]) + (b - [bw, 0.0])) / 2
        ann.append({"x": float(mid[0]), "y": float(mid[1]), "xref": "x", "yref": "y", "showarrow": False,
                    "text": f"×{_fmt(local)}", "font": {"size": 12, "color": "#5b6570"},
                    "bgcolor": "rgba(255,255,255,0.85)"})
    for i, (lab, kind) in enumerate(zip(labels, kinds)):
        x, y = pos[i]
        shapes.append({"type": "rect", "x0": x - bw, "x1": x + bw, "y0": y - bh, "y1": y + bh, "xref": "x", "yref": "y",
                       "fillcolor": fill[kind], "line": {"color": "#33475b" if kind != "out" else "#d55e00",
                                                         "width": 1.5 if kind != "out" else 2.5}, "layer": "below"})
        ann.append({"x": float(x), "y": float(y), "xref": "x", "yref": "y", "showarrow": False, "align": "center",
                    "text": f"<b>{lab}</b><br>{_fmt(values[i])}<br><span style='color:{GRAD_COLOR}'>"
                            f"∂f = {_fmt(grads[i])}</span>", "font": {"size": 13, "color": "#1b1f24"}})
    hover = [f"{lab}<br>value {_fmt(v)}<br>∂f/∂node {_fmt(g)}" for lab, v, g in zip(labels, values, grads)]
    data = [{"type": "scatter", "mode": "markers", "x": pos[:, 0], "y": pos[:, 1], "text": hover,
             "hoverinfo": "text", "marker": {"size": 40, "opacity": 0}, "name": "nodes", "showlegend": False}]
    rows = int(max(np.sum(pos[:, 0] == c) for c in np.unique(pos[:, 0])))
    layout = {"title": {"text": title}, "height": height or max(340, 120 * rows + 110), "shapes": shapes,
              "annotations": ann, "showlegend": False, "margin": {"l": 20, "r": 20, "t": 60, "b": 20},
              "xaxis": {"visible": False, "range": [pos[:, 0].min() - 0.5, pos[:, 0].max() + 0.5]},
              "yaxis": {"visible": False, "range": [pos[:, 1].min() - 0.55, pos[:, 1].max() + 0.55]}}
    return _fig(data, layout)


# --------------------------------------------------------------------------- Lagrange
def lagrange_figure(xs, ys, z, curve, extrema: list, probe: dict, box: tuple, title: str,
                    height: int = 620) -> go.Figure:
    """Level sets of f, the constraint curve, each constrained extremum with ∇f (red) and
    ∇g (orange) — parallel there — and the level set of f through it, plus a probe point
    where they are not parallel and f still changes along the curve.

    xs (n,), ys (m,), z (m, n); curve (k, 2); extrema: dicts with point (2,), kind
    ('min' | 'max'), value, grad_f, grad_g (2,), best; probe: dict with point, grad_f,
    grad_g, tangent (2,) and slope; box (x0, x1, y0, y1). Arrows are unit length × 12 % of
    the view: they show directions."""
    L = 0.12 * min(box[1] - box[0], box[3] - box[2])

    def unit(v):
        n = float(np.linalg.norm(v))
        return np.asarray(v, float) / n * L if n > 1e-12 else np.zeros(2)

    cx, cy = _xy(curve)
    data = [{"type": "contour", "x": xs, "y": ys, "z": z, "ncontours": 18, "colorscale": "Viridis",
             "contours": {"coloring": "lines", "showlabels": True, "labelfont": {"size": 11}},
             "line": {"width": 1.2}, "showscale": False, "name": "level sets of f",
             "hovertemplate": "f(%{x:.2f}, %{y:.2f}) = %{z:.3f}<extra></extra>", "showlegend": False},
            {"type": "scatter", "mode": "lines", "x": cx, "y": cy, "name": "constraint g(x, y) = c",
             "line": {"color": "#111111", "width": 3.5}, "hoverinfo": "skip"}]
    shown = set()
    for e in extrema:
        if not e["best"]:
            continue
        if e["value"] in shown:
            continue
        shown.add(e["value"])
        data.append({"type": "contour", "x": xs, "y": ys, "z": z, "showscale": False, "hoverinfo": "skip",
                     "contours": {"coloring": "none", "start": e["value"], "end": e["value"], "size": 1.0},
                     "line": {"color": KIND_STYLE["minimum" if e["kind"] == "min" else "maximum"][1], "width": 2.5,
                              "dash": "dash"},
                     "name": f"level set f = {e['value']:.3g} (global {e['kind']})", "showlegend": True})
    for kind, symbol, color in (("min", "triangle-down", KIND_STYLE["minimum"][1]),
                                ("max", "triangle-up", KIND_STYLE["maximum"][1])):
        pts = [e for e in extrema if e["kind"] == kind]
        if pts:
            a = np.array([e["point"] for e in pts])
            data.append({"type": "scatter", "mode": "markers", "x": a[:, 0], "y": a[:, 1],
                         "name": f"constrained {kind}imum" if kind == "min" else "constrained maximum",
                         "marker": {"symbol": symbol, "size": 15, "color": color, "line": {"color": "white", "width": 1.5}},
                         "text": [f"f = {e['value']:.4g}" for e in pts],
                         "hovertemplate": "(%{x:.4f}, %{y:.4f}) %{text}<extra></extra>"})
    if extrema:
        st = np.array([e["point"] for e in extrema])
        data.append(arrows(st, np.array([unit(e["grad_f"]) for e in extrema]), "∇f (direction)", GRAD_COLOR, width=3.5))
        data.append(arrows(st, np.array([unit(e["grad_g"]) for e in extrema]), "∇g (direction)", CON_COLOR,
                           width=3.5, dash="dot"))
    q = np.asarray(probe["point"], float)
    tan = np.asarray(probe["tangent"], float) * L * 0.9
    data += [{"type": "scatter", "mode": "markers", "x": [float(q[0])], "y": [float(q[1])],
              "name": f"probe: slope {probe['slope']:.3g} along the curve",
              "marker": {"symbol": "circle", "size": 13, "color": PROBE_COLOR, "line": {"color": "white", "width": 1.5}}},
             arrows([q], [unit(probe["grad_f"])], "∇f at the probe", GRAD_COLOR, width=2.5, show=False),
             arrows([q], [unit(probe["grad_g"])], "∇g at the probe", CON_COLOR, width=2.5, show=False, dash="dot"),
             arrows([q], [tan if probe["slope"] >= 0 else -tan], "uphill along the curve", PROBE_COLOR, width=2.5,
                    dash="dash")]
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"title": {"text": "x"}, "range": [box[0], box[1]], "constrain": "domain", "showgrid": False},
              "yaxis": {"title": {"text": "y"}, "range": [box[2], box[3]], "scaleanchor": "x", "constrain": "domain",
                        "showgrid": False},
              "legend": {"orientation": "h", "y": -0.13, "x": 0.0, "yanchor": "top", "entrywidth": 0.5,
                         "entrywidthmode": "fraction", "font": {"size": 13}},
              "margin": {"l": 55, "r": 10, "t": 50, "b": 140}}
    return _fig(data, layout)
