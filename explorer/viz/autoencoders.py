"""Figures for the autoencoder page: inputs beside reconstructions, the training curves,
the code space coloured by digit, per-unit activity, and anomaly detection (error
histograms and the ROC curve).

Inputs are numpy arrays and plain lists; shapes are in each docstring. Images are
``[N, 28, 28]`` floats in [0, 1].
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import images, panels, theme

# ten distinguishable digit colours: Okabe–Ito plus two
DIGIT_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#B8A300", "#000000",
                "#8C564B", "#7F7F7F")
NORMAL_COLOR, ANOMALY_COLOR = theme.CATEGORICAL[0], theme.CATEGORICAL[5]


def clean(a) -> list:
    """Floats with None where not finite (a gap in a line)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def image_rows(rows: list[np.ndarray], row_labels: list[str], col_labels: list[str] | None = None, title: str = "",
               tile_px: int = 74) -> go.Figure:
    """Rows of equally many images (each ``[N, 28, 28]``) in one picture, a label left of
    each row and optional captions over the columns."""
    n = len(rows[0])
    stack = np.concatenate([np.asarray(r, dtype=np.float64).reshape(n, 1, 28, 28) for r in rows])
    scale, gap = 3, 6
    pic = images.mosaic(stack, n, pad=gap, scale=scale)
    tile = 28 * scale
    fig = go.Figure(go.Image(z=pic, hoverinfo="skip"))
    ann = [dict(x=-8, y=r * (tile + gap) + tile / 2, text=lab, showarrow=False, xref="x", yref="y",
                xanchor="right", font=dict(size=14)) for r, lab in enumerate(row_labels)]
    for c, lab in enumerate(col_labels or []):
        ann.append(dict(x=c * (tile + gap) + tile / 2, y=-4, text=lab, showarrow=False, xref="x", yref="y",
                        yanchor="bottom", font=dict(size=13)))
    top = 60 if title else 10
    fig.update_layout(template=theme.NAME, title=dict(text=title), annotations=ann,
                      height=int(len(rows) * tile_px + top + (30 if col_labels else 10)),
                      margin=dict(l=130, r=10, t=top + (24 if col_labels else 0), b=10),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"))
    return fig


def curves_figure(epoch, train, test, auc, title: str = "Training") -> go.Figure:
    """Loss per image (train objective, test reconstruction) and the anomaly AUC over epochs;
    each argument ``[T]``."""
    lay = panels.grid(1, 2, ("Loss per image (nats)", "Anomaly detection AUC"), hgap=0.1)
    data = [
        {"type": "scatter", "x": clean(epoch), "y": clean(train), "name": "train objective", "mode": "lines+markers",
         "line": {"color": theme.TRAIN_COLOR}, "marker": {"size": 4}, **panels.cell(1, 1, 2)},
        {"type": "scatter", "x": clean(epoch), "y": clean(test), "name": "test reconstruction (BCE)",
         "mode": "lines+markers", "line": {"color": theme.TEST_COLOR}, "marker": {"size": 4}, **panels.cell(1, 1, 2)},
        {"type": "scatter", "x": clean(epoch), "y": clean(auc), "name": "AUC (held-out digit)", "mode": "lines+markers",
         "line": {"color": ANOMALY_COLOR}, "marker": {"size": 4}, **panels.cell(1, 2, 2)},
    ]
    for c, ytitle in ((1, "nats per image"), (2, "AUC")):
        panels.axis(lay, 1, c, 2, "x")["title"] = {"text": "epoch"}
        panels.axis(lay, 1, c, 2, "y")["title"] = {"text": ytitle}
    panels.axis(lay, 1, 2, 2, "y")["range"] = [0.4, 1.0]
    lay.update(title={"text": title}, height=330, legend={"orientation": "h", "y": -0.25, "x": 0},
               margin={"l": 60, "r": 20, "t": 70, "b": 40})
    return panels.figure(data, lay)


def code_figure(code2: np.ndarray, labels: np.ndarray, var=None, projected: bool = True,
                title: str = "The code space: test digits") -> go.Figure:
    """Test codes ``[M, 2]`` (a PCA of the code when ``projected``; ``var`` ``[2]`` its explained
    variance ratio) as points coloured by digit ``[M]``."""
    code2, labels = np.asarray(code2), np.asarray(labels)
    data = []
    for d in range(10):
        m = labels == d
        data.append({"type": "scattergl", "x": clean(code2[m, 0]), "y": clean(code2[m, 1]), "mode": "markers",
                     "name": str(d), "marker": {"color": DIGIT_COLORS[d], "size": 5, "opacity": 0.75},
                     "hovertemplate": f"digit {d}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"})
    if projected and var is not None:
        xt, yt = f"PC 1 ({100 * var[0]:.0f} % of variance)", f"PC 2 ({100 * var[1]:.0f} %)"
    else:
        xt, yt = "code unit 1", "code unit 2"
    fig = go.Figure(data)
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=420, xaxis_title=xt, yaxis_title=yt,
                      legend=dict(title=dict(text="digit"), itemsizing="constant"))
    return fig


def units_figure(unit_mean: np.ndarray, rho: float | None = None, title: str = "Mean activation of each code unit"
                 ) -> go.Figure:
    """Bars of each code unit's mean activation on the test set ``[d]``, sorted, with the KL target ρ."""
    v = np.sort(np.asarray(unit_mean, dtype=float))[::-1]
    fig = go.Figure(go.Bar(x=list(range(1, len(v) + 1)), y=clean(v), name="mean activation",
                           marker_color=theme.CATEGORICAL[0],
                           hovertemplate="unit rank %{x}<br>mean %{y:.3f}<extra></extra>"))
    if rho is not None:
        fig.add_hline(y=rho, line=dict(color=ANOMALY_COLOR, dash="dash"), annotation_text=f"target ρ = {rho:g}")
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=280, showlegend=False,
                      xaxis_title="code unit (sorted by mean activation)", yaxis_title="mean activation")
    return fig


def anomaly_figure(scores: np.ndarray, anomalous: np.ndarray, fpr: np.ndarray, tpr: np.ndarray, auc: float,
                   holdout: int, threshold: float | None = None, bins: int = 40) -> go.Figure:
    """Left: histograms (share of each group) of the anomaly score ``[N]`` for normal digits
    and the held-out digit (``anomalous`` ``[N]`` bool), with the chosen threshold. Right: the
    ROC curve (``fpr``, ``tpr`` ``[K]``) with the chance diagonal and the threshold's point."""
    s, a = np.asarray(scores, dtype=float), np.asarray(anomalous, dtype=bool)
    fin = np.isfinite(s)
    lo, hi = (float(np.min(s[fin])), float(np.max(s[fin]))) if fin.any() else (0.0, 1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1e-6, bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    lay = panels.grid(1, 2, ("Reconstruction error", f"ROC curve · AUC = {auc:.3f}"), hgap=0.12)
    data = []
    for m, name, color in ((~a, "other digits (normal)", NORMAL_COLOR), (a, f"held-out {holdout}s (anomaly)",
                                                                          ANOMALY_COLOR)):
        h = np.histogram(s[m & fin], edges)[0]
        share = h / max(1, h.sum())
        data.append({"type": "bar", "x": clean(mids), "y": clean(share), "name": name, "opacity": 0.6,
                     "marker": {"color": color}, "width": float(edges[1] - edges[0]),
                     "hovertemplate": "error %{x:.4f}<br>share %{y:.3f}<extra>" + name + "</extra>",
                     **panels.cell(1, 1, 2)})
    data.append({"type": "scatter", "x": [0, 1], "y": [0, 1], "mode": "lines", "name": "chance (AUC 0.5)",
                 "line": {"color": "#9aa3ad", "dash": "dot"}, **panels.cell(1, 2, 2)})
    data.append({"type": "scatter", "x": clean(fpr), "y": clean(tpr), "mode": "lines", "name": "ROC",
                 "line": {"color": ANOMALY_COLOR, "width": 3, "shape": "hv"},
                 "hovertemplate": "false alarms %{x:.3f}<br>caught %{y:.3f}<extra></extra>", **panels.cell(1, 2, 2)})
    shapes = []
    if threshold is not None and fin.any():
        flag = s >= threshold
        tp = float((flag & a).sum() / max(1, a.sum()))
        fp = float((flag & ~a).sum() / max(1, (~a).sum()))
        shapes.append({"type": "line", "x0": threshold, "x1": threshold, "y0": 0, "y1": 1, "yref": "y domain",
                       "xref": "x", "line": {"color": "#1b1f24", "dash": "dash"}})
        data.append({"type": "scatter", "x": [fp], "y": [tp], "mode": "markers", "name": "threshold",
                     "marker": {"color": "#1b1f24", "size": 11, "symbol": "x"},
                     "hovertemplate": f"threshold {threshold:.4f}<br>false alarms {fp:.3f}<br>caught {tp:.3f}"
                                      "<extra></extra>", **panels.cell(1, 2, 2)})
    panels.axis(lay, 1, 1, 2, "x")["title"] = {"text": "MSE per pixel"}
    panels.axis(lay, 1, 1, 2, "y")["title"] = {"text": "share of the group"}
    panels.axis(lay, 1, 2, 2, "x").update(title={"text": "false-positive rate"}, range=[0, 1])
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "true-positive rate"}, range=[0, 1.02])
    lay.update(title={"text": f"Anomaly detection: the {holdout}s were never seen in training"}, barmode="overlay",
               height=400, shapes=shapes, legend={"orientation": "h", "y": -0.22, "x": 0},
               margin={"l": 60, "r": 20, "t": 80, "b": 40})
    return panels.figure(data, lay)
