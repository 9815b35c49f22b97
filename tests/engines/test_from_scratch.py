"""The NumPy network against its oracles: PyTorch autograd, finite differences, hand-computed
values, and the PyTorch twin trained on the same batches."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from explorer.engines import from_scratch as fs
from explorer.engines.device import cap_threads

cap_threads()
SMALL = dict(n_points=80, hidden=6, epochs=20)


def _batch(dataset="moons", activation="tanh", seed=3, hidden=7, n=40):
    """Random (not trained) weights and a batch from a dataset."""
    data = fs.make_data(fs.Config(dataset=dataset, seed=seed))
    rng = np.random.default_rng(seed)
    params = fs.init_params(data.n_inputs, hidden, data.n_classes, activation, rng)
    params["b1"] += rng.normal(0, 0.3, hidden)  # biases away from 0 so every term is exercised
    params["b2"] += rng.normal(0, 0.3, data.n_classes)
    return params, data.x_train[:n], data.y_train[:n]


# -- config ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field,value", [
    ("dataset", "mnist"), ("n_points", 10), ("n_points", 5000), ("noise", -0.1), ("noise", float("nan")),
    ("hidden", 0), ("hidden", 1000), ("activation", "gelu"), ("learning_rate", 0.0), ("learning_rate", math.inf),
    ("epochs", 0), ("epochs", 10**6), ("batch_size", 0), ("seed", -1),
])
def test_config_rejects_out_of_bounds_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}:"):
        fs.Config(**{field: value})


def test_data_shapes_split_and_classes():
    for name, d_in, k in (("moons", 2, 2), ("circles", 2, 2), ("spiral", 2, 3), ("digits", 64, 10)):
        d = fs.make_data(fs.Config(dataset=name, n_points=200))
        n = len(d.y_train) + len(d.y_test)
        assert d.x_train.shape[1] == d_in and d.n_classes == k
        assert len(d.y_test) == round(fs.TEST_SHARE * n)
        assert set(np.unique(d.y_train)) == set(range(k))
        assert d.x_train.dtype == np.float64 and d.y_train.dtype == np.int64
    digits = fs.make_data(fs.Config(dataset="digits"))
    assert len(digits.y_train) + len(digits.y_test) == 1797
    assert digits.x_train.min() >= 0 and digits.x_train.max() <= 1


# -- the network against closed forms -------------------------------------------------------------
def test_zero_weights_give_log_k_and_the_hand_computed_gradient():
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    y = np.array([0, 2])
    params = {"W1": np.zeros((2, 3)), "b1": np.zeros(3), "W2": np.zeros((3, 3)), "b2": np.zeros(3)}
    loss, grads = fs.loss_and_grads(params, x, y, "tanh")
    assert loss == pytest.approx(math.log(3), abs=1e-15)
    # p = 1/3 everywhere, dL/dlogits = (p − onehot)/B; b2's gradient is its column sum
    np.testing.assert_allclose(grads["b2"], [(1 / 3 - 1 + 1 / 3) / 2, 1 / 3, (1 / 3 + 1 / 3 - 1) / 2], atol=1e-15)
    assert not grads["W1"].any() and not grads["W2"].any()  # h = tanh(0) = 0 and W2 = 0 block every path


def test_one_hidden_unit_by_hand():
    # D = H = 1, K = 2: z = w x + b, h = relu(z), logits = [v h, 0]; L = −log softmax(logits)[y]
    x, y = np.array([[2.0]]), np.array([1])
    params = {"W1": np.array([[0.5]]), "b1": np.array([0.25]), "W2": np.array([[1.5, 0.0]]), "b2": np.zeros(2)}
    h = 0.5 * 2.0 + 0.25
    p0 = math.exp(1.5 * h) / (math.exp(1.5 * h) + 1.0)
    loss, grads = fs.loss_and_grads(params, x, y, "relu")
    assert loss == pytest.approx(-math.log(1 - p0), rel=1e-14)
    dlogit0 = p0  # ∂L/∂logit₀ = p₀ − 0
    assert grads["W2"][0, 0] == pytest.approx(dlogit0 * h, rel=1e-14)
    assert grads["W1"][0, 0] == pytest.approx(dlogit0 * 1.5 * 1.0 * 2.0, rel=1e-14)
    assert grads["b1"][0] == pytest.approx(dlogit0 * 1.5, rel=1e-14)


def test_sgd_step_moves_against_the_gradient_in_place():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5])}
    grads = {"W1": np.array([[0.1, -0.2]]), "b1": np.array([1.0])}
    w = params["W1"]
    fs.sgd_step(params, grads, 0.5)
    assert params["W1"] is w
    np.testing.assert_allclose(params["W1"], [[0.95, 2.1]])
    np.testing.assert_allclose(params["b1"], [0.0])


# -- gradients against autograd and finite differences ---------------------------------------------
@pytest.mark.parametrize("activation", fs.ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["moons", "spiral", "digits"])
def test_backward_equals_pytorch_autograd(activation, dataset):
    params, x, y = _batch(dataset, activation)
    loss, grads = fs.loss_and_grads(params, x, y, activation)
    # an independent autograd graph written with torch's functional ops (not the twin's modules)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    logits = act(torch.tensor(x) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    t_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-14)
    for k in fs.PARAM_NAMES:
        ref = t[k].grad.numpy()
        assert np.max(np.abs(grads[k] - ref)) <= 1e-12 * max(np.max(np.abs(ref)), 1e-300), k
    twin_loss, twin = fs.torch_loss_and_grads(params, x, y, activation)
    assert twin_loss == pytest.approx(loss, rel=1e-14)
    for k in fs.PARAM_NAMES:
        np.testing.assert_allclose(twin[k], grads[k], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("activation", fs.ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["circles", "spiral", "digits"])
def test_backward_equals_central_differences(activation, dataset):
    params, x, y = _batch(dataset, activation, seed=5)
    _, grads = fs.loss_and_grads(params, x, y, activation)
    rng = np.random.default_rng(0)
    for k in fs.PARAM_NAMES:
        g = grads[k]
        for flat in rng.choice(g.size, min(g.size, 12), replace=False):
            i = np.unravel_index(flat, g.shape)
            fd = fs.finite_difference(params, x, y, activation, k, i, 1e-5)
            assert abs(fd - g[i]) <= 1e-7 * np.max(np.abs(g)) + 1e-12, (k, i)


@pytest.mark.parametrize("activation", fs.ACTIVATIONS)
def test_gradient_check_reports_tiny_errors_for_a_trained_network(activation):
    tr = fs.Trainer(fs.Config(activation=activation, **SMALL))
    snap = tr.advance(10)
    x, y = fs.check_batch(tr.data)
    checks = fs.gradient_check(snap.params, x, y, activation, eps=1e-5, max_entries=16)
    assert [c.name for c in checks] == list(fs.PARAM_NAMES)
    for c in checks:
        assert c.err_fd <= 1e-7 and c.err_autograd <= 1e-12, c
        assert c.n_checked_fd == min(16, int(np.prod(c.shape)))
        assert c.grad_scale > 0


def test_gradient_check_catches_a_wrong_derivative(monkeypatch):
    params, x, y = _batch("moons", "tanh")
    monkeypatch.setattr(fs, "activate_grad", lambda name, z, h: 1.0 - h)  # a classic slip: 1 − h, not 1 − h²
    checks = {c.name: c for c in fs.gradient_check(params, x, y, "tanh")}
    assert checks["W1"].err_fd > 1e-3 and checks["W1"].err_autograd > 1e-3
    assert checks["W2"].err_fd < 1e-7  # the output layer does not pass through φ′


def test_finite_difference_error_dips_at_a_moderate_step():
    params, x, y = _batch("moons", "tanh")
    eps = (1e-1, 1e-5, 1e-12)
    errs = fs.fd_sweep(params, x, y, "tanh", eps, max_entries=6)
    for name, e in errs.items():
        assert e.shape == (3,)
        assert e[1] < e[0] / 100 and e[1] < e[2] / 10, name  # truncation on the right, rounding on the left


# -- NumPy and PyTorch trained side by side ---------------------------------------------------------------
@pytest.mark.parametrize("activation", fs.ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["moons", "spiral"])
def test_training_curves_of_numpy_and_torch_coincide(activation, dataset):
    tr = fs.Trainer(fs.Config(dataset=dataset, activation=activation, batch_size=8, **SMALL))
    snap = tr.advance(20)
    assert snap.epoch == 20 and snap.step == 20 * tr.steps_per_epoch
    a, b = tr.losses_numpy[: snap.step], tr.losses_torch[: snap.step]
    assert np.isfinite(a).all()
    assert np.max(np.abs(a - b)) <= 1e-10
    assert snap.max_loss_gap == np.max(np.abs(a - b))
    assert snap.max_param_gap <= 1e-10
    theirs = tr.net.to_numpy()
    for k in fs.PARAM_NAMES:
        np.testing.assert_allclose(theirs[k], tr.params[k], rtol=0, atol=1e-10)
    assert snap.torch_train_loss == pytest.approx(snap.train_loss, abs=1e-12)


def test_the_twin_is_nn_linear_with_sgd_and_starts_from_the_same_weights():
    tr = fs.Trainer(fs.Config(**SMALL))
    assert isinstance(tr.net.fc1, torch.nn.Linear) and isinstance(tr.net.fc2, torch.nn.Linear)
    assert isinstance(tr.opt, torch.optim.SGD) and tr.opt.param_groups[0]["lr"] == tr.cfg.learning_rate
    assert tr.net.fc1.weight.dtype == torch.float64
    start = tr.net.to_numpy()
    for k in fs.PARAM_NAMES:
        assert np.array_equal(start[k], tr.params[k])
    assert tr.net.fc1.weight.shape == (tr.cfg.hidden, 2)  # (out, in): the transpose of W1


def test_batches_drop_the_leftover_and_full_batch_is_possible():
    tr = fs.Trainer(fs.Config(n_points=100, batch_size=16, epochs=2))
    assert len(tr.data.y_train) == 75 and tr.steps_per_epoch == 4
    tr.advance(2)
    assert tr.step == 8
    full = fs.Trainer(fs.Config(n_points=100, batch_size=512, epochs=2))
    assert full.batch_size == 75 and full.steps_per_epoch == 1


def test_same_seed_same_run_and_another_seed_another():
    cfg = fs.Config(activation="relu", **SMALL)
    a, b = fs.Trainer(cfg), fs.Trainer(cfg)
    sa, sb = a.advance(5), b.advance(5)
    assert np.array_equal(a.losses_numpy, b.losses_numpy, equal_nan=True)
    assert np.array_equal(a.losses_torch, b.losses_torch, equal_nan=True)
    for k in fs.PARAM_NAMES:
        assert np.array_equal(sa.params[k], sb.params[k])
    c = fs.Trainer(cfg.replace(seed=1))
    c.advance(5)
    assert not np.array_equal(c.losses_numpy[:10], a.losses_numpy[:10])


def test_the_batch_size_does_not_change_the_data_or_the_initial_weights():
    a, b = fs.Trainer(fs.Config(batch_size=4, **SMALL)), fs.Trainer(fs.Config(batch_size=32, **SMALL))
    assert np.array_equal(a.data.x_train, b.data.x_train)
    for k in fs.PARAM_NAMES:
        assert np.array_equal(a.params[k], b.params[k])


@pytest.mark.parametrize("dataset,hidden,epochs", [("moons", 8, 40), ("spiral", 32, 60), ("digits", 16, 5)])
def test_loss_decreases(dataset, hidden, epochs):
    tr = fs.Trainer(fs.Config(dataset=dataset, hidden=hidden, epochs=epochs, batch_size=32, learning_rate=0.3,
                              n_points=300))
    start = tr.snapshot
    end = tr.advance(epochs)
    assert end.train_loss < 0.6 * start.train_loss
    assert end.test_acc > start.test_acc


def test_a_finished_run_stops_at_its_last_epoch():
    tr = fs.Trainer(fs.Config(n_points=80, epochs=3))
    assert not tr.finished
    snap = tr.advance(10)
    assert snap.epoch == 3 and tr.finished
    assert tr.advance(5) is snap


def test_divergence_is_reported_not_raised():
    tr = fs.Trainer(fs.Config(learning_rate=100.0, activation="relu", hidden=32, epochs=50))
    snap = tr.advance(50)
    assert snap.diverged and tr.finished and snap.epoch < 50
    assert tr.advance(3) is snap


def test_state_dict_resumes_the_same_run():
    cfg = fs.Config(**SMALL)
    a = fs.Trainer(cfg)
    a.advance(3)
    state = a.state_dict()
    a.advance(4)
    b = fs.Trainer(cfg)
    b.load_state_dict(state)
    assert b.snapshot.epoch == 3
    b.advance(4)
    assert np.array_equal(a.losses_numpy, b.losses_numpy, equal_nan=True)
    assert np.array_equal(a.losses_torch, b.losses_torch, equal_nan=True)
    for k in fs.PARAM_NAMES:
        assert np.array_equal(a.params[k], b.params[k])


def test_snapshots_are_plain_numbers_and_read_only_arrays():
    snap = fs.Trainer(fs.Config(**SMALL)).advance(1)
    for f in dataclasses.fields(snap):
        v = getattr(snap, f.name)
        assert not isinstance(v, torch.Tensor)
    for v in snap.params.values():
        assert isinstance(v, np.ndarray) and not v.flags.writeable


def test_decision_grid_and_confusion():
    tr = fs.Trainer(fs.Config(dataset="spiral", **SMALL))
    snap = tr.advance(5)
    xs, ys, probs = fs.decision_grid(snap.params, "tanh", tr.data.x_train, n=30)
    assert xs.shape == ys.shape == (30,) and probs.shape == (3, 30, 30)
    np.testing.assert_allclose(probs.sum(axis=0), 1.0)
    assert xs[0] < tr.data.x_train[:, 0].min() and ys[-1] > tr.data.x_train[:, 1].max()
    counts = fs.confusion(snap.params, "tanh", tr.data.x_test, tr.data.y_test, 3)
    assert counts.shape == (3, 3) and counts.sum() == len(tr.data.y_test)
    assert np.trace(counts) / counts.sum() == pytest.approx(snap.test_acc)
