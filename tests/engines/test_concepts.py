"""Activation maximization, layers and drawn concepts: oracles (scipy's Gaussian filter), ascent
that climbs, determinism, config validation."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from explorer.engines import concepts as cc
from explorer.engines import zoo


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return zoo.build("lenet", 3, 5, seed=0)  # untrained: the ascent works on any network


def test_layers_are_the_taps_then_the_hidden_linears(net):
    labels = [lab for lab, _ in cc.layers(net)]
    assert labels == ["conv1 + ReLU", "pool1", "conv2 + ReLU", "pool2", "fc1 (linear)", "fc2 (linear)"]
    x = torch.rand(4, 3, 28, 28)
    f = cc.features(net, cc.layers(net)[1][1], x)
    assert f.shape == (4, 6 * 14 * 14)
    assert cc.features_shape(net, cc.layers(net)[4][1], (3, 28, 28)) == (120,)


def test_blur_matches_scipy_gaussian_filter():
    rng = np.random.default_rng(0)
    x = rng.random((1, 2, 20, 20)).astype(np.float32)
    for sigma in (0.5, 1.0, 1.5):
        r = len(cc.gaussian_kernel(sigma)) // 2
        got = cc.blur(torch.tensor(x), sigma).numpy()
        want = np.stack([ndimage.gaussian_filter(x[0, c].astype(np.float64), sigma, mode="mirror", truncate=r / sigma)
                         for c in range(2)])
        np.testing.assert_allclose(got[0], want, atol=1e-5)
    assert cc.gaussian_kernel(1.0).sum().item() == pytest.approx(1.0)
    assert torch.equal(cc.blur(torch.tensor(x), 0.0), torch.tensor(x))


def test_objective_reads_logit_logprob_and_channel_mean():
    logits = torch.tensor([[1.0, 2.0, 3.0]])
    act = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    assert cc.objective(logits, None, "class", 1).item() == 2.0
    assert cc.objective(logits, None, "logprob", 2).item() == pytest.approx(float(torch.log_softmax(logits, 1)[0, 2]))
    np.testing.assert_allclose(cc.objective(logits, act, "unit", 1).numpy(), act[:, 1].mean((1, 2)).numpy())


def test_plain_ascent_increases_the_logit_almost_every_step(net):
    cfg = cc.Config(target="class", index=2, jitter=0, blur=0.0, l2=0.0, lr=0.01, steps_per_epoch=1, max_steps=30)
    res = cc.maximize(cfg, zoo.session_copy(net))
    a = res.activation
    assert len(a) == 31 and not res.diverged
    assert np.mean(np.diff(a) > 0) >= 0.9          # monotone-ish
    assert a[-1] > a[0] + 1.0
    assert res.frames.min() >= 0 and res.frames.max() <= 1


def test_regularized_ascent_of_a_channel_climbs_and_is_deterministic(net):
    cfg = cc.Config(target="unit", layer=2, index=5, jitter=2, blur=0.5, l2=3.0, steps_per_epoch=4, max_steps=40,
                    seed=3)
    a = cc.maximize(cfg, zoo.session_copy(net))
    b = cc.maximize(cfg, zoo.session_copy(net))
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.activation, b.activation)
    assert a.activation[-1] > a.activation[0] + 0.5
    other = cc.maximize(cc.Config(**{**cfg.__dict__, "seed": 4}), zoo.session_copy(net))
    assert not np.array_equal(other.frames[-1], a.frames[-1])


def test_actmax_snapshot_and_stop(net):
    run = cc.ActMax(cc.Config(max_steps=8, steps_per_epoch=4), zoo.session_copy(net))
    assert run.snapshot.epoch == 0 and run.snapshot.image.shape == (3, 28, 28)
    s = run.advance(5)
    assert s.epoch == 8 and s.test_loss == pytest.approx(-s.activation)
    assert s.probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert run.advance(1).epoch == 8  # finished runs stay put


def test_unit_index_beyond_the_layer_is_refused(net):
    with pytest.raises(ValueError, match="index"):
        cc.ActMax(cc.Config(target="unit", layer=0, index=6), zoo.session_copy(net))


@pytest.mark.parametrize("field,value", [("target", "x"), ("lr", 0.0), ("jitter", 9), ("blur", -1.0), ("l2", -1.0),
                                         ("max_steps", 0), ("seed", -1), ("index", -1)])
def test_config_validates(field, value):
    with pytest.raises(ValueError, match=field):
        cc.Config(**{field: value})


def test_concepts_are_drawn_deterministically_and_look_like_their_names():
    for kind in cc.CONCEPTS:
        a, b = cc.concept_set(kind, 6, seed=1), cc.concept_set(kind, 6, seed=1)
        np.testing.assert_array_equal(a, b)
        assert a.shape == (6, 3, 28, 28) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert cc.concept_set("striped", 2, 0, channels=1).shape == (2, 1, 28, 28)
    rng = np.random.default_rng(0)
    stripes = cc.concept_mask("striped", rng)
    assert 0.3 < stripes.mean() < 0.7                       # half the area, alternating
    assert not cc.concept_mask("solid", rng).any()
    # a striped texture has far more edges (high frequencies) than a round one
    edges = lambda m: np.abs(np.diff(m.astype(int), axis=0)).sum() + np.abs(np.diff(m.astype(int), axis=1)).sum()  # noqa
    assert edges(stripes) > 2 * edges(cc.concept_mask("round", rng))


def test_top_examples_orders_by_value():
    assert cc.top_examples(np.array([0.1, 3.0, -1.0, 3.0, 2.0]), 3).tolist() == [1, 3, 4]
