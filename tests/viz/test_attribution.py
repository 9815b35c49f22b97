"""Figures of the attribution page from tiny arrays: panels, one colour axis, ranges, traces."""
import numpy as np
import pytest

from explorer.viz import attribution as vz


def test_normalize_divides_by_the_99th_percentile_and_clips():
    m = np.arange(-50, 50, dtype=float).reshape(10, 10)
    z, s = vz.normalize(m)
    assert s == pytest.approx(np.percentile(np.abs(m), 99))
    np.testing.assert_allclose(z, np.clip(m / s, -1, 1))
    z0, s0 = vz.normalize(np.zeros((3, 3)))
    assert s0 == 1.0 and not z0.any()
    spike = np.zeros((20, 20))
    spike[0, 0] = 5.0  # 99th percentile 0: falls back to the max
    assert vz.normalize(spike)[1] == 5.0


def test_maps_figure_one_panel_per_method_on_one_colour_axis():
    img = np.random.default_rng(0).uniform(size=(3, 6, 6))
    maps = [("Saliency", np.linspace(-2, 2, 36).reshape(6, 6)), ("Grad-CAM", np.ones((6, 6)))]
    mask = np.zeros((6, 6), bool)
    mask[2:4, 2:4] = True
    fig = vz.maps_figure(img, maps, signed=True, title="Why?", mask=mask)
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in heat] == ["Saliency", "Grad-CAM"]
    assert {t.coloraxis for t in heat} == {"coloraxis"}
    assert fig.layout.coloraxis.cmin == -1 and fig.layout.coloraxis.cmax == 1
    assert len([t for t in fig.data if t.type == "contour"]) == 3  # the mask on the input and both maps
    assert [t.type for t in fig.data].count("image") == 3          # the input, and under each map
    assert np.abs(np.asarray(heat[0].z)).max() == pytest.approx(1.0)
    np.testing.assert_allclose(np.asarray(heat[0].customdata), maps[0][1])  # hover shows the raw values
    assert fig.layout.title.text == "Why?"
    assert [a.text for a in fig.layout.annotations] == ["input", "Saliency", "Grad-CAM"]
    absf = vz.maps_figure(img[:1], maps, signed=False, title="t")
    assert absf.layout.coloraxis.cmin == 0 and min(np.asarray(t.z).min() for t in absf.data if t.type == "heatmap") >= 0


def test_maps_figure_wraps_rows():
    maps = [(f"m{i}", np.eye(4)) for i in range(6)]
    fig = vz.maps_figure(np.zeros((1, 4, 4)), maps, signed=True, title="t", cols=4)
    assert fig.layout.height == 60 + 300 * 2 and "xaxis8" in fig.layout


def test_completeness_figure():
    steps = np.array([2, 4, 8])
    err = np.array([[0.5, 0.25, 0.125], [0.1, 0.0, 0.001]])
    fig = vz.completeness_figure(np.zeros((1, 4, 4)), np.linspace(0, 1, 5), np.arange(5.0), steps,
                                 ["right", "mid"], err, chosen=4, chosen_error=-0.25, gap=1.5, baseline_title="b")
    names = [t.name for t in fig.data]
    assert names == ["baseline", "f(x̄ + α(x − x̄))", "right", "mid", "this page's IG"]
    assert np.asarray(fig.data[3].y).min() > 0          # an exact 0 sits at the log floor
    assert fig.data[-1].x == (4,) and fig.data[-1].y == (0.25,)
    assert fig.layout.xaxis3.type == "log" and fig.layout.yaxis3.type == "log"
    assert "1.5" in fig.layout.title.text and fig.layout.xaxis2.title.text.startswith("α")


def test_sanity_figures():
    maps = np.random.default_rng(1).normal(size=(3, 2, 5, 5))
    fig = vz.sanity_maps_figure(maps, ["trained", "+ fc2", "+ fc1"], ["Saliency", "IG"], signed=False, title="t")
    assert len(fig.data) == 6 and all(np.asarray(t.z).min() >= 0 for t in fig.data)
    texts = [a.text for a in fig.layout.annotations]
    assert "trained" in texts and "IG" in texts
    rho = np.array([[1.0, 1.0], [0.3, np.nan], [0.1, 0.9]])
    r = vz.rho_figure(["trained", "+ fc2", "+ fc1"], ["Saliency", "IG"], rho, mode="cascading", signed=True)
    assert [t.name for t in r.data] == ["Saliency", "IG"]
    assert list(r.data[1].y) == [1.0, None, 0.9]  # NaN (an all-zero map) is a gap, not a point
    assert r.layout.yaxis.title.text == "Spearman ρ" and "cascading" in r.layout.title.text


def test_mask_figure():
    fig = vz.mask_figure(["A", "B"], np.array([0.3, 0.2]), np.array([0.05, 0.02]), 0.14, n=64, model="LeNet-5",
                         random_mean=np.array([0.2, 0.21]), random_ci=np.array([0.01, 0.01]))
    assert [t.name for t in fig.data][:2] == ["trained model", "same net, random weights"]
    np.testing.assert_allclose(fig.data[0].y, [30, 20])
    np.testing.assert_allclose(fig.data[2].y, [14.0, 14.0])
    assert "chance" in fig.data[2].name
    assert "64 test images" in fig.layout.title.text and fig.layout.yaxis.range[1] > 35
