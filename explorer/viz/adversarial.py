"""Figures of the adversarial-examples lesson: the attack (original, perturbation, adversarial
image and both prediction distributions), PGD step by step, robust accuracy against ε,
transfer between models, and adversarial training beside standard training.

Images arrive as float arrays ``[C, H, W]`` in [0, 1] (C = 1 or 3); probabilities as ``[K]``.
Plain numpy in, plotly figures out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import panels, theme

C = theme.CATEGORICAL
CLEAN_COLOR = C[0]        # blue: the clean image's prediction
ADV_COLOR = C[5]          # vermillion: the adversarial one
STD_COLOR, AT_COLOR = C[0], C[5]
GREY = "#6b7280"
ORDER = (0, 5, 2, 3, 1, 4, 6, 7)  # blue, vermillion, green, pink, orange, sky, yellow, black
NORM_LABEL = {"Linf": "L∞", "L2": "L2"}


def rgb(img: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` or ``[H, W]`` floats in [0, 1] → ``[H, W, 3]`` uint8 (grey repeated)."""
    a = np.asarray(img, dtype=np.float64)
    if a.ndim == 3:
        a = a.transpose(1, 2, 0)
    if a.ndim == 2:
        a = a[..., None]
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return (np.clip(np.nan_to_num(a), 0, 1) * 255).round().astype(np.uint8)


def _image_trace(img: np.ndarray, name: str) -> go.Image:
    return go.Image(z=rgb(img), name=name, hovertemplate="row %{y}, col %{x}<br>value %{z[0]}<extra>" + name
                    + "</extra>")


def _delta_trace(delta: np.ndarray, factor: float) -> go.BaseTraceType:
    """Grey images: δ as a signed heat map (orange −, blue +) whose colours span ±max|δ|, the
    colour bar giving the real values. Colour images: 0.5 + factor·δ as a picture."""
    d = np.asarray(delta, dtype=np.float64)
    if d.shape[0] == 1:
        m = float(np.max(np.abs(d))) or 1.0
        return go.Heatmap(z=d[0], colorscale=theme.DIVERGING, zmin=-m, zmax=m, name="δ",
                          colorbar=dict(title=dict(text="δ", side="top"), len=0.42, y=0.79, thickness=12, x=0.64),
                          hovertemplate="row %{y}, col %{x}<br>δ %{z:+.4f}<extra></extra>")
    return go.Image(z=rgb(np.clip(0.5 + factor * d, 0, 1)), name="δ", hoverinfo="skip")


def attack_figure(clean: np.ndarray, delta: np.ndarray, adv: np.ndarray, factor: float, clean_prob: np.ndarray,
                  adv_prob: np.ndarray, classes: list[str], label: int, *, norm: str, eps: float, linf: float,
                  l2: float, attack: str, target: int = -1) -> go.Figure:
    """Original, perturbation (amplified ×factor to the full colour range), adversarial image on
    top; the two probability distributions underneath."""
    cp, ap = np.asarray(clean_prob), np.asarray(adv_prob)
    c_pred, a_pred = int(cp.argmax()), int(ap.argmax())
    grey = np.asarray(delta).shape[0] == 1
    titles = (f"Original: {classes[c_pred]} ({100 * cp[c_pred]:.0f} %)",
              f"Perturbation δ, amplified ×{factor:.3g}" + (" (scale →)" if grey else ""),
              f"Adversarial: {classes[a_pred]} ({100 * ap[a_pred]:.0f} %)", "")
    fig = make_subplots(rows=2, cols=3, specs=[[{}, {}, {}], [{"colspan": 3}, None, None]], row_heights=[0.55, 0.45],
                        subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.06)
    fig.add_trace(_image_trace(clean, "original"), 1, 1)
    fig.add_trace(_delta_trace(delta, factor), 1, 2)
    fig.add_trace(_image_trace(adv, "adversarial"), 1, 3)
    x = list(classes)
    fig.add_trace(go.Bar(x=x, y=cp, name="clean image", marker_color=CLEAN_COLOR,
                         hovertemplate="%{x}: %{y:.3f}<extra>clean</extra>"), 2, 1)
    fig.add_trace(go.Bar(x=x, y=ap, name="adversarial image", marker_color=ADV_COLOR,
                         hovertemplate="%{x}: %{y:.3f}<extra>adversarial</extra>"), 2, 1)
    for i in (1, 2, 3):
        fig.update_xaxes(visible=False, row=1, col=i)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
    fig.update_xaxes(title_text="class (true: " + classes[label] + (f", target: {classes[target]}" if target >= 0
                                                                     else "") + ")", type="category", row=2, col=1)
    fig.update_yaxes(title_text="probability", range=[0, 1.02], row=2, col=1)
    n = NORM_LABEL.get(norm, norm)
    fig.update_layout(template=theme.NAME, barmode="group", height=640,
                      title=dict(text=f"{attack} · budget ε = {eps:g} in {n} · this δ: ‖δ‖∞ = {linf:.3g}, "
                                      f"‖δ‖₂ = {l2:.3g}"),
                      legend=dict(orientation="h", y=-0.12, x=0), margin=dict(l=60, r=20, t=80, b=60))
    return fig


def trace_figure(objective: np.ndarray, loss: np.ndarray, probs: np.ndarray, preds: np.ndarray, classes: list[str],
                 label: int, target: int = -1, eps: float | None = None) -> go.Figure:
    """PGD step by step on one image: the loss it climbs (left) and the probabilities of the true
    class, of the target (if any) and of the predicted class at each step (right). ``probs``
    ``[T+1, K]``, ``preds``/``loss``/``objective`` ``[T+1]``."""
    t = np.arange(len(loss))
    layout = panels.grid(1, 2, ("Loss PGD climbs", "Probability per step"), hgap=0.12)
    data = [
        {"type": "scatter", "mode": "lines+markers", "x": t, "y": np.asarray(loss), "name": "cross-entropy, true class",
         "line": {"color": ADV_COLOR, "width": 2.5}, **panels.cell(1, 1, 2),
         "hovertemplate": "step %{x}: %{y:.3f} nats<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "x": t, "y": np.asarray(probs)[:, label],
         "name": f"P(true class {classes[label]})", "line": {"color": CLEAN_COLOR, "width": 2.5},
         **panels.cell(1, 2, 2), "hovertemplate": "step %{x}: %{y:.3f}<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "x": t, "y": np.asarray(probs).max(1),
         "name": "P(predicted class)", "text": [classes[int(p)] for p in preds],
         "line": {"color": GREY, "width": 1.5, "dash": "dot"}, **panels.cell(1, 2, 2),
         "hovertemplate": "step %{x}: predicted %{text} (%{y:.3f})<extra></extra>"},
    ]
    if target >= 0:
        data.insert(1, {"type": "scatter", "mode": "lines", "x": t, "y": -np.asarray(objective),
                        "name": f"cross-entropy, target {classes[target]}", "line": {"color": C[2], "width": 2,
                                                                                     "dash": "dash"},
                        **panels.cell(1, 1, 2), "hovertemplate": "step %{x}: %{y:.3f} nats<extra></extra>"})
        data.append({"type": "scatter", "mode": "lines+markers", "x": t, "y": np.asarray(probs)[:, target],
                     "name": f"P(target {classes[target]})", "line": {"color": C[2], "width": 2.5},
                     **panels.cell(1, 2, 2), "hovertemplate": "step %{x}: %{y:.3f}<extra></extra>"})
    flip = np.flatnonzero(np.asarray(preds) != label)
    shapes = []
    if len(flip):
        shapes.append({"type": "line", "x0": int(flip[0]), "x1": int(flip[0]), "y0": 0, "y1": 1, "xref": "x2",
                       "yref": "y2", "line": {"color": ADV_COLOR, "dash": "dash", "width": 1.5}})
        layout["annotations"].append({"x": int(flip[0]), "y": 1.0, "xref": "x2", "yref": "y2", "showarrow": False,
                                      "text": f"fooled at step {int(flip[0])}", "xanchor": "left", "yanchor": "top",
                                      "font": {"size": 13, "color": ADV_COLOR}})
    panels.axis(layout, 1, 1, 2, "x").update(title={"text": "PGD step"})
    panels.axis(layout, 1, 1, 2, "y").update(title={"text": "nats"})
    panels.axis(layout, 1, 2, 2, "x").update(title={"text": "PGD step"})
    panels.axis(layout, 1, 2, 2, "y").update(title={"text": "probability"}, range=[0, 1.02])
    layout.update(height=360, shapes=shapes, legend={"orientation": "h", "y": -0.25, "x": 0},
                  margin={"l": 60, "r": 20, "t": 40, "b": 90})
    return panels.figure(data, layout)


def robust_curve_figure(eps: np.ndarray, names: list[str], acc: np.ndarray, *, norm: str, n: int, steps: int,
                        model: str) -> go.Figure:
    """Accuracy under each attack against ε. ``acc`` ``[A, E]`` in [0, 1]."""
    fig = go.Figure()
    for i, name in enumerate(names):
        fig.add_trace(go.Scatter(x=eps, y=100 * np.asarray(acc[i]), mode="lines+markers", name=name,
                                 line=dict(color=C[ORDER[i % len(ORDER)]], width=2.5),
                                 hovertemplate="ε = %{x:g}: %{y:.1f} %<extra>" + name + "</extra>"))
    n_label = NORM_LABEL.get(norm, norm)
    fig.update_layout(template=theme.NAME, height=400,
                      title=dict(text=f"Robust accuracy of {model} on {n} test images ({steps} steps per attack)"),
                      xaxis=dict(title=f"budget ε ({n_label})"), yaxis=dict(title="accuracy under attack (%)",
                                                                            range=[-2, 102]),
                      legend=dict(orientation="h", y=-0.22, x=0), margin=dict(l=60, r=20, t=60, b=80))
    return fig


def transfer_figure(names: list[str], acc: np.ndarray, clean: np.ndarray, *, attack: str, eps: float,
                    norm: str) -> go.Figure:
    """Accuracy of each target model (columns) on adversarial images crafted on each source model
    (rows); the diagonal is the white-box attack. A last column gives clean accuracy."""
    z = 100 * np.asarray(acc, dtype=np.float64)
    text = [[f"{v:.0f} %" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=list(names), y=list(names), text=text, texttemplate="%{text}",
                               textfont=dict(size=15), colorscale="RdYlBu", zmin=0, zmax=100,
                               colorbar=dict(title=dict(text="accuracy %", side="right")),
                               hovertemplate="crafted on %{y}, tested on %{x}: %{z:.1f} %<extra></extra>"))
    fig.update_layout(template=theme.NAME, height=120 + 70 * len(names),
                      title=dict(text=f"Transfer of {attack} (ε = {eps:g}, {NORM_LABEL.get(norm, norm)}) · clean: "
                                      + ", ".join(f"{m} {100 * c:.0f} %" for m, c in zip(names, clean))),
                      xaxis=dict(title="tested on", side="bottom", showgrid=False),
                      yaxis=dict(title="crafted on", autorange="reversed", showgrid=False),
                      margin=dict(l=110, r=20, t=60, b=60))
    return fig


def training_figure(epoch: np.ndarray, clean: np.ndarray, robust: np.ndarray, train: np.ndarray, *,
                    eps: float) -> go.Figure:
    """Standard vs PGD-AT: clean (solid) and robust (dashed) accuracy against epoch (left),
    training loss (right). ``clean``/``robust``/``train`` ``[E, 2]`` (standard, PGD-AT)."""
    ep = np.asarray(epoch)
    layout = panels.grid(1, 2, ("Accuracy on the test images", "Training loss"), hgap=0.1)
    data = []
    for k, (name, color) in enumerate((("standard", STD_COLOR), ("PGD-AT", AT_COLOR))):
        for what, series, dash in (("clean", clean, None), (f"robust (PGD, ε = {eps:g})", robust, "dash")):
            data.append({"type": "scatter", "mode": "lines+markers", "x": ep, "y": 100 * np.asarray(series)[:, k],
                         "name": f"{name} · {what}", "line": {"color": color, "width": 2.5, "dash": dash},
                         "marker": {"size": 5}, **panels.cell(1, 1, 2),
                         "hovertemplate": "epoch %{x}: %{y:.1f} %<extra>" + f"{name} · {what}" + "</extra>"})
        data.append({"type": "scatter", "mode": "lines", "x": ep, "y": np.asarray(train)[:, k], "showlegend": False,
                     "name": f"{name} · training loss", "line": {"color": color, "width": 2.5}, **panels.cell(1, 2, 2),
                     "hovertemplate": "epoch %{x}: %{y:.3f} nats<extra>" + name + "</extra>"})
    span = [-0.2, max(5.0, float(ep.max()) if len(ep) else 0.0) + 0.2]
    panels.axis(layout, 1, 1, 2, "x").update(title={"text": "epoch"}, range=span)
    panels.axis(layout, 1, 1, 2, "y").update(title={"text": "accuracy (%)"}, range=[-2, 102])
    panels.axis(layout, 1, 2, 2, "x").update(title={"text": "epoch"}, range=span)
    panels.axis(layout, 1, 2, 2, "y").update(title={"text": "nats (PGD-AT: on its adversarial batches)"},
                                             rangemode="tozero")
    layout.update(height=420, legend={"orientation": "h", "y": -0.22, "x": 0},
                  margin={"l": 60, "r": 20, "t": 40, "b": 100})
    return panels.figure(data, layout)


def examples_figure(clean: np.ndarray, adv: np.ndarray, clean_pred: np.ndarray, adv_pred: np.ndarray,
                    classes: list[str], title: str) -> go.Figure:
    """Pairs of images, clean above adversarial, with each prediction: ``[N, C, H, W]``."""
    n = len(clean)
    fig = make_subplots(rows=2, cols=max(1, n), horizontal_spacing=0.01, vertical_spacing=0.12,
                        subplot_titles=[classes[int(p)] for p in clean_pred] + [classes[int(p)] for p in adv_pred])
    for i in range(n):
        fig.add_trace(_image_trace(clean[i], "clean"), 1, i + 1)
        fig.add_trace(_image_trace(adv[i], "adversarial"), 2, i + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(template=theme.NAME, height=300, title=dict(text=title), margin=dict(l=10, r=10, t=70, b=10))
    return fig
