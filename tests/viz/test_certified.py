"""Figures of the certified-robustness lesson from tiny arrays."""
import numpy as np
import pytest
from scipy import stats

from explorer.viz import certified as vz

CLASSES = ["a", "b", "c"]


def test_smoothing_figure_shows_copies_and_votes():
    noisy = np.random.default_rng(0).random((4, 1, 3, 3))
    fig = vz.smoothing_figure(noisy, np.array([10, 980, 10]), CLASSES, sigma=0.25, guess=1, cls=1, p_lower=0.97,
                              radius=0.47, n=1000, alpha=0.001)
    assert sum(t.type == "image" for t in fig.data) == 4
    bar = next(t for t in fig.data if t.type == "bar")
    assert list(bar.y) == [10, 980, 10] and bar.marker.color[1] == vz.CERT_COLOR and bar.marker.color[0] == vz.GREY
    assert "R = 0.470" in fig.layout.title.text and "certified: class b" in fig.layout.title.text


def test_smoothing_figure_says_when_it_abstains():
    fig = vz.smoothing_figure(np.zeros((2, 1, 2, 2)), np.array([5, 6, 0]), CLASSES, sigma=0.5, guess=1, cls=-1,
                              p_lower=0.3, radius=0.0, n=11, alpha=0.01)
    assert "abstains" in fig.layout.title.text
    assert next(t for t in fig.data if t.type == "bar").marker.color[1] == vz.ATTACK_COLOR


def test_radius_figure_is_the_closed_form():
    fig = vz.radius_figure([0.25, 0.5], p_lower=0.99, sigma=0.25, n=1000, alpha=0.001)
    line = fig.data[1]
    i = 200
    assert line.y[i] == pytest.approx(0.5 * stats.norm.ppf(line.x[i]))
    mark = fig.data[2]
    assert mark.y[0] == pytest.approx(0.25 * stats.norm.ppf(0.99))
    assert fig.layout.shapes[0].x0 == pytest.approx(0.001 ** (1 / 1000))


def test_cert_curve_figure_one_line_per_sigma():
    curves = [{"sigma": s, "radii": np.array([0, 0.5, 1.0]), "acc": np.array([0.9, 0.5, 0.0]), "abstain": 0.1,
               "clean_acc": 0.95} for s in (0.12, 0.5)]
    fig = vz.cert_curve_figure(curves, n_images=20, n=1000, model="MLP")
    assert [t.name for t in fig.data] == ["σ = 0.12 (abstains on 10 %)", "σ = 0.5 (abstains on 10 %)"]
    assert list(fig.data[0].y) == [90, 50, 0] and fig.data[0].line.shape == "hv"
    assert fig.layout.xaxis.title.text.startswith("L2 radius")


def test_class_rgb_fades_ties_to_white_and_colours_the_sure():
    p = np.array([[[0.5, 0.5], [0.0, 1.0]]])
    out = vz.class_rgb(p)
    assert out.shape == (1, 2, 3)
    assert out[0, 0].min() > 180  # a tie is pale
    blue = np.array(vz.theme.hex_to_rgb(vz.theme.POSITIVE))
    assert np.abs(out[0, 1].astype(int) - (0.25 * 255 + 0.75 * blue)).max() <= 1


def test_ibp_map_draws_the_three_boxes_around_the_point():
    xs = np.linspace(-6, 6, 5)
    probs = np.full((5, 5, 2), 0.5)
    xy = np.array([[0.0, 0.0], [1.0, 1.0]])
    fig = vz.ibp_map_figure(xs, xs, probs, xy, np.array([0, 1]), np.array([1.0, 2.0]), ibp_eps=0.5, grid_eps=1.0,
                            pgd_eps=1.1, pgd_point=np.array([2.1, 2.0]), eps=0.8, certified=False)
    rects = fig.layout.shapes
    np.testing.assert_allclose([(r.x0, r.x1) for r in rects], [(0.5, 1.5), (1.0 - 1.1, 1.0 + 1.1), (0.2, 1.8)])
    assert rects[2].line.dash == "dash" and rects[2].line.color == vz.ATTACK_COLOR
    names = [t.name for t in fig.data]
    assert "your box ε = 0.8: not certified" in names and "PGD's adversarial point" in names
    assert fig.data[0].type == "image" and fig.data[0].x0 == -6 and fig.data[0].dx == 3
    assert fig.layout.yaxis.scaleanchor == "x"


def test_margin_figure_marks_the_three_radii():
    eps = np.linspace(0, 2, 5)
    fig = vz.margin_figure(eps, np.array([3, 1, -1, -3, -5.0]), np.array([3, 2.5, 2, 0.5, -1.0]), ibp_eps=0.75,
                           grid_eps=1.7, pgd_eps=float("inf"))
    assert [t.name for t in fig.data][0] == "IBP lower bound"
    xs = [s.x0 for s in fig.layout.shapes]
    assert xs == [0.0, 0.75, 1.7]
    assert [a.text for a in fig.layout.annotations] == ["IBP gives up", "true radius"]
