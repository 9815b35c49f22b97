"""The playground engine: gradients against autograd, learning, determinism, divergence."""
import dataclasses
import json

import numpy as np
import pytest
import torch

from explorer.engines import playground as pg

HEADS = [  # (problem, dataset, loss) → head
    ("classification", "circle", "squared"),
    ("classification", "xor", "cross_entropy"),
    ("classification", "blobs", "cross_entropy"),
    ("regression", "circle", "squared"),
]


def _torch_grad(cfg, theta, x, y, keep=None):
    """Autograd of the summed loss through an independent torch forward pass."""
    t = torch.tensor(theta, requires_grad=True)
    a = torch.tensor(x)
    layers = []
    for ws, shape, bs in pg.param_slices(cfg):
        layers.append((t[ws].reshape(shape), t[bs]))
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}[cfg.activation]
    for li, (w, b) in enumerate(layers):
        z = a @ w.T + b
        if li < len(layers) - 1:
            a = act(z)
            if keep is not None:
                a = a * torch.tensor(keep[li])
        else:
            a = z
    yt = torch.tensor(y)
    if cfg.head == "tanh_sq":
        loss = (0.5 * (torch.tanh(a[:, 0]) - yt) ** 2).sum()
    elif cfg.head == "linear_sq":
        loss = (0.5 * (a[:, 0] - yt) ** 2).sum()
    elif cfg.head == "sigmoid_ce":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(a[:, 0], (yt > 0).double(), reduction="sum")
    else:
        loss = torch.nn.functional.cross_entropy(a, yt.long(), reduction="sum")
    loss.backward()
    return t.grad.numpy(), loss.item()


@pytest.mark.parametrize("problem,dataset,loss", HEADS)
@pytest.mark.parametrize("activation", pg.ACTIVATIONS)
def test_gradient_matches_autograd(problem, dataset, loss, activation):
    cfg = pg.Config(problem=problem, dataset=dataset, loss=loss, activation=activation, hidden=(5, 3),
                    features=("x", "y", "xy", "sinx"), classes=4)
    tr = pg.Trainer(cfg)
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.7, tr.theta.shape)
    x, y = tr._xtr[:40], tr.data.train_y[:40]
    keep = [(rng.random((40, h)) > 0.3) / 0.7 for h in cfg.hidden]
    for k in (None, keep):
        ours, our_loss = pg.gradient_sum(cfg, theta, x, y, k)
        ref, ref_loss = _torch_grad(cfg, theta, x, y, k)
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-10)
        assert our_loss == pytest.approx(ref_loss, rel=1e-9)


def test_gradient_matches_finite_differences():
    cfg = pg.Config(hidden=(3,), features=("x", "y", "y2"))
    tr = pg.Trainer(cfg)
    x, y = tr._xtr[:25], tr.data.train_y[:25]
    g, _ = pg.gradient_sum(cfg, tr.theta, x, y)
    eps = 1e-6
    for i in range(len(tr.theta)):
        d = np.zeros_like(tr.theta)
        d[i] = eps
        up = pg.gradient_sum(cfg, tr.theta + d, x, y)[1]
        down = pg.gradient_sum(cfg, tr.theta - d, x, y)[1]
        assert g[i] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


LEARNS = [
    dict(dataset="circle"),
    dict(dataset="xor", features=("x", "y", "xy")),
    dict(dataset="gauss"),
    dict(dataset="spiral", features=pg.FEATURES, hidden=(8, 8), optimizer="adam", learning_rate=0.01),
    dict(dataset="blobs", classes=4, loss="cross_entropy", optimizer="momentum"),
    dict(dataset="arms", classes=3, loss="cross_entropy", optimizer="adam", learning_rate=0.01,
         features=pg.FEATURES, hidden=(8, 8)),
    dict(problem="regression", reg_dataset="reg-plane"),
    dict(problem="regression", reg_dataset="reg-gauss", hidden=(8, 8), optimizer="adam", learning_rate=0.01),
    dict(dataset="circle", dropout=0.2, loss="cross_entropy", hidden=(8,), learning_rate=0.1),
]


@pytest.mark.parametrize("kw", LEARNS, ids=lambda kw: "-".join(str(v) for v in list(kw.values())[:3]))
def test_loss_decreases(kw):
    tr = pg.Trainer(pg.Config(seed="7", **kw))
    start = tr.snapshot.train_loss
    end = tr.advance(60).train_loss
    assert end < 0.8 * start, (start, end)
    assert tr.snapshot.epoch == 60 and not tr.snapshot.diverged


def test_same_seed_same_run_and_different_seed_differs():
    cfg = pg.Config(dataset="spiral", noise=20, dropout=0.1, loss="cross_entropy", optimizer="adam", seed="42")
    a = [pg.Trainer(cfg).advance(1) for _ in range(1)]
    r1, r2, r3 = pg.Trainer(cfg), pg.Trainer(cfg), pg.Trainer(cfg.replace(seed="43"))
    l1 = [r1.advance(1).train_loss for _ in range(15)]
    l2 = [r2.advance(1).train_loss for _ in range(15)]
    l3 = [r3.advance(1).train_loss for _ in range(15)]
    assert l1 == l2 and l1 != l3 and a
    assert np.array_equal(r1.theta, r2.theta)


def test_state_dict_resumes_exactly():
    cfg = pg.Config(dataset="xor", dropout=0.2, loss="cross_entropy", optimizer="adam", batch_size=7)
    whole = pg.Trainer(cfg)
    whole.advance(10)
    part = pg.Trainer(cfg)
    part.advance(4)
    state = part.state_dict()
    resumed = pg.Trainer(cfg)
    resumed.load_state_dict(state)
    resumed.advance(6)
    assert np.array_equal(whole.theta, resumed.theta)
    assert whole.snapshot.train_loss == resumed.snapshot.train_loss


def test_huge_learning_rate_reports_divergence_without_raising():
    cfg = pg.Config(problem="regression", activation="relu", learning_rate=10.0, hidden=(8, 8), batch_size=1)
    tr = pg.Trainer(cfg)
    snap = tr.advance(50)
    assert snap.diverged
    epoch = snap.epoch
    assert tr.advance(10).epoch == epoch  # a diverged run does not train further


def test_advance_respects_time_budget():
    tr = pg.Trainer(pg.Config(batch_size=1, hidden=(8, 8, 8)))
    snap = tr.advance(10_000, max_seconds=0.0)
    assert snap.epoch == 1


@pytest.mark.parametrize("field,value", [
    ("noise", 55), ("train_ratio", 5), ("batch_size", 0), ("hidden", (9,)), ("hidden", (1,) * 7),
    ("features", ()), ("learning_rate", 0.0), ("learning_rate", float("nan")), ("dropout", 0.9),
    ("activation", "gelu"), ("seed", ""), ("classes", 9),
])
def test_config_rejects_out_of_bounds_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        pg.Config(**{field: value})


def test_config_coerced_fixes_combinations():
    cfg, notes = pg.Config.coerced(dataset="blobs", loss="squared", compat=True)
    assert cfg.loss == "cross_entropy" and not cfg.compat and len(notes) == 2
    cfg, notes = pg.Config.coerced(problem="regression", loss="cross_entropy")
    assert cfg.loss == "squared" and notes


def test_export_round_trips_through_safetensors():
    from safetensors.numpy import load

    cfg = pg.Config(hidden=(3, 2))
    tr = pg.Trainer(cfg)
    snap = tr.advance(3)
    blob, meta = pg.export_model(cfg, snap.params, snap)
    tensors = load(blob)
    for i, (w, b) in enumerate(pg.unflatten(cfg, snap.params), start=1):
        assert np.array_equal(tensors[f"W{i}"], w) and np.array_equal(tensors[f"b{i}"], b)
    info = json.loads(meta)
    assert info["config"] == json.loads(json.dumps(dataclasses.asdict(cfg)))
    assert info["epoch"] == 3 and info["layer_sizes"] == [2, 3, 2, 1]


def test_node_outputs_on_the_peer_grid():
    cfg = pg.Config(features=("x", "y2"))
    tr = pg.Trainer(cfg)
    maps = pg.node_outputs(cfg, tr.theta, 100)
    assert [m.shape for m in maps] == [(2, 100, 100), (4, 100, 100), (2, 100, 100), (1, 100, 100)]
    xs, ys = pg.grid_points(100)
    assert xs[0] == -6 and xs[-1] == 6 and ys[0] == 6
    np.testing.assert_allclose(maps[0][0][0], xs)           # feature x along a row
    np.testing.assert_allclose(maps[0][1][:, 0], ys ** 2)   # feature y² down a column
    assert np.abs(maps[-1]).max() <= 1.0                    # tanh output


@pytest.mark.parametrize("optimizer", pg.OPTIMIZERS)
def test_l1_dead_weights_stay_at_zero_with_every_optimizer(optimizer):
    cfg = pg.Config(features=pg.FEATURES, hidden=(6,), regularization="L1", reg_rate=0.03, learning_rate=0.03,
                    optimizer=optimizer, seed="3")
    tr = pg.Trainer(cfg)
    tr.advance(30)
    assert tr.dead.sum() > 0
    assert np.all(tr.theta[tr.dead] == 0.0)
