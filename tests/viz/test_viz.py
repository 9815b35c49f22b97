"""Figures from tiny arrays: traces, shapes, ranges, colours."""
import io
import json

import numpy as np
from PIL import Image

from explorer.viz import playground as vz
from explorer.viz import raster, theme


def _tiny():
    rng = np.random.default_rng(0)
    sizes = (2, 3, 1)
    maps = [rng.uniform(-1, 1, (n, 20, 20)) for n in sizes]
    weights = [np.array([[0.5, -2.0], [0.05, 4.0], [-0.2, 1.0]]), np.array([[1.0, -1.0, 0.3]])]
    biases = [np.zeros(3), np.zeros(1)]
    return sizes, maps, weights, biases


def test_network_figure_has_a_map_per_neuron_and_edges_by_sign():
    sizes, maps, weights, biases = _tiny()
    fig = vz.network_figure(sizes, ["x₁", "x₂"], maps, weights, biases, title="Net")
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == sum(sizes) and all(np.asarray(h.z).shape == (20, 20) for h in heat)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    colors = {t.line.color for t in lines}
    assert colors == {theme.POSITIVE, theme.NEGATIVE}
    segments = sum(sum(1 for v in t.x if v is None) for t in lines)
    assert segments == 6 + 3  # every weight drawn once
    assert fig.layout.title.text == "Net"
    widths = {t.line.width for t in lines}
    assert min(widths) < max(widths)  # magnitude shows as width


def test_boundary_figure_binary_and_multiclass():
    vals = np.linspace(-1, 1, 25 * 25).reshape(25, 25)
    xy = np.array([[0.0, 0.0], [1.0, 2.0], [9.0, 9.0]])
    fig = vz.boundary_figure(vals, xy, np.array([1.0, -1.0, 1.0]), xy[:1], np.array([1.0]), show_test=True)
    assert fig.data[0].type == "heatmap" and fig.data[0].zmin == -1 and fig.data[0].zmax == 1
    assert len(fig.data[1].x) == 2  # the point outside [-6, 6] is not drawn
    assert [t.name for t in fig.data[1:]] == ["train points", "test points"]
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis.title.text == "x₂"
    probs = np.stack([np.full((10, 10), 0.8), np.full((10, 10), 0.1), np.full((10, 10), 0.1)])
    fig = vz.boundary_figure(probs, xy, np.array([0.0, 1.0, 2.0]), xy, np.array([2.0, 1.0, 0.0]), multiclass=True)
    assert fig.data[0].type == "image" and np.asarray(fig.data[0].z).shape == (10, 10, 3)


def test_loss_figure_and_combined_figure_serialize():
    fig = vz.loss_figure([0, 1, 2], [1.0, 0.5, 0.2], [1.1, 0.6, 0.4], marker=1)
    assert [t.name for t in fig.data] == ["train", "test"] and fig.layout.shapes[0].x0 == 1
    assert fig.layout.xaxis.title.text == "epoch"
    sizes, maps, weights, biases = _tiny()
    net = dict(layer_sizes=sizes, input_labels=["a", "b"], maps=maps, weights=weights, biases=biases)
    bd = dict(values=np.zeros((20, 20)), train_xy=np.zeros((3, 2)), train_y=np.ones(3),
              test_xy=np.zeros((0, 2)), test_y=np.zeros(0))
    fig = vz.playground_figure(net, bd)
    spec = json.loads(fig.to_json())
    axes = {t.get("xaxis", "x") for t in spec["data"]}
    assert axes == {"x", "x2"}
    assert spec["layout"]["xaxis"]["domain"][1] < spec["layout"]["xaxis2"]["domain"][0]


def test_colorize_endpoints_and_png_frame():
    rgb = raster.colorize(np.array([-1.0, 0.0, 1.0, 5.0, np.nan]))
    assert tuple(rgb[0]) == theme.hex_to_rgb(theme.NEGATIVE) and tuple(rgb[1]) == theme.hex_to_rgb(theme.NEUTRAL)
    assert tuple(rgb[2]) == theme.hex_to_rgb(theme.POSITIVE) and tuple(rgb[3]) == tuple(rgb[2])
    sizes, maps, weights, biases = _tiny()
    net = dict(layer_sizes=sizes, input_labels=["a", "b"], maps=maps, weights=weights, biases=biases)
    bd = dict(values=np.ones((100, 100)), train_xy=np.zeros((3, 2)), train_y=np.ones(3),
              test_xy=np.zeros((0, 2)), test_y=np.zeros(0))
    png = raster.playground_png(net, bd, {"epoch": [0, 1], "train": [1.0, 0.5], "test": [1.0, 0.7]},
                                title_net="n", title_out="o")
    img = Image.open(io.BytesIO(png))
    assert img.size == (raster.W, raster.H_TOP + raster.H_LOSS)
    # the output panel is solid blue where the output is +1
    px = np.asarray(img.convert("RGB"))[200, raster.W - 300]
    assert tuple(px) == theme.hex_to_rgb(theme.POSITIVE)
