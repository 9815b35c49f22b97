"""Figures of the loss-landscape lab: contours, 3-D surfaces, interpolation, spectra.

NumPy in, plotly out. Surfaces are shown as log10(loss) by default (minima are narrow
valleys that a linear colour scale flattens); the colour bar says which.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme

SCALE = "Viridis"


def _z(z: np.ndarray, log: bool) -> np.ndarray:
    return np.log10(np.maximum(z, 1e-12)) if log else z


def _label(log: bool) -> str:
    return "log₁₀ loss" if log else "loss"


def contour_figure(a: np.ndarray, b: np.ndarray, z: np.ndarray, *, title: str, xlabel: str = "direction 1",
                   ylabel: str = "direction 2", path: np.ndarray | None = None, log: bool = True,
                   zrange: tuple | None = None, height: int = 470) -> go.Figure:
    """Filled contours of z (len(b), len(a)) with an optional path (T, 2) drawn on top."""
    zz = _z(z, log)
    lo, hi = zrange if zrange else (float(np.nanmin(zz)), float(np.nanmax(zz)))
    data = [go.Contour(x=a, y=b, z=zz, colorscale=SCALE, zmin=lo, zmax=hi, ncontours=25, name="loss",
                       colorbar=dict(title=dict(text=_label(log)), thickness=14),
                       hovertemplate="a=%{x:.3f}<br>b=%{y:.3f}<br>" + _label(log) + "=%{z:.3f}<extra></extra>")]
    if path is not None and len(path):
        data.append(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="training path",
                               line=dict(color="white", width=2.5), marker=dict(size=5, color="white",
                                                                                 line=dict(color="black", width=1))))
        data.append(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="markers", name="start",
                               marker=dict(size=12, symbol="circle-open", color="#E69F00", line=dict(width=3))))
        data.append(go.Scatter(x=path[-1:, 0], y=path[-1:, 1], mode="markers", name="end",
                               marker=dict(size=13, symbol="star", color="#D55E00")))
    fig = go.Figure(data=data)
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height, xaxis_title=xlabel, yaxis_title=ylabel,
                      legend=dict(orientation="h", y=-0.18, x=0))
    return fig


def surface3d_figure(a: np.ndarray, b: np.ndarray, z: np.ndarray, *, title: str, log: bool = True,
                     height: int = 520) -> go.Figure:
    """A rotatable 3-D surface of z (len(b), len(a))."""
    zz = _z(z, log)
    fig = go.Figure(go.Surface(x=a, y=b, z=zz, colorscale=SCALE, name="loss",
                               colorbar=dict(title=dict(text=_label(log)), thickness=14),
                               contours=dict(z=dict(show=True, usecolormap=True, project_z=True))))
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height,
                      scene=dict(xaxis_title="direction 1", yaxis_title="direction 2", zaxis_title=_label(log),
                                 camera=dict(eye=dict(x=1.5, y=1.5, z=0.9))),
                      margin=dict(l=0, r=0, t=50, b=0))
    return fig


def interpolation_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], *, title: str,
                         log: bool = False, height: int = 380) -> go.Figure:
    """Loss along θ(α) = (1−α)·θ_a + α·θ_b for each named pair: {name: (alphas, losses)}."""
    fig = go.Figure()
    for i, (name, (al, ls)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=al, y=ls, mode="lines", name=name,
                                 line=dict(color=theme.CATEGORICAL[i % len(theme.CATEGORICAL)], width=3)))
    for x0, text in ((0, "α = 0"), (1, "α = 1")):
        fig.add_vline(x=x0, line=dict(color="#888", dash="dot"), annotation_text=text)
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height, xaxis_title="α",
                      yaxis_title="loss", yaxis_type="log" if log else "linear",
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def spectrum_figure(grid: np.ndarray, density: np.ndarray, ritz: list, power_history: list[float], *,
                    title: str, height: int = 380) -> go.Figure:
    """Hessian eigenvalue density (stochastic Lanczos) and power-iteration convergence."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("Eigenvalue density (stochastic Lanczos)", "Power iteration"))
    fig.add_trace(go.Scatter(x=grid, y=density, mode="lines", fill="tozeroy", name="density",
                             line=dict(color=theme.CATEGORICAL[0], width=2.5)), 1, 1)
    vals = np.concatenate([r[0] for r in ritz]) if ritz else np.zeros(0)
    fig.add_trace(go.Scatter(x=vals, y=np.zeros_like(vals), mode="markers", name="Ritz values",
                             marker=dict(symbol="line-ns-open", size=14, color=theme.CATEGORICAL[5])), 1, 1)
    fig.add_trace(go.Scatter(x=np.arange(1, len(power_history) + 1), y=power_history, mode="lines+markers",
                             name="λ estimate", line=dict(color=theme.CATEGORICAL[1], width=2.5)), 1, 2)
    fig.update_xaxes(title_text="eigenvalue λ", row=1, col=1)
    fig.update_yaxes(title_text="density", type="log", row=1, col=1)
    fig.update_xaxes(title_text="iteration", row=1, col=2)
    fig.update_yaxes(title_text="λ (Rayleigh quotient)", row=1, col=2)
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height,
                      legend=dict(orientation="h", y=-0.25, x=0))
    return fig


def compare_figure(a: np.ndarray, b: np.ndarray, z1: np.ndarray, z2: np.ndarray, *, names: tuple[str, str],
                   title: str, log: bool = True, height: int = 440) -> go.Figure:
    """Two surfaces side by side on one colour scale."""
    zz1, zz2 = _z(z1, log), _z(z2, log)
    lo = float(min(np.nanmin(zz1), np.nanmin(zz2)))
    hi = float(max(np.nanmax(zz1), np.nanmax(zz2)))
    fig = make_subplots(rows=1, cols=2, subplot_titles=names, horizontal_spacing=0.08)
    for col, zz in ((1, zz1), (2, zz2)):
        fig.add_trace(go.Contour(x=a, y=b, z=zz, colorscale=SCALE, zmin=lo, zmax=hi, ncontours=25,
                                 showscale=col == 2, name=names[col - 1],
                                 colorbar=dict(title=dict(text=_label(log)), thickness=14)), 1, col)
        fig.update_xaxes(title_text="direction 1", row=1, col=col)
        if col == 1:
            fig.update_yaxes(title_text="direction 2", row=1, col=col)
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height)
    return fig


def training_figure(epochs, train, test, *, title: str = "Training and test loss", height: int = 300) -> go.Figure:
    fig = go.Figure([go.Scatter(x=epochs, y=train, name="train", mode="lines",
                                line=dict(color=theme.TRAIN_COLOR, width=2.5)),
                     go.Scatter(x=epochs, y=test, name="test", mode="lines",
                                line=dict(color=theme.TEST_COLOR, width=2.5, dash="dash"))])
    fig.update_layout(template=theme.TEMPLATE, title=title, height=height, xaxis_title="epoch",
                      yaxis_title="cross-entropy", legend=dict(orientation="h", y=1.02, yanchor="bottom",
                                                                 x=1, xanchor="right"))
    return fig
