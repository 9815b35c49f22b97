"""Figures of the from-scratch page from tiny arrays: traces, aggregation, axes, titles."""
import numpy as np
import pytest

from explorer.viz import from_scratch as vz
from explorer.viz import theme


def test_per_epoch_means_and_maxima_with_a_partial_last_epoch():
    v = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    x, m = vz.per_epoch(v, 2)
    np.testing.assert_allclose(x, [1.0, 2.0, 2.5])
    np.testing.assert_allclose(m, [2.0, 4.0, 5.0])
    _, mx = vz.per_epoch(v, 2, "max")
    np.testing.assert_allclose(mx, [3.0, 6.0, 5.0])


def test_per_epoch_skips_non_finite_steps_and_handles_empty():
    x, m = vz.per_epoch(np.array([1.0, np.nan, np.nan, np.nan]), 2)
    assert m[0] == 1.0 and np.isnan(m[1])
    _, mx = vz.per_epoch(np.array([np.nan, 2.0]), 2, "max")
    assert mx[0] == 2.0
    x, m = vz.per_epoch(np.zeros(0), 3)
    assert x.size == 0 and m.size == 0


def _curves(steps=12, spe=4):
    a = np.linspace(1.0, 0.1, steps)
    b = a.copy()
    b[5] += 3e-16
    return {"numpy": a, "torch": b, "steps_per_epoch": spe}


def test_training_figure_with_a_decision_boundary():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 5)
    probs = np.full((3, 5, 5), 1 / 3)
    x = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, 1.0]])
    y = np.array([0, 1, 2])
    fig = vz.training_figure(_curves(), {"kind": "boundary", "xs": xs, "ys": ys, "probs": probs, "x": x, "y": y},
                             title="Epoch 3")
    assert fig.layout.title.text == "Epoch 3"
    kinds = [t.type for t in fig.data]
    assert kinds[0] == "image" and np.asarray(fig.data[0].z).shape == (5, 5, 3)
    names = [t.name for t in fig.data]
    assert {"class 0", "class 1", "class 2", "NumPy network", "PyTorch twin"} <= set(names)
    numpy_tr = next(t for t in fig.data if t.name == "NumPy network")
    torch_tr = next(t for t in fig.data if t.name == "PyTorch twin")
    np.testing.assert_allclose(numpy_tr.x, [1, 2, 3])
    np.testing.assert_allclose(numpy_tr.y, torch_tr.y, atol=1e-15)
    assert numpy_tr.line.color != torch_tr.line.color and torch_tr.line.dash == "dash"
    gap = fig.data[-1]
    assert gap.yaxis == "y3" and fig.layout.yaxis3.type == "log"
    c = _curves()
    step_gap = abs(c["numpy"][5] - c["torch"][5])
    assert step_gap > 0
    np.testing.assert_allclose(gap.y, [vz.GAP_FLOOR, step_gap, vz.GAP_FLOOR])  # an exact 0 is drawn at the floor
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis.title.text == "x₂"
    assert fig.layout.xaxis3.title.text == "epoch" and fig.layout.yaxis2.title.text
    assert fig.layout.xaxis.range[0] == pytest.approx(-1.25)  # half a cell of margin around the grid


def test_training_figure_with_a_confusion_matrix_and_a_huge_gap():
    counts = np.array([[5, 1], [0, 4]])
    c = _curves()
    c["torch"] = c["torch"] + 100.0  # runs that parted: the log axis must reach the gap
    fig = vz.training_figure(c, {"kind": "confusion", "counts": counts}, title="t")
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.array_equal(np.asarray(heat.z), counts)
    assert fig.layout.xaxis.title.text == "predicted digit" and fig.layout.yaxis.title.text == "true digit"
    assert fig.layout.yaxis3.range[1] >= 2.0


def test_point_colours_are_the_categorical_palette():
    xs = ys = np.linspace(0, 1, 4)
    probs = np.stack([np.full((4, 4), 0.9), np.full((4, 4), 0.1)])
    data, axes = vz.boundary_traces(xs, ys, probs, np.array([[0.1, 0.1], [0.9, 0.9]]), np.array([0, 1]))
    assert data[1]["marker"]["color"] == theme.CATEGORICAL[0] and data[2]["marker"]["color"] == theme.CATEGORICAL[1]
    assert axes["yaxis"]["scaleanchor"] == "x"


def test_fd_sweep_figure_is_log_log_with_a_line_per_parameter():
    eps = np.array([1e-2, 1e-5, 1e-8])
    errors = {"W1": np.array([1e-4, 1e-10, 1e-7]), "b1": np.array([1e-4, 0.0, 1e-7])}
    fig = vz.fd_sweep_figure(eps, errors, 1e-5, title="sweep")
    assert fig.layout.title.text == "sweep" and len(fig.data) == 2
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert min(fig.data[1].y) == vz.GAP_FLOOR  # an exact 0 stays on the log axis
    assert fig.layout.shapes[0].x0 == 1e-5
