"""Figures of the probability lesson: a distribution over its samples, the running mean,
the CLT's standardized means, likelihood surfaces and a Bayesian update.

Plain NumPy in, plotly Figure out. Figures that show a growing sample carry plotly
animation frames (an "▶ Animate" button and a slider under the chart), so the growth plays
in the browser without a rerun of the page.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme

C = theme.CATEGORICAL
BAR = "rgba(86,180,233,0.55)"   # samples (light blue)
CURVE = C[5]                      # theory (vermillion)


def _fig(data: list, layout: dict, frames: list | None = None) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, frames=frames or None,
                     skip_invalid=False, _validate=False)


def _rgba(color: str, alpha: float) -> str:
    r, g, b = theme.hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


ANIM_MARGIN = 185  # px under the plot: tick labels, the axis title, the buttons, then the slider


def animation(labels: list[str], start: int, plot_px: float, duration: int = 350, redraw: bool = True) -> dict:
    """Layout entries for plotly frames named by ``labels``: ▶/⏸ buttons 62 px under a plot
    area ``plot_px`` tall and a full-width slider under them (starting at frame ``start``).
    The frames' own titles say which frame is shown, so the slider has no read-out."""
    px = max(plot_px, 50.0)
    frame = {"frame": {"duration": duration, "redraw": redraw}, "transition": {"duration": 0}}
    buttons = [{"label": "▶ Animate", "method": "animate", "args": [None, {**frame, "fromcurrent": False}]},
               {"label": "⏸ Stop", "method": "animate",
                "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]
    steps = [{"label": lab, "method": "animate",
              "args": [[lab], {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate",
                               "transition": {"duration": 0}}]} for lab in labels]
    return {"updatemenus": [{"type": "buttons", "direction": "left", "buttons": buttons, "showactive": False,
                             "x": 0.0, "xanchor": "left", "y": -62.0 / px, "yanchor": "top", "pad": {"t": 0, "r": 0}}],
            "sliders": [{"active": start, "steps": steps, "x": 0.0, "len": 1.0, "y": -100.0 / px, "yanchor": "top",
                         "pad": {"t": 0, "b": 0}, "currentvalue": {"visible": False},
                         "transition": {"duration": 0}}]}


# ---------------------------------------------------------------- 1 · distribution

def dist_figure(x, f, edges, hist, discrete: bool, mean_theory: float, mean_sample: float, *, title: str,
                height: int = 400) -> go.Figure:
    """Density/pmf ``f`` on ``x`` over the samples' histogram. Continuous: ``edges`` (B+1,)
    and density ``hist`` (B,); discrete: ``hist`` (len(x),) relative frequencies."""
    x, f, hist = np.asarray(x, float), np.asarray(f, float), np.asarray(hist, float)
    if discrete:
        data = [{"type": "bar", "x": x, "y": hist, "name": "samples (share)", "marker": {"color": BAR},
                 "width": 0.8, "hovertemplate": "k = %{x}: %{y:.3f} of the samples<extra></extra>"},
                {"type": "scatter", "mode": "markers", "x": x, "y": f, "name": "pmf P(X = k)",
                 "marker": {"color": CURVE, "size": 10, "symbol": "diamond"},
                 "hovertemplate": "P(X = %{x}) = %{y:.4f}<extra></extra>"}]
        ytitle, xtitle = "probability", "k"
    else:
        e = np.asarray(edges, float)
        data = [{"type": "bar", "x": (e[:-1] + e[1:]) / 2, "y": hist, "width": np.diff(e), "name": "samples (histogram)",
                 "marker": {"color": BAR, "line": {"color": "white", "width": 0.5}},
                 "hovertemplate": "%{x:.3g}: density %{y:.3f}<extra></extra>"},
                {"type": "scatter", "mode": "lines", "x": x, "y": np.where(np.isfinite(f), f, np.nan),
                 "name": "pdf f(x)", "line": {"color": CURVE, "width": 3},
                 "hovertemplate": "f(%{x:.3g}) = %{y:.4f}<extra></extra>"}]
        ytitle, xtitle = "density", "x"
    top = float(np.nanmax(np.concatenate([hist, f[np.isfinite(f)]]))) if len(hist) else 1.0
    for val, name, dash, color in ((mean_theory, "mean E[X]", "dash", CURVE), (mean_sample, "sample mean", "dot", C[0])):
        if math.isfinite(val):
            data.append({"type": "scatter", "mode": "lines", "x": [val, val], "y": [0, 1.05 * top], "name": name,
                         "line": {"color": color, "width": 2, "dash": dash},
                         "hovertemplate": name + " = %{x:.4g}<extra></extra>"})
    layout = {"title": {"text": title}, "height": height, "bargap": 0.02,
              "xaxis": {"title": {"text": xtitle}}, "yaxis": {"title": {"text": ytitle}, "rangemode": "tozero"},
              "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 60, "r": 20, "t": 80, "b": 50}}
    return _fig(data, layout)


# ---------------------------------------------------------------- 2 · LLN and CLT

def lln_figure(i, mean, mu: float, sd: float, *, title: str, frames: int = 24, height: int = 500) -> go.Figure:
    """Running mean (P,) at sample sizes ``i`` (P,) on a log axis, the true mean ``mu`` and
    the bands μ ± σ/√n, μ ± 2σ/√n (when σ is finite). Frames grow the sample from 1 to n."""
    i, mean = np.asarray(i, float), np.asarray(mean, float)
    data = []
    if math.isfinite(mu) and math.isfinite(sd):
        for k, alpha in ((2, 0.12), (1, 0.22)):
            band = k * sd / np.sqrt(i)
            data.append({"type": "scatter", "mode": "lines", "x": np.concatenate([i, i[::-1]]),
                         "y": np.concatenate([mu + band, (mu - band)[::-1]]), "fill": "toself",
                         "fillcolor": _rgba(C[2], alpha), "line": {"width": 0}, "name": f"μ ± {k}σ/√n",
                         "hoverinfo": "skip"})
    if math.isfinite(mu):
        data.append({"type": "scatter", "mode": "lines", "x": [i[0], i[-1]], "y": [mu, mu], "name": f"μ = {mu:.4g}",
                     "line": {"color": C[2], "width": 2, "dash": "dash"}, "hoverinfo": "skip"})
    run = len(data)
    data.append({"type": "scatter", "mode": "lines", "x": i, "y": mean, "name": "running mean x̄ₙ",
                 "line": {"color": C[0], "width": 2.5}, "hovertemplate": "n = %{x}: x̄ = %{y:.4f}<extra></extra>"})
    lo, hi = float(np.nanmin(mean)), float(np.nanmax(mean))
    if math.isfinite(mu) and math.isfinite(sd):
        lo, hi = min(lo, mu - 2.2 * sd), max(hi, mu + 2.2 * sd)
    pad = 0.05 * (hi - lo or 1.0)
    stops = np.unique(np.round(np.geomspace(1, len(i), min(frames, len(i)))).astype(int))
    labels = [f"{int(i[s - 1]):,}" for s in stops]
    fr = [{"name": lab, "data": [{"x": i[:s], "y": mean[:s]}], "traces": [run],
           "layout": {"title": {"text": f"{title} · n = {lab}"}}} for lab, s in zip(labels, stops)]
    layout = {"title": {"text": f"{title} · n = {labels[-1]}"}, "height": height,
              "xaxis": {"title": {"text": "sample size n (log scale)"}, "type": "log",
                        "range": [-0.05, math.log10(max(i[-1], 10)) + 0.05]},
              "yaxis": {"title": {"text": "mean of the first n draws"}, "range": [lo - pad, hi + pad]},
              "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 70, "r": 20, "t": 80, "b": ANIM_MARGIN},
              **animation(labels, len(labels) - 1, height - 80 - ANIM_MARGIN, duration=150)}
    return _fig(data, layout, fr)


def _normal_pdf(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def clt_figure(sizes, edges: list, hist: list, ks, standardized: bool, current: int, *, title: str,
               height: int = 510) -> go.Figure:
    """Histogram of the (standardized) sample means for each size in ``sizes`` (one frame
    each, ``current`` the index shown first) over the N(0, 1) density."""
    def bars(s):
        e = np.asarray(edges[s], float)
        keep = ((e[:-1] + e[1:]) / 2 >= -4.6) & ((e[:-1] + e[1:]) / 2 <= 4.6) if standardized else slice(None)
        return {"x": ((e[:-1] + e[1:]) / 2)[keep], "y": np.asarray(hist[s], float)[keep], "width": np.diff(e)[keep]}

    def heading(s):
        what = f"KS distance to N(0, 1): {ks[s]:.3f}" if standardized and math.isfinite(ks[s]) else \
            "infinite variance: raw means, no √n scaling"
        return f"{title} · n = {sizes[s]:,} · {what}"

    z = np.linspace(-4.5, 4.5, 301)
    data = [{"type": "bar", "name": "sample means", "marker": {"color": BAR, "line": {"color": "white", "width": 0.5}},
             "hovertemplate": "%{x:.2f}: density %{y:.3f}<extra></extra>", **bars(current)}]
    if standardized:
        data.append({"type": "scatter", "mode": "lines", "x": z, "y": _normal_pdf(z), "name": "N(0, 1)",
                     "line": {"color": CURVE, "width": 3}, "hoverinfo": "skip"})
    labels = [f"{s:,}" for s in sizes]
    fr = [{"name": lab, "data": [{"type": "bar", **bars(s)}], "traces": [0],
           "layout": {"title": {"text": heading(s)}}} for s, lab in enumerate(labels)]
    top = max(0.5, max(float(np.max(h)) if len(h) else 0 for h in hist))
    layout = {"title": {"text": heading(current)}, "height": height, "bargap": 0.0,
              "xaxis": {"title": {"text": "z = (x̄ − μ)·√n / σ" if standardized else "x̄ (sample mean)"},
                        "range": [-4.6, 4.6] if standardized else [-6, 6]},
              "yaxis": {"title": {"text": "density"}, "range": [0, min(top, 1.6) * 1.05]},
              "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 60, "r": 20, "t": 80, "b": ANIM_MARGIN},
              **animation(labels, current, height - 80 - ANIM_MARGIN, duration=700)}
    return _fig(data, layout, fr)


def clt_stats_figure(sizes, ks, skew, skew_theory, current: int, reps: int, *, height: int = 510) -> go.Figure:
    """KS distance of the standardized means to N(0, 1) and the means' skewness vs the
    sample size n (log axis), with γ/√n and the KS 5 % critical value 1.36/√reps."""
    n = np.asarray(sizes, float)
    data = [{"type": "scatter", "mode": "lines+markers", "x": n, "y": ks, "name": "KS distance to N(0, 1)",
             "line": {"color": C[0], "width": 2.5}, "hovertemplate": "n = %{x}: KS = %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "x": n, "y": np.abs(skew), "name": "|skewness| of x̄ (sampled)",
             "line": {"color": C[1], "width": 2.5}, "hovertemplate": "n = %{x}: |skew| = %{y:.3f}<extra></extra>"}]
    if np.isfinite(skew_theory).any():
        data.append({"type": "scatter", "mode": "lines", "x": n, "y": np.abs(skew_theory), "name": "|γ|/√n (theory)",
                     "line": {"color": C[1], "width": 1.5, "dash": "dash"}, "hoverinfo": "skip"})
    crit = 1.36 / math.sqrt(reps)
    data.append({"type": "scatter", "mode": "lines", "x": [n[0], n[-1]], "y": [crit, crit],
                 "name": f"KS 5 % critical value ({reps:,} means)", "line": {"color": "#7a828c", "dash": "dot"},
                 "hoverinfo": "skip"})
    data.append({"type": "scatter", "mode": "markers", "x": [n[current]], "y": [ks[current]], "name": "shown above",
                 "marker": {"color": C[0], "size": 15, "symbol": "circle-open", "line": {"width": 3}},
                 "hoverinfo": "skip"})
    layout = {"title": {"text": "How fast the means turn normal"}, "height": height,
              "xaxis": {"title": {"text": "draws per mean, n (log scale)"}, "type": "log"},
              "yaxis": {"title": {"text": "distance / skewness"}, "rangemode": "tozero"},
              "legend": {"orientation": "h", "x": 0, "y": -0.25, "yanchor": "top", "font": {"size": 13}},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 50}}
    return _fig(data, layout)


# ---------------------------------------------------------------- 3 · maximum likelihood

def mle_figure(mu_grid, sigma_grid, surface, loglik_max: float, mle: tuple, numeric: tuple, path, truth: tuple,
               x, *, floor: float = -30.0, height: int = 470) -> go.Figure:
    """Left: contours of ℓ(μ, σ) − ℓ(μ̂, σ̂) (floored at ``floor``) with the closed-form MLE,
    the optimizer's path (T, 2) to ``numeric`` and the truth. Right: the data (n,) with the
    fitted and the true normal densities."""
    rel = np.maximum(np.asarray(surface, float) - loglik_max, floor)
    path = np.asarray(path, float)
    x = np.asarray(x, float)
    data = [{"type": "contour", "x": mu_grid, "y": sigma_grid, "z": rel, "colorscale": "Blues", "reversescale": True,
             "contours": {"start": floor, "end": 0, "size": abs(floor) / 15, "coloring": "heatmap"},
             "line": {"width": 0.5, "color": "rgba(255,255,255,0.6)"}, "zmin": floor, "zmax": 0,
             "colorbar": {"title": {"text": "ℓ − ℓ̂"}, "x": 0.465, "len": 0.9, "thickness": 12},
             "hovertemplate": "μ = %{x:.3f}, σ = %{y:.3f}: ℓ − ℓ̂ = %{z:.2f}<extra></extra>", "showlegend": False},
            {"type": "scatter", "mode": "lines+markers", "x": path[:, 0], "y": path[:, 1],
             "name": f"BFGS path ({len(path) - 1} steps)", "line": {"color": C[1], "width": 2.5},
             "marker": {"size": 7, "color": C[1]}, "hovertemplate": "step: μ = %{x:.4f}, σ = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": [mle[0]], "y": [mle[1]], "name": "MLE (x̄, σ̂) closed form",
             "marker": {"symbol": "star", "size": 18, "color": C[5], "line": {"color": "white", "width": 1}},
             "hovertemplate": "μ̂ = %{x:.4f}, σ̂ = %{y:.4f}<extra></extra>"},
            {"type": "scatter", "mode": "markers", "x": [truth[0]], "y": [truth[1]], "name": "true (μ, σ)",
             "marker": {"symbol": "x", "size": 13, "color": "#1b1f24"},
             "hovertemplate": "true μ = %{x:.3f}, σ = %{y:.3f}<extra></extra>"}]
    lo, hi = min(x.min(), truth[0] - 3.5 * truth[1]), max(x.max(), truth[0] + 3.5 * truth[1])
    g = np.linspace(lo, hi, 301)
    for (m, s), name, color, dash in ((mle, "fitted N(μ̂, σ̂²)", C[5], "solid"), (truth, "true density", "#1b1f24", "dash")):
        data.append({"type": "scatter", "mode": "lines", "x": g, "y": _normal_pdf((g - m) / s) / s, "name": name,
                     "line": {"color": color, "width": 2.5, "dash": dash}, "xaxis": "x2", "yaxis": "y2",
                     "hoverinfo": "skip"})
    top = 1 / (math.sqrt(2 * math.pi) * min(mle[1], truth[1]))
    data.append({"type": "scatter", "mode": "markers", "x": x, "y": np.full(len(x), -0.06 * top), "name": "data xᵢ",
                 "marker": {"symbol": "line-ns-open", "size": 14, "color": C[0]}, "xaxis": "x2", "yaxis": "y2",
                 "hovertemplate": "x = %{x:.3f}<extra></extra>"})
    layout = {"title": {"text": f"Log-likelihood of {len(x):,} draws over (μ, σ), and the fit it picks"},
              "height": height,
              "xaxis": {"domain": [0, 0.46], "title": {"text": "μ"}},
              "yaxis": {"title": {"text": "σ"}},
              "xaxis2": {"domain": [0.63, 1], "anchor": "y2", "title": {"text": "x"}},
              "yaxis2": {"anchor": "x2", "title": {"text": "density"}, "range": [-0.12 * top, 1.1 * top]},
              "legend": {"orientation": "h", "y": -0.16, "x": 0, "yanchor": "top"},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 60}}
    return _fig(data, layout)


def bernoulli_figure(p_grid, loglik, mle: float, truth: float, interval: tuple, k: int, n: int, *,
                     floor: float = -12.0, height: int = 380) -> go.Figure:
    """ℓ(p) − ℓ(p̂) (G,) over p, with the MLE p̂ = k/n, the true p and the 95 %
    likelihood-ratio interval (where ℓ̂ − ℓ ≤ 1.92)."""
    p_grid = np.asarray(p_grid, float)
    best = float(np.max(loglik))
    rel = np.maximum(np.asarray(loglik, float) - best, floor - 1)
    cut = -1.920729
    data = [{"type": "scatter", "mode": "lines", "x": [interval[0], interval[0], interval[1], interval[1]],
             "y": [floor, 0.5, 0.5, floor], "fill": "toself", "fillcolor": _rgba(C[2], 0.15), "line": {"width": 0},
             "name": f"95 % likelihood interval [{interval[0]:.3f}, {interval[1]:.3f}]", "hoverinfo": "skip"},
            {"type": "scatter", "mode": "lines", "x": p_grid, "y": rel, "name": "ℓ(p) − ℓ(p̂)",
             "line": {"color": C[0], "width": 3}, "hovertemplate": "p = %{x:.3f}: %{y:.3f}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [cut, cut], "name": "ℓ̂ − 1.92 (χ²₁ 95 % / 2)",
             "line": {"color": C[2], "dash": "dot", "width": 1.5}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "markers", "x": [mle], "y": [0], "name": f"p̂ = k/n = {k}/{n} = {mle:.3f}",
             "marker": {"symbol": "star", "size": 18, "color": C[5]}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "lines", "x": [truth, truth], "y": [floor, 0.5], "name": f"true p = {truth:g}",
             "line": {"color": "#1b1f24", "dash": "dash", "width": 2}, "hoverinfo": "skip"}]
    layout = {"title": {"text": f"Bernoulli log-likelihood of {n:,} tosses with {k:,} ones"}, "height": height,
              "xaxis": {"title": {"text": "p"}, "range": [0, 1]},
              "yaxis": {"title": {"text": "ℓ(p) − ℓ(p̂)  (nats)"}, "range": [floor, 0.5]},
              "legend": {"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1},
              "margin": {"l": 70, "r": 20, "t": 55, "b": 50}}
    return _fig(data, layout)


# ---------------------------------------------------------------- 4 · Bayes

def bayes_figure(p, steps: list[dict], truth: float, *, title: str, height: int = 510) -> go.Figure:
    """Prior × likelihood → posterior densities on ``p`` (G,). ``steps``: one dict per frame
    (the last is shown first) with ``i`` tosses seen, ``k`` ones, ``prior``, ``likelihood``,
    ``posterior`` (G,) and the credible interval ``lo``, ``hi``."""
    p = np.asarray(p, float)
    last = steps[-1]
    # the axis fits prior and posterior of every frame (a lopsided early likelihood may be cut)
    top = max(float(np.nanmax(s[c])) for s in steps for c in ("prior", "posterior"))
    top = min(top, 60.0) * 1.12

    def traces(s):  # frames carry y only (float32): the x grid and the prior never change
        post = np.asarray(s["posterior"], float)
        inside = np.where((p >= s["lo"]) & (p <= s["hi"]), post, 0.0)
        return [{"y": inside.astype(np.float32)}, {"y": np.asarray(s["likelihood"], np.float32)},
                {"y": post.astype(np.float32)}]

    def heading(s):
        return f"{title} · after {s['i']} toss{'es' if s['i'] != 1 else ''} ({s['k']} heads)"

    t = traces(last)
    data = [{"type": "scatter", "mode": "lines", "fill": "tozeroy", "fillcolor": _rgba(C[0], 0.25), "x": p,
             "line": {"width": 0}, "name": "credible interval", "hoverinfo": "skip", **t[0]},
            {"type": "scatter", "mode": "lines", "name": "prior", "line": {"color": "#7a828c", "width": 2.5, "dash": "dash"},
             "hovertemplate": "prior(%{x:.3f}) = %{y:.3f}<extra></extra>", "x": p,
             "y": np.asarray(last["prior"], np.float32)},
            {"type": "scatter", "mode": "lines", "name": "likelihood (scaled to area 1)", "x": p,
             "line": {"color": C[1], "width": 2.5, "dash": "dot"},
             "hovertemplate": "likelihood(%{x:.3f}) = %{y:.3f}<extra></extra>", **t[1]},
            {"type": "scatter", "mode": "lines", "name": "posterior", "line": {"color": C[0], "width": 3.5}, "x": p,
             "hovertemplate": "posterior(%{x:.3f}) = %{y:.3f}<extra></extra>", **t[2]},
            {"type": "scatter", "mode": "lines", "x": [truth, truth], "y": [0, top], "name": f"true p = {truth:g}",
             "line": {"color": "#1b1f24", "dash": "dashdot", "width": 1.5}, "hoverinfo": "skip"}]
    labels = [str(s["i"]) for s in steps]
    fr = [{"name": lab, "data": traces(s), "traces": [0, 2, 3], "layout": {"title": {"text": heading(s)}}}
          for lab, s in zip(labels, steps)]
    layout = {"title": {"text": heading(last)}, "height": height,
              "xaxis": {"title": {"text": "p (chance of heads)"}, "range": [0, 1]},
              "yaxis": {"title": {"text": "density"}, "range": [0, top]},
              "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
              "margin": {"l": 60, "r": 20, "t": 80, "b": ANIM_MARGIN},
              **animation(labels, len(labels) - 1, height - 80 - ANIM_MARGIN, duration=250)}
    return _fig(data, layout, fr)


def bayes_path_figure(mean, lo, hi, data, truth: float, level: float, *, height: int = 330) -> go.Figure:
    """Posterior mean and credible band (seen+1,) after 0, 1, …, seen tosses; the tosses
    (seen,) as ticks at the bottom; the true p."""
    mean, lo, hi = (np.asarray(v, float) for v in (mean, lo, hi))
    i = np.arange(len(mean))
    d = np.asarray(data, int)
    out = [{"type": "scatter", "mode": "lines", "x": np.concatenate([i, i[::-1]]), "y": np.concatenate([hi, lo[::-1]]),
            "fill": "toself", "fillcolor": _rgba(C[0], 0.2), "line": {"width": 0},
            "name": f"{100 * level:g} % credible interval", "hoverinfo": "skip"},
           {"type": "scatter", "mode": "lines", "x": i, "y": mean, "name": "posterior mean",
            "line": {"color": C[0], "width": 3}, "hovertemplate": "after %{x} tosses: E[p] = %{y:.3f}<extra></extra>"},
           {"type": "scatter", "mode": "lines", "x": [0, max(len(mean) - 1, 1)], "y": [truth, truth],
            "name": f"true p = {truth:g}", "line": {"color": "#1b1f24", "dash": "dashdot", "width": 1.5},
            "hoverinfo": "skip"}]
    if len(d):
        out.append({"type": "scatter", "mode": "markers", "x": np.arange(1, len(d) + 1), "y": np.where(d == 1, 1.03, -0.03),
                    "name": "tosses (top = heads)", "marker": {"symbol": "line-ns-open", "size": 8,
                                                               "color": np.where(d == 1, C[2], C[5]).tolist()},
                    "hovertemplate": "toss %{x}<extra></extra>"})
    layout = {"title": {"text": "Belief about p as the tosses arrive"}, "height": height,
              "xaxis": {"title": {"text": "tosses seen"}, "range": [-0.5, max(len(mean) - 0.5, 1)]},
              "yaxis": {"title": {"text": "p"}, "range": [-0.07, 1.07]},
              "legend": {"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1},
              "margin": {"l": 60, "r": 20, "t": 55, "b": 50}}
    return _fig(data=out, layout=layout)
