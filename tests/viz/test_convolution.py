"""Figures of the convolution lesson from tiny arrays."""
import numpy as np

from explorer.viz import convolution as vz


def _example():
    """A 3×4 input, padding 1, 2×2 kernel, stride 2: padded 5×6, output 2×3."""
    x = np.arange(12.0).reshape(3, 4) % 4
    xp = np.pad(x, 1)
    w = np.array([[1.0, -1.0], [0.0, 2.0]])
    taps = np.array([[[2 * i + a, 2 * j + b] for a in range(2) for b in range(2)] for i in range(2) for j in range(3)])
    y = np.array([[sum(xp[r, c] * w[a, b] for (r, c), (a, b) in zip(taps[i * 3 + j], [(0, 0), (0, 1), (1, 0), (1, 1)]))
                   for j in range(3)] for i in range(2)])
    return xp, w, y, taps


def test_arithmetic_figure_has_grids_highlight_and_one_frame_per_output():
    xp, w, y, taps = _example()
    fig = vz.arithmetic_figure(xp, w, y, taps, 1, 4, title="Arithmetic")
    assert fig.layout.title.text == "Arithmetic"
    grids = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in grids] == ["input", "kernel", "output"]
    assert np.shape(grids[0].z) == (5, 6) and np.shape(grids[2].z) == (2, 3)
    assert grids[0].z[0][0] == 0 and grids[0].z[1][1] == xp[1, 1] + 1  # padding is its own colour
    assert list(grids[2].x) == [12, 13, 14]  # right of input (6 cols) + gap (2) + kernel (2) + gap (2)
    assert len(fig.frames) == 6 and [f.name for f in fig.frames] == [str(i) for i in range(6)]
    hi = fig.data[3]
    assert sum(v is None for v in hi.x) == 4 + 1  # kh·kw input cells + the output cell
    xs = [v for v in hi.x if v is not None]
    assert np.isclose(min(xs), 2 - 0.44) and np.isclose(max(xs), 13 + 0.44)  # out[1, 1]: padded cols 2..3
    assert fig.data[5].text[0] == vz.equation(xp, w, taps, 4, 3, y[1, 1])
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Animate", "■ Stop"]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]


def test_frames_follow_the_taps():
    xp, w, y, taps = _example()
    fig = vz.arithmetic_figure(xp, w, y, taps, 1, 0, title="t")
    for p, frame in enumerate(fig.frames):
        xs = np.array([v for v in frame.data[0].x if v is not None], float)
        ys = np.array([v for v in frame.data[0].y if v is not None], float)
        centres = {(round(float(np.mean(ys[i:i + 4]))), round(float(np.mean(xs[i:i + 4]))))
                   for i in range(0, len(xs), 5)}
        expected = {tuple(t) for t in taps[p]} | {(p // 3, 12 + p % 3)}
        assert centres == expected
        assert frame.traces == (3, 4, 5) or list(frame.traces) == [3, 4, 5]


def test_equation_lists_nonzero_weights_and_the_total():
    xp = np.array([[0.0, 2.0], [3.0, 1.0]])
    w = np.array([[1.0, -1.0], [0.0, 2.0]])
    taps = np.array([[[0, 0], [0, 1], [1, 0], [1, 1]]])
    assert vz.equation(xp, w, taps, 0, 1, 0.0) == "out[0, 0] = 0·1 + 2·(−1) + 1·2 = 0"


def test_single_output_has_no_animate_button():
    fig = vz.arithmetic_figure(np.ones((2, 2)), np.ones((2, 2)), np.array([[4.0]]),
                               np.array([[[0, 0], [0, 1], [1, 0], [1, 1]]]), 0, 0, title="one")
    assert len(fig.frames) == 1 and not fig.layout.updatemenus


def test_kernel_photo_figure_panels_and_scales():
    img = np.linspace(0, 1, 30).reshape(5, 6)
    k = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    res = np.linspace(-2, 3, 30).reshape(5, 6)
    fig = vz.kernel_photo_figure(img, k, res, np.abs(res), title="Sobel", signed=True)
    assert len(fig.data) == 4 and fig.layout.title.text == "Sobel"
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "photo 5×6" and "sum 0" in titles[1] and "magnitude" in titles[3]
    assert fig.data[1].text[1][2] == "2" and fig.data[2].zmin == -fig.data[2].zmax  # signed result centred on 0
    assert fig.layout.yaxis.autorange == "reversed"
    plain = vz.kernel_photo_figure(img, np.full((5, 5), 0.04), img, None, title="Blur", signed=False)
    assert len(plain.data) == 3 and (plain.data[2].zmin, plain.data[2].zmax) == (0, 1)
    assert "sum 1" in plain.layout.annotations[1].text


def test_pool_figures():
    patch = np.arange(16.0).reshape(4, 4) % 10
    mx, av = np.array([[5.0, 7], [9, 5]]), np.array([[2.5, 4.5], [5.5, 3.5]])
    won = np.zeros((4, 4), bool)
    won[[1, 1, 2, 3], [1, 3, 1, 3]] = True
    fig = vz.pool_patch_figure(patch, mx, av, won, size=2, stride=2)
    assert [t.name for t in fig.data[:3]] == ["patch", "max", "average"]
    assert sum(v is None for v in fig.data[3].x) == 4  # one outline per kept cell
    assert fig.data[2].text[0][0] == "2.5" and "Pooling 2×2 with stride 2" in fig.layout.title.text
    photo = vz.pool_photo_figure(np.zeros((8, 8)), np.zeros((4, 4)), np.zeros((4, 4)), size=2, stride=2)
    assert len(photo.data) == 3 and "→ 4×4" in photo.layout.annotations[1].text


def test_receptive_field_figures():
    img = np.zeros((20, 20))
    fig = vz.rf_squares_figure(img, [3, 5, 9], ["a", "b", "c"])
    assert [t.name for t in fig.data[1:]] == ["a", "b", "c"]
    xs = fig.data[3].x
    assert max(xs) - min(xs) == 9 and (max(xs) + min(xs)) / 2 == 9.5
    assert list(fig.layout.xaxis.range) == [-0.5, 19.5]  # 1.5 · 9 < 48 > 20: the whole photo
    big = vz.rf_squares_figure(np.zeros((224, 224)), [3, 40], ["a", "b"])
    assert list(big.layout.xaxis.range) == [81.5, 141.5] and "central 60×60 of 224×224" in big.layout.xaxis.title.text
    g = np.zeros((12, 12))
    g[4:8, 4:8] = 2.0
    erf = vz.erf_figure(g, (3, 3, 6), 4, title="ERF")
    assert erf.data[0].z.max() == 1.0  # scaled to max 1
    assert list(erf.data[1].x) == [2.5, 8.5, 8.5, 2.5, 2.5]  # the theoretical 6×6 square
    assert max(erf.data[2].x) - min(erf.data[2].x) == 4 and "90 %" in erf.data[2].name
    assert erf.layout.xaxis.title.text == "input pixel (column)"
