"""Figures of the regularization lesson from tiny arrays."""
import numpy as np

from explorer.viz import regularization as vz

NAMES = ["none", "L1", "L2"]


def _curves(e=4, m=3):
    ep = np.arange(e)
    return {"epoch": ep, "train": np.linspace(1, 0.1, e)[:, None].repeat(m, 1),
            "val": np.linspace(1, 0.5, e)[:, None].repeat(m, 1), "ens_val": np.linspace(1, 0.4, e),
            "ens_test": np.linspace(1, 0.4, e)}


def test_regression_figure_has_fits_points_and_loss_curves():
    xs = np.linspace(-1, 1, 5)
    preds = np.stack([xs, xs ** 2, -xs])
    fig = vz.regression_figure(xs, preds, NAMES, np.array([0.0, 0.5]), np.array([0.1, 0.2]), np.sin(xs), _curves(),
                               best_epoch=np.array([1, 2, 3]), title="Predictions")
    fits = [t for t in fig.data if t.xaxis in (None, "x") and t.mode == "lines" and t.name in NAMES]
    assert [t.name for t in fits] == NAMES and len(fits[0].y) == 5
    assert len({t.line.color for t in fits}) == 3
    curves = [t for t in fig.data if t.xaxis == "x2" and t.mode == "lines"]
    assert len(curves) == 6 and {t.line.dash for t in curves} == {"dash", None}
    stars = [t for t in fig.data if t.xaxis == "x2" and t.mode == "markers"]
    assert [int(s.x[0]) for s in stars] == [1, 2, 3]
    assert fig.layout.yaxis2.type == "log" and fig.layout.xaxis.title.text == "x"
    assert "Predictions" in fig.layout.annotations[0].text


def test_regression_extras_dropout_samples_best_and_ensemble():
    xs = np.linspace(-1, 1, 4)
    preds = np.stack([xs, -xs])
    c = _curves(m=2)
    fig = vz.regression_figure(xs, preds, ["none", "dropout"], xs, xs, xs, c,
                               extras={"samples": np.zeros((3, 4)), "samples_of": 1})
    samples = [t for t in fig.data if t.legendgroup == "samples"]
    assert len(samples) == 3 and sum(bool(t.showlegend) for t in samples) == 1
    assert any(t.name == "dropout (eval mode)" for t in fig.data)
    fig = vz.regression_figure(xs, preds[:1], ["none"], xs, xs, xs, _curves(m=1), best_epoch=np.array([2]),
                               extras={"best": xs * 0}, stop_epoch=3)
    assert any(t.name == "kept by early stopping" for t in fig.data)
    assert [s.x0 for s in fig.layout.shapes] == [2, 3]
    fig = vz.regression_figure(xs, preds, ["m1", "m2"], xs, xs, xs, c,
                               extras={"members": preds, "mean": preds.mean(0), "std": preds.std(0)})
    assert any(t.name == "ensemble average" for t in fig.data) and any(t.fill == "toself" for t in fig.data)


def test_classification_figure_contours_and_seen_points():
    xs, ys = np.linspace(-1, 1, 6), np.linspace(-1, 1, 5)
    probs = np.random.default_rng(0).uniform(size=(2, 5, 6))
    seen = np.array([[0.0, 0.0, 0.3], [0.5, 0.5, 1.0]])
    fig = vz.classification_figure(xs, ys, probs, ["none", "mixup"], np.array([[0, 0], [1, 1.0]]), np.array([0, 1]),
                                   _curves(m=2), extras={"seen": seen})
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].z).shape == (5, 6)
    contours = [t for t in fig.data if t.type == "contour"]
    assert len(contours) == 2 and all(c.contours.start == 0.5 for c in contours)
    assert any(t.name == "what it trains on" for t in fig.data)
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis2.type == "log"


def test_weights_figure():
    w = np.array([[0.0, 0.0, 0.5, -0.5], [0.2, -0.3, 0.1, 0.0], [1.0, -1.0, 0.5, 0.2]])
    fig = vz.weights_figure(w, NAMES, np.array([0.5, 0.25, 0.0]), np.array([0.5, 0.25, 0.0]), bins=5)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert len(lines) == 3 and sum(lines[0].customdata) == 4
    bar = [t for t in fig.data if t.type == "bar"][0]
    assert list(bar.y) == [50.0, 25.0, 0.0] and "exactly 0" in bar.text[0]
    assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.title.text == "weight value"


def test_reliability_figure_names_the_ece():
    rel = {"conf": np.array([0.6, np.nan, 0.95]), "acc": np.array([0.5, np.nan, 0.9]),
           "count": np.array([3.0, 0.0, 7.0]), "edges": np.linspace(0.5, 1, 4), "ece": 0.07}
    fig = vz.reliability_figure([rel], ["none"])
    line = [t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"][0]
    assert "ECE 0.070" in line.name and len(line.x) == 2
    assert fig.data[0].name == "perfectly calibrated"
    assert fig.layout.yaxis.title.text == "accuracy"


def test_ensemble_figure():
    fig = vz.ensemble_figure(np.array([0.3, 0.5]), ["m1", "m2"], 0.25, xs=np.linspace(0, 1, 3), std=np.ones(3))
    bar = fig.data[0]
    assert list(bar.x) == ["m1", "m2", "ensemble average"] and list(bar.y) == [0.3, 0.5, 0.25]
    assert fig.layout.shapes[0].y0 == 0.4  # the members' mean
    assert fig.data[1].xaxis == "x2"
    fig = vz.ensemble_figure(np.array([0.3, 0.5]), ["m1", "m2"], 0.25)
    assert len(fig.data) == 1 and fig.layout.title.text


def test_log_ticks():
    assert vz.log_ticks([0.1, 1.0]) == [0.1, 0.2, 0.5, 1.0]
    t = vz.log_ticks([1e-4, 10])
    assert len(t) <= 7 and t[0] == 1e-4 and all(b > a for a, b in zip(t, t[1:]))
    assert vz.log_ticks([np.nan, -1]) == [1.0]
