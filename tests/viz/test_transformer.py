"""Transformer figures from tiny arrays: traces, panels, labels, titles."""
import numpy as np

from explorer.viz import transformer as vz


def js(fig):
    return fig.to_plotly_json()


def test_matrices_have_numbers_in_cells_labels_on_axes_and_minus_infinity():
    m = np.array([[1.234, float("-inf")], [-0.004, 2.0]])
    fig = js(vz.matrices_figure("Scores", [
        {"m": m, "title": "masked", "rows": ["the", "<pad>"], "cols": ["the", "cat"], "x_title": "key",
         "y_title": "query"},
        {"m": np.eye(2), "title": "weights", "rows": ["a", "b"], "cols": ["a", "b"], "kind": "weights"}]))
    assert fig["layout"]["title"]["text"] == "Scores" and len(fig["data"]) == 2
    h = fig["data"][0]
    assert h["text"] == [["1.23", "−∞"], ["0.00", "2.00"]]          # no "−0.00"
    assert h["z"][0][1] is None                                     # −∞ leaves the cell blank
    assert fig["layout"]["yaxis"]["ticktext"] == ["the", "⟨pad⟩"]    # no raw <…> for plotly to eat
    assert fig["layout"]["yaxis"]["autorange"] == "reversed" and fig["layout"]["xaxis"]["title"]["text"] == "key"
    assert fig["data"][1]["zmin"] == 0 and fig["data"][1]["zmax"] == 1
    assert {a["text"] for a in fig["layout"]["annotations"]} == {"masked", "weights"}


def test_heads_and_masks_figures_have_one_panel_each():
    w = np.full((4, 3, 3), 1 / 3)
    assert len(js(vz.heads_figure(w, ["a", "b", "c"], "Heads", causal=False))["data"]) == 4
    assert "causal" in js(vz.heads_figure(w[:2], ["a", "b", "c"], "Heads", causal=True))["layout"]["title"]["text"]
    masks = js(vz.masks_figure([{"m": np.tril(np.ones((3, 3), bool)), "title": "causal", "rows": list("abc"),
                                 "cols": list("abc")}]))
    assert masks["data"][0]["z"] == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_future_figure_shows_both_kinds():
    fig = js(vz.future_figure(["a", "b", "a"], np.array([0, 0, 1.0]), np.array([0.5, 0.2, 1.0])))
    assert [t["name"] for t in fig["data"]] == ["causal (decoder)", "bidirectional (encoder)"]
    assert list(fig["data"][0]["x"]) == ["a (0)", "b", "a (2)"] and fig["layout"]["yaxis"]["title"]["text"]


def test_position_figures():
    pe = np.random.default_rng(0).standard_normal((6, 4))
    fig = js(vz.sinusoidal_figure(pe, pe @ pe.T))
    assert len(fig["data"]) == 2 and np.shape(fig["data"][0]["z"]) == (4, 6)
    assert fig["layout"]["xaxis"]["title"]["text"] == "position"
    assert fig["data"][0]["colorbar"]["x"] > fig["layout"]["xaxis"]["domain"][1]
    fig = js(vz.learned_figure(np.eye(5), np.eye(5)))
    assert len(fig["data"]) == 2 and fig["layout"]["xaxis"]["range"] == [-0.5, 4.5]
    tracks = [np.c_[np.cos(np.arange(5)), np.sin(np.arange(5))]] * 2
    fig = js(vz.rope_figure(tracks, ["pair 0", "pair 2"], np.eye(5)))
    assert [t.get("name") for t in fig["data"][:2]] == ["pair 0", "pair 2"] and fig["data"][2]["type"] == "heatmap"


def test_attention_grid_places_every_map_with_its_labels():
    w = np.full((3, 4), 0.25)
    cells = [[(f"enc · L1 · head {h}", w, list("abc"), ["<s>", "x", "y", "z"], "query", "key") for h in (1, 2)],
             [("cross · L1 · head 1", w, list("abc"), list("wxyz"), "writes", "source")]]
    fig = js(vz.attention_grid(cells))
    assert len(fig["data"]) == 3
    assert [t["xaxis"] for t in fig["data"]] == ["x", "x2", "x3"]
    assert fig["layout"]["xaxis"]["ticktext"] == ["⟨s⟩", "x", "y", "z"]
    assert fig["layout"]["yaxis3"]["title"]["text"] == "writes" and fig["layout"]["yaxis2"]["title"]["text"] == ""
    assert {a["text"] for a in fig["layout"]["annotations"]} >= {"enc · L1 · head 1", "cross · L1 · head 1"}
    assert fig["layout"]["height"] > 400


def test_curves_and_objectives_and_pretraining_losses():
    s = np.array([0, 10, 20])
    fig = js(vz.curves_figure(s, np.array([np.nan, 1.0, 0.5]), np.array([2.0, 1.0, 0.4]), np.array([0.1, .5, .9]),
                              np.array([0.0, 0.4, 0.95])))
    assert len(fig["data"]) == 4 and fig["data"][0]["y"][0] is None
    assert fig["layout"]["yaxis"]["type"] == "log" and fig["layout"]["yaxis2"]["tickformat"] == ".0%"
    fig = js(vz.objectives_figure(["the", "cat"], np.array([0.9, 0.8]), np.array([0.5, 0.1])))
    assert len(fig["data"]) == 2 and list(fig["data"][1]["y"]) == [0.5, 0.1]
    fig = js(vz.pretrain_losses_figure({"bert": np.linspace(3, 1, 120), "gpt": np.linspace(3, 2, 120)},
                                       {"bert": "BERT", "gpt": "GPT"}))
    assert [t["name"] for t in fig["data"]] == ["BERT", "GPT"] and fig["layout"]["yaxis"]["type"] == "log"


def test_vit_figures():
    img = np.zeros((28, 28))
    img[10:18, 10:18] = 1
    fig = js(vz.patches_figure(img, np.zeros((16, 49)), np.zeros((16, 8)), 7))
    assert len(fig["layout"]["shapes"]) == 2 * 5          # grid lines at 0, 7, 14, 21, 28 both ways
    assert fig["data"][1]["text"][:3] == ["0", "1", "2"]
    cls = np.full((2, 3, 4, 4), 1 / 17)
    fig = js(vz.cls_attention_figure(img, cls, np.full((4, 4), 0.05), 7))
    heat = [t for t in fig["data"] if t.get("opacity")]
    assert len(heat) == 2 * 3 + 1                           # every layer × head and the rollout
    assert heat[0]["x"] == [3.0, 10.0, 17.0, 24.0]
    assert js(vz.vit_losses_figure(np.linspace(2, 0.5, 100)))["layout"]["title"]["text"] == "ViT training loss"
