"""The VAE engine: the ELBO's terms against closed forms and torch.distributions, the
reparameterization trick's gradients, free bits, active units, the autoregressive decoder's
causality, determinism, learning, divergence, and the interfaces other pages use."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from explorer.engines import vae
from explorer.engines.mnist_codecs import AutoregressiveDecoder

torch.set_num_threads(1)
TINY = dict(n_train=300, hidden=32, batch_size=50)


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_kl_of_diagonal_gaussians_matches_closed_form_and_torch_distributions():
    mu, lv = torch.randn(5, 3, generator=_g(1), dtype=torch.float64), torch.randn(5, 3, generator=_g(2), dtype=torch.float64)
    mp, lvp = torch.randn(5, 3, generator=_g(3), dtype=torch.float64), torch.randn(5, 3, generator=_g(4), dtype=torch.float64)
    got = vae.kl_diag(mu, lv, mp, lvp)
    s1, s2 = np.exp(lv.numpy() / 2), np.exp(lvp.numpy() / 2)
    closed = np.log(s2 / s1) + (s1 ** 2 + (mu.numpy() - mp.numpy()) ** 2) / (2 * s2 ** 2) - 0.5
    np.testing.assert_allclose(got.numpy(), closed, rtol=1e-12)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mu, lv.mul(0.5).exp()),
                                            torch.distributions.Normal(mp, lvp.mul(0.5).exp()))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10)
    # against the standard normal prior: ½(μ² + σ² − 1 − log σ²), and zero at the prior itself
    std = vae.kl_diag(mu, lv)
    np.testing.assert_allclose(std.numpy(), 0.5 * (mu.numpy() ** 2 + np.exp(lv.numpy()) - 1 - lv.numpy()), rtol=1e-12)
    assert float(vae.kl_diag(torch.zeros(4), torch.zeros(4)).abs().max()) == 0.0
    assert bool((std >= 0).all())


def test_bernoulli_log_likelihood_by_hand():
    x = torch.tensor([[0.0, 1.0, 0.3], [1.0, 0.5, 0.0]], dtype=torch.float64)
    logits = torch.tensor([[-2.0, 0.5, 1.0], [3.0, -1.0, 0.0]], dtype=torch.float64)
    p = 1 / (1 + np.exp(-logits.numpy()))
    hand = (x.numpy() * np.log(p) + (1 - x.numpy()) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(vae.log_likelihood(x, logits, "bernoulli").numpy(), hand, rtol=1e-12)
    # first row written out term by term
    row0 = math.log(1 - 1 / (1 + math.e ** 2)) + math.log(1 / (1 + math.exp(-0.5))) + (
        0.3 * math.log(1 / (1 + math.exp(-1))) + 0.7 * math.log(1 - 1 / (1 + math.exp(-1))))
    assert vae.log_likelihood(x, logits)[0].item() == pytest.approx(row0, rel=1e-12)


def test_gaussian_log_likelihood_matches_scipy():
    x = torch.rand(4, 10, generator=_g(5), dtype=torch.float64)
    logits = torch.randn(4, 10, generator=_g(6), dtype=torch.float64)
    mean = 1 / (1 + np.exp(-logits.numpy()))
    ref = stats.norm.logpdf(x.numpy(), loc=mean, scale=0.2).sum(axis=1)
    np.testing.assert_allclose(vae.log_likelihood(x, logits, "gaussian", 0.2).numpy(), ref, rtol=1e-12)
    with pytest.raises(ValueError, match="^likelihood:"):
        vae.log_likelihood(x, logits, "poisson")


def test_reparameterized_sample_gradients_match_closed_form():
    mu = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    lv = torch.tensor([0.0, -2.0, 1.0], dtype=torch.float64, requires_grad=True)
    eps = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    z = vae.reparameterize(mu, lv, eps=eps)
    np.testing.assert_allclose(z.detach().numpy(), mu.detach().numpy() + np.exp(lv.detach().numpy() / 2) * eps.numpy())
    (z ** 2).sum().backward()
    zn = z.detach().numpy()
    np.testing.assert_allclose(mu.grad.numpy(), 2 * zn, rtol=1e-12)                               # ∂z/∂μ = 1
    np.testing.assert_allclose(lv.grad.numpy(), 2 * zn * 0.5 * np.exp(lv.detach().numpy() / 2) * eps.numpy(),
                               rtol=1e-12)                                                          # ∂z/∂logσ² = ½σε
    # sampling from a generator is deterministic by seed
    a = vae.reparameterize(torch.zeros(5), torch.zeros(5), _g(7))
    assert torch.equal(a, vae.reparameterize(torch.zeros(5), torch.zeros(5), _g(7)))


@pytest.mark.parametrize("fn", vae.FUNCTIONS)
def test_reparam_study_gradients(fn):
    s = vae.reparam_study(0.7, 0.8, fn, n=20000, seed=1)
    fprime = {"square": 2 * s.z, "sin": np.cos(s.z), "exp": np.exp(s.z)}[fn]
    np.testing.assert_allclose(s.g_mu, fprime, rtol=1e-12)            # autograd per sample = f′(z)
    np.testing.assert_allclose(s.g_sigma, fprime * s.eps, rtol=1e-12)  # = f′(z)·ε
    e, dmu, dsig = s.truth
    assert s.f.mean() == pytest.approx(e, abs=0.05 * max(1, abs(e)))
    assert s.g_mu.mean() == pytest.approx(dmu, abs=0.05 * max(1, abs(dmu)))
    assert s.g_sigma.mean() == pytest.approx(dsig, abs=0.05 * max(1, abs(dsig)))
    assert s.s_mu.mean() == pytest.approx(dmu, abs=0.2 * max(1, abs(dmu)))   # unbiased, but noisier
    assert s.g_mu.std() < s.s_mu.std()
    np.testing.assert_allclose(s.running(np.array([1.0, 3.0, 5.0])), [1.0, 2.0, 3.0])


def test_true_gradient_closed_forms_by_finite_differences():
    for fn in vae.FUNCTIONS:
        e, dmu, dsig = vae.true_gradient(fn, 0.4, 0.9)
        h = 1e-6
        assert dmu == pytest.approx((vae.true_gradient(fn, 0.4 + h, 0.9)[0] - vae.true_gradient(fn, 0.4 - h, 0.9)[0]) / (2 * h), rel=1e-6)
        assert dsig == pytest.approx((vae.true_gradient(fn, 0.4, 0.9 + h)[0] - vae.true_gradient(fn, 0.4, 0.9 - h)[0]) / (2 * h), rel=1e-6)
    with pytest.raises(ValueError, match="^sigma:"):
        vae.reparam_study(0.0, 0.0)


def test_free_bits_by_hand():
    kl = torch.tensor([[0.1, 2.0, 0.0], [0.3, 1.0, 0.0]])
    # batch means 0.2, 1.5, 0.0
    assert vae.free_bits_kl(kl, 0.0).item() == pytest.approx(1.7)
    assert vae.free_bits_kl(kl, 0.5).item() == pytest.approx(0.5 + 1.5 + 0.5)
    # a dimension under the floor gets no gradient
    k = kl.clone().requires_grad_(True)
    vae.free_bits_kl(k, 0.5).backward()
    np.testing.assert_allclose(k.grad.numpy(), [[0, 0.5, 0], [0, 0.5, 0]])


def test_active_units_on_a_constructed_case():
    rng = np.random.default_rng(0)
    mu = np.c_[rng.normal(0, 1, 500), rng.normal(0, 0.05, 500), rng.normal(3, 0.5, 500), np.full(500, 2.0)]
    var, active = vae.active_units(mu)
    np.testing.assert_allclose(var, mu.var(axis=0))
    assert active.tolist() == [True, False, True, False]


def test_kl_weight_annealing():
    assert vae.kl_weight(vae.Config(beta=2.0), 0.0) == 2.0
    c = vae.Config(beta=2.0, anneal=4)
    assert [vae.kl_weight(c, t) for t in (0, 1, 2, 4, 9)] == [0.0, 0.5, 1.0, 2.0, 2.0]


def test_autoregressive_decoder_is_causal_and_generation_is_consistent():
    dec = AutoregressiveDecoder(2, 8, _g(0))
    assert all(torch.equal(a, b) for a, b in zip(dec.parameters(), AutoregressiveDecoder(2, 8, _g(0)).parameters()))
    with torch.no_grad():
        dec.kernel.normal_(0, 0.05, generator=_g(1))
    z = torch.randn(1, 2, generator=_g(2))
    x = torch.rand(1, 784, generator=_g(3), requires_grad=True)
    out = dec(z, x)
    for i in (0, 29, 400, 783):
        g, = torch.autograd.grad(out[0, i], x, retain_graph=True)
        assert float(g[0, i:].abs().max()) == 0.0          # no pixel sees itself or a later one
    g400 = torch.autograd.grad(out[0, 400], x, retain_graph=True)[0][0]
    assert float(g400[399]) != 0.0                         # the masked convolution: the pixel to the left
    assert float(g400[5]) != 0.0                           # the GRU: a pixel far above, outside the window
    z2 = torch.randn(1, 2, generator=_g(4))
    assert not torch.equal(dec(z, x.detach()), dec(z2, x.detach()))   # z still reaches every pixel
    gen = dec.generate(z)
    np.testing.assert_allclose(gen.numpy(), dec(z, torch.sigmoid(gen)).detach().numpy(), atol=1e-5)


def test_config_validation_names_the_field():
    for kw, field in [({"beta": -1.0}, "beta"), ({"latent": 0}, "latent"), ({"decoder": "pixelcnn"}, "decoder"),
                      ({"free_bits": float("nan")}, "free_bits"), ({"learning_rate": 0.0}, "learning_rate")]:
        with pytest.raises(ValueError, match=f"^{field}:"):
            vae.Config(**kw)


def test_trainer_is_deterministic_and_reports_true_elbo():
    cfg = vae.Config(**TINY, latent=3, beta=2.0, free_bits=0.1)
    a, b = vae.Trainer(cfg), vae.Trainer(cfg)
    sa, sb = a.advance(8), b.advance(8)
    assert sa.epoch == 2.0 and sa.step == 12
    for f in ("train_loss", "test_loss", "elbo", "recon", "kl"):
        assert getattr(sa, f) == getattr(sb, f)
    np.testing.assert_array_equal(sa.grid, sb.grid)
    assert vae.Trainer(vae.Config(**TINY, latent=3, beta=2.0, free_bits=0.1, seed=1)).advance(8).elbo != sa.elbo
    # the reported ELBO is recon − KL with β = 1 on the test set, recomputed by hand here
    with torch.no_grad():
        mu, lv = a.model.encode(a.x_test)
        z = mu + torch.exp(0.5 * lv) * a._eps_test
        p = torch.sigmoid(a.model.logits(z)).double()
        x = a.x_test.double()
        rec = (x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(1).mean().item()
        kl = (0.5 * (mu ** 2 + lv.exp() - 1 - lv)).sum(1).mean().item()
    assert sa.recon == pytest.approx(rec, rel=1e-4) and sa.kl == pytest.approx(kl, rel=1e-4)
    assert sa.elbo == pytest.approx(sa.recon - sa.kl) and sa.test_loss == pytest.approx(-sa.elbo)
    assert sa.kl_dims.shape == (3,) and sa.kl_dims.sum() == pytest.approx(sa.kl)
    assert sa.grid.shape == (vae.GRID ** 2, 28, 28) and 0 <= sa.grid.min() and sa.grid.max() <= 1
    assert sa.mu.shape == (1000, 2) and sa.x_recon.shape == (vae.N_SHOW, 28, 28)
    h = a.history()
    assert h["epoch"].tolist() == [i / 4 for i in range(9)] and h["kl_dims"].shape == (9, 3)


def test_training_raises_the_elbo():
    tr = vae.Trainer(vae.Config(n_train=600, hidden=64))
    e0 = tr.snapshot.elbo
    s = tr.advance(12)
    assert s.elbo > e0 + 20 and not s.diverged


def test_divergence_is_reported_not_raised():
    tr = vae.Trainer(vae.Config(**TINY))
    with torch.no_grad():
        tr.model.fc1.weight.fill_(float("nan"))
    s = tr.advance(3)
    assert s.diverged and s.epoch == 0.25 and math.isnan(s.test_loss)


def test_autoregressive_decoder_trains():
    s = vae.Trainer(vae.Config(**TINY, decoder="autoregressive", latent=4)).advance(4)
    assert not s.diverged and math.isfinite(s.elbo) and s.grid.shape == (vae.GRID ** 2, 28, 28)


def test_binarize_and_the_powerful_decoder_trains_on_binary_digits():
    x = torch.tensor([[0.0, 0.5, 0.51, 1.0]])
    assert vae.binarize(x).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    tr = vae.Trainer(vae.Config(**TINY, decoder="autoregressive", latent=2))
    assert set(torch.unique(tr.x_train).tolist()) == {0.0, 1.0} and set(torch.unique(tr.x_test).tolist()) == {0.0, 1.0}
    assert len(torch.unique(vae.Trainer(vae.Config(**TINY)).x_train)) > 2     # the MLP keeps grey levels


def test_cure_config():
    base = vae.Config(latent=16, decoder="autoregressive", anneal=10, free_bits=1.0)
    assert (vae.cure_config(base, "none").anneal, vae.cure_config(base, "none").free_bits) == (0, 0.0)
    assert (vae.cure_config(base, "annealing", anneal=3).anneal, vae.cure_config(base, "annealing").free_bits) == (3, 0.0)
    fb = vae.cure_config(base, "free bits", free_bits=0.5)
    assert (fb.anneal, fb.free_bits, fb.latent, fb.decoder) == (0, 0.5, 16, "autoregressive")
    with pytest.raises(ValueError, match="^cure:"):
        vae.cure_config(base, "dropout")


def test_collapse_study_is_deterministic_and_reports_progress():
    base = vae.Config(**TINY, latent=4, decoder="autoregressive", learning_rate=1e-2)
    seen = []
    a = vae.collapse_study(base, epochs=1, progress=lambda f, t: seen.append(f))
    b = vae.collapse_study(base, epochs=1)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    for c in vae.CURES:
        np.testing.assert_array_equal(a.kl[c], b.kl[c])
        assert a.kl[c].shape == (2,) and a.n_active[c].shape == (2,)
    # epoch 0 is the same initial model for every setting
    assert a.kl["none"][0] == a.kl["free bits"][0] == a.kl["annealing"][0]


def test_powerful_decoder_collapses_and_free_bits_cure_it():
    """The issue's demonstration at the page's settings (16 dimensions, lr 0.01, 3 epochs of 4,000
    binarized digits): without a cure almost no unit stays active and the KL is near 0; free
    bits (0.5 nats per dimension) keep nearly all of them, on the same decoder and seed."""
    base = vae.Config(latent=16, decoder="autoregressive", learning_rate=1e-2)
    s = vae.collapse_study(base, epochs=3, cures=("none", "free bits"), free_bits=0.5)
    none, fb = s.n_active["none"][-1], s.n_active["free bits"][-1]
    assert none <= 2 and s.kl["none"][-1] < 0.5
    assert fb >= 12 and s.kl["free bits"][-1] > 4
    assert none < fb


@pytest.fixture(scope="module")
def codec():
    return vae.latent_codec(0)


def test_latent_codec(codec):
    from explorer.engines import images

    encode, decode = codec
    assert vae.latent_codec(0)[0].__code__ is encode.__code__  # same cached model
    d = images.mnist(0)
    x = torch.from_numpy(np.array(d.x_test[:400]))
    z = encode(x)
    assert z.shape == (400, 2) and not z.requires_grad
    torch.testing.assert_close(z, encode(x))
    img = decode(z)
    assert img.shape == (400, 1, 28, 28) and float(img.min()) >= 0 and float(img.max()) <= 1
    # the 2-D code carries the digit: nearest class mean in latent space beats chance by far
    y = np.array(d.y_test[:400])
    zn = z.numpy()
    means = np.stack([zn[y == k].mean(0) for k in range(10)])
    acc = (np.argmin(((zn[:, None] - means[None]) ** 2).sum(-1), axis=1) == y).mean()
    assert acc > 0.4
    # decoding the code reconstructs better than the average digit does
    err = ((img - x) ** 2).mean().item()
    assert err < ((x.mean(0, keepdim=True) - x) ** 2).mean().item()


def test_explorable(codec):
    ex = vae.explorable(0)
    assert ex.kind == "image" and ex.x.shape == (1000, 1, 28, 28) and ex.y.shape == (1000,)
    assert [lab for lab, _ in ex.taps][-1].startswith("posterior mean")
    got = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, k=k: got.__setitem__(k, o)) for k, m in ex.taps]
    x = torch.from_numpy(ex.x[:50])
    out = ex.forward(x)
    for h in hooks:
        h.remove()
    assert got[ex.taps[0][0]].shape == (50, 256)
    torch.testing.assert_close(got[ex.taps[-1][0]], codec[0](x))
    torch.testing.assert_close(out, codec[0](x))
