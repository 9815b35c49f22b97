"""Figures for the VAE page: the decoded latent grid, the encoded test set by digit, the
ELBO and its terms over training, KL per latent dimension (collapse), the rate–distortion
path (β's trade-off) and the reparameterization trick's gradient estimates.

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import images, panels, theme
from explorer.viz.autoencoders import DIGIT_COLORS, clean

ELBO_COLOR, RECON_COLOR, KL_COLOR = theme.CATEGORICAL[0], theme.CATEGORICAL[2], theme.CATEGORICAL[5]


def grid_figure(grid: np.ndarray, n: int, dims=(0, 1), z_range: float = 3.0,
                title: str = "Decoded latent grid") -> go.Figure:
    """``grid`` ``[n², 28, 28]`` decoded images, row 0 at z₂ = +range, in one picture with the
    latent coordinates on the axes."""
    scale, gap = 2, 2
    pic = images.mosaic(np.asarray(grid).reshape(-1, 1, 28, 28), n, pad=gap, scale=scale)
    tile = 28 * scale + gap
    vals = np.linspace(-z_range, z_range, n)
    pick = np.unique(np.linspace(0, n - 1, 5).round().astype(int))
    fig = go.Figure(go.Image(z=pic, hoverinfo="skip"))
    fig.update_layout(
        template=theme.NAME, title=dict(text=title), height=560, margin=dict(l=70, r=10, t=50, b=60),
        xaxis=dict(title=f"z{dims[0] + 1}", tickvals=[i * tile + tile / 2 for i in pick],
                   ticktext=[f"{vals[i]:+.1f}" for i in pick], showgrid=False),
        yaxis=dict(title=f"z{dims[1] + 1}", tickvals=[i * tile + tile / 2 for i in pick],
                   ticktext=[f"{vals[::-1][i]:+.1f}" for i in pick], showgrid=False, scaleanchor="x"))
    return fig


def latent_figure(mu: np.ndarray, labels: np.ndarray, dims=(0, 1), z_range: float = 3.0,
                  title: str = "Encoded test set (posterior means)") -> go.Figure:
    """Posterior means ``[M, 2]`` of test images coloured by digit ``[M]``, over the prior's
    1σ and 2σ circles, on the same square as the decoded grid."""
    mu, labels = np.asarray(mu), np.asarray(labels)
    t = np.linspace(0, 2 * np.pi, 120)
    data = [go.Scatter(x=r * np.cos(t), y=r * np.sin(t), mode="lines", line=dict(color="#9aa3ad", dash="dot"),
                       name=f"prior {r}σ", hoverinfo="skip", showlegend=r == 1) for r in (1, 2)]
    for d in range(10):
        m = labels == d
        data.append(go.Scattergl(x=clean(mu[m, 0]), y=clean(mu[m, 1]), mode="markers", name=str(d),
                                 marker=dict(color=DIGIT_COLORS[d], size=5, opacity=0.75),
                                 hovertemplate=f"digit {d}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    fin = np.abs(mu[np.isfinite(mu)])
    lim = max(z_range * 1.1, float(fin.max()) * 1.05 if fin.size else 0.0)  # the grid's square, or all points
    fig = go.Figure(data)
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=560,
                      xaxis=dict(title=f"μ{dims[0] + 1}", range=[-lim, lim]),
                      yaxis=dict(title=f"μ{dims[1] + 1}", range=[-lim, lim], scaleanchor="x"),
                      legend=dict(title=dict(text="digit"), itemsizing="constant"))
    return fig


def terms_figure(epoch, elbo, recon, kl, n_active, latent: int, kl_weight=None) -> go.Figure:
    """Left: test ELBO, reconstruction E[log p(x|z)] and −KL per image (nats) over epochs.
    Right: KL (nats) and the number of active units (of ``latent``) over epochs; each ``[T]``."""
    lay = panels.grid(1, 2, ("ELBO = reconstruction − KL (test, nats/image)", "KL and active units"), hgap=0.12)
    c1, c2 = panels.cell(1, 1, 2), panels.cell(1, 2, 2)
    ep = clean(epoch)
    data = [
        {"type": "scatter", "x": ep, "y": clean(elbo), "name": "ELBO", "line": {"color": ELBO_COLOR, "width": 3}, **c1},
        {"type": "scatter", "x": ep, "y": clean(recon), "name": "reconstruction E[log p(x|z)]",
         "line": {"color": RECON_COLOR}, **c1},
        {"type": "scatter", "x": ep, "y": clean(kl), "name": "KL(q(z|x) ‖ p(z))", "line": {"color": KL_COLOR}, **c2},
        {"type": "scatter", "x": ep, "y": clean(n_active), "name": "active units", "yaxis": "y3",
         "line": {"color": "#1b1f24", "dash": "dash", "shape": "hv"}, "xaxis": c2["xaxis"]},
    ]
    if kl_weight is not None and cfg_varies(kl_weight):
        data.append({"type": "scatter", "x": ep, "y": clean(kl_weight), "name": "KL weight (annealing)", "yaxis": "y3",
                     "line": {"color": theme.CATEGORICAL[3], "dash": "dot"}, "xaxis": c2["xaxis"]})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x")["title"] = {"text": "epoch"}
    panels.axis(lay, 1, 1, 2, "y")["title"] = {"text": "nats per image"}
    panels.axis(lay, 1, 2, 2, "y")["title"] = {"text": "KL (nats)"}
    lay["yaxis3"] = {"overlaying": "y2", "side": "right", "title": {"text": "active units / KL weight"},
                     "range": [0, max(latent, 1) + 0.5], "showgrid": False, "anchor": c2["xaxis"]}
    lay.update(height=360, legend={"orientation": "h", "y": -0.22, "x": 0}, margin={"l": 60, "r": 60, "t": 60, "b": 40},
               title={"text": "Training: the ELBO and its two terms"})
    return panels.figure(data, lay)


def cfg_varies(a) -> bool:
    a = np.asarray(a, dtype=float)
    return a.size > 1 and float(np.nanmax(a) - np.nanmin(a)) > 0


def kl_dims_figure(epoch, kl_dims: np.ndarray, active=None, title: str = "KL per latent dimension over training"
                   ) -> go.Figure:
    """Heatmap of each latent dimension's test KL (nats) ``[T, d]`` over epochs ``[T]``: a
    collapsed dimension is a dark row at 0."""
    k = np.asarray(kl_dims, dtype=float)
    d = k.shape[1] if k.ndim == 2 else 0
    labels = [f"z{j + 1}" + ("" if active is None else (" ●" if active[j] else " ○")) for j in range(d)]
    fig = go.Figure(go.Heatmap(z=k.T.tolist() if d else [[0]], x=clean(epoch) if d else [0], y=labels or ["z1"],
                               colorscale="Viridis", zmin=0, colorbar=dict(title=dict(text="nats")),
                               hovertemplate="epoch %{x}<br>%{y}<br>KL %{z:.3f} nats<extra></extra>"))
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=max(240, 90 + 16 * d),
                      xaxis_title="epoch", yaxis_title="latent dimension (● active)")
    return fig


def rate_distortion_figure(kl, recon, epoch, points=None, title: str = "Rate–distortion: the β trade-off"
                           ) -> go.Figure:
    """The run's path in the plane rate (KL, nats) × distortion (−E log p(x|z), nats), each
    ``[T]``, over lines of equal −ELBO = D + R. ``points``: optional list of (label, R, D)."""
    r, dist = np.asarray(kl, dtype=float), -np.asarray(recon, dtype=float)
    fin = np.isfinite(r) & np.isfinite(dist)
    data = []
    shapes = []
    if fin.any():
        lo = float(np.min(r[fin] + dist[fin]))
        for c in (lo, lo + 10, lo + 25):
            shapes.append({"type": "line", "x0": 0, "y0": c, "x1": c, "y1": 0,
                           "line": {"color": "#c3c9d0", "dash": "dot", "width": 1}})
    data.append(go.Scatter(x=clean(r), y=clean(dist), mode="lines+markers", name="this run",
                           marker=dict(size=5, color=clean(epoch), colorscale="Blues", showscale=False),
                           line=dict(color=theme.CATEGORICAL[0]),
                           hovertemplate="epoch %{text}<br>rate %{x:.2f} nats<br>distortion %{y:.1f} nats<extra></extra>",
                           text=[str(int(e)) for e in np.asarray(epoch)]))
    for i, (lab, rr, dd) in enumerate(points or []):
        data.append(go.Scatter(x=[rr], y=[dd], mode="markers+text", text=[lab], textposition="top center",
                               name=lab, marker=dict(size=11, color=theme.CATEGORICAL[(i + 1) % 8])))
    fig = go.Figure(data)
    if fin.any():
        fig.update_xaxes(range=[0, float(np.max(r[fin])) * 1.15 + 0.5])
        fig.update_yaxes(range=[float(np.min(dist[fin])) * 0.97, float(np.percentile(dist[fin], 90)) * 1.03 + 1])
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=360, shapes=shapes, showlegend=bool(points),
                      xaxis_title="rate R = KL (nats)", yaxis_title="distortion D = −E[log p(x|z)] (nats)")
    return fig


def recon_figure(x_show: np.ndarray, x_recon: np.ndarray, title: str = "Test digits and their reconstructions"
                 ) -> go.Figure:
    """Inputs ``[N, 28, 28]`` over decoded posterior means ``[N, 28, 28]``."""
    from explorer.viz.autoencoders import image_rows

    return image_rows([x_show, x_recon], ["input x", "decode(μ(x))"], title=title, tile_px=70)


def reparam_figure(z: np.ndarray, eps: np.ndarray, running: dict, truth: tuple, mu: float, sigma: float,
                   fn_label: str, shown: int = 60) -> go.Figure:
    """Left: samples z = μ + σε (first ``shown`` as arrows from ε), the density N(μ, σ²).
    Middle/right: running means over n samples of the two estimators of ∂E[f]/∂μ and ∂E[f]/∂σ
    (``running`` maps "g_mu", "s_mu", "g_sigma", "s_sigma" to ``[n]``) and the true value."""
    lay = panels.grid(1, 3, ("z = μ + σ·ε", "∂E[f(z)]/∂μ", "∂E[f(z)]/∂σ"), hgap=0.08)
    n = len(z)
    ns = np.arange(1, n + 1)
    x = np.linspace(min(-3.5, mu - 3.5 * sigma), max(3.5, mu + 3.5 * sigma), 200)
    dens = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))  # noqa: E731
    c1 = panels.cell(1, 1, 3)
    k = min(shown, n)
    data = [
        {"type": "scatter", "x": clean(x), "y": clean(dens(0, 1)), "name": "ε ~ N(0, 1)",
         "line": {"color": "#9aa3ad", "dash": "dot"}, **c1},
        {"type": "scatter", "x": clean(x), "y": clean(dens(mu, sigma)), "name": f"z ~ N({mu:g}, {sigma:g}²)",
         "line": {"color": theme.CATEGORICAL[0], "width": 3}, **c1},
        {"type": "scatter", "x": clean(eps[:k]), "y": [-0.04] * k, "mode": "markers", "name": "ε samples",
         "marker": {"color": "#9aa3ad", "size": 6}, **c1},
        {"type": "scatter", "x": clean(z[:k]), "y": [-0.1] * k, "mode": "markers", "name": "z samples",
         "marker": {"color": theme.CATEGORICAL[0], "size": 6}, **c1},
    ]
    xs, ys = [], []
    for e, zz in zip(eps[:min(k, 25)], z[:min(k, 25)]):
        xs += [float(e), float(zz), None]
        ys += [-0.04, -0.1, None]
    data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "showlegend": False, "hoverinfo": "skip",
                 "line": {"color": "rgba(0,114,178,0.25)", "width": 1}, **c1})
    for c, key, t in ((2, "mu", truth[1]), (3, "sigma", truth[2])):
        cell = panels.cell(1, c, 3)
        first = c == 2
        data += [
            {"type": "scatter", "x": ns, "y": clean(running["s_" + key]), "name": "score function (REINFORCE)",
             "line": {"color": theme.CATEGORICAL[1]}, "legendgroup": "s", "showlegend": first, **cell},
            {"type": "scatter", "x": ns, "y": clean(running["g_" + key]), "name": "reparameterization (autograd)",
             "line": {"color": theme.CATEGORICAL[0], "width": 2.5}, "legendgroup": "g", "showlegend": first, **cell},
            {"type": "scatter", "x": [1, n], "y": [t, t], "name": "true gradient (closed form)", "mode": "lines",
             "line": {"color": "#1b1f24", "dash": "dash"}, "legendgroup": "t", "showlegend": first, **cell},
        ]
        panels.axis(lay, 1, c, 3, "x").update(title={"text": "samples n"}, type="log")
        panels.axis(lay, 1, c, 3, "y")["title"] = {"text": "running mean of the estimate"}
    panels.axis(lay, 1, 1, 3, "x")["title"] = {"text": "value"}
    panels.axis(lay, 1, 1, 3, "y")["title"] = {"text": "density"}
    lay.update(title={"text": f"The reparameterization trick on f(z) = {fn_label}"}, height=400,
               legend={"orientation": "h", "y": -0.25, "x": 0}, margin={"l": 60, "r": 20, "t": 80, "b": 40})
    return panels.figure(data, lay)


CURE_COLORS = {"none": KL_COLOR, "annealing": theme.CATEGORICAL[3], "free bits": RECON_COLOR}


def collapse_figure(epoch, n_active: dict, kl: dict, latent: int,
                    title: str = "Posterior collapse and its cures: active units and KL") -> go.Figure:
    """Left: active units (of ``latent``) per epoch; right: test KL (nats per image) per epoch;
    one line per setting. ``epoch`` ``[T]``; ``n_active``/``kl``: setting name → ``[T]``."""
    lay = panels.grid(1, 2, ("active units (Var_x μ_j > 0.01)", "KL(q(z|x) ‖ p(z)) on the test set"), hgap=0.12)
    ep = clean(epoch)
    data = []
    for k, name in enumerate(n_active):
        color = CURE_COLORS.get(name, theme.CATEGORICAL[k % len(theme.CATEGORICAL)])
        data.append({"type": "scatter", "x": ep, "y": clean(n_active[name]), "name": name, "legendgroup": name,
                     "mode": "lines+markers", "line": {"color": color, "width": 3}, **panels.cell(1, 1, 2)})
        data.append({"type": "scatter", "x": ep, "y": clean(kl[name]), "name": name, "legendgroup": name,
                     "showlegend": False, "mode": "lines+markers", "line": {"color": color, "width": 3},
                     **panels.cell(1, 2, 2)})
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x")["title"] = {"text": "epoch"}
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": f"active units (of {latent})"}, range=[-0.5, latent + 0.5])
    panels.axis(lay, 1, 2, 2, "y")["title"] = {"text": "KL (nats per image)"}
    lay.update(height=360, legend={"orientation": "h", "y": -0.22, "x": 0, "title": {"text": "cure"}},
               margin={"l": 60, "r": 20, "t": 60, "b": 40}, title={"text": title})
    return panels.figure(data, lay)
