"""The explorer's figures from tiny arrays: traces per category, indices as customdata, marks, hover text."""
import numpy as np

from explorer.viz import embeddings as vz


def xy(n=10):
    return np.stack([np.arange(n, dtype=float), np.arange(n, dtype=float) ** 2], 1)


def test_one_trace_per_present_category_with_global_indices():
    cats = np.array([0, 2, 0, 2, 2, 0, 0, 2, 0, 0])
    fig = vz.map_figure(xy(), [f"p{i}" for i in range(10)], "T", "PC1", "PC2", categories=cats,
                        names=["zero", "one", "two"])
    assert [t.name for t in fig.data] == ["zero", "two"]  # "one" has no point: no empty legend entry
    np.testing.assert_array_equal(fig.data[1].customdata, [1, 3, 4, 7])
    np.testing.assert_array_equal(fig.data[1].x, [1, 3, 4, 7])
    assert list(fig.data[1].hovertext) == ["p1", "p3", "p4", "p7"]
    assert fig.data[0].marker.color != fig.data[1].marker.color
    assert fig.layout.title.text == "T" and fig.layout.xaxis.title.text == "PC1" and fig.layout.yaxis.title.text == "PC2"


def test_a_scale_gets_one_trace_and_a_colour_bar():
    loss = np.linspace(0, 3, 10)
    fig = vz.map_figure(xy(), ["h"] * 10, "T", "a", "b", scale=loss, scale_title="loss (nats)", scale_range=(0, 2),
                        index=np.arange(10) + 100)
    (t,) = fig.data
    assert t.marker.showscale and t.marker.colorbar.title.text == "loss (nats)"
    assert (t.marker.cmin, t.marker.cmax) == (0, 2)
    np.testing.assert_allclose(t.marker.color, loss)
    np.testing.assert_array_equal(t.customdata, np.arange(10) + 100)


def test_the_chosen_point_and_its_neighbours_are_marked():
    fig = vz.map_figure(xy(), ["h"] * 10, "T", "a", "b", focus=4, near=np.array([3, 5]), near_label="its 2 nearest")
    names = [t.name for t in fig.data]
    assert names[-2:] == ["its 2 nearest", "chosen point"]
    assert list(fig.data[-1].x) == [4.0] and list(fig.data[-1].y) == [16.0]
    assert list(fig.data[-2].x) == [3.0, 5.0]


def test_hover_text_names_label_prediction_loss_and_escapes_html():
    lines = vz.hover_text(np.array([7, 8]), ["<cat>", "dog"], ["dog", "dog"], np.array([0.5, 0.01]), ["test", "train"])
    assert lines[0] == "#7 · label <b>&lt;cat&gt;</b><br>predicted <b>dog</b> · loss 0.5 · test"
    assert vz.hover_text(np.array([1]), ["a"]) == ["#1 · label <b>a</b>"]


def test_input_plane_marks_selection_and_focus():
    x = np.random.default_rng(0).normal(size=(20, 2))
    cats = np.arange(20) % 2
    fig = vz.input_plane_figure(x, cats, ["−1", "+1"], "inputs", focus=2, near=np.array([4, 6]),
                                selected=np.array([1, 2, 3]))
    names = [t.name for t in fig.data]
    assert names == ["−1", "+1", "selected on the map", "its nearest neighbours in the layer", "chosen point"]
    assert fig.data[0].marker.opacity < 0.5  # the rest dims when something is selected
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis.title.text == "x₂"
    np.testing.assert_allclose(fig.data[2].x, x[[1, 2, 3], 0])
