"""Figures of the LIME & SHAP lesson from tiny arrays."""
import numpy as np
import pytest

from explorer.viz import explainers as vz

FEATURES = ["a", "b", "c", "d<e"]


def test_top_features_normalizes_each_method():
    attrs = np.array([[100.0, 0.0, 50.0, 0.0], [0.0, 0.01, 0.0, 0.0]])
    assert vz.top_features(attrs, 2).tolist() == [0, 1]


def test_contributions_figure_one_panel_per_method_with_signed_colours():
    attrs = np.array([[0.3, -0.1, 0.0, 0.05], [0.2, -0.2, 0.01, 0.0]])
    fig = vz.contributions_figure(FEATURES, attrs, ["LIME", "SHAP"], target="benign", title_row="Row 1", n=3)
    assert len(fig.data) == 2 and fig.layout.title.text.startswith("Row 1")
    bars = fig.data[0]
    assert len(bars.y) == 3 and bars.y[-1] == "a"  # the most important feature on top
    assert list(bars.marker.color).count("#f59322") == 1  # b lowers P
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text == "feature"
    assert "d&lt;e" in vz.contributions_figure(FEATURES, attrs[:, [3, 1, 2, 0]], ["x", "y"], target="t",
                                               title_row="r", n=1).data[0].y


def test_waterfall_runs_from_start_to_total_and_marks_fx():
    vals = np.array([0.2, -0.05, 0.01, 0.03])
    fig = vz.waterfall_figure(FEATURES, vals, 0.5, "E[f]", 0.69, title="SHAP", n=2)
    w = fig.data[0]
    assert list(w.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert w.y[0] == 0.5 and w.y[1] == pytest.approx(0.2) and w.y[2] == pytest.approx(-0.05)
    assert w.y[3] == pytest.approx(0.04) and w.x[3] == "2 other features"
    assert 0.5 + sum(w.y[1:4]) == pytest.approx(0.69)
    assert any("0.690" in a.text for a in fig.layout.annotations)


def test_agreement_figure_shows_both_matrices_and_na():
    rho = np.array([[1.0, np.nan], [np.nan, 1.0]])
    fig = vz.agreement_figure(["A", "B"], rho, np.eye(2), 5, title="agree")
    assert len(fig.data) == 2
    assert fig.data[0].text[0][1] == "n/a" and fig.data[1].text[0][0] == "1.00"
    assert fig.layout.title.text == "agree"


def test_fidelity_figure_has_three_curves_in_percent():
    d = np.arange(1, 4)
    fig = vz.fidelity_figure(d, np.array([0.8, 0.9, 1.0]), np.array([0.7, 0.8, 0.8]), np.array([0.7, 0.75, 0.8]),
                             2, 0.9)
    assert len(fig.data) == 3 and fig.data[0].y.tolist() == pytest.approx([70, 80, 80])
    assert fig.layout.xaxis.title.text == "tree depth" and fig.layout.yaxis.title.text


def _tree():
    #      0
    #    1   2
    #   3 4
    left = np.array([1, 3, -1, -1, -1])
    right = np.array([2, 4, -1, -1, -1])
    depth = np.array([0, 1, 1, 2, 2])
    probs = np.array([[0.5, 0.5], [0.8, 0.2], [0.1, 0.9], [1.0, 0.0], [0.3, 0.7]])
    return left, right, np.array([0, 1, -2, -2, -2]), np.array([0.5, 1.5, 0, 0, 0]), np.array([10, 6, 4, 3, 3]), \
        probs, depth


def test_tree_layout_centres_parents_over_children():
    left, right, *_, depth = _tree()
    visible, x = vz.tree_layout(left, right, depth, 5)
    assert visible.all()
    assert x[3] == 0 and x[4] == 1 and x[2] == 2 and x[1] == 0.5 and x[0] == pytest.approx(1.25)
    visible, x = vz.tree_layout(left, right, depth, 1)
    assert visible.tolist() == [True, True, True, False, False] and x[1] == 0 and x[2] == 1


def test_tree_figure_draws_boxes_and_the_path():
    left, right, feat, thr, n, probs, depth = _tree()
    fig = vz.tree_figure(left, right, feat, thr, n, probs, ["no", "yes"], depth, ["f0", "f1"], [0, 1, 4],
                         title="tree")
    texts = [a.text for a in fig.layout.annotations]
    assert len(texts) == 5 and texts[0].startswith("f0<br>≤ 0.5")
    bold = [a for a in fig.layout.annotations if a.borderwidth == 4]
    assert len(bold) == 3
    hot = [t for t in fig.data if t.mode == "lines" and t.line.width == 4 and t.x[0] is not None]
    assert len(hot) == 2  # 0→1 and 1→4
    folded = vz.tree_figure(left, right, feat, thr, n, probs, ["no", "yes"], depth, ["f0", "f1"], [0, 1, 4],
                            max_level=1, title="tree")
    assert len(folded.layout.annotations) == 3 and "folded" in folded.layout.annotations[1].text


def test_rows_agreement_and_importance_figures():
    rho = np.array([[0.5, np.nan], [0.7, 0.1]])
    fig = vz.rows_agreement_figure(["A vs B", "A vs C"], rho, np.array([[0.4, 0.2], [0.6, 0.0]]), 5, 2)
    assert len(fig.data) == 4 and len(fig.data[1].x) == 1  # the NaN row left out
    imp = np.array([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    fig = vz.importance_figure(FEATURES, imp, ["m1", "m2"], n=3)
    assert len(fig.data) == 2 and len(fig.data[0].y) == 3 and fig.data[0].x[-1] == pytest.approx(50)


def test_border_lines_trace_region_edges():
    seg = np.array([[0, 0, 1], [2, 2, 1]])
    xs, ys = vz.border_lines(seg)
    segments = [(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs), 3)]
    assert (1.5, -0.5, 1.5, 0.5) in segments and (-0.5, 0.5, 0.5, 0.5) in segments
    assert len(segments) == int(vz.boundaries(seg).sum()) + 1  # one pixel borders two others


def test_image_figure_has_five_panels_scaled_symmetrically():
    rng = np.random.default_rng(0)
    seg = np.repeat(np.repeat(np.arange(4).reshape(2, 2), 3, 0), 3, 1)
    shap = rng.normal(size=(6, 6))
    fig = vz.image_figure(rng.random((6, 6)), seg, np.array([1.0, -2.0, 0.5, 0.0]), shap, rng.normal(size=(6, 6)),
                          title="digit", shap_label="Deep SHAP")
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 5
    lime_map = np.asarray(heat[1].z)
    assert lime_map[0, 0] == 1.0 and lime_map[0, 5] == -2.0 and heat[1].zmin == -2.0 and heat[1].zmax == 2.0
    per_region = np.asarray(heat[3].z)
    assert per_region[0, 0] == pytest.approx(shap[:3, :3].sum())
    assert len([a for a in fig.layout.annotations if "regions" in a.text]) >= 1


def test_stability_figure_shows_mean_spread_and_every_seed():
    runs = np.array([[[1.0, 0.0, 0.2, 0.0], [0.5, 0.1, 0.0, 0.0]],
                     [[3.0, 0.0, 0.2, 0.0], [0.5, 0.1, 0.0, 0.0]]])  # [2 seeds, 2 methods, 4 features]
    fig = vz.stability_figure(FEATURES, runs, ["LIME", "SHAP"], n=2)
    bars = [t for t in fig.data if t.type == "bar"]
    dots = [t for t in fig.data if t.type == "scatter"]
    assert len(bars) == 2 and len(dots) == 2
    assert bars[0].y[-1] == "a" and bars[0].x[-1] == pytest.approx(2.0) and bars[0].error_x.array[-1] == pytest.approx(1.0)
    assert sorted(dots[0].x[-2:]) == [1.0, 3.0] and len(dots[0].x) == 4
