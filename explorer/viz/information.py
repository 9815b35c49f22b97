"""Figures of the information-theory lesson: entropy as average surprisal, cross-entropy and
KL between two categorical distributions, forward vs reverse KL fits of one Gaussian to a
two-mode mixture, and mutual information against correlation.

Plain NumPy in, plotly Figure out. Quantities arrive already in the unit named by
``unit`` ("bits" or "nats"); infinite KL terms are drawn as a capped bar marked ∞.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

C = theme.CATEGORICAL
P_COLOR, Q_COLOR = C[0], C[1]
FWD_COLOR, REV_COLOR = C[2], C[5]
INF = "∞"


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def _rgba(color: str, alpha: float) -> str:
    r, g, b = theme.hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


def fmt(x: float, digits: int = 3) -> str:
    """A number for the page: ∞ for infinity."""
    return INF if math.isinf(x) else f"{x:.{digits}f}"


def outcome_labels(k: int) -> list[str]:
    return [f"#{i + 1}" for i in range(k)]


def entropy_figure(p, surprisal, h: float, unit: str, *, name: str = "p", height: int = 400) -> go.Figure:
    """Bars of p_k (K,) and markers of the surprisal −log p_k (K,) on a second axis, with
    H(p) — the p-weighted average surprisal — as a line on that axis."""
    p, s = np.asarray(p, float), np.asarray(surprisal, float)
    lab = outcome_labels(len(p))
    finite = np.isfinite(s)
    top = max(float(np.max(s[finite])) if finite.any() else 1.0, h, 0.5) * 1.15
    data = [{"type": "bar", "x": lab, "y": p, "name": f"{name}ₖ (probability)", "marker": {"color": _rgba(P_COLOR, 0.75)},
             "text": [f"{v:.3g}" for v in p], "textposition": "outside",
             "hovertemplate": "outcome %{x}: " + name + " = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": [lb for lb, f in zip(lab, finite) if f], "y": s[finite],
             "yaxis": "y2", "name": f"surprisal −log {name}ₖ ({unit})",
             "marker": {"symbol": "diamond", "size": 13, "color": C[5]},
             "hovertemplate": "outcome %{x}: −log " + name + " = %{y:.3f} " + unit + "<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": [lab[0], lab[-1]], "y": [h, h], "yaxis": "y2",
             "name": f"H({name}) = {h:.3f} {unit} (average surprisal)", "line": {"color": C[5], "dash": "dash", "width": 2},
             "hoverinfo": "skip"}]
    layout = {"title": {"text": f"Entropy of {name}: the average surprisal, H = {h:.3f} {unit}"}, "height": height,
              "xaxis": {"title": {"text": "outcome"}, "type": "category"},
              "yaxis": {"title": {"text": "probability"}, "range": [0, min(1.0, float(p.max()) * 1.25 + 0.02)]},
              "yaxis2": {"title": {"text": f"surprisal ({unit})"}, "overlaying": "y", "side": "right",
                         "range": [0, top], "showgrid": False, "tickmode": "auto", "nticks": 6},
              "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 60, "r": 70, "t": 80, "b": 50}, "bargap": 0.35}
    return _fig(data, layout)


def kl_figure(p, q, fwd_terms, rev_terms, unit: str, *, height: int = 420) -> go.Figure:
    """Left: p and q (K,) side by side. Right: the per-outcome terms p_k log(p_k/q_k) of
    KL(p‖q) and q_k log(q_k/p_k) of KL(q‖p) (K,), in ``unit``; infinite terms are capped
    bars labelled ∞."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    f, r = np.asarray(fwd_terms, float), np.asarray(rev_terms, float)
    lab = outcome_labels(len(p))
    finite = np.concatenate([f[np.isfinite(f)], r[np.isfinite(r)], [0.0]])
    cap = max(0.25, float(np.max(np.abs(finite)))) * 1.3

    def capped(t):
        return np.where(np.isinf(t), cap, t), [INF if math.isinf(v) else f"{v:+.3f}" for v in t]

    fy, ft = capped(f)
    ry, rt = capped(r)
    data = [{"type": "bar", "x": lab, "y": p, "name": "p", "marker": {"color": P_COLOR},
             "hovertemplate": "outcome %{x}: p = %{y:.4f}<extra></extra>"},
            {"type": "bar", "x": lab, "y": q, "name": "q", "marker": {"color": Q_COLOR},
             "hovertemplate": "outcome %{x}: q = %{y:.4f}<extra></extra>"},
            {"type": "bar", "x": lab, "y": fy, "text": ft, "textposition": "outside", "name": "pₖ log(pₖ/qₖ) → KL(p‖q)",
             "marker": {"color": _rgba(P_COLOR, 0.55), "line": {"color": P_COLOR, "width": 1.5}},
             "xaxis": "x2", "yaxis": "y2", "hovertemplate": "outcome %{x}: %{text} " + unit + "<extra></extra>"},
            {"type": "bar", "x": lab, "y": ry, "text": rt, "textposition": "outside", "name": "qₖ log(qₖ/pₖ) → KL(q‖p)",
             "marker": {"color": _rgba(Q_COLOR, 0.55), "line": {"color": Q_COLOR, "width": 1.5}},
             "xaxis": "x2", "yaxis": "y2", "hovertemplate": "outcome %{x}: %{text} " + unit + "<extra></extra>"}]
    lo = min(0.0, float(np.min(finite))) * 1.3
    layout = {"title": {"text": "Two distributions, and what each outcome adds to KL in each direction"},
              "height": height, "barmode": "group",
              "xaxis": {"domain": [0, 0.44], "title": {"text": "outcome"}, "type": "category"},
              "yaxis": {"title": {"text": "probability"}, "rangemode": "tozero"},
              "xaxis2": {"domain": [0.56, 1], "anchor": "y2", "title": {"text": "outcome"}, "type": "category"},
              "yaxis2": {"anchor": "x2", "title": {"text": f"term ({unit})"}, "range": [lo - 0.05 * cap, cap * 1.2],
                         "zeroline": True, "zerolinecolor": "#9aa3ad"},
              "legend": {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 60}}
    return _fig(data, layout)


def decomposition_figure(h_p: float, kl_pq: float, h_q: float, kl_qp: float, unit: str, *,
                         height: int = 220) -> go.Figure:
    """Two stacked bars: H(p, q) = H(p) + KL(p‖q) and H(q, p) = H(q) + KL(q‖p). An
    infinite KL is drawn as a hatched stub marked ∞."""
    rows = ["H(q, p)", "H(p, q)"]
    ent, kls = [h_q, h_p], [kl_qp, kl_pq]
    finite = [v for v in ent + kls if math.isfinite(v)]
    stub = max(finite + [0.5]) * 0.6
    shown = [stub if math.isinf(v) else v for v in kls]
    texts = [f"KL = {fmt(v)}" for v in kls]
    data = [{"type": "bar", "orientation": "h", "y": rows, "x": ent, "name": "entropy of the first",
             "marker": {"color": [_rgba(Q_COLOR, 0.8), _rgba(P_COLOR, 0.8)]},
             "text": [f"H(q) = {h_q:.3f}", f"H(p) = {h_p:.3f}"], "textposition": "inside", "insidetextanchor": "middle",
             "hovertemplate": "%{text} " + unit + "<extra></extra>"},
            {"type": "bar", "orientation": "h", "y": rows, "x": shown, "name": "KL (the extra cost of the wrong code)",
             "marker": {"color": "rgba(120,120,120,0.35)", "line": {"color": "#555", "width": 1},
                        "pattern": {"shape": ["/" if math.isinf(v) else "" for v in kls]}},
             "text": texts, "textposition": "inside", "insidetextanchor": "middle",
             "hovertemplate": "%{text} " + unit + "<extra></extra>"}]
    totals = [f"= {fmt(e + k)} {unit}" for e, k in zip(ent, kls)]
    ann = [{"x": e + s, "y": r, "text": t, "showarrow": False, "xanchor": "left", "xshift": 6, "font": {"size": 15}}
           for e, s, r, t in zip(ent, shown, rows, totals)]
    layout = {"title": {"text": "Cross-entropy = entropy + KL, in both directions"}, "height": height,
              "barmode": "stack", "annotations": ann, "showlegend": False,
              "xaxis": {"title": {"text": unit}, "range": [0, max(e + s for e, s in zip(ent, shown)) * 1.35]},
              "yaxis": {"title": {"text": ""}},
              "margin": {"l": 80, "r": 20, "t": 50, "b": 50}}
    return _fig(data, layout)


def fits_figure(x, px, fwd: tuple, rev: tuple, start: float, unit_vals: dict, *, height: int = 420) -> go.Figure:
    """The mixture density ``px`` on ``x`` (G,) and the two fitted Gaussians ``fwd``/``rev``
    = (μ, σ). ``unit_vals``: legend strings for the KL values of each fit."""
    x, px = np.asarray(x, float), np.asarray(px, float)

    def gauss(m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    qf, qr = gauss(*fwd), gauss(*rev)
    top = float(max(px.max(), qf.max(), qr.max())) * 1.12
    data = [{"type": "scatter", "mode": "lines", "x": x, "y": px, "name": "p: the two-mode mixture", "fill": "tozeroy",
             "fillcolor": "rgba(120,120,120,0.18)", "line": {"color": "#1b1f24", "width": 2.5},
             "hovertemplate": "p(%{x:.2f}) = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": x, "y": qf, "line": {"color": FWD_COLOR, "width": 3.5},
             "name": f"forward: argmin KL(p‖q), μ = {fwd[0]:.2f}, σ = {fwd[1]:.2f} · {unit_vals['fwd']}",
             "hovertemplate": "q_fwd(%{x:.2f}) = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": x, "y": qr, "line": {"color": REV_COLOR, "width": 3.5, "dash": "dash"},
             "name": f"reverse: argmin KL(q‖p), μ = {rev[0]:.2f}, σ = {rev[1]:.2f} · {unit_vals['rev']}",
             "hovertemplate": "q_rev(%{x:.2f}) = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "markers+text", "x": [start], "y": [0], "text": ["start μ₀"],
             "textposition": "top right", "name": "optimizers' start",
             "marker": {"symbol": "triangle-up", "size": 14, "color": "#7a828c"}, "hoverinfo": "skip"}]
    layout = {"title": {"text": "One Gaussian fitted to two modes: covering them vs picking one"}, "height": height,
              "xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "density"}, "range": [-0.02 * top, top]},
              "legend": {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 60}}
    return _fig(data, layout)


def landscapes_figure(mu_grid, sigma_grid, fwd_surface, rev_surface, fwd_path, rev_path, moments: tuple, *,
                      height: int = 440) -> go.Figure:
    """Contours of KL(p‖q) (left) and KL(q‖p) (right) over (μ, σ) — σ on a log axis —
    with each optimizer's path (T, 2) and the moment-matching point (mean, sd)."""
    data, layout = [], {}
    panels = (("", fwd_surface, fwd_path, FWD_COLOR), ("2", rev_surface, rev_path, REV_COLOR))
    for j, (ax, surf, path, color) in enumerate(panels):
        z = np.asarray(surf, float)
        z = np.log10(np.maximum(z - np.nanmin(z), 0) + 1e-3)  # log of the gap to the best value: basins stand out
        path = np.asarray(path, float)
        data += [{"type": "contour", "x": mu_grid, "y": sigma_grid, "z": z, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                  "colorscale": "Viridis", "showscale": False, "ncontours": 22, "line": {"width": 0.4},
                  "customdata": np.asarray(surf, float),
                  "hovertemplate": "μ = %{x:.2f}, σ = %{y:.2f}: KL = %{customdata:.3f} nats<extra></extra>",
                  "showlegend": False},
                 {"type": "scatter", "mode": "lines+markers", "x": path[:, 0], "y": path[:, 1], "xaxis": f"x{ax}",
                  "yaxis": f"y{ax}", "name": f"{'forward' if j == 0 else 'reverse'} fit's path ({len(path) - 1} steps)",
                  "line": {"color": "white", "width": 4}, "marker": {"color": color, "size": 8,
                                                                     "line": {"color": "white", "width": 1}},
                  "hovertemplate": "μ = %{x:.3f}, σ = %{y:.3f}<extra></extra>"}]
        layout[f"xaxis{ax}"] = {"domain": [0, 0.47] if j == 0 else [0.53, 1], "title": {"text": "μ"},
                                "anchor": f"y{ax}"}
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if sigma_grid[0] <= t <= sigma_grid[-1]]
        layout[f"yaxis{ax}"] = {"type": "log", "title": {"text": "σ (log scale)" if j == 0 else ""}, "anchor": f"x{ax}",
                                "tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks]}
    data.append({"type": "scatter", "mode": "markers", "x": [moments[0]], "y": [moments[1]], "name":
                 "moment matching (mean, sd of p)", "marker": {"symbol": "star", "size": 18, "color": "white",
                                                              "line": {"color": "#1b1f24", "width": 1.5}},
                 "hovertemplate": "mean = %{x:.3f}, sd = %{y:.3f}<extra></extra>"})
    layout.update({"title": {"text": "The two objectives over (μ, σ) — darker is smaller (log scale of the gap "
                                     "to the minimum)"}, "height": height,
                   "annotations": [{"text": "KL(p‖q): one bowl", "x": 0.235, "y": 1.0, "xref": "paper", "yref": "paper",
                                    "showarrow": False, "yanchor": "bottom", "font": {"size": 15}},
                                   {"text": "KL(q‖p): a basin per mode, maybe more", "x": 0.765, "y": 1.0, "xref": "paper",
                                    "yref": "paper", "showarrow": False, "yanchor": "bottom", "font": {"size": 15}}],
                   "legend": {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
                   "margin": {"l": 60, "r": 20, "t": 80, "b": 60}})
    return _fig(data, layout)


def mi_figure(rho_grid, exact_curve, rho_pts, ksg, binned, rho: float, at: tuple, unit: str, n: int, *,
              height: int = 420) -> go.Figure:
    """I(X; Y) vs ρ: the closed form (G,) on ``rho_grid`` and the KSG and binned estimates
    (R,) at ``rho_pts`` from n draws each; ``at`` = (exact, ksg, binned) at the chosen ρ."""
    data = [{"type": "scatter", "mode": "lines", "x": rho_grid, "y": exact_curve, "name": "closed form −½ log(1 − ρ²)",
             "line": {"color": "#1b1f24", "width": 3}, "hovertemplate": "ρ = %{x:.2f}: I = %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": rho_pts, "y": ksg, "name": "kNN estimate (KSG, k = 3)",
             "marker": {"color": C[0], "size": 10}, "hovertemplate": "ρ = %{x:.2f}: KSG %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": rho_pts, "y": binned, "name": "binned estimate (Miller–Madow)",
             "marker": {"color": C[1], "size": 10, "symbol": "square"},
             "hovertemplate": "ρ = %{x:.2f}: binned %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": [rho, rho, rho], "y": list(at), "name": "your ρ",
             "marker": {"color": ["#1b1f24", C[0], C[1]], "size": 16, "symbol": "circle-open", "line": {"width": 3}},
             "hovertemplate": "ρ = %{x:.2f}: %{y:.3f}<extra></extra>"}]
    layout = {"title": {"text": f"Mutual information vs correlation ({n:,} draws per estimate)"}, "height": height,
              "xaxis": {"title": {"text": "correlation ρ"}, "range": [-1, 1]},
              "yaxis": {"title": {"text": f"I(X; Y) ({unit})"}, "rangemode": "tozero"},
              "legend": {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 60}}
    return _fig(data, layout)


def scatter_figure(xy, rho: float, *, height: int = 420) -> go.Figure:
    """The (n, 2) draws at the chosen ρ."""
    xy = np.asarray(xy, float)
    data = [{"type": "scattergl" if len(xy) > 3000 else "scatter", "mode": "markers", "x": xy[:, 0], "y": xy[:, 1],
             "name": "draws", "marker": {"size": 5, "color": _rgba(C[0], 0.45)},
             "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra></extra>"}]
    layout = {"title": {"text": f"{len(xy):,} draws with ρ = {rho:g}"}, "height": height,
              "xaxis": {"title": {"text": "X"}, "range": [-4, 4]},
              "yaxis": {"title": {"text": "Y"}, "range": [-4, 4], "scaleanchor": "x"},
              "showlegend": False, "margin": {"l": 60, "r": 20, "t": 55, "b": 60}}
    return _fig(data, layout)
