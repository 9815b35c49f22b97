"""Figures of the from-scratch page: what the NumPy network predicts, its loss curve over
its PyTorch twin's, the gap between the two, and the finite-difference step sweep.

Plain NumPy in, plotly Figure out (built from dicts without per-property validation, so a
live frame is drawn in a few milliseconds).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import raster, theme

GAP_FLOOR = 1e-20   # an exact 0 gap is drawn here on the log axis
TITLE_FONT = {"size": 14, "color": theme.FONT["color"]}  # explicit: Streamlit's chart theme greys annotations
NUMPY_COLOR, TORCH_COLOR, GAP_COLOR = theme.CATEGORICAL[0], theme.CATEGORICAL[1], theme.CATEGORICAL[2]


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def per_epoch(values: np.ndarray, steps_per_epoch: int, how: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """(epoch numbers 1, 2, …, values) of a per-step series, one value per epoch: the mean of
    its steps, or with ``how="max"`` the largest (so a worst case stays visible). A partly
    done last epoch counts as a fraction. Non-finite steps are skipped (NaN if all are)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    starts = np.arange(0, n, steps_per_epoch)
    ends = np.minimum(starts + steps_per_epoch, n)
    if how == "max":
        out = np.fmax.reduceat(v, starts)  # fmax skips NaN
    else:
        ok = np.isfinite(v)
        sums = np.add.reduceat(np.where(ok, v, 0.0), starts)
        counts = np.add.reduceat(ok.astype(float), starts)
        out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return ends / steps_per_epoch, out


def boundary_traces(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray, x: np.ndarray, y: np.ndarray,
                    ax: str = "") -> tuple[list, dict]:
    """Decision regions (class colours, paler where unsure) and the points coloured by label.

    xs (n,), ys (n,): grid coordinates; probs (K, n, n) with row 0 at ys[0]; x (m, 2), y (m,).
    """
    img = raster.class_colors(probs)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    data = [{"type": "image", "z": img, "x0": xs[0], "dx": dx, "y0": ys[0], "dy": dy, "hoverinfo": "skip",
             "name": "prediction"}]
    for k in range(probs.shape[0]):
        pts = x[y == k]
        data.append({"type": "scatter", "mode": "markers", "x": pts[:, 0], "y": pts[:, 1], "name": f"class {k}",
                     "marker": {"color": theme.CATEGORICAL[k % len(theme.CATEGORICAL)], "size": 7,
                                "line": {"color": "white", "width": 1}},
                     "hovertemplate": f"x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<extra>class {k}</extra>"})
    for t in data:
        t.update(xaxis=f"x{ax}", yaxis=f"y{ax}")
    axes = {f"xaxis{ax}": {"title": {"text": "x₁"}, "range": [xs[0] - dx / 2, xs[-1] + dx / 2], "showgrid": False,
                           "constrain": "domain", "anchor": f"y{ax}"},
            f"yaxis{ax}": {"title": {"text": "x₂"}, "range": [ys[0] - dy / 2, ys[-1] + dy / 2], "showgrid": False,
                           "scaleanchor": f"x{ax}", "constrain": "domain", "anchor": f"x{ax}"}}
    return data, axes


def confusion_traces(counts: np.ndarray, ax: str = "") -> tuple[list, dict]:
    """A (K, K) confusion matrix (row = true, column = predicted) as a heatmap with counts."""
    k = counts.shape[0]
    labels = [str(i) for i in range(k)]
    data = [{"type": "heatmap", "z": counts, "x": labels, "y": labels, "showscale": False,
             "colorscale": [[0.0, "#ffffff"], [1.0, theme.POSITIVE]],
             "texttemplate": "%{z}", "textfont": {"size": 12}, "name": "test images",
             "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>", "xaxis": f"x{ax}", "yaxis": f"y{ax}"}]
    axes = {f"xaxis{ax}": {"title": {"text": "predicted digit"}, "showgrid": False, "anchor": f"y{ax}",
                           "constrain": "domain", "type": "category"},
            f"yaxis{ax}": {"title": {"text": "true digit"}, "showgrid": False, "autorange": "reversed",
                           "scaleanchor": f"x{ax}", "constrain": "domain", "anchor": f"x{ax}", "type": "category"}}
    return data, axes


def curve_traces(loss_numpy: np.ndarray, loss_torch: np.ndarray, steps_per_epoch: int, ax_loss: str = "",
                 ax_gap: str = "2") -> list:
    """Per-epoch mean mini-batch loss of both networks, and the largest per-step gap
    |NumPy − PyTorch| of each epoch on a log axis. Inputs are per-step losses (steps,)."""
    ex, a = per_epoch(loss_numpy, steps_per_epoch)
    _, b = per_epoch(loss_torch, steps_per_epoch)
    _, gap = per_epoch(np.abs(np.asarray(loss_numpy, float) - np.asarray(loss_torch, float)), steps_per_epoch, "max")
    gap = np.where(gap == 0, GAP_FLOOR, gap)
    mode = "lines+markers" if len(ex) <= 60 else "lines"
    hover = "epoch %{x:.2f}<br>loss %{y:.15f}"
    return [
        {"type": "scatter", "mode": mode, "x": ex, "y": a, "name": "NumPy network", "xaxis": f"x{ax_loss}",
         "yaxis": f"y{ax_loss}", "line": {"color": NUMPY_COLOR, "width": 6}, "marker": {"size": 9},
         "opacity": 0.55, "hovertemplate": hover + "<extra>NumPy</extra>"},
        {"type": "scatter", "mode": mode, "x": ex, "y": b, "name": "PyTorch twin", "xaxis": f"x{ax_loss}",
         "yaxis": f"y{ax_loss}", "line": {"color": TORCH_COLOR, "width": 2.5, "dash": "dash"}, "marker": {"size": 4},
         "hovertemplate": hover + "<extra>PyTorch</extra>"},
        {"type": "scatter", "mode": "lines+markers", "x": ex, "y": gap,
         "name": "largest |NumPy − PyTorch| in the epoch", "xaxis": f"x{ax_gap}", "yaxis": f"y{ax_gap}",
         "marker": {"color": GAP_COLOR, "size": 5},
         "line": {"color": GAP_COLOR, "width": 1}, "hovertemplate": "epoch %{x:.2f}<br>gap %{y:.2e}<extra></extra>"},
    ]


def training_figure(curves: dict, left: dict, *, title: str, height: int = 560) -> go.Figure:
    """One figure, three panels: the NumPy net's predictions on the left (``left`` holds
    ``kind`` "boundary" with xs, ys, probs, x, y — or "confusion" with counts), and on the
    right both networks' losses per epoch over their per-step gap.

    curves: {"numpy": (steps,), "torch": (steps,)} mini-batch losses (nats) and
    "steps_per_epoch" (int).
    """
    if left["kind"] == "boundary":
        data, axes = boundary_traces(left["xs"], left["ys"], left["probs"], left["x"], left["y"])
        left_title = "NumPy net: decision regions, training points"
    else:
        data, axes = confusion_traces(left["counts"])
        left_title = "NumPy net on the test images"
    axes["xaxis"]["domain"] = [0.0, 0.40]
    axes["yaxis"]["domain"] = [0.0, 0.90]
    data += curve_traces(curves["numpy"], curves["torch"], curves["steps_per_epoch"], ax_loss="2", ax_gap="3")
    n = len(curves["numpy"]) / curves["steps_per_epoch"]
    epochs_range = [0, max(n, 1) * 1.02]
    gaps = np.abs(np.asarray(curves["numpy"], float) - np.asarray(curves["torch"], float))
    gaps = gaps[np.isfinite(gaps)]
    top = float(np.log10(gaps.max())) if gaps.size and gaps.max() > 1 else 0.0
    layout = {
        "title": {"text": title}, "height": height, **axes,
        "xaxis2": {"domain": [0.50, 1.0], "anchor": "y2", "range": epochs_range, "showticklabels": False,
                   "matches": "x3"},
        "yaxis2": {"domain": [0.52, 0.92], "anchor": "x2", "title": {"text": "loss (nats)"}, "rangemode": "tozero"},
        "xaxis3": {"domain": [0.50, 1.0], "anchor": "y3", "title": {"text": "epoch"}, "range": epochs_range},
        "yaxis3": {"domain": [0.0, 0.38], "anchor": "x3", "type": "log", "title": {"text": "largest gap"},
                   "range": [np.log10(GAP_FLOOR) - 0.5, top + 0.5], "exponentformat": "power", "dtick": 5},
        "annotations": [
            {"text": f"<b>{left_title}</b>", "x": 0.0, "y": 0.97, "xref": "paper", "yref": "paper",
             "showarrow": False, "xanchor": "left", "font": TITLE_FONT},
            {"text": "<b>Training loss of NumPy and PyTorch: same start, same batches</b>", "x": 0.50, "y": 0.97,
             "xref": "paper", "yref": "paper", "showarrow": False, "xanchor": "left", "font": TITLE_FONT},
            {"text": "<b>Largest gap |NumPy − PyTorch| of any step</b> (0 drawn at 10⁻²⁰)", "x": 0.50, "y": 0.42,
             "xref": "paper", "yref": "paper", "showarrow": False, "xanchor": "left", "font": TITLE_FONT},
        ],
        "legend": {"orientation": "h", "x": 0.0, "y": -0.1, "xanchor": "left"},
        "margin": {"l": 60, "r": 20, "t": 60, "b": 70},
    }
    return _fig(data, layout)


def fd_sweep_figure(eps: np.ndarray, errors: dict, chosen: float, *, title: str, height: int = 380) -> go.Figure:
    """Relative error of finite differences against the analytic gradient for each step ε.

    eps (m,); errors: parameter name → (m,) relative errors; chosen: the ε in use (marked).
    """
    data = []
    for i, (name, err) in enumerate(errors.items()):
        e = np.maximum(np.asarray(err, dtype=float), GAP_FLOOR)
        data.append({"type": "scatter", "mode": "lines+markers", "x": eps, "y": e, "name": name,
                     "line": {"color": theme.CATEGORICAL[i % len(theme.CATEGORICAL)], "width": 2},
                     "hovertemplate": f"ε=%{{x:.0e}}<br>error %{{y:.1e}}<extra>{name}</extra>"})
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"type": "log", "title": {"text": "finite-difference step ε"}, "exponentformat": "power"},
              "yaxis": {"type": "log", "title": {"text": "max relative error"}, "exponentformat": "power"},
              "shapes": [{"type": "line", "x0": chosen, "x1": chosen, "y0": 0, "y1": 1, "yref": "paper",
                          "line": {"color": "#6b7480", "dash": "dot", "width": 1.5}}],
              "annotations": [{"x": np.log10(chosen), "y": 1, "yref": "paper", "text": "your ε", "showarrow": False,
                               "yanchor": "bottom", "font": {"size": 13}}],
              "legend": {"orientation": "h", "y": -0.25, "x": 0}}
    return _fig(data, layout)
