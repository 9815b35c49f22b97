"""Latent diffusion with a stand-in codec: codes, labels, decoding, distances, determinism."""
import numpy as np
import pytest
import torch

from explorer.engines import diffusion_latent as dl


def encode(x):
    """A fixed linear 'encoder': mean brightness of the left and right halves, centred."""
    x = torch.as_tensor(x)
    return torch.stack([x[..., :14].mean((1, 2, 3)), x[..., 14:].mean((1, 2, 3))], dim=1) * 4 - 2


def decode(z):
    z = torch.as_tensor(z)
    img = torch.zeros(len(z), 1, 28, 28)
    img[..., :14] = torch.sigmoid(z[:, 0])[:, None, None, None]
    img[..., 14:] = torch.sigmoid(z[:, 1])[:, None, None, None]
    return img


def images(n=300, seed=0):
    g = np.random.default_rng(seed)
    y = g.integers(0, 2, n)
    x = np.zeros((n, 1, 28, 28), np.float32)
    x[y == 0, ..., :14] = 0.8
    x[y == 1, ..., 14:] = 0.8
    return x + 0.05 * g.random(x.shape).astype(np.float32), y


def test_encode_digits_in_batches_equals_one_shot():
    x, _ = images(50)
    np.testing.assert_allclose(dl.encode_digits(encode, x, batch=7), encode(x).numpy(), rtol=1e-6)


def test_run_shapes_labels_and_determinism():
    x, y = images()
    cfg = dl.Config(epochs=2, T=20, ddim_steps=10)
    r = dl.run(cfg, x, y, encode, decode)
    codes = encode(x).numpy()
    order = np.random.default_rng(0).permutation(len(x))
    np.testing.assert_allclose(r.codes, codes[order], rtol=1e-6)  # codes keep their labels
    assert np.array_equal(r.labels, y[order])
    assert r.samples.shape == (100, 2) and r.prior.shape == (100, 2)  # a third is held out
    assert r.decoded.shape == (dl.N_DECODE, 1, 28, 28) and r.prior_decoded.shape == (dl.N_DECODE, 1, 28, 28)
    np.testing.assert_allclose(r.decoded, decode(torch.from_numpy(r.samples[:dl.N_DECODE])).numpy(), atol=1e-6)
    assert np.isfinite([r.energy_diffusion, r.energy_prior]).all() and len(r.losses) == 2
    r2 = dl.run(cfg, x, y, encode, decode)
    assert np.array_equal(r.samples, r2.samples)


def test_trained_latent_model_beats_the_prior_on_a_two_cluster_code():
    x, y = images(450)
    r = dl.run(dl.Config(epochs=8, T=50, ddim_steps=20), x, y, encode, decode)
    assert r.energy_diffusion < r.energy_prior


@pytest.mark.parametrize("field,value", [("epochs", 0), ("schedule", "x"), ("ddim_steps", 500)])
def test_config_validation(field, value):
    with pytest.raises(ValueError, match=field):
        dl.Config(**{field: value})
