"""The attacks engine: budgets for every attack, PGD against torchattacks and autograd, the loss
PGD climbs, determinism, the model left untouched, curves and transfer."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchattacks
from sklearn.datasets import load_digits

from explorer.engines import attacks as A

TOL = 1e-6


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    """sklearn's 8×8 digits as [N, 1, 8, 8] in [0, 1]."""
    d = load_digits()
    return (d.data / 16).astype(np.float32).reshape(-1, 1, 8, 8), d.target.astype(np.int64)


def _train(model: nn.Module, x, y, steps=80, lr=0.01) -> nn.Module:
    xt, yt = torch.tensor(x), torch.tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        opt.step()
    model.eval()
    return model


@pytest.fixture(scope="module")
def mlp(digits):
    torch.manual_seed(0)
    x, y = digits
    return _train(nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)), x[:1200], y[:1200])


@pytest.fixture(scope="module")
def cnn(digits):
    """A CNN with BatchNorm and dropout, whose modes an attack must not leave changed."""
    torch.manual_seed(1)
    x, y = digits
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.2), nn.Linear(8 * 16, 10))
    return _train(model, x[:500], y[:500], steps=50, lr=0.02)


@pytest.fixture(scope="module")
def batch(digits):
    x, y = digits
    return x[1300:1340], y[1300:1340]


def _cfg(name, norm, eps, steps=10, **kw):
    alpha = 0.05 if name == "cw" else A.default_alpha(eps, steps)
    return A.AttackConfig(name=name, norm=norm, eps=eps, steps=steps, alpha=alpha, **kw)


CASES = [(n, norm) for n, info in A.ATTACKS.items() for norm in info.norms]


def test_the_model_is_accurate_enough_to_attack(mlp, batch):
    x, y = batch
    assert A.accuracy(mlp, torch.tensor(x), torch.tensor(y)) > 0.85


# -- the budget, for every attack --------------------------------------------------------------------------
@pytest.mark.parametrize("name,norm", CASES)
def test_every_attack_stays_in_the_ball_and_in_the_image_range(mlp, batch, name, norm):
    x, y = batch
    eps = 0.08 if norm == "Linf" else 0.6
    steps = 3 if name in ("autoattack", "deepfool", "square") else 10
    r = A.run_attack(mlp, x[:8] if name == "autoattack" else x, y[:8] if name == "autoattack" else y,
                     _cfg(name, norm, eps, steps))
    n = len(r.adv)
    assert r.adv.shape == (n, 1, 8, 8) and r.adv.dtype == np.float32
    assert r.adv.min() >= 0.0 and r.adv.max() <= 1.0
    xs = x[:n]
    np.testing.assert_array_equal(r.delta, r.adv - xs)
    flat = (r.adv.astype(np.float64) - xs).reshape(n, -1)
    if norm == "Linf":
        assert np.abs(flat).max() <= eps + TOL
    else:
        assert np.linalg.norm(flat, axis=1).max() <= eps * (1 + TOL)
    np.testing.assert_allclose(r.linf, np.abs(flat).max(1), atol=1e-7)
    np.testing.assert_allclose(r.l2, np.linalg.norm(flat, axis=1), rtol=1e-6)
    np.testing.assert_allclose(r.adv_prob.sum(1), 1.0, atol=1e-9)
    assert r.adv_pred.shape == (n,) and r.clean_prob.shape == (n, 10)


@pytest.mark.parametrize("name,norm", [("pgd", "Linf"), ("pgdl2", "L2"), ("apgd", "Linf"), ("fgsm", "Linf")])
def test_gradient_attacks_fool_a_plain_network_and_noise_does_not(mlp, batch, name, norm):
    x, y = batch
    eps = 0.15 if norm == "Linf" else 1.5
    fooled = A.run_attack(mlp, x, y, _cfg(name, norm, eps, 20)).fooled.mean()
    noise = A.run_attack(mlp, x, y, _cfg("noise", norm, eps)).fooled.mean()
    assert fooled > 0.6 and noise < 0.2 and fooled > noise + 0.4


def test_minimum_norm_attacks_are_scaled_back_onto_the_ball(mlp, batch):
    x, y = batch
    r = A.run_attack(mlp, x, y, _cfg("cw", "L2", 0.05, steps=50))
    assert r.projected.any(), "CW's own δ exceeds a tiny budget on some image"
    assert (r.l2 <= 0.05 * (1 + TOL)).all()
    np.testing.assert_allclose(r.l2[r.projected], 0.05, rtol=1e-4)


def test_fgsm_is_one_signed_gradient_step_by_autograd(mlp, batch):
    x, y = batch
    eps = 0.1
    xt = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(mlp(xt), torch.tensor(y))
    (g,) = torch.autograd.grad(loss, xt)
    expected = (torch.tensor(x) + eps * g.sign()).clamp(0, 1).numpy()
    r = A.run_attack(mlp, x, y, _cfg("fgsm", "Linf", eps))
    np.testing.assert_allclose(r.adv, expected, atol=2e-7)


def test_eps_zero_leaves_the_images_alone(mlp, batch):
    x, y = batch
    r = A.run_attack(mlp, x, y, _cfg("pgd", "Linf", 0.0))
    np.testing.assert_array_equal(r.adv, x)
    np.testing.assert_array_equal(r.adv_prob, r.clean_prob)


def test_targeted_pgd_steers_to_the_target(mlp, batch):
    x, y = batch
    keep = y != 3
    r = A.run_attack(mlp, x[keep], y[keep], _cfg("pgd", "Linf", 0.3, steps=40, target=3))
    assert r.target == 3 and r.success.mean() > 0.8
    np.testing.assert_array_equal(r.success, r.adv_pred == 3)
    assert (r.adv_prob[:, 3] > r.clean_prob[:, 3]).mean() > 0.95


# -- PGD: the trace against torchattacks, and the loss it climbs -----------------------------------------------
@pytest.mark.parametrize("norm,eps,target", [("Linf", 0.1, None), ("L2", 1.0, None), ("Linf", 0.2, 7), ("L2", 2.0, 1)])
def test_trace_equals_torchattacks_pgd_without_random_start(mlp, batch, norm, eps, target):
    x, y = batch
    cfg = _cfg("pgd" if norm == "Linf" else "pgdl2", norm, eps, steps=12, target=target)
    tr = A.pgd_trace(mlp, x, y, cfg)
    cls = torchattacks.PGD if norm == "Linf" else torchattacks.PGDL2
    atk = cls(mlp, eps=eps, alpha=cfg.alpha, steps=12, random_start=False)
    if target is not None:
        atk.set_mode_targeted_by_function(lambda inputs, labels: torch.full_like(labels, target))
    theirs = atk(torch.tensor(x), torch.tensor(y)).numpy()
    np.testing.assert_array_equal(tr.adv, theirs)
    assert tr.loss.shape == (13, len(x)) and tr.probs.shape == (13, len(x), 10)
    np.testing.assert_allclose(tr.loss[0], tr.clean_loss, rtol=1e-6)
    np.testing.assert_array_equal(tr.preds, tr.probs.argmax(2))
    np.testing.assert_array_equal(tr.iterates[-1], tr.adv)
    # the recorded loss is the cross-entropy of each iterate (checked at the last one)
    with torch.no_grad():
        last = F.cross_entropy(mlp(torch.tensor(theirs)).double(), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(tr.loss[-1], last, rtol=1e-5)
    assert ((tr.linf <= eps + TOL) if norm == "Linf" else (tr.l2 <= eps * (1 + TOL))).all()


def test_trace_with_random_start_equals_run_attack_with_the_same_seed(mlp, batch):
    x, y = batch
    for norm, name, eps in (("Linf", "pgd", 0.1), ("L2", "pgdl2", 1.0)):
        cfg = _cfg(name, norm, eps, steps=8, seed=5)
        tr = A.pgd_trace(mlp, x, y, cfg, random_start=True)
        r = A.run_attack(mlp, x, y, cfg)
        np.testing.assert_allclose(tr.adv, r.adv, atol=1e-6)
        assert not np.array_equal(tr.iterates[0], x), "the trace starts from the random start"


@pytest.mark.parametrize("eps", [0.02, 0.05, 0.1, 0.2])
def test_pgd_never_reduces_the_loss_it_maximizes(mlp, batch, eps):
    x, y = batch
    r = A.run_attack(mlp, x, y, _cfg("pgd", "Linf", eps, steps=10))
    assert (r.adv_loss >= r.clean_loss - 1e-9).all()
    tr = A.pgd_trace(mlp, x, y, _cfg("pgd", "Linf", eps, steps=10))
    assert (tr.objective[-1] >= tr.objective[0] - 1e-9).all()
    assert (tr.objective.max(0) > tr.objective[0]).mean() > 0.95  # and it does climb


def test_targeted_trace_climbs_minus_the_target_loss(mlp, batch):
    x, y = batch
    tr = A.pgd_trace(mlp, x, y, _cfg("pgd", "Linf", 0.2, steps=10, target=4))
    with torch.no_grad():
        t_loss = F.cross_entropy(mlp(torch.tensor(tr.adv)).double(), torch.full((len(x),), 4),
                                 reduction="none").numpy()
    np.testing.assert_allclose(tr.objective[-1], -t_loss, rtol=1e-5)
    assert (tr.objective[-1] >= tr.objective[0]).all()


# -- determinism and a model left as it was ------------------------------------------------------------------
@pytest.mark.parametrize("name,norm", [("pgd", "Linf"), ("pgdl2", "L2"), ("square", "Linf"), ("apgd", "L2"),
                                       ("noise", "Linf")])
def test_same_seed_same_result_and_the_global_rng_is_untouched(mlp, batch, name, norm):
    x, y = batch
    eps = 0.1 if norm == "Linf" else 1.0
    state = torch.get_rng_state()
    a = A.run_attack(mlp, x, y, _cfg(name, norm, eps, steps=5, seed=3))
    b = A.run_attack(mlp, x, y, _cfg(name, norm, eps, steps=5, seed=3))
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(a.adv, b.adv)
    c = A.run_attack(mlp, x, y, _cfg(name, norm, eps, steps=5, seed=4))
    assert not np.array_equal(a.adv, c.adv)


def test_attacks_leave_modes_flags_weights_and_grads_as_they_were(cnn, batch):
    x, y = batch
    before = {k: v.clone() for k, v in cnn.state_dict().items()}
    cnn.zero_grad(set_to_none=True)
    cnn.train()
    cnn[0].weight.requires_grad_(False)
    try:
        for name in ("pgd", "cw", "deepfool"):
            norm = A.ATTACKS[name].norms[0]
            A.run_attack(cnn, x[:8], y[:8], _cfg(name, norm, 0.1 if norm == "Linf" else 1.0, steps=3))
            assert cnn.training and cnn[1].training and cnn[5].training
            assert [p.requires_grad for p in cnn.parameters()] == [False] + [True] * 5
            assert all(p.grad is None for p in cnn.parameters())
        for k, v in cnn.state_dict().items():
            assert torch.equal(v, before[k]), k  # not even BatchNorm's running statistics moved
    finally:
        cnn[0].weight.requires_grad_(True)
        cnn.eval()


# -- validation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,field", [({"name": "nope"}, "name"), ({"name": "fgsm", "norm": "L2"}, "norm"),
                                      ({"norm": "L1"}, "norm"), ({"eps": -0.1}, "eps"), ({"eps": 1.5}, "eps"),
                                      ({"eps": float("nan")}, "eps"), ({"steps": 0}, "steps"),
                                      ({"alpha": -0.1}, "alpha"), ({"name": "deepfool", "norm": "L2", "target": 2},
                                                                  "target"), ({"seed": -1}, "seed")])
def test_config_rejects_bad_values_naming_the_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        A.AttackConfig(**kw)


def test_coerced_fixes_norm_and_target_with_notes():
    cfg, notes = A.AttackConfig.coerced(name="deepfool", norm="Linf", eps=0.5, steps=5, alpha=0.1, target=3, seed=0)
    assert cfg.norm == "L2" and cfg.target is None and len(notes) == 2
    cfg, notes = A.AttackConfig.coerced(name="pgd", norm="Linf", eps=0.1, steps=5, alpha=0.02, target=None, seed=0)
    assert notes == [] and cfg.norm == "Linf"


def test_bad_inputs_are_refused(mlp, batch):
    x, y = batch
    with pytest.raises(ValueError, match="x:"):
        A.run_attack(mlp, x * 2, y, _cfg("fgsm", "Linf", 0.1))
    with pytest.raises(ValueError, match="target:"):
        A.run_attack(mlp, x, y, _cfg("fgsm", "Linf", 0.1, target=12))
    with pytest.raises(ValueError, match="x:"):
        A.run_attack(mlp, x[:, 0], y, _cfg("fgsm", "Linf", 0.1))


# -- curves and transfer -------------------------------------------------------------------------------------
def test_robust_accuracy_curve(mlp, digits):
    x, y = digits[0][1300:1428], digits[1][1300:1428]
    seen = []
    eps = [0.0, 0.05, 0.1, 0.2]
    curve = A.robust_accuracy_curve(mlp, x, y, ["fgsm", "pgd"], eps, steps=10, batch=50,
                                    progress=lambda f, t: seen.append(f))
    assert curve.acc.shape == (2, 4) and curve.n == 128
    assert seen[-1] == pytest.approx(1.0) and len(seen) == 8 and seen == sorted(seen)
    np.testing.assert_allclose(curve.acc[:, 0], curve.clean_acc)
    assert (np.diff(curve.acc, axis=1) <= 1e-9).all(), "more budget never helps the model here"
    assert (curve.acc[1] <= curve.acc[0] + 1e-9).all(), "PGD is at least as strong as FGSM"
    assert curve.acc[1, -1] < 0.2 < curve.clean_acc
    # the same number, image by image, from run_attack (one batch, one seed)
    one = A.robust_accuracy_curve(mlp, x, y, ["pgd"], [0.1], steps=10, batch=256, seed=2)
    r = A.run_attack(mlp, x, y, A.AttackConfig("pgd", "Linf", 0.1, 10, A.default_alpha(0.1, 10), seed=2))
    assert one.acc[0, 0] == pytest.approx(np.mean(r.adv_pred == y))


def test_transfer_matrix_diagonal_is_the_white_box_attack(mlp, cnn, batch):
    x, y = batch
    cfg = _cfg("pgd", "Linf", 0.1, steps=10)
    t = A.transfer_matrix({"mlp": mlp, "cnn": cnn}, x, y, cfg)
    assert t.acc.shape == (2, 2) and t.names == ("mlp", "cnn")
    for i, m in enumerate((mlp, cnn)):
        r = A.run_attack(m, x, y, cfg)
        assert t.acc[i, i] == pytest.approx(np.mean(r.adv_pred == y))
        assert t.clean[i] == pytest.approx(np.mean(r.clean_pred == y))
    assert t.acc[0, 1] > t.acc[0, 0] and t.acc[1, 0] > t.acc[1, 1], "white-box beats transfer"


def test_amplify_maps_delta_to_the_full_range():
    d = np.array([[-0.02, 0.0, 0.01]])
    img, factor = A.amplify(d)
    assert factor == pytest.approx(25.0)
    np.testing.assert_allclose(img, [[0.0, 0.5, 0.75]])
    flat, f0 = A.amplify(np.zeros((2, 2)))
    assert f0 == 1.0 and (flat == 0.5).all()
