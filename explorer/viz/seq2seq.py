"""Figures for the seq2seq page: training with teacher forcing against free-running
inference (loss and accuracy), the attention alignment matrix of a typed input, and the
beam's k best outputs with their log-probabilities.

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme

EOS_LABEL = "⟨/s⟩"  # the end symbol; "</s>" would be read as HTML by plotly
ALIGN_SCALE = [[0.0, "#ffffff"], [0.15, "#deebf7"], [0.5, "#4292c6"], [1.0, "#08306b"]]


def _clean(a) -> list:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _color(i: int) -> str:
    return theme.CATEGORICAL[i % len(theme.CATEGORICAL)]


def training_figure(epochs: np.ndarray, labels: list[str], h: dict, ratio: float, height: int = 430) -> go.Figure:
    """Left: training loss (as trained, with teacher-forcing ratio ``ratio``, solid), test loss
    teacher-forced (dashed) and free-running (dotted); right: test token accuracy
    teacher-forced (dashed), free-running (solid) and whole-sequence free-running (dotted).

    epochs (N,); h: "train", "test", "free", "tf_acc", "free_acc", "free_seq" → (N, K)."""
    lay = panels.grid(1, 2, ("Loss per token", "Test accuracy"), hgap=0.09)
    x = [int(e) for e in epochs]
    mode = "lines+markers" if len(x) <= 1 else "lines"
    data = []
    styles = [(1, "train", "solid", 2.6, f"training (teacher forcing {ratio:.0%})", "{y:.4f}"),
              (1, "test", "dash", 1.8, "test, teacher-forced", "{y:.4f}"),
              (1, "free", "dot", 2.2, "test, free-running", "{y:.4f}"),
              (2, "free_acc", "solid", 2.6, "free-running, per token", "{y:.1%}"),
              (2, "tf_acc", "dash", 1.8, "teacher-forced, per token", "{y:.1%}"),
              (2, "free_seq", "dot", 2.2, "free-running, whole sequence", "{y:.1%}")]
    for i, lab in enumerate(labels):
        for col, key, dash, width, what, fmt in styles:
            data.append({"type": "scatter", "x": x, "y": _clean(h[key][:, i]), "name": lab, "legendgroup": lab,
                         "showlegend": key == "train", "mode": mode,
                         "line": {"color": _color(i), "width": width, "dash": dash}, **panels.cell(1, col, 2),
                         "hovertemplate": f"{lab}<br>{what}<br>epoch %{{x}}: %{fmt}<extra></extra>"})
    # line-style key, drawn once in grey
    for dash, what in (("solid", "training loss · free-running accuracy"), ("dash", "teacher-forced test"),
                       ("dot", "free-running test loss · whole-sequence accuracy")):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": what,
                     "line": {"color": "#6b7580", "dash": dash, "width": 2}, "legendgroup": f"style-{dash}"})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "epoch"}, rangemode="tozero")
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": "cross-entropy (nats)"}, rangemode="tozero")
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "accuracy"}, tickformat=".0%", range=[-0.02, 1.02])
    lay.update(height=height, title={"text": "Trained with teacher forcing, judged free-running"},
               legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0.0},
               margin={"l": 60, "r": 20, "t": 80, "b": 150})
    return panels.figure(data, lay)


def alignment_figure(source: list[str], output: list[str], alpha: np.ndarray, title: str,
                     height: int | None = None) -> go.Figure:
    """The attention weights α (Lo, Ls): row i is where the decoder looked while writing
    output symbol i (a row per output step, EOS included), over the source symbols."""
    alpha = np.asarray(alpha, dtype=float)
    lo, ls = alpha.shape
    xs, ys = list(range(1, ls + 1)), list(range(1, lo + 1))
    xt = [s if s != " " else "␣" for s in source]
    yt = [s if s != " " else "␣" for s in output][:lo]
    yt += [EOS_LABEL] * (lo - len(yt))
    text = [[f"{v:.2f}" if v >= 0.1 else "" for v in row] for row in alpha]
    data = [{"type": "heatmap", "x": xs, "y": ys, "z": [_clean(r) for r in alpha], "zmin": 0, "zmax": 1,
             "colorscale": ALIGN_SCALE, "xgap": 1, "ygap": 1,
             "text": text if lo * ls <= 400 else None, "texttemplate": "%{text}" if lo * ls <= 400 else None,
             "textfont": {"size": 11},
             "customdata": [[f"{yt[i]} ← {xt[j]}" for j in range(ls)] for i in range(lo)],
             "colorbar": {"title": {"text": "α"}, "thickness": 14},
             "hovertemplate": "output %{y} ← source %{x}<br>%{customdata}<br>α = %{z:.3f}<extra></extra>"}]
    layout = {"height": height or max(320, 150 + 34 * lo), "title": {"text": title},
              "xaxis": {"title": {"text": "source (encoder steps)"}, "tickmode": "array", "tickvals": xs,
                        "ticktext": xt, "showgrid": False, "side": "bottom"},
              "yaxis": {"title": {"text": "output (decoder steps)"}, "tickmode": "array", "tickvals": ys,
                        "ticktext": yt, "autorange": "reversed", "showgrid": False},
              "margin": {"l": 80, "r": 20, "t": 70, "b": 60}}
    return panels.figure(data, layout)


def beams_figure(rows: list[tuple[str, str, float, bool | None]], title: str, height: int | None = None) -> go.Figure:
    """Horizontal bars of the probability p = exp(score) of whole outputs, in the given order
    (top first): rows (label, output text, score = log p in nats, right answer? — None
    when unknown). Green bars are right, grey wrong, blue unknown."""
    n = len(rows)
    labels = [f"{g}: {o or '∅'}" for g, o, _, _ in rows]
    colors = {True: theme.CATEGORICAL[2], False: "#9aa3ad", None: theme.CATEGORICAL[0]}
    data = [{"type": "bar", "orientation": "h", "x": [math.exp(s) for _, _, s, _ in rows], "y": list(range(n)),
             "marker": {"color": [colors[ok] for *_, ok in rows]},
             "text": [f"log p = {s:.2f}" for _, _, s, _ in rows], "textposition": "outside", "cliponaxis": False,
             "customdata": labels, "showlegend": False,
             "hovertemplate": "%{customdata}<br>p = %{x:.3g}<extra></extra>"}]
    layout = {"height": height or max(260, 120 + 30 * n), "title": {"text": title},
              "xaxis": {"title": {"text": "probability of the whole output, p(y | x)"}, "range": [0, 1.18],
                        "tickvals": [0, 0.25, 0.5, 0.75, 1.0], "tickformat": ".0%"},
              "yaxis": {"tickmode": "array", "tickvals": list(range(n)), "ticktext": labels, "autorange": "reversed",
                        "showgrid": False, "tickfont": {"family": "monospace", "size": 14}},
              "margin": {"l": 20, "r": 20, "t": 70, "b": 60}, "bargap": 0.25}
    fig = panels.figure(data, layout)
    fig.layout.yaxis.automargin = True
    return fig
