"""One plotly template for the whole app and colour-blind-safe palettes.

Readable on a classroom projector: 15 px text, titles on every chart, light grid.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
CATEGORICAL = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NEGATIVE = "#f59322"   # the peer's orange (−1)
NEUTRAL = "#e8eaeb"    # the peer's grey (0)
POSITIVE = "#0877bd"   # the peer's blue (+1)
DIVERGING = [[0.0, NEGATIVE], [0.5, NEUTRAL], [1.0, POSITIVE]]
TRAIN_COLOR = CATEGORICAL[0]
TEST_COLOR = CATEGORICAL[1]
FONT = dict(family="Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif", size=15, color="#1b1f24")

TEMPLATE = go.layout.Template(
    layout=dict(
        font=FONT,
        title=dict(font=dict(size=17), x=0.0, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(CATEGORICAL),
        margin=dict(l=60, r=20, t=50, b=50),
        xaxis=dict(showgrid=True, gridcolor="#e6e9ee", zeroline=False, ticks="outside", linecolor="#9aa3ad",
                   title=dict(standoff=8)),
        yaxis=dict(showgrid=True, gridcolor="#e6e9ee", zeroline=False, ticks="outside", linecolor="#9aa3ad",
                   title=dict(standoff=8)),
        legend=dict(bgcolor="rgba(255,255,255,0.85)", borderwidth=0, font=dict(size=14)),
        hoverlabel=dict(font=dict(size=14)),
    )
)
pio.templates["explorer"] = TEMPLATE
NAME = "explorer"


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
