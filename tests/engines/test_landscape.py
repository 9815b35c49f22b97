"""Loss landscapes: filter normalization, batched evaluation, curvature against exact Hessians."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from explorer.engines import landscape as ls

SMALL = {"mlp": ls.Config(width=4, n_train=60, batch_size=20),
         "cnn": ls.Config(model="cnn", width=3, n_train=60, batch_size=20),
         "resnet": ls.Config(model="resnet", width=3, n_train=60, batch_size=20, skip=False)}


@pytest.mark.parametrize("name", list(SMALL))
def test_batched_logits_equal_separate_forward_passes(name):
    cfg = SMALL[name]
    model = ls.build_model(cfg)
    x, _ = ls.subset(ls.make_data(cfg), 30)
    theta = ls.flatten(model)
    thetas = theta[None] + 0.3 * torch.randn(5, theta.numel(), generator=torch.Generator().manual_seed(0))
    batched = ls.batched_logits(model, ls.unflatten(model, thetas), x)
    for i in range(5):
        ref = functional_call(model, ls.unflatten(model, thetas[i]), (x,))
        torch.testing.assert_close(batched[:, i], ref, rtol=1e-5, atol=1e-5)


def test_surface_equals_the_per_point_loop():
    cfg = SMALL["cnn"]
    tr = ls.trained(cfg, 2)
    x, y = ls.subset(tr.data, 40)
    d1, d2 = (ls.random_direction(tr.model, tr.theta, s) for s in (1, 2))
    a, b, z = ls.surface(tr.model, tr.theta, d1, d2, x, y, n=5, span=0.5, chunk=7)
    np.testing.assert_allclose(z, ls.surface_naive(tr.model, tr.theta, d1, d2, x, y, n=5, span=0.5), rtol=1e-5)
    with torch.no_grad():
        center = float(F.cross_entropy(tr.model(x), y))
    assert z[2, 2] == pytest.approx(center, rel=1e-5)  # the middle of the grid is θ itself


def test_filter_normalization_per_filter_and_no_biases():
    cfg = SMALL["cnn"]
    model = ls.build_model(cfg)
    theta = ls.flatten(model)
    d = ls.unflatten(model, ls.random_direction(model, theta, seed=3))
    t = ls.unflatten(model, theta)
    for name, p in t.items():
        if p.dim() <= 1:
            assert torch.count_nonzero(d[name]) == 0, name
        else:
            torch.testing.assert_close(d[name].reshape(p.shape[0], -1).norm(dim=1),
                                       p.reshape(p.shape[0], -1).norm(dim=1), rtol=1e-5, atol=1e-7)
    raw = ls.random_direction(model, theta, seed=3, filter_norm=False)
    assert torch.count_nonzero(raw) == theta.numel()


def _exact_hessian(model, theta, x, y):
    return torch.autograd.functional.hessian(ls.loss_fn(model, x, y), theta.double().float())


def test_power_iteration_and_lanczos_match_the_exact_hessian():
    cfg = ls.Config(width=3, n_train=50, batch_size=10)
    tr = ls.trained(cfg, 5)
    x, y = ls.subset(tr.data, 50)
    h = _exact_hessian(tr.model, tr.theta, x, y).double()
    evals = torch.linalg.eigvalsh(h).numpy()
    top = evals[np.argmax(np.abs(evals))]
    lam, hist = ls.top_eigenvalue(tr.model, tr.theta, x, y, iters=300, tol=1e-9)
    assert lam == pytest.approx(top, rel=1e-3)
    # full Lanczos (m = dimension) recovers the spectrum; weights sum to one
    ritz, w = ls.lanczos(ls.hvp_fn(tr.model, tr.theta, x, y), tr.theta.numel(), tr.theta.numel(),
                         torch.Generator().manual_seed(0))
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert ritz.max() == pytest.approx(evals.max(), rel=1e-3, abs=1e-4)
    assert ritz.min() == pytest.approx(evals.min(), rel=1e-3, abs=1e-4)
    spec = ls.spectrum(tr.model, tr.theta, x, y, m=10, probes=4)
    assert np.trapezoid(spec["density"], spec["grid"]) == pytest.approx(1.0, abs=0.05)
    # SLQ's mean eigenvalue estimates trace / n (Hutchinson); loose for 4 probes
    mean = sum(float((v * w).sum()) for v, w in spec["ritz"]) / 4
    assert mean == pytest.approx(float(np.trace(h.numpy())) / len(evals), abs=0.5 * np.abs(evals).max())


def test_pca_of_a_straight_path_is_that_line():
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=20), rng.normal(size=20)
    path = [start + t * (end - start) for t in np.linspace(0, 1, 11)]
    d1, d2, coords, var = ls.pca_directions(path)
    assert var[0] == pytest.approx(1.0, abs=1e-9)
    assert abs(abs(d1 @ (end - start)) / np.linalg.norm(end - start) - 1) < 1e-9
    np.testing.assert_allclose(coords[-1], [0, 0], atol=1e-12)  # the end is the origin


def test_interpolation_ends_are_the_endpoints():
    cfg = SMALL["mlp"]
    tr = ls.trained(cfg, 3)
    x, y = ls.subset(tr.data, 60)
    al, losses = ls.interpolate(tr.model, tr.theta0, tr.theta, x, y, n=11, lo=0, hi=1)
    model0 = ls.build_model(cfg)
    assert losses[0] == pytest.approx(float(F.cross_entropy(model0(x), y)), rel=1e-5)
    assert losses[-1] == pytest.approx(float(F.cross_entropy(tr.model(x), y)), rel=1e-5)


@pytest.mark.parametrize("name", list(SMALL))
def test_training_learns_and_is_deterministic(name):
    cfg = SMALL[name].replace(learning_rate=0.01)
    a, b = ls.trained(cfg, 8), ls.trained(cfg, 8)
    assert torch.equal(a.theta, b.theta)
    assert a.snapshot.train_loss < ls.Trainer(cfg).snapshot.train_loss
    assert len(a.trajectory) == 9


@pytest.mark.parametrize("field,value", [("model", "vgg"), ("width", 1), ("n_train", 10), ("batch_size", 0),
                                          ("learning_rate", float("inf")), ("optimizer", "lbfgs"), ("seed", -1)])
def test_config_bounds_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ls.Config(**{field: value})
