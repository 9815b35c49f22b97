"""The normalization engine: torch's layers do what the formulas say, BatchNorm's two modes,
the fairness of the side-by-side run, determinism, learning, divergence, the batch-size study."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer.engines import normalization as nm

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    return nm.make_data(0)


def _z(n=16, c=8, seed=0):
    return torch.randn(n, c, generator=torch.Generator().manual_seed(seed)) * 3 + 2


def test_make_norm_uses_torch_layers():
    assert isinstance(nm.make_norm("batch", 8), torch.nn.BatchNorm1d)
    assert isinstance(nm.make_norm("layer", 8), torch.nn.LayerNorm)
    assert isinstance(nm.make_norm("group", 8, 4), torch.nn.GroupNorm)
    assert isinstance(nm.make_norm("none", 8), torch.nn.Identity)
    with pytest.raises(ValueError, match="^norm:"):
        nm.make_norm("instance", 8)


def test_layernorm_standardizes_each_sample():
    y = nm.make_norm("layer", 8)(_z())
    assert torch.allclose(y.mean(dim=1), torch.zeros(16), atol=1e-5)
    assert torch.allclose(y.std(dim=1, unbiased=False), torch.ones(16), atol=1e-3)


def test_groupnorm_standardizes_each_group_of_each_sample():
    y = nm.make_norm("group", 8, groups=2)(_z()).reshape(16, 2, 4)
    assert torch.allclose(y.mean(dim=2), torch.zeros(16, 2), atol=1e-5)
    assert torch.allclose(y.std(dim=2, unbiased=False), torch.ones(16, 2), atol=1e-3)
    one = nm.make_norm("group", 8, groups=1)(_z())
    assert torch.allclose(one, nm.make_norm("layer", 8)(_z()), atol=1e-5)  # 1 group = LayerNorm


def test_batchnorm_uses_batch_stats_in_training_and_running_stats_in_eval():
    bn = nm.make_norm("batch", 8)
    z = _z()
    y = bn(z)  # training mode: each feature standardized over the batch
    assert torch.allclose(y.mean(dim=0), torch.zeros(8), atol=1e-5)
    assert torch.allclose(y.std(dim=0, unbiased=False), torch.ones(8), atol=1e-3)
    # running stats moved 10 % of the way from (0, 1) to the batch's (unbiased variance)
    assert torch.allclose(bn.running_mean, 0.1 * z.mean(dim=0), atol=1e-6)
    assert torch.allclose(bn.running_var, 0.9 + 0.1 * z.var(dim=0, unbiased=True), atol=1e-5)
    bn.eval()
    manual = (z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    assert torch.allclose(bn(z), manual, atol=1e-5)
    assert not torch.allclose(bn(z), y, atol=1e-2)


def test_frozen_running_stats_leaves_running_averages_alone(data):
    model, _ = nm.build("batch", nm.Config(depth=2, width=16))
    before = [b.clone() for b in model.buffers()]
    nm.evaluate_train_mode(model, data.x_train, data.y_train, 8)
    after = list(model.buffers())
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(m.momentum == 0.1 for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d))
    assert model.training


def test_train_and_eval_mode_agree_without_batchnorm(data):
    for norm in ("none", "layer", "group"):
        model, _ = nm.build(norm, nm.Config(depth=2, width=16))
        a = nm.evaluate(model, data.x_train, data.y_train)
        b = nm.evaluate_train_mode(model, data.x_train, data.y_train, 8)
        assert a == pytest.approx(b, rel=1e-5)
    model, _ = nm.build("batch", nm.Config(depth=2, width=16))
    assert nm.evaluate(model, data.x_train, data.y_train) != pytest.approx(
        nm.evaluate_train_mode(model, data.x_train, data.y_train, 2), rel=1e-3)


def test_every_normalization_starts_from_the_same_linear_weights():
    cfg = nm.Config(depth=3, width=16)
    models = [nm.build(n, cfg)[0] for n in nm.NORMS]
    for m in models[1:]:
        for a, b in zip((*models[0].linears, models[0].head), (*m.linears, m.head)):
            assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


def test_default_init_is_pytorchs_linear_init():
    """U(±1/√fan_in) for weights and biases, like nn.Linear.reset_parameters."""
    model, _ = nm.build("none", nm.Config(depth=2, width=128))
    w = model.linears[1].weight
    bound = 1 / math.sqrt(128)
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_data_is_standardized_and_split(data):
    assert data.x_train.shape == (nm.N_TRAIN, 64) and len(data.x_test) == 1797 - nm.N_TRAIN
    assert torch.allclose(data.x_train.mean(dim=0), torch.zeros(64), atol=1e-5)
    assert set(data.y_train.tolist()) == set(range(10))


@pytest.mark.parametrize("field,value", [
    ("norms", ()), ("norms", ("batch", "batch")), ("norms", ("weight",)), ("depth", 0), ("width", 1),
    ("groups", 3), ("learning_rate", -1.0), ("learning_rate", math.inf), ("optimizer", "lion"), ("init", "zeros"),
    ("batch_size", 1), ("seed", -5),
])
def test_config_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}:"):
        nm.Config(**{field: value})


SMALL = nm.Config(depth=2, width=16, groups=4, batch_size=64)


def test_same_seed_same_run(data):
    a = nm.Trainer(SMALL, data).advance(2)
    b = nm.Trainer(SMALL, data).advance(2)
    for f in ("train_losses", "test_losses", "batch_losses", "act_mean", "act_std"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    c = nm.Trainer(nm.Config(depth=2, width=16, groups=4, batch_size=64, seed=3), data).advance(2)
    assert not np.array_equal(a.train_losses, c.train_losses)


def test_loss_decreases_for_every_normalization(data):
    tr = nm.Trainer(nm.Config(depth=2, width=32, batch_size=32), data)
    first = tr.snapshot.train_losses
    snap = tr.advance(3)
    assert (snap.train_losses < first).all()
    assert snap.step == 3 * (nm.N_TRAIN // 32)


def test_normalization_speeds_up_a_badly_scaled_deep_net(data):
    snap = nm.Trainer(nm.Config(depth=4), data).advance(4)
    none, batch, layer, group = snap.train_losses
    assert max(batch, layer, group) < 0.5 * none


def test_block_statistics_at_initialization(data):
    """After LayerNorm (γ = 1, β = 0) a block outputs ReLU of a standardized vector: mean
    ≈ 1/√(2π) ≈ 0.40 and std ≈ √(1/2 − 1/(2π)) ≈ 0.58. Without a norm, PyTorch's default
    init shrinks the signal layer by layer."""
    snap = nm.Trainer(nm.Config(depth=4, norms=("none", "layer")), data).snapshot
    assert snap.act_mean[1] == pytest.approx(np.full(4, 1 / math.sqrt(2 * math.pi)), abs=0.06)
    assert snap.act_std[1] == pytest.approx(np.full(4, math.sqrt(0.5 - 0.5 / math.pi)), abs=0.06)
    assert (np.diff(snap.act_std[0]) < 0).all()


def test_divergence_is_reported_and_stops_the_run(data):
    tr = nm.Trainer(nm.Config(norms=("none",), init="he", learning_rate=10.0), data)
    snap = tr.advance(2)
    assert snap.diverged and snap.model_diverged.all() and math.isnan(snap.train_loss)
    assert tr.advance(3).epoch == snap.epoch


def test_history(data):
    tr = nm.Trainer(SMALL, data)
    tr.advance(3)
    h = tr.history()
    assert list(h["epoch"]) == [0, 1, 2, 3] and list(h["step"]) == [0, 6, 12, 18]
    assert h["train"].shape == (4, 4) and h["mean"].shape == (4, 4, 2)
    assert len(tr.history(1)["epoch"]) == 2


def test_batch_size_study(data):
    cfg = nm.StudyConfig(norms=("batch", "layer"), batch_sizes=(64, 2), epochs=1, depth=2, width=16, groups=4)
    assert cfg.batch_sizes == (2, 64)
    assert cfg.total_steps == 2 * (nm.N_TRAIN // 2 + nm.N_TRAIN // 64)
    seen = []
    res = nm.batch_size_study(cfg, data, progress=seen.append)
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    assert res.test_acc.shape == res.train_mode_acc.shape == (2, 2) and not res.diverged.any()
    # LayerNorm does not look at the batch: both modes are the same function
    assert res.train_mode_acc[1] == pytest.approx(res.eval_mode_acc[1])
    # BatchNorm with 2 samples per batch: the two modes disagree
    assert abs(res.train_mode_loss[0, 0] - res.eval_mode_loss[0, 0]) > 0.05
    x, y = res.curves[("batch", 2)]
    assert len(x) == len(y) > 0 and x[-1] == pytest.approx(1.0, abs=0.05)


def test_study_config_is_validated():
    with pytest.raises(ValueError, match="^batch_sizes:"):
        nm.StudyConfig(batch_sizes=(3,))
    with pytest.raises(ValueError, match="^epochs:"):
        nm.StudyConfig(epochs=0)
