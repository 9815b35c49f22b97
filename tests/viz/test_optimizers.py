"""Optimizers figures from tiny arrays: traces, truncation at the step, axes, log ticks."""
import numpy as np
import pytest

from explorer.viz import optimizers as vz


def _grid(n=6):
    xs, ys = np.linspace(-2, 2, n), np.linspace(-1, 3, n)
    return xs, ys, np.add.outer(ys ** 2, xs ** 2)


def _racers():
    t = np.linspace(0, 1, 11)
    a = {"key": "sgd", "name": "SGD", "xy": np.c_[-1 + t, 2 - t], "gap": 10 * (1 - t) + 1e-3}
    b_gap = np.r_[np.full(4, 5.0), np.full(7, np.nan)]  # diverged at step 4
    b = {"key": "adam", "name": "Adam", "xy": np.c_[-1 + 2 * t, 2 + 0 * t] * np.where(np.isnan(b_gap), np.nan, 1)[:, None],
         "gap": b_gap}
    return [a, b]


def test_race_figure_draws_each_racer_up_to_the_step():
    xs, ys, Z = _grid()
    fig = vz.race_figure(xs, ys, Z, _racers(), 6, minima=[(1.0, 1.0)], log_view=True, title="Race")
    assert fig.layout.title.text == "Race"
    assert fig.data[0].type == "contour" and np.asarray(fig.data[0].z).shape == (6, 6)
    named = [t for t in fig.data if t.showlegend is not False and t.name]
    assert [t.name for t in named] == ["SGD", "Adam", "start", "minimum"]
    sgd = named[0]
    assert len(sgd.x) == 7 and sgd.line.color == vz.STYLE["sgd"][0]  # steps 0…6, solid
    ghosts = [t for t in fig.data if t.opacity == 0.35]
    assert len(ghosts) == 4 and len(ghosts[0].x) == 11  # the whole race, faint, on both panels
    dots = [t for t in fig.data if t.type == "scatter" and t.mode == "markers" and t.legendgroup == "adam"]
    assert list(dots[0].x) == [pytest.approx(-1 + 2 * 0.3)]  # where Adam was last alive (step 3)
    assert fig.layout.xaxis.title.text == "x" and fig.layout.xaxis2.title.text == "step"
    assert fig.layout.yaxis2.type == "log" and "f(θ) − f*" in fig.layout.yaxis2.title.text
    assert list(fig.layout.xaxis.range) == [-2, 2] and list(fig.layout.xaxis2.range) == [0, 10]


def test_race_figure_log_view_contours_log_of_the_gap():
    xs, ys, Z = _grid()
    lin = vz.race_figure(xs, ys, Z, _racers(), 0, minima=[(0, 0)], log_view=False, title="t")
    log = vz.race_figure(xs, ys, Z, _racers(), 0, minima=[(0, 0)], log_view=True, title="t")
    np.testing.assert_allclose(lin.data[0].z, Z, rtol=1e-6)
    np.testing.assert_allclose(log.data[0].z, np.log10(Z + 1e-3), rtol=1e-5)


def test_noise_figure_has_three_panels_and_thins_long_paths():
    w1, w2 = np.linspace(-2, 2, 5), np.linspace(-1, 3, 5)
    L = np.ones((5, 5))
    runs = [{"key": "1", "name": "one", "w": np.random.default_rng(0).normal(size=(5001, 2)),
             "gap": np.linspace(1, 1e-3, 5001), "seen": np.arange(5001)},
            {"key": "full", "name": "all", "w": np.zeros((11, 2)), "gap": np.linspace(1, 0.1, 11),
             "seen": 442 * np.arange(11)}]
    fig = vz.noise_figure(w1, w2, L, runs, np.array([0.4, 0.4]), title="Noise", cap=500)
    assert fig.layout.title.text == "Noise"
    paths = [t for t in fig.data if t.xaxis == "x" and t.type == "scatter" and t.legendgroup]
    assert len(paths) == 2 and len(paths[0].x) <= 501 and len(paths[1].x) == 11
    assert fig.layout.xaxis3.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.layout.xaxis.title.text.startswith("w₁") and fig.layout.yaxis.title.text.startswith("w₂")
    assert min(fig.data[-2].x) >= 1  # examples processed on a log axis start at 1
    assert fig.data[-1].name == "least squares w*"


def test_descent_figure_marks_the_optimum_and_the_iterations():
    xs, ys, Z = _grid()
    runs = [{"key": "gd", "name": "GD", "path": np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]]),
             "gap": np.array([1.0, 0.1, 0.0])},
            {"key": "newton", "name": "Newton", "path": np.array([[1.0, 1.0], [0.0, 0.0]]), "gap": np.array([1.0, 0])}]
    fig = vz.descent_figure(xs, ys, Z, runs, (0, 0), title="Q", xlabel="θ₁", ylabel="θ₂")
    assert fig.layout.title.text == "Q" and fig.layout.xaxis.title.text == "θ₁"
    assert fig.layout.xaxis2.title.text == "iteration" and fig.layout.yaxis2.type == "log"
    right = [t for t in fig.data if t.xaxis == "x2"]
    assert [len(t.x) for t in right] == [3, 2]
    assert min(right[0].y) == vz.FLOOR  # an exact 0 is drawn at the floor of the log axis
    assert fig.data[-1].name == "optimum"


def test_log_axis_ticks():
    few = vz.log_axis(np.array([0.03, 2.0]))
    assert few["type"] == "log" and 0.1 in few["tickvals"] and 0.5 in few["tickvals"]
    many = vz.log_axis(np.array([1e-12, 10.0]), np.array([np.nan, -1.0]))
    assert many["dtick"] == 2 and many["range"][0] < -12 < 1 < many["range"][1]
    assert vz.log_axis(np.array([np.nan]))["type"] == "log"


def test_every_optimizer_has_its_own_look():
    looks = [vz.STYLE[k] for k in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw",
                                   "adabelief", "adabound")]
    assert len(set(looks)) == 9
