"""Figures of the schedules lesson: learning rate per update, and the training runs.

Plain NumPy in, plotly Figure out. Every schedule keeps one colour (and dash) across both
figures, so a curve on the first can be found on the second.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.viz import theme
from explorer.viz.optimizers import log_axis

STYLE = {"constant": ("#000000", "dot"), "step": ("#0072B2", "solid"), "exponential": ("#56B4E9", "solid"),
         "cosine": ("#009E73", "solid"), "warm_restarts": ("#E69F00", "solid"), "one_cycle": ("#D55E00", "solid"),
         "warmup": ("#CC79A7", "dash"), "warmup_cosine": ("#CC79A7", "solid")}


def style(key: str, i: int = 0) -> tuple[str, str]:
    """(colour, dash) of a schedule id; unknown ids take the palette in order."""
    return STYLE.get(key, (theme.CATEGORICAL[i % len(theme.CATEGORICAL)], "solid"))


def _fig(data: list, layout: dict) -> go.Figure:
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)


def lr_figure(curves: list[dict], *, title: str, log_y: bool = False, height: int = 380) -> go.Figure:
    """Learning rate per update. curves: dicts with ``key``, ``name``, ``lr`` (T,)."""
    data = []
    for i, c in enumerate(curves):
        color, dash = style(c["key"], i)
        lr = np.asarray(c["lr"], float)
        data.append({"type": "scatter", "mode": "lines", "x": np.arange(len(lr)), "y": lr, "name": c["name"],
                     "line": {"color": color, "width": 2.6, "dash": dash},
                     "hovertemplate": c["name"] + " update %{x}: lr = %{y:.4g}<extra></extra>"})
    layout = {"title": {"text": title}, "height": height,
              "xaxis": {"title": {"text": "update (step)"}},
              "yaxis": {"title": {"text": "learning rate" + (" (log scale)" if log_y else "")},
                        **(log_axis(*[c["lr"] for c in curves]) if log_y else {"rangemode": "tozero"})},
              "legend": {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left"},
              "margin": {"l": 70, "r": 20, "t": 55, "b": 50}}
    return _fig(data, layout)


PANELS = (("train_loss", "training loss (nats)", True), ("test_loss", "test loss (nats)", True),
          ("test_acc", "test accuracy (%)", False))


def training_figure(runs: list[dict], *, title: str, height: int = 420) -> go.Figure:
    """Training loss, test loss and test accuracy vs update, one panel each, for every run.

    runs: dicts with ``key``, ``name``, ``at`` (E,) updates done, ``train_loss``, ``test_loss``
    (E,) in nats, ``test_acc`` (E,) fractions (NaN after a divergence).
    """
    data, layout = [], {}
    width, gap = 0.28, 0.08
    for j, (field, label, log) in enumerate(PANELS):
        ax = "" if j == 0 else str(j + 1)
        x0 = j * (width + gap)
        layout[f"xaxis{ax}"] = {"domain": [x0, x0 + width], "anchor": f"y{ax}", "title": {"text": "update"}}
        scale = log_axis(*[r[field] for r in runs]) if log else {"type": "linear"}
        layout[f"yaxis{ax}"] = {"domain": [0, 1], "anchor": f"x{ax}", "title": {"text": label}, **scale}
        for i, r in enumerate(runs):
            color, dash = style(r["key"], i)
            y = np.asarray(r[field], float) * (100 if field == "test_acc" else 1)
            data.append({"type": "scatter", "mode": "lines", "x": np.asarray(r["at"]), "y": y, "name": r["name"],
                         "legendgroup": r["key"], "showlegend": j == 0,
                         "line": {"color": color, "width": 2.4, "dash": dash}, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                         "hovertemplate": r["name"] + " update %{x}: %{y:.3g}<extra></extra>"})
    layout.update({"title": {"text": title}, "height": height,
                   "legend": {"orientation": "h", "y": -0.2, "x": 0},
                   "margin": {"l": 60, "r": 20, "t": 55, "b": 50}})
    return _fig(data, layout)
