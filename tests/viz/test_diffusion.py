"""Figures of the diffusion page from tiny arrays: traces, frames, titles, axes."""
import numpy as np

from explorer.viz import diffusion as vz

RNG = np.random.default_rng(0)


def test_schedule_figure_has_both_schedules_in_two_panels():
    T = 10
    curves = {"linear": (np.linspace(1, 0.01, T), np.logspace(2, -2, T)),
              "cosine": (np.linspace(1, 0.001, T), np.logspace(3, -3, T))}
    fig = vz.schedule_figure(T, curves)
    assert "T = 10" in fig.layout.title.text
    assert [t.name for t in fig.data] == ["linear", "linear", "cosine", "cosine"]
    assert [t.showlegend for t in fig.data].count(False) == 2
    assert fig.layout.yaxis2.type == "log" and fig.layout.xaxis.title.text == "step t"
    assert list(fig.data[0].x) == list(range(1, 11)) and fig.data[3].y[-1] == 1e-3


def test_forward_points_animation_has_a_frame_per_step():
    frames = RNG.normal(size=(4, 5, 2))
    fig = vz.forward_points_figure(frames, np.array([0, 3, 6, 9]), np.array([1, 0.5, 0.2, 0.01]), "Moons")
    assert len(fig.frames) == 4 and [f.name for f in fig.frames] == ["0", "3", "6", "9"]
    assert fig.frames[2].traces == (1,) and np.allclose(fig.frames[2].data[0].x, frames[2, :, 0].round(4))
    assert "ᾱ = 0.200" in fig.frames[2].layout.title.text
    assert len(fig.layout.sliders[0].steps) == 4 and fig.layout.updatemenus[0].buttons[0].label == "▶ Animate"
    assert fig.layout.xaxis.title.text == "x₁" and len(fig.data) == 2


def test_trajectory_figure_paths_and_frames():
    frames = RNG.normal(size=(3, 6, 2))
    fig = vz.trajectory_figure(np.array([10, 5, 0]), frames, RNG.normal(size=(7, 2)), "DDIM", n_paths=2)
    assert [t.name for t in fig.data] == ["data", "2 paths", "x<sub>t</sub>"]
    xs = list(fig.data[1].x)
    assert len(xs) == 2 * (3 + 1) and xs[3] is None  # two paths of 3 points, separated by gaps
    assert np.isclose(xs[2], frames[2, 0, 0], atol=1e-4)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["10", "5", "0"]
    assert fig.frames[-1].layout.title.text == "DDIM: t = 0"


def test_live_figure_three_panels():
    fig = vz.live_figure([0, 1, 2], [1.0, 0.6, 0.5], [0.9, 0.6, 0.55], [0, 2], [0.0, 0.7], [1.2, 0.3],
                         RNG.normal(size=(5, 2)), RNG.normal(size=(8, 2)), 2)
    names = [t.name for t in fig.data]
    assert names == ["train loss", "held-out loss", "on-data share", "energy distance", "data", "samples"]
    assert fig.data[5].xaxis == "x3" and "epoch 2" in fig.layout.annotations[2].text
    assert fig.layout.title.text.startswith("Training the 2-D denoiser")


def test_live_figure_survives_nan_samples():
    fig = vz.live_figure([0], [np.nan], [np.nan], [0], [0.0], [np.nan], np.full((3, 2), np.nan),
                         RNG.normal(size=(4, 2)), 0)
    assert list(fig.data[5].x) == [0.0, 0.0, 0.0]


def test_comparison_and_samples_grid():
    labels = ("DDPM, 100 steps", "DDIM, 10 steps")
    fig = vz.comparison_figure(labels, np.array([0.5, 0.05]), np.array([0.1, 0.2]), np.array([0.9, 0.8]))
    assert len(fig.data) == 3 and list(fig.data[0].y) == list(labels)
    assert list(fig.data[0].x) == [500.0, 50.0] and fig.layout.xaxis.title.text == "milliseconds"
    assert fig.data[0].marker.color[0] != fig.data[0].marker.color[1]
    g = vz.samples_grid_figure(labels, RNG.normal(size=(2, 4, 2)), RNG.normal(size=(6, 2)))
    assert len(g.data) == 4 and g.data[3].xaxis == "x2"
    assert [a.text for a in g.layout.annotations] == list(labels)


def test_loss_figure_smooths_and_skips_nan():
    losses = np.r_[np.linspace(1, 0.1, 80), np.nan]
    fig = vz.loss_figure(losses, "Loss")
    assert len(fig.data[0].y) == 80 and fig.data[1].name == "mean of 2"
    assert np.isclose(fig.data[1].y[0], 1 - 0.9 / 79 / 2)
    assert fig.layout.yaxis.title.text == "ε-MSE"


def test_latent_figure_one_trace_per_digit_plus_samples():
    z = RNG.normal(size=(30, 2))
    y = np.arange(30) % 3
    fig = vz.latent_figure(z, y, RNG.normal(size=(5, 2)))
    assert [t.name for t in fig.data] == ["digit 0", "digit 1", "digit 2", "diffusion samples"]
    assert len(fig.data[0].x) == 10 and fig.layout.xaxis.title.text == "z₁"
