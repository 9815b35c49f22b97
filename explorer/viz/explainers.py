"""Figures of the LIME & SHAP lesson (§7.1) from plain numpy: feature contributions by method,
waterfalls, agreement matrices, the surrogate tree and its fidelity, image explanations."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme

METHOD_COLORS = (theme.CATEGORICAL[0], theme.CATEGORICAL[1], theme.CATEGORICAL[2], theme.CATEGORICAL[3],
                 theme.CATEGORICAL[5])


def _esc(s: str) -> str:
    return html.escape(str(s), quote=False)


def _signed_colors(v: np.ndarray) -> list[str]:
    return [theme.POSITIVE if a >= 0 else theme.NEGATIVE for a in np.asarray(v)]


def top_features(attrs: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` features with the largest mean |attribution| over the rows of ``attrs``
    [M, D], largest first (normalized per method so that no method's scale dominates)."""
    a = np.abs(np.asarray(attrs, dtype=np.float64))
    scale = a.max(1, keepdims=True)
    score = (a / np.where(scale > 0, scale, 1)).mean(0)
    return np.argsort(-score, kind="stable")[: min(n, a.shape[1])]


def contributions_figure(features: list[str], attrs: np.ndarray, methods: list[str], *, target: str,
                         title_row: str, n: int = 12, x_titles: list[str] | None = None) -> go.Figure:
    """One panel of horizontal bars per method (``attrs`` [M, D]) for the ``n`` features that matter
    most; blue raises P(target), orange lowers it; each panel has its own x scale."""
    attrs = np.asarray(attrs, dtype=np.float64)
    idx = top_features(attrs, n)[::-1]  # plotly draws the first bar at the bottom
    labels = [_esc(features[i]) for i in idx]
    m = len(methods)
    fig = make_subplots(rows=1, cols=m, shared_yaxes=True, subplot_titles=[_esc(s) for s in methods],
                        horizontal_spacing=0.025)
    for j in range(m):
        v = attrs[j, idx]
        fig.add_trace(go.Bar(x=v, y=labels, orientation="h", marker_color=_signed_colors(v), name=methods[j],
                             showlegend=False, hovertemplate="%{y}: %{x:.4g}<extra>" + _esc(methods[j]) + "</extra>"),
                      row=1, col=j + 1)
        fig.update_xaxes(title_text=(x_titles[j] if x_titles else "contribution"), row=1, col=j + 1,
                         zeroline=True, zerolinecolor="#777", nticks=4)
    fig.update_yaxes(title_text="feature", row=1, col=1, tickfont=dict(size=13))
    fig.update_layout(template=theme.NAME, height=170 + 26 * len(idx), bargap=0.25,
                      title=f"{_esc(title_row)}: each method's contributions to P({_esc(target)})",
                      margin=dict(l=10, r=10, t=80, b=50))
    return fig


def waterfall_figure(names: list[str], values: np.ndarray, start: float, start_label: str, fx: float, *,
                     title: str, n: int = 8, end_label: str = "f(x)") -> go.Figure:
    """A waterfall from ``start`` (E[f] or LIME's intercept) through the ``n`` largest ``values``
    [D] (the rest summed) to their total; a dashed line marks the network's f(x)."""
    values = np.asarray(values, dtype=np.float64)
    idx = np.argsort(-np.abs(values), kind="stable")[:n]
    rest = values.sum() - values[idx].sum()
    x = [start_label] + [_esc(names[i]) for i in idx]
    y = [start] + values[idx].tolist()
    measure = ["absolute"] + ["relative"] * len(idx)
    if len(values) > len(idx):
        x.append(f"{len(values) - len(idx)} other features")
        y.append(rest)
        measure.append("relative")
    x.append(_esc(end_label))
    y.append(0.0)
    measure.append("total")
    fig = go.Figure(go.Waterfall(x=x, y=y, measure=measure, name="contributions",
                                 increasing=dict(marker=dict(color=theme.POSITIVE)),
                                 decreasing=dict(marker=dict(color=theme.NEGATIVE)),
                                 totals=dict(marker=dict(color="#555")), connector=dict(line=dict(color="#999")),
                                 hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    fig.add_hline(y=fx, line_dash="dash", line_color=theme.CATEGORICAL[7],
                  annotation_text=f"network's f(x) = {fx:.3f}", annotation_position="top left")
    fig.update_layout(template=theme.NAME, title=_esc(title), height=380, showlegend=False,
                      xaxis=dict(title="", tickangle=-30, tickfont=dict(size=12)),
                      yaxis=dict(title="P(class)"), margin=dict(l=60, r=20, t=60, b=110))
    return fig


def agreement_figure(methods: list[str], rho: np.ndarray, overlap: np.ndarray, k: int, *, title: str) -> go.Figure:
    """Two heatmaps [M, M]: Spearman ρ of the signed contributions and top-k overlap."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("rank correlation ρ (signed)", f"top-{k} overlap"),
                        horizontal_spacing=0.2)
    names = [_esc(m) for m in methods]
    for c, (z, lo, scale) in enumerate(((rho, -1.0, theme.DIVERGING), (overlap, 0.0,
                                        [[0, theme.NEUTRAL], [1, theme.POSITIVE]]))):
        z = np.asarray(z, dtype=np.float64)
        text = [["n/a" if not np.isfinite(v) else f"{v:.2f}" for v in row] for row in z]
        fig.add_trace(go.Heatmap(z=np.where(np.isfinite(z), z, np.nan), x=names, y=names, zmin=lo, zmax=1.0,
                                 colorscale=scale, text=text, texttemplate="%{text}", showscale=False,
                                 name="ρ" if c == 0 else "overlap",
                                 hovertemplate="%{y} vs %{x}: %{text}<extra></extra>"), row=1, col=c + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=c + 1, title_text="method" if c == 0 else "")
        fig.update_xaxes(title_text="method", row=1, col=c + 1, tickangle=-20)
    fig.update_layout(template=theme.NAME, title=_esc(title), height=260 + 35 * len(methods),
                      margin=dict(l=10, r=10, t=80, b=60))
    return fig


def fidelity_figure(depth: np.ndarray, fid_train: np.ndarray, fid_test: np.ndarray, acc_test: np.ndarray,
                    chosen: int, net_acc: float) -> go.Figure:
    """Fidelity (train, held-out) and accuracy of the surrogate tree vs its depth (percent)."""
    fig = go.Figure()
    for y, name, color, dash in ((fid_test, "fidelity on held-out rows", theme.CATEGORICAL[0], "solid"),
                                 (fid_train, "fidelity on training rows", theme.CATEGORICAL[4], "dot"),
                                 (acc_test, "tree's accuracy on true labels", theme.CATEGORICAL[1], "dash")):
        fig.add_trace(go.Scatter(x=depth, y=100 * np.asarray(y), name=name, mode="lines+markers",
                                 line=dict(color=color, dash=dash),
                                 hovertemplate="depth %{x}: %{y:.1f} %<extra>" + name + "</extra>"))
    fig.add_hline(y=100 * net_acc, line_dash="dash", line_color="#777",
                  annotation_text=f"network's accuracy {100 * net_acc:.1f} %", annotation_position="bottom right")
    fig.add_vline(x=chosen, line_color="#bbb")
    fig.update_layout(template=theme.NAME, title="How faithful is the tree? Fidelity vs depth", height=380,
                      xaxis=dict(title="tree depth", dtick=1), yaxis=dict(title="percent of rows"),
                      legend=dict(orientation="h", y=-0.25, x=0))
    return fig


def tree_layout(left: np.ndarray, right: np.ndarray, depth: np.ndarray, max_level: int) -> tuple[np.ndarray, np.ndarray]:
    """(visible [M] bool, x [M]): nodes down to ``max_level`` and an x for each, leaves of the
    visible tree evenly spaced in order, parents centred over their children."""
    m = len(left)
    visible = depth <= max_level
    x = np.full(m, np.nan)
    counter = [0]

    def place(i: int) -> float:
        kids = [c for c in (left[i], right[i]) if c >= 0 and visible[c]]
        if not kids:
            x[i] = counter[0]
            counter[0] += 1
        else:
            x[i] = float(np.mean([place(c) for c in kids]))
        return x[i]

    place(0)
    return visible, x


def tree_figure(left, right, feature, threshold, samples, probs, classes: list[str], depth, features: list[str],
                path: list[int], *, max_level: int = 4, title: str) -> go.Figure:
    """The tree drawn top-down: split nodes "feature ≤ t", leaves with their class; colours by the
    majority class; the row's path in bold; levels below ``max_level`` are folded."""
    left, right, depth = np.asarray(left), np.asarray(right), np.asarray(depth)
    probs = np.asarray(probs, dtype=np.float64)
    visible, x = tree_layout(left, right, depth, max_level)
    on_path = set(int(i) for i in path)
    fig = go.Figure()
    for i in np.flatnonzero(visible):
        for c in (left[i], right[i]):
            if c >= 0 and visible[c]:
                hot = i in on_path and c in on_path
                fig.add_trace(go.Scatter(x=[x[i], x[c]], y=[-depth[i], -depth[c]], mode="lines",
                                         line=dict(color="#111" if hot else "#bbb", width=4 if hot else 1.5),
                                         hoverinfo="skip", showlegend=False))
    n_classes = probs.shape[1]
    palette = theme.CATEGORICAL
    for i in np.flatnonzero(visible):
        k = int(probs[i].argmax())
        leaf = left[i] < 0
        folded = not leaf and depth[i] == max_level
        head = (f"<b>{_esc(classes[k])}</b>" if leaf else
                f"{_esc(features[feature[i]])}<br>≤ {threshold[i]:.3g}")
        sub = f"n={samples[i]} · {100 * probs[i, k]:.0f} % {_esc(classes[k])}"
        if folded:
            sub += "<br>⋯ deeper levels folded"
        fig.add_annotation(x=x[i], y=-depth[i], text=f"{head}<br><span style='font-size:11px'>{sub}</span>",
                           showarrow=False, font=dict(size=12), bgcolor="white",
                           bordercolor=palette[k % len(palette)], borderwidth=4 if i in on_path else 1.5,
                           borderpad=4)
    for k in range(n_classes):  # a legend for the border colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"majority: {_esc(classes[k])}",
                                 marker=dict(color=palette[k % len(palette)], size=12, symbol="square")))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="this row's path",
                             line=dict(color="#111", width=4)))
    n_leaves = int(np.nansum(~np.isnan(x) & visible & ((left < 0) | (depth == max_level))))
    top = int(min(max_level, depth.max()))
    fig.update_layout(template=theme.NAME, title=_esc(title), showlegend=True,
                      height=170 + 120 * (top + 1), legend=dict(orientation="h", y=-0.08, x=0),
                      xaxis=dict(visible=False, range=[-0.7, max(n_leaves, 1) - 0.3]),
                      yaxis=dict(visible=False, range=[-top - 0.5, 0.5]), margin=dict(l=10, r=10, t=60, b=40))
    return fig


def stability_figure(features: list[str], runs: np.ndarray, methods: list[str], n: int = 12) -> go.Figure:
    """How the contributions move with the seed: ``runs`` [S, M, D] (S seeds, M methods); for the
    ``n`` features that matter most, each method's mean as a bar with ±1 std error bars and every
    seed's value as a dot."""
    runs = np.asarray(runs, dtype=np.float64)
    mean, std = runs.mean(0), runs.std(0)
    idx = top_features(mean, n)[::-1]
    labels = [_esc(features[i]) for i in idx]
    m = len(methods)
    fig = make_subplots(rows=1, cols=m, shared_yaxes=True, subplot_titles=[_esc(s) for s in methods],
                        horizontal_spacing=0.03)
    for j in range(m):
        fig.add_trace(go.Bar(x=mean[j, idx], y=labels, orientation="h", name="mean over seeds",
                             marker_color=_signed_colors(mean[j, idx]), opacity=0.55, showlegend=j == 0,
                             error_x=dict(type="data", array=std[j, idx], color="#333", thickness=1.5),
                             hovertemplate="%{y}: mean %{x:.4g}<extra></extra>"), row=1, col=j + 1)
        xs = runs[:, j, idx].T.ravel()
        ys = np.repeat(labels, len(runs))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="one seed", showlegend=j == 0,
                                 marker=dict(color="#222", size=6, symbol="line-ns-open", line=dict(width=2)),
                                 hovertemplate="%{y}: %{x:.4g}<extra>one seed</extra>"), row=1, col=j + 1)
        fig.update_xaxes(title_text="contribution", row=1, col=j + 1, zeroline=True, zerolinecolor="#777")
    fig.update_yaxes(title_text="feature", row=1, col=1, tickfont=dict(size=13))
    fig.update_layout(template=theme.NAME, height=230 + 26 * len(idx), barmode="overlay",
                      title=f"The same row, {len(runs)} seeds: how much do the explanations move?",
                      legend=dict(orientation="h", y=-0.2, yanchor="top", x=0),
                      margin=dict(l=10, r=10, t=80, b=90))
    return fig


def rows_agreement_figure(pair_labels: list[str], rho: np.ndarray, overlap: np.ndarray, k: int, n_rows: int
                          ) -> go.Figure:
    """Box plots over rows of each pair's rank correlation and top-k overlap (``rho``, ``overlap``
    [R, P])."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("rank correlation ρ per row", f"top-{k} overlap per row"))
    labels = [_esc(p) for p in pair_labels]
    for c, z in enumerate((rho, overlap)):
        z = np.asarray(z, dtype=np.float64)
        for p, lab in enumerate(labels):
            v = z[:, p][np.isfinite(z[:, p])]
            fig.add_trace(go.Box(x=v, name=lab, orientation="h", boxmean=True, showlegend=False,
                                 marker_color=theme.CATEGORICAL[p % len(theme.CATEGORICAL)]), row=1, col=c + 1)
        fig.update_xaxes(title_text="ρ" if c == 0 else "share of the top k", row=1, col=c + 1,
                         range=[-1.05, 1.05] if c == 0 else [-0.05, 1.05])
    fig.update_yaxes(title_text="pair of methods", row=1, col=1, autorange="reversed")
    fig.update_layout(template=theme.NAME, height=170 + 45 * len(labels),
                      title=f"Do the methods agree? {n_rows} test rows, each pair of methods",
                      margin=dict(l=10, r=10, t=80, b=50))
    return fig


def importance_figure(features: list[str], importance: np.ndarray, names: list[str], n: int = 12) -> go.Figure:
    """Global importance per method (``importance`` [M, D], each row summing to 1) as grouped bars
    for the ``n`` features most important on average."""
    imp = np.asarray(importance, dtype=np.float64)
    idx = np.argsort(-imp.mean(0), kind="stable")[: min(n, imp.shape[1])][::-1]
    fig = go.Figure()
    for j, name in enumerate(names):
        fig.add_trace(go.Bar(x=100 * imp[j, idx], y=[_esc(features[i]) for i in idx], orientation="h",
                             name=_esc(name), marker_color=METHOD_COLORS[j % len(METHOD_COLORS)],
                             hovertemplate="%{y}: %{x:.1f} %<extra>" + _esc(name) + "</extra>"))
    fig.update_layout(template=theme.NAME, barmode="group", height=220 + 42 * len(idx),
                      title="Global importance: mean |contribution| over the rows (share of each method's total)",
                      xaxis=dict(title="share of the method's total importance (%)"), yaxis=dict(title="feature"),
                      legend=dict(orientation="h", y=-0.12, x=0), margin=dict(l=10, r=10, t=60, b=60))
    return fig


def boundaries(seg: np.ndarray) -> np.ndarray:
    """[H, W] bool: pixels whose right or lower neighbour is in another region."""
    seg = np.asarray(seg)
    b = np.zeros(seg.shape, dtype=bool)
    b[:, :-1] |= seg[:, :-1] != seg[:, 1:]
    b[:-1, :] |= seg[:-1, :] != seg[1:, :]
    return b


def border_lines(seg: np.ndarray) -> tuple[list, list]:
    """(x, y) of the line segments between pixels of different regions, in pixel coordinates
    (pixel centres at integers), separated by None for one scatter trace."""
    seg = np.asarray(seg)
    xs: list = []
    ys: list = []
    for r, c in zip(*np.nonzero(seg[:, :-1] != seg[:, 1:])):
        xs += [c + 0.5, c + 0.5, None]
        ys += [r - 0.5, r + 0.5, None]
    for r, c in zip(*np.nonzero(seg[:-1, :] != seg[1:, :])):
        xs += [c - 0.5, c + 0.5, None]
        ys += [r + 0.5, r + 0.5, None]
    return xs, ys


def _sym(v: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(v))) if np.size(v) else 0.0
    return m if m > 0 else 1.0


def image_figure(img: np.ndarray, seg: np.ndarray, lime_w: np.ndarray, shap_px: np.ndarray, grad_px: np.ndarray,
                 *, title: str, shap_label: str) -> go.Figure:
    """Five 28×28 panels: the image with its superpixels, LIME's weight per region, SHAP per pixel,
    SHAP summed per region, gradient × input per pixel (blue raises P(target), orange lowers it;
    each panel scaled to its own largest magnitude)."""
    img = np.asarray(img, dtype=np.float64)
    seg = np.asarray(seg)
    s = int(seg.max()) + 1
    shap_seg = np.bincount(seg.ravel(), weights=np.asarray(shap_px, dtype=np.float64).ravel(), minlength=s)
    panels = [("LIME: weight per region", np.asarray(lime_w)[seg]), (f"{shap_label} per pixel", shap_px),
              (f"{shap_label} summed per region", shap_seg[seg]), ("gradient × input", grad_px)]
    titles = [f"image and its {s} regions"] + [p[0] for p in panels]
    fig = make_subplots(rows=1, cols=5, subplot_titles=[_esc(t) for t in titles], horizontal_spacing=0.02)
    fig.add_trace(go.Heatmap(z=img, colorscale="gray", zmin=0, zmax=1, showscale=False, name="image",
                             customdata=seg, hovertemplate="row %{y}, col %{x}, region %{customdata}: "
                                                           "%{z:.2f}<extra>image</extra>"), row=1, col=1)
    bx, by = border_lines(seg)
    for c, (name, z) in enumerate(panels, start=2):
        z = np.asarray(z, dtype=np.float64)
        m = _sym(z)
        fig.add_trace(go.Heatmap(z=z, colorscale=theme.DIVERGING, zmin=-m, zmax=m, showscale=False, name=_esc(name),
                                 customdata=seg, hovertemplate="row %{y}, col %{x}, region %{customdata}: "
                                                               "%{z:.3g}<extra>" + _esc(name) + "</extra>"),
                      row=1, col=c)
    for c in range(1, 6):
        fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", name="region borders", showlegend=False,
                                 line=dict(color="#ffcc00" if c == 1 else "rgba(60,60,60,0.55)", width=1.2),
                                 hoverinfo="skip"), row=1, col=c)
    for c in range(1, 6):
        h, w = seg.shape
        fig.update_xaxes(visible=False, row=1, col=c, scaleanchor=f"y{'' if c == 1 else c}", constrain="domain",
                         range=[-0.5, w - 0.5])
        fig.update_yaxes(visible=False, row=1, col=c, constrain="domain", range=[h - 0.5, -0.5])
    fig.update_layout(template=theme.NAME, title=_esc(title), height=330, margin=dict(l=10, r=10, t=80, b=10))
    return fig
