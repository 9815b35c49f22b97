"""Figures of the certified-robustness lesson: randomized smoothing (noisy copies and their
votes, the radius formula, certified accuracy against radius) and interval bound propagation
(boxes on a 2-D decision map, margins as the box grows).

Plain numpy in, plotly figures out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme
from explorer.viz.adversarial import rgb

C = theme.CATEGORICAL
ORDER = (0, 5, 2, 3, 1, 4, 6, 7)
CERT_COLOR = C[2]     # green: certified
ATTACK_COLOR = C[5]   # vermillion: the attack
TRUE_COLOR = "#1b1f24"
GREY = "#6b7280"


def color(k: int) -> str:
    return C[ORDER[k % len(ORDER)]]


def smoothing_figure(noisy: np.ndarray, counts: np.ndarray, classes: list[str], *, sigma: float, guess: int,
                     cls: int, p_lower: float, radius: float, n: int, alpha: float) -> go.Figure:
    """A few noisy copies x + η the base classifier sees (top) and the votes of n copies (bottom).
    ``noisy`` ``[M, C, H, W]`` (clipped to [0, 1] for display); ``counts`` ``[K]``."""
    m = len(noisy)
    fig = make_subplots(rows=2, cols=max(1, m), specs=[[{}] * max(1, m), [{"colspan": max(1, m)}] + [None] * (m - 1)],
                        row_heights=[0.35, 0.65], vertical_spacing=0.14, horizontal_spacing=0.01,
                        subplot_titles=[f"x + η #{i + 1}" for i in range(m)] + [""])
    for i in range(m):
        fig.add_trace(go.Image(z=rgb(noisy[i]), hoverinfo="skip"), 1, i + 1)
        fig.update_xaxes(visible=False, row=1, col=i + 1)
        fig.update_yaxes(visible=False, row=1, col=i + 1)
    cnt = np.asarray(counts)
    colors = [CERT_COLOR if (k == cls) else (ATTACK_COLOR if k == guess and cls < 0 else GREY)
              for k in range(len(cnt))]
    fig.add_trace(go.Bar(x=list(classes), y=cnt, marker_color=colors, name="votes", showlegend=False,
                         text=[str(int(c)) if c else "" for c in cnt], textposition="outside",
                         hovertemplate="%{x}: %{y} of " + f"{n}" + " noisy copies<extra></extra>"), 2, 1)
    fig.update_xaxes(title_text="class the base classifier answers for x + η", type="category", row=2, col=1)
    fig.update_yaxes(title_text="votes", range=[0, max(1, cnt.max()) * 1.18], row=2, col=1)
    verdict = (f"certified: class {classes[cls]} within L2 radius R = {radius:.3f}" if cls >= 0 else
               "abstains: the lower bound on the top class's probability is not above ½")
    fig.update_layout(template=theme.NAME, height=460, margin=dict(l=60, r=20, t=90, b=60),
                      title=dict(text=f"σ = {sigma:g}, n = {n:,}: p̲_A = {p_lower:.4f} "
                                      f"(confidence {1 - alpha:.3g}) · {verdict}"))
    return fig


def radius_figure(sigmas: list[float], p_lower: float | None = None, sigma: float | None = None,
                  n: int | None = None, alpha: float | None = None) -> go.Figure:
    """R = σ·Φ⁻¹(p̲_A) against p̲_A for each σ, the current certificate marked; with n and α, a
    dotted line at the largest p̲_A that n samples can give, α^(1/n)."""
    from scipy.special import ndtri

    p = np.linspace(0.5, 0.9999, 400)
    fig = go.Figure()
    for i, s in enumerate(sigmas):
        fig.add_trace(go.Scatter(x=p, y=s * ndtri(p), mode="lines", name=f"σ = {s:g}",
                                 line=dict(color=color(i), width=2.5),
                                 hovertemplate="p̲_A %{x:.4f}: R = %{y:.3f}<extra>σ = " + f"{s:g}" + "</extra>"))
    if p_lower is not None and sigma is not None and p_lower > 0.5:
        fig.add_trace(go.Scatter(x=[p_lower], y=[sigma * ndtri(p_lower)], mode="markers", name="this image",
                                 marker=dict(size=13, color=TRUE_COLOR, symbol="x")))
    shapes = []
    if n and alpha:
        cap = alpha ** (1 / n)
        shapes.append(dict(type="line", x0=cap, x1=cap, y0=0, y1=1, yref="paper", line=dict(color=GREY, dash="dot")))
        fig.add_annotation(x=cap, y=1, yref="paper", text=f"max with n = {n:,}", showarrow=False, xanchor="right",
                           yanchor="top", font=dict(size=12, color=GREY))
    fig.update_layout(template=theme.NAME, height=360, shapes=shapes,
                      title=dict(text="Certified radius R = σ·Φ⁻¹(p̲_A)"),
                      xaxis=dict(title="lower bound p̲_A of the top class's probability"),
                      yaxis=dict(title="L2 radius R", rangemode="tozero"),
                      legend=dict(orientation="h", y=-0.25, x=0), margin=dict(l=60, r=20, t=50, b=90))
    return fig


def cert_curve_figure(curves: list[dict], *, n_images: int, n: int, model: str) -> go.Figure:
    """Certified accuracy against L2 radius, one line per σ. Each curve: sigma, radii ``[R]``,
    acc ``[R]`` in [0, 1], abstain (share), clean_acc."""
    fig = go.Figure()
    for i, c in enumerate(curves):
        fig.add_trace(go.Scatter(x=c["radii"], y=100 * np.asarray(c["acc"]), mode="lines", line_shape="hv",
                                 name=f"σ = {c['sigma']:g} (abstains on {100 * c['abstain']:.0f} %)",
                                 line=dict(color=color(i), width=2.5),
                                 hovertemplate="radius %{x:.3f}: %{y:.1f} %<extra>σ = " + f"{c['sigma']:g}</extra>"))
    fig.update_layout(template=theme.NAME, height=420,
                      title=dict(text=f"Certified accuracy of the smoothed {model} on {n_images} test images "
                                      f"(n = {n:,} samples each)"),
                      xaxis=dict(title="L2 radius r (pixel units)", rangemode="tozero"),
                      yaxis=dict(title="certified with the right class at radius ≥ r (%)", range=[-2, 102]),
                      legend=dict(orientation="h", y=-0.22, x=0), margin=dict(l=60, r=20, t=60, b=90))
    return fig


def class_rgb(probs: np.ndarray) -> np.ndarray:
    """``[H, W, K]`` probabilities → ``[H, W, 3]`` uint8: each class's colour, faded to white
    where the network is unsure (two classes: the playground's orange and blue)."""
    p = np.asarray(probs, dtype=np.float64)
    k = p.shape[-1]
    pal = [theme.NEGATIVE, theme.POSITIVE] if k == 2 else [color(i) for i in range(k)]
    cols = np.array([theme.hex_to_rgb(c) for c in pal], dtype=np.float64)
    top = p.argmax(-1)
    conf = (p.max(-1) - 1 / k) / (1 - 1 / k)  # 0 at a tie, 1 when sure
    a = 0.25 + 0.5 * conf[..., None]
    out = (1 - a) * 255 + a * cols[top]
    return np.clip(out, 0, 255).round().astype(np.uint8)


def _box(cx: float, cy: float, r: float, color: str, dash: str | None = None, fill: bool = False) -> dict:
    return dict(type="rect", x0=cx - r, x1=cx + r, y0=cy - r, y1=cy + r, line=dict(color=color, width=2.5, dash=dash),
                fillcolor=color if fill else None, opacity=1.0, layer="above")


def ibp_map_figure(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray, xy: np.ndarray, labels: np.ndarray,
                   point: np.ndarray, *, ibp_eps: float, grid_eps: float, pgd_eps: float, pgd_point, eps: float,
                   certified: bool) -> go.Figure:
    """The decision map with the training points, the chosen point and its L∞ boxes: the largest
    box IBP certifies (green), the user's box (green if certified, red dashed if not), and the
    box at which PGD flips the prediction with the point it found (vermillion)."""
    k = probs.shape[-1]
    pal = [theme.NEGATIVE, theme.POSITIVE] if k == 2 else [color(i) for i in range(k)]
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    fig = go.Figure(go.Image(z=class_rgb(probs), x0=float(xs[0]), dx=dx, y0=float(ys[0]), dy=dy, hoverinfo="skip"))
    for c in range(k):
        m = np.asarray(labels) == c
        fig.add_trace(go.Scatter(x=xy[m, 0], y=xy[m, 1], mode="markers", name=f"class {c}",
                                 marker=dict(size=5, color=pal[c], line=dict(color="white", width=0.6)),
                                 hovertemplate="(%{x:.2f}, %{y:.2f})<extra>class " + str(c) + "</extra>"))
    px, py = float(point[0]), float(point[1])
    shapes = []
    if ibp_eps > 0:
        shapes.append(_box(px, py, ibp_eps, CERT_COLOR))
    if np.isfinite(pgd_eps):
        shapes.append(_box(px, py, pgd_eps, ATTACK_COLOR, "dot"))
    if eps > 0:
        shapes.append(_box(px, py, eps, TRUE_COLOR if certified else ATTACK_COLOR, None if certified else "dash"))
    legend = [(CERT_COLOR, None, f"IBP certifies ε ≤ {ibp_eps:.3f}"),
              (ATTACK_COLOR, "dot", f"PGD flips at ε = {pgd_eps:.3f}" if np.isfinite(pgd_eps) else "PGD never flips"),
              (TRUE_COLOR if certified else ATTACK_COLOR, None if certified else "dash",
               f"your box ε = {eps:g}: " + ("certified" if certified else "not certified"))]
    for col, dash, name in legend:  # legend entries for the boxes (shapes have none)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, line=dict(color=col, width=3, dash=dash)))
    fig.add_trace(go.Scatter(x=[px], y=[py], mode="markers", name="the point",
                             marker=dict(size=13, symbol="x", color=TRUE_COLOR, line=dict(color="white", width=1)),
                             hovertemplate="(%{x:.2f}, %{y:.2f})<extra>the point</extra>"))
    if pgd_point is not None:
        fig.add_trace(go.Scatter(x=[pgd_point[0]], y=[pgd_point[1]], mode="markers", name="PGD's adversarial point",
                                 marker=dict(size=12, symbol="star", color=ATTACK_COLOR,
                                             line=dict(color="white", width=1))))
    ext = float(xs[-1])
    fig.update_layout(template=theme.NAME, height=560, shapes=shapes,
                      title=dict(text=f"L∞ boxes around ({px:.2f}, {py:.2f}) · true radius ≈ {grid_eps:.3f} "
                                      "(dense grid)"),
                      xaxis=dict(title="x₁", range=[-ext, ext], showgrid=False, constrain="domain"),
                      yaxis=dict(title="x₂", range=[-ext, ext], showgrid=False, scaleanchor="x", autorange=False),
                      legend=dict(x=1.02, y=1, xanchor="left"), margin=dict(l=60, r=20, t=60, b=60))
    return fig


def margin_figure(eps: np.ndarray, ibp: np.ndarray, true: np.ndarray, *, ibp_eps: float, grid_eps: float,
                  pgd_eps: float) -> go.Figure:
    """The smallest margin z_c − z_j over the box as it grows: IBP's lower bound (certified while
    above 0) and the smallest margin found on a dense grid of the box (robust while above 0)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=eps, y=ibp, mode="lines", name="IBP lower bound", line=dict(color=CERT_COLOR, width=3),
                             hovertemplate="ε %{x:.3f}: ≥ %{y:.3f}<extra>IBP</extra>"))
    fig.add_trace(go.Scatter(x=eps, y=true, mode="lines", name="smallest margin on a dense grid of the box",
                             line=dict(color=TRUE_COLOR, width=2.5),
                             hovertemplate="ε %{x:.3f}: %{y:.3f}<extra>grid</extra>"))
    shapes = [dict(type="line", x0=float(eps[0]), x1=float(eps[-1]), y0=0, y1=0, line=dict(color=GREY, width=1))]
    for x, col, dash, text, side in ((ibp_eps, CERT_COLOR, "dash", "IBP gives up", "right"),
                                     (grid_eps, TRUE_COLOR, "dot", "true radius", "right"),
                                     (pgd_eps, ATTACK_COLOR, "dot", "PGD flips", "left")):
        if np.isfinite(x) and eps[0] <= x <= eps[-1]:
            shapes.append(dict(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line=dict(color=col, dash=dash)))
            fig.add_annotation(x=x, y=1, yref="paper", text=text, showarrow=False, textangle=-90, xanchor=side,
                               yanchor="top", font=dict(size=12, color=col))
    lo = float(np.nanmin(np.r_[ibp, true]))
    hi = float(np.nanmax(true))
    span = max(hi - lo, 1e-6)
    fig.update_layout(template=theme.NAME, height=380, shapes=shapes,
                      title=dict(text="Growing the box: the worst margin z_pred − z_other"),
                      xaxis=dict(title="box half-width ε (L∞)"),
                      yaxis=dict(title="margin (logits)", range=[max(lo, -2 * hi if hi > 0 else lo) - 0.05 * span,
                                                                 hi + 0.05 * span]),
                      legend=dict(orientation="h", y=-0.25, x=0), margin=dict(l=60, r=20, t=50, b=90))
    return fig
