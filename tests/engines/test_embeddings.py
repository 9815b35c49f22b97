"""The latent-space explorer's engine: activations against a manual forward, predictions against
torch's cross-entropy, PCA against scikit-learn, faithfulness scores against sklearn and known cases."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness as sk_trust

from explorer.engines import embeddings as emb
from explorer.engines import projection, zoo


@pytest.fixture(scope="module")
def lenet():
    return zoo.build("lenet", 1, 10, seed=3)  # untrained: the hooks do not care, and it costs nothing


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((7, 1, 28, 28)).astype(np.float32)


def manual(m, x):
    """LeNet's forward spelled out, every intermediate kept."""
    h0 = m.input_norm(torch.tensor(x))
    r1 = m.relu1(m.conv1(h0))
    p1 = m.pool1(r1)
    r2 = m.relu2(m.conv2(p1))
    p2 = m.pool2(r2)
    f2 = F.relu(m.fc2(F.relu(m.fc1(p2.flatten(1)))))
    return {"relu1": r1, "pool1": p1, "relu2": r2, "pool2": p2, "penultimate": f2, "fc3": m.fc3(f2)}


@pytest.mark.parametrize("batch", [2, 3, 500])
def test_activations_equal_a_manual_forward_of_the_sub_network(lenet, images, batch):
    want = {k: v.detach().flatten(1).numpy() for k, v in manual(lenet, images).items()}
    for name in ("relu1", "pool1", "relu2", "pool2", "fc3"):
        got = emb.activations(lenet, lenet.get_submodule(name), images, batch=batch)
        assert got.shape == (7, want[name].shape[1]) and got.dtype == np.float32
        np.testing.assert_allclose(got, want[name], rtol=1e-4, atol=1e-4)  # batch-size float noise
    pen = emb.activations(lenet, emb.InputOf(lenet.fc3), images, batch=batch)
    assert pen.shape == (7, 84)
    np.testing.assert_allclose(pen, want["penultimate"], rtol=1e-4, atol=1e-4)
    assert not lenet.relu1._forward_hooks and not lenet.fc3._forward_pre_hooks  # hooks removed


def test_a_layer_off_the_models_path_is_refused(lenet, images):
    stray = torch.nn.ReLU()
    with pytest.raises(ValueError, match="tap"):
        emb.activations(lenet, stray, images)
    assert not stray._forward_hooks


def test_predictions_use_cross_entropy_per_example(lenet, images):
    y = np.array([0, 1, 2, 3, 4, 5, 6])
    p = emb.predictions(lenet, images, y, batch=3)
    logits = lenet(torch.tensor(images)).double()
    want = F.cross_entropy(logits, torch.tensor(y), reduction="none").detach().numpy()
    np.testing.assert_allclose(p.loss, want, rtol=1e-6)
    np.testing.assert_allclose(p.loss, -np.log(p.prob[np.arange(7), y]), rtol=1e-4)
    np.testing.assert_array_equal(p.pred, logits.argmax(1).numpy())
    assert p.accuracy == pytest.approx(np.mean(p.pred == y))
    np.testing.assert_allclose(p.prob.sum(1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="y"):
        emb.predictions(lenet, images, np.full(7, 10))


def low_rank(n, d, seed=0):
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(4, d))
    return (rng.normal(size=(n, 4)) * [9.0, 5.0, 2.0, 1.0]) @ basis + 0.01 * rng.normal(size=(n, d))


@pytest.mark.parametrize("d", [20, 1500])  # exact covariance route and the randomized one
def test_pca_matches_sklearn_up_to_sign(d):
    z = low_rank(300, d).astype(np.float32)
    scores, ratio = projection.pca(z, 2)
    sk = PCA(2).fit(z)
    ref = sk.transform(z)
    for j in range(2):
        s = np.sign(np.dot(scores[:, j], ref[:, j]))
        np.testing.assert_allclose(scores[:, j], s * ref[:, j], rtol=1e-3, atol=1e-3 * np.abs(ref[:, j]).max())
    np.testing.assert_allclose(ratio, sk.explained_variance_ratio_, rtol=1e-4)


def test_embed_pca_reports_the_variance_of_its_axes():
    z = low_rank(200, 30)
    e = emb.embed(z, emb.Config(n=200))
    assert e.xy.shape == (200, 2) and e.dims == 30 and e.reduced_to == 30
    np.testing.assert_allclose(e.explained, PCA(2).fit(z).explained_variance_ratio_, rtol=1e-4)
    assert e.xy[:, 0].var() >= e.xy[:, 1].var()


def test_wide_inputs_are_reduced_before_tsne_and_the_map_is_deterministic_by_seed():
    z = low_rank(60, 80)
    a = emb.embed(z, emb.Config(n=60, method="tsne", perplexity=5, seed=1))
    assert a.reduced_to == 50 and a.dims == 80 and np.isnan(a.explained).all()
    # exactly t-SNE of the top-50 PCA scores, run again from scratch: same seed, same map
    np.testing.assert_array_equal(a.xy, projection.project(projection.pca(z.astype(np.float32), 50, 1)[0], "tsne", 1,
                                                           perplexity=5))


def test_reduce_keeps_narrow_inputs_and_bad_inputs_are_refused():
    z = low_rank(60, 10).astype(np.float32)
    assert emb.reduce(z, 50) is z or np.array_equal(emb.reduce(z, 50), z)
    assert emb.reduce(low_rank(60, 90), 5).shape == (60, 5)
    bad = z.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        emb.embed(bad, emb.Config(n=60))


def test_trustworthiness_matches_sklearn():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(80, 12))
    xy = z[:, :2] + 0.5 * rng.normal(size=(80, 2))
    for k in (1, 5, 10):
        assert emb.trustworthiness(z, xy, k) == pytest.approx(sk_trust(z, xy, n_neighbors=k), abs=1e-12)


def test_an_isometric_map_is_perfectly_faithful():
    rng = np.random.default_rng(5)
    pts = rng.normal(size=(150, 2))
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    xy = 3.0 * pts @ rot.T + [4.0, -1.0]  # rotated, scaled, shifted: every neighbourhood is kept
    f = emb.faithfulness(pts, xy, k=7)
    assert f.trust == pytest.approx(1.0) and f.kept_mean == pytest.approx(1.0)
    np.testing.assert_allclose(f.kept, 1.0)


def test_a_map_that_swaps_two_far_groups_keeps_only_what_it_keeps():
    # two tight pairs on a line: a map that pairs 0 with 2 and 1 with 3 keeps no 1-NN at all
    z = np.array([[0.0], [0.1], [10.0], [10.1], [20.0]])
    xy = np.array([[0.0, 0], [10.0, 0], [0.1, 0], [10.1, 0], [20.0, 0]])
    kept = emb.knn_kept(z, xy, k=1)
    np.testing.assert_array_equal(kept[:4], [0, 0, 0, 0])
    assert emb.trustworthiness(z, xy, 1) < emb.trustworthiness(z, z @ [[1.0, 0.0]], 1) == 1.0


def test_faithfulness_scores_a_seeded_subsample_of_large_sets():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(300, 5))
    a = emb.faithfulness(z, z[:, :2], k=5, seed=1, max_n=100)
    b = emb.faithfulness(z, z[:, :2], k=5, seed=1, max_n=100)
    assert len(a.idx) == 100 and np.array_equal(a.idx, b.idx) and a.trust == b.trust
    assert 0.5 < a.trust < 1.0


def test_neighbours_are_the_nearest_rows_in_order():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(50, 6))
    d = ((z - z[9]) ** 2).sum(1)
    d[9] = np.inf
    np.testing.assert_array_equal(emb.neighbours(z, 9, 5), np.argsort(d)[:5])
    assert set(emb.neighbours(z[:4], 0, 8)) == {1, 2, 3}


@pytest.mark.parametrize("field,value", [("n", 2), ("n", 5001), ("method", "lda"), ("perplexity", 1.0),
                                         ("perplexity", float("nan")), ("n_neighbors", 1), ("seed", -1),
                                         ("k", 0), ("pre_dims", 1)])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        emb.Config(**{field: value})
