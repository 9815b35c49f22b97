"""The shared projection module: PCA against scikit-learn, t-SNE/UMAP determinism by seed."""
import numpy as np
import pytest
from sklearn.decomposition import PCA

from explorer.engines import projection


@pytest.fixture(scope="module")
def warm():
    projection.warm_umap()  # the one JIT compile of this test process
    assert projection.umap_is_warm()


def blobs(n=90, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(3, d))
    return (centres[np.arange(n) % 3] + rng.normal(size=(n, d))).astype(np.float32)


def test_pca_matches_sklearn_up_to_sign_with_a_fixed_sign_convention():
    z = blobs()
    scores, ratio = projection.pca(z, 2)
    sk = PCA(2).fit(z)
    ref = sk.transform(z)
    for j in range(2):
        s = np.sign(np.dot(scores[:, j], ref[:, j]))
        np.testing.assert_allclose(scores[:, j], s * ref[:, j], rtol=1e-4, atol=1e-4)
        loading = sk.components_[j] * s
        assert loading[np.abs(loading).argmax()] > 0  # the largest loading is positive
    np.testing.assert_allclose(ratio, sk.explained_variance_ratio_, rtol=1e-5)
    flipped, _ = projection.pca(z * [-1, 1, 1, 1, 1, 1], 2)  # a mirrored feature: same picture up to that mirror
    assert np.allclose(np.abs(flipped), np.abs(scores), atol=1e-3)


def test_pca_pads_when_there_are_fewer_dimensions_than_asked():
    z = blobs(d=1)
    scores, ratio = projection.pca(z, 2)
    assert scores.shape == (90, 2) and np.all(scores[:, 1] == 0) and ratio[1] == 0
    assert ratio[0] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_projection_is_deterministic_by_seed(method):
    z = blobs()
    a = projection.project(z, method, seed=3, perplexity=10)
    b = projection.project(z, method, seed=3, perplexity=10)
    assert a.shape == (90, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_umap_is_deterministic_by_seed_and_separates_blobs(warm):
    z = blobs()
    a = projection.project(z, "umap", seed=1, n_neighbors=10)
    np.testing.assert_array_equal(a, projection.project(z, "umap", seed=1, n_neighbors=10))
    assert not np.allclose(a, projection.project(z, "umap", seed=2, n_neighbors=10))
    lab = np.arange(90) % 3
    centres = np.array([a[lab == c].mean(0) for c in range(3)])
    spread = max(np.linalg.norm(a[lab == c] - centres[c], axis=1).mean() for c in range(3))
    gap = min(np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3))
    assert gap > 2 * spread


def test_tsne_keeps_blobs_apart():
    z = blobs()
    a = projection.project(z, "tsne", seed=0, perplexity=10)
    lab = np.arange(90) % 3
    d = np.linalg.norm(a[:, None] - a[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert np.mean(lab[d.argmin(1)] == lab) > 0.95  # every nearest neighbour on the map is from its blob


@pytest.mark.parametrize("z,method,match", [(np.zeros((2, 3)), "pca", "z"), (np.zeros(5), "pca", "z"),
                                            (np.full((5, 2), np.nan), "tsne", "NaN"), (np.zeros((5, 2)), "lda", "method")])
def test_bad_inputs_are_refused(z, method, match):
    with pytest.raises(ValueError, match=match):
        projection.project(z, method)
