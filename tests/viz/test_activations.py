"""Figures of the activations page, built from tiny arrays."""
from __future__ import annotations

import json

import numpy as np

from explorer.viz import activations as vz


def _spec(fig) -> dict:
    return json.loads(fig.to_json())


def _axis_titles(spec: dict) -> dict:
    lay = spec["layout"]
    return {k: (v.get("title") or {}).get("text") for k, v in lay.items() if k.startswith(("xaxis", "yaxis"))}


X = np.linspace(-2, 2, 5)
F = np.stack([np.tanh(X), np.maximum(X, 0)])
DF = np.stack([1 - np.tanh(X) ** 2, (X > 0).astype(float)])


def test_curves_grid():
    raw = vz.curves_figure(X, ["tanh", "ReLU"], F, DF, [[(-2.0, -1.0)], [(-2.0, 0.0)]], 0.05)
    assert np.allclose(raw.data[0].y, np.tanh(X)) and np.allclose(raw.data[3].y, DF[1])
    fig = _spec(raw)
    lines = [t for t in fig["data"] if t["type"] == "scatter" and t.get("x") != [None]]
    assert len(lines) == 4 and lines[2]["xaxis"] == "x2"
    assert {a["text"] for a in fig["layout"]["annotations"]} >= {"tanh", "ReLU"}
    assert len(fig["layout"]["shapes"]) == 2 and fig["layout"]["shapes"][1]["xref"] == "x2"
    assert "f′" in fig["layout"]["title"]["text"]
    titles = _axis_titles(fig)
    assert titles["xaxis"] == "x" and titles["yaxis"] == "value"
    assert any("flat" in t["name"] for t in fig["data"])


def test_curves_overlay():
    fig = _spec(vz.curves_figure(X, ["tanh", "ReLU"], F, DF, [[], []], 0.05, view="overlay"))
    assert len(fig["data"]) == 4 and [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["tanh", "ReLU"]
    titles = _axis_titles(fig)
    assert titles["yaxis"] == "f(x)" and titles["yaxis2"] == "f′(x)"


def test_dead_run_figure():
    epochs = np.arange(3)
    train = np.array([[0.7, 0.7], [0.5, np.nan], [0.4, np.nan]])
    dead = np.zeros((3, 2, 4))
    dead[2, 0] = [0, 0.5, 1, 0.5]
    fig = _spec(vz.dead_run_figure(epochs, ["ReLU", "GELU"], train, train + 0.1, dead))
    assert len(fig["data"]) == 6
    dead_line = fig["data"][2]
    assert dead_line["xaxis"] == "x2" and dead_line["y"][-1] == 0.5
    assert fig["data"][3]["y"][1] is None  # a diverged model leaves a gap
    titles = _axis_titles(fig)
    assert titles["xaxis"] == "epoch" and titles["yaxis2"] == "share of units dead"


def test_dead_layers_figure():
    dead = np.random.default_rng(0).random((5, 2, 3))
    active = np.random.default_rng(1).random((2, 3, 4))
    active[0, 1, 2] = 0.0
    fig = _spec(vz.dead_layers_figure(np.arange(5), ["ReLU", "ELU"], dead, active, 4))
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heat) == 4
    assert np.array(heat[0]["z"]).shape == (3, 5) and np.array(heat[1]["z"]).shape == (3, 4)
    assert heat[1]["z"][1][2] == 0.0 and heat[1]["coloraxis"] == "coloraxis2"
    assert "epoch 4" in " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert fig["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "dead"


def test_init_figures():
    std = np.array([[1.0, 10.0, 100.0], [1.0, 0.1, 0.0]])
    fig = _spec(vz.init_signal_figure(["N(0, 1)", "small"], std, std[::-1], "ReLU"))
    assert len(fig["data"]) == 4 and fig["layout"]["yaxis"]["type"] == "log"
    assert fig["data"][2]["y"][2] is None  # 0 on a log axis is a gap
    assert "ReLU" in fig["layout"]["title"]["text"]
    edges = np.arange(-2.0, 2.5, 0.5)
    hist = np.zeros((2, 3, len(edges) - 1))
    hist[:, :, 4] = 0.5
    zero = np.full((2, 3), 0.5)
    fig = _spec(vz.init_hist_figure(["a", "b"], edges, hist, zero))
    heat = fig["data"]
    assert len(heat) == 2 and np.array(heat[0]["z"]).shape == (len(edges), 3)
    assert heat[0]["z"][0] == [0.5, 0.5, 0.5]  # the "exactly 0" row
    assert "exactly 0" in fig["layout"]["yaxis"]["ticktext"]
