"""The calculus engine (surfaces, Hessians, maps and Jacobians) against torch.autograd,
finite differences and closed forms."""
import math

import numpy as np
import pytest
import torch
from torch.func import hessian, jacrev

from explorer.engines import calculus as cal

F64 = torch.float64
RNG = np.random.default_rng(7)


def _points(key, n=6):
    x0, x1, y0, y1 = cal.SURFACES[key].box
    return np.c_[RNG.uniform(x0, x1, n), RNG.uniform(y0, y1, n)]


# --------------------------------------------------------------------------- surfaces
@pytest.mark.parametrize("key", list(cal.SURFACES))
def test_gradient_and_hessian_match_torch(key):
    s = cal.SURFACES[key]

    def f(p):
        return s.f(p[0], p[1], xp=torch)

    for x, y in _points(key):
        p = torch.tensor([x, y], dtype=F64)
        g_ref = torch.autograd.grad(f(p.requires_grad_()), p)[0].numpy()
        h_ref = hessian(f)(torch.tensor([x, y], dtype=F64)).numpy()
        g = np.array([float(v) for v in s.grad(x, y)])
        scale = max(1.0, np.abs(h_ref).max())
        assert np.allclose(g, g_ref, rtol=1e-12, atol=1e-10 * scale)
        assert np.allclose(cal.hessian_matrix(s, x, y), h_ref, rtol=1e-12, atol=1e-10 * scale)
        assert float(s.f(x, y)) == pytest.approx(float(f(torch.tensor([x, y], dtype=F64))), rel=1e-14, abs=1e-14)


def test_vectorized_gradient_field_matches_pointwise():
    box = cal.SURFACES["himmelblau"].box
    base, vecs = cal.gradient_field("himmelblau", box, m=5)
    assert base.shape == (25, 2) and vecs.shape == (25, 2)
    for p, g in zip(base, vecs):
        assert np.allclose(g, cal.SURFACES["himmelblau"].grad(p[0], p[1]))


HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


def test_himmelblau_has_four_minima_one_maximum_four_saddles():
    crit = cal.critical_points("himmelblau")
    kinds = [c.kind for c in crit]
    assert kinds.count("minimum") == 4 and kinds.count("maximum") == 1 and kinds.count("saddle") == 4
    mins = [c.point for c in crit if c.kind == "minimum"]
    for m in HIMMELBLAU_MINIMA:
        assert min(np.linalg.norm(np.array(m) - p) for p in mins) < 1e-5
    for c in crit:
        assert np.linalg.norm(cal.SURFACES["himmelblau"].grad(*c.point)) < 1e-8
        if c.kind == "minimum":
            assert c.value == pytest.approx(0.0, abs=1e-12)
    mx = next(c for c in crit if c.kind == "maximum")
    assert np.allclose(mx.point, [-0.270845, -0.923039], atol=1e-6)


@pytest.mark.parametrize("key,expect", [("bowl", {"minimum": 1}), ("saddle", {"saddle": 1}),
                                        ("monkey", {"degenerate": 1}), ("rosenbrock", {"minimum": 1}),
                                        ("sincos", {"minimum": 3, "maximum": 3, "saddle": 6})])
def test_critical_points_of_the_other_surfaces(key, expect):
    crit = cal.critical_points(key)
    got = {}
    for c in crit:
        got[c.kind] = got.get(c.kind, 0) + 1
    assert got == expect
    if key == "rosenbrock":
        assert np.allclose(crit[0].point, [1.0, 1.0], atol=1e-9)
        assert np.allclose(crit[0].eig, np.linalg.eigvalsh([[802, -400], [-400, 200]]))
    if key in ("bowl", "saddle", "monkey"):
        assert np.allclose(crit[0].point, [0.0, 0.0], atol=1e-6)


def test_classify_rules():
    g0, g1 = np.zeros(2), np.array([1.0, 0.0])
    assert cal.classify(g0, np.array([1.0, 2.0])) == "minimum"
    assert cal.classify(g0, np.array([-2.0, -1.0])) == "maximum"
    assert cal.classify(g0, np.array([-2.0, 1.0])) == "saddle"
    assert cal.classify(g0, np.array([0.0, 1.0])) == "degenerate"
    assert cal.classify(g1, np.array([1.0, 2.0])) == "bowl"
    assert cal.classify(g1, np.array([-2.0, -1.0])) == "cap"
    assert cal.classify(g1, np.array([-2.0, 1.0])) == "saddle-shaped"
    assert cal.classify(g1, np.array([0.0, 1.0])) == "flat-ish"


def test_snap_moves_the_point_to_the_critical_point_newton_reaches():
    info = cal.point_analysis(cal.PointConfig("himmelblau", 0.0, -2.0, snap=True))
    assert info.snapped and info.kind == "saddle"
    assert np.allclose(info.chosen, [0.0, -2.0]) and np.linalg.norm(info.grad) < 1e-8
    assert info.eig[0] < 0 < info.eig[1]
    plain = cal.point_analysis(cal.PointConfig("himmelblau", 0.0, -2.0))
    assert not plain.snapped and plain.kind in ("bowl", "cap", "saddle-shaped", "flat-ish")
    assert np.allclose(plain.point, [0.0, -2.0])


def test_hessian_eigenvectors_diagonalize_it():
    info = cal.point_analysis(cal.PointConfig("rosenbrock", -1.0, 1.0))
    v, lam = info.eigvecs, info.eig
    assert np.allclose(v.T @ info.hessian @ v, np.diag(lam), atol=1e-9)
    assert lam[0] <= lam[1]


@pytest.mark.parametrize("key", ["himmelblau", "sincos", "monkey"])
def test_the_quadratic_model_agrees_to_third_order(key):
    info = cal.point_analysis(cal.PointConfig(key, 0.7, -0.4))
    errs = []
    for r in (0.1, 0.05):
        s, f, model = cal.slices(key, info, r, n=41)
        errs.append(np.abs(f - model).max())
        assert np.allclose(f[:, 20], info.value)  # s = 0 is p itself
    assert errs[1] / errs[0] == pytest.approx(1 / 8, rel=0.15)  # error ∝ r³


def test_view_box_grows_to_contain_the_point():
    s = cal.SURFACES["bowl"]
    assert cal.view_box(s) == s.box
    x0, x1, y0, y1 = cal.view_box(s, np.array([4.5, -4.0]))
    assert x1 >= 4.8 and y0 <= -4.3 and x0 == s.box[0]


@pytest.mark.parametrize("bad,field", [({"surface": "nope"}, "surface"), ({"x": 5.5}, "x"),
                                       ({"y": float("nan")}, "y"), ({"snap": "yes"}, "snap")])
def test_point_config_validation(bad, field):
    with pytest.raises(ValueError, match=field):
        cal.PointConfig(**bad)


# --------------------------------------------------------------------------- maps and Jacobians
@pytest.mark.parametrize("key", [k for k in cal.MAPS if k != "gradient"])
def test_jacobians_match_torch(key):
    m = cal.MAPS[key]

    def F(p):
        return torch.stack(m.fn(p[0], p[1], xp=torch))

    for u, v in RNG.uniform(-2, 2, (6, 2)):
        ref = jacrev(F)(torch.tensor([u, v], dtype=F64)).numpy()
        assert np.allclose(m.jac(u, v), ref, rtol=1e-12, atol=1e-12)


def test_the_gradient_maps_jacobian_is_the_hessian():
    m = cal.resolve_map("gradient", "himmelblau")
    s = cal.SURFACES["himmelblau"]
    for u, v in RNG.uniform(-4, 4, (4, 2)):
        assert np.allclose(m.jac(u, v), cal.hessian_matrix(s, u, v))
        h = 1e-6
        fd = np.column_stack([(np.array(m.fn(u + h, v)) - np.array(m.fn(u - h, v))) / (2 * h),
                              (np.array(m.fn(u, v + h)) - np.array(m.fn(u, v - h))) / (2 * h)])
        assert np.allclose(m.jac(u, v), fd, rtol=1e-6, atol=1e-5)


def test_polar_determinant_is_r():
    for r, th in ((1.0, 0.3), (2.5, -1.2), (-0.5, 2.0)):
        jv = cal.jacobian_view(cal.JacobianConfig(map="polar", u=r, v=th, h=0.1))
        assert jv.det == pytest.approx(r)
        assert np.allclose(jv.fp, [r * math.cos(th), r * math.sin(th)])


@pytest.mark.parametrize("key", ["polar", "swirl", "square", "gradient"])
def test_linearization_gap_shrinks_like_h_squared(key):
    g = [cal.jacobian_view(cal.JacobianConfig(map=key, u=0.9, v=0.6, h=h)).gap for h in (0.02, 0.01)]
    assert g[1] / g[0] == pytest.approx(0.25, rel=0.05)


def test_a_linear_map_is_its_own_linearization():
    jv = cal.jacobian_view(cal.JacobianConfig(map="linear", u=1.0, v=-2.0, h=1.5))
    assert jv.gap < 1e-12 and jv.det == pytest.approx(1.5 ** 2)
    assert jv.domain.shape == jv.image.shape == jv.linear.shape

