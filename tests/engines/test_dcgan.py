"""The DCGAN engine: interpolation geometry, shapes, determinism, learning signal, validation."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.engines import dcgan


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)  # stand-in "digits": bright strokes on black, cheap and deterministic
    x = np.zeros((128, 1, 28, 28), np.float32)
    for i in range(len(x)):
        r = rng.integers(6, 20)
        x[i, 0, r:r + 3, 6:22] = 1.0
        x[i, 0, 6:22, rng.integers(6, 20)] = 1.0
    return x


CFG = dcgan.Config(channels=8, batch=32)


def angle(u, v):
    return math.acos(np.clip(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))


def test_slerp_hits_the_endpoints_and_walks_the_great_circle_evenly():
    a, b = dcgan.latent(1)[0].astype(np.float64), dcgan.latent(2)[0].astype(np.float64)
    b = b / np.linalg.norm(b) * np.linalg.norm(a)  # same norm: the path stays on one sphere
    t = np.linspace(0, 1, 7)
    z = dcgan.slerp(a, b, t)
    np.testing.assert_allclose(z[0], a, atol=1e-12)
    np.testing.assert_allclose(z[-1], b, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), np.linalg.norm(a), rtol=1e-12)
    omega = angle(a, b)
    steps = [angle(z[i], z[i + 1]) for i in range(6)]
    np.testing.assert_allclose(steps, omega / 6, rtol=1e-9)


def test_lerp_shrinks_the_norm_in_the_middle_and_slerp_does_not():
    a, b = dcgan.latent(3)[0], dcgan.latent(4)[0]
    mid_lin = dcgan.lerp(a, b, np.array([0.5]))[0]
    mid_sph = dcgan.slerp(a, b, np.array([0.5]))[0]
    np.testing.assert_allclose(mid_lin, (a + b) / 2, rtol=1e-6)
    assert np.linalg.norm(mid_lin) < 0.85 * min(np.linalg.norm(a), np.linalg.norm(b))
    assert np.linalg.norm(mid_sph) > 0.95 * min(np.linalg.norm(a), np.linalg.norm(b))


def test_slerp_of_parallel_vectors_is_the_straight_line():
    a = np.array([1.0, 2.0, 3.0])
    t = np.linspace(0, 1, 5)
    np.testing.assert_allclose(dcgan.slerp(a, 2 * a, t), dcgan.lerp(a, 2 * a, t))


def test_latent_is_a_pure_function_of_the_seed():
    np.testing.assert_array_equal(dcgan.latent(5, 3), dcgan.latent(5, 3))
    assert dcgan.latent(5).shape == (1, dcgan.Z_DIM) and not np.array_equal(dcgan.latent(5), dcgan.latent(6))


def test_networks_map_latents_to_digits_and_digits_to_logits():
    g, d = dcgan.Generator(8), dcgan.discriminator(8)
    x = g(torch.randn(5, dcgan.Z_DIM))
    assert x.shape == (5, 1, 28, 28) and float(x.abs().max()) <= 1.0
    assert d(x).shape == (5,)


def test_same_seed_same_run_and_another_seed_differs(digits):
    a, b = dcgan.Trainer(CFG, digits), dcgan.Trainer(CFG, digits)
    sa, sb = a.advance(2), b.advance(2)
    np.testing.assert_array_equal(sa.grid, sb.grid)
    assert sa.train_loss == sb.train_loss and sa.step == 2 * dcgan.ITERS_PER_STEP
    c = dcgan.Trainer(dataclasses.replace(CFG, seed=1), digits).advance(2)
    assert not np.array_equal(sa.grid, c.grid)


def test_snapshot_is_a_fixed_noise_grid_of_uint8_and_losses_are_the_nonsaturating_ones(digits):
    tr = dcgan.Trainer(CFG, digits)
    s0 = tr.snapshot
    assert s0.grid.shape == (dcgan.N_GRID, 28, 28) and s0.grid.dtype == np.uint8 and math.isnan(s0.train_loss)
    s = tr.advance(3)
    assert all(not isinstance(getattr(s, f.name), torch.Tensor) for f in dataclasses.fields(s))
    assert not np.array_equal(s.grid, s0.grid)
    # D learns to tell the stand-in digits from G's early output; its loss is below chance level 2·log 2
    assert s.d_real > s.d_fake and s.train_loss < 2 * math.log(2)
    # the grid is G (eval mode) on the fixed latents, rescaled from [−1, 1] to 0…255
    imgs = tr.generate(tr._z_fixed.numpy())
    np.testing.assert_array_equal(s.grid, (imgs[:, 0] * 255).round().astype(np.uint8))


def test_loss_bookkeeping_matches_the_formula_on_one_batch(digits):
    tr = dcgan.Trainer(CFG, digits)
    real = torch.tensor(digits[:16]) * 2 - 1
    fake = tr.G.eval()(torch.randn(16, dcgan.Z_DIM, generator=torch.Generator().manual_seed(0)))
    tr.D.eval()
    dr, df = tr.D(real), tr.D(fake)
    want = -np.mean(np.log(torch.sigmoid(dr).detach().numpy())) - np.mean(np.log(1 - torch.sigmoid(df).detach().numpy()))
    got = float(F.softplus(-dr).mean() + F.softplus(df).mean())
    assert math.isclose(got, want, rel_tol=1e-5)


def test_interpolation_images_and_norms(digits):
    tr = dcgan.Trainer(CFG, digits)
    imgs, norms = tr.interpolate(1, 2, 5, "slerp")
    assert imgs.shape == (5, 1, 28, 28) and 0 <= imgs.min() and imgs.max() <= 1
    z = dcgan.slerp(dcgan.latent(1)[0], dcgan.latent(2)[0], np.linspace(0, 1, 5))
    np.testing.assert_allclose(norms, np.linalg.norm(z, axis=1), rtol=1e-6)
    np.testing.assert_allclose(imgs[0], tr.generate(dcgan.latent(1))[0], atol=1e-6)
    lin, _ = tr.interpolate(1, 2, 5, "linear")
    np.testing.assert_allclose(lin[[0, -1]], imgs[[0, -1]], atol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        tr.interpolate(1, 2, 5, "cubic")


def test_a_nan_weight_is_reported_as_divergence(digits):
    tr = dcgan.Trainer(CFG, digits)
    with torch.no_grad():
        tr.G.fc[0].weight.fill_(float("nan"))
    s = tr.advance(3)
    assert s.diverged and s.epoch == 1


@pytest.mark.parametrize("field,value", [("lr", 0.1), ("batch", 50), ("channels", 12), ("seed", -3)])
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        dcgan.Config(**{field: value})


def test_trainer_rejects_wrong_images():
    with pytest.raises(ValueError, match="images"):
        dcgan.Trainer(CFG, np.zeros((10, 3, 28, 28), np.float32))
