"""Figures of the numerical-computing lesson: bits, number grids, range, softmax,
cancellation, conditioning and gradient descent.

Plain NumPy and labels in, plotly Figure out. Formats are named by their keys ("fp32",
"fp16", "bf16", "e4m3", "e5m2", "fp64") and keep one colour everywhere.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme

C = theme.CATEGORICAL
COLORS = {"fp32": C[0], "fp16": C[1], "bf16": C[2], "e4m3": C[3], "e5m2": C[5], "fp64": C[7]}
# sign, exponent, mantissa: (0-bit tint, 1-bit tint)
FIELD_TINTS = (("#fbe3d6", "#e8956a"), ("#d9e8f5", "#6fa8d6"), ("#d6f0e6", "#5fbf9a"))
STATUS_COLORS = ("#d6ecd2", "#f6e08a", "#9aa3ad", "#d55e00", "#cc79a7", "#000000")
FLOOR = 1e-12  # relative errors at or below it (exact results) are drawn at it on log axes
CAP = 10.0     # and those above it (or inf) at it


def color(key: str) -> str:
    return COLORS.get(key, C[7])


def _layout(title: str, height: int, **kw) -> dict:
    return dict(template=theme.NAME, title=dict(text=title), height=height, **kw)


def _clip(v) -> np.ndarray:
    """Relative errors for a log axis: exact → FLOOR, huge or inf → CAP, NaN stays NaN."""
    v = np.asarray(v, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(v), np.nan, np.clip(np.nan_to_num(v, posinf=CAP), FLOOR, CAP))


def sup(n: int) -> str:
    """n as superscript digits: 2⁻²⁴."""
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def pow2(v: float) -> str:
    """'2⁻²⁶ ≈ 1.49e-08' for a power of two, else the number."""
    if v > 0 and math.isfinite(v):
        m, e = math.frexp(v)
        if m == 0.5:
            return f"2{sup(e - 1)} ≈ {v:.3g}"
    return f"{v:.3g}"


# -- bits --------------------------------------------------------------------------------------
def bits_figure(rows: list[tuple[str, str, int, int, int]], title: str = "The bits") -> go.Figure:
    """One row per format: (key, label, code, exponent bits, mantissa bits); cells coloured
    sign / exponent / mantissa, darker for 1 bits, most significant bit on the left."""
    width = max(1 + e + m for _, _, _, e, m in rows)
    z, text, hover = [], [], []
    for key, label, code, e, m in rows:
        n = 1 + e + m
        zr, tr, hr = [], [], []
        for i in range(width):
            if i >= n:
                zr.append(None), tr.append(""), hr.append("")
                continue
            bit = (code >> (n - 1 - i)) & 1
            field = 0 if i == 0 else 1 if i <= e else 2
            zr.append(2 * field + bit)
            tr.append(str(bit))
            what = ("sign" if field == 0 else f"exponent bit (weight 2{sup(e - i)} in the field)" if field == 1
                    else f"mantissa bit: 2{sup(-(i - e))} of the leading 1")
            hr.append(f"{label} bit {n - 1 - i}: {bit}<br>{what}")
        z.append(zr), text.append(tr), hover.append(hr)
    scale = []
    for k, tint in enumerate(t for pair in FIELD_TINTS for t in pair):
        scale += [[k / 6, tint], [(k + 1) / 6, tint]]
    labels = [f"{label}  " for _, label, _, _, _ in rows]
    fig = go.Figure(go.Heatmap(z=z, x=list(range(width)), y=labels, text=text, texttemplate="%{text}",
                               textfont=dict(size=14), hovertext=hover, hoverinfo="text", colorscale=scale,
                               zmin=0, zmax=6, showscale=False, xgap=2, ygap=6))
    for field, (name, tint) in enumerate(zip(("sign", "exponent", "mantissa (fraction)"), FIELD_TINTS)):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker=dict(symbol="square", size=14, color=tint[1])))
    fig.update_layout(**_layout(title, 90 + 46 * len(rows)), margin=dict(l=110, r=20, t=60, b=40),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"),
                      plot_bgcolor="white")
    fig.update_xaxes(title_text="bit position, most significant first", showgrid=False, range=[-0.6, width - 0.4],
                     tickvals=list(range(0, width, 4)))
    fig.update_yaxes(autorange="reversed", showgrid=False, title_text="")
    return fig


# -- the grid near a value ----------------------------------------------------------------------
def grid_figure(rows: list[dict], typed: float, title: str = "The representable numbers nearest to x") -> go.Figure:
    """Each row: {key, label, neighbors (2k+1,), value (stored), gap}. Positions are in units of
    the row's spacing at the stored value, so every format fits one axis; the typed x is the
    red diamond (drawn at the edge with its distance when it is off the scale)."""
    fig = go.Figure()
    k = (len(rows[0]["neighbors"]) - 1) // 2 if rows else 4
    lim = k + 0.8
    for i, r in enumerate(rows):
        y = -i
        nb, v, gap = np.asarray(r["neighbors"], float), r["value"], r["gap"]
        fig.add_trace(go.Scatter(x=[-lim, lim], y=[y, y], mode="lines", line=dict(color="#9aa3ad", width=1),
                                 hoverinfo="skip", showlegend=False))
        if not (math.isfinite(v) and math.isfinite(gap) and gap > 0):
            fig.add_annotation(x=0, y=y, text=f"stored as {v:g}: no finite neighbours around it", showarrow=False,
                               yshift=14, font=dict(size=13))
            continue
        ok = np.isfinite(nb)
        pos = (nb[ok] - v) / gap
        fig.add_trace(go.Scatter(x=pos, y=np.full(pos.size, y), mode="markers",
                                 marker=dict(symbol="line-ns-open", size=22, color=color(r["key"]),
                                             line=dict(width=2.5, color=color(r["key"]))),
                                 text=[f"{val:.10g}" for val in nb[ok]], hovertemplate="%{text}<extra>" + r["label"]
                                 + "</extra>", showlegend=False))
        fig.add_trace(go.Scatter(x=[0], y=[y], mode="markers", marker=dict(size=13, color=color(r["key"])),
                                 hovertemplate=f"stored: {v:.17g}<extra>{r['label']}</extra>", showlegend=False))
        if math.isfinite(typed):
            off = (typed - v) / gap
            shown = float(np.clip(off, -lim + 0.2, lim - 0.2))
            fig.add_trace(go.Scatter(x=[shown], y=[y + 0.22], mode="markers",
                                     marker=dict(symbol="diamond", size=11, color="#d62728"),
                                     hovertemplate=f"typed x is {off:+.4g} gaps from the stored value<extra></extra>",
                                     showlegend=False))
            if shown != off:
                fig.add_annotation(x=shown, y=y + 0.22, text=f"x is {off:+.3g} gaps away", showarrow=False,
                                   xanchor="right" if off > 0 else "left", xshift=-8 if off > 0 else 8,
                                   font=dict(size=12, color="#d62728"))
        fig.add_annotation(x=1.01, xref="paper", y=y, text=pow2(gap), showarrow=False, xanchor="left",
                           font=dict(size=13, color="#5b6570"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="typed x",
                             marker=dict(symbol="diamond", size=11, color="#d62728")))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="stored value",
                             marker=dict(size=12, color="#5b6570")))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="neighbouring numbers",
                             marker=dict(symbol="line-ns-open", size=16, color="#5b6570",
                                         line=dict(width=2, color="#5b6570"))))
    fig.add_annotation(x=1.01, xref="paper", y=0.55, text="<b>gap here</b>", showarrow=False, xanchor="left",
                       font=dict(size=13, color="#5b6570"))
    fig.update_layout(**_layout(title, 110 + 62 * len(rows)), margin=dict(l=110, r=150, t=60, b=60),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    fig.update_xaxes(title_text="distance from the stored value, in gaps of that format (ulps)", range=[-lim, lim],
                     zeroline=False, dtick=1)
    fig.update_yaxes(tickvals=[-i for i in range(len(rows))], ticktext=[r["label"] for r in rows],
                     range=[-len(rows) + 0.4, 0.7], showgrid=False, title_text="")
    return fig


def spacing_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], labels: dict[str, str],
                   marks: dict[str, tuple[float, float]], typed: float) -> go.Figure:
    """Relative gap between neighbours vs magnitude (log–log), one sawtooth per format from its
    smallest subnormal to its largest number: its height is the precision (between ε/2 and ε),
    its width the range; a dot where the typed |x| is stored (marks: key → (|stored|, gap))."""
    fig = go.Figure()
    for key, (x, rel) in curves.items():
        fig.add_trace(go.Scatter(x=x, y=rel, mode="lines", line=dict(color=color(key), width=2), name=labels[key],
                                 hovertemplate="x ≈ %{x:.3g}: gap/x = %{y:.3g}<extra>" + labels[key] + "</extra>"))
    for key, (v, gap) in marks.items():
        if math.isfinite(v) and v > 0 and math.isfinite(gap):
            fig.add_trace(go.Scatter(x=[v], y=[gap / v], mode="markers", showlegend=False,
                                     marker=dict(size=12, color=color(key), line=dict(width=1.5, color="white")),
                                     hovertemplate=f"{labels[key]} stores x as %{{x:.6g}}: gap/x = %{{y:.3g}}"
                                                   "<extra></extra>"))
    if math.isfinite(typed) and typed > 0:
        fig.add_vline(x=typed, line=dict(color="#d62728", dash="dot", width=1.5))
        fig.add_annotation(x=math.log10(typed), y=1, yref="paper", text="|x|", showarrow=False, yshift=10,
                           font=dict(color="#d62728"))
    fig.update_layout(**_layout("Relative gap between neighbouring numbers: precision (height) and range (width)",
                                480), legend=dict(orientation="h", y=-0.2, x=0), margin=dict(b=100))
    fig.update_xaxes(type="log", title_text="magnitude |x| (log scale)", exponentformat="power", dtick=10)
    fig.update_yaxes(type="log", title_text="gap to the next number ÷ x", exponentformat="power", dtick=1,
                     range=[-8.3, 0.2])
    return fig


# -- overflow and underflow ----------------------------------------------------------------------
def range_figure(x: np.ndarray, keys: list[str], labels: dict[str, str], rel_err: np.ndarray, status: np.ndarray,
                 status_names: tuple, fn_label: str, log_x: bool) -> go.Figure:
    """Top: relative error of f(x) computed in each format (log). Bottom: a strip per format
    coloured by what happened to the result (normal, subnormal, 0, inf, saturated, NaN)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.06)
    for i, key in enumerate(keys):
        fig.add_trace(go.Scatter(x=x, y=_clip(rel_err[i]), mode="lines", name=labels[key],
                                 line=dict(color=color(key), width=2), legendgroup=key,
                                 hovertemplate="x = %{x:.4g}: relative error %{y:.3g}<extra>" + labels[key]
                                 + "</extra>"), row=1, col=1)
    n_status = len(status_names)
    scale = []
    for k in range(n_status):
        scale += [[k / n_status, STATUS_COLORS[k]], [(k + 1) / n_status, STATUS_COLORS[k]]]
    names = np.array(status_names, dtype=object)[status]
    fig.add_trace(go.Heatmap(x=x, y=[labels[k] for k in keys], z=status, zmin=0, zmax=n_status, colorscale=scale,
                             showscale=False, customdata=names, ygap=3,
                             hovertemplate="%{y}, x = %{x:.4g}: %{customdata}<extra></extra>"), row=2, col=1)
    for k, name in enumerate(status_names):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup="status",
                                 marker=dict(symbol="square", size=13, color=STATUS_COLORS[k])), row=2, col=1)
    fig.update_layout(**_layout(f"{fn_label} computed in each format: where the result overflows or underflows",
                                600), legend=dict(x=1.01, y=1, xanchor="left"), margin=dict(r=230))
    xa = dict(type="log", exponentformat="power", dtick=5) if log_x else {}
    fig.update_xaxes(**xa, row=1, col=1)
    fig.update_xaxes(title_text="x" + (" (log scale)" if log_x else ""), **xa, row=2, col=1)
    fig.update_yaxes(type="log", title_text="relative error", range=[math.log10(FLOOR) + 3, 1.2],
                     exponentformat="power", row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=2, col=1, showgrid=False)
    return fig


# -- softmax ---------------------------------------------------------------------------------------
def softmax_figure(exact: np.ndarray, naive: np.ndarray, stable: np.ndarray, fmt_label: str,
                   floor: float = 1e-12) -> go.Figure:
    """Bars per class on a log axis: exact, naive and max-subtracted softmax side by side;
    'NaN', 'inf' or '0' written where a bar cannot be drawn."""
    k = len(exact)
    fig = go.Figure()
    series = (("exact (float64)", exact, "#9aa3ad"), (f"naive exp(l)/Σexp(l), {fmt_label}", naive, C[5]),
              (f"max-subtracted, {fmt_label}", stable, C[0]))
    for j, (name, p, col) in enumerate(series):
        p = np.asarray(p, float)
        x = np.arange(k) + (j - 1) * 0.27
        drawable = np.isfinite(p) & (p > 0)
        fig.add_trace(go.Bar(x=x, y=np.where(drawable, p, np.nan), width=0.26, name=name, marker_color=col,
                             customdata=[f"{v:.6g}" for v in p],
                             hovertemplate="class %{text}: p = %{customdata}<extra>" + name + "</extra>",
                             text=[str(i + 1) for i in range(k)], textposition="none"))
        words = ["NaN" if np.isnan(v) else "inf" if np.isinf(v) else "0" if v == 0 else "" for v in p]
        if any(words):
            fig.add_trace(go.Scatter(x=x, y=[floor * 8 if w else np.nan for w in words], mode="text", text=words,
                                     textfont=dict(color=col, size=14), showlegend=False, hoverinfo="skip"))
    fig.update_layout(**_layout("Softmax p (log scale): NaN in the naive formula", 420),
                      legend=dict(orientation="h", y=-0.16, x=0), margin=dict(b=90), bargap=0.1)
    fig.update_yaxes(type="log", title_text="probability", range=[math.log10(floor), 0.15], exponentformat="power",
                     dtick=2)
    fig.update_xaxes(title_text="", tickvals=list(range(k)), ticktext=[f"class {i + 1}" for i in range(k)],
                     range=[-0.6, k - 0.4], showgrid=False)
    return fig


def softmax_sweep_figure(scales: np.ndarray, err_naive: np.ndarray, err_stable: np.ndarray, current: float,
                         fmt_label: str) -> go.Figure:
    """max |p − p_exact| vs the logit scale (log–log) for both formulas; × marks where the naive
    one returns NaN."""
    fig = go.Figure()
    for name, e, col in (("naive", err_naive, C[5]), ("max-subtracted", err_stable, C[0])):
        fig.add_trace(go.Scatter(x=scales, y=np.clip(e, FLOOR, 1), mode="lines+markers",
                                 name=name, line=dict(color=col), marker=dict(size=5),
                                 hovertemplate="scale %{x:.3g}: max error %{y:.3g}<extra>" + name + "</extra>"))
        bad = np.isnan(e)
        if bad.any():
            fig.add_trace(go.Scatter(x=scales[bad], y=np.ones(int(bad.sum())), mode="markers", name=f"{name} gives NaN",
                                     marker=dict(symbol="x", size=9, color=col),
                                     hovertemplate="scale %{x:.3g}: NaN<extra>" + name + "</extra>"))
    fig.add_vline(x=current, line=dict(color="#5b6570", dash="dot"))
    fig.update_layout(**_layout(f"Largest error in p across logit scales ({fmt_label})", 420),
                      legend=dict(orientation="h", y=-0.22, x=0), margin=dict(b=100))
    ticks = [0.5, 1, 2, 5, 10, 20, 50, 100]
    fig.update_xaxes(type="log", title_text="logit scale (log)", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_yaxes(type="log", title_text="max |p − p_exact| (exact at 10⁻¹²)", range=[-12.3, 0.3],
                     exponentformat="power", dtick=2)
    return fig


# -- cancellation -----------------------------------------------------------------------------------
def cancellation_figure(x: np.ndarray, keys: list[str], labels: dict[str, str], naive: np.ndarray,
                        stable: np.ndarray, eps: dict[str, float], title: str, x_title: str, naive_name: str,
                        stable_name: str | None, hidden: tuple = ()) -> go.Figure:
    """Relative error vs x on log–log axes, solid = naive, dashed = stable rewrite, thin
    dotted = the format's unit roundoff ε/2 (what a correctly rounded result achieves);
    formats in ``hidden`` start switched off (a click on the legend shows them)."""
    fig = go.Figure()
    for i, key in enumerate(keys):
        shown = True if key not in hidden else "legendonly"
        fig.add_trace(go.Scatter(x=x, y=_clip(naive[i]), mode="lines", name=f"{labels[key]}: {naive_name}",
                                 line=dict(color=color(key), width=2.2), legendgroup=key, visible=shown,
                                 hovertemplate="x = %{x:.3g}: rel. error %{y:.3g}<extra>" + labels[key]
                                 + " naive</extra>"))
        if stable_name is not None:
            fig.add_trace(go.Scatter(x=x, y=_clip(stable[i]), mode="lines", name=f"{labels[key]}: {stable_name}",
                                     line=dict(color=color(key), width=2.2, dash="dash"), legendgroup=key,
                                     visible=shown,
                                     hovertemplate="x = %{x:.3g}: rel. error %{y:.3g}<extra>" + labels[key]
                                     + " stable</extra>"))
        fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[eps[key] / 2] * 2, mode="lines", legendgroup=key,
                                 line=dict(color=color(key), width=1, dash="dot"), showlegend=False, visible=shown,
                                 hovertemplate=f"{labels[key]}: ε/2 = {eps[key] / 2:.3g}<extra></extra>"))
    fig.update_layout(**_layout(title, 520), legend=dict(x=1.01, y=1, xanchor="left", font=dict(size=13)),
                      margin=dict(r=300))
    fig.update_xaxes(type="log", title_text=x_title, exponentformat="power")
    fig.update_yaxes(type="log", title_text="relative error (exact results at 10⁻¹²)", range=[-12.3, 1.1],
                     exponentformat="power", dtick=2)
    return fig


# -- conditioning -----------------------------------------------------------------------------------
def conditioning_figure(kappa: np.ndarray, worst: np.ndarray, random: np.ndarray, err32: np.ndarray,
                        err64: np.ndarray, delta: float, current: float, eps32: float, eps64: float,
                        hilbert: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """Left: ‖Δx‖/‖x‖ after a relative change δ in b, vs κ, with the bound κδ. Right: the error
    of solving in float32 / float64 (no perturbation), with κ·ε lines; Hilbert matrices too."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(f"Perturb b by δ = {delta:.0e}: the bound κ·δ is reached",
                                        "Round-off inside the solver: error ≈ κ·ε"))
    lo = lambda v: np.clip(v, 1e-17, 1e2)  # noqa: E731  (a solve error above 1 has no correct digit left)
    fig.add_trace(go.Scatter(x=kappa, y=kappa * delta, mode="lines", name="bound κ·‖Δb‖/‖b‖",
                             line=dict(color="#5b6570", dash="dash", width=2.5)), 1, 1)
    fig.add_trace(go.Scatter(x=kappa, y=worst, mode="markers", name="worst case Δb (along uₙ)",
                             marker=dict(color=C[5], size=8)), 1, 1)
    fig.add_trace(go.Scatter(x=kappa, y=random, mode="markers", name="random Δb",
                             marker=dict(color=C[2], size=8, symbol="triangle-up")), 1, 1)
    for name, e, eps, col in (("float32 solve", err32, eps32, COLORS["fp32"]), ("float64 solve", err64, eps64, C[7])):
        fig.add_trace(go.Scatter(x=kappa, y=lo(e), mode="markers", name=name, marker=dict(color=col, size=8)), 1, 2)
        fig.add_trace(go.Scatter(x=kappa, y=kappa * eps, mode="lines", name=f"κ·ε ({name.split()[0]})",
                                 line=dict(color=col, dash="dot")), 1, 2)
    if hilbert is not None:
        hk, h32, h64 = hilbert
        for name, e, col in (("Hilbert, float32", h32, COLORS["fp32"]), ("Hilbert, float64", h64, C[7])):
            fig.add_trace(go.Scatter(x=hk, y=lo(e), mode="markers", name=name,
                                     marker=dict(color=col, size=10, symbol="diamond-open", line=dict(width=2))), 1, 2)
    top = math.log10(max(float(np.nanmax(kappa)) * delta, 1.0)) + 0.5
    for c, yr in ((1, [math.log10(delta) - 1, top]), (2, [-17, 2.3])):
        fig.add_vline(x=current, line=dict(color="#d62728", dash="dot", width=1.5), row=1, col=c)
        fig.update_xaxes(type="log", title_text="condition number κ", exponentformat="power", dtick=2, row=1, col=c)
        fig.update_yaxes(type="log", exponentformat="power", dtick=2, range=yr, row=1, col=c,
                         title_text="relative error ‖Δx‖/‖x‖" if c == 1 else "")
    fig.update_layout(**_layout("How the condition number amplifies errors in Ax = b", 520),
                      legend=dict(orientation="h", y=-0.2, x=0), margin=dict(b=130, t=90))
    return fig


def plane_figure(a: np.ndarray, x: np.ndarray, ring: np.ndarray, worst: np.ndarray, kappa: float,
                 delta: float) -> go.Figure:
    """The 2×2 system near its solution: the two lines, where the solution moves for every
    ‖Δb‖ = δ‖b‖ (the ellipse), and the lines moved by the worst Δb (dashed)."""
    r = float(np.max(np.linalg.norm(ring - x, axis=1)))
    r = r if r > 0 and math.isfinite(r) else 1e-12
    cos = abs(a[0] @ a[1]) / (np.linalg.norm(a[0]) * np.linalg.norm(a[1]))
    angle = math.degrees(math.acos(min(1.0, float(cos))))
    fig = go.Figure()
    for i, (col, width) in enumerate(((C[0], 6), (C[4], 2.5))):
        d = np.array([-a[i, 1], a[i, 0]]) / np.linalg.norm(a[i])
        for base, dash, show in ((x, "solid", True), (worst, "dash", False)):
            seg = np.stack([base - 3 * r * d, base + 3 * r * d])
            fig.add_trace(go.Scatter(x=seg[:, 0], y=seg[:, 1], mode="lines", name=f"row {i + 1}: a{i + 1}·x = b{i + 1}",
                                     line=dict(color=col, dash=dash, width=width), showlegend=show,
                                     hoverinfo="skip", opacity=0.8 if dash == "solid" else 0.6))
    fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", name="solutions for every ‖Δb‖ = δ‖b‖",
                             line=dict(color=C[5], width=2.5), fill="toself", fillcolor="rgba(213,94,0,0.12)"))
    fig.add_trace(go.Scatter(x=[x[0]], y=[x[1]], mode="markers", name="x (exact b)",
                             marker=dict(size=11, color="#1b1f24")))
    fig.add_trace(go.Scatter(x=[worst[0]], y=[worst[1]], mode="markers", name="x + Δx (worst Δb, dashed lines)",
                             marker=dict(size=11, color=C[5], symbol="diamond")))
    fig.update_layout(**_layout(f"2×2 picture at κ = {kappa:.3g}, δ = {delta:.0e}: the lines meet at "
                                f"{angle:.3g}°, the solutions fill a long ellipse", 520),
                      legend=dict(orientation="h", y=-0.18, x=0),
                      margin=dict(b=120))
    fig.update_xaxes(title_text="x₁", range=[x[0] - 1.3 * r, x[0] + 1.3 * r], exponentformat="e")
    fig.update_yaxes(title_text="x₂", range=[x[1] - 1.3 * r, x[1] + 1.3 * r], scaleanchor="x", scaleratio=1,
                     exponentformat="e")
    return fig


# -- gradient descent ------------------------------------------------------------------------------
def _thin(n: int, cap: int) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.unique(np.r_[np.arange(min(cap // 4, n)), np.linspace(0, n - 1, cap - cap // 4).astype(int)])


def gd_path_figure(xs: np.ndarray, ys: np.ndarray, f: np.ndarray, path: np.ndarray, kappa: float,
                   step_label: str) -> go.Figure:
    """Contours of f(x) = ½xᵀAx with the iterates of gradient descent (first ones marked)."""
    levels = np.log10(np.maximum(f, 1e-30))
    keep = _thin(len(path), 400)
    p = path[keep]
    fig = go.Figure(go.Contour(x=xs, y=ys, z=levels, colorscale=[[0, "#ffffff"], [1, "#c6dbef"]], ncontours=18,
                               contours=dict(coloring="fill", showlines=True),
                               line=dict(width=0.8, color="rgba(60,90,120,0.45)"),
                               showscale=False, hovertemplate="(%{x:.3f}, %{y:.3f}): log₁₀ f = %{z:.2f}<extra></extra>",
                               name="f"))
    first = min(len(p), 40)
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines", name=f"{len(path) - 1:,} steps",
                             line=dict(color=C[5], width=1.5)))
    fig.add_trace(go.Scatter(x=p[:first, 0], y=p[:first, 1], mode="markers", name="first iterates",
                             marker=dict(color=C[5], size=6)))
    fig.add_trace(go.Scatter(x=[path[0, 0]], y=[path[0, 1]], mode="markers", name="start",
                             marker=dict(color="#1b1f24", size=11, symbol="x")))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="minimum", marker=dict(color=C[2], size=12,
                                                                                       symbol="star")))
    fig.update_layout(**_layout(f"Gradient descent on ½xᵀAx, κ = {kappa:g}, {step_label}", 460),
                      legend=dict(orientation="h", y=-0.22, x=0), margin=dict(b=110))
    fig.update_xaxes(title_text="x₁ (flat direction, λ = 1/κ)", range=[xs[0], xs[-1]], showgrid=False)
    fig.update_yaxes(title_text="x₂ (steep direction, λ = 1)", range=[ys[0], ys[-1]], scaleanchor="x", scaleratio=1,
                     showgrid=False)
    return fig


def gd_loss_figure(loss: np.ndarray, rate: float, tol: float) -> go.Figure:
    """f(x_k) − f* vs k (log y) with the theoretical envelope f(x₀)·rate^(2k)."""
    k = np.arange(len(loss))
    keep = _thin(len(loss), 800)
    env = loss[0] * rate ** (2 * k[keep]) if rate > 0 else np.where(k[keep] == 0, loss[0], np.nan)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=k[keep], y=np.maximum(loss[keep], 1e-300), mode="lines", name="measured f(x_k)",
                             line=dict(color=C[5], width=2)))
    fig.add_trace(go.Scatter(x=k[keep], y=env, mode="lines", name=f"f(x₀)·q^2k, q = {rate:.4g}",
                             line=dict(color="#5b6570", dash="dash")))
    fig.add_hline(y=loss[0] * tol ** 2, line=dict(color=C[2], dash="dot"))
    fig.update_layout(**_layout("Loss vs iteration (log scale)", 460), legend=dict(orientation="h", y=-0.22, x=0),
                      margin=dict(b=110))
    fig.update_xaxes(title_text="iteration k")
    fig.update_yaxes(type="log", title_text="f(x_k) − f*", exponentformat="power")
    return fig


def gd_iters_figure(kappas: np.ndarray, measured: np.ndarray, theory: np.ndarray, rule: np.ndarray,
                    current: float, current_iters: int, rule_label: str) -> go.Figure:
    """Iterations to tolerance vs κ (log–log): measured, the exact worst-case count, the rule of
    thumb; the chosen κ highlighted."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=kappas, y=theory, mode="lines", name="theory ⌈ln(1/tol) / ln(1/q)⌉",
                             line=dict(color="#5b6570", width=2)))
    fig.add_trace(go.Scatter(x=kappas, y=rule, mode="lines", name=rule_label, line=dict(color=C[2], dash="dash")))
    fig.add_trace(go.Scatter(x=kappas, y=measured, mode="markers", name="measured", marker=dict(color=C[5], size=9)))
    fig.add_trace(go.Scatter(x=[current], y=[current_iters], mode="markers", name=f"κ = {current:g}",
                             marker=dict(color=C[5], size=16, symbol="circle-open", line=dict(width=3))))
    fig.update_layout(**_layout("Iterations to reach the tolerance grow like κ", 460),
                      legend=dict(orientation="h", y=-0.22, x=0), margin=dict(b=110))
    fig.update_xaxes(type="log", title_text="condition number κ = L/μ", dtick=1)
    fig.update_yaxes(type="log", title_text="iterations", exponentformat="power", dtick=1)
    return fig
