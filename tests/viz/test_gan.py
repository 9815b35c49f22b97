"""GAN figures from tiny arrays: traces, titles, shapes, arrow scaling, PNG images."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from explorer.viz import gan as vz


def snap(k=3, n=6, kind="prob"):
    rng = np.random.default_rng(0)
    grid = np.linspace(-3, 3, 5)
    return {"grid": grid, "d_map": rng.random((5, 5)) if kind == "prob" else rng.normal(size=(5, 5)) * 4,
            "map_kind": kind, "real": rng.normal(size=(n, 2)), "fake": rng.normal(size=(n, 2)),
            "arrows": np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]]), "manifold": rng.normal(size=(2, 3, 4, 2)),
            "mode_counts": np.array([50, 3, 20])[:k], "covered": np.array([True, False, True])[:k], "threshold": 10.0}


HIST = {"step": np.array([0, 10, 20]), "d": np.array([np.nan, 1.2, 1.1]), "g": np.array([np.nan, 0.8, 0.9]),
        "modes": np.array([0, 1, 2]), "hq": np.array([0.0, 0.2, 0.5])}
TARGET = {"anchors": np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), "curve": False,
          "centres": np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), "radius": 0.3}


def by_name(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_arrow_ends_scale_the_longest_to_the_fixed_length_and_keep_directions():
    pts = np.zeros((3, 2))
    tips = vz.arrow_ends(pts, np.array([[3.0, 4.0], [0.3, 0.4], [np.nan, 1.0]]), length=0.5)
    np.testing.assert_allclose(tips[0], [0.3, 0.4])          # ‖(3, 4)‖ = 5 → 0.5
    np.testing.assert_allclose(tips[1], [0.03, 0.04])        # one tenth as long
    np.testing.assert_allclose(tips[2], [0.0, 0.1])          # NaN component dropped
    np.testing.assert_array_equal(vz.arrow_ends(pts, np.zeros((3, 2))), pts)


def test_gan_figure_has_every_layer_of_the_plane_and_the_curves():
    fig = vz.gan_figure(snap(), HIST, show_arrows=True, show_manifold=True, loss="hinge", target=TARGET)
    names = [t.name for t in fig.data]
    for n in ("D", "G(latent grid)", "real", "fake G(z)", "−∂L_G/∂x", "D loss (hinge)", "G loss (hinge)",
              "modes covered", "high-quality share (%)", "samples per mode"):
        assert n in names, n
    assert "GAN" in fig.layout.title.text
    heat = by_name(fig, "D")
    assert np.asarray(heat.z).shape == (5, 5) and heat.zmin == 0 and heat.zmax == 1
    arrows = by_name(fig, "−∂L_G/∂x")
    assert len(arrows.x) == 9 and arrows.x[2] is None      # 3 segments, None-separated
    f = snap()["fake"]
    np.testing.assert_allclose([arrows.x[1] - arrows.x[0], arrows.y[1] - arrows.y[0]], [0.27, 0.36], atol=2e-3)
    assert arrows.x[0] == by_name(fig, "fake G(z)").x[0] == round(f[0, 0], 3)
    bars = by_name(fig, "samples per mode")
    assert list(bars.y) == [50, 3, 20] and bars.marker.color[1] == vz.MISSED
    # circles for the modes: dashed where the mode is not covered; plus the threshold line
    circles = [s for s in fig.layout.shapes if s.type == "circle"]
    assert len(circles) == 3 and circles[1].line.dash == "dash" and circles[0].line.dash == "solid"
    assert any(s.type == "line" and s.y0 == 10.0 for s in fig.layout.shapes)
    assert np.nanmax(np.asarray(by_name(fig, "high-quality share (%)").y, float)) == 50
    assert fig.layout.xaxis3.title.text == "generator updates" and fig.layout.yaxis2.title.text == "loss"


def test_options_hide_arrows_and_manifold_and_critic_maps_are_centred():
    fig = vz.gan_figure(snap(kind="critic"), HIST, show_arrows=False, show_manifold=False,
                        target={**TARGET, "curve": True})
    names = [t.name for t in fig.data]
    assert "−∂L_G/∂x" not in names and "G(latent grid)" not in names and "target curve" in names
    heat = by_name(fig, "D")
    z = np.asarray(heat.z)
    assert np.isclose((heat.zmin + heat.zmax) / 2, np.median(z), atol=1e-3) and heat.zmax > z.max() - 1e-3
    assert not [s for s in fig.layout.shapes if s.type == "circle"]  # a curve target has no circles


def _decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_dcgan_figure_shows_the_grid_as_a_png_and_the_curves():
    grid = np.zeros((4, 28, 28), np.uint8)
    grid[1] = 255
    hist = {"step": np.array([0, 10]), "d": np.array([np.nan, 1.0]), "g": np.array([np.nan, 2.0]),
            "d_real": np.array([np.nan, 0.8]), "d_fake": np.array([np.nan, 0.3])}
    fig = vz.dcgan_figure(grid, hist, 10)
    pic = _decode(fig.data[0].source)
    assert pic.shape == (2 * 84 + 2, 2 * 84 + 2, 3)       # 2×2 tiles at 3×, 2-pixel gap
    assert pic[:84, 86:].min() == 255 and pic[:84, :84].max() == 0  # tile 2 white, tile 1 black
    assert [t.name for t in fig.data[1:]] == ["D loss", "G loss", "mean D(real digit)", "mean D(G(z))"]
    assert "10 generator updates" in fig.layout.title.text and fig.layout.yaxis3.range == (0, 1)


def test_interpolation_strip_captions_each_image():
    imgs = np.linspace(0, 1, 3)[:, None, None, None] * np.ones((3, 1, 28, 28))
    fig = vz.interpolation_figure(imgs, np.array([5.0, 4.0, 5.5]), "linear", 3, 9, 120)
    assert "Linear" in fig.layout.title.text and "seed 3 to seed 9" in fig.layout.title.text
    assert [a.text for a in fig.layout.annotations] == ["t=0.00<br>‖z‖=5.0", "t=0.50<br>‖z‖=4.0", "t=1.00<br>‖z‖=5.5"]
    pic = _decode(fig.data[0].source)
    assert pic.shape[1] == 3 * 84 + 2 * 6 and pic[0, 0, 0] == 0 and pic[0, -1, 0] == 255


def test_g_loss_shapes_figure():
    p = np.array([0.1, 0.5, 0.9])
    fig = vz.g_loss_shapes(p, {"a": np.log(1 - p), "b": -np.log(p)})
    assert [t.name for t in fig.data] == ["a", "b"] and "Generator loss" in fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text == "G loss"
