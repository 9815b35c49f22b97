"""The calculus page's controls table, cached computations and the views of its three tabs."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import streamlit as st

from explorer.engines import calculus as cal
from explorer.engines import expr_graph as eg
from explorer.engines import lagrange as lag
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import calculus as vz

PAGE = "calculus"
SECTIONS = ("Gradient, Hessian, Jacobian", "Backpropagation", "Lagrange multipliers")  # the tabs' labels
PT = cal.PointConfig(surface="himmelblau", x=1.0, y=0.8)
JC = cal.JacobianConfig()
GC = eg.GraphConfig()
LC = lag.LagrangeConfig()
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
EXPR_PATTERN = r"[A-Za-z0-9_ .+\-*/()^]*"
AUTOGRAD_TOL = 1e-12
# Example graphs: (label, expression, values of its variables in order of appearance, one line)
EXAMPLES = {
    "product": ("(x·y + sin x)·z", "(x*y + sin(x))*z", (1.5, -2.0, 0.5),
                "x feeds two paths: its gradient is the sum of both."),
    "neuron": ("Neuron + log loss", "-log(sigmoid(w*x + b))", (0.8, 2.0, -1.0),
               "The loss of one sigmoid neuron on an example with label 1: ∂L/∂w = (σ − 1)·x."),
    "square": ("x·x", "x*x", (3.0, 0.0, 0.0), "One node used twice: d(x·x)/dx = x + x."),
    "tanh": ("tanh², chained", "tanh(w*x)^2 + relu(x - b)", (0.7, 1.2, 0.5),
             "A longer chain: local derivatives multiply along each path."),
}


def _val(name: str, default: float) -> Param:
    return Param(name, f"value {name[-1]}", "float", float(default), lo=-5.0, hi=5.0, step=0.1,
                 help="The value of a variable of the expression, in order of first appearance.")


SPEC = [
    Param("section", "Section", "choice", SECTIONS[0], choices=SECTIONS),
    Param("fn", "Function f(x, y)", "choice", PT.surface, choices=tuple(cal.SURFACES),
          fmt=lambda k: cal.SURFACES[k].label),
    Param("x", "Point x", "float", PT.x, lo=-cal.POINT_LIMIT, hi=cal.POINT_LIMIT, step=0.05),
    Param("y", "Point y", "float", PT.y, lo=-cal.POINT_LIMIT, hi=cal.POINT_LIMIT, step=0.05),
    Param("snap", "Snap to critical point", "bool", False,
          help="Run Newton's method on ∇f = 0 from (x, y) and put p where it converges."),
    Param("map", "Map F(u, v)", "choice", JC.map, choices=tuple(cal.MAPS), fmt=lambda k: cal.MAPS[k].label),
    Param("h", "Grid half-width h", "float", JC.h, lo=0.05, hi=2.0, step=0.05,
          help="The size of the grid around p. Shrink it: the curved image and its linear map meet (gap ~ h²)."),
    Param("expr", "Expression f", "text", GC.expression, max_len=eg.MAX_LEN, pattern=EXPR_PATTERN,
          help=f"Up to {eg.MAX_VARS} variables; + − * / ^ (number exponents) and "
               f"{', '.join(eg.FUNCS)}. Example: -log(sigmoid(w*x + b))"),
    _val("v1", GC.values[0]),
    _val("v2", GC.values[1]),
    _val("v3", GC.values[2]),
    Param("lf", "Objective f", "choice", LC.objective, choices=tuple(lag.OBJECTIVES),
          fmt=lambda k: lag.OBJECTIVES[k].label),
    Param("lg", "Constraint g = c", "choice", LC.constraint, choices=tuple(lag.CONSTRAINTS),
          fmt=lambda k: lag.CONSTRAINTS[k].label),
    Param("c", "Constraint level c", "float", LC.level, lo=0.25, hi=4.0, step=0.05,
          help="Move the constraint; λ is how fast the optimal value changes with c."),
    Param("probe", "Probe point along the curve", "float", LC.probe, lo=0.0, hi=1.0, step=0.01,
          help="A point on the constraint where ∇f and ∇g are (usually) not parallel."),
]
BY_NAME = {p.name: p for p in SPEC}
KIND_TEXT = {
    "minimum": "∇f = 0 and both eigenvalues are positive: a **local minimum**.",
    "maximum": "∇f = 0 and both eigenvalues are negative: a **local maximum**.",
    "saddle": "∇f = 0 with eigenvalues of both signs: a **saddle point** (up along one eigenvector, down along "
              "the other).",
    "degenerate": "∇f = 0 but the Hessian is singular: the **second-derivative test is inconclusive** (the cubic "
                  "terms decide — the monkey saddle goes down in three directions).",
    "bowl": "bowl-shaped here (both eigenvalues > 0)",
    "cap": "cap-shaped here (both eigenvalues < 0)",
    "saddle-shaped": "saddle-shaped here (eigenvalues of both signs)",
    "flat-ish": "flat along one eigen-direction here (an eigenvalue ≈ 0)",
}


def set_example(key: str) -> None:
    """Button callback: an example expression and its values (runs before the rerun)."""
    _, text, values, _ = EXAMPLES[key]
    st.session_state["expr"] = text
    for name, v in zip(("v1", "v2", "v3"), values):
        st.session_state[name] = float(v)


def value_widgets(names: tuple, where) -> None:
    """The three value sliders, labelled by the expression's variables (unused ones disabled)."""
    for i, col in enumerate(where):
        p = BY_NAME[f"v{i + 1}"]
        label = f"{names[i]} =" if i < len(names) else f"value {i + 1} (unused)"
        params.widget(dataclasses.replace(p, label=label), col, disabled=i >= len(names))


# --------------------------------------------------------------------------- cached computations
@st.cache_data(max_entries=16, show_spinner=False)
def critical_points(surface: str) -> list:
    return cal.critical_points(surface)


@st.cache_data(max_entries=64, show_spinner=False)
def point_view(cfg: cal.PointConfig):
    info = cal.point_analysis(cfg)
    s = cal.SURFACES[cfg.surface]
    box = cal.view_box(s, info.point, info.chosen)
    xs, ys, z = cal.grid_values(cfg.surface, box)
    base, vecs = cal.gradient_field(cfg.surface, box)
    crit = [(c.point[0], c.point[1], c.kind) for c in critical_points(cfg.surface)]
    title = f"{s.label.split('  ')[0]}: contours, ∇f and the Hessian at p"
    fig = vz.surface_figure(xs, ys, z, s.log_colour, base, vecs, info.point, info.grad, info.eigvecs, info.eig,
                            crit, box, title)
    r = 0.25 * min(box[1] - box[0], box[3] - box[2])
    sl = vz.slices_figure(*cal.slices(cfg.surface, info, r), info.eig)
    return info, fig, sl


@st.cache_data(max_entries=64, show_spinner=False)
def jacobian_view(cfg: cal.JacobianConfig):
    jv = cal.jacobian_view(cfg)
    names = ("r", "θ", "x", "y") if cfg.map == "polar" else ("x", "y", "∂f/∂x", "∂f/∂y") \
        if cfg.map == "gradient" else ("u", "v", "x", "y")
    return jv, vz.jacobian_figure(jv.domain, jv.image, jv.linear, jv.point, jv.fp, jv.jac, cfg.h, names)


@st.cache_data(max_entries=64, show_spinner=False)
def graph_view(cfg: eg.GraphConfig):
    """(study, figure) — or (error message, None) for an expression that does not parse."""
    try:
        study = eg.graph_study(cfg)
    except eg.ExpressionError as e:
        return str(e), None
    g, res = study.graph, study.result
    out = len(g.nodes) - 1
    kinds = ["var" if n.op == "var" else "const" if n.op == "const" else "out" if i == out else "op"
             for i, n in enumerate(g.nodes)]
    labels = [("f = " if i == out else "") + n.label for i, n in enumerate(g.nodes)]
    title = f"f = {cfg.expression.strip()}: forward values (black) and backward gradients ∂f/∂node (red)"
    return study, vz.graph_figure(labels, kinds, study.positions, res.values, res.grads, list(res.edges), title)


@st.cache_data(max_entries=64, show_spinner=False)
def lagrange_view(cfg: lag.LagrangeConfig):
    res = lag.lagrange(cfg)
    obj = lag.OBJECTIVES[cfg.objective]
    if cfg.constraint == "line":
        half = 3.0
    else:
        half = max(2.0, 1.3 * float(np.abs(res.curve).max()))
    box = (-half, half, -half, half)
    xs = ys = np.linspace(-half, half, 161)
    gx, gy = np.meshgrid(xs, ys)
    ex = [{"point": e.point, "kind": e.kind, "value": e.value, "grad_f": e.grad_f, "grad_g": e.grad_g,
           "best": e.best} for e in res.extrema]
    pr = {"point": res.probe.point, "grad_f": res.probe.grad_f, "grad_g": res.probe.grad_g,
          "tangent": res.probe.tangent, "slope": res.probe.slope}
    title = f"f = {obj.label.split('  ')[0]} on {lag.CONSTRAINTS[cfg.constraint].label.split('  ')[1]}"
    return res, vz.lagrange_figure(xs, ys, obj.f(gx, gy), res.curve, ex, pr, box, title)


# --------------------------------------------------------------------------- text
def _n(v: float) -> str:
    return f"{v:.4g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.2e}"


def mat(m) -> str:
    return r"\begin{pmatrix}" + r"\\".join(" & ".join(f"{x:.4g}" for x in row) for row in m) + r"\end{pmatrix}"


def point_facts(info: cal.PointInfo) -> list[str]:
    p, g = info.point, info.grad
    lines = [f"p = ({_n(p[0])}, {_n(p[1])}) · f(p) = **{_n(info.value)}** · ∇f(p) = ({_n(g[0])}, {_n(g[1])}), "
             f"‖∇f‖ = {_n(float(np.linalg.norm(g)))}"]
    if info.snap_failed:
        lines.append("ℹ️ Newton's method from the chosen (x, y) did not converge to a critical point inside the view; "
                     "showing the chosen point.")
    elif info.snapped:
        lines.append(f"Newton's method moved p from ({info.chosen[0]:g}, {info.chosen[1]:g}) to the critical point "
                     f"({_n(p[0])}, {_n(p[1])}).")
    e = info.eig
    lines.append(f"Hessian eigenvalues λ₁ = **{_n(e[0])}**, λ₂ = **{_n(e[1])}** along "
                 f"e₁ = ({info.eigvecs[0, 0]:.2f}, {info.eigvecs[1, 0]:.2f}), "
                 f"e₂ = ({info.eigvecs[0, 1]:.2f}, {info.eigvecs[1, 1]:.2f}).")
    if info.kind in ("minimum", "maximum", "saddle", "degenerate"):
        lines.append(KIND_TEXT[info.kind])
    else:
        lines.append(f"Not a critical point (∇f ≠ 0): f rises fastest along ∇f, falls fastest along −∇f; the "
                     f"surface is {KIND_TEXT[info.kind]}. Turn on *snap* to jump to the critical point Newton's "
                     "method finds from here.")
    return lines


def critical_rows(crit: list) -> list[dict]:
    return [{"kind": c.kind, "x": f"{c.point[0]:.5f}", "y": f"{c.point[1]:.5f}", "f": f"{c.value:.5g}",
             "λ₁": f"{c.eig[0]:.4g}", "λ₂": f"{c.eig[1]:.4g}"} for c in crit]


def jacobian_facts(jv: cal.JacobianView, cfg: cal.JacobianConfig) -> tuple[str, list[str]]:
    det = jv.det
    area = (f"det J = **{_n(det)}**: near p, areas are multiplied by {abs(det):.3g}"
            + (" and orientation flips" if det < 0 else "") if abs(det) > 1e-12 else
            "det J = **0**: near p the map squashes the plane onto a line (or a point)")
    lines = [area,
             f"Largest gap between F and its linear map on this grid: **{jv.gap:.3g}** "
             f"(= {jv.gap / cfg.h ** 2:.3g} · h²). Halve h and it drops about four times; for a linear map it is 0."]
    if cfg.map == "gradient":
        lines.append("For F = ∇f the Jacobian is f's **Hessian** (symmetric): the gradient field's local linear map "
                     "is the curvature.")
    return r"J(p) = " + mat(jv.jac), lines


def graph_rows(study: eg.GraphStudy) -> list[dict]:
    g, res, chk = study.graph, study.result, study.torch
    rows = []
    for i in range(len(g.nodes)):
        rows.append({"node": eg.describe(g, i) if i < len(g.nodes) - 1 else "f = " + eg.describe(g, i),
                     "value": _n(res.values[i]), "∂f/∂node (by hand)": _n(res.grads[i]),
                     "∂f/∂node (torch.autograd)": _n(chk.grads[i]) if chk else "—",
                     "|difference|": f"{abs(chk.grads[i] - res.grads[i]):.1e}" if chk else "—"})
    return rows


def lagrange_rows(res: lag.LagrangeResult) -> list[dict]:
    rows = []
    for e in res.extrema:
        rows.append({"": ("global " if e.best else "local ") + e.kind, "x": f"{e.point[0]:.5f}",
                     "y": f"{e.point[1]:.5f}", "f": f"{e.value:.5g}", "λ": f"{e.lam:.5g}",
                     "angle ∇f, ∇g": "∇f = 0" if math.isnan(e.angle) else f"{e.angle:.4f}°",
                     "‖∇f − λ∇g‖": f"{e.residual:.1e}"})
    return rows
