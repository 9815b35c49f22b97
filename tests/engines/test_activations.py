"""The activations engine: f′ against closed forms and finite differences, dead units
against an independent forward pass, the lockstep models' independence, and signal
propagation at initialization against the variance arithmetic."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer.engines import activations as act

torch.set_num_threads(1)
X = torch.linspace(-4.0, 4.0, 161, dtype=torch.float64)
X = X[X.abs() > 1e-9]  # the kinks of ReLU/LeakyReLU/ELU/SELU sit at 0
LAM, ALPHA = 1.0507009873554805, 1.6732632423543772


def _sig(x):
    return 1 / (1 + torch.exp(-x))


CLOSED = {  # f′ by hand
    "sigmoid": lambda x, a: _sig(x) * (1 - _sig(x)),
    "tanh": lambda x, a: 1 - torch.tanh(x) ** 2,
    "relu": lambda x, a: (x > 0).double(),
    "leaky_relu": lambda x, a: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, a)),
    "elu": lambda x, a: torch.where(x > 0, torch.ones_like(x), torch.exp(x)),
    "selu": lambda x, a: LAM * torch.where(x > 0, torch.ones_like(x), ALPHA * torch.exp(x)),
    "gelu": lambda x, a: 0.5 * (1 + torch.erf(x / math.sqrt(2))) + x * torch.exp(-x * x / 2) / math.sqrt(2 * math.pi),
    "silu": lambda x, a: _sig(x) * (1 + x * (1 - _sig(x))),
    "mish": lambda x, a: torch.tanh(torch.nn.functional.softplus(x))
    + x * _sig(x) * (1 - torch.tanh(torch.nn.functional.softplus(x)) ** 2),
}


@pytest.mark.parametrize("name", act.ACTIVATIONS)
def test_derivative_matches_closed_form(name):
    got = act.derivative(name, X, slope=0.2)
    assert torch.allclose(got, CLOSED[name](X, 0.2), atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("name", act.ACTIVATIONS)
def test_derivative_matches_finite_differences(name):
    h = 1e-6
    fd = (act.apply(name, X + h, 0.2) - act.apply(name, X - h, 0.2)) / (2 * h)
    assert torch.allclose(act.derivative(name, X, 0.2), fd, atol=1e-7)


def test_curves_are_torch_functions_and_autograd():
    c = act.curves(("relu", "tanh"), x_max=3.0, n=61, slope=0.1)
    assert c.x.shape == (61,) and c.f.shape == c.df.shape == (2, 61)
    assert np.allclose(c.f[1], np.tanh(c.x)) and np.allclose(c.df[1], 1 - np.tanh(c.x) ** 2)
    assert np.array_equal(c.f[0], np.maximum(c.x, 0))


def test_intervals():
    x = np.arange(6.0)
    assert act.intervals(x, np.array([1, 1, 0, 0, 1, 1], bool)) == [(0.0, 1.0), (4.0, 5.0)]
    assert act.intervals(x, np.zeros(6, bool)) == []
    assert act.intervals(x, np.ones(6, bool)) == [(0.0, 5.0)]


def test_saturation_tails():
    c = act.curves(act.ACTIVATIONS, x_max=5.0, n=2001, slope=0.1)
    tails = dict(zip(c.names, act.saturation(c, 0.05)))
    step = c.x[1] - c.x[0]
    # σ′ = σ(1−σ) = 0.05 at σ = (1 + √0.8)/2
    s = (1 + math.sqrt(0.8)) / 2
    edge = math.log(s / (1 - s))
    (a0, b0), (a1, b1) = tails["sigmoid"]
    assert a0 == -5 and b1 == 5 and abs(-b0 - edge) <= step and abs(a1 - edge) <= step
    assert len(tails["relu"]) == 1 and tails["relu"][0][0] == -5 and abs(tails["relu"][0][1]) <= step
    assert tails["leaky_relu"] == []
    # GELU's f′ crosses 0 at its minimum (≈ −0.75): a dip, not a tail, so it is left out
    assert all(a == -5 for a, _ in tails["gelu"])
    assert abs(tails["elu"][0][1] - math.log(0.05)) <= step


def test_properties():
    props = {p["name"]: p for p in act.properties(act.curves(("sigmoid", "tanh"), n=801))}
    assert props["sigmoid"]["max f′"] == pytest.approx(0.25) and props["sigmoid"]["f(0)"] == pytest.approx(0.5)
    assert props["tanh"]["f′(0)"] == pytest.approx(1.0)


@pytest.mark.parametrize("field,value", [
    ("activations", ()), ("activations", ("relu", "nope")), ("activations", ("relu", "relu")),
    ("activations", act.ACTIVATIONS[:5]), ("dataset", "moons"), ("depth", 0), ("depth", 11), ("width", 1),
    ("learning_rate", 0.0), ("learning_rate", float("nan")), ("optimizer", "rmsprop"), ("bias_init", -9.0),
    ("batch_size", 0), ("slope", -0.1), ("seed", -1),
])
def test_config_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}:"):
        act.Config(**{field: value})


SMALL = act.Config(depth=3, width=8, batch_size=64)


def test_same_seed_same_run():
    a, b = act.Trainer(SMALL), act.Trainer(SMALL)
    sa, sb = a.advance(3), b.advance(3)
    for f in ("train_losses", "test_losses", "dead", "active"):
        assert np.array_equal(getattr(sa, f), getattr(sb, f))
    other = act.Trainer(act.Config(depth=3, width=8, batch_size=64, seed=1)).advance(3)
    assert not np.array_equal(sa.train_losses, other.train_losses)


def test_lockstep_models_do_not_interact():
    """Training ReLU beside GELU gives ReLU exactly what training it alone gives."""
    for opt in ("sgd", "adam"):
        kw = dict(depth=3, width=8, batch_size=32, optimizer=opt, learning_rate=0.03 if opt == "adam" else 0.3)
        both = act.Trainer(act.Config(activations=("relu", "gelu"), **kw)).advance(4)
        alone = act.Trainer(act.Config(activations=("relu",), **kw)).advance(4)
        assert np.allclose(both.train_losses[0], alone.train_losses[0], rtol=1e-5, atol=1e-7)
        assert np.array_equal(both.dead[0], alone.dead[0])


def test_dead_units_match_an_independent_forward_pass():
    tr = act.Trainer(act.Config(activations=("relu",), learning_rate=0.03, optimizer="adam", depth=4, width=16))
    snap = tr.advance(10)
    x = tr.data.x_train.double().numpy()
    h = x
    for li in range(4):
        w = tr.weights[li][0].detach().double().numpy()
        b = tr.biases[li][0].detach().double().numpy()
        z = h @ w + b
        dead = (z <= 0).all(axis=0)
        assert snap.dead[0, li] == pytest.approx(dead.mean())
        assert np.array_equal(snap.active[0, li] == 0, dead)
        h = np.maximum(z, 0)


def test_negative_bias_kills_relu_but_not_leaky_or_gelu():
    snap = act.Trainer(act.Config(bias_init=-1.0)).snapshot  # at initialization
    relu, leaky, gelu = snap.dead
    assert relu[-1] > 0.5 and relu.mean() > 0.3
    assert leaky.max() == 0 and gelu.max() == 0


def test_a_large_step_kills_relu_units_over_time():
    tr = act.Trainer(act.Config(learning_rate=0.03, optimizer="adam"))
    start = tr.snapshot.dead.mean(axis=1)
    end = tr.advance(15).dead.mean(axis=1)
    assert end[0] > start[0] + 0.15  # ReLU
    assert end[1] == 0 and end[2] == 0  # LeakyReLU, GELU


def test_loss_decreases():
    tr = act.Trainer(act.Config(dataset="circle", depth=3, width=16))
    first = tr.snapshot.train_losses
    last = tr.advance(20).train_losses
    assert (last < first).all()


def test_divergence_is_reported_and_stops_the_run():
    tr = act.Trainer(act.Config(learning_rate=3.0))
    snap = tr.advance(3)
    assert snap.diverged and snap.model_diverged.all() and np.isnan(snap.train_losses).all()
    assert math.isnan(snap.train_loss)
    again = tr.advance(5)
    assert again.epoch == snap.epoch


def test_history_shapes_and_cut():
    tr = act.Trainer(SMALL)
    tr.advance(4)
    h = tr.history()
    assert list(h["epoch"]) == [0, 1, 2, 3, 4]
    assert h["train"].shape == (5, 3) and h["dead"].shape == (5, 3, 3)
    assert list(tr.history(2)["epoch"]) == [0, 1, 2]


def test_step_counts_whole_batches():
    tr = act.Trainer(act.Config(batch_size=64, depth=2, width=8))
    assert tr.advance(2).step == 2 * (250 // 64)


# -- initialization study ----------------------------------------------------------------------

def test_he_relu_first_layer_matches_the_variance_arithmetic():
    """z ~ N(0, 2) after a He layer on N(0, 1) inputs; ReLU(z) has mean √2/√(2π) and
    E[a²] = 1, so std(a) = √(1 − 1/π)."""
    s = act.init_study(act.InitConfig(activation="relu", depth=1, width=512, batch=1024, inits=("he",)))
    assert s.mean[0, 0] == pytest.approx(1 / math.sqrt(math.pi), rel=0.03)
    assert s.std[0, 0] == pytest.approx(math.sqrt(1 - 1 / math.pi), rel=0.03)
    assert s.zero[0, 0] == pytest.approx(0.5, abs=0.01)


def test_vanishing_and_exploding_by_depth():
    s = act.init_study(act.InitConfig(activation="relu", depth=12, width=128, batch=128))
    std = dict(zip(s.inits, s.std))
    assert std["normal"][-1] / std["normal"][0] > 1e8          # ×√(n/2) ≈ 8 per layer
    assert std["small"][-1] / std["small"][0] < 1e-8           # ×0.01·√(n/2) per layer
    assert 0.3 < std["he"][-1] / std["he"][0] < 3              # preserved
    assert std["xavier"][-1] < std["xavier"][0] / 10            # halves the variance per layer
    # the read-out's gradient ∂L/∂a_L is r ~ N(0, 1)
    assert s.grad_std[:, -1] == pytest.approx(np.ones(4), rel=0.05)


def test_tanh_with_unit_normal_weights_saturates():
    s = act.init_study(act.InitConfig(activation="tanh", depth=5, width=128, batch=128, inits=("normal", "xavier")))
    assert s.saturated[0].min() > 0.8 and s.saturated[1].max() < 0.1


def test_histograms_are_shares():
    s = act.init_study(act.InitConfig(activation="relu", depth=4, width=64, batch=64))
    assert s.hist.shape == (4, 4, len(s.edges) - 1)
    assert np.allclose(s.hist.sum(axis=2) + s.zero, 1.0)
    a = np.array([0.0, 1e-12, 0.5, 3.0, 1e12, -2.0])
    h = act.log_histogram(a, s.edges)
    assert h[0] == pytest.approx(1 / 6) and h[-1] == pytest.approx(1 / 6) and h.sum() == pytest.approx(5 / 6)


def test_init_study_is_deterministic_and_validated():
    cfg = act.InitConfig(depth=3, width=32, batch=32)
    a, b = act.init_study(cfg), act.init_study(cfg)
    assert np.array_equal(a.std, b.std) and np.array_equal(a.hist, b.hist)
    with pytest.raises(ValueError, match="^depth:"):
        act.InitConfig(depth=0)
    with pytest.raises(ValueError, match="^inits:"):
        act.InitConfig(inits=("orthogonal",))
