"""Figures of the seq2seq page, built from tiny arrays."""
from __future__ import annotations

import json
import math

import numpy as np

from explorer.viz import seq2seq as vz


def _spec(fig) -> dict:
    return json.loads(fig.to_json())


def test_training_figure_separates_teacher_forced_from_free_running():
    e = np.array([0, 1, 2])
    keys = ("train", "test", "free", "tf_acc", "free_acc", "free_seq")
    h = {k: np.full((3, 2), i / 10) for i, k in enumerate(keys)}
    h["free"][1:, 1] = np.nan
    fig = _spec(vz.training_figure(e, ["with attention", "without"], h, 0.5))
    assert len(fig["data"]) == 2 * 6 + 3
    model_traces = fig["data"][:12]
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)][:2] == ["with attention", "without"]
    assert model_traces[8]["y"] == [0.2, None, None]  # the second model's free-running loss, diverged
    dashes = [t["line"]["dash"] for t in model_traces[:6]]
    assert dashes == ["solid", "dash", "dot", "solid", "dash", "dot"]
    assert "teacher forcing 50%" in model_traces[0]["hovertemplate"]
    lay = fig["layout"]
    assert lay["yaxis2"]["tickformat"] == ".0%" and lay["xaxis"]["title"]["text"] == "epoch"
    assert lay["title"]["text"].startswith("Trained with teacher forcing")


def test_alignment_figure_labels_rows_and_columns_with_symbols():
    alpha = np.array([[0.0, 0.1, 0.9], [0.2, 0.7, 0.1], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4]])
    fig = _spec(vz.alignment_figure(["1", " ", "3"], ["3", "␣", "1"], alpha, "Where the attention looks"))
    (heat,) = fig["data"]
    assert np.allclose(np.array(heat["z"]), alpha) and heat["zmin"] == 0 and heat["zmax"] == 1
    lay = fig["layout"]
    assert lay["xaxis"]["ticktext"] == ["1", "␣", "3"]
    assert lay["yaxis"]["ticktext"] == ["3", "␣", "1", vz.EOS_LABEL]  # the EOS row is named
    assert lay["yaxis"]["autorange"] == "reversed"
    assert heat["text"][0] == ["", "0.10", "0.90"]
    assert lay["xaxis"]["title"]["text"].startswith("source") and lay["yaxis"]["title"]["text"].startswith("output")


def test_beams_figure_shows_probabilities_best_first():
    rows = [("attention, greedy", "321", -0.1, True), ("attention, beam #1", "321", -0.1, True),
            ("attention, beam #2", "312", -2.3, False), ("plain, greedy", "33…", -5.0, None)]
    fig = _spec(vz.beams_figure(rows, "greedy against beam search"))
    (bars,) = fig["data"]
    assert np.allclose(bars["x"], [math.exp(-0.1), math.exp(-0.1), math.exp(-2.3), math.exp(-5.0)])
    assert bars["text"][2] == "log p = -2.30"
    colors = bars["marker"]["color"]
    assert colors[0] == colors[1] != colors[2] != colors[3]
    assert fig["layout"]["yaxis"]["ticktext"][2] == "attention, beam #2: 312"
    assert fig["layout"]["xaxis"]["range"][0] == 0
