"""Linear algebra (§2.1): a 2×2 matrix as a map of the plane, eigenvectors, SVD, and PCA on digits."""
import streamlit as st

from explorer.engines import linalg as la
from explorer.ui import layout, params
from explorer.ui import linear_algebra_view as view

W = view.BY_NAME
layout.header(view.PAGE, "Set the four entries of A (or press a preset) and watch the grid, the unit circle and "
              "the eigenvectors move; ▶ Animate morphs the identity into A. Below, A comes apart as rotate → "
              "scale → rotate; the second tab compresses handwritten digits with PCA.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
share = st.container()
map_tab, pca_tab = st.tabs(list(view.SECTIONS), key="section", on_change="rerun")

# Every tab draws its controls on every run (a widget left undrawn would lose its value); only the open tab computes.
with map_tab:
    st.caption("Presets: " + " · ".join(f"**{lab}** — {line}" for lab, *_, line in [view.MATRICES[k] for k in
                                                                                   ("rotation", "shear", "singular")]))
    buttons = st.columns(len(view.MATRICES))
    for col, (key, (label, *_)) in zip(buttons, view.MATRICES.items()):
        col.button(label, key=f"mat:{key}", on_click=view.set_matrix, args=(key,), width="stretch",
                   help=view.MATRICES[key][-1])
    left, right = st.columns([1, 2.1])
    with left:
        st.markdown("**The matrix A**")
        r1, r2 = st.columns(2), st.columns(2)
        for col, name in zip(r1 + r2, "abcd"):
            params.widget(W[name], col)
        params.widget(W["morph"])
    st.subheader("SVD: every matrix is rotate → scale → rotate")
    svd_left, svd_right = st.columns([2.1, 1])
    with svd_right:
        params.widget(W["svd_step"])
with pca_tab:
    pc = st.columns([2.3, 1.2, 1, 0.8])
    for col, name in zip(pc, ("digits", "k", "pair", "seed")):
        params.widget(W[name], col)

v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    share.caption(f"ℹ️ {p.label}: choose at least {p.min_items}; showing the default meanwhile.")
params.share_box(params.sync_to_url(view.PAGE, view.SPEC), view.PAGE, share.columns([4, 1])[1])

with map_tab:
    if map_tab.open is not False:
        cfg = view.matrix_config(v)
        info = la.analyse(cfg.matrix)
        with left:
            st.latex(r"A = \begin{pmatrix} %g & %g \\ %g & %g \end{pmatrix}" % (cfg.a, cfg.b, cfg.c, cfg.d))
            st.markdown("  \n".join(view.matrix_facts(info)))
        right.plotly_chart(view.map_figure(cfg, float(v["morph"])), key="chart_map", **view.CHART)
        fig, d = view.svd_figure(cfg, int(v["svd_step"]))
        svd_left.plotly_chart(fig, key="chart_svd", **view.CHART)
        with svd_right:
            for formula in view.svd_latex(d):
                st.latex(formula)
            st.markdown(view.svd_angles(d))
            st.markdown(
                f"Read it right to left. **Vᵀ** turns the plane so the input directions v₁, v₂ that A stretches most "
                f"and least lie on the axes; **Σ** stretches the axes by σ₁ = {d.s[0]:.3g} and σ₂ = {d.s[1]:.3g}; "
                f"**U** turns the result into place{' (with a reflection, since det A < 0)' if d.u_reflects else ''}"
                ". The circle becomes an ellipse with semi-axes σ₁u₁ and σ₂u₂. Press ▶ Animate in the chart, or "
                "step with the slider above.")
with pca_tab:
    if pca_tab.open:
        view.pca_view(v)

layout.explain("maps, eigenvectors, SVD and PCA", [
    "A matrix is a map of the plane. Its columns are where the basis vectors land, and every other point follows "
    "linearly:",
    ("latex", r"A\begin{pmatrix}x\\y\end{pmatrix} = x\begin{pmatrix}a\\c\end{pmatrix} + "
              r"y\begin{pmatrix}b\\d\end{pmatrix},\qquad \det A = ad - bc = \text{signed area of the image of the "
              r"unit square}"),
    "An **eigenvector** keeps its direction, only its length changes by λ. The λ solve the characteristic "
    "equation; when its discriminant is negative they are complex and no real direction survives (a rotation):",
    ("latex", r"A v = \lambda v,\qquad \lambda^2 - (\operatorname{tr}A)\,\lambda + \det A = 0,\qquad "
              r"\lambda_1\lambda_2 = \det A,\ \ \lambda_1+\lambda_2 = \operatorname{tr}A"),
    "The morph (1 − t)I + tA has the same eigenvectors as A for every t, with eigenvalues 1 − t + tλ: the dashed "
    "eigen-lines never move while the grid does.",
    "The **singular value decomposition** writes any matrix as rotate, stretch the axes, rotate; σ₁ and σ₂ are "
    "the semi-axes of the ellipse that A makes of the unit circle:",
    ("latex", r"A = U\Sigma V^\top,\quad U^\top U = V^\top V = I,\quad \Sigma = \operatorname{diag}(\sigma_1,"
              r"\sigma_2),\ \sigma_1\ge\sigma_2\ge 0,\quad |\det A| = \sigma_1\sigma_2"),
    "**PCA** is the SVD of the centred data matrix X − μ (n images × 64 pixels). The rows of Vᵀ are the "
    "principal directions; the squared singular values are the variance along each:",
    ("latex", r"X - \mathbf 1\mu^\top = U S V^\top,\qquad \operatorname{Var}_j = \frac{s_j^2}{n-1},\qquad "
              r"\hat x = \mu + \sum_{j\le k} \big((x-\mu)\cdot v_j\big)\, v_j"),
    "Rebuilding from the first k components is the best rank-k approximation in squared error "
    "(Eckart–Young): what is lost is exactly the variance of the components left out.",
])
layout.presets(view.PAGE, [
    ("A rotation", "No real eigenvector: the page says so, and the circle stays a circle.",
     {"a": "0.8", "b": "-0.6", "c": "0.6", "d": "0.8"}),
    ("A shear, half-way", "t = 0.5 of the morph: the eigen-line (the x-axis) never moves.",
     {"a": "1", "b": "1", "c": "0", "d": "1", "morph": "0.5"}),
    ("Flip the orientation", "det < 0: the square turns orange and U in the SVD reflects.",
     {"a": "0.5", "b": "1.5", "c": "1", "d": "0.25"}),
    ("Collapse to a line", "A singular matrix: σ₂ = 0, the ellipse is flat, the condition number infinite.",
     {"a": "1", "b": "2", "c": "0.5", "d": "1", "svd_step": "2"}),
    ("Ones and sevens", "PCA on two classes: PC1 alone separates them.",
     {"section": view.SECTIONS[1], "digits": "1,7", "k": "3"}),
    ("Three components", "All ten digits from 3 numbers each: blurry but often readable.",
     {"section": view.SECTIONS[1], "k": "3", "pair": "2-3"}),
])
