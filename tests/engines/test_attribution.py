"""The attribution engines: each method against an independent oracle (autograd, closed forms, a
hand-written loop), IG's completeness, DeepLIFT's summation-to-delta, determinism, the sanity
check and the object-mask score on the zoo's trained LeNet."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.stats import spearmanr

from explorer.engines import attribution as A
from explorer.engines import attribution_eval as E
from explorer.engines import zoo


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class Tiny(nn.Module):
    """conv → ReLU (a module, Grad-CAM's layer) → max-pool-free head with functional ReLUs."""

    def __init__(self, c: int = 1, smooth: bool = False, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(c, 4, 3, padding=1)
        self.act = nn.Softplus() if smooth else nn.ReLU()
        self.fc1, self.fc2 = nn.Linear(4 * 8 * 8, 16), nn.Linear(16, 3)
        self.smooth = smooth
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        self.eval()

    def tap_modules(self):
        return [("conv", self.act)]

    def forward(self, x):
        h = self.act(self.conv(x)).flatten(1)
        h = F.softplus(self.fc1(h)) if self.smooth else F.relu(self.fc1(h))
        return self.fc2(h)


def image(c=1, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (c, 8, 8)).astype(np.float32)


def run(method, model, x, target, base=None, **kw):
    cfg = A.Config(methods=(method,), **kw)
    b = torch.zeros(1, *x.shape) if base is None else torch.tensor(base)[None]
    raw, sums = A.run_method(method, model, torch.tensor(x)[None], target, b, cfg)
    return raw[0], sums[0]


# -- config ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,field", [
    (dict(methods=()), "methods"), (dict(methods=("saliency", "magic")), "methods"),
    (dict(methods=("ig", "ig")), "methods"), (dict(baseline="white"), "baseline"), (dict(steps=1), "steps"),
    (dict(steps=10_000), "steps"), (dict(rule="simpson"), "rule"), (dict(samples=0), "samples"),
    (dict(sigma=float("nan")), "sigma"), (dict(sigma=2.0), "sigma"), (dict(window=0), "window"),
    (dict(window=4, stride=5), "stride"), (dict(seed=-1), "seed"), (dict(steps=True), "steps"),
])
def test_config_rejects_bad_values_naming_the_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        A.Config(**kw)


# -- oracles --------------------------------------------------------------------------------------------
def test_saliency_equals_the_autograd_input_gradient():
    model, x = Tiny(c=3), image(c=3)
    xt = torch.tensor(x)[None].requires_grad_(True)
    model(xt)[0, 2].backward()
    raw, _ = run("saliency", model, x, 2)
    np.testing.assert_allclose(raw, xt.grad[0].numpy(), rtol=1e-6, atol=1e-8)
    signed, mag = A.per_pixel("saliency", raw)
    np.testing.assert_allclose(signed, xt.grad[0].sum(0).numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mag, xt.grad[0].abs().sum(0).numpy(), rtol=1e-5, atol=1e-7)


def test_ig_matches_a_hand_written_riemann_sum():
    model, x = Tiny(), image()
    base = A.make_baseline(x, "blur")
    n = 16
    xt, bt = torch.tensor(x), torch.tensor(base)
    grads = []
    for k in range(1, n + 1):  # right Riemann sum: α = k/n
        p = (bt + k / n * (xt - bt))[None].requires_grad_(True)
        model(p)[0, 1].backward()
        grads.append(p.grad[0])
    want = ((xt - bt) * torch.stack(grads).mean(0)).numpy()
    raw, total = run("ig", model, x, 1, base, steps=n, rule="riemann_right")
    np.testing.assert_allclose(raw, want, rtol=1e-4, atol=1e-6)
    assert total == pytest.approx(float(want.sum()), abs=1e-5)


def test_ig_of_a_linear_model_is_weight_times_difference():
    lin = nn.Sequential(nn.Flatten(), nn.Linear(64, 3)).eval()
    x, base = image(), A.make_baseline(image(), "noise", seed=3)
    raw, total = run("ig", lin, x, 0, base, steps=2)
    want = lin[1].weight[0].detach().numpy().reshape(1, 8, 8) * (x - base)
    np.testing.assert_allclose(raw, want, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        gap = float(lin(torch.tensor(x)[None])[0, 0] - lin(torch.tensor(base)[None])[0, 0])
    assert total == pytest.approx(gap, abs=1e-5)


def test_ig_completeness_on_a_smooth_net_and_its_error_shrinks_with_steps():
    model, x = Tiny(smooth=True), image(seed=1)
    base = A.make_baseline(x, "black")
    comp = A.completeness(model, x, 0, base, steps=(2, 8, 32, 128))
    with torch.no_grad():
        gap = float(model(torch.tensor(x)[None])[0, 0] - model(torch.tensor(base)[None])[0, 0])
    assert comp.gap == pytest.approx(gap, rel=1e-6)
    np.testing.assert_allclose(comp.error, comp.sums - gap, atol=1e-5)
    err = np.abs(comp.error)
    for i, rule in enumerate(comp.rules):
        assert err[i, -1] < 1e-3 * max(1.0, abs(gap)), rule  # within tolerance at 128 steps
        assert err[i, -1] < err[i, 0], rule                     # and far better than at 2
    right, mid = comp.rules.index("riemann_right"), comp.rules.index("riemann_middle")
    assert np.all(np.diff(err[right]) < 0)  # a right sum of a smooth path: monotone convergence here
    # orders of convergence: 4× the steps cut the right sum's error ≈ 4× (O(1/n)), the midpoint's ≈ 16×
    assert 3 < err[right, -2] / err[right, -1] < 5
    assert 10 < err[mid, -2] / err[mid, -1] < 22


def test_ig_completeness_on_the_trained_lenet():
    model = zoo.session_copy(zoo.reference_model("lenet", "mnist"))
    d = zoo.data_for("mnist")
    res = A.attribute(model, d.x_test[0], None, A.Config(methods=("ig",), steps=300))
    with torch.no_grad():
        logits = model(torch.tensor(d.x_test[:1]))[0]
    assert res.target == int(logits.argmax()) and res.f_x == pytest.approx(float(logits.max()), abs=1e-5)
    assert res.f_base == pytest.approx(float(model(torch.zeros(1, 1, 28, 28))[0, res.target]), abs=1e-5)
    assert abs(res.ig_error) < 0.03 * abs(res.f_x - res.f_base)


def test_deeplift_sums_to_delta_once_functional_relus_are_modules():
    model, x = Tiny(), image(seed=2)
    base = A.make_baseline(x, "noise", seed=1)
    gm = A.modular(model)
    xb = torch.tensor(np.stack([x, base]))
    torch.testing.assert_close(gm(xb), model(xb))
    assert sum(isinstance(m, nn.ReLU) for m in gm.modules()) == 2  # conv's module + fc1's F.relu
    from captum.attr import DeepLift

    with A.quiet():
        _, plain = DeepLift(model).attribute(torch.tensor(x)[None], torch.tensor(base)[None], target=1,
                                             return_convergence_delta=True)
    _, total = run("deeplift", model, x, 1, base)
    with torch.no_grad():
        gap = float(model(xb)[0, 1] - model(xb)[1, 1])
    assert total == pytest.approx(gap, abs=1e-5)
    assert abs(float(plain)) > 100 * abs(total - gap)  # captum alone misses the functional ReLU


def test_gradcam_matches_its_formula():
    model, x = Tiny(c=3), image(c=3, seed=4)
    acts = {}
    h = model.act.register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
    out = model(torch.tensor(x)[None])
    h.remove()
    a = acts["a"]
    g, = torch.autograd.grad(out[0, 2], a)
    cam = F.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    want = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)[0].detach().numpy()
    raw, _ = run("gradcam", model, x, 2)
    np.testing.assert_allclose(raw, want, rtol=1e-5, atol=1e-7)
    assert raw.min() >= 0


def test_occlusion_matches_a_hand_written_loop():
    model, x = Tiny(c=3), image(c=3, seed=5)
    base = A.make_baseline(x, "blur")
    w = s = 4  # four non-overlapping patches: each pixel gets its own patch's drop
    raw, _ = run("occlusion", model, x, 0, base, window=w, stride=s)
    want = np.zeros((8, 8))
    with torch.no_grad():
        f0 = float(model(torch.tensor(x)[None])[0, 0])
        for r in range(0, 8, s):
            for c in range(0, 8, s):
                z = x.copy()
                z[:, r:r + w, c:c + w] = base[:, r:r + w, c:c + w]
                want[r:r + w, c:c + w] = f0 - float(model(torch.tensor(z)[None])[0, 0])
    for ch in range(3):  # captum repeats the drop on every channel; per_pixel counts it once
        np.testing.assert_allclose(raw[ch], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(A.per_pixel("occlusion", raw)[0], want, rtol=1e-5, atol=1e-6)


def test_smoothgrad_is_seeded_and_leaves_the_global_rng_alone():
    model, x = Tiny(), image(seed=6)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a, _ = run("smoothgrad", model, x, 1, samples=8, sigma=0.2, seed=1)
    b, _ = run("smoothgrad", model, x, 1, samples=8, sigma=0.2, seed=1)
    c, _ = run("smoothgrad", model, x, 1, samples=8, sigma=0.2, seed=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    zero, _ = run("smoothgrad", model, x, 1, samples=3, sigma=0.0)
    sal, _ = run("saliency", model, x, 1)
    np.testing.assert_allclose(zero, sal, rtol=1e-5, atol=1e-7)  # no noise: the plain gradient


def test_baselines():
    x = image(c=3, seed=7)
    np.testing.assert_array_equal(A.make_baseline(x, "black"), np.zeros_like(x))
    n1, n2 = A.make_baseline(x, "noise", 4), A.make_baseline(x, "noise", 4)
    np.testing.assert_array_equal(n1, n2)
    assert n1.min() >= 0 and n1.max() < 1 and not np.array_equal(n1, A.make_baseline(x, "noise", 5))
    blur = A.make_baseline(x, "blur")
    assert blur.shape == x.shape and blur.std() < 0.3 * x.std()
    assert abs(blur.mean() - x.mean()) < 0.05
    batch = A.make_baseline(np.stack([x, x]), "blur")
    np.testing.assert_allclose(batch[1], blur, atol=1e-6)  # blurred per image, never across images


def test_attribute_all_methods_leaves_the_model_clean():
    model = zoo.session_copy(zoo.reference_model("lenet", "mnist"))
    fp = zoo.fingerprint(model)
    d = zoo.data_for("mnist")
    res = A.attribute(model, d.x_test[6], 3, A.Config(steps=20, samples=5))
    assert list(res.maps) == list(A.METHODS) and res.target == 3 and res.layer == "pool2"
    for m in res.maps.values():
        assert m.signed.shape == m.magnitude.shape == (28, 28) and np.isfinite(m.signed).all()
        assert (m.magnitude >= 0).all() and m.seconds >= 0
    assert res.probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert zoo.fingerprint(model) == fp
    assert not any(m._forward_hooks or m._backward_hooks or m._forward_pre_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="^target:"):
        A.attribute(model, d.x_test[6], 10, A.Config(methods=("saliency",)))
    with pytest.raises(ValueError, match="^layer:"):
        A.attribute(model, d.x_test[6], 3, A.Config(methods=("gradcam",), layer=4))


# -- the sanity check and the mask score --------------------------------------------------------------------
def test_rank_correlation_is_spearman():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    b = a + rng.normal(size=(6, 6))
    b[0, :3] = b[0, 0]  # ties
    assert E.rank_correlation(a, b) == pytest.approx(spearmanr(a.ravel(), b.ravel())[0], abs=1e-12)
    assert np.isnan(E.rank_correlation(a, np.zeros((6, 6))))


def test_mask_mass():
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    assert E.mask_mass(np.ones((4, 4)), mask) == pytest.approx(0.25)
    assert E.mask_mass(mask * 3.0, mask) == pytest.approx(1.0)
    assert E.mask_mass(-np.ones((4, 4)), mask) == pytest.approx(0.25)  # magnitudes
    assert np.isnan(E.mask_mass(np.zeros((4, 4)), mask))
    np.testing.assert_allclose(E.mask_mass(np.stack([np.ones((4, 4)), mask * 1.0]), np.stack([mask, mask])),
                               [0.25, 1.0])


def test_layer_groups_cover_every_layer_once_from_the_top():
    lenet = zoo.build("lenet")
    assert [g[0] for g in E.layer_groups(lenet)] == ["fc3", "fc2", "fc1", "conv2", "conv1"]
    resnet = zoo.build("resnet")
    groups = E.layer_groups(resnet)
    names = [n for _, part in groups for n in part]
    assert len(groups) == E.MAX_GROUPS and names == [n for n, _ in E.weighted_layers(resnet)][::-1]


def test_cascading_randomization_changes_gradients_and_is_deterministic():
    model = zoo.session_copy(zoo.reference_model("lenet", "mnist"))
    fp = zoo.fingerprint(model)
    x = zoo.data_for("mnist").x_test[6]
    cfg = A.Config(methods=("saliency", "ig", "gradcam"), steps=16)
    s = E.randomization_check(model, x, 2, cfg, seed=0)
    assert zoo.fingerprint(model) == fp
    assert s.steps == ("trained", "fc3", "fc2", "fc1", "conv2", "conv1") and s.maps.shape == (6, 3, 28, 28)
    np.testing.assert_allclose(s.rho[0], 1.0)
    sal = s.methods.index("saliency")
    assert s.rho[-1, sal] < 0.5 and s.rho_signed[-1, sal] < 0.5   # the gradient notices a random model
    ig = s.methods.index("ig")
    assert s.rho_signed[-1, ig] < s.rho[-1, ig]  # |IG| keeps the digit's support; its signs do not survive
    again = E.randomization_check(model, x, 2, cfg, seed=0)
    np.testing.assert_array_equal(again.maps, s.maps)
    other = E.randomization_check(model, x, 2, cfg, seed=1)
    assert not np.array_equal(other.maps[1:], s.maps[1:])
    ind = E.randomization_check(model, x, 2, cfg, mode="independent", seed=0)
    np.testing.assert_array_equal(ind.maps[:2], s.maps[:2])  # the top layer alone: the same first step


def test_box_masks_and_the_pointing_game():
    m = E.box_masks(np.array([[1, 0, 3, 2], [0, 2, 4, 4]]), 4)
    assert m.shape == (2, 4, 4) and m[0].sum() == 4 and m[1].sum() == 8
    assert m[0, 0, 1] and m[0, 1, 2] and not m[0, 2, 1] and not m[0, 0, 3]   # half-open, x = column
    d = zoo.data_for("shapes")
    boxes = E.box_masks(d.boxes_test[:50], 28)
    assert (boxes | d.masks_test[:50] == boxes).all()   # every mask lies inside its box …
    for i in range(50):                                  # … and touches all four sides of it
        rows, cols = np.flatnonzero(d.masks_test[i].any(1)), np.flatnonzero(d.masks_test[i].any(0))
        assert (rows[0], rows[-1], cols[0], cols[-1]) == tuple(np.flatnonzero(boxes[i].any(1))[[0, -1]]) + \
            tuple(np.flatnonzero(boxes[i].any(0))[[0, -1]])
    maps = np.zeros((3, 4, 4))
    maps[0, 1, 2], maps[1, 3, 3], maps[2] = 5.0, -9.0, 0.0
    np.testing.assert_array_equal(E.peak_on(maps, m[0]), [True, False, False])  # |−9| is the peak; all-zero: miss


def test_gradcam_puts_most_mass_on_the_object_for_a_net_built_to_localize():
    """The WSL net (global max pooling, L1-sparse last layer, Oquab et al. 2015) trained on shapes:
    Grad-CAM on its last layer puts most of its mass inside the object's bounding box (the
    energy-based pointing game of Score-CAM; measured 0.82, where an even map gets 0.24) and half
    of it on the object's exact pixels (measured 0.54, 4× the object's 14 % area). LeNet, whose
    last maps are 5×5 and feed dense layers, spreads much more; and the WSL net with random
    weights does not localize."""
    d = zoo.data_for("shapes")
    n = 128
    x, masks, y, boxes = d.x_test[:n], d.masks_test[:n], d.y_test[:n], d.boxes_test[:n]
    cfg = A.Config(methods=("gradcam",), layer=-1)
    model = zoo.session_copy(zoo.reference_model("wsl", "shapes"))
    wsl = E.mask_benchmark(model, x, masks, y, cfg, boxes=boxes)
    assert wsl.correct.mean() > 0.9
    assert 0.2 < wsl.chance_of("box") < 0.3 and 0.1 < wsl.chance_of("mask") < 0.2
    assert wsl.mean("box")[0] > 0.7 and np.mean(wsl.box_scores[0] > 0.5) > 0.8
    assert wsl.mean("mask")[0] > 3 * wsl.chance_of("mask")
    assert wsl.hits.mean() > 0.5    # the pointing game: the peak on the object's pixels
    assert (wsl.box_scores >= wsl.scores - 1e-12).all()   # the box holds the mask
    lenet = zoo.session_copy(zoo.reference_model("lenet", "shapes"))
    base = E.mask_benchmark(lenet, x, masks, y, cfg, boxes=boxes)
    assert base.mean("box")[0] < wsl.mean("box")[0] - 0.2 and base.mean("mask")[0] < wsl.mean("mask")[0] - 0.15
    assert base.mean("mask")[0] > 1.4 * base.chance_of("mask")   # still more on the object than an even map
    random = E.mask_benchmark(E.randomized_copy(model, seed=0), x, masks, y, cfg, boxes=boxes)
    assert random.mean("box")[0] < wsl.mean("box")[0] - 0.2
    assert zoo.fingerprint(E.randomized_copy(model, seed=0)) != zoo.fingerprint(model)
