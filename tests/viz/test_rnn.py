"""Figures of the RNN page, built from tiny arrays."""
from __future__ import annotations

import json
import math

import numpy as np

from explorer.viz import rnn as vz


def _spec(fig) -> dict:
    return json.loads(fig.to_json())


def _axis_titles(spec: dict) -> dict:
    lay = spec["layout"]
    return {k: (v.get("title") or {}).get("text") for k, v in lay.items() if k.startswith(("xaxis", "yaxis"))}


def test_race_figure_draws_loss_and_accuracy_per_cell():
    e = np.array([0, 1, 2])
    train = np.array([[0.7, 0.7], [0.5, np.nan], [0.3, np.nan]])
    fig = _spec(vz.race_figure(e, ["LSTM", "GRU"], train, train + 0.1, np.full((3, 2), 0.5), np.full((3, 2), 0.2)))
    assert len(fig["data"]) == 2 * 4
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["LSTM", "GRU"]
    assert fig["data"][4]["y"] == [0.7, None, None]  # a diverged cell's curve stops
    assert fig["layout"]["title"]["text"].startswith("The race")
    titles = _axis_titles(fig)
    assert titles["xaxis"] == "epoch" and titles["yaxis"] == "cross-entropy" and titles["yaxis2"] == "accuracy"
    one = _spec(vz.race_figure(e, ["LSTM"], train[:, :1], train[:, :1], train[:, :1], train[:, :1],
                               "mean squared error", ("per sequence", None)))
    assert len(one["data"]) == 3 and _axis_titles(one)["yaxis"] == "mean squared error"


def test_gates_figure_stacks_one_heatmap_per_gate_on_two_colour_scales():
    z = np.linspace(0, 1, 12).reshape(4, 3)  # T = 4 steps, H = 3 units
    rows = [("i", "input gate i", z), ("f", "forget gate f", z), ("c", "cell state c", 2 * z - 1)]
    fig = _spec(vz.gates_figure(list("(())"), rows, "Inside the LSTM"))
    heat = fig["data"]
    assert [t["type"] for t in heat] == ["heatmap"] * 3
    assert [t["coloraxis"] for t in heat] == ["coloraxis", "coloraxis", "coloraxis2"]
    assert np.allclose(np.array(heat[0]["z"]), z.T)  # rows are units, columns time steps
    assert heat[0]["x"] == [1, 2, 3, 4] and heat[0]["y"] == [1, 2, 3]
    lay = fig["layout"]
    assert lay["coloraxis"]["cmin"] == 0 and lay["coloraxis2"]["cmin"] == -1
    assert lay["xaxis3"]["ticktext"] == list("(())") and lay["xaxis3"]["showticklabels"]
    assert not lay["xaxis"]["showticklabels"]
    assert {a["text"] for a in lay["annotations"]} == {"input gate i", "forget gate f", "cell state c"}
    assert _axis_titles(fig)["xaxis3"].startswith("time step")
    gru = _spec(vz.gates_figure(list("01"), [("z", "update gate z", z[:2])], "GRU"))
    assert "coloraxis2" not in gru["layout"]


def test_gradient_figure_is_log_scale_with_a_shared_range():
    lengths = [4, 8]
    curves = [[np.array([1e-6, 1e-4, 1e-2, 1.0]), np.geomspace(1e-12, 1, 8)],
              [np.array([0.5, 0.6, 0.8, 1.0]), np.array([0.0] + [0.5] * 7)]]
    fig = _spec(vz.gradient_figure(lengths, ["Vanilla RNN", "LSTM"], [("untrained", curves), ("epoch 9", curves)]))
    assert len(fig["data"]) == 2 * 2 * 2
    assert [t["name"] for t in fig["data"] if t["showlegend"]] == ["T = 4", "T = 8"]
    assert fig["data"][3]["y"][0] is None  # a zero gradient has no place on a log axis
    ranges = {k: tuple(v["range"]) for k, v in fig["layout"].items() if k.startswith("yaxis")}
    assert len(set(ranges.values())) == 1 and all(v["type"] == "log" for k, v in fig["layout"].items()
                                                  if k.startswith("yaxis"))
    lo, hi = next(iter(ranges.values()))
    assert lo < -12 and hi > 0
    titles = {a["text"] for a in fig["layout"]["annotations"]}
    assert {"Vanilla RNN · untrained", "LSTM · epoch 9"} <= titles


def test_trajectory_figure_numbers_the_steps():
    cloud = np.random.default_rng(0).normal(size=(30, 2))
    path = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 1.0]])
    fig = _spec(vz.trajectory_figure(cloud, np.arange(30.0), "open brackets", path, list("(()"),
                                     np.array([0.6, 0.25]), "Hidden state"))
    cloud_t, path_t, start = fig["data"]
    assert path_t["text"] == ["1", "2", "3"] and path_t["customdata"] == list("(()")
    assert path_t["x"] == [0.0, 1.0, 0.5] and start["x"] == [0.0]
    assert cloud_t["marker"]["colorbar"]["title"]["text"] == "open brackets"
    assert fig["layout"]["xaxis"]["title"]["text"] == "PC 1 (60 % of the variance)"
    assert math.isclose(len(cloud_t["x"]), 30)
