"""Figures of the self-supervised page: augmented pairs, live training panels, embedding
projections, accuracy vs label budget, and masked-autoencoder reconstructions.

Inputs are numpy: images ``[N, 1, H, W]`` in [0, 1], curves as 1-D arrays.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme
from explorer.viz.images import mosaic

SCALE = 4  # screen pixels per image pixel in the mosaics


def image_rows(rows: list[np.ndarray], row_names: list[str], title: str, col_names: list[str] | None = None,
               tile_px: int = 78) -> go.Figure:
    """Rows of images (each ``[n, C, H, W]``, the same n) in one picture, each row named on the left."""
    n = len(rows[0])
    stack = np.concatenate(rows)
    gap = 2 * SCALE
    pic = mosaic(stack, ncols=n, pad=gap, scale=SCALE, pad_y=gap)
    th = stack.shape[-2] * SCALE
    tw = stack.shape[-1] * SCALE
    fig = go.Figure(go.Image(z=pic, hoverinfo="skip"))
    ticks = [r * (th + gap) + th / 2 for r in range(len(rows))]
    annotations = []
    for i, name in enumerate(col_names or []):
        annotations.append(dict(x=i * (tw + gap) + tw / 2, y=-gap, text=name, showarrow=False, xref="x", yref="y",
                                yanchor="bottom", font=dict(size=13)))
    top = 80 if col_names else 55
    fig.update_layout(template=theme.NAME, title=dict(text=title), annotations=annotations,
                      height=int(len(rows) * tile_px + top + 15), margin=dict(l=150, r=10, t=top, b=10),
                      xaxis=dict(visible=False),
                      yaxis=dict(scaleanchor="x", tickmode="array", tickvals=ticks, ticktext=row_names,
                                 showgrid=False, ticks="", showline=False, zeroline=False))
    return fig


def pairs_figure(original: np.ndarray, view1: np.ndarray, view2: np.ndarray, labels: list[str]) -> go.Figure:
    """The same digits and two augmented views of each: a positive pair is one column."""
    return image_rows([original, view1, view2], ["original", "view 1", "view 2"],
                      "Two random views of each digit — a positive pair is one column", labels)


def gallery_figure(rows: dict[str, np.ndarray]) -> go.Figure:
    """One row per augmentation (name → images ``[n, 1, H, W]``), the same digits in every column."""
    return image_rows(list(rows.values()), list(rows), "Each augmentation on its own, then all together",
                      tile_px=66)


def live_figure(epoch, train, test, align, uniform, pos_sim, neg_sim, knn, edges, pos_hist, neg_hist,
                loss_name: str) -> go.Figure:
    """2×2 panels: loss vs epoch; alignment and uniformity vs epoch; k-NN accuracy vs epoch;
    histograms of the current positive / negative cosine similarities."""
    titles = (f"{loss_name} (lower is better)", "Alignment and uniformity (lower is better)",
              "Positive vs negative cosine similarity", "5-NN accuracy on test digits")
    lay = panels.grid(2, 2, titles, hgap=0.09, vgap=0.2)
    c = theme.CATEGORICAL
    e = np.asarray(epoch)
    mode = "lines+markers" if len(e) < 40 else "lines"
    data = [
        dict(type="scatter", x=e, y=train, name="train loss", mode=mode, line=dict(color=theme.TRAIN_COLOR),
             legendgroup="a", **panels.cell(1, 1, 2)),
        dict(type="scatter", x=e, y=test, name="test loss", mode=mode, line=dict(color=theme.TEST_COLOR),
             legendgroup="a", **panels.cell(1, 1, 2)),
        dict(type="scatter", x=e, y=align, name="alignment E‖f(x)−f(x⁺)‖²", mode=mode,
             line=dict(color=c[2]), **panels.cell(1, 2, 2)),
        dict(type="scatter", x=e, y=uniform, name="uniformity log E e^(−2‖f(x)−f(y)‖²)", mode=mode,
             line=dict(color=c[3], dash="dot"), **panels.cell(1, 2, 2)),
        dict(type="scatter", x=e, y=100 * np.asarray(knn, dtype=float), name="5-NN accuracy", mode=mode,
             line=dict(color=c[5]), showlegend=False, **panels.cell(2, 2, 2)),
    ]
    mid = 0.5 * (np.asarray(edges[:-1]) + np.asarray(edges[1:]))
    data += [dict(type="bar", x=mid, y=100 * np.asarray(pos_hist), name=f"positive pairs (mean {pos_sim:.2f})",
                  marker=dict(color=c[0]), opacity=0.75, **panels.cell(2, 1, 2)),
             dict(type="bar", x=mid, y=100 * np.asarray(neg_hist), name=f"negatives (mean {neg_sim:.2f})",
                  marker=dict(color=c[1]), opacity=0.75, **panels.cell(2, 1, 2))]
    for r, col, xt, yt in ((1, 1, "epoch", "loss"), (1, 2, "epoch", "value"), (2, 1, "cosine similarity", "% of pairs"),
                           (2, 2, "epoch", "accuracy (%)")):
        panels.axis(lay, r, col, 2, "x")["title"] = {"text": xt}
        panels.axis(lay, r, col, 2, "y")["title"] = {"text": yt}
    panels.axis(lay, 2, 1, 2, "x")["range"] = [-1, 1]
    span = [-0.2, max(5.0, float(e.max()) if len(e) else 0.0) + 0.2]
    for r, col in ((1, 1), (1, 2), (2, 2)):
        panels.axis(lay, r, col, 2, "x")["range"] = span
    lay.update(barmode="overlay", height=640, margin=dict(l=60, r=20, t=60, b=50),
               legend=dict(orientation="h", y=-0.12, x=0, font=dict(size=13)),
               title=dict(text=f"Training the encoder without labels — epoch {int(e[-1]) if len(e) else 0}"))
    return panels.figure(data, lay)


def projection_figure(xy: np.ndarray, y: np.ndarray, classes, title: str, method_label: str) -> go.Figure:
    """Scatter of 2-D points coloured by class, one trace (legend entry) per class."""
    xy = np.asarray(xy)
    y = np.asarray(y)
    pal = list(theme.CATEGORICAL) + ["#999999", "#8c564b"]  # ten classes: Okabe–Ito plus grey and brown
    data = []
    for k, name in enumerate(classes):
        sel = y == k
        data.append(go.Scatter(x=xy[sel, 0], y=xy[sel, 1], mode="markers", name=str(name),
                               marker=dict(size=7, color=pal[k % len(pal)], opacity=0.8,
                                           line=dict(width=0.5, color="white")),
                               hovertemplate=f"digit {name}<extra></extra>"))
    fig = go.Figure(data)
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=480, legend=dict(title=dict(text="digit")),
                      xaxis=dict(title=dict(text=f"{method_label} 1"), zeroline=False),
                      yaxis=dict(title=dict(text=f"{method_label} 2"), zeroline=False))
    return fig


def budget_figure(budgets: np.ndarray, curves: dict[str, np.ndarray], chosen: int) -> go.Figure:
    """Test accuracy (%) vs labels per class (log axis), one line per approach, the chosen budget marked."""
    fig = go.Figure()
    pal = {0: theme.CATEGORICAL[0], 1: theme.CATEGORICAL[1], 2: "#7f7f7f"}
    dash = {0: "solid", 1: "solid", 2: "dot"}
    for i, (name, acc) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=np.asarray(budgets), y=100 * np.asarray(acc), name=name, mode="lines+markers",
                                 line=dict(color=pal.get(i, theme.CATEGORICAL[i % 8]), dash=dash.get(i, "solid"),
                                           width=3), marker=dict(size=9),
                                 hovertemplate="%{x} labels/class: %{y:.1f} %<extra>" + name + "</extra>"))
    # a vertical segment as a trace: shapes on a log axis would need log10 coordinates
    fig.add_trace(go.Scatter(x=[chosen, chosen], y=[0, 100], mode="lines", name=f"chosen: {chosen} labels/class",
                             line=dict(color="#1b1f24", dash="dash", width=1.5), hoverinfo="skip"))
    fig.update_layout(template=theme.NAME, height=440,
                      title=dict(text="Test accuracy vs label budget: self-supervised features vs supervision"),
                      xaxis=dict(title=dict(text="labelled examples per class (log scale)"), type="log",
                                 range=[np.log10(min(budgets)) - 0.1, np.log10(max(budgets)) + 0.1],
                                 tickmode="array", tickvals=[int(b) for b in budgets],
                                 ticktext=[str(int(b)) for b in budgets]),
                      yaxis=dict(title=dict(text="test accuracy (%)"), range=[0, 100]),
                      legend=dict(x=0.99, xanchor="right", y=0.02, yanchor="bottom"))
    return fig


def mae_figure(original: np.ndarray, masked: np.ndarray, recon: np.ndarray, epoch: int, patch: int,
               n_masked: int, n_patches: int) -> go.Figure:
    """Original / masked input / reconstruction of the same test digits."""
    return image_rows([masked, recon, original], ["masked input", "reconstruction", "original"],
                      f"Masked autoencoder at epoch {epoch}: {n_masked} of {n_patches} patches "
                      f"({patch}×{patch} px) hidden")


def mae_loss_figure(epoch, train, test, visible) -> go.Figure:
    """Masked-patch MSE (train, test) and the visible-patch error vs epoch."""
    e = np.asarray(epoch)
    mode = "lines+markers" if len(e) < 40 else "lines"
    fig = go.Figure([
        go.Scatter(x=e, y=train, name="train: masked patches", mode=mode, line=dict(color=theme.TRAIN_COLOR)),
        go.Scatter(x=e, y=test, name="test: masked patches", mode=mode, line=dict(color=theme.TEST_COLOR)),
        go.Scatter(x=e, y=visible, name="test: visible patches (not in the loss)", mode=mode,
                   line=dict(color="#7f7f7f", dash="dot")),
    ])
    span = [-0.2, max(5.0, float(e.max()) if len(e) else 0.0) + 0.2]
    fig.update_layout(template=theme.NAME, height=340, title=dict(text="Reconstruction error (MSE per pixel)"),
                      xaxis=dict(title=dict(text="epoch"), range=span), yaxis=dict(title=dict(text="mean squared error")),
                      legend=dict(x=0.99, xanchor="right", y=0.99))
    return fig
