"""Figures of the VAE page, built from tiny arrays."""
from __future__ import annotations

import numpy as np

from explorer.viz import vae as vz

RNG = np.random.default_rng(1)


def test_grid_figure_ticks_are_latent_values():
    fig = vz.grid_figure(RNG.random((9, 28, 28)), 3, (0, 2), 3.0)
    assert len(fig.data) == 1 and fig.data[0].type == "image"
    assert np.asarray(fig.data[0].z).shape == (3 * 56 + 4, 3 * 56 + 4, 3)
    assert list(fig.layout.xaxis.ticktext) == ["-3.0", "+0.0", "+3.0"]
    assert list(fig.layout.yaxis.ticktext) == ["+3.0", "+0.0", "-3.0"]   # top row is +3
    assert fig.layout.xaxis.title.text == "z1" and fig.layout.yaxis.title.text == "z3"


def test_latent_figure():
    mu = RNG.normal(size=(30, 2))
    y = np.arange(30) % 10
    fig = vz.latent_figure(mu, y)
    digits = [t for t in fig.data if t.name in [str(d) for d in range(10)]]
    assert len(digits) == 10 and np.allclose(digits[2].y, mu[y == 2, 1])
    circles = [t for t in fig.data if t.name.startswith("prior")]
    assert len(circles) == 2 and np.isclose(max(circles[1].x), 2.0)
    assert fig.layout.xaxis.title.text == "μ1" and np.allclose(fig.layout.xaxis.range, (-3.3, 3.3))
    far = vz.latent_figure(np.array([[10.0, 0.0], [0.0, 1.0]]), np.array([0, 1]))
    assert far.layout.xaxis.range[1] >= 10.0       # points outside the grid's square stay visible


def test_terms_figure():
    fig = vz.terms_figure([0, 1, 2], [-200, -150, -140], [-195, -140, -128], [5, 10, 12], [0, 2, 2], 2,
                          kl_weight=[0, 0.5, 1])
    names = [t.name for t in fig.data]
    assert names[:4] == ["ELBO", "reconstruction E[log p(x|z)]", "KL(q(z|x) ‖ p(z))", "active units"]
    assert "KL weight (annealing)" in names
    assert fig.data[3].yaxis == "y3" and fig.layout.yaxis3.range == (0, 2.5)
    # no annealing line when the weight is constant
    assert len(vz.terms_figure([0, 1], [-1, -1], [-1, -1], [0, 0], [0, 0], 2, kl_weight=[1, 1]).data) == 4


def test_kl_dims_figure():
    k = np.array([[0.1, 2.0], [0.0, 3.0], [0.0, 3.5]])
    fig = vz.kl_dims_figure([0, 1, 2], k, np.array([False, True]))
    assert np.allclose(np.asarray(fig.data[0].z), k.T)
    assert list(fig.data[0].y) == ["z1 ○", "z2 ●"]
    assert fig.layout.xaxis.title.text == "epoch"


def test_rate_distortion_figure():
    fig = vz.rate_distortion_figure([1.0, 3.0], [-150.0, -120.0], [0, 1], points=[("β=4", 1.0, 160.0)])
    assert list(fig.data[0].x) == [1.0, 3.0] and list(fig.data[0].y) == [150.0, 120.0]
    assert fig.data[1].name == "β=4"
    assert len(fig.layout.shapes) == 3 and fig.layout.shapes[0].x1 == 123.0   # −ELBO = D + R = 123
    assert "rate" in fig.layout.xaxis.title.text


def test_recon_and_reparam_figures():
    imgs = RNG.random((3, 28, 28))
    assert vz.recon_figure(imgs, imgs).data[0].type == "image"
    n = 50
    eps = RNG.normal(size=n)
    z = 0.5 + 2.0 * eps
    run = {k: np.cumsum(RNG.normal(size=n)) / np.arange(1, n + 1) for k in ("g_mu", "s_mu", "g_sigma", "s_sigma")}
    fig = vz.reparam_figure(z, eps, run, (4.25, 1.0, 4.0), 0.5, 2.0, "z²", shown=10)
    assert "z²" in fig.layout.title.text
    truth = [t for t in fig.data if t.name == "true gradient (closed form)"]
    assert [list(t.y) for t in truth] == [[1.0, 1.0], [4.0, 4.0]]
    zs = next(t for t in fig.data if t.name == "z samples")
    assert np.allclose(zs.x, z[:10])
    assert fig.layout.xaxis2.type == "log"


def test_collapse_figure():
    ep = np.arange(4.0)
    act = {"none": np.array([0, 5, 1, 0]), "annealing": np.array([0, 12, 3, 1]), "free bits": np.array([0, 14, 16, 16])}
    kl = {k: v * 0.5 for k, v in act.items()}
    fig = vz.collapse_figure(ep, act, kl, 16)
    assert "collapse" in fig.layout.title.text
    assert [t.name for t in fig.data if t.showlegend is not False] == ["none", "annealing", "free bits"]
    assert len(fig.data) == 6 and list(fig.data[4].y) == [0, 14, 16, 16] and list(fig.data[5].y) == [0, 7, 8, 8]
    assert fig.data[1].xaxis == "x2" and fig.data[0].line.color == fig.data[1].line.color
    assert "active units" in fig.layout.yaxis.title.text and list(fig.layout.yaxis.range) == [-0.5, 16.5]
    assert fig.layout.xaxis2.title.text == "epoch" and "KL" in fig.layout.yaxis2.title.text
