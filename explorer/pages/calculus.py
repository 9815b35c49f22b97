"""Calculus (§2.2): gradients, Hessians and Jacobians in 2-D, backprop on a graph, Lagrange multipliers."""
import streamlit as st

from explorer.engines import calculus as cal
from explorer.engines import expr_graph as eg
from explorer.engines import lagrange as lag
from explorer.ui import calculus_view as view
from explorer.ui import layout, params

W = view.BY_NAME
layout.header(view.PAGE, "Move the point p over a surface and watch the gradient and the Hessian's eigen-directions; "
              "shrink a grid under a 2-D map until it matches the Jacobian; type an expression and follow its "
              "gradients backwards; slide a constraint and see ∇f line up with ∇g.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
share = st.container()
grad_tab, bp_tab, lag_tab = st.tabs(list(view.SECTIONS), key="section", on_change="rerun")

# Every tab draws its controls on every run (a widget left undrawn would lose its value); only the open tab computes.
with grad_tab:
    c = st.columns([2, 1, 1, 1.1])
    for col, name in zip(c, ("fn", "x", "y", "snap")):
        params.widget(W[name], col)
    point_area = st.container()
    st.subheader("The Jacobian: a 2-D map near p is a matrix")
    j = st.columns([2, 1])
    for col, name in zip(j, ("map", "h")):
        params.widget(W[name], col)
with bp_tab:
    b = st.columns(len(view.EXAMPLES))
    for col, (key, (label, _, _, line)) in zip(b, view.EXAMPLES.items()):
        col.button(label, key=f"ex:{key}", on_click=view.set_example, args=(key,), width="stretch", help=line)
    params.widget(W["expr"])
    expr_ok = not params.invalid([W["expr"]])
    try:
        names = eg.parse(st.session_state["expr"]).variables if expr_ok else ()
    except eg.ExpressionError:
        names = ()
    view.value_widgets(names, st.columns(3))
with lag_tab:
    g = st.columns([1.4, 1.2, 1, 1])
    for col, name in zip(g, ("lf", "lg", "c", "probe")):
        params.widget(W[name], col)

v = params.current(view.SPEC)
params.share_box(params.sync_to_url(view.PAGE, view.SPEC), view.PAGE, share.columns([4, 1])[1])

with grad_tab:
    if grad_tab.open is not False:
        pcfg = cal.PointConfig(surface=v["fn"], x=float(v["x"]), y=float(v["y"]), snap=bool(v["snap"]))
        info, fig, slices = view.point_view(pcfg)
        with point_area:
            left, right = st.columns([1.55, 1])
            left.plotly_chart(fig, key="chart_surface", **view.CHART)
            with right:
                st.latex(cal.SURFACES[pcfg.surface].latex)
                st.markdown("  \n".join(view.point_facts(info)))
                st.latex(r"H(p) = " + view.mat(info.hessian))
                st.plotly_chart(slices, key="chart_slices", **view.CHART)
            with st.expander(f"Every critical point of this f in view ({len(view.critical_points(pcfg.surface))}), "
                             "found by Newton's method on ∇f = 0 from a 13 × 13 grid of starts"):
                st.dataframe(view.critical_rows(view.critical_points(pcfg.surface)), hide_index=True, width="stretch")
        jcfg = cal.JacobianConfig(map=v["map"], u=info.point[0], v=info.point[1], h=float(v["h"]), surface=v["fn"])
        jv, jfig = view.jacobian_view(jcfg)
        st.plotly_chart(jfig, key="chart_jacobian", **view.CHART)
        jl, jr = st.columns([1, 1.6])
        jl.latex(cal.MAPS[jcfg.map].latex if jcfg.map != "gradient" else r"F(x,y) = \nabla f(x,y)")
        formula, lines = view.jacobian_facts(jv, jcfg)
        jl.latex(formula)
        jr.markdown("  \n".join(lines))
with bp_tab:
    if bp_tab.open:
        if not expr_ok:
            st.warning("Type an expression of at most 80 characters: letters, digits, spaces and . + − * / ( ) ^. "
                       "Showing nothing until then.", icon="✍️")
        else:
            gcfg = eg.GraphConfig(expression=v["expr"], values=(float(v["v1"]), float(v["v2"]), float(v["v3"])))
            study, gfig = view.graph_view(gcfg)
            if gfig is None:
                st.warning(f"That expression cannot be read: {study}.", icon="✍️")
            else:
                if study.result.problem:
                    st.warning(f"Not finite: {study.result.problem}. Change the inputs.", icon="⚠️")
                st.plotly_chart(gfig, key="chart_graph", **view.CHART)
                chk = study.torch
                if chk is not None:
                    ok = chk.max_grad_diff <= view.AUTOGRAD_TOL and chk.max_value_diff <= view.AUTOGRAD_TOL
                    st.markdown(f"{'✅' if ok else '❌'} **Checked against `torch.autograd`**: every node's value and "
                                f"gradient recomputed by PyTorch (float64). Largest difference: values "
                                f"**{chk.max_value_diff:.1e}**, gradients **{chk.max_grad_diff:.1e}**.")
                st.caption("Each arrow carries its local derivative ∂(node)/∂(input). Backpropagation starts with "
                           "∂f/∂f = 1 at the output and walks the arrows backwards: a node's gradient is the sum, "
                           "over its outgoing arrows, of (the user's gradient × the arrow's local derivative).")
                st.dataframe(view.graph_rows(study), hide_index=True, width="stretch")
with lag_tab:
    if lag_tab.open:
        lcfg = lag.LagrangeConfig(objective=v["lf"], constraint=v["lg"], level=float(v["c"]), probe=float(v["probe"]))
        res, lfig = view.lagrange_view(lcfg)
        left, right = st.columns([1.55, 1])
        left.plotly_chart(lfig, key="chart_lagrange", **view.CHART)
        with right:
            st.latex(lag.OBJECTIVES[lcfg.objective].latex)
            st.latex(lag.CONSTRAINTS[lcfg.constraint].latex.replace("= c", f"= {lcfg.level:g}"))
            for kind, word in (("below", "minimum"), ("above", "maximum")):
                if getattr(res, f"unbounded_{kind}"):
                    st.info(f"No {word}: f is unbounded {kind} along the line (it keeps "
                            f"{'falling' if kind == 'below' else 'rising'} as you walk off either end).", icon="↔️")
            for kind, (lam, rate) in res.sensitivity.items():
                st.markdown(f"Global {kind}: λ = **{lam:.5g}**, and moving c by ±10⁻⁴ changes the optimal value at "
                            f"rate **{rate:.5g}** — λ is the price of the constraint, df*/dc.")
            pr = res.probe
            ang = "undefined (∇f = 0)" if pr.angle != pr.angle else f"{pr.angle:.1f}°"
            st.markdown(f"At the probe ({pr.point[0]:.3g}, {pr.point[1]:.3g}) the angle between ∇f and ∇g is "
                        f"**{ang}** and f changes at rate **{pr.slope:.3g}** per unit step along the curve: "
                        + ("not an optimum, walk along the dashed arrow to raise f." if abs(pr.slope) > 1e-6 else
                           "a constrained critical point."))
        if res.extrema:
            st.caption("The optima are found numerically: f is sampled along the whole curve, each local extremum "
                       "is narrowed down by a 1-D search, then SciPy's root finder solves the Lagrange system "
                       "∇f − λ∇g = 0, g = c from there. At each, ∇f and ∇g are parallel (angle 0° or 180°) and the "
                       "level set of f touches the constraint without crossing it.")
            st.dataframe(view.lagrange_rows(res), hide_index=True, width="stretch")

layout.explain("gradients, Jacobians, Hessians, backprop and Lagrange multipliers", [
    "The **gradient** collects the partial derivatives; it points uphill, perpendicular to the contour through "
    "p, and its length is the steepest slope. The **Hessian** collects the second derivatives:",
    ("latex", r"\nabla f = \begin{pmatrix}\partial_x f\\ \partial_y f\end{pmatrix},\qquad "
              r"H = \begin{pmatrix}\partial_{xx} f & \partial_{xy} f\\ \partial_{yx} f & \partial_{yy} f\end{pmatrix},"
              r"\qquad f(p+\delta) \approx f(p) + \nabla f^\top\delta + \tfrac12\,\delta^\top H\,\delta"),
    "H is symmetric, so it has real eigenvalues with orthogonal eigenvectors: along eᵢ the surface bends like "
    "½λᵢs². At a critical point (∇f = 0): both λ > 0 → minimum, both < 0 → maximum, mixed signs → saddle, "
    "a zero eigenvalue → the test says nothing.",
    "The **Jacobian** of a map F: ℝ² → ℝ² is the matrix of its partial derivatives, the best linear map near p; "
    "its determinant is the local area factor:",
    ("latex", r"F(p+\delta) = F(p) + J(p)\,\delta + O(\|\delta\|^2),\qquad J = \begin{pmatrix}\partial_u F_1 & "
              r"\partial_v F_1\\ \partial_u F_2 & \partial_v F_2\end{pmatrix}"),
    "**Backpropagation** is the chain rule applied from the output backwards: every node's adjoint "
    "$\\bar v = \\partial f/\\partial v$ sums over the nodes that use it:",
    ("latex", r"\bar f = 1,\qquad \bar v = \sum_{u\,:\,v \to u} \bar u\,\frac{\partial u}{\partial v}"),
    "**Lagrange multipliers**: at an extremum of f on the curve g = c, f cannot change along the curve, so ∇f "
    "has no component along it: ∇f is parallel to ∇g. λ measures how much the optimum moves with c:",
    ("latex", r"\nabla f(p^*) = \lambda\,\nabla g(p^*),\quad g(p^*) = c,\qquad \lambda = \frac{d f^*}{d c}"),
])
layout.presets(view.PAGE, [
    ("Himmelblau's saddle", "Snap to the saddle near (−0.1, −1.9): eigen-directions of opposite sign.",
     {"x": "0", "y": "-2", "snap": "1"}),
    ("Monkey saddle", "At the origin H = 0: the second-derivative test cannot decide.",
     {"fn": "monkey", "x": "0.3", "y": "0.2", "snap": "1", "map": "gradient"}),
    ("Rosenbrock's valley", "Curvatures 1000 : 0.4 apart: a narrow curved valley.",
     {"fn": "rosenbrock", "x": "-1", "y": "1", "map": "gradient", "h": "0.2"}),
    ("A neuron's gradient", "−log σ(w·x + b): ∂L/∂w = (σ − 1)·x, checked by autograd.",
     {"section": view.SECTIONS[1], "expr": "-log(sigmoid(w*x + b))", "v1": "0.8", "v2": "2", "v3": "-1"}),
    ("Closest point on a circle", "(1, 2) lies just outside the circle of radius 2: λ is small, the constraint "
     "costs little.",
     {"section": view.SECTIONS[2], "lf": "distance", "c": "4"}),
    ("Eigenvalues as optima", "x² + 3y² on the unit circle: the extrema are the eigenvalues 1 and 3.",
     {"section": view.SECTIONS[2], "lf": "quadratic"}),
])
