"""Figures of the losses lesson from tiny arrays."""
import numpy as np

from explorer.viz import losses as vz


def test_robust_fit_figure_shows_points_outliers_and_one_line_per_loss():
    x = np.array([-1.0, 0.0, 1.0, 0.8])
    y = np.array([-0.7, 0.5, 1.7, -6.0])
    out = np.array([False, False, False, True])
    gx = np.linspace(-1, 1, 5)
    lines = {"mse": gx * 0.5, "mae": gx * 1.2, "huber": gx * 1.1}
    fig = vz.robust_fit_figure(x, y, out, gx, 0.5 + 1.2 * gx, lines, {"mse": "MSE", "mae": "MAE", "huber": "Huber"},
                               title="Fits")
    names = [t.name for t in fig.data]
    assert names == ["true line", "points", "outlier", "MSE", "MAE", "Huber"]
    assert len(fig.data[1].x) == 3 and list(fig.data[2].y) == [-6.0]
    assert fig.layout.title.text == "Fits" and fig.layout.xaxis.title.text == "x"
    assert fig.layout.yaxis.range[0] < -6.0  # the outlier is in view
    assert fig.data[3].line.color != fig.data[4].line.color


def test_curves_figure_has_loss_and_derivative_panels_and_marks():
    grid = np.linspace(-3, 3, 7)
    curves = {"mse": (grid ** 2, 2 * grid), "mae": (np.abs(grid), np.sign(grid))}
    fig = vz.curves_figure(grid, curves, {"mse": "MSE", "mae": "MAE"}, kind="regression",
                           marks={"mse": 2.0, "mae": 2.0}, delta=1.0)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 4
    assert sum(1 for t in lines if t.xaxis == "x2") == 2
    stars = [t for t in fig.data if t.mode == "markers"]
    assert len(stars) == 4 and all(s.x[0] == 2.0 for s in stars)
    assert fig.layout.xaxis.title.text.startswith("residual")
    assert len(fig.layout.shapes) == 4  # ±δ on both panels
    texts = [a.text for a in fig.layout.annotations]
    assert any("Loss" in t for t in texts) and any("ψ" in t for t in texts)


def test_margin_curves_plot_the_push_as_minus_the_derivative():
    grid = np.linspace(-2, 2, 5)
    ce = np.log1p(np.exp(-grid))
    d = -1 / (1 + np.exp(grid))
    fig = vz.curves_figure(grid, {"ce": (ce, d)}, {"ce": "CE"}, kind="margin")
    right = [t for t in fig.data if t.xaxis == "x2" and t.name == "CE"][0]
    np.testing.assert_allclose(right.y, -d)
    assert fig.layout.xaxis.title.text.startswith("margin")


def test_imbalance_figure_has_a_panel_per_model():
    xs, ys = np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)
    probs = np.random.default_rng(0).uniform(size=(2, 3, 4))
    xy = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, 0.2]])
    fig = vz.imbalance_figure(xy, np.array([0, 1, 0]), xs, ys, probs, ["CE", "Focal"])
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2 and np.asarray(heat[0].z).shape == (3, 4)
    assert [t.xaxis for t in heat] == ["x", "x2"]
    contours = [t for t in fig.data if t.type == "contour"]
    assert all(c.contours.start == 0.5 for c in contours)
    assert [a.text for a in fig.layout.annotations] == ["<b>CE</b>", "<b>Focal</b>"]
    assert fig.layout.xaxis2.title.text == "x₁"


def test_metrics_and_sweep_figures():
    m = {"ce": {"recall_0": 0.9, "precision_0": 0.95, "recall_1": 0.5, "precision_1": float("nan"),
                "balanced_accuracy": 0.7}}
    fig = vz.metrics_figure(m, {"ce": "CE"})
    assert fig.data[0].type == "bar" and len(fig.data[0].x) == 5 and fig.data[0].text[3] == "–"
    assert fig.layout.yaxis.title.text and fig.layout.title.text
    g = np.array([0.0, 1.0, 2.0])
    fig = vz.gamma_sweep_figure(g, np.array([0.5, 0.6, 0.7]), np.array([0.9, 0.8, 0.8]), np.array([0.95, 0.9, 0.85]),
                                current=1.0)
    assert len(fig.data) == 3 and fig.layout.xaxis.title.text == "focusing parameter γ"
    assert fig.layout.shapes[0].x0 == 1.0
