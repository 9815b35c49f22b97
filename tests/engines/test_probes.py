"""Linear probes: the L-BFGS logistic regression against sklearn, attributes from masks, a probe
that reads a planted attribute, the report's shape, determinism, validation."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from explorer.engines import concepts as cc
from explorer.engines import images, probes, zoo


def test_logistic_matches_sklearn_multinomial():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 5))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.3) + (x[:, 2] > 1)
    w, b = probes.logistic(x, y, c=0.5, iters=500, tol=1e-10)
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10000).fit(x, y)
    np.testing.assert_allclose(w, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(b, ref.intercept_, atol=1e-5)


def test_a_probe_reads_a_linear_attribute_and_not_noise():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(400, 20))
    y = (f @ rng.normal(size=20) > 0).astype(int)
    tr, te = probes.fit_probe(f[:300], y[:300], f[300:], y[300:], c=10.0)
    assert te > 0.9 and tr > 0.9
    noise = rng.integers(0, 2, 400)
    _, te_noise = probes.fit_probe(f[:300], noise[:300], f[300:], noise[300:], c=0.1)
    assert te_noise < 0.7


def test_attributes_of_shapes_follow_their_masks():
    d = images.shapes(n_train=200, n_test=50)
    tr, ref = probes.attributes(np.asarray(d.x_train), d.y_train, d.masks_train)
    te, _ = probes.attributes(np.asarray(d.x_test), d.y_test, d.masks_test, ref)
    assert set(tr) == set(probes.ATTRIBUTES)
    np.testing.assert_array_equal(tr["label"], d.y_train)
    assert set(np.unique(tr["position"])) == {0, 1, 2, 3}
    assert abs(tr["size"].mean() - 0.5) < 0.05            # a median split
    i = 0
    ys, xs = np.nonzero(d.masks_train[i])
    quad = int(xs.mean() + 0.5 > ref["cx"]) + 2 * int(ys.mean() + 0.5 > ref["cy"])
    assert tr["position"][i] == quad
    colour = d.x_train[i][:, d.masks_train[i]].mean(1)
    assert tr["colour"][i] == int(colour.argmax())
    assert probes.chance(np.array([0, 0, 1, 2])) == 0.5
    assert probes.available("mnist") == ("label", "position", "size")


def test_reduce_pools_big_maps_only():
    f = np.arange(2 * 4 * 8 * 8, dtype=np.float32).reshape(2, -1)
    out = probes.reduce(f, (4, 8, 8), limit=64)            # 256 values → one 2×2 average pool → 64
    assert out.shape == (2, 64)
    assert out[0, 0] == pytest.approx(f[0].reshape(4, 8, 8)[0, :2, :2].mean())
    np.testing.assert_array_equal(probes.reduce(f, (4, 8, 8), limit=256), f)   # small enough: unchanged
    assert probes.reduce(f, (256,)) is f


def test_probe_report_on_an_untrained_net_is_deterministic():
    d = images.shapes(n_train=200, n_test=80)
    tr, ref = probes.attributes(np.asarray(d.x_train), d.y_train, d.masks_train)
    te, _ = probes.attributes(np.asarray(d.x_test), d.y_test, d.masks_test, ref)
    net = zoo.build("lenet", 3, 5, seed=0)
    cfg = probes.Config(n_train=200, n_test=80)
    rep = probes.run(cfg, net, cc.layers(net), d.x_train, tr, d.x_test, te, ("label", "colour"))
    assert rep.layers[0] == "pixels" and len(rep.layers) == 7
    assert rep.acc.shape == (2, 7) and ((0 <= rep.acc) & (rep.acc <= 1)).all()
    assert rep.dims[0] == 3 * 28 * 28 // 4 and rep.dims[-1] == 84
    assert rep.acc[1].max() > rep.chance[1] + 0.2          # colour is easy to read, even from random features
    again = probes.run(cfg, net, cc.layers(net), d.x_train, tr, d.x_test, te, ("label", "colour"))
    np.testing.assert_array_equal(again.acc, rep.acc)


@pytest.mark.parametrize("field,value", [("n_train", 5), ("n_test", 5000), ("c", 0.0), ("seed", -1)])
def test_config_validates(field, value):
    with pytest.raises(ValueError, match=field):
        probes.Config(**{field: value})
