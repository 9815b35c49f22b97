"""Figures of the autoencoder page, built from tiny arrays."""
from __future__ import annotations

import numpy as np

from explorer.viz import autoencoders as vz

RNG = np.random.default_rng(0)
IMGS = RNG.random((4, 28, 28))


def test_image_rows_is_one_picture_with_row_labels():
    fig = vz.image_rows([IMGS, IMGS * 0.5], ["input", "reconstruction"], ["a", "b", "c", "d"], title="T")
    assert len(fig.data) == 1 and fig.data[0].type == "image"
    z = np.asarray(fig.data[0].z)
    assert z.shape == (2 * 28 * 3 + 6, 4 * 28 * 3 + 3 * 6, 3)
    # top-left tile holds the first image (scaled ×3), the second row the halved one
    assert z[0, 0, 0] == round(IMGS[0, 0, 0] * 255) and z[28 * 3 + 6, 0, 0] == round(IMGS[0, 0, 0] * 0.5 * 255)
    texts = [a.text for a in fig.layout.annotations]
    assert texts[:2] == ["input", "reconstruction"] and "d" in texts
    assert fig.layout.title.text == "T"


def test_curves_figure():
    fig = vz.curves_figure([0, 1, 2], [300, 200, float("nan")], [290, 210, 150], [0.5, 0.7, 0.8])
    assert [t.name for t in fig.data] == ["train objective", "test reconstruction (BCE)", "AUC (held-out digit)"]
    assert list(fig.data[0].y) == [300.0, 200.0, None]
    assert fig.data[2].xaxis == "x2" and fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.yaxis2.title.text == "AUC" and fig.layout.title.text


def test_code_figure_one_trace_per_digit():
    code = RNG.normal(size=(50, 2))
    labels = np.arange(50) % 10
    fig = vz.code_figure(code, labels, np.array([0.6, 0.2]))
    assert len(fig.data) == 10 and [t.name for t in fig.data] == [str(d) for d in range(10)]
    assert np.allclose(fig.data[3].x, code[labels == 3, 0])
    assert "60 %" in fig.layout.xaxis.title.text
    raw = vz.code_figure(code, labels, projected=False)
    assert raw.layout.xaxis.title.text == "code unit 1"


def test_units_figure_sorted_with_target():
    fig = vz.units_figure(np.array([0.1, 0.5, 0.02]), rho=0.05)
    assert list(fig.data[0].y) == [0.5, 0.1, 0.02]
    assert fig.layout.shapes[0].y0 == 0.05 and fig.layout.xaxis.title.text


def test_anomaly_figure():
    scores = np.r_[RNG.normal(1, 0.1, 40), RNG.normal(2, 0.1, 10)]
    anomalous = np.r_[np.zeros(40, bool), np.ones(10, bool)]
    fig = vz.anomaly_figure(scores, anomalous, np.array([0, 0, 1.0]), np.array([0, 1.0, 1.0]), 1.0, 7, threshold=1.5)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 and np.isclose(sum(bars[0].y), 1) and np.isclose(sum(bars[1].y), 1)
    assert "held-out 7s" in bars[1].name
    roc = next(t for t in fig.data if t.name == "ROC")
    assert list(roc.x) == [0, 0, 1] and roc.xaxis == "x2"
    thr = next(t for t in fig.data if t.name == "threshold")
    assert list(thr.x) == [0.0] and list(thr.y) == [1.0]       # everything separated at 1.5
    assert "AUC = 1.000" in fig.layout.annotations[1].text
    assert fig.layout.xaxis2.title.text == "false-positive rate" and fig.layout.shapes[0].x0 == 1.5
