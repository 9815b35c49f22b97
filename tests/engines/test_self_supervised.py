"""SimCLR/BYOL engine: NT-Xent against a loop and a closed form, BYOL's EMA and stop-gradient,
Wang & Isola's metrics, the linear probe against scikit-learn, determinism, the explorable."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from explorer.engines import self_supervised as ssl
from explorer.engines.augment import AugConfig
from explorer.engines.explorable import Explorable


def nt_xent_loop(z1: np.ndarray, z2: np.ndarray, tau: float) -> float:
    """NT-Xent written out: view i's positive is the other view of the same image."""
    z = np.concatenate([z1, z2]).astype(np.float64)
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(u)
    total = 0.0
    for i in range(n2):
        pos = (i + n2 // 2) % n2
        num = math.exp(float(u[i] @ u[pos]) / tau)
        den = sum(math.exp(float(u[i] @ u[k]) / tau) for k in range(n2) if k != i)
        total += -math.log(num / den)
    return total / n2


@pytest.mark.parametrize("tau", [0.07, 0.2, 0.5, 1.0, 3.0])
def test_nt_xent_equals_the_loop(tau):
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64)
    assert float(ssl.nt_xent(z1, z2, tau)) == pytest.approx(nt_xent_loop(z1.numpy(), z2.numpy(), tau), rel=1e-10)


def test_nt_xent_known_value():
    # views identical and orthogonal across images: each view sees its positive at cos 1 and two negatives at 0,
    # so ℓ = −log(e^{1/τ} / (e^{1/τ} + 2)) = log(1 + 2e^{−1/τ}); at τ = 0.5: log(1 + 2e^{−2}) = 0.23954…
    e = torch.eye(4, dtype=torch.float64)[:2] * torch.tensor([[3.0], [0.5]], dtype=torch.float64)  # scale-free
    assert float(ssl.nt_xent(e, e, 0.5)) == pytest.approx(math.log(1 + 2 * math.exp(-2)), rel=1e-12)
    assert float(ssl.nt_xent(e, e, 0.5)) == pytest.approx(0.2395447, abs=1e-7)
    # swapping the two views or permuting the images together changes nothing
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    p = torch.randperm(6, generator=g)
    assert float(ssl.nt_xent(z2, z1, 0.2)) == pytest.approx(float(ssl.nt_xent(z1, z2, 0.2)), rel=1e-6)
    assert float(ssl.nt_xent(z1[p], z2[p], 0.2)) == pytest.approx(float(ssl.nt_xent(z1, z2, 0.2)), rel=1e-6)


def test_nt_xent_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(2)
    z1 = torch.randn(3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(3, 2, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: ssl.nt_xent(a, z2, 0.3), (z1,))


def test_byol_loss_is_2_minus_2_cos_and_stops_the_gradient():
    q = torch.tensor([[1.0, 0.0], [1.0, 1.0]], requires_grad=True)
    z = torch.tensor([[0.0, 2.0], [2.0, 2.0]], requires_grad=True)
    loss = ssl.byol_loss(q, z)
    assert float(loss) == pytest.approx(((2 - 0) + (2 - 2)) / 2)
    loss.backward()
    assert q.grad is not None and z.grad is None


def test_ema_update_follows_the_formula():
    torch.manual_seed(0)
    online, target = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    online[1].running_mean += 1.5
    before = [p.detach().clone() for p in target.parameters()]
    ssl.ema_update(target, online, 0.9)
    for b, t, o in zip(before, target.parameters(), online.parameters()):
        assert torch.allclose(t, 0.9 * b + 0.1 * o)
    assert torch.equal(target[1].running_mean, online[1].running_mean)


def tiny_trainer(method="simclr", seed=0, **kw):
    return ssl.Trainer(ssl.Config(method=method, batch_size=64, seed=seed, **kw))


def test_byol_step_target_gets_no_gradient_and_moves_by_ema():
    tr = tiny_trainer("byol")
    assert all(not p.requires_grad for p in tr.target.parameters())
    old_t = [p.detach().clone() for p in tr.target.parameters()]
    x = torch.as_tensor(np.array(tr.ds.x_train[:64]))
    from explorer.engines.augment import two_views
    v1, v2 = two_views(x, tr.cfg.aug, torch.Generator().manual_seed(0))
    tr.train_step(v1, v2)
    assert all(p.grad is None for p in tr.target.parameters())
    online = list(nn.Sequential(tr.encoder, tr.head).parameters())
    assert online[0].grad is not None
    for t, o, b in zip(tr.target.parameters(), online, old_t):
        assert torch.allclose(t, 0.99 * b + 0.01 * o.detach(), atol=1e-7)
    assert not torch.equal(next(tr.target.parameters()), old_t[0])


def test_alignment_and_uniformity_against_loops():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(6, 3))
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    g = rng.normal(size=(6, 3))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    assert ssl.alignment(f, g) == pytest.approx(np.mean([np.sum((a - b) ** 2) for a, b in zip(f, g)]))
    pairs = [np.exp(-2 * np.sum((f[i] - f[j]) ** 2)) for i in range(6) for j in range(i + 1, 6)]
    assert ssl.uniformity(f) == pytest.approx(np.log(np.mean(pairs)), rel=1e-10)
    assert ssl.alignment(f, f) == 0.0
    assert ssl.uniformity(np.tile(f[:1], (5, 1))) == pytest.approx(0.0, abs=1e-12)  # collapsed: the worst


def test_knn_accuracy_against_sklearn():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    bank, yb = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    q, yq = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    ref = KNeighborsClassifier(5, metric="cosine", algorithm="brute").fit(bank, yb).score(q, yq)
    assert ssl.knn_accuracy(bank, yb, q, yq, k=5) == pytest.approx(ref)


def test_linear_probe_matches_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6))
    y = (x[:, :3] @ rng.normal(size=(3, 4))).argmax(1)
    xt = rng.normal(size=(80, 6))
    yt = (xt[:, :3] @ rng.normal(size=(3, 4))).argmax(1)
    for c in (0.1, 1.0):
        w, b = ssl.fit_logistic(x, y, n_classes=4, c=c)
        sk = LogisticRegression(C=c, max_iter=5000, tol=1e-10).fit(x, y)
        np.testing.assert_allclose(w, sk.coef_, atol=2e-4)
        np.testing.assert_allclose(b - b.mean(), sk.intercept_ - sk.intercept_.mean(), atol=2e-4)
        assert np.array_equal((xt @ w.T + b).argmax(1), sk.predict(xt))
    # the probe on standardised features gives sklearn's accuracy on those features
    tr, te = ssl.standardize(x, xt)
    sk = LogisticRegression(C=1.0, max_iter=5000, tol=1e-10).fit(tr, y)
    assert ssl.probe_accuracy(x, y, xt, yt) == pytest.approx(sk.score(te, yt))


def test_labelled_subset_is_exact_and_nested():
    y = np.repeat(np.arange(10), 30)
    a, b = ssl.labelled_subset(y, 3, 0), ssl.labelled_subset(y, 10, 0)
    assert np.bincount(y[a]).tolist() == [3] * 10 and np.bincount(y[b]).tolist() == [10] * 10
    assert set(a) <= set(b)
    assert not np.array_equal(a, ssl.labelled_subset(y, 3, 1))


def test_training_is_deterministic_by_seed_and_learns():
    a, b, c = tiny_trainer(seed=3), tiny_trainer(seed=3), tiny_trainer(seed=4)
    sa, sb, sc = a.advance(2), b.advance(2), c.advance(2)
    assert sa.epoch == 2 and sa.step == 2 * (ssl.N_TRAIN // 64)
    assert sa.train_loss == sb.train_loss and sa.test_loss == sb.test_loss
    assert np.array_equal(sa.emb, sb.emb) and sa.knn_acc == sb.knn_acc
    assert sa.train_loss != sc.train_loss
    assert not sa.diverged and sa.emb.shape == (ssl.N_EMBED, ssl.REP_DIM)
    # NT-Xent on the fixed test views fell from its value at initialisation
    assert sa.test_loss < tiny_trainer(seed=3).snapshot.test_loss - 0.1
    assert sa.pos_hist.sum() == pytest.approx(1.0) and sa.neg_hist.sum() == pytest.approx(1.0)


def test_byol_trains_and_is_deterministic():
    a, b = tiny_trainer("byol", seed=1), tiny_trainer("byol", seed=1)
    s0 = a.snapshot.test_loss
    sa, sb = a.advance(1), b.advance(1)
    assert sa.train_loss == sb.train_loss and np.array_equal(sa.emb, sb.emb)
    assert sa.test_loss < s0 and 0 <= sa.test_loss <= 8


def test_diverging_run_is_reported_not_raised():
    tr = tiny_trainer()
    for p in tr.encoder.parameters():
        p.data.fill_(float("nan"))
    snap = tr.advance(1)
    assert snap.diverged and tr.diverged
    assert tr.advance(3).epoch == snap.epoch  # a stopped run does not go on


def test_sample_views_are_seeded():
    o, v1, v2 = ssl.sample_views(AugConfig(), n=4, seed=2)
    assert o.shape == v1.shape == v2.shape == (4, 1, 28, 28)
    assert np.array_equal(v1, ssl.sample_views(AugConfig(), n=4, seed=2)[1])
    assert not np.array_equal(v1, v2)


def test_supervised_baseline_is_deterministic_and_better_than_chance():
    a = ssl.supervised_accuracy(3, seed=0, steps=40)
    assert a == ssl.supervised_accuracy(3, seed=0, steps=40)
    assert 0.3 < a <= 1.0


@pytest.mark.parametrize("kw,field", [({"method": "moco"}, "method"), ({"temperature": 0.0}, "temperature"),
                                      ({"temperature": float("inf")}, "temperature"), ({"ema": 1.0}, "ema"),
                                      ({"batch_size": 100}, "batch_size"), ({"seed": -1}, "seed"),
                                      ({"aug": "strong"}, "aug")])
def test_config_validation(kw, field):
    with pytest.raises(ValueError, match=field):
        ssl.Config(**kw)


def test_explorable_is_the_reference_simclr_encoder():
    ex = ssl.explorable(0)
    assert isinstance(ex, Explorable) and ex.kind == "image"
    assert ex.x.shape == (ssl.N_TEST, 1, 28, 28) and ex.y.shape == (ssl.N_TEST,)
    assert ex.classes == tuple(str(d) for d in range(10))
    assert ex.taps[-1][0].startswith("representation") and not ex.model.training
    seen = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=name: seen.__setitem__(n, o.shape)) for name, m in ex.taps]
    with torch.no_grad():
        out = ex.model(torch.as_tensor(np.array(ex.x[:5])))
    for h in hooks:
        h.remove()
    assert out.shape == (5, ssl.REP_DIM) and list(seen.values())[-1] == (5, ssl.REP_DIM)
    assert ssl.explorable(0).model is ex.model  # cached in-process
    # deterministic: the same run trained again gives the same weights
    tr = ssl.Trainer(ssl.Config(seed=0))
    for _ in range(ssl.REF_EPOCHS):
        tr._epoch()
    for p, q in zip(tr.encoder.parameters(), ex.model.parameters()):
        assert torch.equal(p, q)
    # the self-supervised features beat the untrained encoder under a 10-label probe
    ssl_acc = ssl.probe_curve(ex.model, (10,), 0).acc[0]
    rnd_acc = ssl.probe_curve(ssl.make_encoder(0).eval(), (10,), 0).acc[0]
    assert ssl_acc > rnd_acc + 0.1


def test_augmentation_gallery_rows_are_each_augmentation_alone():
    cfg = AugConfig(crop=0.5, rotate=30, noise=0.2, blur=1.0, erase=1.0)
    rows = ssl.augmentation_gallery(cfg, n=3, seed=0)
    assert list(rows)[0] == "original" and list(rows)[-1] == "all together" and len(rows) == 7
    orig = rows["original"]
    for name, imgs in rows.items():
        assert imgs.shape == (3, 1, 28, 28) and imgs.min() >= 0 and imgs.max() <= 1
        assert name == "original" or not np.array_equal(imgs, orig), name
    noise = rows["noise σ = 0.2"] - orig
    assert 0.05 < noise.std() < 0.2  # clipping at 0 and 1 shrinks it below σ
    erased = rows["erasing (p = 1)"]
    assert np.all(erased <= orig) and np.array_equal(ssl.augmentation_gallery(cfg, n=3, seed=0)["all together"],
                                                     rows["all together"])
