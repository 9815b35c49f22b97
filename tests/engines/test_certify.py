"""Certified robustness: Clopper–Pearson and the smoothing radius against scipy, a linear classifier
whose smoothed radius is known exactly, and IBP bounds that contain every sampled output."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from scipy import stats
from sklearn.datasets import load_digits

from explorer.engines import certify as C


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- statistics -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k,n,alpha", [(1, 10, 0.05), (990, 1000, 0.001), (500, 1000, 0.01), (99, 100, 0.001),
                                       (7, 7, 0.1), (4321, 5000, 1e-4)])
def test_clopper_pearson_against_scipy_beta_and_the_binomial_tail(k, n, alpha):
    low = C.clopper_pearson_lower(k, n, alpha)
    assert low == pytest.approx(stats.beta.ppf(alpha, k, n - k + 1), rel=1e-10)
    # its defining property, with no beta function: P(Bin(n, p̲) ≥ k) = α
    assert stats.binom.sf(k - 1, n, low) == pytest.approx(alpha, rel=1e-6)
    assert 0 < low < k / n


def test_clopper_pearson_edges():
    assert C.clopper_pearson_lower(0, 50, 0.01) == 0.0
    assert C.clopper_pearson_lower(100, 100, 0.001) == pytest.approx(0.001 ** (1 / 100), rel=1e-12)
    with pytest.raises(ValueError):
        C.clopper_pearson_lower(11, 10, 0.01)


class Fixed(nn.Module):
    """Always the same class, whatever the noise: every sample agrees."""

    def __init__(self, cls=2, k=4):
        super().__init__()
        self.cls, self.k = cls, k
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        out = torch.zeros(len(x), self.k)
        out[:, self.cls] = 1.0
        return out + 0 * self.w


class Threshold(nn.Module):
    """Class 1 where pixel 0 > t, else class 0: a linear classifier whose smoothed version has
    p_A = Φ(|x₀ − t| / σ) and exact L2 robustness radius |x₀ − t|."""

    def __init__(self, t=0.5):
        super().__init__()
        self.t = t
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        z = (x.reshape(len(x), -1)[:, 0] - self.t) * self.w
        return torch.stack([-z, z], 1)


def test_certify_radius_is_sigma_times_inverse_phi_of_the_bound_for_its_counts():
    cfg = C.SmoothConfig(sigma=0.25, n0=20, n=500, alpha=0.001, seed=1)
    x = np.zeros((1, 3, 3), np.float32)
    x[0, 0, 0] = 0.7
    cert = C.certify(Threshold(0.5), x, cfg)
    k = int(cert.counts[cert.guess])
    p_low = stats.beta.ppf(0.001, k, 500 - k + 1)
    assert cert.p_lower == pytest.approx(p_low, rel=1e-9)
    assert cert.radius == pytest.approx(0.25 * stats.norm.ppf(p_low), rel=1e-9)
    assert cert.cls == 1 and cert.counts.sum() == 500 and cert.counts0.sum() == 20


def test_all_agreeing_samples_give_the_largest_radius_n_allows():
    cfg = C.SmoothConfig(sigma=0.5, n0=10, n=1000, alpha=0.001)
    cert = C.certify(Fixed(), np.zeros((1, 2, 2), np.float32), cfg)
    assert cert.cls == 2 and cert.counts[2] == 1000
    assert cert.radius == pytest.approx(0.5 * stats.norm.ppf(0.001 ** (1 / 1000)), rel=1e-9)


@pytest.mark.parametrize("x0", [0.6, 0.8])
def test_smoothed_linear_classifier_radius_approaches_the_true_distance(x0):
    x = np.zeros((1, 2, 2), np.float32)
    x[0, 0, 0] = x0
    cert = C.certify(Threshold(0.5), x, C.SmoothConfig(sigma=0.25, n0=50, n=20000, alpha=0.001, batch=5000))
    true = x0 - 0.5
    assert cert.cls == 1
    assert 0.8 * true < cert.radius <= true  # sound (below the truth), and tight with many samples
    p = stats.norm.cdf(true / 0.25)
    assert cert.counts[1] / 20000 == pytest.approx(p, abs=0.01)


def test_predict_abstains_on_a_coin_flip_and_answers_when_sure():
    x = np.zeros((1, 2, 2), np.float32)
    x[0, 0, 0] = 0.5  # exactly on the boundary: p = ½
    p = C.smoothed_predict(Threshold(0.5), x, C.SmoothConfig(sigma=0.25, n=400, alpha=0.001))
    assert p.cls == C.ABSTAIN
    n_a, n_b = sorted(p.counts)[::-1][:2]
    assert p.p_value == pytest.approx(stats.binomtest(int(n_a), int(n_a + n_b), 0.5).pvalue)
    x[0, 0, 0] = 0.9
    sure = C.smoothed_predict(Threshold(0.5), x, C.SmoothConfig(sigma=0.25, n=400, alpha=0.001))
    assert sure.cls == 1 and sure.p_value < 1e-6


def test_sampling_is_seeded():
    x = np.full((1, 2, 2), 0.55, np.float32)
    a = C.sample_counts(Threshold(), x, 0.3, 777, 100, torch.Generator().manual_seed(4))
    b = C.sample_counts(Threshold(), x, 0.3, 777, 100, torch.Generator().manual_seed(4))
    c = C.sample_counts(Threshold(), x, 0.3, 777, 100, torch.Generator().manual_seed(5))
    assert a.sum() == 777 and a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_certified_curve_counts_right_and_certified_images():
    x = np.zeros((6, 1, 2, 2), np.float32)
    x[:, 0, 0, 0] = [0.9, 0.8, 0.7, 0.5, 0.2, 0.1]
    y = np.array([1, 1, 0, 1, 0, 0])  # the third label is wrong for the classifier
    cfg = C.SmoothConfig(sigma=0.25, n0=20, n=400, alpha=0.01)
    seen = []
    curve = C.certified_curve(Threshold(0.5), x, y, cfg, radii=[0, 0.1, 0.3, 0.5],
                              progress=lambda f, t: seen.append(f))
    assert seen[-1] == 1.0 and len(seen) == 6
    ok = curve.cls == y
    expected = [np.mean(ok & (curve.radius >= r)) for r in (0, 0.1, 0.3, 0.5)]
    np.testing.assert_allclose(curve.acc, expected)
    assert (np.diff(curve.acc) <= 0).all()
    assert curve.cls[3] == C.ABSTAIN and curve.abstain == pytest.approx(1 / 6)
    assert curve.clean_acc == pytest.approx(4 / 6)  # x₀ = 0.5 sits on the boundary: class 0


def test_noise_training_is_seeded_learns_and_really_adds_noise():
    d = load_digits()
    x = (d.data / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target
    noisy = C.train_noisy(C.NoiseConfig(arch="mlp", sigma=0.25, epochs=4), x[:1200], y[:1200])
    again = C.train_noisy(C.NoiseConfig(arch="mlp", sigma=0.25, epochs=4), x[:1200], y[:1200])
    plain = C.train_noisy(C.NoiseConfig(arch="mlp", sigma=0.0, epochs=4), x[:1200], y[:1200])
    xt = torch.tensor(x[1200:])
    assert torch.equal(again(xt), noisy(xt)) and not torch.equal(plain(xt), noisy(xt))
    assert float((noisy(xt).argmax(1).numpy() == y[1200:]).mean()) > 0.75
    assert not noisy.training


def test_base_classifier_is_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv(C.CACHE_ENV, str(tmp_path))
    cfg = C.NoiseConfig(arch="mlp", sigma=0.25, epochs=1)
    model, card = C.base_classifier(cfg)
    assert card["clean_test_acc"] > 0.7 and any(tmp_path.rglob("*.safetensors"))
    assert C.base_classifier(cfg)[0] is model
    C._LOADED.clear()

    def no_training(*a, **k):
        raise AssertionError("should load from disk")

    monkeypatch.setattr(C, "train_noisy", no_training)
    again, card2 = C.base_classifier(cfg)
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(again(x), model(x)) and card2 == card


# -- IBP ---------------------------------------------------------------------------------------------------
def _random_mlp(seed, widths=(2, 12, 12, 3)):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).double()


def _layer_outputs(model, pts):
    outs, h = [], torch.tensor(pts)
    with torch.no_grad():
        for m in model:
            h = m(h)
            outs.append(h.numpy())
    return outs


@pytest.mark.parametrize("seed,eps", [(0, 0.05), (1, 0.5), (2, 2.0)])
def test_ibp_bounds_contain_every_sampled_output_of_every_layer(seed, eps):
    model = _random_mlp(seed)
    x = np.array([0.3, -1.2])
    rng = np.random.default_rng(seed)
    pts = np.vstack([x + rng.uniform(-eps, eps, (20000, 2)),
                     x + eps * np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])])
    bounds = C.interval_bounds(model, x - eps, x + eps)
    for (lo, hi), out in zip(bounds, _layer_outputs(model, pts)):
        assert (out >= lo - 1e-12).all() and (out <= hi + 1e-12).all()
    cls, low = C.margin_bounds(model, x, eps)
    z = _layer_outputs(model, pts)[-1]
    others = np.arange(3) != cls
    assert ((z[:, [cls]] - z)[:, others] >= low[others] - 1e-12).all()
    # folding the last layer into the margins is at least as tight as subtracting logit intervals
    lo, hi = bounds[-1]
    naive = lo[cls] - hi
    assert (low[np.arange(3) != cls] >= naive[np.arange(3) != cls] - 1e-12).all()


def test_ibp_is_exact_for_one_linear_layer():
    lin = nn.Linear(2, 3).double()
    model = nn.Sequential(lin)
    lo, hi = C.interval_bounds(model, np.array([-1.0, 0.5]), np.array([0.0, 2.0]))[0]
    corners = np.array([[-1, 0.5], [-1, 2], [0, 0.5], [0, 2]], dtype=np.float64)
    with torch.no_grad():
        z = lin(torch.tensor(corners)).numpy()
    np.testing.assert_allclose(lo, z.min(0), atol=1e-12)
    np.testing.assert_allclose(hi, z.max(0), atol=1e-12)


def _boundary_at_one():
    """z₁ − z₀ = x₀ − 1 through a ReLU layer: class 0 at the origin, the boundary at x₀ = 1, so the
    true L∞ radius at the origin is exactly 1."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[-0.5, 0.5], [0.5, -0.5]]))
        model[2].bias.copy_(torch.tensor([0.5, -0.5]))
    return model


def test_radii_of_a_network_with_a_known_boundary():
    model = _boundary_at_one()
    x = np.zeros(2)
    assert C.certified_eps(model, x, hi=3.0, tol=1e-6) == pytest.approx(1.0, abs=1e-5)
    assert C.ibp_certifies(model, x, 0.99) and not C.ibp_certifies(model, x, 1.01)
    assert C.grid_flip_eps(model, x, hi=3.0, n=601) == pytest.approx(1.0, abs=0.011)
    eps, point = C.pgd_flip_eps(model, x, hi=3.0, rtol=0.005)
    assert 1.0 <= eps <= 1.01
    assert np.abs(point - x).max() <= eps + 1e-5
    with torch.no_grad():
        assert int(model(torch.tensor(point[None])).argmax(1)) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ring_by_ring_grid_search_equals_the_whole_grid(seed):
    model = _random_mlp(seed)
    x = np.array([0.2, -0.4])
    hi, n = 3.0, 121
    s = np.linspace(-hi, hi, n)
    gx, gy = np.meshgrid(x[0] + s, x[1] + s)
    pts = np.c_[gx.ravel(), gy.ravel()]
    with torch.no_grad():
        pred = model(torch.tensor(pts)).argmax(1).numpy()
        cls = int(model(torch.tensor(x[None])).argmax(1))
    other = pred != cls
    brute = np.abs(pts[other] - x).max(1).min() if other.any() else math.inf
    assert C.grid_flip_eps(model, x, hi=hi, n=n) == pytest.approx(brute, abs=1e-9)


@pytest.mark.parametrize("dataset", ["circle", "spiral", "blobs"])
def test_trained_mlp_radii_are_ordered_ibp_true_pgd(dataset):
    net = C.train_mlp2d(C.MlpConfig(dataset=dataset, steps=300))
    assert net.train_acc > 0.9
    step = 2 * 4.0 / 400
    for x in net.xy[:3]:
        s = C.box_study(net.model, x, eps=0.1)
        assert s.ibp_eps <= s.grid_eps + step and s.ibp_eps <= s.pgd_eps + 1e-9
        assert s.pgd_eps >= s.grid_eps - step - 1e-9
        if abs(s.ibp_eps - 0.1) > 1e-3:
            assert s.certified == (s.ibp_eps > 0.1)
        assert (s.sampled >= s.margins - 1e-9).all()
        assert C.ibp_certifies(net.model, x, s.ibp_eps * 0.999)


def test_mlp2d_is_deterministic_and_reads_raw_coordinates():
    a = C.train_mlp2d(C.MlpConfig(dataset="xor", steps=100))
    b = C.train_mlp2d(C.MlpConfig(dataset="xor", steps=100))
    pts = torch.tensor(a.xy[:50])
    assert torch.equal(a.model(pts), b.model(pts))
    assert set(np.unique(a.labels)) == {0, 1} and np.abs(a.xy).max() <= 6.5
    xs, ys, p = C.decision_map(a.model, n=21)
    assert p.shape == (21, 21, 2) and np.allclose(p.sum(2), 1) and xs[0] == -6 and xs[-1] == 6


@pytest.mark.parametrize("kw,field", [({"sigma": 0.0}, "sigma"), ({"n": 5}, "n"), ({"alpha": 0.9}, "alpha"),
                                      ({"n0": 0}, "n0")])
def test_smooth_config_rejects_bad_values(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        C.SmoothConfig(**kw)


def test_mlp_config_and_inputs_are_checked():
    with pytest.raises(ValueError, match="^dataset:"):
        C.MlpConfig(dataset="reg-plane")
    with pytest.raises(ValueError, match="^model:"):
        C.interval_bounds(nn.Sequential(nn.Tanh()), np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="^eps:"):
        C.box_study(_boundary_at_one(), np.zeros(2), eps=math.inf)
