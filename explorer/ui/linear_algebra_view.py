"""The linear-algebra page's controls table, cached computations and the views of its two tabs."""
from __future__ import annotations

import math

import numpy as np
import streamlit as st

from explorer.engines import linalg as la
from explorer.ui.params import Param
from explorer.viz import linalg as vz

PAGE = "linear_algebra"
SECTIONS = ("A 2×2 matrix: map, eigenvectors, SVD", "PCA on digits")  # the tabs' labels
M = la.MatrixConfig()
P = la.PCAConfig()
MORPH_STEP = 0.05
PAIRS = ("1-2", "1-3", "2-3", "1-4", "3-4")
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
# Presets for the matrix: (label, a, b, c, d, one line on what to see)
MATRICES = {
    "identity": ("Identity", 1, 0, 0, 1, "Nothing moves: every vector is an eigenvector with λ = 1."),
    "rotation": ("Rotation", 0.8, -0.6, 0.6, 0.8, "A turn by 36.87° (cos = 0.8, sin = 0.6): areas kept, "
                                                 "complex eigenvalues, no real eigenvector."),
    "shear": ("Shear", 1, 1, 0, 1, "Slides rows sideways: area kept, λ = 1 twice but only one eigen-direction."),
    "scale": ("Scale", 2, 0, 0, 0.5, "Stretches x by 2, squashes y by ½: the axes are the eigenvectors."),
    "reflection": ("Reflection", 1, 0, 0, -1, "Mirror in the x-axis: det = −1, the square flips."),
    "projection": ("Projection", 0.5, 0.5, 0.5, 0.5, "Onto the line y = x: everything lands on it (rank 1)."),
    "singular": ("Singular", 1, 2, 0.5, 1, "Columns are parallel: the plane collapses to a line, det = 0."),
}


def _entry(name: str, label: str, default: float) -> Param:
    return Param(name, label, "float", float(default), lo=-la.LIMIT, hi=la.LIMIT, step=0.05,
                 help="An entry of A. The columns of A are where e₁ = (1, 0) and e₂ = (0, 1) land.")


SPEC = [
    Param("section", "Section", "choice", SECTIONS[0], choices=SECTIONS),
    _entry("a", "a (row 1, column 1)", M.a),
    _entry("b", "b (row 1, column 2)", M.b),
    _entry("c", "c (row 2, column 1)", M.c),
    _entry("d", "d (row 2, column 2)", M.d),
    Param("morph", "Morph t: show (1 − t)·I + t·A", "float", 1.0, lo=0.0, hi=1.0, step=MORPH_STEP,
          help="0 is the identity, 1 is A. The ▶ Animate button in the chart plays the whole morph."),
    Param("svd_step", "SVD step shown", "int", 3, lo=0, hi=3,
          help="0: the unit circle; 1: after Vᵀ (rotate); 2: after Σ (stretch the axes); 3: after U (rotate) = A."),
    Param("digits", "Digits in the PCA", "multi", la.DIGITS, choices=la.DIGITS, widget="pills", min_items=2,
          help="PCA is fitted on the images of these classes only."),
    Param("k", "Components k", "int", P.k, lo=1, hi=la.N_PIXELS,
          help="Rebuild each image from its first k principal components (of 64)."),
    Param("pair", "Components on the axes", "choice", PAIRS[0], choices=PAIRS,
          fmt=lambda s: "PC{} × PC{}".format(*s.split("-"))),
    Param("seed", "Image seed", "int", P.seed, lo=0, hi=999, widget="number",
          help="Picks which images are rebuilt: one per chosen digit."),
]
BY_NAME = {p.name: p for p in SPEC}


def set_matrix(key: str) -> None:
    """Button callback: put a preset's entries into the sliders (runs before the rerun)."""
    _, a, b, c, d, _ = MATRICES[key]
    for name, v in zip("abcd", (a, b, c, d)):
        st.session_state[name] = float(v)


def matrix_config(v: dict) -> la.MatrixConfig:
    return la.MatrixConfig(a=float(v["a"]), b=float(v["b"]), c=float(v["c"]), d=float(v["d"]))


def pca_config(v: dict) -> la.PCAConfig:
    digits = tuple(int(d) for d in v["digits"])
    return la.PCAConfig(digits=digits, k=int(v["k"]), seed=int(v["seed"]), samples=max(10, len(digits)))


# --------------------------------------------------------------------------- cached computations
@st.cache_data(max_entries=64, show_spinner=False)
def map_figure(cfg: la.MatrixConfig, morph: float):
    a = cfg.matrix
    info = la.analyse(a)
    n = int(round(1 / MORPH_STEP))
    stages = [(f"t = {i * MORPH_STEP:.2f}", la.morph(a, i * MORPH_STEP)) for i in range(n + 1)]
    extent = max(2.2, 1.15 * max(1.0, float(info.singular[0]),
                                 float(np.abs(la.apply(a, la.UNIT_SQUARE)).max())))
    eig = [] if info.every_direction else info.eigenvectors
    return vz.map_figure(la.grid_lines(5), la.unit_circle(), la.UNIT_SQUARE, stages,
                         int(round(morph / MORPH_STEP)), eig, extent, "The plane under (1 − t)·I + t·A")


def _svd_title(d: la.SVD2, s: float) -> str:
    phi, theta = math.degrees(d.phi), math.degrees(d.theta)
    if s <= 0:
        return "Start · the unit circle x and the right singular vectors v₁, v₂"
    if s <= 1:
        return f"Step 1 of 3 · Vᵀ rotates by {-phi:+.1f}°: v₁, v₂ turn onto the axes"
    if s <= 2:
        return f"Step 2 of 3 · Σ stretches x by σ₁ = {d.s[0]:.2f} and y by σ₂ = {d.s[1]:.2f}"
    flip = " after a reflection" if d.u_reflects else ""
    return f"Step 3 of 3 · U rotates by {theta:+.1f}°{flip}: the ellipse is A's image of the circle"


@st.cache_data(max_entries=64, show_spinner=False)
def svd_figure(cfg: la.MatrixConfig, step: int):
    a = cfg.matrix
    d = la.svd2(a)
    stages = [(_svd_title(d, s), la.svd_stage(d, s)) for s in np.round(np.arange(0, 3.01, 0.1), 2)]
    extent = max(1.6, 1.2 * max(1.0, float(d.s[0])))
    return vz.svd_figure(la.grid_lines(4, 2) / 2, la.unit_circle(), stages, 10 * step, d.vt.T, a, extent), d


@st.cache_data(max_entries=16, show_spinner=False)
def pca_study(cfg: la.PCAConfig) -> la.PCAStudy:
    return la.pca_study(cfg)


# --------------------------------------------------------------------------- text
def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-12 else "0"


def _vec(v) -> str:
    return f"({v[0] + 0.0:.2f}, {v[1] + 0.0:.2f})".replace("-0.00", "0.00")


def matrix_facts(info: la.MatrixInfo) -> list[str]:
    """Markdown lines: determinant, eigenvalues/vectors, rank, singular values."""
    det = info.det
    if abs(det) <= 1e-12:
        area = "**det A = 0**: the square collapses, areas become 0 (A is singular)"
    else:
        area = f"**det A = {_num(det)}**: areas are multiplied by {abs(det):.3g}"
        if det < 0:
            area += " and orientation flips (the square turns orange)"
    lines = [area, f"trace = {_num(info.trace)} · rank {info.rank}"]
    if info.complex_eigen:
        lam = info.eigenvalues[0]
        lines.append(f"**Complex eigenvalues** λ = {lam.real:.3g} ± {abs(lam.imag):.3g}i: **no real eigenvector** — "
                     f"A turns every direction (|λ| = {abs(lam):.3g}).")
    elif info.every_direction:
        lines.append(f"**Every vector is an eigenvector**: A = {_num(info.eigenvalues[0].real)}·I.")
    elif len(info.eigenvectors) == 1:
        lam, v = info.eigenvectors[0]
        lines.append(f"**λ = {_num(lam)} twice, but one eigen-direction** v = {_vec(v)}: A is defective (a shear).")
    else:
        for i, (lam, v) in enumerate(info.eigenvectors, 1):
            lines.append(f"λ{'₁₂'[i - 1]} = **{_num(lam)}**, v{'₁₂'[i - 1]} = {_vec(v)}")
    cond = "∞" if math.isinf(info.cond) else f"{info.cond:.3g}"
    lines.append(f"σ₁ = {info.singular[0]:.3g}, σ₂ = {info.singular[1]:.3g} · condition number σ₁/σ₂ = {cond}")
    return lines


def svd_latex(d: la.SVD2) -> list[str]:
    """U, Σ and Vᵀ with their numbers, one formula each (the column is narrow)."""
    def mat(m):
        return r"\begin{pmatrix}" + r"\\".join(" & ".join(f"{x:.2f}" for x in row) for row in m) + r"\end{pmatrix}"
    return [r"U = " + mat(d.u), r"\Sigma = " + mat(np.diag(d.s)), r"V^\top = " + mat(d.vt)]


def svd_angles(d: la.SVD2) -> str:
    """One line: the angles of the two rotations (and U's reflection)."""
    u = (r"U = R(\theta)\,\mathrm{diag}(1,-1)" if d.u_reflects else r"U = R(\theta)")
    return (f"${u}$ with θ = {math.degrees(d.theta):.1f}°, and $V^\\top = R(-\\varphi)$ with φ = "
            f"{math.degrees(d.phi):.1f}°.")


def pair_of(v: dict) -> tuple[int, int]:
    i, j = (int(s) for s in v["pair"].split("-"))
    return i - 1, j - 1


# --------------------------------------------------------------------------- the PCA view
def pca_view(v: dict) -> None:
    cfg = pca_config(v)
    with st.spinner("Loading the digits and fitting PCA…"):
        study = pca_study(cfg)
    p = study.pca
    i, j = pair_of(v)
    c = st.columns([1, 1.25])
    c[0].plotly_chart(vz.variance_figure(p.ratio, cfg.k), key="chart_variance", **CHART)
    names = (f"PC{i + 1} ({100 * p.ratio[i]:.1f} %)", f"PC{j + 1} ({100 * p.ratio[j]:.1f} %)")
    c[1].plotly_chart(vz.projection_figure(study.scores[:, i], study.scores[:, j], study.labels, names),
                      key="chart_projection", **CHART)
    labels = [int(study.labels[k]) for k in study.picked]
    st.plotly_chart(vz.digits_figure(study.originals, study.recons, labels, cfg.k, study.errors, p.mean,
                                     p.components[:10]), key="chart_digits", **CHART)
    mse = study.mse_by_k[cfg.k]
    st.caption(f"PCA of {len(study.labels):,} images ({', '.join(map(str, sorted(cfg.digits)))}) by the SVD of the "
               f"centred {len(study.labels):,} × 64 pixel matrix. Over all of them, rebuilding from k = {cfg.k} "
               f"components leaves a mean squared pixel error of **{mse:.2f}** (ink runs 0…16): exactly the "
               f"variance (÷ n) of the {la.N_PIXELS - cfg.k} components left out, per pixel. Blue pixels of a "
               "component add ink where its score is positive, orange ones remove it.")
