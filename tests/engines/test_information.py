"""Information engine: parsing typed distributions, entropy/KL against scipy, forward KL's
optimum = moment matching, reverse KL's mode seeking, and mutual-information estimates
against the Gaussian closed form."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from explorer.engines import information as it


@pytest.mark.parametrize("text,probs,normalized", [("0.5, 0.25, 0.25", [0.5, 0.25, 0.25], False),
                                                   ("1 2 1", [0.25, 0.5, 0.25], True), ("0.5;0.5", [0.5, 0.5], False),
                                                   (" 3,1 , 0 ", [0.75, 0.25, 0.0], True),
                                                   ("1e-3, 1e-3", [0.5, 0.5], True)])
def test_parse_weights_accepts_and_normalizes(text, probs, normalized):
    out = it.parse_weights(text)
    assert out.error is None
    np.testing.assert_allclose(out.probs, probs)
    assert out.probs.sum() == pytest.approx(1.0)
    assert (out.note is not None) == normalized


@pytest.mark.parametrize("text,needle", [("a, b", "not a number"), ("-1, 2", "negative"), ("0, 0", "positive"),
                                         ("1", "at least two"), ("", "at least two"), ("inf, 1", "finite"),
                                         (",".join(["1"] * 13), "at most 12"), ("nan, 1", "finite"),
                                         ("1e308, 1e308", "overflows")])
def test_parse_weights_rejects_with_a_reason(text, needle):
    out = it.parse_weights(text)
    assert out.probs is None and needle in out.error


def test_note_says_what_the_weights_summed_to():
    assert "sum to 4" in it.parse_weights("1, 2, 1").note


def random_dists(k, m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(k), size=m)


def test_entropy_kl_cross_entropy_match_scipy_and_each_other():
    ps, qs = random_dists(6, 20, 1), random_dists(6, 20, 2)
    for p, q in zip(ps, qs):
        assert it.entropy(p) == pytest.approx(stats.entropy(p))
        assert it.kl(p, q) == pytest.approx(stats.entropy(p, q))
        assert it.kl(p, q) > 0 and it.kl(p, p) == pytest.approx(0.0, abs=1e-15)
        assert it.cross_entropy(p, q) == pytest.approx(it.entropy(p) + it.kl(p, q))
        assert np.sum(it.kl_terms(p, q)) == pytest.approx(it.kl(p, q))
        assert it.entropy(p) <= math.log(6) + 1e-12
    assert it.entropy(np.full(5, 0.2)) == pytest.approx(math.log(5))
    assert it.entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    assert it.in_unit(math.log(8), "bits") == pytest.approx(3.0)
    assert it.in_unit(1.0, "nats") == 1.0 and math.isinf(it.in_unit(math.inf, "bits"))


def test_kl_is_asymmetric():
    p, q = np.array([0.5, 0.25, 0.125, 0.125]), np.array([0.1, 0.2, 0.3, 0.4])
    assert it.kl(p, q) / math.log(2) == pytest.approx(0.8738, abs=1e-4)
    assert it.kl(q, p) / math.log(2) == pytest.approx(0.7536, abs=1e-4)


def test_kl_is_infinite_where_q_misses_an_outcome_of_p():
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4, 0.0])
    assert math.isinf(it.kl(p, q)) and math.isinf(it.cross_entropy(p, q)) and it.missing(p, q) == [2]
    assert math.isinf(stats.entropy(p, q))  # scipy agrees
    assert math.isfinite(it.kl(q, p)) and it.missing(q, p) == []
    terms = it.kl_terms(p, q)
    assert math.isinf(terms[2]) and np.isfinite(terms[:2]).all()
    # an outcome p never produces costs nothing, whatever q says
    assert it.kl_terms(np.array([1.0, 0.0]), np.array([0.5, 0.5]))[1] == 0.0


def test_pad_gives_missing_outcomes_zero_probability():
    p, q = it.pad(np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]))
    assert p.tolist() == [0.5, 0.5, 0.0] and len(q) == 3


# ---------------------------------------------------------------- the mixture

MIX = it.MixConfig(sep=4.0, weight=0.5, sd=0.6, start=1.0)


def test_mixture_density_moments_and_score():
    cfg = it.MixConfig(sep=3.0, weight=0.3, sd=0.8)
    x = it.grid(cfg)
    px = np.exp(it.log_mix(cfg, x))
    ref = 0.3 * stats.norm(-1.5, 0.8).pdf(x) + 0.7 * stats.norm(1.5, 0.8).pdf(x)
    np.testing.assert_allclose(px, ref, rtol=1e-10, atol=1e-300)
    assert integrate.trapezoid(px, x) == pytest.approx(1.0, abs=1e-9)
    mean, sd = it.mix_moments(cfg)
    assert mean == pytest.approx(integrate.trapezoid(x * px, x), abs=1e-9)
    assert sd ** 2 == pytest.approx(integrate.trapezoid((x - mean) ** 2 * px, x), abs=1e-8)
    h = 1e-5
    fd = (it.log_mix(cfg, x + h) - it.log_mix(cfg, x - h)) / (2 * h)
    np.testing.assert_allclose(it.dlog_mix(cfg, x), fd, rtol=1e-6, atol=1e-6)


def test_kl_objectives_against_monte_carlo():
    rng = np.random.default_rng(0)
    mu, s = 0.7, 1.3
    xq = rng.normal(mu, s, 400_000)
    mc_rev = np.mean(stats.norm(mu, s).logpdf(xq) - it.log_mix(MIX, xq))
    assert float(it.reverse_kl(MIX, mu, s)) == pytest.approx(mc_rev, abs=0.01)
    comp = rng.random(400_000) < MIX.weight
    xp = np.where(comp, rng.normal(-2, 0.6, 400_000), rng.normal(2, 0.6, 400_000))
    mc_fwd = np.mean(it.log_mix(MIX, xp) - stats.norm(mu, s).logpdf(xp))
    assert float(it.forward_kl(MIX, mu, s)) == pytest.approx(mc_fwd, abs=0.01)


def test_reverse_objective_gradient_matches_finite_differences():
    for theta in ((0.3, 0.1), (-1.7, -0.4), (2.5, 0.6)):
        theta = np.array(theta)
        _, g = it._reverse_obj(MIX, theta)
        h = 1e-6
        fd = [(it._reverse_obj(MIX, theta + h * e)[0] - it._reverse_obj(MIX, theta - h * e)[0]) / (2 * h)
              for e in np.eye(2)]
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)
        assert it._reverse_obj(MIX, theta)[0] == pytest.approx(float(it.reverse_kl(MIX, theta[0], math.exp(theta[1]))))


@pytest.mark.parametrize("cfg", [MIX, it.MixConfig(sep=6.0, weight=0.2, sd=0.5, start=-3.0),
                                 it.MixConfig(sep=1.0, weight=0.7, sd=1.0, start=2.0)])
def test_forward_fit_is_moment_matching(cfg):
    f = it.fit_forward(cfg)
    mean, sd = it.mix_moments(cfg)
    assert (f.mu, f.sigma) == pytest.approx((mean, sd), abs=1e-4)
    assert f.value == pytest.approx(float(it.forward_kl(cfg, mean, sd)), abs=1e-9)
    assert f.value > 0 if cfg.sep > 0 else True


def test_reverse_fit_seeks_the_mode_nearest_its_start():
    right, left = it.fit_reverse(MIX, 1.0), it.fit_reverse(MIX, -1.5)
    assert right.mu == pytest.approx(2.0, abs=0.01) and right.sigma == pytest.approx(0.6, abs=0.01)
    assert left.mu == pytest.approx(-2.0, abs=0.01) and left.sigma == pytest.approx(0.6, abs=0.01)
    # on one of two well-separated modes, q ≈ that component, so KL(q‖p) ≈ −log(its weight)
    lop = it.MixConfig(sep=8.0, weight=0.2, sd=0.5)
    assert it.fit_reverse(lop, -3.0).value == pytest.approx(-math.log(0.2), abs=1e-3)
    assert it.fit_reverse(lop, 3.0).value == pytest.approx(-math.log(0.8), abs=1e-3)
    # the forward fit is worse by the reverse measure, and vice versa
    fwd = it.fit_forward(MIX)
    assert float(it.reverse_kl(MIX, fwd.mu, fwd.sigma)) > right.value
    assert float(it.forward_kl(MIX, right.mu, right.sigma)) > fwd.value
    assert right.path[0].tolist() == [1.0, it.SIGMA0] and len(right.path) > 2


def test_reverse_fit_of_a_single_gaussian_recovers_it():
    one = it.MixConfig(sep=0.0, weight=0.5, sd=0.8, start=2.0)
    f = it.fit_reverse(one)
    assert (f.mu, f.sigma) == pytest.approx((0.0, 0.8), abs=1e-4) and f.value == pytest.approx(0.0, abs=1e-7)


def test_kl_fits_landscapes_and_basins():
    f = it.kl_fits(MIX, grid_n=31, basin_n=21)
    assert f.fwd_surface.shape == (31, 31) == f.rev_surface.shape
    assert f.fwd_surface.min() >= -1e-9 and f.rev_surface.min() >= -1e-9  # KL ≥ 0
    M, S = np.meshgrid(f.mu_grid, f.sigma_grid)
    np.testing.assert_allclose(f.rev_surface, it.reverse_kl(MIX, M, S), atol=2e-3)  # FFT path = direct sum
    np.testing.assert_allclose(f.fwd_surface, it.forward_kl(MIX, M, S))
    assert f.fwd_surface.min() >= f.forward.value - 1e-9 and f.entropy == pytest.approx(
        -integrate.trapezoid(f.px * np.log(f.px + 1e-300), f.x), abs=1e-3)
    left, right = f.ends[0], f.ends[-1]
    assert left == pytest.approx(-2.0, abs=0.02) and right == pytest.approx(2.0, abs=0.02)
    cuts = it.basin_boundaries(f.starts, f.ends)
    assert cuts and all(-2 < c < 2 for c in cuts) and cuts == sorted(cuts)
    # the map is symmetric for a symmetric mixture
    np.testing.assert_allclose(f.ends, -f.ends[::-1], atol=1e-3)


def test_lopsided_mixture_moves_the_basin_boundary():
    cut = lambda w: it.basin_boundaries(*(lambda f: (f.starts, f.ends))(  # noqa: E731
        it.kl_fits(it.MixConfig(weight=w), grid_n=11, basin_n=41)))
    assert cut(0.3)[0] < cut(0.5)[0]  # a lighter left mode has a smaller basin


@pytest.mark.parametrize("kwargs,field", [({"sep": -1.0}, "sep"), ({"weight": 1.0}, "weight"), ({"sd": 0.0}, "sd"),
                                          ({"start": float("nan")}, "start")])
def test_mix_config_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        it.MixConfig(**kwargs)


# ---------------------------------------------------------------- mutual information

def test_gaussian_mi_closed_form_equals_the_entropy_identity():
    for rho in (-0.9, -0.3, 0.0, 0.5, 0.99):
        cov = np.array([[1, rho], [rho, 1]])
        h = lambda c: 0.5 * math.log((2 * math.pi * math.e) ** len(c) * np.linalg.det(c))  # noqa: E731
        assert float(it.mi_gaussian(rho)) == pytest.approx(h(cov[:1, :1]) + h(cov[1:, 1:]) - h(cov), abs=1e-12)


def test_pair_has_the_asked_correlation():
    xy = it.pair(0.7, 20_000, np.random.default_rng(0))
    assert np.corrcoef(xy.T)[0, 1] == pytest.approx(0.7, abs=0.01)
    assert xy.std(0) == pytest.approx([1, 1], abs=0.02)


@pytest.mark.parametrize("rho", [0.0, 0.5, -0.8, 0.95])
def test_estimates_are_close_to_the_closed_form(rho):
    xy = it.pair(rho, 4000, np.random.default_rng(1))
    exact = float(it.mi_gaussian(rho))
    assert it.mi_ksg(xy) == pytest.approx(exact, abs=0.05)
    assert it.mi_binned(xy) == pytest.approx(exact, abs=0.12)


def test_sweep_is_deterministic_and_tracks_the_curve():
    cfg = it.MIConfig(rho=0.6, n=1000, seed=3)
    a, b = it.mi_sweep(cfg), it.mi_sweep(cfg)
    np.testing.assert_array_equal(a.ksg, b.ksg)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_allclose(a.exact, it.mi_gaussian(a.rho))
    assert np.mean(np.abs(a.ksg - a.exact)) < 0.05
    assert np.corrcoef(a.ksg, a.exact)[0, 1] > 0.98
    assert a.xy.shape == (1000, 2)
    assert not np.array_equal(it.mi_sweep(it.MIConfig(rho=0.6, n=1000, seed=4)).ksg, a.ksg)
