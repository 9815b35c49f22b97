"""Optimizers engine: surfaces against autograd and known minima, the race against hand-written
update rules, AdaBelief/AdaBound against their papers, gradient noise and second-order methods."""
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from explorer.engines import optimizers as opt
from explorer.engines.optim_extra import AdaBelief, AdaBound

SURFACES = tuple(opt.SURFACES)


# ------------------------------------------------------------------------------ surfaces
@pytest.mark.parametrize("name", SURFACES)
def test_closed_form_gradient_matches_autograd(name):
    s = opt.SURFACES[name]
    x0, x1, y0, y1 = s.window
    pts = np.random.default_rng(1).uniform([x0, y0], [x1, y1], (25, 2))
    for x, y in pts:
        t = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        s.f(t[0], t[1], torch).backward()
        gx, gy = s.grad(x, y)
        np.testing.assert_allclose([gx, gy], t.grad.numpy(), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name", SURFACES)
def test_known_minima_are_stationary_with_the_stated_value(name):
    s = opt.SURFACES[name]
    for mx, my in s.minima:
        assert s.f(mx, my) == pytest.approx(s.f_min, abs=1e-12)
        np.testing.assert_allclose(s.grad(mx, my), 0.0, atol=1e-10)


@pytest.mark.parametrize("name,expected", [("rosenbrock", (1.0, 1.0)), ("beale", (3.0, 0.5)),
                                           ("saddle", (0.0, 1.0)), ("bowl", (0.0, 0.0)),
                                           ("rastrigin", (0.0, 0.0))])
def test_scipy_finds_the_listed_minimum(name, expected):
    s = opt.SURFACES[name]
    start = np.array(expected) + [0.08, 0.06]
    res = minimize(lambda p: s.f(p[0], p[1]), start, jac=lambda p: np.array(s.grad(p[0], p[1])), method="BFGS",
                   options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, expected, atol=1e-5)
    assert res.fun == pytest.approx(s.f_min, abs=1e-9)


def test_the_saddle_is_a_saddle():
    s = opt.SURFACES["saddle"]
    h = 1e-4
    fxx = (s.f(h, 0) - 2 * s.f(0, 0) + s.f(-h, 0)) / h ** 2
    fyy = (s.f(0, h) - 2 * s.f(0, 0) + s.f(0, -h)) / h ** 2
    assert fxx > 0.9 and fyy < -0.9  # curvature up along x, down along y
    np.testing.assert_allclose(s.grad(0.0, 0.0), 0.0)


def test_grid_is_one_vectorized_evaluation_in_row_major_order():
    xs, ys, Z = opt.grid("beale", 31)
    assert xs.shape == (31,) and ys.shape == (31,) and Z.shape == (31, 31)
    s = opt.SURFACES["beale"]
    for i, j in [(0, 0), (3, 17), (30, 5)]:
        assert Z[i, j] == pytest.approx(s.f(xs[j], ys[i]))
    assert (xs[0], xs[-1], ys[0], ys[-1]) == s.window


# ------------------------------------------------------------------------------ the race
def _manual(name, start, grad, steps, lr, b1=0.9, b2=0.999, eps=1e-8, mu=0.9):
    """Independent NumPy versions of the update rules (PyTorch's conventions)."""
    th = np.array(start, float)
    m = np.zeros(2)
    v = np.zeros(2)
    out = [th.copy()]
    for t in range(1, steps + 1):
        g = np.array(grad(*th))
        if name == "sgd":
            th = th - lr * g
        elif name in ("momentum", "nesterov"):
            m = mu * m + g if t > 1 else g.copy()
            th = th - lr * ((g + mu * m) if name == "nesterov" else m)
        elif name == "adagrad":
            v = v + g * g
            th = th - lr * g / (np.sqrt(v) + 1e-10)
        elif name == "rmsprop":
            v = 0.99 * v + 0.01 * g * g
            th = th - lr * g / (np.sqrt(v) + eps)
        elif name == "adam":
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            th = th - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(th.copy())
    return np.array(out)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_race_paths_follow_the_textbook_update_rules(name):
    cfg = opt.RaceConfig(surface="bowl", optimizers=(name,), lr_sgd=0.1, lr_adaptive=0.05, start=(-3.0, 2.0),
                         steps=25)
    got = opt.race(cfg).paths[0]
    lr = cfg.lr_sgd if name in opt.SGD_FAMILY else cfg.lr_adaptive
    want = _manual(name, cfg.start, opt.SURFACES["bowl"].grad, cfg.steps, lr)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_sgd_first_step_by_hand_on_rosenbrock():
    r = opt.race(opt.RaceConfig(surface="rosenbrock", optimizers=("sgd",), lr_sgd=1e-3, start=(-1.5, 2.0), steps=1))
    # ∇f(-1.5, 2) = (-2(2.5) - 400(-1.5)(2 - 2.25), 200(2 - 2.25)) = (-155, -50)
    np.testing.assert_allclose(r.paths[0, 1], [-1.5 + 0.155, 2.0 + 0.05])
    assert r.losses[0, 0] == pytest.approx(2.5 ** 2 + 100 * 0.25 ** 2)


def test_adamw_decays_the_weights_on_top_of_adam():
    base = dict(surface="bowl", lr_adaptive=0.1, start=(-3.0, 2.0), steps=1)
    adam = opt.race(opt.RaceConfig(optimizers=("adam",), **base)).paths[0, 1]
    adamw = opt.race(opt.RaceConfig(optimizers=("adamw",), weight_decay=0.3, **base)).paths[0, 1]
    np.testing.assert_allclose(adamw, adam - 0.1 * 0.3 * np.array([-3.0, 2.0]), rtol=1e-12)


def test_race_is_deterministic_and_keeps_the_chosen_order():
    cfg = opt.RaceConfig(optimizers=("adam", "sgd", "adabound"), steps=30)
    a, b = opt.race(cfg), opt.race(cfg)
    assert a.names == ("sgd", "adam", "adabound")  # canonical order
    np.testing.assert_array_equal(a.paths, b.paths)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.paths.shape == (3, 31, 2) and a.losses.shape == (3, 31)


def test_a_diverging_racer_is_marked_and_the_others_go_on():
    cfg = opt.RaceConfig(surface="rosenbrock", optimizers=("sgd", "adam"), lr_sgd=1.0, lr_adaptive=0.05,
                         start=(-1.5, 2.0), steps=40)
    r = opt.race(cfg)
    d = r.diverged_at[0]
    assert 0 < d <= 5 and np.isnan(r.losses[0, d:]).all() and np.isfinite(r.losses[0, :d]).all()
    assert r.diverged_at[1] == -1 and np.isfinite(r.losses[1]).all()


def test_race_player_reveals_steps_and_stops_at_the_end_or_on_divergence():
    r = opt.race(opt.RaceConfig(optimizers=("sgd", "momentum"), steps=20))
    p = opt.RacePlayer(r)
    assert p.snapshot.step == 0 and p.snapshot.epoch == 0
    assert p.advance(5).step == 5
    assert p.snapshot.train_loss == pytest.approx(np.nanmin(r.losses[:, 5]))
    assert p.advance(100).step == 20 and p.finished
    assert p.advance(1).step == 20
    bad = opt.RacePlayer(opt.race(opt.RaceConfig(surface="rosenbrock", optimizers=("sgd",), lr_sgd=1.0,
                                                 start=(-1.5, 2.0), steps=50)))
    snap = bad.advance(50)
    assert snap.diverged and snap.step < 50 and math.isnan(snap.train_loss)
    assert bad.advance(10).step == snap.step


@pytest.mark.parametrize("kw,field", [(dict(surface="moon"), "surface"), (dict(optimizers=()), "optimizers"),
                                      (dict(lr_sgd=0.0), "lr_sgd"), (dict(lr_adaptive=float("nan")), "lr_adaptive"),
                                      (dict(steps=0), "steps"), (dict(steps=10_000), "steps"),
                                      (dict(start=(0.0, 99.0)), "start"), (dict(weight_decay=-1.0), "weight_decay")])
def test_race_config_names_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        opt.RaceConfig(**kw)


# ------------------------------------------------------------------------------ AdaBelief / AdaBound
def _step(optimizer_cls, p0, grads, **kw):
    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    o = optimizer_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        o.step()
        out.append(p.detach().numpy().copy())
    return np.array(out), o.state[p]


def test_adabelief_first_step_by_hand():
    g = np.array([0.5, -2.0, 1e-3])
    a, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    got, _ = _step(AdaBelief, [1.0, 1.0, 1.0], [g], lr=a, betas=(b1, b2), eps=eps)
    # m₁ = (1−β₁)g, s₁ = (1−β₂)(g − m₁)² + ε = (1−β₂)β₁²g² + ε; bias-corrected: m̂ = g, ŝ = β₁²g² + ε/(1−β₂)
    want = 1.0 - a * g / (np.sqrt(b1 ** 2 * g ** 2 + eps / (1 - b2)) + eps)
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    # so the first step is ≈ α/β₁ in the direction of −g, longer than Adam's α
    assert got[0][0] == pytest.approx(1 - a / b1, rel=1e-4)


def test_adabelief_tracks_the_ema_of_the_squared_surprise():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(30, 4))
    b1, b2, eps, a = 0.8, 0.95, 1e-6, 0.01
    got, state = _step(AdaBelief, np.zeros(4), grads, lr=a, betas=(b1, b2), eps=eps)
    m, s, th = np.zeros(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m) ** 2 + eps
        th = th - a * (m / (1 - b1 ** t)) / (np.sqrt(s / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(got[t - 1], th, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(state["exp_avg_var"].numpy(), s, rtol=1e-10)
    np.testing.assert_allclose(state["exp_avg"].numpy(), m, rtol=1e-10)


def test_adabelief_with_constant_gradients_takes_longer_steps_than_adam():
    grads = [np.array([1.0])] * 20
    belief, _ = _step(AdaBelief, [0.0], grads, lr=0.01)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    adam = torch.optim.Adam([p], lr=0.01)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        adam.step()
    assert belief[-1, 0] < p.item() < 0  # both go down; the confident one further


def test_adabound_first_step_by_hand():
    g = np.array([0.5, -2.0])
    a, b1, b2, eps, fl, gamma = 0.01, 0.9, 0.999, 1e-8, 0.1, 0.01
    got, _ = _step(AdaBound, [0.0, 0.0], [g], lr=a, betas=(b1, b2), eps=eps, final_lr=fl, gamma=gamma)
    m, v = (1 - b1) * g, (1 - b2) * g ** 2
    step = a * np.sqrt(1 - b2) / (1 - b1)
    lower, upper = fl * (1 - 1 / (gamma + 1)), fl * (1 + 1 / gamma)
    eta = np.clip(step / (np.sqrt(v) + eps), lower, upper)
    np.testing.assert_allclose(got[0], -eta * m, rtol=1e-12)


def test_adabound_bounds_close_in_on_final_lr():
    ts = np.array([1, 10, 100, 1_000, 100_000])
    lo, hi = np.array([AdaBound.bounds(0.1, 1e-3, int(t)) for t in ts]).T
    assert (np.diff(lo) > 0).all() and (np.diff(hi) < 0).all() and (lo < 0.1).all() and (hi > 0.1).all()
    assert lo[-1] == pytest.approx(0.1, rel=0.02) and hi[-1] == pytest.approx(0.1, rel=0.02)
    assert AdaBound.bounds(0.1, 1e-3, 1) == pytest.approx((0.1 * (1 - 1 / 1.001), 0.1 * 1001))


@pytest.mark.parametrize("lr,which", [(100.0, "upper"), (1e-9, "lower")])
def test_adabound_clips_the_step_into_the_bounds(lr, which):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(50, 3))
    fl, gamma = 0.05, 0.1
    got, state = _step(AdaBound, np.zeros(3), grads, lr=lr, final_lr=fl, gamma=gamma)
    # effective per-coordinate rate of the last step = Δθ / m_t
    eff = -(got[-1] - got[-2]) / state["exp_avg"].numpy()
    lower, upper = AdaBound.bounds(fl, gamma, 50)
    np.testing.assert_allclose(eff, upper if which == "upper" else lower, rtol=1e-9)


@pytest.mark.parametrize("cls,kw", [(AdaBelief, dict(lr=0.0)), (AdaBelief, dict(betas=(1.0, 0.9))),
                                    (AdaBound, dict(final_lr=-1.0)), (AdaBound, dict(gamma=2.0))])
def test_extra_optimizers_reject_bad_hyperparameters(cls, kw):
    with pytest.raises(ValueError):
        cls([torch.zeros(1, requires_grad=True)], **kw)


# ------------------------------------------------------------------------------ gradient noise
def test_diabetes_is_standardized_and_the_optimum_is_stationary():
    X, y = opt.diabetes()
    assert X.shape == (442, 2) and y.shape == (442,)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(0), 1)
    w, L = opt.optimum()
    np.testing.assert_allclose(X.T @ (X @ w - y) / len(y), 0, atol=1e-12)
    assert L == pytest.approx(opt.regression_loss(w, X, y))


def test_full_batch_is_plain_gradient_descent_and_monotone():
    cfg = opt.NoiseConfig(lr=0.1, updates=40, start=(-1.0, 1.0))
    full = opt.batch_noise(cfg)["full"]
    X, y = opt.diabetes()
    w = np.array(cfg.start)
    for k in range(40):
        w = w - 0.1 * X.T @ (X @ w - y) / len(y)
    np.testing.assert_allclose(full.w[-1], w, rtol=1e-12)
    assert (np.diff(full.loss) < 0).all()
    np.testing.assert_array_equal(full.seen, 442 * np.arange(41))


def test_smaller_batches_are_noisier_but_see_fewer_examples():
    paths = opt.batch_noise(opt.NoiseConfig(lr=0.2, updates=600))
    _, L = opt.optimum()
    tail = {k: p.loss[-200:] - L for k, p in paths.items()}
    assert tail["1"].mean() > tail["32"].mean() > tail["full"].mean()
    assert paths["1"].seen[-1] == 600 and paths["32"].seen[-1] < 600 * 32 + 1
    # one-sample updates: every example exactly once per pass
    assert np.array_equal(np.diff(paths["1"].seen), np.ones(600))


def test_batch_noise_is_deterministic_and_seeded():
    a = opt.batch_noise(opt.NoiseConfig(seed=4))
    b = opt.batch_noise(opt.NoiseConfig(seed=4))
    c = opt.batch_noise(opt.NoiseConfig(seed=5))
    np.testing.assert_array_equal(a["1"].w, b["1"].w)
    assert not np.array_equal(a["1"].w, c["1"].w)
    np.testing.assert_allclose(a["full"].w, c["full"].w, rtol=1e-12)  # the full batch: only summation order


def test_too_large_a_rate_diverges_without_an_exception():
    paths = opt.batch_noise(opt.NoiseConfig(lr=2.0, updates=500))
    assert paths["full"].diverged and len(paths["full"].loss) < 501
    assert np.isfinite(paths["full"].loss).all()


# ------------------------------------------------------------------------------ second order
@pytest.mark.parametrize("kappa", [1.0, 10.0, 1000.0])
def test_newton_on_a_quadratic_converges_in_one_step(kappa):
    q = opt.quadratic_descents(opt.SecondOrderConfig(kappa=kappa))
    assert q["newton"].converged_at == 1 and q["newton"].gap[1] < 1e-20
    np.testing.assert_allclose(q["newton"].path[1], 0.0, atol=1e-12)
    np.testing.assert_allclose(q["natural"].path, q["newton"].path)  # Fisher of N(θ, A⁻¹) is A


def test_quadratic_matrix_has_the_asked_condition_number():
    A = opt.quadratic_matrix(50.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0, 50.0])
    np.testing.assert_allclose(A, A.T)


def test_gradient_descent_rate_follows_the_condition_number():
    slow = opt.quadratic_descents(opt.SecondOrderConfig(kappa=100.0, eta_l=1.0, iters=1000))["gd"]
    fast = opt.quadratic_descents(opt.SecondOrderConfig(kappa=5.0, eta_l=1.0, iters=1000))["gd"]
    assert fast.converged_at > 0 and slow.converged_at > 5 * fast.converged_at
    assert (np.diff(slow.gap) <= 0).all()
    blown = opt.quadratic_descents(opt.SecondOrderConfig(kappa=10.0, eta_l=2.2, iters=300))["gd"]
    assert blown.converged_at == -1 and blown.gap[-1] > blown.gap[0]


def test_gaussian_gradient_and_hessian_match_autograd():
    x = opt.gaussian_sample(0)
    xt = torch.tensor(x)

    def nll(th):
        mu, s = th[0], th[1]
        return torch.log(s) + ((xt - mu) ** 2).mean() / (2 * s ** 2) + 0.5 * math.log(2 * math.pi)

    for th in ([0.5, 0.6], [3.0, 2.5], [-1.0, 4.0]):
        t = torch.tensor(th, dtype=torch.float64, requires_grad=True)
        nll(t).backward()
        np.testing.assert_allclose(opt.gaussian_grad(np.array(th), x), t.grad.numpy(), rtol=1e-10)
        H = torch.autograd.functional.hessian(nll, torch.tensor(th, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(opt.gaussian_hessian(np.array(th), x), H, rtol=1e-10)
        assert float(opt.gaussian_nll(th[0], th[1], x)) == pytest.approx(nll(torch.tensor(th)).item())


def test_gaussian_fisher_is_the_covariance_of_the_score():
    mu, s = 0.7, 1.3
    z = np.random.default_rng(0).normal(mu, s, 400_000)
    score = np.stack([(z - mu) / s ** 2, -1 / s + (z - mu) ** 2 / s ** 3])
    np.testing.assert_allclose(score @ score.T / z.size, opt.gaussian_fisher(np.array([mu, s])), atol=0.01)


def test_all_methods_find_the_maximum_likelihood_fit():
    x = opt.gaussian_sample(0)
    runs = opt.gaussian_descents(opt.SecondOrderConfig(start=(0.5, 1.5), iters=1000, gauss_lr=0.3))
    for m, d in runs.items():
        assert d.converged_at > 0, m
        np.testing.assert_allclose(d.path[-1], [x.mean(), x.std()], atol=1e-3)
    assert runs["newton"].converged_at < runs["gd"].converged_at
    assert runs["natural"].converged_at < runs["gd"].converged_at


def test_natural_gradient_step_one_jumps_to_the_sample_mean():
    x = opt.gaussian_sample(0)
    d = opt.gaussian_descents(opt.SecondOrderConfig(start=(-2.0, 0.5), natural_lr=1.0))["natural"]
    mu1, s1 = d.path[1]
    S = x.var() + (x.mean() + 2.0) ** 2
    assert mu1 == pytest.approx(x.mean()) and s1 == pytest.approx((0.5 + S / 0.5) / 2)


def test_newton_far_from_the_optimum_fails_and_says_why():
    H = opt.gaussian_hessian(np.array([4.6, 1.0]), opt.gaussian_sample(0))
    assert np.linalg.eigvalsh(H).min() < 0  # not positive definite there
    d = opt.gaussian_descents(opt.SecondOrderConfig(start=(4.6, 1.0)))["newton"]
    assert d.converged_at == -1 and d.note == "diverged" and d.gap[-1] > d.gap[0]
    d = opt.gaussian_descents(opt.SecondOrderConfig(start=(4.0, 0.5)))["newton"]
    assert d.converged_at == -1 and "σ ≤ 0" in d.note and len(d.path) == 1


@pytest.mark.parametrize("kw,field", [(dict(kappa=0.5), "kappa"), (dict(eta_l=0.0), "eta_l"),
                                      (dict(iters=0), "iters"), (dict(start=(0.0, 0.0)), "start"),
                                      (dict(gauss_lr=float("inf")), "gauss_lr"), (dict(natural_lr=5.0), "natural_lr")])
def test_second_order_config_names_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        opt.SecondOrderConfig(**kw)


@pytest.mark.parametrize("kw,field", [(dict(lr=0.0), "lr"), (dict(updates=0), "updates"), (dict(seed=-1), "seed")])
def test_noise_config_names_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        opt.NoiseConfig(**kw)
