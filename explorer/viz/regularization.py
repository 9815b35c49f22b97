"""Figures of the regularization lesson: fits or boundaries beside loss curves, weight
histograms, reliability diagrams, ensemble spread.

Plain NumPy and dicts in, plotly Figure out; built from dicts without validation so a live
frame is cheap. Model k keeps one colour everywhere (:func:`color`).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

C = theme.CATEGORICAL
ORDER = (0, 5, 2, 3, 1, 4, 6, 7)  # blue, vermillion, green, pink, orange, sky, yellow, black
CLASS_COLORS = (C[0], C[1])
GREY = "#6b7280"


def color(k: int) -> str:
    return C[ORDER[k % len(ORDER)]]


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def _title(text: str, x: float) -> dict:
    return {"text": f"<b>{text}</b>", "x": x, "xref": "paper", "y": 1.0, "yref": "paper", "xanchor": "left",
            "yanchor": "bottom", "yshift": 6, "showarrow": False, "font": {"size": 16}}


def _panels(split: float, left: str, right: str, height: int, gap: float = 0.1) -> dict:
    return {"height": height, "annotations": [_title(left, 0), _title(right, split + gap)],
            "xaxis": {"domain": [0, split], "anchor": "y"}, "yaxis": {"anchor": "x"},
            "xaxis2": {"domain": [split + gap, 1], "anchor": "y2"}, "yaxis2": {"anchor": "x2"},
            "legend": {"orientation": "h", "y": -0.2, "x": 0}, "margin": {"l": 60, "r": 20, "t": 40, "b": 70}}


def log_ticks(values, max_ticks: int = 7) -> list[float]:
    """Tick values for a log axis over the finite positive ``values``: 1-2-5 steps, or only
    powers of ten when that would be too many (plotly's own minor labels crowd a short axis)."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return [1.0]
    lo, hi = np.floor(np.log10(v.min())), np.ceil(np.log10(v.max()))
    decades = np.arange(lo, hi + 1)
    for mults in ((1, 2, 5), (1,)):
        ticks = [m * 10.0 ** d for d in decades for m in mults if v.min() / 1.01 <= m * 10.0 ** d <= v.max() * 1.01]
        if len(ticks) <= max_ticks:
            break
    if len(ticks) > max_ticks:
        ticks = ticks[::int(np.ceil(len(ticks) / max_ticks))]
    return ticks or [float(f"{v.min():.1g}")]


def loss_traces(curves: dict, names: list[str], *, best_epoch=None, stop_epoch: int | None = None,
                ensemble: bool = False, ax: str = "2") -> tuple[list, list]:
    """Train (dashed) and validation (solid) loss per model against epoch, a ★ at each
    model's best validation epoch; (traces, shapes). curves: epoch (E,), train/val (E, M),
    ens_val (E,)."""
    ep = curves["epoch"]
    data, shapes = [], []
    for k, name in enumerate(names):
        base = {"type": "scatter", "mode": "lines", "x": ep, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                "legendgroup": name, "showlegend": False}
        data.append({**base, "y": curves["train"][:, k], "line": {"color": color(k), "width": 1.5, "dash": "dash"},
                     "hovertemplate": "epoch %{x}: %{y:.4f}<extra>" + name + " · train</extra>"})
        data.append({**base, "y": curves["val"][:, k], "line": {"color": color(k), "width": 2.5},
                     "hovertemplate": "epoch %{x}: %{y:.4f}<extra>" + name + " · validation</extra>"})
        if best_epoch is not None and len(ep):
            i = int(np.argmin(np.abs(ep - best_epoch[k])))
            data.append({**base, "mode": "markers", "x": [ep[i]], "y": [curves["val"][i, k]],
                         "marker": {"symbol": "star", "size": 14, "color": color(k), "line": {"color": "white", "width": 1}},
                         "hovertemplate": f"best validation loss at epoch {int(best_epoch[k])}<extra>{name}</extra>"})
    if ensemble and len(ep):
        data.append({"type": "scatter", "mode": "lines", "x": ep, "y": curves["ens_val"], "xaxis": f"x{ax}",
                     "yaxis": f"y{ax}", "name": "ensemble average", "legendgroup": "ensemble", "showlegend": False,
                     "line": {"color": "#1b1f24", "width": 3.5},
                     "hovertemplate": "epoch %{x}: %{y:.4f}<extra>ensemble · validation</extra>"})
    if best_epoch is not None and stop_epoch is not None:
        for e, dash in ((int(best_epoch[0]), "dot"), (stop_epoch, "dash")):
            shapes.append({"type": "line", "xref": f"x{ax}", "yref": f"y{ax} domain", "x0": e, "x1": e, "y0": 0,
                           "y1": 1, "line": {"color": GREY, "width": 1.5, "dash": dash}})
    return data, shapes


def _loss_axes(layout: dict, ylabel: str, curves: dict) -> None:
    layout["xaxis2"].update(title={"text": "epoch (dashed: train, solid: validation)"}, rangemode="tozero")
    ticks = log_ticks(np.r_[np.ravel(curves["train"]), np.ravel(curves["val"])])
    layout["yaxis2"].update(title={"text": ylabel}, type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def regression_figure(xs: np.ndarray, preds: np.ndarray, names: list[str], train_x: np.ndarray,
                      train_y: np.ndarray, truth: np.ndarray, curves: dict, *, best_epoch=None,
                      extras: dict | None = None, stop_epoch: int | None = None, title: str = "Fit",
                      height: int = 470) -> go.Figure:
    """Left: the training points, the true function and each model's prediction on xs.
    Right: :func:`loss_traces`.

    xs: (G,); preds: (M, G); truth: (G,). extras (all optional): ``samples`` (k, G)
    train-mode predictions of model ``samples_of``; ``best`` (G,) the prediction at the
    best epoch; ``members`` (N, G) with ``mean``/``std`` (G,) for an ensemble; ``seen``
    (B, 2) the (x, y) pairs a model trains on this epoch (augmented/mixed), of model ``seen_of``.
    """
    ex = extras or {}
    data = [{"type": "scatter", "mode": "lines", "x": xs, "y": truth, "name": "true function",
             "line": {"color": "#9aa3ad", "width": 2, "dash": "dot"}, "hoverinfo": "skip"}]
    if "seen" in ex:
        k = ex.get("seen_of", len(names) - 1)
        data.append({"type": "scatter", "mode": "markers", "x": ex["seen"][:, 0], "y": ex["seen"][:, 1],
                     "name": f"what {names[k]} trains on", "marker": {"color": color(k), "size": 5, "opacity": 0.45},
                     "hoverinfo": "skip"})
    if "members" in ex:
        mean, std = ex["mean"], ex["std"]
        data.append({"type": "scatter", "mode": "lines", "x": np.r_[xs, xs[::-1]],
                     "y": np.r_[mean + 2 * std, (mean - 2 * std)[::-1]], "fill": "toself", "name": "mean ± 2 std",
                     "fillcolor": "rgba(27,31,36,0.12)", "line": {"width": 0}, "hoverinfo": "skip"})
        for k, name in enumerate(names):
            data.append({"type": "scatter", "mode": "lines", "x": xs, "y": preds[k], "name": name,
                         "line": {"color": color(k), "width": 1.3}, "opacity": 0.75, "legendgroup": name,
                         "hovertemplate": "%{y:.3f}<extra>" + name + "</extra>"})
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": mean, "name": "ensemble average",
                     "legendgroup": "ensemble", "line": {"color": "#1b1f24", "width": 3.5},
                     "hovertemplate": "%{y:.3f}<extra>ensemble</extra>"})
    else:
        if "samples" in ex:
            k = ex.get("samples_of", len(names) - 1)
            for j, s in enumerate(ex["samples"]):
                data.append({"type": "scatter", "mode": "lines", "x": xs, "y": s, "legendgroup": "samples",
                             "name": f"{names[k]}, train mode (units dropped)", "showlegend": j == 0,
                             "line": {"color": color(k), "width": 1}, "opacity": 0.4, "hoverinfo": "skip"})
        for k, name in enumerate(names):
            label = name + (" (eval mode)" if "samples" in ex and k == ex.get("samples_of", len(names) - 1) else "")
            data.append({"type": "scatter", "mode": "lines", "x": xs, "y": preds[k], "name": label,
                         "legendgroup": name, "line": {"color": color(k), "width": 3},
                         "hovertemplate": "%{y:.3f}<extra>" + name + "</extra>"})
        if "best" in ex:
            data.append({"type": "scatter", "mode": "lines", "x": xs, "y": ex["best"], "name": "kept by early stopping",
                         "line": {"color": C[1], "width": 3, "dash": "dash"},
                         "hovertemplate": "%{y:.3f}<extra>best epoch</extra>"})
    data.append({"type": "scatter", "mode": "markers", "x": train_x, "y": train_y, "name": "training points",
                 "marker": {"color": "#1b1f24", "size": 9, "line": {"color": "white", "width": 1}},
                 "hovertemplate": "x=%{x:.2f}<br>y=%{y:.2f}<extra>training point</extra>"})
    lt, shapes = loss_traces(curves, names, best_epoch=best_epoch, stop_epoch=stop_epoch, ensemble="members" in ex)
    layout = _panels(0.55, title, "Loss (mean squared error)", height)
    layout["xaxis"].update(title={"text": "x"}, range=[float(xs[0]), float(xs[-1])])
    span = np.r_[train_y, truth]
    pad = 0.5 * (span.max() - span.min() + 1e-9)
    layout["yaxis"].update(title={"text": "y"}, range=[float(span.min() - pad / 2), float(span.max() + pad / 2)])
    _loss_axes(layout, "mean squared error (log)", curves)
    layout["shapes"] = shapes
    return _fig(data + lt, layout)


def _contour(xs, ys, z, color_: str, width: float, name: str, *, dash: str = "solid", show: bool = True,
             group: str | None = None, opacity: float = 1.0) -> dict:
    return {"type": "contour", "x": xs, "y": ys, "z": z, "showscale": False, "name": name, "showlegend": show,
            "legendgroup": group or name, "contours": {"coloring": "none", "start": 0.5, "end": 0.5, "size": 1},
            "line": {"color": color_, "width": width, "dash": dash}, "opacity": opacity, "hoverinfo": "skip"}


def classification_figure(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray, names: list[str],
                          train_xy: np.ndarray, train_y: np.ndarray, curves: dict, *, best_epoch=None,
                          extras: dict | None = None, stop_epoch: int | None = None, background: int = -1,
                          title: str = "Decision boundaries", height: int = 470) -> go.Figure:
    """Left: P(class 1) of model ``background`` as a heatmap, each model's 0.5 boundary and
    the training points. Right: :func:`loss_traces`.

    probs: (M, g, g) rows along ys. extras (optional): ``samples`` (k, g, g) train-mode
    probabilities of model ``samples_of``; ``best`` (g, g) at the best epoch; ``mean``
    (g, g) ensemble average (drawn thick, and as the background); ``seen`` (B, 3) inputs
    and P(class 1) targets a model trains on this epoch, of model ``seen_of``.
    """
    ex = extras or {}
    bg = ex["mean"] if "mean" in ex else probs[background]
    data = [{"type": "heatmap", "x": xs, "y": ys, "z": bg, "zmin": 0, "zmax": 1, "showscale": False,
             "colorscale": [[0, "#cfe3f3"], [0.5, "#ffffff"], [1, "#f9dcc0"]], "name": "P(class 1)",
             "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>P(class 1)=%{z:.2f}<extra></extra>"}]
    if "samples" in ex:
        k = ex.get("samples_of", len(names) - 1)
        for j, s in enumerate(ex["samples"]):
            data.append(_contour(xs, ys, s, color(k), 1.2, f"{names[k]}, train mode (units dropped)",
                                 show=j == 0, group="samples", opacity=0.5))
    members = "mean" in ex
    for k, name in enumerate(names):
        label = name + (" (eval mode)" if "samples" in ex and k == ex.get("samples_of", len(names) - 1) else "")
        data.append(_contour(xs, ys, probs[k], color(k), 1.3 if members else 3, label, group=name,
                             opacity=0.8 if members else 1.0))
    if members:
        data.append(_contour(xs, ys, ex["mean"], "#1b1f24", 4, "ensemble average", group="ensemble"))
    if "best" in ex:
        data.append(_contour(xs, ys, ex["best"], C[1], 3, "kept by early stopping", dash="dash"))
    if "seen" in ex:
        s = ex["seen"]
        data.append({"type": "scatter", "mode": "markers", "x": s[:, 0], "y": s[:, 1], "name": "what it trains on",
                     "marker": {"color": s[:, 2], "cmin": 0, "cmax": 1, "size": 5, "opacity": 0.55,
                                "colorscale": [[0, CLASS_COLORS[0]], [1, CLASS_COLORS[1]]]},
                     "hovertemplate": "P(class 1) target %{marker.color:.2f}<extra></extra>"})
    for c in (0, 1):
        sel = np.asarray(train_y) == c
        data.append({"type": "scatter", "mode": "markers", "x": train_xy[sel, 0], "y": train_xy[sel, 1],
                     "name": f"class {c}", "marker": {"color": CLASS_COLORS[c], "size": 10,
                                                      "symbol": "circle" if c == 0 else "diamond",
                                                      "line": {"color": "white", "width": 1.2}},
                     "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>class " + str(c) + "</extra>"})
    lt, shapes = loss_traces(curves, names, best_epoch=best_epoch, stop_epoch=stop_epoch, ensemble=members)
    layout = _panels(0.5, title, "Loss (cross-entropy)", height)
    layout["xaxis"].update(title={"text": "x₁"}, range=[float(xs[0]), float(xs[-1])], showgrid=False)
    layout["yaxis"].update(title={"text": "x₂"}, range=[float(ys[0]), float(ys[-1])], showgrid=False)
    _loss_axes(layout, "cross-entropy, nats (log)", curves)
    layout["shapes"] = shapes
    return _fig(data + lt, layout)


def weights_figure(weights: np.ndarray, names: list[str], near_zero: np.ndarray, exact_zero: np.ndarray,
                   *, tol: float = 1e-3, bins: int = 61, height: int = 380) -> go.Figure:
    """Left: histogram of each model's weights (counts, log scale). Right: share of weights
    with |w| < tol (bar) and exactly 0 (labels). weights: (M, W)."""
    w = np.asarray(weights, dtype=float)
    lim = float(np.quantile(np.abs(w), 0.995)) if w.size else 1.0
    lim = lim if lim > 0 else 1.0
    edges = np.linspace(-lim, lim, bins + 1)
    mids = 0.5 * (edges[1:] + edges[:-1])
    data = []
    for k, name in enumerate(names):
        counts, _ = np.histogram(np.clip(w[k], -lim, lim), edges)
        data.append({"type": "scatter", "mode": "lines", "x": mids, "y": np.maximum(counts, 0.8), "name": name,
                     "line": {"color": color(k), "width": 2.5, "shape": "hvh"}, "legendgroup": name,
                     "customdata": counts, "hovertemplate": "w≈%{x:.3f}: %{customdata} weights<extra>" + name + "</extra>"})
    data.append({"type": "bar", "x": names, "y": 100 * np.asarray(near_zero), "xaxis": "x2", "yaxis": "y2",
                 "marker": {"color": [color(k) for k in range(len(names))]}, "showlegend": False,
                 "text": [f"{100 * a:.0f}%<br>({100 * b:.0f}% exactly 0)" for a, b in zip(near_zero, exact_zero)],
                 "textposition": "outside", "cliponaxis": False,
                 "hovertemplate": "%{x}: %{y:.1f}% of weights below " + f"{tol:g}" + "<extra></extra>"})
    layout = _panels(0.6, "Weight histogram", f"Weights with |w| < {tol:g}", height)
    layout["xaxis"].update(title={"text": "weight value"})
    ticks = log_ticks([1, w.shape[1] if w.ndim == 2 else 1])
    layout["yaxis"].update(title={"text": "count (log)"}, type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    layout["yaxis2"].update(title={"text": "% of weights"}, range=[0, 119])
    layout["xaxis2"].update(title={"text": ""})
    return _fig(data, layout)


def reliability_figure(rel: list[dict], names: list[str], *, height: int = 400) -> go.Figure:
    """Reliability diagram: accuracy against confidence per bin, one line per model (ECE in
    the legend), the diagonal of perfect calibration; right: how many predictions fall in
    each confidence bin. rel: per model the dict of :func:`reliability` (conf, acc, count, edges, ece)."""
    data = [{"type": "scatter", "mode": "lines", "x": [0.5, 1], "y": [0.5, 1], "name": "perfectly calibrated",
             "line": {"color": "#9aa3ad", "width": 2, "dash": "dot"}, "hoverinfo": "skip"}]
    for k, (r, name) in enumerate(zip(rel, names)):
        ok = np.isfinite(r["acc"])
        data.append({"type": "scatter", "mode": "lines+markers", "x": r["conf"][ok], "y": r["acc"][ok],
                     "name": f"{name} · ECE {r['ece']:.3f}", "legendgroup": name,
                     "line": {"color": color(k), "width": 2.5}, "marker": {"size": 8},
                     "customdata": r["count"][ok],
                     "hovertemplate": "confidence %{x:.2f} → accuracy %{y:.2f} (%{customdata:.0f} points)<extra>"
                     + name + "</extra>"})
        mids = 0.5 * (r["edges"][1:] + r["edges"][:-1])
        data.append({"type": "bar", "x": mids, "y": r["count"], "xaxis": "x2", "yaxis": "y2", "showlegend": False,
                     "legendgroup": name, "marker": {"color": color(k)}, "opacity": 0.75,
                     "hovertemplate": "confidence ≈ %{x:.2f}: %{y} points<extra>" + name + "</extra>"})
    layout = _panels(0.55, "Reliability diagram (test set)", "Confidence histogram", height)
    layout["xaxis"].update(title={"text": "confidence (largest predicted probability)"}, range=[0.48, 1.02])
    layout["yaxis"].update(title={"text": "accuracy"}, range=[0, 1.02])
    layout["xaxis2"].update(title={"text": "confidence"}, range=[0.48, 1.02])
    layout["yaxis2"].update(title={"text": "test points"})
    layout["barmode"] = "group"
    return _fig(data, layout)


def ensemble_figure(test_losses: np.ndarray, names: list[str], ensemble_loss: float, *,
                    xs: np.ndarray | None = None, std: np.ndarray | None = None, ylabel: str = "test loss",
                    height: int = 360) -> go.Figure:
    """Left: test loss of each member and of the ensemble average. Right (regression): the
    members' spread (standard deviation of their predictions) along x."""
    bars = list(names) + ["ensemble average"]
    vals = list(np.asarray(test_losses, dtype=float)) + [float(ensemble_loss)]
    data = [{"type": "bar", "x": bars, "y": vals, "showlegend": False,
             "marker": {"color": [color(k) for k in range(len(names))] + ["#1b1f24"]},
             "text": [f"{v:.3f}" for v in vals], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{x}: %{y:.4f}<extra></extra>"}]
    mean_member = float(np.mean(vals[:-1]))
    shapes = [{"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": mean_member,
               "y1": mean_member, "line": {"color": GREY, "width": 1.5, "dash": "dash"}}]
    has_spread = xs is not None and std is not None
    if has_spread:
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": std, "xaxis": "x2", "yaxis": "y2",
                     "name": "spread of the members", "line": {"color": "#1b1f24", "width": 2.5},
                     "fill": "tozeroy", "fillcolor": "rgba(27,31,36,0.12)", "showlegend": False,
                     "hovertemplate": "x=%{x:.2f}: std %{y:.3f}<extra></extra>"})
        layout = _panels(0.5, "Test loss: members vs their average", "Spread of the members' predictions", height)
        layout["xaxis2"].update(title={"text": "x"})
        layout["yaxis2"].update(title={"text": "standard deviation"}, rangemode="tozero")
    else:
        layout = {"height": height, "title": {"text": "Test loss: members vs their average"},
                  "xaxis": {}, "yaxis": {}, "margin": {"l": 60, "r": 20, "t": 50, "b": 60}}
    layout["yaxis"].update(title={"text": f"{ylabel} (dashed: members' mean)"}, rangemode="tozero")
    layout["xaxis"].update(title={"text": ""})
    layout["shapes"] = shapes
    return _fig(data, layout)
