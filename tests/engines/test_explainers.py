"""LIME, SHAP, gradient × input and the surrogate tree against oracles: closed forms for linear models,
exact Shapley values by enumeration, finite differences, torch's own Adam, hand-computed fidelity."""
import numpy as np
import pytest
import torch

from explorer.engines import explainers as ex
from explorer.engines import explainers_images as ei
from explorer.engines import explainers_tabular as et
from explorer.engines import zoo


@pytest.fixture(scope="module")
def cancer():
    return et.train(et.Config(dataset="cancer"))


@pytest.fixture(scope="module")
def wine():
    return et.train(et.Config(dataset="wine"))


# -- configs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,field", [
    (lambda: et.Config(dataset="iris"), "dataset"),
    (lambda: et.Config(hidden=1), "hidden"),
    (lambda: et.Config(seed=-1), "seed"),
    (lambda: ex.Config(lime_samples=10), "lime_samples"),
    (lambda: ex.Config(shap="tree"), "shap"),
    (lambda: ex.Config(background=0), "background"),
    (lambda: ei.Config(segments=2), "segments"),
    (lambda: ei.Config(segmenter="quickshift"), "segmenter"),
    (lambda: ei.Config(baseline="white"), "baseline"),
])
def test_configs_reject_bad_values_naming_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()


# -- the tabular network ------------------------------------------------------------------------------------------
def test_the_hand_written_adam_is_torchs_adam():
    cfg = et.Config(dataset="wine", epochs=5)
    mine = et.train(cfg).net
    d = et.table("wine")
    net = et.MLP(13, 3, cfg.hidden, d.mean, d.std, torch.Generator().manual_seed(cfg.seed))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x, y = torch.tensor(d.x_train, dtype=torch.float32), torch.tensor(d.y_train)
    for _ in range(cfg.epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    for a, b in zip(mine.parameters(), net.parameters()):
        torch.testing.assert_close(a, b.detach(), rtol=1e-5, atol=1e-6)


def test_network_is_accurate_and_deterministic(cancer):
    assert cancer.test_acc > 0.9 and cancer.train_acc > 0.95
    et.train.cache_clear()
    again = et.train(et.Config(dataset="cancer"))
    assert again is not cancer
    for a, b in zip(again.net.parameters(), cancer.net.parameters()):
        assert torch.equal(a, b)
    p = cancer.predict_proba(cancer.data.x_test[:5])
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)


# -- SHAP ------------------------------------------------------------------------------------------------------------
def test_exact_shapley_of_a_linear_model_is_w_times_x_minus_the_background_mean():
    rng = np.random.default_rng(1)
    w, bg, x = rng.normal(size=5), rng.normal(size=(7, 5)), rng.normal(size=5)
    phi = ex.exact_shapley(lambda a: a @ w + 2.0, x, bg)
    np.testing.assert_allclose(phi, w * (x - bg.mean(0)), atol=1e-12)


def test_exact_shapley_splits_an_interaction_evenly():
    phi = ex.exact_shapley(lambda a: a[:, 0] * a[:, 1], np.array([2.0, 3.0, 5.0]), np.zeros((1, 3)))
    np.testing.assert_allclose(phi, [3.0, 3.0, 0.0], atol=1e-12)


def test_kernel_shap_with_every_coalition_is_the_exact_shapley_value(wine):
    x, target = wine.data.x_test[3], 1
    bg = ex.background(wine, 4, seed=0)
    fn = lambda a: wine.predict_proba(a)[:, target]  # noqa: E731
    phi, expected = ex.kernel_shap(fn, x, bg, samples=2**13, seed=0)
    np.testing.assert_allclose(phi, ex.exact_shapley(fn, x, bg), atol=1e-6)
    assert expected == pytest.approx(fn(bg).mean(), abs=1e-9)


@pytest.mark.parametrize("kind,tol", [("kernel", 1e-9), ("deep", 1e-5), ("gradient", 0.2)])
def test_shap_local_accuracy(cancer, kind, tol):
    """E[f(background)] + Σφ = f(x): exact for Kernel and Deep SHAP, approximately for Gradient SHAP."""
    x = cancer.data.x_test[7]
    target = int(cancer.predict(x)[0])
    r = ex.shap_tabular(cancer, x, target, ex.Config(shap=kind, shap_samples=200, background=10))
    assert r.fx == pytest.approx(cancer.predict_proba(x)[0, target], abs=1e-12)
    with torch.no_grad():
        bg = torch.tensor(ex.background(cancer, 10, 0), dtype=torch.float32)
        expected = torch.softmax(cancer.net(bg), 1)[:, target].double().mean().item()
    assert r.expected == pytest.approx(expected, abs=1e-6)
    assert r.additivity_error < tol
    assert np.abs(r.values).sum() > 1e-4


def test_kernel_shap_is_seeded_and_leaves_numpys_global_generator_alone(cancer):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    cfg = ex.Config(shap_samples=100)
    x = cancer.data.x_test[2]
    a = ex.shap_tabular(cancer, x, 0, cfg).values
    b = ex.shap_tabular(cancer, x, 0, cfg).values
    c = ex.shap_tabular(cancer, x, 0, ex.Config(shap_samples=100, seed=5)).values
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# -- LIME ------------------------------------------------------------------------------------------------------------
def test_lime_recovers_a_known_linear_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1, 2, 0.5, 3] + [0, 1, 2, 3]
    w = np.array([1.0, -2.0, 0.5, 0.0])
    fn = lambda a: a @ w + 0.3  # noqa: E731
    x = X[5]
    r = ex.lime_tabular(fn, X, x, 0, ("a", "b", "c", "d"), 5000, seed=0, discretize=False, mode="regression")
    np.testing.assert_allclose(r.coef, w * X.std(0), rtol=5e-3, atol=1e-3)       # per standardized unit
    np.testing.assert_allclose(r.contrib, w * (x - X.mean(0)), rtol=5e-3, atol=1e-3)
    assert r.local_pred == pytest.approx(fn(x), abs=0.02) and r.score > 0.999
    assert r.local_pred == pytest.approx(r.intercept + r.contrib.sum(), abs=1e-9)


def test_lime_on_the_network_is_seeded_and_self_consistent(cancer):
    x = cancer.data.x_test[0]
    a = ex.lime_tabular(cancer.predict_proba, cancer.data.x_train, x, 1, cancer.data.features, 300, seed=0)
    b = ex.lime_tabular(cancer.predict_proba, cancer.data.x_train, x, 1, cancer.data.features, 300, seed=0)
    c = ex.lime_tabular(cancer.predict_proba, cancer.data.x_train, x, 1, cancer.data.features, 300, seed=1)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.allclose(a.coef, c.coef)
    assert a.local_pred == pytest.approx(a.intercept + a.contrib.sum(), abs=1e-9)  # LIME's own prediction
    assert a.fx == pytest.approx(cancer.predict_proba(x)[0, 1])
    assert all(f in cond for f, cond in zip(cancer.data.features, a.conditions))
    assert any("<" in cond or ">" in cond for cond in a.conditions)  # quartile rules


# -- gradient × input ---------------------------------------------------------------------------------------------
def test_grad_input_matches_finite_differences(wine):
    x, t = wine.data.x_test[1], 0
    gi = ex.grad_input(wine, x, t)
    d = wine.data
    z = (x - d.mean) / d.std
    h = 1e-3
    fd = np.zeros_like(z)
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = h
        up = wine.predict_proba((z + e) * d.std + d.mean)[0, t]
        dn = wine.predict_proba((z - e) * d.std + d.mean)[0, t]
        fd[i] = (up - dn) / (2 * h)
    np.testing.assert_allclose(gi, fd * z, atol=2e-4)


# -- the surrogate tree -----------------------------------------------------------------------------------------------
def test_fidelity_is_the_share_of_rows_where_tree_and_network_agree():
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    net = ((x[:, 0] > 0.2) & (x[:, 2] < 0.5)).astype(int)  # a rule a depth-2 tree can copy exactly
    deep = DecisionTreeClassifier(max_depth=2, random_state=0).fit(x[:300], net[:300])
    assert ex.fidelity(deep, x[300:], net[300:]) == 1.0
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(x[:300], net[:300])
    pred = stump.predict(x[300:])
    assert ex.fidelity(stump, x[300:], net[300:]) == pytest.approx(np.mean(pred == net[300:]))
    assert ex.fidelity(stump, x[300:], 1 - pred) == 0.0


def test_surrogate_fidelity_against_a_hand_count(cancer):
    s = ex.fit_surrogate(cancer, 3)
    d = cancer.data
    net = cancer.predict(d.x_test)
    tree = s.tree.predict(d.x_test)
    agree = sum(int(a == b) for a, b in zip(tree, net))
    assert s.fidelity_test == pytest.approx(agree / len(net))
    assert s.acc_test == pytest.approx(np.mean(tree == d.y_test))
    assert s.importances.sum() == pytest.approx(1.0)
    assert s.n_leaves <= 8


def test_fidelity_on_training_rows_never_falls_with_depth(cancer):
    fc = ex.fidelity_curve(cancer, tuple(range(1, 9)))
    assert (np.diff(fc["fidelity_train"]) >= -1e-12).all()
    assert fc["fidelity_train"][-1] == 1.0
    assert (np.diff(fc["leaves"]) >= 0).all()


def test_path_contributions_sum_from_the_root_to_the_leaf(wine):
    s = ex.fit_surrogate(wine, 4)
    for r in range(5):
        x = wine.data.x_test[r]
        for t in range(3):
            c, root, leaf = ex.path_contributions(s.tree, x, t, 13)
            col = ex.tree_class_index(s.tree, t)
            assert leaf == pytest.approx(s.tree.predict_proba(x[None])[0, col])
            assert root + c.sum() == pytest.approx(leaf)
            used = set(s.tree.tree_.feature[ex.decision_path(s.tree, x)[:-1]])
            assert set(np.flatnonzero(c)) <= used


def test_tree_nodes_have_consistent_depths(wine):
    n = ex.tree_nodes(ex.fit_surrogate(wine, 3).tree)
    assert n.depth.max() <= 3 and n.depth[0] == 0
    for i in range(len(n.left)):
        if n.left[i] >= 0:
            assert n.depth[n.left[i]] == n.depth[i] + 1 == n.depth[n.right[i]]
            assert n.samples[i] == n.samples[n.left[i]] + n.samples[n.right[i]]
    np.testing.assert_allclose(n.probs.sum(1), 1.0)


# -- agreement -------------------------------------------------------------------------------------------------------
def test_agreement_measures():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=10), rng.normal(size=10)
    assert ex.rank_corr(a, b) == pytest.approx(spearmanr(a, b).statistic)
    assert ex.rank_corr(a, 3 * a + 1) == pytest.approx(1.0) and ex.rank_corr(a, -a) == pytest.approx(-1.0)
    assert np.isnan(ex.rank_corr(a, np.zeros(10)))
    assert ex.topk_overlap([5, -4, 0, 0, 1], [-9, 0, 0, 3, 0], 2) == 0.5
    rho, over = ex.agreement(np.stack([a, a, -a]), 3)
    assert rho[0, 1] == pytest.approx(1) and rho[0, 2] == pytest.approx(-1) and over[0, 2] == 1.0


def test_explain_row_is_deterministic_and_compare_rows_summarizes(cancer):
    s = ex.fit_surrogate(cancer, 3)
    cfg = ex.Config(lime_samples=200, shap_samples=100, background=5)
    a = ex.explain_row(cancer, cancer.data.x_test[4], cfg, s)
    b = ex.explain_row(cancer, cancer.data.x_test[4], cfg, s)
    np.testing.assert_array_equal(a.attrs, b.attrs)
    assert a.attrs.shape == (4, 30) and a.target == int(cancer.predict(cancer.data.x_test[4])[0])
    res = ex.compare_rows(cancer, np.array([0, 5, 9]), cfg, s, k=5)
    assert res.attrs.shape == (3, 4, 30) and res.rho.shape == (3, 6) and res.overlap.shape == (3, 6)
    np.testing.assert_allclose(res.importance.sum(1), 1.0)
    np.testing.assert_array_equal(res.attrs[1], ex.explain_row(cancer, cancer.data.x_test[5], cfg, s).attrs)


# -- images ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lenet():
    return ei.prob_net(zoo.reference_model("lenet", "mnist"))


@pytest.fixture(scope="module")
def digit():
    return zoo.data_for("mnist").x_test[6]


def test_prob_net_is_the_zoo_model_with_a_softmax(lenet, digit):
    ref = zoo.reference_model("lenet", "mnist")
    x = zoo.data_for("mnist").x_test[:8]
    with torch.no_grad():
        want = torch.softmax(ref(torch.tensor(x)), 1).double().numpy()
    np.testing.assert_allclose(ei.probs(lenet, x), want, atol=1e-6)


@pytest.mark.parametrize("method,n,lo,hi", [("slic", 25, 12, 40), ("slic", 9, 4, 16), ("grid", 25, 25, 25),
                                             ("grid", 16, 16, 16)])
def test_segments_are_consecutive_labels_in_a_sensible_number(digit, method, n, lo, hi):
    seg = ei.segment(digit, method, n)
    assert seg.shape == (28, 28)
    k = seg.max() + 1
    assert lo <= k <= hi
    assert set(np.unique(seg)) == set(range(k))


def test_deep_shap_on_the_digit_is_additive_and_per_segment_keeps_the_total(lenet, digit):
    bg = ei.background_images(zoo.data_for("mnist").x_train, 8, 0)
    r = ei.shap_image(lenet, digit, 2, bg, "deep", 50, 0)
    assert r.values.shape == (28, 28)
    assert r.additivity_error < 1e-5
    seg = ei.segment(digit, "grid", 16)
    assert ei.per_segment(r.values, seg).sum() == pytest.approx(r.values.sum())


def test_grad_input_image_matches_finite_differences(lenet, digit):
    gi = ei.grad_input_image(lenet, digit, 2)
    x = torch.tensor(digit[None], dtype=torch.float64)
    net64 = lenet.double()
    try:
        for r, c in [(10, 14), (14, 10), (20, 15)]:
            e = torch.zeros_like(x)
            e[0, 0, r, c] = 1e-4
            with torch.no_grad():
                fd = (net64(x + e)[0, 2] - net64(x - e)[0, 2]).item() / 2e-4
            assert gi[r, c] == pytest.approx(fd * digit[0, r, c], abs=1e-4)
    finally:
        lenet.float()


def test_lime_on_the_digit_is_seeded_and_explains_by_region(lenet, digit):
    seg = ei.segment(digit, "grid", 16)
    a = ei.lime_image(lenet, digit, 2, seg, 100, seed=0)
    b = ei.lime_image(lenet, digit, 2, seg, 100, seed=0)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.weights.shape == (16,) and 0 <= a.score <= 1
    # the four corner squares of a centred digit are empty: blacking them out changes nothing
    corners = [0, 3, 12, 15]
    assert np.abs(a.weights[corners]).max() < 0.2 * np.abs(a.weights).max()


def test_explain_image_bundles_the_methods(lenet, digit):
    e = ei.explain_image(lenet, digit, zoo.data_for("mnist").x_train,
                         ei.Config(segmenter="grid", segments=16, lime_samples=100, background=5, baseline="black"))
    assert e.by_segment.shape == (3, 16) and e.target == int(e.probs.argmax())
    assert e.shap.expected == pytest.approx(ei.probs(lenet, np.zeros((1, 1, 28, 28)))[0, e.target], abs=1e-6)
