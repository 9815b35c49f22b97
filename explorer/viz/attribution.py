"""Figures of the attribution lesson: maps overlaid on the input on one colour scale, integrated
gradients' completeness, the randomization sanity check and the object-mask score.

Images arrive as floats ``[C, H, W]`` in [0, 1] (C = 1 or 3); maps as ``[H, W]`` floats in any
unit. Plain numpy in, plotly figures out.

**One colour scale.** The methods measure different things in different units (a gradient, a
share of a logit, a drop of a logit, a rectified channel mix), so each map is divided by its own
99th percentile of |value| (:func:`normalize`) and clipped to [−1, 1]: colours compare *where*
each method looks, not how loud it is. Near zero the colour is transparent, so the input shows
through.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme

C = theme.CATEGORICAL
PCT = 99.0
# Transparent at 0, opaque and darker toward ±1: the picture underneath stays visible where a map
# is quiet, and strong values stand out from middling ones.
SIGNED_SCALE = [[0.0, "rgba(213,94,0,1)"], [0.25, "rgba(245,147,34,0.75)"], [0.5, "rgba(255,255,255,0)"],
                [0.75, "rgba(86,180,233,0.75)"], [1.0, "rgba(0,90,170,1)"]]
ABS_SCALE = [[0.0, "rgba(255,255,255,0)"], [0.5, "rgba(230,159,0,0.75)"], [1.0, "rgba(255,240,80,1)"]]
MASK_COLOR = "#ffffff"


def normalize(m: np.ndarray, pct: float = PCT) -> tuple[np.ndarray, float]:
    """(``m`` / s clipped to [−1, 1], s) with s the ``pct``-th percentile of |m| (its max when
    that is 0; 1 for an all-zero map)."""
    a = np.nan_to_num(np.asarray(m, dtype=np.float64))
    s = float(np.percentile(np.abs(a), pct)) if a.size else 0.0
    if s <= 0:
        s = float(np.abs(a).max()) if a.size else 0.0
    s = s if s > 0 else 1.0
    return np.clip(a / s, -1.0, 1.0), s


def backdrop(img: np.ndarray) -> np.ndarray:
    """The input as a dimmed grey ``[H, W, 3]`` uint8 picture for maps to be laid over."""
    a = np.asarray(img, dtype=np.float64)
    lum = a[0] if a.shape[0] == 1 else np.tensordot([0.299, 0.587, 0.114], a, axes=1)
    g = (0.12 + 0.55 * np.clip(np.nan_to_num(lum), 0, 1)) * 255
    return np.repeat(g.round().astype(np.uint8)[..., None], 3, axis=-1)


def rgb(img: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` floats in [0, 1] → ``[H, W, 3]`` uint8."""
    a = np.asarray(img, dtype=np.float64).transpose(1, 2, 0)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return (np.clip(np.nan_to_num(a), 0, 1) * 255).round().astype(np.uint8)


def _axes_name(i: int) -> tuple[str, str]:
    return ("x" if i == 1 else f"x{i}"), ("y" if i == 1 else f"y{i}")


def _mask_trace(mask: np.ndarray) -> go.Contour:
    """The outline of a boolean ``[H, W]`` mask, dotted."""
    return go.Contour(z=np.asarray(mask, dtype=np.float32), contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                      line=dict(color=MASK_COLOR, width=2, dash="dot"), showscale=False, hoverinfo="skip",
                      name="object mask", showlegend=False)


def maps_figure(image: np.ndarray, maps: list[tuple[str, np.ndarray]], *, signed: bool, title: str,
                mask: np.ndarray | None = None, image_title: str = "input", cols: int = 4) -> go.Figure:
    """The input, then each (panel title — its first line names the trace —, map ``[H, W]``)
    overlaid on it, all on one colour axis (each map normalized by :func:`normalize`; signed:
    −1…1 orange–blue, else 0…1). ``mask`` ``[H, W]`` bool draws the object's outline on every panel."""
    n = len(maps) + 1
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    titles = [image_title] + [t for t, _ in maps]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=0.12 if rows > 1 else 0.0)
    back = backdrop(image)
    fig.add_trace(go.Image(z=rgb(image), name="input", hovertemplate="row %{y}, col %{x}<extra>input</extra>"), 1, 1)
    if mask is not None:
        fig.add_trace(_mask_trace(mask), 1, 1)
    for i, (name, m) in enumerate(maps, start=2):
        r, c = (i - 1) // cols + 1, (i - 1) % cols + 1
        z, s = normalize(m)
        if not signed:
            z = np.abs(z)
        fig.add_trace(go.Image(z=back, hoverinfo="skip", name="input"), r, c)
        label = name.split("<br>")[0]  # the panel title's first line names the trace
        fig.add_trace(go.Heatmap(z=z, coloraxis="coloraxis", name=label, customdata=np.asarray(m, dtype=np.float64),
                                 hovertemplate="row %{y}, col %{x}<br>%{customdata:.4g} (scaled %{z:+.2f})<extra>"
                                               + label + "</extra>"), r, c)
        if mask is not None:
            fig.add_trace(_mask_trace(mask), r, c)
    for i in range(1, rows * cols + 1):
        xa, ya = _axes_name(i)
        fig.layout[xa.replace("x", "xaxis")].update(visible=False)
        fig.layout[ya.replace("y", "yaxis")].update(visible=False, autorange="reversed", scaleanchor=xa)
    lo = -1.0 if signed else 0.0
    bar = "attribution ÷ its 99th<br>percentile of |value|" if signed else "|attribution| ÷ its<br>99th percentile"
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=60 + 300 * rows,
                      coloraxis=dict(colorscale=SIGNED_SCALE if signed else ABS_SCALE, cmin=lo, cmax=1.0,
                                     colorbar=dict(title=dict(text=bar, side="right"), thickness=14, len=0.9,
                                                   tickvals=[-1, -0.5, 0, 0.5, 1] if signed else [0, 0.5, 1])),
                      showlegend=False, margin=dict(l=10, r=10, t=105, b=20))
    for a in fig.layout.annotations:
        a.font = dict(size=14)
    return fig


def completeness_figure(baseline: np.ndarray, alpha: np.ndarray, f_path: np.ndarray, steps: np.ndarray,
                        rules: list[str], error: np.ndarray, *, chosen: int, chosen_error: float, gap: float,
                        baseline_title: str) -> go.Figure:
    """Three panels: the baseline image; the target logit along the path x̄ → x (``alpha``,
    ``f_path`` ``[n]``); |Σ IG − (f(x) − f(x̄))| against the number of steps for each rule
    (``error`` ``[R, S]``) on log axes, with the page's choice marked."""
    fig = make_subplots(rows=1, cols=3, column_widths=[0.2, 0.38, 0.42], horizontal_spacing=0.09,
                        subplot_titles=(baseline_title, "Target logit along the path x̄ → x",
                                        "Completeness error against steps"))
    fig.add_trace(go.Image(z=rgb(baseline), name="baseline", hovertemplate="row %{y}, col %{x}<extra>baseline"
                                                                            "</extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=alpha, y=f_path, mode="lines", name="f(x̄ + α(x − x̄))",
                             line=dict(color=C[0], width=3),
                             hovertemplate="α = %{x:.2f}: %{y:.3f}<extra></extra>"), 1, 2)
    err = np.abs(np.asarray(error, dtype=np.float64))
    floor = 1e-7  # log axes cannot show 0: an exact sum is drawn at this floor
    for i, r in enumerate(rules):
        fig.add_trace(go.Scatter(x=steps, y=np.maximum(err[i], floor), mode="lines+markers", name=r,
                                 line=dict(color=C[(1, 2, 3, 4)[i % 4]], width=2),
                                 hovertemplate="%{x} steps: |error| %{y:.3g}<extra>" + r + "</extra>"), 1, 3)
    fig.add_trace(go.Scatter(x=[chosen], y=[max(abs(chosen_error), floor)], mode="markers", name="this page's IG",
                             marker=dict(color=C[5], size=14, symbol="star", line=dict(color="white", width=1)),
                             hovertemplate="%{x} steps: |error| %{y:.3g}<extra>this page</extra>"), 1, 3)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(title_text="α (0 = baseline, 1 = input)", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="logit of the target class", row=1, col=2)
    fig.update_xaxes(title_text="steps (log scale)", type="log", tickvals=list(np.asarray(steps)), row=1, col=3)
    fig.update_yaxes(title_text="|Σ attributions − (f(x) − f(x̄))|", type="log", dtick=1, exponentformat="power",
                     row=1, col=3)
    fig.update_layout(template=theme.NAME, height=430,
                      title=dict(text=f"Integrated gradients must add up to f(x) − f(x̄) = {gap:.4g}"),
                      legend=dict(orientation="h", x=0.2, y=-0.25), margin=dict(l=20, r=20, t=90, b=100))
    for a in fig.layout.annotations:
        a.font = dict(size=14)
    return fig


def sanity_maps_figure(maps: np.ndarray, steps: list[str], methods: list[str], *, signed: bool,
                       title: str) -> go.Figure:
    """A grid of maps ``[S, M, H, W]``: one row per method, one column per randomization step
    (``steps`` labels), each normalized on its own (:func:`normalize`)."""
    s_n, m_n = maps.shape[:2]
    fig = make_subplots(rows=m_n, cols=s_n, row_titles=list(methods), column_titles=list(steps),
                        horizontal_spacing=0.006, vertical_spacing=0.012)
    for j in range(m_n):
        for s in range(s_n):
            z, _ = normalize(maps[s, j])
            fig.add_trace(go.Heatmap(z=z if signed else np.abs(z), coloraxis="coloraxis", name=methods[j],
                                     hovertemplate=f"{methods[j]}, {steps[s]}<br>row %{{y}}, col %{{x}}: "
                                                   "%{z:.2f}<extra></extra>"), j + 1, s + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for i in range(1, s_n * m_n + 1):
        fig.layout["yaxis" if i == 1 else f"yaxis{i}"].scaleanchor = "x" if i == 1 else f"x{i}"
    scale = theme.DIVERGING if signed else [[0, "#ffffff"], [0.5, "#f4a259"], [1, C[5]]]
    fig.update_layout(template=theme.NAME, height=70 + 118 * m_n, title=dict(text=title),
                      coloraxis=dict(colorscale=scale, cmin=-1 if signed else 0, cmax=1,
                                     colorbar=dict(title=dict(text="scaled", side="right"), thickness=12, len=0.8)),
                      margin=dict(l=170, r=10, t=100, b=10))
    for a in fig.layout.annotations:
        a.font = dict(size=13)
        if a.textangle == 90:  # row titles: horizontal, on the left
            a.textangle = 0
            a.xanchor = "right"
            a.x = -0.01
    return fig


def rho_figure(steps: list[str], methods: list[str], rho: np.ndarray, *, mode: str, signed: bool) -> go.Figure:
    """Spearman ρ ``[S, M]`` of each method's map against the trained model's, per step."""
    fig = go.Figure()
    for j, m in enumerate(methods):
        y = np.asarray(rho[:, j], dtype=np.float64)
        fig.add_trace(go.Scatter(x=list(steps), y=np.where(np.isfinite(y), y, None), mode="lines+markers", name=m,
                                 connectgaps=False, line=dict(color=C[j % len(C)], width=2.5),
                                 hovertemplate="%{x}: ρ = %{y:.2f}<extra>" + m + "</extra>"))
    fig.add_hline(y=0, line=dict(color="#6b7280", dash="dot", width=1))
    finite = np.asarray(rho, dtype=np.float64)[np.isfinite(rho)]
    low = min(-0.6, float(finite.min()) - 0.1) if finite.size else -0.6
    what = "maps" if signed else "|maps|"
    xlab = ("layers randomized, from the output down (cumulative)" if mode == "cascading"
            else "the one layer randomized (the others trained)")
    fig.update_layout(template=theme.NAME, height=420,
                      title=dict(text=f"Rank correlation of {what} with the trained model's ({mode})"),
                      xaxis=dict(title=dict(text=xlab), type="category"),
                      yaxis=dict(title=dict(text="Spearman ρ"), range=[max(-1.05, low), 1.05]),
                      legend=dict(orientation="h", x=0, y=-0.3), margin=dict(l=60, r=20, t=60, b=110))
    return fig


def mask_figure(methods: list[str], mean: np.ndarray, ci: np.ndarray, chance: float, *, n: int, model: str,
                random_mean: np.ndarray | None = None, random_ci: np.ndarray | None = None,
                where: str = "inside the object's mask") -> go.Figure:
    """Bars: the mean share of each method's |map| on the object (± a 95 % interval) for the
    trained model and, when given, for the same net with random weights; a line at the share an
    even map would get (the region's mean area). ``where`` names the region in the title."""
    mean = np.asarray(mean, dtype=np.float64)
    lift = mean / chance if chance > 0 else np.full_like(mean, np.nan)
    fig = go.Figure(go.Bar(x=list(methods), y=100 * mean, name="trained model",
                           error_y=dict(type="data", array=100 * np.asarray(ci), visible=True, color="#374151"),
                           marker_color=C[0], customdata=lift,
                           text=[f"{100 * v:.0f} %" for v in mean], textposition="inside",
                           insidetextanchor="middle", textfont=dict(color="white"),
                           hovertemplate="%{x}: %{y:.1f} % on the object (%{customdata:.1f}× chance)<extra>trained"
                                         "</extra>"))
    if random_mean is not None:
        rm = np.asarray(random_mean, dtype=np.float64)
        fig.add_trace(go.Bar(x=list(methods), y=100 * rm, name="same net, random weights",
                             error_y=dict(type="data", array=100 * np.asarray(random_ci if random_ci is not None
                                                                              else np.zeros_like(rm)),
                                          visible=True, color="#374151"),
                             marker_color="#b8c0cc", text=[f"{100 * v:.0f} %" for v in rm], textposition="inside",
                             insidetextanchor="middle", textfont=dict(color="#1f2937"),
                             hovertemplate="%{x}: %{y:.1f} % on the object<extra>random weights</extra>"))
        mean = np.maximum(mean, rm)
    fig.add_trace(go.Scatter(x=list(methods), y=[100 * chance] * len(methods), mode="lines",
                             name=f"chance: the region's area ({100 * chance:.0f} %)",
                             line=dict(color="#111827", dash="dash", width=2), hoverinfo="skip"))
    top = max(100 * float(np.nanmax(mean + np.asarray(ci))) if len(mean) else 0.0, 100 * chance) * 1.2 + 5
    fig.update_layout(template=theme.NAME, height=420,
                      title=dict(text=f"Share of |attribution| {where} · {model}, {n} test images"),
                      xaxis=dict(title=dict(text="method"), type="category"),
                      yaxis=dict(title=dict(text="% of the map's mass on the object"), range=[0, min(100.0, top)]),
                      barmode="group", legend=dict(orientation="h", x=0, y=-0.2), showlegend=True,
                      margin=dict(l=60, r=20, t=60, b=90))
    return fig
