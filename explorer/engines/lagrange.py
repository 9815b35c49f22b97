"""Lagrange multipliers: the extrema of f(x, y) on a constraint curve g(x, y) = c.

Pure NumPy, with SciPy for the 1-D search and the root finder.

* :data:`OBJECTIVES`, :data:`CONSTRAINTS` — f and g with analytic gradients; a constraint
  also parametrizes its curve.
* :func:`lagrange` finds every constrained local extremum (dense sampling of the curve, a
  1-D search, then SciPy's root finder on the Lagrange system ∇f = λ∇g, g = c) and reports
  λ with ∇f = λ∇g, the angle between the gradients, a probe point's slope along the curve,
  and λ = df*/dc checked by finite differences (:func:`optimal_values` at c ± dc).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from explorer.engines.calculus import const_like
from explorer.engines.contract import check


@dataclass(frozen=True)
class Objective:
    label: str
    latex: str
    f: Callable      # f(x, y) vectorized
    grad: Callable   # (x, y) → (fx, fy)


@dataclass(frozen=True)
class Constraint:
    """g(x, y) = c. point(t, c) → (x, y) parametrizes the curve: t ∈ [0, 2π) for a closed
    curve (``closed``), t ∈ [−T, T] along a line (the curve is unbounded)."""

    label: str
    latex: str
    g: Callable
    grad: Callable
    point: Callable
    closed: bool


OBJECTIVES = {
    "linear": Objective("x + 2y", r"f(x,y) = x + 2y", lambda x, y: x + 2 * y,
                        lambda x, y: (const_like(x, 1.0), const_like(x, 2.0))),
    "distance": Objective("(x − 1)² + (y − 2)²  (squared distance to (1, 2))", r"f(x,y) = (x-1)^2 + (y-2)^2",
                          lambda x, y: (x - 1) ** 2 + (y - 2) ** 2, lambda x, y: (2 * (x - 1), 2 * (y - 2))),
    "product": Objective("x · y", r"f(x,y) = xy", lambda x, y: x * y, lambda x, y: (y, x)),
    "quadratic": Objective("x² + 3y²  (a quadratic form)", r"f(x,y) = x^2 + 3y^2", lambda x, y: x ** 2 + 3 * y ** 2,
                           lambda x, y: (2 * x, 6 * y)),
}
LINE_REACH = 6.0  # the line is searched for t in [−LINE_REACH, LINE_REACH]
CONSTRAINTS = {
    "circle": Constraint("circle  x² + y² = c", r"g(x,y) = x^2 + y^2 = c", lambda x, y: x ** 2 + y ** 2,
                         lambda x, y: (2 * x, 2 * y),
                         lambda t, c: (math.sqrt(c) * np.cos(t), math.sqrt(c) * np.sin(t)), True),
    "ellipse": Constraint("ellipse  x²/4 + y² = c", r"g(x,y) = \tfrac{x^2}{4} + y^2 = c",
                          lambda x, y: x ** 2 / 4 + y ** 2, lambda x, y: (x / 2, 2 * y),
                          lambda t, c: (2 * math.sqrt(c) * np.cos(t), math.sqrt(c) * np.sin(t)), True),
    "line": Constraint("line  x + y = c", r"g(x,y) = x + y = c", lambda x, y: x + y,
                       lambda x, y: (const_like(x, 1.0), const_like(x, 1.0)),
                       lambda t, c: (c / 2 + t / math.sqrt(2), c / 2 - t / math.sqrt(2)), False),
}


@dataclass(frozen=True)
class LagrangeConfig:
    """Extremize ``objective`` on ``constraint`` = ``level``; ``probe`` ∈ [0, 1] is a point
    along the curve (a fraction of the loop, or of the searched stretch of the line)."""

    objective: str = "linear"
    constraint: str = "circle"
    level: float = 1.0
    probe: float = 0.3

    def __post_init__(self):
        check(self.objective in OBJECTIVES, "objective", f"one of {', '.join(OBJECTIVES)}")
        check(self.constraint in CONSTRAINTS, "constraint", f"one of {', '.join(CONSTRAINTS)}")
        check(isinstance(self.level, (int, float)) and 0.05 <= self.level <= 10, "level", "in [0.05, 10]")
        check(isinstance(self.probe, (int, float)) and 0.0 <= self.probe <= 1.0, "probe", "in [0, 1]")


@dataclass(frozen=True)
class Extremum:
    """A constrained local extremum. kind: 'min' | 'max'; best: the global one of its kind;
    lam: λ with ∇f = λ∇g (least squares); residual: ‖∇f − λ∇g‖; angle: degrees between ∇f
    and ∇g (0 or 180 at an extremum; nan when ∇f = 0)."""

    kind: str
    point: np.ndarray
    value: float
    grad_f: np.ndarray
    grad_g: np.ndarray
    lam: float
    residual: float
    angle: float
    best: bool


@dataclass(frozen=True)
class Probe:
    """At a point on the curve: gradients, the unit tangent, the slope of f along the curve
    (∇f·τ — zero only at a constrained critical point), and the angle between ∇f and ∇g."""

    point: np.ndarray
    grad_f: np.ndarray
    grad_g: np.ndarray
    tangent: np.ndarray
    slope: float
    angle: float


@dataclass(frozen=True)
class LagrangeResult:
    """extrema: every constrained local min/max found; unbounded_below / _above: f has no
    minimum / maximum on the (line) constraint; curve: (n, 2) points to draw;
    sensitivity: {kind: (λ, df*/dc by central differences)} for the global extrema."""

    extrema: list
    unbounded_below: bool
    unbounded_above: bool
    curve: np.ndarray
    probe: Probe
    sensitivity: dict = field(default_factory=dict)


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / (na * nb)))))


def _candidates(cfg: LagrangeConfig, n: int = 2001):
    """Local extrema of f along the sampled curve: (indices of minima, of maxima, t, points,
    values)."""
    obj, con = OBJECTIVES[cfg.objective], CONSTRAINTS[cfg.constraint]
    t = np.linspace(0, 2 * np.pi, n, endpoint=False) if con.closed else np.linspace(-LINE_REACH, LINE_REACH, n)
    x, y = con.point(t, cfg.level)
    v = obj.f(x, y)
    if con.closed:
        prev, nxt = np.roll(v, 1), np.roll(v, -1)
    else:
        prev, nxt = np.r_[np.inf, v[:-1]], np.r_[v[1:], np.inf]
    mins = np.flatnonzero((v <= prev) & (v < nxt))
    if con.closed:
        maxs = np.flatnonzero((v >= prev) & (v > nxt))
    else:
        prev_m, nxt_m = np.r_[-np.inf, v[:-1]], np.r_[v[1:], -np.inf]
        maxs = np.flatnonzero((v >= prev_m) & (v > nxt_m))
    return mins, maxs, t, np.c_[x, y], v


def _refine(cfg: LagrangeConfig, t: np.ndarray, i: int, sign: float) -> np.ndarray:
    """Polish the sampled candidate t[i]: a bounded 1-D search of sign·f along the curve's
    parameter between the neighbouring samples (robust, ~1e-8 accurate), then SciPy's
    ``root`` on the Lagrange system ∇f − λ∇g = 0, g = c in (x, y, λ) from there (machine
    precision). The root is kept only if it stayed next to the 1-D answer."""
    from scipy.optimize import minimize_scalar, root

    obj, con = OBJECTIVES[cfg.objective], CONSTRAINTS[cfg.constraint]
    step = float(t[1] - t[0])
    one = minimize_scalar(lambda s: sign * float(obj.f(*con.point(np.float64(s), cfg.level))),
                          bounds=(t[i] - step, t[i] + step), method="bounded", options={"xatol": 1e-12})
    start = np.array([float(v) for v in con.point(np.float64(one.x), cfg.level)])

    def system(z):
        gf = np.array([float(v) for v in obj.grad(z[0], z[1])])
        gg = np.array([float(v) for v in con.grad(z[0], z[1])])
        return np.r_[gf - z[2] * gg, float(con.g(z[0], z[1])) - cfg.level]

    gf0 = np.array([float(v) for v in obj.grad(*start)])
    gg0 = np.array([float(v) for v in con.grad(*start)])
    z0 = np.r_[start, gf0 @ gg0 / (gg0 @ gg0)]
    sol = root(system, z0, method="hybr", options={"xtol": 1e-15})
    z = np.asarray(sol.x, float)
    ok = (np.isfinite(z).all() and np.linalg.norm(z[:2] - start) < 1e-4
          and np.linalg.norm(system(z)) <= np.linalg.norm(system(z0)))
    return z[:2] if ok else start


def _extremum(cfg: LagrangeConfig, p: np.ndarray, kind: str) -> Extremum:
    obj, con = OBJECTIVES[cfg.objective], CONSTRAINTS[cfg.constraint]
    gf = np.array([float(v) for v in obj.grad(p[0], p[1])])
    gg = np.array([float(v) for v in con.grad(p[0], p[1])])
    lam = float(gf @ gg / (gg @ gg))
    return Extremum(kind, p, float(obj.f(p[0], p[1])), gf, gg, lam, float(np.linalg.norm(gf - lam * gg)),
                    _angle(gf, gg), False)


def _extrema(cfg: LagrangeConfig) -> tuple[list, bool, bool, np.ndarray]:
    mins, maxs, t, pts, v = _candidates(cfg)
    edge = (0, len(t) - 1)
    closed = CONSTRAINTS[cfg.constraint].closed
    below = not closed and any(i in edge for i in mins)
    above = not closed and any(i in edge for i in maxs)
    found: list[Extremum] = []
    for kind, idx, sign in (("min", mins, 1.0), ("max", maxs, -1.0)):
        for i in idx:
            if not closed and i in edge:
                continue
            p = _refine(cfg, t, i, sign)
            if not any(e.kind == kind and np.linalg.norm(e.point - p) < 1e-5 for e in found):
                found.append(_extremum(cfg, p, kind))
    out = []
    for kind in ("min", "max"):
        same = [e for e in found if e.kind == kind]
        if same:
            vals = np.array([e.value for e in same])
            top = vals.min() if kind == "min" else vals.max()
            unb = below if kind == "min" else above
            for e in same:
                out.append(Extremum(**{**e.__dict__, "best": bool(not unb and abs(e.value - top) <= 1e-9 *
                                                                  max(1.0, abs(top)))}))
    return out, below, above, pts


def optimal_values(cfg: LagrangeConfig) -> dict:
    """{'min': f*, 'max': f*} of the global constrained extrema that exist."""
    ex, below, above, _ = _extrema(cfg)
    out = {}
    for kind, unb in (("min", below), ("max", above)):
        vals = [e.value for e in ex if e.kind == kind]
        if vals and not unb:
            out[kind] = min(vals) if kind == "min" else max(vals)
    return out


def lagrange(cfg: LagrangeConfig, dc: float = 1e-4) -> LagrangeResult:
    """All constrained extrema, the probe, and λ vs df*/dc for the global extrema."""
    obj, con = OBJECTIVES[cfg.objective], CONSTRAINTS[cfg.constraint]
    ex, below, above, pts = _extrema(cfg)
    t = 2 * np.pi * cfg.probe if con.closed else (2 * cfg.probe - 1) * LINE_REACH
    q = np.array([float(v) for v in con.point(np.float64(t), cfg.level)])
    gf = np.array([float(v) for v in obj.grad(q[0], q[1])])
    gg = np.array([float(v) for v in con.grad(q[0], q[1])])
    tau = np.array([-gg[1], gg[0]]) / np.linalg.norm(gg)
    probe = Probe(q, gf, gg, tau, float(gf @ tau), _angle(gf, gg))
    sens = {}
    lo = optimal_values(LagrangeConfig(cfg.objective, cfg.constraint, cfg.level - dc, cfg.probe))
    hi = optimal_values(LagrangeConfig(cfg.objective, cfg.constraint, cfg.level + dc, cfg.probe))
    for e in ex:
        if e.best and e.kind in lo and e.kind in hi and e.kind not in sens:
            sens[e.kind] = (e.lam, (hi[e.kind] - lo[e.kind]) / (2 * dc))
    return LagrangeResult(ex, below, above, pts, probe, sens)
