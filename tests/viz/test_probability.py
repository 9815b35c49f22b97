"""Probability figures from tiny arrays: traces, titles, axes, animation frames."""
import math

import numpy as np

from explorer.viz import probability as vz


def test_continuous_distribution_figure_has_histogram_pdf_and_means():
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    fig = vz.dist_figure(np.linspace(0, 3, 7), np.linspace(1, 0, 7), edges, np.array([0.5, 0.3, 0.2]), False,
                         1.0, 1.1, title="Exp")
    assert fig.layout.title.text == "Exp"
    names = [t.name for t in fig.data]
    assert names == ["samples (histogram)", "pdf f(x)", "mean E[X]", "sample mean"]
    np.testing.assert_allclose(fig.data[0].x, [0.5, 1.5, 2.5])
    np.testing.assert_allclose(fig.data[0].width, [1, 1, 1])
    assert list(fig.data[2].x) == [1.0, 1.0] and fig.layout.yaxis.title.text == "density"


def test_discrete_figure_and_an_undefined_mean():
    fig = vz.dist_figure(np.arange(3.0), np.array([0.2, 0.5, 0.3]), None, np.array([0.25, 0.45, 0.3]), True,
                         math.nan, 1.05, title="Bin")
    assert [t.type for t in fig.data] == ["bar", "scatter", "scatter"]  # no line for a mean that does not exist
    assert fig.data[1].name == "pmf P(X = k)" and fig.layout.xaxis.title.text == "k"


def test_lln_figure_bands_and_growing_frames():
    i = np.array([1, 2, 5, 10, 50, 100])
    fig = vz.lln_figure(i, np.array([2.0, 1.5, 1.2, 0.9, 1.02, 1.0]), 1.0, 1.0, title="LLN", frames=4)
    names = [t.name for t in fig.data]
    assert names == ["μ ± 2σ/√n", "μ ± 1σ/√n", "μ = 1", "running mean x̄ₙ"]
    band = np.asarray(fig.data[1].y)
    np.testing.assert_allclose(band[: len(i)], 1 + 1 / np.sqrt(i))
    assert fig.layout.xaxis.type == "log"
    assert len(fig.frames) == 4 and all(f.traces == (3,) for f in fig.frames)
    lengths = [len(f.data[0].x) for f in fig.frames]
    assert lengths == sorted(lengths) and lengths[-1] == len(i)
    assert fig.layout.updatemenus[0].buttons[0].label == "▶ Animate"
    assert [s.label for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    assert "play" not in fig.layout.updatemenus[0].buttons[0].label.lower()


def test_lln_figure_without_mean_has_no_bands():
    fig = vz.lln_figure(np.array([1, 2, 3]), np.array([0.0, 5.0, -3.0]), math.nan, math.nan, title="Cauchy")
    assert [t.name for t in fig.data] == ["running mean x̄ₙ"]


def test_clt_figure_one_frame_per_size_with_titles():
    sizes = (1, 10)
    edges = [np.linspace(-4.5, 4.5, 10)] * 2
    hist = [np.linspace(0.1, 0.3, 9), np.linspace(0.2, 0.4, 9)]
    fig = vz.clt_figure(sizes, edges, hist, np.array([0.2, 0.03]), True, 1, title="Means")
    assert [f.name for f in fig.frames] == ["1", "10"] and fig.layout.sliders[0].active == 1
    assert "n = 10" in fig.layout.title.text and "0.030" in fig.layout.title.text
    assert "n = 1 " in fig.frames[0].layout.title.text
    assert fig.data[1].name == "N(0, 1)"
    np.testing.assert_allclose(fig.data[0].y, hist[1])
    raw = vz.clt_figure(sizes, edges, hist, np.array([math.nan, math.nan]), False, 0, title="Means")
    assert len(raw.data) == 1 and "infinite variance" in raw.layout.title.text


def test_clt_stats_figure_marks_the_current_size():
    fig = vz.clt_stats_figure((1, 10, 100), np.array([0.2, 0.05, 0.02]), np.array([2.0, 0.6, 0.2]),
                              np.array([2.0, 0.63, 0.2]), 1, 2000)
    assert fig.layout.xaxis.type == "log"
    crit = next(t for t in fig.data if "critical" in t.name)
    assert crit.y[0] == 1.36 / math.sqrt(2000)
    assert list(fig.data[-1].x) == [10] and list(fig.data[-1].y) == [0.05]


def test_mle_figure_contour_path_and_fit():
    mu, sig = np.linspace(-1, 1, 5), np.linspace(0.5, 2, 4)
    surface = -np.add.outer((sig - 1) ** 2, mu ** 2) * 10
    fig = vz.mle_figure(mu, sig, surface, 0.0, (0.0, 1.0), (0.0, 1.0), np.array([[-1, 2], [-0.5, 1.5], [0, 1]]),
                        (0.1, 1.1), np.array([-0.5, 0.2, 0.4]))
    assert fig.data[0].type == "contour" and np.min(fig.data[0].z) >= -30
    path = next(t for t in fig.data if (t.name or "").startswith("BFGS"))
    assert "2 steps" in path.name and list(path.y) == [2, 1.5, 1]
    assert {t.name for t in fig.data[1:]} >= {"MLE (x̄, σ̂) closed form", "true (μ, σ)", "fitted N(μ̂, σ̂²)", "data xᵢ"}
    assert fig.layout.xaxis.title.text == "μ" and fig.layout.yaxis.title.text == "σ"


def test_bernoulli_figure():
    p = np.linspace(0.01, 0.99, 99)
    ll = 3 * np.log(p) + 7 * np.log1p(-p)
    fig = vz.bernoulli_figure(p, ll, 0.3, 0.25, (0.1, 0.6), 3, 10)
    star = next(t for t in fig.data if t.name.startswith("p̂"))
    assert list(star.x) == [0.3] and "3/10" in star.name
    assert np.max(fig.data[1].y) == 0.0  # relative to the peak
    assert "[0.100, 0.600]" in fig.data[0].name


def test_bayes_figures():
    p = np.linspace(0.01, 0.99, 50)
    steps = [{"i": i, "k": i // 2, "prior": np.ones(50), "likelihood": np.full(50, 1.0 + i),
              "posterior": np.full(50, 2.0 + i), "lo": 0.2, "hi": 0.8} for i in (0, 5, 10)]
    fig = vz.bayes_figure(p, steps, 0.6, title="Update")
    assert [f.name for f in fig.frames] == ["0", "5", "10"]
    assert "after 10 tosses (5 heads)" in fig.layout.title.text
    band = np.asarray(fig.data[0].y)
    inside = (p >= 0.2) & (p <= 0.8)
    assert np.all(band[inside] == 12.0) and np.all(band[~inside] == 0)
    assert fig.frames[0].traces == (0, 2, 3)  # the prior never changes, so frames leave it alone
    path = vz.bayes_path_figure(np.array([0.5, 0.6, 0.55]), np.array([0.1, 0.2, 0.25]), np.array([0.9, 0.9, 0.85]),
                                np.array([1, 0]), 0.6, 0.9)
    assert path.data[0].name == "90 % credible interval" and len(path.data) == 4
    assert list(path.data[3].x) == [1, 2]
