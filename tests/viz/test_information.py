"""Information-theory figures from tiny arrays: traces, titles, ∞ handling."""
import math

import numpy as np

from explorer.viz import information as vz


def test_entropy_figure_bars_surprisal_and_average():
    p = np.array([0.5, 0.5, 0.0])
    s = np.array([1.0, 1.0, np.inf])
    fig = vz.entropy_figure(p, s, 1.0, "bits")
    assert "H = 1.000 bits" in fig.layout.title.text
    assert list(fig.data[0].x) == ["#1", "#2", "#3"] and list(fig.data[0].y) == [0.5, 0.5, 0.0]
    assert list(fig.data[1].x) == ["#1", "#2"]  # an impossible outcome has no finite surprisal to draw
    assert fig.data[2].yaxis == "y2" and list(fig.data[2].y) == [1.0, 1.0]
    assert fig.layout.yaxis2.overlaying == "y"


def test_kl_figure_caps_infinite_terms_and_labels_them():
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    fig = vz.kl_figure(p, q, np.array([-0.3, np.inf]), np.array([0.7, 0.0]), "nats")
    fwd = fig.data[2]
    assert list(fwd.text) == ["-0.300", "∞"] and math.isfinite(fwd.y[1]) and fwd.y[1] > 0.7
    assert [t.name for t in fig.data[:2]] == ["p", "q"] and fig.data[2].xaxis == "x2"
    assert fig.layout.yaxis2.title.text == "term (nats)"


def test_decomposition_adds_up():
    fig = vz.decomposition_figure(1.5, 0.25, 2.0, 0.5, "bits")
    assert list(fig.data[0].x) == [2.0, 1.5] and list(fig.data[1].x) == [0.5, 0.25]
    assert [a.text for a in fig.layout.annotations] == ["= 2.500 bits", "= 1.750 bits"]
    inf = vz.decomposition_figure(1.5, math.inf, 2.0, 0.5, "bits")
    assert inf.layout.annotations[1].text == "= ∞ bits" and "∞" in inf.data[1].text[1]


def test_fits_figure_three_densities():
    x = np.linspace(-5, 5, 101)
    px = np.exp(-0.5 * (x - 2) ** 2) / math.sqrt(2 * math.pi)
    fig = vz.fits_figure(x, px, (0.0, 2.0), (2.0, 1.0), 1.0, {"fwd": "a", "rev": "b"})
    assert len(fig.data) == 4 and "μ = 0.00, σ = 2.00" in fig.data[1].name and "· b" in fig.data[2].name
    np.testing.assert_allclose(fig.data[2].y, px)  # the reverse fit drawn as N(2, 1)


def test_landscapes_figure_two_panels_log_sigma():
    mu, sig = np.linspace(-2, 2, 5), np.geomspace(0.2, 4, 4)
    surf = np.add.outer(np.log(sig) ** 2, mu ** 2)
    path = np.array([[1.0, 1.0], [0.5, 0.8]])
    fig = vz.landscapes_figure(mu, sig, surf, surf + 1, path, path, (0.0, 1.0))
    assert [t.type for t in fig.data].count("contour") == 2
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.data[2].xaxis == "x2" and "1 steps" in fig.data[1].name
    assert list(fig.layout.yaxis.tickvals) == [0.2, 0.5, 1, 2]


def test_mi_figure_and_scatter():
    rho = np.linspace(-0.9, 0.9, 5)
    exact = -0.5 * np.log1p(-rho ** 2)
    fig = vz.mi_figure(rho, exact, rho, exact + 0.01, exact - 0.02, 0.45, (0.1, 0.12, 0.09), "nats", 500)
    assert "500 draws" in fig.layout.title.text and fig.layout.yaxis.title.text == "I(X; Y) (nats)"
    assert list(fig.data[3].y) == [0.1, 0.12, 0.09]
    sc = vz.scatter_figure(np.zeros((10, 2)), 0.5)
    assert sc.data[0].type == "scatter" and "10 draws with ρ = 0.5" in sc.layout.title.text
    assert vz.scatter_figure(np.zeros((4000, 2)), 0.5).data[0].type == "scattergl"
