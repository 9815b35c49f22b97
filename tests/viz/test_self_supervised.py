"""Figures of the self-supervised page from tiny arrays."""
import numpy as np
import plotly.graph_objects as go

from explorer.viz import self_supervised as vz


def imgs(n, v=0.5):
    return np.full((n, 1, 28, 28), v, dtype=np.float32)


def test_pairs_figure_is_one_image_with_named_rows_and_columns():
    fig = vz.pairs_figure(imgs(4, 0.0), imgs(4, 0.5), imgs(4, 1.0), ["a", "b", "c", "d"])
    assert isinstance(fig, go.Figure) and len(fig.data) == 1 and fig.data[0].type == "image"
    assert "positive pair" in fig.layout.title.text
    assert list(fig.layout.yaxis.ticktext) == ["original", "view 1", "view 2"]
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c", "d"]
    z = np.asarray(fig.data[0].z)
    assert z.shape == (3 * 28 * vz.SCALE + 2 * 2 * vz.SCALE, 4 * 28 * vz.SCALE + 3 * 2 * vz.SCALE, 3)
    assert z[0, 0, 0] == 0 and z[-1, -1, 0] == 255  # top row black, bottom row white


def test_live_figure_panels_and_traces():
    e = np.arange(4)
    fig = vz.live_figure(e, [4, 3, 2, 1.5], [4, 3.1, 2.2, 1.9], [0.5, 0.4, 0.3, 0.3], [-1, -2, -2.5, -3], 0.8, 0.1,
                         [0.5, 0.6, 0.7, 0.8], np.linspace(-1, 1, 41), np.ones(40) / 40, np.ones(40) / 40, "NT-Xent")
    names = [t.name for t in fig.data]
    assert names[:2] == ["train loss", "test loss"] and len(fig.data) == 7
    assert "positive pairs (mean 0.80)" in names and "negatives (mean 0.10)" in names
    titles = [a.text for a in fig.layout.annotations]
    assert any("NT-Xent" in t for t in titles) and any("Alignment" in t for t in titles)
    assert "epoch 3" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis4.title.text == "accuracy (%)"
    assert list(fig.data[4].y) == [50, 60, 70, 80]


def test_projection_has_one_trace_per_class():
    xy = np.array([[0, 0], [1, 1], [2, 2], [3, 3.0]])
    fig = vz.projection_figure(xy, np.array([0, 1, 1, 2]), ["0", "1", "2"], "PCA of h", "PCA")
    assert [t.name for t in fig.data] == ["0", "1", "2"]
    assert list(fig.data[1].x) == [1, 2]
    assert fig.layout.xaxis.title.text == "PCA 1" and fig.layout.title.text == "PCA of h"


def test_budget_figure_marks_the_chosen_budget_on_a_log_axis():
    b = np.array([1, 10, 100])
    fig = vz.budget_figure(b, {"ssl": np.array([0.5, 0.8, 0.9]), "sup": np.array([0.3, 0.7, 0.9]),
                               "random": np.array([0.2, 0.5, 0.7])}, 10)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.title.text == "test accuracy (%)"
    assert [t.name for t in fig.data][:3] == ["ssl", "sup", "random"] and list(fig.data[0].y) == [50, 80, 90]
    assert list(fig.data[3].x) == [10, 10] and "10 labels/class" in fig.data[3].name
    assert fig.layout.xaxis.range[0] < 0 < 2 < fig.layout.xaxis.range[1]


def test_mae_figures():
    fig = vz.mae_figure(imgs(3, 1.0), imgs(3, 0.5), imgs(3, 0.2), 4, 7, 8, 16)
    assert "8 of 16 patches" in fig.layout.title.text and "epoch 4" in fig.layout.title.text
    assert list(fig.layout.yaxis.ticktext) == ["masked input", "reconstruction", "original"]
    loss = vz.mae_loss_figure([0, 1], [0.2, 0.1], [0.21, 0.12], [0.2, 0.15])
    assert len(loss.data) == 3 and loss.layout.xaxis.title.text == "epoch"
    assert loss.layout.yaxis.title.text == "mean squared error"


def test_gallery_figure_names_each_row():
    fig = vz.gallery_figure({"original": imgs(2, 0.0), "noise": imgs(2, 0.5), "all together": imgs(2, 1.0)})
    assert list(fig.layout.yaxis.ticktext) == ["original", "noise", "all together"]
    assert "on its own" in fig.layout.title.text and len(fig.data) == 1
