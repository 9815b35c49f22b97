"""Augmentations in torch: shapes and ranges kept, seeded, and each one against its definition."""
import math

import numpy as np
import pytest
import torch

from explorer.engines import augment as A


def batch(n=6, seed=0):
    return torch.rand((n, 1, 28, 28), generator=torch.Generator().manual_seed(seed))


def gen(seed=1):
    return torch.Generator().manual_seed(seed)


FUNCS = {
    "crop_rotate": lambda x, g: A.crop_rotate(x, g, 0.3, 40.0),
    "noise": lambda x, g: A.gaussian_noise(x, g, 0.3),
    "blur": lambda x, g: A.gaussian_blur(x, g, 1.0),
    "erase": lambda x, g: A.erase(x, g, 1.0),
    "augment": lambda x, g: A.augment(x, A.AugConfig(crop=0.2, rotate=90, noise=0.5, blur=1, erase=1), g),
}


@pytest.mark.parametrize("name", FUNCS)
def test_shape_dtype_and_range_are_kept(name):
    x = batch()
    out = FUNCS[name](x, gen())
    assert out.shape == x.shape and out.dtype == x.dtype
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert not torch.equal(out, x)  # it did something
    assert torch.equal(x, batch())  # and left its input alone


@pytest.mark.parametrize("name", FUNCS)
def test_seeded(name):
    x = batch()
    a, b = FUNCS[name](x, gen(5)), FUNCS[name](x, gen(5))
    c = FUNCS[name](x, gen(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_two_views_differ_but_reproduce():
    x, cfg = batch(), A.AugConfig()
    v1, v2 = A.two_views(x, cfg, gen(3))
    w1, w2 = A.two_views(x, cfg, gen(3))
    assert torch.equal(v1, w1) and torch.equal(v2, w2)
    assert not torch.equal(v1, v2)


def test_no_crop_no_rotation_is_the_identity():
    x = batch()
    out = A.crop_rotate(x, gen(), crop=1.0, rotate=0.0)
    assert torch.allclose(out, x, atol=1e-5)


def test_rotation_keeps_a_round_blob_and_turns_a_bar():
    r = torch.arange(28) - 13.5
    blob = torch.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 4.0 ** 2)).expand(20, 1, 28, 28).contiguous()
    out = A.crop_rotate(blob, gen(), crop=1.0, rotate=90.0)
    assert torch.allclose(out, blob, atol=0.02)            # a rotation about the centre leaves it as is
    bar = torch.zeros(20, 1, 28, 28)
    bar[:, :, 13:15, 4:24] = 1.0                             # a horizontal bar through the centre
    out = A.crop_rotate(bar, gen(), crop=1.0, rotate=90.0)
    assert torch.allclose(out.sum((1, 2, 3)), bar.sum((1, 2, 3)), rtol=0.1)   # mass kept (it stays inside)
    assert float((out - bar).abs().sum((1, 2, 3)).min()) > 2.0               # but it turned


def test_crop_zooms_in():
    # a centred bright square gets bigger (more bright pixels) under any crop that keeps it
    x = torch.zeros(50, 1, 28, 28)
    x[:, :, 12:16, 12:16] = 1.0
    out = A.crop_rotate(x, gen(), crop=0.3, rotate=0.0)
    assert float(out.sum()) > float(x.sum()) * 1.2


def test_noise_statistics():
    x = torch.full((8, 1, 28, 28), 0.5)
    out = A.gaussian_noise(x, gen(), 0.1)
    d = (out - x).numpy()
    assert abs(d.mean()) < 0.005 and math.isclose(d.std(), 0.1, rel_tol=0.05)
    assert torch.equal(A.gaussian_noise(x, gen(), 0.0), x)


def test_gaussian_kernels_match_the_formula():
    sig = torch.tensor([0.0, 0.7, 1.5])
    k = A.gaussian_kernels(sig)
    assert k.shape == (3, 5, 5)
    assert torch.allclose(k.sum((1, 2)), torch.ones(3), atol=1e-6)
    assert float(k[0, 2, 2]) == pytest.approx(1.0)  # σ = 0: identity
    r = np.arange(5) - 2
    ref = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 0.7 ** 2))
    np.testing.assert_allclose(k[1].numpy(), ref / ref.sum(), rtol=1e-5)


def test_blur_keeps_constants_and_p0_is_identity():
    x = batch()
    assert torch.equal(A.gaussian_blur(x, gen(), 0.0), x)
    c = torch.full((4, 1, 28, 28), 0.3)
    assert torch.allclose(A.gaussian_blur(c, gen(), 1.0), c, atol=1e-6)
    assert float(A.gaussian_blur(x, gen(), 1.0).std()) < float(x.std())  # smoother


def test_erase_area_and_probability():
    x = torch.ones(400, 1, 28, 28)
    assert torch.equal(A.erase(x, gen(), 0.0), x)
    frac = 1 - A.erase(x, gen(), 1.0).mean((1, 2, 3)).numpy()
    assert frac.min() >= 0.03 and frac.max() <= 0.3   # 5–25 % of the area, up to rounding of the sides
    half = 1 - A.erase(x, gen(), 0.5).mean((1, 2, 3)).numpy()
    assert 0.4 < (half > 0).mean() < 0.6


@pytest.mark.parametrize("field,value", [("crop", 0.1), ("crop", float("nan")), ("rotate", 100), ("noise", -0.1),
                                         ("blur", 2.0), ("erase", True)])
def test_config_validation(field, value):
    with pytest.raises(ValueError, match=field):
        A.AugConfig(**{field: value})
