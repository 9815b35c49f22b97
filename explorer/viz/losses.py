"""Figures of the losses lesson: robust fits, loss vs residual/margin, imbalanced classifiers.

Plain NumPy and dicts in, plotly Figure out. One colour per loss across every chart:
MSE/cross-entropy blue, MAE/hinge orange, Huber/focal green, custom pink.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

C = theme.CATEGORICAL
COLORS = {"mse": C[0], "mae": C[1], "huber": C[2], "custom": C[3],
          "ce": C[0], "hinge": C[1], "focal": C[2], "sq_hinge": C[5], "zero_one": "#6b7280"}
DASH = {"custom": "dash", "zero_one": "dot", "sq_hinge": "dashdot"}
MAJOR, MINOR = C[4], C[5]  # sky blue majority, vermillion minority


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout})


def _line(name: str, label: str, x, y, **kw) -> dict:
    return {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": label, "legendgroup": name,
            "line": {"color": COLORS.get(name, C[7]), "width": 3, "dash": DASH.get(name, "solid")}, **kw}


def robust_fit_figure(x: np.ndarray, y: np.ndarray, is_outlier: np.ndarray, grid_x: np.ndarray,
                      truth: np.ndarray, lines: dict, labels: dict, *, title: str = "Fits",
                      height: int = 440) -> go.Figure:
    """Points (inliers, outliers) with the true line and one fitted curve per loss.

    x, y, is_outlier: (n,); grid_x, truth: (G,); lines: {name: (G,)}; labels: {name: legend text}.
    """
    data = [{"type": "scatter", "mode": "lines", "x": grid_x, "y": truth, "name": "true line",
             "line": {"color": "#9aa3ad", "width": 2, "dash": "dot"}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "markers", "x": x[~is_outlier], "y": y[~is_outlier], "name": "points",
             "marker": {"color": "#4b5563", "size": 8, "opacity": 0.8},
             "hovertemplate": "x=%{x:.2f}<br>y=%{y:.2f}<extra>point</extra>"}]
    if is_outlier.any():
        data.append({"type": "scatter", "mode": "markers", "x": x[is_outlier], "y": y[is_outlier],
                     "name": "outlier" + ("s" if is_outlier.sum() > 1 else ""),
                     "marker": {"color": MINOR, "size": 15, "symbol": "star", "line": {"color": "white", "width": 1}},
                     "hovertemplate": "x=%{x:.2f}<br>y=%{y:.2f}<extra>outlier</extra>"})
    for name, yy in lines.items():
        data.append(_line(name, labels.get(name, name), grid_x, yy, hovertemplate="%{y:.2f}<extra>" +
                          labels.get(name, name) + "</extra>"))
    span = np.concatenate([y, truth])
    lo, hi = float(span.min()), float(span.max())
    pad = 0.08 * (hi - lo + 1e-9)
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}, "range": [lo - pad, hi + pad]},
              "legend": {"orientation": "h", "y": -0.18, "x": 0}, "margin": {"l": 60, "r": 20, "t": 50, "b": 70}}
    return _fig(data, layout)


def _two_panels(title_left: str, title_right: str, xlabel: str, ylabels: tuple, height: int) -> dict:
    return {"height": height,
            "xaxis": {"domain": [0, 0.47], "title": {"text": xlabel}, "anchor": "y"},
            "yaxis": {"title": {"text": ylabels[0]}, "anchor": "x"},
            "xaxis2": {"domain": [0.55, 1], "title": {"text": xlabel}, "anchor": "y2"},
            "yaxis2": {"title": {"text": ylabels[1]}, "anchor": "x2"},
            "annotations": [
                {"text": f"<b>{title_left}</b>", "x": 0, "xref": "paper", "y": 1.02, "yref": "paper",
                 "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 16}},
                {"text": f"<b>{title_right}</b>", "x": 0.55, "xref": "paper", "y": 1.02, "yref": "paper",
                 "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 16}}],
            "legend": {"orientation": "h", "y": -0.2, "x": 0}, "margin": {"l": 60, "r": 20, "t": 50, "b": 80}}


def curves_figure(grid: np.ndarray, curves: dict, labels: dict, *, kind: str = "regression",
                  marks: dict | None = None, delta: float | None = None, height: int = 420) -> go.Figure:
    """Loss (left) and its derivative (right) against the residual or the margin.

    grid: (n,); curves: {name: (loss (n,), derivative (n,))}; kind "regression" (x = residual
    r, right panel ψ = dρ/dr: the pull of a point on the fit) or "margin" (x = y·f(x),
    right panel −dℓ/dm: how hard an example pushes). marks: {name: x} draws a marker on that
    curve (the outlier's residual under each fit); delta draws Huber's ±δ.
    """
    reg = kind == "regression"
    data = []
    for name, (loss, der) in curves.items():
        label = labels.get(name, name)
        show = -der if not reg else der
        data.append(_line(name, label, grid, loss, hovertemplate="%{y:.3f}<extra>" + label + "</extra>"))
        data.append(_line(name, label, grid, show, xaxis="x2", yaxis="y2", showlegend=False,
                          hovertemplate="%{y:.3f}<extra>" + label + "</extra>"))
        if marks and name in marks and marks[name] is not None:
            r = float(marks[name])
            i = int(np.argmin(np.abs(grid - r)))
            for ax, val in (("", loss[i]), ("2", show[i])):
                data.append({"type": "scatter", "mode": "markers", "x": [r], "y": [val], "legendgroup": name,
                             "showlegend": False, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                             "marker": {"color": COLORS.get(name, C[7]), "size": 13, "symbol": "star",
                                        "line": {"color": "white", "width": 1}},
                             "hovertemplate": f"outlier's residual {r:.2f}<extra>{label}</extra>"})
    xmax = float(np.max(np.abs(grid)))
    if reg:
        layout = _two_panels("Loss ρ(r)", "Pull on the fit ψ(r) = ρ′(r)", "residual r = y − ŷ",
                             ("loss", "ψ(r)"), height)
        finite = [c[0] for n, c in curves.items() if n != "mse"]
        top = max(3.0, 1.3 * float(np.max(finite))) if finite else None
        layout["yaxis"]["range"] = [0, top] if top else None
        layout["yaxis2"]["range"] = [-3.2, 3.2]
    else:
        layout = _two_panels("Loss ℓ(m)", "Push on the example −ℓ′(m)", "margin m = y·f(x)",
                             ("loss", "−dℓ/dm"), height)
        layout["yaxis"]["range"] = [0, 4.5]
        layout["yaxis2"]["range"] = [-0.1, 2.2]
        for ax in ("", "2"):
            data.append({"type": "scatter", "mode": "lines", "x": [0, 0], "y": [0, 10], "xaxis": f"x{ax}",
                         "yaxis": f"y{ax}", "line": {"color": "#9aa3ad", "width": 1}, "showlegend": False,
                         "hoverinfo": "skip"})
    layout["xaxis"]["range"] = layout["xaxis2"]["range"] = [-xmax, xmax]
    shapes = []
    if reg and delta is not None and delta < xmax:
        for ax in ("x", "x2"):
            for s in (-delta, delta):
                shapes.append({"type": "line", "xref": ax, "yref": "paper", "x0": s, "x1": s, "y0": 0, "y1": 1,
                               "line": {"color": COLORS["huber"], "width": 1, "dash": "dot"}})
    layout["shapes"] = shapes
    return _fig(data, layout)


def imbalance_figure(train_xy: np.ndarray, train_y: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                     probs: np.ndarray, labels: list[str], *, height: int = 400) -> go.Figure:
    """One panel per model: P(minority) over the plane (heatmap), its 0.5 boundary and the
    training points. probs: (M, g, g) with rows along ys; train_y in {0, 1}."""
    m = len(labels)
    gap = 0.03
    w = (1 - gap * (m - 1)) / m
    data, layout = [], {"height": height, "annotations": [],
                        "legend": {"orientation": "h", "y": -0.22, "x": 0},
                        "margin": {"l": 50, "r": 70, "t": 50, "b": 80}}
    for k, label in enumerate(labels):
        ax = "" if k == 0 else str(k + 1)
        data.append({"type": "heatmap", "x": xs, "y": ys, "z": probs[k], "zmin": 0, "zmax": 1,
                     "colorscale": [[0, "#cfe3f3"], [0.5, "#ffffff"], [1, "#f5c1a3"]], "showscale": k == m - 1,
                     "colorbar": {"title": {"text": "P(minority)"}, "len": 0.85, "thickness": 12},
                     "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                     "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>P(minority)=%{z:.2f}<extra>" + label + "</extra>"})
        data.append({"type": "contour", "x": xs, "y": ys, "z": probs[k], "showscale": False,
                     "contours": {"coloring": "none", "start": 0.5, "end": 0.5, "size": 1},
                     "line": {"color": "#1b1f24", "width": 2.5}, "hoverinfo": "skip", "xaxis": f"x{ax}",
                     "yaxis": f"y{ax}", "name": "boundary P = 0.5", "showlegend": k == 0})
        for c, color, name in ((0, MAJOR, "majority"), (1, MINOR, "minority")):
            sel = train_y == c
            data.append({"type": "scatter", "mode": "markers", "x": train_xy[sel, 0], "y": train_xy[sel, 1],
                         "name": f"{name} (class {c})", "showlegend": k == 0, "legendgroup": name,
                         "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                         "marker": {"color": color, "size": 6 if c == 0 else 8,
                                    "symbol": "circle" if c == 0 else "diamond",
                                    "line": {"color": "white", "width": 0.6}},
                         "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>" + name + "</extra>"})
        x0 = k * (w + gap)
        layout[f"xaxis{ax}"] = {"domain": [x0, x0 + w], "range": [float(xs[0]), float(xs[-1])],
                                "title": {"text": "x₁"}, "anchor": f"y{ax}", "showgrid": False}
        layout[f"yaxis{ax}"] = {"range": [float(ys[0]), float(ys[-1])], "anchor": f"x{ax}", "showgrid": False,
                                "title": {"text": "x₂" if k == 0 else ""}, "showticklabels": k == 0}
        layout["annotations"].append({"text": f"<b>{label}</b>", "x": x0, "xref": "paper", "y": 1.02,
                                      "yref": "paper", "xanchor": "left", "yanchor": "bottom",
                                      "showarrow": False, "font": {"size": 15}})
    return _fig(data, layout)


METRIC_LABELS = {"recall_0": "majority<br>recall", "precision_0": "majority<br>precision",
                 "recall_1": "minority<br>recall", "precision_1": "minority<br>precision",
                 "balanced_accuracy": "balanced<br>accuracy"}


def metrics_figure(metrics: dict, labels: dict, *, title: str = "Test-set metrics per class",
                   height: int = 400) -> go.Figure:
    """Grouped bars: per metric of METRIC_LABELS, one bar per model. metrics: {name: {key: fraction}}."""
    keys = list(METRIC_LABELS)
    data = []
    for name, vals in metrics.items():
        v = [vals.get(k, np.nan) for k in keys]
        data.append({"type": "bar", "x": [METRIC_LABELS[k] for k in keys], "y": v, "name": labels.get(name, name),
                     "marker": {"color": COLORS.get(name, C[7])},
                     "text": ["–" if not np.isfinite(t) else f"{100 * t:.0f}" for t in v], "textposition": "outside",
                     "textfont": {"size": 11}, "cliponaxis": False, "hovertemplate": "%{x}: %{y:.3f}<extra>" + labels.get(name, name) + "</extra>"})
    layout = {"title": {"text": title}, "height": height, "barmode": "group", "bargap": 0.25,
              "yaxis": {"title": {"text": "fraction (bar labels in %)"}, "range": [0, 1.12]},
              "xaxis": {"title": {"text": ""}, "tickangle": 0},
              "legend": {"orientation": "h", "y": -0.28, "x": 0}, "margin": {"l": 60, "r": 20, "t": 50, "b": 90}}
    return _fig(data, layout)


def gamma_sweep_figure(gammas: np.ndarray, recall: np.ndarray, precision: np.ndarray, confidence: np.ndarray,
                       current: float | None = None, *, title: str = "Focal loss: what γ changes",
                       height: int = 400) -> go.Figure:
    """Minority recall, minority precision and mean confidence of the focal model against γ."""
    series = (("minority recall", recall, C[5], "solid"), ("minority precision", precision, C[0], "solid"),
              ("mean confidence max(p, 1−p)", confidence, "#4b5563", "dash"))
    data = [{"type": "scatter", "mode": "lines+markers", "x": gammas, "y": y, "name": name,
             "line": {"color": color, "width": 3, "dash": dash}, "marker": {"size": 8},
             "hovertemplate": "γ=%{x:g}: %{y:.3f}<extra>" + name + "</extra>"}
            for name, y, color, dash in series]
    shapes = []
    notes = []
    if current is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": current, "x1": current, "y0": 0, "y1": 1,
                       "line": {"color": C[2], "width": 2, "dash": "dot"}})
        notes.append({"x": current, "y": 0.05, "xref": "x", "yref": "y", "text": f"your γ = {current:g}",
                      "showarrow": False, "xanchor": "left", "xshift": 4, "font": {"size": 13, "color": C[2]}})
    layout = {"title": {"text": title}, "height": height, "shapes": shapes, "annotations": notes,
              "xaxis": {"title": {"text": "focusing parameter γ"}},
              "yaxis": {"title": {"text": "fraction (test set)"}, "range": [0, 1.05]},
              "legend": {"orientation": "h", "y": -0.25, "x": 0}, "margin": {"l": 60, "r": 20, "t": 50, "b": 80}}
    return _fig(data, layout)
