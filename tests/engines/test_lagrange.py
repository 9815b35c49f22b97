"""Lagrange multipliers against closed forms: optima, λ, the angle between the gradients,
λ = df*/dc, and the probe's slope along the curve."""
import math

import numpy as np
import pytest

from explorer.engines import lagrange as lag


def _only(res, kind):
    return [e for e in res.extrema if e.kind == kind]


@pytest.mark.parametrize("c", [0.5, 1.0, 3.0])
def test_linear_objective_on_a_circle(c):
    res = lag.lagrange(lag.LagrangeConfig("linear", "circle", c))
    (mx,), (mn,) = _only(res, "max"), _only(res, "min")
    star = math.sqrt(c) * np.array([1.0, 2.0]) / math.sqrt(5)
    assert np.allclose(mx.point, star, atol=1e-7) and np.allclose(mn.point, -star, atol=1e-7)
    assert mx.value == pytest.approx(math.sqrt(5 * c), rel=1e-10)
    assert mx.lam == pytest.approx(math.sqrt(5) / (2 * math.sqrt(c)), rel=1e-7)
    assert mx.angle == pytest.approx(0.0, abs=1e-3) and mn.angle == pytest.approx(180.0, abs=1e-3)
    assert mx.residual < 1e-12 and mn.residual < 1e-12


def test_linear_objective_on_an_ellipse():
    c = 2.0
    res = lag.lagrange(lag.LagrangeConfig("linear", "ellipse", c))
    (mx,) = _only(res, "max")
    assert mx.value == pytest.approx(2 * math.sqrt(2 * c), rel=1e-10)
    assert np.allclose(mx.point, [math.sqrt(2 * c), math.sqrt(c / 2)], atol=1e-7)


@pytest.mark.parametrize("c", [1.0, 4.0, 9.0])
def test_closest_point_of_a_circle_to_1_2(c):
    res = lag.lagrange(lag.LagrangeConfig("distance", "circle", c))
    (mn,) = _only(res, "min")
    assert np.allclose(mn.point, math.sqrt(c) * np.array([1, 2]) / math.sqrt(5), atol=1e-7)
    assert mn.value == pytest.approx((math.sqrt(5) - math.sqrt(c)) ** 2, abs=1e-10)
    assert mn.lam == pytest.approx(1 - math.sqrt(5 / c), abs=1e-7)


def test_quadratic_form_on_the_circle_gives_its_eigenvalues():
    res = lag.lagrange(lag.LagrangeConfig("quadratic", "circle", 1.0))
    assert sorted(round(e.value, 9) for e in res.extrema) == [1.0, 1.0, 3.0, 3.0]
    assert sorted(round(e.lam, 6) for e in res.extrema) == [1.0, 1.0, 3.0, 3.0]
    assert all(e.best for e in res.extrema)


def test_lines_can_leave_f_unbounded():
    res = lag.lagrange(lag.LagrangeConfig("product", "line", 2.0))
    assert res.unbounded_below and not res.unbounded_above
    (mx,) = _only(res, "max")
    assert np.allclose(mx.point, [1.0, 1.0], atol=1e-7) and mx.value == pytest.approx(1.0) and mx.best
    assert mx.lam == pytest.approx(1.0)
    lin = lag.lagrange(lag.LagrangeConfig("linear", "line", 1.0))
    assert lin.unbounded_below and lin.unbounded_above and lin.extrema == [] and lin.sensitivity == {}


@pytest.mark.parametrize("obj", list(lag.OBJECTIVES))
@pytest.mark.parametrize("con", list(lag.CONSTRAINTS))
def test_every_extremum_solves_the_lagrange_system(obj, con):
    for level in (0.3, 2.35):
        res = lag.lagrange(lag.LagrangeConfig(obj, con, level))
        g = lag.CONSTRAINTS[con].g
        for e in res.extrema:
            assert e.residual < 1e-12 and float(g(*e.point)) == pytest.approx(level, abs=1e-12)
            assert min(e.angle, 180 - e.angle) < 1e-5 or math.isnan(e.angle)


@pytest.mark.parametrize("obj,con", [("linear", "circle"), ("distance", "ellipse"), ("product", "circle"),
                                     ("quadratic", "line"), ("distance", "line")])
def test_lambda_is_the_sensitivity_of_the_optimum(obj, con):
    res = lag.lagrange(lag.LagrangeConfig(obj, con, 1.5))
    assert res.sensitivity
    for lam, rate in res.sensitivity.values():
        assert rate == pytest.approx(lam, rel=1e-5, abs=1e-6)


def test_the_probe_slope_is_the_derivative_along_the_curve():
    cfg = lag.LagrangeConfig("distance", "ellipse", 1.0, probe=0.3)
    res = lag.lagrange(cfg)
    con, obj = lag.CONSTRAINTS["ellipse"], lag.OBJECTIVES["distance"]
    t, h = 2 * math.pi * 0.3, 1e-6
    f = [obj.f(*con.point(t + s, 1.0)) for s in (h, -h)]
    speed = np.linalg.norm((np.array(con.point(t + h, 1.0)) - np.array(con.point(t - h, 1.0))) / (2 * h))
    assert abs(res.probe.slope) == pytest.approx(abs((f[0] - f[1]) / (2 * h)) / speed, rel=1e-5)
    assert 1.0 < res.probe.angle < 179.0  # not an optimum: the gradients are not parallel
    assert float(con.g(*res.probe.point)) == pytest.approx(1.0)


@pytest.mark.parametrize("bad,field", [({"objective": "x"}, "objective"), ({"constraint": "x"}, "constraint"),
                                       ({"level": 0.0}, "level"), ({"probe": 1.5}, "probe")])
def test_lagrange_config_validation(bad, field):
    with pytest.raises(ValueError, match=field):
        lag.LagrangeConfig(**bad)
