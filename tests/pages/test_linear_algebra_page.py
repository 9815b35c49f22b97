"""The linear-algebra page's own behaviour: links set the matrix and the pictures follow it,
presets are buttons, the SVD steps, PCA on a subset of digits, bad input clamps."""

import numpy as np

from explorer.engines import linalg as la
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import array as arr, titled as chart

PAGE = "linear_algebra"
PCA_TAB = "PCA on digits"


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if (t.get("name") or "").startswith(name))


def points(t: dict) -> np.ndarray:
    return np.c_[arr(t["x"]), arr(t["y"])]


def text(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_defaults_draw_the_map_with_an_animation_and_the_eigenpairs():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    spec = chart(at, "The plane under")
    assert len(spec["frames"]) == 21 and "t = 1.00" in spec["layout"]["title"]["text"]
    assert "Animate" in spec["layout"]["updatemenus"][0]["buttons"][0]["label"]
    a = la.MatrixConfig().matrix
    circle = points(trace(spec, "image of the unit circle"))
    assert np.allclose(circle, la.unit_circle() @ a.T)
    assert "λ₁ = **1.75**" in text(at) and "λ₂ = **0.5**" in text(at)
    assert "det A = 0.875" in text(at)


def test_a_rotation_link_says_there_is_no_real_eigenvector():
    at = run_page(PAGE, {"a": "0.8", "b": "-0.6", "c": "0.6", "d": "0.8"})
    assert problems(at) == []
    assert "Complex eigenvalues" in text(at) and "no real eigenvector" in text(at)
    spec = chart(at, "The plane under")
    assert trace(spec, "eigen-directions")["visible"] is False
    r = np.linalg.norm(points(trace(spec, "image of the unit circle")), axis=1)
    assert np.allclose(r, 1.0)  # a rotation keeps the circle


def test_the_morph_slider_shows_the_stage_it_names():
    at = run_page(PAGE, {"a": "1", "b": "1", "c": "0", "d": "1", "morph": "0.5"})
    spec = chart(at, "The plane under")
    assert "t = 0.50" in spec["layout"]["title"]["text"]
    tip = points(trace(spec, "M e₂"))[1]
    assert np.allclose(tip, [0.5, 1.0])  # (1 − t)e₂ + t·A e₂ = (0.5, 1)
    assert "one eigen-direction" in text(at)


def test_a_preset_button_sets_the_sliders_and_the_link():
    at = run_page(PAGE)
    at.button(key="mat:singular").click().run()
    assert problems(at) == []
    assert [at.session_state[k] for k in "abcd"] == [1.0, 2.0, 0.5, 1.0]
    assert at.query_params["b"] in ("2", ["2"]) and "det A = 0**" in text(at)
    spec = chart(at, "The plane under")
    sq = points(trace(spec, "unit square →"))
    assert abs(la.polygon_area(sq)) < 1e-12


def test_the_svd_steps_rotate_then_scale():
    at = run_page(PAGE, {"svd_step": "1"})
    spec = chart(at, "Step 1 of 3")
    assert len(spec["frames"]) == 31
    circle = points(trace(spec, "unit circle"))
    assert np.allclose(np.linalg.norm(circle, axis=1), 1.0)  # Vᵀ only turns it
    at = run_page(PAGE, {"svd_step": "2"})
    spec = chart(at, "Step 2 of 3")
    s = np.linalg.svd(la.MatrixConfig().matrix, compute_uv=False)
    ell = points(trace(spec, "unit circle"))
    assert np.isclose(np.abs(ell[:, 0]).max(), s[0], rtol=1e-3) and np.isclose(np.abs(ell[:, 1]).max(), s[1],
                                                                                rtol=1e-3)


def test_negative_determinant_flips_and_u_reflects():
    at = run_page(PAGE, {"a": "0.5", "b": "1.5", "c": "1", "d": "0.25"})
    assert "orientation flips" in text(at)
    assert r"\mathrm{diag}(1,-1)" in text(at) and "with a reflection" in text(at)


def test_pca_on_ones_and_sevens():
    at = run_page(PAGE, {"section": PCA_TAB, "digits": "1,7", "k": "3"})
    assert problems(at) == []
    proj = chart(at, "projected on")
    assert [t["name"] for t in proj["data"]] == ["1", "7"]
    assert "361 digits" in proj["layout"]["title"]["text"]
    assert "k = 3" in chart(at, "reconstructions")["layout"]["title"]["text"]
    var = chart(at, "Explained variance")
    study = la.pca_study(la.PCAConfig(digits=(1, 7), k=3, samples=10))
    assert np.allclose(arr(var["data"][1]["y"]), 100 * np.cumsum(study.pca.ratio))


def test_an_out_of_range_entry_is_clamped_with_a_notice():
    at = run_page(PAGE, {"a": "9", "k": "500"})
    assert problems(at) == []
    notes = " ".join(w.value for w in at.warning)
    assert "`a`" in notes and "`k`" in notes
    assert at.session_state["a"] == 3.0 and at.session_state["k"] == 64
