"""The linear-algebra engine against NumPy, closed forms and scikit-learn's PCA."""
import math

import numpy as np
import pytest

from explorer.engines import linalg as la

RNG = np.random.default_rng(1234)
RANDOM = [RNG.uniform(-3, 3, (2, 2)) for _ in range(25)]


@pytest.mark.parametrize("a", RANDOM)
def test_determinant_trace_and_real_eigenpairs(a):
    info = la.analyse(a)
    assert info.det == pytest.approx(np.linalg.det(a), abs=1e-12)
    assert info.trace == pytest.approx(np.trace(a), abs=1e-12)
    lam = np.linalg.eigvals(a)
    assert info.complex_eigen == bool(np.abs(lam.imag).max() > 1e-9)
    assert np.allclose(np.sort_complex(info.eigenvalues), np.sort_complex(lam.astype(complex)), atol=1e-9)
    assert np.prod(info.eigenvalues).real == pytest.approx(info.det, abs=1e-9)
    for l, v in info.eigenvectors:
        assert np.linalg.norm(v) == pytest.approx(1.0)
        assert np.allclose(a @ v, l * v, atol=1e-9)  # A v = λ v
    assert len(info.eigenvectors) == (0 if info.complex_eigen else 2)
    assert np.allclose(info.singular, np.linalg.svd(a, compute_uv=False))


def test_rotation_has_complex_eigenvalues_and_no_real_eigenvector():
    info = la.analyse(np.array([[0.8, -0.6], [0.6, 0.8]]))
    assert info.complex_eigen and info.eigenvectors == []
    assert np.allclose(sorted(info.eigenvalues, key=lambda z: z.imag), [0.8 - 0.6j, 0.8 + 0.6j])
    assert info.det == pytest.approx(1.0) and info.cond == pytest.approx(1.0)


def test_shear_is_defective_with_one_eigen_direction():
    info = la.analyse(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert not info.complex_eigen and not info.every_direction
    assert len(info.eigenvectors) == 1
    lam, v = info.eigenvectors[0]
    assert lam == pytest.approx(1.0) and np.allclose(v, [1.0, 0.0])


def test_a_multiple_of_the_identity_keeps_every_direction():
    info = la.analyse(2.5 * np.eye(2))
    assert info.every_direction and np.allclose(info.eigenvalues, [2.5, 2.5])


def test_singular_and_projection_matrices():
    sing = la.analyse(np.array([[1.0, 2.0], [0.5, 1.0]]))
    assert sing.rank == 1 and sing.det == pytest.approx(0.0, abs=1e-12) and math.isinf(sing.cond)
    proj = np.array([[0.5, 0.5], [0.5, 0.5]])
    info = la.analyse(proj)
    assert np.allclose(proj @ proj, proj) and info.rank == 1
    by_lam = {round(l, 9): v for l, v in info.eigenvectors}
    assert set(by_lam) == {0.0, 1.0}
    assert abs(by_lam[1.0] @ np.array([1, -1])) < 1e-9  # λ = 1 along y = x


@pytest.mark.parametrize("a", RANDOM[:10])
def test_signed_area_of_the_mapped_unit_square_is_the_determinant(a):
    assert la.polygon_area(la.apply(a, la.UNIT_SQUARE)) == pytest.approx(np.linalg.det(a), abs=1e-12)


@pytest.mark.parametrize("a", RANDOM[:10])
def test_the_morph_shares_eigenvectors_with_a(a):
    info = la.analyse(a)
    assert np.allclose(la.morph(a, 0.0), np.eye(2)) and np.allclose(la.morph(a, 1.0), a)
    for t in (0.25, 0.5, 0.9):
        m = la.morph(a, t)
        for lam, v in info.eigenvectors:
            assert np.allclose(m @ v, (1 - t + t * lam) * v, atol=1e-9)


@pytest.mark.parametrize("a", RANDOM + [np.array([[1.0, 2.0], [0.5, 1.0]]), np.array([[1.0, 0], [0, -1.0]]),
                                        np.zeros((2, 2))])
def test_svd_factors_rebuild_a_with_v_a_rotation(a):
    d = la.svd2(a)
    assert np.allclose(d.u @ np.diag(d.s) @ d.vt, a, atol=1e-12)
    assert np.allclose(d.u.T @ d.u, np.eye(2)) and np.allclose(d.vt @ d.vt.T, np.eye(2))
    assert np.linalg.det(d.vt) == pytest.approx(1.0)
    assert d.u_reflects == (np.linalg.det(a) < -1e-9)
    assert np.allclose(d.vt, la.rotation(-d.phi)) and abs(d.phi) <= math.pi / 2 + 1e-12
    assert np.allclose(d.s, np.linalg.svd(a, compute_uv=False))


@pytest.mark.parametrize("a", RANDOM[:8] + [np.array([[0.5, 1.5], [1.0, 0.25]])])
def test_svd_stages_go_identity_vt_sigma_vt_a(a):
    d = la.svd2(a)
    assert np.allclose(la.svd_stage(d, 0), np.eye(2))
    assert np.allclose(la.svd_stage(d, 1), d.vt)
    assert np.allclose(la.svd_stage(d, 2), np.diag(d.s) @ d.vt)
    assert np.allclose(la.svd_stage(d, 3), a, atol=1e-12)
    half = la.svd_stage(d, 0.5)  # halfway through Vᵀ: still a rotation
    assert np.allclose(half.T @ half, np.eye(2)) and np.linalg.det(half) == pytest.approx(1.0)


@pytest.mark.parametrize("a", RANDOM[:8])
def test_the_image_of_the_unit_circle_has_semi_axes_sigma(a):
    r = np.linalg.norm(la.apply(a, la.unit_circle(20001)), axis=1)
    s = np.linalg.svd(a, compute_uv=False)
    assert r.max() == pytest.approx(s[0], rel=1e-6) and r.min() == pytest.approx(s[1], abs=1e-4 * s[0])


def test_grid_lines_cover_integer_lines_with_breaks():
    g = la.grid_lines(2, 3)
    assert g.shape == (2 * 5 * 4, 2)
    assert np.isnan(g[3]).all() and np.allclose(g[:3], [[-2, -2], [-2, 0], [-2, 2]])


def test_matrix_config_validates_every_entry():
    assert np.allclose(la.MatrixConfig(1, 2, 3, -3).matrix, [[1, 2], [3, -3]])
    for bad in ({"a": 3.5}, {"b": float("nan")}, {"d": float("inf")}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            la.MatrixConfig(**bad)


# --------------------------------------------------------------------------- PCA
@pytest.fixture(scope="module")
def digits():
    return la.load_digits()


def test_pca_matches_sklearn(digits):
    from sklearn.decomposition import PCA

    x, _ = digits
    ours = la.fit_pca(x)
    ref = PCA(svd_solver="full").fit(x)
    assert np.allclose(ours.mean, ref.mean_)
    assert np.allclose(ours.variance, ref.explained_variance_, rtol=1e-9, atol=1e-9)
    assert np.allclose(ours.ratio, ref.explained_variance_ratio_, atol=1e-12)
    keep = ours.variance > 1e-8 * ours.variance[0]  # directions of zero variance are arbitrary
    assert np.allclose(ours.components[keep], ref.components_[keep], atol=1e-8)
    assert np.allclose(la.project(ours, x[:50], 10), ref.transform(x[:50])[:, :10], atol=1e-8)


def test_components_are_orthonormal_and_k_64_rebuilds_exactly(digits):
    x, _ = digits
    p = la.fit_pca(x)
    assert np.allclose(p.components @ p.components.T, np.eye(len(p.components)), atol=1e-10)
    assert np.allclose(la.reconstruct(p, x[:20], 64), x[:20], atol=1e-9)
    assert p.ratio.sum() == pytest.approx(1.0) and np.all(np.diff(p.variance) <= 1e-12)


def test_the_reported_error_by_k_is_the_true_reconstruction_error(digits):
    s = la.pca_study(la.PCAConfig())
    x, _ = digits
    for k in (0, 1, 5, 20, 63):
        err = np.mean((la.reconstruct(s.pca, x, k) - x) ** 2) if k else np.mean((x - s.pca.mean) ** 2)
        assert s.mse_by_k[k] == pytest.approx(err, rel=1e-9)
    assert s.mse_by_k[64] == pytest.approx(0.0, abs=1e-20)
    assert np.all(np.diff(s.mse_by_k) <= 1e-12)


def test_pca_study_is_seeded_and_uses_only_the_chosen_digits():
    a = la.pca_study(la.PCAConfig(digits=(1, 7), k=3, seed=5))
    b = la.pca_study(la.PCAConfig(digits=(1, 7), k=3, seed=5))
    c = la.pca_study(la.PCAConfig(digits=(1, 7), k=3, seed=6))
    assert np.array_equal(a.picked, b.picked) and not np.array_equal(a.picked, c.picked)
    assert set(a.labels) == {1, 7} and len(a.labels) == 182 + 179
    assert [int(a.labels[i]) for i in a.picked[:4]] == [1, 7, 1, 7]
    rms = np.sqrt(np.mean((a.recons - a.originals) ** 2, axis=1))
    assert np.allclose(rms, a.errors)
    # PC1 alone separates ones from sevens almost perfectly
    s1 = a.scores[:, 0]
    acc = max(np.mean((s1 > 0) == (a.labels == 1)), np.mean((s1 > 0) == (a.labels == 7)))
    assert acc > 0.95


def test_more_components_rebuild_better():
    errs = [la.pca_study(la.PCAConfig(k=k)).errors.mean() for k in (2, 10, 40)]
    assert errs[0] > errs[1] > errs[2]


@pytest.mark.parametrize("bad,field", [({"digits": (3,)}, "digits"), ({"digits": (3, 11)}, "digits"),
                                       ({"k": 0}, "k"), ({"k": 65}, "k"), ({"seed": -1}, "seed")])
def test_pca_config_validation(bad, field):
    with pytest.raises(ValueError, match=field):
        la.PCAConfig(**bad)
