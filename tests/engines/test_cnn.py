"""The CNN page's engine: the live trainer, feature maps, confusion, the zoo compared, gradient flow."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.engines import cnn, zoo


@pytest.fixture(scope="module")
def data():
    return cnn.data_for("mnist")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(zoo.CACHE_ENV, str(tmp_path))
    monkeypatch.setitem(zoo.RECIPES, "lenet", zoo.Recipe(epochs=1, lr=2e-3))


def test_config_is_validated():
    for bad, field in ((dict(arch="inception"), "arch"), (dict(dataset="digits"), "dataset"), (dict(lr=0.0), "lr"),
                       (dict(lr=float("nan")), "lr"), (dict(batch_size=4), "batch_size"),
                       (dict(optimizer="rmsprop"), "optimizer"), (dict(augment=1), "augment"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=field):
            cnn.Config(**bad)


# -- the live trainer ---------------------------------------------------------------------------------
def test_the_steps_of_an_epoch_cover_every_batch_once(data):
    tr = cnn.Trainer(cnn.Config(batch_size=64), data)
    parts = []
    for k in range(cnn.STEPS_PER_EPOCH):
        tr.step = k
        parts.extend(tr._step_batches())
    assert parts == list(range(tr.batches_per_epoch)) == list(range(63))  # ⌈4000 / 64⌉
    big = cnn.Trainer(cnn.Config(batch_size=256), data)
    assert big.batches_per_epoch == 16 and all(len(big._step_batches()) == 1 for _ in range(1))


def test_trainer_learns_and_its_snapshots_are_plain_numbers(data):
    tr = cnn.Trainer(cnn.Config(), data)
    s0 = tr.snapshot
    assert s0.epoch == 0 and s0.step == 0 and np.isnan(s0.train_loss) and 0.0 <= s0.test_acc <= 0.25
    assert s0.test_loss == pytest.approx(np.log(10), abs=0.05)  # a nearly uniform first guess
    assert s0.filters.shape == (6, 1, 5, 5) and isinstance(s0.filters, np.ndarray)
    snap = tr.advance(cnn.STEPS_PER_EPOCH)
    assert snap.epoch == 1.0 and snap.step == 16 and not snap.diverged
    assert snap.test_acc > 0.85 and snap.test_loss < s0.test_loss and snap.seconds > 0
    for f in dataclasses.fields(snap):
        assert not isinstance(getattr(snap, f.name), torch.Tensor)
    assert not np.array_equal(snap.filters, s0.filters)  # the filters moved
    h = tr.history()
    assert h["epoch"].tolist() == [k / 16 for k in range(17)] and h["test_acc"][-1] == snap.test_acc
    assert len(tr.history(0.5)["epoch"]) == 9
    # the reported test numbers are the model's own on the whole test split
    loss, acc = zoo.evaluate(tr.model, tr.x_test, tr.y_test)
    assert (loss, acc) == (snap.test_loss, snap.test_acc)


def test_same_config_same_run_other_seed_other_run(data):
    a, b, c = (cnn.Trainer(cnn.Config(seed=s, arch="vgg"), data) for s in (1, 1, 2))
    for t in (a, b, c):
        t.advance(2)
    assert a.snapshot.train_loss == b.snapshot.train_loss and np.array_equal(a.snapshot.filters, b.snapshot.filters)
    assert a.snapshot.train_loss != c.snapshot.train_loss


def test_shapes_run_has_rgb_filters_and_five_classes():
    tr = cnn.Trainer(cnn.Config(dataset="shapes", arch="resnet", batch_size=128))
    assert tr.snapshot.filters.shape == (8, 3, 3, 3)
    assert tr.model(tr.x_test[:2]).shape == (2, 5)


def test_divergence_is_reported_not_raised(data):
    tr = cnn.Trainer(cnn.Config(), data)
    with torch.no_grad():
        tr.model.fc1.weight[0, 0] = float("inf")
    snap = tr.advance(3)
    assert snap.diverged and tr.diverged and snap.step == 1  # the run stopped after the first step
    assert np.isnan(snap.test_loss)
    assert tr.advance(2).step == 1


# -- analyses ---------------------------------------------------------------------------------------------
def test_feature_maps_are_the_layer_outputs(data):
    model = zoo.build("lenet", seed=0, mean=(0.13,), std=(0.31,))
    x = data.x_test[3]
    layers = cnn.feature_maps(model, x, max_channels=4)
    assert [m.label for m in layers] == ["conv1 + ReLU", "pool1", "conv2 + ReLU", "pool2"]
    assert [m.shape for m in layers] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    assert layers[2].maps.shape == (4, 10, 10) and layers[2].strength.shape == (16,)
    with torch.no_grad():  # the oracle: the same layers applied by hand
        h = F.relu(model.conv1(model.input_norm(torch.tensor(x)[None])))
        pooled = F.max_pool2d(h, 2)
    np.testing.assert_allclose(layers[0].maps, h[0, :4].numpy(), rtol=1e-6)
    np.testing.assert_allclose(layers[1].maps, pooled[0, :4].numpy(), rtol=1e-6)
    np.testing.assert_allclose(layers[0].strength, h[0].abs().mean(dim=(1, 2)).numpy(), rtol=1e-5)


def test_feature_maps_leave_a_shared_model_alone(cache, data):
    ref = zoo.reference_model("lenet", "mnist")
    before = zoo.fingerprint(ref)
    layers = cnn.feature_maps(ref, data.x_test[0])
    assert len(layers) == 4 and zoo.fingerprint(ref) == before
    assert all(not m._forward_hooks for m in ref.modules())


@pytest.mark.parametrize("arch", zoo.ARCHS)
def test_feature_maps_of_every_architecture(arch, data):
    layers = cnn.feature_maps(zoo.build(arch), data.x_test[0])
    assert len(layers) >= 4 and all(m.maps.ndim == 3 and m.maps.shape[0] <= 8 for m in layers)
    assert all(np.isfinite(m.maps).all() for m in layers)


def test_predict_is_the_softmax_of_the_logits(data):
    model = zoo.build("vgg", seed=1)
    p = cnn.predict(model, data.x_test[:7])
    with torch.no_grad():
        ref = F.softmax(model.eval()(torch.tensor(data.x_test[:7])), dim=1).double().numpy()
    np.testing.assert_allclose(p, ref, rtol=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    assert cnn.predict(model, data.x_test[0]).shape == (1, 10)


def test_confusion_matrix_counts(data):
    tr = cnn.Trainer(cnn.Config(), data)
    tr.advance(4)
    conf = cnn.confusion(tr.model, data.x_test, data.y_test, 10)
    m = conf.matrix
    assert m.sum() == 1000 and m.sum(axis=1).tolist() == [100] * 10
    assert conf.accuracy == pytest.approx(tr.snapshot.test_acc)
    for t, p, n in cnn.worst_cells(conf, 5):
        assert t != p and m[t, p] == n
        idx = cnn.cell_indices(conf, data.y_test, t, p)
        assert len(idx) == n and (data.y_test[idx] == t).all() and (conf.pred[idx] == p).all()
        assert (np.diff(conf.probs[idx, p]) <= 0).all()  # most confident first
    counts = [n for _, _, n in cnn.worst_cells(conf, 40)]
    assert counts == sorted(counts, reverse=True)


# -- the zoo compared ----------------------------------------------------------------------------------
def test_compare_trains_each_architecture_and_times_it(data):
    cfg = cnn.CompareConfig(archs=("vgg", "lenet"), epochs=1, n_train=300)
    assert cfg.archs == ("lenet", "vgg")  # zoo order
    ticks = []
    rows = cnn.compare(cfg, lambda f, name: ticks.append((f, name)))
    costs = {r.arch: r for r in cnn.costs("mnist")}
    assert [r.arch for r in rows] == ["lenet", "vgg"]
    for r in rows:
        assert (r.params, r.macs) == (costs[r.arch].params, costs[r.arch].macs)
        assert 0.0 <= r.test_acc <= 1.0 and r.seconds_per_epoch > 0 and not r.diverged
    assert ticks[0] == (0.0, "lenet") and ticks[-1][0] == 1.0
    with pytest.raises(ValueError, match="archs"):
        cnn.CompareConfig(archs=("inception",))


def test_costs_are_the_zoo_counts():
    rows = cnn.costs("shapes")
    assert [r.arch for r in rows] == list(zoo.ARCHS)
    lenet = rows[0]
    assert lenet.params == zoo.count_params(zoo.build("lenet", 3, 5))
    assert lenet.macs == 28 * 28 * 6 * 3 * 25 + 240_000 + 48_000 + 120 * 84 + 84 * 5


# -- gradient flow ------------------------------------------------------------------------------------
def test_conv_grad_norms_match_autograd_and_leave_the_model_as_it_was(data):
    net = zoo.build("plain", blocks=1, stem_stride=2, seed=3)
    x, y = torch.tensor(data.x_train[:32]), torch.tensor(data.y_train[:32])
    buffers = {k: v.clone() for k, v in net.state_dict().items()}
    names, norms = cnn.conv_grad_norms(net, x, y)
    assert all(torch.equal(v, buffers[k]) for k, v in net.state_dict().items())  # running stats untouched
    assert all(p.grad is None for p in net.parameters())
    twin = zoo.session_copy(net)
    twin.train()
    F.cross_entropy(twin(x), y).backward()
    convs = [m for m in twin.modules() if isinstance(m, torch.nn.Conv2d)]
    np.testing.assert_allclose(norms, [float(m.weight.grad.norm()) for m in convs], rtol=1e-5)
    assert len(names) == 7 and names[0] == "stem.0"


def test_grad_flow_at_init_and_after_training():
    flow = cnn.grad_flow(cnn.GradConfig(blocks=1, steps=3))
    assert len(flow.layers) == 6 * 1 + 1
    for kind in ("resnet", "plain"):
        assert flow.at_init[kind].shape == (7,) and flow.trained[kind].shape == (7,)
        assert len(flow.losses[kind]) == 3 and np.isfinite(flow.losses[kind]).all()
    again = cnn.grad_flow(cnn.GradConfig(blocks=1, steps=3))
    np.testing.assert_array_equal(again.trained["plain"], flow.trained["plain"])
    assert cnn.grad_flow(cnn.GradConfig(blocks=1)).trained is None


def test_without_skips_a_deep_nets_gradient_explodes_toward_the_input():
    """ResNet-56 vs the same plain net (BatchNorm everywhere) at initialization: the plain net's
    first-layer gradient is more than 10× the last layer's; with skips it stays within 10×."""
    flow = cnn.grad_flow(cnn.GradConfig(blocks=9))
    plain, res = flow.at_init["plain"], flow.at_init["resnet"]
    assert plain[0] / plain[-1] > 10 and res[0] / res[-1] < 10
    assert plain[:5].mean() > 10 * res[:5].mean()


def test_grad_config_is_validated():
    with pytest.raises(ValueError, match="blocks"):
        cnn.GradConfig(blocks=0)
    with pytest.raises(ValueError, match="steps"):
        cnn.GradConfig(steps=10_000)
    assert cnn.GradConfig(blocks=9).depth == 56
