"""Figures of the numerics lesson from tiny arrays."""
import numpy as np

from explorer.viz import numerics as vz


def _titles(fig) -> str:
    return fig.layout.title.text + " " + " ".join(a.text for a in fig.layout.annotations)


def test_bits_figure_colours_fields_and_writes_each_bit():
    # fp8 e4m3: 0 0111 000 is 1.0; fp16 0x3C00 is 1.0
    fig = vz.bits_figure([("e4m3", "fp8 e4m3fn", 0b00111000, 4, 3), ("fp16", "float16", 0x3C00, 5, 10)], title="Bits")
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    assert z.shape == (2, 16)
    assert list(heat.text[0][:8]) == ["0", "0", "1", "1", "1", "0", "0", "0"]
    # z = 2·field + bit: sign 0/1, exponent 2/3, mantissa 4/5; cells past the format are empty
    assert z[0, :8].tolist() == [0, 2, 3, 3, 3, 4, 4, 4] and np.isnan(z[0, 8:]).all()
    assert z[1, 0] == 0 and z[1, 1:6].tolist() == [2, 3, 3, 3, 3] and z[1, 6:].tolist() == [4] * 10
    assert [t.name for t in fig.data[1:]] == ["sign", "exponent", "mantissa (fraction)"]
    assert fig.layout.title.text == "Bits" and fig.layout.xaxis.title.text.startswith("bit position")


def test_grid_figure_places_neighbours_in_units_of_the_gap():
    rows = [{"key": "e4m3", "label": "e4m3", "neighbors": np.array([0.875, 0.9375, 1.0, 1.125, 1.25]),
             "value": 1.0, "gap": 0.125},
            {"key": "fp16", "label": "fp16", "neighbors": np.array([np.nan, np.nan, np.inf, np.nan, np.nan]),
             "value": np.inf, "gap": np.nan}]
    fig = vz.grid_figure(rows, typed=1.05)
    ticks = [t for t in fig.data if t.marker.symbol == "line-ns-open" and t.x[0] is not None]
    np.testing.assert_allclose(ticks[0].x, [-1.0, -0.5, 0.0, 1.0, 2.0])  # half a gap below the binade edge
    typed = [t for t in fig.data if t.marker.symbol == "diamond" and t.x[0] is not None]
    assert typed[0].x[0] == (1.05 - 1.0) / 0.125
    assert "no finite neighbours" in _titles(fig) and "2⁻³ ≈ 0.125" in _titles(fig)
    assert fig.layout.xaxis.title.text.startswith("distance from the stored value")
    assert list(fig.layout.yaxis.ticktext) == ["e4m3", "fp16"]


def test_grid_figure_clips_a_far_typed_value_and_says_how_far():
    rows = [{"key": "e4m3", "label": "e4m3", "neighbors": np.array([384.0, 416.0, 448.0, np.nan, np.nan]),
             "value": 448.0, "gap": 32.0}]
    fig = vz.grid_figure(rows, typed=1000.0)
    assert "+17.2 gaps away" in _titles(fig)


def test_spacing_figure_one_curve_per_format_and_marks():
    curves = {"fp16": (np.array([1.0, 2.0, 2.0, 4.0]), np.array([1e-3, 5e-4, 1e-3, 5e-4])),
              "e4m3": (np.array([1.0, 2.0]), np.array([0.125, 0.0625]))}
    fig = vz.spacing_figure(curves, {"fp16": "float16", "e4m3": "fp8"}, {"fp16": (1.5, 2 ** -10)}, 1.5)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["float16", "fp8"] and lines[0].line.color != lines[1].line.color
    dots = [t for t in fig.data if t.mode == "markers"]
    assert dots[0].y[0] == 2 ** -10 / 1.5
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text


def test_range_figure_clips_errors_and_draws_a_status_strip():
    x = np.array([-1.0, 0.0, 1.0])
    rel = np.array([[0.0, 1e-3, np.inf], [np.nan, 0.5, 2.0]])
    status = np.array([[0, 1, 3], [5, 2, 4]], dtype=np.int8)
    fig = vz.range_figure(x, ["fp16", "e4m3"], {"fp16": "f16", "e4m3": "f8"}, rel, status,
                          ("a", "b", "c", "d", "e", "f"), "exp(x)", log_x=False)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert list(lines[0].y) == [vz.FLOOR, 1e-3, vz.CAP] and np.isnan(lines[1].y[0]) and lines[1].y[2] == 2.0
    heat = [t for t in fig.data if t.type == "heatmap"][0]
    assert np.array(heat.z).tolist() == status.tolist() and list(heat.customdata[0]) == ["a", "b", "d"]
    assert "exp(x)" in fig.layout.title.text and fig.layout.xaxis2.title.text == "x"
    assert sum(1 for t in fig.data if t.legendgroup == "status") == 6


def test_softmax_figures_label_nan_and_mark_the_scale():
    exact = np.array([0.7, 0.2, 0.1])
    naive = np.array([np.nan, 0.0, 0.0])
    fig = vz.softmax_figure(exact, naive, exact, "float16")
    labels = [t for t in fig.data if t.type == "scatter" and t.mode == "text"]
    assert len(labels) == 1 and list(labels[0].text) == ["NaN", "0", "0"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 3 and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(labels[0].x, bars[1].x)  # each word sits on its own bar
    assert np.isnan(bars[1].y).all() and list(bars[0].y) == [0.7, 0.2, 0.1]
    sweep = vz.softmax_sweep_figure(np.array([1.0, 10.0]), np.array([1e-4, np.nan]), np.array([1e-4, 0.0]), 8.0, "x")
    nan_marks = [t for t in sweep.data if t.name == "naive gives NaN"]
    assert list(nan_marks[0].x) == [10.0]
    stable = [t for t in sweep.data if t.name == "max-subtracted"][0]
    assert stable.y[1] == vz.FLOOR  # an exact result sits at the floor
    assert sweep.layout.shapes[0].x0 == 8.0


def test_cancellation_figure_solid_naive_dashed_stable_dotted_eps():
    x = np.logspace(-3, 0, 4)
    naive = np.array([[1.0, 0.1, 1e-5, 0.0]])
    fig = vz.cancellation_figure(x, ["fp32"], {"fp32": "float32"}, naive, naive / 10, {"fp32": 2 ** -23}, "T",
                                 "x", "naive", "stable")
    assert [t.line.dash for t in fig.data] == [None, "dash", "dot"]
    assert fig.data[0].y[-1] == vz.FLOOR and fig.data[2].y[0] == 2 ** -24
    fig = vz.cancellation_figure(x, ["fp32", "e4m3"], {"fp32": "float32", "e4m3": "fp8"}, np.vstack([naive, naive]),
                                 naive, {"fp32": 2 ** -23, "e4m3": 2 ** -3}, "T", "x", "naive", None, hidden=("e4m3",))
    assert len(fig.data) == 4 and fig.layout.yaxis.type == "log"
    assert [t.visible for t in fig.data] == [True, True, "legendonly", "legendonly"]


def test_conditioning_and_plane_figures():
    k = np.array([1.0, 1e3, 1e6])
    fig = vz.conditioning_figure(k, k * 1e-6, k * 3e-7, k * 1e-7, k * 1e-16, 1e-6, 1e3, 2 ** -23, 2 ** -52,
                                 (np.array([19.0]), np.array([1e-6]), np.array([1e-15])))
    bound = [t for t in fig.data if t.name == "bound κ·‖Δb‖/‖b‖"][0]
    np.testing.assert_allclose(bound.y, k * 1e-6)
    assert {t.name for t in fig.data} >= {"float32 solve", "float64 solve", "Hilbert, float32", "random Δb"}
    assert "δ = 1e-06" in _titles(fig) and fig.layout.xaxis.type == "log" and fig.layout.xaxis2.type == "log"
    a = np.array([[1.0, 0.0], [1.0, 0.01]])
    ring = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]) * 0.1 + 1
    pf = vz.plane_figure(a, np.array([1.0, 1.0]), ring, np.array([1.1, 1.0]), 100.0, 1e-3)
    assert "0.573°" in pf.layout.title.text  # the angle between the two rows
    assert pf.layout.yaxis.scaleanchor == "x" and len([t for t in pf.data if t.mode == "lines"]) == 5


def test_gd_figures():
    path = np.array([[1.0, 0.6], [0.9, -0.5], [0.8, 0.4]])
    xs, ys = np.linspace(-0.2, 1.2, 5), np.linspace(-0.7, 0.7, 4)
    f = 0.5 * (0.05 * xs[None, :] ** 2 + ys[:, None] ** 2)
    fig = vz.gd_path_figure(xs, ys, f, path, 20.0, "η = 1")
    assert fig.data[0].type == "contour" and np.array(fig.data[0].z).shape == (4, 5)
    assert list(fig.data[1].x) == [1.0, 0.9, 0.8] and fig.data[1].name == "2 steps"
    loss = np.array([1.0, 0.25, 0.0625])
    lf = vz.gd_loss_figure(loss, 0.5, 1e-3)
    np.testing.assert_allclose(lf.data[1].y, [1.0, 0.25, 0.0625])
    assert lf.layout.yaxis.type == "log" and lf.layout.shapes[0].y0 == 1e-6
    it = vz.gd_iters_figure(np.array([1.0, 10.0]), np.array([1, 60]), np.array([1, 62]), np.array([7, 69]), 10.0, 60,
                            "κ·ln(1/tol)")
    assert [t.name for t in it.data][-1] == "κ = 10" and it.layout.xaxis.type == "log"
    assert it.layout.xaxis.title.text and it.layout.yaxis.title.text


def test_pow2_and_sup():
    assert vz.pow2(2.0 ** -26) == "2⁻²⁶ ≈ 1.49e-08" and vz.pow2(3.0) == "3"
    assert vz.sup(-12) == "⁻¹²"
