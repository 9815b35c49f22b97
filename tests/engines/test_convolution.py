"""The convolution engine against torch.nn.functional and scipy: sizes, values, pooling, receptive fields."""
import itertools
import socket

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import correlate2d

from explorer.engines import convolution as cv


def _torch_conv(x, w, **kw):
    return F.conv2d(torch.tensor(x, dtype=torch.float64)[None, None], torch.tensor(w, dtype=torch.float64)[None, None],
                    **kw)[0, 0].numpy()


# -- arithmetic ----------------------------------------------------------------------------

@pytest.mark.parametrize("n,k,p,s,d", list(itertools.product((1, 4, 7, 10), (1, 2, 3, 5), (0, 1, 3), (1, 2, 3),
                                                             (1, 2, 3))))
def test_out_size_formula_matches_torch_conv2d(n, k, p, s, d):
    o = cv.out_size(n, k, p, s, d)
    x, w = torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)
    if o <= 0:
        assert d * (k - 1) + 1 > n + 2 * p  # exactly when the dilated kernel is longer than the padded input
        with pytest.raises(RuntimeError):
            F.conv2d(x, w, stride=s, padding=p, dilation=d)
    else:
        assert F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-2:] == (o, o)


@pytest.mark.parametrize("rows,cols,kh,kw,p,s,d", [
    (5, 9, 1, 3, 0, 2, 1), (8, 3, 3, 1, 1, 1, 2), (6, 10, 2, 5, 2, 3, 1), (12, 7, 7, 3, 4, 4, 1), (9, 9, 3, 2, 0, 1, 4),
    (2, 11, 1, 7, 1, 2, 2)])
def test_non_square_sizes_and_values_match_torch(rows, cols, kh, kw, p, s, d):
    cfg = cv.Arith(rows=rows, cols=cols, kh=kh, kw=kw, padding=p, stride=s, dilation=d)
    rng = np.random.default_rng(rows * 100 + cols)
    x, w = rng.normal(size=(rows, cols)), rng.normal(size=(kh, kw))
    ref = _torch_conv(x, w, stride=s, padding=p, dilation=d)
    assert ref.shape == (cfg.out_rows, cfg.out_cols)
    np.testing.assert_allclose(cv.conv2d(x, w, s, p, d), ref, rtol=1e-12, atol=1e-12)


def test_per_axis_stride_padding_dilation_match_torch():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(11, 13)), rng.normal(size=(3, 2))
    for s, p, d in [((1, 2), (0, 1), (2, 1)), ((3, 1), (2, 0), (1, 3)), ((2, 2), (1, 2), (2, 2))]:
        np.testing.assert_allclose(cv.conv2d(x, w, s, p, d), _torch_conv(x, w, stride=s, padding=p, dilation=d),
                                   atol=1e-12)


def test_conv2d_refuses_settings_with_no_output():
    with pytest.raises(ValueError, match="no output"):
        cv.conv2d(np.zeros((3, 3)), np.zeros((3, 3)), padding=0, dilation=2)


def test_arith_config_validates_each_field():
    for field, bad in (("rows", 0), ("cols", 65), ("kh", 0), ("kw", 16), ("padding", -1), ("stride", 0),
                       ("dilation", 9), ("stride", 1.5), ("rows", True)):
        with pytest.raises(ValueError, match=field):
            cv.Arith(**{field: bad})


def test_problem_explains_invalid_settings_with_the_numbers():
    assert cv.problem(cv.Arith()) is None
    cfg = cv.Arith(rows=3, cols=8, kh=3, kw=3, padding=0, dilation=2)
    assert not cfg.valid and cfg.out_rows <= 0 < cfg.out_cols
    msg = cv.problem(cfg)
    assert "rows" in msg and "2·(3−1)+1 = 5" in msg and "3+2·0 = 3" in msg and "columns" not in msg
    with pytest.raises(ValueError, match="No output position fits"):
        cv.arithmetic(cfg)


@pytest.mark.parametrize("cfg", [cv.Arith(), cv.Arith(rows=7, cols=6, kh=3, kw=2, padding=2, stride=1, dilation=2),
                                 cv.Arith(rows=6, cols=10, kh=1, kw=5, padding=0, stride=2, dilation=1)])
def test_worked_example_taps_are_the_patches_torch_unfold_reads(cfg):
    ex = cv.arithmetic(cfg)
    assert set(np.unique(ex.x)) <= {0, 1, 2, 3} and set(np.unique(ex.w)) <= {-1, 0, 1} and ex.w.any()
    assert ex.xp.shape == (cfg.rows + 2 * cfg.padding, cfg.cols + 2 * cfg.padding)
    np.testing.assert_allclose(ex.y, _torch_conv(ex.x, ex.w, stride=cfg.stride, padding=cfg.padding,
                                                 dilation=cfg.dilation))
    cols = F.unfold(torch.tensor(ex.x)[None, None], (cfg.kh, cfg.kw), dilation=cfg.dilation, padding=cfg.padding,
                    stride=cfg.stride)[0].numpy()  # (kh·kw, positions)
    read = ex.xp[ex.taps[..., 0], ex.taps[..., 1]]     # (positions, kh·kw)
    np.testing.assert_array_equal(read, cols.T)
    np.testing.assert_allclose(read @ ex.w.ravel(), ex.y.ravel())
    assert cv.arithmetic(cfg).x.tolist() == ex.x.tolist()  # seeded


# -- kernels ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def camera():
    return cv.photo("camera", 64)


@pytest.mark.parametrize("name", list(cv.KERNELS))
def test_every_kernel_equals_scipy_correlate2d_and_torch(name, camera):
    k = cv.KERNELS[name]
    got = cv.filter_image(camera, k)
    np.testing.assert_allclose(got, correlate2d(camera.astype(float), k, mode="same", boundary="symm"), atol=1e-12)
    h = k.shape[0] // 2
    padded = np.pad(camera.astype(float), h, mode="symmetric")
    np.testing.assert_allclose(got, _torch_conv(padded, k), atol=1e-12)


def test_kernel_meanings_on_synthetic_images():
    ramp = np.tile(np.arange(10.0), (8, 1)) * 0.1        # brightness grows to the right by 0.1 per pixel
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(cv.filter_image(ramp, cv.KERNELS["sobel_x"])[inner], 0.8)   # (1+2+1)·2·0.1
    assert np.allclose(cv.filter_image(ramp, cv.KERNELS["sobel_y"]), 0.0)
    assert np.allclose(cv.filter_image(ramp, cv.KERNELS["laplacian"])[inner], 0.0)  # linear → no curvature
    np.testing.assert_allclose(cv.gradient_magnitude(ramp)[inner], 0.8)
    flat = np.full((9, 9), 0.3)
    for name in ("identity", "box", "gauss", "sharpen", "emboss"):  # weights sum to 1: flat stays flat
        np.testing.assert_allclose(cv.filter_image(flat, cv.KERNELS[name]), 0.3, atol=1e-12)
    rng = np.random.default_rng(0)
    img = rng.random((12, 12))
    np.testing.assert_array_equal(cv.filter_image(img, cv.KERNELS["identity"]), img)
    assert cv.filter_image(img, cv.KERNELS["gauss"]).std() < img.std()  # blurring reduces variance


def test_parse_kernel_reads_numbers_and_fractions():
    k = cv.parse_kernel(" 1/9, 1/9 ,1/9; -1, +2.5, .5 ; 0,0,-3 ")
    np.testing.assert_allclose(k, [[1 / 9] * 3, [-1, 2.5, 0.5], [0, 0, -3]])
    np.testing.assert_array_equal(cv.parse_kernel(cv.DEFAULT_CUSTOM), cv.KERNELS["sharpen"])


@pytest.mark.parametrize("text,words", [("abc", "found 1 row"), ("1,2,3;4,5,6", "found 2 row"),
                                        ("1,2,3;4,5;6,7,8", "row 2 has 2"),
                                        ("1,2,3;4,5,6;7,8,x", "'x' (row 3, entry 3)"),
                                        ("1,2,3;4,5,6;7,8,1/0", "not a number"), ("", "type 9 numbers"),
                                        ("1,2,3;4,500,6;7,8,9", "between −100 and 100"),
                                        ("1,2,3,4;5,6,7;8,9,1", "row 1 has 4")])
def test_parse_kernel_says_what_is_wrong_and_what_is_expected(text, words):
    with pytest.raises(ValueError) as e:
        cv.parse_kernel(text)
    assert words in str(e.value)
    if "between" not in words:
        assert "3 rows separated by ';'" in str(e.value)


def test_every_photo_loads_offline_from_the_wheel(monkeypatch):
    def no_network(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    for name in cv.PHOTOS:
        img = cv.photo(name, 96)
        assert img.dtype == np.float32 and max(img.shape) == 96 and img.ndim == 2, name
        assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.02, name
    sq = cv.square_photo("coffee", 48)
    assert sq.shape == (48, 48)
    with pytest.raises(ValueError, match="photo"):
        cv.photo("eagle")  # needs a download: not offered


# -- pooling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (2, 1), (4, 4), (3, 3), (2, 3), (4, 1)])
def test_pooling_matches_torch(size, stride):
    x = np.random.default_rng(size * 10 + stride).normal(size=(9, 13))
    t = torch.tensor(x)[None, None]
    np.testing.assert_allclose(cv.pool2d(x, size, stride, "max"), F.max_pool2d(t, size, stride)[0, 0].numpy())
    np.testing.assert_allclose(cv.pool2d(x, size, stride, "avg"), F.avg_pool2d(t, size, stride)[0, 0].numpy(),
                               atol=1e-12)
    _, idx = F.max_pool2d(t, size, stride, return_indices=True)
    won = np.zeros(x.size, bool)
    won[idx.numpy().ravel()] = True
    np.testing.assert_array_equal(cv.max_winners(x, size, stride), won.reshape(x.shape))


def test_pooling_defaults_and_validation():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(cv.pool2d(x, 2), [[5, 7], [13, 15]])  # stride defaults to the window
    np.testing.assert_array_equal(cv.pool2d(x, 2, mode="avg"), [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match="mode"):
        cv.pool2d(x, 2, mode="median")
    with pytest.raises(ValueError, match="size"):
        cv.pool2d(x, 5)


def test_busy_patch_is_readable_integers(camera):
    p = cv.busy_patch(camera, 8)
    assert p.shape == (8, 8) and p.min() == 0 and p.max() == 9 and np.all(p == np.round(p))
    assert len(np.unique(p)) >= 5


# -- receptive fields ------------------------------------------------------------------------

def test_parse_stack_defaults_and_errors():
    layers = cv.parse_stack("conv3, conv5s2 ,conv3d2,pool2,pool3s1,CONV7")
    assert [(L.kind, L.k, L.s, L.d, L.p) for L in layers] == [
        ("conv", 3, 1, 1, 1), ("conv", 5, 2, 1, 2), ("conv", 3, 1, 2, 2), ("pool", 2, 2, 1, 0),
        ("pool", 3, 1, 1, 0), ("conv", 7, 1, 1, 3)]
    for bad, words in (("", "no layers"), ("conv3,foo", "layer 2, 'foo'"), ("conv12", "kernel size"),
                       ("conv3s5", "stride"), ("conv3d5", "dilation"), ("pool2d2", "no dilation"),
                       (",".join(["conv3"] * 13), "at most 12")):
        with pytest.raises(ValueError, match=words):
            cv.parse_stack(bad)


VGG16 = "conv3,conv3,pool2,conv3,conv3,pool2,conv3,conv3,conv3,pool2,conv3,conv3,conv3,pool2,conv3,conv3,conv3,pool2"


def test_rf_table_reproduces_vgg16():
    t = cv.rf_table(cv.parse_stack(VGG16[:53]), 224)  # up to conv3_3 (12 layers at most fit the parser)
    assert VGG16[:53].count(",") == 8 and t.rf[-1] == 40 and t.jump[-1] == 4 and t.size[-1] == 56
    full = tuple(cv.Layer("conv", 3, 1, 1, 1) if s == "conv3" else cv.Layer("pool", 2, 2, 1, 0)
                 for s in VGG16.split(","))
    t = cv.rf_table(full, 224)
    assert t.rf[-2] == 196 and t.rf[-1] == 212 and t.jump[-1] == 32 and t.size[-1] == 7  # conv5_3, pool5


@pytest.mark.parametrize("stack", ["conv3,conv3,pool2,conv3", "conv7s2,pool3s2,conv3,conv3", "conv5s2,conv3d2,pool2",
                                   "conv3d2,conv3d2,conv3d2", "conv3,conv3d2,conv3d4", "pool2,pool2,conv1,conv2"])
def test_rf_table_sizes_match_a_torch_forward(stack):
    layers = cv.parse_stack(stack)
    t = cv.rf_table(layers, 50)
    h = torch.zeros(1, 1, 50, 50)
    for i, L in enumerate(layers, 1):
        h = (F.conv2d(h, torch.zeros(1, 1, L.k, L.k), stride=L.s, padding=L.p, dilation=L.d) if L.kind == "conv"
             else F.max_pool2d(h, L.k, L.s))
        assert h.shape[-1] == t.size[i]


def _independent_gradient(layers, size, seed=0):
    """|∂ centre unit / ∂ input| with torch.nn modules, positive random weights, average pooling."""
    g = torch.Generator().manual_seed(seed)
    mods = []
    for L in layers:
        if L.kind == "conv":
            conv = torch.nn.Conv2d(1, 1, L.k, stride=L.s, padding=L.p, dilation=L.d, bias=False).double()
            with torch.no_grad():
                conv.weight.copy_(torch.rand(conv.weight.shape, generator=g, dtype=torch.float64) + 0.1)
            mods.append(conv)
        else:
            mods.append(torch.nn.AvgPool2d(L.k, L.s))
    net = torch.nn.Sequential(*mods)
    x = torch.randn(1, 1, size, size, generator=g, dtype=torch.float64, requires_grad=True)
    y = net(x)
    u = (y.shape[-1] - 1) // 2
    y[0, 0, u, u].backward()
    return x.grad[0, 0].numpy(), u


@pytest.mark.parametrize("stack", ["conv3", "conv3,conv3,pool2,conv3", "conv7s2,pool3s2,conv3,conv3",
                                   "conv5s2,conv3d2,pool2,conv3", "conv3d2,conv3d2,conv3d2", "conv3,conv3d2,conv3d4",
                                   "pool2,conv3s2,conv2,pool3s1"])
def test_gradient_is_nonzero_exactly_on_the_receptive_field(stack):
    layers = cv.parse_stack(stack)
    size = cv.erf_input_size(layers)
    t = cv.rf_table(layers, size)
    r, j, start = int(t.rf[-1]), int(t.jump[-1]), int(t.start[-1])
    support = t.support[-1]
    for grad, u in (_independent_gradient(layers, size), (cv.gradient_map(layers, size, mode="exact").grad,
                                                          cv.gradient_map(layers, size, mode="exact").unit[0])):
        top = u * j + start
        assert 0 <= top and top + r <= size
        expected = np.zeros((size, size), bool)
        expected[top:top + r, top:top + r] = np.outer(support, support)
        nz = np.abs(grad) > 0
        np.testing.assert_array_equal(nz, expected)
        rows = np.flatnonzero(nz.any(axis=1))
        assert rows[0] == top and rows[-1] - rows[0] + 1 == r  # the bounding box is the theoretical r


def test_dilation_leaves_holes_and_mixed_dilations_do_not():
    grid = cv.rf_table(cv.parse_stack("conv3d2,conv3d2,conv3d2"), 64)
    assert grid.rf[-1] == 13 and np.isclose(grid.reached[-1], (7 / 13) ** 2)
    hdc = cv.rf_table(cv.parse_stack("conv3,conv3d2,conv3d4"), 64)
    assert hdc.rf[-1] == 15 and hdc.reached[-1] == 1.0


def test_effective_receptive_field_is_seeded_centred_and_inside_the_theoretical_one():
    layers = cv.parse_stack("conv3,conv3,pool2,conv3,conv3,pool2,conv3,conv3")
    a = cv.gradient_map(layers, mode="random", seed=3)
    b = cv.gradient_map(layers, mode="random", seed=3)
    c = cv.gradient_map(layers, mode="random", seed=4)
    np.testing.assert_array_equal(a.grad, b.grad)
    assert not np.allclose(a.grad, c.grad)
    top, left, side = a.box
    assert side == 32 and a.samples == 32
    outside = a.grad.copy()
    outside[top:top + side, left:left + side] = 0
    assert outside.max() == 0  # nothing outside the receptive field is connected
    eff, inside = cv.erf_extent(a, 0.9)
    assert inside == pytest.approx(1.0) and eff < side  # the effective field is smaller
    rr, cc = np.indices(a.grad.shape)
    centre = top + (side - 1) / 2
    for coord in (rr, cc):
        assert abs((coord * a.grad).sum() / a.grad.sum() - centre) < 0.1 * side


def test_erf_extent_on_known_maps():
    g = np.zeros((21, 21))
    g[10, 10] = 1.0
    assert cv.erf_extent(cv.GradMap(g, (0, 0), (5, 5, 11), 1), 0.9) == (1, 1.0)
    u = np.zeros((21, 21))
    u[5:16, 5:16] = 1.0  # uniform over the 11×11 field: 90 % needs ⌈√0.9·11⌉-ish = an 11×11 square
    side, inside = cv.erf_extent(cv.GradMap(u, (0, 0), (5, 5, 11), 1), 0.9)
    assert side == 11 and inside == 1.0
    assert cv.erf_extent(cv.GradMap(u, (0, 0), (5, 5, 11), 1), 0.5)[0] == 9  # 81/121 ≥ 0.5 > 49/121


def test_gradient_map_budget_and_limits():
    heavy = cv.parse_stack(",".join(["conv11"] * 12))
    size = cv.erf_input_size(heavy)
    n, c = cv.erf_budget(heavy, size)
    assert (n, c) != (32, 4) and n >= 4 and cv._macs(heavy, cv.rf_table(heavy, size), c) * n <= cv.ERF_MACS
    assert cv.erf_budget(cv.parse_stack("conv3,conv3"), 32) == (32, 4)
    with pytest.raises(ValueError, match="up to 256"):
        cv.erf_input_size(cv.parse_stack("conv3s4,conv3s4,conv3s4,conv3s4"))
