"""Figures of the concepts page (§7.2): activation maximization, TCAV scores, linear probes.

Inputs are numpy arrays and plain lists; images are ``[C, H, W]`` floats in [0, 1].
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme
from explorer.viz.images import image_grid, to_rgb_uint8

GREY = "#6b7280"
SCALE = 8  # screen pixels per image pixel in the live picture


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def actmax_figure(image: np.ndarray, steps: np.ndarray, activation: np.ndarray, probs: np.ndarray,
                  classes: list[str], *, what: str, step: int, highlight: int = -1) -> go.Figure:
    """Three panels: the image being optimized (upscaled), the maximized value against the
    ascent step, and the model's class probabilities for the image now. ``what``: a label of
    the objective; ``highlight``: the class to colour (−1: none)."""
    lay = panels.grid(1, 3, titles=(f"The input after {step:,} steps", f"{_esc(what)}, by step",
                                    "What the model sees in it"), hgap=0.09)
    pic = np.kron(to_rgb_uint8(image), np.ones((SCALE, SCALE, 1), dtype=np.uint8))
    p = np.asarray(probs, dtype=float)
    colours = [theme.CATEGORICAL[5] if i == highlight else theme.CATEGORICAL[0] for i in range(len(p))]
    data = [
        {"type": "image", "z": pic, "hoverinfo": "skip", "name": "input", **panels.cell(1, 1, 3)},
        {"type": "scatter", "x": np.asarray(steps), "y": np.asarray(activation, dtype=float), "mode": "lines+markers",
         "name": _esc(what), "line": {"color": theme.CATEGORICAL[0], "width": 3}, "marker": {"size": 5},
         "hovertemplate": "step %{x}<br>value %{y:.3f}<extra></extra>", **panels.cell(1, 2, 3)},
        {"type": "bar", "x": [_esc(c) for c in classes], "y": p, "marker": {"color": colours}, "name": "P(class)",
         "hovertemplate": "%{x}: %{y:.3f}<extra></extra>", **panels.cell(1, 3, 3)},
    ]
    for which in ("x", "y"):
        ax = panels.axis(lay, 1, 1, 3, which)
        ax.update(visible=False, showgrid=False)
    panels.axis(lay, 1, 1, 3, "y").update(scaleanchor="x", autorange="reversed")
    panels.axis(lay, 1, 2, 3, "x").update(title={"text": "ascent step"})
    panels.axis(lay, 1, 2, 3, "y").update(title={"text": "value"})
    panels.axis(lay, 1, 3, 3, "y").update(title={"text": "probability"}, range=[0, 1.02])
    panels.axis(lay, 1, 3, 3, "x").update(tickangle=-30 if len(classes) > 5 else 0)
    lay.update(height=380, showlegend=False, margin={"l": 40, "r": 20, "t": 60, "b": 70})
    return panels.figure(data, lay)


def examples_figure(images: np.ndarray, values: np.ndarray, labels: list[str], *, what: str) -> go.Figure:
    """The dataset images that give the largest value of the objective, with their values."""
    caps = [f"{_esc(lab)} · {v:.2f}" for lab, v in zip(labels, np.asarray(values, dtype=float))]
    return image_grid(np.asarray(images), caps, ncols=8, title=f"Test images with the largest {_esc(what)}",
                      tile_px=90)


def tcav_figure(layers: list[str], concepts: list[str], scores: np.ndarray, random: np.ndarray,
                significant: np.ndarray, p: np.ndarray, *, cls: str) -> go.Figure:
    """Grouped bars: per layer, the mean TCAV score of each concept over its runs (error bar:
    one standard deviation) and of random-vs-random CAVs (grey). A ★ marks a concept whose
    scores differ significantly from random; others are drawn faded.
    scores ``[C, L, R]``, random ``[L, R]``, significant and p ``[C, L]``."""
    s, r = np.asarray(scores, dtype=float), np.asarray(random, dtype=float)
    sig = np.asarray(significant, dtype=bool)
    x = [_esc(lab) for lab in layers]
    fig = go.Figure()
    for ci, name in enumerate(concepts):
        colour = theme.CATEGORICAL[ci % len(theme.CATEGORICAL)]
        fig.add_bar(x=x, y=s[ci].mean(1), name=_esc(name), marker=dict(color=colour, opacity=[1.0 if g else 0.35
                                                                                             for g in sig[ci]]),
                    error_y=dict(type="data", array=s[ci].std(1), thickness=1.2, width=3),
                    text=["★" if g else "" for g in sig[ci]], textposition="outside", textfont=dict(size=16),
                    customdata=np.asarray(p[ci], dtype=float),
                    hovertemplate=f"{_esc(name)} at %{{x}}<br>TCAV score %{{y:.2f}}<br>corrected p %{{customdata:.2g}}"
                                  "<extra></extra>")
    fig.add_bar(x=x, y=r.mean(1), name="random concepts", marker=dict(color=GREY, opacity=0.6),
                error_y=dict(type="data", array=r.std(1), thickness=1.2, width=3),
                hovertemplate="random vs random at %{x}<br>TCAV score %{y:.2f}<extra></extra>")
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dot", width=1))
    fig.update_layout(template=theme.NAME, barmode="group", height=430,
                      title=f"TCAV scores for class “{_esc(cls)}” (★ significant vs random; faded: not)",
                      xaxis_title="layer (input side → output side)",
                      yaxis=dict(title="TCAV score (share of inputs with S > 0)", range=[0, 1.12]),
                      legend=dict(orientation="h", y=-0.25, x=0))
    return fig


def concept_gallery(images: np.ndarray, captions: list[str], ncols: int) -> go.Figure:
    """A few examples of each concept, one concept per row."""
    return image_grid(np.asarray(images), captions, ncols=ncols, title="The concepts, drawn in code", tile_px=70)


def probes_figure(layers: list[str], names: list[str], acc: np.ndarray, chance: np.ndarray,
                  control: np.ndarray | None = None) -> go.Figure:
    """Test accuracy of a linear probe per layer, one line per attribute, with its chance level
    (dotted) and, when given, the same probes on an untrained network (dashed, faded).
    acc and control ``[A, L]``, chance ``[A]``."""
    x = [_esc(lab) for lab in layers]
    fig = go.Figure()
    for ai, name in enumerate(names):
        colour = theme.CATEGORICAL[ai % len(theme.CATEGORICAL)]
        fig.add_scatter(x=x, y=np.asarray(acc[ai], dtype=float), mode="lines+markers", name=_esc(name),
                        line=dict(color=colour, width=3), marker=dict(size=9), legendgroup=name,
                        hovertemplate=f"{_esc(name)} at %{{x}}<br>test accuracy %{{y:.1%}}<extra></extra>")
        if control is not None:
            fig.add_scatter(x=x, y=np.asarray(control[ai], dtype=float), mode="lines+markers",
                            name=f"{_esc(name)}, untrained net", legendgroup=name, opacity=0.55,
                            line=dict(color=colour, width=2, dash="dash"), marker=dict(size=6, symbol="x"),
                            hovertemplate=f"{_esc(name)}, untrained, at %{{x}}<br>test accuracy %{{y:.1%}}"
                                          "<extra></extra>")
        fig.add_scatter(x=[x[0], x[-1]], y=[float(chance[ai])] * 2, mode="lines", name=f"chance: {_esc(name)}",
                        legendgroup=name, showlegend=False, line=dict(color=colour, width=1.5, dash="dot"),
                        hovertemplate=f"chance for {_esc(name)}: {float(chance[ai]):.1%}<extra></extra>")
    fig.update_layout(template=theme.NAME, height=440, title="What each layer encodes linearly: probe accuracy on "
                                                             "held-out images (dotted: chance)",
                      xaxis_title="layer (input side → output side)",
                      yaxis=dict(title="test accuracy", range=[0, 1.02], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.25, x=0))
    return fig


def attention_figure(image: np.ndarray, cls_att: np.ndarray, rollout: np.ndarray, *, title: str) -> go.Figure:
    """The digit, the attention [CLS] pays to each patch in every layer (mean over heads), and
    the attention rollout through all layers, as heat maps of the patch grid.
    image ``[28, 28]``, cls_att ``[layers, heads, g, g]``, rollout ``[g, g]``."""
    att = np.asarray(cls_att, dtype=float).mean(1)
    n = len(att) + 2
    titles = ["the digit"] + [f"layer {i + 1}: [CLS] → patches" for i in range(len(att))] + ["rollout, all layers"]
    lay = panels.grid(1, n, titles=tuple(titles), hgap=0.04)
    maps = list(att) + [np.asarray(rollout, dtype=float)]
    data = [{"type": "heatmap", "z": np.asarray(image, dtype=float), "colorscale": "Greys", "reversescale": True,
             "showscale": False, "hoverinfo": "skip", "name": "digit", **panels.cell(1, 1, n)}]
    for i, m in enumerate(maps):
        data.append({"type": "heatmap", "z": m, "colorscale": "Viridis", "zmin": 0, "zmax": float(m.max() or 1),
                     "showscale": i == len(maps) - 1, "name": titles[i + 1],
                     "colorbar": {"title": {"text": "weight", "side": "top"}, "thickness": 12},
                     "hovertemplate": "patch row %{y}, col %{x}<br>weight %{z:.3f}<extra></extra>",
                     **panels.cell(1, i + 2, n)})
    for c in range(1, n + 1):
        panels.axis(lay, 1, c, n, "x").update(visible=False, showgrid=False)
        panels.axis(lay, 1, c, n, "y").update(visible=False, showgrid=False, autorange="reversed",
                                              scaleanchor="x" if c == 1 else f"x{c}")
    lay.update(height=300, showlegend=False, title={"text": _esc(title)}, margin={"l": 20, "r": 20, "t": 80, "b": 20})
    return panels.figure(data, lay)
