"""Figures of the concepts page from tiny arrays: traces, titles, values."""
import numpy as np

from explorer.viz import concepts as vz


def test_actmax_figure_has_image_curve_and_probabilities():
    img = np.random.default_rng(0).random((3, 28, 28))
    fig = vz.actmax_figure(img, np.array([0, 4, 8]), np.array([0.1, 1.0, 2.0]), np.array([0.2, 0.7, 0.1]),
                           ["a", "b<c", "d"], what="logit of b", step=8, highlight=1)
    kinds = [t.type for t in fig.data]
    assert kinds == ["image", "scatter", "bar"]
    assert np.asarray(fig.data[0].z).shape == (28 * vz.SCALE, 28 * vz.SCALE, 3)
    np.testing.assert_allclose(fig.data[1].y, [0.1, 1.0, 2.0])
    assert list(fig.data[2].x) == ["a", "b&lt;c", "d"]
    assert fig.data[2].marker.color[1] != fig.data[2].marker.color[0]
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "The input after 8 steps" and "logit of b" in titles[1]
    assert fig.layout.xaxis2.title.text == "ascent step" and fig.layout.yaxis3.title.text == "probability"


def test_tcav_figure_bars_errors_and_stars():
    scores = np.array([[[1.0, 0.9], [0.5, 0.7]], [[0.2, 0.4], [0.3, 0.3]]])  # [C=2, L=2, R=2]
    random = np.array([[0.5, 0.6], [0.4, 0.5]])
    sig = np.array([[True, False], [False, False]])
    fig = vz.tcav_figure(["l1", "l2"], ["striped", "round"], scores, random, sig, np.array([[0.01, 0.5], [1, 1]]),
                         cls="stripes")
    assert [t.name for t in fig.data] == ["striped", "round", "random concepts"]
    np.testing.assert_allclose(fig.data[0].y, [0.95, 0.6])
    np.testing.assert_allclose(fig.data[0].error_y.array, [0.05, 0.1])
    assert list(fig.data[0].text) == ["★", ""]
    np.testing.assert_allclose(fig.data[2].y, [0.55, 0.45])
    assert "stripes" in fig.layout.title.text and fig.layout.yaxis.title.text.startswith("TCAV score")
    assert fig.layout.xaxis.title.text.startswith("layer")


def test_probes_figure_lines_chance_and_control():
    acc = np.array([[0.3, 0.6, 0.9], [0.5, 0.5, 0.4]])
    fig = vz.probes_figure(["pixels", "a", "b"], ["label", "size"], acc, np.array([0.2, 0.5]),
                           control=acc * 0.5)
    names = [t.name for t in fig.data]
    assert names == ["label", "label, untrained net", "chance: label", "size", "size, untrained net", "chance: size"]
    np.testing.assert_allclose(fig.data[0].y, [0.3, 0.6, 0.9])
    np.testing.assert_allclose(fig.data[2].y, [0.2, 0.2])
    assert fig.data[2].line.dash == "dot" and fig.data[1].line.dash == "dash"
    assert fig.layout.yaxis.title.text == "test accuracy" and fig.layout.title.text
    assert len(vz.probes_figure(["p", "a"], ["label"], acc[:1, :2], np.array([0.2])).data) == 2


def test_gallery_and_examples_have_titles():
    x = np.zeros((4, 3, 28, 28))
    g = vz.concept_gallery(x, ["striped", "", "round", ""], 2)
    assert g.layout.title.text == "The concepts, drawn in code" and g.data[0].type == "image"
    e = vz.examples_figure(x, np.array([3.0, 2.0, 1.0, 0.5]), ["a", "b", "c", "d"], what="logit of a")
    assert "logit of a" in e.layout.title.text
    assert [a.text for a in e.layout.annotations][0] == "a · 3.00"


def test_attention_figure_has_a_map_per_layer_and_the_rollout():
    att = np.random.default_rng(0).random((2, 2, 4, 4))
    roll = np.full((4, 4), 1 / 16)
    fig = vz.attention_figure(np.zeros((28, 28)), att, roll, title="ViT on digit 3")
    assert [t.type for t in fig.data] == ["heatmap"] * 4
    np.testing.assert_allclose(np.asarray(fig.data[1].z), att[0].mean(0))
    np.testing.assert_allclose(np.asarray(fig.data[3].z), roll)
    assert [a.text for a in fig.layout.annotations][-1] == "rollout, all layers"
    assert fig.layout.title.text == "ViT on digit 3"
