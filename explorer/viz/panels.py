"""Multi-panel figures built fast from plain dicts (used by the activations and
normalization pages, whose live views redraw several panels every frame).

``make_subplots`` lays out the axes once per shape (cached); traces are dicts placed with
:func:`cell`, and :func:`figure` builds the Figure without per-property validation, which
is what makes a frame cheap (≈2 ms instead of ≈50 ms).
"""
from __future__ import annotations

import copy
import functools

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.viz import theme


@functools.lru_cache(maxsize=64)
def _grid(rows: int, cols: int, titles: tuple, hgap: float, vgap: float) -> dict:
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles or None, horizontal_spacing=hgap,
                        vertical_spacing=vgap)
    out = fig.layout.to_plotly_json()
    out.pop("template", None)
    for a in out.get("annotations", ()):
        a["font"] = {"size": 15}
    return out


def grid(rows: int, cols: int, titles=(), hgap: float = 0.08, vgap: float = 0.12) -> dict:
    """A fresh layout dict with ``rows`` × ``cols`` panels (xaxis…, yaxis…, title annotations)."""
    vgap = vgap if rows > 1 else 0.0
    return copy.deepcopy(_grid(rows, cols, tuple(titles), hgap, vgap))


def cell(r: int, c: int, cols: int) -> dict:
    """Trace keys that put a trace in panel (r, c), 1-based: {"xaxis": "x2", "yaxis": "y2"}."""
    i = (r - 1) * cols + c
    return {"xaxis": "x" if i == 1 else f"x{i}", "yaxis": "y" if i == 1 else f"y{i}"}


def axis(layout: dict, r: int, c: int, cols: int, which: str) -> dict:
    """The layout dict of panel (r, c)'s ``which`` ("x" or "y") axis, to update in place."""
    i = (r - 1) * cols + c
    return layout[f"{which}axis" if i == 1 else f"{which}axis{i}"]


def figure(data: list, layout: dict) -> go.Figure:
    """A Figure with the explorer template, from dicts, unvalidated (plotly accepts them as is)."""
    return go.Figure(data=data, layout={"template": theme.TEMPLATE, **layout}, skip_invalid=False, _validate=False)
