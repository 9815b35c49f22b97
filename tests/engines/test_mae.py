"""The masked autoencoder: patches, exact masking ratio, loss on masked patches only, the encoder
never seeing masked patches, determinism."""
import numpy as np
import pytest
import torch

from explorer.engines import mae


@pytest.mark.parametrize("p", mae.PATCHES)
def test_patchify_round_trip_and_order(p):
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    t = mae.patchify(x, p)
    g = 28 // p
    assert t.shape == (3, g * g, p * p)
    assert torch.equal(mae.unpatchify(t, p), x)
    # patch j = row j // g, column j % g, its pixels in reading order
    j = g + 1
    assert torch.equal(t[1, j].reshape(p, p), x[1, 0, p:2 * p, p:2 * p])


@pytest.mark.parametrize("p,ratio,expect", [(7, 0.5, 8), (4, 0.75, 37), (4, 0.1, 5), (7, 0.9, 14), (7, 0.01, 1),
                                            (7, 0.99, 15)])
def test_mask_ratio_is_exact(p, ratio, expect):
    cfg = mae.Config(patch=p, ratio=ratio)
    assert cfg.n_masked == expect
    m = mae.random_mask(50, cfg.n_patches, cfg.n_masked, torch.Generator().manual_seed(1))
    assert m.shape == (50, cfg.n_patches) and m.dtype == torch.bool
    assert (m.sum(1) == expect).all()
    assert len({tuple(r.tolist()) for r in m}) > 10  # different patches in different images


def test_masks_are_seeded_and_uniform():
    a = mae.random_mask(2000, 16, 4, torch.Generator().manual_seed(2))
    b = mae.random_mask(2000, 16, 4, torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    freq = a.float().mean(0)
    assert torch.allclose(freq, torch.full((16,), 0.25), atol=0.04)


def test_loss_counts_masked_patches_only():
    g = torch.Generator().manual_seed(3)
    target = torch.rand(4, 16, 49, generator=g)
    pred = torch.rand(4, 16, 49, generator=g, requires_grad=True)
    mask = mae.random_mask(4, 16, 6, g)
    loss = mae.masked_mse(pred, target, mask)
    ref = ((pred - target) ** 2)[mask].mean()
    assert float(loss) == pytest.approx(float(ref), rel=1e-6)
    loss.backward()
    assert (pred.grad[~mask] == 0).all() and (pred.grad[mask] != 0).any()
    changed = pred.detach().clone()
    changed[~mask] = 0.0  # anything on the visible patches
    assert float(mae.masked_mse(changed, target, mask)) == pytest.approx(float(loss), rel=1e-6)


def test_the_encoder_never_sees_masked_patches():
    cfg = mae.Config(patch=7, ratio=0.5)
    torch.manual_seed(0)
    model = mae.MAE(cfg).eval()
    g = torch.Generator().manual_seed(4)
    x = mae.patchify(torch.rand(3, 1, 28, 28, generator=g), 7)
    mask = mae.random_mask(3, cfg.n_patches, cfg.n_masked, g)
    y = x.clone()
    y[mask] = torch.rand(int(mask.sum()), 49, generator=g)  # change only what is hidden
    with torch.no_grad():
        a, b = model(x, mask), model(y, mask)
    assert torch.allclose(a, b, atol=1e-6)
    assert a.shape == x.shape and float(a.min()) >= 0 and float(a.max()) <= 1
    z = x.clone()
    z[~mask] = 0.0
    with torch.no_grad():
        assert not torch.allclose(model(z, mask), a)  # the visible ones do matter


def test_trainer_is_deterministic_and_learns():
    cfg = mae.Config(patch=7, ratio=0.5, seed=2)
    a, b = mae.Trainer(cfg), mae.Trainer(cfg)
    s0 = a.snapshot
    sa, sb = a.advance(2), b.advance(2)
    assert sa.train_loss == sb.train_loss and np.array_equal(sa.recon, sb.recon)
    assert sa.test_loss < s0.test_loss * 0.7 and not sa.diverged
    assert sa.original.shape == sa.masked.shape == sa.recon.shape == (mae.N_SHOW, 1, 28, 28)
    # the reconstruction keeps visible patches exactly and the masked input greys out the hidden ones
    m = a.test_mask[a.show]
    vis = mae.patchify(torch.as_tensor(sa.recon), 7)[~m]
    assert torch.allclose(vis, mae.patchify(torch.as_tensor(sa.original), 7)[~m])
    assert torch.allclose(mae.patchify(torch.as_tensor(sa.masked), 7)[m], torch.tensor(0.5))
    c = mae.Trainer(mae.Config(patch=7, ratio=0.5, seed=3)).advance(1)
    assert c.train_loss != sa.train_loss


@pytest.mark.parametrize("kw,field", [({"patch": 5}, "patch"), ({"ratio": 0.0}, "ratio"), ({"ratio": 1.0}, "ratio"),
                                      ({"ratio": float("nan")}, "ratio"), ({"depth": 0}, "depth"),
                                      ({"seed": -2}, "seed")])
def test_config_validation(kw, field):
    with pytest.raises(ValueError, match=field):
        mae.Config(**kw)
