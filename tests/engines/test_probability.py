"""Probability engine: closed forms against scipy.stats, samples against their
distribution, the LLN and CLT, MLE against closed forms, and the conjugate Bayesian update
against a brute-force grid posterior."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from explorer.engines import probability as pr

CASES = [("normal", 0.5, 1.7), ("normal", -3.0, 0.2), ("uniform", -1.0, 2.5), ("exponential", 0.4, 1.0),
         ("exponential", 3.0, 1.0), ("gamma", 0.5, 2.0), ("gamma", 4.2, 0.7), ("beta", 0.5, 0.5),
         ("beta", 2.0, 5.0), ("beta", 8.0, 1.3), ("student_t", 0.5, 1.0), ("student_t", 3.0, 1.0),
         ("student_t", 25.0, 1.0), ("bernoulli", 0.3, 1.0), ("binomial", 12.0, 0.35), ("binomial", 1.0, 0.9),
         ("poisson", 0.4, 1.0), ("poisson", 14.0, 1.0)]


def reference(dist, a, b):
    return {"normal": stats.norm(a, b), "uniform": stats.uniform(a, b - a), "exponential": stats.expon(scale=1 / a),
            "gamma": stats.gamma(a, scale=b), "beta": stats.beta(a, b), "student_t": stats.t(a),
            "bernoulli": stats.bernoulli(a), "binomial": stats.binom(int(a), b), "poisson": stats.poisson(a)}[dist]


@pytest.mark.parametrize("dist,a,b", CASES)
def test_density_matches_scipy(dist, a, b):
    ref = reference(dist, a, b)
    if pr.FAMILIES[dist].discrete:
        k = np.arange(0, 40, dtype=float)
        np.testing.assert_allclose(pr.density(dist, a, b, k), ref.pmf(k), rtol=1e-10, atol=1e-300)
        assert pr.density(dist, a, b, np.array([0.5, -1.0])).tolist() == [0.0, 0.0]  # not in the support
    else:
        lo, hi = ref.ppf(1e-4), ref.ppf(1 - 1e-4)
        x = np.linspace(lo - 1, hi + 1, 333)
        x = x[(x != 0) | (dist not in ("gamma", "exponential", "beta"))]
        np.testing.assert_allclose(pr.density(dist, a, b, x), ref.pdf(x), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("dist,a,b", CASES)
def test_moments_match_scipy(dist, a, b):
    mean, var, skew = pr.moments(dist, a, b)
    m, v, s = (float(t) for t in reference(dist, a, b).stats(moments="mvs"))
    for mine, ref in ((mean, m), (var, v), (skew, s)):
        if math.isfinite(ref):
            assert mine == pytest.approx(ref, rel=1e-9, abs=1e-12)
        else:  # scipy says inf or nan: the engine must not invent a finite number
            assert not math.isfinite(mine)


@pytest.mark.parametrize("dist,a,b", CASES)
def test_samples_follow_their_distribution(dist, a, b):
    cfg = pr.DistConfig(dist, a, b, n=4000, seed=3)
    x = pr.samples(cfg)
    ref = reference(dist, a, b)
    if pr.FAMILIES[dist].discrete:
        k = np.arange(0, int(x.max()) + 1)
        freq = np.bincount(x.astype(int)) / len(x)
        assert np.max(np.abs(freq - ref.pmf(k))) < 4 * math.sqrt(0.25 / len(x))
    else:
        assert stats.kstest(x, ref.cdf).pvalue > 1e-3
    np.testing.assert_array_equal(x, pr.samples(cfg))  # same seed, same draws
    assert not np.array_equal(x, pr.samples(pr.DistConfig(dist, a, b, n=4000, seed=4)))


@pytest.mark.parametrize("dist,a,b", [c for c in CASES if c[0] != "student_t"])
def test_histogram_is_a_density_with_the_right_mass(dist, a, b):
    view = pr.describe(pr.DistConfig(dist, a, b, n=3000, seed=1))
    if view.discrete:
        assert view.hist.sum() + view.outside == pytest.approx(1.0)
        np.testing.assert_allclose(view.f, reference(dist, a, b).pmf(view.x), rtol=1e-9)
    else:
        assert float(np.sum(view.hist * np.diff(view.edges))) + view.outside == pytest.approx(1.0)
        assert view.outside < 0.02
    assert view.sample[0] == pytest.approx(float(np.mean(view.samples)))
    assert view.sample[1] == pytest.approx(float(np.var(view.samples, ddof=1)))


def test_display_range_of_a_pdf_holds_most_of_its_mass():
    for dist, a, b in CASES:
        if pr.FAMILIES[dist].discrete:
            continue
        lo, hi = pr.display_range(dist, a, b)
        mass = reference(dist, a, b).cdf(hi) - reference(dist, a, b).cdf(lo)
        assert mass > (0.85 if dist == "student_t" else 0.99), dist  # t(0.5) keeps 14 % beyond ±20
        if dist == "student_t":
            assert hi - lo <= 40  # a Cauchy-like tail does not squash the body into one bin


def test_fix_params_clamps_rounds_and_orders():
    assert pr.fix_params("exponential", 99.0, 1.0)[:2] == (5.0, 1.0)
    a, b, notes = pr.fix_params("binomial", 7.6, 0.3)
    assert (a, b) == (8.0, 0.3) and notes
    a, b, notes = pr.fix_params("uniform", 2.0, 1.0)
    assert b > a and any("b > a" in n for n in notes)
    a, b, notes = pr.fix_params("uniform", 5.0, 10.0)
    assert (a, b, notes) == (5.0, 10.0, [])
    a, b, _ = pr.fix_params("uniform", 10.0, -5.0)  # a clamped to 5, then b > a within b's range
    assert -5 <= a < b <= 10
    for dist in pr.DISTS:  # whatever comes in, what comes out is a valid config
        for a, b in ((-1e9, -1e9), (1e9, 1e9), (0.0, 0.0)):
            fa, fb, _ = pr.fix_params(dist, a, b)
            pr.DistConfig(dist, fa, fb if len(pr.FAMILIES[dist].shapes) > 1 else 1.0)


@pytest.mark.parametrize("kwargs,field", [({"dist": "cauchy"}, "dist"), ({"a": -1.0}, "a"), ({"n": 0}, "n"),
                                          ({"seed": -1}, "seed"), ({"dist": "uniform", "a": 1.0, "b": 0.5}, "b"),
                                          ({"dist": "binomial", "a": 2.5, "b": 0.5}, "a")])
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        pr.DistConfig(**kwargs)


def test_running_mean_is_the_mean_of_each_prefix_and_converges():
    cfg = pr.DistConfig("gamma", 2.0, 1.5, n=10000, seed=2)
    lln = pr.running_mean(cfg)
    x = pr.samples(cfg)
    for i, m in zip(lln.i[::37], lln.mean[::37]):
        assert m == pytest.approx(x[:i].mean())
    assert lln.i[0] == 1 and lln.i[-1] == cfg.n and np.all(np.diff(lln.i) > 0)
    assert lln.mu == 3.0 and lln.sd == pytest.approx(math.sqrt(4.5))
    assert abs(lln.mean[-1] - lln.mu) < 4 * lln.sd / math.sqrt(cfg.n)
    cauchy = pr.running_mean(pr.DistConfig("student_t", 1.0, 1.0, n=100))
    assert math.isnan(cauchy.mu) and math.isnan(cauchy.sd)  # no mean, so no spread around it either
    heavy = pr.running_mean(pr.DistConfig("student_t", 1.5, 1.0, n=100))
    assert heavy.mu == 0.0 and math.isinf(heavy.sd)


def test_clt_standardized_means_approach_normal_for_a_skewed_source():
    res = pr.clt(pr.CLTConfig("exponential", 1.0, 1.0, seed=0))
    assert res.standardized and res.sizes == pr.CLT_SIZES
    assert res.ks[0] > 0.1 and res.ks[-1] < 1.36 / math.sqrt(pr.CLT_REPS)  # n = 1 is far, n = 1000 passes
    assert res.ks[-1] < res.ks[0] / 5
    np.testing.assert_allclose(res.skew_theory, 2 / np.sqrt(res.sizes))
    # the sampled skewness of the means follows γ/√n (standard error of skewness ≈ √(6/reps))
    assert np.all(np.abs(res.skew - res.skew_theory) < 4 * math.sqrt(6 / pr.CLT_REPS) + 0.25 * res.skew_theory)
    j = res.sizes.index(30)
    assert abs(res.z[j].mean()) < 0.1 and abs(res.z[j].std() - 1) < 0.06
    for e, h, z in zip(res.edges, res.hist, res.z):  # each histogram is a density of the z's it holds
        inside = np.mean((z >= e[0]) & (z <= e[-1]))
        assert float(np.sum(h * np.diff(e))) == pytest.approx(inside)


def test_clt_bins_for_lattice_sources_hold_whole_lattice_points():
    res = pr.clt(pr.CLTConfig("bernoulli", 0.3, 1.0, sizes=(1, 4, 10, 100), seed=1))
    mu, sd = 0.3, math.sqrt(0.21)
    for n, e, z in zip(res.sizes, res.edges, res.z):
        lattice = (np.arange(0, n + 1) / n - mu) * math.sqrt(n) / sd
        counts, _ = np.histogram(lattice, e)
        assert set(counts[(e[:-1] >= lattice.min() - 1e-9) & (e[1:] <= lattice.max() + 1e-9)]) <= {
            int(counts.max())}  # every inner bin holds the same number of lattice points
        assert np.min(np.abs(z[:, None] - e[None, :])) > 1e-9  # no value sits on an edge
    assert res.ks[-1] < res.ks[0]


def test_clt_with_infinite_variance_is_not_standardized():
    res = pr.clt(pr.CLTConfig("student_t", 1.5, 1.0, sizes=(1, 10), reps=500))
    assert not res.standardized and np.isnan(res.ks).all()


def test_gaussian_mle_numeric_matches_closed_form_and_scipy():
    cfg = pr.MLEConfig(n=50, mu=-1.0, sigma=0.7, seed=5)
    g = pr.gauss_mle(cfg)
    assert g.mle == pytest.approx((g.x.mean(), g.x.std(ddof=0)))
    assert g.numeric == pytest.approx(g.mle, abs=1e-6)
    assert g.path.shape[1] == 2 and len(g.path) >= 3
    assert np.all(g.path[:, 1] > 0)
    assert not np.allclose(g.path[0], g.mle, atol=0.05)  # the path starts away from the peak
    assert g.loglik_max == pytest.approx(stats.norm(*g.mle).logpdf(g.x).sum())
    mu, s = 0.3, 1.1
    assert float(pr.gauss_loglik(g.x, mu, s)) == pytest.approx(stats.norm(mu, s).logpdf(g.x).sum())
    # the surface peaks at the grid point next to the MLE, and no grid point beats ℓ(μ̂, σ̂)
    i, j = np.unravel_index(np.argmax(g.surface), g.surface.shape)
    assert abs(g.mu_grid[j] - g.mle[0]) <= np.diff(g.mu_grid)[0] and abs(g.sigma_grid[i] - g.mle[1]) <= np.diff(
        g.sigma_grid)[0]
    assert g.surface.max() <= g.loglik_max + 1e-9


def test_likelihood_peak_narrows_with_more_data():
    small, big = (pr.gauss_mle(pr.MLEConfig(n=n, seed=0)) for n in (10, 1000))
    within = lambda g: np.mean(g.surface - g.loglik_max > -2)  # noqa: E731
    assert within(big) < within(small) / 5


def test_bernoulli_mle_and_likelihood_interval():
    cfg = pr.MLEConfig(n=200, p=0.3, seed=2)
    b = pr.bernoulli_mle(cfg)
    assert b.k == int(b.x.sum()) and set(np.unique(b.x)) <= {0.0, 1.0}
    assert b.mle == b.k / cfg.n and b.numeric == pytest.approx(b.mle, abs=1e-6)
    np.testing.assert_allclose(b.loglik, [stats.bernoulli(p).logpmf(b.x).sum() for p in b.p_grid], rtol=1e-10)
    lo, hi = b.lr_interval
    assert lo < b.mle < hi
    drop = lambda p: float(pr.bern_loglik(b.k, cfg.n, b.mle) - pr.bern_loglik(b.k, cfg.n, p))  # noqa: E731
    step = b.p_grid[1] - b.p_grid[0]
    assert drop(lo) <= 1.9207 < drop(lo - step) and drop(hi) <= 1.9207 < drop(hi + step)
    # Wald check: the interval is about p̂ ± 1.96·√(p̂(1−p̂)/n)
    assert hi - lo == pytest.approx(2 * 1.96 * math.sqrt(b.mle * (1 - b.mle) / cfg.n), rel=0.05)


def grid_posterior(prior_a, prior_b, data, t):
    """prior × likelihood on θ = sin²(πt/2), normalized numerically — no conjugacy used. The
    substitution (dθ/dt = π√(θ(1−θ))) tames a prior's θ^(−½) edges. Returns θ, the density
    in θ and the density in t (what the trapezoid rule integrates over t)."""
    k, n = int(np.sum(data)), len(data)
    theta = np.sin(np.pi * t / 2) ** 2
    jac = np.pi * np.sqrt(theta * (1 - theta))
    with np.errstate(divide="ignore", invalid="ignore"):
        un = np.exp(stats.beta(prior_a, prior_b).logpdf(theta) + k * np.log(theta) + (n - k) * np.log1p(-theta))
    in_t = np.nan_to_num(un * jac)
    z = integrate.trapezoid(in_t, t)
    return theta, un / z, in_t / z


@pytest.mark.parametrize("prior_a,prior_b,p,seen", [(2.0, 2.0, 0.7, 20), (1.0, 1.0, 0.5, 200), (0.5, 0.5, 0.1, 7),
                                                    (40.0, 10.0, 0.5, 60), (3.0, 1.0, 0.9, 0)])
def test_conjugate_update_matches_a_grid_posterior(prior_a, prior_b, p, seen):
    cfg = pr.BayesConfig(prior_a=prior_a, prior_b=prior_b, p=p, seen=seen, level=0.9, seed=4)
    bay = pr.beta_bernoulli(cfg)
    t = np.linspace(0, 1, 200_001)
    theta, post, in_t = grid_posterior(prior_a, prior_b, bay.data, t)
    k = int(bay.data.sum())
    assert (bay.a[-1], bay.b[-1]) == (prior_a + k, prior_b + seen - k)
    inner = slice(2000, -2000, 1000)
    curves = pr.update_curves(bay, seen, theta[inner])
    np.testing.assert_allclose(curves["posterior"], post[inner], rtol=1e-4, atol=1e-9)
    assert bay.mean[-1] == pytest.approx(integrate.trapezoid(theta * in_t, t), rel=1e-4)
    cdf = integrate.cumulative_trapezoid(in_t, t, initial=0)
    assert bay.lo[-1] == pytest.approx(np.interp(0.05, cdf, theta), abs=1e-5)
    assert bay.hi[-1] == pytest.approx(np.interp(0.95, cdf, theta), abs=1e-5)
    # the likelihood scaled to area 1 is the Beta(k+1, n−k+1) density
    _, lik, _ = grid_posterior(1.0, 1.0, bay.data, t)
    np.testing.assert_allclose(curves["likelihood"], lik[inner], rtol=1e-4, atol=1e-9)


def test_posterior_path_and_stream():
    cfg = pr.BayesConfig(seen=150, p=0.25, seed=9)
    bay = pr.beta_bernoulli(cfg)
    assert len(bay.mean) == 151 and bay.heads[0] == 0 and np.all(np.diff(bay.heads) >= 0)
    assert np.all(bay.lo <= bay.mean) and np.all(bay.mean <= bay.hi)
    assert bay.hi[-1] - bay.lo[-1] < (bay.hi[0] - bay.lo[0]) / 3  # the interval narrows as data arrive
    assert bay.lo[-1] < 0.25 + 0.1 and bay.hi[-1] > 0.25 - 0.1
    early = pr.beta_bernoulli(pr.BayesConfig(seen=20, p=0.25, seed=9))
    np.testing.assert_array_equal(early.data, bay.data[:20])  # more tosses extend the same stream
    np.testing.assert_allclose(early.mean, bay.mean[:21])


def test_hpd_is_the_shortest_interval_with_the_level():
    for a, b in ((5.0, 9.0), (30.0, 2.0), (1.0, 4.0), (2.0, 2.0)):
        lo, hi = pr.hpd(a, b, 0.9)
        d = stats.beta(a, b)
        assert d.cdf(hi) - d.cdf(lo) == pytest.approx(0.9, abs=1e-6)
        elo, ehi = pr.credible(a, b, 0.9)
        assert hi - lo <= ehi - elo + 1e-9
        if lo > 1e-9 and hi < 1 - 1e-9:  # an interior HPD has equal density at both ends
            assert d.pdf(lo) == pytest.approx(d.pdf(hi), rel=1e-3)
        if a == b:
            assert (lo, hi) == pytest.approx((elo, ehi), abs=1e-6)
    assert pr.hpd(1.0, 4.0, 0.9)[0] == pytest.approx(0.0, abs=1e-9)  # decreasing density: starts at 0
    assert pr.hpd(0.5, 0.5, 0.9) is None


@pytest.mark.parametrize("kwargs,field", [({"prior_a": 0.0}, "prior_a"), ({"seen": 201}, "seen"),
                                          ({"level": 1.0}, "level"), ({"p": 1.5}, "p")])
def test_bayes_config_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        pr.BayesConfig(**kwargs)
