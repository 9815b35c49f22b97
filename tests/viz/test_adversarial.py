"""Figures of the adversarial-examples lesson from tiny arrays."""
import numpy as np
import pytest

from explorer.viz import adversarial as vz

CLASSES = [str(i) for i in range(4)]


def _spec(fig):
    """Traces and layout as plain dicts with arrays as lists (to_plotly_json packs arrays as bytes)."""
    out = fig.to_plotly_json()
    for t, trace in zip(out["data"], fig.data):
        for k in ("x", "y"):
            if trace[k] is not None:
                t[k] = np.asarray(trace[k]).tolist()
    return out


def test_rgb_repeats_grey_and_clips():
    out = vz.rgb(np.array([[[0.0, 0.5], [1.2, -1.0]]]))
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[0, 1].tolist() == [128, 128, 128] and out[1, 0, 0] == 255 and out[1, 1, 0] == 0


def test_attack_figure_has_three_images_and_two_distributions():
    rng = np.random.default_rng(0)
    x = rng.random((1, 5, 5))
    d = 0.1 * np.sign(rng.standard_normal((1, 5, 5)))
    fig = vz.attack_figure(x, d, np.clip(x + d, 0, 1), 5.0, np.array([0.7, 0.1, 0.1, 0.1]),
                           np.array([0.2, 0.6, 0.1, 0.1]), CLASSES, 0, norm="Linf", eps=0.1, linf=0.1, l2=0.5,
                           attack="FGSM", target=1)
    kinds = [t.type for t in fig.data]
    assert kinds.count("image") == 2 and kinds.count("heatmap") == 1 and kinds.count("bar") == 2
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert heat.zmin == pytest.approx(-0.1) and heat.zmax == pytest.approx(0.1)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["clean image", "adversarial image"] and list(bars[1].y) == [0.2, 0.6, 0.1, 0.1]
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("Original: 0 (70 %)") and "×5" in titles[1] and titles[2].startswith("Adversarial: 1")
    assert "FGSM" in fig.layout.title.text and "ε = 0.1" in fig.layout.title.text
    assert "target: 1" in fig.layout.xaxis4.title.text and fig.layout.yaxis4.title.text == "probability"


def test_colour_perturbation_is_an_amplified_picture():
    x = np.full((3, 2, 2), 0.5)
    d = np.zeros((3, 2, 2))
    d[0, 0, 0] = 0.02
    fig = vz.attack_figure(x, d, x + d, 25.0, np.array([0.5, 0.5, 0, 0]), np.array([0.5, 0.5, 0, 0]), CLASSES, 0,
                           norm="L2", eps=0.02, linf=0.02, l2=0.02, attack="PGD-L2")
    pics = [t for t in fig.data if t.type == "image"]
    assert len(pics) == 3
    assert np.asarray(pics[1].z)[0, 0, 0] == 255 and np.asarray(pics[1].z)[1, 1, 0] == 128


def test_trace_figure_marks_the_step_that_fools():
    probs = np.array([[0.9, 0.1, 0, 0], [0.6, 0.4, 0, 0], [0.3, 0.7, 0, 0]])
    fig = vz.trace_figure(np.array([0.1, 0.5, 1.2]), np.array([0.1, 0.5, 1.2]), probs, np.array([0, 0, 1]), CLASSES, 0)
    spec = _spec(fig)
    names = [t["name"] for t in spec["data"]]
    assert names == ["cross-entropy, true class", "P(true class 0)", "P(predicted class)"]
    assert list(spec["data"][1]["y"]) == [0.9, 0.6, 0.3] and list(spec["data"][2]["y"]) == [0.9, 0.6, 0.7]
    assert any("fooled at step 2" in a["text"] for a in spec["layout"]["annotations"])
    assert spec["layout"]["shapes"][0]["x0"] == 2
    assert spec["layout"]["xaxis"]["title"]["text"] == "PGD step"


def test_targeted_trace_adds_the_target_curves():
    probs = np.full((3, 4), 0.25)
    fig = vz.trace_figure(np.array([-2.0, -1.0, -0.5]), np.zeros(3), probs, np.zeros(3, int), CLASSES, 0, target=3)
    spec = _spec(fig)
    names = [t["name"] for t in spec["data"]]
    assert "cross-entropy, target 3" in names and "P(target 3)" in names
    tgt = next(t for t in spec["data"] if t["name"] == "cross-entropy, target 3")
    assert list(tgt["y"]) == [2.0, 1.0, 0.5]
    assert not spec["layout"]["shapes"]


def test_robust_curve_figure_one_line_per_attack_in_percent():
    fig = vz.robust_curve_figure(np.array([0, 0.1, 0.2]), ["FGSM", "PGD"], np.array([[0.9, 0.5, 0.2], [0.9, 0.3, 0.0]]),
                                 norm="Linf", n=256, steps=10, model="LeNet-5")
    assert [t.name for t in fig.data] == ["FGSM", "PGD"] and list(fig.data[1].y) == [90, 30, 0]
    assert fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.title.text == "budget ε (L∞)" and "256" in fig.layout.title.text


def test_transfer_figure_is_a_labelled_matrix():
    fig = vz.transfer_figure(["A", "B"], np.array([[0.1, 0.6], [0.7, 0.2]]), np.array([0.98, 0.97]), attack="PGD",
                             eps=0.1, norm="Linf")
    h = fig.data[0]
    assert h.type == "heatmap" and np.asarray(h.z).tolist() == [[10, 60], [70, 20]]
    assert h.text[0][1] == "60 %" and fig.layout.yaxis.title.text == "crafted on"
    assert "A 98 %" in fig.layout.title.text


def test_training_figure_four_accuracy_curves_and_two_losses():
    ep = np.arange(3)
    clean = np.array([[0.1, 0.1], [0.8, 0.7], [0.9, 0.85]])
    robust = np.array([[0.0, 0.0], [0.1, 0.4], [0.05, 0.6]])
    train = np.array([[np.nan, np.nan], [1.0, 2.0], [0.5, 1.5]])
    fig = vz.training_figure(ep, clean, robust, train, eps=0.1)
    spec = _spec(fig)
    acc = [t for t in spec["data"] if t["xaxis"] == "x"]
    loss = [t for t in spec["data"] if t["xaxis"] == "x2"]
    assert len(acc) == 4 and len(loss) == 2
    assert [t["name"] for t in acc] == ["standard · clean", "standard · robust (PGD, ε = 0.1)", "PGD-AT · clean",
                                        "PGD-AT · robust (PGD, ε = 0.1)"]
    assert list(acc[3]["y"]) == [0, 40, 60] and acc[1]["line"]["dash"] == "dash"
    assert spec["layout"]["yaxis"]["title"]["text"] == "accuracy (%)"


def test_examples_figure_pairs_clean_over_adversarial():
    imgs = np.zeros((3, 1, 4, 4))
    fig = vz.examples_figure(imgs, imgs, np.array([0, 1, 2]), np.array([1, 1, 3]), CLASSES, "examples")
    assert len(fig.data) == 6 and [a.text for a in fig.layout.annotations] == ["0", "1", "2", "1", "1", "3"]
