"""DDPM/DDIM math against closed forms, the 2-D trainer's loss, quality metrics and determinism."""
import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from explorer.engines import diffusion as dif

TINY = dict(T=50, width=16, batch=64, steps_per_epoch=5)


# -- schedules ---------------------------------------------------------------------------------------
def test_linear_schedule_is_ho_et_al_at_1000_steps():
    s = dif.make_schedule("linear", 1000)
    np.testing.assert_allclose(s.betas, np.linspace(1e-4, 0.02, 1000), rtol=0, atol=1e-15)
    ab = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
    np.testing.assert_allclose(s.alpha_bar, ab, rtol=1e-12)
    assert math.isclose(s.alpha_bar[-1], 4.04e-5, rel_tol=0.01)  # Ho et al.: ᾱ_T ≈ 4e-5
    # other T: the same range scaled by 1000/T, so ᾱ_T stays about as small
    s2 = dif.make_schedule("linear", 100)
    assert math.isclose(s2.betas[0], 1e-3) and math.isclose(s2.betas[-1], 0.2)


@pytest.mark.parametrize("T", [50, 200, 1000])
def test_cosine_schedule_is_nichol_dhariwal(T):
    s = dif.make_schedule("cosine", T)
    f = [math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(T + 1)]
    want = np.array([f[t] / f[0] for t in range(1, T + 1)])
    unclipped = s.betas < dif.MAX_BETA  # β is clipped at 0.999 only at the very end
    assert unclipped[:-1].all()
    np.testing.assert_allclose(s.alpha_bar[:-1], want[:-1], rtol=1e-10)
    assert s.betas.max() <= dif.MAX_BETA and (np.diff(s.alpha_bar) < 0).all()


@pytest.mark.parametrize("kind", dif.SCHEDULES)
def test_schedule_derived_quantities(kind):
    s = dif.make_schedule(kind, 200)
    np.testing.assert_allclose(s.alpha_bar, np.cumprod(s.alphas))
    np.testing.assert_allclose(s.snr, s.alpha_bar / (1 - s.alpha_bar))
    assert s.alpha_bar_prev[0] == 1.0 and np.array_equal(s.alpha_bar_prev[1:], s.alpha_bar[:-1])
    assert (np.diff(np.log(s.snr)) < 0).all()  # the signal-to-noise ratio falls at every step


# -- forward process ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", dif.SCHEDULES)
def test_iterated_one_step_kernel_matches_closed_form_marginal(kind):
    s = dif.make_schedule(kind, 100)
    x0 = np.repeat(np.array([[1.5, -0.7]]), 40_000, axis=0)
    keep = np.array([0, 9, 49, 99])
    xs = dif.forward_chain(x0, s, keep, seed=3)
    for k, x in zip(keep, xs):
        mean, var = np.sqrt(s.alpha_bar[k]) * x0[0], 1 - s.alpha_bar[k]
        se = np.sqrt(var / len(x))
        assert np.all(np.abs(x.mean(0) - mean) < 5 * se + 1e-12), (k, x.mean(0), mean)
        # variance of the sample variance ≈ 2σ⁴/n
        assert np.all(np.abs(x.var(0) - var) < 5 * var * np.sqrt(2 / len(x))), (k, x.var(0), var)


def test_q_sample_and_noised_views_are_the_closed_form():
    s = dif.make_schedule("cosine", 100)
    x0 = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps = torch.randn(6, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    t = torch.tensor([0, 5, 20, 50, 80, 99])
    got = dif.q_sample(x0, t, eps, s)
    ab = torch.tensor(s.alpha_bar)[t][:, None]
    torch.testing.assert_close(got, ab.sqrt() * x0 + (1 - ab).sqrt() * eps)
    views = dif.noised_views(np.ones((3, 3)), s, np.array([0, 99]), seed=0)
    assert views.shape == (2, 3, 3)
    eps_np = np.random.default_rng(0).standard_normal((3, 3))
    np.testing.assert_allclose(views[1], np.sqrt(s.alpha_bar[99]) + np.sqrt(1 - s.alpha_bar[99]) * eps_np)


@pytest.mark.parametrize("kind", dif.SCHEDULES)
@pytest.mark.parametrize("t", [1, 7, 60, 99])
def test_posterior_is_the_bayes_product_of_two_gaussians(kind, t):
    """q(x_{t−1}|x_t, x_0) ∝ q(x_t|x_{t−1}) q(x_{t−1}|x_0): precision-weighted product."""
    s = dif.make_schedule(kind, 100)
    x0, xt = 0.8, -1.3
    prior_m, prior_v = math.sqrt(s.alpha_bar_prev[t]) * x0, 1 - s.alpha_bar_prev[t]
    a, b = math.sqrt(s.alphas[t]), s.betas[t]  # q(x_t|x_{t−1}) = N(a x_{t−1}, b)
    var = 1 / (1 / prior_v + a * a / b)
    mean = var * (prior_m / prior_v + a * xt / b)
    got_m, got_v = dif.posterior(x0, xt, t, s)
    assert math.isclose(got_m, mean, rel_tol=1e-9) and math.isclose(got_v, var, rel_tol=1e-9)


def test_posterior_matches_monte_carlo_conditioning():
    """Sample (x_{t−1}, x_t) jointly from x_0, keep pairs with x_t near a value: their x_{t−1}
    has the posterior's mean and variance."""
    s = dif.make_schedule("linear", 20)
    t, x0, xt = 10, 1.0, 0.5
    g = np.random.default_rng(0)
    prev = np.sqrt(s.alpha_bar_prev[t]) * x0 + np.sqrt(1 - s.alpha_bar_prev[t]) * g.standard_normal(2_000_000)
    cur = np.sqrt(s.alphas[t]) * prev + np.sqrt(s.betas[t]) * g.standard_normal(len(prev))
    sel = prev[np.abs(cur - xt) < 0.01]
    mean, var = dif.posterior(x0, xt, t, s)
    assert len(sel) > 5000
    assert abs(sel.mean() - mean) < 5 * math.sqrt(var / len(sel)) + 2e-3
    assert abs(sel.var() - var) / var < 0.06


# -- reverse steps ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", dif.SCHEDULES)
def test_ddim_with_eta_one_and_all_steps_has_ddpm_posterior_variance(kind):
    s = dif.make_schedule(kind, 200)
    for t in range(1, 200):
        sigma = dif.ddim_sigma(s.alpha_bar[t], s.alpha_bar_prev[t], 1.0)
        assert math.isclose(sigma ** 2, s.post_var[t], rel_tol=1e-9), t
        assert dif.ddim_sigma(s.alpha_bar[t], s.alpha_bar_prev[t], 0.0) == 0.0


@pytest.mark.parametrize("t", [1, 30, 150, 199])
def test_ddim_eta_one_step_equals_ddpm_step(t):
    s = dif.make_schedule("cosine", 200)
    g = torch.Generator().manual_seed(t)
    x, eps, z = (torch.randn(5, 2, generator=g, dtype=torch.float64) for _ in range(3))
    ddpm = dif.ddpm_step(x, t, eps, z, s)
    ddim = dif.ddim_step(x, float(s.alpha_bar[t]), float(s.alpha_bar_prev[t]), eps, z, 1.0)
    torch.testing.assert_close(ddim, ddpm, rtol=1e-9, atol=1e-9)


def test_reverse_step_with_the_true_noise_recovers_x0_deterministically():
    s = dif.make_schedule("linear", 100)
    x0 = torch.tensor([[0.3, -1.2]], dtype=torch.float64)
    eps = torch.tensor([[0.5, 0.1]], dtype=torch.float64)
    xt = dif.q_sample(x0, torch.tensor([70]), eps, s)
    torch.testing.assert_close(dif.predict_x0(xt, eps, s.alpha_bar[70]), x0)
    out = dif.ddim_step(xt, float(s.alpha_bar[70]), 1.0, eps, None, 0.0)  # jump straight to the data
    torch.testing.assert_close(out, x0)


def test_ddim_timesteps():
    assert dif.ddim_timesteps(200, 200).tolist() == list(range(199, -1, -1))
    seq = dif.ddim_timesteps(200, 20)
    assert len(seq) == 20 and seq[0] == 199 and seq[-1] == 0 and (np.diff(seq) < 0).all()


class Oracle(torch.nn.Module):
    """The exact ε-predictor for data concentrated at one point c."""

    def __init__(self, c, sched):
        super().__init__()
        self.c, self.s = torch.as_tensor(c, dtype=torch.float32), sched

    def forward(self, x, t):
        ab = torch.as_tensor(self.s.alpha_bar, dtype=torch.float32)[t][:, None]
        return (x - ab.sqrt() * self.c) / (1 - ab).sqrt()


@pytest.mark.parametrize("method,steps,eta", [("ddpm", None, 0.0), ("ddim", 10, 0.0), ("ddim", 25, 1.0)])
def test_samplers_with_the_exact_denoiser_land_on_the_data(method, steps, eta):
    s = dif.make_schedule("cosine", 100)
    xT = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    tr = dif.sample(Oracle([1.0, -2.0], s), s, xT, method, steps, eta, seed=1, keep=5)
    np.testing.assert_allclose(tr.x[-1], np.tile([1.0, -2.0], (200, 1)), atol=1e-3)
    assert tr.steps[0] == 100 and tr.steps[-1] == 0 and tr.x.shape[1:] == (200, 2)
    assert tr.evals == (100 if method == "ddpm" else steps)


# -- metrics -----------------------------------------------------------------------------------------------
def test_energy_distance_matches_scipy_in_1d_and_is_a_distance():
    g = np.random.default_rng(0)
    a, b = g.normal(0, 1, 300), g.normal(0.5, 2, 200)
    assert math.isclose(dif.energy_distance(a[:, None], b[:, None]), scipy.stats.energy_distance(a, b), rel_tol=1e-9)
    x = g.normal(size=(100, 2))
    assert dif.energy_distance(x, x) == 0.0
    assert dif.energy_distance(x, x + 3) > dif.energy_distance(x, x + 1) > 0


def test_quality_of_the_data_itself_and_of_noise():
    data, held = dif.make_points("gaussians", 2000, 0), dif.make_points("gaussians", 1000, 5)
    fresh = dif.make_points("gaussians", 600, 9)
    q = dif.quality(fresh, data, held)
    assert 0.9 <= q.on_data <= 1.0 and q.energy < 0.15  # V-statistic: small positive bias at n = 600
    noise = 2 * np.random.default_rng(0).standard_normal((600, 2))  # too wide: the untrained look
    qn = dif.quality(noise, data, held)
    assert qn.on_data < 0.5 and qn.energy > 3 * q.energy
    assert dif.quality(np.full((3, 2), np.nan), data, held).on_data == 0.0


@pytest.mark.parametrize("name", dif.DATASETS)
def test_points_are_standardized(name):
    x = dif.make_points(name, 1500, 0)
    assert x.shape == (1500, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
    assert math.isclose(float((x ** 2).mean()), 1.0, rel_tol=1e-4)
    assert np.array_equal(x, dif.make_points(name, 1500, 0))


# -- denoiser and trainer -----------------------------------------------------------------------------------
def test_loss_is_the_eps_prediction_mse():
    s = dif.make_schedule("linear", 50)
    torch.manual_seed(0)
    model = dif.PointDenoiser(16, 50)
    g = torch.Generator().manual_seed(2)
    x0, eps = torch.randn(32, 2, generator=g), torch.randn(32, 2, generator=g)
    t = torch.randint(0, 50, (32,), generator=g)
    ab = torch.tensor(s.alpha_bar, dtype=torch.float32)[t][:, None]
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    want = F.mse_loss(model(xt, t), eps)
    torch.testing.assert_close(dif.eps_loss(model, x0, t, eps, s), want)


def test_time_embedding_shape_and_range():
    e = dif.time_embedding(torch.tensor([0, 10, 49]), 32, 50)
    assert e.shape == (3, 32) and float(e.abs().max()) <= 1.0
    torch.testing.assert_close(e[0, :16], torch.zeros(16))  # sin(0) = 0


def test_trainer_is_deterministic_by_seed_and_learns():
    cfg = dif.Config(**TINY, lr=3e-3)
    a, b = dif.Trainer(cfg), dif.Trainer(cfg)
    sa, sb = a.advance(3), b.advance(3)
    assert sa.epoch == 3 and sa.step == 15
    assert sa.train_loss == sb.train_loss and np.array_equal(sa.samples, sb.samples)
    c = dif.Trainer(dif.Config(**TINY, lr=3e-3, seed=1)).advance(3)
    assert c.train_loss != sa.train_loss
    first = a.snapshot.test_loss
    a.advance(20)
    assert a.snapshot.test_loss < first and a.snapshot.test_loss < 1.0  # an untrained net scores ≈ 1+


def test_trainer_snapshot_contract_and_state_dict():
    tr = dif.Trainer(dif.Config(**TINY))
    s0 = tr.snapshot
    assert s0.epoch == 0 and not s0.diverged and s0.samples.shape == (dif.N_SAMPLES, 2)
    assert isinstance(s0.train_loss, float) and isinstance(s0.samples, np.ndarray)
    state = tr.state_dict()
    tr.advance(2)
    other = dif.Trainer(dif.Config(**TINY))
    other.load_state_dict(state)
    other.advance(2)
    assert other.snapshot.train_loss == tr.snapshot.train_loss


def test_huge_learning_rate_diverges_into_the_snapshot():
    tr = dif.Trainer(dif.Config(**TINY, lr=1.0))
    for _ in range(40):
        snap = tr.advance(1)
        if snap.diverged:
            break
    assert snap.diverged and not np.isfinite(snap.samples).any()
    assert tr.advance(1).epoch == snap.epoch  # a diverged run does not train further


def test_trainer_on_given_points_holds_a_third_out():
    pts = np.random.default_rng(0).standard_normal((300, 2)).astype(np.float32)
    tr = dif.Trainer(dif.Config(dataset="latent", **TINY), pts)
    assert len(tr.data) == 200 and len(tr.held_out) == 100


def test_compare_samplers_rows():
    tr = dif.Trainer(dif.Config(**TINY))
    c = dif.compare_samplers(tr, (5, 10, 100), n=50)
    assert c.labels == ("DDPM, 50 steps", "DDIM, 5 steps", "DDIM, 10 steps")  # 100 > T is dropped
    assert c.samples.shape == (3, 50, 2) and (c.seconds > 0).all() and np.isfinite(c.energy).all()


@pytest.mark.parametrize("field,value", [("schedule", "quadratic"), ("T", 5), ("width", 0), ("lr", float("nan")),
                                         ("dataset", "spiral"), ("seed", -1), ("batch", 10**6)])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        dif.Config(**{field: value})


def test_make_schedule_validates():
    with pytest.raises(ValueError, match="schedule"):
        dif.make_schedule("sqrt", 10)
    with pytest.raises(ValueError, match="T"):
        dif.make_schedule("linear", 1)
