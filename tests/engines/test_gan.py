"""The 2-D GAN engine: losses vs their formulas, WGAN-GP's penalty vs a hand computation,
spectral norm vs SVD, the mode-coverage metric, gradient arrows vs finite differences,
determinism and validation."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from explorer.engines import gan

D_REAL = np.array([2.0, -1.0, 0.5, 0.0])
D_FAKE = np.array([-0.5, 1.5, 0.0, -3.0])


def _sig(t):
    return 1 / (1 + np.exp(-t))


# (D loss, G loss) written from the papers' formulas on probabilities / scores
FORMULAS = {
    "minimax": (-np.mean(np.log(_sig(D_REAL))) - np.mean(np.log(1 - _sig(D_FAKE))),
                np.mean(np.log(1 - _sig(D_FAKE)))),
    "nonsat": (-np.mean(np.log(_sig(D_REAL))) - np.mean(np.log(1 - _sig(D_FAKE))),
               -np.mean(np.log(_sig(D_FAKE)))),
    "wgan": (D_FAKE.mean() - D_REAL.mean(), -D_FAKE.mean()),
    "wgan_gp": (D_FAKE.mean() - D_REAL.mean(), -D_FAKE.mean()),
    "hinge": (np.maximum(0, 1 - D_REAL).mean() + np.maximum(0, 1 + D_FAKE).mean(), -D_FAKE.mean()),
}


@pytest.mark.parametrize("kind", gan.LOSSES)
def test_each_loss_matches_its_formula_on_known_logits(kind):
    dr, df = torch.tensor(D_REAL), torch.tensor(D_FAKE)
    want_d, want_g = FORMULAS[kind]
    assert math.isclose(float(gan.d_loss(kind, dr, df)), want_d, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(float(gan.g_loss(kind, df)), want_g, rel_tol=1e-12, abs_tol=1e-12)


def test_hinge_ignores_confident_points_and_unknown_loss_is_rejected():
    # relu(1 − d_r) is 0 once d_r ≥ 1: D is no longer pushed on those points
    assert float(gan.d_loss("hinge", torch.tensor([5.0]), torch.tensor([-5.0]))) == 0.0
    with pytest.raises(ValueError, match="loss"):
        gan.d_loss("bogus", torch.zeros(1), torch.zeros(1))


def test_g_loss_shapes_are_the_losses_as_functions_of_d():
    p = np.array([0.1, 0.5, 0.9])
    s = gan.g_loss_shapes(p)
    mm, ns, cr = s.values()
    np.testing.assert_allclose(mm, np.log(1 - p))
    np.testing.assert_allclose(ns, -np.log(p))
    np.testing.assert_allclose(cr, -np.log(p / (1 - p)), atol=1e-12)
    # the saturation: minimax's slope at p = 0.1 is small, non-saturating's is large
    assert abs(1 / (1 - 0.1)) < abs(-1 / 0.1)


class TinyCritic(torch.nn.Module):
    """f(x) = aᵀ tanh(Wx + b): its input gradient is Wᵀ(a ⊙ (1 − tanh²(Wx + b)))."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(3)
        self.W = torch.nn.Parameter(torch.randn(3, 2, generator=g, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.randn(3, generator=g, dtype=torch.float64))
        self.a = torch.nn.Parameter(torch.randn(3, generator=g, dtype=torch.float64))

    def forward(self, x):
        return torch.tanh(x @ self.W.T + self.b) @ self.a


def test_wgan_gp_penalty_on_seeded_interpolates_matches_a_hand_computation():
    g = torch.Generator().manual_seed(11)
    real = torch.randn(6, 2, generator=g, dtype=torch.float64)
    fake = torch.randn(6, 2, generator=g, dtype=torch.float64) + 2
    eps = torch.rand(6, 1, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    critic = TinyCritic()
    pen, x_hat = gan.gradient_penalty(critic, real, fake, eps)
    # the interpolates: ε·real + (1 − ε)·fake with the same seeded ε
    e = torch.rand(6, 1, generator=torch.Generator().manual_seed(5), dtype=torch.float64).numpy()
    xh = e * real.numpy() + (1 - e) * fake.numpy()
    np.testing.assert_allclose(x_hat.detach().numpy(), xh, rtol=1e-12)
    W, b, a = (t.detach().numpy() for t in (critic.W, critic.b, critic.a))
    grad = (a * (1 - np.tanh(xh @ W.T + b) ** 2)) @ W  # (6, 2), by hand
    want = np.mean((np.linalg.norm(grad, axis=1) - 1) ** 2)
    assert math.isclose(float(pen), want, rel_tol=1e-10)
    # the penalty trains the critic: it has a gradient w.r.t. the critic's weights
    pen.backward()
    assert critic.W.grad is not None and float(critic.W.grad.abs().sum()) > 0


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    w = torch.tensor([[3.0, 4.0]])
    critic = lambda x: (x @ w.T).squeeze(1)  # noqa: E731  ‖∇f‖ = 5 everywhere
    pen, _ = gan.gradient_penalty(critic, torch.zeros(4, 2), torch.ones(4, 2), torch.full((4, 1), 0.3))
    assert math.isclose(float(pen), (5 - 1) ** 2, rel_tol=1e-6)


def test_spectral_norm_makes_the_largest_singular_value_one():
    g = torch.Generator().manual_seed(0)
    layer = gan.SNLinear(7, 5, g)
    with torch.no_grad():
        layer.lin.weight.mul_(10)
    w = layer.lin.weight.detach()
    sigma, _, _ = gan.power_iteration(w, layer.u, 200)
    assert math.isclose(float(sigma), float(torch.linalg.svdvals(w)[0]), rel_tol=1e-5)
    layer.train()
    for _ in range(60):  # one power-iteration round per training forward pass, u persists
        layer(torch.zeros(1, 7))
    wn = layer.normalized_weight().detach()
    assert abs(float(torch.linalg.svdvals(wn)[0]) - 1) < 1e-3
    # the layer computes W̄x + b with W̄ = W/σ
    x = torch.randn(3, 7, generator=g)
    layer.eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), (x @ layer.normalized_weight().T + layer.lin.bias).detach()
                               .numpy(), rtol=1e-6)


def test_trainer_with_sn_keeps_every_d_layer_near_unit_spectral_norm():
    tr = gan.Trainer(gan.Config(sn=True, width=32, batch=64))
    tr.advance(3)
    layers = [m for m in tr.D.modules() if isinstance(m, gan.SNLinear)]
    assert len(layers) == 3
    for m in layers:
        s = float(torch.linalg.svdvals(m.normalized_weight().detach())[0])
        # power iteration underestimates σ (uᵀWv ≤ σ_max), so W/σ̂ is ≥ 1, and a few rounds get close
        assert 1 - 1e-5 <= s < 1.15, s


def test_coverage_on_constructed_samples():
    t = gan.make_target(gan.Config(target="ring", spread=0.1))
    assert t.n_modes == 8 and math.isclose(t.radius, 0.3)
    c = t.centres
    rng = np.random.default_rng(0)
    parts = [c[k] + 0.05 * rng.standard_normal((100, 2)) for k in range(5)]   # 5 well-covered modes
    parts.append(c[5] + 0.05 * rng.standard_normal((10, 2)))                  # a trickle on mode 6
    parts.append(np.full((40, 2), 0.0))                                       # off-target (the centre)
    parts.append(np.array([[np.nan, 1.0]]))                                   # a broken sample
    x = np.vstack(parts)
    cov = gan.coverage(x, t.anchors, t.anchor_mode, t.n_modes, t.radius)
    n = len(x)
    assert cov.counts.tolist() == [100] * 5 + [10, 0, 0]
    assert cov.covered.tolist() == [True] * 5 + [False] * 3   # 10 < 0.25 · 551/8
    assert cov.n_covered == 5
    assert math.isclose(cov.hq_share, 510 / n)


def test_coverage_of_a_curve_target_by_arcs():
    t = gan.make_target(gan.Config(target="moons", spread=0.05))
    assert t.n_modes == 8 and len(t.centres) == 0
    on_curve = t.anchors[t.anchor_mode == 2]          # all samples on arc 3
    cov = gan.coverage(on_curve, t.anchors, t.anchor_mode, 8, t.radius)
    assert cov.n_covered == 1 and cov.covered[2] and cov.hq_share == 1.0
    real = gan.sample_target(t, 4000, torch.Generator().manual_seed(0)).numpy()
    full = gan.coverage(real, t.anchors, t.anchor_mode, 8, t.radius)
    assert full.n_covered == 8 and full.hq_share > 0.97   # 3σ holds ≈99 % of the jitter


def test_real_samples_of_the_ring_sit_on_its_modes():
    t = gan.make_target(gan.Config(target="ring", spread=0.1))
    x = gan.sample_target(t, 8000, torch.Generator().manual_seed(1)).numpy()
    cov = gan.coverage(x, t.anchors, t.anchor_mode, 8, t.radius)
    assert cov.n_covered == 8 and 0.985 < cov.hq_share <= 1.0  # 2-D Gaussian within 3σ: 1 − e^{−4.5} ≈ 0.989
    np.testing.assert_allclose(cov.counts / cov.counts.sum(), 1 / 8, atol=0.02)


def test_arrows_are_minus_the_generator_loss_gradient_by_finite_differences():
    tr = gan.Trainer(gan.Config(loss="nonsat", width=32))
    tr.advance(2)
    s = tr.snapshot
    x = torch.tensor(s.fake[:5], dtype=torch.float32, requires_grad=False)
    tr.D.eval()
    h = 1e-3
    for i in range(5):
        for j in range(2):
            xp, xm = x[i].clone(), x[i].clone()
            xp[j] += h
            xm[j] -= h
            with torch.no_grad():
                lp = float(gan.g_loss_each("nonsat", tr.D(xp[None])))
                lm = float(gan.g_loss_each("nonsat", tr.D(xm[None])))
            assert math.isclose(s.arrows[i, j], -(lp - lm) / (2 * h), rel_tol=2e-2, abs_tol=2e-4)


def test_d_map_is_d_probability_on_the_grid():
    tr = gan.Trainer(gan.Config(width=32))
    tr.advance(1)
    s = tr.snapshot
    i, j = 17, 40  # row = y index, column = x index
    with torch.no_grad():
        logit = float(tr.D(torch.tensor([[s.grid[j], s.grid[i]]], dtype=torch.float32)))
    assert math.isclose(s.d_map[i, j], 1 / (1 + math.exp(-logit)), rel_tol=1e-5)
    assert s.map_kind == "prob" and 0 <= s.d_map.min() and s.d_map.max() <= 1
    c = gan.Trainer(gan.Config(loss="hinge", width=32)).snapshot
    assert c.map_kind == "critic"


def test_same_seed_same_run_and_another_seed_differs():
    cfg = gan.Config(loss="wgan_gp", width=32, batch=64, d_steps=2)
    a, b = gan.Trainer(cfg), gan.Trainer(cfg)
    sa, sb = a.advance(3), b.advance(3)
    np.testing.assert_array_equal(sa.fake, sb.fake)
    np.testing.assert_array_equal(sa.d_map, sb.d_map)
    assert sa.d_loss == sb.d_loss and sa.gp == sb.gp and sa.step == 30
    c = gan.Trainer(dataclasses.replace(cfg, seed=1)).advance(3)
    assert not np.array_equal(sa.fake, c.fake)


def test_snapshot_holds_numpy_not_tensors_and_history_grows():
    tr = gan.Trainer(gan.Config(width=32, batch=64))
    s = tr.advance(2)
    for f in dataclasses.fields(s):
        assert not isinstance(getattr(s, f.name), torch.Tensor), f.name
    assert s.real.shape == (gan.N_SHOW, 2) and s.fake.shape == (gan.N_SHOW, 2)
    assert s.arrows.shape == (gan.N_ARROWS, 2) and s.d_map.shape == (gan.MAP_N, gan.MAP_N)
    assert s.manifold.shape == (2, gan.MANIFOLD_LINES, gan.MANIFOLD_PTS, 2)
    h = tr.history()
    assert h["epoch"].tolist() == [0, 1, 2] and h["step"].tolist() == [0, 10, 20]
    assert tr.history(1)["epoch"].tolist() == [0, 1]


def test_wgan_clipping_keeps_d_weights_in_the_box():
    tr = gan.Trainer(gan.Config(loss="wgan", width=32, batch=64))
    tr.advance(2)
    assert max(float(p.abs().max()) for p in tr.D.parameters()) <= gan.CLIP + 1e-7


def test_non_saturating_gan_learns_the_ring():
    tr = gan.Trainer(gan.Config(loss="nonsat"))
    start = tr.snapshot
    s = tr.advance(40)  # 400 G updates
    assert start.modes_covered == 0 and s.modes_covered >= 6 and s.hq_share > 3 * start.hq_share


def test_each_loss_trains_with_its_recipe_optimizer():
    for loss, (opt, lr, d_steps) in gan.RECIPES.items():
        tr = gan.Trainer(gan.Config(loss=loss, lr=lr, d_steps=d_steps, width=32, batch=64))
        want = torch.optim.RMSprop if opt == "RMSProp" else torch.optim.Adam
        assert type(tr.opt_d) is want and type(tr.opt_g) is want, loss
        assert tr.opt_d.param_groups[0]["lr"] == lr and lr in gan.LEARNING_RATES and 1 <= d_steps <= 5
        if want is torch.optim.Adam:
            assert tr.opt_g.param_groups[0]["betas"] == gan.ADAM_BETAS
    assert gan.RECIPES["wgan"][0] == "RMSProp" and gan.RECIPES["wgan_gp"][2] == 5


def test_critic_steps_are_d_steps_updates_of_d_per_g_update():
    tr = gan.Trainer(gan.Config(loss="wgan_gp", d_steps=3, width=32, batch=64))
    tr.advance(1)
    assert tr.opt_d.state[next(tr.D.parameters())]["step"] == 3 * gan.ITERS_PER_STEP
    assert tr.opt_g.state[next(tr.G.parameters())]["step"] == gan.ITERS_PER_STEP


def test_wgan_gp_with_its_recipe_learns_the_ring():
    # regression: with λ = 10 (or 1 critic step) the generator wandered and covered 0–1 of 8 modes
    _, lr, d_steps = gan.RECIPES["wgan_gp"]
    tr = gan.Trainer(gan.Config(loss="wgan_gp", lr=lr, d_steps=d_steps, width=64))
    start = tr.snapshot
    s = tr.advance(25)  # 250 G updates, 1,250 critic updates
    assert not s.diverged and s.gp > 0
    assert start.modes_covered == 0 and s.modes_covered >= 6 and s.hq_share > 3 * start.hq_share


def test_a_nan_weight_is_reported_as_divergence_not_raised():
    tr = gan.Trainer(gan.Config(width=32, batch=64))
    with torch.no_grad():
        next(tr.G.parameters()).fill_(float("nan"))
    s = tr.advance(3)
    assert s.diverged and s.epoch == 1  # it stops after the step that diverged


def test_parse_centres_and_its_messages():
    assert gan.parse_centres("1,2; -0.5, 0") == ((1.0, 2.0), (-0.5, 0.0))
    assert gan.parse_centres(gan.format_centres(gan.DEFAULT_CENTRES)) == gan.DEFAULT_CENTRES
    for bad, words in (("", "at least one"), ("1,2;3", "centre 2"), ("1,2,3", "two numbers"),
                       ("9,0", "must lie in"), ("1,x", "not two numbers"), (";".join(["0,0"] * 13), "at most 12")):
        with pytest.raises(ValueError, match=words):
            gan.parse_centres(bad)


@pytest.mark.parametrize("field,value", [("target", "swirl"), ("spread", 0.0), ("spread", 1.0), ("loss", "l2"),
                                         ("sn", 1), ("d_steps", 0), ("d_steps", 11), ("lr", 0.5), ("batch", 100),
                                         ("width", 7), ("seed", -1), ("centres", ()), ("centres", ((9.0, 0.0),))])
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        gan.Config(**{field: value})
