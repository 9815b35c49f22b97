"""The latent-space explorer's own behaviour: the default map, a link choosing another source, layer
and method, colour by error, a chosen point with its neighbours, the user's own Playground run,
out-of-range layers and presets."""
import numpy as np
from streamlit.testing.v1 import AppTest

from explorer.engines import playground as pg
from explorer.ui import live
from tests.conftest import ROOT
from tests.pages.plotly_read import array as values
from tests.pages.plotly_read import by_key as chart
from tests.pages.plotly_read import charts_by_key as charts
from tests.pages.test_pages import notice_text, problems, run_page

PAGE = "embeddings"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_defaults_show_lenets_code_under_pca_coloured_by_label():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    spec = chart(at, "chart_map")
    title = spec["layout"]["title"]["text"]
    assert title.startswith("LeNet-5 on MNIST (zoo) · classifier input (penultimate) (84-d) → PCA, 1,000 points")
    assert spec["layout"]["xaxis"]["title"]["text"].startswith("PC1 (")
    classes = [t for t in spec["data"] if t["type"] == "scattergl"]
    assert [t["name"] for t in classes] == [str(d) for d in range(10)]
    idx = np.concatenate([values(t["customdata"]) for t in classes])
    assert sorted(idx.tolist()) == list(range(1000))  # every point once, carrying its index
    assert metric(at, "Layer width") == "84"
    assert 0.5 < float(metric(at, "Trustworthiness")) <= 1.0
    assert float(metric(at, "Accuracy").rstrip(" %")) > 85
    assert "chart_hardest" in " ".join(charts(at))  # the hardest inputs wait below the map
    html = [el for el in at.get("iframe")] or [el for el in at.get("html")]
    assert html, "the hover preview component is on the page"


def test_a_link_chooses_the_playground_a_layer_and_tsne():
    at = run_page(PAGE, {"src": "playground", "layer": "1", "method": "tsne", "perp": "10"})
    assert problems(at) == [] and not at.warning
    spec = chart(at, "chart_map")
    title = spec["layout"]["title"]["text"]
    assert "Playground MLP" in title and "hidden layer 1 (tanh) (4-d)" in title and "t-SNE, 500 points" in title
    assert spec["layout"]["xaxis"]["title"]["text"] == "t-SNE 1"
    assert [t["name"] for t in spec["data"] if t["type"] == "scattergl"] == ["−1", "+1"]
    assert at.session_state["layer"] == 1 and at.session_state["method"] == "tsne"
    plane = chart(at, "chart_hardest")  # points: the inputs are shown on their plane
    assert plane["layout"]["xaxis"]["title"]["text"] == "x₁"


def test_colour_by_error_is_each_points_cross_entropy():
    at = run_page(PAGE, {"colour": "error", "n": "250"})
    assert problems(at) == []
    (t,) = [t for t in chart(at, "chart_map")["data"] if t["type"] == "scattergl"]
    loss = values(t["marker"]["color"])
    assert t["marker"]["colorbar"]["title"]["text"] == "loss (nats)" and len(loss) == 250
    from explorer.engines import embeddings as emb
    from explorer.engines import latent_sources as ls

    ex = ls.load("lenet-mnist").ex
    want = emb.predictions(ex.predict, ex.x[:250], ex.y[:250]).loss
    np.testing.assert_allclose(loss, want, rtol=1e-5, atol=1e-7)


def test_a_chosen_point_shows_its_input_and_nearest_neighbours():
    at = run_page(PAGE, {"pt": "7"})
    assert problems(at) == []
    spec = chart(at, "chart_map")
    marks = {t["name"]: t for t in spec["data"] if t["type"] == "scatter"}
    assert values(marks["chosen point"]["customdata"]).tolist() == [7]
    near = values(marks["its 8 nearest neighbours in the layer"]["customdata"])
    assert len(near) == 8 and 7 not in near
    assert "chart_focus" in " ".join(charts(at))
    assert any("Point #7 and its 8 nearest" in h.value for h in at.subheader)


def test_a_layer_the_model_does_not_have_falls_back_with_a_note():
    at = run_page(PAGE, {"src": "playground", "layer": "9"})
    assert problems(at) == [] and "`layer`" not in notice_text(at)
    assert any("layer 9 does not exist" in c.value for c in at.caption)
    assert at.session_state["layer"] == 0


def test_your_own_playground_run_is_a_source():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page(f"explorer/pages/{PAGE}.py")
    cfg = pg.Config(hidden=(3,), seed="5")
    run = live.Run(key=cfg, trainer=pg.Trainer(cfg))
    run.advance(12, 5.0)
    at.session_state["_run:playground"] = run
    at.query_params["src"] = "mine"
    at.run()
    assert problems(at) == []
    title = chart(at, "chart_map")["layout"]["title"]["text"]
    assert title.startswith("your Playground model, epoch 12 · hidden layer 1 (tanh) (3-d)")


def test_without_a_playground_run_mine_says_so_and_shows_the_default():
    at = run_page(PAGE, {"src": "mine"})
    assert problems(at) == []
    assert any("no Playground run in this session" in i.value for i in at.info)
    assert "Playground MLP (default" in chart(at, "chart_map")["layout"]["title"]["text"]


def test_the_pca_presets_render_without_problems():
    # the t-SNE / UMAP presets run the same code path as the link test above, with a slower method
    for query in ({"layer": "1"}, {"colour": "kept"}, {"colour": "split", "n": "5000"}):
        at = run_page(PAGE, query)
        assert problems(at) == [] and not at.warning, query
        spec = chart(at, "chart_map")
        if "layer" in query:
            assert "conv1 + ReLU (4,704-d) → PCA" in spec["layout"]["title"]["text"]
        if query.get("colour") == "kept":
            (t,) = [t for t in spec["data"] if t["type"] == "scattergl"]
            kept = values(t["marker"]["color"])
            assert np.nanmin(kept) >= 0 and np.nanmax(kept) <= 1
        if query.get("colour") == "split":
            assert [t["name"] for t in spec["data"] if t["type"] == "scattergl"] == ["train", "test"]
            assert len(values(spec["data"][1]["customdata"])) == 1000
