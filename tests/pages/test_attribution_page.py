"""The attribution page's own behaviour: a link's methods and settings in the charts, notes for
controls that cannot apply, the sanity check and the mask score on their buttons, presets."""
import numpy as np
import pytest

from explorer.engines import attribution as A
from explorer.engines import zoo
from explorer.ui import attribution_view as view
from tests.pages.plotly_read import array as values
from tests.pages.plotly_read import by_key as chart
from tests.pages.plotly_read import charts_by_key as charts
from tests.pages.test_pages import notice_text, problems, run_page

PAGE = "attribution"


def heatmaps(spec: dict) -> list[dict]:
    return [t for t in spec["data"] if t["type"] == "heatmap"]


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_defaults_show_six_maps_and_the_completeness_check():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    maps = chart(at, "chart_maps")
    assert [t["name"] for t in heatmaps(maps)] == [A.LABELS[m] for m in A.METHODS]
    for t in heatmaps(maps):
        z = values(t["z"])
        assert np.nanmax(np.abs(z)) <= 1 + 1e-9
    assert maps["layout"]["coloraxis"]["cmin"] == -1
    titles = [a["text"] for a in maps["layout"]["annotations"]]
    assert any(t.startswith("Grad-CAM<br>") and "pool2" in t for t in titles)
    m = metrics(at)
    assert m["True class"] == m["Explaining"] == view.data("mnist").classes[int(view.data("mnist").y_test[6])]
    f_x, f_b, ig = float(m["f(x)"]), float(m["f(x̄)"]), float(m["Σ IG (50 steps)"])
    assert abs(ig - (f_x - f_b)) < 0.05 * abs(f_x - f_b)  # completeness, as shown
    comp = chart(at, "chart_completeness")
    assert [t["name"] for t in comp["data"]][2:] == ["Riemann sum (right)", "midpoint rule", "Gauss–Legendre",
                                                    "this page's IG"]
    assert not [k for k in charts(at) if "sanity" in k or "mask" in k], "the heavy views wait for a button"


def test_a_link_sets_methods_steps_and_baseline():
    at = run_page(PAGE, {"methods": "ig,gradcam", "steps": "5", "baseline": "blur", "img": "5", "target": "3"})
    assert problems(at) == []
    assert [t["name"] for t in heatmaps(chart(at, "chart_maps"))] == ["Integrated gradients", "Grad-CAM"]
    m = metrics(at)
    assert "Σ IG (5 steps)" in m and m["Explaining"] == "3" and "Σ DeepLIFT" not in m
    comp = chart(at, "chart_completeness")
    assert "blurred input" in " ".join(a["text"] for a in comp["layout"]["annotations"])
    star = comp["data"][-1]
    assert values(star["x"])[0] == 5
    f_x, f_b, ig = float(m["f(x)"]), float(m["f(x̄)"]), float(m["Σ IG (5 steps)"])
    assert values(star["y"])[0] == pytest.approx(abs(ig - (f_x - f_b)), abs=2e-3)


def test_the_sanity_check_runs_on_its_button():
    at = run_page(PAGE, {"methods": "saliency,ig", "steps": "10"})
    at.button(key="attr_run_sanity").click().run()
    assert problems(at) == []
    rho = chart(at, "chart_sanity_rho")
    assert [t["name"] for t in rho["data"]] == ["Saliency", "Integrated gradients"]
    sal = values(rho["data"][0]["y"])
    assert sal[0] == pytest.approx(1.0) and sal[-1] < 0.5
    assert values(rho["data"][0]["x"]).size == 6 if not isinstance(rho["data"][0]["x"], list) else \
        rho["data"][0]["x"] == ["trained", "+ fc3", "+ fc2", "+ fc1", "+ conv2", "+ conv1"]
    grid = chart(at, "chart_sanity_maps")
    assert len(heatmaps(grid)) == 2 * 6
    assert "Changed with the model" in " ".join(m.value for m in at.markdown)
    at.run()  # a rerun keeps showing it (cached)
    assert "chart_sanity_rho" in " ".join(charts(at))


def test_shapes_show_the_mask_and_score_it():
    at = run_page(PAGE, {"data": "shapes", "img": "3", "methods": "saliency,gradcam"})
    assert problems(at) == [] and not at.warning
    maps = chart(at, "chart_maps")
    assert len([t for t in maps["data"] if t["type"] == "contour"]) == 3
    assert sum("on object" in a["text"] for a in maps["layout"]["annotations"]) == 2
    at.button(key="attr_run_mask").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_mask")
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert [b["name"] for b in bars] == ["trained model", "same net, random weights"]
    for b in bars:
        y = values(b["y"])
        assert y.shape == (2,) and ((0 <= y) & (y <= 100)).all()
    assert "the model gets" in captions(at) and "Pointing game" in captions(at)
    assert "inside the object's mask" in spec["layout"]["title"]["text"]
    at.session_state["region"] = "box"
    at.run()
    assert problems(at) == []
    boxed = chart(at, "chart_mask")
    assert "bounding box" in boxed["layout"]["title"]["text"]
    for b, b_box in zip(bars, [t for t in boxed["data"] if t["type"] == "bar"]):
        assert (values(b_box["y"]) >= values(b["y"]) - 1e-9).all()   # the box holds the mask
    chance = [t for t in boxed["data"] if t["type"] == "scatter"][0]
    assert values(chance["y"])[0] > values([t for t in spec["data"] if t["type"] == "scatter"][0]["y"])[0]
    assert at.query_params["region"] in ("box", ["box"])   # the link keeps the choice


def test_controls_that_cannot_apply_say_so():
    at = run_page(PAGE, {"window": "3", "stride": "5", "layer": "8"})
    assert problems(at) == []
    text = captions(at)
    assert "stride of 5 px would skip pixels" in text and "LeNet-5 has 4 feature-map layers" in text
    titles = " ".join(a["text"] for a in chart(at, "chart_maps")["layout"]["annotations"])
    assert "conv1 + ReLU ·" in titles
    at = run_page(PAGE, {"data": "shapes", "target": "7"})
    assert "There is no class 7" in captions(at) and problems(at) == []


def test_digits_point_to_the_shapes_set_for_the_mask_score():
    at = run_page(PAGE)
    assert "/attribution?data=shapes" in captions(at)


def test_a_hostile_image_number_is_clamped_with_a_notice():
    at = run_page(PAGE, {"img": "5000", "methods": "saliency"})
    assert problems(at) == [] and "`img`" in notice_text(at)
    assert at.session_state["img"] == 999


@pytest.mark.parametrize("query", [
    {"baseline": "blur"}, {"steps": "5"}, {"target": "3"}, {"data": "shapes", "img": "3"},
    {"window": "10", "stride": "5"}, {"sign": "absolute"}, {"layer": "3"}, {"samples": "50", "sigma": "0.3"},
])
def test_presets_render(query):
    at = run_page(PAGE, query)
    assert problems(at) == [] and not at.warning
    assert "chart_maps" in " ".join(charts(at))


def test_an_upload_is_explained_for_the_models_own_answer():
    model = zoo.session_copy(zoo.reference_model("lenet"))
    x = view.data("mnist").x_test[6]
    cfg = A.Config(methods=("saliency", "ig"), steps=10)
    res = view.attribute(("lenet", "mnist", "upload:unit-test"), cfg, -1, x, model)
    assert res.target == res.pred and set(res.maps) == {"saliency", "ig"}
