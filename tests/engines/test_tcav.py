"""TCAV: the CAV solver against sklearn and a known normal, the directional derivative against
finite differences, and a planted concept that scores significantly above random ones."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from sklearn.linear_model import LogisticRegression

from explorer.engines import concepts as cc
from explorer.engines import tcav, zoo


def test_newton_solver_matches_sklearn_logistic_regression():
    rng = np.random.default_rng(0)
    for d in (4, 200):   # fewer and more features than examples
        x = rng.normal(size=(50, d))
        y = x[:, 0] + 0.7 * rng.normal(size=50) > 0
        w, b = tcav.logistic_newton(x, np.where(y, 1.0, -1.0), c=0.5)
        ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=20000).fit(x, y)
        np.testing.assert_allclose(w, ref.coef_[0], atol=1e-6)
        assert b == pytest.approx(ref.intercept_[0], abs=1e-6)


def test_cav_on_a_separable_toy_is_the_known_normal():
    """Negatives are the mirror images of the positives across the plane n·x = 0: by symmetry the
    regularized logistic regression's normal is exactly ±n, pointing to the positives."""
    rng = np.random.default_rng(1)
    d = 30
    n = rng.normal(size=d)
    n /= np.linalg.norm(n)
    pos = rng.normal(size=(40, d))
    pos += (1.0 + np.abs(pos @ n) - pos @ n)[:, None] * n   # push every positive to n·x ≥ 1
    neg = pos - 2 * (pos @ n)[:, None] * n                   # reflections
    c = tcav.cav(pos, neg, c=1.0)
    assert c.vector @ n == pytest.approx(1.0, abs=1e-9)
    assert c.accuracy == 1.0 and c.bias == pytest.approx(0.0, abs=1e-6)
    flipped = tcav.cav(neg, pos)
    np.testing.assert_allclose(flipped.vector, -c.vector, atol=1e-9)


def test_directional_derivative_equals_finite_difference():
    net = zoo.build("lenet", 3, 5, seed=2)
    x = torch.rand(6, 3, 28, 28, generator=torch.Generator().manual_seed(0))
    rng = np.random.default_rng(0)
    # pool and linear outputs: after a ReLU layer, max-pooling windows full of exact zeros (ties) make
    # the function one-sided there, and autograd's subgradient need not equal a central difference
    for label, module in [cc.layers(net)[i] for i in (1, 3, 4, 5)]:
        dim = cc.features(net, module, x[:1]).shape[1]
        v = rng.normal(size=dim)
        v /= np.linalg.norm(v)
        got = tcav.directional_derivatives(net, module, x, 3, v)
        want = tcav.finite_difference(net, module, x, 3, v, eps=1e-4)
        assert np.abs(got).max() > 1e-4
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8, err_msg=label)


def test_tcav_score_and_welch():
    assert tcav.tcav_score(np.array([1.0, -2.0, 3.0, 0.0])) == 0.5
    assert tcav.welch_p(np.ones(5), np.ones(5)) == 1.0
    assert tcav.welch_p(np.ones(5), np.zeros(5)) == 0.0
    from scipy import stats
    a, b = np.array([0.9, 0.8, 1.0, 0.95]), np.array([0.4, 0.7, 0.5, 0.2])
    assert tcav.welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    np.testing.assert_allclose(tcav.bonferroni(np.array([[0.01, 0.2], [0.5, 0.001]])), [[0.04, 0.8], [1.0, 0.004]])


class Planted(nn.Module):
    """A layer of fixed random filters whose channel 0 is an edge-energy detector (a Laplacian),
    and a small MLP head whose class-1 logit is mostly that channel's mean (hidden unit 0) plus
    random units: the concept 'striped' (many edges) is planted into class 1."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(6 * 28 * 28, 16), nn.Linear(16, 2)
        with torch.no_grad():
            self.conv.weight.copy_(0.3 * torch.randn(self.conv.weight.shape, generator=g))
            lap = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
            self.conv.weight[0] = lap.expand(3, 3, 3) / 3
            self.conv.bias.zero_()
            self.fc1.weight.copy_(0.05 * torch.randn(self.fc1.weight.shape, generator=g))
            self.fc1.weight[0] = 0.0
            self.fc1.weight[0, : 28 * 28] = 1.0 / (28 * 28)
            self.fc1.bias.zero_()
            self.fc2.weight.copy_(0.5 * torch.randn(self.fc2.weight.shape, generator=g))
            self.fc2.weight[1, 0] = 5.0
            self.fc2.bias.zero_()
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu(self.conv(x))
        return self.fc2(torch.relu(self.fc1(h.flatten(1))))


def _pool(n_each: int = 48) -> np.ndarray:
    """A varied random pool: every drawn texture kind, shuffled."""
    x = np.concatenate([cc.concept_set(k, n_each, seed=50) for k in cc.CONCEPTS])
    return x[np.random.default_rng(0).permutation(len(x))]


def test_planted_concept_scores_significantly_above_random_ones():
    net = Planted().eval()
    layer = [("conv + ReLU", net.relu)]
    inputs = torch.tensor(cc.concept_set("round", 30, seed=7))      # the class's inputs
    concepts = {"striped": cc.concept_set("striped", 30, seed=8), "solid": cc.concept_set("solid", 30, seed=9)}
    cfg = tcav.Config(n_concept=30, n_random=30, runs=6, n_class=30, seed=0)
    rep = tcav.run(cfg, net, layer, inputs, 1, concepts, _pool())
    s = rep.scores[0, 0]
    assert s.mean() > 0.9
    assert rep.significant[0, 0] and rep.p[0, 0] < 0.01
    assert rep.random_scores[0].mean() < s.mean() - 0.3
    assert rep.mean_derivative[0, 0] > 0 > rep.mean_derivative[1, 0]   # flat colour: fewer edges, less class 1
    again = tcav.run(cfg, net, layer, inputs, 1, concepts, _pool())
    np.testing.assert_array_equal(again.scores, rep.scores)


def test_random_pool_too_small_is_refused():
    net = Planted().eval()
    with pytest.raises(ValueError, match="runs"):
        tcav.run(tcav.Config(n_random=10, runs=5), net, [("l", net.relu)], torch.rand(2, 3, 28, 28), 1,
                 {"striped": cc.concept_set("striped", 10, 0)}, np.zeros((20, 3, 28, 28), np.float32))


@pytest.mark.parametrize("field,value", [("n_concept", 2), ("runs", 1), ("runs", 99), ("c", 0.0), ("alpha", 1.0),
                                         ("seed", -3)])
def test_config_validates(field, value):
    with pytest.raises(ValueError, match=field):
        tcav.Config(**{field: value})
