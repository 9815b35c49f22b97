"""Figures of the normalization page, built from tiny arrays."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.viz import normalization as vz


def _spec(fig) -> dict:
    return json.loads(fig.to_json())


def _axis_titles(spec: dict) -> dict:
    lay = spec["layout"]
    return {k: (v.get("title") or {}).get("text") for k, v in lay.items() if k.startswith(("xaxis", "yaxis"))}


def test_training_figure():
    steps = np.array([0, 12, 24])
    train = np.array([[2.3, 2.3], [1.0, np.nan], [0.5, np.nan]])
    fig = _spec(vz.training_figure(steps, ["none", "BatchNorm"], train, np.full((3, 2), 0.5)))
    assert len(fig["data"]) == 4 and fig["data"][0]["x"] == [0, 12, 24]
    assert fig["data"][2]["y"] == [2.3, None, None]
    assert fig["layout"]["yaxis"]["type"] == "log"
    titles = _axis_titles(fig)
    assert titles["xaxis"] == "weight updates (steps)" and titles["yaxis2"] == "accuracy"


def test_stats_figure():
    mean = np.random.default_rng(0).random((4, 3, 2))
    std = mean + 0.1
    fig = _spec(vz.stats_figure(np.arange(4), ["none", "BatchNorm", "LayerNorm"], mean, std))
    assert len(fig["data"]) == 3 * 2 * 2
    assert [t["name"] for t in fig["data"] if t.get("showlegend")] == ["layer 1", "layer 2"]
    assert fig["layout"]["yaxis4"]["type"] == "log" and fig["layout"]["yaxis4"]["tickvals"]
    titles = _axis_titles(fig)
    assert titles["yaxis"] == "mean" and titles["yaxis4"] == "std (log scale)" and titles["xaxis4"] == "epoch"


def test_log_ticks():
    assert vz.log_ticks(0.04, 0.9) == [0.05, 0.1, 0.2, 0.5]
    assert vz.log_ticks(1e-6, 1e3) == pytest.approx([1e-6, 1e-4, 1e-2, 1.0, 100.0])


def test_layer_colors():
    assert len(vz.layer_colors(5)) == 5 and len(set(vz.layer_colors(5))) == 5 and len(vz.layer_colors(1)) == 1


def test_study_figure():
    curves = [[(np.array([0.5, 1.0]), np.array([2.0, 1.5])) for _ in range(3)] for _ in range(2)]
    acc = np.array([[0.2, 0.8, 0.9], [0.8, 0.85, 0.9]])
    fig = _spec(vz.study_figure(["BatchNorm", "GroupNorm"], [2, 8, 64], curves, acc - 0.1, acc, acc))
    loss_lines = [t for t in fig["data"] if t.get("x") != [None] and t["xaxis"] == "x"]
    assert len(loss_lines) == 6
    mid = [t for t in fig["data"] if t["xaxis"] == "x2" and t.get("x") != [None]]
    assert len(mid) == 4 and mid[0]["x"] == ["2", "8", "64"]
    names = [t["name"] for t in fig["data"] if t.get("showlegend", True)]
    assert {"batch 2", "batch 64", "BatchNorm", "GroupNorm"} <= set(names)
    titles = _axis_titles(fig)
    assert titles["xaxis2"] == "batch size" and titles["yaxis"] == "cross-entropy"
