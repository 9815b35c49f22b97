"""The numerics engine against torch's own dtypes, numpy, scipy and closed forms."""
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from explorer.engines import numerics as nm

FMTS = list(nm.FORMATS.values())
IDS = [f.key for f in FMTS]


def dense_float32(seed: int = 0, n: int = 400_000) -> np.ndarray:
    """Random float32 bit patterns (every exponent) plus dense ranges around fp8/fp16 limits."""
    bits = np.random.default_rng(seed).integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32)
    with np.errstate(invalid="ignore"):
        x = bits.view(np.float32).astype(np.float64)
    dense = np.concatenate([np.linspace(-600, 600, 100_001), np.linspace(-2e-3, 2e-3, 100_001),
                            np.linspace(-7e4, 7e4, 100_001), np.linspace(-1e-6, 1e-6, 20_001)])
    x = np.concatenate([x, dense.astype(np.float32).astype(np.float64), [np.inf, -np.inf, 0.0, -0.0]])
    return x[~np.isnan(x)]


def midpoints(fmt: nm.Format) -> np.ndarray:
    """Every tie between neighbouring finite numbers of fmt, and the float32 numbers just
    either side of each tie (ties to even, and rounding right next to them)."""
    if fmt.bits == 32:
        codes = np.random.default_rng(1).integers(0, fmt.max_code + 1, 200_000)
    else:
        codes = np.arange(0, fmt.max_code + 1)
    v = np.sort(nm.decode(codes, fmt))
    mids = (v[:-1] + v[1:]) / 2
    mids = np.concatenate([mids, [fmt.max + nm.ulp(fmt.max, fmt)[()] / 2]])  # the overflow threshold
    f32 = mids.astype(np.float32)
    near = np.concatenate([mids, np.nextafter(f32, np.float32(np.inf)), np.nextafter(f32, np.float32(-np.inf))])
    near = near.astype(np.float64)
    return np.concatenate([near, -near])


# -- the formats -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FMTS, ids=IDS)
def test_format_constants_match_torch_finfo(fmt):
    info = torch.finfo(getattr(torch, fmt.torch_dtype))
    assert fmt.bits == info.bits
    assert fmt.max == info.max and fmt.min_normal == info.smallest_normal and fmt.eps == info.eps
    # the smallest subnormal: torch keeps it, and half of it rounds (tie to even) to 0
    assert nm.torch_cast([fmt.min_subnormal, fmt.min_subnormal / 2], fmt).tolist() == [fmt.min_subnormal, 0.0]


def test_known_values_of_the_fp8_formats():
    e4m3, e5m2 = nm.FORMATS["e4m3"], nm.FORMATS["e5m2"]
    assert (e4m3.bias, e4m3.max, e4m3.min_subnormal) == (7, 448.0, 2.0 ** -9)
    assert (e5m2.bias, e5m2.max, e5m2.min_subnormal) == (15, 57344.0, 2.0 ** -16)
    assert nm.FORMATS["fp16"].max == 65504.0 and nm.FP64.max == np.finfo(np.float64).max


@pytest.mark.parametrize("fmt", FMTS, ids=IDS)
def test_decode_of_every_bit_pattern_matches_torch(fmt):
    if fmt.bits == 32:
        codes = np.random.default_rng(2).integers(0, 2 ** 32, 300_000)
    else:
        codes = np.arange(2 ** fmt.bits)
    view = {8: torch.uint8, 16: torch.int16, 32: torch.int32}[fmt.bits]
    raw = torch.from_numpy(codes.astype({8: np.uint8, 16: np.uint16, 32: np.uint32}[fmt.bits]).view(
        {8: np.uint8, 16: np.int16, 32: np.int32}[fmt.bits])).view(view)
    theirs = raw.view(getattr(torch, fmt.torch_dtype)).to(torch.float64).numpy()
    mine = nm.decode(codes, fmt)
    np.testing.assert_array_equal(mine, theirs)  # NaN positions must agree too
    finite = np.isfinite(mine)
    np.testing.assert_array_equal(nm.encode(mine[finite], fmt), codes[finite])  # encode inverts decode


@pytest.mark.parametrize("fmt", FMTS, ids=IDS)
def test_rounding_matches_torch_bit_for_bit_on_float32_inputs(fmt):
    x = np.concatenate([dense_float32(), midpoints(fmt)])
    mine = nm.round_to(x, fmt)
    nan = np.isnan(mine)
    np.testing.assert_array_equal(np.isnan(nm.torch_cast(x, fmt)), nan)
    np.testing.assert_array_equal(nm.encode(mine[~nan], fmt), nm.torch_bits(x[~nan], fmt))


@pytest.mark.parametrize("fmt", FMTS, ids=IDS)
def test_ties_go_to_even(fmt):
    v = nm.decode(np.arange(1, min(fmt.max_code, 3000)), fmt)
    v = v[np.isfinite(v) & (v > 0)]
    mids = (v[:-1] + v[1:]) / 2
    r = nm.round_to(mids, fmt)
    assert np.all((r == v[:-1]) | (r == v[1:]))
    assert np.all(nm.encode(r, fmt) % 2 == 0)  # the last mantissa bit of the result is 0


def test_overflow_rules_are_what_torch_does():
    e4m3, e5m2, fp16 = nm.FORMATS["e4m3"], nm.FORMATS["e5m2"], nm.FORMATS["fp16"]
    big = [464.0, 465.0, 1e4, np.inf, -np.inf, -1e4]
    # torch saturates e4m3fn at ±448 (464 is the tie that rounds down to even anyway)
    assert nm.torch_cast(big, e4m3).tolist() == [448.0, 448.0, 448.0, 448.0, -448.0, -448.0]
    assert nm.round_to(big, e4m3).tolist() == [448.0, 448.0, 448.0, 448.0, -448.0, -448.0]
    # e5m2 is IEEE-like: above 57344 + 4096 (the tie, rounding to the odd side) it is inf
    vals = [57344.0, 61439.0, 61440.0, 1e6]
    assert nm.torch_cast(vals, e5m2).tolist() == [57344.0, 57344.0, np.inf, np.inf]
    assert nm.round_to(vals, e5m2).tolist() == [57344.0, 57344.0, np.inf, np.inf]
    assert nm.round_to([65519.0, 65520.0], fp16).tolist() == [65504.0, np.inf]
    # a non-saturating fn format would give NaN: OCP's other option, and older torch's behaviour
    ocp = nm.Format("x", "x", 4, 3, fn=True, saturate=False)
    assert np.isnan(nm.round_to(1e4, ocp)) and nm.round_to(448.0, ocp) == 448.0


def test_subnormals_and_gradual_underflow():
    e4m3, fp16 = nm.FORMATS["e4m3"], nm.FORMATS["fp16"]
    assert nm.round_to(3 * 2.0 ** -9, e4m3) == 3 * 2.0 ** -9  # a subnormal: 0.011 · 2^-6
    assert nm.round_to(2.0 ** -10 * 1.01, e4m3) == 2.0 ** -9
    assert nm.round_to(-(2.0 ** -10), e4m3) == 0.0 and np.signbit(nm.round_to(-(2.0 ** -10), e4m3))
    tiny = np.geomspace(1e-9, 1e-4, 999)
    np.testing.assert_array_equal(nm.round_to(tiny, fp16), tiny.astype(np.float16).astype(np.float64))


def test_float64_inputs_torch_rounds_twice_through_float32():
    rng = np.random.default_rng(3)
    for fmt in FMTS:
        mids = midpoints(fmt)[:20_000]
        y = np.concatenate([mids * (1 + rng.uniform(-1e-9, 1e-9, mids.size)), mids + np.spacing(mids) * 3])
        np.testing.assert_array_equal(nm.torch_rule(y, fmt), nm.torch_cast(y, fmt))
    # the preset's number: correct rounding goes up, torch's two roundings go to the even side, down
    x = 1 + 2.0 ** -11 + 4 * 2.0 ** -52
    fp16 = nm.FORMATS["fp16"]
    assert nm.round_to(x, fp16) == 1 + 2.0 ** -10
    assert nm.torch_cast(x, fp16) == 1.0 == nm.torch_rule(x, fp16)
    # numpy converts float64 → float16 in one rounding: it agrees with round_to, not with torch
    assert float(np.float16(x)) == nm.round_to(x, fp16)


def test_numpy_float16_and_float32_agree_with_round_to_on_float64():
    y = np.random.default_rng(4).standard_normal(300_000) * 10.0 ** np.random.default_rng(5).uniform(-9, 6, 300_000)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(nm.round_to(y, nm.FORMATS["fp16"]), y.astype(np.float16).astype(np.float64))
        np.testing.assert_array_equal(nm.round_to(y, nm.FP32), y.astype(np.float32).astype(np.float64))


@pytest.mark.parametrize("fmt", FMTS + [nm.FP64], ids=IDS + ["fp64"])
def test_exact_rational_rounding_agrees_with_the_float_path(fmt):
    rng = np.random.default_rng(6)
    y = rng.standard_normal(400) * 10.0 ** rng.uniform(-50, 40, 400)
    for v in np.concatenate([y, midpoints(fmt)[::997] if fmt.bits <= 32 else []]):
        r = nm.round_exact(Fraction(float(v)), fmt)
        assert float(r) == nm.round_to(v, fmt) or (math.isnan(float(r)) and np.isnan(nm.round_to(v, fmt)))
    if fmt.bits == 64:  # exact ties between neighbouring doubles go to the even one
        for v in y[:100]:
            lo, hi = Fraction(float(v)), Fraction(float(np.nextafter(v, np.inf)))
            even = lo if int(np.array(v).view(np.int64)) % 2 == 0 else hi
            assert nm.round_exact((lo + hi) / 2, fmt) == even


def test_exact_rounding_beats_float64_double_rounding():
    # a real just above an fp32 tie, closer to it than float64 can tell: float64 lands on the tie
    q = 1 + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 80)
    assert float(q) == 1 + 2.0 ** -24 and nm.round_to(float(q), nm.FP32) == 1.0
    assert nm.round_exact(q, nm.FP32) == 1 + Fraction(1, 2 ** 23)


def test_neighbors_and_gaps():
    e4m3 = nm.FORMATS["e4m3"]
    np.testing.assert_array_equal(nm.neighbors(1.0, e4m3, 3), [0.8125, 0.875, 0.9375, 1.0, 1.125, 1.25, 1.375])
    np.testing.assert_array_equal(nm.neighbors(0.0, e4m3, 1), [-(2.0 ** -9), 0.0, 2.0 ** -9])
    n = nm.neighbors(448.0, e4m3, 2)
    assert n[:3].tolist() == [384.0, 416.0, 448.0] and np.isnan(n[3:]).all()
    for fmt in FMTS:
        v = nm.round_to(np.random.default_rng(7).standard_normal(50), fmt)
        for x in v:
            nb = nm.neighbors(x, fmt, 2)
            assert np.all(np.diff(nb) > 0) and nb[3] - nb[2] == nm.ulp(abs(x), fmt) if x > 0 else True
            gap = nb[2] - nb[1]  # nothing lies between neighbours: each half goes to its end
            assert nm.round_to(nb[1] + 0.50001 * gap, fmt) == nb[2] and nm.round_to(nb[1] + 0.49999 * gap, fmt) == nb[1]
        assert nm.ulp(1.0, fmt) == fmt.eps and nm.ulp(0.0, fmt) == fmt.min_subnormal


def test_relative_spacing_saws_between_eps_and_half_eps():
    for fmt in FMTS:
        x, rel = nm.relative_spacing(fmt)
        assert x[0] == fmt.min_subnormal and rel[0] == 1.0 and x[-1] == fmt.max
        normal = x >= fmt.min_normal
        assert rel[normal].max() == fmt.eps and rel[normal].min() >= fmt.eps / 2
        assert np.all(np.diff(x) >= 0)


# -- a typed number ----------------------------------------------------------------------------
def test_parse_numbers_exactly_and_reject_junk():
    assert nm.parse_number("0.1").exact == Fraction(1, 10)
    assert nm.parse_number(" 1/3 ").exact == Fraction(1, 3)
    assert nm.parse_number("2^-24").exact == Fraction(1, 2 ** 24)
    assert nm.parse_number("-1_000.5e-2").exact == Fraction(-10005, 1000)
    assert nm.parse_number("-inf").special == -math.inf and math.isnan(nm.parse_number("NaN").special)
    for junk in ("abc", "1.2.3", "", "1e", "--1", "2^x", "1/0", "0^-1", "1e5000", "10^2000"):
        p = nm.parse_number(junk)
        assert p.exact is None and p.special is None and p.error, junk
    assert "Division by zero" in nm.parse_number("1/0").error
    assert nm.parse_number("1e400").value == math.inf  # parsed exactly, beyond float64


def test_store_reports_exact_values_errors_and_status():
    p = nm.parse_number("0.1")
    s = nm.store(p, nm.FP32)
    assert nm.exact_decimal(s.exact) == "0.100000001490116119384765625"
    assert s.abs_err == float(Fraction(float(np.float32(0.1))) - Fraction(1, 10))
    assert math.isclose(s.rel_err, 1.4901161193847656e-08) and s.status == "rounded"
    assert s.code == int(np.array(0.1, np.float32).view(np.uint32)) == 0x3DCCCCCD
    assert nm.store(p, nm.FP64).abs_err == float(Fraction(0.1) - Fraction(1, 10))
    e4m3, fp16 = nm.FORMATS["e4m3"], nm.FORMATS["fp16"]
    big = nm.parse_number("1000")
    assert nm.store(big, e4m3).value == 448.0 and "saturated" in nm.store(big, e4m3).status
    assert nm.store(nm.parse_number("1e5"), fp16).status == "overflow → inf"
    assert nm.store(nm.parse_number("1e-40"), fp16).status == "underflow → 0"
    assert nm.store(nm.parse_number("3e-5"), fp16).status == "rounded (subnormal)"
    assert nm.store(nm.parse_number("464"), e4m3).status == "rounded"  # a tie that rounds down, not an overflow
    assert nm.store(nm.parse_number("inf"), e4m3).torch_value == 448.0
    twice = nm.store(nm.parse_number("1.0004882812500009"), fp16)
    assert twice.value == 1 + 2 ** -10 and twice.torch_value == 1.0


def test_exact_decimal():
    assert nm.exact_decimal(Fraction(3, 4)) == "0.75"
    assert nm.exact_decimal(Fraction(-1, 1024)) == "-0.0009765625"
    assert nm.exact_decimal(Fraction(65504)) == "65504"
    assert nm.exact_decimal(Fraction(2) ** -149).startswith("1.40129846432481707092") and "…e-45" in \
        nm.exact_decimal(Fraction(2) ** -149)
    assert nm.exact_decimal(Fraction(2) ** 100) == "1.267650600228229401496703205376e+30"


# -- overflow and underflow ----------------------------------------------------------------------
def test_range_study_thresholds():
    r = nm.range_study("exp")
    i16, i4 = nm.ORDER.index("fp16"), nm.ORDER.index("e4m3")
    over16 = r.x[r.status[i16] == nm.OVERFLOW]
    assert over16.min() > math.log(65504) - 0.5 and np.all(over16 > math.log(65504))
    assert not (r.status[i4] == nm.OVERFLOW).any() and (r.status[i4] == nm.SATURATED).any()  # no inf in e4m3fn
    under16 = r.x[r.status[i16] == nm.UNDERFLOW]
    assert np.all(under16 < math.log(2.0 ** -25))  # below half the smallest subnormal
    sub = r.x[r.status[i16] == nm.SUBNORMAL]
    assert np.all((np.exp(sub) < 6.2e-5) & (np.exp(sub) > 2.9e-8))
    normal = r.status[0] == nm.NORMAL
    # fp32, normal range: error of storing x (≤ |x|·ε/2) plus of the result (≤ ε/2)
    assert np.all(r.rel_err[0][normal] <= (np.abs(r.x[normal]) + 1.01) * 2.0 ** -24 * 1.01)
    sq = nm.range_study("square")
    assert sq.x[sq.status[i16] == nm.OVERFLOW].min() > 255 and sq.x[sq.status[i16] == nm.UNDERFLOW].max() < 2.5e-4


# -- softmax -------------------------------------------------------------------------------------
def test_softmax_naive_overflows_in_fp16_and_stable_matches_torch():
    s = nm.softmax("fp16", 8.0, 0.0)
    assert np.isnan(s.naive).any() and math.isinf(s.lse_naive)
    assert np.isfinite(s.stable).all() and abs(s.stable.sum() - 1) < 2e-3
    ref = torch.softmax(torch.tensor(8.0 * nm.LOGITS).half().double(), 0).numpy()
    np.testing.assert_allclose(s.exact, ref, rtol=1e-12)
    assert np.abs(s.stable - s.exact).max() < 2 ** -10
    assert abs(s.lse_stable - s.lse_exact) < 16 * 2 ** -10
    assert s.lse_exact == pytest.approx(torch.logsumexp(torch.tensor(s.logits), 0).item(), rel=1e-14)


def test_softmax_underflow_gives_zero_over_zero():
    s = nm.softmax("fp32", 1.0, -200.0)
    assert (s.exps == 0).all() and np.isnan(s.naive).all() and s.lse_naive == -math.inf
    np.testing.assert_allclose(s.stable, s.exact, atol=1e-6)
    ok = nm.softmax("fp32", 1.0, 0.0)
    np.testing.assert_allclose(ok.naive, ok.exact, rtol=1e-5)


def test_softmax_sweep_breaks_at_the_overflow_threshold():
    scales = np.array([1.0, 5.0, 5.6, 6.0, 50.0])
    naive, stable = nm.softmax_sweep("fp16", 0.0, scales)
    # the largest logit is 2·scale; exp overflows fp16 once it is above ln(65504 + 16) ≈ 11.09
    assert np.isnan(naive).tolist() == [2 * s > math.log(65520) for s in scales]
    assert np.all(stable < 1e-3)
    n32, _ = nm.softmax_sweep("fp32", 0.0, np.array([40.0, 45.0]))
    assert np.isnan(n32).tolist() == [False, True]  # 2·45 > ln(fp32 max) ≈ 88.7


# -- cancellation -------------------------------------------------------------------------------
def test_cancellation_cos():
    c = nm.cancellation("cos")
    i = np.argmin(np.abs(c.x - 1e-4))
    assert c.naive[0, i] == 1.0  # fp32: cos(1e-4) rounds to 1, so 1 − cos x = 0
    assert c.stable[0, i] < 2 ** -23
    assert np.nanmax(c.stable[0]) < 4 * 2 ** -24  # the rewrite stays at the level of ε everywhere


def test_cancellation_variance_naive_grows_welford_stays():
    c = nm.cancellation("var")
    i = np.argmin(np.abs(c.x - 1e3))
    assert c.naive[0, i] > 0.1 and c.stable[0, i] < 1e-3 and c.naive[0, i] > 1000 * c.stable[0, i]
    # rel. error of the textbook formula grows like ε·(μ/σ)²: at least 100× per decade of μ past ~10
    j = np.argmin(np.abs(c.x - 1e2))
    assert c.naive[0, i] > 10 * c.naive[0, j]
    # Welford in float64 equals numpy's variance (oracle), on data that fp64 stores exactly
    data = np.array([[1e3 + z for z in np.random.default_rng(0).standard_normal(64)]])
    _, w = nm._variance(data, lambda a: a)
    assert w[0] == pytest.approx(np.var(data[0]), rel=1e-12)


def test_cancellation_sqrt_and_plus1():
    c = nm.cancellation("sqrt")
    i = np.argmin(np.abs(c.x - 1e8))
    assert c.naive[0, i] == 1.0 and c.stable[0, i] < 2 ** -22  # fp32: √(x+1) and √x round to the same number
    p = nm.cancellation("plus1")
    k = np.argmin(np.abs(p.x - 1e-3))
    assert p.naive[0, k] < 2 ** -24 / 1e-3 * 1.1 and np.isnan(p.stable).all()
    assert p.naive[0, 0] == 1.0  # x = 1e-10 < ε/2: 1 + x rounds to 1


# -- conditioning -----------------------------------------------------------------------------------
def test_designed_matrix_has_the_chosen_condition_number():
    for k in (1.0, 1e3, 1e8, 1e12):
        a, u, s, v = nm.designed(12, k, 3)
        np.testing.assert_allclose(u.T @ u, np.eye(12), atol=1e-12)
        np.testing.assert_allclose(v.T @ v, np.eye(12), atol=1e-12)
        assert np.linalg.cond(a) == pytest.approx(k, rel=1e-3 if k < 1e10 else 1e-2)
        np.testing.assert_allclose(np.linalg.svd(a, compute_uv=False), s, rtol=1e-6, atol=1e-15)


def test_worst_case_perturbation_meets_the_bound_and_random_stays_below():
    for logk in (0.0, 3.0, 6.0, 9.0):
        p = nm.perturbation(nm.SystemConfig(logk, 20, 1e-6, 0))
        assert p.worst == pytest.approx(p.bound, rel=1e-4)
        assert p.random <= p.bound * (1 + 1e-9) and p.random_db == pytest.approx(1e-6)
        assert p.err64 < 20 * p.kappa * 2.0 ** -52 and p.err32 < 20 * p.kappa * 2.0 ** -23


def test_solve_error_grows_with_kappa():
    sw = nm.kappa_sweep(20, 1e-6, 0)
    np.testing.assert_allclose(sw.worst, sw.kappa * 1e-6, rtol=0.1)
    assert np.all(sw.random <= sw.kappa * 1e-6 * 1.001)
    small, big = sw.kappa <= 10, (sw.kappa >= 1e5) & (sw.kappa <= 1e7)
    assert sw.err32[big].mean() > 1e3 * sw.err32[small].mean()
    assert sw.err64[sw.kappa == 1e12][0] > 1e-8 > sw.err64[0]


def test_hilbert_condition_numbers_match_the_exact_inverse():
    from scipy.linalg import hilbert, invhilbert

    h = nm.hilbert_study((3, 6, 9))
    for n, k in zip(h.n, h.kappa):
        exact = np.linalg.norm(hilbert(n), 2) * np.linalg.norm(invhilbert(n, exact=True).astype(float), 2)
        assert k == pytest.approx(exact, rel=1e-4)
    assert h.err32[-1] > 1e3 * h.err32[0] and h.err64[-1] > 1e3 * h.err64[0]


def test_plane_ring_solves_the_perturbed_systems():
    pl = nm.plane(100.0, 1e-3, 0)
    db = (pl.ring - pl.x) @ pl.a.T  # A(x + Δx) − b = AΔx
    np.testing.assert_allclose(np.linalg.norm(db, axis=1), 1e-3 * np.linalg.norm(pl.b), rtol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(pl.worst - pl.x) / np.linalg.norm(pl.x),
                               100 * 1e-3 * np.linalg.norm(pl.b) / np.linalg.norm(pl.x), rtol=1e-8)
    assert np.linalg.norm(pl.worst - pl.x) == pytest.approx(np.linalg.norm(pl.ring - pl.x, axis=1).max(), rel=1e-3)


def test_system_config_is_validated_and_deterministic():
    for kw, field in ((dict(n=1), "n"), (dict(log_kappa=-1), "log_kappa"), (dict(delta=0.5), "delta"),
                      (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=field):
            nm.SystemConfig(**kw)
    a = nm.perturbation(nm.SystemConfig(seed=5))
    assert a == nm.perturbation(nm.SystemConfig(seed=5)) and a != nm.perturbation(nm.SystemConfig(seed=6))


# -- gradient descent ----------------------------------------------------------------------------------
def test_gradient_is_autograd_of_the_quadratic():
    cfg = nm.GDConfig(kappa=50.0)
    run = nm.gd_run(nm.GDConfig(kappa=50.0, max_iter=1))
    x = torch.tensor(nm.GD_X0, dtype=torch.float64, requires_grad=True)
    a = torch.diag(torch.tensor(cfg.eigenvalues, dtype=torch.float64))
    (0.5 * x @ a @ x).backward()
    np.testing.assert_allclose(run.path[1], np.array(nm.GD_X0) - cfg.lr * x.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0, 1000.0])
@pytest.mark.parametrize("tol", [1e-3, 1e-8])
def test_optimal_step_takes_exactly_the_theoretical_iterations(kappa, tol):
    cfg = nm.GDConfig(kappa, "optimal", tol)
    run = nm.gd_run(cfg)
    assert run.converged and abs(run.iters - cfg.theory_iters) <= 1
    np.testing.assert_allclose(run.dist[1:50], cfg.rate ** np.arange(1, min(50, run.iters + 1)), rtol=1e-9)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_step_one_over_l_needs_about_kappa_log_one_over_tol(kappa):
    cfg = nm.GDConfig(kappa, "inv_l", 1e-6)
    run = nm.gd_run(cfg)
    # the steep coordinate is gone after one step; the flat one shrinks by 1 − 1/κ
    slack = math.log(math.hypot(*nm.GD_X0) / nm.GD_X0[0]) / -math.log(cfg.rate) + 1
    assert cfg.theory_iters - slack <= run.iters <= cfg.theory_iters
    assert run.iters == pytest.approx(kappa * math.log(1e6), rel=0.12)
    assert np.all(np.diff(run.loss) <= 0)


def test_iterations_grow_linearly_in_kappa_and_in_log_tol():
    k, measured, theory, rule = nm.gd_sweep("inv_l", 1e-6, (10, 100, 1000))
    assert measured[2] / measured[1] == pytest.approx(10, rel=0.05)
    _, m12, _, _ = nm.gd_sweep("inv_l", 1e-12, (100,))
    assert m12[0] / measured[1] == pytest.approx(2, rel=0.05)
    np.testing.assert_allclose(rule, np.array([10, 100, 1000]) * math.log(1e6))


def test_gd_config_is_validated_and_budget_respected():
    with pytest.raises(ValueError, match="kappa"):
        nm.GDConfig(kappa=0.5)
    with pytest.raises(ValueError, match="step"):
        nm.GDConfig(step="adam")
    with pytest.raises(ValueError, match="tol"):
        nm.GDConfig(tol=2.0)
    run = nm.gd_run(nm.GDConfig(1000.0, "inv_l", 1e-12, max_iter=100))
    assert run.iters == 100 and not run.converged and len(run.path) == 101
    xs, ys, f = nm.gd_grid(nm.GDConfig(), nm.gd_run(nm.GDConfig()))
    assert f.shape == (ys.size, xs.size) and f.min() >= 0
