"""Calculus of functions of two variables you can move: gradients, Hessians and Jacobians.

Pure NumPy. Every derivative here is written out by hand (closed forms, the chain rule):
the tests check them against ``torch.autograd``.

* :data:`SURFACES` — f(x, y) with analytic ∇f and Hessian; :func:`point_analysis` (value,
  gradient, Hessian eigen-directions, min / max / saddle), :func:`critical_points` (Newton
  on ∇f = 0 from a grid of starts), :func:`slices` (f along the Hessian's eigenvectors vs
  the quadratic Taylor model), :func:`gradient_field`.
* :data:`MAPS` — maps F: ℝ² → ℝ² with analytic Jacobians; :func:`jacobian_view` compares
  the image of a small grid around p with its linear approximation F(p) + J (q − p).

Backpropagation on typed expressions lives in :mod:`explorer.engines.expr_graph`, Lagrange
multipliers in :mod:`explorer.engines.lagrange`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.engines.contract import check

POINT_LIMIT = 5.0     # |x|, |y| of a chosen point
GRAD_TOL = 1e-6       # ‖∇f‖ below this: a critical point
EIG_TOL = 1e-6        # |λ| below this (relative to the Hessian's scale): degenerate


# ============================================================================ surfaces
@dataclass(frozen=True)
class Surface:
    """f(x, y) with its gradient and Hessian, all vectorized over NumPy arrays.

    f(x, y, xp) also takes torch tensors (xp=torch) for the autograd tests. grad → (fx, fy);
    hess → (fxx, fxy, fyy). box: (x0, x1, y0, y1), the region worth looking at. log_colour:
    the values span decades (colour by log)."""

    label: str
    latex: str
    f: Callable
    grad: Callable
    hess: Callable
    box: tuple
    log_colour: bool = False


def const_like(x, v):
    """The constant v broadcast like x (NumPy)."""
    return np.zeros_like(np.asarray(x, float)) + v


def _him_terms(x, y):
    return x ** 2 + y - 11, x + y ** 2 - 7


SURFACES = {
    "bowl": Surface("Bowl  x² + 2y²", r"f(x,y) = x^2 + 2y^2",
                    lambda x, y, xp=np: x ** 2 + 2 * y ** 2,
                    lambda x, y: (2 * x, 4 * y),
                    lambda x, y: (const_like(x, 2.0), const_like(x, 0.0), const_like(x, 4.0)),
                    (-2.0, 2.0, -2.0, 2.0)),
    "saddle": Surface("Saddle  x² − y²", r"f(x,y) = x^2 - y^2",
                      lambda x, y, xp=np: x ** 2 - y ** 2,
                      lambda x, y: (2 * x, -2 * y),
                      lambda x, y: (const_like(x, 2.0), const_like(x, 0.0), const_like(x, -2.0)),
                      (-2.0, 2.0, -2.0, 2.0)),
    "monkey": Surface("Monkey saddle  x³ − 3xy²", r"f(x,y) = x^3 - 3xy^2",
                      lambda x, y, xp=np: x ** 3 - 3 * x * y ** 2,
                      lambda x, y: (3 * x ** 2 - 3 * y ** 2, -6 * x * y),
                      lambda x, y: (6 * x, -6 * y, -6 * x), (-1.5, 1.5, -1.5, 1.5)),
    "sincos": Surface("sin x · cos y", r"f(x,y) = \sin x\,\cos y",
                      lambda x, y, xp=np: xp.sin(x) * xp.cos(y),
                      lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)),
                      lambda x, y: (-np.sin(x) * np.cos(y), -np.cos(x) * np.sin(y), -np.sin(x) * np.cos(y)),
                      (-3.2, 3.2, -3.2, 3.2)),
    "rosenbrock": Surface("Rosenbrock  (1−x)² + 100(y−x²)²", r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
                          lambda x, y, xp=np: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
                          lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
                          lambda x, y: (2 - 400 * (y - x ** 2) + 800 * x ** 2, -400 * x, const_like(x, 200.0)),
                          (-2.0, 2.0, -1.0, 3.0), True),
    "himmelblau": Surface("Himmelblau  (x²+y−11)² + (x+y²−7)²",
                          r"f(x,y) = (x^2+y-11)^2 + (x+y^2-7)^2",
                          lambda x, y, xp=np: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
                          lambda x, y: (4 * x * _him_terms(x, y)[0] + 2 * _him_terms(x, y)[1],
                                        2 * _him_terms(x, y)[0] + 4 * y * _him_terms(x, y)[1]),
                          lambda x, y: (4 * _him_terms(x, y)[0] + 8 * x ** 2 + 2, 4 * x + 4 * y,
                                        4 * _him_terms(x, y)[1] + 8 * y ** 2 + 2),
                          (-5.0, 5.0, -5.0, 5.0), True),
}


def hessian_matrix(s: Surface, x: float, y: float) -> np.ndarray:
    """(2, 2) Hessian at one point."""
    fxx, fxy, fyy = (float(v) for v in s.hess(np.float64(x), np.float64(y)))
    return np.array([[fxx, fxy], [fxy, fyy]])


def classify(grad: np.ndarray, eig: np.ndarray) -> str:
    """'minimum' | 'maximum' | 'saddle' | 'degenerate' at a critical point (‖∇f‖ < GRAD_TOL);
    elsewhere the shape of the bending: 'bowl' | 'cap' | 'saddle-shaped' | 'flat-ish'.
    eig: the Hessian's eigenvalues, ascending."""
    scale = max(1.0, float(np.abs(eig).max()))
    small = np.abs(eig) <= EIG_TOL * scale
    critical = float(np.linalg.norm(grad)) <= GRAD_TOL * max(1.0, scale)
    if critical:
        if eig[0] > 0 and not small.any():
            return "minimum"
        if eig[1] < 0 and not small.any():
            return "maximum"
        if eig[0] < 0 < eig[1] and not small.any():
            return "saddle"
        return "degenerate"
    if small.any():
        return "flat-ish"
    return "bowl" if eig[0] > 0 else "cap" if eig[1] < 0 else "saddle-shaped"


@dataclass(frozen=True)
class PointConfig:
    """A surface and a point on it; ``snap`` moves the point to the critical point that
    Newton's method reaches from it (if it converges inside the view)."""

    surface: str = "himmelblau"
    x: float = -0.5
    y: float = -1.5
    snap: bool = False

    def __post_init__(self):
        check(self.surface in SURFACES, "surface", f"one of {', '.join(SURFACES)}")
        for n in ("x", "y"):
            v = getattr(self, n)
            check(isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= POINT_LIMIT, n,
                  f"a finite number in [−{POINT_LIMIT:g}, {POINT_LIMIT:g}]")
        check(isinstance(self.snap, bool), "snap", "True or False")


@dataclass(frozen=True)
class PointInfo:
    """At p = (x, y): value, grad (2,), hessian (2, 2), eig (2,) ascending with eigvecs
    (2, 2) columns, kind (see :func:`classify`); chosen: the point the user set; snapped:
    whether p came from Newton (False also when Newton failed: ``snap_failed``)."""

    point: np.ndarray
    chosen: np.ndarray
    value: float
    grad: np.ndarray
    hessian: np.ndarray
    eig: np.ndarray
    eigvecs: np.ndarray
    kind: str
    snapped: bool
    snap_failed: bool


def view_box(s: Surface, *points) -> tuple:
    """The surface's box grown to contain the given points with a margin."""
    x0, x1, y0, y1 = s.box
    for p in points:
        x0, x1 = min(x0, p[0] - 0.3), max(x1, p[0] + 0.3)
        y0, y1 = min(y0, p[1] - 0.3), max(y1, p[1] + 0.3)
    return (x0, x1, y0, y1)


def newton(s: Surface, starts: np.ndarray, iters: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on ∇f = 0 from many starts at once. starts: (n, 2). Returns the end
    points (n, 2) and whether each converged (‖∇f‖ ≤ GRAD_TOL) (n,). Steps are capped in
    length (a damped Newton) so a near-singular Hessian cannot throw a point far away."""
    p = np.array(starts, float)
    for _ in range(iters):
        gx, gy = s.grad(p[:, 0], p[:, 1])
        g = np.stack([gx, gy], axis=1)
        fxx, fxy, fyy = s.hess(p[:, 0], p[:, 1])
        h = np.stack([np.stack([fxx, fxy], -1), np.stack([fxy, fyy], -1)], -2)
        step = np.einsum("nij,nj->ni", np.linalg.pinv(h, rcond=1e-12), g)
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        step = np.where(norm > 1.0, step / np.maximum(norm, 1e-300), step)
        p = p - step
        if np.all(np.linalg.norm(g, axis=1) < 1e-14):
            break
    gx, gy = s.grad(p[:, 0], p[:, 1])
    ok = np.isfinite(p).all(axis=1) & (np.hypot(gx, gy) <= GRAD_TOL)
    return p, ok


@dataclass(frozen=True)
class Critical:
    point: np.ndarray
    value: float
    eig: np.ndarray
    kind: str


def critical_points(key: str, n: int = 13) -> list[Critical]:
    """The critical points of a surface inside its box: Newton from an n × n grid of starts,
    duplicates merged. Sorted by kind, then x."""
    s = SURFACES[key]
    x0, x1, y0, y1 = s.box
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    ends, ok = newton(s, np.c_[gx.ravel(), gy.ravel()])
    found: list[np.ndarray] = []
    tol = 1e-4 * max(x1 - x0, y1 - y0)
    for p in ends[ok]:
        inside = x0 - 1e-9 <= p[0] <= x1 + 1e-9 and y0 - 1e-9 <= p[1] <= y1 + 1e-9
        if inside and not any(np.linalg.norm(p - q) < tol for q in found):
            found.append(p)
    out = []
    for p in found:
        p = np.where(np.abs(p) < 1e-9, 0.0, p)
        h = hessian_matrix(s, *p)
        eig = np.linalg.eigvalsh(h)
        g = np.array([float(v) for v in s.grad(p[0], p[1])])
        out.append(Critical(p, float(s.f(p[0], p[1])), eig, classify(g, eig)))
    order = {"minimum": 0, "maximum": 1, "saddle": 2, "degenerate": 3}
    return sorted(out, key=lambda c: (order.get(c.kind, 4), round(c.point[0], 6), round(c.point[1], 6)))


def point_analysis(cfg: PointConfig) -> PointInfo:
    """Everything the page says about the chosen point."""
    s = SURFACES[cfg.surface]
    chosen = np.array([cfg.x, cfg.y], float)
    p, snapped, failed = chosen, False, False
    if cfg.snap:
        end, ok = newton(s, chosen[None, :])
        x0, x1, y0, y1 = view_box(s, chosen)
        if ok[0] and x0 <= end[0, 0] <= x1 and y0 <= end[0, 1] <= y1:
            p, snapped = np.where(np.abs(end[0]) < 1e-9, 0.0, end[0]), True
        else:
            failed = True
    g = np.array([float(v) for v in s.grad(p[0], p[1])])
    h = hessian_matrix(s, *p)
    eig, vecs = np.linalg.eigh(h)
    return PointInfo(p, chosen, float(s.f(p[0], p[1])), g, h, eig, vecs, classify(g, eig), snapped, failed)


def grid_values(key: str, box: tuple, n: int = 121) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,), f on the grid (n, n) with rows along y."""
    s = SURFACES[key]
    xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, s.f(gx, gy)


def gradient_field(key: str, box: tuple, m: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Arrow bases (m², 2) on an m × m grid inside the box and ∇f there (m², 2)."""
    s = SURFACES[key]
    dx, dy = (box[1] - box[0]) / (2 * m), (box[3] - box[2]) / (2 * m)
    gx, gy = np.meshgrid(np.linspace(box[0] + dx, box[1] - dx, m), np.linspace(box[2] + dy, box[3] - dy, m))
    pts = np.c_[gx.ravel(), gy.ravel()]
    fx, fy = s.grad(pts[:, 0], pts[:, 1])
    return pts, np.c_[fx, fy]


def slices(key: str, info: PointInfo, radius: float, n: int = 81) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f along each Hessian eigenvector through p, and the quadratic Taylor model there.
    Returns s (n,) in [−radius, radius], f (2, n), model (2, n) where
    model_i(s) = f(p) + s ∇f·e_i + ½ λ_i s²."""
    f = SURFACES[key].f
    s = np.linspace(-radius, radius, n)
    vals, model = [], []
    for i in range(2):
        e = info.eigvecs[:, i]
        pts = info.point[None, :] + s[:, None] * e[None, :]
        vals.append(f(pts[:, 0], pts[:, 1]))
        model.append(info.value + s * float(info.grad @ e) + 0.5 * info.eig[i] * s ** 2)
    return s, np.array(vals), np.array(model)


# ============================================================================ maps ℝ² → ℝ²
@dataclass(frozen=True)
class Map2D:
    """F(u, v) → (x, y) (vectorized; xp=torch for the tests) and its Jacobian
    J(u, v) = [[∂x/∂u, ∂x/∂v], [∂y/∂u, ∂y/∂v]] at one point (2, 2)."""

    label: str
    latex: str
    fn: Callable
    jac: Callable


SWIRL = 2.0                      # the swirl turns points near the origin by up to 2 rad
ROT_SCALE = (1.5, math.pi / 6)   # the linear map: scale 1.5, rotate 30°


def _swirl(u, v, xp=np):
    th = SWIRL * xp.exp(-(u ** 2 + v ** 2))
    return u * xp.cos(th) - v * xp.sin(th), u * xp.sin(th) + v * xp.cos(th)


def _swirl_jac(u, v):
    th = SWIRL * math.exp(-(u * u + v * v))
    tu, tv = -2 * u * th, -2 * v * th       # ∂θ/∂u, ∂θ/∂v
    x, y = _swirl(u, v)
    c, s = math.cos(th), math.sin(th)
    return np.array([[c - y * tu, -s - y * tv], [s + x * tu, c + x * tv]])


def _rot_scale(u, v, xp=np):
    k, a = ROT_SCALE
    return k * (math.cos(a) * u - math.sin(a) * v), k * (math.sin(a) * u + math.cos(a) * v)


MAPS = {
    "polar": Map2D("Polar → Cartesian  (r, θ) ↦ (r cos θ, r sin θ)",
                   r"F(r,\theta) = (r\cos\theta,\ r\sin\theta)",
                   lambda u, v, xp=np: (u * xp.cos(v), u * xp.sin(v)),
                   lambda u, v: np.array([[math.cos(v), -u * math.sin(v)], [math.sin(v), u * math.cos(v)]])),
    "swirl": Map2D("Swirl  (turn by 2·e^(−r²))",
                   r"F(u,v) = R\big(2e^{-(u^2+v^2)}\big)\begin{pmatrix}u\\ v\end{pmatrix}", _swirl, _swirl_jac),
    "square": Map2D("Complex square  z ↦ z²", r"F(u,v) = (u^2 - v^2,\ 2uv)",
                    lambda u, v, xp=np: (u ** 2 - v ** 2, 2 * u * v),
                    lambda u, v: np.array([[2 * u, -2 * v], [2 * v, 2 * u]])),
    "linear": Map2D("Rotation-scaling (linear)  1.5·R(30°)",
                    r"F(u,v) = 1.5\,R(30^\circ)\begin{pmatrix}u\\ v\end{pmatrix}", _rot_scale,
                    lambda u, v: ROT_SCALE[0] * np.array([[math.cos(ROT_SCALE[1]), -math.sin(ROT_SCALE[1])],
                                                          [math.sin(ROT_SCALE[1]), math.cos(ROT_SCALE[1])]])),
    "gradient": Map2D("The gradient field ∇f of the surface above", r"F(x,y) = \nabla f(x,y)", None, None),
}


def resolve_map(key: str, surface: str) -> Map2D:
    """The map; 'gradient' becomes ∇f of the surface, whose Jacobian is f's Hessian."""
    m = MAPS[key]
    if key != "gradient":
        return m
    s = SURFACES[surface]
    return Map2D(m.label, m.latex, lambda u, v, xp=np: s.grad(u, v), lambda u, v: hessian_matrix(s, u, v))


@dataclass(frozen=True)
class JacobianConfig:
    """The map, the point (u, v), the half-width h of the grid drawn around it, and the
    surface (used by the 'gradient' map)."""

    map: str = "polar"
    u: float = -0.5
    v: float = -1.5
    h: float = 0.5
    surface: str = "himmelblau"
    lines: int = 7

    def __post_init__(self):
        check(self.map in MAPS, "map", f"one of {', '.join(MAPS)}")
        check(self.surface in SURFACES, "surface", f"one of {', '.join(SURFACES)}")
        for n in ("u", "v"):
            val = getattr(self, n)
            check(isinstance(val, (int, float)) and math.isfinite(val) and abs(val) <= POINT_LIMIT, n,
                  f"a finite number in [−{POINT_LIMIT:g}, {POINT_LIMIT:g}]")
        check(isinstance(self.h, (int, float)) and 0.001 <= self.h <= 3.0, "h", "in [0.001, 3]")
        check(isinstance(self.lines, int) and 2 <= self.lines <= 21, "lines", "an integer in 2…21")


@dataclass(frozen=True)
class JacobianView:
    """domain: the grid lines around p ((k, 2), NaN-separated); image: F of them; linear:
    F(p) + J (q − p) of them; fp: F(p) (2,); jac (2, 2); det; gap: the largest distance
    between image and linear over the grid (shrinks like h²)."""

    point: np.ndarray
    domain: np.ndarray
    image: np.ndarray
    linear: np.ndarray
    fp: np.ndarray
    jac: np.ndarray
    det: float
    gap: float


def square_grid(center: np.ndarray, h: float, lines: int, per_line: int = 33) -> np.ndarray:
    """``lines`` horizontal and ``lines`` vertical lines over [c − h, c + h]², ``per_line``
    points each, NaN rows between lines: ((2·lines·(per_line+1)), 2)."""
    s = np.linspace(-h, h, per_line)
    rows = []
    for k in np.linspace(-h, h, lines):
        rows += [np.c_[np.full(per_line, k), s], [[np.nan, np.nan]], np.c_[s, np.full(per_line, k)],
                 [[np.nan, np.nan]]]
    return np.vstack(rows) + np.asarray(center, float)


def jacobian_view(cfg: JacobianConfig) -> JacobianView:
    m = resolve_map(cfg.map, cfg.surface)
    p = np.array([cfg.u, cfg.v], float)
    dom = square_grid(p, cfg.h, cfg.lines)
    with np.errstate(all="ignore"):
        img = np.stack(m.fn(dom[:, 0], dom[:, 1]), axis=1)
    fp = np.array([float(v) for v in m.fn(np.float64(p[0]), np.float64(p[1]))])
    jac = np.asarray(m.jac(float(p[0]), float(p[1])), float)
    lin = fp + (dom - p) @ jac.T
    gap = float(np.nanmax(np.linalg.norm(img - lin, axis=1)))
    return JacobianView(p, dom, img, lin, fp, jac, float(np.linalg.det(jac)), gap)

