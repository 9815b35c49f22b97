"""Figures of the diffusion page: schedules and SNR, forward noising of points and images, the
live 2-D run, animated reverse trajectories, DDPM vs DDIM, latent diffusion. Numpy in, plotly out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme

SCHED_COLOR = {"linear": theme.CATEGORICAL[0], "cosine": theme.CATEGORICAL[1]}
DATA_GREY = "rgba(120,130,140,0.28)"
SAMPLE_COLOR = theme.CATEGORICAL[5]
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf")
BOX = 3.2  # half-width of the square view on standardized 2-D data


def _xy(a) -> tuple[list, list]:
    a = np.asarray(a, dtype=np.float64)
    return np.round(a[:, 0], 4).tolist(), np.round(a[:, 1], 4).tolist()


def schedule_figure(T: int, curves: dict) -> go.Figure:
    """ᾱ_t and log₁₀ SNR against t for each schedule. ``curves``: name → (alpha_bar [T], snr [T])."""
    layout = panels.grid(1, 2, ("signal kept ᾱ<sub>t</sub>", "signal-to-noise ratio ᾱ/(1−ᾱ)"), hgap=0.12)
    t = np.arange(1, T + 1)
    data = []
    for name, (ab, snr) in curves.items():
        c = SCHED_COLOR.get(name, theme.CATEGORICAL[2])
        data.append({"type": "scatter", "x": t.tolist(), "y": np.asarray(ab).tolist(), "name": name,
                     "line": {"color": c, "width": 3}, "legendgroup": name, **panels.cell(1, 1, 2)})
        data.append({"type": "scatter", "x": t.tolist(), "y": np.asarray(snr).tolist(), "name": name,
                     "showlegend": False, "line": {"color": c, "width": 3}, "legendgroup": name,
                     **panels.cell(1, 2, 2)})
    for c in (1, 2):
        panels.axis(layout, 1, c, 2, "x").update(title={"text": "step t"}, range=[0, T])
    panels.axis(layout, 1, 1, 2, "y").update(title={"text": "ᾱ<sub>t</sub>"}, range=[0, 1.02])
    panels.axis(layout, 1, 2, 2, "y").update(title={"text": "SNR (log scale)"}, type="log", exponentformat="power")
    layout.update(title={"text": f"Noise schedules over T = {T} steps"}, height=380,
                  legend={"orientation": "h", "y": -0.28, "x": 0.5, "xanchor": "center"}, margin={"t": 80, "b": 80})
    return panels.figure(data, layout)


def forward_points_figure(frames: np.ndarray, steps: np.ndarray, alpha_bar: np.ndarray, title: str) -> go.Figure:
    """An animation of a 2-D set being noised: frames [F, N, 2] at ``steps`` (0 = the data),
    ``alpha_bar`` [F] the signal kept at each; a slider scrubs through t."""
    x0, y0 = _xy(frames[0])
    data = [{"type": "scattergl", "x": x0, "y": y0, "mode": "markers", "name": "data x₀",
             "marker": {"color": DATA_GREY, "size": 4}},
            {"type": "scattergl", "x": x0, "y": y0, "mode": "markers", "name": "x<sub>t</sub>",
             "marker": {"color": theme.CATEGORICAL[0], "size": 4, "opacity": 0.7}}]
    frames_ = [{"name": str(int(t)), "data": [{"type": "scattergl", "x": _xy(f)[0], "y": _xy(f)[1]}], "traces": [1],
                "layout": {"title": {"text": f"{title}: t = {int(t)}, ᾱ = {a:.3f}"}}}
               for f, t, a in zip(frames, steps, alpha_bar)]
    layout = {"title": {"text": f"{title}: t = 0, ᾱ = 1.000"}, "height": 480,
              "xaxis": {"title": {"text": "x₁"}, "range": [-BOX - 0.8, BOX + 0.8]},
              "yaxis": {"title": {"text": "x₂"}, "range": [-BOX - 0.8, BOX + 0.8], "scaleanchor": "x"},
              "legend": {"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
              **_animation([str(int(t)) for t in steps], [str(int(t)) for t in steps], "t = ", duration=250)}
    return _fast_figure(data, layout, frames_)


def _fast_figure(data: list, layout: dict, frames: list) -> go.Figure:
    """A Figure from plain dicts, unvalidated (a validated frame of 600 points costs ≈ 15 ms)."""
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, frames=frames, skip_invalid=False,
                     _validate=False)


def _animation(names: list[str], labels: list[str], prefix: str, duration: int = 200) -> dict:
    """Layout keys for ▶/⏸ buttons and a slider over the named frames (slider ticks show ``labels``)."""
    def step_args(n):
        return [[n], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}]

    return {"updatemenus": [{"type": "buttons", "direction": "left", "x": 0, "y": -0.12, "xanchor": "left",
                             "yanchor": "top", "showactive": False, "pad": {"r": 8, "t": 8},
                             "buttons": [{"label": "▶ Animate", "method": "animate",
                                          "args": [None, {"frame": {"duration": duration, "redraw": False},
                                                          "transition": {"duration": 0}, "fromcurrent": True}]},
                                         {"label": "⏸", "method": "animate",
                                          "args": [[None], {"mode": "immediate", "frame": {"duration": 0}}]}]}],
            "sliders": [{"active": 0, "x": 0.22, "y": -0.08, "len": 0.78, "yanchor": "top",
                         "currentvalue": {"prefix": prefix, "xanchor": "right"}, "pad": {"t": 10},
                         "steps": [{"label": lab, "method": "animate", "args": step_args(n)}
                                   for n, lab in zip(names, labels)]}],
            "margin": {"b": 110}}


def live_figure(epochs, train, test, q_epochs, on_data, energy, samples: np.ndarray, data: np.ndarray,
                epoch: int) -> go.Figure:
    """The live run: ε-MSE curves, sample quality over epochs, and the current samples over the data."""
    layout = panels.grid(1, 3, ("ε-prediction loss", "sample quality", f"DDIM-20 samples at epoch {epoch:,}"),
                         hgap=0.07)
    dx, dy = _xy(data)
    sx, sy = _xy(np.nan_to_num(samples, nan=0.0))
    tr = [
        {"type": "scatter", "x": list(epochs), "y": list(train), "name": "train loss",
         "line": {"color": theme.TRAIN_COLOR}, **panels.cell(1, 1, 3)},
        {"type": "scatter", "x": list(epochs), "y": list(test), "name": "held-out loss",
         "line": {"color": theme.TEST_COLOR}, **panels.cell(1, 1, 3)},
        {"type": "scatter", "x": list(q_epochs), "y": list(on_data), "name": "on-data share",
         "line": {"color": theme.CATEGORICAL[2]}, **panels.cell(1, 2, 3)},
        {"type": "scatter", "x": list(q_epochs), "y": list(energy), "name": "energy distance",
         "line": {"color": theme.CATEGORICAL[3], "dash": "dot"}, **panels.cell(1, 2, 3)},
        {"type": "scattergl", "x": dx, "y": dy, "mode": "markers", "name": "data",
         "marker": {"color": DATA_GREY, "size": 4}, **panels.cell(1, 3, 3)},
        {"type": "scattergl", "x": sx, "y": sy, "mode": "markers", "name": "samples",
         "marker": {"color": SAMPLE_COLOR, "size": 4, "opacity": 0.8}, **panels.cell(1, 3, 3)},
    ]
    for c in (1, 2):
        panels.axis(layout, 1, c, 3, "x").update(title={"text": "epoch"})
    panels.axis(layout, 1, 1, 3, "y").update(title={"text": "MSE"}, rangemode="tozero")
    panels.axis(layout, 1, 2, 3, "y").update(title={"text": "share · distance"}, range=[0, 1.05])
    panels.axis(layout, 1, 3, 3, "x").update(title={"text": "x₁"}, range=[-BOX, BOX])
    panels.axis(layout, 1, 3, 3, "y").update(title={"text": "x₂"}, range=[-BOX, BOX])
    layout.update(title={"text": "Training the 2-D denoiser ε<sub>θ</sub>(x<sub>t</sub>, t)"}, height=400,
                  legend={"orientation": "h", "y": -0.22, "x": 0}, margin={"t": 80, "b": 90})
    return panels.figure(tr, layout)


def trajectory_figure(steps: np.ndarray, frames: np.ndarray, data: np.ndarray, title: str,
                      n_paths: int = 40) -> go.Figure:
    """Reverse sampling animated: frames [S, N, 2] from x_T (steps[0] = T) to x_0 (steps[-1] = 0),
    drawn over the data, with the full paths of the first ``n_paths`` samples."""
    dx, dy = _xy(data)
    paths = np.asarray(frames[:, :n_paths], np.float64)
    px, py = [], []
    for k in range(paths.shape[1]):
        px += np.round(paths[:, k, 0], 4).tolist() + [None]
        py += np.round(paths[:, k, 1], 4).tolist() + [None]
    first = _xy(frames[0])
    trace_data = [
        {"type": "scattergl", "x": dx, "y": dy, "mode": "markers", "name": "data",
         "marker": {"color": DATA_GREY, "size": 4}},
        {"type": "scatter", "x": px, "y": py, "mode": "lines", "name": f"{paths.shape[1]} paths",
         "line": {"color": "rgba(0,114,178,0.35)", "width": 1}},
        {"type": "scattergl", "x": first[0], "y": first[1], "mode": "markers", "name": "x<sub>t</sub>",
         "marker": {"color": SAMPLE_COLOR, "size": 4, "opacity": 0.8}}]
    frames_ = [{"name": str(i), "data": [{"type": "scattergl", "x": _xy(f)[0], "y": _xy(f)[1]}], "traces": [2],
                "layout": {"title": {"text": f"{title}: t = {int(t)}"}}}
               for i, (f, t) in enumerate(zip(frames, steps))]
    layout = {"title": {"text": f"{title}: t = {int(steps[0])}"}, "height": 460,
              "xaxis": {"title": {"text": "x₁"}, "range": [-BOX - 0.8, BOX + 0.8]},
              "yaxis": {"title": {"text": "x₂"}, "range": [-BOX - 0.8, BOX + 0.8], "scaleanchor": "x"},
              "legend": {"orientation": "h", "y": 1.1, "x": 1, "xanchor": "right"},
              **_animation([str(i) for i in range(len(frames))], [str(int(t)) for t in steps], "t = ", duration=150)}
    return _fast_figure(trace_data, layout, frames_)


def comparison_figure(labels, seconds, energy, on_data) -> go.Figure:
    """DDPM vs DDIM: wall time, energy distance and on-data share per sampler."""
    layout = panels.grid(1, 3, ("wall time (ms)", "energy distance to data (lower is better)",
                                "on-data share (data itself ≈ 0.95)"), hgap=0.09)
    colors = [theme.CATEGORICAL[0]] + [theme.CATEGORICAL[1]] * (len(labels) - 1)
    lab = list(labels)
    vals = (1000 * np.asarray(seconds), np.asarray(energy), np.asarray(on_data))
    fmts = ("{:.0f}", "{:.3f}", "{:.2f}")
    data = [{"type": "bar", "x": v.round(4).tolist(), "y": lab, "orientation": "h", "showlegend": False,
             "marker": {"color": colors}, "text": [f.format(x) for x in v], "textposition": "auto",
             **panels.cell(1, c, 3)} for c, (v, f) in enumerate(zip(vals, fmts), start=1)]
    for c in (1, 2, 3):
        ax = panels.axis(layout, 1, c, 3, "y")
        ax.update(autorange="reversed", showticklabels=c == 1)
    panels.axis(layout, 1, 1, 3, "x").update(title={"text": "milliseconds"}, rangemode="tozero")
    panels.axis(layout, 1, 2, 3, "x").update(title={"text": "energy distance"}, rangemode="tozero")
    panels.axis(layout, 1, 3, 3, "x").update(title={"text": "share"}, range=[0, 1])
    layout.update(title={"text": "DDPM against DDIM on the same trained denoiser and the same x<sub>T</sub>"},
                  height=90 + 42 * len(lab), margin={"l": 130, "t": 80})
    return panels.figure(data, layout)


def samples_grid_figure(labels, samples: np.ndarray, data: np.ndarray) -> go.Figure:
    """One small scatter per sampler: samples [rows, N, 2] over the data."""
    n = len(labels)
    layout = panels.grid(1, n, tuple(labels), hgap=0.02)
    dx, dy = _xy(data)
    tr = []
    for c in range(1, n + 1):
        sx, sy = _xy(np.nan_to_num(samples[c - 1]))
        tr.append({"type": "scattergl", "x": dx, "y": dy, "mode": "markers", "name": "data",
                   "showlegend": c == 1, "marker": {"color": DATA_GREY, "size": 3}, **panels.cell(1, c, n)})
        tr.append({"type": "scattergl", "x": sx, "y": sy, "mode": "markers", "name": "samples",
                   "showlegend": c == 1, "marker": {"color": SAMPLE_COLOR, "size": 3}, **panels.cell(1, c, n)})
        panels.axis(layout, 1, c, n, "x").update(range=[-BOX, BOX], showticklabels=False,
                                                 title={"text": "x₁"})
        panels.axis(layout, 1, c, n, "y").update(range=[-BOX, BOX], showticklabels=False,
                                                 title={"text": "x₂" if c == 1 else ""})
    layout.update(title={"text": "Samples of each sampler"}, height=300,
                  legend={"orientation": "h", "y": -0.15, "x": 0}, margin={"l": 40, "b": 60})
    return panels.figure(tr, layout)


def loss_figure(losses: np.ndarray, title: str) -> go.Figure:
    """A training-loss curve with a moving average."""
    y = np.asarray(losses, np.float64)
    y = y[np.isfinite(y)]
    k = max(1, len(y) // 40)
    smooth = np.convolve(y, np.ones(k) / k, mode="valid") if len(y) >= k else y
    x = np.arange(1, len(y) + 1)
    fig = go.Figure([go.Scatter(x=x.tolist(), y=y.tolist(), name="per step", line=dict(color="#c6ccd3", width=1)),
                     go.Scatter(x=(x[k - 1:] if len(y) >= k else x).tolist(), y=smooth.tolist(),
                                name=f"mean of {k}", line=dict(color=theme.TRAIN_COLOR, width=3))])
    fig.update_layout(template=theme.NAME, title=dict(text=title), height=300,
                      xaxis=dict(title="Adam step"), yaxis=dict(title="ε-MSE", rangemode="tozero"),
                      legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return fig


def latent_figure(latents: np.ndarray, labels: np.ndarray, samples: np.ndarray) -> go.Figure:
    """The VAE's latent means of real digits [N, 2] coloured by digit, and the diffusion samples [M, 2]."""
    fig = go.Figure()
    for d in range(10):
        m = np.asarray(labels) == d
        if m.any():
            x, y = _xy(latents[m])
            fig.add_trace(go.Scattergl(x=x, y=y, mode="markers", name=f"digit {d}",
                                       marker=dict(color=DIGIT_COLORS[d], size=4, opacity=0.45)))
    sx, sy = _xy(np.nan_to_num(samples))
    fig.add_trace(go.Scattergl(x=sx, y=sy, mode="markers", name="diffusion samples",
                               marker=dict(color="black", size=6, symbol="x-thin", line=dict(width=1.5))))
    fig.update_layout(template=theme.NAME, title=dict(text="The VAE's latent space: encoded digits and diffusion "
                                                           "samples"), height=480,
                      xaxis=dict(title="z₁"), yaxis=dict(title="z₂", scaleanchor="x"))
    return fig
