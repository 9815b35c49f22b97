"""The autoencoder engine: sparsity penalties by hand, ROC/AUC against scikit-learn, the
corruption, the held-out class, determinism, learning, divergence and the explorable."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from explorer.engines import autoencoders as ae

torch.set_num_threads(1)
TINY = dict(n_train=400, hidden=32, batch_size=50)


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_l1_penalty_by_hand():
    h = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, -0.5]])
    assert ae.l1_penalty(h).item() == pytest.approx((3.0 + 1.5) / 2)


def test_kl_sparsity_by_hand():
    h = torch.tensor([[0.1, 0.9], [0.3, 0.5]], dtype=torch.float64)
    rho = 0.05
    hand = 0.0
    for r in (0.2, 0.7):   # the batch means of the two units
        hand += rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r))
    assert ae.kl_sparsity(h, rho).item() == pytest.approx(hand, rel=1e-12)
    assert ae.kl_sparsity(torch.full((4, 3), 0.05, dtype=torch.float64), 0.05).item() == pytest.approx(0.0, abs=1e-12)
    # its gradient through the batch mean: ∂/∂ρ̂ = (1−ρ)/(1−ρ̂) − ρ/ρ̂, shared by the N rows
    hh = h.clone().requires_grad_(True)
    ae.kl_sparsity(hh, rho).backward()
    r = np.array([0.2, 0.7])
    np.testing.assert_allclose(hh.grad.numpy(), np.tile(((1 - rho) / (1 - r) - rho / r) / 2, (2, 1)), rtol=1e-10)


def test_penalty_only_for_sparse_autoencoders():
    h = torch.rand(6, 4, generator=_g(1))
    assert ae.penalty(ae.Config(kind="undercomplete"), h).item() == 0.0
    assert ae.penalty(ae.Config(kind="sparse", penalty="l1", sparsity=0.3), h).item() == pytest.approx(
        0.3 * ae.l1_penalty(h).item())
    assert ae.penalty(ae.Config(kind="sparse", penalty="kl", sparsity=2.0, rho=0.1), h).item() == pytest.approx(
        2.0 * ae.kl_sparsity(h, 0.1).item())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_and_auc_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.2
    s = rng.normal(0, 1, 300) + 1.2 * y
    s[:40] = np.round(s[:40], 1)              # ties
    fpr, tpr, auc = ae.roc(s, y)
    assert auc == pytest.approx(roc_auc_score(y, s), rel=1e-12)
    f2, t2, _ = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, f2)
    np.testing.assert_allclose(tpr, t2)
    assert ae.roc(np.arange(10.0), np.arange(10) >= 5)[2] == 1.0
    with pytest.raises(ValueError, match="^positive:"):
        ae.roc(np.arange(3.0), np.zeros(3, bool))


def test_corrupt():
    x = torch.rand(20, 784, generator=_g(2))
    assert ae.corrupt(x, 0.0, _g(0)) is x
    y = ae.corrupt(x, 0.5, _g(3))
    assert float(y.min()) >= 0 and float(y.max()) <= 1 and not torch.equal(x, y)
    assert torch.equal(y, ae.corrupt(x, 0.5, _g(3)))
    assert (y - x).abs().mean().item() == pytest.approx(0.3, abs=0.1)   # noise of std 0.5, clipped


def test_config_validation_and_code_activation():
    for kw, field in [({"kind": "contractive"}, "kind"), ({"code": 0}, "code"), ({"noise": -0.1}, "noise"),
                      ({"rho": 1.0}, "rho"), ({"holdout": 10}, "holdout"), ({"sparsity": float("inf")}, "sparsity")]:
        with pytest.raises(ValueError, match=f"^{field}:"):
            ae.Config(**kw)
    assert ae.Config().code_activation == "linear"
    assert ae.Config(kind="sparse", penalty="l1").code_activation == "relu"
    h = ae.build(ae.Config(kind="sparse", penalty="kl", hidden=16)).encode(torch.rand(5, 784, generator=_g(4)))
    assert float(h.min()) > 0 and float(h.max()) < 1


def test_trainer_holds_out_a_digit_and_is_deterministic():
    cfg = ae.Config(**TINY, kind="denoising", noise=0.4, holdout=3)
    a, b = ae.Trainer(cfg), ae.Trainer(cfg)
    from explorer.engines.mnist_codecs import mnist_tensors

    xtr, ytr, _, yte = mnist_tensors(0)
    assert len(a.x_train) == int((ytr[:400] != 3).sum())
    np.testing.assert_array_equal(a.anomalous, yte.numpy() == 3)
    sa, sb = a.advance(8), b.advance(8)
    assert sa.train_loss == sb.train_loss and sa.auc == sb.auc
    np.testing.assert_array_equal(sa.scores, sb.scores)
    assert ae.Trainer(ae.Config(**TINY, kind="denoising", noise=0.4, holdout=3, seed=5)).advance(8).test_loss != sa.test_loss
    # the shown inputs end with two held-out digits; the fed inputs are noisy
    assert not np.array_equal(sa.x_input, sa.x_show)
    assert sa.x_recon.shape == (ae.N_SHOW, 28, 28)
    # the snapshot's ROC is the ROC of its own scores
    assert sa.auc == pytest.approx(roc_auc_score(sa.anomalous, sa.scores))
    # anomaly scores are each image's reconstruction MSE per pixel
    with torch.no_grad():
        mse = ((torch.sigmoid(a.model(a.x_test)) - a.x_test) ** 2).mean(1).numpy()
    np.testing.assert_allclose(sa.scores, mse, rtol=1e-5)
    assert sa.code2.shape == (1000, 2) and sa.unit_mean.shape == (16,)
    assert a.history()["epoch"].tolist() == [i / 4 for i in range(9)]


def test_training_lowers_the_reconstruction_loss():
    tr = ae.Trainer(ae.Config(n_train=800, hidden=64))
    l0 = tr.snapshot.test_loss
    s = tr.advance(12)
    assert s.test_loss < l0 - 40 and not s.diverged


def test_kl_sparsity_pulls_the_mean_activation_towards_rho():
    kw = dict(n_train=800, hidden=64, kind="sparse", penalty="kl", rho=0.05, code=32, learning_rate=3e-3)
    free = ae.Trainer(ae.Config(**kw, sparsity=0.0)).advance(16)
    sparse = ae.Trainer(ae.Config(**kw, sparsity=3.0)).advance(16)
    assert abs(float(sparse.unit_mean.mean()) - 0.05) < abs(float(free.unit_mean.mean()) - 0.05) / 2
    assert sparse.pen < free.pen / 2


def test_divergence_is_reported_not_raised():
    tr = ae.Trainer(ae.Config(**TINY))
    with torch.no_grad():
        tr.model.encoder.fc1.weight.fill_(float("inf"))
    s = tr.advance(2)
    assert s.diverged and s.epoch == 0.25 and math.isnan(s.test_loss)


def test_explorable():
    ex = ae.explorable(0)
    assert ex.kind == "image" and ex.x.shape == (1000, 1, 28, 28) and len(ex.y) == 1000
    got = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, k=k: got.__setitem__(k, o)) for k, m in ex.taps]
    x = torch.from_numpy(ex.x[:30])
    code = ex.forward(x)
    for h in hooks:
        h.remove()
    assert got[ex.taps[0][0]].shape == (30, 256)
    assert got[ex.taps[-1][0]].shape == (30, 16)
    torch.testing.assert_close(got[ex.taps[-1][0]], code)
    assert ae.explorable(0).model is ex.model        # cached
    # trained: it reconstructs held-in digits better than held-out ones on average
    s = ae._trained(0).snapshot
    assert s.auc > 0.6
