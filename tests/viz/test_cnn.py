"""Figures of the CNN page (and the image helpers), built from tiny arrays."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.viz import cnn as vz
from explorer.viz import images as vimg


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def arr(v) -> np.ndarray:
    """A plotly JSON array: a list, or base64 {"bdata", "dtype"} (with "shape" for 2-D)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=object)


def titles(s: dict) -> dict:
    lay = s["layout"]
    return {k: (v.get("title") or {}).get("text") for k, v in lay.items() if k.startswith(("xaxis", "yaxis"))}


# -- images ---------------------------------------------------------------------------------------------
def test_to_rgb_uint8():
    grey = np.array([[[0.0, 0.5], [1.0, 2.0]]])
    out = vimg.to_rgb_uint8(grey)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[0, 1].tolist() == [128, 128, 128] and out[1, 1].tolist() == [255, 255, 255]  # clipped
    rgb = np.zeros((3, 1, 1))
    rgb[0] = 1
    assert vimg.to_rgb_uint8(rgb)[0, 0].tolist() == [255, 0, 0]


def test_mosaic_places_tiles_in_reading_order():
    imgs = np.stack([np.full((1, 2, 3), v) for v in (0.0, 0.2, 0.4, 0.6, 0.8)])
    m = vimg.mosaic(imgs, ncols=2, pad=1)
    assert m.shape == (3 * 3 - 1, 2 * 4 - 1, 3)
    assert m[0, 0, 0] == 0 and m[0, 4, 0] == round(0.2 * 255) and m[3, 0, 0] == round(0.4 * 255)
    assert m[2, 0].tolist() == [255, 255, 255]  # the gap
    big = vimg.mosaic(imgs[:1], ncols=1, scale=3)
    assert big.shape == (6, 9, 3)


def test_image_grid_has_one_image_trace_and_captions():
    imgs = np.random.default_rng(0).random((5, 1, 8, 8))
    s = spec(vimg.image_grid(imgs, [f"#{i}" for i in range(5)], ncols=3, title="Some images"))
    assert [t["type"] for t in s["data"]] == ["image"]
    assert [a["text"] for a in s["layout"]["annotations"]] == ["#0", "#1", "#2", "#3", "#4"]
    assert s["layout"]["title"]["text"] == "Some images"
    assert spec(vimg.image_grid(np.zeros((0, 1, 8, 8))))["data"][0]["type"] == "image"


# -- training and filters -------------------------------------------------------------------------------
def test_training_figure():
    h = {"epoch": np.array([0, 0.125, 0.25]), "train_loss": np.array([np.nan, 1.2, 0.8]),
         "test_loss": np.array([2.3, 1.0, 0.7]), "train_acc": np.array([np.nan, 0.6, 0.8]),
         "test_acc": np.array([0.1, 0.7, 0.95])}
    s = spec(vz.training_figure(h))
    assert len(s["data"]) == 4 and s["data"][0]["y"] == [None, 1.2, 0.8]
    assert s["layout"]["yaxis"]["type"] == "log" and s["layout"]["yaxis"]["tickvals"]
    assert s["layout"]["yaxis2"]["range"][0] == 0.8  # zoomed in once the run is good
    t = titles(s)
    assert t["xaxis"] == "epochs" and t["yaxis2"] == "accuracy" and s["layout"]["title"]["text"]
    assert [d["name"] for d in s["data"] if d.get("showlegend", True)] == [s["data"][0]["name"], s["data"][1]["name"]]


def test_filters_figure_grey_is_a_symmetric_diverging_heatmap():
    f = np.zeros((6, 1, 5, 5))
    f[2, 0, 1, 1] = -0.7
    f[4, 0, 0, 0] = 0.3
    s = spec(vz.filters_figure(f))
    (h,) = s["data"]
    z = arr(h["z"]) if isinstance(h["z"], dict) else np.array(h["z"], dtype=float)
    assert h["type"] == "heatmap" and h["zmin"] == -0.7 and h["zmax"] == 0.7
    assert z.shape == (5, 6 * 5 + 5 * 1)  # six 5×5 tiles with 1-pixel gaps
    assert "6 filters, 5×5" in s["layout"]["title"]["text"]


def test_filters_figure_rgb_is_a_picture():
    f = np.random.default_rng(1).normal(size=(8, 3, 3, 3))
    s = spec(vz.filters_figure(f))
    assert s["data"][0]["type"] == "image" and "R, G and B" in s["layout"]["title"]["text"]


def test_feature_maps_figure_one_heatmap_per_layer():
    layers = [("conv1", (6, 28, 28), np.random.default_rng(0).random((6, 28, 28))),
              ("pool2", (16, 5, 5), np.random.default_rng(1).random((8, 5, 5)))]
    s = spec(vz.feature_maps_figure(layers))
    assert [d["type"] for d in s["data"]] == ["heatmap", "heatmap"]
    assert s["data"][1]["xaxis"] == "x2" and s["layout"]["yaxis2"]["autorange"] == "reversed"
    texts = [a["text"] for a in s["layout"]["annotations"]]
    assert texts[0] == "conv1 · 6×28×28" and texts[1] == "pool2 · 16×5×5 (first 8 of 16 channels)"
    assert len(s["data"][1]["z"][0]) == 8 * 5 + 7  # 8 tiles, 1-pixel gaps


def test_probs_figure_marks_the_true_class():
    s = spec(vz.probs_figure(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"], true=2))
    bar = s["data"][0]
    assert bar["marker"]["color"][2] == "#009E73" and bar["marker"]["color"][1] == "#0072B2"
    assert titles(s)["xaxis"] == "probability" and "true class" in s["layout"]["title"]["text"]


# -- the confusion matrix ---------------------------------------------------------------------------------
def test_confusion_figure_cells_are_clickable_points():
    m = np.array([[5, 1, 0], [0, 4, 2], [1, 0, 7]])
    s = spec(vz.confusion_figure(m, ["x", "y", "z"], selected=(1, 2)))
    heat, pts = s["data"]
    assert heat["type"] == "heatmap" and pts["type"] == "scatter" and s["layout"]["clickmode"] == "event+select"
    cd = [tuple(c) for c in pts["customdata"]]
    assert len(cd) == 9 and cd[5] == (1, 2)
    assert pts["x"][5] == "z" and pts["y"][5] == "y" and pts["text"][5] == "2" and pts["text"][2] == ""
    widths = pts["marker"]["line"]["width"]
    assert widths[5] == 3 and sum(widths) == 3  # only the selected cell is outlined
    assert "2 (33% of the ys)" in pts["hovertemplate"][5]
    assert titles(s) == {"xaxis": "predicted class", "yaxis": "true class"}


def test_selected_cell_reads_a_selection_event():
    event = {"selection": {"points": [{"x": "z", "y": "y", "customdata": [1, 2]}]}}
    assert vz.selected_cell(event) == (1, 2)

    class Sel:
        points = [{"customdata": [0, 3]}]

    class Event:
        selection = Sel()

    assert vz.selected_cell(Event()) == (0, 3)
    assert vz.selected_cell({"selection": {"points": []}}) is None
    assert vz.selected_cell(None) is None
    assert vz.selected_cell({"selection": {"points": [{"x": 1}]}}) is None


# -- the zoo and gradient flow -------------------------------------------------------------------------------
def test_zoo_figures():
    s = spec(vz.zoo_costs_figure(["A", "B"], [1000, 50_000], [2e5, 3e6]))
    assert [d["type"] for d in s["data"]] == ["bar", "bar"] and s["layout"]["xaxis"]["type"] == "log"
    assert titles(s)["xaxis2"].startswith("MACs")
    r = spec(vz.zoo_results_figure(["A", "B"], [2e5, 3e6], [1000, 50_000], [0.9, float("nan")], [1.5, 3.0], 2))
    assert r["data"][0]["y"] == [0.9, None] and r["data"][1]["x"] == [1.5, 3.0]
    assert "after 2 epochs" in r["layout"]["annotations"][0]["text"]


def test_grad_flow_figure():
    init = {"resnet": np.array([1.0, 0.8, 0.5]), "plain": np.array([50.0, 5.0, 0.5])}
    s = spec(vz.grad_flow_figure(["a", "b", "c"], init, None, 0))
    assert len(s["data"]) == 2 and s["layout"]["yaxis"]["type"] == "log"
    assert s["data"][1]["y"] == [50.0, 5.0, 0.5] and "3 conv layers" in s["layout"]["title"]["text"]
    trained = {"resnet": np.array([0.3, 0.3, 0.3]), "plain": np.array([0.0, 0.01, 0.1])}
    s = spec(vz.grad_flow_figure(["a", "b", "c"], init, trained, 50))
    assert len(s["data"]) == 4 and s["data"][3]["y"] == [None, 0.01, 0.1]  # a zero cannot sit on a log axis
    assert s["data"][1]["name"].endswith("after 50 steps") and s["data"][0]["line"]["dash"] == "dot"
    loss = spec(vz.grad_loss_figure({"resnet": np.array([2.3, 1.9]), "plain": np.array([2.3, 2.2])}))
    assert len(loss["data"]) == 2 and titles(loss)["xaxis"] == "SGD step"


@pytest.mark.parametrize("lo,hi", [(0.5, 3.0), (1e-3, 200.0), (4e4, 2e5)])
def test_log_ticks_lie_in_range(lo, hi):
    ticks = vz.log_ticks(lo, hi)
    assert 1 <= len(ticks) <= 6 and all(lo <= t <= hi for t in ticks)
