"""The MNIST digit denoiser: preprocessing, U-Net shapes, training determinism and learning."""
import numpy as np
import pytest
import torch

from explorer.engines import diffusion_mnist as dmn

TINY = dict(width=4, batch=8, T=20, n_samples=4)


def fake_digits(n=64, seed=0):
    g = np.random.default_rng(seed)
    x = np.zeros((n, 1, 28, 28), np.float32)
    for i in range(n):  # a bright vertical bar at a random column: a learnable "digit"
        c = g.integers(6, 22)
        x[i, 0, 4:24, c:c + 3] = 1.0
    return x


def test_prepare_pools_and_rescales():
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    t = dmn.prepare(x, 14)
    assert t.shape == (3, 1, 14, 14) and float(t.min()) >= -1 and float(t.max()) <= 1
    manual = x.reshape(3, 1, 14, 2, 14, 2).mean(axis=(3, 5)) * 2 - 1
    np.testing.assert_allclose(t.numpy(), manual, atol=1e-6)
    np.testing.assert_allclose(dmn.prepare(x, 28).numpy(), x * 2 - 1)


def test_unet_keeps_the_shape_and_uses_the_step():
    torch.manual_seed(0)
    net = dmn.UNet(8, 50).eval()
    x = torch.randn(2, 1, 14, 14)
    a, b = net(x, torch.tensor([0, 0])), net(x, torch.tensor([40, 40]))
    assert a.shape == x.shape and not torch.allclose(a, b)


def test_training_is_deterministic_and_shapes_are_right():
    x = fake_digits()
    r1 = dmn.train(dmn.Config(steps=3, **TINY), x, sample_steps=5)
    r2 = dmn.train(dmn.Config(steps=3, **TINY), x, sample_steps=5)
    assert np.array_equal(r1.samples, r2.samples) and np.array_equal(r1.losses, r2.losses)
    assert r1.samples.shape == (4, 1, 14, 14) and 0 <= r1.samples.min() and r1.samples.max() <= 1
    assert r1.strip.shape[0] == 4 and r1.strip.shape[2:] == (1, 14, 14)
    assert r1.strip.shape[1] == len(r1.strip_steps) and r1.strip_steps[0] == 20 and r1.strip_steps[-1] == 0
    assert np.array_equal(r1.strip[:, -1], r1.samples)
    r3 = dmn.train(dmn.Config(steps=3, seed=1, **TINY), x, sample_steps=5)
    assert not np.array_equal(r1.losses, r3.losses)


def test_loss_falls_and_progress_is_reported():
    seen = []
    r = dmn.train(dmn.Config(steps=60, lr=5e-3, **TINY), fake_digits(), progress=lambda f, m: seen.append(f),
                  sample_steps=2)
    assert np.isfinite(r.losses).all() and not r.diverged
    assert r.losses[-15:].mean() < 0.8 * r.losses[:5].mean()
    assert seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen) and seen == sorted(seen)


@pytest.mark.parametrize("field,value", [("steps", 0), ("size", 7), ("schedule", "x"), ("lr", 1), ("width", 1000)])
def test_config_validation(field, value):
    with pytest.raises(ValueError, match=field):
        dmn.Config(**{field: value})
