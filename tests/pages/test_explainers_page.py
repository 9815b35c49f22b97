"""The LIME & SHAP page's own behaviour: the defaults, a link's row and budgets in the charts, the surrogate
tree's depth, the many-rows comparison on its button, a row beyond a small table, presets."""
import pytest

from explorer.engines import explainers as ex
from explorer.engines import explainers_tabular as et
from tests.pages.plotly_read import array as values
from tests.pages.plotly_read import by_key as chart
from tests.pages.plotly_read import charts_by_key as charts
from tests.pages.test_pages import notice_text, problems, run_page

PAGE = "explainers"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_defaults_explain_row_0_of_the_cancer_table():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    spec = chart(at, "chart_contrib")
    assert spec["layout"]["title"]["text"].startswith("Test row #0")
    assert [a["text"] for a in spec["layout"]["annotations"]][:2] == ["LIME (quartile bins)", "Kernel SHAP"]
    m = et.train(et.Config())
    assert metrics(at)["Network's test accuracy"] == f"{100 * m.test_acc:.1f} %"
    s = ex.fit_surrogate(m, 3)
    assert metrics(at)["Fidelity (held-out rows)"] == f"{100 * s.fidelity_test:.1f} %"
    fid = chart(at, "chart_fidelity")
    held = next(t for t in fid["data"] if t["name"] == "fidelity on held-out rows")
    assert values(held["y"])[2] == pytest.approx(100 * s.fidelity_test)
    assert "the gap is 0" in captions(at)  # Kernel SHAP's local accuracy
    assert "chart_image" in " ".join(charts(at)) and "chart_agree_rows" not in " ".join(charts(at))


def test_a_link_sets_the_table_row_and_explainer():
    at = run_page(PAGE, {"data": "wine", "row": "3", "shap": "deep", "disc": "0", "depth": "2"})
    assert problems(at) == []
    spec = chart(at, "chart_contrib")
    assert spec["layout"]["title"]["text"].startswith("Test row #3")
    assert [a["text"] for a in spec["layout"]["annotations"]][:2] == ["LIME (continuous)", "Deep SHAP"]
    assert metrics(at)["Leaves"] == str(ex.fit_surrogate(et.train(et.Config(dataset="wine")), 2).n_leaves)
    assert "depth-2 surrogate tree" in chart(at, "chart_tree")["layout"]["title"]["text"]


def test_wine_with_kernel_shap_is_checked_against_exact_shapley_values():
    at = run_page(PAGE, {"data": "wine", "row": "3"})
    text = captions(at)
    assert "2^13 = 8,192" in text and problems(at) == []


def test_a_row_beyond_the_wine_table_shows_the_last_one():
    at = run_page(PAGE, {"data": "wine", "row": "100"})
    assert problems(at) == [] and "45 test rows: showing the last, #44" in captions(at)
    assert chart(at, "chart_contrib")["layout"]["title"]["text"].startswith("Test row #44")


def test_many_rows_run_on_the_button():
    at = run_page(PAGE, {"data": "wine", "lime_n": "100", "shap_n": "50", "bg": "5"})
    at.button(key="exp_run_rows").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_agree_rows")
    boxes = [t for t in spec["data"] if t["type"] == "box"]
    assert len(boxes) == 12  # 6 pairs × (ρ, overlap)
    imp = chart(at, "chart_importance")
    assert len(imp["data"]) == 5
    at.run()
    assert "chart_agree_rows" in " ".join(charts(at))


def test_image_section_follows_the_link():
    at = run_page(PAGE, {"img": "0", "seg": "grid", "nseg": "16", "ibg": "black"})
    assert problems(at) == []
    spec = chart(at, "chart_image")
    assert spec["layout"]["title"]["text"].startswith("Test image #0")
    assert any("its 16 regions" in a["text"] for a in spec["layout"]["annotations"])
    assert "a black image" in captions(at)


def test_a_hostile_row_is_clamped_with_a_notice():
    at = run_page(PAGE, {"row": "1e9", "img": "-5"})
    assert problems(at) == [] and "`row`" in notice_text(at) and "`img`" in notice_text(at)


@pytest.mark.parametrize("query", [
    {"data": "wine", "row": "3"},
    {"disc": "0"},
    {"lime_n": "100", "shap_n": "50", "seed": "1"},
    {"shap": "deep"},
    {"depth": "1"},
    {"ibg": "black", "seg": "grid", "nseg": "16"},
])
def test_presets_render(query):
    at = run_page(PAGE, query)
    assert problems(at) == [] and not at.warning
    assert "chart_contrib" in " ".join(charts(at))


def test_the_image_explains_the_class_the_link_asks_for():
    at = run_page(PAGE, {"cls": "7"})
    assert problems(at) == []
    assert "why P(7)" in chart(at, "chart_image")["layout"]["title"]["text"]
    assert metrics(at)["LeNet's prediction (P = 61.8 %)"] == "2"  # test image 6 is a 2; the 7 is explained anyway


def test_the_seed_check_reruns_lime_and_shap():
    at = run_page(PAGE, {"data": "wine", "lime_n": "100", "shap_n": "50"})
    at.button(key="exp_run_seeds").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_stability")
    dots = [t for t in spec["data"] if t["type"] == "scatter"]
    assert len(dots) == 2 and len(values(dots[0]["x"])) == 12 * 5  # 12 features × 5 seeds
    assert "Mean rank correlation between two seeds" in captions(at)


def test_an_upload_is_explained_for_the_models_own_prediction():
    from explorer.engines import explainers_images as ei
    from explorer.ui import explainers_view as view

    x = 1.0 - view.zoo.data_for("mnist").x_test[6]  # not a test image: a key of its own
    cfg = ei.Config(segmenter="grid", segments=16, lime_samples=100, background=5)
    e = view.explain_image("upload:unit-test", cfg, -1, _x=x, _net=view._prob_net())
    assert e.target == int(e.probs.argmax()) and e.seg.max() + 1 == 16
