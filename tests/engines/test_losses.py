"""The losses engine against oracles: torch's own losses, finite differences, closed forms, LP."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import linprog, minimize

from explorer.engines import losses as L

R = torch.linspace(-4, 4, 161, dtype=torch.float64)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny batched models: one thread is fastest, and more oversubscribe a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("delta", [0.1, 1.0, 2.5])
def test_huber_matches_torch(delta):
    ours = L.regression_loss("huber", R, delta)
    ref = F.huber_loss(R, torch.zeros_like(R), delta=delta, reduction="none")
    torch.testing.assert_close(ours, ref)


def test_mse_and_mae_match_torch():
    torch.testing.assert_close(L.regression_loss("mse", R), F.mse_loss(R, torch.zeros_like(R), reduction="none"))
    torch.testing.assert_close(L.regression_loss("mae", R), F.l1_loss(R, torch.zeros_like(R), reduction="none"))


def test_focal_with_gamma_zero_is_cross_entropy():
    logits = torch.linspace(-30, 30, 241, dtype=torch.float64)
    for label in (0.0, 1.0):
        y = torch.full_like(logits, label)
        ref = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
        m = (2 * y - 1) * logits
        torch.testing.assert_close(L.margin_loss("focal", m, 0.0), ref)
        torch.testing.assert_close(L.margin_loss("ce", m), ref)


def test_focal_matches_its_definition_and_shrinks_easy_examples():
    m = torch.linspace(-3, 3, 61, dtype=torch.float64)
    p = torch.sigmoid(m)
    for gamma in (0.5, 2.0, 5.0):
        ref = -(1 - p) ** gamma * torch.log(p)
        torch.testing.assert_close(L.margin_loss("focal", m, gamma), ref)
    easy = torch.tensor([3.0], dtype=torch.float64)
    assert L.margin_loss("focal", easy, 2.0) < 0.01 * L.margin_loss("ce", easy)


def test_hinge_family_values():
    m = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], dtype=torch.float64)
    assert L.margin_loss("hinge", m).tolist() == [2.0, 1.0, 0.5, 0.0, 0.0]
    assert L.margin_loss("sq_hinge", m).tolist() == [4.0, 1.0, 0.25, 0.0, 0.0]
    assert L.margin_loss("zero_one", m).tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("name,kw", [("ce", {}), ("focal", {"gamma": 2.0}), ("focal", {"gamma": 0.7}),
                                     ("sq_hinge", {})])
def test_margin_loss_gradients_match_finite_differences(name, kw):
    m = torch.tensor([-2.3, -0.4, 0.3, 1.7], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: L.margin_loss(name, t, **kw), (m,))


@pytest.mark.parametrize("weights", [(1.0, 0.0, 0.0), (0.2, 0.3, 0.5), (0.0, 0.0, 1.0)])
def test_regression_loss_gradients_match_finite_differences(weights):
    r = torch.tensor([-3.1, -0.6, 0.2, 0.9, 2.4], dtype=torch.float64, requires_grad=True)  # away from kinks
    assert torch.autograd.gradcheck(lambda t: L.mixed_regression_loss(t, weights, 1.0), (r,))


def test_curves_derivatives_match_numpy_gradient():
    grid = np.linspace(-3, 3, 6001)
    c = L.curves("margin", grid, gamma=2.0, weights=(0.3, 0.3, 0.4))
    for name in ("ce", "focal", "custom"):
        loss, der = c[name]
        num = np.gradient(loss, grid)
        inner = np.abs(grid - 1.0) > 0.01  # the custom loss has hinge's kink at m = 1
        np.testing.assert_allclose(der[inner][5:-5], num[inner][5:-5], atol=2e-3)
    assert "custom" not in L.curves("regression", grid, weights=(0, 0, 0))


def test_custom_loss_is_the_weighted_sum():
    m = torch.linspace(-2, 2, 9, dtype=torch.float64)
    w = (0.2, 0.5, 0.3)
    ref = 0.2 * L.margin_loss("ce", m) + 0.5 * L.margin_loss("hinge", m) + 0.3 * L.margin_loss("focal", m, 1.5)
    torch.testing.assert_close(L.mixed_margin_loss(m, w, 1.5), ref)


# -- robust fits ------------------------------------------------------------------------------------
CFG = L.RobustConfig(n_points=25, outlier_y=-9.0, outliers=2, seed=3)


@pytest.mark.parametrize("degree", [0, 1, 3])
def test_mse_fit_is_least_squares(degree):
    cfg = L.RobustConfig(degree=degree, outlier_y=7.0, seed=1)
    x, y, _ = L.robust_data(cfg)
    X = np.vander(x, degree + 1, increasing=True)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(L.fit_robust(cfg).coef["mse"], ref, atol=1e-9)


def _lad(x, y, degree):
    X = np.vander(x, degree + 1, increasing=True)
    n, p = X.shape
    c = np.r_[np.zeros(p), np.ones(n) / n]
    a = np.block([[X, -np.eye(n)], [-X, -np.eye(n)]])
    res = linprog(c, A_ub=a, b_ub=np.r_[y, -y], bounds=[(None, None)] * p + [(0, None)] * n)
    return res.x[:p], res.fun


@pytest.mark.parametrize("degree", [1, 2])
def test_mae_fit_matches_the_linear_program(degree):
    cfg = L.RobustConfig(**{**CFG.__dict__, "degree": degree})
    x, y, _ = L.robust_data(cfg)
    fit = L.fit_robust(cfg)
    coef, best = _lad(x, y, degree)
    assert fit.objective["mae"] == pytest.approx(best, rel=1e-6)
    np.testing.assert_allclose(fit.coef["mae"], coef, atol=1e-3)


def test_mae_constant_is_the_median_and_mse_constant_the_mean():
    cfg = L.RobustConfig(n_points=20, degree=0, outlier_y=12.0, outliers=3)  # 23 points: unique median
    fit = L.fit_robust(cfg)
    assert fit.coef["mae"][0] == pytest.approx(np.median(fit.y), abs=1e-6)
    assert fit.coef["mse"][0] == pytest.approx(np.mean(fit.y), abs=1e-12)


def test_huber_fit_matches_a_general_minimizer():
    x, y, _ = L.robust_data(CFG)
    X = np.vander(x, 2, increasing=True)

    def obj(b):
        r = y - X @ b
        a = np.abs(r)
        return np.mean(np.where(a <= CFG.delta, 0.5 * r * r, CFG.delta * (a - 0.5 * CFG.delta)))

    ref = minimize(obj, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14,
                                                                     "maxiter": 20000}).x
    np.testing.assert_allclose(L.fit_robust(CFG).coef["huber"], ref, atol=1e-6)


def test_custom_fit_is_a_minimum():
    cfg = L.RobustConfig(**{**CFG.__dict__, "w_mse": 0.2, "w_mae": 0.3, "w_huber": 0.5})
    fit = L.fit_robust(cfg)
    x, y, _ = L.robust_data(cfg)
    X = torch.tensor(np.vander(x, 2, increasing=True))
    rng = np.random.default_rng(0)
    base = fit.objective["custom"]
    for _ in range(50):
        b = torch.tensor(fit.coef["custom"] + rng.normal(0, 1e-3, 2))
        assert L.mixed_regression_loss(torch.tensor(y) - X @ b, cfg.weights, cfg.delta).mean().item() >= base - 1e-12


def test_robust_losses_resist_the_outlier_and_mse_does_not():
    fit = L.fit_robust(CFG)
    true = np.array([0.5, 1.2])
    err = {n: np.abs(fit.coef[n] - true).max() for n in ("mse", "mae", "huber")}
    assert err["mse"] > 3 * max(err["mae"], err["huber"])
    assert fit.outlier_share("mse") > fit.outlier_share("huber") > fit.outlier_share("mae")


def test_irls_never_increases_the_objective():
    x, y, _ = L.robust_data(CFG)
    fn = L.fit_losses(CFG)["huber"]
    X = L.design(x, 1)
    yt = torch.tensor(y)
    objs = []
    beta = torch.linalg.lstsq(X, yt.unsqueeze(1)).solution[:, 0]
    for _ in range(15):
        objs.append(fn(yt - X @ beta).mean().item())
        sw = L.irls_weights(fn, yt - X @ beta).sqrt()
        beta = torch.linalg.lstsq(sw[:, None] * X, (sw * yt).unsqueeze(1)).solution[:, 0]
    assert all(b <= a + 1e-12 for a, b in zip(objs, objs[1:]))


def test_robust_data_is_deterministic_and_config_is_validated():
    a, b = L.robust_data(CFG), L.robust_data(CFG)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    with pytest.raises(ValueError, match="^delta:"):
        L.RobustConfig(delta=0)
    with pytest.raises(ValueError, match="^outlier_y:"):
        L.RobustConfig(outlier_y=float("nan"))
    with pytest.raises(ValueError, match="^degree:"):
        L.RobustConfig(degree=4)


# -- imbalanced classification ------------------------------------------------------------------------
SMALL = L.ImbalanceConfig(n_points=120, steps=80, hidden=4)


def test_batched_table_matches_the_single_losses():
    cfg = L.ImbalanceConfig(gamma=1.5, alpha=0.7, w_ce=0.2, w_hinge=0.3, w_focal=0.5)
    table = L.model_table(cfg)
    assert table.names[:3] == ("ce", "focal", "custom") and len(table.names) == 3 + len(L.SWEEP_GAMMAS)
    z = torch.randn(len(table.names), 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = (torch.arange(20) % 3 == 0).double()
    out = table.loss(z, y)
    m = (2 * y - 1) * z
    w = torch.where(y > 0.5, 1.4, 0.6).double()
    torch.testing.assert_close(out[0], L.margin_loss("ce", m[0]))
    torch.testing.assert_close(out[1], w * L.margin_loss("focal", m[1], 1.5))
    torch.testing.assert_close(out[2], 0.2 * L.margin_loss("ce", m[2]) + 0.3 * L.margin_loss("hinge", m[2])
                               + 0.5 * w * L.margin_loss("focal", m[2], 1.5))


def test_metrics_by_hand():
    y = np.array([0, 0, 0, 1, 1])
    logits = np.array([-1.0, 2.0, -3.0, 1.0, -0.5])
    m = L.classification_metrics(y, logits)
    assert m["recall_0"] == pytest.approx(2 / 3) and m["precision_0"] == pytest.approx(2 / 3)
    assert m["recall_1"] == pytest.approx(1 / 2) and m["precision_1"] == pytest.approx(1 / 2)
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert np.isnan(L.classification_metrics(y, -np.ones(5))["precision_1"])


def test_training_lowers_the_loss_and_is_deterministic():
    a, b = L.train_imbalanced(SMALL), L.train_imbalanced(SMALL)
    np.testing.assert_array_equal(a.params, b.params)
    assert (a.losses[:, -1] < a.losses[:, 0]).all()
    assert set(a.names) == {"ce", "focal", "custom"}
    xs, ys, p = a.probabilities(20)
    assert p.shape == (3, 20, 20) and ((p >= 0) & (p <= 1)).all()


def test_imbalanced_data_has_the_ratio():
    xtr, ytr, xte, yte = L.imbalanced_data(L.ImbalanceConfig(n_points=220, ratio=10))
    assert ytr.sum() == 20 and len(ytr) == 220 and abs(yte.mean() - 1 / 11) < 0.01


def test_gamma_makes_the_classifier_less_confident():
    res = L.train_imbalanced(L.ImbalanceConfig())
    assert res.sweep_confidence[-1] < res.sweep_confidence[0] - 0.05
    assert res.confidence["focal"] < res.confidence["ce"]
    assert res.sweep_recall[-1] > res.sweep_recall[0]  # the rare class gains recall at γ = 5


def test_alpha_moves_the_boundary_towards_the_minority():
    lo = L.train_imbalanced(L.ImbalanceConfig(alpha=0.5, gamma=0.0))
    hi = L.train_imbalanced(L.ImbalanceConfig(alpha=0.9, gamma=0.0))
    assert hi.metrics["focal"]["recall_1"] > lo.metrics["focal"]["recall_1"] + 0.1
    np.testing.assert_allclose(lo.params[0], lo.params[1], atol=1e-6)  # α = 0.5, γ = 0 is plain CE


def test_no_custom_model_when_all_weights_are_zero():
    res = L.train_imbalanced(L.ImbalanceConfig(n_points=80, steps=5, w_ce=0, w_hinge=0, w_focal=0))
    assert res.names == ("ce", "focal") and res.params.shape[0] == 2
    with pytest.raises(ValueError, match="^alpha:"):
        L.ImbalanceConfig(alpha=1.0)
